package minisign

import (
	"math/rand"
	"testing"
)

// The parsers take files from disk and, in the firmware, from the image:
// nothing they are given makes them panic, and what parses encodes back to
// something that parses the same.
func FuzzParseSignature(f *testing.F) {
	pk, sk, _ := GenerateKey(rand.New(rand.NewSource(1)))
	sig := sk.Sign([]byte("m"), "u", "t")
	f.Add(sig.Encode())
	f.Add(pk.Encode())
	f.Add("untrusted comment: \n\ntrusted comment: \n")
	f.Fuzz(func(t *testing.T, text string) {
		if s, err := ParseSignature(text); err == nil {
			again, err := ParseSignature(s.Encode())
			if err != nil || again != s {
				t.Fatalf("%q: encoded signature does not parse back: %v", text, err)
			}
			_ = pk.Verify([]byte("m"), s)
		}
		if k, err := ParsePublicKey(text); err == nil {
			if again, err := ParsePublicKey(k.Encode()); err != nil || again != k {
				t.Fatalf("%q: encoded key does not parse back: %v", text, err)
			}
		}
	})
}
