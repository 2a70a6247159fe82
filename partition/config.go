// Package partition owns the partition config: the YAML description of a
// Tamavisor system (its board, the hypervisor's reserved memory, the
// partitions with their cores, memory, devices and guest images, and the
// shared-memory channels between them), the strict loader that reads it,
// and the validator that checks it against the board.
//
// Load and Parse report every problem at once, each with the file, line
// and column it concerns and what to do about it. A *Config they return
// without error is safe to consume directly: every address and size is
// page-aligned and inside the board, no two owners share a core, a byte of
// physical memory, a device, an interrupt or a stream ID, named devices
// carry the board's MMIO, interrupts and stream IDs, defaults are filled
// in, file paths are resolved, and the guest images exist, have their
// declared format and fit their memory. Every value keeps the position it
// was written at, so later stages (table compiler, DTB generator, image
// builder, layout drawing) can point their own errors at it.
//
// Boards are found with board.Lookup: the program must import the board
// packages it supports (import _ ".../board/qemuvirt").
package partition

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tamavisor/tamavisor/board"
)

// Config is one system: a board, the hypervisor, its partitions and the
// channels between them.
type Config struct {
	// File is the config's path as given to Load or Parse; positions
	// carry it. Dir is the directory relative paths in it start from.
	File string
	Dir  string
	// Pos is where the config's first setting is.
	Pos Pos

	BoardName string
	BoardPos  Pos
	// Board is the description BoardName names; Validate sets it.
	Board *board.Board

	Hypervisor Hypervisor
	Partitions []Partition
	Channels   []Channel

	// Warnings are what a valid config may still get wrong, such as a
	// device that can DMA with no stream IDs: reported by check and
	// build, in file order, but no reason to refuse the config.
	Warnings ErrorList

	// partitionsWritten is set when the config lists entries under
	// partitions, readable or not.
	partitionsWritten bool
	// partitioningOnly is set by LoadPartitioning: the guest files were
	// not read, so nothing about them (entry, load address) is known.
	partitioningOnly bool
}

// Partition returns the partition with the given name.
func (c *Config) Partition(name string) (*Partition, bool) {
	for i := range c.Partitions {
		if c.Partitions[i].Name == name {
			return &c.Partitions[i], true
		}
	}
	return nil, false
}

// Hypervisor is what the config reserves for the hypervisor itself.
type Hypervisor struct {
	// Memory is RAM no guest may use. It must cover the board's
	// Hypervisor.Memory (shared region and per-core slots); Validate
	// sets it to exactly that region when the config omits it.
	Memory Range
	// Console is the board UART the hypervisor prints on; it is never
	// given to a guest. Validate defaults it to the board's
	// Hypervisor.UART.
	Console    string
	ConsolePos Pos
	Pos        Pos
}

// Range is a physical address range written as {base, size}.
type Range struct {
	Base uint64
	Size uint64
	// Pos is where the range is written; BasePos and SizePos point at
	// its two values.
	Pos     Pos
	BasePos Pos
	SizePos Pos

	// broken marks a range the loader could not read; the validator
	// skips it, as its problem is already reported.
	broken bool
}

// Region returns the range as a board region.
func (r Range) Region() board.Region { return board.Region{Base: r.Base, Size: r.Size} }

// String writes the range as base+size: 0x48000000+64MiB.
func (r Range) String() string { return FormatRange(r.Base, r.Size) }

// MemoryRegion is RAM given to a partition: physical [Base, Base+Size)
// appears to the guest at [IPA, IPA+Size).
type MemoryRegion struct {
	Range
	// IPA is the intermediate physical address (guest physical
	// address) of the region; the loader sets it to Base when the
	// config omits it (identity mapping), and IPAPos stays invalid.
	IPA    uint64
	IPAPos Pos
}

// Guest returns the region as the guest sees it.
func (m MemoryRegion) Guest() board.Region { return board.Region{Base: m.IPA, Size: m.Size} }

// Identity reports whether the guest sees the region at its physical
// address.
func (m MemoryRegion) Identity() bool { return m.IPA == m.Base }

// Core is one physical core given to a partition; the partition's vCPU n
// runs on its n-th listed core.
type Core struct {
	Index int
	Pos   Pos
}

// Device is hardware passed through to a partition: its MMIO is mapped at
// the same guest address, its interrupts are routed to the partition and
// its DMA (stream IDs) is translated by the partition's stage-2 tables.
type Device struct {
	Name string
	// FromBoard is true when the config names a board device, as a plain
	// string or as {name, stream_ids}; Validate then copies the board's
	// MMIO and interrupts into the device, with the device's position.
	// Its stream IDs are the config's: a board device such as a PCIe
	// host bridge carries many, and the partition lists those of the
	// devices behind it that it drives.
	FromBoard  bool
	MMIO       []Range
	Interrupts []Interrupt
	StreamIDs  []StreamIDRange
	Pos        Pos
	NamePos    Pos

	broken bool
}

