package el1

// splitMix64 is the generator behind runtime/goos.GetRandomData. The guest
// has no entropy source; the Go runtime needs random bytes only for hash
// seeds and scheduling, not for secrets. SplitMix64 (Steele, Lea and
// Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014)
// needs no memory beyond its state and no allocation.
type splitMix64 struct {
	state uint64
}

func (r *splitMix64) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// fill writes len(b) random bytes, eight from each draw.
func (r *splitMix64) fill(b []byte) {
	for i := 0; i < len(b); i += 8 {
		v := r.next()
		for j := i; j < len(b) && j < i+8; j++ {
			b[j] = byte(v)
			v >>= 8
		}
	}
}
