// Package minisign reads and checks minisign signatures (the format of
// jedisct1's minisign and signify-compatible tools, and the scheme
// armory-boot verifies its boot configuration with): Ed25519 over a
// message, or over its BLAKE2b-512 digest ("prehashed", minisign's default
// since 0.10), plus a second signature binding the trusted comment. The
// verifier runs in the firmware as well as on the host; signing and keys
// on disk (sign.go) are the host's.
//
// Formats (minisign's own documentation, "Signature format" and "Public key
// format"):
//
//	public key   untrusted comment: <text>
//	             base64( "Ed" | key ID (8) | Ed25519 public key (32) )
//	signature    untrusted comment: <text>
//	             base64( "Ed" or "ED" | key ID (8) | Ed25519 signature (64) )
//	             trusted comment: <text>
//	             base64( Ed25519 signature (64) of signature | trusted comment )
package minisign

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/blake2b"
)

// Signature algorithms: Ed25519 over the message itself (legacy), or over
// its BLAKE2b-512 digest.
var (
	algPure    = [2]byte{'E', 'd'}
	algHashed  = [2]byte{'E', 'D'}
	keyAlg     = [2]byte{'E', 'd'}
	untrusted  = "untrusted comment: "
	trustedTag = "trusted comment: "
)

// KeyID names a key pair: 8 random bytes that a key and its signatures
// carry.
type KeyID [8]byte

// String is the key ID as minisign prints it: the bytes as a little-endian
// 64-bit number, in upper-case hex.
func (id KeyID) String() string {
	return fmt.Sprintf("%016X", binary.LittleEndian.Uint64(id[:]))
}

// PublicKey is a minisign public key.
type PublicKey struct {
	ID  KeyID
	Key [PublicKeySize]byte
}

// Size of a public key's and a signature's binary forms.
const (
	publicKeyBytes = 2 + 8 + PublicKeySize
	signatureBytes = 2 + 8 + SignatureSize
)

// Errors of Verify. Each says what is wrong in the words the firmware's
// console line uses.
var (
	ErrNotTrusted    = errors.New("made by a key that is not trusted")
	ErrDoesNotVerify = errors.New("does not verify")
)

// KeyMismatchError is ErrNotTrusted with the key IDs.
type KeyMismatchError struct{ Signer, Trusted KeyID }

func (e *KeyMismatchError) Error() string {
	return fmt.Sprintf("made by key ID %v, not trusted (the trusted key is %v)", e.Signer, e.Trusted)
}

func (e *KeyMismatchError) Unwrap() error { return ErrNotTrusted }

// ParsePublicKey reads a public key: a minisign .pub file, or only its
// base64 line (as `minisign -P` takes it).
func ParsePublicKey(text string) (PublicKey, error) {
	var pk PublicKey
	line, err := keyLine(text)
	if err != nil {
		return pk, fmt.Errorf("public key: %w", err)
	}
	b, err := base64.StdEncoding.DecodeString(line)
	if err != nil || len(b) != publicKeyBytes {
		return pk, fmt.Errorf("public key: not a minisign public key (base64 of %d bytes)", publicKeyBytes)
	}
	if [2]byte(b[:2]) != keyAlg {
		return pk, fmt.Errorf("public key: algorithm %q, want Ed", b[:2])
	}
	copy(pk.ID[:], b[2:10])
	copy(pk.Key[:], b[10:])
	return pk, nil
}

// keyLine returns the one base64 line of a key file, or text itself.
func keyLine(text string) (string, error) {
	lines := splitLines(text)
	switch {
	case len(lines) == 1 && !strings.HasPrefix(lines[0], untrusted):
		return lines[0], nil
	case len(lines) == 2 && strings.HasPrefix(lines[0], untrusted):
		return lines[1], nil
	}
	return "", errors.New(`not a minisign key file ("untrusted comment:" line, then one base64 line)`)
}

