package linux

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/binary"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// testELF builds a minimal 64-bit little-endian ELF executable for machine
// with the given program header types.
func testELF(t *testing.T, machine elf.Machine, progs ...elf.ProgType) []byte {
	t.Helper()
	const headerSize, progSize = 64, 56
	h := elf.Header64{
		Type:      uint16(elf.ET_EXEC),
		Machine:   uint16(machine),
		Version:   uint32(elf.EV_CURRENT),
		Entry:     0x400000,
		Ehsize:    headerSize,
		Phentsize: progSize,
		Phnum:     uint16(len(progs)),
		Shentsize: 64,
	}
	copy(h.Ident[:], elf.ELFMAG)
	h.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	h.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	h.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	if len(progs) > 0 {
		h.Phoff = headerSize
	}
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, h)
	for _, p := range progs {
		binary.Write(&b, binary.LittleEndian, elf.Prog64{Type: uint32(p), Flags: uint32(elf.PF_R), Align: 8})
	}
	return b.Bytes()
}

func TestCheckBusybox(t *testing.T) {
	tests := []struct {
		name    string
		busybox []byte
		wantErr string
	}{
		{"static arm64", testELF(t, elf.EM_AARCH64, elf.PT_LOAD), ""},
		{"dynamic arm64", testELF(t, elf.EM_AARCH64, elf.PT_INTERP, elf.PT_LOAD), "busybox is dynamically linked"},
		{"amd64", testELF(t, elf.EM_X86_64, elf.PT_LOAD), "busybox is a ELFCLASS64 EM_X86_64 ET_EXEC, not an arm64 executable"},
		{"shell script", []byte("#!/bin/sh\necho hi\n"), "busybox is not an ELF file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckBusybox(tt.busybox)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("CheckBusybox: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)):
				t.Errorf("CheckBusybox: %v, want an error starting %q", err, tt.wantErr)
			}
		})
	}
}

// initramfsLayout is the initramfs the guest boots, as path, mode and
// content (a link's target; for busybox, the marker below).
var initramfsLayout = []struct {
	path string
	mode fs.FileMode
	data string
}{
	{"bin", fs.ModeDir | 0o755, ""},
	{"bin/busybox", 0o755, "busybox"},
	{"bin/cat", fs.ModeSymlink | 0o777, "busybox"},
	{"bin/cttyhack", fs.ModeSymlink | 0o777, "busybox"},
	{"bin/devmem", fs.ModeSymlink | 0o777, "busybox"},
	{"bin/dmesg", fs.ModeSymlink | 0o777, "busybox"},
	{"bin/echo", fs.ModeSymlink | 0o777, "busybox"},
	{"bin/free", fs.ModeSymlink | 0o777, "busybox"},
	{"bin/head", fs.ModeSymlink | 0o777, "busybox"},
	{"bin/insmod", fs.ModeSymlink | 0o777, "busybox"},
	{"bin/ls", fs.ModeSymlink | 0o777, "busybox"},
	{"bin/mount", fs.ModeSymlink | 0o777, "busybox"},
	{"bin/nproc", fs.ModeSymlink | 0o777, "busybox"},
	{"bin/od", fs.ModeSymlink | 0o777, "busybox"},
	{"bin/poweroff", fs.ModeSymlink | 0o777, "busybox"},
	{"bin/reboot", fs.ModeSymlink | 0o777, "busybox"},
	{"bin/setsid", fs.ModeSymlink | 0o777, "busybox"},
	{"bin/sh", fs.ModeSymlink | 0o777, "busybox"},
	{"bin/taskset", fs.ModeSymlink | 0o777, "busybox"},
	{"bin/uname", fs.ModeSymlink | 0o777, "busybox"},
	{"dev", fs.ModeDir | 0o755, ""},
	{"dev/console", fs.ModeDevice | fs.ModeCharDevice | 0o600, ""},
	{"init", 0o755, "init"},
	{"proc", fs.ModeDir | 0o555, ""},
	{"sys", fs.ModeDir | 0o555, ""},
	{"tmp", fs.ModeDir | fs.ModeSticky | 0o777, ""},
}

