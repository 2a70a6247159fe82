//go:build !tamago

package gic

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/driver/mmio"
)

const testDistBase = qemuvirt.GICDBase

// repeated returns count writes of value to consecutive registers stride
// bytes apart, from offset.
func repeated(offset, stride uint64, count int, value uint32) []write {
	ws := make([]write, count)
	for i := range ws {
		ws[i] = write{offset + uint64(i)*stride, value}
	}
	return ws
}

func concat(parts ...[]write) []write {
	var all []write
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

func TestDistributorInit(t *testing.T) {
	for _, tc := range []struct {
		name          string
		spis          uint32
		itLinesNumber uint32
		firmwareCTLR  uint32 // what earlier firmware left in GICD_CTLR
		want          []write
	}{
		{
			name: "64 SPIs, affinity routing and group 1 already on", spis: 64, itLinesNumber: 2,
			firmwareCTLR: 0x13,
			want: concat([]write{
				{0x0000, 0x10}, // groups off, ARE_NS kept
				{0x0000, 0x10}, // ARE_NS
				{0x0084, 0xffff_ffff}, {0x0184, 0xffff_ffff}, {0x0284, 0xffff_ffff}, {0x0384, 0xffff_ffff},
				{0x0088, 0xffff_ffff}, {0x0188, 0xffff_ffff}, {0x0288, 0xffff_ffff}, {0x0388, 0xffff_ffff},
			},
				repeated(0x0420, 4, 16, 0xa0a0_a0a0), // INTIDs 32..95
				[]write{{0x0000, 0x13}}),
		},
		{
			name: "40 SPIs of 64, legacy routing with groups on", spis: 40, itLinesNumber: 2,
			firmwareCTLR: 0x03,
			want: concat([]write{
				{0x0000, 0x00},
				{0x0000, 0x10},
				{0x0084, 0xffff_ffff}, {0x0184, 0xffff_ffff}, {0x0284, 0xffff_ffff}, {0x0384, 0xffff_ffff},
				{0x0088, 0xffff_ffff}, {0x0188, 0xffff_ffff}, {0x0288, 0xffff_ffff}, {0x0388, 0xffff_ffff},
			},
				repeated(0x0420, 4, 10, 0xa0a0_a0a0), // INTIDs 32..71
				[]write{{0x0000, 0x13}}),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newDistributorModel(testDistBase, tc.itLinesNumber)
			m.regs[gicdCTLR] = tc.firmwareCTLR
			m.banks[gicdISENABLER+4] = 0x0000_ff00 // SPIs earlier firmware enabled
			m.banks[gicdISACTIVER+8] = 0x1
			defer mmio.SetBus(m)()

			d := Distributor{Base: testDistBase, SPIs: tc.spis}
			require.NoError(t, d.Init())
			assert.Equal(t, tc.want, m.writes)
			assert.False(t, m.writeWhileBusy, "a register written before GICD_CTLR.RWP cleared")
			assert.Zero(t, m.banks[gicdISENABLER+4], "SPIs 32..63 left enabled")
			assert.Zero(t, m.banks[gicdISACTIVER+8], "SPI 64 left active")
		})
	}
}

func TestDistributorInitRejectsMoreSPIsThanImplemented(t *testing.T) {
	m := newDistributorModel(testDistBase, 1) // INTIDs up to 63: 32 SPIs
	defer mmio.SetBus(m)()
	d := Distributor{Base: testDistBase, SPIs: 64}
	err := d.Init()
	require.Error(t, err)
	assert.Equal(t, "gic: the board's GIC.SPIs is 64, but the distributor at 0x8000000 implements 32 SPIs "+
		"(GICD_TYPER.ITLinesNumber 1); correct GIC.SPIs in the board description", err.Error())
	assert.Empty(t, m.writes, "a distributor that does not match the board was programmed")
}

func TestDistributorInitGivesUpWhenAWriteNeverCompletes(t *testing.T) {
	m := newDistributorModel(testDistBase, 2)
	m.rwpStuck = true
	defer mmio.SetBus(m)()
	d := Distributor{Base: testDistBase, SPIs: 64}
	assert.ErrorIs(t, d.Init(), ErrDistributorBusy)
	assert.Len(t, m.writes, 1, "went on programming a distributor that did not complete a write")
}

