// Package board describes the systems-on-chip Tamavisor runs on: memory map,
// CPUs, devices with their MMIO regions, interrupts and SMMU stream IDs, the
// interrupt controller, the SMMU, the PSCI conduit, and where the hypervisor
// lives in RAM.
//
// A board description is plain data. The host-side validator checks partition
// configs against it; the firmware uses the same values to build its own
// memory map and to re-check the partition table it is given.
package board

import (
	"fmt"
	"sort"
)

// Region is a physical address range [Base, Base+Size).
type Region struct {
	Base uint64
	Size uint64
}

// End returns the first address after the region. It saturates at the top
// of the address space rather than wrapping.
func (r Region) End() uint64 {
	end := r.Base + r.Size
	if end < r.Base {
		return ^uint64(0)
	}
	return end
}

// Overlaps reports whether r and o share at least one byte.
func (r Region) Overlaps(o Region) bool {
	if r.Size == 0 || o.Size == 0 {
		return false
	}
	return r.Base < o.End() && o.Base < r.End()
}

// Contains reports whether o lies entirely inside r.
func (r Region) Contains(o Region) bool {
	return o.Base >= r.Base && o.End() <= r.End()
}

func (r Region) String() string {
	return fmt.Sprintf("%#x+%#x", r.Base, r.Size)
}

// IDRange is a run of Count consecutive IDs starting at First.
type IDRange struct {
	First uint32
	Count uint32
}

// Contains reports whether id lies in the range.
func (r IDRange) Contains(id uint32) bool {
	return id >= r.First && id-r.First < r.Count
}

// PCIHost describes a generic ECAM PCIe host bridge (Linux binding
// pci/host-generic-pci.yaml), what a guest given the bridge finds in its
// device tree. Its regions are among the device's MMIO.
type PCIHost struct {
	// ECAM is the configuration space, 1 MiB per bus from bus 0.
	ECAM Region
	// IO is the I/O window: PCI I/O addresses from 0 appear at IO.Base.
	IO Region
	// Mem is the 32-bit memory window; PCI and CPU addresses are equal.
	Mem Region
	// INTx are the INTIDs of slot 0's INTA..INTD. Slot s's pin p
	// (0 for INTA) raises INTx[(s+p)%4], the usual swizzle.
	INTx [4]uint32
}

// CPU is one physical core.
type CPU struct {
	// Index is the dense core number used everywhere in Tamavisor
	// (configs, console lines, per-core memory slots).
	Index int
	// MPIDR is the value of MPIDR_EL1 affinity fields (Aff3..Aff0) of
	// the core, as PSCI CPU_ON expects it.
	MPIDR uint64
}

// Device is a named piece of hardware on the board.
type Device struct {
	Name       string
	Compatible string
	MMIO       []Region
	// IRQs are GIC interrupt IDs (INTIDs): SPIs are 32 and up.
	IRQs []uint32
	// StreamIDs are the SMMU stream IDs the device's DMA may carry. A
	// partition given the device lists the ones it uses (for a PCIe host
	// bridge, the requester IDs of the devices behind it); the others
	// keep aborting.
	StreamIDs []IDRange
	// PCI describes a PCIe host bridge: its windows and how its legacy
	// interrupts are wired. Nil for every other device.
	PCI *PCIHost
	// Fallbacks are the more general compatible strings the board's
	// device tree lists after Compatible, in its order: drivers often
	// match one of them rather than the SoC's own (Linux's i.MX UART
	// driver binds "fsl,imx6q-uart", not "fsl,imx8mp-uart").
	Fallbacks []string
	// Alias is the device's name in the board device tree's /aliases
	// (serial2 for the i.MX 8M Plus UART3). Linux numbers some devices
	// by it, and its i.MX UART driver refuses a UART without one.
	Alias string
	// Clocks are the input clocks the device's binding requires, by
	// their clock-names, each with the rate the platform firmware
	// leaves it at. A guest gets them as fixed clocks: no partition
	// owns the clock controller, which serves them all.
	Clocks []Clock
	// GPIOController marks a GPIO controller that is also the
	// interrupt controller of its lines, with two-cell specifiers for
	// both (#gpio-cells, #interrupt-cells).
	GPIOController bool
	// Hypervisor marks devices that belong to the hypervisor and can
	// never be given to a guest (interrupt controller, SMMU).
	Hypervisor bool
}

// Clock is one input clock of a device: its name in the device's
// clock-names and its rate in Hz.
type Clock struct {
	Name string
	Hz   uint32
}

// GIC describes a GICv3 interrupt controller.
//
// Arm Generic Interrupt Controller Architecture Specification, GIC
// architecture version 3 and version 4 (IHI 0069), 12.1 "The GIC
// register map".
type GIC struct {
	Version int
	// Distributor (GICD) frame.
	Dist Region
	// Redistributor region; each core owns RedistStride bytes
	// (RD_base + SGI_base frames, 2 x 64 KiB on GICv3), in core order.
	Redist       Region
	RedistStride uint64
	// SPIs is the number of shared peripheral interrupts the
	// distributor implements; their INTIDs are 32..32+SPIs-1.
	SPIs uint32
	// MaintenanceIRQ is the PPI of the virtual CPU interface
	// maintenance interrupt (IHI 0069, 6.3.1).
	MaintenanceIRQ uint32
	// HypTimerIRQ is the EL2 physical timer PPI (CNTHP).
	HypTimerIRQ uint32
	// VirtTimerIRQ and PhysTimerIRQ are the EL1 virtual and
	// non-secure physical timer PPIs guests see.
	VirtTimerIRQ uint32
	PhysTimerIRQ uint32
}

