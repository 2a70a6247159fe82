package qemu

import (
	"github.com/tamavisor/tamavisor/board/imx8mpevk"
	"github.com/tamavisor/tamavisor/internal/fdt"
)

// imx8mpDeviceTree returns the device tree QEMU hands the image on
// imx8mp-evk (x0 at entry), as U-Boot hands the EVK's on the board. QEMU
// generates none for this machine and refuses to boot an arm64 Image with
// more than 4 GiB of RAM without one. The hypervisor takes its board from
// its build, not from this tree: it needs only what QEMU itself edits, the
// root's cell sizes, /chosen and the memory node, which QEMU rewrites from
// -m.
func imx8mpDeviceTree() ([]byte, error) {
	w := fdt.NewWriter()
	for _, step := range []func() error{
		func() error { return w.BeginNode("") },
		func() error { return w.PropU32("#address-cells", 2) },
		func() error { return w.PropU32("#size-cells", 2) },
		func() error { return w.PropString("model", "NXP i.MX8MPlus EVK board") },
		func() error { return w.PropStrings("compatible", "fsl,imx8mp-evk", "fsl,imx8mp") },
		func() error { return w.BeginNode("chosen") },
		func() error { return w.PropString("stdout-path", "serial1:115200n8") },
		w.EndNode,
		func() error { return w.BeginNode("memory@40000000") },
		func() error { return w.PropString("device_type", "memory") },
		func() error {
			return w.PropU64("reg", imx8mpevk.RAMBase, imx8mpevk.RAMSize, imx8mpevk.RAMHighBase, imx8mpevk.RAMHighSize)
		},
		w.EndNode,
		w.EndNode,
	} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return w.Finish()
}