func TestDistributorOperations(t *testing.T) {
	for _, tc := range []struct {
		name    string
		initial map[uint64]uint32 // plain registers before the call
		op      func(d *Distributor) error
		want    []write
		wantErr error
	}{
		{"enable the first SPI", nil, func(d *Distributor) error { return d.EnableSPI(32) },
			[]write{{0x0104, 1 << 0}}, nil},
		{"enable the last SPI", nil, func(d *Distributor) error { return d.EnableSPI(95) },
			[]write{{0x0108, 1 << 31}}, nil},
		{"enable an INTID past the SPIs", nil, func(d *Distributor) error { return d.EnableSPI(96) },
			nil, ErrNotSPI},
		{"enable a PPI at the distributor", nil, func(d *Distributor) error { return d.EnableSPI(27) },
			nil, ErrNotSPI},
		{"disable", nil, func(d *Distributor) error { return d.DisableSPI(40) },
			[]write{{0x0184, 1 << 8}}, nil},
		{"disable a special INTID", nil, func(d *Distributor) error { return d.DisableSPI(Spurious) },
			nil, ErrNotSPI},
		{"priority keeps the neighbours' bytes", map[uint64]uint32{0x0420: 0xa0a0_a0a0},
			func(d *Distributor) error { return d.SetPriority(34, 0x80) },
			[]write{{0x0420, 0xa080_a0a0}}, nil},
		{"priority of a non-SPI", nil, func(d *Distributor) error { return d.SetPriority(1020, 0) },
			nil, ErrNotSPI},
		// Aff3 1, Aff2 0, Aff1 2, Aff0 3; MPIDR_EL1 bit 31 (RES1) and MT
		// (bit 24) are no affinity and must not reach the router.
		{"route to one core", nil, func(d *Distributor) error { return d.Route(33, 0x1_8100_0203) },
			[]write{{0x6108, 0x0000_0203}, {0x610c, 0x1}}, nil},
		{"route a non-SPI", nil, func(d *Distributor) error { return d.Route(0, 0) }, nil, ErrNotSPI},
		{"edge", nil, func(d *Distributor) error { return d.SetEdge(33, true) },
			[]write{{0x0c08, 0b10 << 2}}, nil},
		{"level keeps the neighbours' configuration", map[uint64]uint32{0x0c08: 0xaaaa_aaaa},
			func(d *Distributor) error { return d.SetEdge(47, false) },
			[]write{{0x0c08, 0x2aaa_aaaa}}, nil},
		{"trigger of a non-SPI", nil, func(d *Distributor) error { return d.SetEdge(16, true) }, nil, ErrNotSPI},
		{"set pending", nil, func(d *Distributor) error { return d.SetPending(50) },
			[]write{{0x0204, 1 << 18}}, nil},
		{"clear pending", nil, func(d *Distributor) error { return d.ClearPending(50) },
			[]write{{0x0284, 1 << 18}}, nil},
		{"deactivate", nil, func(d *Distributor) error { return d.Deactivate(64) },
			[]write{{0x0388, 1 << 0}}, nil},
		{"deactivate a non-SPI", nil, func(d *Distributor) error { return d.Deactivate(31) }, nil, ErrNotSPI},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newDistributorModel(testDistBase, 2)
			for off, v := range tc.initial {
				m.regs[off] = v
			}
			defer mmio.SetBus(m)()
			d := Distributor{Base: testDistBase, SPIs: 64}
			assert.ErrorIs(t, tc.op(&d), tc.wantErr)
			assert.Equal(t, tc.want, m.writes)
		})
	}
}

func TestDistributorDisableWaitsForTheWrite(t *testing.T) {
	m := newDistributorModel(testDistBase, 2)
	defer mmio.SetBus(m)()
	d := Distributor{Base: testDistBase, SPIs: 64}
	require.NoError(t, d.DisableSPI(40))
	assert.Zero(t, m.rwpLeft, "returned while GICD_CTLR.RWP was still set")

	m.rwpStuck = true
	assert.ErrorIs(t, d.DisableSPI(40), ErrDistributorBusy)
}

// What the cores do at run time, on guests' behalf, writes only the bits
// of its own INTID: no core reads, modifies and writes a word that holds
// another partition's interrupts, so no lock is shared between partitions.
// The priority and trigger words are written only by the boot core.
func TestDistributorRunTimeOperationsLeaveSharedWordsAlone(t *testing.T) {
	m := newDistributorModel(testDistBase, 2)
	defer mmio.SetBus(m)()
	d := Distributor{Base: testDistBase, SPIs: 64}
	require.NoError(t, d.EnableSPI(40))
	require.NoError(t, d.DisableSPI(40))
	require.NoError(t, d.Route(40, 0x8000_0002))
	require.NoError(t, d.SetPending(40))
	require.NoError(t, d.ClearPending(40))
	_, err := d.Pending(40)
	require.NoError(t, err)
	assert.False(t, m.sharedWordAccessed, "a run-time operation touched a priority or trigger word")
	require.NoError(t, d.SetEdge(40, true))
	assert.True(t, m.sharedWordAccessed, "the model does not see trigger words")
}

func TestDistributorPendingState(t *testing.T) {
	m := newDistributorModel(testDistBase, 2)
	defer mmio.SetBus(m)()
	d := Distributor{Base: testDistBase, SPIs: 64}
	for _, step := range []struct {
		op      func() error
		intid   uint32
		pending bool
	}{
		{func() error { return nil }, 50, false},
		{func() error { return d.SetPending(50) }, 50, true},
		{func() error { return nil }, 51, false},
		{func() error { return d.ClearPending(50) }, 50, false},
	} {
		require.NoError(t, step.op())
		pending, err := d.Pending(step.intid)
		require.NoError(t, err)
		assert.Equal(t, step.pending, pending, "INTID %d", step.intid)
	}
	_, err := d.Pending(96)
	assert.ErrorIs(t, err, ErrNotSPI)
}

func TestDistributorOfBoard(t *testing.T) {
	assert.Equal(t, Distributor{Base: 0x0800_0000, SPIs: 224}, DistributorOf(qemuvirt.Board.GIC))
}

func TestDistributorTrapPathOperationsAllocateNothing(t *testing.T) {
	defer mmio.SetBus(nullBus{})()
	d := Distributor{Base: testDistBase, SPIs: 64}
	allocs := testing.AllocsPerRun(100, func() {
		_ = d.EnableSPI(40)
		_ = d.DisableSPI(40)
		_ = d.Route(40, 0x101)
		_ = d.SetPending(40)
		_ = d.ClearPending(40)
		_, _ = d.Pending(40)
		_ = d.Deactivate(40)
		_ = d.EnableSPI(1020) // the error path too
	})
	assert.Zero(t, allocs)
}
