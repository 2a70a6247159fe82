package smmu

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestQueueStates(t *testing.T) {
	q := Queue{Log2Size: 2} // 4 entries: index bits [1:0], wrap bit 2
	for _, tc := range []struct {
		prod, cons  uint32
		empty, full bool
		len         uint32
	}{
		{0b000, 0b000, true, false, 0},
		{0b001, 0b000, false, false, 1},
		{0b011, 0b000, false, false, 3},
		{0b100, 0b000, false, true, 4}, // same index, wrap bits differ
		{0b100, 0b100, true, false, 0},
		{0b000, 0b100, false, true, 4}, // the producer wrapped back
		{0b001, 0b110, false, false, 3},
		{0b110, 0b011, false, false, 3},
		// Bits above the wrap bit (CMDQ_CONS.ERR, EVENTQ_PROD.OVFLG)
		// change nothing.
		{1<<31 | 0b100, 0b000, false, true, 4},
		{0b010, 0x7f<<24 | 0b010, true, false, 0},
	} {
		t.Run(fmt.Sprintf("prod %#b cons %#b", tc.prod, tc.cons), func(t *testing.T) {
			assert.Equal(t, tc.empty, q.Empty(tc.prod, tc.cons), "empty")
			assert.Equal(t, tc.full, q.Full(tc.prod, tc.cons), "full")
			assert.Equal(t, tc.len, q.Len(tc.prod, tc.cons), "len")
		})
	}
}

func TestQueueNextWraps(t *testing.T) {
	q := Queue{Log2Size: 2}
	p := uint32(0)
	var seen []string
	for range 9 {
		seen = append(seen, fmt.Sprintf("%d/%v", q.Index(p), q.Wrap(p)))
		p = q.Next(p)
	}
	assert.Equal(t, []string{
		"0/false", "1/false", "2/false", "3/false",
		"0/true", "1/true", "2/true", "3/true",
		"0/false",
	}, seen)
	assert.Equal(t, uint32(0b001), q.Next(1<<31|0b000), "bits above the wrap bit are dropped")
}

// A producer and a consumer taking turns through many wraps never see
// the queue as both full and empty, never overrun it, and find each entry
// where it was written.
func TestQueueProducerConsumerWrapAround(t *testing.T) {
	for _, log2 := range []uint8{0, 1, 3, 8} {
		t.Run(fmt.Sprintf("%d entries", 1<<log2), func(t *testing.T) {
			q := Queue{Log2Size: log2}
			slots := make([]int, q.Entries())
			var prod, cons uint32
			written, read := 0, 0
			for round := range 5 * int(q.Entries()) {
				// Write up to three entries, read up to two: the queue
				// fills, then the two sides alternate at the full mark.
				for range 1 + round%3 {
					if q.Full(prod, cons) {
						break
					}
					slots[q.Index(prod)] = written
					written++
					prod = q.Next(prod)
				}
				for range 1 + round%2 {
					if q.Empty(prod, cons) {
						break
					}
					assert.Equal(t, read, slots[q.Index(cons)], "entry read out of order")
					read++
					cons = q.Next(cons)
				}
				assert.Equal(t, uint32(written-read), q.Len(prod, cons))
				assert.False(t, q.Empty(prod, cons) && q.Full(prod, cons))
				assert.LessOrEqual(t, written-read, int(q.Entries()))
			}
			assert.Greater(t, read, 2*int(q.Entries()), "the test did not wrap the queue twice")
		})
	}
}
