//go:build tamago && arm64 && imx8mp

package main

import (
	"github.com/tamavisor/tamavisor/board/imx8mpevk"
	"github.com/tamavisor/tamavisor/driver/imxuart"
	"github.com/tamavisor/tamavisor/driver/mmio"
)

// The i.MX 8M Plus EVK (see board_qemuvirt.go). It has no SMMU: the
// attacker does not look for one.
const (
	gicdBase       = imx8mpevk.GICDBase
	gicrBase       = imx8mpevk.GICRBase
	gicrStride     = imx8mpevk.GICRStride
	physTimerIRQ   = imx8mpevk.PhysTimerIRQ
	hypervisorBase = imx8mpevk.HypervisorBase
	hypervisorSize = imx8mpevk.HypervisorSize
	smmuBase       = 0
	// unassignedDevice is a device no partition is given: UART1.
	unassignedDevice = imx8mpevk.UART1Base
	// ownSPIDevice is the device the config gives the partition, UART3,
	// and ownSPI its interrupt.
	ownSPIDevice = imx8mpevk.UART3Base
	ownSPI       = imx8mpevk.UART3IRQ
)

func mpidrOf(core int) uint64 { return imx8mpevk.MPIDR(core) }

// ucr1TRDYEN enables the transmitter-ready interrupt (IMX8MPRM, "UART
// Control Register 1"): with an empty transmit FIFO, below its trigger
// level, it asserts at once and stays asserted, a level interrupt.
const ucr1TRDYEN = 1 << 13

// raiseOwnSPI enables UART3 with its transmitter-ready interrupt.
func raiseOwnSPI() {
	mmio.Write32(ownSPIDevice+imxuart.UCR1, imxuart.UCR1UARTEN|ucr1TRDYEN)
}

// lowerOwnSPI disables the interrupt again.
func lowerOwnSPI() {
	mmio.Write32(ownSPIDevice+imxuart.UCR1, imxuart.UCR1UARTEN)
}

// eduLines: QEMU's edu PCI device exists on qemu-virt only.
func eduLines() []string { return nil }
