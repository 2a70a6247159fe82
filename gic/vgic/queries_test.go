package vgic

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A guest set-up every query test starts from: the distributor on, the
// owned SPIs in group 1 and enabled, SPI 33 at priority 0x40.
var enabledSPIs = []access{
	store(gicd, 0x0000, 4, 0x3),
	store(gicd, 0x0084, 4, 0xffff_ffff), store(gicd, 0x008c, 4, 0xffff_ffff),
	store(gicd, 0x0104, 4, 0xffff_ffff), store(gicd, 0x010c, 4, 0xffff_ffff),
	store(gicd, 0x0400+33, 1, 0x40),
}

func TestDeliverable(t *testing.T) {
	for _, tc := range []struct {
		name     string
		prior    []access
		vcpu     int
		intid    uint32
		priority uint8
		ok       bool
	}{
		{"enabled group 1 SPI", enabledSPIs, 0, 33, 0x40, true},
		{"on a vCPU it is not routed to", enabledSPIs, 1, 33, 0x40, true},
		{"another owned SPI", enabledSPIs, 1, 100, 0, true},
		{"disabled", seq(enabledSPIs, []access{store(gicd, 0x0184, 4, 1<<1)}), 0, 33, 0, false},
		{"distributor disabled", seq(enabledSPIs, []access{store(gicd, 0x0000, 4, 0)}), 0, 33, 0, false},
		{"group 1 while only group 0 is enabled", seq(enabledSPIs, []access{store(gicd, 0x0000, 4, 0x1)}), 0, 33, 0, false},
		{"group 0 while group 0 is enabled", []access{store(gicd, 0x0000, 4, 0x1), store(gicd, 0x0104, 4, 1<<1)}, 0, 33, 0, true},
		{"group 0 while only group 1 is enabled", []access{store(gicd, 0x0000, 4, 0x2), store(gicd, 0x0104, 4, 1<<1)}, 0, 33, 0, false},
		{"routed to no vCPU", seq(enabledSPIs, []access{store(gicd, 0x6108, 8, 0x100)}), 0, 33, 0, false},
		{"another partition's SPI", enabledSPIs, 0, 34, 0, false},
		{"no such vCPU", enabledSPIs, 2, 33, 0, false},
		{"negative vCPU", enabledSPIs, -1, 33, 0, false},
		{"INTID 1020 is special", enabledSPIs, 0, 1020, 0, false},
		{"beyond every INTID", enabledSPIs, 0, 1 << 20, 0, false},
		{"virtual timer on its vCPU",
			[]access{store(gicd, 0x0000, 4, 0x1), store(gicr, sgi(1, 0x0100), 4, 1<<27), store(gicr, sgi(1, 0x0400+27), 1, 0x20)},
			1, 27, 0x20, true},
		{"virtual timer on the other vCPU",
			[]access{store(gicd, 0x0000, 4, 0x1), store(gicr, sgi(1, 0x0100), 4, 1<<27)},
			0, 27, 0, false},
		{"maintenance PPI",
			[]access{store(gicd, 0x0000, 4, 0x3), store(gicr, sgi(0, 0x0100), 4, 0xffff_ffff)},
			0, 25, 0, false},
		{"SGI",
			[]access{store(gicd, 0x0000, 4, 0x3), store(gicr, sgi(0, 0x0100), 4, 1<<15)},
			0, 15, 0, true},
	} {
		g, _, _ := newTestGIC(t)
		for _, a := range tc.prior {
			perform(t, g, a, tc.name)
		}
		priority, ok := g.Deliverable(tc.vcpu, tc.intid)
		assert.Equal(t, tc.ok, ok, tc.name)
		assert.Equal(t, tc.priority, priority, tc.name)
	}
}

