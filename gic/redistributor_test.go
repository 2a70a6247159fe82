//go:build !tamago

package gic

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/driver/mmio"
)

// Core 2 of qemu-virt: its frames are the third pair above GICR_BASE, and
// its GICR_TYPER names affinity 0.0.0.2.
const (
	testCore        = 2
	testRedistBase  = 0x080e_0000
	testCoreGICRAff = 0x0000_0002
)

func TestRedistributorOfBoard(t *testing.T) {
	assert.Equal(t, Redistributor{Base: testRedistBase}, RedistributorOf(qemuvirt.Board.GIC, testCore))
}

func TestRedistributorInit(t *testing.T) {
	for _, tc := range []struct {
		name     string
		base     uint64
		mpidr    uint64
		affinity uint32 // GICR_TYPER.Affinity_Value
	}{
		{"qemu-virt core 2", testRedistBase, qemuvirt.MPIDR(testCore), testCoreGICRAff},
		// MPIDR_EL1 with Aff3 1, Aff2 2, Aff1 3, Aff0 4 and its RES1 bit 31.
		{"every affinity level", 0x2000_0000, 0x1_8002_0304, 0x0102_0304},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newRedistributorModel(tc.base, tc.affinity)
			m.regs[gicrWAKER] |= 1 << 0 // IMPLEMENTATION DEFINED bit, kept
			m.banks[gicrISENABLER0] = 1 << 27
			defer mmio.SetBus(m)()

			r := Redistributor{Base: tc.base}
			require.NoError(t, r.Init(tc.mpidr))
			assert.Equal(t, concat([]write{
				{0x0_0014, 0b101}, // GICR_WAKER: ProcessorSleep cleared
				{0x1_0080, 0xffff_ffff},
				{0x1_0180, 0xffff_ffff},
				{0x1_0280, 0xffff_ffff},
				{0x1_0380, 0xffff_ffff},
			}, repeated(0x1_0400, 4, 8, 0xa0a0_a0a0)), m.writes)
			assert.Zero(t, m.regs[gicrWAKER]&wakerChildrenAsleep, "redistributor still asleep")
			assert.Zero(t, m.banks[gicrISENABLER0], "PPI 27 left enabled")
			assert.Zero(t, m.rwpLeft, "returned while GICR_CTLR.RWP was still set")
		})
	}
}

func TestRedistributorInitRefusesAnotherCoresFrame(t *testing.T) {
	m := newRedistributorModel(testRedistBase, 0x0100_0003) // Aff3 1, Aff0 3
	defer mmio.SetBus(m)()
	r := Redistributor{Base: testRedistBase}
	err := r.Init(qemuvirt.MPIDR(testCore))
	require.Error(t, err)
	assert.Equal(t, "gic: the redistributor at 0x80e0000 serves the core with affinity 1.0.0.3, "+
		"not this core (0.0.0.2); correct GIC.Redist and GIC.RedistStride in the board description", err.Error())
	assert.Empty(t, m.writes, "another core's redistributor was programmed")
}

func TestRedistributorWake(t *testing.T) {
	for _, tc := range []struct {
		name      string
		wakeReads int
		stuck     bool
		wantErr   error
	}{
		{"awake at once", 0, false, nil},
		{"awake after a while", 1000, false, nil},
		{"never wakes", 0, true, ErrRedistributorAsleep},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newRedistributorModel(testRedistBase, testCoreGICRAff)
			m.wakeReads, m.wakeStuck = tc.wakeReads, tc.stuck
			defer mmio.SetBus(m)()
			r := Redistributor{Base: testRedistBase}
			assert.ErrorIs(t, r.Wake(), tc.wantErr)
			assert.Equal(t, []write{{gicrWAKER, wakerChildrenAsleep}}, m.writes)
		})
	}
}

func TestRedistributorOperations(t *testing.T) {
	for _, tc := range []struct {
		name    string
		initial map[uint64]uint32
		op      func(r *Redistributor) error
		want    []write
		wantErr error
	}{
		{"enable an SGI", nil, func(r *Redistributor) error { return r.EnableSGI(3) },
			[]write{{0x1_0100, 1 << 3}}, nil},
		{"enable a PPI as an SGI", nil, func(r *Redistributor) error { return r.EnableSGI(16) }, nil, ErrNotSGI},
		{"enable the virtual timer PPI", nil, func(r *Redistributor) error { return r.EnablePPI(27) },
			[]write{{0x1_0100, 1 << 27}}, nil},
		{"enable an SGI as a PPI", nil, func(r *Redistributor) error { return r.EnablePPI(15) }, nil, ErrNotPPI},
		{"enable an SPI as a PPI", nil, func(r *Redistributor) error { return r.EnablePPI(32) }, nil, ErrNotPPI},
		{"disable a PPI", nil, func(r *Redistributor) error { return r.DisablePPI(25) },
			[]write{{0x1_0180, 1 << 25}}, nil},
		{"disable an SGI", nil, func(r *Redistributor) error { return r.DisableSGI(0) },
			[]write{{0x1_0180, 1 << 0}}, nil},
		{"disable an SPI as an SGI", nil, func(r *Redistributor) error { return r.DisableSGI(40) }, nil, ErrNotSGI},
		{"disable an SPI as a PPI", nil, func(r *Redistributor) error { return r.DisablePPI(40) }, nil, ErrNotPPI},
		{"priority keeps the neighbours' bytes", map[uint64]uint32{0x1_0418: 0xa0a0_a0a0},
			func(r *Redistributor) error { return r.SetPriority(27, 0x10) },
			[]write{{0x1_0418, 0x10a0_a0a0}}, nil},
		{"priority of an SPI", nil, func(r *Redistributor) error { return r.SetPriority(32, 0) }, nil, ErrNotPrivate},
		{"deactivate the virtual timer", nil, func(r *Redistributor) error { return r.Deactivate(27) },
			[]write{{0x1_0380, 1 << 27}}, nil},
		{"deactivate an SPI here", nil, func(r *Redistributor) error { return r.Deactivate(33) }, nil, ErrNotPrivate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newRedistributorModel(testRedistBase, testCoreGICRAff)
			for off, v := range tc.initial {
				m.regs[off] = v
			}
			defer mmio.SetBus(m)()
			r := Redistributor{Base: testRedistBase}
			assert.ErrorIs(t, tc.op(&r), tc.wantErr)
			assert.Equal(t, tc.want, m.writes)
			assert.Zero(t, m.rwpLeft, "returned while GICR_CTLR.RWP was still set")
		})
	}
}

func TestRedistributorDisableGivesUpWhenTheWriteNeverCompletes(t *testing.T) {
	m := newRedistributorModel(testRedistBase, testCoreGICRAff)
	m.rwpStuck = true
	defer mmio.SetBus(m)()
	r := Redistributor{Base: testRedistBase}
	assert.ErrorIs(t, r.DisablePPI(27), ErrRedistributorBusy)
}

func TestRedistributorTrapPathOperationsAllocateNothing(t *testing.T) {
	defer mmio.SetBus(nullBus{})()
	r := Redistributor{Base: testRedistBase}
	allocs := testing.AllocsPerRun(100, func() {
		_ = r.EnablePPI(27)
		_ = r.DisablePPI(27)
		_ = r.EnableSGI(1)
		_ = r.DisableSGI(1)
		_ = r.SetPriority(27, 0x80)
		_ = r.Deactivate(27)
		_ = r.EnablePPI(40) // the error path too
	})
	assert.Zero(t, allocs)
}
