package sha256

import (
	stdsha256 "crypto/sha256"
	"encoding/hex"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
)

// FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA256-2.pdf").
func TestKnownAnswers(t *testing.T) {
	for msg, want := range map[string]string{
		"":    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"abc": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq": "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	} {
		sum := Sum256([]byte(msg))
		assert.Equal(t, want, hex.EncodeToString(sum[:]), "%q", msg)
	}
}

// Every length around the padding boundaries (55, 56, 63, 64 bytes ...)
// and random data in uneven writes must agree with the standard library.
func TestMatchesStandardLibrary(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	data := make([]byte, 4096)
	rng.Read(data)
	for n := 0; n <= 300; n++ {
		assert.Equal(t, stdsha256.Sum256(data[:n]), Sum256(data[:n]), "length %d", n)
	}
	for trial := 0; trial < 50; trial++ {
		n := rng.Intn(len(data))
		d := New()
		for rest := data[:n]; len(rest) > 0; {
			c := 1 + rng.Intn(100)
			if c > len(rest) {
				c = len(rest)
			}
			d.Write(rest[:c])
			rest = rest[c:]
		}
		assert.Equal(t, stdsha256.Sum256(data[:n]), d.Sum(), "length %d in pieces", n)
	}
}

func TestSumLeavesDigestUsable(t *testing.T) {
	d := New()
	d.Write([]byte("ab"))
	_ = d.Sum()
	d.Write([]byte("c"))
	assert.Equal(t, Sum256([]byte("abc")), d.Sum())
}

func TestSum256AllocatesNothing(t *testing.T) {
	data := make([]byte, 1000)
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = Sum256(data) }))
}

func FuzzMatchesStandardLibrary(f *testing.F) {
	f.Add([]byte("abc"))
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, data []byte) {
		if stdsha256.Sum256(data) != Sum256(data) {
			t.Fatalf("digest of %x differs from crypto/sha256", data)
		}
	})
}

func BenchmarkSum256(b *testing.B) {
	data := make([]byte, 1<<20)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Sum256(data)
	}
}
