package tests

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/tamavisor/tamavisor/qemu"
)

// consoleStep is an expected console line and what to type once it came.
type consoleStep struct{ expect, reply string }

// runSteps boots img and waits for each step's line in order, typing its
// reply after it.
func runSteps(t *testing.T, binary, img string, timeout time.Duration, steps []consoleStep) *qemu.Result {
	t.Helper()
	return runStepsWith(t, binary, img, timeout, steps)
}

// runStepsWith is runSteps with extra arguments for the emulator.
func runStepsWith(t *testing.T, binary, img string, timeout time.Duration, steps []consoleStep, extraArgs ...string) *qemu.Result {
	t.Helper()
	profile, _ := qemu.ProfileFor("qemu-virt")
	var expect []*regexp.Regexp
	var replies []qemu.Reply
	for i, s := range steps {
		expect = append(expect, regexp.MustCompile(s.expect))
		if s.reply != "" {
			replies = append(replies, qemu.Reply{After: i, Text: s.reply})
		}
	}
	r, err := qemu.Run(context.Background(), binary, profile, qemu.Options{
		Image: img, Timeout: timeout, Expect: expect, Replies: replies, ExtraArgs: extraArgs})
	if err != nil {
		runFailed(t, r, err)
	}
	return r
}

// TestQEMULinuxInfotainment boots the demo: Debian's Linux comes up on its
// two vCPUs with the virtual GIC, takes timer interrupts on both CPUs,
// runs an IPI-heavy job, reboots (only its partition restarts, and boots
// again) and powers off (only its partition stops), while the ECU's
// heartbeat arrives every second without a gap.
func TestQEMULinuxInfotainment(t *testing.T) {
	guests := requireGuests(t)
	binary := requireQEMUTools(t)
	img := buildConfig(t, demoConfig(t, guests), nil)
	r := runSteps(t, binary, img, 150*time.Second, []consoleStep{
		{`^\[infotainment\] \[\s*(\d+)\.\d+\] Run /init as init process$`, ""},
		{`^\[infotainment\] infotainment: linux up, cpus=2, mem=(\d+)MiB$`, "cat /proc/interrupts\n"},
		{`^\[infotainment\]\s+\d+:\s+(\d+)\s+(\d+)\s+GICv3\s+27 Level\s+arch_timer$`,
			"for c in 1 2 3 4; do (n=0; while [ $n -lt 2000 ]; do n=$((n+1)); done) & done; wait; echo ipi-job-done\n"},
		{`^\[infotainment\] ipi-job-done$`, "cat /proc/interrupts\n"},
		{`^\[infotainment\]\s*IPI0:\s+(\d+)\s+(\d+)\s+Rescheduling interrupts$`, "reboot -f\n"},
		{`^tamavisor: partition "infotainment": SYSTEM_RESET: restarting the partition$`, ""},
		{`^\[infotainment\] \[\s*(\d+)\.\d+\] Run /init as init process$`, ""},
		{`^\[infotainment\] infotainment: linux up, cpus=2, mem=\d+MiB$`, "poweroff -f\n"},
		{`^tamavisor: partition "infotainment": stopped \(SYSTEM_OFF\)$`, ""},
		{`^\[ecu\] ecu: heartbeat \d+ .*canary=ok$`, ""},
		{`^\[ecu\] ecu: heartbeat \d+ .*canary=ok$`, ""},
	})
	firstInit, _ := strconv.Atoi(r.Matches[0][1])
	mem, _ := strconv.Atoi(r.Matches[1][1])
	assert.True(t, mem > 400 && mem <= 512, "Linux sees %d MiB of its 512 MiB", mem)
	for cpu, n := range r.Matches[2][1:] {
		ticks, _ := strconv.Atoi(n)
		assert.Greater(t, ticks, 0, "no timer interrupts on CPU %d", cpu)
	}
	for cpu, n := range r.Matches[4][1:] {
		ipis, _ := strconv.Atoi(n)
		assert.Greater(t, ipis, 0, "no rescheduling IPIs on CPU %d", cpu)
	}
	// No check of the rebooted kernel's clock: Linux's sched_clock
	// starts near zero whatever the counter reads, so its time at
	// "Run /init" measures how long each boot took, which a loaded host
	// stretches, and says nothing about CNTVOFF.
	secondInit, _ := strconv.Atoi(r.Matches[6][1])
	t.Logf("Run /init at %d s, and %d s after the reboot", firstInit, secondInit)
	worst := checkHeartbeats(t, strings.Join(r.Output, "\n"), 3)
	t.Logf("ECU worst period jitter over Linux's boot, reboot and power-off: %d us", worst)
}