// RedistFrame returns the redistributor frames of core index cpu.
func (g GIC) RedistFrame(cpu int) Region {
	return Region{Base: g.Redist.Base + uint64(cpu)*g.RedistStride, Size: g.RedistStride}
}

// SMMU describes an SMMUv3.
type SMMU struct {
	Regs Region
	// StreamIDBits is the width of stream IDs the SMMU accepts.
	StreamIDBits uint
}

// Hypervisor is where the hypervisor lives in physical memory, and how its
// memory is cut into per-core slots (see DESIGN.md, "Per-core hypervisor
// instances").
//
//	Base                         shared region: mailboxes, console lock, boot parameters
//	Base+SharedSize              slot 0: core 0's window (image text/rodata, its data/bss/heap/stack)
//	Base+SharedSize+1*SlotSize   slot 1: core 1's private copy of data/bss/heap/stack
//	...
//
// Every core sees its own slot at the virtual addresses of slot 0; text and
// rodata stay those of slot 0, shared and read-only.
type Hypervisor struct {
	// Memory is the RAM reserved for the hypervisor; no guest may use it.
	Memory Region
	// SharedSize is the size of the region shared by all cores, at
	// Memory.Base.
	SharedSize uint64
	// SlotSize is the size of each core's window (the Go runtime's RAM).
	SlotSize uint64
	// TextOffset is where the image's text starts inside slot 0; the
	// pages below it hold the core's translation tables.
	TextOffset uint64
	// UART is the name of the device the hypervisor's console uses.
	UART string
}

// Shared returns the region shared by all hypervisor instances.
func (h Hypervisor) Shared() Region {
	return Region{Base: h.Memory.Base, Size: h.SharedSize}
}

// Slot returns the physical memory private to core index cpu.
func (h Hypervisor) Slot(cpu int) Region {
	return Region{Base: h.Memory.Base + h.SharedSize + uint64(cpu)*h.SlotSize, Size: h.SlotSize}
}

// RAMStart is the address the Go runtime sees as the start of its RAM on
// every core (slot 0's base), and TextStart the link address of the image.
func (h Hypervisor) RAMStart() uint64  { return h.Slot(0).Base }
func (h Hypervisor) TextStart() uint64 { return h.Slot(0).Base + h.TextOffset }

// Board is a complete description of one system.
type Board struct {
	Name  string
	Model string
	CPUs  []CPU
	RAM   []Region
	// PhysAddrBits is the physical address size (ID_AA64MMFR0_EL1.PARange);
	// guest IPAs are limited to the same width.
	PhysAddrBits uint
	Devices      []Device
	GIC          GIC
	SMMU         SMMU
	// CounterFrequency is the generic counter's frequency in Hz, the
	// value the platform firmware (or QEMU) puts in CNTFRQ_EL0 (DDI
	// 0487, "The Generic Timer in AArch64 state", the system counter).
	// The firmware reads the register; this is what it should find
	// there.
	CounterFrequency uint64
	// PSCIConduit is "smc" or "hvc": how the hypervisor reaches the
	// platform firmware's PSCI.
	PSCIConduit string
	Hypervisor  Hypervisor
	// Watchdog is where a partition with a watchdog finds its virtual
	// SBSA Generic Watchdog's control and refresh frames (guest IPAs,
	// where the board has nothing a partition could be given).
	Watchdog Watchdog
	// Doorbells is the guest-physical window of a partition's channel
	// doorbells, one DoorbellFrameSize frame each (DoorbellFrame), where
	// the board has nothing a partition could be given.
	Doorbells Region
}

// DoorbellFrameSize is one channel doorbell's register frame.
const DoorbellFrameSize = 0x1000

// DoorbellFrame returns the guest-physical frame of a partition's k-th
// channel doorbell (counting, in config order, the channels with a
// doorbell it is a member of) in the board's doorbell window; ok is false
// beyond the window.
func (b *Board) DoorbellFrame(k int) (frame Region, ok bool) {
	frame = Region{Base: b.Doorbells.Base + uint64(k)*DoorbellFrameSize, Size: DoorbellFrameSize}
	return frame, k >= 0 && b.Doorbells.Contains(frame)
}

// Watchdog is the guest-physical place of a virtual SBSA Generic Watchdog.
type Watchdog struct {
	Control Region
	Refresh Region
}

// Device returns the device with the given name.
func (b *Board) Device(name string) (Device, bool) {
	for _, d := range b.Devices {
		if d.Name == name {
			return d, true
		}
	}
	return Device{}, false
}

// CPUByMPIDR returns the core whose affinity matches mpidr (the MPIDR_EL1
// value with its non-affinity bits ignored).
func (b *Board) CPUByMPIDR(mpidr uint64) (CPU, bool) {
	const affinityMask = 0xff_0000_0000 | 0xff_ffff // Aff3, Aff2..Aff0
	for _, c := range b.CPUs {
		if c.MPIDR&affinityMask == mpidr&affinityMask {
			return c, true
		}
	}
	return CPU{}, false
}

var registry = map[string]*Board{}

// Register makes a board known by its name; board packages call it from init.
func Register(b *Board) {
	if _, dup := registry[b.Name]; dup {
		panic("board: " + b.Name + " registered twice")
	}
	registry[b.Name] = b
}

// Lookup returns the board registered under name.
func Lookup(name string) (*Board, error) {
	if b, ok := registry[name]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("unknown board %q; known boards: %v", name, Names())
}

// Names lists the registered boards, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
