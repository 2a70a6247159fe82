package partition

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads, parses and validates the config at path. Relative paths in
// it are resolved against path's directory.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// LoadPartitioning is Load without reading the guest files (kernel, initrd,
// DTB): every rule about cores, memory, devices, interrupts and channels
// still applies. It is for tools that only show the partitioning, such as
// tamavisor layout, before the guests are built.
func LoadPartitioning(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parse(path, data, false)
}

// Parse parses and validates a config; filename goes into positions and
// relative paths in the config are resolved against its directory. On any
// problem it returns an ErrorList holding all of them, in file order.
func Parse(filename string, data []byte) (*Config, error) {
	return parse(filename, data, true)
}

func parse(filename string, data []byte, guestFiles bool) (*Config, error) {
	c, errs := decode(filename, data)
	if c != nil {
		errs = append(errs, c.validate(guestFiles)...)
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// The accepted fields of each mapping, in the order docs/config.md lists
// them.
var (
	configFields     = []string{"board", "hypervisor", "partitions", "channels"}
	hypervisorFields = []string{"memory", "console"}
	rangeFields      = []string{"base", "size"}
	memoryFields     = []string{"base", "size", "ipa"}
	partitionFields  = []string{"name", "cpus", "memory", "devices", "kernel", "console", "on_fault", "watchdog"}
	watchdogFields   = []string{"timeout", "action"}
	deviceFields     = []string{"name", "mmio", "interrupts", "stream_ids"}
	kernelFields     = []string{"format", "image", "initrd", "bootargs", "entry", "dtb"}
	channelFields    = []string{"name", "base", "size", "members", "doorbell"}
	memberFields     = []string{"partition", "access", "ipa"}
)

// decoder turns the YAML node tree into a Config, reporting everything
// that does not fit the schema. It never stops at the first problem: a
// value it cannot read is reported and left out (or its object marked
// broken) so the rest is still checked.
type decoder struct {
	reporter
	file string
	dir  string
	in   scope
}

func decode(filename string, data []byte) (*Config, ErrorList) {
	d := &decoder{file: filename, dir: filepath.Dir(filename)}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.report(Pos{File: filename}, d.in, "the file holds no settings", "start from configs/qemu-virt.yaml, and see docs/config.md for every field")
		} else {
			d.syntaxError(err)
		}
		return nil, d.errs
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		d.report(d.pos(&next), d.in, "a second YAML document starts here", "a config is one document: remove the '---' line and what follows, or split it into two files")
	case !errors.Is(err, io.EOF):
		d.syntaxError(err)
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		d.report(Pos{File: filename}, d.in, "the file holds no settings", "start from configs/qemu-virt.yaml, and see docs/config.md for every field")
		return nil, d.errs
	}
	root := doc.Content[0]
	if !d.expect(root, yaml.MappingNode, "the config", "board: qemu-virt") {
		return nil, d.errs
	}
	c := &Config{File: filename, Dir: d.dir, Pos: d.pos(root)}
	seen := d.fields(root, "the config", configFields, func(key string, v *yaml.Node) {
		switch key {
		case "board":
			if name, pos, ok := d.str(v, "board", "board: qemu-virt"); ok {
				c.BoardName, c.BoardPos = name, pos
			}
		case "hypervisor":
			c.Hypervisor = d.hypervisor(v)
		case "partitions":
			c.partitionsWritten = written(v)
			for _, item := range d.list(v, "partitions", `a list whose entries start with "- name: ecu"`) {
				c.Partitions = append(c.Partitions, d.partition(item))
			}
		case "channels":
			for _, item := range d.list(v, "channels", `a list whose entries start with "- name: vehicle-data"`) {
				c.Channels = append(c.Channels, d.channel(item))
			}
		}
	})
	d.require(root, seen, "board", "name the board, e.g. board: qemu-virt")
	return c, d.errs
}

// yamlLine finds the line number in yaml.v3's syntax errors.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (d *decoder) syntaxError(err error) {
	pos := Pos{File: d.file}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		fmt.Sscan(m[1], &pos.Line)
		msg = m[2]
	}
	d.report(pos, d.in, "YAML syntax error: "+msg, "check the indentation, the ':' after each key and the quoting from this line on")
}