func TestTargetVCPU(t *testing.T) {
	for _, tc := range []struct {
		name  string
		prior []access
		intid uint32
		want  int
	}{
		{"after reset", nil, 48, 0},
		{"routed to vCPU 1", []access{store(gicd, 0x6180, 8, 1)}, 48, 1},
		{"routed by the low half", []access{store(gicd, 0x6180, 4, 1)}, 48, 1},
		{"routed to vCPU 2 of 2", []access{store(gicd, 0x6180, 8, 2)}, 48, NoVCPU},
		{"routed to 0.0.1.1", []access{store(gicd, 0x6180, 8, 0x101)}, 48, NoVCPU},
		{"routed to 0.1.0.0", []access{store(gicd, 0x6180, 8, 0x1_0000)}, 48, NoVCPU},
		{"another partition's SPI", nil, 49, NoVCPU},
		{"a PPI", nil, 27, NoVCPU},
		{"an SGI", nil, 0, NoVCPU},
		{"special INTID", nil, 1023, NoVCPU},
	} {
		g, _, _ := newTestGIC(t)
		for _, a := range tc.prior {
			perform(t, g, a, tc.name)
		}
		assert.Equal(t, tc.want, g.TargetVCPU(tc.intid), tc.name)
	}
}

// The firmware's own changes reach what the guest reads, only for
// interrupts the guest sees, and call no hook.
func TestFirmwareStateChanges(t *testing.T) {
	for _, tc := range []struct {
		name  string
		op    func(g *VGIC) bool
		ok    bool
		after []access
	}{
		{"SetPending of the virtual timer", func(g *VGIC) bool { return g.SetPending(1, 27) }, true,
			[]access{load(gicr, sgi(1, 0x0200), 4, 1<<27), load(gicr, sgi(0, 0x0200), 4, 0)}},
		{"SetPending of an SGI", func(g *VGIC) bool { return g.SetPending(0, 7) }, true,
			[]access{load(gicr, sgi(0, 0x0200), 4, 1<<7)}},
		{"SetPending of an SPI ignores the vCPU", func(g *VGIC) bool { return g.SetPending(NoVCPU, 48) }, true,
			[]access{load(gicd, 0x0204, 4, 1<<16)}},
		{"SetPending of a foreign SPI", func(g *VGIC) bool { return g.SetPending(0, 34) }, false, nil},
		{"SetPending of a hidden PPI", func(g *VGIC) bool { return g.SetPending(0, 26) }, false, nil},
		{"SetPending on a vCPU the partition lacks", func(g *VGIC) bool { return g.SetPending(2, 1) }, false, nil},
		{"ClearPending", func(g *VGIC) bool { g.SetPending(0, 100); g.SetPending(0, 33); return g.ClearPending(0, 100) }, true,
			[]access{load(gicd, 0x020c, 4, 0), load(gicd, 0x0204, 4, 1<<1)}},
		{"ClearPending of a foreign SPI", func(g *VGIC) bool { return g.ClearPending(0, 35) }, false, nil},
		{"SetActive", func(g *VGIC) bool { return g.SetActive(0, 100, true) }, true,
			[]access{load(gicd, 0x030c, 4, 1<<4)}},
		{"SetActive false", func(g *VGIC) bool {
			g.SetActive(1, 30, true)
			g.SetActive(1, 27, true)
			return g.SetActive(1, 30, false)
		}, true,
			[]access{load(gicr, sgi(1, 0x0300), 4, 1<<27)}},
		{"SetActive of a foreign SPI", func(g *VGIC) bool { return g.SetActive(0, 1019, true) }, false, nil},
	} {
		g, s, r := newTestGIC(t)
		assert.Equal(t, tc.ok, tc.op(g), tc.name)
		for _, a := range tc.after {
			perform(t, g, a, tc.name)
		}
		assert.Empty(t, r.take(), "%s called hooks", tc.name)
		if !tc.ok {
			fresh := new(State)
			assert.NoError(t, fresh.Reset(0))
			assert.Equal(t, fresh, s, "%s changed the state", tc.name)
		}
	}
}

func TestPendingAndActiveQueries(t *testing.T) {
	g, _, _ := newTestGIC(t)
	g.SetPending(0, 33)
	g.SetActive(1, 5, true)
	for _, tc := range []struct {
		vcpu            int
		intid           uint32
		pending, active bool
	}{
		{0, 33, true, false},
		{1, 33, true, false}, // an SPI is the same on every vCPU
		{1, 5, false, true},
		{0, 5, false, false},
		{0, 34, false, false},
		{3, 5, false, false},
	} {
		assert.Equal(t, tc.pending, g.Pending(tc.vcpu, tc.intid), "Pending(%d, %d)", tc.vcpu, tc.intid)
		assert.Equal(t, tc.active, g.Active(tc.vcpu, tc.intid), "Active(%d, %d)", tc.vcpu, tc.intid)
	}
}

