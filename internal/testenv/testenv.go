//go:build !tamago

// Package testenv is what the project's QEMU tests need of the machine: the
// repository, the TamaGo compiler go.mod pins, and qemu-system-aarch64.
// Where a tool is missing, a test skips with the reason and what to
// install.
package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/tamavisor/tamavisor/qemu"
)

// Root is the repository's top directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

// TamagoCompiler returns the TamaGo compiler release go.mod's tamago
// version needs and where `go tool tamago` keeps it.
func TamagoCompiler() (version, path string, err error) {
	b, err := os.ReadFile(filepath.Join(Root(), "go.mod"))
	if err != nil {
		return "", "", err
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/usbarmory/tamago (v\S+)`).FindSubmatch(b)
	if m == nil {
		return "", "", fmt.Errorf("go.mod does not require github.com/usbarmory/tamago")
	}
	version = "tamago-go" + strings.TrimPrefix(string(m[1]), "v")
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", "", err
	}
	return version, filepath.Join(cache, "tamago-go", version, "bin", "go"), nil
}

// RequireQEMUTools skips t, saying why and what to install, unless the
// TamaGo compiler and QEMU are there; it returns QEMU's path.
func RequireQEMUTools(t testing.TB) string {
	t.Helper()
	version, compiler, err := TamagoCompiler()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(compiler); err != nil {
		t.Skipf("QEMU test skipped: TamaGo compiler %s not found at %s; "+
			"on a machine with internet access `go tool tamago version` installs it "+
			"(it clones github.com/usbarmory/tamago-go at tag %s and runs make.bash)",
			version, compiler, version)
	}
	emulator, err := qemu.LookPath()
	if err != nil {
		t.Skipf("QEMU test skipped: %v", err)
	}
	v, err := qemu.VersionOf(emulator)
	if err != nil {
		t.Fatal(err)
	}
	if !v.AtLeast(qemu.MinVersion) {
		t.Skipf("QEMU test skipped: %s is QEMU %v; the project needs QEMU >= %d.%d "+
			"(run make deps: on Debian 12 it installs qemu-system-arm from bookworm-backports)",
			emulator, v, qemu.MinVersion.Major, qemu.MinVersion.Minor)
	}
	return emulator
}

// Announce prints, once per test binary, what the QEMU tests run on (or
// why they skip): the first line a reader of a test log looks for.
func Announce() {
	version, compiler, err := TamagoCompiler()
	if err != nil {
		fmt.Println("QEMU tests: " + err.Error())
		return
	}
	if _, err := os.Stat(compiler); err != nil {
		fmt.Printf("QEMU tests skip: no TamaGo compiler %s at %s\n", version, compiler)
		return
	}
	emulator, err := qemu.LookPath()
	if err != nil {
		fmt.Printf("QEMU tests skip: %v\n", err)
		return
	}
	v, err := qemu.VersionOf(emulator)
	if err != nil {
		fmt.Printf("QEMU tests: %v\n", err)
		return
	}
	fmt.Printf("QEMU tests on %s (%s), TamaGo compiler %s\n", v.Text, emulator, version)
}
