package lifecycle

import (
	"fmt"
	"sync/atomic"
)

// A model of the firmware around the state machine: each core runs its
// vCPU's loop one step at a time, as guest_el2.go does between traps. The
// deterministic tests and the fuzzer choose which core steps next and
// what its guest does; the goroutine tests let the Go scheduler choose.

// mode is where a core's firmware loop is.
type mode int32

const (
	modeOff      mode = iota // not joined yet
	modeWaiting              // parked, waiting for CPU_ON
	modeGuest                // running guest code (between two steps)
	modeTrap                 // in the hypervisor, handling its guest's trap
	modeLeading              // leading a stop: waiting for the others
	modeWiping               // leading a stop: resetting the partition
	modeStopWait             // acked a stop, waiting for its outcome
	modeSleep                // the partition stopped
)

var modeNames = [...]string{"off", "waiting", "guest", "trap", "leading", "wiping", "stop-wait", "sleep"}

func (m mode) String() string { return modeNames[m] }

// Guest actions, chosen for a core in its guest.
const (
	actNothing = iota
	actCPUOff
	actCPUOn
	actFault // the fault policy restarts the partition
	actSystemOff
	actSystemReset
	numActions
)

// wipeSteps is how many steps a leader's partition reset takes: other
// cores step in between, and none may be in its guest then.
const wipeSteps = 3

type core struct {
	v        *VCPU
	mode     atomic.Int32
	wipeLeft int
	action   Action
	reason   Reason
}

func (c *core) get() mode  { return mode(c.mode.Load()) }
func (c *core) set(m mode) { c.mode.Store(int32(m)) }

type world struct {
	state State
	cores []*core
	// cpuOn[v] is a CPU_ON pending for vCPU v.
	cpuOn    []atomic.Bool
	restarts atomic.Int64
	halts    atomic.Int64
	// violations records the first broken invariant.
	violation atomic.Pointer[string]
}

func newWorld(vcpus int) *world {
	w := &world{cpuOn: make([]atomic.Bool, vcpus)}
	for v := range vcpus {
		vc, err := New(&w.state, vcpus, v)
		if err != nil {
			panic(err)
		}
		w.cores = append(w.cores, &core{v: vc})
	}
	return w
}

func (w *world) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	w.violation.CompareAndSwap(nil, &msg)
}

// handle moves a core to where next sends it.
func (c *core) handle(next Next) {
	switch next {
	case Wait:
		c.set(modeStopWait)
	case Sleep:
		c.set(modeSleep)
	case EnterAtReset:
		c.set(modeGuest)
	case WaitForCPUOn:
		c.set(modeWaiting)
	}
}

// request is a guest's partition-wide request, as the firmware makes it.
func (c *core) request(a Action, r Reason) {
	if c.v.Request(a, r) {
		c.action, c.reason = a, r
		c.set(modeLeading)
		return
	}
	c.set(modeStopWait)
}

// step runs one step of core v's loop; act is what its guest does if it
// is in its guest, target the vCPU a CPU_ON names.
func (w *world) step(v, act, target int) {
	c := w.cores[v]
	switch c.get() {
	case modeOff:
		c.set(modeWaiting)
		if next := c.v.Join(); next != Continue {
			c.handle(next)
			return
		}
		if v == 0 {
			if c.v.Start() {
				c.set(modeGuest)
			} else {
				c.set(modeStopWait)
			}
		}
	case modeWaiting:
		if next := c.v.Exited(); next != Continue {
			c.handle(next)
			return
		}
		if w.cpuOn[v].Swap(false) {
			if c.v.Enter() {
				c.set(modeGuest)
			} else {
				c.set(modeStopWait)
			}
		}
	case modeGuest:
		if c.v.State() != Running {
			w.fail("vCPU %d in its guest in state %v", v, c.v.State())
		}
		c.set(modeTrap) // the guest trapped: the core is in the hypervisor
		switch act {
		case actCPUOff:
			c.v.CPUOff()
			c.set(modeWaiting)
			return
		case actCPUOn:
			if target != v {
				w.cpuOn[target].Store(true)
			}
		case actFault:
			c.request(ActionRestart, ReasonFault)
			return
		case actSystemOff:
			c.request(ActionStop, ReasonSystemOff)
			return
		case actSystemReset:
			c.request(ActionRestart, ReasonSystemReset)
			return
		}
		if next := c.v.Exited(); next != Continue {
			c.handle(next)
		} else {
			c.set(modeGuest)
		}
	case modeLeading:
		if c.v.Quiesced() == 0 {
			c.wipeLeft = wipeSteps
			c.set(modeWiping)
			w.checkNobodyInGuest(v)
		}
	case modeWiping:
		w.checkNobodyInGuest(v)
		if c.wipeLeft--; c.wipeLeft > 0 {
			return
		}
		for i := range w.cpuOn {
			w.cpuOn[i].Store(false) // PSCI reset
		}
		if c.action == ActionRestart {
			w.restarts.Add(1)
			c.handle(c.v.Restarted())
			if c.get() == modeWiping {
				c.set(modeStopWait)
			}
		} else {
			w.halts.Add(1)
			c.v.Halt(c.reason)
			c.set(modeSleep)
		}
	case modeStopWait:
		c.handle(c.v.Wait())
	}
}

// checkNobodyInGuest is the protocol's promise to the leader.
func (w *world) checkNobodyInGuest(leader int) {
	for v, c := range w.cores {
		if c.get() == modeGuest {
			w.fail("vCPU %d in its guest while vCPU %d resets the partition", v, leader)
		}
	}
}

// check verifies the invariants that hold between any two steps.
func (w *world) check() {
	leaders := 0
	for _, c := range w.cores {
		switch c.get() {
		case modeLeading, modeWiping:
			leaders++
		case modeGuest:
			if p := w.state.Phase(); p == PhaseStopped {
				w.fail("vCPU %d in its guest in a stopped partition", c.v.Self())
			}
		}
	}
	if leaders > 1 {
		w.fail("%d leaders at once", leaders)
	}
}

// settle steps every core round-robin, with guests doing nothing, until no
// stop is under way; it reports whether that happened within limit
// rounds.
func (w *world) settle(limit int) bool {
	for range limit {
		busy := false
		for v, c := range w.cores {
			w.step(v, actNothing, 0)
			w.check()
			switch c.get() {
			case modeLeading, modeWiping, modeStopWait:
				busy = true
			}
		}
		if !busy && w.state.Phase() != PhaseStopping {
			return true
		}
	}
	return false
}
