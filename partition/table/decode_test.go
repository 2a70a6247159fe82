package table

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board/qemuvirt"
)

// patch overwrites size bytes (1, 4 or 8) at offset at with value.
type patch struct {
	at    int
	size  int
	value uint64
}

func (p patch) apply(b []byte) {
	switch p.size {
	case 1:
		b[p.at] = byte(p.value)
	case 4:
		le.PutUint32(b[p.at:], uint32(p.value))
	case 8:
		le.PutUint64(b[p.at:], p.value)
	default:
		panic(fmt.Sprintf("patch size %d", p.size))
	}
}

// TestDecodeRejects damages the encoding of smallTable in one way per case
// and expects Decode to name the damage. Unless a case says otherwise, the
// checksum is recomputed after patching so that the check under test, not
// the checksum, is what fails.
//
// smallTable's layout: partitions at 0x80 and 0xe8, regions from 0x150,
// devices from 0x268, interrupts from 0x328, the stream ID range at 0x3a8,
// the channel at 0x3b8, images from 0x400; 0x500 bytes in all.
func TestDecodeRejects(t *testing.T) {
	small := smallTable()
	at := func(s section, i, field int) int { return recordAt(small, s, i) + field }
	good := encode(t, small)
	storedChecksum := [32]byte(good[headerChecksum:])
	flippedChecksum := storedChecksum
	flippedChecksum[0] ^= 0xff

	for _, tc := range []struct {
		name       string
		patches    []patch
		keep       int // bytes of the encoding kept; 0 keeps all
		keepSealed bool
		want       string
	}{
		// Header.
		{name: "truncated header", keep: HeaderSize - 1,
			want: "partition table: truncated: 127 bytes, the header alone is 128"},
		{name: "truncated records", keep: 0x4ff,
			want: "partition table: truncated: 0x4ff bytes, the header says the table is 0x510"},
		{name: "bad magic", patches: []patch{{headerMagic, 1, 'X'}},
			want: `partition table: magic "XAMAVTBL", want "TAMAVTBL"; this is not a Tamavisor partition table`},
		{name: "bad version", patches: []patch{{headerVersion, 4, 1}},
			want: "partition table: format version 1, this code reads version 2; build the image and the firmware from the same release"},
		{name: "bad header size", patches: []patch{{headerHeaderSize, 4, 0x88}},
			want: "partition table: header size 0x88 at 0xc, version 2's is 0x80"},
		{name: "unknown flag", patches: []patch{{headerFlags, 4, 1}},
			want: "partition table: flags 0x1 at 0x20, version 2 defines none"},
		{name: "count overflow", patches: []patch{{headerCounts + 4, 4, 0xffff_ffff}},
			want: "partition table: 4294967295 regions (count at 0x28), at most 1024 are allowed"},
		{name: "count above the partition masks", patches: []patch{{headerCounts, 4, 65}},
			want: "partition table: 65 partitions (count at 0x24), at most 64 are allowed"},
		{name: "counts disagree with total length", patches: []patch{{headerCounts + 24, 4, 5}},
			want: "partition table: total length 0x510 at 0x10 does not match the counts, which need 0x550 bytes"},
		{name: "total length near 2^64", patches: []patch{{headerTotalLength, 8, 0xffff_ffff_ffff_ffc0}},
			want: "partition table: total length 0xffffffffffffffc0 at 0x10 does not match the counts, which need 0x510 bytes"},
		{name: "counts and total length beyond the bytes", patches: []patch{{headerCounts + 4, 4, MaxRecords}, {headerTotalLength, 8, 0x510 + (MaxRecords-7)*RegionSize}},
			want: "partition table: truncated: 0x510 bytes, the header says the table is 0xa3f8"},
		{name: "checksum altered", keepSealed: true, patches: []patch{{headerChecksum, 1, uint64(flippedChecksum[0])}},
			want: fmt.Sprintf("partition table: checksum %x at 0x60, the table's bytes hash to %x; the table is damaged", flippedChecksum, storedChecksum)},
		{name: "board name not NUL padded", patches: []patch{{headerBoard + 20, 1, 'x'}},
			want: "partition table: board name at 0x40 has bytes after its NUL padding"},

		// Names and reserved bytes.
		{name: "partition name unprintable", patches: []patch{{at(sectionPartitions, 0, partitionName), 1, 0x01}},
			want: "partition table: partition 0 at 0x80: name holds a byte outside printable ASCII (0x20..0x7e)"},
		{name: "device name empty", patches: []patch{{at(sectionDevices, 0, deviceName), 4, 0}},
			want: "partition table: device 0 at 0x278: name empty; give it a name"},
		{name: "channel name byte after padding", patches: []patch{{at(sectionChannels, 0, channelName+31), 1, 'z'}},
			want: "partition table: channel 0 at 0x3c8: name has bytes after its NUL padding"},
		{name: "partition reserved byte", patches: []patch{{at(sectionPartitions, 1, partitionReserved), 1, 1}},
			want: `partition table: partition 1 at 0xf0 "infotainment": reserved byte +0x6c is 0x1, must be zero`},
		{name: "region reserved byte", patches: []patch{{at(sectionRegions, 2, regionReserved+3), 1, 0x80}},
			want: "partition table: region 2 at 0x1b0: reserved byte +0x25 is 0x80, must be zero"},
		{name: "device reserved bytes", patches: []patch{{at(sectionDevices, 2, deviceReserved), 4, 0x100}},
			want: `partition table: device 2 at 0x2f8 "pcie": reserved byte +0x3d is 0x1, must be zero`},
		{name: "interrupt reserved bytes", patches: []patch{{at(sectionInterrupts, 7, interruptReserved), 4, 0xff}},
			want: "partition table: interrupt 7 at 0x3a8: reserved byte +0xc is 0xff, must be zero"},
		{name: "channel reserved bytes", patches: []patch{{at(sectionChannels, 0, channelReserved), 4, 0x0200_0000}},
			want: `partition table: channel 0 at 0x3c8 "ipc": reserved byte +0x47 is 0x2, must be zero`},
		{name: "image reserved byte", patches: []patch{{at(sectionImages, 3, imageReserved+2), 1, 7}},
			want: "partition table: image 3 at 0x4d0: reserved byte +0x3f is 0x7, must be zero"},

		// Enumerations.
		{name: "fault policy unknown", patches: []patch{{at(sectionPartitions, 0, partitionOnFault), 1, 0}},
			want: `partition table: partition 0 at 0x80 "ecu": fault policy 0 at +0x64 unknown (1 inject-abort, 2 stop, 3 restart)`},
		{name: "console kind unknown", patches: []patch{{at(sectionPartitions, 0, partitionConsole), 1, 4}},
			want: `partition table: partition 0 at 0x80 "ecu": console kind 4 at +0x65 unknown (1 virtual, 2 passthrough, 3 none)`},
		{name: "kernel format unknown", patches: []patch{{at(sectionPartitions, 1, partitionKernelFormat), 1, 3}},
			want: `partition table: partition 1 at 0xf0 "infotainment": kernel format 3 at +0x66 unknown (1 linux-image, 2 raw)`},
		{name: "watchdog action unknown", patches: []patch{{at(sectionPartitions, 1, partitionWatchdog), 1, 3}},
			want: `partition table: partition 1 at 0xf0 "infotainment": watchdog action 3 at +0x67 unknown (0 none, 1 restart, 2 stop)`},
		{name: "watchdog timeout without an action", patches: []patch{{at(sectionPartitions, 1, partitionWatchdogMS), 4, 100}},
			want: `partition table: partition 1 at 0xf0 "infotainment": watchdog timeout 100 ms at +0x68: must be 1 to 3600000 with an action, 0 without`},
		{name: "watchdog without a timeout", patches: []patch{{at(sectionPartitions, 1, partitionWatchdog), 1, 1}},
			want: `partition table: partition 1 at 0xf0 "infotainment": watchdog timeout 0 ms at +0x68: must be 1 to 3600000 with an action, 0 without`},
		{name: "region kind unknown", patches: []patch{{at(sectionRegions, 3, regionKind), 1, 4}},
			want: "partition table: region 3 at 0x1d8: kind 4 at +0x20 unknown (1 RAM, 2 MMIO, 3 channel)"},
		{name: "permission bit unknown", patches: []patch{{at(sectionRegions, 0, regionPerm), 1, 0x0f}},
			want: "partition table: region 0 at 0x160: permissions 0xf at +0x21 have unknown bits (1 read, 2 write, 4 execute)"},
		{name: "image kind unknown", patches: []patch{{at(sectionImages, 0, imageKind), 1, 0}},
			want: "partition table: image 0 at 0x410: kind 0 at +0x3c unknown (1 kernel, 2 initrd, 3 DTB)"},

		// Indices and runs.
		{name: "partition run past the table", patches: []patch{{at(sectionPartitions, 1, partitionRegions+4), 4, 5}},
			want: `partition table: partition 1 at 0xf0 "infotainment": regions 3+5 (at +0x38) run past the table's 7`},
		{name: "partition run with a wrapping count", patches: []patch{{at(sectionPartitions, 1, partitionImages+4), 4, 0xffff_ffff}},
			want: `partition table: partition 1 at 0xf0 "infotainment": images 1+4294967295 (at +0x58) run past the table's 4`},
		{name: "partition runs not consecutive", patches: []patch{{at(sectionPartitions, 0, partitionRegions), 4, 1}},
			want: `partition table: partition 0 at 0x80 "ecu": regions start at index 1 (at +0x38), want 0, right after the previous partition's`},
		{name: "records owned by no partition", patches: []patch{{at(sectionPartitions, 1, partitionImages+4), 4, 2}},
			want: "partition table: the partitions' runs cover 3 of the 4 images; every record belongs to a partition"},
		{name: "passthrough console without a device", patches: []patch{{at(sectionPartitions, 0, partitionConsole), 1, uint64(ConsolePassthrough)}},
			want: `partition table: partition 0 at 0x80 "ecu": console device 4294967295 is not one of its devices 0+1`},
		{name: "console device of another partition", patches: []patch{{at(sectionPartitions, 0, partitionConsole), 1, uint64(ConsolePassthrough)}, {at(sectionPartitions, 0, partitionConsoleDevice), 4, 1}},
			want: `partition table: partition 0 at 0x80 "ecu": console device 1 is not one of its devices 0+1`},
		{name: "console device with a virtual console", patches: []patch{{at(sectionPartitions, 0, partitionConsoleDevice), 4, 0}},
			want: `partition table: partition 0 at 0x80 "ecu": console device 0 set, but the console is virtual; store NoIndex (0xffffffff)`},
		{name: "region in another partition's run", patches: []patch{{at(sectionRegions, 0, regionPartition), 4, 1}},
			want: "partition table: region 0 at 0x160: partition 1, but it lies in partition 0's regions"},
		{name: "RAM region with an owner", patches: []patch{{at(sectionRegions, 0, regionOwner), 4, 0}},
			want: "partition table: region 0 at 0x160: RAM region has owner 0; RAM has none, store NoIndex (0xffffffff)"},
		{name: "MMIO region owned by another partition's device", patches: []patch{{at(sectionRegions, 1, regionOwner), 4, 1}},
			want: "partition table: region 1 at 0x188: owner device 1 is not one of partition 0's devices 0+1"},
		{name: "MMIO region its owner does not list", patches: []patch{{at(sectionRegions, 4, regionOwner), 4, 2}},
			want: `partition table: region 4 at 0x200: owner device 2 "pcie" does not list it among its regions 5+1`},
		{name: "channel region owned by no channel", patches: []patch{{at(sectionRegions, 2, regionOwner), 4, 1}},
			want: "partition table: region 2 at 0x1b0: owner channel 1 does not exist; the table has 1"},
		{name: "device in another partition's run", patches: []patch{{at(sectionDevices, 1, devicePartition), 4, 0}},
			want: `partition table: device 1 at 0x2b8 "virtio-mmio": partition 0, but it lies in partition 1's devices`},
		{name: "device run outside its partition's", patches: []patch{{at(sectionDevices, 0, deviceInterrupts), 4, 1}, {at(sectionDevices, 0, deviceInterrupts+4), 4, 2}},
			want: `partition table: device 0 at 0x278 "gpio": interrupts 1+2 lie outside its partition's interrupts 0+2`},
		{name: "device run holding a RAM region", patches: []patch{{at(sectionDevices, 0, deviceRegions), 4, 0}, {at(sectionDevices, 0, deviceRegions+4), 4, 2}},
			want: `partition table: device 0 at 0x278 "gpio": region 0 (RAM, owner 4294967295) is not an MMIO region of this device`},
		{name: "device run holding another's interrupt", patches: []patch{{at(sectionInterrupts, 0, interruptDevice), 4, NoIndex}},
			want: `partition table: device 0 at 0x278 "gpio": interrupt 0 names device 4294967295, not this one`},
		{name: "device run holding another's stream IDs", patches: []patch{{at(sectionStreamIDRanges, 0, streamDevice), 4, 1}},
			want: `partition table: device 2 at 0x2f8 "pcie": stream ID range 0 names device 1, not this one`},
		{name: "interrupt naming a device that does not list it", patches: []patch{{at(sectionInterrupts, 1, interruptDevice), 4, 0}},
			want: `partition table: interrupt 1 at 0x348: device 0 "gpio" does not list it among its interrupts 0+1`},
		{name: "interrupt in another partition's run", patches: []patch{{at(sectionInterrupts, 2, interruptPartition), 4, 0}},
			want: "partition table: interrupt 2 at 0x358: partition 0, but it lies in partition 1's interrupts"},
		{name: "stream IDs of another partition's device", patches: []patch{{at(sectionDevices, 2, deviceStreamIDs+4), 4, 0}, {at(sectionStreamIDRanges, 0, streamDevice), 4, 0}},
			want: "partition table: stream ID range 0 at 0x3b8: device 0 is not one of partition 1's devices 1+2"},
		{name: "image in another partition's run", patches: []patch{{at(sectionImages, 0, imagePartition), 4, 1}},
			want: "partition table: image 0 at 0x410: partition 1, but it lies in partition 0's images"},
		{name: "channel member that does not exist", patches: []patch{{at(sectionChannels, 0, channelMembers), 8, 0b111}},
			want: `partition table: channel 0 at 0x3c8 "ipc": member mask 0x7 names partitions beyond the table's 2`},
		{name: "channel read-only non-member", patches: []patch{{at(sectionChannels, 0, channelMembers), 8, 0b10}},
			want: `partition table: channel 0 at 0x3c8 "ipc": read-only mask 0x1 includes non-members 0x1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := append([]byte{}, good...)
			for _, p := range tc.patches {
				p.apply(b)
			}
			if !tc.keepSealed {
				seal(b)
			}
			if tc.keep != 0 {
				b = b[:tc.keep]
			}
			v, err := Decode(b)
			assert.EqualError(t, err, tc.want)
			assert.Zero(t, v.Len(), "a rejected table must yield no View")
		})
	}
}

// TestDecodeRejectsUnsealedChange: without a new checksum, any changed
// byte is caught.
func TestDecodeRejectsUnsealedChange(t *testing.T) {
	good := encode(t, smallTable())
	for _, at := range []int{headerPayloadSize, headerBoard, 0x100, 0x4ff} {
		b := append([]byte{}, good...)
		b[at] ^= 0x01
		_, err := Decode(b)
		assert.ErrorContains(t, err, "the table is damaged", "byte %#x changed", at)
	}
}

func TestNewName(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // error; empty when the name is valid
	}{
		{"ecu", ""},
		{"with space~and-punctuation!", ""},
		{"exactly-thirty-two-bytes-long-ok", ""},
		{"", `name "": empty; give it a name`},
		{"thirty-three-bytes-long-is-too-lo", `name "thirty-three-bytes-long-is-too-lo" is 33 bytes long; shorten it to at most 32`},
		{"tab\there", `name "tab\there": holds a byte outside printable ASCII (0x20..0x7e)`},
		{"caf\u00e9", `name "café": holds a byte outside printable ASCII (0x20..0x7e)`},
		{"nul\x00inside", `name "nul\x00inside": has bytes after its NUL padding`},
	} {
		n, err := NewName(tc.in)
		if tc.want != "" {
			assert.EqualError(t, err, tc.want)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.in, n.String())
		assert.True(t, n.Equal(tc.in))
		assert.False(t, n.Equal(tc.in+"x"))
	}
}

func TestSpan(t *testing.T) {
	for _, tc := range []struct {
		span     Span
		index    uint32
		contains bool
	}{
		{Span{2, 3}, 1, false},
		{Span{2, 3}, 2, true},
		{Span{2, 3}, 4, true},
		{Span{2, 3}, 5, false},
		{Span{2, 0}, 2, false},
		{Span{0xffff_fffe, 2}, 0xffff_ffff, true},
		{Span{0xffff_fffe, 2}, 0, false},
	} {
		assert.Equal(t, tc.contains, tc.span.Contains(tc.index), "%+v contains %d", tc.span, tc.index)
	}
}

func TestEnumStrings(t *testing.T) {
	for _, tc := range []struct {
		value fmt.Stringer
		want  string
	}{
		{PermRead | PermExec, "r-x"},
		{PermRead | PermWrite | PermExec, "rwx"},
		{Perm(0), "---"},
		{Perm(0x19), "r--+0x18"},
		{FaultRestart, "restart"},
		{FaultPolicy(9), "FaultPolicy(9)"},
		{ConsolePassthrough, "passthrough"},
		{KernelLinuxImage, "linux-image"},
		{RegionChannel, "channel"},
		{ImageDTB, "DTB"},
		{ImageKind(0), "ImageKind(0)"},
	} {
		assert.Equal(t, tc.want, tc.value.String())
	}
}

// sink keeps the compiler from discarding what the allocation test reads.
var sink uint64

// TestNoAllocations proves the firmware's boot path allocates nothing:
// Decode, every accessor, and Check of a sound table.
func TestNoAllocations(t *testing.T) {
	b := encode(t, smallTable())
	v, err := Decode(b)
	require.NoError(t, err)
	limits := LimitsFor(qemuvirt.Board)
	for _, tc := range []struct {
		name string
		run  func()
	}{
		{"Decode", func() {
			if _, err := Decode(b); err != nil {
				panic(err)
			}
		}},
		{"accessors", func() {
			h := v.Header()
			sink += h.TotalLength + uint64(v.Board()[0]) + v.PayloadSize()
			for i := range v.NumPartitions() {
				sink += v.Partition(i).CPUMask
			}
			for i := range v.NumRegions() {
				sink += v.Region(i).Size
			}
			for i := range v.NumDevices() {
				sink += uint64(v.Device(i).Regions.Count)
			}
			for i := range v.NumInterrupts() {
				sink += uint64(v.Interrupt(i).INTID)
			}
			for i := range v.NumStreamIDRanges() {
				sink += uint64(v.StreamIDRange(i).Count)
			}
			for i := range v.NumChannels() {
				sink += v.Channel(i).Members
			}
			for i := range v.NumImages() {
				sink += uint64(v.Image(i).SHA256[0])
			}
		}},
		{"Check", func() {
			if err := v.Check(limits); err != nil {
				panic(err)
			}
		}},
	} {
		assert.Zero(t, testing.AllocsPerRun(100, tc.run), "%s allocates", tc.name)
	}
}

// TestAccessorIndexOutOfRange: an index past a section panics rather than
// reading the next section's bytes.
func TestAccessorIndexOutOfRange(t *testing.T) {
	v, err := Decode(encode(t, smallTable()))
	require.NoError(t, err)
	assert.Panics(t, func() { v.Partition(2) })
	assert.Panics(t, func() { v.Region(-1) })
	assert.Panics(t, func() { v.StreamIDRange(1) })
	assert.NotPanics(t, func() { v.Image(3) })
}

func TestImageVerify(t *testing.T) {
	blob := []byte("infotainment initrd")
	image := Image{Size: uint64(len(blob)), SHA256: digest(string(blob)), Kind: ImageInitrd}
	damaged := append([]byte{}, blob...)
	damaged[0] ^= 0x20
	for _, tc := range []struct {
		name string
		blob []byte
		want string // empty: the blob verifies
	}{
		{"intact", blob, ""},
		{"one byte changed", damaged, fmt.Sprintf("initrd image has SHA-256 %x, the table says %x; the payload is damaged or does not belong to this table", digest(string(damaged)), image.SHA256)},
		{"one byte short", blob[:len(blob)-1], "initrd image is 0x12 bytes, the table says 0x13; the payload does not belong to this table"},
	} {
		err := image.Verify(tc.blob)
		if tc.want == "" {
			assert.NoError(t, err, tc.name)
		} else {
			assert.EqualError(t, err, tc.want, tc.name)
		}
	}
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		if err := image.Verify(blob); err != nil {
			panic(err)
		}
	}))
}
