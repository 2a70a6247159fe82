package lifecycle

import (
	"math/rand"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func views(t *testing.T, s *State, n int) []*VCPU {
	t.Helper()
	out := make([]*VCPU, n)
	for v := range n {
		var err error
		out[v], err = New(s, n, v)
		require.NoError(t, err)
	}
	return out
}

// Every transition of the table in the package comment, one at a time.
func TestTransitions(t *testing.T) {
	var s State
	v := views(t, &s, 3)
	assert.Equal(t, PhaseNotStarted, s.Phase())
	for i := range v {
		assert.Equal(t, Off, v[i].State())
		assert.Equal(t, Continue, v[i].Join())
		assert.Equal(t, Waiting, v[i].State())
	}
	assert.False(t, v[1].Start(), "only vCPU 0 starts the partition")
	require.True(t, v[0].Start())
	assert.Equal(t, PhaseRunning, s.Phase())
	assert.Equal(t, Running, v[0].State())

	require.True(t, v[1].Enter(), "CPU_ON taken")
	assert.Equal(t, Running, v[1].State())
	v[1].CPUOff()
	assert.Equal(t, Waiting, v[1].State())
	assert.Equal(t, Continue, v[1].Exited())
	assert.Equal(t, Continue, v[0].Exited())

	// vCPU 2 faults: it leads a restart.
	require.True(t, v[2].Enter())
	require.True(t, v[2].Request(ActionRestart, ReasonFault))
	assert.Equal(t, PhaseStopping, s.Phase())
	assert.Equal(t, Stopping, v[2].State())
	assert.Equal(t, uint64(0b011), v[2].Quiesced(), "vCPU 0 runs, vCPU 1 waits")
	assert.False(t, v[1].Enter(), "no guest entry during a stop")
	assert.Equal(t, Stopping, v[1].State(), "a refused entry acks")
	assert.Equal(t, Wait, v[0].Exited())
	assert.Equal(t, Stopping, v[0].State())
	assert.Zero(t, v[2].Quiesced())
	leader, action, reason := s.Stop()
	assert.Equal(t, []any{2, ActionRestart, ReasonFault}, []any{leader, action, reason})
	assert.False(t, v[1].Request(ActionStop, ReasonSystemOff), "the stop under way wins")
	assert.Equal(t, Wait, v[0].Wait())

	assert.Equal(t, WaitForCPUOn, v[2].Restarted(), "the leader, not vCPU 0, waits for CPU_ON")
	assert.Equal(t, PhaseRunning, s.Phase())
	assert.Equal(t, uint32(1), s.Restarts())
	assert.Equal(t, ReasonFault, s.LastReason())
	assert.Equal(t, EnterAtReset, v[0].Wait())
	assert.Equal(t, Running, v[0].State())
	assert.Equal(t, WaitForCPUOn, v[1].Wait())
	assert.Equal(t, Waiting, v[1].State())
	assert.Equal(t, Waiting, v[2].State())

	// SYSTEM_OFF from vCPU 0 stops it for good.
	require.True(t, v[0].Request(ActionStop, ReasonSystemOff))
	assert.Equal(t, uint64(0b110), v[0].Quiesced())
	assert.Equal(t, Wait, v[1].Exited())
	assert.Equal(t, Wait, v[2].Exited())
	v[0].Halt(ReasonSystemOff)
	assert.Equal(t, PhaseStopped, s.Phase())
	assert.Equal(t, Sleep, v[1].Wait())
	assert.Equal(t, Stopped, v[1].State())
	assert.False(t, v[2].Enter())
	assert.False(t, v[0].Request(ActionRestart, ReasonWatchdog), "a stopped partition stays stopped")
	assert.Equal(t, ActionStop, s.LastAction())
	assert.Equal(t, ReasonSystemOff, s.LastReason())
}

func TestNewRefuses(t *testing.T) {
	_, err := New(nil, 1, 0)
	assert.ErrorIs(t, err, ErrNoState)
	var s State
	_, err = New(&s, 2, 2)
	assert.Error(t, err)
	_, err = New(&s, MaxVCPUs+1, 0)
	assert.Error(t, err)
}

// The wedge review found: vCPU 0 powers off, then vCPU 1 asks for
// SYSTEM_OFF. vCPU 0's parked core acks when the doorbell wakes it, and
// the partition stops.
func TestCPUOffThenSystemOffFromAnotherVCPU(t *testing.T) {
	w := newWorld(2)
	w.step(0, actNothing, 0) // join and start
	w.step(1, actNothing, 0) // join
	w.step(0, actCPUOn, 1)
	w.step(1, actNothing, 0) // takes its CPU_ON
	require.Equal(t, modeGuest, w.cores[1].get())
	w.step(0, actCPUOff, 0)
	require.Equal(t, modeWaiting, w.cores[0].get())
	w.step(1, actSystemOff, 0)
	require.Equal(t, modeLeading, w.cores[1].get())
	require.True(t, w.settle(10))
	assert.Equal(t, PhaseStopped, w.state.Phase())
	for _, c := range w.cores {
		assert.Equal(t, modeSleep, c.get())
		assert.Equal(t, Stopped, c.v.State())
	}
	assert.Nil(t, w.violation.Load())
}

// A CPU_ON taken at the moment vCPU 0 restarts the partition: either the
// vCPU entered first and the leader waits for it to leave, or its entry is
// refused; it never runs while the partition is reset.
func TestCPUOnRacingAReset(t *testing.T) {
	for order := range 2 {
		w := newWorld(2)
		w.step(0, actNothing, 0)
		w.step(1, actNothing, 0)
		w.step(0, actCPUOn, 1)
		if order == 0 {
			w.step(1, actNothing, 0) // enters
			w.step(0, actSystemReset, 0)
		} else {
			w.step(0, actSystemReset, 0)
			w.step(1, actNothing, 0) // tries to enter
			assert.Equal(t, modeStopWait, w.cores[1].get())
		}
		require.True(t, w.settle(20), "order %d", order)
		assert.Nil(t, w.violation.Load())
		assert.Equal(t, int64(1), w.restarts.Load())
		assert.Equal(t, modeGuest, w.cores[0].get())
		assert.Equal(t, modeWaiting, w.cores[1].get())
	}
}

// Two vCPUs fault at once, a third asks for a reset meanwhile: one stop,
// one restart.
func TestTwoFaultsAndAResetAtOnce(t *testing.T) {
	w := newWorld(3)
	for v := range 3 {
		w.step(v, actNothing, 0)
	}
	w.step(0, actCPUOn, 1)
	w.step(0, actCPUOn, 2)
	w.step(1, actNothing, 0)
	w.step(2, actNothing, 0)
	w.step(1, actFault, 0)
	w.step(2, actFault, 0)
	w.step(0, actSystemReset, 0)
	assert.Equal(t, modeLeading, w.cores[1].get())
	assert.Equal(t, modeStopWait, w.cores[2].get())
	assert.Equal(t, modeStopWait, w.cores[0].get())
	require.True(t, w.settle(20))
	assert.Nil(t, w.violation.Load())
	assert.Equal(t, int64(1), w.restarts.Load())
	assert.Equal(t, uint32(1), w.state.Restarts())
}

// runRandom steps random cores with random guest actions.
func (w *world) runRandom(r *rand.Rand, steps int) {
	for range steps {
		v := r.Intn(len(w.cores))
		act := actNothing
		if r.Intn(4) == 0 {
			act = r.Intn(numActions)
		}
		w.step(v, act, r.Intn(len(w.cores)))
		w.check()
	}
}

// FuzzEventOrder: any order of steps and guest actions keeps the
// invariants, and once the guests stop asking, every stop finishes.
func FuzzEventOrder(f *testing.F) {
	f.Add(int64(1), uint8(2), uint16(200))
	f.Add(int64(7), uint8(4), uint16(1000))
	f.Add(int64(42), uint8(1), uint16(50))
	f.Fuzz(func(t *testing.T, seed int64, vcpus uint8, steps uint16) {
		n := 1 + int(vcpus)%4
		w := newWorld(n)
		w.runRandom(rand.New(rand.NewSource(seed)), int(steps))
		if !w.settle(100) {
			t.Fatalf("a stop did not finish: phase %v, modes %v", w.state.Phase(), w.modes())
		}
		if v := w.violation.Load(); v != nil {
			t.Fatal(*v)
		}
	})
}

func (w *world) modes() []mode {
	var m []mode
	for _, c := range w.cores {
		m = append(m, c.get())
	}
	return m
}

// Cores as goroutines, scheduled as the host pleases: guests fault and
// reset 10,000 times in all; every restart completes, nobody runs in its
// guest while the partition is reset, and at the end nothing is left
// over: no leader, no vCPU stuck mid-stop.
func TestTenThousandRestartsWithCoresAsGoroutines(t *testing.T) {
	const vcpus, restarts = 3, 10_000
	w := newWorld(vcpus)
	var wg sync.WaitGroup
	for v := range vcpus {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewSource(int64(v)))
			c := w.cores[v]
			for c.get() != modeSleep {
				act := actNothing
				switch x := r.Intn(64); {
				case x == 0 && v != 0: // vCPU 0 keeps running: the last CPU_OFF is PSCI's SYSTEM_OFF
					act = actCPUOff
				case x < 8:
					act = actCPUOn
				case x < 12 && w.restarts.Load() < restarts:
					act = []int{actFault, actSystemReset}[x%2]
				case x < 12 && v == 0:
					act = actSystemOff
				}
				w.step(v, act, r.Intn(vcpus))
				w.check()
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
	require.Nil(t, w.violation.Load(), "%v", w.violation.Load())
	assert.GreaterOrEqual(t, w.restarts.Load(), int64(restarts))
	assert.Equal(t, uint32(w.restarts.Load()), w.state.Restarts())
	assert.Equal(t, PhaseStopped, w.state.Phase())
	assert.Equal(t, int64(1), w.halts.Load())
	for v := range vcpus {
		assert.Equal(t, Stopped, w.state.VCPU(v), "vCPU %d", v)
	}
}
