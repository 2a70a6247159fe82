package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestQEMURunConfig goes from a YAML config to a running system the way a
// user does: tamavisor run CONFIG builds the image (table, device trees,
// guest images) with the real firmware and boots it; the firmware verifies
// the table and every image before it starts the cores. run exits 0 only
// when every expectation appeared in order.
func TestQEMURunConfig(t *testing.T) {
	requireQEMUTools(t)
	firmwarePath := firmware(t, "")
	dir := t.TempDir()
	cli := filepath.Join(dir, "tamavisor")
	if out, err := exec.Command("go", "build", "-o", cli, "../cmd/tamavisor").CombinedOutput(); err != nil {
		t.Fatalf("building tamavisor: %v\n%s", err, out)
	}
	// Two raw guests that spin at their entry ("b ."), padded so their
	// images differ in size and hash.
	spin := []byte{0x00, 0x00, 0x00, 0x14}
	for name, size := range map[string]int{"ecu.bin": 0x3000, "monitor.bin": 0x1800} {
		blob := append(append([]byte{}, spin...), []byte(strings.Repeat(name, size/len(name)+1))[:size-4]...)
		if err := os.WriteFile(filepath.Join(dir, name), blob, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	config := `board: qemu-virt
hypervisor:
  memory: {base: 0x40000000, size: 256MiB}
partitions:
  - name: ecu
    cpus: [2]
    memory: [{base: 0x70000000, size: 64MiB}]
    kernel: {format: raw, image: ecu.bin}
    on_fault: restart
  - name: monitor
    cpus: [3]
    memory: [{base: 0x74000000, size: 16MiB}]
    devices: [rtc]
    kernel: {format: raw, image: monitor.bin}
`
	configPath := filepath.Join(dir, "system.yaml")
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(cli, "run", "-hypervisor", firmwarePath, "-timeout", "60s",
		"-expect", `^tamavisor: partition table for qemu-virt: 2 partitions, 4 images verified \(SHA-256\)$`,
		"-expect", `^tamavisor: partition "ecu": cores 2, 1 regions, 0 devices, on fault restart$`,
		"-expect", `^tamavisor: partition "monitor": cores 3, 2 regions, 1 devices, on fault inject-abort$`,
		"-expect", `^all cores up: 4$`,
		"-expect", `^tamavisor: partition "(ecu|monitor)": vCPU 0 enters at 0x7[04]000000 on core [23]$`,
		"-expect", `^tamavisor: partition "(ecu|monitor)": vCPU 0 enters at 0x7[04]000000 on core [23]$`,
		configPath)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tamavisor run: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "tamavisor run: all 6 expectations met") {
		t.Errorf("output:\n%s", out)
	}
}
