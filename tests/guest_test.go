package tests

import (
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/qemu"
)

// AArch64 instructions for tiny raw guests (DDI 0487 C6.2).
const (
	insnHVC0   = 0xd400_0002 // hvc #0
	insnBranch = 0x1400_0000 // b .
)

// movz returns MOVZ Xd, #imm16, LSL #shift.
func movz(d int, imm uint16, shift int) uint32 {
	return 0xd280_0000 | uint32(shift/16)<<21 | uint32(imm)<<5 | uint32(d)
}

// movk returns MOVK Xd, #imm16, LSL #shift.
func movk(d int, imm uint16, shift int) uint32 {
	return 0xf280_0000 | uint32(shift/16)<<21 | uint32(imm)<<5 | uint32(d)
}

// ldr returns LDR Xt, [Xn].
func ldr(t, n int) uint32 { return 0xf940_0000 | uint32(n)<<5 | uint32(t) }

func guestBlob(insns ...uint32) []byte {
	b := make([]byte, 4*len(insns))
	for i, in := range insns {
		binary.LittleEndian.PutUint32(b[4*i:], in)
	}
	return b
}

// bootConfig builds tamavisor and runs config (with its guest files) under
// QEMU until every expectation appeared in order, and returns what it
// printed.
func bootConfig(t *testing.T, config string, files map[string][]byte, expect ...string) string {
	return bootConfigAny(t, config, files, nil, expect...)
}

// buildConfig builds tamavisor and an image of config with its guest
// files, and returns the image's path.
func buildConfig(t *testing.T, config string, files map[string][]byte) string {
	t.Helper()
	requireQEMUTools(t)
	firmwarePath := firmware(t, "")
	dir := t.TempDir()
	cli := filepath.Join(dir, "tamavisor")
	if out, err := exec.Command("go", "build", "-o", cli, "../cmd/tamavisor").CombinedOutput(); err != nil {
		t.Fatalf("building tamavisor: %v\n%s", err, out)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	configPath := filepath.Join(dir, "system.yaml")
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "image.elf")
	if out, err := exec.Command(cli, "build", "-hypervisor", firmwarePath, "-o", img, configPath).CombinedOutput(); err != nil {
		t.Fatalf("tamavisor build: %v\n%s", err, out)
	}
	return img
}

// bootConfigAny is bootConfig with expectations that may match in any
// order besides the ordered ones.
func bootConfigAny(t *testing.T, config string, files map[string][]byte, anyOrder []string, expect ...string) string {
	t.Helper()
	requireQEMUTools(t)
	firmwarePath := firmware(t, "")
	dir := t.TempDir()
	cli := filepath.Join(dir, "tamavisor")
	if out, err := exec.Command("go", "build", "-o", cli, "../cmd/tamavisor").CombinedOutput(); err != nil {
		t.Fatalf("building tamavisor: %v\n%s", err, out)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	configPath := filepath.Join(dir, "system.yaml")
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"run", "-hypervisor", firmwarePath, "-timeout", "60s"}
	for _, e := range expect {
		args = append(args, "-expect", e)
	}
	for _, e := range anyOrder {
		args = append(args, "-expect-any", e)
	}
	out, err := exec.Command(cli, append(args, configPath)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s\ntamavisor run: %v", out, err)
	}
	return string(out)
}

