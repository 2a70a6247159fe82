# Debian packages `make guests` builds the guest images from, pinned.
#
# Each pin is three variables with a common prefix: the package, its exact
# version, and the SHA-256 of its .deb. The build fetches that version for
# arm64 from the machine's configured Debian sources, through a private apt
# configuration in build/apt (the machine's apt state and architectures
# stay as they are), and refuses a .deb whose hash differs from the pin.
# guests/linux/pins.go reads this file too: keep to "NAME := value" lines.
#
# To move a pin: run `make guests` once to set up build/apt, then
#   APT_CONFIG=build/apt/apt.conf apt-cache policy PACKAGE     # versions
#   APT_CONFIG=build/apt/apt.conf apt-cache show PACKAGE=VERSION | grep SHA256
# apt checks that field against the signed Release file of the source;
# copy version and hash here together.

# The infotainment guest's kernel: Debian 12's cloud flavour, which has
# what a virt machine needs built in (PL011 console, GICv3, PSCI,
# devtmpfs, gzip initramfs). From bookworm-security.
LINUX_KERNEL_PACKAGE := linux-image-6.1.0-56-cloud-arm64
LINUX_KERNEL_VERSION := 6.1.192-2
LINUX_KERNEL_SHA256  := 481ab54a27246579aadeb372315c56de02f2fe0cba4e09b387946269fff2f415

# The initramfs's only program: a static busybox. From bookworm.
BUSYBOX_PACKAGE := busybox-static
BUSYBOX_VERSION := 1:1.35.0-4+deb12u1+b1
BUSYBOX_SHA256  := 732c9135564fc71337e0e05fb4da4d11e6c28c1834bce3e405e575afef2a52f5

# The i.MX 8M Plus EVK's Linux guest (configs/imx8mp-evk.yaml): Debian 12's
# generic arm64 flavour, the same source and version as the cloud kernel
# above. The cloud flavour leaves out the SoC drivers; this one has the
# i.MX UART and GPIO drivers built in beside the PL011 console, GICv3,
# the arch timer and PSCI a partition needs. From bookworm-security.
LINUX_GENERIC_KERNEL_PACKAGE := linux-image-6.1.0-56-arm64
LINUX_GENERIC_KERNEL_VERSION := 6.1.192-2
LINUX_GENERIC_KERNEL_SHA256  := 6f4ed2d1cb9106bc977c2b1960008f175e2eed5740340634b7894e65ef5acc82
