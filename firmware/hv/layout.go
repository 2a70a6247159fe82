// Package hv is the hypervisor that runs on every core: boot, the per-core
// instance's memory layout, the console shared between cores, exception
// reports and the safe state.
//
// Each physical core runs its own single-threaded Go runtime from the same
// image. Text and rodata are shared and read-only; everything the runtime
// writes (data, bss, heap, stacks) sits at the same virtual addresses on
// every core, but each core's own stage-1 tables send those addresses to the
// core's private slot of physical memory. A small region shared by all cores
// holds boot parameters, per-core state and the console lock.
//
// Files built for the target carry `//go:build tamago && arm64`; the rest is
// plain Go that host tests exercise.
package hv

import (
	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/mmu"
	"github.com/tamavisor/tamavisor/partition/table"
)

// Image holds the link-time bounds of the running image, in virtual (= slot
// 0 physical) addresses. The Go linker lays the image out as text, then
// read-only data, then writable data (noptrdata, data, bss, noptrbss), each
// segment page aligned (-R 0x1000).
type Image struct {
	TextStart uint64 // runtime.text
	TextEnd   uint64 // runtime.etext
	DataStart uint64 // first writable byte (runtime.noptrdata)
	DataEnd   uint64 // end of initialized data (runtime.edata)
	End       uint64 // end of bss and noptrbss (runtime.end)
}

// MaxLayoutRegions bounds a core's layout; a fixed array keeps the layout
// free of allocation for code that runs before the Go heap exists.
const MaxLayoutRegions = 16

// Layout is one core's EL2 stage-1 memory map.
type Layout struct {
	regions  [MaxLayoutRegions]mmu.Region
	n        int
	overflow bool
}

// Regions returns the layout's regions.
func (l *Layout) Regions() []mmu.Region { return l.regions[:l.n] }

// Overflowed reports that the layout had more regions than it holds: such
// a layout must not be mapped.
func (l *Layout) Overflowed() bool { return l.overflow }

func (l *Layout) add(r mmu.Region) {
	if l.n == len(l.regions) {
		l.overflow = true
		return
	}
	l.regions[l.n] = r
	l.n++
}

// VABits is the size of the hypervisor's virtual address space: 39 bits
// start the walk at level 1 and cover every device of the boards we know.
const VABits = 39

// CoreLayout returns the memory map of core index core: text executable and
// read-only, rodata read-only, the private window (data, bss, heap, stacks)
// read-write at the virtual addresses of slot 0 backed by the core's own
// slot, the shared region, the console UART, the image's payload (the
// partition table and guest images) read-only when it has one, and the RAM
// of the partition that runs on this core, which the hypervisor loads and
// wipes. Nothing else is mapped: not the other cores' slots, not the page
// tables, not other partitions' memory.
func CoreLayout(h board.Hypervisor, img Image, core int, dev Devices, payload board.Region, partitionRAM []table.RAMRegion) Layout {
	var l Layout
	slot := h.Slot(core)
	ramStart := h.RAMStart()
	textEnd := alignUp(img.TextEnd, mmu.PageSize)
	l.add(mmu.Region{Name: "text", VA: img.TextStart, PA: img.TextStart, Size: textEnd - img.TextStart, Attr: mmu.Text})
	l.add(mmu.Region{Name: "rodata", VA: textEnd, PA: textEnd, Size: img.DataStart - textEnd, Attr: mmu.ROData})
	privateVA := img.DataStart
	l.add(mmu.Region{Name: "private", VA: privateVA, PA: slot.Base + (privateVA - ramStart),
		Size: ramStart + h.SlotSize - privateVA, Attr: mmu.RWData})
	shared := h.Shared()
	l.add(mmu.Region{Name: "shared", VA: shared.Base, PA: shared.Base, Size: shared.Size, Attr: mmu.RWData})
	l.add(mmu.Region{Name: "uart", VA: dev.UART.Base, PA: dev.UART.Base, Size: alignUp(dev.UART.Size, mmu.PageSize), Attr: mmu.MMIO})
	if dev.GICD.Size > 0 {
		l.add(mmu.Region{Name: "gicd", VA: dev.GICD.Base, PA: dev.GICD.Base, Size: dev.GICD.Size, Attr: mmu.MMIO})
	}
	if dev.SMMU.Size > 0 {
		l.add(mmu.Region{Name: "smmu", VA: dev.SMMU.Base, PA: dev.SMMU.Base, Size: dev.SMMU.Size, Attr: mmu.MMIO})
	}
	if gicr := dev.GICRFrame(core); gicr.Size > 0 {
		l.add(mmu.Region{Name: "gicr", VA: gicr.Base, PA: gicr.Base, Size: gicr.Size, Attr: mmu.MMIO})
	}
	if payload.Size > 0 {
		l.add(mmu.Region{Name: "payload", VA: payload.Base, PA: payload.Base, Size: alignUp(payload.Size, mmu.PageSize), Attr: mmu.ROData})
	}
	for _, r := range partitionRAM {
		if r.CPUMask&(1<<core) != 0 {
			l.add(mmu.Region{Name: "partition RAM", VA: r.PhysBase, PA: r.PhysBase, Size: r.Size, Attr: mmu.RWData})
		}
	}
	return l
}

