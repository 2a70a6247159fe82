package partition

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/internal/fdt"
	"github.com/tamavisor/tamavisor/internal/sha256"
	devicetree "github.com/tamavisor/tamavisor/partition/dtb"
	"github.com/tamavisor/tamavisor/partition/table"
)

// Compiled is everything the image builder needs from a config: the
// partition table, the payload its image records index, and what went
// where.
type Compiled struct {
	// Table is ready for table.Encode.
	Table *table.Table
	// Payload holds every partition's kernel, initrd and DTB, in
	// partition order, each starting on a 4 KiB boundary; the table's
	// image records index it by offset.
	Payload []byte
	// DTBs is the device tree of each partition, by name: generated from
	// the config, or the file the config names. Each is also in Payload.
	DTBs map[string][]byte
	// Placement lists, in payload order, which blob each partition's
	// guest finds where.
	Placement []Placement
}

// Placement is one blob loaded into a partition's RAM, for people and
// tools (tamavisor layout) to see.
type Placement struct {
	Partition string
	Kind      table.ImageKind
	// IPA is where the blob's first byte lands in the guest's address
	// space; Size is how many bytes are loaded.
	IPA  uint64
	Size uint64
	// Footprint is the guest memory the blob claims from IPA: its Size,
	// or more for a Linux Image whose header asks for room for its bss,
	// or the whole 2 MiB block a DTB gets.
	Footprint uint64
	// Source is the file the blob comes from, as the config writes it;
	// empty for a generated DTB.
	Source string
}

// Where blobs go in guest memory and in the payload.
const (
	// payloadAlign is the alignment of each blob in the payload, and of
	// the payload after the table in the image's payload segment
	// (image.PayloadOffset, firmware/hv LoadPartitionTable).
	payloadAlign = PageSize
	// dtbBlockSize is the block the DTB gets at the top of memory region
	// 0: arm64 Linux maps the DTB cacheable with blocks of up to 2 MiB,
	// so it must have a 2 MiB-aligned block to itself, and may be at
	// most 2 MiB (the kernel's Documentation/arch/arm64/booting.rst,
	// "Setup the device tree").
	dtbBlockSize = 2 * MiB
	// hypervisorMemoryGranule rounds the hypervisor memory a message
	// suggests, so that stage 1 maps it with 2 MiB blocks (DESIGN.md,
	// "Memory").
	hypervisorMemoryGranule = 2 * MiB
)

// What each guest's generated device tree describes that the board
// description does not.
const (
	// psciConduit: guests call PSCI with HVC, which traps to the
	// hypervisor, which implements PSCI for them (DESIGN.md,
	// "Guest-facing contract").
	psciConduit = "hvc"
	// securePhysTimerIRQ is the secure EL1 physical timer PPI, the first
	// interrupt of the arm,armv8-timer binding. The board describes only
	// the timers the hypervisor and guests use; this one is INTID 29
	// (PPI 13) on qemu-virt, as the Arm Base System Architecture
	// recommends for every system.
	securePhysTimerIRQ = 16 + 13
	// passthroughCompatible is the compatible string of a device the
	// config describes itself (name, mmio, interrupts, stream_ids): the
	// config does not say which binding it follows, so its node only
	// tells the guest where the device is.
	passthroughCompatible = "tamavisor,passthrough"
	// pl011Compatible is the UART the generated device tree describes as
	// a console.
	pl011Compatible = "arm,pl011"
	// virtualConsoleSize is the register frame of the PL011 the
	// hypervisor emulates for a virtual console (firmware/hv,
	// virtualUARTSize): 4 KiB, whatever the board gives its own console
	// UART (the i.MX 8M Plus's have 64 KiB slots). Linux reads a
	// PrimeCell's ID registers at the end of its node's region, which
	// must be the emulated frame's end.
	virtualConsoleSize = 0x1000
)

// primeCells are the Arm PrimeCell peripherals boards list by their own
// compatible string only. Linux binds PrimeCells through the AMBA bus,
// which needs "arm,primecell" after it (Linux
// Documentation/devicetree/bindings/arm/primecell.yaml).
var primeCells = map[string]bool{
	"arm,pl022": true, // SSP
	"arm,pl031": true, // RTC
	"arm,pl041": true, // AACI
	"arm,pl050": true, // KMI
	"arm,pl061": true, // GPIO
	"arm,pl080": true, // DMA controller
	"arm,pl081": true, // DMA controller
	"arm,pl111": true, // CLCD
	"arm,pl180": true, // MMCI
	"arm,pl330": true, // DMA-330
	"arm,sp804": true, // dual timer
	"arm,sp805": true, // watchdog
}

