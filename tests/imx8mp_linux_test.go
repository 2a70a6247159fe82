package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/qemu"
)

// imx8mpVirtualIRQ is the first QEMU release whose imx8mp-evk machine
// connects the GIC's virtual IRQ and FIQ outputs to the cores (QEMU's
// "hw/arm/fsl-imx8mp: Wire VIRQ and VFIQ", in 10.0.3 and 10.1). Before
// it no guest there takes a virtual interrupt: the hypervisor fills a
// list register, QEMU's GIC raises the virtual IRQ, and the core never
// sees it. The bare-metal guests, which poll, still run; Linux waits
// for its first timer interrupt for ever.
var imx8mpVirtualIRQ = qemu.Version{Major: 10, Minor: 0, Micro: 3}

// requireIMX8MPVirtualIRQ skips the test on a QEMU without it.
func requireIMX8MPVirtualIRQ(t *testing.T, binary string) {
	t.Helper()
	v, err := qemu.VersionOf(binary)
	require.NoError(t, err)
	if !v.AtLeast(imx8mpVirtualIRQ) {
		t.Skipf("QEMU test skipped: QEMU %s's imx8mp-evk machine does not wire the GIC's virtual interrupts to the cores, so Linux takes no interrupt under the hypervisor there; install QEMU %s or newer", v, imx8mpVirtualIRQ)
	}
}

// requireGenericLinux skips the test when the EVK's Linux guest (Debian's
// generic kernel and its initramfs) is not built, and returns the
// directory it is in.
func requireGenericLinux(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "build", "guests")
	for _, name := range []string{"Image-generic", "initramfs-generic.cpio.gz"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Skipf("QEMU test skipped: guest image %s not built; make guests BOARD=imx8mp-evk builds it", name)
		}
	}
	return dir
}

// imx8mpDemoImage builds configs/imx8mp-evk.yaml, with the guests where
// the tests built them, as an arm64 Image for the EVK.
func imx8mpDemoImage(t *testing.T) string {
	t.Helper()
	linux := requireGenericLinux(t)
	requireQEMUTools(t)
	firmwarePath := firmware(t, "imx8mp")
	elfs := imx8mpGuests(t)
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "configs", "imx8mp-evk.yaml"))
	require.NoError(t, err)
	config := strings.ReplaceAll(string(b), "../build/guests/imx8mp-evk/", elfs+"/")
	config = strings.ReplaceAll(config, "../build/guests/", linux+"/")
	dir := t.TempDir()
	configPath := filepath.Join(dir, "system.yaml")
	require.NoError(t, os.WriteFile(configPath, []byte(config), 0o644))
	imagePath := filepath.Join(dir, "Image")
	cmd := exec.Command("go", "run", "../cmd/tamavisor", "build", "-hypervisor", firmwarePath,
		"-o", filepath.Join(dir, "image.elf"), "-image", imagePath, configPath)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tamavisor build: %v\n%s", err, out)
	}
	return imagePath
}

// serialPipe is a QEMU serial port the test writes to: -serial
// pipe:PATH reads PATH.in and writes PATH.out, two FIFOs.
type serialPipe struct {
	path    string
	in, out *os.File
}

func newSerialPipe(t *testing.T) *serialPipe {
	t.Helper()
	p := &serialPipe{path: filepath.Join(t.TempDir(), "uart")}
	for _, suffix := range []string{".in", ".out"} {
		require.NoError(t, syscall.Mkfifo(p.path+suffix, 0o600))
	}
	// Opened read-write, a FIFO's open returns at once, whoever opens
	// its other end and whenever.
	var err error
	p.in, err = os.OpenFile(p.path+".in", os.O_RDWR, 0)
	require.NoError(t, err)
	p.out, err = os.OpenFile(p.path+".out", os.O_RDWR, 0)
	require.NoError(t, err)
	// What the UART sends (Linux's tty echo) is read and dropped, so
	// that QEMU never waits on a full FIFO.
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := p.out.Read(buf); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { p.in.Close(); p.out.Close() })
	return p
}

// lineTrigger watches the console and runs its action once, after the
// first line matching its pattern.
type lineTrigger struct {
	mu      sync.Mutex
	partial string
	pattern *regexp.Regexp
	action  func()
	fired   bool
}