// TestQEMULinuxIdleTraps reads the trap counters twice, ten ECU
// heartbeats (about ten seconds) apart, with Linux idle at its shell: its
// cores trap for interrupts (each timer tick is one trap, to inject it)
// and for the few doorbell registers its driver reads per ring; its EOIs, timer reads and timer programming go to the virtual CPU
// interface and the virtual timer directly and cost no trap.
func TestQEMULinuxIdleTraps(t *testing.T) {
	guests := requireGuests(t)
	binary := requireQEMUTools(t)
	img := buildConfig(t, demoConfig(t, guests), nil)
	profile, _ := qemu.ProfileFor("qemu-virt")
	const counts = `irq (\d+), mmio (\d+), hvc/smc (\d+), sysreg (\d+), wfx \d+, abort \d+, other \d+, sgi dropped 0, set/way 0, foreign irq 0$`
	heartbeat := `^\[ecu\] ecu: heartbeat \d+ `
	steps := []string{`^\[infotainment\] infotainment: linux up, cpus=2`, heartbeat, heartbeat, heartbeat,
		`^tamavisor: traps core 0: ` + counts, `^tamavisor: traps core 1: ` + counts}
	first := len(steps) - 2
	for i := 0; i < 10; i++ {
		steps = append(steps, heartbeat)
	}
	steps = append(steps, `^tamavisor: traps core 0: `+counts, `^tamavisor: traps core 1: `+counts)
	var expect []*regexp.Regexp
	for _, s := range steps {
		expect = append(expect, regexp.MustCompile(s))
	}
	r, err := qemu.Run(context.Background(), binary, profile, qemu.Options{
		Image: img, Timeout: 180 * time.Second, Expect: expect,
		Replies: []qemu.Reply{
			{After: 3, Text: strings.Repeat("\x01", 9) + "t"}, // focus to the hypervisor, print counts
			{After: first + 11, Text: "t"},
		}})
	if err != nil {
		runFailed(t, r, err)
	}
	delta := func(core, field int) int {
		before, _ := strconv.Atoi(r.Matches[first+core][field])
		after, _ := strconv.Atoi(r.Matches[len(steps)-2+core][field])
		return after - before
	}
	for core := 0; core < 2; core++ {
		irq, mmio, calls, sysreg := delta(core, 1), delta(core, 2), delta(core, 3), delta(core, 4)
		t.Logf("Linux idle, core %d, over 10 s: %d interrupt traps (%.1f/s), %d MMIO, %d HVC/SMC, %d system register (SGI) traps",
			core, irq, float64(irq)/10, mmio, calls, sysreg)
		// The only emulated device an idle Linux touches is the
		// vehicle-data doorbell, which the ECU rings once a second:
		// its PL061 driver reads and clears a few registers per ring.
		assert.LessOrEqual(t, mmio, 4*11, "core %d: an idle Linux touched emulated devices beyond its doorbell", core)
		assert.LessOrEqual(t, sysreg, 20, "core %d: more than 2 SGIs a second from an idle Linux", core)
		assert.Less(t, irq, 10*300, "core %d: more interrupt traps than 250 Hz ticks", core)
	}
}

