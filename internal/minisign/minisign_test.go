package minisign

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

// RFC 8032, 7.1, TEST 1 and TEST 2.
func TestEd25519KnownAnswers(t *testing.T) {
	for _, tc := range []struct{ pub, msg, sig string }{
		{"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
			"e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
		{"3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
			"92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
	} {
		pub, msg, sig := [32]byte(unhex(t, tc.pub)), unhex(t, tc.msg), [64]byte(unhex(t, tc.sig))
		assert.True(t, verifyEd25519(&pub, msg, &sig), "%s", tc.pub)
		sig[63] ^= 0x10 // S no longer canonical, or another S
		assert.False(t, verifyEd25519(&pub, msg, &sig))
	}
}

// The firmware's verifier agrees with crypto/ed25519 on good signatures
// and on every single-bit change of key, message and signature.
func TestEd25519MatchesStandardLibrary(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for range 20 {
		pub, priv, err := ed25519.GenerateKey(r)
		require.NoError(t, err)
		msg := make([]byte, r.Intn(300))
		r.Read(msg)
		sig := ed25519.Sign(priv, msg)
		p, s := [32]byte(pub), [64]byte(sig)
		require.True(t, verifyEd25519(&p, msg, &s))
		bit := r.Intn(8 * 64)
		s[bit/8] ^= 1 << (bit % 8)
		assert.Equal(t, ed25519.Verify(pub, msg, s[:]), verifyEd25519(&p, msg, &s), "signature bit %d", bit)
		s[bit/8] ^= 1 << (bit % 8)
		bit = r.Intn(8 * 32)
		p[bit/8] ^= 1 << (bit % 8)
		assert.Equal(t, ed25519.Verify(p[:], msg, s[:]), verifyEd25519(&p, msg, &s), "key bit %d", bit)
		p[bit/8] ^= 1 << (bit % 8)
		if len(msg) > 0 {
			msg[0] ^= 1
			assert.False(t, verifyEd25519(&p, msg, &s), "changed message")
		}
	}
}

func newKey(t *testing.T, seed int64) (PublicKey, SecretKey) {
	t.Helper()
	pk, sk, err := GenerateKey(rand.New(rand.NewSource(seed)))
	require.NoError(t, err)
	return pk, sk
}

func TestSignVerifyAndEveryWayToBreakIt(t *testing.T) {
	pk, sk := newKey(t, 1)
	other, _ := newKey(t, 2)
	msg := []byte("partition table bytes")
	sig := sk.Sign(msg, "signature from tamavisor secret key", "timestamp:1\tfile:table\thashed")
	require.NoError(t, pk.Verify(msg, sig))

	parsed, err := ParseSignature(sig.Encode())
	require.NoError(t, err)
	require.Equal(t, sig, parsed)
	require.NoError(t, pk.Verify(msg, parsed))

	err = other.Verify(msg, sig)
	assert.ErrorIs(t, err, ErrNotTrusted)
	assert.EqualError(t, err, "made by key ID "+pk.ID.String()+", not trusted (the trusted key is "+other.ID.String()+")")

	changed := bytes.Clone(msg)
	changed[3] ^= 0x01
	assert.ErrorIs(t, pk.Verify(changed, sig), ErrDoesNotVerify)

	flipped := sig
	flipped.Signature[10] ^= 0x80
	assert.ErrorIs(t, pk.Verify(msg, flipped), ErrDoesNotVerify)

	comment := sig
	comment.TrustedComment = "timestamp:2\tfile:table\thashed"
	assert.EqualError(t, pk.Verify(msg, comment), "does not verify (trusted comment)")

	global := sig
	global.GlobalSignature[0] ^= 1
	assert.ErrorIs(t, pk.Verify(msg, global), ErrDoesNotVerify)

	// A signature whose key ID was edited to the trusted key's.
	forged := sig
	forged.KeyID = other.ID
	assert.ErrorIs(t, other.Verify(msg, forged), ErrDoesNotVerify)

	text := sig.Encode()
	lines := strings.Split(text, "\n")
	truncated := strings.Join([]string{lines[0], lines[1][:len(lines[1])-8], lines[2], lines[3]}, "\n")
	_, err = ParseSignature(truncated)
	assert.ErrorContains(t, err, "second line is not base64 of 74 bytes")
	_, err = ParseSignature(strings.Join(lines[:3], "\n"))
	assert.ErrorContains(t, err, "3 lines")
}

func TestKeysRoundTrip(t *testing.T) {
	pk, sk := newKey(t, 3)
	got, err := ParsePublicKey(pk.Encode())
	require.NoError(t, err)
	assert.Equal(t, pk, got)
	line := strings.Split(pk.Encode(), "\n")[1]
	got, err = ParsePublicKey(line)
	require.NoError(t, err, "the base64 line alone")
	assert.Equal(t, pk, got)

	sk2, err := ParseSecretKey(sk.Encode(), nil)
	require.NoError(t, err)
	assert.Equal(t, sk, sk2)

	damaged := []byte(sk.Encode())
	i := bytes.IndexByte(damaged, '\n') + 100
	damaged[i] ^= 0x01
	_, err = ParseSecretKey(string(damaged), nil)
	assert.Error(t, err)

	_, err = ParsePublicKey("untrusted comment: x\nAAAA\n")
	assert.ErrorContains(t, err, "not a minisign public key")
}

func TestScryptParametersOfMinisignDefaults(t *testing.T) {
	// minisign's defaults, libsodium's OPSLIMIT/MEMLIMIT_SENSITIVE:
	// N = 2^20, r = 8, p = 1 (1 GiB).
	logN, r, p := scryptParameters(33554432, 1073741824)
	assert.Equal(t, []int{20, 8, 1}, []int{int(logN), r, p})
	logN, r, p = scryptParameters(524288, 16777216) // INTERACTIVE
	assert.Equal(t, []int{14, 8, 1}, []int{int(logN), r, p})
}

// minisign is Debian's minisign command, which make deps installs.
func minisign(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("minisign")
	if err != nil {
		t.Skip("minisign interoperability test skipped: no minisign command; make deps installs Debian's minisign package")
	}
	return path
}

func run(t *testing.T, stdin string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s %s:\n%s", name, strings.Join(args, " "), out)
}

// Keys and signatures made by the minisign command verify here, and ours
// verify with it: unencrypted and encrypted keys, prehashed and legacy
// signatures.
func TestInteroperatesWithMinisign(t *testing.T) {
	bin := minisign(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "table")
	msg := []byte("a partition table, signed\n")
	require.NoError(t, os.WriteFile(file, msg, 0o644))
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		return string(b)
	}

	// Theirs, verified by us.
	run(t, "", bin, "-G", "-W", "-p", filepath.Join(dir, "m.pub"), "-s", filepath.Join(dir, "m.key"))
	pk, err := ParsePublicKey(read("m.pub"))
	require.NoError(t, err)
	for _, legacy := range []bool{false, true} {
		args := []string{"-S", "-s", filepath.Join(dir, "m.key"), "-m", file, "-t", "signed by minisign"}
		if legacy {
			args = append(args, "-l")
		}
		run(t, "", bin, args...)
		sig, err := ParseSignature(read("table.minisig"))
		require.NoError(t, err)
		assert.Equal(t, "signed by minisign", sig.TrustedComment)
		assert.NoError(t, pk.Verify(msg, sig), "legacy %v", legacy)
		assert.ErrorIs(t, pk.Verify(append(bytes.Clone(msg), '!'), sig), ErrDoesNotVerify)
	}
	// Their unencrypted secret key signs here.
	sk, err := ParseSecretKey(read("m.key"), nil)
	require.NoError(t, err)
	assert.Equal(t, pk, sk.Public())

	// Ours, verified by them.
	ourPub, ourKey := newKey(t, 4)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "o.pub"), []byte(ourPub.Encode()), 0o644))
	sig := ourKey.Sign(msg, "signature from tamavisor secret key", "timestamp:1\tfile:table\thashed")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "table.minisig"), []byte(sig.Encode()), 0o644))
	run(t, "", bin, "-V", "-p", filepath.Join(dir, "o.pub"), "-m", file)
	// Our unencrypted secret key file signs there.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "o.key"), []byte(ourKey.Encode()), 0o600))
	run(t, "", bin, "-S", "-s", filepath.Join(dir, "o.key"), "-m", file)
	theirs, err := ParseSignature(read("table.minisig"))
	require.NoError(t, err)
	assert.NoError(t, ourPub.Verify(msg, theirs))

	// An encrypted key (minisign's default, scrypt with 1 GiB).
	run(t, "secret\nsecret\n", bin, "-G", "-p", filepath.Join(dir, "e.pub"), "-s", filepath.Join(dir, "e.key"))
	_, err = ParseSecretKey(read("e.key"), nil)
	assert.ErrorIs(t, err, ErrPasswordNeeded)
	esk, err := ParseSecretKey(read("e.key"), func() ([]byte, error) { return []byte("secret"), nil })
	require.NoError(t, err)
	epk, err := ParsePublicKey(read("e.pub"))
	require.NoError(t, err)
	assert.Equal(t, epk, esk.Public())
}

func TestTrustSlot(t *testing.T) {
	pk, _ := newKey(t, 5)
	empty := [TrustSlotSize]byte{'T', 'V', 'T', 'R', 'U', 'S', 'T', '1'}
	_, ok, err := ParseTrustSlot(&empty)
	require.NoError(t, err)
	assert.False(t, ok)
	slot := EncodeTrustSlot(pk)
	got, ok, err := ParseTrustSlot(&slot)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, pk, got)
	slot[0] = 'X'
	_, _, err = ParseTrustSlot(&slot)
	assert.ErrorContains(t, err, "no magic")
}
