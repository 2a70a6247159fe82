package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	files := map[string]string{
		"guest.bin": strings.Repeat("\x00", 4096),
		"good.yaml": `board: qemu-virt
partitions:
  - name: ecu
    cpus: [2]
    memory: [{base: 0x70000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
    on_fault: restart
  - name: gateway
    cpus: [0, 1]
    memory: [{base: 0x50000000, size: 256MiB}]
    devices: [rtc]
    kernel: {format: raw, image: guest.bin}
`,
		"dma.yaml": `board: qemu-virt
partitions:
  - name: gateway
    cpus: [0]
    memory: [{base: 0x50000000, size: 256MiB}]
    devices: [pcie]
    kernel: {format: raw, image: guest.bin}
`,
		"bad.yaml": `board: qemu-virt
partitions:
  - name: ecu
    cpus: [2, 4]
    memory: [{base: 0x70000000, size: 64MiB}]
    kernel: {format: raw, image: missing.bin}
    on_fault: reboot
`,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name       string
		args       []string
		wantStatus int
		wantStdout string
		// wantStderr is the whole of stderr, or with wantStderrPrefix
		// set, its beginning.
		wantStderr       string
		wantStderrPrefix bool
	}{{
		name:       "valid config",
		args:       []string{"good.yaml"},
		wantStatus: 0,
		wantStdout: "good.yaml: ok\n" +
			"  ecu: cores 2; memory 0x70000000+64MiB; devices none; kernel raw guest.bin; console virtual; on_fault restart\n" +
			"  gateway: cores 0,1; memory 0x50000000+256MiB; devices rtc; kernel raw guest.bin; console virtual; on_fault abort\n",
	}, {
		name:       "valid, with a warning",
		args:       []string{"dma.yaml"},
		wantStatus: 0,
		wantStdout: "dma.yaml: ok\n" +
			"  gateway: cores 0; memory 0x50000000+256MiB; devices pcie; kernel raw guest.bin; console virtual; on_fault abort\n",
		wantStderr: `dma.yaml:6:15: warning: partition "gateway": device "pcie" can do DMA, but has no stream_ids: every DMA of the devices behind it aborts; ` +
			`give the requester IDs (bus << 8 | device << 3 | function) of the PCI devices the partition drives: {name: pcie, stream_ids: [0x10]} for 00:02.0` + "\n",
	}, {
		name:       "every problem, one per line",
		args:       []string{"bad.yaml"},
		wantStatus: 1,
		wantStderr: `bad.yaml:4:15: partition "ecu": core 4 does not exist on board "qemu-virt"; use one of its cores 0-3` + "\n" +
			`bad.yaml:6:34: partition "ecu": kernel image "missing.bin" does not exist; build it first, or correct the path, which is relative to the config file's directory` + "\n" +
			`bad.yaml:7:15: partition "ecu": on_fault "reboot" is not valid; use one of abort, stop, restart` + "\n",
	}, {
		name:       "a config that cannot be read",
		args:       []string{"nope.yaml"},
		wantStatus: 1,
		wantStderr: "tamavisor check: open nope.yaml: no such file or directory\n",
	}, {
		name:             "no config",
		args:             nil,
		wantStatus:       2,
		wantStderr:       "usage: tamavisor check CONFIG\n",
		wantStderrPrefix: true,
	}, {
		name:             "two configs",
		args:             []string{"good.yaml", "bad.yaml"},
		wantStatus:       2,
		wantStderr:       "usage: tamavisor check CONFIG\n",
		wantStderrPrefix: true,
	}, {
		name:             "unknown flag",
		args:             []string{"-strict", "good.yaml"},
		wantStatus:       2,
		wantStderr:       "flag provided but not defined: -strict\nusage: tamavisor check CONFIG\n",
		wantStderrPrefix: true,
	}, {
		name:             "help",
		args:             []string{"-h"},
		wantStatus:       0,
		wantStderr:       "usage: tamavisor check CONFIG\n",
		wantStderrPrefix: true,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := dispatch(append([]string{"check"}, tc.args...), &stdout, &stderr)
			if status != tc.wantStatus {
				t.Errorf("exit status %d, want %d", status, tc.wantStatus)
			}
			if stdout.String() != tc.wantStdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", stdout.String(), tc.wantStdout)
			}
			gotStderr := stderr.String()
			if tc.wantStderrPrefix && strings.HasPrefix(gotStderr, tc.wantStderr) {
				gotStderr = tc.wantStderr
			}
			if gotStderr != tc.wantStderr {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), tc.wantStderr)
			}
		})
	}
}

