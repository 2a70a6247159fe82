// Package lifecycle is the state machine of a partition and its vCPUs: who
// runs guest code, and the one stop-the-world protocol by which any vCPU
// (or the hypervisor on its behalf: a fault policy, PSCI SYSTEM_OFF or
// SYSTEM_RESET, the watchdog) stops or restarts the partition as a whole.
//
// The State is pointer-free and changed with atomics only, so it lives in
// the memory the hypervisor instances share; each core holds a VCPU view.
// The firmware is a thin shell around it: it enters the guest only after
// Enter said yes, calls Exited on every trap, and does the partition-wide
// work (wiping, reloading, resetting device models) only as a stop's
// leader, once every other vCPU has left its guest.
//
// vCPU states and their transitions:
//
//	Off ──Join──▶ Waiting ──Enter──▶ Running ──CPUOff──▶ Waiting
//	                 │                  │
//	                 └────── Ack ───────┴──▶ Stopping ──▶ Stopped
//	                                            │
//	                                   restarted: vCPU 0 ▶ Running,
//	                                   the others ▶ Waiting
//
// The protocol: the leader moves the partition from Running to Stopping,
// kicks the other vCPUs' cores, and waits (bounded) until each has acked
// (left its guest, or never entered one). Entering the guest is a CAS to
// Running followed by a check that the partition still runs; a stop first
// moves the partition to Stopping, then looks at the vCPUs. With
// sequentially consistent atomics one of the two sees the other, so no
// vCPU enters its guest after the leader found it out of it.
package lifecycle

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// MaxVCPUs is the most vCPUs a partition has: one per core of a 64-bit
// CPU mask.
const MaxVCPUs = 64

// VCPUState is where one vCPU is.
type VCPUState uint32

const (
	// Off: its core has not joined the partition yet (still booting).
	Off VCPUState = iota
	// Waiting: parked until the guest starts it with PSCI CPU_ON (or,
	// for vCPU 0, until the partition starts).
	Waiting
	// Running: in its guest, or handling one of its traps.
	Running
	// Stopping: left its guest for a partition-wide stop, and waits for
	// its outcome.
	Stopping
	// Stopped: the partition stopped; the vCPU runs nothing more.
	Stopped
)

var vcpuStateNames = [...]string{"off", "waiting for CPU_ON", "running", "stopping", "stopped"}

func (s VCPUState) String() string {
	if int(s) < len(vcpuStateNames) {
		return vcpuStateNames[s]
	}
	return "unknown vCPU state"
}

// Phase is where the partition as a whole is.
type Phase uint32

const (
	// PhaseNotStarted: before vCPU 0 first entered its guest.
	PhaseNotStarted Phase = iota
	// PhaseRunning: its vCPUs may run their guests.
	PhaseRunning
	// PhaseStopping: a stop is under way; no vCPU may enter its guest.
	PhaseStopping
	// PhaseStopped: it stopped for good.
	PhaseStopped
)

var phaseNames = [...]string{"not started", "running", "stopping", "stopped"}

func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return "unknown phase"
}

// Action is what a stop ends in.
type Action uint32

const (
	ActionStop Action = iota + 1
	ActionRestart
)

func (a Action) String() string {
	switch a {
	case ActionStop:
		return "stop"
	case ActionRestart:
		return "restart"
	}
	return "no action"
}

// Reason is why a stop was asked for.
type Reason uint32

const (
	ReasonNone Reason = iota
	ReasonFault
	ReasonSystemOff
	ReasonSystemReset
	ReasonWatchdog
	ReasonUnresponsive // a vCPU did not leave its guest in time
	ReasonStartFailed  // the images could not be loaded or checked
)

var reasonNames = [...]string{"none", "fault", "SYSTEM_OFF", "SYSTEM_RESET", "watchdog", "a vCPU did not stop", "start failed"}

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "unknown reason"
}

// State is one partition's lifecycle, shared by the cores of its vCPUs.
// The zero State is a partition whose cores have not joined.
type State struct {
	phase atomic.Uint32 // a Phase
	// The stop under way, valid while phase is Halting and after it.
	leader     atomic.Uint32
	action     atomic.Uint32
	reason     atomic.Uint32
	restarts   atomic.Uint32
	lastReason atomic.Uint32
	vcpus      [MaxVCPUs]atomic.Uint32 // VCPUStates
}

