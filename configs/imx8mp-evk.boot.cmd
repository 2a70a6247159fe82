# U-Boot script that boots Tamavisor with configs/imx8mp-evk.yaml on the
# NXP i.MX 8M Plus EVK (docs/boards/imx8mp-evk.md). make boot-script turns
# it into build/boot.scr with mkimage; put that file and
# build/imx8mp-evk.Image on the first partition (FAT or ext4) of the SD
# card or eMMC. U-Boot's
# standard boot runs boot.scr from there with devtype, devnum and
# distro_bootpart set; NXP's U-Boot runs it with mmcdev and mmcpart.
if test -z "${devtype}"; then
	setenv devtype mmc
	setenv devnum ${mmcdev}
	setenv distro_bootpart ${mmcpart}
fi
# The Image is loaded at U-Boot's own load address on this board, in the
# hypervisor's memory (0x40000000-0x4fffffff in configs/imx8mp-evk.yaml),
# and booti moves it to 0x4020f000, where it is linked. U-Boot runs a
# script from its own copy, so loading over the script is safe.
setenv tamavisor_image imx8mp-evk.Image
setenv tamavisor_addr 0x40480000
setenv tamavisor_max 0xfb80000
echo "tamavisor: loading ${tamavisor_image} from ${devtype} ${devnum}:${distro_bootpart}"
if load ${devtype} ${devnum}:${distro_bootpart} ${tamavisor_addr} ${tamavisor_image}; then
	if itest ${filesize} -gt ${tamavisor_max}; then
		echo "tamavisor: ${tamavisor_image} is larger than the hypervisor's memory above ${tamavisor_addr}; not booting it"
	else
		booti ${tamavisor_addr} - ${fdtcontroladdr}
	fi
else
	echo "tamavisor: ${tamavisor_image} not found on ${devtype} ${devnum}:${distro_bootpart}"
fi
