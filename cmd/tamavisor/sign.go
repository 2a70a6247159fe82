package main

import (
	"bufio"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/tamavisor/tamavisor/image"
	"github.com/tamavisor/tamavisor/internal/minisign"
	"github.com/tamavisor/tamavisor/partition/table"
)

func init() {
	register("keygen", command{
		summary: "make a key pair to sign partition tables with (minisign format)",
		run:     keygenCommand,
	})
	register("verify", command{
		summary: "check that an image's partition table is signed by a key, as the firmware does",
		run:     verifyCommand,
	})
}

// keygenCommand writes NAME.pub and NAME.key.
func keygenCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	output := fs.String("o", "", "the key pair to write: NAME.pub and NAME.key (required)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tamavisor keygen -o NAME")
		fmt.Fprintln(stderr, "\nMakes an Ed25519 key pair in minisign's format: NAME.pub, the public key a")
		fmt.Fprintln(stderr, "firmware trusts (tamavisor build -trust NAME.pub), and NAME.key, the secret key")
		fmt.Fprintln(stderr, "that signs partition tables (tamavisor build -sign NAME.key). The secret key is")
		fmt.Fprintln(stderr, "not encrypted: keep it offline. Keys made by minisign -G work too.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *output == "" || fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	pub, key := *output+".pub", *output+".key"
	for _, f := range []string{pub, key} {
		if _, err := os.Stat(f); err == nil {
			fmt.Fprintf(stderr, "tamavisor keygen: %s exists; remove it or choose another -o\n", f)
			return 1
		}
	}
	pk, sk, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		fmt.Fprintf(stderr, "tamavisor keygen: %v\n", err)
		return 1
	}
	if err := os.WriteFile(key, []byte(sk.Encode()), 0o600); err != nil {
		fmt.Fprintf(stderr, "tamavisor keygen: %v\n", err)
		return 1
	}
	if err := os.WriteFile(pub, []byte(pk.Encode()), 0o644); err != nil {
		fmt.Fprintf(stderr, "tamavisor keygen: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "key ID %v: public key %s, secret key %s\n", pk.ID, pub, key)
	return 0
}

// signing says how buildImage signs the table and which key the firmware
// trusts; zero values for neither.
type signing struct {
	secretKey string // a minisign secret key file
	trust     string // a minisign public key file
	comment   string // the trusted comment; "" for a timestamp and the config's name
	password  func() ([]byte, error)
}

// readPublicKey reads a minisign public key file.
func readPublicKey(path string) (minisign.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return minisign.PublicKey{}, err
	}
	pk, err := minisign.ParsePublicKey(string(b))
	if err != nil {
		return pk, fmt.Errorf("%s: %w", path, err)
	}
	return pk, nil
}

// passwordFromTerminal asks on stderr and reads a line from stdin, unless
// TAMAVISOR_KEY_PASSWORD is set.
func passwordFromTerminal(stdin io.Reader, stderr io.Writer) func() ([]byte, error) {
	return func() ([]byte, error) {
		if pw, ok := os.LookupEnv("TAMAVISOR_KEY_PASSWORD"); ok {
			return []byte(pw), nil
		}
		fmt.Fprint(stderr, "password of the secret key: ")
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			return nil, fmt.Errorf("reading the password: %w", err)
		}
		return []byte(strings.TrimRight(line, "\r\n")), nil
	}
}

// apply signs encoded (the table) and trusts a key in hypervisor, as s
// says; it returns the signature file ("" unsigned) and the hypervisor.
func (s signing) apply(configPath string, encoded, hypervisor []byte) (string, []byte, error) {
	var sig string
	if s.secretKey != "" {
		b, err := os.ReadFile(s.secretKey)
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil, fmt.Errorf("secret key %s not found: make one with tamavisor keygen -o NAME", s.secretKey)
		}
		if err != nil {
			return "", nil, err
		}
		sk, err := minisign.ParseSecretKey(string(b), s.password)
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", s.secretKey, err)
		}
		comment := s.comment
		if comment == "" {
			comment = fmt.Sprintf("timestamp:%d\tfile:%s\thashed", time.Now().Unix(), configPath)
		}
		sig = sk.Sign(encoded, "signature from tamavisor secret key", comment).Encode()
		if _, err := table.SignatureBlock(sig); err != nil {
			return "", nil, err
		}
	}
	if s.trust != "" {
		pk, err := readPublicKey(s.trust)
		if err != nil {
			return "", nil, err
		}
		if hypervisor, err = image.Trust(hypervisor, pk); err != nil {
			return "", nil, err
		}
	}
	return sig, hypervisor, nil
}

// verifyCommand checks an image's table signature against a public key.
func verifyCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyPath := fs.String("key", "", "the public key the table must be signed by (required)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tamavisor verify IMAGE -key KEY.pub")
		fmt.Fprintln(stderr, "\nChecks, as a firmware trusting KEY.pub does at boot, that IMAGE's partition")
		fmt.Fprintln(stderr, "table is signed by KEY.pub and that every guest image matches its SHA-256 in")
		fmt.Fprintln(stderr, "the table. Exits 0 when both hold, 1 otherwise.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(rest) != 1 || *keyPath == "" {
		fs.Usage()
		return 2
	}
	pk, err := readPublicKey(*keyPath)
	if err != nil {
		fmt.Fprintf(stderr, "tamavisor verify: %v\n", err)
		return 1
	}
	data, err := os.ReadFile(rest[0])
	if err != nil {
		fmt.Fprintf(stderr, "tamavisor verify: %v\n", err)
		return 1
	}
	img, err := image.Open(data)
	if err != nil {
		fmt.Fprintf(stderr, "tamavisor verify: %s: %v\n", rest[0], err)
		return 1
	}
	ok := true
	line, signed := table.CheckSignature(&pk, img.SignedSegment(), img.Table.Len())
	if !signed {
		ok = false
	}
	fmt.Fprintf(stdout, "%s: %s\n", rest[0], line)
	for _, c := range img.VerifyImages() {
		if c.Err != nil {
			fmt.Fprintf(stdout, "%s: %v\n", rest[0], c.Err)
			ok = false
		}
	}
	if !ok {
		return 1
	}
	fmt.Fprintf(stdout, "%s: %d guest images match the signed table\n", rest[0], img.Table.NumImages())
	return 0
}
