// Package tests holds the integration tests: they build firmware images
// with the project's Makefile and boot them under QEMU, asserting on the
// console lines each core prints.
//
// They need the TamaGo compiler and qemu-system-aarch64. Where either is
// missing each test skips with the reason and what to install; `make test`
// shows those lines.
package tests

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tamavisor/tamavisor/qemu"
)

// repoRoot is the checkout the tests run in.
func repoRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// tamagoVersion reads the tamago module version go.mod pins: the TamaGo
// compiler must be the matching tamago-go release.
func tamagoVersion(root string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/usbarmory/tamago (v\S+)`).FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("go.mod does not require github.com/usbarmory/tamago")
	}
	return "tamago-go" + strings.TrimPrefix(string(m[1]), "v"), nil
}

// requireQEMUTools skips the test, saying why and what to install, when the
// TamaGo compiler or QEMU is missing.
func requireQEMUTools(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	version, err := tamagoVersion(root)
	if err != nil {
		t.Fatal(err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	compiler := filepath.Join(cache, "tamago-go", version, "bin", "go")
	if _, err := os.Stat(compiler); err != nil {
		t.Skipf("QEMU test skipped: TamaGo compiler %s not found at %s; "+
			"on a machine with internet access `go tool tamago version` installs it "+
			"(it clones github.com/usbarmory/tamago-go at tag %s and runs make.bash)",
			version, compiler, version)
	}
	binary, err := qemu.LookPath()
	if err != nil {
		t.Skipf("QEMU test skipped: %v", err)
	}
	return binary
}

var (
	buildMu sync.Mutex
	built   = map[string]string{}
)

// firmware builds the hypervisor image with extra build tags (once per tag
// set and test run) with the Makefile's own firmware target.
func firmware(t *testing.T, tags string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if img, ok := built[tags]; ok {
		return img
	}
	root := repoRoot(t)
	name := "tamavisor-test.elf"
	if tags != "" {
		name = "tamavisor-test-" + strings.ReplaceAll(tags, ",", "-") + ".elf"
	}
	img := filepath.Join(os.TempDir(), fmt.Sprintf("tamavisor-tests-%d", os.Getpid()), name)
	cmd := exec.Command("make", "-s", "-C", root, "firmware", "FIRMWARE="+img, "FIRMWARE_TAGS="+tags)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("building firmware (tags %q): %v\n%s", tags, err, out)
	}
	built[tags] = img
	return img
}

// boot runs img under the qemu-virt profile until every expectation
// matched, in order, or the timeout. On failure the console is logged.
func boot(t *testing.T, binary, img string, timeout time.Duration, expect ...string) *qemu.Result {
	t.Helper()
	profile, err := qemu.ProfileFor("qemu-virt")
	if err != nil {
		t.Fatal(err)
	}
	var res []*regexp.Regexp
	for _, e := range expect {
		res = append(res, regexp.MustCompile(e))
	}
	r, err := qemu.Run(context.Background(), binary, profile, qemu.Options{Image: img, Expect: res, Timeout: timeout})
	if err != nil {
		if r != nil {
			t.Logf("console:\n%s", strings.Join(r.Output, "\n"))
		}
		t.Fatalf("boot: %v", err)
	}
	return r
}

// TestMain removes the images the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	os.RemoveAll(filepath.Join(os.TempDir(), fmt.Sprintf("tamavisor-tests-%d", os.Getpid())))
	os.Exit(code)
}
