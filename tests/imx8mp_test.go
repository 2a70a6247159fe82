package tests

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board/imx8mpevk"
	"github.com/tamavisor/tamavisor/image"
	"github.com/tamavisor/tamavisor/qemu"
)

// The NXP i.MX 8M Plus EVK under QEMU's imx8mp-evk machine: the firmware
// built with the imx8mp tag, booted as an arm64 Image (QEMU enters an ELF at
// EL3 on this machine), its console on UART2.

// imx8mpTimeout bounds a run: the machine's emulation is slower than
// qemu-virt's (the RAM wipe of a 64 MiB partition takes about half a
// second of it).
const imx8mpTimeout = 120 * time.Second

var imx8mpGuestDir string

// imx8mpGuests builds the ECU and the attacker for the i.MX (once per test
// run) with the Makefile's own targets, and returns their directory.
func imx8mpGuests(t *testing.T) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if imx8mpGuestDir != "" {
		return imx8mpGuestDir
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("tamavisor-tests-%d", os.Getpid()), "guests-imx8mp-evk")
	cmd := exec.Command("make", "-s", "-C", repoRoot(t), "guest-elfs", "BOARD=imx8mp-evk", "GUEST_ELF_DIR="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the guests for imx8mp-evk: %v\n%s", err, out)
	}
	imx8mpGuestDir = dir
	return dir
}

// arm64Image writes the ELF image at path as an arm64 Image for the EVK
// and returns the Image's path.
func arm64Image(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	img, err := image.Arm64Image(b, imx8mpevk.RAMBase)
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "Image")
	require.NoError(t, os.WriteFile(out, img, 0o644))
	return out
}

// imx8mpImage builds the image of the ECU-and-attacker config for the EVK
// with tamavisor build -image, and returns the ELF's and the Image's paths.
func imx8mpImage(t *testing.T) (elfPath, imagePath string) {
	t.Helper()
	requireQEMUTools(t)
	firmwarePath := firmware(t, "imx8mp")
	guests := imx8mpGuests(t)
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "configs", "imx8mp-evk-ecu-attack.yaml"))
	require.NoError(t, err)
	config := strings.ReplaceAll(string(b), "../build/guests/imx8mp-evk/", guests+"/")
	dir := t.TempDir()
	configPath := filepath.Join(dir, "system.yaml")
	require.NoError(t, os.WriteFile(configPath, []byte(config), 0o644))
	elfPath, imagePath = filepath.Join(dir, "image.elf"), filepath.Join(dir, "Image")
	cmd := exec.Command("go", "run", "../cmd/tamavisor", "build", "-hypervisor", firmwarePath, "-o", elfPath, "-image", imagePath, configPath)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tamavisor build: %v\n%s", err, out)
	}
	return elfPath, imagePath
}

// bootIMX8MP runs o under the imx8mp-evk profile until every expectation
// matched, in order.
func bootIMX8MP(t *testing.T, binary string, o qemu.Options, expect ...string) *qemu.Result {
	t.Helper()
	profile, err := qemu.ProfileFor("imx8mp-evk")
	require.NoError(t, err)
	for _, e := range expect {
		o.Expect = append(o.Expect, regexp.MustCompile(e))
	}
	if o.Timeout == 0 {
		o.Timeout = imx8mpTimeout
	}
	r, err := qemu.Run(context.Background(), binary, profile, o)
	if err != nil {
		runFailed(t, r, err)
	}
	return r
}

// TestQEMUIMX8MPBootAllCores boots the firmware for the EVK as QEMU's
// -kernel enters an arm64 Image: at EL2, caches off, PSCI over SMC. Every
// core comes up with its own MPIDR and private memory, and the counter
// runs at the board's 8 MHz (else the firmware says so).
func TestQEMUIMX8MPBootAllCores(t *testing.T) {
	binary := requireQEMUTools(t)
	img := arm64Image(t, firmware(t, "imx8mp"))
	r := bootIMX8MP(t, binary, qemu.Options{Image: img},
		`^tamavisor: hypervisor at EL2, 4 cores, 30 MiB per core instance$`,
		`^core 0 up: mpidr `+hex+`, private memory at `+hex,
		`^core 1 up: mpidr `+hex+`, private memory at `+hex,
		`^core 2 up: mpidr `+hex+`, private memory at `+hex,
		`^core 3 up: mpidr `+hex+`, private memory at `+hex,
		`^all cores up: 4$`,
	)
	bases := map[uint64]bool{}
	for core := 0; core < 4; core++ {
		m := r.Matches[1+core]
		assert.Equal(t, imx8mpevk.MPIDR(core), parseHex(t, m[1])&0xff_ffff, "core %d's MPIDR affinity", core)
		base := parseHex(t, m[2])
		assert.Equal(t, imx8mpevk.Board.Hypervisor.Slot(core).Base, base, "core %d's private memory", core)
		bases[base] = true
	}
	assert.Len(t, bases, 4)
	for _, line := range r.Output {
		assert.NotContains(t, line, "generic counter runs at", "CNTFRQ_EL0 is not the board's")
	}
}

