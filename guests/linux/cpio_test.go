package linux

import (
	"bytes"
	"io/fs"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// goldenEntries and goldenArchive are one archive in both forms: the
// bytes are written out field by field from the newc format description
// (buffer-format.rst), not produced by the code under test.
var goldenEntries = []Entry{
	// Out of order on purpose: the writer sorts.
	{Path: "sh", Mode: fs.ModeSymlink | 0o777, Data: []byte("busybox")},
	{Path: "dev/console", Mode: fs.ModeDevice | fs.ModeCharDevice | 0o600, DeviceMajor: 5, DeviceMinor: 1},
	{Path: "dev", Mode: fs.ModeDir | 0o755},
	{Path: "hi", Mode: 0o644, Data: []byte("hi\n")},
}

var goldenArchive = strings.Join([]string{
	// magic  ino       mode      uid       gid       nlink     mtime     filesize  devmajor  devminor  rdevmajor rdevminor namesize  check
	"070701" + "00000001" + "000041ed" + "00000000" + "00000000" + "00000002" + "00000000" + "00000000" + "00000000" + "00000000" + "00000000" + "00000000" + "00000004" + "00000000",
	"dev\x00", "\x00\x00", // 110+4 bytes, padded to 116
	"070701" + "00000002" + "00002180" + "00000000" + "00000000" + "00000001" + "00000000" + "00000000" + "00000000" + "00000000" + "00000005" + "00000001" + "0000000c" + "00000000",
	"dev/console\x00", "\x00\x00", // 110+12 bytes, padded to 124
	"070701" + "00000003" + "000081a4" + "00000000" + "00000000" + "00000001" + "00000000" + "00000003" + "00000000" + "00000000" + "00000000" + "00000000" + "00000003" + "00000000",
	"hi\x00", "\x00\x00\x00", // 110+3 bytes, padded to 116
	"hi\n", "\x00", // 3 bytes of data, padded to 4
	"070701" + "00000004" + "0000a1ff" + "00000000" + "00000000" + "00000001" + "00000000" + "00000007" + "00000000" + "00000000" + "00000000" + "00000000" + "00000003" + "00000000",
	"sh\x00", "\x00\x00\x00",
	"busybox", "\x00",
	"070701" + "00000000" + "00000000" + "00000000" + "00000000" + "00000001" + "00000000" + "00000000" + "00000000" + "00000000" + "00000000" + "00000000" + "0000000b" + "00000000",
	"TRAILER!!!\x00", "\x00\x00\x00", // 110+11 bytes, padded to 124
}, "")

func TestWriteArchiveGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteArchive(&b, goldenEntries); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != goldenArchive {
		t.Errorf("archive differs from the golden bytes\n got %q\nwant %q", got, goldenArchive)
	}
}

func TestReadArchiveGolden(t *testing.T) {
	got, err := ReadArchive(strings.NewReader(goldenArchive))
	if err != nil {
		t.Fatal(err)
	}
	want := sortedEntries(goldenEntries)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadArchive =\n%+v\nwant\n%+v", got, want)
	}
}

func TestArchiveRoundTrip(t *testing.T) {
	entries := []Entry{
		{Path: "a", Mode: fs.ModeDir | 0o755},
		{Path: "a/b", Mode: fs.ModeDir | 0o700},
		{Path: "a/b/empty", Mode: 0o600},
		{Path: "a/b.txt", Mode: 0o644, Data: []byte("x")},
		{Path: "a/su", Mode: fs.ModeSetuid | fs.ModeSetgid | 0o755, Data: []byte("#!/bin/sh\n")},
		{Path: "a/vda", Mode: fs.ModeDevice | 0o660, DeviceMajor: 254, DeviceMinor: 0},
		{Path: "tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777},
		{Path: "z", Mode: fs.ModeSymlink | 0o777, Data: []byte("a/b.txt")},
	}
	var b bytes.Buffer
	if err := WriteArchive(&b, entries); err != nil {
		t.Fatal(err)
	}
	got, err := ReadArchive(&b)
	if err != nil {
		t.Fatal(err)
	}
	if want := sortedEntries(entries); !reflect.DeepEqual(got, want) {
		t.Errorf("round trip =\n%+v\nwant\n%+v", got, want)
	}
}

// The bytes depend on the set of entries only, not on their order.
func TestWriteArchiveDeterministic(t *testing.T) {
	var first bytes.Buffer
	if err := WriteArchive(&first, goldenEntries); err != nil {
		t.Fatal(err)
	}
	reversed := slices.Clone(goldenEntries)
	slices.Reverse(reversed)
	for _, order := range [][]Entry{reversed, sortedEntries(goldenEntries)} {
		var b bytes.Buffer
		if err := WriteArchive(&b, order); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b.Bytes(), first.Bytes()) {
			t.Errorf("archive of %v differs from archive of %v", paths(order), paths(goldenEntries))
		}
	}
}

