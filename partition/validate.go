package partition

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/tamavisor/tamavisor/board"
)

// Validate checks the config against its board and returns every problem
// as an ErrorList in file order, or nil. Before checking it fills in what
// the config leaves out: the board description, the hypervisor's memory
// and console, partitions' console (virtual) and on_fault (abort), named
// devices' MMIO, interrupts and stream IDs, and each kernel's entry and
// load address. It reads the guest images, so it fails if they are
// missing.
//
// Parse and Load call Validate; call it yourself only on a Config built
// in code.
func (c *Config) Validate() error {
	return c.validate(true).err()
}

// validator checks one config. b is nil when the board is unknown; checks
// against the board are then skipped, the rest still run.
type validator struct {
	reporter
	c *Config
	b *board.Board
	// hypervisorDefaulted is set when the config leaves the
	// hypervisor's memory to the board.
	hypervisorDefaulted bool
	// skipGuestFiles leaves kernel, initrd and DTB files unread.
	skipGuestFiles bool
}

func (c *Config) validate(guestFiles bool) ErrorList {
	v := &validator{c: c, skipGuestFiles: !guestFiles}
	c.partitioningOnly = !guestFiles
	v.board()
	v.hypervisor()
	v.names()
	v.cores()
	for i := range c.Partitions {
		if p := &c.Partitions[i]; !p.broken {
			v.defaults(p)
			v.memory(p)
			v.devices(i)
			v.console(p)
			v.kernel(p)
		}
	}
	v.channels()
	v.physicalAddressSpace()
	for i := range c.Partitions {
		if !c.Partitions[i].broken {
			v.guestAddressSpace(i)
		}
	}
	v.interrupts()
	v.streamIDs()
	v.warnings.sort()
	c.Warnings = v.warnings
	return v.errs
}

func inPartition(p *Partition) scope { return scope{partition: p.Name} }
func inChannel(ch *Channel) scope    { return scope{channel: ch.Name} }

// lineOf writes " (line N)" for a position in the config, or nothing for
// a value that came from the board.
func lineOf(p Pos) string {
	if !p.IsValid() {
		return ""
	}
	return fmt.Sprintf(" (line %d)", p.Line)
}

// later reports whether a is written after b.
func later(a, b Pos) bool {
	return a.Line > b.Line || a.Line == b.Line && a.Column > b.Column
}

// span writes a region as an inclusive address range: 0x40000000-0x47ffffff.
func span(r board.Region) string {
	return fmt.Sprintf("%#x-%#x", r.Base, r.End()-1)
}

func (v *validator) board() {
	c := v.c
	if c.BoardName == "" {
		if c.BoardPos.IsValid() {
			v.report(c.BoardPos, scope{}, "board is empty", "name the board, e.g. board: qemu-virt")
		}
		return
	}
	b, err := board.Lookup(c.BoardName)
	if err != nil {
		v.report(c.BoardPos, scope{}, fmt.Sprintf("unknown board %q", c.BoardName), "use one of "+strings.Join(board.Names(), ", "))
		return
	}
	c.Board, v.b = b, b
}

func (v *validator) hypervisor() {
	h := &v.c.Hypervisor
	if v.b != nil {
		if !h.Memory.Pos.IsValid() && h.Memory.Size == 0 {
			r := v.b.Hypervisor.Memory
			h.Memory = Range{Base: r.Base, Size: r.Size, Pos: v.c.BoardPos, BasePos: v.c.BoardPos, SizePos: v.c.BoardPos}
			v.hypervisorDefaulted = true
		}
		if h.Console == "" && !h.ConsolePos.IsValid() {
			h.Console, h.ConsolePos = v.b.Hypervisor.UART, v.c.BoardPos
		}
	}
	if h.Console == "" && h.ConsolePos.IsValid() {
		v.report(h.ConsolePos, scope{}, "hypervisor console is empty", fmt.Sprintf("name the UART the hypervisor prints on, e.g. console: %s", v.defaultUART()))
	} else if v.b != nil {
		if _, ok := v.b.Device(h.Console); !ok {
			v.report(h.ConsolePos, scope{}, fmt.Sprintf("hypervisor console %q is not a device of board %q", h.Console, v.b.Name),
				fmt.Sprintf("use the board's console UART, console: %s", v.defaultUART()))
		}
	}

	if written := h.Memory.Pos.IsValid() || h.Memory.Size != 0; h.Memory.broken || v.hypervisorDefaulted || !written {
		return
	}
	if !v.checkRange(scope{}, "hypervisor memory", physical, h.Memory.Base, h.Memory.Size, h.Memory.BasePos, h.Memory.SizePos) {
		h.Memory.broken = true
		return
	}
	if v.b == nil {
		return
	}
	v.checkInRAM(scope{}, "hypervisor memory", h.Memory.Region(), h.Memory.Pos)
	if want := v.b.Hypervisor.Memory; !h.Memory.Region().Contains(want) {
		v.report(h.Memory.Pos, scope{}, fmt.Sprintf("hypervisor memory %s does not cover the board's hypervisor region %s", h.Memory, FormatRange(want.Base, want.Size)),
			fmt.Sprintf("the firmware's shared region and per-core slots live there: make the memory include %s", span(want)))
	}
}

