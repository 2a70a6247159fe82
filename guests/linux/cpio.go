package linux

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
)

// The "newc" cpio format, the one the kernel unpacks into its initial root
// filesystem (Documentation/driver-api/early-userspace/buffer-format.rst):
// a 110-byte ASCII header of the magic and thirteen 8-digit hex fields,
// the NUL-terminated name, the data; name and data each padded with NULs to
// a multiple of 4 bytes. A member named TRAILER!!! ends the archive.
const (
	cpioMagic      = "070701"
	cpioFieldCount = 13
	cpioFieldWidth = 8
	cpioHeaderSize = len(cpioMagic) + cpioFieldCount*cpioFieldWidth // 110
	cpioAlign      = 4
	cpioTrailer    = "TRAILER!!!"
)

// Header fields, in order (buffer-format.rst, "c_ino" .. "c_chksum").
const (
	fieldIno = iota
	fieldMode
	fieldUID
	fieldGID
	fieldNlink
	fieldMtime
	fieldFilesize
	fieldDevMajor
	fieldDevMinor
	fieldRdevMajor
	fieldRdevMinor
	fieldNamesize
	fieldCheck
)

// File type and permission bits of c_mode: the st_mode encoding of
// POSIX.1 <sys/stat.h>, with the octal values cpio has always used.
const (
	modeTypeMask  = 0o170000
	modeDirectory = 0o040000
	modeRegular   = 0o100000
	modeSymlink   = 0o120000
	modeCharDev   = 0o020000
	modeBlockDev  = 0o060000
	modeSetuid    = 0o4000
	modeSetgid    = 0o2000
	modeSticky    = 0o1000
	modePerm      = 0o777
)

// Entry is one member of a cpio archive.
type Entry struct {
	// Path is relative to the archive's root, slash-separated, without
	// a leading slash: "bin/busybox".
	Path string
	// Mode holds the type (directory, regular file, symbolic link, or
	// device) and the permission bits.
	Mode fs.FileMode
	// Data is a regular file's content or a symbolic link's target.
	Data []byte
	// DeviceMajor and DeviceMinor are a device node's numbers.
	DeviceMajor, DeviceMinor uint32
}

// WriteArchive writes entries as a deterministic newc archive: members
// sorted by path (so every directory precedes what it holds), inode
// numbers counted from 1 in that order, owner root, mtime 0. Every
// directory a path goes through must itself be an entry.
func WriteArchive(w io.Writer, entries []Entry) error {
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	if err := checkEntries(sorted); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	for i, e := range sorted {
		mode, _ := unixMode(e.Mode) // checked above
		nlink := uint32(1)
		if e.Mode.IsDir() {
			nlink = 2 // "." and the entry in the parent
		}
		var fields [cpioFieldCount]uint32
		fields[fieldIno] = uint32(i + 1)
		fields[fieldMode] = mode
		fields[fieldNlink] = nlink
		fields[fieldFilesize] = uint32(len(e.Data))
		fields[fieldRdevMajor] = e.DeviceMajor
		fields[fieldRdevMinor] = e.DeviceMinor
		writeMember(bw, fields, e.Path, e.Data)
	}
	var trailer [cpioFieldCount]uint32
	trailer[fieldNlink] = 1
	writeMember(bw, trailer, cpioTrailer, nil)
	return bw.Flush()
}

// writeMember writes one header, name and data; fieldNamesize is filled in
// here. bufio.Writer keeps the first error for Flush to report.
func writeMember(w *bufio.Writer, fields [cpioFieldCount]uint32, name string, data []byte) {
	fields[fieldNamesize] = uint32(len(name) + 1)
	w.WriteString(cpioMagic)
	for _, f := range fields {
		fmt.Fprintf(w, "%08x", f)
	}
	w.WriteString(name)
	w.WriteByte(0)
	w.Write(make([]byte, padding(cpioHeaderSize+len(name)+1)))
	w.Write(data)
	w.Write(make([]byte, padding(len(data))))
}

// padding is the number of NULs that bring n up to the next multiple of 4.
func padding(n int) int { return (cpioAlign - n%cpioAlign) % cpioAlign }

// checkEntries checks sorted entries for what the kernel's unpacker would
// get wrong or reject.
func checkEntries(sorted []Entry) error {
	dirs := map[string]bool{}
	for i, e := range sorted {
		if !fs.ValidPath(e.Path) || e.Path == "." || e.Path == cpioTrailer {
			return fmt.Errorf("cpio: invalid member path %q; use a relative, slash-separated path without . or .. elements", e.Path)
		}
		if i > 0 && sorted[i-1].Path == e.Path {
			return fmt.Errorf("cpio: %s: listed twice", e.Path)
		}
		if parent := path.Dir(e.Path); parent != "." && !dirs[parent] {
			return fmt.Errorf("cpio: %s: its directory %s is not in the archive; add it as a directory entry", e.Path, parent)
		}
		if _, err := unixMode(e.Mode); err != nil {
			return fmt.Errorf("cpio: %s: %w", e.Path, err)
		}
		isDevice := e.Mode&fs.ModeDevice != 0
		switch {
		case len(e.Data) > 0 && !e.Mode.IsRegular() && e.Mode.Type() != fs.ModeSymlink:
			return fmt.Errorf("cpio: %s: only regular files and symbolic links have data", e.Path)
		case e.Mode.Type() == fs.ModeSymlink && len(e.Data) == 0:
			return fmt.Errorf("cpio: %s: symbolic link without a target", e.Path)
		case !isDevice && (e.DeviceMajor != 0 || e.DeviceMinor != 0):
			return fmt.Errorf("cpio: %s: device numbers on something that is not a device node", e.Path)
		case uint64(len(e.Data)) > math.MaxUint32:
			return fmt.Errorf("cpio: %s: %d bytes is more than newc's 32-bit size field holds", e.Path, len(e.Data))
		}
		if e.Mode.IsDir() {
			dirs[e.Path] = true
		}
	}
	return nil
}