// TestQEMUIMX8MPRefusesEL3: QEMU enters an ELF at EL3 on this machine,
// where no PSCI would start the other cores. The firmware says what to
// boot instead, on the board's console, and parks.
func TestQEMUIMX8MPRefusesEL3(t *testing.T) {
	binary := requireQEMUTools(t)
	elfPath := firmware(t, "imx8mp")
	r := bootIMX8MP(t, binary, qemu.Options{Image: elfPath, Timeout: 30 * time.Second},
		`^tamavisor: not entered at EL2; boot the arm64 Image \(QEMU -kernel, U-Boot booti\), which enters at EL2; halting$`)
	for _, line := range r.Output {
		assert.NotContains(t, line, "core 0 up", "the firmware ran at EL3")
	}
}

// TestQEMUIMX8MPIsolation boots the ECU and the attacker on the EVK: the
// partition table verified against the board, every core up, the
// attacker's attempts ending as on qemu-virt (the same expectations, with
// the EVK's addresses), and the ECU's heartbeat on time with its canary
// intact.
func TestQEMUIMX8MPIsolation(t *testing.T) {
	binary := requireQEMUTools(t)
	_, img := imx8mpImage(t)
	expect := []string{
		`^tamavisor: partition table for imx8mp-evk: 2 partitions, 4 images verified \(SHA-256\)$`,
		`^tamavisor: partition "test": cores 3, 2 regions, 1 devices, on fault inject-abort$`,
		`^all cores up: 4$`,
	}
	expect = append(expect, attackExpectationsOn(imx8mpAttack)...)
	expect = append(expect,
		`^\[ecu\] ecu: heartbeat \d+ .*canary=ok$`,
		`^\[ecu\] ecu: heartbeat \d+ .*canary=ok$`,
		`^\[ecu\] ecu: heartbeat \d+ .*canary=ok$`)
	r := bootIMX8MP(t, binary, qemu.Options{Image: img}, expect...)
	out := strings.Join(r.Output, "\n")
	if !strings.Contains(out, "[ecu] ecu: up at EL1, ram 0x70000000+64MiB") {
		t.Errorf("the ECU did not come up in its partition:\n%s", out)
	}
	worst := checkHeartbeats(t, out, 3)
	t.Logf("ECU worst period jitter on imx8mp-evk under QEMU TCG: %d us", worst)
	if strings.Contains(out, `partition "ecu": vCPU 0:`) {
		t.Errorf("the ECU faulted:\n%s", out)
	}
}

// imx8mpStageBase is where the caches-on stage runs on the EVK: RAM no
// partition of the test config and no part of the hypervisor's image
// uses.
const imx8mpStageBase = 0xb000_0000

// TestQEMUIMX8MPBootWithCachesOn enters the hypervisor's Image as U-Boot's
// bootelf leaves a core (booti turns them off first): at EL2 with the MMU
// and the caches on, dirty lines in the cache, x0 the device tree. QEMU's
// -kernel enters the stage (an arm64 Image of its own) at EL2; the
// hypervisor's Image is loaded where booti would put it, and the stage
// jumps to its first instruction. It comes up as from QEMU's own entry:
// the table verified, every core up, the partitions started.
func TestQEMUIMX8MPBootWithCachesOn(t *testing.T) {
	emulator := requireQEMUTools(t)
	_, img := imx8mpImage(t)
	b, err := os.ReadFile(img)
	require.NoError(t, err)
	start := imx8mpevk.RAMBase + binary.LittleEndian.Uint64(b[image.Arm64TextOffsetOffset:])
	stage := filepath.Join(t.TempDir(), "caches-on-stage.Image")
	require.NoError(t, os.WriteFile(stage, cachesOnStage(imx8mpStageBase, start, imx8mpevk.RAMBase, imx8mpevk.RAMHighBase+imx8mpevk.RAMHighSize, true), 0o644))
	bootIMX8MP(t, emulator, qemu.Options{Image: img, LoadArgs: []string{
		"-kernel", stage,
		"-device", fmt.Sprintf("loader,file=%s,addr=%#x,force-raw=on", img, start),
	}},
		`^tamavisor: hypervisor at EL2, 4 cores`,
		`^tamavisor: entered with the MMU or data cache on \(SCTLR_EL2 0x[0-9a-f]+\): caches written back, started as from reset$`,
		`^tamavisor: partition table for imx8mp-evk: 2 partitions, 4 images verified \(SHA-256\)$`,
		`^all cores up: 4$`,
		`^\[test\] attack: up at EL1$`,
		`^\[ecu\] ecu: heartbeat 1 .*canary=ok$`,
	)
}