// Compile turns a validated config (the *Config Load or Parse returned)
// into the partition table, the payload of guest images and each
// partition's device tree, laid out as docs/config.md and the table's
// package documentation describe.
//
// It reads the guest files again and reports, as an ErrorList, what only
// building reveals: images that no longer read as they did, kernel, initrd
// and DTB that do not fit memory region 0 together, an ELF kernel across
// two memory regions, an entry point outside the kernel image, device
// names the table cannot tell apart, a device tree the guest cannot be
// given, and hypervisor memory too small for the payload segment the
// image builder places after the board's hypervisor memory. The result
// passes the firmware's own checks (table.View.Check).
func Compile(cfg *Config) (*Compiled, error) {
	if cfg == nil || cfg.Board == nil {
		var pos Pos
		if cfg != nil {
			pos = cfg.Pos
		}
		return nil, ErrorList{{Pos: pos, Problem: "the config has not been validated", Fix: "load it with partition.Load or partition.Parse before compiling it"}}
	}
	if cfg.partitioningOnly {
		return nil, ErrorList{{Pos: cfg.Pos, Problem: "the config was loaded without reading its guest files", Fix: "load it with partition.Load to build an image"}}
	}
	cc := &compiler{
		c:   cfg,
		b:   cfg.Board,
		out: &Compiled{Table: &table.Table{}, DTBs: map[string][]byte{}},
	}
	cc.boardName()
	cc.hypervisorConsole()
	cc.deviceNames()
	cc.channels()
	for pi := range cfg.Partitions {
		cc.partition(pi)
	}
	if err := cc.errs.err(); err != nil {
		return nil, err
	}
	cc.out.Table.PayloadSize = uint64(len(cc.out.Payload))
	encoded, err := table.Encode(cc.out.Table)
	if err != nil {
		cc.report(cfg.Pos, scope{}, fmt.Sprintf("the config does not fit the binary partition table: %v", err),
			"use fewer partitions, devices, memory regions, interrupts or channels")
		return nil, cc.errs.err()
	}
	if cc.hypervisorRoom(uint64(len(encoded))) {
		cc.firmwareCheck(encoded)
	}
	if err := cc.errs.err(); err != nil {
		return nil, err
	}
	return cc.out, nil
}

// compiler builds one config's Compiled, collecting problems as it goes.
type compiler struct {
	reporter
	c   *Config
	b   *board.Board
	out *Compiled
}

func (cc *compiler) boardName() {
	name, err := table.NewName(cc.b.Name)
	if err != nil {
		cc.report(cc.c.BoardPos, scope{}, fmt.Sprintf("board %q cannot be named in the partition table: %v", cc.b.Name, err), "")
		return
	}
	cc.out.Table.Board = name
}

// hypervisorConsole checks that the hypervisor's console is the board's:
// the firmware prints on the board's UART and the partition table has no
// field to choose another, so virtual consoles are emulated at that
// UART's address and it stays out of every guest.
func (cc *compiler) hypervisorConsole() {
	h := cc.c.Hypervisor
	if h.Console != cc.b.Hypervisor.UART {
		cc.report(h.ConsolePos, scope{}, fmt.Sprintf("hypervisor console %q is not %q, the UART the firmware for board %q prints on", h.Console, cc.b.Hypervisor.UART, cc.b.Name),
			fmt.Sprintf("write console: %s, or remove the line", cc.b.Hypervisor.UART))
	}
}

// deviceNames checks that no two partitions have devices of the same
// name: the table names each device once. The validator already keeps
// board devices to one partition; this catches devices the config
// describes itself.
func (cc *compiler) deviceNames() {
	type use struct {
		partition string
		pos       Pos
	}
	first := map[string]use{}
	for pi := range cc.c.Partitions {
		p := &cc.c.Partitions[pi]
		for _, d := range p.Devices {
			if prev, dup := first[d.Name]; dup && prev.partition != p.Name {
				cc.report(d.NamePos, inPartition(p), fmt.Sprintf("device %q has the name of a device of partition %q%s", d.Name, prev.partition, lineOf(prev.pos)),
					"the partition table names each device once: rename one of them")
				continue
			}
			first[d.Name] = use{p.Name, d.NamePos}
		}
	}
}

// channels writes the channel records; each member's region is written
// with its partition.
func (cc *compiler) channels() {
	for ci := range cc.c.Channels {
		ch := &cc.c.Channels[ci]
		name, err := table.NewName(ch.Name)
		if err != nil {
			cc.report(ch.NamePos, inChannel(ch), err.Error(), "")
		}
		rec := table.Channel{Name: name, PhysBase: ch.Base, Size: ch.Size}
		if ch.Doorbell != nil {
			rec.Doorbell = ch.Doorbell.ID
		}
		for _, m := range ch.Members {
			pi, ok := cc.partitionIndex(m.Partition)
			if !ok || pi >= table.MaxPartitions {
				continue // a validated config has every member; too many partitions fail Encode
			}
			rec.Members |= 1 << pi
			if m.Access == AccessReadOnly {
				rec.ReadOnly |= 1 << pi
			}
		}
		cc.out.Table.Channels = append(cc.out.Table.Channels, rec)
	}
}

func (cc *compiler) partitionIndex(name string) (int, bool) {
	for i := range cc.c.Partitions {
		if cc.c.Partitions[i].Name == name {
			return i, true
		}
	}
	return 0, false
}

