package control

import "strconv"

// Console takes the ECU's output a byte at a time (el1.Console).
type Console interface {
	Put(b byte)
}

// Per-period budgets: the whole canary is checked every 16 periods; at
// most DrainPerPeriod bytes go to the console each period (one more for a
// line end's CR), about 9 kB/s, below the 11.5 kB/s a 115200-baud UART
// carries, so its FIFO never fills and no write waits.
const (
	CanaryWordsPerPeriod = CanaryWords / 16
	DrainPerPeriod       = 8
)

// ECU is the whole guest's periodic work: the control loop, the canary
// check and the console output.
type ECU struct {
	loop    Loop
	canary  Canary
	outbox  Outbox
	line    [128]byte
	console Console
}

// Init prepares the ECU: the counter's frequency, the first period's start,
// the canary's memory at address canaryBase, and the console.
func (e *ECU) Init(frequency, start uint64, canary []uint64, canaryBase uint64, console Console) {
	e.loop.Init(frequency, start)
	e.canary.Init(canary, canaryBase)
	e.outbox = Outbox{}
	e.console = console
}

// Deadline returns the counter value at which the next period is due.
func (e *ECU) Deadline() uint64 { return e.loop.Deadline() }

// Loop returns the control loop.
func (e *ECU) Loop() *Loop { return &e.loop }

// Beats returns the heartbeats so far; Loops the periods run.
func (e *ECU) Beats() uint64 { return e.loop.beats }
func (e *ECU) Loops() uint64 { return e.loop.loops }

// Canary returns the canary.
func (e *ECU) Canary() *Canary { return &e.canary }

// RunPeriod is the loop body: the control period that started at counter
// value now, a slice of the canary check, the heartbeat line queued once a
// second, and a few queued bytes written to the console. It allocates
// nothing, and reports whether the period was a heartbeat's.
func (e *ECU) RunPeriod(now uint64) (heartbeat bool) {
	if heartbeat = e.loop.Step(now); heartbeat {
		e.outbox.Write(e.loop.AppendHeartbeat(e.line[:0], e.canary.State()))
	}
	e.canary.CheckNext(CanaryWordsPerPeriod)
	for i := 0; i < DrainPerPeriod; i++ {
		b, ok := e.outbox.Pop()
		if !ok {
			break
		}
		e.console.Put(b)
	}
	return heartbeat
}

// Outbox queues console output for the loop to write out a few bytes at a
// time. A write that does not fit is dropped whole and counted, never
// waited for, so the console shows no half lines.
type Outbox struct {
	buf     [512]byte
	head, n int
	dropped uint64
}

// Write queues p, or drops it when it does not fit.
func (o *Outbox) Write(p []byte) {
	if len(p) > len(o.buf)-o.n {
		o.dropped += uint64(len(p))
		return
	}
	for _, b := range p {
		o.buf[(o.head+o.n)%len(o.buf)] = b
		o.n++
	}
}

// Pop returns the oldest queued byte.
func (o *Outbox) Pop() (byte, bool) {
	if o.n == 0 {
		return 0, false
	}
	b := o.buf[o.head]
	o.head = (o.head + 1) % len(o.buf)
	o.n--
	return b, true
}

// Dropped returns how many bytes did not fit.
func (o *Outbox) Dropped() uint64 { return o.dropped }

func appendUint(dst []byte, v uint64) []byte { return strconv.AppendUint(dst, v, 10) }
