package spin

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// haltedCores stands in for the firmware's core states.
type haltedCores struct{ mask atomic.Uint32 }

func (h *haltedCores) halt(core uint32)        { h.mask.Or(1 << core) }
func (h *haltedCores) halted(core uint32) bool { return h.mask.Load()&(1<<core) != 0 }
func withHalted(t *testing.T) *haltedCores {
	h := &haltedCores{}
	Halted = h.halted
	t.Cleanup(func() { Halted = nil })
	return h
}

// Cores as goroutines increment a plain counter under the lock: with
// mutual exclusion no increment is lost, however the host schedules them.
func TestMutualExclusion(t *testing.T) {
	withHalted(t)
	var l Lock
	const cores, rounds = 4, 20_000
	counter := 0
	var wg sync.WaitGroup
	for c := uint32(0); c < cores; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				require.NoError(t, l.Acquire(c))
				counter++
				l.Release(c)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, cores*rounds, counter)
	_, held := l.Holder()
	assert.False(t, held)
}

// A waiter waits while the holder lives, and refuses (without taking the
// lock) once the holder has halted.
func TestAcquireRefusesAHaltedHolder(t *testing.T) {
	h := withHalted(t)
	var l Lock
	require.NoError(t, l.Acquire(1))
	done := make(chan error)
	go func() { done <- l.Acquire(2) }()
	for range 1000 {
		select {
		case err := <-done:
			t.Fatalf("Acquire returned (%v) while a live core held the lock", err)
		default:
		}
		assert.True(t, l.HeldBy(1))
	}
	h.halt(1)
	assert.ErrorIs(t, <-done, ErrHolderHalted)
	assert.True(t, l.HeldBy(1), "the lock stays with its halted holder")
	assert.ErrorIs(t, l.Acquire(3), ErrHolderHalted)
}

// TakeOver waits for a live holder like Acquire and takes the lock from a
// halted one.
func TestTakeOver(t *testing.T) {
	h := withHalted(t)
	var l Lock
	assert.False(t, l.TakeOver(0), "a free lock is taken, not taken over")
	done := make(chan bool)
	go func() { done <- l.TakeOver(2) }()
	for range 1000 {
		select {
		case <-done:
			t.Fatal("TakeOver returned while a live core held the lock")
		default:
		}
	}
	h.halt(0)
	assert.True(t, <-done)
	assert.True(t, l.HeldBy(2))
	l.Release(2)
	assert.True(t, l.TryAcquire(3))
	assert.False(t, l.TryAcquire(2))
	assert.False(t, l.TryTakeOver(2), "taken from a live holder")
	h.halt(3)
	assert.True(t, l.TryTakeOver(2))
	assert.True(t, l.HeldBy(2))
}

func TestReleaseByAnotherCorePanics(t *testing.T) {
	var l Lock
	require.NoError(t, l.Acquire(0))
	assert.Panics(t, func() { l.Release(1) })
	assert.True(t, l.HeldBy(0))
	assert.Panics(t, func() { var free Lock; free.Release(0) })
}

func TestAcquireAllocatesNothing(t *testing.T) {
	var l Lock
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		_ = l.Acquire(1)
		l.Release(1)
	}))
}
