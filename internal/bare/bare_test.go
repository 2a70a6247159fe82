package bare

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNanoseconds(t *testing.T) {
	for _, tc := range []struct {
		count, freq uint64
		want        int64
	}{
		{0, 62_500_000, 0},
		{62_500_000, 62_500_000, 1e9},
		{1, 62_500_000, 16},                        // 16 ns per tick at 62.5 MHz
		{125_000_000, 0, 2e9},                      // unset frequency: QEMU's
		{24_000_000, 24e6, 1e9},                    // a 24 MHz board counter
		{1 << 56, 62_500_000, 1152921504606846976}, // 2^56 ticks: 36.5 years
	} {
		assert.Equal(t, tc.want, Nanoseconds(tc.count, tc.freq), "%d ticks at %d Hz", tc.count, tc.freq)
	}
	// A counter near its top (the 56-bit counter QEMU implements, running
	// for years) does not overflow the intermediate product.
	assert.Greater(t, Nanoseconds(1<<56-1, 62_500_000), int64(math.MaxInt64/10))
}

func TestNoAllocation(t *testing.T) {
	var r SplitMix64
	buf := make([]byte, 13)
	assert.Zero(t, testing.AllocsPerRun(100, func() { r.Fill(buf); _ = Nanoseconds(1, 2) }))
}
