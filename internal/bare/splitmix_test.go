package bare

import (
	"bytes"
	"testing"
)

// The first outputs of SplitMix64 from state 0, as the reference
// implementation (Vigna, prng.di.unimi.it/splitmix64.c) gives them.
var splitMixFromZero = []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f, 0xf88bb8a8724c81ec}

func TestSplitMix64(t *testing.T) {
	var r SplitMix64
	for i, want := range splitMixFromZero {
		if got := r.Next(); got != want {
			t.Errorf("output %d: %#x, want %#x", i, got, want)
		}
	}
}

func TestFillUsesEveryByteOfEachDraw(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 32} {
		var r SplitMix64
		got := make([]byte, n)
		r.Fill(got)
		want := make([]byte, 0, n+8)
		for _, v := range splitMixFromZero {
			for j := 0; j < 8; j++ {
				want = append(want, byte(v>>(8*j)))
			}
		}
		if !bytes.Equal(got, want[:n]) {
			t.Errorf("fill(%d bytes) = %x, want %x", n, got, want[:n])
		}
	}
}
