package hv

import "sync/atomic"

// faultLinesPerSecond is how many fault lines a partition may print in
// one second of the system counter; the others are counted and summed up
// in one line when the next second begins.
const faultLinesPerSecond = 20

// LineLimit rate-limits one partition's fault lines, whichever of its
// vCPUs prints them: a partition that faults ten thousand times a second
// fills the console with ten lines and a summary, not ten thousand. It is
// pointer-free and lock-free (its vCPUs' cores update it with atomics),
// lives in the shared region, and allocates nothing.
type LineLimit struct {
	// window holds the counter's second the window is in (upper 40
	// bits) and the lines allowed in it (lower 24), changed as one.
	window     atomic.Uint64
	suppressed atomic.Uint64 // lines refused since the last summary
}

const windowCountBits = 24

// Allow reports whether a fault line may be printed at counter value now
// (frequency ticks a second), and, when this call opened a new second
// after lines were refused, how many: the caller prints that summary
// first.
func (l *LineLimit) Allow(now, frequency uint64) (ok bool, suppressed uint64) {
	second := now / max(frequency, 1)
	for {
		w := l.window.Load()
		if second > w>>windowCountBits {
			if l.window.CompareAndSwap(w, second<<windowCountBits|1) {
				return true, l.suppressed.Swap(0)
			}
			continue
		}
		if w&(1<<windowCountBits-1) >= faultLinesPerSecond {
			l.suppressed.Add(1)
			return false, 0
		}
		if l.window.CompareAndSwap(w, w+1) {
			return true, 0
		}
	}
}

// Summary returns the number of refused lines to report once their second
// has passed, and 0 otherwise; a vCPU asks on its exits while Pending, so
// that a flood that stopped is summed up too.
func (l *LineLimit) Summary(now, frequency uint64) uint64 {
	second := now / max(frequency, 1)
	for {
		w := l.window.Load()
		if second <= w>>windowCountBits {
			return 0
		}
		if l.window.CompareAndSwap(w, second<<windowCountBits) {
			return l.suppressed.Swap(0)
		}
	}
}

// Pending reports whether refused lines wait for their summary.
func (l *LineLimit) Pending() bool { return l.suppressed.Load() != 0 }
