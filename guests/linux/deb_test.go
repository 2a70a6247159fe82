package linux

import (
	"archive/tar"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

type tarMember struct {
	name     string
	typeflag byte
	data     string // content, or a link's target
}

func tarBytes(t *testing.T, members []tarMember) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, m := range members {
		h := &tar.Header{Name: m.name, Typeflag: m.typeflag, Mode: 0o755}
		switch m.typeflag {
		case tar.TypeReg:
			h.Size = int64(len(m.data))
		case tar.TypeSymlink:
			h.Linkname = m.data
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if m.typeflag == tar.TypeReg {
			tw.Write([]byte(m.data))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// kernelPackage is laid out like the data of a Debian kernel package.
var kernelPackage = []tarMember{
	{"./", tar.TypeDir, ""},
	{"./boot/", tar.TypeDir, ""},
	{"./boot/System.map-6.1.0-56-cloud-arm64", tar.TypeReg, "map"},
	{"./boot/config-6.1.0-56-cloud-arm64", tar.TypeReg, "CONFIG_ARM64=y"},
	{"./boot/vmlinuz-6.1.0-56-cloud-arm64", tar.TypeReg, "the kernel"},
	{"./usr/share/doc/linux-image-6.1.0-56-cloud-arm64/copyright", tar.TypeReg, "GPL"},
}

func TestFindInTar(t *testing.T) {
	tests := []struct {
		name     string
		archive  []byte
		pattern  string
		wantPath string
		wantData string
		wantErr  string
	}{
		{"kernel", tarBytes(t, kernelPackage), "boot/vmlinuz-*", "boot/vmlinuz-6.1.0-56-cloud-arm64", "the kernel", ""},
		{"no leading ./", tarBytes(t, []tarMember{{"bin/busybox", tar.TypeReg, "bb"}}), "bin/busybox", "bin/busybox", "bb", ""},
		{"absent", tarBytes(t, kernelPackage), "bin/busybox", "", "", "no file matching /bin/busybox in the package"},
		{"two kernels", tarBytes(t, append(kernelPackage[:len(kernelPackage):len(kernelPackage)],
			tarMember{"./boot/vmlinuz-6.1.0-57-cloud-arm64", tar.TypeReg, "another"})),
			"boot/vmlinuz-*", "", "", "2 files match /boot/vmlinuz-* (boot/vmlinuz-6.1.0-56-cloud-arm64, boot/vmlinuz-6.1.0-57-cloud-arm64); expected one"},
		{"symbolic link", tarBytes(t, []tarMember{{"./bin/busybox", tar.TypeSymlink, "/usr/bin/busybox"}}),
			"bin/busybox", "", "", `bin/busybox is not a regular file in the package (tar type '2')`},
		{"bad pattern", tarBytes(t, kernelPackage), "boot/[", "", "", `pattern "boot/[": syntax error in pattern`},
		{"not a tar", bytes.Repeat([]byte("not a tar "), 100), "bin/busybox", "", "", "reading the package's data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := findInTar(bytes.NewReader(tt.archive), tt.pattern)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want one starting %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Path != tt.wantPath || string(got.Data) != tt.wantData {
				t.Errorf("got %s %q, want %s %q", got.Path, got.Data, tt.wantPath, tt.wantData)
			}
		})
	}
}

// TestReadPackageFile builds a small .deb with dpkg-deb and reads a file
// back out of it.
func TestReadPackageFile(t *testing.T) {
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("dpkg-deb not installed (Debian package dpkg)")
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	files := map[string]string{
		"DEBIAN/control": "Package: guestkit-test\nVersion: 1.0-1\nArchitecture: arm64\n" +
			"Maintainer: Tamavisor <tamavisor@example.org>\nDescription: test package\n",
		"bin/busybox":                        "not really busybox",
		"usr/share/doc/guestkit-test/README": "doc",
	}
	for name, content := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	deb := filepath.Join(dir, "test.deb")
	if out, err := exec.Command("dpkg-deb", "--root-owner-group", "--build", root, deb).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb --build: %v: %s", err, out)
	}

	got, err := ReadPackageFile(deb, "bin/busybox")
	if err != nil {
		t.Fatal(err)
	}
	if got.Path != "bin/busybox" || string(got.Data) != files["bin/busybox"] {
		t.Errorf("got %s %q, want bin/busybox %q", got.Path, got.Data, files["bin/busybox"])
	}

	if _, err := ReadPackageFile(deb, "boot/vmlinuz-*"); err == nil || !strings.Contains(err.Error(), "no file matching /boot/vmlinuz-*") {
		t.Errorf("reading a file the package lacks: %v", err)
	}
	notDeb := filepath.Join(dir, "control")
	os.WriteFile(notDeb, []byte(files["DEBIAN/control"]), 0o644)
	if _, err := ReadPackageFile(notDeb, "bin/busybox"); err == nil || !strings.HasPrefix(err.Error(), "dpkg-deb --fsys-tarfile "+notDeb) {
		t.Errorf("reading a file that is no .deb: %v", err)
	}
}