// partition writes partition pi's record with its runs: regions (RAM in
// config order, then each device's MMIO, then one per channel it is a
// member of), devices, interrupts, stream IDs, and its kernel, initrd and
// DTB images, whose blobs go into the payload.
func (cc *compiler) partition(pi int) {
	p := &cc.c.Partitions[pi]
	in := inPartition(p)
	t := cc.out.Table
	name, err := table.NewName(p.Name)
	if err != nil {
		cc.report(p.NamePos, in, err.Error(), "")
	}
	rec := table.Partition{
		Name:           name,
		CPUMask:        cc.cpuMask(p),
		ConsoleDevice:  table.NoIndex,
		OnFault:        faultPolicies[p.OnFault],
		KernelFormat:   kernelFormats[p.Kernel.Format],
		WatchdogMS:     p.Watchdog.TimeoutMS,
		Regions:        table.Span{First: uint32(len(t.Regions))},
		Devices:        table.Span{First: uint32(len(t.Devices))},
		Interrupts:     table.Span{First: uint32(len(t.Interrupts))},
		StreamIDRanges: table.Span{First: uint32(len(t.StreamIDRanges))},
		Images:         table.Span{First: uint32(len(t.Images))},
	}
	if p.Watchdog.TimeoutMS > 0 {
		rec.Watchdog = watchdogActions[p.Watchdog.Action]
	}

	owner := uint32(pi)
	for _, m := range p.Memory {
		t.Regions = append(t.Regions, table.Region{PhysBase: m.Base, IPA: m.IPA, Size: m.Size, Partition: owner, Owner: table.NoIndex,
			Kind: table.RegionRAM, Perm: table.PermRead | table.PermWrite | table.PermExec})
	}
	for _, d := range p.Devices {
		index := uint32(len(t.Devices))
		if p.Console.Kind == ConsolePassthrough && d.Name == p.Console.Device {
			rec.ConsoleDevice = index
		}
		cc.device(p, owner, index, &d)
	}
	for ci := range cc.c.Channels {
		ch := &cc.c.Channels[ci]
		for _, m := range ch.Members {
			if m.Partition != p.Name {
				continue
			}
			perm := table.PermRead | table.PermWrite
			if m.Access == AccessReadOnly {
				perm = table.PermRead
			}
			t.Regions = append(t.Regions, table.Region{PhysBase: ch.Base, IPA: m.IPA, Size: ch.Size, Partition: owner, Owner: uint32(ci),
				Kind: table.RegionChannel, Perm: perm})
		}
	}
	switch p.Console.Kind {
	case ConsoleVirtual:
		rec.Console = table.ConsoleVirtual
	case ConsolePassthrough:
		rec.Console = table.ConsolePassthrough
	}
	rec.Regions.Count = uint32(len(t.Regions)) - rec.Regions.First
	rec.Devices.Count = uint32(len(t.Devices)) - rec.Devices.First
	rec.Interrupts.Count = uint32(len(t.Interrupts)) - rec.Interrupts.First
	rec.StreamIDRanges.Count = uint32(len(t.StreamIDRanges)) - rec.StreamIDRanges.First

	if images, ok := cc.bootImages(p); ok {
		rec.EntryIPA = p.Kernel.Entry
		for _, img := range images {
			if img.kind == table.ImageDTB {
				rec.DTBIPA = img.ipa
				cc.out.DTBs[p.Name] = img.data
			}
			cc.addImage(p.Name, owner, img)
		}
	}
	rec.Images.Count = uint32(len(t.Images)) - rec.Images.First
	t.Partitions = append(t.Partitions, rec)
}

// watchdogActions maps a config's watchdog action to the table's; a
// partition without a watchdog (timeout 0) gets none.
var watchdogActions = map[WatchdogAction]table.WatchdogAction{
	WatchdogRestart: table.WatchdogRestart,
	WatchdogStop:    table.WatchdogStop,
}

var faultPolicies = map[FaultPolicy]table.FaultPolicy{
	FaultAbort:   table.FaultInjectAbort,
	FaultStop:    table.FaultStop,
	FaultRestart: table.FaultRestart,
}

// kernelFormats: the firmware enters an ELF kernel like a raw one, once
// Compile has flattened its segments into one blob.
var kernelFormats = map[KernelFormat]table.KernelFormat{
	FormatLinux: table.KernelLinuxImage,
	FormatELF:   table.KernelRaw,
	FormatRaw:   table.KernelRaw,
}

// cpuMask returns the partition's cores as the table's 64-bit mask.
func (cc *compiler) cpuMask(p *Partition) uint64 {
	var mask uint64
	for _, core := range p.CPUs {
		if core.Index < 0 || core.Index >= 64 {
			cc.report(core.Pos, inPartition(p), fmt.Sprintf("core %d cannot be given to a partition: the partition table's CPU mask holds cores 0-63", core.Index),
				"use a core numbered below 64")
			continue
		}
		mask |= 1 << core.Index
	}
	return mask
}

// device writes device d of partition p (table index owner) as device
// record index, followed by its MMIO regions, interrupts and stream ID
// ranges.
func (cc *compiler) device(p *Partition, owner, index uint32, d *Device) {
	t := cc.out.Table
	name, err := table.NewName(d.Name)
	if err != nil {
		cc.report(d.NamePos, inPartition(p), err.Error(), "")
	}
	rec := table.Device{
		Name:           name,
		Partition:      owner,
		Regions:        table.Span{First: uint32(len(t.Regions)), Count: uint32(len(d.MMIO))},
		Interrupts:     table.Span{First: uint32(len(t.Interrupts)), Count: uint32(len(d.Interrupts))},
		StreamIDRanges: table.Span{First: uint32(len(t.StreamIDRanges)), Count: uint32(len(d.StreamIDs))},
	}
	for _, r := range d.MMIO {
		// Registers hold no code: read-write, never executable.
		t.Regions = append(t.Regions, table.Region{PhysBase: r.Base, IPA: r.Base, Size: r.Size, Partition: owner, Owner: index,
			Kind: table.RegionMMIO, Perm: table.PermRead | table.PermWrite})
	}
	for _, q := range d.Interrupts {
		t.Interrupts = append(t.Interrupts, table.Interrupt{INTID: q.ID, Partition: owner, Device: index})
	}
	for _, s := range d.StreamIDs {
		t.StreamIDRanges = append(t.StreamIDRanges, table.StreamIDRange{First: s.First, Count: s.Count, Partition: owner, Device: index})
	}
	t.Devices = append(t.Devices, rec)
}

