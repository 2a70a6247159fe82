package table

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/board/qemuvirt"
)

func TestLimitsForQEMUVirt(t *testing.T) {
	assert.Equal(t, Limits{
		Board:            "qemu-virt",
		CPUs:             4,
		RAM:              []board.Region{{Base: 0x4000_0000, Size: 0x8000_0000}},
		PhysAddrBits:     40,
		HypervisorMemory: board.Region{Base: 0x4000_0000, Size: 0x800_0000},
		HypervisorMMIO: []board.Region{
			{Base: 0x0800_0000, Size: 0x1_0000},  // GIC distributor
			{Base: 0x080a_0000, Size: 0xf6_0000}, // GIC redistributors
			{Base: 0x0905_0000, Size: 0x2_0000},  // SMMU
			{Base: 0x0900_0000, Size: 0x1000},    // uart0, the hypervisor's console
			{Base: 0x0808_0000, Size: 0x2_0000},  // GIC ITS, from the board's device list
		},
		SPIs:         board.IDRange{First: 32, Count: 224},
		StreamIDBits: 16,
	}, LimitsFor(qemuvirt.Board))
}

// spareChannel is a second channel without members, to reach the channel
// rules that regions do not check first.
func spareChannel(name string, base uint64, doorbell uint32) Channel {
	return Channel{Name: mustName(name), PhysBase: base, Size: 1 * MiB, Doorbell: doorbell}
}