func (d *decoder) pos(n *yaml.Node) Pos {
	return Pos{File: d.file, Line: n.Line, Column: n.Column}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// kindName describes a node's kind for messages.
func kindName(n *yaml.Node) string {
	switch {
	case isNull(n):
		return "empty"
	case n.Kind == yaml.AliasNode:
		return "an alias"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	}
	return "a single value"
}

// expect reports a node of the wrong kind. subject names it in the
// message ("field \"cpus\"", "each entry of memory"); example shows the
// expected form.
func (d *decoder) expect(n *yaml.Node, kind yaml.Kind, subject, example string) bool {
	if n.Kind == yaml.AliasNode {
		d.report(d.pos(n), d.in, fmt.Sprintf("%s uses the alias *%s", subject, n.Value), "anchors and aliases are not supported: write the value out")
		return false
	}
	if isNull(n) {
		d.report(d.pos(n), d.in, subject+" is empty", "write it as "+example)
		return false
	}
	if n.Kind == kind {
		return true
	}
	want := map[yaml.Kind]string{yaml.ScalarNode: "a single value", yaml.SequenceNode: "a list", yaml.MappingNode: "a mapping of fields"}[kind]
	d.report(d.pos(n), d.in, fmt.Sprintf("%s must be %s, not %s", subject, want, kindName(n)), "write it as "+example)
	return false
}

// fields walks mapping n, calls set for each accepted key and returns the
// keys it saw. what names the mapping in messages ("partition").
func (d *decoder) fields(n *yaml.Node, what string, accepted []string, set func(key string, value *yaml.Node)) map[string]bool {
	seen := map[string]bool{}
	firstLine := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || isNull(k) {
			d.report(d.pos(k), d.in, fmt.Sprintf("a key in %s is %s", what, kindName(k)), "keys are plain field names: "+strings.Join(accepted, ", "))
			continue
		}
		key := k.Value
		if !slices.Contains(accepted, key) {
			fix := "remove it, or use one of " + strings.Join(accepted, ", ")
			if s := closest(key, accepted); s != "" {
				fix = fmt.Sprintf("did you mean %q? (%s accepts %s)", s, what, strings.Join(accepted, ", "))
			}
			d.report(d.pos(k), d.in, fmt.Sprintf("unknown field %q in %s", key, what), fix)
			continue
		}
		if seen[key] {
			d.report(d.pos(k), d.in, fmt.Sprintf("field %q is repeated (first at line %d)", key, firstLine[key]), "keep one of them")
			continue
		}
		seen[key], firstLine[key] = true, k.Line
		set(key, v)
	}
	return seen
}

// require reports a missing field of mapping n.
func (d *decoder) require(n *yaml.Node, seen map[string]bool, key, fix string) bool {
	if seen[key] {
		return true
	}
	d.report(d.pos(n), d.in, fmt.Sprintf("field %q is missing", key), fix)
	return false
}

// written reports whether a list field holds anything, readable or not.
func written(n *yaml.Node) bool {
	return !isNull(n) && !(n.Kind == yaml.SequenceNode && len(n.Content) == 0)
}

// list returns the items of a sequence; an empty value is an empty list.
func (d *decoder) list(n *yaml.Node, field, example string) []*yaml.Node {
	if isNull(n) || !d.expect(n, yaml.SequenceNode, fmt.Sprintf("field %q", field), example) {
		return nil
	}
	return n.Content
}

// str returns a single value's text.
func (d *decoder) str(n *yaml.Node, field, example string) (string, Pos, bool) {
	if !d.expect(n, yaml.ScalarNode, fmt.Sprintf("field %q", field), example) {
		return "", d.pos(n), false
	}
	return n.Value, d.pos(n), true
}

