package linux

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	_ "embed"
	"fmt"
	"io"
	"io/fs"
)

// InitScript is the initramfs's /init (the file init beside this one).
//
//go:embed init
var InitScript []byte

// Applets are the busybox commands linked in /bin: those InitScript runs
// (mount, nproc, setsid, cttyhack, sh, poweroff) and a small toolbox for
// the console shell, with taskset and devmem for the tests that make one
// CPU touch an address.
var Applets = []string{
	"cat", "cttyhack", "devmem", "dmesg", "echo", "free", "ls", "mount", "nproc",
	"poweroff", "reboot", "setsid", "sh", "taskset", "uname",
}

// The console device node: the kernel opens /dev/console for process 1
// before devtmpfs is mounted, so it must be in the archive
// (Documentation/admin-guide/devices.txt: char 5:1).
const (
	consoleMajor = 5
	consoleMinor = 1
)

// InitramfsEntries lists the initramfs: busybox and its applet links in
// /bin, /init, the console node and the mount points /init uses.
func InitramfsEntries(busybox []byte) []Entry {
	entries := []Entry{
		{Path: "bin", Mode: fs.ModeDir | 0o755},
		{Path: "bin/busybox", Mode: 0o755, Data: busybox},
		{Path: "dev", Mode: fs.ModeDir | 0o755},
		{Path: "dev/console", Mode: fs.ModeDevice | fs.ModeCharDevice | 0o600, DeviceMajor: consoleMajor, DeviceMinor: consoleMinor},
		{Path: "init", Mode: 0o755, Data: InitScript},
		{Path: "proc", Mode: fs.ModeDir | 0o555},
		{Path: "sys", Mode: fs.ModeDir | 0o555},
		{Path: "tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777},
	}
	for _, applet := range Applets {
		entries = append(entries, Entry{Path: "bin/" + applet, Mode: fs.ModeSymlink | 0o777, Data: []byte("busybox")})
	}
	return entries
}

// WriteInitramfs writes the gzip-compressed initramfs. The output depends
// on busybox and InitScript only: no timestamps, names or owners of the
// machine it is built on end up in it.
func WriteInitramfs(w io.Writer, busybox []byte) error {
	if err := CheckBusybox(busybox); err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	// A zero gzip header: no file name, no modification time.
	if err := WriteArchive(zw, InitramfsEntries(busybox)); err != nil {
		return err
	}
	return zw.Close()
}

// CheckBusybox checks that busybox is a static arm64 executable, the only
// kind that runs alone in an initramfs.
func CheckBusybox(busybox []byte) error {
	f, err := elf.NewFile(bytes.NewReader(busybox))
	if err != nil {
		return fmt.Errorf("busybox is not an ELF file: %w", err)
	}
	if f.Machine != elf.EM_AARCH64 || f.Class != elf.ELFCLASS64 || f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Errorf("busybox is a %v %v %v, not an arm64 executable; pin the arm64 busybox-static package", f.Class, f.Machine, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("busybox is dynamically linked; the initramfs has no libraries, pin busybox-static rather than busybox")
		}
	}
	return nil
}