// bootImage is one blob for a partition's RAM.
type bootImage struct {
	kind      table.ImageKind
	data      []byte
	ipa       uint64
	footprint uint64
	source    string
}

// bootImages reads, places and checks a partition's kernel, initrd and
// DTB, in that order. The kernel goes where the validator put it; the DTB
// takes the 2 MiB-aligned block at the top of memory region 0, and the
// initrd ends right below it.
func (cc *compiler) bootImages(p *Partition) ([]bootImage, bool) {
	k := &p.Kernel
	if len(p.Memory) == 0 {
		cc.report(p.Pos, inPartition(p), "has no memory to load its kernel into", "give it at least one memory region")
		return nil, false
	}
	kernel, ok := cc.kernelImage(p)
	if !ok {
		return nil, false
	}
	images := []bootImage{kernel}
	var initrd *bootImage
	if k.Initrd.IsSet() {
		data, ok := cc.readGuestFile(p, "initrd", k.Initrd)
		if !ok {
			return nil, false
		}
		images = append(images, bootImage{kind: table.ImageInitrd, data: data, footprint: uint64(len(data)), source: k.Initrd.Path})
		initrd = &images[len(images)-1]
	}
	dtbIPA, ok := cc.place(p, &kernel, initrd)
	if !ok {
		return nil, false
	}
	tree, ok := cc.deviceTree(p, initrd)
	if !ok {
		return nil, false
	}
	source := ""
	if k.DTB.IsSet() {
		source = k.DTB.Path
	}
	return append(images, bootImage{kind: table.ImageDTB, data: tree, ipa: dtbIPA, footprint: dtbBlockSize, source: source}), true
}

// readGuestFile reads a file the config names. The validator has read it
// already; it may have changed since.
func (cc *compiler) readGuestFile(p *Partition, what string, f File) ([]byte, bool) {
	data, err := os.ReadFile(f.Resolved)
	switch {
	case err != nil:
		cc.report(f.Pos, inPartition(p), fmt.Sprintf("%s %q cannot be read: %v", what, f.Path, reason(err)), "check the path and its permissions")
		return nil, false
	case len(data) == 0:
		cc.report(f.Pos, inPartition(p), fmt.Sprintf("%s %q is empty", what, f.Path), "rebuild it")
		return nil, false
	}
	return data, true
}

// kernelImage reads the partition's kernel and returns it as the blob the
// firmware loads: the file itself for linux and raw, the flattened PT_LOAD
// segments for elf.
func (cc *compiler) kernelImage(p *Partition) (bootImage, bool) {
	k := &p.Kernel
	in := inPartition(p)
	name := fmt.Sprintf("kernel image %q", k.Image.Path)
	data, ok := cc.readGuestFile(p, "kernel image", k.Image)
	if !ok {
		return bootImage{}, false
	}
	img := bootImage{kind: table.ImageKernel, data: data, ipa: k.LoadIPA, footprint: uint64(len(data)), source: k.Image.Path}
	var segments []loadSegment
	switch k.Format {
	case FormatLinux:
		if len(data) < linuxHeaderSize || string(data[linuxMagicAt:linuxMagicAt+len(linuxMagic)]) != linuxMagic {
			cc.report(k.Image.Pos, in, name+" no longer has an arm64 Image header", "it changed after the config was checked: check the config again")
			return bootImage{}, false
		}
		// At least image_size bytes from the load address belong to the
		// kernel (booting.rst); kernels before 3.17 leave it 0.
		img.footprint = max(img.footprint, binary.LittleEndian.Uint64(data[linuxImageSizeAt:]))
	case FormatELF:
		var err error
		if segments, err = elfLoadSegments(data); err != nil {
			cc.report(k.Image.Pos, in, fmt.Sprintf("%s %v", name, err), "rebuild it, then check the config again")
			return bootImage{}, false
		}
		low, high := segments[0].paddr, segments[0].end()
		for _, s := range segments[1:] {
			low, high = min(low, s.paddr), max(high, s.end())
		}
		img.ipa, img.footprint = low, high-low
	}
	// Checked before an ELF's blob is allocated: its size is then known
	// to be bounded by a memory region's.
	if !cc.inOneRegion(p, board.Region{Base: img.ipa, Size: img.footprint}, k.Image.Pos, fmt.Sprintf("%s occupies ipa %s", name, FormatRange(img.ipa, img.footprint))) {
		return bootImage{}, false
	}
	if k.Format == FormatELF {
		img.data = flatten(data, segments, img.ipa, img.ipa+img.footprint)
	}
	if loaded := (board.Region{Base: img.ipa, Size: uint64(len(img.data))}); !loaded.Contains(board.Region{Base: k.Entry, Size: 1}) {
		// Only an elf kernel without entry starts where its file says;
		// the others start at their load address or at entry.
		if k.EntrySet {
			cc.report(k.EntryPos, in, fmt.Sprintf("entry %#x is outside the kernel image, which loads at %s", k.Entry, FormatRange(loaded.Base, loaded.Size)),
				"point entry into the image: the guest starts in the bytes the hypervisor loads")
		} else {
			cc.report(k.Image.Pos, in, fmt.Sprintf("%s starts at %#x (e_entry), outside its PT_LOAD segments, which load at %s", name, k.Entry, FormatRange(loaded.Base, loaded.Size)),
				"link the guest so that its entry point is in a loaded segment, or set entry")
		}
		return bootImage{}, false
	}
	return img, true
}

