package sha512

import (
	stdsha512 "crypto/sha512"
	"encoding/hex"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
)

// FIPS 180-4 examples (NIST's "SHA512.pdf" example values).
func TestKnownAnswers(t *testing.T) {
	for in, want := range map[string]string{
		"":    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
		"abc": "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
		"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu": "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909",
	} {
		got := Sum512([]byte(in))
		assert.Equal(t, want, hex.EncodeToString(got[:]), "%q", in)
	}
}

// Every length around the block and padding boundaries, and writes split
// at every point, agree with the standard library.
func TestMatchesStandardLibrary(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	data := make([]byte, 3*BlockSize+17)
	r.Read(data)
	for n := range len(data) {
		want := stdsha512.Sum512(data[:n])
		assert.Equal(t, want, Sum512(data[:n]), "length %d", n)
		var d Digest
		d.Reset()
		split := n / 3
		d.Write(data[:split])
		d.Write(data[split:n])
		assert.Equal(t, want, d.Sum(), "length %d split at %d", n, split)
	}
}

func TestSum512AllocatesNothing(t *testing.T) {
	data := make([]byte, 1000)
	assert.Zero(t, testing.AllocsPerRun(10, func() { Sum512(data) }))
}

func FuzzMatchesStandardLibrary(f *testing.F) {
	f.Add([]byte("abc"))
	f.Add(make([]byte, 111))
	f.Add(make([]byte, 112))
	f.Fuzz(func(t *testing.T, data []byte) {
		if stdsha512.Sum512(data) != Sum512(data) {
			t.Fatalf("digest of %x differs from crypto/sha512", data)
		}
	})
}
