package linux

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// Names of the pins in guests/versions.mk this package uses.
const (
	KernelPin  = "LINUX_KERNEL" // Debian's arm64 cloud kernel
	BusyboxPin = "BUSYBOX"      // busybox-static for arm64
	// GenericKernelPin is Debian's generic arm64 kernel, which has the
	// SoC drivers a board's passed-through devices need.
	GenericKernelPin = "LINUX_GENERIC_KERNEL"
)

// Suffixes of the three variables that make up one pin.
const (
	packageSuffix = "_PACKAGE"
	versionSuffix = "_VERSION"
	sha256Suffix  = "_SHA256"
)

// Pos is a place in the pins file. Line and Column count from 1.
type Pos struct {
	File   string
	Line   int
	Column int
}

// String writes p as file:line:col, the form editors jump to.
func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// Pin is one Debian package the kit is built from: its exact version and
// the SHA-256 of its .deb, as guests/versions.mk states them.
type Pin struct {
	// Name is the variables' common prefix, e.g. LINUX_KERNEL.
	Name    string
	Package string
	Version string
	SHA256  string
	// Where each value is written, for messages that point at it.
	PackagePos, VersionPos, SHA256Pos Pos
}

// String names the package and version the way apt writes them.
func (p Pin) String() string { return p.Package + " " + p.Version }

// AptName is the argument that makes apt-get download exactly this version.
func (p Pin) AptName() string { return p.Package + "=" + p.Version }

// Pins holds the assignments of a pins file.
type Pins struct {
	file string
	vars map[string]assignment
}

type assignment struct {
	value string
	pos   Pos // of the value's first character
}

var (
	// makeVariable is the Makefile variable names pins use.
	makeVariable = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	// Debian Policy 5.6.1 (Package) and 5.6.12 (Version): an optional
	// numeric epoch, then an upstream version starting with a digit.
	debianPackage = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
	debianVersion = regexp.MustCompile(`^([0-9]+:)?[0-9][A-Za-z0-9.+~-]*$`)
	sha256Hex     = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// LoadPins reads and parses the pins file at path.
func LoadPins(path string) (*Pins, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParsePins(path, data)
}

// ParsePins parses a pins file: the subset of Makefile syntax that
// guests/versions.mk uses, "NAME := value" lines, blank lines and
// comments. Anything else is an error, so that make and this parser never
// read the file differently. file names it in messages.
func ParsePins(file string, data []byte) (*Pins, error) {
	p := &Pins{file: file, vars: map[string]assignment{}}
	for i, raw := range strings.Split(string(data), "\n") {
		line := i + 1
		text := strings.TrimSuffix(raw, "\r")
		if hash := strings.IndexByte(text, '#'); hash >= 0 {
			text = text[:hash] // make drops comments anywhere on a line
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		at := func(offset int) Pos { return Pos{File: file, Line: line, Column: offset + 1} }
		indent := len(text) - len(strings.TrimLeft(text, " \t"))
		if text[0] == '\t' {
			return nil, fmt.Errorf("%s: a line starting with a tab is a recipe line to make; start the assignment at column 1", at(0))
		}
		op := strings.Index(text, ":=")
		if op < 0 {
			return nil, fmt.Errorf("%s: expected NAME := value; pins are simple assignments, one per line", at(indent))
		}
		name := strings.TrimSpace(text[:op])
		if !makeVariable.MatchString(name) {
			return nil, fmt.Errorf("%s: %q is not a pin variable name; use capitals, digits and _ (e.g. BUSYBOX_VERSION)", at(indent), name)
		}
		rest := text[op+len(":="):]
		valueAt := op + len(":=") + len(rest) - len(strings.TrimLeft(rest, " \t"))
		value := strings.TrimSpace(rest)
		if value == "" {
			return nil, fmt.Errorf("%s: %s has no value", at(valueAt), name)
		}
		if strings.ContainsAny(value, "$ \t") {
			return nil, fmt.Errorf("%s: %s: %q is not a single literal; pins take no spaces and no make references", at(valueAt), name, value)
		}
		if prev, dup := p.vars[name]; dup {
			return nil, fmt.Errorf("%s: %s is set again (first at line %d); keep one of them", at(indent), name, prev.pos.Line)
		}
		p.vars[name] = assignment{value: value, pos: at(valueAt)}
	}
	return p, nil
}

// Pin returns the pin called name, made of the variables name_PACKAGE,
// name_VERSION and name_SHA256, each checked for its form.
func (p *Pins) Pin(name string) (Pin, error) {
	pin := Pin{Name: name}
	fields := []struct {
		suffix string
		value  *string
		pos    *Pos
		form   *regexp.Regexp
		fix    string
	}{
		{packageSuffix, &pin.Package, &pin.PackagePos, debianPackage,
			"a Debian package name has lower-case letters, digits and + . - (e.g. busybox-static)"},
		{versionSuffix, &pin.Version, &pin.VersionPos, debianVersion,
			"write the exact version apt-cache policy shows, epoch included (e.g. 1:1.35.0-4)"},
		{sha256Suffix, &pin.SHA256, &pin.SHA256Pos, sha256Hex,
			"write the 64 lower-case hex digits of the SHA256 field apt-cache show prints for that version"},
	}
	for _, f := range fields {
		variable := name + f.suffix
		a, ok := p.vars[variable]
		if !ok {
			return Pin{}, fmt.Errorf("%s: pin %s: %s is not set; add a line \"%s := ...\"", p.file, name, variable, variable)
		}
		if !f.form.MatchString(a.value) {
			return Pin{}, fmt.Errorf("%s: %s: %q is not valid; %s", a.pos, variable, a.value, f.fix)
		}
		*f.value, *f.pos = a.value, a.pos
	}
	return pin, nil
}

// Verify checks that the file at path is the pinned .deb, by its SHA-256.
func (p Pin) Verify(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return p.check(path, h.Sum(nil))
}

func (p Pin) check(path string, sum []byte) error {
	want, err := hex.DecodeString(p.SHA256)
	if err != nil || !bytes.Equal(sum, want) {
		return fmt.Errorf("%s: %s: %s has SHA-256 %x, not the pinned %s; "+
			"if %s changed on purpose, confirm the new hash in the signed index "+
			"(apt-cache show %s with the private apt configuration) and update the pin",
			p.SHA256Pos, p.Name+sha256Suffix, path, sum, p.SHA256, p.Name+versionSuffix, p.AptName())
	}
	return nil
}
