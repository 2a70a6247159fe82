package tests

import (
	"strings"
	"testing"
)

// TestQEMURunConfig goes from a YAML config to a running system the way a
// user does: tamavisor run CONFIG builds the image (table, device trees,
// guest images) with the real firmware and boots it; the firmware verifies
// the table and every image before it starts the cores. run exits 0 only
// when every expectation appeared in order.
func TestQEMURunConfig(t *testing.T) {
	// Two raw guests that spin at their entry ("b ."), padded so their
	// images differ in size and hash.
	files := map[string][]byte{}
	for name, size := range map[string]int{"ecu.bin": 0x3000, "monitor.bin": 0x1800} {
		files[name] = append(guestBlob(insnBranch), []byte(strings.Repeat(name, size/len(name)+1))[:size-4]...)
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
	out := bootConfig(t, config, files,
		`^tamavisor: partition table for qemu-virt: 2 partitions, 4 images verified \(SHA-256\)$`,
		`^tamavisor: partition "ecu": cores 2, 1 regions, 0 devices, on fault restart$`,
		`^tamavisor: partition "monitor": cores 3, 2 regions, 1 devices, on fault inject-abort$`,
		`^all cores up: 4$`,
		`^tamavisor: partition "(ecu|monitor)": vCPU 0 enters at 0x7[04]000000 on core [23]$`,
		`^tamavisor: partition "(ecu|monitor)": vCPU 0 enters at 0x7[04]000000 on core [23]$`,
	)
	if !strings.Contains(out, "tamavisor run: all 6 expectations met") {
		t.Errorf("output:\n%s", out)
	}
}
