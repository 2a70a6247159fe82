package linux

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	_ "embed"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// InitScript is the initramfs's /init (the file init beside this one).
//
//go:embed init
var InitScript []byte

// Applets are the busybox commands linked in /bin: those InitScript runs
// (mount, nproc, setsid, cttyhack, sh, poweroff) and a small toolbox for
// the console shell, with taskset and devmem for the tests that make one
// CPU touch an address, and head and od to show bytes a device gave.
var Applets = []string{
	"cat", "cttyhack", "devmem", "dmesg", "echo", "free", "head", "insmod", "ls", "mount", "nproc",
	"od", "poweroff", "reboot", "setsid", "sh", "taskset", "uname",
}

// Module is a kernel module the initramfs carries in /lib/modules, for
// the console shell to insmod.
type Module struct {
	Name string // file name, such as sbsa_gwdt.ko
	Data []byte
}

// KernelModule is a driver the initramfs carries when the kernel builds
// it as a module: its path under the package's lib/modules/VERSION/kernel
// and its Kconfig symbol.
type KernelModule struct {
	Path   string // such as drivers/watchdog/sbsa_gwdt.ko
	Config string // such as CONFIG_ARM_SBSA_WATCHDOG
}

// Modules are the drivers the initramfs carries, in load order: the SBSA
// watchdog driver and the watchdog core it depends on; virtio over PCI
// and its entropy device, for a partition given the PCIe host bridge.
// Debian's cloud kernel builds them all as modules; its generic kernel
// builds the watchdog core and virtio's core in, the rest as modules.
var Modules = []KernelModule{
	{Path: "drivers/watchdog/watchdog.ko", Config: "CONFIG_WATCHDOG_CORE"},
	{Path: "drivers/watchdog/sbsa_gwdt.ko", Config: "CONFIG_ARM_SBSA_WATCHDOG"},
	{Path: "drivers/virtio/virtio_ring.ko", Config: "CONFIG_VIRTIO"},
	{Path: "drivers/virtio/virtio.ko", Config: "CONFIG_VIRTIO"},
	{Path: "drivers/virtio/virtio_pci_legacy_dev.ko", Config: "CONFIG_VIRTIO_PCI_LIB_LEGACY"},
	{Path: "drivers/virtio/virtio_pci_modern_dev.ko", Config: "CONFIG_VIRTIO_PCI_LIB"},
	{Path: "drivers/virtio/virtio_pci.ko", Config: "CONFIG_VIRTIO_PCI"},
	{Path: "drivers/char/hw_random/virtio-rng.ko", Config: "CONFIG_HW_RANDOM_VIRTIO"},
}

// ModulesToCarry returns the paths of the modules, of mods, that the
// kernel whose build configuration (its package's /boot/config-*) is
// config builds as modules, in mods' order. A driver built in needs no
// file; one the kernel lacks altogether is an error.
func ModulesToCarry(config []byte, mods []KernelModule) ([]string, error) {
	values := map[string]string{}
	for _, line := range strings.Split(string(config), "\n") {
		if name, value, ok := strings.Cut(strings.TrimSpace(line), "="); ok && strings.HasPrefix(name, "CONFIG_") {
			values[name] = value
		}
	}
	var paths []string
	for _, m := range mods {
		switch values[m.Config] {
		case "m":
			paths = append(paths, m.Path)
		case "y":
		default:
			return nil, fmt.Errorf("the kernel has no %s (%s is neither y nor m in its configuration); pin a kernel that has it", m.Path, m.Config)
		}
	}
	return paths, nil
}

// The console device node: the kernel opens /dev/console for process 1
// before devtmpfs is mounted, so it must be in the archive
// (Documentation/admin-guide/devices.txt: char 5:1).
const (
	consoleMajor = 5
	consoleMinor = 1
)

// InitramfsEntries lists the initramfs: busybox and its applet links in
// /bin, /init, the console node, the mount points /init uses and modules
// in /lib/modules.
func InitramfsEntries(busybox []byte, modules []Module) []Entry {
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
	if len(modules) > 0 {
		entries = append(entries, Entry{Path: "lib", Mode: fs.ModeDir | 0o755}, Entry{Path: "lib/modules", Mode: fs.ModeDir | 0o755})
		for _, m := range modules {
			entries = append(entries, Entry{Path: "lib/modules/" + m.Name, Mode: 0o644, Data: m.Data})
		}
	}
	return entries
}

// WriteInitramfs writes the gzip-compressed initramfs. The output depends
// on busybox, modules and InitScript only: no timestamps, names or owners
// of the machine it is built on end up in it.
func WriteInitramfs(w io.Writer, busybox []byte, modules []Module) error {
	if err := CheckBusybox(busybox); err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	// A zero gzip header: no file name, no modification time.
	if err := WriteArchive(zw, InitramfsEntries(busybox, modules)); err != nil {
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
