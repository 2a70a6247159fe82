// Package qemuvirt describes QEMU's "virt" machine as Tamavisor runs it:
//
//	qemu-system-aarch64 -M virt,virtualization=on,gic-version=3,iommu=smmuv3 \
//	    -cpu cortex-a53 -smp 4 -m 2G
//
// Every address and interrupt below is taken from the device tree QEMU 10.0
// generates for exactly that command line (dumpdtb=; kept decompiled in the
// project's reference notes). Interrupt numbers are GIC INTIDs: the device
// tree's SPI n is INTID 32+n, PPI n is INTID 16+n.
package qemuvirt

import "github.com/tamavisor/tamavisor/board"

// Name is the board name configs use.
const Name = "qemu-virt"

// Memory map (device tree nodes named in each comment).
const (
	RAMBase = 0x4000_0000 // memory@40000000
	RAMSize = 0x8000_0000 // -m 2G

	GICDBase   = 0x0800_0000 // intc@8000000, reg[0]
	GICDSize   = 0x1_0000
	GITSBase   = 0x0808_0000 // intc/its@8080000
	GITSSize   = 0x2_0000
	GICRBase   = 0x080a_0000 // intc@8000000, reg[1]
	GICRSize   = 0xf6_0000
	GICRStride = 0x2_0000    // RD_base + SGI_base (IHI 0069, 12.10)
	UART0Base  = 0x0900_0000 // pl011@9000000

	// A partition's virtual SBSA watchdog: guest IPAs past the virtio-mmio
	// transports (0xa000000 + 32 x 0x200), where the machine has nothing.
	WatchdogControlIPA = 0x0a10_0000
	WatchdogRefreshIPA = 0x0a10_1000
	// A partition's channel doorbells: eight frames after the watchdog's.
	DoorbellIPA   = 0x0a10_2000
	DoorbellsMax  = 8
	UART0Size     = 0x1000
	RTCBase       = 0x0901_0000 // pl031@9010000
	FWCfgBase     = 0x0902_0000 // fw-cfg@9020000 (0x18 bytes, one page)
	GPIOBase      = 0x0903_0000 // pl061@9030000
	SMMUBase      = 0x0905_0000 // smmuv3@9050000
	SMMUSize      = 0x2_0000
	VirtioBase    = 0x0a00_0000 // virtio_mmio@a000000 .. @a003e00, 32 x 0x200
	VirtioSize    = 0x4000
	PCIePIOBase   = 0x3eff_0000 // pcie@10000000 ranges, I/O space
	PCIePIOSize   = 0x1_0000
	PCIeMMIOBase  = 0x1000_0000 // pcie@10000000 ranges, 32-bit MMIO window
	PCIeMMIOSize  = 0x2eff_0000
	PCIeECAMBase  = 0x40_1000_0000 // pcie@10000000 reg (high ECAM)
	PCIeECAMSize  = 0x1000_0000
	PCIeHighBase  = 0x80_0000_0000 // pcie@10000000 ranges, 64-bit MMIO window
	PCIeHighSize  = 0x80_0000_0000
	FlashBase     = 0x0000_0000 // flash@0, two banks
	FlashSize     = 0x0800_0000
	PhysAddrBits  = 40  // Cortex-A53: ID_AA64MMFR0_EL1.PARange = 0b0010
	NumCPUs       = 4   // -smp 4
	NumSPIs       = 224 // GICD_TYPER.ITLinesNumber 7: INTIDs up to 255 (read from QEMU 7.2 and 10.0)
	PageSize      = 0x1000
	UART0IRQ      = 32 + 1 // interrupts = <0 1 4>
	RTCIRQ        = 32 + 2
	GPIOIRQ       = 32 + 7
	VirtioIRQBase = 32 + 16 // 32 transports, SPI 16..47
	PCIeIRQBase   = 32 + 3  // INTA..INTD, SPI 3..6
	SMMUIRQBase   = 32 + 74 // eventq, priq, cmdq-sync, gerror: SPI 74..77
)

// GIC PPIs (INTIDs): timer node <1 13>, <1 14>, <1 11>, <1 10>; intc <1 9>.
const (
	PhysTimerIRQ   = 16 + 14 // non-secure EL1 physical timer
	VirtTimerIRQ   = 16 + 11
	HypTimerIRQ    = 16 + 10
	MaintenanceIRQ = 16 + 9
)

// The hypervisor's own memory: a 2 MiB shared region, then one 30 MiB slot
// per core. 2 MiB alignment everywhere lets stage-1 use block mappings.
const (
	HypervisorBase       = RAMBase
	HypervisorSharedSize = 0x20_0000
	HypervisorSlotSize   = 0x1e0_0000
	HypervisorTextOffset = 0x1_0000
	HypervisorSize       = 0x800_0000 // 128 MiB: shared + 4 slots, rounded up

	// RAMStart is the Go runtime's RAM start (slot 0), TextStart the
	// firmware's link address (-T); the Makefile must agree.
	RAMStart  = HypervisorBase + HypervisorSharedSize
	TextStart = RAMStart + HypervisorTextOffset
)

// MPIDR returns the affinity QEMU virt gives core index i with GICv3
// (clusters of 16: Aff1 = i/16, Aff0 = i%16).
func MPIDR(i int) uint64 {
	return uint64(i/16)<<8 | uint64(i%16)
}

func irqRange(first, n uint32) []uint32 {
	irqs := make([]uint32, n)
	for i := range irqs {
		irqs[i] = first + uint32(i)
	}
	return irqs
}

