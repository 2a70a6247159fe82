package el1

import (
	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/mmu"
)

// VABits is the size of the guest's virtual address space: 39 bits start
// the walk at level 1 and cover every address a qemu-virt partition has.
const VABits = 39

// ExceptionStackSize is the top of the runtime's RAM that only the
// exception vectors use (runtime/goos.RamStackOffset): the Go runtime's g0
// stack starts below it, so an exception never runs on a goroutine's stack.
const ExceptionStackSize = 0x1_0000

// MinimumHeap is the least memory a program must leave between the end of
// its bss and its stacks for the Go heap.
const MinimumHeap = 4 << 20

// Image holds the link-time bounds of the running program. The Go linker
// lays it out as text, read-only data, then writable data (noptrdata, data,
// bss, noptrbss), each segment page aligned (-R 0x1000), with the ELF
// headers in the page below the text.
type Image struct {
	TextStart uint64 // runtime.text, the -T address
	TextEnd   uint64 // runtime.etext
	DataStart uint64 // runtime.noptrdata: the first writable symbol
	End       uint64 // runtime.end: the end of bss and noptrbss
}

// ImageError says why a program's link addresses do not fit its RAM. Its
// values are constants: Hwinit0 reports them before the Go runtime, and so
// before any package initializer, has run.
type ImageError string

func (e ImageError) Error() string { return string(e) }

// Problems Layout.Build finds.
const (
	ErrTextOutsideRAM ImageError = "the program's text is not inside its RAM: link it with -T inside the partition's memory (the Makefile's guest-elfs targets)"
	ErrTextMisaligned ImageError = "the program's text is not page aligned: link it with -T at a 4 KiB boundary and -R 0x1000"
	ErrNoTablePool    ImageError = "no room for translation tables below the text: link the text at least 4 pages above the RAM start"
	ErrImageTooLarge  ImageError = "the program leaves less than 4 MiB of its RAM for heap and stacks: give the partition more memory"
	ErrImageOrder     ImageError = "the program's segments are not in the order text, rodata, data: build it with the TamaGo linker flags of the Makefile"
)

// MaxLayoutRegions bounds the layout; a fixed array keeps it free of
// allocation for Hwinit0, which runs before the Go heap exists.
const MaxLayoutRegions = 5

// Layout is the guest's initial EL1&0 stage-1 memory map.
type Layout struct {
	regions [MaxLayoutRegions]mmu.Region
	n       int
}

// Regions returns the layout's regions.
func (l *Layout) Regions() []mmu.Region { return l.regions[:l.n] }

func (l *Layout) add(r mmu.Region) {
	if l.n < len(l.regions) && r.Size > 0 {
		l.regions[l.n] = r
		l.n++
	}
}

// BootMapPage is where cpuinit writes the boot identity map
// (mmu.BootMap) it runs on until Hwinit0 has built the guest's tables: the
// RAM's first page, which the guest's own tables leave unmapped.
func BootMapPage(ram board.Region) uint64 { return ram.Base }

// TablePool returns the physical range that holds the guest's translation
// tables: from the page after the boot map up to the page of ELF headers
// below the text.
func TablePool(img Image, ram board.Region) (base, end uint64) {
	return ram.Base + mmu.PageSize, img.TextStart - mmu.PageSize
}

// Build makes l the identity map a guest starts with: its table pool
// read-write (Map adds entries there with the MMU on), text executable and read-only, rodata read-only, everything
// from the writable data to the end of its RAM (data, bss, heap, stacks)
// read-write and never executable, and the console UART's page as device
// memory. Page 0 and everything else stay unmapped. It writes l in place
// and allocates nothing: Hwinit0 calls it with the MMU off.
func (l *Layout) Build(img Image, ram board.Region, uart uint64) error {
	l.n = 0
	switch {
	case img.TextStart%mmu.PageSize != 0:
		return ErrTextMisaligned
	case img.TextStart < ram.Base || img.TextStart >= ram.End():
		return ErrTextOutsideRAM
	case img.TextStart-ram.Base < 4*mmu.PageSize:
		// The boot map, at least two pages of tables and one of ELF
		// headers.
		return ErrNoTablePool
	case img.TextEnd < img.TextStart || img.DataStart < img.TextEnd || img.End < img.DataStart:
		return ErrImageOrder
	case img.End > ram.End() || ram.End()-img.End < MinimumHeap+ExceptionStackSize:
		return ErrImageTooLarge
	}
	poolBase, poolEnd := TablePool(img, ram)
	textEnd := alignUp(img.TextEnd, mmu.PageSize)
	dataStart := img.DataStart &^ (mmu.PageSize - 1)
	if dataStart < textEnd {
		return ErrImageOrder
	}
	l.add(mmu.Region{Name: "tables", VA: poolBase, PA: poolBase, Size: poolEnd - poolBase, Attr: mmu.RWData})
	l.add(mmu.Region{Name: "text", VA: img.TextStart, PA: img.TextStart, Size: textEnd - img.TextStart, Attr: mmu.Text})
	l.add(mmu.Region{Name: "rodata", VA: textEnd, PA: textEnd, Size: dataStart - textEnd, Attr: mmu.ROData})
	l.add(mmu.Region{Name: "data", VA: dataStart, PA: dataStart, Size: ram.End() - dataStart, Attr: mmu.RWData})
	uartPage := uart &^ (mmu.PageSize - 1)
	l.add(mmu.Region{Name: "console", VA: uartPage, PA: uartPage, Size: mmu.PageSize, Attr: mmu.MMIO})
	return nil
}

// Pages returns the page-aligned range [base, end) that covers size bytes
// at addr.
func Pages(addr, size uint64) (base, end uint64) {
	return addr &^ (mmu.PageSize - 1), alignUp(addr+size, mmu.PageSize)
}

func alignUp(v, align uint64) uint64 { return (v + align - 1) &^ (align - 1) }