func TestWriteInitramfs(t *testing.T) {
	busybox := testELF(t, elf.EM_AARCH64, elf.PT_LOAD)
	var first, second bytes.Buffer
	if err := WriteInitramfs(&first, busybox, nil); err != nil {
		t.Fatal(err)
	}
	if err := WriteInitramfs(&second, busybox, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Error("two builds from the same busybox differ")
	}

	zr, err := gzip.NewReader(bytes.NewReader(first.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !zr.ModTime.IsZero() || zr.Name != "" {
		t.Errorf("gzip header has mtime %v and name %q; want neither", zr.ModTime, zr.Name)
	}
	entries, err := ReadArchive(zr)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(initramfsLayout) {
		t.Errorf("%d members %v, want %d", len(entries), paths(entries), len(initramfsLayout))
	}
	for i, want := range initramfsLayout {
		if i >= len(entries) {
			break
		}
		got := entries[i]
		data := string(got.Data)
		switch want.data {
		case "busybox":
			if got.Mode.IsRegular() && bytes.Equal(got.Data, busybox) {
				data = "busybox"
			}
		case "init":
			if bytes.Equal(got.Data, InitScript) {
				data = "init"
			}
		}
		if got.Path != want.path || got.Mode != want.mode || data != want.data {
			t.Errorf("member %d: %s %v %.20q, want %s %v %q", i, got.Path, got.Mode, data, want.path, want.mode, want.data)
		}
		if got.Path == "dev/console" && (got.DeviceMajor != 5 || got.DeviceMinor != 1) {
			t.Errorf("dev/console is device %d:%d, want 5:1", got.DeviceMajor, got.DeviceMinor)
		}
	}
}

func TestWriteInitramfsRefusesDynamicBusybox(t *testing.T) {
	var b bytes.Buffer
	if err := WriteInitramfs(&b, testELF(t, elf.EM_AARCH64, elf.PT_INTERP), nil); err == nil {
		t.Error("WriteInitramfs accepted a dynamically linked busybox")
	}
}

// initSteps are the lines /init must run, in this order.
var initSteps = []string{
	"export PATH=/bin",
	"mount -t proc proc /proc",
	"mount -t sysfs sysfs /sys",
	"mount -t devtmpfs devtmpfs /dev",
	`echo rising >"/sys/class/gpio/gpio$base/edge"`,
	`done </proc/meminfo`,
	`echo "infotainment: linux up, cpus=$(nproc), mem=$((mem_kib / 1024))MiB"`,
	"setsid cttyhack sh",
	"poweroff -f",
}

func TestInitScriptSteps(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(string(InitScript)), "\n")
	if lines[0] != "#!/bin/sh" {
		t.Errorf("first line %q, want #!/bin/sh", lines[0])
	}
	next := 0
	for _, line := range lines {
		if next < len(initSteps) && strings.TrimSpace(line) == initSteps[next] {
			next++
		}
	}
	if next < len(initSteps) {
		t.Errorf("init lacks %q (or has it out of order)", initSteps[next])
	}
	if last := lines[len(lines)-1]; last != "poweroff -f" {
		t.Errorf("last line %q; process 1 must end in poweroff -f", last)
	}
}

// The marker line, with the values the shell substitutes, must be what the
// boot test waits for.
func TestInitMarkerMatchesBootTest(t *testing.T) {
	i := slices.IndexFunc(strings.Split(string(InitScript), "\n"), func(l string) bool { return strings.HasPrefix(l, `echo "infotainment:`) })
	if i < 0 {
		t.Fatal("init has no marker line")
	}
	line := strings.Split(string(InitScript), "\n")[i]
	printed := strings.NewReplacer(`echo "`, "", `$(nproc)`, "2", `$((mem_kib / 1024))`, "478", `"`, "").Replace(line)
	m := markerPattern.FindStringSubmatch(printed)
	if m == nil || m[1] != "2" || m[2] != "478" {
		t.Errorf("init prints %q, which /%s/ does not match as cpus=2, mem=478", printed, markerPattern)
	}
}

// shellBuiltins are the words of the init script that are no programs.
var shellBuiltins = []string{"export", "while", "for", "read", "do", "if", "[", "then", "break", "continue", "fi", "done", "echo", "case", "esac"}

// Every program the init script runs must be a busybox applet in /bin.
func TestInitCommandsAreApplets(t *testing.T) {
	commandStart := regexp.MustCompile(`(?:^|\$\(|;\s*)([a-z\[][a-z0-9_-]*)`)
	for n, line := range strings.Split(string(InitScript), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.Contains(line, "=") && !strings.Contains(line, " ") {
			continue
		}
		for _, m := range commandStart.FindAllStringSubmatch(line, -1) {
			word := m[1]
			if slices.Contains(shellBuiltins, word) {
				continue
			}
			if !slices.Contains(Applets, word) {
				t.Errorf("init:%d: runs %q, which is not among the applets linked in /bin (%v)", n+1, word, Applets)
			}
		}
	}
	// Programs reached through other applets: setsid runs cttyhack,
	// which runs sh.
	for _, word := range []string{"cttyhack", "sh"} {
		if !slices.Contains(Applets, word) {
			t.Errorf("%s is not among the applets", word)
		}
	}
}

// Modules go to /lib/modules, in the order given.
func TestInitramfsModules(t *testing.T) {
	entries := InitramfsEntries([]byte("busybox"), []Module{{Name: "watchdog.ko", Data: []byte("core")}, {Name: "sbsa_gwdt.ko", Data: []byte("driver")}})
	var paths []string
	for _, e := range entries[len(entries)-4:] {
		paths = append(paths, e.Path)
	}
	if got := strings.Join(paths, " "); got != "lib lib/modules lib/modules/watchdog.ko lib/modules/sbsa_gwdt.ko" {
		t.Errorf("entries end %q", got)
	}
	if string(entries[len(entries)-1].Data) != "driver" {
		t.Error("module data lost")
	}
}

func TestModulesToCarry(t *testing.T) {
	var cloud, generic strings.Builder
	for _, m := range Modules {
		cloud.WriteString(m.Config + "=m\n")
	}
	generic.WriteString("# built in: the watchdog core and virtio's core\nCONFIG_WATCHDOG_CORE=y\nCONFIG_VIRTIO=y\n")
	for _, m := range Modules {
		if m.Config != "CONFIG_WATCHDOG_CORE" && m.Config != "CONFIG_VIRTIO" {
			generic.WriteString(m.Config + "=m\n")
		}
	}
	paths, err := ModulesToCarry([]byte(cloud.String()), Modules)
	if err != nil || len(paths) != len(Modules) {
		t.Errorf("cloud kernel: %q, %v; want every module", paths, err)
	}
	paths, err = ModulesToCarry([]byte(generic.String()), Modules)
	want := []string{"drivers/watchdog/sbsa_gwdt.ko", "drivers/virtio/virtio_pci_legacy_dev.ko", "drivers/virtio/virtio_pci_modern_dev.ko",
		"drivers/virtio/virtio_pci.ko", "drivers/char/hw_random/virtio-rng.ko"}
	if err != nil || !slices.Equal(paths, want) {
		t.Errorf("generic kernel: %q, %v; want %q", paths, err, want)
	}
	lacking := strings.Replace(generic.String(), "CONFIG_ARM_SBSA_WATCHDOG=m", "# CONFIG_ARM_SBSA_WATCHDOG is not set", 1)
	if _, err := ModulesToCarry([]byte(lacking), Modules); err == nil || !strings.Contains(err.Error(), "CONFIG_ARM_SBSA_WATCHDOG") {
		t.Errorf("a kernel without the driver: %v, want an error naming CONFIG_ARM_SBSA_WATCHDOG", err)
	}
}
