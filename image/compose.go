package image

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/partition/table"
)

// maxHypervisorSegments bounds the segments an image copies from the
// hypervisor, and with maxSegmentAlign the padding between them; the Go
// linker emits three.
const maxHypervisorSegments = 16

// PayloadBase returns the physical address of the payload segment on board
// b: the first byte after the hypervisor's memory, where the firmware
// looks for the partition table.
func PayloadBase(b *board.Board) uint64 { return b.Hypervisor.Memory.End() }

// PayloadOffset returns where the payload starts inside the payload
// segment, after a partition table of tableLength bytes and the room for
// its signature (table.PayloadOffset).
func PayloadOffset(tableLength uint64) uint64 { return table.PayloadOffset(tableLength) }

// Compose returns the image that boots hypervisorELF (the firmware as
// make firmware links it) with the partition table tbl (exactly the bytes
// table.Encode returned) and payload (the guest images tbl's image records
// index), placing the payload segment at physical address base, which is
// PayloadBase of the table's board.
//
// Compose refuses: a hypervisor that is not an AArch64 ELF64 executable,
// whose PT_LOAD segments differ in virtual and physical address, or that is
// already an image; a table that does not decode or has bytes after its
// end; a payload whose length is not the table's payload size; an image
// record whose bytes lie outside the payload or do not match its SHA-256;
// a base that is not 4 KiB aligned; and a hypervisor segment that overlaps
// the payload segment.
func Compose(hypervisorELF, tbl, payload []byte, base uint64) ([]byte, error) {
	return ComposeSigned(hypervisorELF, tbl, payload, base, "")
}

// ComposeSigned is Compose with signature, a minisign signature file over
// tbl, in the payload segment's signature block ("" leaves it zero).
// Whether it verifies is the signer's business and the firmware's check.
func ComposeSigned(hypervisorELF, tbl, payload []byte, base uint64, signature string) ([]byte, error) {
	hv, err := readExecutable(hypervisorELF)
	if err != nil {
		return nil, fmt.Errorf("hypervisor ELF: %w", err)
	}
	if hv.payloadSection != nil {
		return nil, fmt.Errorf("hypervisor ELF: has a %s section, so it is already an image; pass the hypervisor that make firmware builds (build/tamavisor.elf)", SectionName)
	}
	if len(hv.loads) > maxHypervisorSegments {
		return nil, fmt.Errorf("hypervisor ELF: %d PT_LOAD segments, an image holds at most %d; link the hypervisor as make firmware does", len(hv.loads), maxHypervisorSegments)
	}
	for i := range hv.loads {
		if s := &hv.loads[i]; s.Vaddr != s.Paddr {
			// bootelf loads segments at their physical address, bootelf -s
			// sections at their (virtual) address: the two must agree.
			return nil, fmt.Errorf("hypervisor ELF: %s: physical address %#x differs from its virtual address; link the hypervisor at identical addresses, as make firmware does", s.label(), s.Paddr)
		}
	}
	if err := checkTableAndPayload(tbl, payload); err != nil {
		return nil, err
	}
	size := PayloadOffset(uint64(len(tbl))) + uint64(len(payload))
	if base%PageSize != 0 {
		return nil, fmt.Errorf("payload base %#x is not 4 KiB aligned; place it at PayloadBase of the board", base)
	}
	if size > math.MaxUint64-base {
		return nil, fmt.Errorf("payload segment %#x+%#x wraps past the top of the address space; place it at PayloadBase of the board", base, size)
	}
	segment := board.Region{Base: base, Size: size}
	for i := range hv.loads {
		if s := &hv.loads[i]; s.Memory().Overlaps(segment) {
			return nil, fmt.Errorf("hypervisor ELF: %s overlaps the payload segment %v; the hypervisor must end below %#x, the end of the board's hypervisor memory", s.label(), segment, base)
		}
	}

	data := make([]byte, size)
	copy(data, tbl)
	if signature != "" {
		block, err := table.SignatureBlock(signature)
		if err != nil {
			return nil, err
		}
		copy(data[table.SignatureOffset(uint64(len(tbl))):], block)
	}
	copy(data[PayloadOffset(uint64(len(tbl))):], payload)
	segments := append(hv.loads[:len(hv.loads):len(hv.loads)], loadSegment{
		Segment: Segment{Vaddr: base, Paddr: base, Filesz: size, Memsz: size, Flags: elf.PF_R},
		align:   PageSize,
		data:    data,
	})
	return write(hv, segments), nil
}

