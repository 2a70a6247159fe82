package linux

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// FuzzReadArchive checks that ReadArchive never panics, and that whatever
// it accepts and WriteArchive can write reads back the same.
func FuzzReadArchive(f *testing.F) {
	f.Add([]byte(goldenArchive))
	f.Add([]byte(goldenArchive[:200]))
	f.Add([]byte("070701"))
	f.Fuzz(func(t *testing.T, archive []byte) {
		entries, err := ReadArchive(bytes.NewReader(archive))
		if err != nil {
			return
		}
		var b bytes.Buffer
		if err := WriteArchive(&b, entries); err != nil {
			return // e.g. members without their directory: legal cpio, refused by the writer
		}
		again, err := ReadArchive(&b)
		if err != nil {
			t.Fatalf("reading back what WriteArchive wrote: %v", err)
		}
		if want := sortedEntries(entries); !reflect.DeepEqual(again, want) {
			t.Fatalf("read back\n%+v\nwant\n%+v", again, want)
		}
	})
}

// FuzzParsePins checks that the pins parser never panics and that the
// position it gives for each value of a pin points at that value.
func FuzzParsePins(f *testing.F) {
	f.Add([]byte(validPins))
	f.Add([]byte("BUSYBOX_VERSION := 1.0\nBUSYBOX_VERSION := 2.0\n"))
	f.Add([]byte("\tX := y\n# c\nY=z"))
	f.Fuzz(func(t *testing.T, file []byte) {
		pins, err := ParsePins("v.mk", file)
		if err != nil {
			return
		}
		lines := strings.Split(string(file), "\n")
		for _, name := range []string{KernelPin, BusyboxPin} {
			pin, err := pins.Pin(name)
			if err != nil {
				continue
			}
			for _, v := range []struct {
				value string
				pos   Pos
			}{{pin.Package, pin.PackagePos}, {pin.Version, pin.VersionPos}, {pin.SHA256, pin.SHA256Pos}} {
				line := lines[v.pos.Line-1]
				if !strings.HasPrefix(line[v.pos.Column-1:], v.value) {
					t.Fatalf("%s: line %q has no %q at column %d", v.pos, line, v.value, v.pos.Column)
				}
			}
		}
	})
}