// inOneRegion reports, as subject, a guest range no single memory region
// of the partition holds: the firmware loads each image into one RAM
// region.
func (cc *compiler) inOneRegion(p *Partition, r board.Region, pos Pos, subject string) bool {
	if r.Base+r.Size >= r.Base {
		for _, m := range p.Memory {
			if m.Guest().Contains(r) {
				return true
			}
		}
	}
	regions := make([]board.Region, len(p.Memory))
	for i, m := range p.Memory {
		regions[i] = m.Guest()
	}
	cc.report(pos, inPartition(p), fmt.Sprintf("%s, which no single memory region holds (guest memory %s)", subject, formatRegions(regions)),
		"load it into one region: link the guest within one, or merge the regions it spans into one")
	return false
}

// loadSegment is a PT_LOAD segment with bytes to load.
type loadSegment struct {
	index                        int
	paddr, offset, filesz, memsz uint64
}

func (s loadSegment) end() uint64 { return s.paddr + s.memsz }

// elfLoadSegments returns the PT_LOAD segments of an AArch64 executable
// that occupy memory, after checking what the validator checked, as the
// file may have changed since.
func elfLoadSegments(data []byte) ([]loadSegment, error) {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("is not a valid ELF file: %v", err)
	}
	if f.Class != elf.ELFCLASS64 || f.Data != elf.ELFDATA2LSB || f.Machine != elf.EM_AARCH64 || f.Type != elf.ET_EXEC {
		return nil, errors.New("is no longer a little-endian AArch64 ELF64 executable")
	}
	var segments []loadSegment
	for i, prog := range f.Progs {
		if prog.Type != elf.PT_LOAD || prog.Memsz == 0 {
			continue
		}
		s := loadSegment{index: i, paddr: prog.Paddr, offset: prog.Off, filesz: prog.Filesz, memsz: prog.Memsz}
		switch {
		case s.filesz > s.memsz:
			return nil, fmt.Errorf("segment %d holds more file bytes (%#x) than memory (%#x)", i, s.filesz, s.memsz)
		case s.offset > uint64(len(data)) || s.filesz > uint64(len(data))-s.offset:
			return nil, fmt.Errorf("segment %d extends past the end of the file", i)
		case s.end() < s.paddr:
			return nil, fmt.Errorf("segment %d wraps past the top of the address space", i)
		}
		for _, o := range segments {
			if s.paddr < o.end() && o.paddr < s.end() {
				return nil, fmt.Errorf("segments %d (%s) and %d (%s) load over each other", o.index, FormatRange(o.paddr, o.memsz), i, FormatRange(s.paddr, s.memsz))
			}
		}
		segments = append(segments, s)
	}
	if len(segments) == 0 {
		return nil, errors.New("has no loadable (PT_LOAD) segments")
	}
	return segments, nil
}

// flatten returns the guest memory [low, high) as the segments fill it:
// their file bytes, zeros for their bss and the gaps between them.
func flatten(data []byte, segments []loadSegment, low, high uint64) []byte {
	blob := make([]byte, high-low)
	for _, s := range segments {
		copy(blob[s.paddr-low:], data[s.offset:s.offset+s.filesz])
	}
	return blob
}

// place finds the DTB's and the initrd's guest addresses in memory region
// 0 and checks that kernel, initrd and DTB stay inside it and apart. It
// sets the initrd's IPA and returns the DTB's.
func (cc *compiler) place(p *Partition, kernel, initrd *bootImage) (uint64, bool) {
	region := p.Memory[0].Guest()
	fail := func(problem string) (uint64, bool) {
		cc.report(p.Kernel.Pos, inPartition(p), problem,
			fmt.Sprintf("give the partition more memory: memory region 0 holds the kernel, the initrd below the device tree, and the device tree in the %s-aligned %s block at its top", FormatSize(dtbBlockSize), FormatSize(dtbBlockSize)))
		return 0, false
	}
	regionText := "memory region 0 at ipa " + FormatRange(region.Base, region.Size)
	end := region.End()
	if end < dtbBlockSize || alignDown(end-dtbBlockSize, dtbBlockSize) < region.Base {
		return fail(fmt.Sprintf("%s has no %s-aligned %s block for the device tree, which arm64 Linux maps with one %s block",
			regionText, FormatSize(dtbBlockSize), FormatSize(dtbBlockSize), FormatSize(dtbBlockSize)))
	}
	dtbIPA := alignDown(end-dtbBlockSize, dtbBlockSize)
	dtbBlock := board.Region{Base: dtbIPA, Size: dtbBlockSize}
	kernelSpan := board.Region{Base: kernel.ipa, Size: kernel.footprint}
	if kernelSpan.Overlaps(dtbBlock) {
		return fail(fmt.Sprintf("kernel image %q occupies ipa %s, which reaches into the device tree's block %s at the top of %s",
			p.Kernel.Image.Path, FormatRange(kernelSpan.Base, kernelSpan.Size), FormatRange(dtbBlock.Base, dtbBlock.Size), regionText))
	}
	if initrd == nil {
		return dtbIPA, true
	}
	size := uint64(len(initrd.data))
	if size > dtbIPA-region.Base || alignDown(dtbIPA-size, PageSize) < region.Base {
		return fail(fmt.Sprintf("initrd %q (%s) does not fit in %s below the device tree's block at %#x",
			p.Kernel.Initrd.Path, formatBytes(size), regionText, dtbIPA))
	}
	initrd.ipa = alignDown(dtbIPA-size, PageSize)
	if initrdSpan := (board.Region{Base: initrd.ipa, Size: size}); initrdSpan.Overlaps(kernelSpan) {
		return fail(fmt.Sprintf("initrd %q would load at ipa %s, below the device tree's block, over kernel image %q at ipa %s",
			p.Kernel.Initrd.Path, FormatRange(initrdSpan.Base, initrdSpan.Size), p.Kernel.Image.Path, FormatRange(kernelSpan.Base, kernelSpan.Size)))
	}
	return dtbIPA, true
}