func (v *validator) defaultUART() string {
	if v.b != nil && v.b.Hypervisor.UART != "" {
		return v.b.Hypervisor.UART
	}
	return "uart0"
}

// validName is what partition, channel and device names look like: they
// become console line prefixes and device-tree node names.
var validName = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// maxNameLength is the devicetree limit for a node name (Devicetree
// Specification v0.4, 2.2.1 "Node Names": 1 to 31 characters).
const maxNameLength = 31

func (v *validator) checkName(in scope, what, name string, pos Pos) bool {
	switch {
	case name == "":
		v.report(pos, in, what+" is empty", "give it a name such as ecu")
	case !validName.MatchString(name):
		v.report(pos, in, fmt.Sprintf("%s %q is not valid", what, name),
			"use lowercase letters, digits and '-', starting with a letter: the name becomes a console prefix and a device-tree node name")
	case len(name) > maxNameLength:
		v.report(pos, in, fmt.Sprintf("%s %q is %d characters long", what, name, len(name)),
			fmt.Sprintf("use at most %d, the device-tree limit for node names", maxNameLength))
	default:
		return true
	}
	return false
}

func (v *validator) names() {
	partitions := map[string]Pos{}
	for i := range v.c.Partitions {
		p := &v.c.Partitions[i]
		if p.broken || !p.NamePos.IsValid() && p.Name == "" {
			continue // its missing name is already reported
		}
		if !v.checkName(inPartition(p), "name", p.Name, p.NamePos) {
			continue
		}
		if first, dup := partitions[p.Name]; dup {
			v.report(p.NamePos, inPartition(p), fmt.Sprintf("name is already used by the partition at line %d", first.Line), "give each partition its own name")
			continue
		}
		partitions[p.Name] = p.NamePos
	}
	channels := map[string]Pos{}
	for i := range v.c.Channels {
		ch := &v.c.Channels[i]
		if !ch.NamePos.IsValid() && ch.Name == "" {
			continue
		}
		if !v.checkName(inChannel(ch), "name", ch.Name, ch.NamePos) {
			continue
		}
		if first, dup := channels[ch.Name]; dup {
			v.report(ch.NamePos, inChannel(ch), fmt.Sprintf("name is already used by the channel at line %d", first.Line), "give each channel its own name")
			continue
		}
		channels[ch.Name] = ch.NamePos
	}
	if len(v.c.Partitions) == 0 && !v.c.partitionsWritten {
		v.report(v.c.Pos, scope{}, "no partitions are listed", "add at least one under partitions:")
	}
}

// boardCores writes the board's core indices for a message: "0-3".
func boardCores(b *board.Board) string {
	contiguous := true
	indices := make([]string, len(b.CPUs))
	for i, c := range b.CPUs {
		indices[i] = strconv.Itoa(c.Index)
		contiguous = contiguous && c.Index == i
	}
	if contiguous && len(b.CPUs) > 1 {
		return fmt.Sprintf("0-%d", len(b.CPUs)-1)
	}
	return strings.Join(indices, ", ")
}