// checkTableAndPayload checks that tbl is one whole, well-formed table and
// that payload holds exactly the images it describes.
func checkTableAndPayload(tbl, payload []byte) error {
	v, err := table.Decode(tbl)
	if err != nil {
		return err // Decode's errors start with "partition table:"
	}
	if len(tbl) != v.Len() {
		return fmt.Errorf("partition table: %#x bytes given, but its header says the table is %#x; pass exactly the bytes table.Encode returned", len(tbl), v.Len())
	}
	if uint64(len(payload)) != v.PayloadSize() {
		return fmt.Errorf("payload: %#x bytes, but the partition table's payload size is %#x; build the table and the payload from the same config", len(payload), v.PayloadSize())
	}
	for i := range v.NumImages() {
		if err := verifyImage(v, i, payload); err != nil {
			return fmt.Errorf("partition table: %w", err)
		}
	}
	return nil
}

// verifyImage checks image record i of v against its bytes in payload.
func verifyImage(v table.View, i int, payload []byte) error {
	m := v.Image(i)
	label := fmt.Sprintf("image %d (%s of partition %q)", i, m.Kind, v.Partition(int(m.Partition)).Name)
	if m.Offset > uint64(len(payload)) || m.Size > uint64(len(payload))-m.Offset {
		return fmt.Errorf("%s: payload bytes %#x+%#x lie outside the %#x-byte payload; the table and the payload do not belong together", label, m.Offset, m.Size, len(payload))
	}
	if err := m.Verify(payload[m.Offset : m.Offset+m.Size]); err != nil {
		return fmt.Errorf("%s: %w", label, err)
	}
	return nil
}

// Sizes of ELF64 headers (System V ABI, "ELF Header", "Program Header",
// "Sections"), as encoding/binary writes elf.Header64, elf.Prog64 and
// elf.Section64.
const (
	ehdrSize = 64
	phdrSize = 56
	shdrSize = 64
)

// write lays out and returns the image file holding segments, in order:
// ELF header, program headers, each segment's file bytes at an offset
// congruent to its address, the section name table, section headers.
func write(hv *executable, segments []loadSegment) []byte {
	offsets := make([]uint64, len(segments))
	end := uint64(ehdrSize + len(segments)*phdrSize)
	for i, s := range segments {
		offsets[i] = placeAt(end, s.Vaddr, max(s.align, PageSize))
		end = offsets[i] + s.Filesz
	}
	names := sectionNames.bytes
	namesOffset := end
	sections := append(sectionHeaders(segments, offsets), elf.Section64{
		Name: sectionNames.offsets[".shstrtab"], Type: uint32(elf.SHT_STRTAB),
		Off: namesOffset, Size: uint64(len(names)), Addralign: 1,
	})
	sectionsOffset := alignUp(namesOffset+uint64(len(names)), 8)

	out := make([]byte, sectionsOffset+uint64(len(sections))*shdrSize)
	header := elf.Header64{
		Type:      uint16(elf.ET_EXEC),
		Machine:   uint16(elf.EM_AARCH64),
		Version:   uint32(elf.EV_CURRENT),
		Entry:     hv.entry,
		Phoff:     ehdrSize,
		Shoff:     sectionsOffset,
		Ehsize:    ehdrSize,
		Phentsize: phdrSize,
		Phnum:     uint16(len(segments)),
		Shentsize: shdrSize,
		Shnum:     uint16(len(sections)),
		Shstrndx:  uint16(len(sections) - 1),
	}
	copy(header.Ident[:], elf.ELFMAG)
	header.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	header.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	header.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	header.Ident[elf.EI_OSABI] = byte(hv.osABI)
	header.Ident[elf.EI_ABIVERSION] = hv.abiVersion
	put(out, &header)
	for i, s := range segments {
		put(out[ehdrSize+i*phdrSize:], &elf.Prog64{
			Type: uint32(elf.PT_LOAD), Flags: uint32(s.Flags), Off: offsets[i],
			Vaddr: s.Vaddr, Paddr: s.Paddr, Filesz: s.Filesz, Memsz: s.Memsz, Align: s.align,
		})
		copy(out[offsets[i]:], s.data)
	}
	copy(out[namesOffset:], names)
	for i := range sections {
		put(out[sectionsOffset+uint64(i)*shdrSize:], &sections[i])
	}
	return out
}

