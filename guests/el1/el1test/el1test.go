//go:build !tamago

// Package el1test serves the integration tests of programs built on el1:
// it builds a guest ELF with the Makefile's guests-elf targets, checks that
// it fits its partition in configs/qemu-virt.yaml, and boots it standalone
// under QEMU with the project's runner (package qemu).
//
// Standalone means plain `qemu-system-aarch64 -M virt -cpu cortex-a53
// -m 2G`: without virtualization=on QEMU enters the ELF at EL1, and the
// real PL011 sits where Tamavisor's virtual one will. Where the TamaGo
// compiler or QEMU is missing, the tests skip, saying why and what to
// install, like the tests in tests/.
package el1test

import (
	"context"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tamavisor/tamavisor/board"
	_ "github.com/tamavisor/tamavisor/board/qemuvirt" // the board configs/qemu-virt.yaml names
	"github.com/tamavisor/tamavisor/internal/testenv"
	"github.com/tamavisor/tamavisor/partition"
	"github.com/tamavisor/tamavisor/qemu"
)

// Standalone is the machine the guests boot on by themselves: QEMU's virt
// board at EL1, no EL2, one core, 2 GiB of RAM from 0x40000000, so both
// partitions' link addresses are real RAM.
var Standalone = qemu.Profile{
	Board:   "qemu-virt",
	Machine: []string{"-M", "virt", "-cpu", "cortex-a53", "-m", "2G"},
}

// DeviceTreeBlock is what Tamavisor keeps at the top of a partition's
// first memory region for its device tree (partition/compile.go); a
// guest's Go runtime must stay below it.
const DeviceTreeBlock = 2 << 20

// Root returns the checkout's top directory.
func Root() string { return testenv.Root() }

// RequireTools skips t, saying why and what to install, when the TamaGo
// compiler go.mod asks for or QEMU is missing; it returns the emulator.
func RequireTools(t testing.TB) string { return testenv.RequireQEMUTools(t) }

// Build builds build/guests/<name> (such as "ecu.elf") with the Makefile,
// into a directory of t's own, and returns its path.
func Build(t testing.TB, name string) string {
	t.Helper()
	dir := t.TempDir()
	target := filepath.Join(dir, "guests", name)
	out, err := exec.Command("make", "-s", "-C", Root(), "BUILD="+dir, target).CombinedOutput()
	if err != nil {
		t.Fatalf("make %s: %v\n%s", target, err, out)
	}
	return target
}

// Boot runs the ELF standalone until console lines matched every pattern
// in expect, in order, or timeout passed; on failure it logs the console.
func Boot(t testing.TB, emulator, elfPath string, timeout time.Duration, expect ...string) *qemu.Result {
	t.Helper()
	var patterns []*regexp.Regexp
	for _, e := range expect {
		patterns = append(patterns, regexp.MustCompile(e))
	}
	r, err := qemu.Run(context.Background(), emulator, Standalone, qemu.Options{Image: elfPath, Expect: patterns, Timeout: timeout})
	if err != nil {
		if r != nil {
			t.Logf("console:\n%s", strings.Join(r.Output, "\n"))
		}
		t.Fatalf("boot %s: %v", filepath.Base(elfPath), err)
	}
	return r
}