// deviceTree returns the partition's DTB: the file the config names, or
// one generated from the config.
func (cc *compiler) deviceTree(p *Partition, initrd *bootImage) ([]byte, bool) {
	k := &p.Kernel
	if k.DTB.IsSet() {
		return cc.givenDeviceTree(p)
	}
	guest, devices, ok := cc.guest(p, initrd)
	if !ok {
		return nil, false
	}
	blob, err := devicetree.Generate(guest)
	if err != nil {
		cc.reportGuestErrors(p, devices, err)
		return nil, false
	}
	if uint64(len(blob)) > dtbBlockSize {
		cc.report(p.Pos, inPartition(p), fmt.Sprintf("the generated device tree is %s, more than the %s the arm64 boot protocol allows", formatBytes(uint64(len(blob))), FormatSize(dtbBlockSize)),
			"shorten bootargs, or give the partition fewer devices")
		return nil, false
	}
	return blob, true
}

// givenDeviceTree reads the DTB the config names, which the guest gets as
// it is, up to the size its header gives.
func (cc *compiler) givenDeviceTree(p *Partition) ([]byte, bool) {
	f := p.Kernel.DTB
	data, ok := cc.readGuestFile(p, "dtb", f)
	if !ok {
		return nil, false
	}
	h, err := fdt.ReadHeader(data)
	switch {
	case err != nil:
		cc.report(f.Pos, inPartition(p), fmt.Sprintf("dtb %q is not a usable device tree: %v", f.Path, err), "compile the source with dtc -O dtb")
		return nil, false
	case uint64(h.TotalSize) > dtbBlockSize:
		cc.report(f.Pos, inPartition(p), fmt.Sprintf("dtb %q is %s, more than the %s the arm64 boot protocol allows", f.Path, formatBytes(uint64(h.TotalSize)), FormatSize(dtbBlockSize)),
			"shrink the device tree")
		return nil, false
	}
	return data[:h.TotalSize], true
}

// guest describes the partition to the device tree generator. devices
// returns, for each of the guest's device nodes, the config's device.
func (cc *compiler) guest(p *Partition, initrd *bootImage) (g devicetree.Guest, devices []*Device, ok bool) {
	gic := cc.b.GIC
	g = devicetree.Guest{
		Name: p.Name,
		CPUs: len(p.CPUs),
		// The guest's vCPUs are dense (0..n-1) and find their
		// redistributors, one stride each, from the board's base.
		GIC: devicetree.GIC{DistBase: gic.Dist.Base, DistSize: gic.Dist.Size,
			RedistBase: gic.Redist.Base, RedistSize: uint64(len(p.CPUs)) * gic.RedistStride},
		Timer:  devicetree.Timer{SecurePhysIRQ: securePhysTimerIRQ, PhysIRQ: gic.PhysTimerIRQ, VirtIRQ: gic.VirtTimerIRQ, HypIRQ: gic.HypTimerIRQ},
		PSCI:   devicetree.PSCI{Conduit: psciConduit},
		Chosen: devicetree.Chosen{Bootargs: p.Kernel.Bootargs},
	}
	for _, m := range p.Memory {
		g.Memory = append(g.Memory, devicetree.MemoryRegion{IPA: m.IPA, Size: m.Size})
	}
	if initrd != nil {
		g.Chosen.InitrdStart, g.Chosen.InitrdEnd = initrd.ipa, initrd.ipa+uint64(len(initrd.data))
	}
	console, ok := cc.console(p)
	if !ok {
		return devicetree.Guest{}, nil, false
	}
	g.Console = console
	if ms := p.Watchdog.TimeoutMS; ms > 0 {
		wd := cc.b.Watchdog
		g.Watchdog = &devicetree.Watchdog{
			Control:    devicetree.Region{Base: wd.Control.Base, Size: wd.Control.Size},
			Refresh:    devicetree.Region{Base: wd.Refresh.Base, Size: wd.Refresh.Size},
			TimeoutSec: (ms + 999) / 1000,
		}
	}
	for ci := range cc.c.Channels {
		ch := &cc.c.Channels[ci]
		if ch.Doorbell == nil {
			continue
		}
		for _, m := range ch.Members {
			if m.Partition != p.Name {
				continue
			}
			frame, ok := cc.b.DoorbellFrame(len(g.Doorbells))
			if !ok {
				cc.report(ch.Doorbell.Pos, inChannel(ch), fmt.Sprintf("partition %q is a member of more channels with a doorbell than board %q has doorbell frames (%d)",
					p.Name, cc.b.Name, cc.b.Doorbells.Size/board.DoorbellFrameSize), "remove the doorbell of a channel that does not need one")
				return devicetree.Guest{}, nil, false
			}
			g.Doorbells = append(g.Doorbells, devicetree.Doorbell{Channel: ch.Name,
				Frame:  devicetree.Region{Base: frame.Base, Size: frame.Size},
				Memory: devicetree.Region{Base: m.IPA, Size: ch.Size}, SPI: ch.Doorbell.ID})
		}
	}
	for i := range p.Devices {
		d := &p.Devices[i]
		// A device without MMIO has no node: a node's unit address is
		// its first register range.
		if len(d.MMIO) == 0 || p.Console.Kind == ConsolePassthrough && d.Name == p.Console.Device {
			continue
		}
		node := devicetree.Device{Name: d.Name, Compatible: cc.compatible(d)}
		if bd, ok := cc.b.Device(d.Name); ok && d.FromBoard {
			// What the board's device tree says about the device
			// beyond its registers and interrupts, for its driver.
			node.Alias = bd.Alias
			node.GPIOController = bd.GPIOController
			for _, c := range bd.Clocks {
				node.Clocks = append(node.Clocks, devicetree.Clock{Name: c.Name, Hz: c.Hz})
			}
		}
		for _, r := range d.MMIO {
			node.MMIO = append(node.MMIO, devicetree.Region{Base: r.Base, Size: r.Size})
		}
		for _, q := range d.Interrupts {
			node.SPIs = append(node.SPIs, q.ID)
		}
		if bd, ok := cc.b.Device(d.Name); ok && d.FromBoard && bd.PCI != nil {
			node.PCI = &devicetree.PCIHost{
				ECAM: devicetree.Region{Base: bd.PCI.ECAM.Base, Size: bd.PCI.ECAM.Size},
				IO:   devicetree.Region{Base: bd.PCI.IO.Base, Size: bd.PCI.IO.Size},
				Mem:  devicetree.Region{Base: bd.PCI.Mem.Base, Size: bd.PCI.Mem.Size},
				INTx: bd.PCI.INTx,
			}
		}
		g.Devices = append(g.Devices, node)
		devices = append(devices, d)
	}
	return g, devices, true
}

