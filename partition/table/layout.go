package table

import "encoding/binary"

// Format constants; the package comment shows the layout they describe.
const (
	Magic   = "TAMAVTBL"
	Version = 2

	HeaderSize        = 0x80
	PartitionSize     = 0x70
	RegionSize        = 0x28
	DeviceSize        = 0x40
	InterruptSize     = 0x10
	StreamIDRangeSize = 0x10
	ChannelSize       = 0x48
	ImageSize         = 0x40

	NameSize = 32

	// NoIndex fills an index field that refers to no record.
	NoIndex = 0xffff_ffff

	// MaxPartitions is bounded by the 64-bit partition masks of channels.
	MaxPartitions = 64
	// MaxRecords bounds every other count, far above what a board can
	// use, so that a damaged table cannot make Check's pairwise
	// comparisons run for long at boot.
	MaxRecords = 1024
)

// Header fields.
const (
	headerMagic          = 0x00
	headerVersion        = 0x08
	headerHeaderSize     = 0x0c
	headerTotalLength    = 0x10
	headerPayloadSize    = 0x18
	headerFlags          = 0x20
	headerCounts         = 0x24 // seven uint32 counts, in section order
	headerBoard          = 0x40
	headerChecksum       = 0x60
	headerChecksumLength = 32
)

// section identifies one of the record arrays that follow the header, in
// the order they are stored.
type section int

const (
	sectionPartitions section = iota
	sectionRegions
	sectionDevices
	sectionInterrupts
	sectionStreamIDRanges
	sectionChannels
	sectionImages
	numSections
)

// sectionFormat describes one record array: what its records are called,
// their size, whether they start with a Name, the largest count Decode
// accepts, and the reserved bytes [reservedFrom, reservedTo) of each
// record, which must be zero.
type sectionFormat struct {
	name, plural             string
	recordSize               int
	named                    bool
	maxCount                 uint32
	reservedFrom, reservedTo int
}

var sections = [numSections]sectionFormat{
	sectionPartitions:     {"partition", "partitions", PartitionSize, true, MaxPartitions, partitionReserved, PartitionSize},
	sectionRegions:        {"region", "regions", RegionSize, false, MaxRecords, regionReserved, RegionSize},
	sectionDevices:        {"device", "devices", DeviceSize, true, MaxRecords, deviceReserved, DeviceSize},
	sectionInterrupts:     {"interrupt", "interrupts", InterruptSize, false, MaxRecords, interruptReserved, InterruptSize},
	sectionStreamIDRanges: {"stream ID range", "stream ID ranges", StreamIDRangeSize, false, MaxRecords, StreamIDRangeSize, StreamIDRangeSize},
	sectionChannels:       {"channel", "channels", ChannelSize, true, MaxRecords, channelReserved, ChannelSize},
	sectionImages:         {"image", "images", ImageSize, false, MaxRecords, imageReserved, ImageSize},
}

var le = binary.LittleEndian

// Partition fields.
const (
	partitionName          = 0x00
	partitionCPUMask       = 0x20
	partitionEntryIPA      = 0x28
	partitionDTBIPA        = 0x30
	partitionRegions       = 0x38
	partitionDevices       = 0x40
	partitionInterrupts    = 0x48
	partitionStreamIDs     = 0x50
	partitionImages        = 0x58
	partitionConsoleDevice = 0x60
	partitionOnFault       = 0x64
	partitionConsole       = 0x65
	partitionKernelFormat  = 0x66
	partitionWatchdog      = 0x67
	partitionWatchdogMS    = 0x68
	partitionReserved      = 0x6c
)

func getSpan(r []byte) Span { return Span{First: le.Uint32(r), Count: le.Uint32(r[4:])} }

func putSpan(r []byte, s Span) {
	le.PutUint32(r, s.First)
	le.PutUint32(r[4:], s.Count)
}

