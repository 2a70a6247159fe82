package doorbell

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/firmware/vdev"
)

func store(t *testing.T, d *Device, offset uint64, size int, v uint64) {
	t.Helper()
	_, ok := d.Access(vdev.Access{Offset: offset, Size: size, Write: true, Value: v})
	require.True(t, ok, "store %#x", offset)
}

func load(t *testing.T, d *Device, offset uint64, size int) uint64 {
	t.Helper()
	v, ok := d.Access(vdev.Access{Offset: offset, Size: size})
	require.True(t, ok, "load %#x", offset)
	return v
}

// Linux's amba bus identifies the device by these words before its
// gpio-pl061 driver binds.
func TestIdentifiesAsAPL061(t *testing.T) {
	d := New(&State{}, func() {})
	var periph, cell uint64
	for i := uint64(0); i < 4; i++ {
		periph |= (load(t, d, 0xfe0+4*i, 4) & 0xff) << (8 * i)
		cell |= (load(t, d, 0xff0+4*i, 4) & 0xff) << (8 * i)
	}
	assert.Equal(t, uint64(0x0004_1061), periph, "part 0x061, designer 0x41 (Arm)")
	assert.Equal(t, uint64(0xb105_f00d), cell, "PrimeCell")
}

// What Linux's driver does for an edge interrupt on line 0 and a ring on
// line 1, in its byte accesses: the other member's interrupt rises once
// per ring, and falls when that member clears it.
func TestRingRaisesTheOtherMembersInterrupt(t *testing.T) {
	var ecu, linux State
	rings := 0
	sender := New(&ecu, func() { rings++; linux.Ring() })
	receiver := New(&linux, func() {})

	// The receiver: line 0 an input, rising edge, unmasked.
	store(t, receiver, regIS, 1, 0)
	store(t, receiver, regIEV, 1, 1<<LineDoorbell)
	store(t, receiver, regIE, 1, 1<<LineDoorbell)
	assert.False(t, linux.Asserted())

	// The sender: line 1 an output; writing 1 through its data mask
	// rings, writing 0 does not, and a write masked off line 1 neither.
	store(t, sender, regDIR, 1, 1<<LineRing)
	store(t, sender, 1<<(LineRing+2), 1, 1<<LineRing)
	assert.Equal(t, 1, rings)
	store(t, sender, 1<<(LineRing+2), 1, 0)
	store(t, sender, 1<<(LineDoorbell+2), 1, 0xff)
	assert.Equal(t, 1, rings, "a write of 0, or masked off the ring line, rang")
	assert.Zero(t, load(t, sender, 0x3fc, 1), "the ring line reads back 0")

	assert.True(t, linux.Asserted())
	assert.Equal(t, uint64(1), load(t, receiver, regMIS, 1))
	assert.Equal(t, uint64(1), load(t, receiver, regRIS, 4))
	store(t, receiver, regIC, 1, 1<<LineDoorbell)
	assert.False(t, linux.Asserted())
	assert.Zero(t, load(t, receiver, regMIS, 1))
}

// Ringing an input line does nothing: a guest must make line 1 an output.
func TestRingNeedsTheLineToBeAnOutput(t *testing.T) {
	rings := 0
	d := New(&State{}, func() { rings++ })
	store(t, d, 1<<(LineRing+2), 4, 1<<LineRing)
	assert.Zero(t, rings)
}

// A masked doorbell is remembered: unmasking it asserts the interrupt.
func TestMaskedRingIsKept(t *testing.T) {
	var s State
	d := New(&s, func() {})
	s.Ring()
	assert.False(t, s.Asserted())
	store(t, d, regIE, 4, 1)
	assert.True(t, s.Asserted())
	s.Reset()
	assert.False(t, s.Asserted())
	assert.Zero(t, load(t, d, regIE, 4))
}

func TestRefusesWhatAPL061Does(t *testing.T) {
	d := New(&State{}, func() {})
	for _, a := range []vdev.Access{
		{Offset: regDIR, Size: 2},
		{Offset: regDIR, Size: 8},
		{Offset: regDIR + 2, Size: 4},
		{Offset: FrameSize, Size: 4},
	} {
		_, ok := d.Access(a)
		assert.False(t, ok, "%+v", a)
	}
	assert.Zero(t, load(t, d, regDIR+1, 1), "an upper byte reads as zero")
}

// Other members ring while the member clears: no ring is lost, whatever
// the interleaving, and nothing allocates.
func TestRingsRacingTheClearAreNotLost(t *testing.T) {
	var s State
	d := New(&s, func() {})
	store(t, d, regIE, 4, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 10000 {
			s.Ring()
		}
	}()
	for range 10000 {
		if s.Asserted() {
			store(t, d, regIC, 4, 1)
		}
	}
	wg.Wait()
	s.Ring()
	assert.True(t, s.Asserted(), "the last ring was lost")
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		d.Access(vdev.Access{Offset: regIC, Size: 1, Write: true, Value: 1})
		s.Ring()
	}))
}