// unixMode converts a Go file mode to the c_mode encoding.
func unixMode(m fs.FileMode) (uint32, error) {
	var mode uint32
	switch m.Type() {
	case 0:
		mode = modeRegular
	case fs.ModeDir:
		mode = modeDirectory
	case fs.ModeSymlink:
		mode = modeSymlink
	case fs.ModeDevice | fs.ModeCharDevice:
		mode = modeCharDev
	case fs.ModeDevice:
		mode = modeBlockDev
	default:
		return 0, fmt.Errorf("file mode %v: an initramfs holds only directories, regular files, symbolic links and device nodes", m)
	}
	mode |= uint32(m.Perm())
	for _, bit := range specialBits {
		if m&bit.goMode != 0 {
			mode |= bit.unix
		}
	}
	return mode, nil
}

// goMode converts a c_mode value to a Go file mode.
func goMode(mode uint32) (fs.FileMode, error) {
	var m fs.FileMode
	switch mode & modeTypeMask {
	case modeRegular:
	case modeDirectory:
		m = fs.ModeDir
	case modeSymlink:
		m = fs.ModeSymlink
	case modeCharDev:
		m = fs.ModeDevice | fs.ModeCharDevice
	case modeBlockDev:
		m = fs.ModeDevice
	default:
		return 0, fmt.Errorf("unsupported file type %#o", mode&modeTypeMask)
	}
	m |= fs.FileMode(mode & modePerm)
	for _, bit := range specialBits {
		if mode&bit.unix != 0 {
			m |= bit.goMode
		}
	}
	return m, nil
}

var specialBits = []struct {
	goMode fs.FileMode
	unix   uint32
}{
	{fs.ModeSetuid, modeSetuid},
	{fs.ModeSetgid, modeSetgid},
	{fs.ModeSticky, modeSticky},
}

// maxMemberSize bounds what ReadArchive allocates for one member.
const maxMemberSize = 1 << 30

// ReadArchive parses a newc archive up to its trailer and returns its
// members in archive order.
func ReadArchive(r io.Reader) ([]Entry, error) {
	br := bufio.NewReader(r)
	var entries []Entry
	offset := 0
	for {
		header := make([]byte, cpioHeaderSize)
		if _, err := io.ReadFull(br, header); err != nil {
			return nil, fmt.Errorf("cpio: header at offset %d: %w", offset, noEOF(err))
		}
		if string(header[:len(cpioMagic)]) != cpioMagic {
			return nil, fmt.Errorf("cpio: offset %d: magic %q, want %q (newc)", offset, header[:len(cpioMagic)], cpioMagic)
		}
		var fields [cpioFieldCount]uint32
		for i := range fields {
			at := len(cpioMagic) + i*cpioFieldWidth
			v, err := strconv.ParseUint(string(header[at:at+cpioFieldWidth]), 16, 32)
			if err != nil {
				return nil, fmt.Errorf("cpio: offset %d: header field %d %q is not 8 hex digits", offset+at, i, header[at:at+cpioFieldWidth])
			}
			fields[i] = uint32(v)
		}
		namesize := int(fields[fieldNamesize])
		if namesize < 1 || namesize > maxMemberSize {
			return nil, fmt.Errorf("cpio: offset %d: name size %d", offset, namesize)
		}
		name, err := readN(br, namesize+padding(cpioHeaderSize+namesize))
		if err != nil {
			return nil, fmt.Errorf("cpio: name at offset %d: %w", offset+cpioHeaderSize, noEOF(err))
		}
		if name[namesize-1] != 0 || bytes.IndexByte(name[:namesize-1], 0) >= 0 {
			return nil, fmt.Errorf("cpio: offset %d: name is not one NUL-terminated string", offset+cpioHeaderSize)
		}
		memberName := string(name[:namesize-1])
		offset += cpioHeaderSize + len(name)
		if memberName == cpioTrailer {
			return entries, nil
		}
		size := int(fields[fieldFilesize])
		if size > maxMemberSize {
			return nil, fmt.Errorf("cpio: %s: size %d", memberName, size)
		}
		data, err := readN(br, size+padding(size))
		if err != nil {
			return nil, fmt.Errorf("cpio: %s: data at offset %d: %w", memberName, offset, noEOF(err))
		}
		offset += len(data)
		mode, err := goMode(fields[fieldMode])
		if err != nil {
			return nil, fmt.Errorf("cpio: %s: %w", memberName, err)
		}
		e := Entry{Path: memberName, Mode: mode, DeviceMajor: fields[fieldRdevMajor], DeviceMinor: fields[fieldRdevMinor]}
		if size > 0 {
			e.Data = data[:size]
		}
		entries = append(entries, e)
	}
}

// readN reads exactly n bytes, allocating as they arrive rather than
// trusting a size field up front.
func readN(r io.Reader, n int) ([]byte, error) {
	var b bytes.Buffer
	if _, err := io.CopyN(&b, r, int64(n)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// noEOF turns a clean end of input inside an archive into the error it is.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