// Phase returns where the partition is.
func (s *State) Phase() Phase { return Phase(s.phase.Load()) }

// VCPU returns vCPU v's state.
func (s *State) VCPU(v int) VCPUState { return VCPUState(s.vcpus[v].Load()) }

// Restarts counts the partition's restarts; LastReason says why it last
// stopped or restarted, LastAction which it was.
func (s *State) Restarts() uint32   { return s.restarts.Load() }
func (s *State) LastReason() Reason { return Reason(s.lastReason.Load()) }
func (s *State) LastAction() Action { return Action(s.action.Load()) }

// VCPU is one core's view: the vCPU it runs.
type VCPU struct {
	state *State
	self  int
	vcpus int
}

// ErrNoState is New's error for a nil State.
var ErrNoState = errors.New("lifecycle: no State; pass the partition's State in the shared region")

// New returns the view of vCPU self of a partition of vcpus vCPUs.
func New(state *State, vcpus, self int) (*VCPU, error) {
	if state == nil {
		return nil, ErrNoState
	}
	if vcpus < 1 || vcpus > MaxVCPUs || self < 0 || self >= vcpus {
		return nil, fmt.Errorf("lifecycle: vCPU %d of %d does not exist", self, vcpus)
	}
	return &VCPU{state: state, self: self, vcpus: vcpus}, nil
}

// Self is the vCPU's index.
func (c *VCPU) Self() int { return c.self }

// State is the vCPU's own state.
func (c *VCPU) State() VCPUState { return c.state.VCPU(c.self) }

// Join is the vCPU's core arriving: Off to Waiting. If a stop is under
// way it acks at once; the result says what the core does next.
func (c *VCPU) Join() Next {
	c.state.vcpus[c.self].CompareAndSwap(uint32(Off), uint32(Waiting))
	return c.afterLeaving()
}

// Next is what a vCPU's core does after a step of the protocol.
type Next uint8

const (
	// Continue: nothing changed; run on (or keep waiting).
	Continue Next = iota
	// Wait: the vCPU is out of its guest for a stop; call Wait.
	Wait
	// Sleep: the partition stopped for good.
	Sleep
	// EnterAtReset: the partition restarted; vCPU 0 enters at its entry.
	EnterAtReset
	// WaitForCPUOn: the partition restarted; this vCPU waits for CPU_ON.
	WaitForCPUOn
)

var nextNames = [...]string{"continue", "wait", "sleep", "enter at reset", "wait for CPU_ON"}

func (n Next) String() string {
	if int(n) < len(nextNames) {
		return nextNames[n]
	}
	return "unknown"
}

// Start is vCPU 0 starting the partition the first time: the partition
// runs and vCPU 0 may enter. false means a stop came first.
func (c *VCPU) Start() bool {
	if c.self != 0 {
		return false
	}
	c.state.phase.CompareAndSwap(uint32(PhaseNotStarted), uint32(PhaseRunning))
	return c.Enter()
}

// Enter is the vCPU about to enter its guest (vCPU 0 at a start, any vCPU
// taking its CPU_ON). It reports whether it may; if not, the vCPU has
// acked a stop and calls Wait.
func (c *VCPU) Enter() bool {
	v := &c.state.vcpus[c.self]
	for {
		s := VCPUState(v.Load())
		if s == Running {
			break
		}
		if s != Waiting && s != Off {
			return false
		}
		if v.CompareAndSwap(uint32(s), uint32(Running)) {
			break
		}
	}
	if Phase(c.state.phase.Load()) == PhaseRunning {
		return true
	}
	v.Store(uint32(Stopping))
	return false
}

// CPUOff is the vCPU powering itself off (PSCI CPU_OFF): it waits for a
// CPU_ON.
func (c *VCPU) CPUOff() {
	c.state.vcpus[c.self].CompareAndSwap(uint32(Running), uint32(Waiting))
}

