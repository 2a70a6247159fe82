package image

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// The arm64 Image header (Linux, Documentation/arch/arm64/booting.rst,
// "Call the kernel image"): 64 bytes at the start of the file.
const (
	Arm64HeaderSize       = 64
	Arm64Code0Offset      = 0x00 // u32: executable code, a branch to the entry
	Arm64Code1Offset      = 0x04 // u32: executable code
	Arm64TextOffsetOffset = 0x08 // u64: load offset from a 2 MiB-aligned base of RAM
	Arm64ImageSizeOffset  = 0x10 // u64: effective image size, from the load address
	Arm64FlagsOffset      = 0x18 // u64: flags
	Arm64MagicOffset      = 0x38 // u32: "ARM\x64"
	Arm64Magic            = "ARM\x64"

	// Flags: bit 0 clear, little-endian; bits 1-2 = 1, 4 KiB pages;
	// bit 3 clear: the 2 MiB-aligned base is the base of RAM. Set, it
	// would be wherever the loader put the file: U-Boot's booti then
	// runs the image at ALIGN_DOWN(load address, 2 MiB) + text_offset,
	// which for a hypervisor linked at one address is wrong unless the
	// file happens to be loaded there. Clear, booti moves it to the
	// first bank of RAM + text_offset, where QEMU's -kernel puts it too.
	Arm64FlagsLE4KBase = 1 << 1

	// arm64ImageBaseAlign is the alignment of the base text_offset
	// counts from.
	arm64ImageBaseAlign = 2 << 20
	// arm64MinTextOffset is the least text_offset QEMU's -kernel honours
	// as given: below it QEMU adds 2 MiB, since its own boot stub lives
	// at the base of RAM (hw/arm/boot.c, BOOTLOADER_MAX_SIZE).
	arm64MinTextOffset = 4 << 10

	aarch64B   = 0x1400_0000 // B <label>, imm26 in words (DDI 0487, C6.2 B)
	aarch64NOP = 0xd503_201f
)

// Arm64Image returns the image elfBytes (as Compose returns it, or a
// hypervisor alone) as an arm64 Image: one flat file from its lowest
// PT_LOAD segment to the end of its highest, zeros between and for every
// segment's bss, with the Linux boot protocol header in its first 64
// bytes. QEMU's -kernel and U-Boot's booti load such a file at
// ramBase + text_offset and enter it at its first byte at EL2 (x0 = the
// device tree's address), where the header's branch goes to the ELF's
// entry point.
//
// The first PT_LOAD segment must start with the hypervisor's ELF header
// (the Go linker loads it a page below the text), which nothing executes
// and the Image header replaces. Arm64Image refuses an ELF whose segments' physical and virtual
// addresses differ, that overlap, whose first segment does not begin at
// the ELF header, lies below ramBase + 4 KiB, or whose entry point the
// header's branch cannot reach; and a ramBase that is not 2 MiB aligned.
func Arm64Image(elfBytes []byte, ramBase uint64) ([]byte, error) {
	exe, err := readExecutable(elfBytes)
	if err != nil {
		return nil, err
	}
	if ramBase%arm64ImageBaseAlign != 0 {
		return nil, fmt.Errorf("RAM base %#x is not 2 MiB aligned: an arm64 Image's text_offset counts from a 2 MiB-aligned base", ramBase)
	}
	loads := append([]loadSegment(nil), exe.loads...)
	sort.Slice(loads, func(i, j int) bool { return loads[i].Paddr < loads[j].Paddr })
	for i, s := range loads {
		if s.Paddr != s.Vaddr {
			return nil, fmt.Errorf("%s: physical address %#x differs from its virtual address; an Image is loaded and entered at one address", s.label(), s.Paddr)
		}
		if i > 0 && loads[i-1].Memory().Overlaps(s.Memory()) {
			return nil, fmt.Errorf("%s overlaps %s", s.label(), loads[i-1].label())
		}
	}
	first := loads[0]
	if first.Filesz < Arm64HeaderSize || string(first.data[:len(elf.ELFMAG)]) != elf.ELFMAG {
		return nil, fmt.Errorf("%s does not start with the hypervisor's ELF header: the Image header would replace loaded bytes; link as make firmware does", first.label())
	}
	start := first.Paddr
	if start < ramBase+arm64MinTextOffset {
		return nil, fmt.Errorf("%s starts at %#x, below RAM base %#x + %#x: QEMU would load the Image 2 MiB higher", first.label(), start, ramBase, arm64MinTextOffset)
	}
	end := start
	for _, s := range loads {
		end = max(end, s.Memory().End())
	}
	if exe.entry < start+Arm64HeaderSize || exe.entry-start >= 1<<27 || exe.entry%4 != 0 {
		return nil, fmt.Errorf("entry point %#x is out of reach of a branch at the Image's start %#x", exe.entry, start)
	}
	if end-start > 1<<32 {
		return nil, errors.New("the segments span more than 4 GiB: too large for an Image")
	}

	img := make([]byte, end-start)
	for _, s := range loads {
		copy(img[s.Paddr-start:], s.data)
	}
	h := img[:Arm64HeaderSize]
	clear(h)
	binary.LittleEndian.PutUint32(h[Arm64Code0Offset:], aarch64B|uint32((exe.entry-start)/4))
	binary.LittleEndian.PutUint32(h[Arm64Code1Offset:], aarch64NOP)
	binary.LittleEndian.PutUint64(h[Arm64TextOffsetOffset:], start-ramBase)
	binary.LittleEndian.PutUint64(h[Arm64ImageSizeOffset:], end-start)
	binary.LittleEndian.PutUint64(h[Arm64FlagsOffset:], Arm64FlagsLE4KBase)
	copy(h[Arm64MagicOffset:], Arm64Magic)
	return img, nil
}
