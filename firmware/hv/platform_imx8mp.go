//go:build tamago && arm64 && imx8mp

package hv

import (
	"github.com/tamavisor/tamavisor/board/imx8mpevk"
	"github.com/tamavisor/tamavisor/driver/imxuart"
)

// The firmware for the NXP i.MX 8M Plus EVK (build tag imx8mp; see
// platform_qemuvirt.go for what each constant is).
const (
	numCPUs        = imx8mpevk.NumCPUs
	physAddrBits   = imx8mpevk.PhysAddrBits
	sharedBase     = imx8mpevk.HypervisorBase
	slotSize       = imx8mpevk.HypervisorSlotSize
	textOffset     = imx8mpevk.HypervisorTextOffset
	hypervisorSize = imx8mpevk.HypervisorSize
	// The two banks of RAM are contiguous (3 GiB from 0x40000000, 3 GiB
	// from 0x100000000): the boot map takes them as one.
	ramBase = imx8mpevk.RAMBase
	ramEnd  = imx8mpevk.RAMHighBase + imx8mpevk.RAMHighSize

	hypervisorSharedSize = imx8mpevk.HypervisorSharedSize

	// UART2 (serial@30890000), the EVK's debug console. Its registers
	// end at UTS (0xb4): one page of its 64 KiB slot is mapped.
	uartBase = imx8mpevk.UART2Base
	uartSize = imx8mpevk.PageSize
	uartIRQ  = imx8mpevk.UART2IRQ
	// The early console: UTXD, and UTS.TXFULL (IMX8MPRM, "UART Test
	// Register").
	earlyUARTData   = imx8mpevk.UART2Base + imxuart.UTXD
	earlyUARTStatus = imx8mpevk.UART2Base + imxuart.UTS
	earlyUARTFull   = imxuart.UTSTXFULL
	// UCR2.SRST is active low: set, it keeps the UART out of reset.
	earlyUARTEnable1     = imx8mpevk.UART2Base + imxuart.UCR1
	earlyUARTEnable1Bits = imxuart.UCR1UARTEN
	earlyUARTEnable2     = imx8mpevk.UART2Base + imxuart.UCR2
	earlyUARTEnable2Bits = imxuart.UCR2SRST | imxuart.UCR2TXEN

	gicdBase       = imx8mpevk.GICDBase
	gicdSize       = imx8mpevk.GICDSize
	gicrBase       = imx8mpevk.GICRBase
	gicrSize       = imx8mpevk.GICRSize
	gicrStride     = imx8mpevk.GICRStride
	maintenanceIRQ = imx8mpevk.MaintenanceIRQ
	hypTimerIRQ    = imx8mpevk.HypTimerIRQ
	virtTimerIRQ   = imx8mpevk.VirtTimerIRQ
	physTimerIRQ   = imx8mpevk.PhysTimerIRQ

	watchdogControlIPA = imx8mpevk.WatchdogControlIPA
	watchdogRefreshIPA = imx8mpevk.WatchdogRefreshIPA

	// The SoC has no SMMU: the SMMU code is skipped, and the partition
	// table (checked against the board) gives no partition a stream ID.
	// 1023 is a special INTID, never acknowledged as an interrupt.
	hasSMMU       = false
	smmuBase      = 0
	smmuSize      = 0
	smmuEventIRQ  = 1023
	smmuGErrorIRQ = 1023

	counterFrequency = imx8mpevk.CounterFrequency
)

var thisBoard = imx8mpevk.Board

// uart is the console's driver. RefClock zero keeps the rate U-Boot (or
// QEMU) set: 115200 baud on the EVK.
var uart = imxuart.UART{Base: uartBase}

func mpidrOf(core int) uint64 { return imx8mpevk.MPIDR(core) }