// splitLines splits text into its non-empty lines, without line ends.
func splitLines(text string) []string {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimRight(l, "\r"); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// Encode returns the key as a .pub file.
func (pk PublicKey) Encode() string {
	b := make([]byte, 0, publicKeyBytes)
	b = append(b, keyAlg[:]...)
	b = append(b, pk.ID[:]...)
	b = append(b, pk.Key[:]...)
	return untrusted + "minisign public key " + pk.ID.String() + "\n" + base64.StdEncoding.EncodeToString(b) + "\n"
}

// Signature is a parsed minisign signature file.
type Signature struct {
	Algorithm        [2]byte
	KeyID            KeyID
	Signature        [SignatureSize]byte
	UntrustedComment string
	TrustedComment   string
	GlobalSignature  [SignatureSize]byte
}

// ParseSignature reads a minisign signature file (.minisig).
func ParseSignature(text string) (Signature, error) {
	var s Signature
	lines := splitLines(text)
	if len(lines) != 4 {
		return s, fmt.Errorf("signature: %d lines, a minisign signature has 4", len(lines))
	}
	var ok bool
	if s.UntrustedComment, ok = strings.CutPrefix(lines[0], untrusted); !ok {
		return s, errors.New(`signature: the first line does not start with "untrusted comment: "`)
	}
	b, err := base64.StdEncoding.DecodeString(lines[1])
	if err != nil || len(b) != signatureBytes {
		return s, fmt.Errorf("signature: the second line is not base64 of %d bytes", signatureBytes)
	}
	copy(s.Algorithm[:], b[:2])
	if s.Algorithm != algPure && s.Algorithm != algHashed {
		return s, fmt.Errorf("signature: algorithm %q, want Ed or ED", b[:2])
	}
	copy(s.KeyID[:], b[2:10])
	copy(s.Signature[:], b[10:])
	if s.TrustedComment, ok = strings.CutPrefix(lines[2], trustedTag); !ok {
		return s, errors.New(`signature: the third line does not start with "trusted comment: "`)
	}
	g, err := base64.StdEncoding.DecodeString(lines[3])
	if err != nil || len(g) != SignatureSize {
		return s, fmt.Errorf("signature: the fourth line is not base64 of %d bytes", SignatureSize)
	}
	copy(s.GlobalSignature[:], g)
	return s, nil
}

// Encode returns the signature as a .minisig file.
func (s Signature) Encode() string {
	b := make([]byte, 0, signatureBytes)
	b = append(b, s.Algorithm[:]...)
	b = append(b, s.KeyID[:]...)
	b = append(b, s.Signature[:]...)
	return untrusted + s.UntrustedComment + "\n" + base64.StdEncoding.EncodeToString(b) + "\n" +
		trustedTag + s.TrustedComment + "\n" + base64.StdEncoding.EncodeToString(s.GlobalSignature[:]) + "\n"
}

// Verify checks that s signs msg with pk, trusted comment included.
func (pk PublicKey) Verify(msg []byte, s Signature) error {
	if s.KeyID != pk.ID {
		return &KeyMismatchError{Signer: s.KeyID, Trusted: pk.ID}
	}
	signed := msg
	if s.Algorithm == algHashed {
		d := blake2b.Sum512(msg)
		signed = d[:]
	}
	if !verifyEd25519(&pk.Key, signed, &s.Signature) {
		return ErrDoesNotVerify
	}
	global := make([]byte, 0, SignatureSize+len(s.TrustedComment))
	global = append(global, s.Signature[:]...)
	global = append(global, s.TrustedComment...)
	if !verifyEd25519(&pk.Key, global, &s.GlobalSignature) {
		return fmt.Errorf("%w (trusted comment)", ErrDoesNotVerify)
	}
	return nil
}

// A trust slot is how a firmware image carries the public key it trusts:
// a fixed-size variable, initialized with TrustSlotMagic, that the image
// builder finds by its symbol and fills in (image.Trust). Layout: the
// magic (8 bytes), 1 when a key follows (8 bytes), the public key's binary
// form ("Ed" | key ID | key, 42 bytes), zeros.
const (
	TrustSlotSize  = 64
	TrustSlotMagic = "TVTRUST1"
)

// EncodeTrustSlot returns the slot that trusts pk.
func EncodeTrustSlot(pk PublicKey) [TrustSlotSize]byte {
	var s [TrustSlotSize]byte
	copy(s[:], TrustSlotMagic)
	s[8] = 1
	copy(s[16:], keyAlg[:])
	copy(s[18:], pk.ID[:])
	copy(s[26:], pk.Key[:])
	return s
}

// ParseTrustSlot returns the key a slot trusts; false when it trusts none
// (a firmware built without a key). A slot that is neither is an error.
func ParseTrustSlot(s *[TrustSlotSize]byte) (PublicKey, bool, error) {
	var pk PublicKey
	if string(s[:8]) != TrustSlotMagic {
		return pk, false, errors.New("trust slot: no magic; the firmware image is damaged")
	}
	switch {
	case s[8] == 0:
		return pk, false, nil
	case s[8] != 1 || [2]byte(s[16:18]) != keyAlg:
		return pk, false, errors.New("trust slot: damaged")
	}
	copy(pk.ID[:], s[18:26])
	copy(pk.Key[:], s[26:58])
	return pk, true, nil
}
