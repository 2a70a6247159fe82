package hv

import (
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/partition/table"
)

func name(t *testing.T, s string) table.Name {
	n, err := table.NewName(s)
	require.NoError(t, err)
	return n
}

// segment builds a payload segment as the image builder lays it out: the
// encoded table, zeros to 4 KiB, the images. The partition's RAM starts at
// ramBase.
func segment(t *testing.T, ramBase uint64) []byte {
	kernel := make([]byte, 0x1800)
	for i := range kernel {
		kernel[i] = byte(i * 7)
	}
	tb := &table.Table{
		Board:       name(t, qemuvirt.Name),
		PayloadSize: uint64(len(kernel)),
		Partitions: []table.Partition{{
			Name: name(t, "ecu"), CPUMask: 0b100, EntryIPA: ramBase,
			Regions: table.Span{First: 0, Count: 1}, Images: table.Span{First: 0, Count: 1},
			ConsoleDevice: table.NoIndex, OnFault: table.FaultRestart, Console: table.ConsoleVirtual, KernelFormat: table.KernelRaw,
		}},
		Regions: []table.Region{{PhysBase: ramBase, IPA: ramBase, Size: 64 << 20, Owner: table.NoIndex,
			Kind: table.RegionRAM, Perm: table.PermRead | table.PermWrite | table.PermExec}},
		Images: []table.Image{{Offset: 0, Size: uint64(len(kernel)), LoadIPA: ramBase, SHA256: sha256.Sum256(kernel), Kind: table.ImageKernel}},
	}
	enc, err := table.Encode(tb)
	require.NoError(t, err)
	seg := make([]byte, table.PayloadOffset(uint64(len(enc))))
	copy(seg, enc)
	return append(seg, kernel...)
}

const payloadAt = qemuvirt.HypervisorBase + qemuvirt.HypervisorSize

func TestLoadPartitionTable(t *testing.T) {
	limits := table.LimitsFor(qemuvirt.Board)
	seg := segment(t, 0x5000_0000)
	pt, err := LoadPartitionTable(seg, payloadAt, limits)
	require.NoError(t, err)
	assert.Equal(t, 1, pt.View.NumPartitions())
	assert.Equal(t, "ecu", pt.View.Partition(0).Name.String())
	assert.Len(t, pt.Images, 0x1800)
}

func TestLoadPartitionTableRefuses(t *testing.T) {
	limits := table.LimitsFor(qemuvirt.Board)
	for _, tc := range []struct {
		name   string
		mangle func([]byte) []byte
		ram    uint64
		msg    string
	}{
		{"corrupted table", func(b []byte) []byte { b[0x90] ^= 1; return b }, 0x5000_0000,
			"partition table rejected: "},
		{"corrupted image", func(b []byte) []byte { b[len(b)-1] ^= 0x80; return b }, 0x5000_0000,
			`partition "ecu": kernel image has SHA-256 `},
		{"image cut short", func(b []byte) []byte { return b[:len(b)-1] }, 0x5000_0000,
			"partition table: payload of 6144 bytes is not in the image"},
		{"partition RAM over the payload", func(b []byte) []byte { return b }, payloadAt,
			"partition table does not fit this board: "},
		{"no table at all", func(b []byte) []byte { return make([]byte, 4096) }, 0x5000_0000,
			"partition table rejected: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadPartitionTable(tc.mangle(segment(t, tc.ram)), payloadAt, limits)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

// What Hwinit0 reads from the header before the runtime is up must agree
// with the table format.
func TestHeaderPeekOffsets(t *testing.T) {
	seg := segment(t, 0x5000_0000)
	le := func(off int) uint64 {
		var v uint64
		for i := 7; i >= 0; i-- {
			v = v<<8 | uint64(seg[off+i])
		}
		return v
	}
	v, err := table.Decode(seg)
	require.NoError(t, err)
	assert.Equal(t, uint64(tableMagicLE), le(0))
	assert.Equal(t, uint64(v.Len()), le(tableTotalLengthOffset))
	assert.Equal(t, v.PayloadSize(), le(tablePayloadSizeOffset))
}