// TestCheckIMX8MPEVK checks a config for the NXP board: its devices by
// name, RAM in both banks, and stream IDs refused because the SoC has no
// SMMU.
func TestCheckIMX8MPEVK(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	files := map[string]string{
		"guest.bin": strings.Repeat("\x00", 4096),
		"evk.yaml": `board: imx8mp-evk
partitions:
  - name: ecu
    cpus: [3]
    memory: [{base: 0x50000000, size: 64MiB}]
    devices: [can1, uart3]
    kernel: {format: raw, image: guest.bin}
    console: uart3
    on_fault: restart
  - name: gateway
    cpus: [0, 1, 2]
    memory:
      - {base: 0x60000000, size: 1GiB}
      - {base: 0x100000000, size: 2GiB}
    devices: [fec, eqos, usdhc2, snvs, gpio1, i2c3]
    kernel: {format: raw, image: guest.bin}
`,
		"dma.yaml": `board: imx8mp-evk
partitions:
  - name: ecu
    cpus: [3]
    memory: [{base: 0x50000000, size: 64MiB}]
    devices:
      - can1
      - {name: sdma, mmio: [{base: 0x30bd0000, size: 64KiB}], interrupts: [34], stream_ids: [3, 4]}
      - uart2
    kernel: {format: raw, image: guest.bin}
`,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		config     string
		wantStatus int
		wantStdout string
		wantStderr string
	}{{
		config:     "evk.yaml",
		wantStatus: 0,
		wantStdout: "evk.yaml: ok\n" +
			"  ecu: cores 3; memory 0x50000000+64MiB; devices can1,uart3; kernel raw guest.bin; console uart3; on_fault restart\n" +
			"  gateway: cores 0,1,2; memory 0x60000000+1GiB, 0x100000000+2GiB; devices fec,eqos,usdhc2,snvs,gpio1,i2c3; kernel raw guest.bin; console virtual; on_fault abort\n",
	}, {
		config:     "dma.yaml",
		wantStatus: 1,
		wantStderr: `dma.yaml:8:94: partition "ecu": device "sdma" has stream_ids, but board "imx8mp-evk" has no SMMU to translate them; remove stream_ids: without an SMMU no stream ID confines the device's DMA, which reaches all memory` + "\n" +
			`dma.yaml:9:9: partition "ecu": device "uart2" is the hypervisor's console; remove it and give the partition console: virtual, or choose another UART for hypervisor.console` + "\n",
	}}
	for _, tc := range tests {
		t.Run(tc.config, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := dispatch([]string{"check", tc.config}, &stdout, &stderr)
			if status != tc.wantStatus {
				t.Errorf("exit status %d, want %d", status, tc.wantStatus)
			}
			if stdout.String() != tc.wantStdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", stdout.String(), tc.wantStdout)
			}
			if stderr.String() != tc.wantStderr {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), tc.wantStderr)
			}
		})
	}
}

// TestCheckDemoConfig runs check on the demo config with stand-ins for the
// guest images the build produces.
func TestCheckDemoConfig(t *testing.T) {
	demoFixture(t)
	var stdout, stderr bytes.Buffer
	if status := dispatch([]string{"check", "configs/qemu-virt.yaml"}, &stdout, &stderr); status != 0 {
		t.Fatalf("exit status %d; stderr:\n%s", status, stderr.String())
	}
	if first, _, _ := strings.Cut(stdout.String(), "\n"); first != "configs/qemu-virt.yaml: ok" {
		t.Errorf("first line %q", first)
	}
	if lines := strings.Count(stdout.String(), "\n"); lines != 4 {
		t.Errorf("%d lines, want 4 (ok and three partitions):\n%s", lines, stdout.String())
	}
}

// demoFixture changes into a temporary directory holding the demo config
// at configs/qemu-virt.yaml and stand-ins for its guest images at the
// paths the build produces them.
func demoFixture(t *testing.T) {
	t.Helper()
	text, err := os.ReadFile("../../configs/qemu-virt.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	image := make([]byte, 4096)
	copy(image[56:], "ARM\x64") // arm64 Image magic; text_offset and image_size 0
	files := map[string][]byte{
		"configs/qemu-virt.yaml":         text,
		"build/guests/Image":             image,
		"build/guests/initramfs.cpio.gz": {0x1f, 0x8b},
		"build/guests/ecu.elf":           minimalELF(0x70000000),
		"build/guests/attack.elf":        minimalELF(0x74000000),
	}
	for name, data := range files {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// minimalELF returns an AArch64 executable with one 4 KiB PT_LOAD segment
// at addr, entered there (System V ABI, "ELF Header", "Program Header").
func minimalELF(addr uint64) []byte {
	const headerSize, progSize, fileSize = 64, 56, 4096
	b := make([]byte, fileSize)
	copy(b, "\x7fELF\x02\x01\x01") // ELFCLASS64, ELFDATA2LSB, EV_CURRENT
	le := binary.LittleEndian
	le.PutUint16(b[16:], 2)   // e_type ET_EXEC
	le.PutUint16(b[18:], 183) // e_machine EM_AARCH64
	le.PutUint32(b[20:], 1)   // e_version
	le.PutUint64(b[24:], addr)
	le.PutUint64(b[32:], headerSize) // e_phoff
	le.PutUint16(b[52:], headerSize) // e_ehsize
	le.PutUint16(b[54:], progSize)   // e_phentsize
	le.PutUint16(b[56:], 1)          // e_phnum
	p := b[headerSize:]
	le.PutUint32(p[0:], 1)         // p_type PT_LOAD
	le.PutUint32(p[4:], 5)         // p_flags R|X
	le.PutUint64(p[8:], 0)         // p_offset
	le.PutUint64(p[16:], addr)     // p_vaddr
	le.PutUint64(p[24:], addr)     // p_paddr
	le.PutUint64(p[32:], fileSize) // p_filesz
	le.PutUint64(p[40:], fileSize) // p_memsz
	le.PutUint64(p[48:], 0x1000)   // p_align
	return b
}