// number reads an integer, address or size with parse and reports a bad
// one as `field "value" problem; fix`.
func (d *decoder) number(n *yaml.Node, field, example string, parse func(string) (uint64, *valueError)) (uint64, bool) {
	s, pos, ok := d.str(n, field, example)
	if !ok {
		return 0, false
	}
	v, verr := parse(s)
	if verr != nil {
		d.report(pos, d.in, fmt.Sprintf("%s %q %s", field, s, verr.problem), verr.fix)
		return 0, false
	}
	return v, true
}

func (d *decoder) address(n *yaml.Node, field string) (uint64, bool) {
	return d.number(n, field, field+": 0x48000000", parseAddress)
}

func (d *decoder) size(n *yaml.Node, field string) (uint64, bool) {
	return d.number(n, field, field+": 64MiB", parseSize)
}

// uint32Field reads an interrupt ID, stream ID or core index.
func (d *decoder) uint32Field(n *yaml.Node, field, example string) (uint32, bool) {
	v, ok := d.number(n, field, example, func(s string) (uint64, *valueError) { return parseInteger(s, "it") })
	if ok && v > math.MaxUint32 {
		d.report(d.pos(n), d.in, fmt.Sprintf("%s %d does not fit in 32 bits", field, v), "use a smaller value")
		return 0, false
	}
	return uint32(v), ok
}

// path resolves a file name against the config's directory.
func (d *decoder) path(n *yaml.Node, field string) (File, bool) {
	s, pos, ok := d.str(n, field, field+": ../build/guests/guest.elf")
	if !ok {
		return File{Pos: pos}, false
	}
	if s == "" {
		d.report(pos, d.in, fmt.Sprintf("%s is an empty path", field), "name the file, relative to the config file's directory")
		return File{Pos: pos}, false
	}
	resolved := s
	if !filepath.IsAbs(s) {
		resolved = filepath.Join(d.dir, s)
	}
	return File{Path: s, Resolved: resolved, Pos: pos}, true
}

// enumField reads one of the accepted spellings in names.
func enumField[E ~uint8](d *decoder, n *yaml.Node, field string, names []string) (E, Pos, bool) {
	s, pos, ok := d.str(n, field, fmt.Sprintf("%s: %s", field, enumList(names)))
	if !ok {
		return 0, pos, false
	}
	e, ok := parseEnum[E](names, s)
	if !ok {
		d.report(pos, d.in, fmt.Sprintf("%s %q is not valid", field, s), "use one of "+enumList(names))
	}
	return e, pos, ok
}

// rangeField reads the base or size of r.
func (d *decoder) rangeField(key string, v *yaml.Node, r *Range) {
	var ok bool
	switch key {
	case "base":
		r.BasePos = d.pos(v)
		r.Base, ok = d.address(v, "base")
	case "size":
		r.SizePos = d.pos(v)
		r.Size, ok = d.size(v, "size")
	}
	if !ok {
		r.broken = true
	}
}

// requireRange reports a missing base or size.
func (d *decoder) requireRange(n *yaml.Node, seen map[string]bool, r *Range) {
	if !d.require(n, seen, "base", "give the physical address, e.g. base: 0x48000000") {
		r.broken = true
	}
	if !d.require(n, seen, "size", "give the size, e.g. size: 64MiB") {
		r.broken = true
	}
}

// rangeMapping reads a {base, size} mapping; subject names it in messages
// about its kind, what in messages about its fields.
func (d *decoder) rangeMapping(n *yaml.Node, subject, what string) Range {
	r := Range{Pos: d.pos(n)}
	if !d.expect(n, yaml.MappingNode, subject, "{base: 0x9000000, size: 4KiB}") {
		r.broken = true
		return r
	}
	seen := d.fields(n, what, rangeFields, func(key string, v *yaml.Node) { d.rangeField(key, v, &r) })
	d.requireRange(n, seen, &r)
	return r
}

func (d *decoder) hypervisor(n *yaml.Node) Hypervisor {
	h := Hypervisor{Pos: d.pos(n)}
	if !d.expect(n, yaml.MappingNode, `field "hypervisor"`, "hypervisor: {memory: {base: 0x40000000, size: 128MiB}, console: uart0}") {
		return h
	}
	d.fields(n, "hypervisor", hypervisorFields, func(key string, v *yaml.Node) {
		switch key {
		case "memory":
			h.Memory = d.rangeMapping(v, `field "memory"`, "hypervisor memory")
		case "console":
			if name, pos, ok := d.str(v, "console", "console: uart0"); ok {
				h.Console, h.ConsolePos = name, pos
			}
		}
	})
	return h
}

