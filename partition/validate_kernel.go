package partition

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/tamavisor/tamavisor/board"
)

// arm64 Linux Image header (the kernel's Documentation/arch/arm64/booting.rst,
// "Call the kernel image"): all fields little-endian.
const (
	linuxHeaderSize       = 64
	linuxTextOffsetAt     = 8
	linuxImageSizeAt      = 16
	linuxMagicAt          = 56
	linuxMagic            = "ARM\x64"
	linuxLegacyTextOffset = 0x80000 // kernels before 3.17 leave image_size 0 and load here
	// linuxImageAlign is the alignment of the base text_offset is added to.
	linuxImageAlign = 2 * MiB
)

// Flattened devicetree header (Devicetree Specification v0.4, 5.2
// "Header"): big-endian.
const (
	fdtHeaderSize = 40
	fdtMagic      = 0xd00dfeed
	fdtTotalAt    = 4
	// fdtMaxSize is the arm64 boot protocol's limit on a DTB
	// (booting.rst, "Setup the device tree").
	fdtMaxSize = 2 * MiB
)

// gzipMagic starts a gzip file (RFC 1952, 2.3.1): a compressed Image is a
// common mistake.
var gzipMagic = []byte{0x1f, 0x8b}

// kernel checks a partition's guest files and computes where its kernel
// loads and starts.
func (v *validator) kernel(p *Partition) {
	k := &p.Kernel
	in := inPartition(p)
	if k.EntrySet && k.Format == FormatLinux {
		v.report(k.EntryPos, in, "entry is not used with format linux", "remove it: the kernel starts at its first byte (arm64 boot protocol)")
	}
	if v.skipGuestFiles {
		return
	}
	var image fs.FileInfo
	if k.Image.IsSet() {
		image = v.checkFile(in, "kernel image", k.Image)
	}
	if k.Initrd.IsSet() {
		v.checkFile(in, "initrd", k.Initrd) // its format is the kernel's business
	}
	if k.DTB.IsSet() {
		if dtb := v.checkFile(in, "dtb", k.DTB); dtb != nil {
			v.checkDTB(in, k.DTB, dtb.Size())
		}
	}
	if k.broken || image == nil {
		return
	}
	var first *MemoryRegion
	var guestMemory []board.Region
	for i := range p.Memory {
		if m := &p.Memory[i]; !m.broken {
			guestMemory = append(guestMemory, m.Guest())
			if i == 0 {
				first = m
			}
		}
	}
	switch k.Format {
	case FormatLinux:
		v.linuxImage(p, image.Size(), first)
	case FormatELF:
		v.elfImage(p, guestMemory)
	case FormatRaw:
		v.rawImage(p, image.Size(), first)
	}
	if k.EntrySet && k.Format != FormatLinux && len(guestMemory) > 0 && !coveredBy(guestMemory, board.Region{Base: k.Entry, Size: 1}) {
		v.report(k.EntryPos, in, fmt.Sprintf("entry %#x is outside the partition's guest memory (%s)", k.Entry, formatRegions(guestMemory)),
			"point entry into one of the partition's memory regions")
	}
}

// checkFile reports a guest file that cannot be used and returns its
// information otherwise.
func (v *validator) checkFile(in scope, what string, f File) fs.FileInfo {
	name := fmt.Sprintf("%s %q", what, f.Path)
	info, err := os.Stat(f.Resolved)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		looked := ""
		if f.Resolved != f.Path {
			looked = fmt.Sprintf(" (looked for %q)", f.Resolved)
		}
		v.report(f.Pos, in, fmt.Sprintf("%s does not exist%s", name, looked),
			"build it first, or correct the path, which is relative to the config file's directory")
	case err != nil:
		v.report(f.Pos, in, fmt.Sprintf("%s cannot be read: %v", name, reason(err)), "check the path and its permissions")
	case !info.Mode().IsRegular():
		v.report(f.Pos, in, fmt.Sprintf("%s is not a regular file", name), "name the file itself")
	case info.Size() == 0:
		v.report(f.Pos, in, fmt.Sprintf("%s is empty", name), "rebuild it")
	default:
		return info
	}
	return nil
}

// readHeader reads the first n bytes of a file, or fewer if it is shorter.
func (v *validator) readHeader(in scope, what string, f File, n int) ([]byte, bool) {
	file, err := os.Open(f.Resolved)
	if err != nil {
		v.report(f.Pos, in, fmt.Sprintf("%s %q cannot be read: %v", what, f.Path, reason(err)), "check the path and its permissions")
		return nil, false
	}
	defer file.Close()
	header := make([]byte, n)
	read, err := io.ReadFull(file, header)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		v.report(f.Pos, in, fmt.Sprintf("%s %q cannot be read: %v", what, f.Path, reason(err)), "check the file")
		return nil, false
	}
	return header[:read], true
}

