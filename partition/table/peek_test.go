package table

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPeekRAM(t *testing.T) {
	b, err := Encode(smallTable())
	require.NoError(t, err)
	var out [8]RAMRegion
	n, ok := PeekRAM(append(b, make([]byte, 100)...), out[:])
	require.True(t, ok)
	assert.Equal(t, []RAMRegion{
		{CPUMask: 0b0001, PhysBase: 0x4800_0000, Size: 64 * MiB},
		{CPUMask: 0b0110, PhysBase: 0x5000_0000, Size: 192 * MiB},
	}, out[:n])
}

// PeekRAM must refuse, without panicking or allocating, whatever Decode
// refuses for structure or checksum.
func TestPeekRAMRefuses(t *testing.T) {
	good, err := Encode(smallTable())
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		mangle func([]byte) []byte
		room   int
	}{
		{"truncated", func(b []byte) []byte { return b[:len(b)-1] }, 8},
		{"short header", func(b []byte) []byte { return b[:HeaderSize-1] }, 8},
		{"flipped bit", func(b []byte) []byte { b[HeaderSize+3] ^= 1; return b }, 8},
		{"huge count", func(b []byte) []byte { le.PutUint32(b[headerCounts+4:], 0xffff_ffff); return b }, 8},
		{"bad magic", func(b []byte) []byte { b[0] = 'X'; return b }, 8},
		{"no room", func(b []byte) []byte { return b }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.mangle(append([]byte(nil), good...))
			out := make([]RAMRegion, tc.room)
			_, ok := PeekRAM(b, out)
			assert.False(t, ok)
		})
	}
}

func TestPeekRAMAllocatesNothing(t *testing.T) {
	b, err := Encode(smallTable())
	require.NoError(t, err)
	var out [8]RAMRegion
	assert.Zero(t, testing.AllocsPerRun(50, func() { PeekRAM(b, out[:]) }))
}

// FuzzPeekRAM: never panics, and agrees with Decode: what PeekRAM accepts,
// Decode's structure checks see the same RAM regions in.
func FuzzPeekRAM(f *testing.F) {
	for _, tb := range []*Table{smallTable(), minimalTable()} {
		b, err := Encode(tb)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var out [16]RAMRegion
		n, ok := PeekRAM(b, out[:])
		v, err := Decode(b)
		if err != nil || !ok {
			return
		}
		var want []RAMRegion
		for i := 0; i < v.NumPartitions(); i++ {
			p := v.Partition(i)
			for j := p.Regions.First; j < p.Regions.End(); j++ {
				if r := v.Region(int(j)); r.Kind == RegionRAM {
					want = append(want, RAMRegion{CPUMask: p.CPUMask, PhysBase: r.PhysBase, Size: r.Size})
				}
			}
		}
		if len(want) != n {
			t.Fatalf("PeekRAM found %d RAM regions, Decode %d", n, len(want))
		}
		for i := range want {
			if want[i] != out[i] {
				t.Fatalf("region %d: PeekRAM %+v, Decode %+v", i, out[i], want[i])
			}
		}
	})
}