func TestPendingSGIs(t *testing.T) {
	g, _, _ := newTestGIC(t)
	assert.Zero(t, g.PendingSGIs(0))
	g.SetPending(0, 3)
	g.SetPending(0, 15)
	g.SetPending(0, 27) // a PPI: not an SGI
	g.SetPending(1, 7)
	g.SetPending(0, 33) // an SPI
	assert.Equal(t, uint16(1<<3|1<<15), g.PendingSGIs(0))
	assert.Equal(t, uint16(1<<7), g.PendingSGIs(1))
	g.ClearPending(0, 3)
	assert.Equal(t, uint16(1<<15), g.PendingSGIs(0))
	assert.Zero(t, g.PendingSGIs(2), "a vCPU the partition lacks")
	assert.Zero(t, g.PendingSGIs(-1))
}

func TestNextPending(t *testing.T) {
	// SPI 48 routed to vCPU 1; vCPU 0's SGI 2 in group 0, everything else
	// the guest sees in group 1; SGI 3 pending but disabled.
	setup := []access{
		store(gicd, 0x0084, 4, 0xffff_ffff), store(gicd, 0x008c, 4, 0xffff_ffff),
		store(gicd, 0x0104, 4, 0xffff_ffff), store(gicd, 0x010c, 4, 0xffff_ffff),
		store(gicd, 0x6180, 8, 1),
		store(gicr, sgi(0, 0x0080), 4, 0xffff_fffb), store(gicr, sgi(1, 0x0080), 4, 0xffff_ffff),
		store(gicr, sgi(0, 0x0100), 4, 1<<2|1<<27), store(gicr, sgi(1, 0x0100), 4, 1<<5),
	}
	pending := []struct {
		vcpu  int
		intid uint32
	}{{0, 2}, {0, 3}, {0, 27}, {1, 5}, {0, 33}, {0, 48}, {0, 100}}

	type query struct {
		vcpu  int
		from  uint32
		intid uint32
		ok    bool
	}
	for _, tc := range []struct {
		ctlr    uint64
		queries []query
	}{
		{0x3, []query{
			{0, 0, 2, true}, {0, 3, 27, true}, {0, 28, 33, true}, {0, 34, 100, true}, {0, 101, 0, false},
			{1, 0, 5, true}, {1, 6, 48, true}, {1, 49, 0, false},
			{2, 0, 0, false}, {-1, 0, 0, false}, {0, 2000, 0, false},
		}},
		{0x2, []query{{0, 0, 27, true}, {1, 0, 5, true}}},
		{0x1, []query{{0, 0, 2, true}, {0, 3, 0, false}, {1, 0, 0, false}}},
		{0x0, []query{{0, 0, 0, false}, {1, 0, 0, false}}},
	} {
		g, _, _ := newTestGIC(t)
		for _, a := range seq(setup, []access{store(gicd, 0x0000, 4, tc.ctlr)}) {
			perform(t, g, a, "setup")
		}
		for _, p := range pending {
			g.SetPending(p.vcpu, p.intid)
		}
		for _, q := range tc.queries {
			intid, ok := g.NextPending(q.vcpu, q.from)
			assert.Equal(t, q.ok, ok, "GICD_CTLR %#x: NextPending(%d, %d)", tc.ctlr, q.vcpu, q.from)
			assert.Equal(t, q.intid, intid, "GICD_CTLR %#x: NextPending(%d, %d)", tc.ctlr, q.vcpu, q.from)
		}
	}
}

func TestEnabled(t *testing.T) {
	g, _, _ := newTestGIC(t)
	assert.False(t, g.Enabled(0, 33))
	perform(t, g, store(gicd, 0x0104, 4, 1<<1), "enable SPI 33")
	assert.True(t, g.Enabled(0, 33))
	assert.True(t, g.Enabled(1, 33), "an SPI's enable is the distributor's, whatever the vCPU")
	assert.False(t, g.Enabled(0, 35))
	assert.False(t, g.Enabled(0, 34), "another partition's SPI")
	assert.False(t, g.Enabled(0, 1<<20), "beyond every INTID")
}

func TestOwns(t *testing.T) {
	g, _, _ := newTestGIC(t)
	assert.True(t, g.Owns(33))
	assert.False(t, g.Owns(34), "another partition's SPI")
	assert.True(t, g.Owns(3), "an SGI")
	assert.False(t, g.Owns(1<<20))
}
