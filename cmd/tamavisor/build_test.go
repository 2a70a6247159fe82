package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/image"
)

// TestBuildDemoConfig builds the demo config with a hypervisor shaped like
// the real one and checks the image the way the firmware will.
func TestBuildDemoConfig(t *testing.T) {
	hypervisor, err := filepath.Abs("../../image/testdata/hypervisor.elf")
	if err != nil {
		t.Fatal(err)
	}
	demoFixture(t)
	var stdout, stderr bytes.Buffer
	status := dispatch([]string{"build", "configs/qemu-virt.yaml", "-o", "demo.elf", "-hypervisor", hypervisor}, &stdout, &stderr)
	if status != 0 {
		t.Fatalf("exit status %d; stderr:\n%s", status, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "demo.elf: 3 partitions, 7 guest images, partition table and images ") ||
		!strings.HasSuffix(stdout.String(), " at 0x48000000\n") {
		t.Errorf("stdout %q", stdout.String())
	}
	data, err := os.ReadFile("demo.elf")
	if err != nil {
		t.Fatal(err)
	}
	img, err := image.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i := 0; i < img.Table.NumPartitions(); i++ {
		names = append(names, img.Table.Partition(i).Name.String())
	}
	if got := strings.Join(names, ","); got != "infotainment,ecu,test" {
		t.Errorf("partitions %s", got)
	}
	for _, c := range img.VerifyImages() {
		if c.Err != nil {
			t.Errorf("image %d: %v", c.Index, c.Err)
		}
	}
	if err := img.CheckBoard(qemuvirt.Board); err != nil {
		t.Errorf("the firmware's board check refuses the image: %v", err)
	}
}

// TestBuildArm64Image writes the image as an arm64 Image as well: the same
// memory as the ELF loads, from the RAM base plus text_offset.
func TestBuildArm64Image(t *testing.T) {
	hypervisor, err := filepath.Abs("../../image/testdata/hypervisor.elf")
	if err != nil {
		t.Fatal(err)
	}
	demoFixture(t)
	var stdout, stderr bytes.Buffer
	status := dispatch([]string{"build", "configs/qemu-virt.yaml", "-o", "demo.elf", "-image", "demo.Image", "-hypervisor", hypervisor}, &stdout, &stderr)
	if status != 0 {
		t.Fatalf("exit status %d; stderr:\n%s", status, stderr.String())
	}
	elfBytes, err := os.ReadFile("demo.elf")
	if err != nil {
		t.Fatal(err)
	}
	want, err := image.Arm64Image(elfBytes, qemuvirt.RAMBase)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("demo.Image")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("demo.Image (%d bytes) is not the image as an arm64 Image (%d bytes)", len(got), len(want))
	}
	if !strings.Contains(stdout.String(), "demo.Image: the same as an arm64 Image, ") || !strings.HasSuffix(stdout.String(), " from 0x4020f000\n") {
		t.Errorf("stdout %q", stdout.String())
	}
}

func TestBuildErrors(t *testing.T) {
	demoFixture(t)
	for _, tc := range []struct {
		name   string
		args   []string
		status int
		stderr string
	}{
		{"no hypervisor", []string{"build", "configs/qemu-virt.yaml", "-o", "x.elf", "-hypervisor", "missing.elf"}, 1,
			"tamavisor build: hypervisor missing.elf not found: build it with make firmware, or name it with -hypervisor\n"},
		{"no output", []string{"build", "configs/qemu-virt.yaml"}, 2, "usage: tamavisor build"},
		{"bad config", []string{"build", "nope.yaml", "-o", "x.elf"}, 1, "tamavisor build: open nope.yaml: no such file or directory\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if status := dispatch(tc.args, &stdout, &stderr); status != tc.status {
				t.Errorf("exit status %d, want %d", status, tc.status)
			}
			if !strings.HasPrefix(stderr.String(), tc.stderr) {
				t.Errorf("stderr %q, want prefix %q", stderr.String(), tc.stderr)
			}
			if _, err := os.Stat("x.elf"); err == nil {
				t.Error("an image was written despite the error")
			}
		})
	}
	// A config error is reported with its position, and nothing is built.
	text, _ := os.ReadFile("configs/qemu-virt.yaml")
	os.WriteFile("configs/bad.yaml", bytes.Replace(text, []byte("cpus: [2]"), []byte("cpus: [1]"), 1), 0o644)
	var stdout, stderr bytes.Buffer
	if status := dispatch([]string{"build", "configs/bad.yaml", "-o", "x.elf"}, &stdout, &stderr); status != 1 {
		t.Errorf("exit status %d", status)
	}
	if !strings.Contains(stderr.String(), `configs/bad.yaml:`) || !strings.Contains(stderr.String(), `core 1 is also given to partition "infotainment"`) {
		t.Errorf("stderr %q", stderr.String())
	}
}
