package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/tamavisor/tamavisor/qemu"
)

// requireGuests skips the test when the demo's guest images are not built.
func requireGuests(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "build", "guests")
	for _, name := range []string{"ecu.elf", "attack.elf", "Image", "initramfs.cpio.gz"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Skipf("QEMU test skipped: guest image %s not built; make guests builds them (ecu.elf and attack.elf need the TamaGo compiler)", name)
		}
	}
	return dir
}

// demoConfig returns the demo config with its guest paths made absolute,
// edited by the old/new pairs.
func demoConfig(t *testing.T, guests string, edits ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "configs", "qemu-virt.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	config := strings.ReplaceAll(string(b), "../build/guests/", guests+"/")
	for i := 0; i+1 < len(edits); i += 2 {
		if strings.Count(config, edits[i]) != 1 {
			t.Fatalf("%q is not in the demo config exactly once", edits[i])
		}
		config = strings.Replace(config, edits[i], edits[i+1], 1)
	}
	return config
}

var heartbeat = regexp.MustCompile(`^\[ecu\] ecu: heartbeat (\d+) loops=(\d+) worst-jitter=(\d+)us canary=(\S+)`)

// checkHeartbeats asserts the ECU's heartbeats count up by one without a
// gap and its canary stayed intact, and returns the worst jitter seen.
func checkHeartbeats(t *testing.T, output string, atLeast int) int {
	t.Helper()
	last, n, worst := 0, 0, 0
	for _, line := range strings.Split(output, "\n") {
		m := heartbeat.FindStringSubmatch(strings.TrimRight(line, "\r"))
		if m == nil {
			continue
		}
		beat, _ := strconv.Atoi(m[1])
		jitter, _ := strconv.Atoi(m[3])
		if beat != last+1 {
			t.Errorf("heartbeat %d follows %d", beat, last)
		}
		if m[4] != "ok" {
			t.Errorf("heartbeat %d: canary %s", beat, m[4])
		}
		last, n, worst = beat, n+1, max(worst, jitter)
	}
	if n < atLeast {
		t.Errorf("%d heartbeats, want at least %d", n, atLeast)
	}
	return worst
}

// attackBoard is what the attack guest's lines name on one board: the
// devices it reaches for (guests/attack/board_*.go); SMMU is "" on a
// board without one.
type attackBoard struct {
	GICD, ForeignGICR, SMMU, Unassigned string
}

var (
	qemuVirtAttack = attackBoard{GICD: "0x8000000", ForeignGICR: "0x80c0000", SMMU: "0x9050000", Unassigned: "0x9010000"}
	// imx8mp-evk: GICD 0x38800000, core 1's redistributor 0x388a0000,
	// no SMMU, UART1 unassigned.
	imx8mpAttack = attackBoard{GICD: "0x38800000", ForeignGICR: "0x388a0000", Unassigned: "0x30860000"}
)

// attackExpectations is what the attack guest and the hypervisor print,
// in order, for every attempt on qemu-virt (attackExpectationsOn).
func attackExpectations() []string { return attackExpectationsOn(qemuVirtAttack) }

