// Package bare is the runtime glue every TamaGo program of this project
// needs, the hypervisor at EL2 and the guests at EL1 alike: time from the
// generic counter and random bytes without an entropy source. It is plain
// Go that allocates nothing, usable before the Go heap exists.
package bare

import "math/bits"

// DefaultCounterFrequency is QEMU's generic timer frequency, for when
// firmware left CNTFRQ_EL0 unset.
const DefaultCounterFrequency = 62_500_000

// Nanoseconds converts a generic counter value to nanoseconds at freq
// ticks per second (DefaultCounterFrequency if freq is 0), without
// overflow for the counter's whole range.
func Nanoseconds(count, freq uint64) int64 {
	if freq == 0 {
		freq = DefaultCounterFrequency
	}
	hi, lo := bits.Mul64(count, 1e9)
	ns, _ := bits.Div64(hi%freq, lo, freq)
	return int64(ns)
}

// SplitMix64 is the generator behind runtime/goos.GetRandomData. These
// programs have no entropy source; the Go runtime needs random bytes only
// for hash seeds and scheduling, not for secrets. SplitMix64 (Steele, Lea
// and Flood, "Fast splittable pseudorandom number generators", OOPSLA
// 2014) needs no memory beyond its state.
type SplitMix64 struct {
	State uint64
}

// Next returns the next 64 random bits.
func (r *SplitMix64) Next() uint64 {
	r.State += 0x9e3779b97f4a7c15
	z := r.State
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// Fill writes len(b) random bytes, eight from each draw.
func (r *SplitMix64) Fill(b []byte) {
	for i := 0; i < len(b); i += 8 {
		v := r.Next()
		for j := i; j < len(b) && j < i+8; j++ {
			b[j] = byte(v)
			v >>= 8
		}
	}
}
