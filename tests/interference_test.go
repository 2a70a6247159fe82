package tests

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/tamavisor/tamavisor/firmware/vdev/vpl011"
)

// hotKey is Ctrl-A three times: the console input moves to the next
// partition with a virtual console, or from the last to the hypervisor.
const hotKey = "\x01\x01\x01"

// TestQEMUConsoleInputNeverFreezes: the ECU (without a watchdog) never
// reads its console. Typed at it, 5000 bytes overflow its 4 KiB receive
// FIFO; the hypervisor still reads the UART empty, so the bytes it could
// not take are dropped and counted against it alone, the hot key still
// moves the input on, and Linux's shell gets what is typed next.
func TestQEMUConsoleInputNeverFreezes(t *testing.T) {
	guests := requireGuests(t)
	binary := requireQEMUTools(t)
	img := buildConfig(t, demoConfig(t, guests), nil)
	const typed = 5000
	flood := strings.Repeat("x", typed)
	r := runSteps(t, binary, img, 180*time.Second, []consoleStep{
		// From infotainment to ecu, which takes none of the bytes,
		// then on through test to the hypervisor.
		{`^\[infotainment\] infotainment: linux up, cpus=2`, hotKey + flood + hotKey + hotKey + "s"},
		{`^tamavisor: console input now goes to \[ecu\]`, ""},
		{`^tamavisor: console input now goes to the hypervisor`, ""},
		{`^tamavisor: console "ecu": typed bytes it did not take (\d+), `, hotKey + "echo still-here\n"},
		{`^tamavisor: console input now goes to \[infotainment\]`, ""},
		{`^\[infotainment\] still-here\r?$`, ""},
	})
	dropped, _ := strconv.Atoi(r.Matches[3][1])
	assert.Equal(t, typed-vpl011.RXFIFOSize, dropped, "typed bytes the ECU's full FIFO could not take, counted")
	t.Logf("bytes typed at a partition that never reads: %d, dropped and counted: %d", typed, dropped)
}

// ecuAndAttackerConfig is the ECU and the attacker without Linux, so that
// what the ECU sees is what the attacker does and nothing else; the
// attacker has the GPIO block and the devices of devices (YAML list
// entries, indented for it).
const ecuAndAttackerConfig = `board: qemu-virt
hypervisor:
  memory: {base: 0x40000000, size: 256MiB}
  console: uart0
partitions:
  - name: ecu
    cpus: [2]
    memory:
      - {base: 0x70000000, size: 64MiB}
    kernel: {format: elf, image: %[1]s/ecu.elf}
    console: virtual
    on_fault: restart
  - name: test
    cpus: [3]
    memory:
      - {base: 0x74000000, size: 16MiB}
    kernel: {format: elf, image: %[1]s/attack.elf}
    devices:
      - gpio
%[2]s    console: virtual
    on_fault: abort
`

// TestQEMUFaultFloodLeavesTheECUsTimingAlone: the attacker faults in a
// tight loop for 10 s, each fault a line the hypervisor would print. Its
// lines are limited to 20 a second and summed up, and no core waits for
// another's console output, so the ECU's worst period jitter during the
// flood stays within 10 % of its idle figure measured in the same run.
//
// QEMU runs with -icount, so the figures are the emulated system's and not
// the host's scheduling (the test passes the same on a loaded host). The
// price: icount runs the vCPUs in turns on one host thread, and the ECU's
// worst jitter, idle or not, is the attacker's turn (about 24 ms). An
// emulated UART also costs next to nothing, so the console lock the
// hypervisor used to hold while printing each fault line did not show in
// this figure either (checked); what tells that design apart here is the
// attacker's own rate (about 44,000 faults in 10 s then, 250,000 now) and
// the lines printed, which are bounded.
func TestQEMUFaultFloodLeavesTheECUsTimingAlone(t *testing.T) {
	guests := requireGuests(t)
	binary := requireQEMUTools(t)
	img := buildConfig(t, fmt.Sprintf(ecuAndAttackerConfig, guests, ""), nil)
	heartbeat := `^\[ecu\] ecu: heartbeat (\d+) loops=\d+ worst-jitter=(\d+)us canary=ok$`
	steps := []consoleStep{{`^\[test\] attack: done`, ""}}
	const idle = 4
	for i := 0; i < idle; i++ {
		steps = append(steps, consoleStep{heartbeat, ""})
	}
	// ecu, then test: start the flood.
	steps[len(steps)-1].reply = hotKey + "f"
	steps = append(steps, consoleStep{`^tamavisor: console input now goes to \[test\]`, ""})
	const during = 9
	for i := 0; i < during; i++ {
		steps = append(steps, consoleStep{heartbeat, ""})
	}
	steps = append(steps,
		consoleStep{`^\[test\] attack: fault flood: (\d+) faults in 10 s$`, ""},
		consoleStep{`^tamavisor: partition "test": (\d+) more fault lines suppressed \(at most 20 a second are printed\)$`, ""})
	r := runStepsWith(t, binary, img, 300*time.Second, steps, "-icount", "shift=3,sleep=off")
	worst := func(from, n int) (w int) {
		for i := from; i < from+n; i++ {
			j, _ := strconv.Atoi(r.Matches[i][2])
			w = max(w, j)
		}
		return w
	}
	// The first heartbeat after the attacker is done, and the one in
	// which the flood starts, are left out.
	idleWorst := worst(2, idle-1)
	floodWorst := worst(1+idle+2, during-1)
	faults, _ := strconv.Atoi(r.Matches[1+idle+1+during][1])
	t.Logf("ECU worst period jitter: idle %d us, during a flood of %d faults in 10 s %d us", idleWorst, faults, floodWorst)
	assert.Greater(t, faults, 1000, "the flood faulted")
	assert.LessOrEqual(t, floodWorst, idleWorst+idleWorst/10, "the flood stretched the ECU's periods")
	printed := 0
	for _, l := range r.Output {
		if regexp.MustCompile(`^tamavisor: partition "test": vCPU 0: Data Abort .* at IPA 0x70000000 `).MatchString(l) {
			printed++
		}
	}
	assert.LessOrEqual(t, printed, 20*12, "fault lines printed")
}