// peekName returns the value of a mapping's name field, so problems found
// before it is read can already say which partition or channel they are
// in.
func peekName(n *yaml.Node) string {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k, v := n.Content[i], n.Content[i+1]; k.Value == "name" && v.Kind == yaml.ScalarNode {
			return v.Value
		}
	}
	return ""
}

func (d *decoder) partition(n *yaml.Node) Partition {
	p := Partition{Pos: d.pos(n)}
	if !d.expect(n, yaml.MappingNode, "each entry of partitions", "a mapping: - name: ecu") {
		p.broken = true
		return p
	}
	d.in = scope{partition: peekName(n)}
	defer func() { d.in = scope{} }()
	seen := d.fields(n, "partition", partitionFields, func(key string, v *yaml.Node) {
		switch key {
		case "name":
			if name, pos, ok := d.str(v, "name", "name: ecu"); ok {
				p.Name, p.NamePos = name, pos
			}
		case "cpus":
			p.CPUsPos = d.pos(v)
			p.cpusWritten = written(v)
			for _, item := range d.list(v, "cpus", "cpus: [0, 1]") {
				if index, ok := d.uint32Field(item, "core", "cpus: [0, 1]"); ok {
					if index > math.MaxInt32 {
						d.report(d.pos(item), d.in, fmt.Sprintf("core %d is not a core index", index), "use the board's core numbers, counted from 0")
						continue
					}
					p.CPUs = append(p.CPUs, Core{Index: int(index), Pos: d.pos(item)})
				}
			}
		case "memory":
			p.MemoryPos, p.memoryWritten = d.pos(v), written(v)
			for _, item := range d.list(v, "memory", "memory: [{base: 0x48000000, size: 64MiB}]") {
				p.Memory = append(p.Memory, d.memoryRegion(item))
			}
		case "devices":
			for _, item := range d.list(v, "devices", "devices: [rtc]") {
				p.Devices = append(p.Devices, d.device(item))
			}
		case "kernel":
			p.Kernel = d.kernel(v)
		case "console":
			s, pos, ok := d.str(v, "console", "console: virtual")
			p.Console = Console{Kind: ConsoleVirtual, Pos: pos}
			if ok && s != consoleKindNames[ConsoleVirtual] {
				p.Console = Console{Kind: ConsolePassthrough, Device: s, Pos: pos}
			}
		case "on_fault":
			p.OnFault, p.OnFaultPos, _ = enumField[FaultPolicy](d, v, "on_fault", faultPolicyNames)
		case "watchdog":
			p.Watchdog = d.watchdog(v)
		}
	})
	d.require(n, seen, "name", "name the partition, e.g. name: ecu")
	if !d.require(n, seen, "kernel", "give the guest software, e.g. kernel: {format: elf, image: ../build/guests/ecu.elf}") {
		p.Kernel.broken = true
	}
	return p
}

// watchdog reads watchdog: {timeout: 100ms, action: restart}.
func (d *decoder) watchdog(n *yaml.Node) Watchdog {
	const example = "watchdog: {timeout: 100ms, action: restart}"
	w := Watchdog{Pos: d.pos(n), Action: WatchdogRestart}
	if !d.expect(n, yaml.MappingNode, "field \"watchdog\"", example) {
		return w
	}
	seen := d.fields(n, "watchdog", watchdogFields, func(key string, v *yaml.Node) {
		switch key {
		case "timeout":
			if ms, ok := d.number(v, "timeout", "timeout: 100ms", parseMilliseconds); ok {
				w.TimeoutMS = uint32(ms)
			}
		case "action":
			w.Action, _, _ = enumField[WatchdogAction](d, v, "action", watchdogActionNames)
		}
	})
	d.require(n, seen, "timeout", "say how long the guest may go without refreshing it, e.g. timeout: 100ms")
	return w
}

