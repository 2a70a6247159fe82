package table

import (
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden hex dump and the fuzz seed corpus in testdata from the encoder")

// TestRoundTrip encodes each table, decodes it, and expects the same
// values back, both through the accessors and as a Table.
func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name   string
		table  *Table
		length int
	}{
		{"minimal", minimalTable(), HeaderSize + PartitionSize + RegionSize + ImageSize},
		{"small", smallTable(), HeaderSize + 2*PartitionSize + 7*RegionSize + 3*DeviceSize + 8*InterruptSize + StreamIDRangeSize + ChannelSize + 4*ImageSize},
		{"passthrough console, 32-byte name", passthroughTable(), HeaderSize + PartitionSize + 2*RegionSize + DeviceSize + InterruptSize + ImageSize},
		{"64 partitions", manyPartitionsTable(), HeaderSize + 64*(PartitionSize+RegionSize+ImageSize)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := encode(t, tc.table)
			require.Len(t, b, tc.length)
			v, err := Decode(b)
			require.NoError(t, err)
			assert.Equal(t, tc.length, v.Len())
			assert.Equal(t, tc.table, v.Table())

			h := v.Header()
			assert.Equal(t, Magic, string(h.Magic[:]))
			assert.Equal(t, uint32(Version), h.Version)
			assert.Equal(t, uint32(HeaderSize), h.HeaderSize)
			assert.Equal(t, uint64(tc.length), h.TotalLength)
			assert.Equal(t, tc.table.PayloadSize, h.PayloadSize)
			assert.Equal(t, tc.table.Board, h.Board)
			assert.Equal(t, checksum(b), h.Checksum)
			assert.Equal(t, []uint32{
				uint32(len(tc.table.Partitions)), uint32(len(tc.table.Regions)), uint32(len(tc.table.Devices)),
				uint32(len(tc.table.Interrupts)), uint32(len(tc.table.StreamIDRanges)), uint32(len(tc.table.Channels)),
				uint32(len(tc.table.Images)),
			}, []uint32{h.Partitions, h.Regions, h.Devices, h.Interrupts, h.StreamIDRanges, h.Channels, h.Images})

			again, err := Encode(v.Table())
			require.NoError(t, err)
			assert.Equal(t, b, again, "re-encoding a decoded table changed its bytes")
		})
	}
}

// TestDecodeIgnoresTrailingBytes: the payload may follow the table in the
// same buffer.
func TestDecodeIgnoresTrailingBytes(t *testing.T) {
	b := encode(t, minimalTable())
	v, err := Decode(append(append([]byte{}, b...), "payload"...))
	require.NoError(t, err)
	assert.Equal(t, b, v.Bytes())
}

// TestGoldenSmallTable pins the byte layout: testdata/small.hex is the
// hex dump of smallTable's encoding. Regenerate with go test -update.
func TestGoldenSmallTable(t *testing.T) {
	got := hex.Dump(encode(t, smallTable()))
	path := filepath.Join("testdata", "small.hex")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), got, "encoding of smallTable differs from %s; if the change is intended, run go test -update", path)
}

func TestEncodeRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Table)
		want   string
	}{
		{"too many partitions", func(t *Table) {
			t.Partitions = make([]Partition, MaxPartitions+1)
		}, "partition table: 65 partitions, at most 64 are allowed"},
		{"too many interrupts", func(t *Table) {
			t.Interrupts = make([]Interrupt, MaxRecords+1)
		}, "partition table: 1025 interrupts, at most 1024 are allowed"},
		{"empty board name", func(t *Table) {
			t.Board = Name{}
		}, "partition table: board name at 0x40 empty; give it a name"},
		{"record Decode rejects", func(t *Table) {
			t.Regions[0].Kind = 0
		}, `partition table: region 0 at 0xf0: kind 0 at +0x20 unknown (1 RAM, 2 MMIO, 3 channel)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tbl := minimalTable()
			tc.mutate(tbl)
			b, err := Encode(tbl)
			assert.Nil(t, b)
			assert.EqualError(t, err, tc.want)
		})
	}
}
