package linux

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const validPins = `# A comment.
LINUX_KERNEL_PACKAGE := linux-image-6.1.0-56-cloud-arm64
LINUX_KERNEL_VERSION := 6.1.192-2   # trailing comment
  LINUX_KERNEL_SHA256  :=  481ab54a27246579aadeb372315c56de02f2fe0cba4e09b387946269fff2f415

BUSYBOX_PACKAGE := busybox-static
BUSYBOX_VERSION := 1:1.35.0-4+deb12u1+b1
BUSYBOX_SHA256 := 732c9135564fc71337e0e05fb4da4d11e6c28c1834bce3e405e575afef2a52f5
`

func TestParsePins(t *testing.T) {
	pins, err := ParsePins("versions.mk", []byte(validPins))
	if err != nil {
		t.Fatal(err)
	}
	want := []Pin{
		{
			Name:       "LINUX_KERNEL",
			Package:    "linux-image-6.1.0-56-cloud-arm64",
			Version:    "6.1.192-2",
			SHA256:     "481ab54a27246579aadeb372315c56de02f2fe0cba4e09b387946269fff2f415",
			PackagePos: Pos{"versions.mk", 2, 25},
			VersionPos: Pos{"versions.mk", 3, 25},
			SHA256Pos:  Pos{"versions.mk", 4, 28},
		},
		{
			Name:       "BUSYBOX",
			Package:    "busybox-static",
			Version:    "1:1.35.0-4+deb12u1+b1",
			SHA256:     "732c9135564fc71337e0e05fb4da4d11e6c28c1834bce3e405e575afef2a52f5",
			PackagePos: Pos{"versions.mk", 6, 20},
			VersionPos: Pos{"versions.mk", 7, 20},
			SHA256Pos:  Pos{"versions.mk", 8, 19},
		},
	}
	for _, w := range want {
		got, err := pins.Pin(w.Name)
		if err != nil {
			t.Errorf("Pin(%s): %v", w.Name, err)
			continue
		}
		if got != w {
			t.Errorf("Pin(%s) =\n%+v, want\n%+v", w.Name, got, w)
		}
	}
}

func TestParsePinsErrors(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"no operator", "BUSYBOX_VERSION = 1.0\n",
			"v.mk:1:1: expected NAME := value"},
		{"recipe line", "\tBUSYBOX_VERSION := 1.0\n",
			"v.mk:1:1: a line starting with a tab is a recipe line"},
		{"lower-case name", "\n  busybox_version := 1.0\n",
			`v.mk:2:3: "busybox_version" is not a pin variable name`},
		{"empty value", "BUSYBOX_VERSION :=   # none\n",
			"v.mk:1:22: BUSYBOX_VERSION has no value"},
		{"make reference", "BUSYBOX_VERSION := $(V)\n",
			`v.mk:1:20: BUSYBOX_VERSION: "$(V)" is not a single literal`},
		{"two words", "BUSYBOX_VERSION := 1.0 2.0\n",
			`v.mk:1:20: BUSYBOX_VERSION: "1.0 2.0" is not a single literal`},
		{"set twice", "BUSYBOX_VERSION := 1.0\nBUSYBOX_VERSION := 2.0\n",
			"v.mk:2:1: BUSYBOX_VERSION is set again (first at line 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePins("v.mk", []byte(tt.file))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %v, want one starting %q", err, tt.want)
			}
		})
	}
}

func TestPinErrors(t *testing.T) {
	const (
		goodPackage = "BUSYBOX_PACKAGE := busybox-static\n"
		goodVersion = "BUSYBOX_VERSION := 1:1.35.0-4\n"
		goodSHA256  = "BUSYBOX_SHA256 := 732c9135564fc71337e0e05fb4da4d11e6c28c1834bce3e405e575afef2a52f5\n"
	)
	tests := []struct {
		name, file, want string
	}{
		{"package missing", goodVersion + goodSHA256,
			`v.mk: pin BUSYBOX: BUSYBOX_PACKAGE is not set; add a line "BUSYBOX_PACKAGE := ..."`},
		{"sha256 missing", goodPackage + goodVersion,
			"v.mk: pin BUSYBOX: BUSYBOX_SHA256 is not set"},
		{"capitals in package", "BUSYBOX_PACKAGE := BusyBox\n" + goodVersion + goodSHA256,
			`v.mk:1:20: BUSYBOX_PACKAGE: "BusyBox" is not valid; a Debian package name`},
		{"version without digit", goodPackage + "BUSYBOX_VERSION := latest\n" + goodSHA256,
			`v.mk:2:20: BUSYBOX_VERSION: "latest" is not valid; write the exact version`},
		{"short hash", goodPackage + goodVersion + "BUSYBOX_SHA256 := 732c91\n",
			`v.mk:3:19: BUSYBOX_SHA256: "732c91" is not valid; write the 64 lower-case hex digits`},
		{"upper-case hash", goodPackage + goodVersion + "BUSYBOX_SHA256 := " + strings.Repeat("A", 64) + "\n",
			"v.mk:3:19: BUSYBOX_SHA256:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pins, err := ParsePins("v.mk", []byte(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			_, err = pins.Pin(BusyboxPin)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %v, want one starting %q", err, tt.want)
			}
		})
	}
}

func TestPinVerify(t *testing.T) {
	dir := t.TempDir()
	deb := filepath.Join(dir, "x.deb")
	if err := os.WriteFile(deb, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, sha256 string
		wantErr      string // "" for a match
	}{
		// sha256sum of "hello\n".
		{"match", "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03", ""},
		{"mismatch", "0000000000000000000000000000000000000000000000000000000000000000",
			"v.mk:3:19: BUSYBOX_SHA256: " + deb + " has SHA-256 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03, not the pinned 0000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pin := Pin{Name: BusyboxPin, Package: "busybox-static", Version: "1.0", SHA256: tt.sha256, SHA256Pos: Pos{"v.mk", 3, 19}}
			err := pin.Verify(deb)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Verify: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)):
				t.Errorf("Verify: %v, want an error starting %q", err, tt.wantErr)
			}
		})
	}
	if err := (Pin{SHA256: strings.Repeat("0", 64)}).Verify(filepath.Join(dir, "absent.deb")); err == nil {
		t.Error("Verify of a missing file succeeded")
	}
}

// The committed pins file must hold every pin the build uses.
func TestVersionsFile(t *testing.T) {
	pins, err := LoadPins(filepath.Join("..", "versions.mk"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{KernelPin, BusyboxPin, GenericKernelPin} {
		if _, err := pins.Pin(name); err != nil {
			t.Error(err)
		}
	}
}
