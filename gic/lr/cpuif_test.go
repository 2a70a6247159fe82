//go:build !tamago

package lr

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Interrupts the scenarios inject: software ones, and hardware-linked
// ones whose pINTID is their vINTID (a passthrough SPI, the timer PPI).
func irq(vintid uint32, priority uint8) VirtualIRQ {
	return VirtualIRQ{VINTID: vintid, Priority: priority}
}

func hwIRQ(vintid uint32, priority uint8) VirtualIRQ {
	return VirtualIRQ{VINTID: vintid, Priority: priority, HW: true, PINTID: vintid}
}

// An action is one thing the hypervisor or the guest does; it returns
// whether the outcome was the expected one.
type action func(c *CPUInterface, m *vcpuModel) bool

func inject(v VirtualIRQ, want bool) action {
	return func(c *CPUInterface, _ *vcpuModel) bool { return c.Inject(v) == want }
}

func sync() action {
	return func(c *CPUInterface, _ *vcpuModel) bool { c.Sync(); return true }
}

// guestAcks is the guest acknowledging an interrupt, which must be vintid.
func guestAcks(vintid uint32) action {
	return func(_ *CPUInterface, m *vcpuModel) bool { return m.acknowledge() == vintid }
}

func guestDeactivates(vintid uint32) action {
	return func(_ *CPUInterface, m *vcpuModel) bool { m.deactivate(vintid); return true }
}

// physicalDeactivated checks the physical INTIDs the guest has deactivated
// through hardware-linked list registers so far.
func physicalDeactivated(pintids ...uint32) action {
	return func(_ *CPUInterface, m *vcpuModel) bool { return slices.Equal(m.deactivated, pintids) }
}

func withdraw(vintid uint32, want bool) action {
	return func(c *CPUInterface, _ *vcpuModel) bool { _, ok := c.Withdraw(vintid); return ok == want }
}

func setPriority(vintid uint32, priority uint8, want bool) action {
	return func(c *CPUInterface, _ *vcpuModel) bool { return c.SetPriority(vintid, priority) == want }
}

// step is an action and the state after it: the list registers in the
// hardware, the queue, and whether the underflow maintenance interrupt
// is enabled (ICH_HCR_EL2.UIE) and asserted (ICH_MISR_EL2.U).
type step struct {
	name      string
	do        action
	lrs       string
	queue     string
	uie       bool
	underflow bool
}

