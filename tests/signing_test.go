package tests

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/internal/minisign"
	"github.com/tamavisor/tamavisor/partition/table"
)

// tamavisorCLI builds the command-line tool into dir.
func tamavisorCLI(t *testing.T, dir string) string {
	t.Helper()
	cli := filepath.Join(dir, "tamavisor")
	if out, err := exec.Command("go", "build", "-o", cli, "../cmd/tamavisor").CombinedOutput(); err != nil {
		t.Fatalf("building tamavisor: %v\n%s", err, out)
	}
	return cli
}

// runCLI runs the tool and returns its output and exit status.
func runCLI(t *testing.T, cli string, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command(cli, args...).CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return string(out), exit.ExitCode()
	}
	require.NoError(t, err)
	return string(out), 0
}

// TestQEMUSignedImages follows docs/signing.md: a vehicle maker's key
// signs the partition table, the firmware trusts that key, and only what
// it signed starts. Every refusal stops the boot before any partition
// runs, with a console line that says why.
func TestQEMUSignedImages(t *testing.T) {
	binary := requireQEMUTools(t)
	fw := firmware(t, "")
	dir := t.TempDir()
	cli := tamavisorCLI(t, dir)
	config := `board: qemu-virt
hypervisor:
  memory: {base: 0x40000000, size: 256MiB}
partitions:
  - name: car
    cpus: [2]
    memory: [{base: 0x70000000, size: 64MiB}]
    kernel: {format: raw, image: car.bin}
`
	at := func(name string) string { return filepath.Join(dir, name) }
	require.NoError(t, os.WriteFile(at("system.yaml"), []byte(config), 0o644))
	writeGuest := func(text string) {
		require.NoError(t, os.WriteFile(at("car.bin"), printer(text, 1), 0o644))
	}
	build := func(out string, args ...string) {
		t.Helper()
		args = append([]string{"build", "-hypervisor", fw, "-o", at(out)}, args...)
		o, code := runCLI(t, cli, append(args, at("system.yaml"))...)
		require.Zero(t, code, o)
	}
	for _, key := range []string{"vendor", "other"} {
		o, code := runCLI(t, cli, "keygen", "-o", at(key))
		require.Zero(t, code, o)
	}
	vendor := readKeyID(t, at("vendor.pub"))
	other := readKeyID(t, at("other.pub"))

	writeGuest("signed guest running\n")
	build("signed.elf", "-sign", at("vendor.key"), "-trust", at("vendor.pub"), "-comment", "release 7")
	build("signed-untrusting.elf", "-sign", at("vendor.key"))
	build("other-signer.elf", "-sign", at("other.key"), "-trust", at("vendor.pub"))
	writeGuest("signed guest runnIng\n") // one guest byte changed
	build("unsigned.elf", "-trust", at("vendor.pub"))
	// The changed guest with the table re-hashed but not re-signed: the
	// signed image's signature block in the new image.
	rehashed := transplantSignature(t, at("signed.elf"), at("unsigned.elf"))
	require.NoError(t, os.WriteFile(at("rehashed.elf"), rehashed, 0o644))

	// The build pipeline's checks.
	o, code := runCLI(t, cli, "verify", at("signed.elf"), "-key", at("vendor.pub"))
	assert.Zero(t, code, o)
	assert.Contains(t, o, "partition table signature: verified, key ID "+vendor+" (trusted comment: release 7)")
	o, code = runCLI(t, cli, "verify", at("signed.elf"), "-key", at("other.pub"))
	assert.Equal(t, 1, code, o)
	assert.Contains(t, o, "made by key ID "+vendor+", not trusted (the trusted key is "+other+")")
	o, code = runCLI(t, cli, "verify", at("rehashed.elf"), "-key", at("vendor.pub"))
	assert.Equal(t, 1, code, o)
	assert.Contains(t, o, "partition table signature: does not verify")
	o, code = runCLI(t, cli, "inspect", "-key", at("vendor.pub"), at("signed.elf"))
	assert.Zero(t, code, o)
	assert.Regexp(t, `(?m)^  signature +key ID `+vendor+`, trusted comment: release 7$`, o)
	assert.Regexp(t, `(?m)^  firmware trusts +key ID `+vendor+`$`, o)
	assert.Regexp(t, `(?m)^  with -key +partition table signature: verified`, o)
	o, code = runCLI(t, cli, "inspect", at("unsigned.elf"))
	assert.Equal(t, 1, code, o)
	assert.Regexp(t, `(?m)^  at boot +partition table signature: no signature`, o)

	// At boot.
	bootSays := func(img string, expect ...string) string {
		t.Helper()
		r := boot(t, binary, at(img), bootTimeout, expect...)
		return string(bytes.Join(toBytes(r.Output), []byte("\n")))
	}
	bootSays("signed.elf",
		`^tamavisor: partition table signature: verified, key ID `+vendor+` \(trusted comment: release 7\)$`,
		`^tamavisor: partition table for qemu-virt: 1 partitions, 2 images verified`,
		`^\[car\] signed guest running$`)
	bootSays("signed-untrusting.elf",
		`^tamavisor: partition table: signed by key ID `+vendor+`, not checked: this firmware trusts no key$`,
		`^\[car\] signed guest running$`)
	for img, why := range map[string]string{
		"unsigned.elf":     `no signature \(this firmware trusts only key ID ` + vendor + `\)`,
		"rehashed.elf":     `does not verify`,
		"other-signer.elf": `made by key ID ` + other + `, not trusted \(the trusted key is ` + vendor + `\)`,
	} {
		out := bootSays(img,
			`^tamavisor: partition table signature: `+why+`$`,
			`^tamavisor: refusing to start any partition: `,
			`^core 0: halted \(refusing to boot\)`)
		assert.NotRegexp(t, regexp.MustCompile(`(?m)^\[car\]|enters at`), out, img)
	}
}

func toBytes(lines []string) [][]byte {
	out := make([][]byte, len(lines))
	for i, l := range lines {
		out[i] = []byte(l)
	}
	return out
}

func readKeyID(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	pk, err := minisign.ParsePublicKey(string(b))
	require.NoError(t, err)
	return pk.ID.String()
}

// transplantSignature returns the image at to with the signature block of
// the image at from, at the same place (both tables are equally long).
func transplantSignature(t *testing.T, from, to string) []byte {
	t.Helper()
	a, err := os.ReadFile(from)
	require.NoError(t, err)
	b, err := os.ReadFile(to)
	require.NoError(t, err)
	at := bytes.Index(a, []byte(table.SignatureMagic))
	require.Positive(t, at)
	require.Equal(t, make([]byte, table.SignatureRoom), b[at:at+table.SignatureRoom], "the unsigned image has a block there")
	copy(b[at:], a[at:at+table.SignatureRoom])
	return b
}