func (v *validator) checkDTB(in scope, f File, size int64) {
	header, ok := v.readHeader(in, "dtb", f, fdtHeaderSize)
	if !ok {
		return
	}
	name := fmt.Sprintf("dtb %q", f.Path)
	if len(header) < fdtHeaderSize {
		v.report(f.Pos, in, fmt.Sprintf("%s is %d bytes, too short for a device tree header (%d bytes)", name, len(header), fdtHeaderSize),
			"compile the source with dtc -O dtb")
		return
	}
	if magic := binary.BigEndian.Uint32(header); magic != fdtMagic {
		v.report(f.Pos, in, fmt.Sprintf("%s is not a flattened device tree (magic %#08x, not %#08x)", name, magic, fdtMagic),
			"compile the source with dtc -O dtb")
		return
	}
	total := uint64(binary.BigEndian.Uint32(header[fdtTotalAt:]))
	switch {
	case total > uint64(size):
		v.report(f.Pos, in, fmt.Sprintf("%s says it is %d bytes but the file has %d", name, total, size), "the file is truncated: rebuild it")
	case total > fdtMaxSize:
		v.report(f.Pos, in, fmt.Sprintf("%s is %s, more than the %s the arm64 boot protocol allows", name, formatBytes(total), FormatSize(fdtMaxSize)),
			"shrink the device tree")
	}
}

func (v *validator) linuxImage(p *Partition, size int64, first *MemoryRegion) {
	k := &p.Kernel
	in := inPartition(p)
	name := fmt.Sprintf("kernel image %q", k.Image.Path)
	header, ok := v.readHeader(in, "kernel image", k.Image, linuxHeaderSize)
	if !ok {
		return
	}
	switch {
	case bytes.HasPrefix(header, gzipMagic):
		v.report(k.Image.Pos, in, name+" is gzip-compressed", "decompress it, or point image at the uncompressed arch/arm64/boot/Image")
		return
	case bytes.HasPrefix(header, []byte(elf.ELFMAG)):
		v.report(k.Image.Pos, in, name+" is an ELF file, not an arm64 Image", "set format: elf, or point image at arch/arm64/boot/Image")
		return
	case len(header) < linuxHeaderSize:
		v.report(k.Image.Pos, in, fmt.Sprintf("%s is %d bytes, too short for an arm64 Image header (%d bytes)", name, len(header), linuxHeaderSize),
			"point image at the kernel's arch/arm64/boot/Image")
		return
	case string(header[linuxMagicAt:linuxMagicAt+len(linuxMagic)]) != linuxMagic:
		v.report(k.Image.Pos, in, fmt.Sprintf(`%s has no arm64 Image magic "ARM\x64" at offset %d`, name, linuxMagicAt),
			"point image at the kernel's arch/arm64/boot/Image, or set the format it has (elf or raw)")
		return
	}
	textOffset := binary.LittleEndian.Uint64(header[linuxTextOffsetAt:])
	imageSize := binary.LittleEndian.Uint64(header[linuxImageSizeAt:])
	if imageSize == 0 {
		textOffset, imageSize = linuxLegacyTextOffset, uint64(size)
	}
	if first == nil {
		return
	}
	if first.IPA%linuxImageAlign != 0 {
		pos := first.BasePos
		if first.IPAPos.IsValid() {
			pos = first.IPAPos
		}
		v.report(pos, in, fmt.Sprintf("memory region 0 starts at guest address %#x, which is not %s-aligned", first.IPA, FormatSize(linuxImageAlign)),
			fmt.Sprintf("the arm64 boot protocol places the kernel text_offset above a %s boundary: align the region to %s", FormatSize(linuxImageAlign), FormatSize(linuxImageAlign)))
	}
	if textOffset > first.Size || imageSize > first.Size-textOffset {
		v.report(k.Image.Pos, in, fmt.Sprintf("%s needs text_offset %#x + image_size %s of memory region 0, which is %s",
			name, textOffset, formatBytes(imageSize), FormatSize(first.Size)), "enlarge the partition's first memory region")
	}
	k.LoadIPA = first.IPA + textOffset
	k.Entry = k.LoadIPA
}

