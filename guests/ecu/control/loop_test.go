package control

import (
	"math"
	"strings"
	"testing"
)

// qemuFrequency is CNTFRQ_EL0 on QEMU's virt machine: 62.5 MHz, so a
// control period is 62500 ticks.
const (
	qemuFrequency = 62_500_000
	period        = qemuFrequency / Rate
	start         = 1_000_000
)

func TestLoopSchedule(t *testing.T) {
	tests := []struct {
		name string
		// starts are the counter values at which successive periods start.
		starts       []uint64
		wantNext     uint64
		wantLoops    uint64
		wantSkipped  uint64
		wantWorst    uint64 // ticks
		wantJitterUS uint64
	}{
		{name: "on time", starts: []uint64{start, start + period, start + 2*period},
			wantNext: start + 3*period, wantLoops: 3},
		{name: "late by 100 ticks", starts: []uint64{start, start + period + 100},
			wantNext: start + 2*period, wantLoops: 2, wantWorst: 100, wantJitterUS: 2},
		{name: "late by just under a period", starts: []uint64{start + period - 1},
			wantNext: start + period, wantLoops: 1, wantWorst: period - 1, wantJitterUS: 1000},
		{name: "late by a period and a half: one skipped", starts: []uint64{start + period + period/2},
			wantNext: start + 2*period, wantLoops: 1, wantSkipped: 1, wantWorst: period + period/2, wantJitterUS: 1500},
		{name: "late by exactly three periods: three skipped", starts: []uint64{start + 3*period},
			wantNext: start + 4*period, wantLoops: 1, wantSkipped: 3, wantWorst: 3 * period, wantJitterUS: 3000},
		{name: "early start counts as no jitter", starts: []uint64{start - 5},
			wantNext: start + period, wantLoops: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l Loop
			l.Init(qemuFrequency, start)
			for _, now := range tt.starts {
				l.Step(now)
			}
			if l.Deadline() != tt.wantNext || l.Loops() != tt.wantLoops || l.Skipped() != tt.wantSkipped || l.worst != tt.wantWorst {
				t.Errorf("next %d, loops %d, skipped %d, worst %d ticks; want %d, %d, %d, %d",
					l.Deadline(), l.Loops(), l.Skipped(), l.worst, tt.wantNext, tt.wantLoops, tt.wantSkipped, tt.wantWorst)
			}
			if got := TicksToMicroseconds(l.worst, qemuFrequency); got != tt.wantJitterUS {
				t.Errorf("worst jitter %dus, want %dus", got, tt.wantJitterUS)
			}
		})
	}
}

func TestHeartbeats(t *testing.T) {
	var l Loop
	l.Init(qemuFrequency, start)
	var lines []string
	// Three seconds on time but for one period 250 µs late in the first
	// second and one skipped period in the third.
	for i := uint64(0); i < 3*HeartbeatPeriods; i++ {
		now := l.Deadline()
		switch i {
		case 10:
			now += 250 * qemuFrequency / 1_000_000
		case 2500:
			now += period
		}
		if l.Step(now) {
			lines = append(lines, string(l.AppendHeartbeat(nil, CanaryState{})))
		}
	}
	want := []string{
		"ecu: heartbeat 1 loops=1000 worst-jitter=250us canary=ok\n",
		"ecu: heartbeat 2 loops=2000 worst-jitter=0us canary=ok\n",
		"ecu: heartbeat 3 loops=2999 worst-jitter=1000us canary=ok\n",
	}
	if strings.Join(lines, "") != strings.Join(want, "") {
		t.Errorf("heartbeats:\n%s\nwant:\n%s", strings.Join(lines, ""), strings.Join(want, ""))
	}
}

func TestTicksToMicroseconds(t *testing.T) {
	tests := []struct {
		ticks, frequency, want uint64
	}{
		{0, qemuFrequency, 0},
		{1, qemuFrequency, 1},
		{62, qemuFrequency, 1},
		{63, qemuFrequency, 2},
		{62_500, qemuFrequency, 1000},
		{24, 24_000_000, 1},
		{25, 24_000_000, 2},
		{1 << 62, 1, math.MaxUint64},
		{5, 0, 0},
	}
	for _, tt := range tests {
		if got := TicksToMicroseconds(tt.ticks, tt.frequency); got != tt.want {
			t.Errorf("TicksToMicroseconds(%d, %d) = %d, want %d", tt.ticks, tt.frequency, got, tt.want)
		}
	}
}

