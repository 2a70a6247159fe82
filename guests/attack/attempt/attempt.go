// Package attempt is what the isolation attacker (guests/attack) tries and
// how it reports each try, as plain Go that host tests check: the list of
// attempts in order, and one console line per attempt,
//
//	attack: <name>: <outcome>
//
// where the outcome is "ok" (the access worked), "abort (<exception>)" (a
// synchronous exception was taken, named by its ESR class), "psci <code>"
// for PSCI calls, or "returned 0x..." for other hypervisor and secure
// monitor calls.
package attempt

import (
	"strconv"
	"strings"

	"github.com/tamavisor/tamavisor/aarch64"
	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/guests/el1"
	"github.com/tamavisor/tamavisor/mmu"
)

// Kind is the operation an attempt performs.
type Kind uint8

const (
	Read64       Kind = iota // a 64-bit load
	Write64                  // a 64-bit store
	Read32                   // a 32-bit load, for device registers
	HVC                      // a hypervisor call (SMCCC)
	SMC                      // a secure monitor call (SMCCC)
	Breakpoint               // a BRK instruction
	EventCounter             // MRS of PMEVCNTR0_EL0, which a PMU of no counters does not have
	HVCImmediate             // an HVC with immediate 1, which no SMCCC service uses
)

func (k Kind) String() string {
	switch k {
	case Read64:
		return "read64"
	case Write64:
		return "write64"
	case Read32:
		return "read32"
	case HVC:
		return "hvc"
	case SMC:
		return "smc"
	case Breakpoint:
		return "brk"
	case EventCounter:
		return "mrs pmevcntr0_el0"
	case HVCImmediate:
		return "hvc #1"
	}
	return "unknown"
}

// Attempt is one thing the attacker tries.
type Attempt struct {
	Name string
	Kind Kind
	// Address and Value are the access's address, and what a write
	// stores.
	Address uint64
	Value   uint64
	// Map asks for Address's page to be mapped into the attacker's own
	// stage 1 first (as device memory, so nothing is speculated or
	// cached), so that the access reaches the hypervisor's stage 2
	// instead of faulting in the attacker's own tables.
	Map bool
	// Function and Args are a call's function ID (x0) and arguments
	// (x1..x3); PSCI says the result is a PSCI return value.
	Function uint64
	Args     [3]uint64
	PSCI     bool
}

// Target is what the plan needs to know about the attacker and the system
// around it.
type Target struct {
	// OwnRAM is the attacker's partition memory.
	OwnRAM board.Region
	// Scratch is the address of a word of the attacker's own data.
	Scratch uint64
	// OwnMPIDR is the affinity of the core the attacker runs on.
	OwnMPIDR uint64
	// ParkedEntry is code in the attacker's RAM that parks a core: the
	// entry point it asks PSCI to start another partition's core at.
	ParkedEntry uint64
	// OtherRAM is another partition's memory (ecu's).
	OtherRAM board.Region
	// OtherCore is the MPIDR affinity of a core of another partition.
	OtherCore uint64
	// Hypervisor lists addresses of the hypervisor's own memory.
	Hypervisor []uint64
	// GICD, SMMU and Unassigned are the interrupt controller's
	// distributor, the SMMU's registers (0 on a board without one: no
	// attempt), and a device no partition was given.
	GICD, SMMU, Unassigned uint64
	// ForeignGICR is a redistributor frame of a vCPU the partition does
	// not have: another core's.
	ForeignGICR uint64
}

// Marker is what write attempts store: "attack!!" in ASCII, so that memory
// they reached is recognizable.
const Marker uint64 = 0x2121_6b63_6174_7461

// Function IDs the plan calls (DEN 0022 for PSCI; the unknown one is a
// vendor-specific hypervisor service number nothing implements, DEN 0028
// 6.2).
const (
	UnknownFunction = 0xc200_0042
)