func TestCPUInterfaceScenarios(t *testing.T) {
	for _, sc := range []struct {
		name   string
		numLRs int
		steps  []step
	}{
		{"one interrupt's life", 4, []step{
			{"inject", inject(irq(33, 0xa0), true), "33P - - -", "", false, false},
			{"inject again: still pending once", inject(irq(33, 0xa0), true), "33P - - -", "", false, false},
			{"guest acknowledges", guestAcks(33), "33A - - -", "", false, false},
			{"inject while active", inject(irq(33, 0xa0), true), "33PA - - -", "", false, false},
			{"guest deactivates", guestDeactivates(33), "33P - - -", "", false, false},
			{"guest acknowledges again", guestAcks(33), "33A - - -", "", false, false},
			{"guest deactivates again", guestDeactivates(33), "- - - -", "", false, false},
			{"sync frees it", sync(), "- - - -", "", false, false},
			{"the free register is used again", inject(irq(34, 0xa0), true), "34P - - -", "", false, false},
		}},
		{"re-injection after the guest finished, before a sync", 2, []step{
			{"inject", inject(irq(33, 0xa0), true), "33P -", "", false, false},
			{"guest acknowledges", guestAcks(33), "33A -", "", false, false},
			{"guest deactivates", guestDeactivates(33), "- -", "", false, false},
			{"inject: same register, pending, not pending and active", inject(irq(33, 0xa0), true),
				"33P -", "", false, false},
		}},
		{"overflow and underflow", 4, []step{
			{"inject", inject(irq(33, 0xa0), true), "33P - - -", "", false, false},
			{"inject", inject(irq(34, 0xa0), true), "33P 34P - -", "", false, false},
			{"inject", inject(irq(35, 0xa0), true), "33P 34P 35P -", "", false, false},
			{"inject", inject(irq(36, 0xa0), true), "33P 34P 35P 36P", "", false, false},
			{"no register free: queued", inject(irq(37, 0xa0), true), "33P 34P 35P 36P", "37", true, false},
			{"queued once", inject(irq(37, 0xa0), true), "33P 34P 35P 36P", "37", true, false},
			{"queued", inject(irq(38, 0xa0), true), "33P 34P 35P 36P", "37 38", true, false},
			{"guest acknowledges", guestAcks(33), "33A 34P 35P 36P", "37 38", true, false},
			{"guest deactivates", guestDeactivates(33), "- 34P 35P 36P", "37 38", true, false},
			{"guest acknowledges", guestAcks(34), "- 34A 35P 36P", "37 38", true, false},
			{"guest deactivates", guestDeactivates(34), "- - 35P 36P", "37 38", true, false},
			{"guest acknowledges", guestAcks(35), "- - 35A 36P", "37 38", true, false},
			{"guest deactivates: one left, underflow", guestDeactivates(35), "- - - 36P", "37 38", true, true},
			{"sync refills, in queue order", sync(), "37P 38P - 36P", "", false, false},
		}},
		{"a freed register found while injecting", 2, []step{
			{"inject", inject(irq(33, 0xa0), true), "33P -", "", false, false},
			{"inject", inject(irq(34, 0xa0), true), "33P 34P", "", false, false},
			{"guest acknowledges", guestAcks(33), "33A 34P", "", false, false},
			{"guest deactivates", guestDeactivates(33), "- 34P", "", false, false},
			{"inject: reads the registers back instead of queueing", inject(irq(35, 0xa0), true),
				"35P 34P", "", false, false},
		}},
		{"urgent interrupts take the registers", 2, []step{
			{"inject", inject(irq(33, 0xa0), true), "33P -", "", false, false},
			{"inject", inject(irq(34, 0xc0), true), "33P 34P", "", false, false},
			{"more urgent: displaces the least urgent", inject(irq(35, 0x80), true), "33P 35P", "34", true, false},
			{"equally urgent as the least urgent: queued", inject(irq(36, 0xa0), true), "33P 35P", "34 36", true, false},
			{"guest acknowledges the most urgent", guestAcks(35), "33P 35A", "34 36", true, false},
			{"most urgent: displaces the only pending one", inject(irq(37, 0x10), true), "37P 35A", "34 36 33", true, false},
			{"guest acknowledges", guestAcks(37), "37A 35A", "34 36 33", true, false},
			{"acknowledged ones stay: queued", inject(irq(38, 0x00), true), "37A 35A", "34 36 33 38", true, false},
			{"guest deactivates", guestDeactivates(37), "- 35A", "34 36 33 38", true, true},
			{"sync takes the most urgent, first of equals", sync(), "38P 35A", "34 36 33", true, false},
			{"guest acknowledges", guestAcks(38), "38A 35A", "34 36 33", true, false},
			{"guest deactivates", guestDeactivates(38), "- 35A", "34 36 33", true, true},
			{"guest deactivates", guestDeactivates(35), "- -", "34 36 33", true, true},
			{"sync", sync(), "36P 33P", "34", true, false},
		}},
		{"hardware-linked interrupts", 2, []step{
			{"inject", inject(hwIRQ(40, 0xa0), true), "40hP -", "", false, false},
			{"guest acknowledges", guestAcks(40), "40hA -", "", false, false},
			{"active: cannot be pending too", inject(hwIRQ(40, 0xa0), false), "40hA -", "", false, false},
			{"nor as a software interrupt", inject(irq(40, 0xa0), false), "40hA -", "", false, false},
			{"a software interrupt", inject(irq(42, 0xa0), true), "40hA 42P", "", false, false},
			{"guest acknowledges", guestAcks(42), "40hA 42A", "", false, false},
			{"active software one: not linked on top", inject(hwIRQ(42, 0xa0), false), "40hA 42A", "", false, false},
			{"guest deactivates", guestDeactivates(42), "40hA -", "", false, false},
			{"sync", sync(), "40hA -", "", false, false},
			{"inject the timer", inject(hwIRQ(27, 0x80), true), "40hA 27hP", "", false, false},
			{"a software interrupt, queued", inject(irq(33, 0xc0), true), "40hA 27hP", "33", true, false},
			{"more urgent: displaces the timer", inject(hwIRQ(41, 0x00), true), "40hA 41hP", "33 27", true, false},
			{"guest deactivates 40", guestDeactivates(40), "- 41hP", "33 27", true, true},
			{"sync", sync(), "27hP 41hP", "33", true, false},
			{"guest acknowledges", guestAcks(41), "27hP 41hA", "33", true, false},
			{"guest deactivates 41", guestDeactivates(41), "27hP -", "33", true, true},
			{"sync", sync(), "27hP 33P", "", false, false},
			{"the guest deactivated both physical ones", physicalDeactivated(40, 41), "27hP 33P", "", false, false},
		}},
		{"withdraw and reprioritize", 2, []step{
			{"inject", inject(irq(33, 0xa0), true), "33P -", "", false, false},
			{"inject", inject(irq(34, 0xa0), true), "33P 34P", "", false, false},
			{"inject", inject(irq(35, 0xa0), true), "33P 34P", "35", true, false},
			{"inject", inject(irq(36, 0xa0), true), "33P 34P", "35 36", true, false},
			{"withdraw a queued one", withdraw(36, true), "33P 34P", "35", true, false},
			{"withdraw one never injected", withdraw(99, false), "33P 34P", "35", true, false},
			{"withdraw a pending one: the queue refills", withdraw(33, true), "35P 34P", "", false, false},
			{"guest acknowledges", guestAcks(35), "35A 34P", "", false, false},
			{"withdraw an acknowledged one: nothing pending", withdraw(35, false), "35A 34P", "", false, false},
			{"inject while active", inject(irq(35, 0xa0), true), "35PA 34P", "", false, false},
			{"withdraw its pending part", withdraw(35, true), "35A 34P", "", false, false},
			{"reprioritize a pending one", setPriority(34, 0x20, true), "35A 34P", "", false, false},
			{"not an acknowledged one", setPriority(35, 0x20, false), "35A 34P", "", false, false},
			{"inject", inject(irq(36, 0xa0), true), "35A 34P", "36", true, false},
			{"reprioritize a queued one", setPriority(36, 0x10, true), "35A 34P", "36", true, false},
			{"guest acknowledges", guestAcks(34), "35A 34A", "36", true, false},
		}},
		{"one list register: no underflow interrupt", 1, []step{
			{"inject", inject(irq(33, 0xa0), true), "33P", "", false, false},
			{"queued, underflow stays off", inject(irq(34, 0xa0), true), "33P", "34", false, false},
			{"guest acknowledges", guestAcks(33), "33A", "34", false, false},
			{"guest deactivates", guestDeactivates(33), "-", "34", false, false},
			{"sync", sync(), "34P", "", false, false},
		}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			m := newVCPUModel(sc.numLRs)
			c := New(m)
			c.Enable()
			for _, s := range sc.steps {
				require.True(t, s.do(c, m), "%s: unexpected outcome", s.name)
				assert.Equal(t, s.lrs, m.listRegisters(), "%s: list registers", s.name)
				assert.Equal(t, s.queue, renderQueue(c), "%s: queue", s.name)
				assert.Equal(t, s.uie, m.hcr&hcrUIE != 0, "%s: ICH_HCR_EL2.UIE", s.name)
				assert.Equal(t, s.underflow, c.Underflow(), "%s: ICH_MISR_EL2.U", s.name)
				require.Empty(t, m.violations, s.name)
			}
			assert.Zero(t, c.Dropped())
		})
	}
}

