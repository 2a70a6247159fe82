// Package sha256 computes SHA-256 (FIPS 180-4) for the partition table and
// the guest images it describes, identically on the host and in the
// firmware.
//
// The standard library's crypto/sha256 cannot be linked into the firmware:
// since Go 1.26 it imports the FIPS 140 DRBG, whose package-level pool keeps
// a 32 MiB zeroed entropy scratch buffer alive. Each hypervisor instance
// would carry it in its private memory. This implementation is small, uses
// no package state and allocates nothing; tests compare it with
// crypto/sha256 on every length around block boundaries and on random data.
package sha256

import "encoding/binary"

// Size is the length of a digest in bytes; BlockSize the length of a block.
const (
	Size      = 32
	BlockSize = 64
)

// Round constants: the first 32 bits of the fractional parts of the cube
// roots of the first 64 primes (FIPS 180-4, 4.2.2).
var k = [64]uint32{
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}

// Initial hash value (FIPS 180-4, 5.3.3).
var initial = [8]uint32{
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
}

// Digest is a running SHA-256 computation. The zero value is not ready;
// use New or Reset.
type Digest struct {
	h      [8]uint32
	block  [BlockSize]byte
	filled int
	length uint64
}

// New returns a digest ready for input.
func New() *Digest {
	d := &Digest{}
	d.Reset()
	return d
}

// Reset starts a new computation.
func (d *Digest) Reset() {
	d.h = initial
	d.filled = 0
	d.length = 0
}

// Write adds p to the message. It never fails.
func (d *Digest) Write(p []byte) (int, error) {
	n := len(p)
	d.length += uint64(n)
	if d.filled > 0 {
		c := copy(d.block[d.filled:], p)
		d.filled += c
		p = p[c:]
		if d.filled < BlockSize {
			return n, nil
		}
		d.compress(d.block[:])
		d.filled = 0
	}
	for len(p) >= BlockSize {
		d.compress(p[:BlockSize])
		p = p[BlockSize:]
	}
	d.filled = copy(d.block[:], p)
	return n, nil
}

// Sum returns the digest of everything written so far; d stays usable.
func (d *Digest) Sum() [Size]byte {
	e := *d
	// Padding: a 1 bit, zeros up to 56 mod 64, the bit length (5.1.1).
	var pad [BlockSize + 8]byte
	pad[0] = 0x80
	padLen := 56 - e.filled
	if padLen <= 0 {
		padLen += BlockSize
	}
	binary.BigEndian.PutUint64(pad[padLen:], e.length*8)
	e.Write(pad[:padLen+8])
	var out [Size]byte
	for i, v := range e.h {
		binary.BigEndian.PutUint32(out[4*i:], v)
	}
	return out
}

// Sum256 returns the SHA-256 digest of data.
func Sum256(data []byte) [Size]byte {
	var d Digest
	d.Reset()
	d.Write(data)
	return d.Sum()
}

func rotr(x uint32, n uint) uint32 { return x>>n | x<<(32-n) }

// compress runs the SHA-256 compression function on one block (6.2.2).
func (d *Digest) compress(block []byte) {
	var w [64]uint32
	for t := 0; t < 16; t++ {
		w[t] = binary.BigEndian.Uint32(block[4*t:])
	}
	for t := 16; t < 64; t++ {
		s0 := rotr(w[t-15], 7) ^ rotr(w[t-15], 18) ^ w[t-15]>>3
		s1 := rotr(w[t-2], 17) ^ rotr(w[t-2], 19) ^ w[t-2]>>10
		w[t] = w[t-16] + s0 + w[t-7] + s1
	}
	a, b, c, dd, e, f, g, h := d.h[0], d.h[1], d.h[2], d.h[3], d.h[4], d.h[5], d.h[6], d.h[7]
	for t := 0; t < 64; t++ {
		t1 := h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + (e&f ^ ^e&g) + k[t] + w[t]
		t2 := (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + (a&b ^ a&c ^ b&c)
		h, g, f, e, dd, c, b, a = g, f, e, dd+t1, c, b, a, t1+t2
	}
	d.h[0] += a
	d.h[1] += b
	d.h[2] += c
	d.h[3] += dd
	d.h[4] += e
	d.h[5] += f
	d.h[6] += g
	d.h[7] += h
}
