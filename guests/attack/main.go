//go:build tamago && arm64

// Command attack is the isolation attacker: a bare-metal Go guest at EL1
// that tries to reach what its partition was not given (other partitions'
// memory, the hypervisor's, the interrupt controller, the SMMU, devices,
// other cores), then makes HVC and SMC calls with random function IDs and
// every argument register random, and checks that its FP/SIMD registers
// survive traps. It prints one line per attempt with what happened, then
// "attack: done". Every attempt survives the exception it may raise: el1's
// Try resumes after the faulting instruction. The attempts are in package
// attempt. Build it with `make guest-elfs`.
package main

import (
	"strconv"
	"unsafe"

	"github.com/tamavisor/tamavisor/aarch64"
	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/driver/mmio"
	"github.com/tamavisor/tamavisor/guests/attack/attempt"
	"github.com/tamavisor/tamavisor/guests/el1"
	"github.com/tamavisor/tamavisor/mmu"
)

// Defined in instructions_arm64.s.
func breakpoint()
func parkedAddress() uint64
func fpAcrossTraps(gicd, rounds uint64, regs *[64]uint64)
func timerFires(spins uint64)
func readEventCounter0() uint64
func hvcImmediate1(fn uint64) uint64

// randomCalls is how many random calls the attacker makes, HVC and SMC
// alternately.
const randomCalls = 16

// scratch is the word of its own memory the attacker reads and writes.
var scratch uint64

// The rest of the system, as configs/qemu-virt.yaml lays it out (and the
// imx8mp-evk test config, the same way).
const (
	ecuBase = 0x7000_0000 // partition "ecu"
	ecuSize = 64 << 20
	ecuCore = 2
	// hypervisorData is the hypervisor's own memory (shared region and
	// per-core slots); hypervisorPayload is where its fixed memory ends
	// and the partition table and guest images it loads begin.
	hypervisorData    = hypervisorBase
	hypervisorPayload = hypervisorBase + hypervisorSize

	// psciSystemReset is PSCI's SYSTEM_RESET function ID (DEN 0022).
	psciSystemReset = 0x8400_0009
)

func main() {
	out := el1.Output()
	out.WriteString("attack: up at EL1\n")
	target := attempt.Target{
		OwnRAM:      board.Region{Base: partitionBase, Size: partitionSize},
		Scratch:     uint64(uintptr(unsafe.Pointer(&scratch))),
		OwnMPIDR:    aarch64.MPIDR(el1.MPIDR()).Affinity(),
		ParkedEntry: parkedAddress(),
		OtherRAM:    board.Region{Base: ecuBase, Size: ecuSize},
		OtherCore:   mpidrOf(ecuCore),
		Hypervisor:  []uint64{hypervisorData, hypervisorPayload},
		GICD:        gicdBase,
		ForeignGICR: gicrBase + gicrStride,
		SMMU:        smmuBase,
		Unassigned:  unassignedDevice,
	}
	for _, a := range attempt.Plan(target) {
		if a.Map {
			if err := mapPage(a.Address); err != nil {
				out.WriteString("attack: " + a.Name + ": not attempted: mapping its page failed: " + err.Error() + "\n")
				continue
			}
		}
		var value uint64
		fault, faulted := el1.Try(func() { value = run(a) })
		out.WriteString(attempt.Line(a, attempt.Result(a, value, fault, faulted)) + "\n")
	}
	for i, c := range attempt.RandomCalls(attempt.RandomSeed, randomCalls) {
		x := c.X
		fault, faulted := el1.Try(func() {
			if c.Conduit == attempt.SMC {
				el1.SMCRegisters(&x)
			} else {
				el1.HVCRegisters(&x)
			}
		})
		if faulted {
			out.WriteString(c.AbortLine(i, fault) + "\n")
			continue
		}
		out.WriteString(c.Line(i, x) + "\n")
	}
	out.WriteString(fpLine(target.GICD) + "\n")
	timerFires(100_000)
	out.WriteString("attack: own timer firing with its interrupt disabled: ok\n")
	for _, line := range []func() string{pmuLine, setWayLine, debugLine, spiRoutingLine, physicalTimerLine} {
		out.WriteString(line() + "\n")
	}
	for _, line := range eduLines() {
		out.WriteString(line + "\n")
	}
	out.WriteString("attack: done (type f to fault in a tight loop for 10 s, r to reset the partition)\n")
	for {
		switch b, _ := el1.Input(); b {
		case 'f':
			out.WriteString(floodLine(10) + "\n")
		case 'r':
			// PSCI SYSTEM_RESET (DEN 0022, 5.11): the hypervisor
			// restarts this partition alone; it does not return.
			out.WriteString("attack: SYSTEM_RESET\n")
			el1.HVC(psciSystemReset, 0, 0, 0)
		}
		wait(10)
	}
}

