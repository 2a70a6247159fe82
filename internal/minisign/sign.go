//go:build !tamago

package minisign

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/scrypt"
)

// SecretKey is a minisign secret key, for signing on the host.
type SecretKey struct {
	ID  KeyID
	Key ed25519.PrivateKey
}

// The secret key file's binary form (minisign's "Secret key format"):
//
//	"Ed" | KDF ("Sc" scrypt, or two zero bytes: none) | "B2"
//	| KDF salt (32) | opslimit (8, LE) | memlimit (8, LE)
//	| key ID (8) | Ed25519 secret key (64) | BLAKE2b-256 checksum (32)
//
// With scrypt, the last 104 bytes are XORed with scrypt(password, salt)
// under libsodium's crypto_pwhash_scryptsalsa208sha256 parameters.
const (
	secretKeyBytes = 2 + 2 + 2 + 32 + 8 + 8 + keynumBytes
	keynumBytes    = 8 + ed25519.PrivateKeySize + 32
)

var (
	kdfNone   = [2]byte{0, 0}
	kdfScrypt = [2]byte{'S', 'c'}
	chkBLAKE2 = [2]byte{'B', '2'}
)

// GenerateKey makes a key pair from rand.
func GenerateKey(rand io.Reader) (PublicKey, SecretKey, error) {
	var sk SecretKey
	if _, err := io.ReadFull(rand, sk.ID[:]); err != nil {
		return PublicKey{}, sk, err
	}
	_, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return PublicKey{}, sk, err
	}
	sk.Key = priv
	return sk.Public(), sk, nil
}

// Public returns the key's public half.
func (sk SecretKey) Public() PublicKey {
	pk := PublicKey{ID: sk.ID}
	copy(pk.Key[:], sk.Key.Public().(ed25519.PublicKey))
	return pk
}

func (sk SecretKey) checksum() [32]byte {
	h, _ := blake2b.New256(nil)
	h.Write(keyAlg[:])
	h.Write(sk.ID[:])
	h.Write(sk.Key)
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

// Encode returns the key as an unencrypted .key file, as `minisign -G -W`
// writes it: keep it where only the signer can read it.
func (sk SecretKey) Encode() string {
	b := make([]byte, 0, secretKeyBytes)
	b = append(b, keyAlg[:]...)
	b = append(b, kdfNone[:]...)
	b = append(b, chkBLAKE2[:]...)
	b = append(b, make([]byte, 32+8+8)...)
	b = append(b, sk.ID[:]...)
	b = append(b, sk.Key...)
	sum := sk.checksum()
	b = append(b, sum[:]...)
	return untrusted + "minisign secret key " + sk.ID.String() + " (unencrypted)\n" +
		base64.StdEncoding.EncodeToString(b) + "\n"
}

// ErrPasswordNeeded is returned by ParseSecretKey for an encrypted key
// when password is nil.
var ErrPasswordNeeded = errors.New("the secret key is encrypted: a password is needed")

// ParseSecretKey reads a .key file written by minisign (encrypted or,
// with -W, not) or by Encode. password is asked for an encrypted one.
func ParseSecretKey(text string, password func() ([]byte, error)) (SecretKey, error) {
	var sk SecretKey
	line, err := keyLine(text)
	if err != nil {
		return sk, fmt.Errorf("secret key: %w", err)
	}
	b, err := base64.StdEncoding.DecodeString(line)
	if err != nil || len(b) != secretKeyBytes {
		return sk, fmt.Errorf("secret key: not a minisign secret key (base64 of %d bytes)", secretKeyBytes)
	}
	if [2]byte(b[0:2]) != keyAlg || [2]byte(b[4:6]) != chkBLAKE2 {
		return sk, fmt.Errorf("secret key: algorithms %q/%q, want Ed/B2", b[0:2], b[4:6])
	}
	keynum := b[secretKeyBytes-keynumBytes:]
	switch [2]byte(b[2:4]) {
	case kdfNone:
	case kdfScrypt:
		if password == nil {
			return sk, ErrPasswordNeeded
		}
		pw, err := password()
		if err != nil {
			return sk, err
		}
		salt := b[6:38]
		ops, mem := binary.LittleEndian.Uint64(b[38:46]), binary.LittleEndian.Uint64(b[46:54])
		logN, r, p := scryptParameters(ops, mem)
		stream, err := scrypt.Key(pw, salt, 1<<logN, r, p, keynumBytes)
		if err != nil {
			return sk, fmt.Errorf("secret key: %w", err)
		}
		for i := range keynum {
			keynum[i] ^= stream[i]
		}
	default:
		return sk, fmt.Errorf("secret key: key derivation %q, want Sc or none", b[2:4])
	}
	copy(sk.ID[:], keynum[:8])
	sk.Key = ed25519.PrivateKey(bytes.Clone(keynum[8 : 8+ed25519.PrivateKeySize]))
	// minisign -W leaves an unencrypted key's checksum zero; the public
	// half the key carries must still be the one its seed gives.
	sum, stored := sk.checksum(), keynum[8+ed25519.PrivateKeySize:]
	unchecked := b[2] == 0 && b[3] == 0 && bytes.Equal(stored, make([]byte, len(stored)))
	derived := ed25519.NewKeyFromSeed(sk.Key.Seed())
	if (!unchecked && !bytes.Equal(sum[:], stored)) || !bytes.Equal(derived, sk.Key) {
		return SecretKey{}, errors.New("secret key: checksum mismatch: wrong password, or a damaged key file")
	}
	return sk, nil
}

// scryptParameters turns libsodium's opslimit and memlimit into scrypt's
// log2(N), r and p, as crypto_pwhash_scryptsalsa208sha256 does
// (pwhash_scryptsalsa208sha256.c, pickparams).
func scryptParameters(opslimit, memlimit uint64) (logN uint, r, p int) {
	opslimit = max(opslimit, 32768)
	r = 8
	var maxN uint64
	if opslimit < memlimit/32 {
		p = 1
		maxN = opslimit / uint64(r*4)
	} else {
		maxN = memlimit / uint64(r*128)
	}
	for logN = 1; logN < 63; logN++ {
		if uint64(1)<<logN > maxN/2 {
			break
		}
	}
	if opslimit >= memlimit/32 {
		maxrp := min((opslimit/4)/(uint64(1)<<logN), 0x3fffffff)
		p = int(maxrp) / r
	}
	return logN, r, p
}

// Sign signs msg the way minisign does by default: Ed25519 over its
// BLAKE2b-512 digest ("ED"), and the trusted comment bound to it.
func (sk SecretKey) Sign(msg []byte, untrustedComment, trustedComment string) Signature {
	s := Signature{Algorithm: algHashed, KeyID: sk.ID, UntrustedComment: untrustedComment, TrustedComment: trustedComment}
	d := blake2b.Sum512(msg)
	copy(s.Signature[:], ed25519.Sign(sk.Key, d[:]))
	global := append(s.Signature[:len(s.Signature):len(s.Signature)], trustedComment...)
	copy(s.GlobalSignature[:], ed25519.Sign(sk.Key, global))
	return s
}
