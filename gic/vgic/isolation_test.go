package vgic

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/firmware/vdev"
)

// A guest must neither see nor change interrupts it does not own. The
// tests run the same accesses on two partitions' worth of state: clean,
// where every interrupt the guest cannot see is in its reset state, and
// dirty, where all of them are set (enabled, pending, active, group 1,
// priority 0x5a, edge-triggered, routed to vCPU 1), as if someone else
// used them. The guest must read the same values from both, the hooks
// must report the same changes, and the hidden state of the dirty one
// must stay as it was.

// twin is a partition's virtual GIC with its recorder.
type twin struct {
	g *VGIC
	s *State
	r *recorder
}

func newTwins(t testing.TB) (clean, dirty twin) {
	t.Helper()
	clean.g, clean.s, clean.r = newTestGIC(t)
	dirty.g, dirty.s, dirty.r = newTestGIC(t)
	dirtyHiddenState(dirty.g, dirty.s)
	return clean, dirty
}

// hidden reports whether vcpu's guest cannot see intid; a vCPU the
// partition lacks sees nothing.
func hidden(g *VGIC, vcpu int, intid uint32) bool {
	if intid < privateINTIDs && vcpu >= g.vcpus {
		return true
	}
	_, visible := g.locate(vcpu, intid)
	return !visible
}

func dirtyHiddenState(g *VGIC, s *State) {
	d := &s.dist
	for intid := range uint32(1024) {
		if !hidden(g, 0, intid) {
			continue
		}
		bit := uint32(1) << (intid % 32)
		d.group[intid/32].Or(bit)
		d.enabled[intid/32].Or(bit)
		d.pending[intid/32].Or(bit)
		d.active[intid/32].Or(bit)
		d.priority[intid/4].Or(0x5a << (8 * (intid % 4)))
		d.config[intid/16].Or(icfgrEdge << (2 * (intid % 16)))
		if intid >= privateINTIDs && intid < SPIEnd {
			d.route[intid-privateINTIDs].Store(1)
		}
	}
	for v := range MaxVCPUs {
		r := &s.redist[v]
		for intid := range uint32(privateINTIDs) {
			if !hidden(g, v, intid) {
				continue
			}
			bit := uint32(1) << intid
			r.group[0].Or(bit)
			r.enabled[0].Or(bit)
			r.pending[0].Or(bit)
			r.active[0].Or(bit)
			r.priority[intid/4].Or(0x5a << (8 * (intid % 4)))
		}
	}
}

// hiddenState collects every piece of state the guest cannot see.
func hiddenState(g *VGIC, s *State) []uint32 {
	var all []uint32
	d := &s.dist
	for intid := range uint32(1024) {
		if !hidden(g, 0, intid) {
			continue
		}
		bit := uint32(1) << (intid % 32)
		all = append(all,
			d.group[intid/32].Load()&bit, d.enabled[intid/32].Load()&bit,
			d.pending[intid/32].Load()&bit, d.active[intid/32].Load()&bit,
			d.priority[intid/4].Load()>>(8*(intid%4))&0xff,
			d.config[intid/16].Load()>>(2*(intid%16))&3)
		if intid >= privateINTIDs && intid < SPIEnd {
			all = append(all, d.route[intid-privateINTIDs].Load())
		}
	}
	for v := range MaxVCPUs {
		r := &s.redist[v]
		for intid := range uint32(privateINTIDs) {
			if !hidden(g, v, intid) {
				continue
			}
			bit := uint32(1) << intid
			all = append(all, r.group[0].Load()&bit, r.enabled[0].Load()&bit,
				r.pending[0].Load()&bit, r.active[0].Load()&bit,
				r.priority[intid/4].Load()>>(8*(intid%4))&0xff)
		}
		if v >= g.vcpus {
			all = append(all, r.asleep.Load())
		}
	}
	return all
}

// same performs a in frame f on both twins, checks that the guest and
// the firmware notice no difference, and returns the hook calls.
func same(t *testing.T, clean, dirty twin, f frame, a vdev.Access) []hookCall {
	t.Helper()
	cv, cok := device(clean.g, f).Access(a)
	dv, dok := device(dirty.g, f).Access(a)
	if cok != dok {
		t.Fatalf("%v %+v accepted: %v with hidden interrupts set, %v without", f, a, dok, cok)
	}
	if cv != dv {
		t.Fatalf("%v %+v reads %#x with hidden interrupts set, %#x without", f, a, dv, cv)
	}
	calls, dirtyCalls := clean.r.take(), dirty.r.take()
	if !slices.Equal(calls, dirtyCalls) {
		t.Fatalf("%v %+v: hook calls %v with hidden interrupts set, %v without", f, a, dirtyCalls, calls)
	}
	return calls
}

