package control

// The scenario the ECU runs: hold a cruise speed with the throttle.
const (
	// SpeedSetpoint is the cruise speed, m/s (72 km/h).
	SpeedSetpoint = 20.0
	// PeriodSeconds is the length of one control period.
	PeriodSeconds = 1.0 / Rate
	// SensorSeed starts the sensor noise; the same seed gives the same
	// run on every boot.
	SensorSeed = 0x5eed_0ec0_0000_0001
)

// Vehicle is the simulated plant: longitudinal speed driven by the
// throttle and slowed by drag.
type Vehicle struct {
	Speed float64 // m/s
}

const (
	maxAcceleration = 3.0  // m/s² at full throttle
	dragPerSecond   = 0.05 // speed lost per second to drag, per m/s of speed
)

// Advance moves the vehicle on by dt seconds with throttle in [0, 1].
func (v *Vehicle) Advance(throttle, dt float64) {
	v.Speed += (maxAcceleration*throttle - dragPerSecond*v.Speed) * dt
	if v.Speed < 0 {
		v.Speed = 0
	}
}

// Frame is one reading of the four wheel-speed sensors, m/s.
type Frame struct {
	Wheel [4]float64
}

// Mean returns the vehicle speed the frame suggests: the mean of the four
// wheels.
func (f Frame) Mean() float64 {
	return (f.Wheel[0] + f.Wheel[1] + f.Wheel[2] + f.Wheel[3]) / 4
}

// Sensors simulates four wheel-speed sensors: the vehicle's speed scaled
// by each wheel's rolling radius error, plus uniform noise of up to
// ±SensorNoise from a deterministic generator (xorshift64*, Vigna, "An
// experimental exploration of Marsaglia's xorshift generators, scrambled",
// ACM TOMS 42(4), 2016).
type Sensors struct {
	state uint64
}

// SensorNoise is the largest error the noise adds to one reading, m/s.
const SensorNoise = 0.05

// wheelScale is each wheel's rolling radius relative to nominal (tyre wear
// and pressure).
var wheelScale = [4]float64{1.002, 0.998, 1.001, 0.999}

// NewSensors returns sensors whose noise starts from seed (0 is replaced:
// xorshift never leaves the all-zero state).
func NewSensors(seed uint64) Sensors {
	if seed == 0 {
		seed = SensorSeed
	}
	return Sensors{state: seed}
}

// Read returns one frame for the vehicle's current speed.
func (s *Sensors) Read(v *Vehicle) Frame {
	var f Frame
	for i := range f.Wheel {
		f.Wheel[i] = v.Speed*wheelScale[i] + SensorNoise*s.uniform()
	}
	return f
}

// uniform returns a number in [-1, 1).
func (s *Sensors) uniform() float64 {
	s.state ^= s.state >> 12
	s.state ^= s.state << 25
	s.state ^= s.state >> 27
	x := s.state * 0x2545f4914f6cdd1d
	return float64(x>>11)/(1<<52) - 1
}

// PI is a proportional-integral controller whose output is clamped to
// [Min, Max]. Anti-windup by conditional integration: while the output is
// saturated, the integral only moves in the direction that brings it back.
type PI struct {
	Kp, Ki   float64
	Min, Max float64
	integral float64
}

// NewSpeedController returns the throttle controller: throttle in [0, 1]
// per m/s of speed error.
func NewSpeedController() PI {
	return PI{Kp: 0.5, Ki: 0.1, Min: 0, Max: 1}
}

// Update returns the command for one period of dt seconds.
func (c *PI) Update(setpoint, measured, dt float64) float64 {
	e := setpoint - measured
	integral := c.integral + c.Ki*e*dt
	u := c.Kp*e + integral
	switch {
	case u > c.Max:
		u = c.Max
		if e < 0 {
			c.integral = integral
		}
	case u < c.Min:
		u = c.Min
		if e > 0 {
			c.integral = integral
		}
	default:
		c.integral = integral
	}
	return u
}

// Command is what the ECU decided in one period.
type Command struct {
	Period        uint64  // the period's number
	MeasuredSpeed float64 // m/s, from the sensor frame
	Throttle      float64 // [0, 1]
}

// RingSize is how many of the latest commands the ring keeps.
const RingSize = 256

// Ring keeps the latest RingSize commands, overwriting the oldest: the
// buffer an actuator driver or a logger reads.
type Ring struct {
	entries [RingSize]Command
	written uint64
}

// Push stores c as the newest command.
func (r *Ring) Push(c Command) {
	r.entries[r.written%RingSize] = c
	r.written++
}

// Len returns how many commands the ring holds.
func (r *Ring) Len() int { return int(min(r.written, RingSize)) }

// Recent returns the i-th newest command (0 is the newest); false when the
// ring holds fewer than i+1.
func (r *Ring) Recent(i int) (Command, bool) {
	if i < 0 || i >= r.Len() {
		return Command{}, false
	}
	return r.entries[(r.written-1-uint64(i))%RingSize], true
}