func (w *lineTrigger) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	lines := strings.Split(w.partial+string(b), "\n")
	w.partial = lines[len(lines)-1] // unfinished
	for _, line := range lines[:len(lines)-1] {
		if !w.fired && w.pattern.MatchString(strings.TrimRight(line, "\r")) {
			w.fired = true
			go w.action()
		}
	}
	return len(b), nil
}

// TestQEMUIMX8MPLinux boots configs/imx8mp-evk.yaml under QEMU's
// imx8mp-evk machine: Debian's generic Linux comes up on two vCPUs with
// the virtual GIC at the SoC's addresses and binds the passed-through
// UART4 with its own i.MX driver; lines the test writes to UART4 (QEMU's
// fourth serial port) arrive in Linux and raise its interrupt count; and
// poweroff -f stops Linux only, while the ECU's heartbeat goes on.
func TestQEMUIMX8MPLinux(t *testing.T) {
	binary := requireQEMUTools(t)
	requireIMX8MPVirtualIRQ(t, binary)
	img := imx8mpDemoImage(t)
	uart4 := newSerialPipe(t)
	const message = "hello uart4 from the test"
	irqLine := `^\[infotainment\]\s+\d+:\s+(\d+)\s+(\d+)\s+GICv3\s+61 Level\s+30a60000\.uart4$`
	trigger := &lineTrigger{pattern: regexp.MustCompile(irqLine), action: func() {
		uart4.in.WriteString(message + "\n")
	}}
	steps := []consoleStep{
		{`^\[infotainment\] \[\s*\d+\.\d+\] 30a60000\.uart4: ttymxc3 at MMIO 0x30a60000 \(irq = \d+, base_baud = \d+\) is a IMX$`, ""},
		{`^\[infotainment\] infotainment: ttymxc3: reading$`, ""},
		{`^\[infotainment\] infotainment: linux up, cpus=2, mem=(\d+)MiB$`, "cat /proc/interrupts\n"},
		{irqLine, ""},
		{`^\[infotainment\] infotainment: ttymxc3: ` + message + `$`, "cat /proc/interrupts\n"},
		{irqLine, "poweroff -f\n"},
		{`^tamavisor: partition "infotainment": stopped \(SYSTEM_OFF\)$`, ""},
		{`^\[ecu\] ecu: heartbeat \d+ .*canary=ok$`, ""},
		{`^\[ecu\] ecu: heartbeat \d+ .*canary=ok$`, ""},
	}
	var expect []*regexp.Regexp
	var replies []qemu.Reply
	for i, s := range steps {
		expect = append(expect, regexp.MustCompile(s.expect))
		if s.reply != "" {
			replies = append(replies, qemu.Reply{After: i, Text: s.reply})
		}
	}
	// UART3 (the attacker's) on no chardev, UART4 on the pipe: the
	// profile puts UART1 on null and UART2 on the console.
	r := bootIMX8MP(t, binary, qemu.Options{Image: img, Timeout: 600 * time.Second, Expect: expect, Replies: replies,
		Console: trigger, ExtraArgs: []string{"-serial", "null", "-serial", "pipe:" + uart4.path}})

	mem, _ := strconv.Atoi(r.Matches[2][1])
	assert.True(t, mem > 400 && mem <= 512, "Linux sees %d MiB of its 512 MiB", mem)
	count := func(m []string) int {
		cpu0, _ := strconv.Atoi(m[1])
		cpu1, _ := strconv.Atoi(m[2])
		return cpu0 + cpu1
	}
	before, after := count(r.Matches[3]), count(r.Matches[5])
	assert.Greater(t, after, before, "UART4's interrupt count did not rise with the line it received (%d, then %d)", before, after)
	out := strings.Join(r.Output, "\n")
	if strings.Contains(out, `partition "ecu": stopped`) || strings.Contains(out, `partition "ecu": vCPU 0:`) {
		t.Errorf("the ECU stopped or faulted while Linux ran and powered off")
	}
	worst := checkHeartbeats(t, out, 2)
	t.Logf("Linux on the EVK: %d MiB; UART4 interrupts %d, then %d; ECU worst jitter %d us", mem, before, after, worst)
}