// Board is the qemu-virt description.
var Board = &board.Board{
	Name:         Name,
	Model:        "QEMU virt (GICv3, SMMUv3, 4 x Cortex-A53, 2 GiB)",
	RAM:          []board.Region{{Base: RAMBase, Size: RAMSize}},
	PhysAddrBits: PhysAddrBits,
	CPUs: func() []board.CPU {
		cpus := make([]board.CPU, NumCPUs)
		for i := range cpus {
			cpus[i] = board.CPU{Index: i, MPIDR: MPIDR(i)}
		}
		return cpus
	}(),
	GIC: board.GIC{
		Version:        3,
		Dist:           board.Region{Base: GICDBase, Size: GICDSize},
		Redist:         board.Region{Base: GICRBase, Size: GICRSize},
		RedistStride:   GICRStride,
		SPIs:           NumSPIs,
		MaintenanceIRQ: MaintenanceIRQ,
		HypTimerIRQ:    HypTimerIRQ,
		VirtTimerIRQ:   VirtTimerIRQ,
		PhysTimerIRQ:   PhysTimerIRQ,
	},
	SMMU: board.SMMU{
		Regs:         board.Region{Base: SMMUBase, Size: SMMUSize},
		StreamIDBits: 16,
	},
	// The timer node gives no clock-frequency: QEMU's Cortex-A53 counts
	// at 62.5 MHz (target/arm GTIMER_BACKCOMPAT_HZ, kept for CPU types
	// older than its 1 GHz default).
	CounterFrequency: 62_500_000,
	PSCIConduit:      "smc", // psci { method = "smc" } with virtualization=on
	Watchdog: board.Watchdog{
		Control: board.Region{Base: WatchdogControlIPA, Size: PageSize},
		Refresh: board.Region{Base: WatchdogRefreshIPA, Size: PageSize},
	},
	Doorbells: board.Region{Base: DoorbellIPA, Size: DoorbellsMax * board.DoorbellFrameSize},
	Hypervisor: board.Hypervisor{
		Memory:     board.Region{Base: HypervisorBase, Size: HypervisorSize},
		SharedSize: HypervisorSharedSize,
		SlotSize:   HypervisorSlotSize,
		TextOffset: HypervisorTextOffset,
		UART:       "uart0",
	},
	Devices: []board.Device{
		{Name: "uart0", Compatible: "arm,pl011", MMIO: []board.Region{{Base: UART0Base, Size: UART0Size}}, IRQs: []uint32{UART0IRQ}},
		{Name: "rtc", Compatible: "arm,pl031", MMIO: []board.Region{{Base: RTCBase, Size: PageSize}}, IRQs: []uint32{RTCIRQ}},
		{Name: "fw-cfg", Compatible: "qemu,fw-cfg-mmio", MMIO: []board.Region{{Base: FWCfgBase, Size: PageSize}}},
		{Name: "gpio", Compatible: "arm,pl061", MMIO: []board.Region{{Base: GPIOBase, Size: PageSize}}, IRQs: []uint32{GPIOIRQ}},
		{Name: "virtio-mmio", Compatible: "virtio,mmio", MMIO: []board.Region{{Base: VirtioBase, Size: VirtioSize}}, IRQs: irqRange(VirtioIRQBase, 32)},
		// The 64-bit window (PCIeHighBase) is left out: it lies at
		// 512 GiB, beyond a guest's 39-bit address space, and QEMU puts
		// the BARs of the devices on bus 0 in the 32-bit window.
		{Name: "pcie", Compatible: "pci-host-ecam-generic",
			MMIO: []board.Region{
				{Base: PCIeMMIOBase, Size: PCIeMMIOSize},
				{Base: PCIePIOBase, Size: PCIePIOSize},
				{Base: PCIeECAMBase, Size: PCIeECAMSize},
			},
			IRQs: irqRange(PCIeIRQBase, 4),
			// iommu-map = <0 &smmu 0 0x10000>: stream ID = requester ID.
			StreamIDs: []board.IDRange{{First: 0, Count: 0x10000}},
			PCI: &board.PCIHost{
				ECAM: board.Region{Base: PCIeECAMBase, Size: PCIeECAMSize},
				IO:   board.Region{Base: PCIePIOBase, Size: PCIePIOSize},
				Mem:  board.Region{Base: PCIeMMIOBase, Size: PCIeMMIOSize},
				INTx: [4]uint32{PCIeIRQBase, PCIeIRQBase + 1, PCIeIRQBase + 2, PCIeIRQBase + 3},
			}},
		{Name: "flash", Compatible: "cfi-flash", MMIO: []board.Region{{Base: FlashBase, Size: FlashSize}}},
		{Name: "gicd", Compatible: "arm,gic-v3", MMIO: []board.Region{{Base: GICDBase, Size: GICDSize}}, Hypervisor: true},
		{Name: "gicr", Compatible: "arm,gic-v3", MMIO: []board.Region{{Base: GICRBase, Size: GICRSize}}, Hypervisor: true},
		{Name: "gits", Compatible: "arm,gic-v3-its", MMIO: []board.Region{{Base: GITSBase, Size: GITSSize}}, Hypervisor: true},
		{Name: "smmu", Compatible: "arm,smmu-v3", MMIO: []board.Region{{Base: SMMUBase, Size: SMMUSize}}, IRQs: irqRange(SMMUIRQBase, 4), Hypervisor: true},
	},
}

func init() { board.Register(Board) }
