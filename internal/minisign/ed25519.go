package minisign

import (
	"filippo.io/edwards25519"

	"github.com/tamavisor/tamavisor/internal/sha512"
)

// Ed25519 sizes (RFC 8032, 5.1).
const (
	PublicKeySize = 32
	SignatureSize = 64
)

// verifyEd25519 reports whether sig is a valid Ed25519 signature of msg by
// pub (RFC 8032, 5.1.7, without the cofactor, as crypto/ed25519 and
// libsodium verify). It is the firmware's verifier: crypto/ed25519 links
// crypto/rand and with it the FIPS 140 DRBG's 32 MiB buffer (see
// internal/sha256), so the curve arithmetic comes from
// filippo.io/edwards25519 (the code crypto/ed25519 is built on) and SHA-512
// from internal/sha512.
func verifyEd25519(pub *[PublicKeySize]byte, msg []byte, sig *[SignatureSize]byte) bool {
	A, err := new(edwards25519.Point).SetBytes(pub[:])
	if err != nil {
		return false
	}
	// S must be canonical (S < L): RFC 8032's check against malleability.
	S, err := edwards25519.NewScalar().SetCanonicalBytes(sig[32:])
	if err != nil {
		return false
	}
	var h sha512.Digest
	h.Reset()
	h.Write(sig[:32])
	h.Write(pub[:])
	h.Write(msg)
	digest := h.Sum()
	k, err := edwards25519.NewScalar().SetUniformBytes(digest[:])
	if err != nil {
		return false
	}
	// [S]B = R + [k]A  <=>  R = [S]B - [k]A.
	minusA := new(edwards25519.Point).Negate(A)
	R := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(k, minusA, S)
	var got [32]byte
	copy(got[:], R.Bytes())
	return got == [32]byte(sig[:32])
}