// placeAt returns the first file offset at or after from that is congruent
// to addr modulo align, a power of two.
func placeAt(from, addr, align uint64) uint64 {
	offset := from&^(align-1) | addr&(align-1)
	if offset < from {
		offset += align
	}
	return offset
}

// sectionNames is the image's section name table (.shstrtab): every name
// its sections use, each NUL-terminated, after the empty name at 0.
var sectionNames = newNameTable(".text", ".rodata", ".data", ".bss", SectionName, ".shstrtab")

type nameTable struct {
	bytes   []byte
	offsets map[string]uint32
}

func newNameTable(names ...string) nameTable {
	t := nameTable{bytes: []byte{0}, offsets: map[string]uint32{}}
	for _, name := range names {
		t.offsets[name] = uint32(len(t.bytes))
		t.bytes = append(append(t.bytes, name...), 0)
	}
	return t
}

// sectionHeaders returns the null section and the sections describing
// segments, the last of which is the payload segment (see the package
// comment). The caller appends .shstrtab.
func sectionHeaders(segments []loadSegment, offsets []uint64) []elf.Section64 {
	sections := []elf.Section64{{}} // index 0 is SHN_UNDEF
	payload := len(segments) - 1
	for i, s := range segments {
		flags := elf.SHF_ALLOC
		name := ".rodata"
		switch {
		case i == payload:
			name = SectionName
		case s.Flags&elf.PF_X != 0:
			name = ".text"
			flags |= elf.SHF_EXECINSTR
		case s.Flags&elf.PF_W != 0:
			name = ".data"
		}
		if s.Flags&elf.PF_W != 0 {
			flags |= elf.SHF_WRITE
		}
		align := max(s.align, 1)
		if s.Filesz > 0 {
			sections = append(sections, elf.Section64{
				Name: sectionNames.offsets[name], Type: uint32(elf.SHT_PROGBITS), Flags: uint64(flags),
				Addr: s.Vaddr, Off: offsets[i], Size: s.Filesz, Addralign: addressAlignment(s.Vaddr, align),
			})
		}
		if s.Memsz > s.Filesz {
			bss := s.Vaddr + s.Filesz
			sections = append(sections, elf.Section64{
				Name: sectionNames.offsets[".bss"], Type: uint32(elf.SHT_NOBITS), Flags: uint64(flags),
				Addr: bss, Off: offsets[i] + s.Filesz, Size: s.Memsz - s.Filesz, Addralign: addressAlignment(bss, align),
			})
		}
	}
	return sections
}

// addressAlignment returns the largest power of two, at most limit, that
// addr is a multiple of: the sh_addralign a section at addr can claim.
func addressAlignment(addr, limit uint64) uint64 {
	align := uint64(1)
	for align < limit && addr&(align<<1-1) == 0 {
		align <<= 1
	}
	return align
}

// put writes the fixed-size ELF structure v at the start of b, which the
// layout computed in write made large enough.
func put(b []byte, v any) {
	if _, err := binary.Encode(b, binary.LittleEndian, v); err != nil {
		panic(errors.New("image: writing ELF structure: " + err.Error()))
	}
}
