package table

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tamavisor/tamavisor/internal/minisign"
)

// The image's payload segment (image package doc):
//
//	0                     the table, TotalLength bytes
//	SignatureOffset(n)    the signature block, zeros when unsigned
//	PayloadOffset(n)      the guest images, at the next 4 KiB boundary
//	                      after SignatureRoom bytes for the block
//
// The signature block is SignatureMagic, the signature's length (uint32,
// little-endian) and a minisign signature file (internal/minisign) over the
// table's TotalLength bytes, which hold every image's SHA-256.
const (
	// SignatureRoom is what the layout reserves for the signature block,
	// signed or not; a minisign signature file with a trusted comment of
	// up to 600 bytes fits.
	SignatureRoom = 1024
	// SignatureMagic starts a signature block.
	SignatureMagic = "TVMSIG01"

	signatureHeader = len(SignatureMagic) + 4
	payloadAlign    = 0x1000
)

// SignatureOffset returns where the signature block of a table of
// tableLength bytes starts in the payload segment.
func SignatureOffset(tableLength uint64) uint64 { return alignUp(tableLength, 8) }

// PayloadOffset returns where the guest images start in the payload
// segment, after a table of tableLength bytes and its signature block.
func PayloadOffset(tableLength uint64) uint64 {
	return alignUp(SignatureOffset(tableLength)+SignatureRoom, payloadAlign)
}

func alignUp(v, a uint64) uint64 { return (v + a - 1) &^ (a - 1) }

// ErrNoSignature says a payload segment has no signature block.
var ErrNoSignature = errors.New("no signature")

// SignatureBlock returns the signature block holding the signature file
// sig, or an error if it does not fit SignatureRoom.
func SignatureBlock(sig string) ([]byte, error) {
	if len(sig) > SignatureRoom-signatureHeader {
		return nil, errors.New("signature: longer than the room the image has for it; shorten the trusted comment")
	}
	b := make([]byte, signatureHeader+len(sig))
	copy(b, SignatureMagic)
	binary.LittleEndian.PutUint32(b[len(SignatureMagic):], uint32(len(sig)))
	copy(b[signatureHeader:], sig)
	return b, nil
}

// FindSignature returns the signature file in segment, the payload
// segment of a table of tableLength bytes: ErrNoSignature when the block
// is zeros, an error when it is damaged.
func FindSignature(segment []byte, tableLength uint64) (string, error) {
	off := SignatureOffset(tableLength)
	if off > uint64(len(segment)) || uint64(len(segment))-off < SignatureRoom {
		return "", errors.New("signature block: outside the payload segment")
	}
	block := segment[off : off+SignatureRoom]
	if string(block[:len(SignatureMagic)]) != SignatureMagic {
		for _, c := range block {
			if c != 0 {
				return "", errors.New("signature block: damaged (no magic, not zeros)")
			}
		}
		return "", ErrNoSignature
	}
	n := binary.LittleEndian.Uint32(block[len(SignatureMagic):])
	if int(n) > SignatureRoom-signatureHeader {
		return "", errors.New("signature block: length beyond its room")
	}
	return string(block[signatureHeader : signatureHeader+int(n)]), nil
}

// CheckSignature decides whether the table at the start of segment,
// tableLength bytes, may boot when trusted is the key the firmware trusts
// (nil: none), and returns the line that says why, as the firmware prints
// it and the host tools show it. A firmware that trusts a key boots only a
// table that key signed (its SHA-256s then vouch for every image); one
// that trusts none boots any table and says it is unchecked.
func CheckSignature(trusted *minisign.PublicKey, segment []byte, tableLength int) (line string, ok bool) {
	const prefix = "partition table signature: "
	text, err := FindSignature(segment, uint64(tableLength))
	if trusted == nil {
		if err == nil {
			if s, err := minisign.ParseSignature(text); err == nil {
				return fmt.Sprintf("partition table: signed by key ID %v, not checked: this firmware trusts no key", s.KeyID), true
			}
		}
		return "partition table: unsigned, and this firmware trusts no key", true
	}
	if errors.Is(err, ErrNoSignature) {
		return prefix + "no signature (this firmware trusts only key ID " + trusted.ID.String() + ")", false
	}
	if err != nil {
		return prefix + err.Error(), false
	}
	s, err := minisign.ParseSignature(text)
	if err != nil {
		return prefix + "unreadable: " + err.Error(), false
	}
	if err := trusted.Verify(segment[:tableLength], s); err != nil {
		return prefix + err.Error(), false
	}
	return fmt.Sprintf("%sverified, key ID %v (trusted comment: %s)", prefix, trusted.ID, s.TrustedComment), true
}