// Interrupt is a GIC interrupt ID (INTID); configs may only use SPIs.
type Interrupt struct {
	ID  uint32
	Pos Pos
}

// StreamIDRange is a run of Count SMMU stream IDs starting at First. A
// config writes single IDs (Count 1); board devices may carry ranges.
type StreamIDRange struct {
	First uint32
	Count uint32
	Pos   Pos
}

// Last returns the last ID of the range (First for a single ID).
func (r StreamIDRange) Last() uint32 { return r.First + r.Count - 1 }

// Overlaps reports whether r and o share an ID.
func (r StreamIDRange) Overlaps(o StreamIDRange) bool {
	return r.Count > 0 && o.Count > 0 && r.First <= o.Last() && o.First <= r.Last()
}

// KernelFormat is how a guest image is laid out and entered.
type KernelFormat uint8

const (
	// FormatLinux is an arm64 Linux Image (the kernel's
	// Documentation/arch/arm64/booting.rst): loaded text_offset bytes
	// above the start of memory region 0, entered at its first byte
	// with x0 holding the DTB's address.
	FormatLinux KernelFormat = iota + 1
	// FormatELF is a statically linked AArch64 ELF executable: each
	// PT_LOAD segment goes to its physical address (p_paddr), read as a
	// guest address; execution starts at e_entry unless entry is set.
	FormatELF
	// FormatRaw is a flat binary loaded at the start of memory region
	// 0 and entered there unless entry is set.
	FormatRaw
)

var kernelFormatNames = []string{FormatLinux: "linux", FormatELF: "elf", FormatRaw: "raw"}

func (f KernelFormat) String() string { return enumString(kernelFormatNames, f) }

// File is a file named in the config.
type File struct {
	// Path is the path as written, relative to the config's directory
	// unless absolute; Resolved is the path to open.
	Path     string
	Resolved string
	Pos      Pos
}

// IsSet reports whether the config names the file.
func (f File) IsSet() bool { return f.Path != "" }

// Kernel is a partition's guest software.
type Kernel struct {
	Format KernelFormat
	Image  File
	// Initrd and DTB are optional. Without a DTB, the build generates
	// one from the config.
	Initrd   File
	DTB      File
	Bootargs string
	// EntrySet tells whether the config sets entry. Validate sets Entry
	// to the guest address execution starts at in every case (see
	// KernelFormat), and LoadIPA to where the image's first byte goes
	// for linux and raw images (zero for elf, whose segments carry
	// their own addresses).
	Entry    uint64
	EntrySet bool
	LoadIPA  uint64

	Pos         Pos
	FormatPos   Pos
	BootargsPos Pos
	EntryPos    Pos

	broken bool
}

// ConsoleKind is where a partition's console output goes.
type ConsoleKind uint8

const (
	// ConsoleVirtual is a PL011 the hypervisor emulates; its lines go
	// to the hypervisor's console, prefixed with the partition's name.
	ConsoleVirtual ConsoleKind = iota + 1
	// ConsolePassthrough is a UART device given to the partition.
	ConsolePassthrough
)

var consoleKindNames = []string{ConsoleVirtual: "virtual", ConsolePassthrough: "passthrough"}

func (k ConsoleKind) String() string { return enumString(consoleKindNames, k) }

// Console is a partition's console: virtual, or one of its devices.
type Console struct {
	Kind ConsoleKind
	// Device names the partition's UART when Kind is
	// ConsolePassthrough.
	Device string
	Pos    Pos
}

func (c Console) String() string {
	if c.Kind == ConsolePassthrough {
		return c.Device
	}
	return c.Kind.String()
}

// Watchdog is a partition's virtual SBSA Generic Watchdog: a guest that
// does not refresh it for Timeout gets Action.
type Watchdog struct {
	// Timeout in milliseconds; 0 for no watchdog.
	TimeoutMS uint32
	Action    WatchdogAction
	Pos       Pos
}

// WatchdogAction is what an expired watchdog does to its partition.
type WatchdogAction uint8

const (
	WatchdogRestart WatchdogAction = iota + 1
	WatchdogStop
)

var watchdogActionNames = []string{WatchdogRestart: "restart", WatchdogStop: "stop"}

func (a WatchdogAction) String() string { return enumString(watchdogActionNames, a) }

// FaultPolicy is what the hypervisor does when a guest touches an address
// it was not given.
type FaultPolicy uint8

