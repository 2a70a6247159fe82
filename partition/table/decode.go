package table

import (
	"fmt"
	"github.com/tamavisor/tamavisor/internal/sha256"
)

// View is a decoded table. It wraps the bytes given to Decode without
// copying them; its accessors read fixed-size records out of them and
// allocate nothing. The bytes must not change while the View is in use.
type View struct {
	b       []byte
	offsets [numSections]int
	counts  [numSections]int
}

// Decode checks that b starts with a well-formed table and returns a View
// of it. Bytes after the table's total length are not part of it (the
// image builder may place the payload there).
//
// Decode checks the encoding: magic, version, sizes and counts against the
// length, the checksum, reserved bytes, enumerations, names, and that every
// index refers to a record that exists and agrees with it. What the table
// means for a board is View.Check's business.
func Decode(b []byte) (View, error) {
	if len(b) < HeaderSize {
		return View{}, fmt.Errorf("partition table: truncated: %d bytes, the header alone is %d", len(b), HeaderSize)
	}
	if string(b[headerMagic:headerMagic+len(Magic)]) != Magic {
		return View{}, fmt.Errorf("partition table: magic %q, want %q; this is not a Tamavisor partition table", b[headerMagic:headerMagic+len(Magic)], Magic)
	}
	if version := le.Uint32(b[headerVersion:]); version != Version {
		return View{}, fmt.Errorf("partition table: format version %d, this code reads version %d; build the image and the firmware from the same release", version, Version)
	}
	if size := le.Uint32(b[headerHeaderSize:]); size != HeaderSize {
		return View{}, fmt.Errorf("partition table: header size %#x at %#x, version %d's is %#x", size, headerHeaderSize, Version, HeaderSize)
	}
	if flags := le.Uint32(b[headerFlags:]); flags != 0 {
		return View{}, fmt.Errorf("partition table: flags %#x at %#x, version %d defines none", flags, headerFlags, Version)
	}

	var v View
	// The counts are untrusted: each is bounded before it is used, and
	// the sum is formed in uint64, where seven bounded products cannot
	// wrap.
	length := uint64(HeaderSize)
	for s := range numSections {
		f := &sections[s]
		countAt := headerCounts + 4*int(s)
		count := le.Uint32(b[countAt:])
		if count > f.maxCount {
			return View{}, fmt.Errorf("partition table: %d %s (count at %#x), at most %d are allowed", count, f.plural, countAt, f.maxCount)
		}
		v.offsets[s] = int(length)
		v.counts[s] = int(count)
		length += uint64(count) * uint64(f.recordSize)
	}
	total := le.Uint64(b[headerTotalLength:])
	if total != length {
		return View{}, fmt.Errorf("partition table: total length %#x at %#x does not match the counts, which need %#x bytes", total, headerTotalLength, length)
	}
	if total > uint64(len(b)) {
		return View{}, fmt.Errorf("partition table: truncated: %#x bytes, the header says the table is %#x", len(b), total)
	}
	v.b = b[:total:total]

	if stored, computed := [32]byte(v.b[headerChecksum:]), checksum(v.b); stored != computed {
		return View{}, fmt.Errorf("partition table: checksum %x at %#x, the table's bytes hash to %x; the table is damaged", stored, headerChecksum, computed)
	}
	if err := v.Board().validate(); err != nil {
		return View{}, fmt.Errorf("partition table: board name at %#x %v", headerBoard, err)
	}
	if err := v.checkRecords(); err != nil {
		return View{}, err
	}
	return v, nil
}

var zeroChecksum [headerChecksumLength]byte

// checksum returns the SHA-256 of table with its checksum field taken as
// zero, without copying the table.
func checksum(table []byte) (sum [32]byte) {
	var h sha256.Digest
	h.Reset()
	h.Write(table[:headerChecksum])
	h.Write(zeroChecksum[:])
	h.Write(table[headerChecksum+headerChecksumLength:])
	return h.Sum()
}

// Bytes returns the table's bytes, from its header to its total length.
func (v View) Bytes() []byte { return v.b }

// Len returns the table's total length in bytes.
func (v View) Len() int { return len(v.b) }