// TestQEMUPassthroughInterrupt gives infotainment the board's PL031 RTC:
// its registers are mapped at stage 2 and its interrupt (SPI 34) is routed
// to the core of the vCPU Linux targets and injected hardware-linked, so
// Linux's EOI deactivates it. An alarm two seconds ahead must arrive.
func TestQEMUPassthroughInterrupt(t *testing.T) {
	guests := requireGuests(t)
	binary := requireQEMUTools(t)
	config := demoConfig(t, guests, "        size: 512MiB\n    kernel:", "        size: 512MiB\n    devices: [rtc]\n    kernel:")
	img := buildConfig(t, config, nil)
	profile, _ := qemu.ProfileFor("qemu-virt")
	var expect []*regexp.Regexp
	for _, e := range []string{
		`^\[infotainment\] infotainment: linux up, cpus=2`,
		`^\[infotainment\] rtc-alarm-set$`,
		`^\[infotainment\]\s+\d+:\s+(\d+)\s+(\d+)\s+GICv3\s+34 Level\s+rtc-pl031$`,
	} {
		expect = append(expect, regexp.MustCompile(e))
	}
	r, err := qemu.Run(context.Background(), binary, profile, qemu.Options{
		Image: img, Timeout: 180 * time.Second, Expect: expect,
		Replies: []qemu.Reply{
			{After: 0, Text: "echo +2 > /sys/class/rtc/rtc0/wakealarm && echo rtc-alarm-set\n"},
			{After: 1, Text: "sleep 4; grep rtc-pl031 /proc/interrupts\n"},
		}})
	if err != nil {
		runFailed(t, r, err)
	}
	cpu0, _ := strconv.Atoi(r.Matches[2][1])
	cpu1, _ := strconv.Atoi(r.Matches[2][2])
	assert.Equal(t, 1, cpu0+cpu1, "the RTC alarm interrupt arrived %d times", cpu0+cpu1)
}

// TestQEMULinuxLifecycle drives a two-vCPU Linux through the partition
// lifecycle with on_fault: restart: a fault on vCPU 1 restarts the whole
// partition (its core leads the restart), twenty reboot -f in a row each
// bring both vCPUs back, and poweroff -f issued on CPU 1 while CPU 0 idles
// stops it; the ECU's heartbeat never stops.
func TestQEMULinuxLifecycle(t *testing.T) {
	guests := requireGuests(t)
	binary := requireQEMUTools(t)
	config := demoConfig(t, guests, "    # Not set: on_fault defaults to abort.\n", "    on_fault: restart\n")
	img := buildConfig(t, config, nil)
	const reboots = 20
	up := `^\[infotainment\] infotainment: linux up, cpus=2, mem=\d+MiB$`
	steps := []consoleStep{
		{up, "taskset 2 devmem 0x0a100000\n"},
		{`^tamavisor: partition "infotainment": vCPU 1: Data Abort from a lower Exception level \(translation fault, level \d\) at IPA 0xa100000 \(pc 0x[0-9a-f]+\): partition restarted$`, ""},
		{`^tamavisor: partition "infotainment": vCPU 0 enters at 0x50000000 on core 0$`, ""},
	}
	for range reboots {
		steps = append(steps,
			consoleStep{up, "reboot -f\n"},
			consoleStep{`^tamavisor: partition "infotainment": SYSTEM_RESET: restarting the partition$`, ""})
	}
	steps = append(steps,
		consoleStep{up, "taskset 2 poweroff -f\n"},
		consoleStep{`^tamavisor: partition "infotainment": stopped \(SYSTEM_OFF\)$`, ""},
		consoleStep{`^\[ecu\] ecu: heartbeat \d+ .*canary=ok$`, ""},
		consoleStep{`^\[ecu\] ecu: heartbeat \d+ .*canary=ok$`, ""})
	r := runSteps(t, binary, img, 480*time.Second, steps)
	restarts := 0
	for _, line := range r.Output {
		if strings.Contains(line, `partition "infotainment": vCPU 0 enters at`) {
			restarts++
		}
	}
	assert.Equal(t, 1+1+reboots, restarts, "boots of the infotainment partition")
	worst := checkHeartbeats(t, strings.Join(r.Output, "\n"), 3)
	t.Logf("ECU worst period jitter over a fault restart, %d reboots and a power-off: %d us", reboots, worst)
}

