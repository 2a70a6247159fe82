// Package control is the ECU guest's work, as plain Go that host tests run:
// a periodic control loop at Rate periods per second on the virtual
// counter, a simulated vehicle whose wheel-speed sensors it reads, a PI
// speed controller, a ring buffer of the commands it issued, the jitter of
// each period's start, a memory canary, and a console outbox drained a few
// bytes per period so that printing never holds up the loop.
//
// Nothing here allocates once initialized; the tests hold every per-period
// function to that.
package control

import "math/bits"

// Rate is how many control periods run per second (1 kHz).
const Rate = 1000

// HeartbeatPeriods is how many periods lie between two heartbeat lines.
const HeartbeatPeriods = Rate

// Loop schedules the control periods and runs the controller in each.
// Times are counter ticks (CNTVCT_EL0).
type Loop struct {
	frequency uint64 // counter ticks per second
	period    uint64 // ticks per control period
	next      uint64 // scheduled start of the next period
	index     uint64 // number of the next period; 0 is the first
	loops     uint64 // periods run
	skipped   uint64 // periods not run because the loop was a period or more late
	worst     uint64 // worst start jitter since the last heartbeat, in ticks
	beats     uint64 // heartbeats so far

	vehicle    Vehicle
	sensors    Sensors
	controller PI
	commands   Ring
}

// Init prepares the loop for a counter of frequency ticks per second and
// schedules its first period at start.
func (l *Loop) Init(frequency, start uint64) {
	*l = Loop{
		frequency:  frequency,
		period:     max(frequency/Rate, 1),
		next:       start,
		vehicle:    Vehicle{},
		sensors:    NewSensors(SensorSeed),
		controller: NewSpeedController(),
	}
}

// Deadline returns the counter value at which the next period is due.
func (l *Loop) Deadline() uint64 { return l.next }

// Step runs one period that started at counter value now (at or after
// Deadline): it records the start's jitter, reads a sensor frame, computes
// and stores the actuator command, and schedules the next period. When the
// period started so late that the next one's start has passed too, the
// periods whose start passed are skipped rather than run in a burst. Step
// reports whether a heartbeat is due.
func (l *Loop) Step(now uint64) (heartbeat bool) {
	if now > l.next {
		l.worst = max(l.worst, now-l.next)
	}
	frame := l.sensors.Read(&l.vehicle)
	measured := frame.Mean()
	throttle := l.controller.Update(SpeedSetpoint, measured, PeriodSeconds)
	l.vehicle.Advance(throttle, PeriodSeconds)
	l.commands.Push(Command{Period: l.index, MeasuredSpeed: measured, Throttle: throttle})
	l.loops++

	l.index++
	l.next += l.period
	if now >= l.next {
		missed := (now-l.next)/l.period + 1
		l.index += missed
		l.skipped += missed
		l.next += missed * l.period
	}
	return l.index >= (l.beats+1)*HeartbeatPeriods
}

// Loops returns how many periods ran.
func (l *Loop) Loops() uint64 { return l.loops }

// Skipped returns how many periods were skipped because the loop fell a
// period or more behind.
func (l *Loop) Skipped() uint64 { return l.skipped }

// Commands returns the ring of issued commands.
func (l *Loop) Commands() *Ring { return &l.commands }

// Vehicle returns the simulated vehicle.
func (l *Loop) Vehicle() *Vehicle { return &l.vehicle }

// TicksToMicroseconds converts counter ticks to whole microseconds,
// rounding up so that a nonzero jitter never shows as 0.
func TicksToMicroseconds(ticks, frequency uint64) uint64 {
	if frequency == 0 {
		return 0
	}
	hi, lo := bits.Mul64(ticks, 1_000_000)
	if hi >= frequency {
		return ^uint64(0)
	}
	q, r := bits.Div64(hi, lo, frequency)
	if r != 0 {
		q++
	}
	return q
}

// AppendHeartbeat appends the once-a-second line,
//
//	ecu: heartbeat <n> loops=<total> worst-jitter=<µs>us canary=ok
//
// with the worst start jitter since the previous heartbeat, and starts the
// next interval's worst from zero.
func (l *Loop) AppendHeartbeat(dst []byte, canary CanaryState) []byte {
	l.beats++
	dst = append(dst, "ecu: heartbeat "...)
	dst = appendUint(dst, l.beats)
	dst = append(dst, " loops="...)
	dst = appendUint(dst, l.loops)
	dst = append(dst, " worst-jitter="...)
	dst = appendUint(dst, TicksToMicroseconds(l.worst, l.frequency))
	dst = append(dst, "us canary="...)
	dst = canary.Append(dst)
	l.worst = 0
	return append(dst, '\n')
}