// Header returns the table's header; the zero Header for a View that did
// not come from Decode.
func (v View) Header() Header {
	if len(v.b) < HeaderSize {
		return Header{}
	}
	h := Header{
		Version:        le.Uint32(v.b[headerVersion:]),
		HeaderSize:     le.Uint32(v.b[headerHeaderSize:]),
		TotalLength:    le.Uint64(v.b[headerTotalLength:]),
		PayloadSize:    le.Uint64(v.b[headerPayloadSize:]),
		Flags:          le.Uint32(v.b[headerFlags:]),
		Partitions:     uint32(v.counts[sectionPartitions]),
		Regions:        uint32(v.counts[sectionRegions]),
		Devices:        uint32(v.counts[sectionDevices]),
		Interrupts:     uint32(v.counts[sectionInterrupts]),
		StreamIDRanges: uint32(v.counts[sectionStreamIDRanges]),
		Channels:       uint32(v.counts[sectionChannels]),
		Images:         uint32(v.counts[sectionImages]),
	}
	copy(h.Magic[:], v.b[headerMagic:])
	copy(h.Board[:], v.b[headerBoard:])
	copy(h.Checksum[:], v.b[headerChecksum:])
	return h
}

// Board returns the name of the board the table was built for.
func (v View) Board() Name {
	var n Name
	if len(v.b) >= HeaderSize {
		copy(n[:], v.b[headerBoard:])
	}
	return n
}

// PayloadSize returns the length of the payload the images index.
func (v View) PayloadSize() uint64 {
	if len(v.b) < HeaderSize {
		return 0
	}
	return le.Uint64(v.b[headerPayloadSize:])
}

// record returns record i of section s. The slice's capacity ends with the
// section, so an index outside [0, count) panics instead of reading the
// next section.
func (v View) record(s section, i int) []byte {
	size := sections[s].recordSize
	start, end := v.offsets[s], v.offsets[s]+v.counts[s]*size
	return v.b[start:end:end][i*size:][:size]
}

// recordOffset returns where record i of section s starts in the table.
func (v View) recordOffset(s section, i int) int {
	return v.offsets[s] + i*sections[s].recordSize
}

func (v View) NumPartitions() int     { return v.counts[sectionPartitions] }
func (v View) NumRegions() int        { return v.counts[sectionRegions] }
func (v View) NumDevices() int        { return v.counts[sectionDevices] }
func (v View) NumInterrupts() int     { return v.counts[sectionInterrupts] }
func (v View) NumStreamIDRanges() int { return v.counts[sectionStreamIDRanges] }
func (v View) NumChannels() int       { return v.counts[sectionChannels] }
func (v View) NumImages() int         { return v.counts[sectionImages] }

// Partition returns partition i, 0 <= i < NumPartitions().
func (v View) Partition(i int) Partition { return getPartition(v.record(sectionPartitions, i)) }

// Region returns region i, 0 <= i < NumRegions().
func (v View) Region(i int) Region { return getRegion(v.record(sectionRegions, i)) }

// Device returns device i, 0 <= i < NumDevices().
func (v View) Device(i int) Device { return getDevice(v.record(sectionDevices, i)) }

// Interrupt returns interrupt i, 0 <= i < NumInterrupts().
func (v View) Interrupt(i int) Interrupt { return getInterrupt(v.record(sectionInterrupts, i)) }

// StreamIDRange returns stream ID range i, 0 <= i < NumStreamIDRanges().
func (v View) StreamIDRange(i int) StreamIDRange {
	return getStreamIDRange(v.record(sectionStreamIDRanges, i))
}

// Channel returns channel i, 0 <= i < NumChannels().
func (v View) Channel(i int) Channel { return getChannel(v.record(sectionChannels, i)) }

// Image returns image i, 0 <= i < NumImages().
func (v View) Image(i int) Image { return getImage(v.record(sectionImages, i)) }

