package linux

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path"
	"strings"
)

// maxPackageFileSize bounds what findInTar reads into memory.
const maxPackageFileSize = 256 << 20

// PackageFile is one file taken out of a Debian package.
type PackageFile struct {
	// Path is the file's path in the installed system, without the
	// leading slash: "boot/vmlinuz-6.1.0-56-cloud-arm64".
	Path string
	Data []byte
}

// ReadPackageFile returns the one regular file of the Debian package deb
// whose path matches pattern (path.Match syntax, no leading slash). It
// streams the package's data archive out of dpkg-deb --fsys-tarfile, so
// nothing is unpacked onto the disk.
func ReadPackageFile(deb, pattern string) (PackageFile, error) {
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		return PackageFile{}, fmt.Errorf("dpkg-deb not found: it comes with Debian's dpkg package; make guests needs a Debian or Ubuntu machine")
	}
	cmd := exec.Command("dpkg-deb", "--fsys-tarfile", deb)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return PackageFile{}, err
	}
	if err := cmd.Start(); err != nil {
		return PackageFile{}, err
	}
	file, findErr := findInTar(out, pattern)
	io.Copy(io.Discard, out) // let dpkg-deb finish writing before Wait closes the pipe
	if err := cmd.Wait(); err != nil {
		return PackageFile{}, fmt.Errorf("dpkg-deb --fsys-tarfile %s: %v: %s", deb, err, strings.TrimSpace(stderr.String()))
	}
	if findErr != nil {
		return PackageFile{}, fmt.Errorf("%s: %w", deb, findErr)
	}
	return file, nil
}

// findInTar reads a whole tar stream and returns the one regular file whose
// path matches pattern.
func findInTar(r io.Reader, pattern string) (PackageFile, error) {
	if _, err := path.Match(pattern, ""); err != nil {
		return PackageFile{}, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	var found PackageFile
	var matches []string
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return PackageFile{}, fmt.Errorf("reading the package's data: %w", err)
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		if ok, _ := path.Match(pattern, name); !ok {
			continue
		}
		matches = append(matches, name)
		if h.Typeflag != tar.TypeReg {
			return PackageFile{}, fmt.Errorf("%s is not a regular file in the package (tar type %q)", name, h.Typeflag)
		}
		if h.Size > maxPackageFileSize {
			return PackageFile{}, fmt.Errorf("%s: %d bytes, more than the %d MiB a kernel or busybox could need", name, h.Size, maxPackageFileSize>>20)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return PackageFile{}, fmt.Errorf("reading %s: %w", name, err)
		}
		found = PackageFile{Path: name, Data: data}
	}
	switch len(matches) {
	case 0:
		return PackageFile{}, fmt.Errorf("no file matching /%s in the package", pattern)
	case 1:
		return found, nil
	}
	return PackageFile{}, fmt.Errorf("%d files match /%s (%s); expected one", len(matches), pattern, strings.Join(matches, ", "))
}