func getPartition(r []byte) Partition {
	var p Partition
	copy(p.Name[:], r[partitionName:])
	p.CPUMask = le.Uint64(r[partitionCPUMask:])
	p.EntryIPA = le.Uint64(r[partitionEntryIPA:])
	p.DTBIPA = le.Uint64(r[partitionDTBIPA:])
	p.Regions = getSpan(r[partitionRegions:])
	p.Devices = getSpan(r[partitionDevices:])
	p.Interrupts = getSpan(r[partitionInterrupts:])
	p.StreamIDRanges = getSpan(r[partitionStreamIDs:])
	p.Images = getSpan(r[partitionImages:])
	p.ConsoleDevice = le.Uint32(r[partitionConsoleDevice:])
	p.OnFault = FaultPolicy(r[partitionOnFault])
	p.Console = ConsoleKind(r[partitionConsole])
	p.KernelFormat = KernelFormat(r[partitionKernelFormat])
	p.Watchdog = WatchdogAction(r[partitionWatchdog])
	p.WatchdogMS = le.Uint32(r[partitionWatchdogMS:])
	return p
}

func putPartition(r []byte, p *Partition) {
	copy(r[partitionName:], p.Name[:])
	le.PutUint64(r[partitionCPUMask:], p.CPUMask)
	le.PutUint64(r[partitionEntryIPA:], p.EntryIPA)
	le.PutUint64(r[partitionDTBIPA:], p.DTBIPA)
	putSpan(r[partitionRegions:], p.Regions)
	putSpan(r[partitionDevices:], p.Devices)
	putSpan(r[partitionInterrupts:], p.Interrupts)
	putSpan(r[partitionStreamIDs:], p.StreamIDRanges)
	putSpan(r[partitionImages:], p.Images)
	le.PutUint32(r[partitionConsoleDevice:], p.ConsoleDevice)
	r[partitionOnFault] = byte(p.OnFault)
	r[partitionConsole] = byte(p.Console)
	r[partitionKernelFormat] = byte(p.KernelFormat)
	r[partitionWatchdog] = byte(p.Watchdog)
	le.PutUint32(r[partitionWatchdogMS:], p.WatchdogMS)
}

// Region fields.
const (
	regionPhysBase  = 0x00
	regionIPA       = 0x08
	regionSize      = 0x10
	regionPartition = 0x18
	regionOwner     = 0x1c
	regionKind      = 0x20
	regionPerm      = 0x21
	regionReserved  = 0x22
)

func getRegion(r []byte) Region {
	return Region{
		PhysBase:  le.Uint64(r[regionPhysBase:]),
		IPA:       le.Uint64(r[regionIPA:]),
		Size:      le.Uint64(r[regionSize:]),
		Partition: le.Uint32(r[regionPartition:]),
		Owner:     le.Uint32(r[regionOwner:]),
		Kind:      RegionKind(r[regionKind]),
		Perm:      Perm(r[regionPerm]),
	}
}

func putRegion(r []byte, g *Region) {
	le.PutUint64(r[regionPhysBase:], g.PhysBase)
	le.PutUint64(r[regionIPA:], g.IPA)
	le.PutUint64(r[regionSize:], g.Size)
	le.PutUint32(r[regionPartition:], g.Partition)
	le.PutUint32(r[regionOwner:], g.Owner)
	r[regionKind] = byte(g.Kind)
	r[regionPerm] = byte(g.Perm)
}

// Device fields.
const (
	deviceName       = 0x00
	devicePartition  = 0x20
	deviceRegions    = 0x24
	deviceInterrupts = 0x2c
	deviceStreamIDs  = 0x34
	deviceReserved   = 0x3c
)

func getDevice(r []byte) Device {
	var d Device
	copy(d.Name[:], r[deviceName:])
	d.Partition = le.Uint32(r[devicePartition:])
	d.Regions = getSpan(r[deviceRegions:])
	d.Interrupts = getSpan(r[deviceInterrupts:])
	d.StreamIDRanges = getSpan(r[deviceStreamIDs:])
	return d
}