// Table copies the decoded table into plain values, for host tools. Unlike
// the accessors it allocates in proportion to the table. Empty record
// arrays are nil, as in a Table built by hand.
func (v View) Table() *Table {
	return &Table{
		Board:          v.Board(),
		PayloadSize:    v.PayloadSize(),
		Partitions:     collect(v.NumPartitions(), v.Partition),
		Regions:        collect(v.NumRegions(), v.Region),
		Devices:        collect(v.NumDevices(), v.Device),
		Interrupts:     collect(v.NumInterrupts(), v.Interrupt),
		StreamIDRanges: collect(v.NumStreamIDRanges(), v.StreamIDRange),
		Channels:       collect(v.NumChannels(), v.Channel),
		Images:         collect(v.NumImages(), v.Image),
	}
}

func collect[Record any](n int, at func(int) Record) []Record {
	if n == 0 {
		return nil
	}
	records := make([]Record, n)
	for i := range records {
		records[i] = at(i)
	}
	return records
}

// partitionRun pairs a section partitions own runs of with the field
// holding the run.
type partitionRun struct {
	section section
	field   int
}

var partitionRuns = [...]partitionRun{
	{sectionRegions, partitionRegions},
	{sectionDevices, partitionDevices},
	{sectionInterrupts, partitionInterrupts},
	{sectionStreamIDRanges, partitionStreamIDs},
	{sectionImages, partitionImages},
}

// recordError prefixes a decode error with the record it concerns and the
// record's offset, so a hexdump of the table leads straight to it.
func (v View) recordError(s section, i int, format string, args ...any) error {
	label := fmt.Sprintf("partition table: %s %d at %#x", sections[s].name, i, v.recordOffset(s, i))
	if sections[s].named {
		// Named records: the name was validated before any other field.
		label += fmt.Sprintf(" %q", Name(v.record(s, i)[:NameSize]))
	}
	return fmt.Errorf("%s: %s", label, fmt.Sprintf(format, args...))
}

// checkNameAndReserved checks what every record needs before its fields
// are trusted: its name, if it has one, and its reserved bytes.
func (v View) checkNameAndReserved(s section, i int) error {
	r := v.record(s, i)
	f := &sections[s]
	if f.named {
		if err := Name(r[:NameSize]).validate(); err != nil {
			return fmt.Errorf("partition table: %s %d at %#x: name %v", f.name, i, v.recordOffset(s, i), err)
		}
	}
	for at := f.reservedFrom; at < f.reservedTo; at++ {
		if r[at] != 0 {
			return v.recordError(s, i, "reserved byte +%#x is %#x, must be zero", at, r[at])
		}
	}
	return nil
}

// checkRecords checks every record's fields and the indices between them.
func (v View) checkRecords() error {
	for s := range numSections {
		for i := range v.counts[s] {
			if err := v.checkNameAndReserved(s, i); err != nil {
				return err
			}
		}
	}
	if err := v.checkPartitionRuns(); err != nil {
		return err
	}
	for i := range v.NumPartitions() {
		if err := v.checkPartitionRecords(i); err != nil {
			return err
		}
	}
	nPartitions := uint(v.NumPartitions())
	for c := range v.NumChannels() {
		ch := v.Channel(c)
		if ch.Members>>nPartitions != 0 {
			return v.recordError(sectionChannels, c, "member mask %#x names partitions beyond the table's %d", ch.Members, nPartitions)
		}
		if extra := ch.ReadOnly &^ ch.Members; extra != 0 {
			return v.recordError(sectionChannels, c, "read-only mask %#x includes non-members %#x", ch.ReadOnly, extra)
		}
	}
	return nil
}

