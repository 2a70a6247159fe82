package partition

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/tamavisor/tamavisor/board/qemuvirt"
)

// linuxImage returns an arm64 Linux Image of fileSize bytes whose header
// (booting.rst) declares textOffset and imageSize.
func linuxImage(textOffset, imageSize uint64, fileSize int) []byte {
	b := make([]byte, max(fileSize, linuxHeaderSize))
	binary.LittleEndian.PutUint32(b[0:], 0xfa405a4d) // code0: the "MZ" branch of an EFI-stub kernel
	binary.LittleEndian.PutUint64(b[linuxTextOffsetAt:], textOffset)
	binary.LittleEndian.PutUint64(b[linuxImageSizeAt:], imageSize)
	binary.LittleEndian.PutUint64(b[24:], 0xa) // flags: little-endian, 4K pages
	copy(b[linuxMagicAt:], linuxMagic)
	return b
}

// elfSegment is one PT_LOAD program header of a fixture.
type elfSegment struct {
	paddr, filesz, memsz uint64
}

// elfImage describes a fixture ELF file; the zero value of each field
// means the valid AArch64 choice.
type elfImage struct {
	class    elf.Class
	data     elf.Data
	machine  elf.Machine
	typ      elf.Type
	entry    uint64
	segments []elfSegment
}

// bytes writes the file: ELF header, program headers, then each segment's
// file bytes (System V ABI, "ELF Header" and "Program Header").
func (e elfImage) bytes() []byte {
	class, data, machine, typ := cmpOr(e.class, elf.ELFCLASS64), cmpOr(e.data, elf.ELFDATA2LSB), cmpOr(e.machine, elf.EM_AARCH64), cmpOr(e.typ, elf.ET_EXEC)
	var order binary.ByteOrder = binary.LittleEndian
	if data == elf.ELFDATA2MSB {
		order = binary.BigEndian
	}
	var ident [elf.EI_NIDENT]byte
	copy(ident[:], elf.ELFMAG)
	ident[elf.EI_CLASS], ident[elf.EI_DATA], ident[elf.EI_VERSION] = byte(class), byte(data), byte(elf.EV_CURRENT)
	var b bytes.Buffer
	if class == elf.ELFCLASS32 {
		binary.Write(&b, order, elf.Header32{Ident: ident, Type: uint16(typ), Machine: uint16(machine), Version: uint32(elf.EV_CURRENT),
			Entry: uint32(e.entry), Ehsize: 52, Phentsize: 32, Shentsize: 40})
		return b.Bytes()
	}
	const headerSize, progSize = 64, 56
	binary.Write(&b, order, elf.Header64{Ident: ident, Type: uint16(typ), Machine: uint16(machine), Version: uint32(elf.EV_CURRENT),
		Entry: e.entry, Phoff: headerSize, Ehsize: headerSize, Phentsize: progSize, Phnum: uint16(len(e.segments)), Shentsize: 64})
	offset := uint64(headerSize + progSize*len(e.segments))
	for _, s := range e.segments {
		binary.Write(&b, order, elf.Prog64{Type: uint32(elf.PT_LOAD), Flags: uint32(elf.PF_R | elf.PF_X), Off: offset,
			Vaddr: s.paddr, Paddr: s.paddr, Filesz: s.filesz, Memsz: s.memsz, Align: 0x1000})
		offset += s.filesz
	}
	for _, s := range e.segments {
		b.Write(bytes.Repeat([]byte{0xd5}, int(s.filesz)))
	}
	return b.Bytes()
}

func cmpOr[T comparable](v, fallback T) T {
	var zero T
	if v == zero {
		return fallback
	}
	return v
}

// dtb returns a flattened devicetree header of size bytes whose
// totalsize field says total.
func dtb(total uint32, size int) []byte {
	b := make([]byte, size)
	binary.BigEndian.PutUint32(b[0:], fdtMagic)
	binary.BigEndian.PutUint32(b[fdtTotalAt:], total)
	binary.BigEndian.PutUint32(b[20:], 17) // version
	return b
}

// writeFiles creates files (name: contents) under dir.
func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// errorLines returns the messages of an ErrorList, or fails the test for
// any other error.
func errorLines(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	list, ok := err.(ErrorList)
	if !ok {
		t.Fatalf("error is %T, not ErrorList: %v", err, err)
	}
	lines := make([]string, len(list))
	for i, e := range list {
		lines[i] = e.Error()
	}
	return lines
}
