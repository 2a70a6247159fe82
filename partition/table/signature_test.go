package table

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPayloadOffsetLeavesRoomForTheSignature(t *testing.T) {
	for _, n := range []uint64{0x100, 0xc00, 0xbf8, 0xc01, 0x1000, 0x1234} {
		off := PayloadOffset(n)
		assert.Zero(t, off%0x1000, "%#x", n)
		assert.GreaterOrEqual(t, off, SignatureOffset(n)+SignatureRoom, "%#x", n)
		assert.Less(t, off, SignatureOffset(n)+SignatureRoom+0x1000, "%#x", n)
		assert.GreaterOrEqual(t, SignatureOffset(n), n)
	}
}

func TestSignatureBlock(t *testing.T) {
	const tableLength = 0x2c4
	segment := make([]byte, PayloadOffset(tableLength)+16)
	_, err := FindSignature(segment, tableLength)
	assert.ErrorIs(t, err, ErrNoSignature)

	sig := "untrusted comment: x\nRWQ...\ntrusted comment: y\nAAA...\n"
	block, err := SignatureBlock(sig)
	require.NoError(t, err)
	copy(segment[SignatureOffset(tableLength):], block)
	got, err := FindSignature(segment, tableLength)
	require.NoError(t, err)
	assert.Equal(t, sig, got)

	segment[SignatureOffset(tableLength)] = 'X'
	_, err = FindSignature(segment, tableLength)
	assert.ErrorContains(t, err, "damaged")

	_, err = SignatureBlock(strings.Repeat("x", SignatureRoom))
	assert.ErrorContains(t, err, "shorten the trusted comment")
	_, err = FindSignature(segment[:SignatureOffset(tableLength)+10], tableLength)
	assert.ErrorContains(t, err, "outside")
}