// A new priority reaches the list register, where the guest sees it: of
// two interrupts pending at the same priority it acknowledges the lower
// list register first, unless the other one became more urgent.
func TestSetPriorityReachesTheGuest(t *testing.T) {
	m := newVCPUModel(2)
	c := New(m)
	c.Enable()
	require.True(t, c.Inject(irq(33, 0xa0)))
	require.True(t, c.Inject(irq(34, 0xa0)))
	require.True(t, c.SetPriority(34, 0x20))
	assert.Equal(t, uint8(0x20), m.lrs[1].Priority())
	assert.Equal(t, uint32(34), m.acknowledge())
}

func TestInjectRejectsMalformedInterrupts(t *testing.T) {
	for _, v := range []VirtualIRQ{
		irq(1020, 0xa0), // special INTIDs
		irq(1023, 0xa0),
		irq(8192, 0xa0),                            // LPIs: no virtual ITS
		{VINTID: 40, HW: true, PINTID: 5},          // an SGI cannot be hardware-linked
		{VINTID: 40, HW: true, PINTID: 1020},       // nor a special INTID
		{VINTID: 40, HW: true, PINTID: 1<<13 + 40}, // nor one wider than pINTID's 13 bits
	} {
		m := newVCPUModel(4)
		c := New(m)
		c.Enable()
		assert.False(t, c.Inject(v), "%+v", v)
		assert.Equal(t, uint64(1), c.Rejected(), "%+v", v)
		assert.Equal(t, "- - - -", m.listRegisters(), "%+v", v)
	}
}

func TestInjectDropsWhenTheQueueIsFull(t *testing.T) {
	m := newVCPUModel(2)
	c := New(m)
	c.Enable()
	for i := range 2 + QueueSize {
		require.True(t, c.Inject(irq(32+uint32(i), 0xa0)), "interrupt %d", i)
	}
	assert.Equal(t, QueueSize, c.Queued())
	assert.False(t, c.Inject(irq(32+2+QueueSize, 0xa0)), "queue overflowed")
	assert.False(t, c.Inject(irq(32+2+QueueSize, 0x00)), "displaced an interrupt with no room to queue it")
	assert.Equal(t, uint64(2), c.Dropped())
	assert.True(t, c.Inject(irq(40, 0xa0)), "an interrupt already queued is no drop")
	assert.Equal(t, "32P 33P", m.listRegisters())
}