// LinuxImage writes the el1 program at elfPath as an arm64 Linux Image
// (Linux Documentation/arch/arm64/booting.rst, "Call the kernel image")
// and returns its path. QEMU boots such an image at EL1 with x0 = the
// device tree it places at the first 2 MiB boundary after the image's
// image_size, so declaring that the image ends at dtbBase has QEMU put its
// own device tree where Tamavisor puts the partition's: the one way to
// test a guest's device tree path standalone. The header replaces the
// first 64 bytes of the lowest segment, the ELF header, which the program
// never reads.
func LinuxImage(t testing.TB, elfPath string, dtbBase uint64) string {
	t.Helper()
	f, err := elf.Open(elfPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var loads []*elf.Prog
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			loads = append(loads, p)
		}
	}
	if len(loads) == 0 || loads[0].Off != 0 {
		t.Fatalf("%s: the lowest PT_LOAD does not start with the ELF header", elfPath)
	}
	base := loads[0].Vaddr
	end := base
	for _, p := range loads {
		end = max(end, p.Vaddr+p.Memsz)
	}
	const ramBase = 0x4000_0000 // QEMU virt: text_offset counts from here
	if base%4096 != 0 || base < ramBase || end > dtbBase || f.Entry-base >= 1<<27 {
		t.Fatalf("%s: segments %#x..%#x, entry %#x do not fit an Image loaded at its own address below %#x", elfPath, base, end, f.Entry, dtbBase)
	}
	image := make([]byte, end-base)
	for _, p := range loads {
		if _, err := p.ReadAt(image[p.Vaddr-base:p.Vaddr-base+p.Filesz], 0); err != nil {
			t.Fatal(err)
		}
	}
	const (
		branch        = 0x1400_0000 // B, imm26 in words (DDI 0487 C6.2 B)
		flagsPage4KiB = 1 << 1      // 4 KiB pages
		flagsAnywhere = 1 << 3      // may be placed anywhere in RAM
		magic         = 0x644d_5241 // "ARM\x64"
	)
	le := binary.LittleEndian
	le.PutUint32(image[0:], branch|uint32((f.Entry-base)/4))
	le.PutUint32(image[4:], 0)
	le.PutUint64(image[8:], base-ramBase)  // text_offset
	le.PutUint64(image[16:], dtbBase-base) // image_size
	le.PutUint64(image[24:], flagsPage4KiB|flagsAnywhere)
	clear(image[32:56])
	le.PutUint32(image[56:], magic)
	le.PutUint32(image[60:], 0)
	path := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(elfPath), ".elf")+".Image")
	if err := os.WriteFile(path, image, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Partition returns the first memory region of partition name in
// configs/qemu-virt.yaml, as its guest sees it.
func Partition(t testing.TB, name string) board.Region {
	t.Helper()
	config, err := partition.LoadPartitioning(filepath.Join(Root(), "configs", "qemu-virt.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p, ok := config.Partition(name)
	if !ok || len(p.Memory) == 0 {
		t.Fatalf("configs/qemu-virt.yaml has no partition %q with memory", name)
	}
	return p.Memory[0].Guest()
}

// Layout is where an el1 program's ELF puts itself.
type Layout struct {
	Entry    uint64
	Segments []board.Region // PT_LOAD segments, in memory
	// RAM is the Go runtime's memory: runtime/goos.RamStart and RamSize
	// as the program's board file initializes them.
	RAM       board.Region
	TextStart uint64 // runtime.text
}

// ReadLayout reads an el1 program's layout from its ELF file.
func ReadLayout(t testing.TB, path string) Layout {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l := Layout{Entry: f.Entry}
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			l.Segments = append(l.Segments, board.Region{Base: p.Vaddr, Size: p.Memsz})
		}
	}
	symbols, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	var found int
	for _, s := range symbols {
		switch s.Name {
		case "runtime/goos.RamStart":
			l.RAM.Base = readWord(t, f, s)
			found++
		case "runtime/goos.RamSize":
			l.RAM.Size = readWord(t, f, s)
			found++
		case "runtime.text":
			l.TextStart = s.Value
			found++
		}
	}
	if found != 3 {
		t.Fatalf("%s: runtime/goos.RamStart, RamSize or runtime.text missing from the symbol table", path)
	}
	return l
}

// readWord reads the initial 64-bit value of a data symbol.
func readWord(t testing.TB, f *elf.File, s elf.Symbol) uint64 {
	t.Helper()
	if int(s.Section) >= len(f.Sections) || f.Sections[s.Section].Type != elf.SHT_PROGBITS {
		t.Fatalf("symbol %s is not initialized data", s.Name)
	}
	sec := f.Sections[s.Section]
	data, err := sec.Data()
	if err != nil {
		t.Fatal(err)
	}
	off := s.Value - sec.Addr
	if off+8 > uint64(len(data)) {
		t.Fatalf("symbol %s at %#x lies outside section %s", s.Name, s.Value, sec.Name)
	}
	return binary.LittleEndian.Uint64(data[off:])
}

// CheckFits reports every way the layout does not fit partition memory
// mem: segments and entry inside it, the runtime's RAM inside it and below
// the device tree block, starting at the partition base, and room for
// el1's translation tables and the ELF headers' page below the text.
func (l Layout) CheckFits(mem board.Region) []string {
	var problems []string
	for _, s := range l.Segments {
		if !mem.Contains(s) {
			problems = append(problems, fmt.Sprintf("PT_LOAD %v is outside the partition's memory %v", s, mem))
		}
	}
	if l.Entry < mem.Base || l.Entry >= mem.End() {
		problems = append(problems, fmt.Sprintf("entry %#x is outside the partition's memory %v", l.Entry, mem))
	}
	if l.RAM.Base != mem.Base {
		problems = append(problems, fmt.Sprintf("runtime RAM starts at %#x, not at the partition base %#x: fix the program's board.go", l.RAM.Base, mem.Base))
	}
	if !mem.Contains(l.RAM) || l.RAM.End() > mem.End()-DeviceTreeBlock {
		problems = append(problems, fmt.Sprintf("runtime RAM %v reaches into the device tree block at the top of %v: fix the program's board.go", l.RAM, mem))
	}
	if l.TextStart < l.RAM.Base+3*4096 {
		problems = append(problems, fmt.Sprintf("text at %#x leaves no room for translation tables above %#x: fix the link address in the Makefile", l.TextStart, l.RAM.Base))
	}
	return problems
}