// TestQEMUGuestIsolationAndPolicies runs three raw guests side by side:
// one reads the hypervisor's memory and is restarted by its on_fault
// policy, again and again; one reads another partition's RAM and is
// stopped by its policy; one powers itself off with PSCI SYSTEM_OFF. Each
// outcome touches only its own partition.
func TestQEMUGuestIsolationAndPolicies(t *testing.T) {
	config := `board: qemu-virt
hypervisor:
  memory: {base: 0x40000000, size: 256MiB}
partitions:
  - name: intruder
    cpus: [2]
    memory: [{base: 0x70000000, size: 64MiB}]
    kernel: {format: raw, image: intruder.bin}
    on_fault: restart
  - name: quitter
    cpus: [3]
    memory: [{base: 0x74000000, size: 16MiB}]
    kernel: {format: raw, image: quitter.bin}
  - name: stopper
    cpus: [1]
    memory: [{base: 0x78000000, size: 16MiB}]
    kernel: {format: raw, image: stopper.bin}
    on_fault: stop
`
	files := map[string][]byte{
		// x0 = 0x40000000 (the hypervisor's memory); ldr x1, [x0]
		"intruder.bin": guestBlob(movz(0, 0x4000, 16), ldr(1, 0), insnBranch),
		// x0 = 0x84000008 (PSCI SYSTEM_OFF); hvc #0
		"quitter.bin": guestBlob(movz(0, 0x0008, 0), movk(0, 0x8400, 16), insnHVC0, insnBranch),
		// x0 = 0x70000000 (the intruder's RAM); ldr x1, [x0]
		"stopper.bin": guestBlob(movz(0, 0x7000, 16), ldr(1, 0), insnBranch),
	}
	bootConfigAny(t, config, files, []string{
		`^tamavisor: partition "stopper": vCPU 0: Data Abort .* at IPA 0x70000000 \(pc 0x78000004\): partition stopped$`,
		`^tamavisor: partition "stopper": stopped$`,
		`^tamavisor: partition "quitter": stopped \(SYSTEM_OFF\)$`,
	},
		`^all cores up: 4$`,
		// The intruder faults, is restarted and faults again, forever,
		// whatever the quitter did.
		`^tamavisor: partition "intruder": vCPU 0: Data Abort from a lower Exception level \(translation fault, level 2\) at IPA 0x40000000 \(pc 0x70000004\): partition restarted$`,
		`^tamavisor: partition "intruder": vCPU 0 enters at 0x70000000 on core 2$`,
		`^tamavisor: partition "intruder": vCPU 0: Data Abort .* at IPA 0x40000000 \(pc 0x70000004\): partition restarted$`,
	)
}

// movzw returns MOVZ Wd, #imm16.
func movzw(d int, imm uint16) uint32 { return 0x5280_0000 | uint32(imm)<<5 | uint32(d) }

// strw returns STR Wt, [Xn].
func strw(t, n int) uint32 { return 0xb900_0000 | uint32(n)<<5 | uint32(t) }

// printer is a raw guest that writes text, line by line, to the virtual
// PL011's data register at 0x09000000, repeat times, then spins.
func printer(text string, repeat int) []byte {
	insns := []uint32{movz(1, 0x0900, 16)}
	for r := 0; r < repeat; r++ {
		for _, c := range []byte(text) {
			insns = append(insns, movzw(2, uint16(c)), strw(2, 1))
		}
	}
	return guestBlob(append(insns, insnBranch)...)
}

// TestQEMUVirtualConsole: two guests print at the same time through their
// virtual PL011s; every line reaches the terminal whole, prefixed with
// its partition's name.
func TestQEMUVirtualConsole(t *testing.T) {
	config := `board: qemu-virt
hypervisor:
  memory: {base: 0x40000000, size: 256MiB}
partitions:
  - name: left
    cpus: [2]
    memory: [{base: 0x70000000, size: 64MiB}]
    kernel: {format: raw, image: left.bin}
  - name: right
    cpus: [3]
    memory: [{base: 0x74000000, size: 16MiB}]
    kernel: {format: raw, image: right.bin}
`
	files := map[string][]byte{
		"left.bin":  printer("left partition speaking, one whole line\n", 20),
		"right.bin": printer("right partition speaking, another whole line\n", 20),
	}
	var expect []string
	expect = append(expect, `^tamavisor: console input goes to \[left\]`)
	for i := 0; i < 20; i++ {
		expect = append(expect, `^\[(left|right)\] (left partition speaking, one whole line|right partition speaking, another whole line)$`)
	}
	bootConfig(t, config, files, expect...)
}

// TestQEMUGuestsNativeAtEL1 boots the demo's bare-metal guests without
// the hypervisor, entered at EL1 with the MMU off: each turns its MMU on
// before any Go code runs (with it off, QEMU >= 9.1 faults Go's unaligned
// accesses to Device memory, as real cores do).
func TestQEMUGuestsNativeAtEL1(t *testing.T) {
	binary := requireQEMUTools(t)
	guests := requireGuests(t)
	profile, err := qemu.ProfileFor("qemu-virt-el1")
	require.NoError(t, err)
	for name, expect := range map[string][]string{
		"ecu.elf":    {`^ecu: up at EL1, ram 0x70000000\+64MiB`, `^ecu: heartbeat 2 loops=\d+ worst-jitter=\d+us canary=ok$`},
		"attack.elf": {`^attack: up at EL1`},
	} {
		t.Run(name, func(t *testing.T) {
			o := qemu.Options{Image: filepath.Join(guests, name), Timeout: bootTimeout}
			for _, e := range expect {
				o.Expect = append(o.Expect, regexp.MustCompile(e))
			}
			r, err := qemu.Run(context.Background(), binary, profile, o)
			if err != nil {
				runFailed(t, r, err)
			}
		})
	}
}
