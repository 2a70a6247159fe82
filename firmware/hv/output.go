package hv

import (
	"sync/atomic"

	"github.com/tamavisor/tamavisor/internal/spin"
)

// Console output from several cores: each core puts whole lines into its
// own ring in the shared region, and whichever core finds the console's
// writer free moves lines from the rings to the UART, only as many bytes
// as the UART takes without waiting. No core ever waits for the UART or
// for another core to print: a core that finds another writing leaves its
// line in its ring for that core (or the next one) to write out, and a
// core whose ring is full loses its own line, counted, nobody else's.
// That is what keeps a partition that prints a lot (or faults a lot) from
// stretching another partition's traps.

// ringSize is one core's output ring: some 30 lines of hypervisor output.
const ringSize = 8 << 10

// OutputRing is one core's pending console output: a single-producer
// (its core), single-consumer (the core holding the writer) ring of bytes
// holding whole lines. Pointer-free; it lives in the shared region.
type OutputRing struct {
	// head is where the writer reads next, tail where the core writes
	// next; both count bytes for good and wrap modulo ringSize.
	head atomic.Uint32
	tail atomic.Uint32
	// lost counts the lines the ring had no room for.
	lost atomic.Uint64
	buf  [ringSize]byte
}

// put adds one line, a followed by b and a newline, whole or not at all,
// and reports whether it fit.
func (r *OutputRing) put(a, b []byte) bool {
	n := uint32(len(a) + len(b) + 1)
	tail := r.tail.Load()
	if n > ringSize-(tail-r.head.Load()) {
		return false
	}
	for _, p := range [2][]byte{a, b} {
		for _, c := range p {
			r.buf[tail%ringSize] = c
			tail++
		}
	}
	r.buf[tail%ringSize] = '\n'
	r.tail.Store(tail + 1)
	return true
}

// pending reports whether the ring holds bytes not yet written out.
func (r *OutputRing) pending() bool { return r.head.Load() != r.tail.Load() }

// Lost returns how many lines the ring had no room for.
func (r *OutputRing) Lost() uint64 { return r.lost.Load() }

// NonBlockingTransmitter sends a byte if the device can take it now.
type NonBlockingTransmitter interface {
	TryTx(c byte) bool
}

// drainBudget bounds the bytes one call of Drain writes, so that the core
// doing it returns to its own guest soon; the rest waits for the next
// call, on this core or another.
const drainBudget = 512

// OutputWriter moves lines from the cores' rings to the UART. Its state is
// guarded by lock, which a core only ever tries to take: it never waits.
type OutputWriter struct {
	lock spin.Lock
	// current is the ring whose line is partly written out (a line is
	// never interrupted by another's), or -1 + the ring to start the
	// next round-robin search after.
	current int32
	mid     uint32 // 1 while current's line is partly out
	// cr is 1 when the '\r' before a line's '\n' went out and the '\n'
	// did not yet.
	cr uint32
	// backlog is 1 while lines wait that the last drain left (the UART
	// was full, or the budget spent): cores look at it on their exits.
	backlog atomic.Uint32
}

// Backlog reports whether lines wait for a drain that nobody is doing.
func (w *OutputWriter) Backlog() bool { return w.backlog.Load() != 0 }

// Drain writes pending lines from rings to dev, as many bytes as dev takes
// without waiting and at most drainBudget, unless another core is at it
// (then that core writes them). core is the caller's index. A line whose
// ring was written after the other core looked is not left behind: the
// writer looks again after letting go.
func (w *OutputWriter) Drain(core uint32, rings []OutputRing, dev Transmitter) {
	budget := drainBudget
	for w.lock.TryTakeOver(core) {
		full := w.drainLocked(rings, dev, &budget)
		stopped := full || budget == 0
		if stopped {
			w.backlog.Store(1)
		} else {
			w.backlog.Store(0)
		}
		w.lock.Release(core)
		if stopped || !anyPending(rings) {
			return
		}
	}
}

func anyPending(rings []OutputRing) bool {
	for i := range rings {
		if rings[i].pending() {
			return true
		}
	}
	return false
}

// drainLocked is Drain's work; it reports whether dev refused a byte.
func (w *OutputWriter) drainLocked(rings []OutputRing, dev Transmitter, budget *int) (full bool) {
	for *budget > 0 {
		if w.mid == 0 {
			next, ok := w.nextRing(rings)
			if !ok {
				return false
			}
			w.current, w.mid = next, 1
		}
		r := &rings[w.current]
		head, tail := r.head.Load(), r.tail.Load()
		for head != tail && *budget > 0 {
			b := r.buf[head%ringSize]
			if b == '\n' && w.cr == 0 {
				if !dev.TryTx('\r') {
					r.head.Store(head)
					return true
				}
				w.cr = 1
			}
			if !dev.TryTx(b) {
				r.head.Store(head)
				return true
			}
			w.cr = 0
			head++
			*budget--
			if b == '\n' {
				w.mid = 0
				break
			}
		}
		r.head.Store(head)
		if w.mid != 0 && head == tail {
			return false // cannot happen: lines go in whole
		}
	}
	return false
}

// nextRing picks the ring after the last one served that holds a line, so
// that every core gets its turn.
func (w *OutputWriter) nextRing(rings []OutputRing) (int32, bool) {
	n := int32(len(rings))
	for i := int32(1); i <= n; i++ {
		c := (w.current + i) % n
		if c < 0 {
			c += n
		}
		if rings[c].pending() {
			return c, true
		}
	}
	return 0, false
}