func putDevice(r []byte, d *Device) {
	copy(r[deviceName:], d.Name[:])
	le.PutUint32(r[devicePartition:], d.Partition)
	putSpan(r[deviceRegions:], d.Regions)
	putSpan(r[deviceInterrupts:], d.Interrupts)
	putSpan(r[deviceStreamIDs:], d.StreamIDRanges)
}

// Interrupt fields.
const (
	interruptINTID     = 0x00
	interruptPartition = 0x04
	interruptDevice    = 0x08
	interruptReserved  = 0x0c
)

func getInterrupt(r []byte) Interrupt {
	return Interrupt{
		INTID:     le.Uint32(r[interruptINTID:]),
		Partition: le.Uint32(r[interruptPartition:]),
		Device:    le.Uint32(r[interruptDevice:]),
	}
}

func putInterrupt(r []byte, q *Interrupt) {
	le.PutUint32(r[interruptINTID:], q.INTID)
	le.PutUint32(r[interruptPartition:], q.Partition)
	le.PutUint32(r[interruptDevice:], q.Device)
}

// Stream ID range fields.
const (
	streamFirst     = 0x00
	streamCount     = 0x04
	streamPartition = 0x08
	streamDevice    = 0x0c
)

func getStreamIDRange(r []byte) StreamIDRange {
	return StreamIDRange{
		First:     le.Uint32(r[streamFirst:]),
		Count:     le.Uint32(r[streamCount:]),
		Partition: le.Uint32(r[streamPartition:]),
		Device:    le.Uint32(r[streamDevice:]),
	}
}

func putStreamIDRange(r []byte, s *StreamIDRange) {
	le.PutUint32(r[streamFirst:], s.First)
	le.PutUint32(r[streamCount:], s.Count)
	le.PutUint32(r[streamPartition:], s.Partition)
	le.PutUint32(r[streamDevice:], s.Device)
}

// Channel fields.
const (
	channelName     = 0x00
	channelPhysBase = 0x20
	channelSize     = 0x28
	channelMembers  = 0x30
	channelReadOnly = 0x38
	channelDoorbell = 0x40
	channelReserved = 0x44
)

func getChannel(r []byte) Channel {
	var c Channel
	copy(c.Name[:], r[channelName:])
	c.PhysBase = le.Uint64(r[channelPhysBase:])
	c.Size = le.Uint64(r[channelSize:])
	c.Members = le.Uint64(r[channelMembers:])
	c.ReadOnly = le.Uint64(r[channelReadOnly:])
	c.Doorbell = le.Uint32(r[channelDoorbell:])
	return c
}

func putChannel(r []byte, c *Channel) {
	copy(r[channelName:], c.Name[:])
	le.PutUint64(r[channelPhysBase:], c.PhysBase)
	le.PutUint64(r[channelSize:], c.Size)
	le.PutUint64(r[channelMembers:], c.Members)
	le.PutUint64(r[channelReadOnly:], c.ReadOnly)
	le.PutUint32(r[channelDoorbell:], c.Doorbell)
}

// Image fields.
const (
	imageOffset    = 0x00
	imageSize      = 0x08
	imageLoadIPA   = 0x10
	imageSHA256    = 0x18
	imagePartition = 0x38
	imageKind      = 0x3c
	imageReserved  = 0x3d
)

func getImage(r []byte) Image {
	var m Image
	m.Offset = le.Uint64(r[imageOffset:])
	m.Size = le.Uint64(r[imageSize:])
	m.LoadIPA = le.Uint64(r[imageLoadIPA:])
	copy(m.SHA256[:], r[imageSHA256:])
	m.Partition = le.Uint32(r[imagePartition:])
	m.Kind = ImageKind(r[imageKind])
	return m
}

func putImage(r []byte, m *Image) {
	le.PutUint64(r[imageOffset:], m.Offset)
	le.PutUint64(r[imageSize:], m.Size)
	le.PutUint64(r[imageLoadIPA:], m.LoadIPA)
	copy(r[imageSHA256:], m.SHA256[:])
	le.PutUint32(r[imagePartition:], m.Partition)
	r[imageKind] = byte(m.Kind)
}