// checkPartitionRuns checks the partitions' own fields and that their runs
// tile each owned section in order.
func (v View) checkPartitionRuns() error {
	var next [numSections]uint32
	for i := range v.NumPartitions() {
		p := v.Partition(i)
		if !p.OnFault.valid() {
			return v.recordError(sectionPartitions, i, "fault policy %d at +%#x unknown (1 inject-abort, 2 stop, 3 restart)", p.OnFault, partitionOnFault)
		}
		if !p.Console.valid() {
			return v.recordError(sectionPartitions, i, "console kind %d at +%#x unknown (1 virtual, 2 passthrough, 3 none)", p.Console, partitionConsole)
		}
		if !p.Watchdog.valid() {
			return v.recordError(sectionPartitions, i, "watchdog action %d at +%#x unknown (0 none, 1 restart, 2 stop)", p.Watchdog, partitionWatchdog)
		}
		if (p.Watchdog == WatchdogNone) != (p.WatchdogMS == 0) || p.WatchdogMS > MaxWatchdogMS {
			return v.recordError(sectionPartitions, i, "watchdog timeout %d ms at +%#x: must be 1 to %d with an action, 0 without", p.WatchdogMS, partitionWatchdogMS, MaxWatchdogMS)
		}
		if !p.KernelFormat.valid() {
			return v.recordError(sectionPartitions, i, "kernel format %d at +%#x unknown (1 linux-image, 2 raw)", p.KernelFormat, partitionKernelFormat)
		}
		for _, run := range partitionRuns {
			span := getSpan(v.record(sectionPartitions, i)[run.field:])
			name := sections[run.section].plural
			if span.First != next[run.section] {
				return v.recordError(sectionPartitions, i, "%s start at index %d (at +%#x), want %d, right after the previous partition's", name, span.First, run.field, next[run.section])
			}
			if uint64(span.First)+uint64(span.Count) > uint64(v.counts[run.section]) {
				return v.recordError(sectionPartitions, i, "%s %d+%d (at +%#x) run past the table's %d", name, span.First, span.Count, run.field, v.counts[run.section])
			}
			next[run.section] += span.Count
		}
		switch {
		case p.Console == ConsolePassthrough && !p.Devices.Contains(p.ConsoleDevice):
			return v.recordError(sectionPartitions, i, "console device %d is not one of its devices %d+%d", p.ConsoleDevice, p.Devices.First, p.Devices.Count)
		case p.Console != ConsolePassthrough && p.ConsoleDevice != NoIndex:
			return v.recordError(sectionPartitions, i, "console device %d set, but the console is %s; store NoIndex (%#x)", p.ConsoleDevice, p.Console, uint32(NoIndex))
		}
	}
	for _, run := range partitionRuns {
		if int(next[run.section]) != v.counts[run.section] {
			return fmt.Errorf("partition table: the partitions' runs cover %d of the %d %s; every record belongs to a partition", next[run.section], v.counts[run.section], sections[run.section].plural)
		}
	}
	return nil
}

// checkPartitionRecords checks the records in partition i's runs.
func (v View) checkPartitionRecords(i int) error {
	p := v.Partition(i)
	owner := uint32(i)
	for j := p.Regions.First; j < p.Regions.End(); j++ {
		if err := v.checkRegion(p, owner, int(j)); err != nil {
			return err
		}
	}
	for d := p.Devices.First; d < p.Devices.End(); d++ {
		if err := v.checkDevice(p, owner, int(d)); err != nil {
			return err
		}
	}
	for j := p.Interrupts.First; j < p.Interrupts.End(); j++ {
		q := v.Interrupt(int(j))
		if err := v.checkOwners(sectionInterrupts, int(j), p, owner, q.Partition, q.Device); err != nil {
			return err
		}
	}
	for j := p.StreamIDRanges.First; j < p.StreamIDRanges.End(); j++ {
		s := v.StreamIDRange(int(j))
		if err := v.checkOwners(sectionStreamIDRanges, int(j), p, owner, s.Partition, s.Device); err != nil {
			return err
		}
	}
	for j := p.Images.First; j < p.Images.End(); j++ {
		m := v.Image(int(j))
		if m.Partition != owner {
			return v.recordError(sectionImages, int(j), "partition %d, but it lies in partition %d's images", m.Partition, owner)
		}
		if !m.Kind.valid() {
			return v.recordError(sectionImages, int(j), "kind %d at +%#x unknown (1 kernel, 2 initrd, 3 DTB)", m.Kind, imageKind)
		}
	}
	return nil
}