// Exited is called on every trap, and whenever a parked vCPU wakes: if a
// stop is under way the vCPU acks it (it is out of its guest) and must
// call Wait before running guest code again.
func (c *VCPU) Exited() Next {
	if Phase(c.state.phase.Load()) == PhaseRunning {
		return Continue
	}
	return c.afterLeaving()
}

// afterLeaving acks a stop under way or over, for a vCPU out of its guest.
// Only a vCPU writes its own state (the leader only reads the others'),
// so a store is enough.
func (c *VCPU) afterLeaving() Next {
	switch Phase(c.state.phase.Load()) {
	case PhaseStopping:
		c.state.vcpus[c.self].Store(uint32(Stopping))
		return Wait
	case PhaseStopped:
		c.state.vcpus[c.self].Store(uint32(Stopped))
		return Sleep
	}
	return Continue
}

// Request asks for a partition-wide stop ending in action, for reason.
// leader is true when this call started it: the caller then kicks the
// other vCPUs, calls Quiesced until it is true (or gives up with Abandon),
// and finishes with Halt or Restarted. Otherwise a stop was already under
// way (it wins) and the caller acks it: it calls Wait.
func (c *VCPU) Request(action Action, reason Reason) (leader bool) {
	s := c.state
	for {
		p := Phase(s.phase.Load())
		if p == PhaseStopping || p == PhaseStopped {
			c.afterLeaving()
			return false
		}
		if s.phase.CompareAndSwap(uint32(p), uint32(PhaseStopping)) {
			break
		}
	}
	s.leader.Store(uint32(c.self))
	s.action.Store(uint32(action))
	s.reason.Store(uint32(reason))
	s.vcpus[c.self].Store(uint32(Stopping))
	return true
}

// Stop returns the stop under way: its leader, action and reason.
func (s *State) Stop() (leader int, action Action, reason Reason) {
	return int(s.leader.Load()), Action(s.action.Load()), Reason(s.reason.Load())
}

// Quiesced reports, for the leader, the vCPUs still in their guests:
// zero when every other vCPU has acked or never joined.
func (c *VCPU) Quiesced() (pending uint64) {
	for v := 0; v < c.vcpus; v++ {
		switch VCPUState(c.state.vcpus[v].Load()) {
		case Waiting, Running:
			pending |= 1 << v
		}
	}
	return pending
}

// Halt ends the leader's stop for good: the partition is stopped. The
// other vCPUs see it in Wait.
func (c *VCPU) Halt(reason Reason) {
	s := c.state
	s.lastReason.Store(uint32(reason))
	s.action.Store(uint32(ActionStop))
	s.vcpus[c.self].Store(uint32(Stopped))
	s.phase.Store(uint32(PhaseStopped))
}

// Restarted ends the leader's restart, once the partition's memory,
// images and device models are as at power-on: the partition runs again
// from vCPU 0; every other vCPU waits for CPU_ON. The other vCPUs see it
// in Wait. It returns what the leader's own core does next.
func (c *VCPU) Restarted() Next {
	s := c.state
	s.restarts.Add(1)
	s.lastReason.Store(s.reason.Load())
	s.vcpus[c.self].Store(uint32(Waiting))
	// Last: a vCPU that sees the partition running sees the rest.
	s.phase.Store(uint32(PhaseRunning))
	return c.resumed()
}

// Wait is a vCPU that acked a stop looking at its outcome: Wait again
// while a stop is under way (one that began after a restart this vCPU has
// not seen yet finds it out of its guest all the same), Sleep if the
// partition stopped, EnterAtReset (vCPU 0) or WaitForCPUOn (the others)
// once it restarted.
func (c *VCPU) Wait() Next {
	v := &c.state.vcpus[c.self]
	switch Phase(c.state.phase.Load()) {
	case PhaseStopping:
		return Wait
	case PhaseStopped:
		v.Store(uint32(Stopped))
		return Sleep
	}
	v.Store(uint32(Waiting))
	return c.resumed()
}

func (c *VCPU) resumed() Next {
	if c.self == 0 {
		if c.Enter() {
			return EnterAtReset
		}
		return Wait
	}
	return WaitForCPUOn
}
