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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tamavisor/tamavisor/internal/testenv"
	"github.com/tamavisor/tamavisor/qemu"
)

// repoRoot is the checkout the tests run in.
func repoRoot(t *testing.T) string { return testenv.Root() }

// requireQEMUTools skips the test, saying why and what to install, when the
// TamaGo compiler or QEMU is missing.
func requireQEMUTools(t *testing.T) string { return testenv.RequireQEMUTools(t) }

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
	return bootOptions(t, binary, qemu.Options{Image: img, Timeout: timeout}, expect...)
}

// bootOptions is boot with the run's options given.
func bootOptions(t *testing.T, binary string, o qemu.Options, expect ...string) *qemu.Result {
	t.Helper()
	profile, err := qemu.ProfileFor("qemu-virt")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range expect {
		o.Expect = append(o.Expect, regexp.MustCompile(e))
	}
	r, err := qemu.Run(context.Background(), binary, profile, o)
	if err != nil {
		runFailed(t, r, err)
	}
	return r
}

// heartbeatLine is the ECU's once-a-second line, which fills the console
// of every demo run.
var heartbeatLine = regexp.MustCompile(`^\[ecu\] ecu: heartbeat `)

// runFailed ends a test whose run failed: the console with each line's
// time, then the last lines other than the ECU's heartbeat, then the error,
// last, so that a log cut to its tail still says what the run waited for
// and what the other partitions last said.
func runFailed(t *testing.T, r *qemu.Result, err error) {
	t.Helper()
	if r != nil {
		t.Logf("console:\n%s", r.Transcript())
		var others []string
		for i, line := range r.Output {
			if !heartbeatLine.MatchString(line) {
				others = append(others, fmt.Sprintf("%7.2fs %s", r.At[i].Seconds(), line))
			}
		}
		if len(others) > 20 {
			others = others[len(others)-20:]
		}
		t.Logf("the last lines other than the ECU heartbeat:\n%s", strings.Join(others, "\n"))
	}
	t.Fatalf("%v", err)
}

// TestMain removes the images the tests built.
func TestMain(m *testing.M) {
	testenv.Announce()
	code := m.Run()
	os.RemoveAll(filepath.Join(os.TempDir(), fmt.Sprintf("tamavisor-tests-%d", os.Getpid())))
	os.Exit(code)
}