func (v *validator) cores() {
	type owner struct {
		partition int
		pos       Pos
	}
	owners := map[int]owner{}
	for pi := range v.c.Partitions {
		p := &v.c.Partitions[pi]
		if p.broken {
			continue
		}
		in := inPartition(p)
		if len(p.CPUs) == 0 && !p.cpusWritten {
			pos := p.CPUsPos
			if !pos.IsValid() {
				pos = p.Pos
			}
			v.report(pos, in, "no cores are listed", "give it at least one, e.g. cpus: [0]")
		}
		for _, core := range p.CPUs {
			if v.b != nil && !boardHasCore(v.b, core.Index) {
				v.report(core.Pos, in, fmt.Sprintf("core %d does not exist on board %q", core.Index, v.b.Name),
					fmt.Sprintf("use one of its cores %s", boardCores(v.b)))
				continue
			}
			first, taken := owners[core.Index]
			switch {
			case !taken:
				owners[core.Index] = owner{pi, core.Pos}
			case first.partition == pi:
				v.report(core.Pos, in, fmt.Sprintf("core %d is listed twice (first at line %d)", core.Index, first.pos.Line), "remove one of them")
			default:
				v.report(core.Pos, in, fmt.Sprintf("core %d is also given to partition %q%s", core.Index, v.c.Partitions[first.partition].Name, lineOf(first.pos)),
					"a core runs one partition: remove it from one of them")
			}
		}
	}
}

func boardHasCore(b *board.Board, index int) bool {
	for _, c := range b.CPUs {
		if c.Index == index {
			return true
		}
	}
	return false
}

// defaults fills in what a partition may leave out.
func (v *validator) defaults(p *Partition) {
	if p.Console.Kind == 0 {
		p.Console.Kind = ConsoleVirtual
	}
	if p.OnFault == 0 && !p.OnFaultPos.IsValid() {
		p.OnFault = FaultAbort
	}
}

// console checks that a passthrough console is one of the partition's
// devices.
func (v *validator) console(p *Partition) {
	if p.Console.Kind != ConsolePassthrough {
		return
	}
	if _, ok := p.Device(p.Console.Device); !ok {
		v.report(p.Console.Pos, inPartition(p), fmt.Sprintf("console %q is neither virtual nor a device of this partition", p.Console.Device),
			fmt.Sprintf("write console: virtual, or add %q to devices", p.Console.Device))
	}
}

func (v *validator) channels() {
	for ci := range v.c.Channels {
		ch := &v.c.Channels[ci]
		in := inChannel(ch)
		if !ch.broken {
			if v.checkRange(in, "", physical, ch.Base, ch.Size, ch.BasePos, ch.SizePos) {
				v.checkInRAM(in, "memory", ch.Region(), ch.Pos)
			} else {
				ch.broken = true
			}
		}
		if len(ch.Members) < 2 {
			v.report(ch.Pos, in, map[int]string{0: "has no members", 1: "has only one member"}[len(ch.Members)],
				"a channel connects two or more partitions: list them under members")
		}
		seen := map[string]Pos{}
		writers, readable := 0, true
		for mi := range ch.Members {
			m := &ch.Members[mi]
			if m.broken {
				readable = false
				continue
			}
			if m.Access == AccessReadWrite {
				writers++
			}
			if _, ok := v.c.Partition(m.Partition); !ok {
				v.report(m.PartitionPos, in, fmt.Sprintf("member partition %q does not exist", m.Partition), "use one of "+v.partitionNames())
				m.broken = true
				continue
			}
			if first, dup := seen[m.Partition]; dup {
				v.report(m.PartitionPos, in, fmt.Sprintf("partition %q is listed twice (first at line %d)", m.Partition, first.Line), "remove one of them")
				m.broken = true
				continue
			}
			seen[m.Partition] = m.PartitionPos
			if m.IPAPos.IsValid() && !ch.broken {
				if !v.checkRange(in, fmt.Sprintf("member %q ipa", m.Partition), guest, m.IPA, ch.Size, m.IPAPos, ch.SizePos) {
					m.broken = true
				}
			}
		}
		if readable && len(ch.Members) >= 2 && writers == 0 {
			v.report(ch.Pos, in, "no member has access rw", "give the member that produces the data access: rw (memory no one writes stays zero)")
		}
	}
}

func (v *validator) partitionNames() string {
	names := make([]string, 0, len(v.c.Partitions))
	for _, p := range v.c.Partitions {
		if p.Name != "" {
			names = append(names, p.Name)
		}
	}
	if len(names) == 0 {
		return "the config's partitions"
	}
	return strings.Join(names, ", ")
}