// maxWatchdogMS is the longest watchdog timeout: an hour.
const maxWatchdogMS = 3_600_000

// parseMilliseconds reads a duration of whole milliseconds: "100ms",
// "2s", at most an hour.
func parseMilliseconds(s string) (uint64, *valueError) {
	fix := "write it in ms or s, e.g. 100ms or 2s, between 1ms and 3600s"
	var n uint64
	var unit string
	if _, err := fmt.Sscanf(s, "%d%s", &n, &unit); err != nil {
		return 0, &valueError{problem: "is not a duration", fix: fix}
	}
	switch unit {
	case "ms":
	case "s":
		n *= 1000
	default:
		return 0, &valueError{problem: "is not a duration", fix: fix}
	}
	if n == 0 || n > maxWatchdogMS {
		return 0, &valueError{problem: "is out of range", fix: fix}
	}
	return n, nil
}

func (d *decoder) memoryRegion(n *yaml.Node) MemoryRegion {
	m := MemoryRegion{Range: Range{Pos: d.pos(n)}}
	if !d.expect(n, yaml.MappingNode, "each entry of memory", "- {base: 0x48000000, size: 64MiB}") {
		m.broken = true
		return m
	}
	hasIPA := false
	seen := d.fields(n, "memory region", memoryFields, func(key string, v *yaml.Node) {
		if key != "ipa" {
			d.rangeField(key, v, &m.Range)
			return
		}
		hasIPA = true
		m.IPAPos = d.pos(v)
		var ok bool
		if m.IPA, ok = d.address(v, "ipa"); !ok {
			m.broken = true
		}
	})
	d.requireRange(n, seen, &m.Range)
	if !hasIPA {
		m.IPA = m.Base
	}
	return m
}

func (d *decoder) device(n *yaml.Node) Device {
	dev := Device{Pos: d.pos(n), NamePos: d.pos(n)}
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		dev.Name, dev.FromBoard = n.Value, true
		return dev
	}
	if !d.expect(n, yaml.MappingNode, "each entry of devices", "a board device's name (- rtc) or a mapping {name, mmio, interrupts, stream_ids}") {
		dev.broken = true
		return dev
	}
	seen := d.fields(n, "device", deviceFields, func(key string, v *yaml.Node) {
		switch key {
		case "name":
			dev.Name, dev.NamePos, _ = d.str(v, "name", "name: can0")
		case "mmio":
			for _, item := range d.list(v, "mmio", "mmio: [{base: 0x9030000, size: 4KiB}]") {
				r := d.rangeMapping(item, "each entry of mmio", "mmio range")
				if r.broken {
					dev.broken = true
				}
				dev.MMIO = append(dev.MMIO, r)
			}
		case "interrupts":
			for _, item := range d.list(v, "interrupts", "interrupts: [39]") {
				if id, ok := d.uint32Field(item, "interrupt", "interrupts: [39]"); ok {
					dev.Interrupts = append(dev.Interrupts, Interrupt{ID: id, Pos: d.pos(item)})
				}
			}
		case "stream_ids":
			for _, item := range d.list(v, "stream_ids", "stream_ids: [8]") {
				if id, ok := d.uint32Field(item, "stream ID", "stream_ids: [8]"); ok {
					dev.StreamIDs = append(dev.StreamIDs, StreamIDRange{First: id, Count: 1, Pos: d.pos(item)})
				}
			}
		}
	})
	if !d.require(n, seen, "name", "name the device, e.g. name: can0") {
		dev.broken = true
	}
	if !seen["mmio"] && !seen["interrupts"] && !seen["stream_ids"] && seen["name"] {
		d.report(dev.Pos, d.in, fmt.Sprintf("device %q lists no mmio, interrupts or stream_ids", dev.Name),
			fmt.Sprintf("write it as the plain string - %q to pass the board's device of that name, or list its resources", dev.Name))
		dev.broken = true
	}
	return dev
}

