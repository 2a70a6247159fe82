package smmu

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/mmu"
)

// Three partitions: two with devices, one without.
var (
	ecu = Partition{
		Stage2:  Stage2{VMID: 1, Root: 0x4800_0000, IPABits: 39, PABits: 40},
		Streams: []board.IDRange{{First: 0x10, Count: 4}, {First: 0x80, Count: 1}},
	}
	infotainment = Partition{
		Stage2:  Stage2{VMID: 2, Root: 0x4900_0000, IPABits: 39, PABits: 40},
		Streams: []board.IDRange{{First: 0x20, Count: 16}},
	}
	noDevices = Partition{
		Stage2: Stage2{VMID: 3, Root: 0x4a00_0000, IPABits: 39, PABits: 40},
	}
)

// checkOnlyTheseTranslate walks every entry of table: the stream IDs of
// partitions translate through their own partition's stage 2, and every
// other entry is the abort entry.
func checkOnlyTheseTranslate(t *testing.T, table []STE, partitions []Partition) {
	t.Helper()
	owner := map[uint32]Partition{}
	for _, p := range partitions {
		for _, r := range p.Streams {
			for sid := r.First; sid-r.First < r.Count; sid++ {
				owner[sid] = p
			}
		}
	}
	translating := 0
	for sid := range table {
		e := table[sid]
		p, given := owner[uint32(sid)]
		if !given {
			if !assert.Equal(t, AbortSTE(), e, "stream ID %#x belongs to no partition but its entry is not abort", sid) {
				return
			}
			continue
		}
		translating++
		ok := assert.Equal(t, ConfigStage2, e.Config(), "stream ID %#x", sid) &&
			assert.True(t, e.Valid(), "stream ID %#x", sid) &&
			assert.Equal(t, p.Stage2.VMID, e.VMID(), "stream ID %#x", sid) &&
			assert.Equal(t, p.Stage2.Root, e.Root(), "stream ID %#x", sid) &&
			assert.Equal(t, p.Stage2.VTCR()&0x7_ffff, e.VTCRFields(), "stream ID %#x", sid) &&
			assert.Equal(t, Stage2STE(p.Stage2), e, "stream ID %#x", sid)
		if !ok {
			return
		}
	}
	assert.Equal(t, len(owner), translating, "a partition's stream lies outside the table")
}

// Nothing else translates: of every stream ID the table covers, only
// those the partition table gives a partition translate, each through its
// own partition's stage 2.
func TestStreamTableNothingElseTranslates(t *testing.T) {
	partitions := []Partition{ecu, infotainment, noDevices}
	log2 := StreamTableLog2Size(partitions)
	assert.Equal(t, uint(8), log2, "stream ID 0x80 needs 256 entries")
	table := make([]STE, 1<<log2)
	for i := range table {
		table[i] = STE{0xd, 0, 0, 0xdead_0000} // left over: must not survive
	}
	require.NoError(t, BuildStreamTable(table, partitions))
	checkOnlyTheseTranslate(t, table, partitions)
}

// QEMU virt gives stream IDs to PCIe only, one per requester ID.
func TestStreamTableForAPCIeHost(t *testing.T) {
	pcie, ok := qemuvirt.Board.Device("pcie")
	require.True(t, ok)
	var tables mmu.Tables
	require.NoError(t, tables.Init(&mmu.HeapMemory{Base: 0x4c00_0000}, 39, mmu.Stage2))
	linux := Partition{Stage2: Stage2Of(&tables, 2, qemuvirt.PhysAddrBits), Streams: pcie.StreamIDs}
	partitions := []Partition{ecu, linux}

	log2 := StreamTableLog2Size(partitions)
	assert.Equal(t, qemuvirt.Board.SMMU.StreamIDBits, log2)
	table := make([]STE, 1<<log2)
	err := BuildStreamTable(table, partitions)
	require.Error(t, err, "the ECU's stream IDs lie inside the PCIe range")
	assert.Equal(t, "smmu: stream ID 0x10 is given to the partition with VMID 2, but translates for VMID 1 already",
		err.Error())

	partitions = []Partition{linux}
	require.NoError(t, BuildStreamTable(table, partitions))
	checkOnlyTheseTranslate(t, table, partitions)
}