// PayloadSpan returns how much memory the payload at the end of the
// hypervisor's memory occupies, judged from the partition table header's
// total and payload lengths (little-endian at offsets 0x10 and 0x18): the
// table, its signature block, padding to 4 KiB, the guest images. It is bounded by limit (the
// end of RAM) so that a corrupt header cannot make the hypervisor map
// memory that is not there; the full table check comes later, with the
// runtime up.
func PayloadSpan(tableLength, payloadLength, limit uint64) uint64 {
	const maxLength = 1 << 40
	if tableLength > maxLength || payloadLength > maxLength {
		return alignUp(min(limit, mmu.PageSize), mmu.PageSize)
	}
	span := table.PayloadOffset(tableLength) + alignUp(payloadLength, mmu.PageSize)
	if span == 0 {
		span = mmu.PageSize
	}
	return min(span, limit&^(mmu.PageSize-1))
}

// Devices are the hypervisor's own devices: its console UART, the GIC
// (distributor, and the redistributor region whose frames, RedistStride
// each, belong to the cores in order) and the SMMU's registers. A core maps
// the distributor and its own redistributor frames only; every core maps
// the SMMU, which whichever core starts or stops a partition drives.
type Devices struct {
	UART         board.Region
	SMMU         board.Region
	GICD         board.Region
	GICR         board.Region
	RedistStride uint64
}

// GICRFrame is core's redistributor (RD_base and SGI_base frames).
func (d Devices) GICRFrame(core int) board.Region {
	if d.RedistStride == 0 {
		return board.Region{}
	}
	return board.Region{Base: d.GICR.Base + uint64(core)*d.RedistStride, Size: d.RedistStride}
}

// TablePool returns the physical range of core's translation-table pages:
// the part of its slot below the text offset, which no core maps. The page
// right below the text holds the image's ELF headers in slot 0 and the
// slot's first page stays unused, so neither holds tables.
func TablePool(h board.Hypervisor, core int) (base, end uint64) {
	slot := h.Slot(core)
	return slot.Base + mmu.PageSize, slot.Base + h.TextOffset - mmu.PageSize
}

// PrivatePA translates a private-window virtual address of core to the
// physical address behind it.
func PrivatePA(h board.Hypervisor, core int, va uint64) uint64 {
	return h.Slot(core).Base + (va - h.RAMStart())
}

func alignUp(v, align uint64) uint64 { return (v + align - 1) &^ (align - 1) }

// BootTable is the page of the boot identity map (mmu.BootMap) that the
// boot core's entry code writes and runs on until it has built every core's
// tables: the first page after the last core slot, which no core's tables
// map.
func BootTable(h board.Hypervisor, cores int) uint64 {
	return h.Slot(cores - 1).End()
}