// TestSpeedControl runs the controller against the simulated vehicle from
// standstill and checks the response a cruise control must give.
func TestSpeedControl(t *testing.T) {
	var l Loop
	l.Init(qemuFrequency, start)
	const (
		seconds       = 60
		settledAfter  = 30  // s
		tolerance     = 0.1 // m/s around the setpoint once settled
		maxOvershoot  = 1.0 // m/s
		reach90Before = 10  // s to reach 90 % of the setpoint
	)
	peak, reached90 := 0.0, -1.0
	for i := 0; i < seconds*Rate; i++ {
		l.Step(l.Deadline())
		cmd, _ := l.Commands().Recent(0)
		if cmd.Throttle < 0 || cmd.Throttle > 1 {
			t.Fatalf("period %d: throttle %v outside [0, 1]", i, cmd.Throttle)
		}
		speed := l.Vehicle().Speed
		peak = max(peak, speed)
		tSeconds := float64(i+1) / Rate
		if reached90 < 0 && speed >= 0.9*SpeedSetpoint {
			reached90 = tSeconds
		}
		if tSeconds >= settledAfter && math.Abs(speed-SpeedSetpoint) > tolerance {
			t.Fatalf("at %.3fs speed %.3f m/s, want %v±%v", tSeconds, speed, SpeedSetpoint, tolerance)
		}
	}
	t.Logf("90%% of the setpoint after %.3fs, peak %.3f m/s", reached90, peak)
	if reached90 < 0 || reached90 > reach90Before {
		t.Errorf("reached 90%% of the setpoint at %.3fs, want before %ds", reached90, reach90Before)
	}
	if peak > SpeedSetpoint+maxOvershoot {
		t.Errorf("peak speed %.3f m/s overshoots the setpoint by more than %v", peak, maxOvershoot)
	}
}

func TestPIAntiWindup(t *testing.T) {
	tests := []struct {
		name             string
		integral         float64
		setpoint, actual float64
		wantOutput       float64
		wantIntegral     float64
	}{
		{"in range integrates", 0.2, 20, 19.9, 0.5*0.1 + 0.2 + 0.1*0.1*0.001, 0.2 + 0.1*0.1*0.001},
		{"saturated high, error pushing up: holds", 0.9, 20, 10, 1, 0.9},
		{"saturated high, error pulling down: integrates", 1.6, 20, 21, 1, 1.6 - 0.1*0.001},
		{"saturated low, error pushing down: holds", -0.1, 20, 25, 0, -0.1},
		{"saturated low, error pulling up: integrates", -3, 20, 19.5, 0, -3 + 0.1*0.5*0.001},
	}
	for _, tt := range tests {
		c := NewSpeedController()
		c.integral = tt.integral
		got := c.Update(tt.setpoint, tt.actual, 0.001)
		if math.Abs(got-tt.wantOutput) > 1e-12 || math.Abs(c.integral-tt.wantIntegral) > 1e-12 {
			t.Errorf("%s: output %v, integral %v; want %v, %v", tt.name, got, c.integral, tt.wantOutput, tt.wantIntegral)
		}
	}
}

func TestSensors(t *testing.T) {
	v := &Vehicle{Speed: SpeedSetpoint}
	a, b := NewSensors(SensorSeed), NewSensors(SensorSeed)
	zero := NewSensors(0)
	for i := 0; i < 10_000; i++ {
		fa, fb, fz := a.Read(v), b.Read(v), zero.Read(v)
		if fa != fb || fa != fz {
			t.Fatalf("frame %d differs between runs with one seed: %v, %v, %v", i, fa, fb, fz)
		}
		for w, speed := range fa.Wheel {
			if err := speed - v.Speed*wheelScale[w]; math.Abs(err) > SensorNoise {
				t.Fatalf("frame %d wheel %d: noise %v beyond ±%v", i, w, err, SensorNoise)
			}
		}
	}
}

func TestRing(t *testing.T) {
	tests := []struct {
		pushed      int
		wantLen     int
		recent      int
		wantPeriod  uint64
		wantPresent bool
	}{
		{pushed: 0, wantLen: 0, recent: 0},
		{pushed: 1, wantLen: 1, recent: 0, wantPeriod: 0, wantPresent: true},
		{pushed: 10, wantLen: 10, recent: 9, wantPeriod: 0, wantPresent: true},
		{pushed: 10, wantLen: 10, recent: 10},
		{pushed: 300, wantLen: RingSize, recent: 0, wantPeriod: 299, wantPresent: true},
		{pushed: 300, wantLen: RingSize, recent: RingSize - 1, wantPeriod: 300 - RingSize, wantPresent: true},
		{pushed: 300, wantLen: RingSize, recent: RingSize},
		{pushed: 300, wantLen: RingSize, recent: -1},
	}
	for _, tt := range tests {
		var r Ring
		for i := 0; i < tt.pushed; i++ {
			r.Push(Command{Period: uint64(i)})
		}
		c, ok := r.Recent(tt.recent)
		if r.Len() != tt.wantLen || ok != tt.wantPresent || (ok && c.Period != tt.wantPeriod) {
			t.Errorf("after %d pushes: Len %d, Recent(%d) = %d, %v; want %d, %d, %v",
				tt.pushed, r.Len(), tt.recent, c.Period, ok, tt.wantLen, tt.wantPeriod, tt.wantPresent)
		}
	}
}

func TestStepAllocatesNothing(t *testing.T) {
	var l Loop
	l.Init(qemuFrequency, start)
	allocs := testing.AllocsPerRun(1000, func() { l.Step(l.Deadline()) })
	if allocs != 0 {
		t.Errorf("Step: %v allocations per run, want 0", allocs)
	}
}