// console returns the PL011 the partition's guest sees: the hypervisor
// emulates one at its own console UART's address and interrupt, or the
// partition owns the UART it names.
func (cc *compiler) console(p *Partition) (*devicetree.Console, bool) {
	in := inPartition(p)
	var (
		name       string
		mmio       []board.Region
		interrupts []uint32
		compatible string
	)
	pos := p.Console.Pos
	if !pos.IsValid() {
		pos = p.Pos
	}
	switch p.Console.Kind {
	case ConsoleVirtual:
		uart, ok := cc.b.Device(cc.b.Hypervisor.UART)
		if !ok {
			cc.report(pos, in, fmt.Sprintf("board %q names no UART device %q for the hypervisor's console, where the virtual console is emulated", cc.b.Name, cc.b.Hypervisor.UART),
				"correct the board description")
			return nil, false
		}
		name, interrupts = uart.Name, uart.IRQs
		if len(uart.MMIO) > 0 {
			mmio = []board.Region{{Base: uart.MMIO[0].Base, Size: virtualConsoleSize}}
		}
		compatible = pl011Compatible // what the hypervisor emulates
	case ConsolePassthrough:
		d, ok := p.Device(p.Console.Device)
		if !ok {
			cc.report(pos, in, fmt.Sprintf("console %q is not a device of this partition", p.Console.Device), fmt.Sprintf("write console: virtual, or add %q to devices", p.Console.Device))
			return nil, false
		}
		name = d.Name
		for _, r := range d.MMIO {
			mmio = append(mmio, r.Region())
		}
		for _, q := range d.Interrupts {
			interrupts = append(interrupts, q.ID)
		}
		compatible = pl011Compatible // a device the config describes: taken as a PL011
		if bd, ok := cc.b.Device(d.Name); ok && d.FromBoard {
			compatible = bd.Compatible
		}
	default:
		return nil, true
	}
	switch {
	case compatible != pl011Compatible:
		cc.report(pos, in, fmt.Sprintf("console %q is %s, but the generated device tree describes a console as a PL011 (%s)", name, compatible, pl011Compatible),
			"write console: virtual, or give the partition its own device tree with kernel: dtb")
	case len(mmio) == 0 || len(interrupts) == 0:
		cc.report(pos, in, fmt.Sprintf("console %q needs an mmio range and an interrupt for its device tree node", name),
			fmt.Sprintf("list the UART's registers and interrupt under device %q", name))
	default:
		return &devicetree.Console{Base: mmio[0].Base, Size: mmio[0].Size, SPI: interrupts[0]}, true
	}
	return nil, false
}

// compatible returns the compatible strings of a passthrough device's
// node: the board's for a board device, its fallbacks included, a marker
// for one the config describes.
func (cc *compiler) compatible(d *Device) []string {
	bd, ok := cc.b.Device(d.Name)
	if !d.FromBoard || !ok {
		return []string{passthroughCompatible}
	}
	if primeCells[bd.Compatible] {
		return []string{bd.Compatible, "arm,primecell"}
	}
	return append([]string{bd.Compatible}, bd.Fallbacks...)
}

// reportGuestErrors reports what the device tree generator refused, at
// the config value it came from.
func (cc *compiler) reportGuestErrors(p *Partition, devices []*Device, err error) {
	in := inPartition(p)
	var problems []error
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		problems = joined.Unwrap()
	} else {
		problems = []error{err}
	}
	for _, problem := range problems {
		var invalid *devicetree.InvalidGuestError
		if !errors.As(problem, &invalid) {
			cc.report(p.Pos, in, fmt.Sprintf("its device tree cannot be generated: %v", problem), "")
			continue
		}
		cc.report(cc.guestFieldPos(p, devices, invalid.Field), in, fmt.Sprintf("device tree %s: %s", invalid.Field, invalid.Problem), "")
	}
}

