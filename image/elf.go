package image

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/tamavisor/tamavisor/board"
)

const (
	// PageSize is the 4 KiB translation granule (Arm ARM DDI 0487, D8.2)
	// the firmware maps the payload with. The payload segment starts on
	// it, the payload inside the segment starts on it, and every
	// segment's file offset is congruent to its address modulo at least
	// it.
	PageSize = 0x1000

	// SectionName names the payload segment's section.
	SectionName = ".tamavisor"

	// maxSegmentAlign bounds the p_align an image keeps: it pads the file
	// up to that much before each segment.
	maxSegmentAlign = 2 << 20
)

// Segment is one PT_LOAD segment (System V ABI, "Program Header"): Filesz
// bytes from the file at Paddr (Vaddr in the hypervisor's own address
// space), zeros up to Memsz.
type Segment struct {
	Vaddr  uint64
	Paddr  uint64
	Filesz uint64
	Memsz  uint64
	Flags  elf.ProgFlag
}

// Memory returns the physical range the segment fills once loaded.
func (s Segment) Memory() board.Region { return board.Region{Base: s.Paddr, Size: s.Memsz} }

// virtual returns the virtual range the segment fills once loaded.
func (s Segment) virtual() board.Region { return board.Region{Base: s.Vaddr, Size: s.Memsz} }

// Permissions returns the segment's flags as "rwx", with "-" for each one
// missing.
func (s Segment) Permissions() string {
	p := []byte("---")
	if s.Flags&elf.PF_R != 0 {
		p[0] = 'r'
	}
	if s.Flags&elf.PF_W != 0 {
		p[1] = 'w'
	}
	if s.Flags&elf.PF_X != 0 {
		p[2] = 'x'
	}
	return string(p)
}

// loadSegment is a PT_LOAD segment as read from an ELF file.
type loadSegment struct {
	Segment
	// header is the index of the segment's program header, as readelf -l
	// numbers them.
	header int
	offset uint64
	align  uint64
	// data is the segment's Filesz file bytes, a slice of the file.
	data []byte
}

func (s *loadSegment) label() string {
	return fmt.Sprintf("program header %d (PT_LOAD %v, %s)", s.header, s.virtual(), s.Permissions())
}

// executable is what an image needs of an ELF file: the header fields it
// keeps, the PT_LOAD segments, and the payload section if there is one.
type executable struct {
	entry          uint64
	osABI          elf.OSABI
	abiVersion     uint8
	loads          []loadSegment
	payloadSection *elf.SectionHeader
}

// readExecutable checks that b is an ELF64 little-endian AArch64
// executable whose PT_LOAD segments lie inside the file and whose entry
// point is in one of them, executable. The segments' data are slices of b.
func readExecutable(b []byte) (*executable, error) {
	// The identification bytes are checked by hand first: debug/elf
	// would read a big-endian or 32-bit file's header with other field
	// sizes and fail with a less useful message.
	if len(b) < elf.EI_NIDENT || string(b[:len(elf.ELFMAG)]) != elf.ELFMAG {
		return nil, errors.New("not an ELF file: it does not start with \\x7fELF")
	}
	if class := elf.Class(b[elf.EI_CLASS]); class != elf.ELFCLASS64 {
		return nil, fmt.Errorf("ELF class %v, want ELFCLASS64: Tamavisor runs 64-bit AArch64 code", class)
	}
	if data := elf.Data(b[elf.EI_DATA]); data != elf.ELFDATA2LSB {
		return nil, fmt.Errorf("ELF data encoding %v, want ELFDATA2LSB: AArch64 firmware is little-endian", data)
	}
	if len(b) < ehdrSize {
		return nil, fmt.Errorf("truncated: %d bytes, an ELF64 header alone is %d", len(b), ehdrSize)
	}
	f, err := elf.NewFile(bytes.NewReader(b))
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("truncated: its headers run past the end of the %#x-byte file", len(b))
	}
	if err != nil {
		return nil, fmt.Errorf("malformed ELF file: %v", err)
	}
	if f.Machine != elf.EM_AARCH64 {
		return nil, fmt.Errorf("ELF machine %v, want EM_AARCH64", f.Machine)
	}
	if f.Type != elf.ET_EXEC {
		return nil, fmt.Errorf("ELF type %v, want ET_EXEC: only an executable is loaded at fixed addresses", f.Type)
	}

	exe := &executable{entry: f.Entry, osABI: f.OSABI, abiVersion: f.ABIVersion}
	for i, p := range f.Progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		s := loadSegment{
			Segment: Segment{Vaddr: p.Vaddr, Paddr: p.Paddr, Filesz: p.Filesz, Memsz: p.Memsz, Flags: p.Flags},
			header:  i,
			offset:  p.Off,
			align:   p.Align,
		}
		switch {
		case p.Filesz > p.Memsz:
			return nil, fmt.Errorf("%s: file size %#x exceeds memory size %#x", s.label(), p.Filesz, p.Memsz)
		case p.Off > uint64(len(b)) || p.Filesz > uint64(len(b))-p.Off:
			return nil, fmt.Errorf("%s: file bytes %#x+%#x run past the end of the %#x-byte file; the file is truncated", s.label(), p.Off, p.Filesz, len(b))
		case p.Memsz > math.MaxUint64-p.Vaddr || p.Memsz > math.MaxUint64-p.Paddr:
			return nil, fmt.Errorf("%s: wraps past the top of the address space", s.label())
		case p.Align > 1 && p.Align&(p.Align-1) != 0:
			return nil, fmt.Errorf("%s: alignment %#x is not a power of two", s.label(), p.Align)
		case p.Align > maxSegmentAlign:
			return nil, fmt.Errorf("%s: alignment %#x is above the %#x an image pads segments to; link with -R 0x1000, as make firmware does", s.label(), p.Align, maxSegmentAlign)
		}
		s.data = b[p.Off : p.Off+p.Filesz : p.Off+p.Filesz]
		exe.loads = append(exe.loads, s)
	}
	if len(exe.loads) == 0 {
		return nil, errors.New("no PT_LOAD segments: nothing to load")
	}
	if !exe.entryInCode() {
		return nil, fmt.Errorf("entry point %#x lies in no executable PT_LOAD segment; the file cannot boot", exe.entry)
	}
	if sec := f.Section(SectionName); sec != nil {
		exe.payloadSection = &sec.SectionHeader
	}
	return exe, nil
}

// entryInCode reports whether the entry point lies in the file bytes of
// an executable PT_LOAD segment.
func (e *executable) entryInCode() bool {
	for _, s := range e.loads {
		if s.Flags&elf.PF_X != 0 && e.entry >= s.Vaddr && e.entry-s.Vaddr < s.Filesz {
			return true
		}
	}
	return false
}

func alignUp(v, align uint64) uint64 { return (v + align - 1) &^ (align - 1) }
