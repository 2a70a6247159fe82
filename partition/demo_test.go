package partition

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// demoConfig is the demo system's config, relative to this package.
const demoConfig = "../configs/qemu-virt.yaml"

// demoDir lays out a directory the way the build does: the config in
// configs/, fixture guest images where the config expects the built ones.
// It returns the config's text and makes the directory the working one.
func demoDir(t *testing.T) string {
	t.Helper()
	text, err := os.ReadFile(demoConfig)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	writeFiles(t, dir, map[string][]byte{
		"build/guests/Image":             linuxImage(0, 40*MiB, 64*int(KiB)),
		"build/guests/initramfs.cpio.gz": {0x1f, 0x8b, 0x08, 0x00},
		"build/guests/ecu.elf":           elfImage{entry: 0x70000000, segments: []elfSegment{{0x70000000, 0x2000, 0x10000}}}.bytes(),
		"build/guests/attack.elf":        elfImage{entry: 0x74000000, segments: []elfSegment{{0x74000000, 0x2000, 0x10000}}}.bytes(),
	})
	return string(text)
}

func TestDemoConfigIsValid(t *testing.T) {
	text := demoDir(t)
	writeFiles(t, ".", map[string][]byte{"configs/qemu-virt.yaml": []byte(text)})
	c, err := Load("configs/qemu-virt.yaml")
	if err != nil {
		t.Fatalf("the demo config does not validate:\n%v", err)
	}
	// What the demo system must be (see the project's demo description).
	want := []string{
		"infotainment: cores 0,1; memory 0x50000000+512MiB; devices none; kernel linux ../build/guests/Image; console virtual; on_fault abort",
		"ecu: cores 2; memory 0x70000000+64MiB; devices none; kernel elf ../build/guests/ecu.elf; console virtual; on_fault restart",
		"test: cores 3; memory 0x74000000+16MiB; devices gpio; kernel elf ../build/guests/attack.elf; console virtual; on_fault abort",
	}
	var got []string
	for _, p := range c.Partitions {
		got = append(got, p.Summary())
	}
	if !slices.Equal(got, want) {
		t.Errorf("partitions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	infotainment := c.Partitions[0].Kernel
	if infotainment.Initrd.Path != "../build/guests/initramfs.cpio.gz" || infotainment.Bootargs != "console=ttyAMA0 earlycon" {
		t.Errorf("infotainment initrd %q, bootargs %q", infotainment.Initrd.Path, infotainment.Bootargs)
	}
	if len(c.Channels) != 1 {
		t.Fatalf("%d channels, want 1", len(c.Channels))
	}
	ch := c.Channels[0]
	gotChannel := fmt.Sprintf("%s %s", ch.Name, ch.Range)
	for _, m := range ch.Members {
		gotChannel += fmt.Sprintf(" %s:%s", m.Partition, m.Access)
	}
	if wantChannel := "vehicle-data 0x75000000+64KiB ecu:rw infotainment:ro"; gotChannel != wantChannel {
		t.Errorf("channel %q, want %q", gotChannel, wantChannel)
	}
}

// TestDemoConfigBroken breaks a copy of the demo config in several places
// and checks each problem is reported where the edit put it. Positions
// are found in the edited text: line names a text unique in the file, at
// a text on that line the column points to (the line's first non-blank
// by default); {line:X} in a message is the line number of text X.
func TestDemoConfigBroken(t *testing.T) {
	text := demoDir(t)
	edits := []struct{ old, new string }{
		{"size: 512MiB", "size: 640MiB"},
		{"cpus: [2]", "cpus: [1]"},
		{"image: ../build/guests/ecu.elf", "image: ../build/guests/ecu-missing.elf"},
		{"on_fault: restart", "on_fault: reboot"},
		{"    devices: [gpio]\n", "    devices: [gicd]\n"},
		{"access: ro", "access: wo"},
	}
	for _, e := range edits {
		if n := strings.Count(text, e.old); n != 1 {
			t.Fatalf("%q occurs %d times in the demo config; the test needs it once", e.old, n)
		}
		text = strings.Replace(text, e.old, e.new, 1)
	}
	want := []struct{ line, at, message string }{
		{"cpus: [1]", "1", `partition "ecu": core 1 is also given to partition "infotainment" (line {line:cpus: [0, 1]}); a core runs one partition: remove it from one of them`},
		{"base: 0x70000000", "base", `partition "ecu": memory 0x70000000+64MiB overlaps memory 0x50000000+640MiB of partition "infotainment" (line {line:base: 0x50000000}); move or shrink one of them`},
		{"ecu-missing.elf", "../", `partition "ecu": kernel image "../build/guests/ecu-missing.elf" does not exist (looked for "build/guests/ecu-missing.elf"); build it first, or correct the path, which is relative to the config file's directory`},
		{"on_fault: reboot", "reboot", `partition "ecu": on_fault "reboot" is not valid; use one of abort, stop, restart`},
		{"base: 0x74000000", "base", `partition "test": memory 0x74000000+16MiB overlaps memory 0x50000000+640MiB of partition "infotainment" (line {line:base: 0x50000000}); move or shrink one of them`},
		{"devices: [gicd]", "gicd", `partition "test": device "gicd" is part of the interrupt controller, which the hypervisor owns (guests get a virtual GIC); remove it: no guest may have it`},
		{"name: vehicle-data", "name", `channel "vehicle-data": memory 0x75000000+64KiB overlaps memory 0x50000000+640MiB of partition "infotainment" (line {line:base: 0x50000000}); move or shrink one of them`},
		{"access: wo", "wo", `channel "vehicle-data": access "wo" is not valid; use one of rw, ro`},
	}

	lines := strings.Split(text, "\n")
	lineOfText := func(s string) int {
		found := 0
		for i, l := range lines {
			if strings.Contains(l, s) {
				if found != 0 {
					t.Fatalf("%q is on more than one line", s)
				}
				found = i + 1
			}
		}
		if found == 0 {
			t.Fatalf("%q is not in the edited config", s)
		}
		return found
	}
	lineRef := regexp.MustCompile(`\{line:([^}]*)\}`)
	var wantLines []string
	for _, w := range want {
		line := lineOfText(w.line)
		column := strings.Index(lines[line-1], w.at) + 1
		message := lineRef.ReplaceAllStringFunc(w.message, func(ref string) string {
			return strconv.Itoa(lineOfText(lineRef.FindStringSubmatch(ref)[1]))
		})
		wantLines = append(wantLines, fmt.Sprintf("configs/qemu-virt.yaml:%d:%d: %s", line, column, message))
	}

	writeFiles(t, ".", map[string][]byte{"configs/qemu-virt.yaml": []byte(text)})
	_, err := Load(filepath.Join("configs", "qemu-virt.yaml"))
	if got := errorLines(t, err); !slices.Equal(got, wantLines) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLines, "\n"))
	}
}

// TestDocsExampleIsValid keeps the complete example of docs/config.md
// (its first yaml block) valid.
func TestDocsExampleIsValid(t *testing.T) {
	doc, err := os.ReadFile("../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, found := strings.Cut(string(doc), "```yaml\n")
	example, _, closed := strings.Cut(rest, "```")
	if !found || !closed {
		t.Fatal("docs/config.md has no yaml block")
	}
	demoDir(t)
	writeFiles(t, ".", map[string][]byte{"configs/example.yaml": []byte(example)})
	if _, err := Load("configs/example.yaml"); err != nil {
		t.Errorf("the example in docs/config.md does not validate:\n%v", err)
	}
}
