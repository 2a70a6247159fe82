//go:build tamago && arm64 && !imx8mp

package main

import (
	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/driver/mmio"
)

// The board the attacker is built for (the imx8mp tag: board_imx8mp.go):
// the addresses it attacks and the device whose interrupt it raises.
const (
	gicdBase       = qemuvirt.GICDBase
	gicrBase       = qemuvirt.GICRBase
	gicrStride     = qemuvirt.GICRStride
	physTimerIRQ   = qemuvirt.PhysTimerIRQ
	hypervisorBase = qemuvirt.HypervisorBase
	hypervisorSize = qemuvirt.HypervisorSize
	smmuBase       = qemuvirt.SMMUBase
	// unassignedDevice is a device no partition is given: the PL031 RTC.
	unassignedDevice = qemuvirt.RTCBase
	// ownSPIDevice is the device the config gives the partition (the
	// PL061 GPIO), and ownSPI its interrupt, which the attacker raises.
	ownSPIDevice = qemuvirt.GPIOBase
	ownSPI       = qemuvirt.GPIOIRQ
)

func mpidrOf(core int) uint64 { return qemuvirt.MPIDR(core) }

// PL061 GPIO registers: pin 0 interrupts on a low level, which it is.
const (
	gpioIS  = 0x404
	gpioIEV = 0x40c
	gpioIE  = 0x410
	gpioIC  = 0x41c
)

// raiseOwnSPI makes the GPIO's pin 0 interrupt on its low level.
func raiseOwnSPI() {
	gpio := uint64(ownSPIDevice)
	mmio.Write32(gpio+gpioIEV, mmio.Read32(gpio+gpioIEV)&^1)
	mmio.Write32(gpio+gpioIS, mmio.Read32(gpio+gpioIS)|1)
	mmio.Write32(gpio+gpioIE, mmio.Read32(gpio+gpioIE)|1)
}

// lowerOwnSPI masks and clears it.
func lowerOwnSPI() {
	gpio := uint64(ownSPIDevice)
	mmio.Write32(gpio+gpioIE, mmio.Read32(gpio+gpioIE)&^1)
	mmio.Write32(gpio+gpioIC, 1)
}