// TestCheck changes smallTable in one way per case and expects Check,
// against qemu-virt unless the case changes the limits, to report exactly
// that problem. The first case is the sound table itself.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Table)
		limits func(*Limits)
		want   string // empty: the table is sound
	}{
		{name: "sound table", want: ""},

		// Board and partitions.
		{name: "other board", limits: func(l *Limits) { l.Board = "other-board" },
			want: `partition table: built for board "qemu-virt", this board is "other-board"; build the image for other-board`},
		{name: "no partitions", mutate: func(t *Table) { *t = Table{Board: t.Board} },
			want: "partition table: no partitions; a table needs at least one"},
		{name: "partition without CPUs", mutate: func(t *Table) { t.Partitions[0].CPUMask = 0 },
			want: `partition 0 "ecu": no CPUs; give it at least one`},
		{name: "CPU the board lacks", mutate: func(t *Table) { t.Partitions[1].CPUMask = 0b1_0110 },
			want: `partition 1 "infotainment": CPU 4 does not exist; qemu-virt has 4 CPUs, 0 to 3`},
		{name: "CPU in two partitions", mutate: func(t *Table) { t.Partitions[1].CPUMask = 0b0111 },
			want: `partition 1 "infotainment": CPU 0 already belongs to partition 0 "ecu"; a CPU runs one partition`},
		{name: "partition name twice", mutate: func(t *Table) { t.Partitions[1].Name = mustName("ecu") },
			want: `partition 1 "ecu": name already used by partition 0; rename one of them`},

		// Regions of every kind.
		{name: "empty region", mutate: func(t *Table) { t.Regions[0].Size = 0 },
			want: `partition 0 "ecu": region 0 RAM 0x48000000+0x0: physical range is empty`},
		{name: "physical base not page aligned", mutate: func(t *Table) { t.Regions[0].PhysBase = 0x4800_0800 },
			want: `partition 0 "ecu": region 0 RAM 0x48000800+0x4000000: physical range starts at 0x48000800, not 4 KiB aligned`},
		{name: "IPA not page aligned", mutate: func(t *Table) { t.Regions[3].IPA = 0x4000_0010 },
			want: `partition 1 "infotainment": region 3 RAM 0x50000000+0xc000000: IPA range 0x40000010+0xc000000 starts at 0x40000010, not 4 KiB aligned`},
		{name: "size not page aligned", mutate: func(t *Table) { t.Regions[1].Size = 0x800 },
			want: `partition 0 "ecu": region 1 MMIO 0x9030000+0x800: physical range has size 0x800, not a multiple of 4 KiB`},
		{name: "physical range wraps", mutate: func(t *Table) { t.Regions[5].PhysBase = 0xffff_ffff_ffff_f000 },
			want: `partition 1 "infotainment": region 5 MMIO 0xfffffffffffff000+0x10000000: physical range wraps past the top of the address space`},
		{name: "physical range past the address width", mutate: func(t *Table) { t.Regions[5].PhysBase = 0xff_f800_0000 },
			want: `partition 1 "infotainment": region 5 MMIO 0xfff8000000+0x10000000: physical range ends beyond the 40-bit address space`},
		{name: "IPA range past the address width", mutate: func(t *Table) { t.Regions[3].IPA = 0xff_f800_0000 },
			want: `partition 1 "infotainment": region 3 RAM 0x50000000+0xc000000: IPA range 0xfff8000000+0xc000000 ends beyond the 39-bit address space`},
		// The board has 40 physical address bits; stage 2 translates 39.
		{name: "IPA range past the stage-2 input size", mutate: func(t *Table) { t.Regions[3].IPA = 0x80_0000_0000 },
			want: `partition 1 "infotainment": region 3 RAM 0x50000000+0xc000000: IPA range 0x8000000000+0xc000000 ends beyond the 39-bit address space`},
		{name: "region without permissions", mutate: func(t *Table) { t.Regions[1].Perm = 0 },
			want: `partition 0 "ecu": region 1 MMIO 0x9030000+0x1000: no access permissions; allow at least reads`},
		{name: "region over hypervisor memory", mutate: func(t *Table) { t.Regions[0].PhysBase = 0x47ff_f000 },
			want: `partition 0 "ecu": region 0 RAM 0x47fff000+0x4000000 overlaps hypervisor memory 0x40000000+0x8000000; move it out of the hypervisor's RAM`},
		{name: "IPA ranges overlap in a partition", mutate: func(t *Table) { t.Regions[4].IPA = 0x4000_0000 },
			want: `partition 1 "infotainment": region 4 MMIO 0xa000000+0x4000: IPA range 0x40000000+0x4000 overlaps region 3's IPA range 0x40000000+0xc000000; move one of them`},

		// RAM regions.
		{name: "RAM past the board's RAM", mutate: func(t *Table) { t.Regions[0].PhysBase = 0xbf00_0000 },
			want: `partition 0 "ecu": region 0 RAM 0xbf000000+0x4000000 is not inside the board's RAM [0x40000000+0x80000000]`},
		{name: "RAM of two partitions overlaps", mutate: func(t *Table) { t.Regions[3].PhysBase = 0x4a00_0000 },
			want: `partition 1 "infotainment": region 3 RAM 0x4a000000+0xc000000 overlaps region 0 0x48000000+0x4000000 of partition 0 "ecu"; RAM belongs to one partition, move or shrink one of them`},

		// MMIO regions.
		{name: "executable MMIO", mutate: func(t *Table) { t.Regions[4].Perm = PermRead | PermWrite | PermExec },
			want: `partition 1 "infotainment": region 4 MMIO 0xa000000+0x4000 is executable; device memory holds no code, drop execute`},
		{name: "MMIO over the GIC distributor", mutate: func(t *Table) { t.Regions[1].PhysBase = qemuvirt.GICDBase },
			want: `partition 0 "ecu": region 1 MMIO 0x8000000+0x1000 overlaps hypervisor-only MMIO 0x8000000+0x10000; that device cannot be passed through`},
		{name: "MMIO over the GIC ITS", mutate: func(t *Table) { t.Regions[1].PhysBase = qemuvirt.GITSBase + 0x1_0000 },
			want: `partition 0 "ecu": region 1 MMIO 0x8090000+0x1000 overlaps hypervisor-only MMIO 0x8080000+0x20000; that device cannot be passed through`},
		{name: "MMIO over the SMMU", mutate: func(t *Table) { t.Regions[1].PhysBase = qemuvirt.SMMUBase },
			want: `partition 0 "ecu": region 1 MMIO 0x9050000+0x1000 overlaps hypervisor-only MMIO 0x9050000+0x20000; that device cannot be passed through`},
		{name: "MMIO over RAM", mutate: func(t *Table) { t.Regions[1].PhysBase = 0x9000_0000 },
			want: `partition 0 "ecu": region 1 MMIO 0x90000000+0x1000 overlaps the board's RAM 0x40000000+0x80000000; map memory as a RAM region`},
		{name: "MMIO of two partitions overlaps", mutate: func(t *Table) { t.Regions[4].PhysBase = qemuvirt.GPIOBase },
			want: `partition 1 "infotainment": region 4 MMIO 0x9030000+0x4000 overlaps region 1 0x9030000+0x1000 of partition 0 "ecu"; a device belongs to one partition`},

		// Channel regions.
		{name: "channel region of another size", mutate: func(t *Table) { t.Regions[6].Size = 2 * MiB },
			want: `partition 1 "infotainment": region 6 channel 0x5c000000+0x200000 does not match channel 0 "ipc" 0x5c000000+0x100000; map the whole channel`},
		{name: "channel region of a non-member", mutate: func(t *Table) { t.Channels[0].Members = 0b01 },
			want: `partition 1 "infotainment": region 6 channel 0x5c000000+0x100000 maps channel 0 "ipc", which does not list the partition as a member`},
		{name: "writable channel region of a read-only member", mutate: func(t *Table) { t.Regions[2].Perm = PermRead | PermWrite },
			want: `partition 0 "ecu": region 2 channel 0x5c000000+0x100000 is writable, but the partition is a read-only member of channel 0 "ipc"`},
		{name: "executable channel region", mutate: func(t *Table) { t.Regions[6].Perm = PermRead | PermExec },
			want: `partition 1 "infotainment": region 6 channel 0x5c000000+0x100000 is executable; channel memory holds data, drop execute`},
		{name: "channel mapped twice by a partition", mutate: func(t *Table) {
			t.Partitions[1].Regions.Count++
			t.Regions = append(t.Regions, Region{PhysBase: 0x5c00_0000, IPA: 0x4d00_0000, Size: 1 * MiB, Partition: 1, Owner: 0, Kind: RegionChannel, Perm: PermRead})
		}, want: `partition 1 "infotainment": region 7 channel 0x5c000000+0x100000 maps channel 0 "ipc" a second time, region 6 already does`},

		// Channels.
		{name: "empty channel", mutate: func(t *Table) {
			t.Channels = append(t.Channels, Channel{Name: mustName("spare"), PhysBase: 0x5d00_0000})
		}, want: `channel 1 "spare" 0x5d000000+0x0: physical range is empty`},
		{name: "channel outside the board's RAM", mutate: func(t *Table) {
			t.Channels[0].PhysBase = 0xc000_0000
			t.Regions[2].PhysBase = 0xc000_0000
			t.Regions[6].PhysBase = 0xc000_0000
		}, want: `channel 0 "ipc" 0xc0000000+0x100000 is not inside the board's RAM [0x40000000+0x80000000]`},
		{name: "channel over hypervisor memory", mutate: func(t *Table) { t.Channels = append(t.Channels, spareChannel("spare", 0x4000_0000, 0)) },
			want: `channel 1 "spare" 0x40000000+0x100000 overlaps hypervisor memory 0x40000000+0x8000000; move it out of the hypervisor's RAM`},
		{name: "channels overlap", mutate: func(t *Table) { t.Channels = append(t.Channels, spareChannel("spare", 0x5c08_0000, 0)) },
			want: `channel 1 "spare" 0x5c080000+0x100000 overlaps channel 0 "ipc" 0x5c000000+0x100000; move or shrink one of them`},
		{name: "channel name twice", mutate: func(t *Table) { t.Channels = append(t.Channels, spareChannel("ipc", 0x5d00_0000, 0)) },
			want: `channel 1 "ipc" 0x5d000000+0x100000: name already used by channel 0; rename one of them`},
		{name: "channel over a partition's RAM", mutate: func(t *Table) { t.Channels = append(t.Channels, spareChannel("spare", 0x4900_0000, 0)) },
			want: `channel 1 "spare" 0x49000000+0x100000 overlaps partition 0 "ecu": region 0 RAM 0x48000000+0x4000000; channel memory cannot be a partition's private RAM`},
		{name: "doorbell below the SPIs", mutate: func(t *Table) { t.Channels[0].Doorbell = 27 },
			want: `channel 0 "ipc" 0x5c000000+0x100000: doorbell INTID 27 is not an SPI of the board (32 to 255); pick a free one`},
		{name: "doorbell above the board's SPIs", mutate: func(t *Table) { t.Channels[0].Doorbell = 288 },
			want: `channel 0 "ipc" 0x5c000000+0x100000: doorbell INTID 288 is not an SPI of the board (32 to 255); pick a free one`},
		{name: "doorbell of two channels", mutate: func(t *Table) { t.Channels = append(t.Channels, spareChannel("spare", 0x5d00_0000, 32+8)) },
			want: `channel 1 "spare" 0x5d000000+0x100000: doorbell INTID 40 is also the doorbell of channel 0 "ipc" 0x5c000000+0x100000; give each channel its own`},
		{name: "doorbell that is a member's interrupt", mutate: func(t *Table) { t.Channels[0].Doorbell = qemuvirt.GPIOIRQ },
			want: `channel 0 "ipc" 0x5c000000+0x100000: doorbell INTID 39 is also interrupt 0 of member partition 0 "ecu"; pick a free SPI`},
		{name: "channel without members", mutate: func(t *Table) { t.Channels = append(t.Channels, spareChannel("spare", 0x5d00_0000, 0)) },
			want: `channel 1 "spare" 0x5d000000+0x100000: no members; share it with at least one partition`},
		{name: "member that does not map the channel", mutate: func(t *Table) {
			spare := spareChannel("spare", 0x5d00_0000, 0)
			spare.Members = 0b01
			t.Channels = append(t.Channels, spare)
		}, want: `channel 1 "spare" 0x5d000000+0x100000: member partition 0 "ecu" has no region mapping it; add one or drop the member`},

		// Devices, interrupts, stream IDs.
		{name: "device in two partitions", mutate: func(t *Table) { t.Devices[1].Name = mustName("gpio") },
			want: `partition 1 "infotainment": device 1 "gpio": already given to partition 0 "ecu" as device 0; a device belongs to one partition`},
		{name: "interrupt below the SPIs", mutate: func(t *Table) { t.Interrupts[1].INTID = 27 },
			want: `partition 0 "ecu": interrupt 1 INTID 27 is not an SPI of the board (32 to 255)`},
		{name: "interrupt above the board's SPIs", mutate: func(t *Table) { t.Interrupts[1].INTID = 288 },
			want: `partition 0 "ecu": interrupt 1 INTID 288 is not an SPI of the board (32 to 255)`},
		{name: "interrupt past the architectural SPIs", mutate: func(t *Table) { t.Interrupts[1].INTID = 1020 },
			limits: func(l *Limits) { l.SPIs.Count = 2000 },
			want:   `partition 0 "ecu": interrupt 1 INTID 1020 is not an SPI of the board (32 to 1019)`},
		{name: "interrupt in two partitions", mutate: func(t *Table) { t.Interrupts[3].INTID = qemuvirt.GPIOIRQ },
			want: `partition 1 "infotainment": interrupt 3 INTID 39 is also interrupt 0 of partition 0 "ecu"; an SPI belongs to one partition`},
		{name: "empty stream ID range", mutate: func(t *Table) { t.StreamIDRanges[0].Count = 0 },
			want: `partition 1 "infotainment": stream ID range 0 at 0x0 is empty`},
		{name: "stream IDs past the SMMU's width", mutate: func(t *Table) { t.StreamIDRanges[0].First = 0xff80 },
			want: `partition 1 "infotainment": stream ID range 0 0xff80+0x100 exceeds the SMMU's 16-bit stream IDs`},
		{name: "stream IDs past the stream table", mutate: func(t *Table) { t.StreamIDRanges[0].First = 0xf80 },
			want: `partition 1 "infotainment": stream ID range 0 0xf80+0x100 lies beyond the 4096 stream IDs the hypervisor's stream table holds`},
		{name: "stream IDs past 32 bits", mutate: func(t *Table) { t.StreamIDRanges[0].First = 0xffff_ff80 },
			limits: func(l *Limits) { l.StreamIDBits = 32 },
			want:   `partition 1 "infotainment": stream ID range 0 0xffffff80+0x100 exceeds the SMMU's 32-bit stream IDs`},
		{name: "stream ID ranges overlap", mutate: func(t *Table) {
			t.Partitions[1].StreamIDRanges.Count++
			t.StreamIDRanges = append(t.StreamIDRanges, StreamIDRange{First: 0x80, Count: 0x10, Partition: 1, Device: NoIndex})
		}, want: `partition 1 "infotainment": stream ID range 1 0x80+0x10 overlaps stream ID range 0 0x0+0x100 of partition 1 "infotainment"; a stream ID belongs to one partition`},

		// Images and entry.
		{name: "empty image", mutate: func(t *Table) { t.Images[2].Size = 0 },
			want: `partition 1 "infotainment": image 2 (initrd) is empty`},
		{name: "image past the payload", mutate: func(t *Table) { t.Images[3].Offset = 0x141_1000 },
			want: `partition 1 "infotainment": image 3 (DTB): payload bytes 0x1411000+0x2000 lie outside the 0x1412000-byte payload`},
		{name: "image offset near 2^64", mutate: func(t *Table) { t.Images[3].Offset = 0xffff_ffff_ffff_f000 },
			want: `partition 1 "infotainment": image 3 (DTB): payload bytes 0xfffffffffffff000+0x2000 lie outside the 0x1412000-byte payload`},
		{name: "image load range wraps", mutate: func(t *Table) { t.Images[2].LoadIPA = 0xffff_ffff_fff0_0000 },
			want: `partition 1 "infotainment": image 2 (initrd): load range 0xfffffffffff00000+0x400000 wraps past the top of the address space`},
		{name: "image past the partition's RAM", mutate: func(t *Table) { t.Images[2].LoadIPA = 0x4bf0_0000 },
			want: `partition 1 "infotainment": image 2 (initrd) loads at 0x4bf00000+0x400000, outside the partition's RAM regions`},
		{name: "image into a channel", mutate: func(t *Table) { t.Images[2].LoadIPA, t.Images[2].Size = 0x4c00_0000, 1*MiB },
			want: `partition 1 "infotainment": image 2 (initrd) loads at 0x4c000000+0x100000, outside the partition's RAM regions`},
		{name: "second kernel", mutate: func(t *Table) { t.Images[2].Kind = ImageKernel },
			want: `partition 1 "infotainment": image 2 (kernel) is a second kernel image, image 1 is the first; keep one`},
		{name: "images overlap", mutate: func(t *Table) { t.Images[2].LoadIPA = 0x40f0_0000 },
			want: `partition 1 "infotainment": image 2 (initrd) loads at 0x40f00000+0x400000, over image 1 (kernel) at 0x40200000+0x1000000; move one of them`},
		{name: "no kernel", mutate: func(t *Table) { t.Images[0].Kind = ImageInitrd },
			want: `partition 0 "ecu": no kernel image; add one`},
		{name: "Linux Image entered past its start", mutate: func(t *Table) { t.Partitions[1].EntryIPA = 0x4020_1000 },
			want: `partition 1 "infotainment": entry IPA 0x40201000 is not the load IPA 0x40200000 of its kernel image 1; a Linux Image is entered at its first byte`},
		{name: "raw entry past the kernel", mutate: func(t *Table) { t.Partitions[0].EntryIPA = 0x4801_0000 },
			want: `partition 0 "ecu": entry IPA 0x48010000 lies outside its kernel image 0 at 0x48000000+0x10000`},
		{name: "DTB IPA without a DTB", mutate: func(t *Table) { t.Partitions[0].DTBIPA = 0x4900_0000 },
			want: `partition 0 "ecu": DTB IPA 0x49000000 set, but the partition has no DTB image; add one or store 0`},
		{name: "DTB IPA not where the DTB loads", mutate: func(t *Table) { t.Partitions[1].DTBIPA = 0x4800_1000 },
			want: `partition 1 "infotainment": DTB IPA 0x48001000 is not the load IPA 0x48000000 of its DTB image 3`},
		{name: "DTB not 8-byte aligned", mutate: func(t *Table) { t.Partitions[1].DTBIPA, t.Images[3].LoadIPA = 0x4800_0004, 0x4800_0004 },
			want: `partition 1 "infotainment": DTB IPA 0x48000004 is not 8-byte aligned; kernels require it`},
		{name: "initrd without a DTB", mutate: func(t *Table) {
			t.Partitions[1].Images.Count--
			t.Partitions[1].DTBIPA = 0
			t.Images = t.Images[:3]
		}, want: `partition 1 "infotainment": initrd image 2 but no DTB image to tell the kernel where it is; add one`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tbl := smallTable()
			if tc.mutate != nil {
				tc.mutate(tbl)
			}
			limits := LimitsFor(qemuvirt.Board)
			if tc.limits != nil {
				tc.limits(&limits)
			}
			v, err := Decode(encode(t, tbl))
			require.NoError(t, err)
			err = v.Check(limits)
			if tc.want == "" {
				assert.NoError(t, err)
			} else {
				assert.EqualError(t, err, tc.want)
			}
		})
	}
}