// TestQEMULinuxSBSAWatchdog: Linux's own sbsa_gwdt driver binds to the
// partition's virtual watchdog (2 s), and a process that opens
// /dev/watchdog and closes it without the magic character leaves it
// running unrefreshed: the partition restarts, Linux boots again.
func TestQEMULinuxSBSAWatchdog(t *testing.T) {
	guests := requireGuests(t)
	binary := requireQEMUTools(t)
	config := demoConfig(t, guests, "    # Not set: on_fault defaults to abort.\n", "    watchdog: {timeout: 2s, action: restart}\n")
	img := buildConfig(t, config, nil)
	up := `^\[infotainment\] infotainment: linux up, cpus=2, mem=\d+MiB$`
	r := runSteps(t, binary, img, 240*time.Second, []consoleStep{
		{up, "insmod /lib/modules/watchdog.ko; insmod /lib/modules/sbsa_gwdt.ko\n"},
		{`^\[infotainment\] \[\s*\d+\.\d+\] sbsa-gwdt a100000\.watchdog: Initialized with 2s timeout @ \d+ Hz, action=0\.$`, "echo 1 > /dev/watchdog\n"},
		{`^tamavisor: partition "infotainment": watchdog expired, (\d+) ms after its last refresh \(timeout 2000 ms\): partition restarted$`, ""},
		{`^tamavisor: partition "infotainment": vCPU 0 enters at 0x50000000 on core 0$`, ""},
		{up, ""},
	})
	ms, _ := strconv.Atoi(r.Matches[2][1])
	assert.GreaterOrEqual(t, ms, 2000)
	assert.LessOrEqual(t, ms, 4000)
	t.Logf("Linux's watchdog expired %d ms after its last refresh (timeout 2000 ms)", ms)
}

// doorbellCount matches the doorbell's line in /proc/interrupts: the
// interrupt of line 0 of the vehicle-data channel's PL061, taken by
// gpiolib for the rising edge /init asked for; one count per CPU.
var doorbellCount = regexp.MustCompile(`^\[infotainment\]\s+\d+:\s+(\d+)\s+(\d+)\s+a102000\.vehicle-data\s+0 Edge\s+gpiolib$`)

// TestQEMULinuxSeesTheECUsDoorbell: the ECU rings the vehicle-data
// channel after each heartbeat; Linux, a member, takes each ring as an
// interrupt of its own PL061 driver, and the count in /proc/interrupts
// rises. The doorbell is virtual: no physical interrupt is shared.
func TestQEMULinuxSeesTheECUsDoorbell(t *testing.T) {
	guests := requireGuests(t)
	binary := requireQEMUTools(t)
	img := buildConfig(t, demoConfig(t, guests), nil)
	count := doorbellCount.String()
	heartbeat := `^\[ecu\] ecu: heartbeat \d+ `
	r := runSteps(t, binary, img, 180*time.Second, []consoleStep{
		{`^\[ecu\] ecu: channel vehicle-data at 0x75000000, doorbell at 0xa102000: rung after each heartbeat$`, ""},
		{`^\[infotainment\] infotainment: doorbell a102000\.vehicle-data: gpio \d+, rising edge$`, ""},
		{heartbeat, "cat /proc/interrupts\n"},
		{count, ""},
		{heartbeat, ""},
		{heartbeat, ""},
		{heartbeat, "cat /proc/interrupts\n"},
		{count, ""},
	})
	total := func(m []string) int {
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[2])
		return a + b
	}
	first, second := total(r.Matches[3]), total(r.Matches[7])
	assert.GreaterOrEqual(t, second-first, 2, "doorbell interrupts %d, then %d three heartbeats later", first, second)
	t.Logf("doorbell interrupts in Linux: %d, then %d three heartbeats later", first, second)
}