const (
	// FaultAbort injects a synchronous external abort into the guest,
	// as hardware would for a bus error. The default.
	FaultAbort FaultPolicy = iota + 1
	// FaultStop stops the partition's vCPUs for good.
	FaultStop
	// FaultRestart reloads the partition's images and boots it again.
	FaultRestart
)

var faultPolicyNames = []string{FaultAbort: "abort", FaultStop: "stop", FaultRestart: "restart"}

func (f FaultPolicy) String() string { return enumString(faultPolicyNames, f) }

// Partition is one guest: its cores, memory, devices and software.
type Partition struct {
	Name    string
	CPUs    []Core
	Memory  []MemoryRegion
	Devices []Device
	Kernel  Kernel
	// Console defaults to virtual, OnFault to abort.
	Console Console
	OnFault FaultPolicy
	// Watchdog is the partition's virtual watchdog; zero for none.
	Watchdog Watchdog

	Pos        Pos
	NamePos    Pos
	CPUsPos    Pos
	MemoryPos  Pos
	OnFaultPos Pos

	// cpusWritten and memoryWritten are set when the config lists
	// entries under cpus or memory, readable or not, so an unreadable
	// list is not also reported as empty.
	cpusWritten   bool
	memoryWritten bool
	broken        bool
}

// Device returns the partition's device with the given name.
func (p *Partition) Device(name string) (*Device, bool) {
	for i := range p.Devices {
		if p.Devices[i].Name == name {
			return &p.Devices[i], true
		}
	}
	return nil, false
}

// Summary is a one-line description of the partition:
//
//	ecu: cores 2; memory 0x68000000+64MiB; devices none; kernel elf ../build/guests/ecu.elf; console virtual; on_fault restart
func (p *Partition) Summary() string {
	cores := make([]string, len(p.CPUs))
	for i, c := range p.CPUs {
		cores[i] = strconv.Itoa(c.Index)
	}
	memory := make([]string, len(p.Memory))
	for i, m := range p.Memory {
		memory[i] = m.String()
		if !m.Identity() {
			memory[i] += fmt.Sprintf(" at ipa %#x", m.IPA)
		}
	}
	devices := make([]string, len(p.Devices))
	for i, d := range p.Devices {
		devices[i] = d.Name
	}
	if len(devices) == 0 {
		devices = []string{"none"}
	}
	summary := fmt.Sprintf("%s: cores %s; memory %s; devices %s; kernel %s %s; console %s; on_fault %s",
		p.Name, strings.Join(cores, ","), strings.Join(memory, ", "), strings.Join(devices, ","),
		p.Kernel.Format, p.Kernel.Image.Path, p.Console, p.OnFault)
	if p.Watchdog.TimeoutMS > 0 {
		summary += fmt.Sprintf("; watchdog %dms %s", p.Watchdog.TimeoutMS, p.Watchdog.Action)
	}
	return summary
}

// Access is what a channel member may do with the channel's memory.
type Access uint8

const (
	AccessReadWrite Access = iota + 1
	AccessReadOnly
)

var accessNames = []string{AccessReadWrite: "rw", AccessReadOnly: "ro"}

func (a Access) String() string { return enumString(accessNames, a) }

// Channel is shared memory between two or more partitions.
type Channel struct {
	Name string
	// Range is the channel's physical memory; its Pos is the channel's.
	Range
	Members []ChannelMember
	// Doorbell is the interrupt injected into the members when one of
	// them rings the channel; nil when the channel has none.
	Doorbell *Interrupt
	NamePos  Pos
}

// ChannelMember is one partition's view of a channel.
type ChannelMember struct {
	Partition string
	Access    Access
	// IPA is where the member sees the channel; the loader sets it to
	// the channel's base when the config omits it, and IPAPos stays
	// invalid.
	IPA          uint64
	Pos          Pos
	PartitionPos Pos
	AccessPos    Pos
	IPAPos       Pos

	broken bool
}

// enumString returns the config spelling of an enum value.
func enumString[E ~uint8](names []string, e E) string {
	if int(e) < len(names) && names[e] != "" {
		return names[e]
	}
	return fmt.Sprintf("invalid(%d)", e)
}

// parseEnum returns the value spelled s.
func parseEnum[E ~uint8](names []string, s string) (E, bool) {
	for i, n := range names {
		if n != "" && n == s {
			return E(i), true
		}
	}
	return 0, false
}

// enumList lists the accepted spellings for a message: "linux, elf, raw".
func enumList(names []string) string {
	var accepted []string
	for _, n := range names {
		if n != "" {
			accepted = append(accepted, n)
		}
	}
	return strings.Join(accepted, ", ")
}