// guestFieldPos returns where the config writes the value behind field of
// the partition's devicetree.Guest.
func (cc *compiler) guestFieldPos(p *Partition, devices []*Device, field string) Pos {
	pos := p.Pos
	switch {
	case strings.HasPrefix(field, "Memory["):
		if i, ok := fieldIndex(field, "Memory["); ok && i < len(p.Memory) {
			pos = p.Memory[i].Pos
		}
	case strings.HasPrefix(field, "Devices["):
		if i, ok := fieldIndex(field, "Devices["); ok && i < len(devices) {
			pos = devices[i].Pos
		}
	case strings.HasPrefix(field, "Console"):
		pos = p.Console.Pos
	case strings.HasPrefix(field, "CPUs"), strings.HasPrefix(field, "GIC.Redist"):
		pos = p.CPUsPos
	case field == "Chosen.Bootargs":
		pos = p.Kernel.BootargsPos
	case strings.HasPrefix(field, "Chosen.Initrd"):
		pos = p.Kernel.Initrd.Pos
	}
	if !pos.IsValid() {
		pos = p.Pos
	}
	return pos
}

// fieldIndex reads the index in a field path such as "Devices[2].MMIO[0]".
func fieldIndex(field, prefix string) (int, bool) {
	digits, _, found := strings.Cut(strings.TrimPrefix(field, prefix), "]")
	if !found {
		return 0, false
	}
	i, err := strconv.Atoi(digits)
	return i, err == nil
}

// addImage appends a blob to the payload, on a 4 KiB boundary, with its
// image record and placement.
func (cc *compiler) addImage(partition string, owner uint32, img bootImage) {
	offset := alignUp(uint64(len(cc.out.Payload)), payloadAlign)
	cc.out.Payload = append(cc.out.Payload, make([]byte, offset-uint64(len(cc.out.Payload)))...)
	cc.out.Payload = append(cc.out.Payload, img.data...)
	cc.out.Table.Images = append(cc.out.Table.Images, table.Image{
		Offset: offset, Size: uint64(len(img.data)), LoadIPA: img.ipa,
		SHA256: sha256.Sum256(img.data), Partition: owner, Kind: img.kind,
	})
	cc.out.Placement = append(cc.out.Placement, Placement{Partition: partition, Kind: img.kind, IPA: img.ipa,
		Size: uint64(len(img.data)), Footprint: img.footprint, Source: img.source})
}

// payloadSegment returns the physical range of the image's payload
// segment for a table of tableLength bytes: the table, its signature
// block, zeros to 4 KiB, the payload, right after the board's hypervisor
// memory.
func (cc *compiler) payloadSegment(tableLength uint64) board.Region {
	return board.Region{Base: cc.b.Hypervisor.Memory.End(), Size: table.PayloadOffset(tableLength) + uint64(len(cc.out.Payload))}
}

// hypervisorRoom checks that the config's hypervisor memory reaches over
// the payload segment, so that no guest is given memory the firmware
// reads its partition table and images from.
func (cc *compiler) hypervisorRoom(tableLength uint64) bool {
	h := cc.c.Hypervisor.Memory
	segment := cc.payloadSegment(tableLength)
	end := segment.Base + segment.Size
	if end >= segment.Base && h.Region().End() >= end {
		return true
	}
	least := FormatSize(alignUp(end-h.Base, hypervisorMemoryGranule))
	fix := "make it at least " + least
	if h.Pos == cc.c.BoardPos { // the board's region, which the config does not write
		fix = fmt.Sprintf("reserve more: hypervisor: {memory: {base: %#x, size: %s}}", h.Base, least)
	}
	cc.report(h.Pos, scope{}, fmt.Sprintf("hypervisor memory %s leaves no room for the %s payload (partition table and guest images) at %#x",
		h, roundedUpSize(segment.Size), segment.Base), fix)
	return false
}

// roundedUpSize writes a size for a message, rounded up to whole MiB (whole
// KiB below 1 MiB).
func roundedUpSize(n uint64) string {
	if n < MiB {
		return FormatSize(alignUp(n, KiB))
	}
	return FormatSize(alignUp(n, MiB))
}

// firmwareCheck runs on the encoded table the check the firmware runs at
// boot, over the same hypervisor memory (firmware/hv LoadPartitionTable):
// the board's, extended over the payload segment. A failure here is a
// problem the validator and the checks above missed.
func (cc *compiler) firmwareCheck(encoded []byte) {
	limits := table.LimitsFor(cc.b)
	segment := cc.payloadSegment(uint64(len(encoded)))
	limits.HypervisorMemory.Size = segment.Base + segment.Size - limits.HypervisorMemory.Base
	v, err := table.Decode(encoded)
	if err == nil {
		err = v.Check(limits)
	}
	if err != nil {
		cc.report(cc.c.Pos, scope{}, fmt.Sprintf("the compiled partition table fails the firmware's check: %v", err),
			"the config passed validation, so this is a defect in tamavisor: report it with the config")
	}
}

func alignUp(v, align uint64) uint64   { return (v + align - 1) &^ (align - 1) }
func alignDown(v, align uint64) uint64 { return v &^ (align - 1) }