func (v *validator) elfImage(p *Partition, guestMemory []board.Region) {
	k := &p.Kernel
	in := inPartition(p)
	name := fmt.Sprintf("kernel image %q", k.Image.Path)
	header, ok := v.readHeader(in, "kernel image", k.Image, len(elf.ELFMAG))
	if !ok {
		return
	}
	if string(header) != elf.ELFMAG {
		v.report(k.Image.Pos, in, name+" is not an ELF file", "point image at the linked guest executable, or set the format it has (linux or raw)")
		return
	}
	file, err := os.Open(k.Image.Resolved)
	if err != nil {
		v.report(k.Image.Pos, in, fmt.Sprintf("%s cannot be read: %v", name, reason(err)), "check the path and its permissions")
		return
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		v.report(k.Image.Pos, in, fmt.Sprintf("%s cannot be read: %v", name, reason(err)), "check the path and its permissions")
		return
	}
	f, err := elf.NewFile(file)
	if err != nil {
		v.report(k.Image.Pos, in, fmt.Sprintf("%s is not a valid ELF file: %v", name, err), "rebuild it")
		return
	}
	// ELF header checks (System V ABI, "ELF Header"; ELF for the Arm
	// 64-bit Architecture, 5.1).
	switch {
	case f.Class != elf.ELFCLASS64:
		v.report(k.Image.Pos, in, fmt.Sprintf("%s is %v, not ELFCLASS64", name, f.Class), "build it for AArch64, which is 64-bit")
		return
	case f.Data != elf.ELFDATA2LSB:
		v.report(k.Image.Pos, in, name+" is big-endian", "build it little-endian (aarch64, not aarch64_be)")
		return
	case f.Machine != elf.EM_AARCH64:
		v.report(k.Image.Pos, in, fmt.Sprintf("%s is built for %v, not EM_AARCH64", name, f.Machine), "build it for aarch64")
		return
	case f.Type != elf.ET_EXEC:
		v.report(k.Image.Pos, in, fmt.Sprintf("%s is %v, not an executable", name, f.Type),
			"link it as a static executable (ET_EXEC) at the partition's guest addresses")
		return
	}
	loads := 0
	checkAddresses := len(guestMemory) > 0 // else "no memory" is reported
	for i, prog := range f.Progs {
		if prog.Type != elf.PT_LOAD || prog.Memsz == 0 {
			continue
		}
		loads++
		segment := fmt.Sprintf("%s segment %d", name, i)
		switch {
		case prog.Filesz > prog.Memsz:
			v.report(k.Image.Pos, in, fmt.Sprintf("%s holds more file bytes (%#x) than memory (%#x)", segment, prog.Filesz, prog.Memsz), "rebuild it: the file is damaged")
		case prog.Off > uint64(info.Size()) || prog.Filesz > uint64(info.Size())-prog.Off:
			v.report(k.Image.Pos, in, fmt.Sprintf("%s extends past the end of the file", segment), "rebuild it: the file is truncated")
		case checkAddresses && (prog.Paddr+prog.Memsz < prog.Paddr || !coveredBy(guestMemory, board.Region{Base: prog.Paddr, Size: prog.Memsz})):
			v.report(k.Image.Pos, in, fmt.Sprintf("%s loads at %s, outside the partition's guest memory (%s)", segment, FormatRange(prog.Paddr, prog.Memsz), formatRegions(guestMemory)),
				"link the guest at the partition's memory addresses, or move the memory")
		}
	}
	if loads == 0 {
		v.report(k.Image.Pos, in, name+" has no loadable (PT_LOAD) segments", "rebuild it as a linked executable")
	}
	k.LoadIPA = 0
	if !k.EntrySet {
		k.Entry = f.Entry
		if checkAddresses && !coveredBy(guestMemory, board.Region{Base: f.Entry, Size: 1}) {
			v.report(k.Image.Pos, in, fmt.Sprintf("%s starts at %#x (e_entry), outside the partition's guest memory (%s)", name, f.Entry, formatRegions(guestMemory)),
				"link the guest at the partition's memory addresses, or set entry")
		}
	}
}

func (v *validator) rawImage(p *Partition, size int64, first *MemoryRegion) {
	k := &p.Kernel
	if first == nil {
		return
	}
	if uint64(size) > first.Size {
		v.report(k.Image.Pos, inPartition(p), fmt.Sprintf("kernel image %q is %s, larger than memory region 0 (%s)", k.Image.Path, formatBytes(uint64(size)), FormatSize(first.Size)),
			"enlarge the partition's first memory region")
	}
	k.LoadIPA = first.IPA
	if !k.EntrySet {
		k.Entry = k.LoadIPA
	}
}

// reason drops the path from a file error: messages name the file as
// the config writes it.
func reason(err error) error {
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return pathErr.Err
	}
	return err
}

// formatBytes writes a file or image size: in a unit when it divides
// exactly, in bytes otherwise.
func formatBytes(n uint64) string {
	if n != 0 && n%KiB == 0 {
		return FormatSize(n)
	}
	return fmt.Sprintf("%d bytes", n)
}

// formatRegions lists guest regions for a message.
func formatRegions(regions []board.Region) string {
	s := ""
	for i, r := range regions {
		if i > 0 {
			s += ", "
		}
		s += FormatRange(r.Base, r.Size)
	}
	return s
}
