package control

import "strconv"

// CanaryBytes is the size of the memory canary.
const CanaryBytes = 64 << 10

// CanaryWords is the canary's size in 64-bit words.
const CanaryWords = CanaryBytes / 8

// canaryKey mixes into every word, so that memory cleared to zero or set to
// a plain address does not pass for the pattern.
const canaryKey = 0xc0de_cafe_f00d_5eed

// CanaryPattern is the word the canary holds at addr: it depends on the
// address, so that a block copied or shifted within the canary shows too.
func CanaryPattern(addr uint64) uint64 { return addr ^ canaryKey }

// CanaryState is what the checks found so far. Once broken it stays
// broken, with the first changed address found.
type CanaryState struct {
	Broken bool
	At     uint64
}

// Append appends "ok" or "BROKEN at 0x...".
func (s CanaryState) Append(dst []byte) []byte {
	if !s.Broken {
		return append(dst, "ok"...)
	}
	return strconv.AppendUint(append(dst, "BROKEN at 0x"...), s.At, 16)
}

// Canary is a pattern in the ECU's own memory that nothing should change,
// checked a slice at a time so that no period pays for all of it.
type Canary struct {
	words []uint64
	base  uint64 // address of words[0]
	next  int    // the next word to check
	state CanaryState
}

// Init fills words, which lie at address base, with the pattern.
func (c *Canary) Init(words []uint64, base uint64) {
	*c = Canary{words: words, base: base}
	for i := range words {
		words[i] = CanaryPattern(base + 8*uint64(i))
	}
}

// CheckNext checks the next n words, wrapping around at the end.
func (c *Canary) CheckNext(n int) {
	if len(c.words) == 0 {
		return
	}
	for ; n > 0; n-- {
		addr := c.base + 8*uint64(c.next)
		if c.words[c.next] != CanaryPattern(addr) && !c.state.Broken {
			c.state = CanaryState{Broken: true, At: addr}
		}
		c.next++
		if c.next == len(c.words) {
			c.next = 0
		}
	}
}

// State returns what the checks found so far.
func (c *Canary) State() CanaryState { return c.state }
