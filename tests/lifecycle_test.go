package tests

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// More AArch64 encodings for raw guests (DDI 0487 C6.2).
const (
	insnSubsX5  = 0xf100_04a5 // subs x5, x5, #1
	insnBNEBack = 0x54ff_ffe1 // b.ne . - 4
)

// PSCI function IDs (DEN 0022).
const (
	psciCPUOn64   = 0xc400_0003
	psciCPUOff    = 0x8400_0002
	psciSystemOff = 0x8400_0008
)

// psciCall loads x0 with fn and calls the hypervisor.
func psciCall(fn uint32) []uint32 {
	return []uint32{movz(0, uint16(fn), 0), movk(0, uint16(fn>>16), 16), insnHVC0}
}

// cpuOn starts vCPU 1 at entry: x1 = its MPIDR, x2 = entry, x3 = 0.
func cpuOn(entry uint32) []uint32 {
	return append([]uint32{movz(1, 1, 0), movz(2, uint16(entry), 0), movk(2, uint16(entry>>16), 16), movz(3, 0, 0)},
		psciCall(psciCPUOn64)...)
}

// delay spins about 2^16 * n times.
func delay(n uint16) []uint32 { return []uint32{movz(5, n, 16), insnSubsX5, insnBNEBack} }

// twoVCPUs is a raw image whose vCPU 0 runs boot and whose vCPU 1, started
// by boot with CPU_ON, runs second at offset 0x100.
func twoVCPUs(boot, second []uint32) []byte {
	b := guestBlob(boot...)
	b = append(b, make([]byte, 0x100-len(b))...)
	return append(b, guestBlob(second...)...)
}

const twoVCPUConfig = `board: qemu-virt
hypervisor:
  memory: {base: 0x40000000, size: 256MiB}
partitions:
  - name: duo
    cpus: [2, 3]
    memory: [{base: 0x70000000, size: 64MiB}]
    kernel: {format: raw, image: duo.bin}
    on_fault: %s
`

// TestQEMUCPUOffThenSystemOffFromAnotherVCPU: vCPU 0 powers off, then
// vCPU 1 asks for SYSTEM_OFF. The partition stops, with its console line;
// it once wedged, both vCPUs parked for good.
func TestQEMUCPUOffThenSystemOffFromAnotherVCPU(t *testing.T) {
	boot := append(cpuOn(0x7000_0100), psciCall(psciCPUOff)...)
	second := append(delay(0x100), psciCall(psciSystemOff)...)
	bootConfig(t, fmtConfig(twoVCPUConfig, "stop"), map[string][]byte{"duo.bin": twoVCPUs(append(boot, insnBranch), append(second, insnBranch))},
		`^tamavisor: partition "duo": vCPU 0 enters at 0x70000000 on core 2$`,
		`^tamavisor: partition "duo": vCPU off \(PSCI CPU_OFF\)$`,
		`^tamavisor: partition "duo": stopped \(SYSTEM_OFF\)$`,
	)
}

// TestQEMURestartFromVCPU1: vCPU 1 reads memory the partition was not
// given, and its policy restarts the partition. vCPU 1's core leads the
// restart (it has no stage-2 tables of its own), vCPU 0 starts again at
// the entry and starts vCPU 1 again, which faults again: restart after
// restart, each with the partition's RAM wiped and its image reloaded.
func TestQEMURestartFromVCPU1(t *testing.T) {
	boot := append(cpuOn(0x7000_0100), insnBranch)
	// x0 = 0x40000000, the hypervisor's memory; ldr x1, [x0]
	second := []uint32{movz(0, 0x4000, 16), ldr(1, 0), insnBranch}
	fault := `^tamavisor: partition "duo": vCPU 1: Data Abort from a lower Exception level \(translation fault, level 2\) at IPA 0x40000000 \(pc 0x70000104\): partition restarted$`
	enters := `^tamavisor: partition "duo": vCPU 0 enters at 0x70000000 on core 2$`
	bootConfig(t, fmtConfig(twoVCPUConfig, "restart"), map[string][]byte{"duo.bin": twoVCPUs(boot, second)},
		`^tamavisor: partition "duo": RAM cleared, 64 MiB in \d+ ms$`,
		enters, fault, enters, fault, enters, fault, enters,
	)
}

func fmtConfig(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// TestQEMUWatchdogRestartsTheECU: the ECU, given a 100 ms watchdog, stops
// refreshing it (h typed on its console). The hypervisor restarts its
// partition at the watchdog's second timeout, the ECU comes back and its
// heartbeat resumes; the other partitions never restart.
func TestQEMUWatchdogRestartsTheECU(t *testing.T) {
	guests := requireGuests(t)
	binary := requireQEMUTools(t)
	config := demoConfig(t, guests, "    on_fault: restart\n", "    on_fault: restart\n    watchdog: {timeout: 100ms, action: restart}\n")
	img := buildConfig(t, config, nil)
	r := runSteps(t, binary, img, 120*time.Second, []consoleStep{
		{`^\[ecu\] ecu: watchdog at 0xa100000, refreshed every 10 periods \(type h to stop\)$`, ""},
		{`^\[ecu\] ecu: heartbeat 2 .*canary=ok$`, "\x01\x01\x01h"},
		{`^\[ecu\] ecu: watchdog refresh stopped$`, ""},
		{`^tamavisor: partition "ecu": watchdog expired, (\d+) ms after its last refresh \(timeout 100 ms\): partition restarted$`, ""},
		{`^tamavisor: partition "ecu": vCPU 0 enters at 0x[0-9a-f]+ on core 2$`, ""},
		{`^\[ecu\] ecu: up at EL1`, ""},
		{`^\[ecu\] ecu: heartbeat 2 .*canary=ok$`, "\x01\x01\x01\x01\x01\x01s"},
		{`^tamavisor: status "infotainment": (not started|running); .*; restarts 0$`, ""},
		{`^tamavisor: status "ecu": running; vCPUs 0 running; restarts 1; last restart: watchdog; watchdog 100 ms, restart$`, ""},
		{`^tamavisor: status "test": running; vCPUs 0 running; restarts 0$`, ""},
	})
	// The firmware arms the timer at the deadline; what it reports beyond
	// 100 ms is the time the emulated core took to take the interrupt,
	// which on a loaded host is the host's scheduling (seen: 100-116 ms).
	ms, _ := strconv.Atoi(r.Matches[3][1])
	assert.GreaterOrEqual(t, ms, 100, "the action came before the timeout")
	assert.LessOrEqual(t, ms, 1100, "the action came long after the timeout")
	t.Logf("watchdog action %d ms after the last refresh (timeout 100 ms)", ms)
}
