//go:build tamago && arm64 && !imx8mp

package hv

import (
	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/driver/pl011"
)

// The firmware is built for one board: QEMU's virt machine unless the
// imx8mp build tag selects the i.MX 8M Plus EVK (platform_imx8mp.go). Its
// facts are constants, so that code running before the Go runtime is up
// (boot_el2.s, hwinit0) needs no initialized data; the rest of the firmware
// takes them from here and from thisBoard, never from a board package.
const (
	numCPUs      = qemuvirt.NumCPUs
	physAddrBits = qemuvirt.PhysAddrBits
	sharedBase   = qemuvirt.HypervisorBase
	slotSize     = qemuvirt.HypervisorSlotSize
	textOffset   = qemuvirt.HypervisorTextOffset
	// hypervisorSize is the RAM the board reserves for the hypervisor;
	// the image's payload segment starts where it ends.
	hypervisorSize = qemuvirt.HypervisorSize
	ramBase        = qemuvirt.RAMBase
	ramEnd         = qemuvirt.RAMBase + qemuvirt.RAMSize

	hypervisorSharedSize = qemuvirt.HypervisorSharedSize

	// The console UART (pl011@9000000) and its interrupt, which every
	// partition's virtual console shares as its INTID.
	uartBase = qemuvirt.UART0Base
	uartSize = qemuvirt.UART0Size
	uartIRQ  = qemuvirt.UART0IRQ
	// The early console cpuinit writes to before anything is set up
	// (a wrong exception level): data register, a status register and
	// the status bit that says the transmit FIFO is full (DDI 0183,
	// 3.3.3 UARTFR.TXFF).
	earlyUARTData   = qemuvirt.UART0Base + pl011.DR
	earlyUARTStatus = qemuvirt.UART0Base + pl011.FR
	earlyUARTFull   = pl011.FRTXFF
	// Bits it sets, register by register, to enable the transmitter.
	earlyUARTEnable1     = qemuvirt.UART0Base + pl011.CR
	earlyUARTEnable1Bits = pl011.CRUARTEN | pl011.CRTXE
	earlyUARTEnable2     = earlyUARTEnable1
	earlyUARTEnable2Bits = earlyUARTEnable1Bits

	// The GIC frames, which a partition's virtual GIC shows at the same
	// guest-physical addresses, and the PPIs the hypervisor takes.
	gicdBase       = qemuvirt.GICDBase
	gicdSize       = qemuvirt.GICDSize
	gicrBase       = qemuvirt.GICRBase
	gicrSize       = qemuvirt.GICRSize
	gicrStride     = qemuvirt.GICRStride
	maintenanceIRQ = qemuvirt.MaintenanceIRQ
	hypTimerIRQ    = qemuvirt.HypTimerIRQ
	virtTimerIRQ   = qemuvirt.VirtTimerIRQ
	physTimerIRQ   = qemuvirt.PhysTimerIRQ

	// A partition's virtual SBSA watchdog frames (guest IPAs).
	watchdogControlIPA = qemuvirt.WatchdogControlIPA
	watchdogRefreshIPA = qemuvirt.WatchdogRefreshIPA

	// The SMMUv3 and its interrupts (eventq, priq, cmdq-sync, gerror).
	hasSMMU       = true
	smmuBase      = qemuvirt.SMMUBase
	smmuSize      = qemuvirt.SMMUSize
	smmuEventIRQ  = qemuvirt.SMMUIRQBase
	smmuGErrorIRQ = qemuvirt.SMMUIRQBase + 3

	// counterFrequency is what the board's CNTFRQ_EL0 should read.
	counterFrequency = 62_500_000
)

// thisBoard is the board the firmware was built for: the description the
// host tools checked the partition table against, for the parts that are
// data (the GIC, the SMMU, the doorbell window, the table's limits).
var thisBoard = qemuvirt.Board

// uart is the console's driver.
var uart = pl011.UART{Base: uartBase}

func mpidrOf(core int) uint64 { return qemuvirt.MPIDR(core) }