func TestWriteArchiveErrors(t *testing.T) {
	dir := Entry{Path: "d", Mode: fs.ModeDir | 0o755}
	tests := []struct {
		name    string
		entries []Entry
		want    string
	}{
		{"absolute path", []Entry{{Path: "/init", Mode: 0o755}}, `cpio: invalid member path "/init"`},
		{"dot-dot", []Entry{dir, {Path: "d/../x", Mode: 0o644}}, `cpio: invalid member path "d/../x"`},
		{"root", []Entry{{Path: ".", Mode: fs.ModeDir | 0o755}}, `cpio: invalid member path "."`},
		{"trailer name", []Entry{{Path: "TRAILER!!!", Mode: 0o644}}, `cpio: invalid member path "TRAILER!!!"`},
		{"twice", []Entry{dir, dir}, "cpio: d: listed twice"},
		{"no parent", []Entry{{Path: "bin/sh", Mode: 0o755}}, "cpio: bin/sh: its directory bin is not in the archive"},
		{"parent is a file", []Entry{{Path: "d", Mode: 0o644}, {Path: "d/x", Mode: 0o644}}, "cpio: d/x: its directory d is not in the archive"},
		{"data on a directory", []Entry{{Path: "d", Mode: fs.ModeDir | 0o755, Data: []byte("x")}}, "cpio: d: only regular files and symbolic links have data"},
		{"empty link", []Entry{{Path: "l", Mode: fs.ModeSymlink | 0o777}}, "cpio: l: symbolic link without a target"},
		{"device numbers on a file", []Entry{{Path: "f", Mode: 0o644, DeviceMajor: 1}}, "cpio: f: device numbers on something that is not a device node"},
		{"socket", []Entry{{Path: "s", Mode: fs.ModeSocket | 0o777}}, "cpio: s: file mode Srwxrwxrwx: an initramfs holds only directories, regular files, symbolic links and device nodes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := WriteArchive(&b, tt.entries)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %v, want one starting %q", err, tt.want)
			}
		})
	}
}

func TestReadArchiveErrors(t *testing.T) {
	// golden's first member ends at 116; its second header starts there.
	const secondHeader = 116
	tests := []struct {
		name, archive, want string
	}{
		{"empty", "", "cpio: header at offset 0: unexpected EOF"},
		{"old binary format", "\xc7\x71" + goldenArchive[2:], `cpio: offset 0: magic "\xc7q0701", want "070701" (newc)`},
		{"crc format", "070702" + goldenArchive[6:], `cpio: offset 0: magic "070702"`},
		{"non-hex field", goldenArchive[:6] + "0000000g" + goldenArchive[14:], `cpio: offset 6: header field 0 "0000000g" is not 8 hex digits`},
		{"name without NUL", goldenArchive[:110] + "devX" + goldenArchive[114:], "cpio: offset 110: name is not one NUL-terminated string"},
		{"truncated name", goldenArchive[:112], "cpio: name at offset 110: unexpected EOF"},
		{"truncated data", goldenArchive[:strings.Index(goldenArchive, "hi\n")+1], "cpio: hi: data at offset"},
		{"no trailer", goldenArchive[:strings.Index(goldenArchive, "busybox")+8], "cpio: header at offset"},
		{"socket", goldenArchive[:secondHeader+14] + "0000c1ff" + goldenArchive[secondHeader+22:], "cpio: dev/console: unsupported file type 0140000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadArchive(strings.NewReader(tt.archive))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %v, want one starting %q", err, tt.want)
			}
		})
	}
}

// TestArchiveWithCpio lists the golden archive with GNU cpio, where it is
// installed, as an independent reader of the format.
func TestArchiveWithCpio(t *testing.T) {
	if _, err := exec.LookPath("cpio"); err != nil {
		t.Skip("cpio not installed (Debian package cpio); the format is still checked against golden bytes")
	}
	var b bytes.Buffer
	if err := WriteArchive(&b, goldenEntries); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("cpio", "-i", "-t", "--quiet")
	cmd.Stdin = &b
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cpio -t: %v", err)
	}
	got := strings.Fields(string(out))
	if want := paths(sortedEntries(goldenEntries)); !slices.Equal(got, want) {
		t.Errorf("cpio -t lists %v, want %v", got, want)
	}
}

func sortedEntries(entries []Entry) []Entry {
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	return sorted
}

func paths(entries []Entry) []string {
	var p []string
	for _, e := range entries {
		p = append(p, e.Path)
	}
	return p
}
