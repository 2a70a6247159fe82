package vpl011

import "sync/atomic"

// lockSpins bounds how long a core waits for the lock of a State, as the
// hypervisor console bounds its own (firmware/hv). The holder keeps it for
// a few dozen instructions and never across a call out of this package, so
// running out means the holder stopped (its core halted, or under
// emulation its host thread is not running) and the caller gives up rather
// than hang its own core.
const lockSpins = 1 << 22

// spinlock is a lock word in shared memory: 0 free, 1 held.
type spinlock struct {
	word atomic.Uint32
}

// tryLock takes the lock if it is free, without waiting.
func (l *spinlock) tryLock() bool {
	return l.word.CompareAndSwap(0, 1)
}

// lock takes the lock, trying at most lockSpins times; it reports whether
// it did. Waiting cores only read the word, so the holder's cache line is
// not stolen from it on every try.
func (l *spinlock) lock() bool {
	for range lockSpins {
		if l.word.Load() == 0 && l.tryLock() {
			return true
		}
	}
	return false
}

func (l *spinlock) unlock() {
	l.word.Store(0)
}
