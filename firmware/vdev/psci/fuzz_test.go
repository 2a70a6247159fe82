package psci

import (
	"testing"

	"github.com/tamavisor/tamavisor/aarch64"
)

// FuzzCall: a guest controls every register of its calls. Whatever it
// passes, from whatever state, Call does not panic, leaves x1..x3 zero,
// refuses what it does not implement without side effects, keeps the
// running count right, and changes state only as its Action says.
func FuzzCall(f *testing.F) {
	for _, tc := range callCases {
		f.Add(uint8(tc.self), packState(tc.prior, tc.request), tc.fn, tc.x1, tc.x2, tc.x3)
	}
	f.Fuzz(func(t *testing.T, self uint8, packed uint16, fn, x1, x2, x3 uint64) {
		p := newTestPartition(t, int(self)%3)
		powers, request := unpackState(packed)
		setState(p.state, powers, request)

		r := p.Call(fn, x1, x2, x3)

		after := storedPowers(p)
		if r.X[1] != 0 || r.X[2] != 0 || r.X[3] != 0 {
			t.Fatalf("x1..x3 = %#x", r.X[1:])
		}
		id := uint32(fn)
		implemented := psciFeature(id) == aarch64.PSCISuccess || uint64(id) == aarch64.SMCCCArchFeatures
		if !implemented && (r.Code() != aarch64.PSCINotSupported || r.Action != ActionNone) {
			t.Fatalf("function %#x is not implemented, yet returned %d with action %s", id, r.Code(), r.Action)
		}
		running := uint32(0)
		for _, power := range after {
			if power != PowerOff {
				running++
			}
		}
		if got := p.state.running.Load(); got != running {
			t.Fatalf("running count %d, %d vCPUs are not OFF: %v", got, running, after)
		}
		changed := 0
		for i := range after {
			if after[i] != powers[i] {
				changed++
			}
		}
		switch r.Action {
		case ActionNone:
			if changed != 0 || p.Request() != request {
				t.Fatalf("action none, yet the state went from %v %s to %v %s", powers, request, after, p.Request())
			}
		case ActionWake:
			if changed != 1 || powers[r.VCPU] != PowerOff || after[r.VCPU] != PowerOnPending {
				t.Fatalf("woke vCPU %d, state went from %v to %v", r.VCPU, powers, after)
			}
		case ActionPark:
			if changed != 1 || powers[p.self] != PowerOn || after[p.self] != PowerOff {
				t.Fatalf("parked vCPU %d, state went from %v to %v", p.self, powers, after)
			}
		case ActionStop, ActionRestart:
			if p.Request() == RequestNone || changed > 1 {
				t.Fatalf("%s: request %s, state went from %v to %v", r.Action, p.Request(), powers, after)
			}
		}
	})
}

// packState and unpackState turn the state of the test partition's three
// vCPUs and its request into one fuzzer input: two bits for each.
func packState(powers []PowerState, request Request) uint16 {
	packed := uint16(request&3) << 6
	for i, power := range powers {
		packed |= uint16(power&3) << (2 * i)
	}
	return packed
}

func unpackState(packed uint16) ([]PowerState, Request) {
	powers := make([]PowerState, 3)
	for i := range powers {
		powers[i] = PowerState(packed>>(2*i)) & 3
	}
	// Request 3 does not exist; fold it onto SYSTEM_RESET.
	return powers, min(Request(packed>>6)&3, RequestSystemReset)
}