func TestNewSizesFromVTR(t *testing.T) {
	for _, tc := range []struct {
		vtr     uint64
		numLRs  int
		numAPRs int
	}{
		{0b100<<29 | 0b100<<26 | 3, 4, 1},   // Cortex-A53: 4 list registers, 5 preemption bits
		{0b110<<29 | 0b110<<26 | 15, 16, 4}, // 16 list registers, 7 preemption bits
		{0b101<<29 | 0b101<<26 | 0, 1, 2},   // 1 list register, 6 preemption bits
		{0b100<<29 | 0b100<<26 | 31, 16, 1}, // ListRegs beyond the architecture's 16
	} {
		m := &vcpuModel{vtr: tc.vtr, numLRs: 16}
		c := New(m)
		assert.Equal(t, tc.numLRs, c.NumLRs(), "ICH_VTR_EL2 %#x", tc.vtr)
		assert.Equal(t, tc.numAPRs, c.numAPRs, "ICH_VTR_EL2 %#x", tc.vtr)
	}
}

func TestEnable(t *testing.T) {
	m := newVCPUModel(4)
	m.vtr |= 0b110 << 26 // 7 preemption bits: four active priority registers each
	for n := range 4 {
		m.lrs[n] = NewLR(uint32(40+n), 0, true, false, 0, Active)
		m.ap0r[n], m.ap1r[n] = 1, 1<<31
	}
	m.hcr = hcrUIE | 1<<14 // UIE and TDIR left by earlier firmware
	c := New(m)
	c.Enable()
	assert.Equal(t, "- - - -", m.listRegisters())
	assert.Equal(t, [maxAPRs]uint64{}, m.ap0r)
	assert.Equal(t, [maxAPRs]uint64{}, m.ap1r)
	assert.Equal(t, uint64(0xff00_0002), m.vmcr, "ICH_VMCR_EL2: VPMR 0xff, VENG1")
	assert.Equal(t, uint64(1), m.hcr, "ICH_HCR_EL2: En only")
}

func TestDisableDeactivatesWhatTheGuestNeverWill(t *testing.T) {
	m := newVCPUModel(2)
	c := New(m)
	c.Enable()
	require.True(t, c.Inject(hwIRQ(40, 0xa0)))
	require.True(t, c.Inject(irq(33, 0xa0)))
	require.True(t, c.Inject(hwIRQ(41, 0xa0)))
	require.True(t, c.Inject(irq(34, 0xa0)))
	require.Equal(t, "40hP 33P", m.listRegisters())
	require.Equal(t, "41 34", renderQueue(c))
	require.Equal(t, uint32(40), m.acknowledge())

	var deactivated []uint32
	c.Disable(func(pintid uint32) { deactivated = append(deactivated, pintid) })
	assert.Equal(t, []uint32{40, 41}, deactivated)
	assert.Equal(t, "- -", m.listRegisters())
	assert.Zero(t, c.Queued())
	assert.Zero(t, m.hcr, "ICH_HCR_EL2.En still set")

	c.Disable(nil) // nothing held, nothing to call
}

// A hardware-linked interrupt the guest has deactivated leaves its list
// register invalid but with HW and pINTID still set: its physical
// interrupt is no longer active and may since have fired again, for
// another vCPU even, so Disable must not deactivate it a second time.
func TestDisableSkipsWhatTheGuestDeactivated(t *testing.T) {
	m := newVCPUModel(2)
	c := New(m)
	c.Enable()
	require.True(t, c.Inject(hwIRQ(40, 0xa0)))
	require.Equal(t, uint32(40), m.acknowledge())
	m.deactivate(40)
	require.Equal(t, "- -", m.listRegisters())
	require.True(t, m.lrs[0].HW())

	var deactivated []uint32
	c.Disable(func(pintid uint32) { deactivated = append(deactivated, pintid) })
	assert.Empty(t, deactivated)
}

func TestTrapPathOperationsAllocateNothing(t *testing.T) {
	m := newVCPUModel(4)
	m.deactivated = make([]uint32, 0, 1000) // the model's record, not the driver's
	c := New(m)
	c.Enable()
	allocs := testing.AllocsPerRun(100, func() {
		for i := range uint32(8) {
			c.Inject(irq(32+i, uint8(0xa0-i)))
		}
		c.Inject(hwIRQ(27, 0x80))
		m.acknowledge()
		c.Sync()
		c.SetPriority(33, 0x10)
		c.Withdraw(34)
		c.Withdraw(35)
		for range 8 {
			if vintid := m.acknowledge(); vintid != 1023 {
				m.deactivate(vintid)
			}
		}
		c.Sync()
		_ = c.Underflow()
	})
	assert.Zero(t, allocs)
	assert.Empty(t, m.violations)
}