// everyAccess calls do for every access size each register of each frame
// takes, at every position, for a load and for stores of all ones and
// of zero.
func everyAccess(g *VGIC, do func(f frame, a vdev.Access)) {
	type frameMap struct {
		frame     frame
		base      uint64
		registers []register
	}
	maps := []frameMap{{gicd, 0, distributorRegisters}}
	for v := range g.vcpus {
		maps = append(maps, frameMap{gicr, rd(v, 0), redistributorRegisters}, frameMap{gicr, sgi(v, 0), sgiRegisters})
	}
	for _, m := range maps {
		for _, r := range m.registers {
			for _, size := range []int{1, 4, 8} {
				if !r.sizes.allow(size) {
					continue
				}
				for offset := r.offset; offset < r.offset+r.length; offset += uint64(size) {
					for _, a := range []vdev.Access{
						{Offset: m.base + offset, Size: size, Write: true, Value: ^uint64(0)},
						{Offset: m.base + offset, Size: size},
						{Offset: m.base + offset, Size: size, Write: true, Value: 0},
						{Offset: m.base + offset, Size: size},
					} {
						do(m.frame, a)
					}
				}
			}
		}
	}
}

func TestHiddenInterruptsReadAsZeroAndIgnoreWrites(t *testing.T) {
	clean, dirty := newTwins(t)
	before := hiddenState(dirty.g, dirty.s)
	require.NotEmpty(t, before)
	everyAccess(clean.g, func(f frame, a vdev.Access) { same(t, clean, dirty, f, a) })
	assert.Equal(t, before, hiddenState(dirty.g, dirty.s), "hidden state changed")
}

// The hooks never name an interrupt the guest does not see, nor a vCPU
// the partition lacks.
func TestHooksNameOnlyVisibleInterrupts(t *testing.T) {
	g, _, r := newTestGIC(t)
	var seen int
	everyAccess(g, func(f frame, a vdev.Access) {
		device(g, f).Access(a)
		for _, c := range r.take() {
			seen++
			checkHookCall(t, g, c)
		}
	})
	assert.Positive(t, seen, "no hook was called")
}

func checkHookCall(t *testing.T, g *VGIC, c hookCall) {
	t.Helper()
	switch c.method {
	case "DistributorEnableChanged":
		return
	case "TriggerChanged", "RouteChanged":
		assert.GreaterOrEqual(t, c.intid, uint32(privateINTIDs), "%v names a private interrupt", c)
	}
	if c.intid < privateINTIDs {
		assert.True(t, c.vcpu >= 0 && c.vcpu < g.vcpus, "%v names no vCPU of the partition", c)
	}
	assert.False(t, hidden(g, max(c.vcpu, 0), c.intid), "%v names a hidden interrupt", c)
	assert.True(t, c.vcpu >= NoVCPU && c.vcpu < g.vcpus, "%v names a vCPU the partition lacks", c)
}

// Firmware calls for hidden interrupts change nothing either.
func TestFirmwareCallsLeaveHiddenInterruptsAlone(t *testing.T) {
	_, dirty := newTwins(t)
	before := hiddenState(dirty.g, dirty.s)
	for v := -1; v <= MaxVCPUs; v++ {
		for intid := range uint32(1030) {
			if _, visible := dirty.g.locate(v, intid); visible {
				continue
			}
			assert.False(t, dirty.g.SetPending(v, intid), "SetPending(%d, %d)", v, intid)
			assert.False(t, dirty.g.ClearPending(v, intid), "ClearPending(%d, %d)", v, intid)
			assert.False(t, dirty.g.SetActive(v, intid, false), "SetActive(%d, %d)", v, intid)
			assert.False(t, dirty.g.Pending(v, intid), "Pending(%d, %d)", v, intid)
			assert.False(t, dirty.g.Active(v, intid), "Active(%d, %d)", v, intid)
			_, ok := dirty.g.Deliverable(v, intid)
			assert.False(t, ok, "Deliverable(%d, %d)", v, intid)
		}
	}
	assert.Equal(t, before, hiddenState(dirty.g, dirty.s), "hidden state changed")
}
