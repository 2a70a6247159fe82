//go:build !tamago

package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/tamavisor/tamavisor/guests/el1/el1test"
)

// TestAttackFitsItsPartition checks the ELF the Makefile builds against the
// test partition of configs/qemu-virt.yaml.
func TestAttackFitsItsPartition(t *testing.T) {
	el1test.RequireTools(t)
	layout := el1test.ReadLayout(t, el1test.Build(t, "attack.elf"))
	for _, p := range layout.CheckFits(el1test.Partition(t, "test")) {
		t.Error(p)
	}
}

// attemptLine is one attempt's report; the outcome is checked separately.
var attemptLine = regexp.MustCompile(`^attack: (.+): (ok|abort \(EC 0x[0-9a-f]+ .+\)|psci -?\w+ \(.+\)|returned 0x[0-9a-f]+)$`)

// TestAttackStandalone boots the attacker alone under QEMU at EL1, where
// most attempts simply work, and checks the harness: one line per attempt,
// in order, the harness's own unmapped read and BRK reported as aborts,
// and the program going on to "attack: done".
func TestAttackStandalone(t *testing.T) {
	emulator := el1test.RequireTools(t)
	elf := el1test.Build(t, "attack.elf")
	r := el1test.Boot(t, emulator, elf, 2*time.Minute, `^attack: up at EL1$`, `^attack: done`)

	// Name prefixes of the attempts, in the order they must run, and the
	// outcome each must have standalone when it is fixed there.
	want := []struct {
		name    string
		outcome string
	}{
		{`read own RAM at 0x74[0-9a-f]{6}`, `ok`},
		{`write own RAM at 0x74[0-9a-f]{6}`, `ok`},
		{`read just below own RAM at 0x73fffff8`, ``},
		{`read just above own RAM at 0x75000000`, ``},
		{`read another partition's RAM at 0x70000000`, ``},
		{`read hypervisor memory at 0x40000000`, ``},
		{`write hypervisor memory at 0x40000000`, ``},
		{`read hypervisor memory at 0x48000000`, ``},
		{`write hypervisor memory at 0x48000000`, ``},
		{`read own virtual GIC distributor at 0x8000000`, ``},
		{`read a foreign GIC redistributor at 0x80c0000`, ``},
		{`read SMMU at 0x9050000`, ``},
		{`read unassigned device at 0x9010000`, ``},
		{`PSCI CPU_ON another partition's core 0x2`, `psci `},
		{`PSCI CPU_ON own core 0x0 at 0x70000000 outside own RAM`, `psci `},
		{`PSCI_VERSION`, `psci `},
		{`unknown HVC 0xc2000042`, ``},
		{`unknown SMC 0xc2000042`, ``},
		{`PSCI_VERSION with HVC #1`, ``},
		{`read PMU event counter 0`, ``},
		{`harness: read unmapped address 0x0`, `abort \(EC 0x25 Data Abort taken without a change in Exception level: translation fault at level \d\)`},
		{`harness: BRK`, `abort \(EC 0x3c BRK instruction execution in AArch64 state\)`},
	}
	// Then the random calls: QEMU's own PSCI answers each HVC and
	// touches no other register; an SMC is undefined without EL3.
	randomLine := regexp.MustCompile(`^attack: random (hvc|smc) (\d+) x0=0x[0-9a-f]+: (.+)$`)
	var attempts []string
	started := false
	for _, line := range r.Output {
		switch {
		case line == "attack: up at EL1":
			started = true
		case strings.HasPrefix(line, "attack: done"):
			started = false
		case started:
			attempts = append(attempts, line)
		}
	}
	const randomCalls = 16
	last := []string{
		// The FP/SIMD check, whose SGI is undefined without the GIC's
		// system register interface, which nothing enables for EL1
		// here, and the timer check.
		`^attack: FP/SIMD registers across 300 HVC, SGI and MMIO traps: abort \(EC 0x0 Unknown reason\)$`,
		`^attack: own timer firing with its interrupt disabled: ok$`,
		// On QEMU's own Cortex-A53 the PMU counts and set/way
		// operations run; the GIC's interface is off.
		`^attack: PMU counting cycles at EL2 over 100 HVCs: PMCR_EL0 0x[0-9a-f]+, [1-9]\d* counters, cycle counter \d+$`,
		`^attack: clean and invalidate the shared L2 by set/way \(\d+ sets, \d+ ways\): \d+ operations, ok$`,
		`^attack: debug register DBGBVR0_EL1 on own core: ok$`,
		`^attack: own SPI routed to no vCPU, enabled and raised: not attempted: the GIC's system register interface: EC 0x0 Unknown reason$`,
		`^attack: physical timer tick at 1 kHz for 5 s: not attempted: the GIC's system register interface: EC 0x0 Unknown reason$`,
	}
	if len(attempts) != len(want)+randomCalls+len(last) {
		t.Fatalf("%d attempt lines, want %d:\n%q", len(attempts), len(want)+randomCalls+len(last), attempts)
	}
	for i, pattern := range last {
		assert.Regexp(t, pattern, attempts[len(attempts)-len(last)+i])
	}
	for i, line := range attempts[len(want) : len(want)+randomCalls] {
		m := randomLine.FindStringSubmatch(line)
		if m == nil || m[2] != strconv.Itoa(i) {
			t.Errorf("line %q is not random call %d", line, i)
			continue
		}
		outcome := `^(-\d \([a-z ]+\)|returned 0x[0-9a-f]+), other registers kept$`
		if m[1] != []string{"hvc", "smc"}[i%2] {
			t.Errorf("random call %d is an %s", i, m[1])
		} else if m[1] == "smc" {
			outcome = `^abort \(EC 0x0 Unknown reason\)$`
		}
		assert.Regexp(t, outcome, m[3], "random call %d", i)
	}
	attempts = attempts[:len(want)]
	for i, w := range want {
		m := attemptLine.FindStringSubmatch(attempts[i])
		if m == nil {
			t.Errorf("line %d %q is not `attack: <name>: <outcome>`", i, attempts[i])
			continue
		}
		if !regexp.MustCompile(`^` + w.name + `$`).MatchString(m[1]) {
			t.Errorf("attempt %d is %q, want %q", i, m[1], w.name)
		}
		if !regexp.MustCompile(`^` + w.outcome).MatchString(m[2]) {
			t.Errorf("%s: outcome %q, want %q", m[1], m[2], w.outcome)
		}
	}
}