func TestCheckWithoutDecode(t *testing.T) {
	assert.EqualError(t, View{}.Check(LimitsFor(qemuvirt.Board)), "partition table: not decoded; call Decode first")
}

// TestCheckOtherTables checks the other fixtures: the minimal table is
// sound on qemu-virt, the 64-partition one on a board with 64 CPUs, and
// the passthrough one is refused because qemu-virt's only UART is the
// hypervisor's console.
func TestCheckOtherTables(t *testing.T) {
	bigBoard := Limits{
		Board:        "big-board",
		CPUs:         64,
		RAM:          []board.Region{{Base: 0x1_0000_0000, Size: 128 * MiB}},
		PhysAddrBits: 40,
		SPIs:         board.IDRange{First: 32, Count: 988},
		StreamIDBits: 16,
	}
	for _, tc := range []struct {
		name   string
		table  *Table
		limits Limits
		want   string // empty: the table is sound
	}{
		{"minimal", minimalTable(), LimitsFor(qemuvirt.Board), ""},
		{"64 partitions on 64 CPUs", manyPartitionsTable(), bigBoard, ""},
		{"hypervisor console passed through", passthroughTable(), LimitsFor(qemuvirt.Board),
			`partition 0 "a-partition-name-of-32-bytes-max": region 1 MMIO 0x9000000+0x1000 overlaps hypervisor-only MMIO 0x9000000+0x1000; that device cannot be passed through`},
	} {
		v, err := Decode(encode(t, tc.table))
		require.NoError(t, err)
		if tc.want == "" {
			assert.NoError(t, v.Check(tc.limits), tc.name)
		} else {
			assert.EqualError(t, v.Check(tc.limits), tc.want, tc.name)
		}
	}
}
