package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLayout(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	files := map[string]string{
		"guest.bin": strings.Repeat("\x00", 4096),
		"good.yaml": `board: qemu-virt
partitions:
  - name: ecu
    cpus: [2]
    memory: [{base: 0x68000000, size: 64MiB}]
    devices: [rtc]
    kernel: {format: raw, image: guest.bin}
`,
		"bad.yaml": `board: qemu-virt
partitions:
  - name: ecu
    cpus: [2, 4]
    memory: [{base: 0x68000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
`,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const usage = "usage: tamavisor layout CONFIG -o FILE\n"
	tests := []struct {
		name       string
		args       []string
		wantStatus int
		// wantFile is the file that must then hold the drawing, "-"
		// for stdout, "" for none.
		wantFile string
		// wantNoFile is a file that must not exist afterwards.
		wantNoFile string
		// wantStderr is the whole of stderr, or with wantStderrPrefix
		// set, its beginning.
		wantStderr       string
		wantStderrPrefix bool
	}{{
		name:     "output after the config",
		args:     []string{"good.yaml", "-o", "good.svg"},
		wantFile: "good.svg",
	}, {
		name:     "output before the config",
		args:     []string{"-o=first.svg", "good.yaml"},
		wantFile: "first.svg",
	}, {
		name:     "standard output",
		args:     []string{"good.yaml", "-o", "-"},
		wantFile: "-",
	}, {
		name:       "invalid config: its problems as check reports them",
		args:       []string{"bad.yaml", "-o", "bad.svg"},
		wantStatus: 1,
		wantNoFile: "bad.svg",
		wantStderr: `bad.yaml:4:15: partition "ecu": core 4 does not exist on board "qemu-virt"; use one of its cores 0-3` + "\n",
	}, {
		name:       "a config that cannot be read",
		args:       []string{"nope.yaml", "-o", "nope.svg"},
		wantStatus: 1,
		wantStderr: "tamavisor layout: open nope.yaml: no such file or directory\n",
	}, {
		name:       "an output that cannot be written",
		args:       []string{"good.yaml", "-o", "missing/dir/good.svg"},
		wantStatus: 1,
		wantStderr: "tamavisor layout: open missing/dir/good.svg: no such file or directory\n",
	}, {
		name:             "no output named",
		args:             []string{"good.yaml"},
		wantStatus:       2,
		wantStderr:       usage,
		wantStderrPrefix: true,
	}, {
		name:             "no config",
		args:             []string{"-o", "x.svg"},
		wantStatus:       2,
		wantStderr:       usage,
		wantStderrPrefix: true,
	}, {
		name:             "two configs",
		args:             []string{"good.yaml", "bad.yaml", "-o", "x.svg"},
		wantStatus:       2,
		wantStderr:       usage,
		wantStderrPrefix: true,
	}, {
		name:             "after --, a flag is a file name",
		args:             []string{"-o", "x.svg", "--", "good.yaml", "-o"},
		wantStatus:       2,
		wantStderr:       usage,
		wantStderrPrefix: true,
	}, {
		name:             "unknown flag",
		args:             []string{"good.yaml", "-width", "800", "-o", "x.svg"},
		wantStatus:       2,
		wantStderr:       "flag provided but not defined: -width\n" + usage,
		wantStderrPrefix: true,
	}, {
		name:             "help",
		args:             []string{"-h"},
		wantStderr:       usage,
		wantStderrPrefix: true,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := dispatch(append([]string{"layout"}, tc.args...), &stdout, &stderr)
			if status != tc.wantStatus {
				t.Errorf("exit status %d, want %d", status, tc.wantStatus)
			}
			gotStderr := stderr.String()
			if tc.wantStderrPrefix && strings.HasPrefix(gotStderr, tc.wantStderr) {
				gotStderr = tc.wantStderr
			}
			if gotStderr != tc.wantStderr {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), tc.wantStderr)
			}
			if _, err := os.Stat(tc.wantNoFile); tc.wantNoFile != "" && !os.IsNotExist(err) {
				t.Errorf("%s exists (%v), want no file", tc.wantNoFile, err)
			}
			drawing := stdout.Bytes()
			switch tc.wantFile {
			case "":
				if stdout.Len() > 0 {
					t.Errorf("stdout %q, want nothing", stdout.String())
				}
				return
			case "-":
			default:
				if stdout.Len() > 0 {
					t.Errorf("stdout %q, want nothing", stdout.String())
				}
				var err error
				if drawing, err = os.ReadFile(tc.wantFile); err != nil {
					t.Fatal(err)
				}
			}
			// The drawing itself is the layout package's to test; here,
			// that it is the config's.
			for _, want := range []string{"<svg ", "Tamavisor layout: good.yaml", ">ecu<", ">rtc<", "</svg>"} {
				if !bytes.Contains(drawing, []byte(want)) {
					t.Errorf("the drawing lacks %q", want)
				}
			}
		})
	}
}