// attackExpectationsOn is what the attack guest and the hypervisor print
// on board b, in order, for every attempt: forbidden accesses are logged
// by the hypervisor with the partition's name and seen by the guest as a
// synchronous external abort; PSCI refuses what is not the partition's.
// Every board's partitions lie where configs/qemu-virt.yaml puts them.
func attackExpectationsOn(b attackBoard) []string {
	e := []string{`^\[test\] attack: up at EL1$`}
	type attempt struct {
		what, addr string
		allowed    bool
	}
	devices := []attempt{
		// The partition's own GIC distributor is a virtual one.
		{"read own virtual GIC distributor", b.GICD, true},
		{"read a foreign GIC redistributor", b.ForeignGICR, false},
	}
	if b.SMMU != "" {
		devices = append(devices, attempt{"read SMMU", b.SMMU, false})
	}
	devices = append(devices, attempt{"read unassigned device", b.Unassigned, false})
	for _, a := range append([]attempt{
		{"read own RAM", "0x[0-9a-f]+", true},
		{"write own RAM", "0x[0-9a-f]+", true},
		{"read just below own RAM", "0x73fffff8", false},
		{"read just above own RAM", "0x75000000", false},
		{"read another partition's RAM", "0x70000000", false},
		{"read hypervisor memory", "0x40000000", false},
		{"write hypervisor memory", "0x40000000", false},
		{"read hypervisor memory", "0x48000000", false},
		{"write hypervisor memory", "0x48000000", false},
	}, devices...) {
		if a.allowed {
			e = append(e, `^\[test\] attack: `+regexp.QuoteMeta(a.what)+` at `+a.addr+`: ok$`)
			continue
		}
		e = append(e,
			`^tamavisor: partition "test": vCPU 0: Data Abort from a lower Exception level \(translation fault, level \d\) at IPA `+a.addr+` \(pc 0x[0-9a-f]+\): external abort injected$`,
			`^\[test\] attack: `+regexp.QuoteMeta(a.what)+` at `+a.addr+`: abort \(EC 0x25 Data Abort taken without a change in Exception level: synchronous external abort\)$`)
	}
	e = append(e,
		`^\[test\] attack: PSCI CPU_ON another partition's core 0x2: psci -2 \(invalid parameters\)$`,
		`^\[test\] attack: PSCI CPU_ON own core 0x0 at 0x70000000 outside own RAM: psci -9 \(invalid address\)$`,
		`^\[test\] attack: PSCI_VERSION: psci 0x10001 \(version 1\.1\)$`,
		`^\[test\] attack: unknown HVC 0xc2000042: returned 0xffffffffffffffff$`,
		`^\[test\] attack: unknown SMC 0xc2000042: returned 0xffffffffffffffff$`,
		// SMCCC calls use immediate 0: any other is NOT_SUPPORTED.
		`^\[test\] attack: PSCI_VERSION with HVC #1: returned 0xffffffffffffffff$`,
		// The PMU traps and has no event counters: reading one is
		// undefined, as on a CPU without it, and no fault policy.
		`^tamavisor: partition "test": vCPU 0: Trapped MSR, MRS or System instruction execution in AArch64 state \(pc 0x[0-9a-f]+\): undefined instruction injected$`,
		`^\[test\] attack: read PMU event counter 0: abort \(EC 0x0 Unknown reason\)$`,
	)
	// Calls with random function IDs and registers: each returns an error
	// code, NOT_SUPPORTED where Tamavisor offers no such function, and
	// leaves no value in the other registers.
	for i := 0; i < 16; i++ {
		e = append(e, fmt.Sprintf(`^\[test\] attack: random %s %d x0=0x[0-9a-f]+: (-\d \([a-z ]+\)|returned 0x[0-9a-f]+), other registers kept$`,
			[]string{"hvc", "smc"}[i%2], i))
	}
	return append(e,
		`^\[test\] attack: FP/SIMD registers across 300 HVC, SGI and MMIO traps: kept$`,
		// A level interrupt the guest cannot take yet stays held, not
		// refired before every instruction.
		`^\[test\] attack: own timer firing with its interrupt disabled: ok$`,
		// The PMU counts nothing, the hypervisor's work included.
		`^\[test\] attack: PMU counting cycles at EL2 over 100 HVCs: PMCR_EL0 0x0, 0 counters, cycle counter 0$`,
		// Set/way maintenance traps and cleans the partition's own
		// memory only (QEMU's Cortex-A53 L2: 1 MiB, 16 ways).
		`^\[test\] attack: clean and invalidate the shared L2 by set/way \(1024 sets, 16 ways\): 16384 operations, ok$`,
		`^\[test\] attack: debug register DBGBVR0_EL1 on own core: ok$`,
		// An SPI routed to no vCPU of the partition stays disabled at
		// the physical GIC (TestQEMUTrapCounters: no core counts a
		// foreign interrupt).
		`^\[test\] attack: own SPI routed to no vCPU, enabled and raised: not delivered; routed to itself: delivered$`,
		// The EL1 physical timer is the guest's: every tick arrives.
		`^\[test\] attack: physical timer tick at 1 kHz for 5 s: 5000 of 5000 ticks, worst lateness \d+ us$`,
		`^\[test\] attack: done \(type f to fault in a tight loop for 10 s, r to reset the partition\)$`)
}

// TestQEMUDemoIsolation boots the demo config: while the attack guest
// tries every way out of its partition, the ECU's control loop keeps its
// heartbeat and its memory canary.
func TestQEMUDemoIsolation(t *testing.T) {
	guests := requireGuests(t)
	expect := append(attackExpectations(),
		`^\[ecu\] ecu: heartbeat \d+ .*canary=ok$`,
		`^\[ecu\] ecu: heartbeat \d+ .*canary=ok$`,
		`^\[ecu\] ecu: heartbeat \d+ .*canary=ok$`)
	out := bootConfig(t, demoConfig(t, guests), nil, expect...)
	worst := checkHeartbeats(t, out, 3)
	t.Logf("ECU worst period jitter under QEMU TCG: %d us", worst)
	if strings.Contains(out, `partition "ecu": vCPU 0:`) {
		t.Errorf("the ECU faulted:\n%s", out)
	}
}

// TestQEMURestartPolicyLeavesOthersRunning: with on_fault: restart, the
// attack guest's first forbidden access wipes and restarts it, again and
// again, while the ECU's heartbeat carries on without a gap.
func TestQEMURestartPolicyLeavesOthersRunning(t *testing.T) {
	guests := requireGuests(t)
	config := demoConfig(t, guests, "    on_fault: abort\n", "    on_fault: restart\n")
	out := bootConfig(t, config, nil,
		`^\[test\] attack: up at EL1$`,
		`^tamavisor: partition "test": vCPU 0: Data Abort .* at IPA 0x73fffff8 .*: partition restarted$`,
		`^tamavisor: partition "test": vCPU 0 enters at 0x[0-9a-f]+ on core 3$`,
		`^\[test\] attack: up at EL1$`,
		`^tamavisor: partition "test": vCPU 0: Data Abort .* at IPA 0x73fffff8 .*: partition restarted$`,
		`^\[ecu\] ecu: heartbeat \d+ .*canary=ok$`,
		`^\[ecu\] ecu: heartbeat \d+ .*canary=ok$`,
	)
	checkHeartbeats(t, out, 2)
}