// Plan returns the attempts in the order they run. The last two check the
// harness itself: they must abort everywhere.
func Plan(t Target) []Attempt {
	ramEnd := t.OwnRAM.End()
	plan := []Attempt{
		{Name: "read own RAM at " + hex(t.Scratch), Kind: Read64, Address: t.Scratch},
		{Name: "write own RAM at " + hex(t.Scratch), Kind: Write64, Address: t.Scratch, Value: Marker},
		{Name: "read just below own RAM at " + hex(t.OwnRAM.Base-8), Kind: Read64, Address: t.OwnRAM.Base - 8, Map: true},
		{Name: "read just above own RAM at " + hex(ramEnd), Kind: Read64, Address: ramEnd, Map: true},
		{Name: "read another partition's RAM at " + hex(t.OtherRAM.Base), Kind: Read64, Address: t.OtherRAM.Base, Map: true},
	}
	for _, addr := range t.Hypervisor {
		plan = append(plan,
			Attempt{Name: "read hypervisor memory at " + hex(addr), Kind: Read64, Address: addr, Map: true},
			Attempt{Name: "write hypervisor memory at " + hex(addr), Kind: Write64, Address: addr, Value: Marker, Map: true})
	}
	plan = append(plan,
		// The distributor is the partition's own, virtual one: allowed.
		Attempt{Name: "read own virtual GIC distributor at " + hex(t.GICD), Kind: Read32, Address: t.GICD, Map: true},
		// A redistributor frame of a vCPU the partition does not have.
		Attempt{Name: "read a foreign GIC redistributor at " + hex(t.ForeignGICR), Kind: Read32, Address: t.ForeignGICR, Map: true})
	if t.SMMU != 0 {
		plan = append(plan, Attempt{Name: "read SMMU at " + hex(t.SMMU), Kind: Read32, Address: t.SMMU, Map: true})
	}
	return append(plan,
		Attempt{Name: "read unassigned device at " + hex(t.Unassigned), Kind: Read32, Address: t.Unassigned, Map: true},
		Attempt{Name: "PSCI CPU_ON another partition's core " + hex(t.OtherCore), Kind: HVC, PSCI: true,
			Function: aarch64.PSCICPUOn64, Args: [3]uint64{t.OtherCore, t.ParkedEntry, 0}},
		Attempt{Name: "PSCI CPU_ON own core " + hex(t.OwnMPIDR) + " at " + hex(t.OtherRAM.Base) + " outside own RAM", Kind: HVC, PSCI: true,
			Function: aarch64.PSCICPUOn64, Args: [3]uint64{t.OwnMPIDR, t.OtherRAM.Base, 0}},
		Attempt{Name: "PSCI_VERSION", Kind: HVC, PSCI: true, Function: aarch64.PSCIVersion},
		Attempt{Name: "unknown HVC " + hex(UnknownFunction), Kind: HVC, Function: UnknownFunction},
		Attempt{Name: "unknown SMC " + hex(UnknownFunction), Kind: SMC, Function: UnknownFunction},
		Attempt{Name: "PSCI_VERSION with HVC #1", Kind: HVCImmediate, Function: aarch64.PSCIVersion},
		Attempt{Name: "read PMU event counter 0", Kind: EventCounter},
		Attempt{Name: "harness: read unmapped address 0x0", Kind: Read64, Address: 0},
		Attempt{Name: "harness: BRK", Kind: Breakpoint},
	)
}

// ProbeAttributes is how an attempt's page is mapped into the attacker's
// stage 1.
var ProbeAttributes = mmu.Attributes{Type: mmu.DeviceNGnRnE, Perm: mmu.Read | mmu.Write}

// OutcomeKind says how an attempt ended.
type OutcomeKind uint8

const (
	OK       OutcomeKind = iota // the access completed
	Abort                       // a synchronous exception was taken
	PSCI                        // a PSCI call returned
	Returned                    // another call returned
)

// Outcome is how an attempt ended.
type Outcome struct {
	Kind OutcomeKind
	// Value is x0 after a call.
	Value uint64
	// Fault is the exception of an Abort.
	Fault el1.Fault
}

// Result classifies what happened when a ran: value is what the call
// returned in x0, fault the exception it took if faulted.
func Result(a Attempt, value uint64, fault el1.Fault, faulted bool) Outcome {
	switch {
	case faulted:
		return Outcome{Kind: Abort, Fault: fault}
	case a.Kind == HVC || a.Kind == SMC || a.Kind == HVCImmediate:
		if a.PSCI {
			return Outcome{Kind: PSCI, Value: value}
		}
		return Outcome{Kind: Returned, Value: value}
	}
	return Outcome{Kind: OK}
}

// Line returns the console line of attempt a with outcome o, without the
// newline.
func Line(a Attempt, o Outcome) string {
	return "attack: " + a.Name + ": " + o.describe(a)
}

func (o Outcome) describe(a Attempt) string {
	switch o.Kind {
	case OK:
		return "ok"
	case Abort:
		// The address is in the attempt's name already; the lines stay
		// short enough for the hypervisor's console line (160 bytes).
		return "abort (" + strings.TrimSuffix(o.Fault.Error(), " at "+hex(a.Address)) + ")"
	case PSCI:
		if a.Function == aarch64.PSCIVersion && int32(o.Value) >= 0 {
			// PSCI_VERSION returns major in bits [30:16], minor in [15:0] (DEN 0022 5.1.1).
			return "psci " + hex(o.Value) + " (version " + strconv.FormatUint(o.Value>>16&0x7fff, 10) +
				"." + strconv.FormatUint(o.Value&0xffff, 10) + ")"
		}
		// PSCI return codes are signed 32-bit values in w0 (DEN 0022 5.2.2).
		code := int64(int32(o.Value))
		return "psci " + strconv.FormatInt(code, 10) + " (" + aarch64.PSCIReturnString(code) + ")"
	case Returned:
		return "returned " + hex(o.Value)
	}
	return "unknown outcome"
}

func hex(v uint64) string { return "0x" + strconv.FormatUint(v, 16) }