func (v View) checkRegion(p Partition, owner uint32, j int) error {
	r := v.Region(j)
	if r.Partition != owner {
		return v.recordError(sectionRegions, j, "partition %d, but it lies in partition %d's regions", r.Partition, owner)
	}
	if r.Perm&^permAll != 0 {
		return v.recordError(sectionRegions, j, "permissions %#x at +%#x have unknown bits (1 read, 2 write, 4 execute)", uint8(r.Perm), regionPerm)
	}
	switch r.Kind {
	case RegionRAM:
		if r.Owner != NoIndex {
			return v.recordError(sectionRegions, j, "RAM region has owner %d; RAM has none, store NoIndex (%#x)", r.Owner, uint32(NoIndex))
		}
	case RegionMMIO:
		if !p.Devices.Contains(r.Owner) {
			return v.recordError(sectionRegions, j, "owner device %d is not one of partition %d's devices %d+%d", r.Owner, owner, p.Devices.First, p.Devices.Count)
		}
		if d := v.Device(int(r.Owner)); !d.Regions.Contains(uint32(j)) {
			return v.recordError(sectionRegions, j, "owner device %d %q does not list it among its regions %d+%d", r.Owner, d.Name, d.Regions.First, d.Regions.Count)
		}
	case RegionChannel:
		if int64(r.Owner) >= int64(v.NumChannels()) {
			return v.recordError(sectionRegions, j, "owner channel %d does not exist; the table has %d", r.Owner, v.NumChannels())
		}
	default:
		return v.recordError(sectionRegions, j, "kind %d at +%#x unknown (1 RAM, 2 MMIO, 3 channel)", r.Kind, regionKind)
	}
	return nil
}

func (v View) checkDevice(p Partition, owner uint32, d int) error {
	dev := v.Device(d)
	if dev.Partition != owner {
		return v.recordError(sectionDevices, d, "partition %d, but it lies in partition %d's devices", dev.Partition, owner)
	}
	for _, run := range [...]struct {
		section         section
		own, partitions Span
	}{
		{sectionRegions, dev.Regions, p.Regions},
		{sectionInterrupts, dev.Interrupts, p.Interrupts},
		{sectionStreamIDRanges, dev.StreamIDRanges, p.StreamIDRanges},
	} {
		if !run.partitions.covers(run.own) {
			name := sections[run.section].plural
			return v.recordError(sectionDevices, d, "%s %d+%d lie outside its partition's %s %d+%d", name, run.own.First, run.own.Count, name, run.partitions.First, run.partitions.Count)
		}
	}
	// With the owner fields checked from the other side (checkRegion,
	// checkOwners), every record in a device's runs belongs to exactly
	// that device, so runs of two devices cannot overlap.
	for j := dev.Regions.First; j < dev.Regions.End(); j++ {
		if r := v.Region(int(j)); r.Kind != RegionMMIO || r.Owner != uint32(d) {
			return v.recordError(sectionDevices, d, "region %d (%s, owner %d) is not an MMIO region of this device", j, r.Kind, r.Owner)
		}
	}
	for j := dev.Interrupts.First; j < dev.Interrupts.End(); j++ {
		if q := v.Interrupt(int(j)); q.Device != uint32(d) {
			return v.recordError(sectionDevices, d, "interrupt %d names device %d, not this one", j, q.Device)
		}
	}
	for j := dev.StreamIDRanges.First; j < dev.StreamIDRanges.End(); j++ {
		if s := v.StreamIDRange(int(j)); s.Device != uint32(d) {
			return v.recordError(sectionDevices, d, "stream ID range %d names device %d, not this one", j, s.Device)
		}
	}
	return nil
}

// checkOwners checks the partition and device fields of interrupt or
// stream ID range j of partition owner.
func (v View) checkOwners(s section, j int, p Partition, owner, partition, device uint32) error {
	if partition != owner {
		return v.recordError(s, j, "partition %d, but it lies in partition %d's %s", partition, owner, sections[s].plural)
	}
	if device == NoIndex {
		return nil
	}
	if !p.Devices.Contains(device) {
		return v.recordError(s, j, "device %d is not one of partition %d's devices %d+%d", device, owner, p.Devices.First, p.Devices.Count)
	}
	dev := v.Device(int(device))
	run := dev.Interrupts
	if s == sectionStreamIDRanges {
		run = dev.StreamIDRanges
	}
	if !run.Contains(uint32(j)) {
		return v.recordError(s, j, "device %d %q does not list it among its %s %d+%d", device, dev.Name, sections[s].plural, run.First, run.Count)
	}
	return nil
}
