package table

import (
	"bytes"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/internal/minisign"
)

// signableSegment is a payload segment: a valid table, room for its
// signature, its payload.
func signableSegment(t *testing.T) []byte {
	t.Helper()
	enc := encode(t, smallTable())
	return append(enc, make([]byte, PayloadOffset(uint64(len(enc)))-uint64(len(enc)))...)
}

// The boot's decision on the table's signature, with the console line that
// says why, for every case a firmware with or without a trusted key meets.
func TestCheckTableSignature(t *testing.T) {
	seg := signableSegment(t)
	v, err := Decode(seg)
	require.NoError(t, err)
	n := v.Len()
	trustedPub, trustedKey, err := minisign.GenerateKey(rand.New(rand.NewSource(1)))
	require.NoError(t, err)
	_, otherKey, err := minisign.GenerateKey(rand.New(rand.NewSource(2)))
	require.NoError(t, err)
	signed := func(key minisign.SecretKey, msg []byte) []byte {
		s := key.Sign(msg, "signature from tamavisor secret key", "vehicle release 7")
		block, err := SignatureBlock(s.Encode())
		require.NoError(t, err)
		out := bytes.Clone(seg)
		copy(out[SignatureOffset(uint64(n)):], block)
		return out
	}
	good := signed(trustedKey, seg[:n])
	tampered := bytes.Clone(good)
	tampered[0x40] ^= 1 // a byte of the table, after the signing
	comment := bytes.Clone(good)
	i := bytes.Index(comment, []byte("vehicle release 7"))
	comment[i+len("vehicle release ")] = '8'

	for _, tc := range []struct {
		name    string
		trusted *minisign.PublicKey
		segment []byte
		line    string
		ok      bool
	}{
		{"no key, unsigned", nil, seg, `^partition table: unsigned, and this firmware trusts no key$`, true},
		{"no key, signed", nil, good, `^partition table: signed by key ID ` + trustedPub.ID.String() + `, not checked: this firmware trusts no key$`, true},
		{"signed by the trusted key", &trustedPub, good, `^partition table signature: verified, key ID ` + trustedPub.ID.String() + ` \(trusted comment: vehicle release 7\)$`, true},
		{"unsigned", &trustedPub, seg, `^partition table signature: no signature \(this firmware trusts only key ID ` + trustedPub.ID.String() + `\)$`, false},
		{"another key", &trustedPub, signed(otherKey, seg[:n]), `^partition table signature: made by key ID [0-9A-F]{16}, not trusted \(the trusted key is ` + trustedPub.ID.String() + `\)$`, false},
		{"table changed after signing", &trustedPub, tampered, `^partition table signature: does not verify$`, false},
		{"trusted comment changed", &trustedPub, comment, `^partition table signature: does not verify \(trusted comment\)$`, false},
	} {
		line, ok := CheckSignature(tc.trusted, tc.segment, n)
		assert.Regexp(t, tc.line, line, tc.name)
		assert.Equal(t, tc.ok, ok, tc.name)
	}
}