// TestQEMUSystemOffLeavesOthersRunning: a partition that powers itself off
// with PSCI SYSTEM_OFF stops alone; the ECU goes on.
func TestQEMUSystemOffLeavesOthersRunning(t *testing.T) {
	guests := requireGuests(t)
	config := demoConfig(t, guests,
		"image: "+guests+"/attack.elf", "image: quitter.bin",
		"format: elf\n      image: quitter.bin", "format: raw\n      image: quitter.bin")
	out := bootConfig(t, config, map[string][]byte{
		"quitter.bin": guestBlob(movz(0, 0x0008, 0), movk(0, 0x8400, 16), insnHVC0, insnBranch),
	},
		`^tamavisor: partition "test": stopped \(SYSTEM_OFF\)$`,
		`^\[ecu\] ecu: heartbeat \d+ .*canary=ok$`,
		`^\[ecu\] ecu: heartbeat \d+ .*canary=ok$`,
		`^\[ecu\] ecu: heartbeat \d+ .*canary=ok$`,
	)
	checkHeartbeats(t, out, 3)
}

// TestQEMUTrapCounters moves the console input focus to the hypervisor
// with the hot key (Ctrl-A three times, three times: infotainment, ecu,
// test, hypervisor) and asks for the trap counts with t: the ECU's core
// counts the console writes it emulated, the attacker's core its aborts.
// Then s: every partition's state and restarts.
func TestQEMUTrapCounters(t *testing.T) {
	guests := requireGuests(t)
	binary := requireQEMUTools(t)
	img := buildConfig(t, demoConfig(t, guests), nil)
	profile, _ := qemu.ProfileFor("qemu-virt")
	var expect []*regexp.Regexp
	for _, e := range []string{
		`^\[test\] attack: done \(type f to fault in a tight loop for 10 s, r to reset the partition\)$`,
		`^\[ecu\] ecu: heartbeat \d+ `,
		`^tamavisor: console input now goes to the hypervisor`,
		// No core takes an interrupt its partition does not own.
		`^tamavisor: traps core 0: .*, foreign irq 0$`,
		`^tamavisor: traps core 1: .*, foreign irq 0$`,
		`^tamavisor: traps core 2: irq \d+, mmio (\d+), hvc/smc \d+, sysreg \d+, wfx \d+, abort 0, other \d+, sgi dropped 0, set/way 0, foreign irq 0$`,
		`^tamavisor: traps core 3: irq \d+, mmio (\d+), hvc/smc (\d+), sysreg \d+, wfx \d+, abort (\d+), other \d+, sgi dropped (\d+), set/way (\d+), foreign irq 0$`,
		// Linux may still be starting (its 512 MiB are cleared first).
		`^tamavisor: status "infotainment": (not started|running); vCPUs 0 [^;,]+, 1 [^;,]+; restarts 0$`,
		`^tamavisor: status "ecu": running; vCPUs 0 running; restarts 0$`,
		`^tamavisor: status "test": running; vCPUs 0 running; restarts 0$`,
	} {
		expect = append(expect, regexp.MustCompile(e))
	}
	r, err := qemu.Run(context.Background(), binary, profile, qemu.Options{
		Image: img, Timeout: 90 * time.Second, Expect: expect,
		Replies: []qemu.Reply{{After: 1, Text: strings.Repeat("\x01", 9) + "ts"}},
	})
	if err != nil {
		runFailed(t, r, err)
	}
	ecuMMIO, _ := strconv.Atoi(r.Matches[5][1])
	attackCalls, _ := strconv.Atoi(r.Matches[6][2])
	attackAborts, _ := strconv.Atoi(r.Matches[6][3])
	assert.Greater(t, ecuMMIO, 100, "the ECU's console writes are emulated, one trap each")
	assert.GreaterOrEqual(t, attackCalls, 5+16+100, "the attacker's PSCI, unknown and random calls, and its FP/SIMD check's")
	assert.Equal(t, 10, attackAborts, "the attacker's ten forbidden accesses")
	attackSGIs, _ := strconv.Atoi(r.Matches[6][4])
	assert.Equal(t, 100, attackSGIs, "the FP/SIMD check's SGIs to a vCPU the attacker's partition lacks, dropped and counted")
	attackSetWay, _ := strconv.Atoi(r.Matches[6][5])
	assert.Equal(t, 16384, attackSetWay, "the attacker's set/way operations, each trapped")
}