func (d *decoder) kernel(n *yaml.Node) Kernel {
	k := Kernel{Pos: d.pos(n)}
	if !d.expect(n, yaml.MappingNode, `field "kernel"`, "kernel: {format: elf, image: ../build/guests/ecu.elf}") {
		k.broken = true
		return k
	}
	seen := d.fields(n, "kernel", kernelFields, func(key string, v *yaml.Node) {
		var ok bool
		switch key {
		case "format":
			k.Format, k.FormatPos, ok = enumField[KernelFormat](d, v, "format", kernelFormatNames)
		case "image":
			k.Image, ok = d.path(v, "image")
		case "initrd":
			k.Initrd, ok = d.path(v, "initrd")
		case "dtb":
			k.DTB, ok = d.path(v, "dtb")
		case "bootargs":
			k.Bootargs, k.BootargsPos, ok = d.str(v, "bootargs", `bootargs: "console=ttyAMA0"`)
		case "entry":
			k.EntryPos, k.EntrySet = d.pos(v), true
			k.Entry, ok = d.address(v, "entry")
		}
		if !ok {
			k.broken = true
		}
	})
	if !d.require(n, seen, "format", "give the image's format: format: "+enumList(kernelFormatNames)) {
		k.broken = true
	}
	if !d.require(n, seen, "image", "name the guest image, e.g. image: ../build/guests/ecu.elf") {
		k.broken = true
	}
	return k
}

func (d *decoder) channel(n *yaml.Node) Channel {
	ch := Channel{Range: Range{Pos: d.pos(n)}}
	if !d.expect(n, yaml.MappingNode, "each entry of channels", "a mapping: - name: vehicle-data") {
		ch.broken = true
		return ch
	}
	d.in = scope{channel: peekName(n)}
	defer func() { d.in = scope{} }()
	seen := d.fields(n, "channel", channelFields, func(key string, v *yaml.Node) {
		switch key {
		case "name":
			if name, pos, ok := d.str(v, "name", "name: vehicle-data"); ok {
				ch.Name, ch.NamePos = name, pos
			}
		case "base", "size":
			d.rangeField(key, v, &ch.Range)
		case "members":
			for _, item := range d.list(v, "members", "members: [{partition: ecu, access: rw}, {partition: infotainment, access: ro}]") {
				ch.Members = append(ch.Members, d.member(item))
			}
		case "doorbell":
			if id, ok := d.uint32Field(v, "doorbell", "doorbell: 128"); ok {
				ch.Doorbell = &Interrupt{ID: id, Pos: d.pos(v)}
			}
		}
	})
	d.require(n, seen, "name", "name the channel, e.g. name: vehicle-data")
	d.requireRange(n, seen, &ch.Range)
	for i := range ch.Members {
		if !ch.Members[i].IPAPos.IsValid() {
			ch.Members[i].IPA = ch.Base
		}
	}
	return ch
}

func (d *decoder) member(n *yaml.Node) ChannelMember {
	m := ChannelMember{Pos: d.pos(n)}
	if !d.expect(n, yaml.MappingNode, "each entry of members", "{partition: ecu, access: rw}") {
		m.broken = true
		return m
	}
	seen := d.fields(n, "channel member", memberFields, func(key string, v *yaml.Node) {
		var ok bool
		switch key {
		case "partition":
			m.Partition, m.PartitionPos, ok = d.str(v, "partition", "partition: ecu")
		case "access":
			m.Access, m.AccessPos, ok = enumField[Access](d, v, "access", accessNames)
		case "ipa":
			m.IPAPos = d.pos(v)
			m.IPA, ok = d.address(v, "ipa")
		}
		if !ok {
			m.broken = true
		}
	})
	if !d.require(n, seen, "partition", "name the member partition, e.g. partition: ecu") {
		m.broken = true
	}
	if !d.require(n, seen, "access", "say what the member may do: access: rw or access: ro") {
		m.broken = true
	}
	return m
}

// closest returns the accepted field nearest to a misspelt one, if any is
// close enough to be a likely typo.
func closest(key string, accepted []string) string {
	best, bestDistance := "", 3
	for _, a := range accepted {
		if dist := editDistance(strings.ToLower(key), a); dist < bestDistance {
			best, bestDistance = a, dist
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