func TestStreamTableLog2Size(t *testing.T) {
	for _, tc := range []struct {
		streams []board.IDRange
		want    uint
	}{
		{nil, 0},
		{[]board.IDRange{{First: 0, Count: 1}}, 0},
		{[]board.IDRange{{First: 1, Count: 1}}, 1},
		{[]board.IDRange{{First: 2, Count: 2}}, 2},
		{[]board.IDRange{{First: 0xff, Count: 1}}, 8},
		{[]board.IDRange{{First: 0x100, Count: 1}}, 9},
		{[]board.IDRange{{First: 0x300, Count: 0}, {First: 4, Count: 1}}, 3},
		{[]board.IDRange{{First: 0, Count: 0x1_0000}}, 16},
		{[]board.IDRange{{First: 0xffff_ffff, Count: 1}}, 32},
	} {
		got := StreamTableLog2Size([]Partition{{Streams: tc.streams}})
		assert.Equal(t, tc.want, got, "%v", tc.streams)
	}
}

// A table that cannot be built is left with every entry aborting, even
// entries a previous build made translate.
func TestStreamTableRefusals(t *testing.T) {
	s2 := func(vmid uint16) Stage2 {
		return Stage2{VMID: vmid, Root: 0x4800_0000 + uint64(vmid)<<20, IPABits: 39, PABits: 40}
	}
	for _, tc := range []struct {
		name       string
		entries    int
		partitions []Partition
		want       string
	}{
		{"not a power of two", 24, nil,
			"smmu: a linear stream table has a power-of-two number of entries, not 24"},
		{"no entries", 0, nil,
			"smmu: a linear stream table has a power-of-two number of entries, not 0"},
		{"beyond the table", 64, []Partition{{Stage2: s2(1), Streams: []board.IDRange{{First: 0x3e, Count: 4}}}},
			"smmu: stream IDs 0x3e..0x41 of the partition with VMID 1 lie beyond the stream table of 64 entries"},
		{"beyond every stream ID", 64, []Partition{{Stage2: s2(1), Streams: []board.IDRange{{First: 0xffff_fff0, Count: 0x20}}}},
			"smmu: stream IDs 0xfffffff0..0x10000000f of the partition with VMID 1 lie beyond the stream table of 64 entries"},
		{"one stream, two partitions", 64, []Partition{
			{Stage2: s2(1), Streams: []board.IDRange{{First: 8, Count: 8}}},
			{Stage2: s2(2), Streams: []board.IDRange{{First: 15, Count: 1}}}},
			"smmu: stream ID 0xf is given to the partition with VMID 2, but translates for VMID 1 already"},
		{"one stream given twice to one partition", 64, []Partition{
			{Stage2: s2(1), Streams: []board.IDRange{{First: 8, Count: 8}, {First: 2, Count: 7}}}},
			"smmu: the partition with VMID 1 is given stream IDs 0x8..0xf and 0x2..0x8, which overlap"},
		{"shared VMID", 64, []Partition{{Stage2: s2(4)}, {Stage2: s2(4)}},
			"smmu: two partitions have VMID 4; each needs its own"},
		{"malformed stage 2", 64, []Partition{{Stage2: Stage2{VMID: 5, Root: 0x4800_0010, IPABits: 39, PABits: 40}}},
			"smmu: stage 2 of VMID 5 has its root table at 0x48000010, which is not a 4 KiB-aligned 40-bit physical address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			table := make([]STE, tc.entries)
			for sid := range table {
				table[sid] = Stage2STE(s2(9)) // left by an earlier build
			}
			err := BuildStreamTable(table, tc.partitions)
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
			for sid := range table {
				if !assert.Equal(t, AbortSTE(), table[sid], fmt.Sprintf("stream ID %#x after a refusal", sid)) {
					break
				}
			}
		})
	}
}