// floodLine reads memory the partition was not given in a tight loop for
// the given seconds: each read is a fault the hypervisor reports (rate
// limited) and turns into an abort, which the attacker takes and goes on.
func floodLine(seconds uint64) string {
	if err := mapPage(ecuBase); err != nil {
		return "attack: fault flood: not attempted: " + err.Error()
	}
	frequency := el1.CounterFrequency()
	end := el1.Counter() + seconds*frequency
	faults := 0
	for el1.Counter() < end {
		if _, faulted := el1.Try(func() { mmio.Read64(ecuBase) }); faulted {
			faults++
		}
	}
	return "attack: fault flood: " + strconv.Itoa(faults) + " faults in " + strconv.FormatUint(seconds, 10) + " s"
}

// wait spins for ms milliseconds.
func wait(ms uint64) {
	end := el1.Counter() + ms*el1.CounterFrequency()/1000
	for el1.Counter() < end {
	}
}

// mapPage maps the page of addr into the attacker's stage 1, unless it is
// mapped already.
func mapPage(addr uint64) error {
	page, end := el1.Pages(addr, 8)
	if el1.Mapped(page) {
		return nil
	}
	return el1.Map(mmu.Region{Name: "probe", VA: page, PA: page, Size: end - page, Attr: attempt.ProbeAttributes})
}

// run performs a; a call's x0 is its result.
func run(a attempt.Attempt) uint64 {
	switch a.Kind {
	case attempt.Read64:
		return mmio.Read64(a.Address)
	case attempt.Write64:
		mmio.Write64(a.Address, a.Value)
	case attempt.Read32:
		return uint64(mmio.Read32(a.Address))
	case attempt.HVC:
		return el1.HVC(a.Function, a.Args[0], a.Args[1], a.Args[2])
	case attempt.SMC:
		return el1.SMC(a.Function, a.Args[0], a.Args[1], a.Args[2])
	case attempt.Breakpoint:
		breakpoint()
	case attempt.EventCounter:
		return readEventCounter0()
	case attempt.HVCImmediate:
		return hvcImmediate1(a.Function)
	}
	return 0
}

// fpTrapRounds is how many times fpAcrossTraps traps each way.
const fpTrapRounds = 100

// fpLine checks that the hypervisor hands back the FP/SIMD registers as
// the guest left them across its traps: a hypervisor whose trap path uses
// them (Go's does) must save and restore them, or its guests' programs
// see their values change, and see the hypervisor's.
func fpLine(gicd uint64) string {
	line := "attack: FP/SIMD registers across " + strconv.Itoa(3*fpTrapRounds) + " HVC, SGI and MMIO traps: "
	if err := mapPage(gicd); err != nil {
		return line + "not attempted: mapping the distributor failed: " + err.Error()
	}
	var before, after [64]uint64
	for i := range before {
		before[i] = 0x5a5a_0000_0000_0000 | uint64(i)
	}
	after = before
	fault, faulted := el1.Try(func() { fpAcrossTraps(gicd, fpTrapRounds, &after) })
	if faulted {
		return line + "abort (" + fault.Error() + ")"
	}
	changed := 0
	for q := 0; q < 32; q++ {
		if after[2*q] != before[2*q] || after[2*q+1] != before[2*q+1] {
			changed++
		}
	}
	if changed != 0 {
		return line + strconv.Itoa(changed) + " of 32 changed"
	}
	return line + "kept"
}
