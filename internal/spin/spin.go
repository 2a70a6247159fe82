// Package spin is the lock the hypervisor instances use for state they
// share: a word in memory that several cores' runtimes map, holding no Go
// pointers.
//
// A Lock never lets a caller proceed without holding it. A waiter spins
// for as long as the holder's core is alive; it stops waiting only when the
// holder's core has halted for good (it entered the safe state, where it
// never runs again), and then it does not take the lock: the state the lock
// guards may be half-changed, so the caller must treat it as lost and stop
// the partition that owns it. Only state that stays consistent whatever
// point a writer stopped at (a console line) may be taken over from a
// halted holder, with TakeOver.
//
// The wait has no bound in time, so nothing here depends on how fast
// another core (or, in host tests, another goroutine) runs.
package spin

import (
	"errors"
	"sync/atomic"
)

// Lock is a spin lock in shared memory: 0 when free, else the holding
// core's index + 1. Its zero value is free.
type Lock struct {
	word atomic.Uint32
}

// ErrHolderHalted is returned by Acquire when the lock's holder halted
// while holding it.
var ErrHolderHalted = errors.New("the lock's holder halted while holding it")

// Halted reports whether a core has halted for good. Each core's runtime
// sets it (every core has its own copy of this variable) to read the
// cores' states in the region they share; nil means no core ever halts.
var Halted func(core uint32) bool

// Acquire takes l for core. It waits while another live core holds it;
// if the holder halted, it returns ErrHolderHalted and l stays held by it.
// A core must not acquire a lock it holds.
func (l *Lock) Acquire(core uint32) error {
	me := core + 1
	for spins := uint32(0); ; spins++ {
		holder := l.word.Load()
		if holder == 0 {
			if l.word.CompareAndSwap(0, me) {
				return nil
			}
			continue
		}
		if halted(holder - 1) {
			return ErrHolderHalted
		}
		relax(spins)
	}
}

// TryAcquire takes l for core if it is free, without waiting.
func (l *Lock) TryAcquire(core uint32) bool {
	return l.word.CompareAndSwap(0, core+1)
}

// TakeOver is Acquire for state that a halted holder cannot have left
// inconsistent: it waits while a live core holds l and takes l from a
// halted one. It reports whether it took l from a halted holder.
func (l *Lock) TakeOver(core uint32) (tookOver bool) {
	me := core + 1
	for spins := uint32(0); ; spins++ {
		holder := l.word.Load()
		if holder == 0 || halted(holder-1) {
			if l.word.CompareAndSwap(holder, me) {
				return holder != 0
			}
			continue
		}
		relax(spins)
	}
}

// TryTakeOver takes l for core if it is free or its holder halted,
// without waiting, and reports whether it did.
func (l *Lock) TryTakeOver(core uint32) bool {
	holder := l.word.Load()
	if holder != 0 && !halted(holder-1) {
		return false
	}
	return l.word.CompareAndSwap(holder, core+1)
}

// Release frees l, which core must hold.
func (l *Lock) Release(core uint32) {
	if !l.word.CompareAndSwap(core+1, 0) {
		panic("spin: lock released by a core that does not hold it")
	}
}

// Holder returns the core holding l, if any.
func (l *Lock) Holder() (core uint32, held bool) {
	w := l.word.Load()
	return w - 1, w != 0
}

// HeldBy reports whether core holds l.
func (l *Lock) HeldBy(core uint32) bool { return l.word.Load() == core+1 }

func halted(core uint32) bool { return Halted != nil && Halted(core) }
