package sbsawdt

import (
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/firmware/vdev"
)

type clock struct{ t uint64 }

func (c *clock) Now() uint64 { return c.t }

const maxWOR = 1000 // ticks: a 2000-tick timeout

func newWatchdog(t *testing.T) (*Watchdog, *State, *clock) {
	t.Helper()
	var s State
	require.NoError(t, s.Reset(0, maxWOR))
	c := &clock{t: 5000}
	return New(&s, 0, c), &s, c
}

func load(t *testing.T, d vdev.Device, off uint64) uint64 {
	t.Helper()
	v, ok := d.Access(vdev.Access{Offset: off, Size: 4})
	require.True(t, ok, "load %#x", off)
	return v
}

func store(t *testing.T, d vdev.Device, off, v uint64) {
	t.Helper()
	_, ok := d.Access(vdev.Access{Offset: off, Size: 4, Write: true, Value: v})
	require.True(t, ok, "store %#x", off)
}

func TestRegistersAfterReset(t *testing.T) {
	w, _, _ := newWatchdog(t)
	assert.Equal(t, uint64(0), load(t, w.Control(), regWCS))
	assert.Equal(t, uint64(maxWOR), load(t, w.Control(), regWOR))
	assert.Equal(t, uint64(wiidr), load(t, w.Control(), regWIIDR))
	assert.Equal(t, uint64(wiidr), load(t, w.Refresh(), regWIIDR))
	assert.Equal(t, uint64(0x0010_043b), uint64(wiidr), "Arm's JEP106 code, product 1, architecture 0")
	assert.Zero(t, load(t, w.Refresh(), regWRR))
	for _, a := range []vdev.Access{{Offset: regWCS, Size: 8}, {Offset: 0x2, Size: 4}, {Offset: FrameSize, Size: 4}} {
		_, ok := w.Control().Access(a)
		assert.False(t, ok, "%+v", a)
	}
}

// The signals as the specification orders them: WS0 after WOR ticks
// without a refresh, WS1 (the action) after WOR more; a refresh clears
// both; disabled, nothing fires.
func TestTimeoutsAndRefresh(t *testing.T) {
	w, _, c := newWatchdog(t)
	expired, next, _ := w.Check(c.t)
	assert.False(t, expired)
	assert.Zero(t, next, "disabled: nothing to wait for")

	store(t, w.Control(), regWCS, wcsEN)
	assert.Equal(t, uint64(6000), load(t, w.Control(), regWCVLo), "enabling refreshes: WCV = now + WOR")
	expired, next, _ = w.Check(5999)
	assert.Equal(t, []any{false, uint64(6000)}, []any{expired, next})
	expired, next, _ = w.Check(6000)
	assert.Equal(t, []any{false, uint64(7000)}, []any{expired, next})
	assert.Equal(t, uint64(wcsEN|wcsWS0), load(t, w.Control(), regWCS))

	c.t = 6500
	store(t, w.Refresh(), regWRR, 0)
	assert.Equal(t, uint64(wcsEN), load(t, w.Control(), regWCS), "a refresh clears WS0")
	expired, _, _ = w.Check(7000)
	assert.False(t, expired)
	expired, _, _ = w.Check(7500)
	assert.False(t, expired, "WS0 again")
	expired, next, since := w.Check(8500)
	assert.True(t, expired, "WS1: the action is due")
	assert.Equal(t, uint64(2000), since, "ticks since the refresh at 6500")
	assert.Zero(t, next)
	assert.Equal(t, uint64(wcsEN|wcsWS0|wcsWS1), load(t, w.Control(), regWCS))
	expired, _, _ = w.Check(9000)
	assert.False(t, expired, "it fires once")

	store(t, w.Control(), regWCS, 0)
	expired, next, _ = w.Check(1 << 40)
	assert.False(t, expired)
	assert.Zero(t, next)
}

// WOR is bounded by half the config's timeout, and a write to it
// refreshes; WCV reads and writes as two words.
func TestOffsetAndCompare(t *testing.T) {
	w, _, c := newWatchdog(t)
	store(t, w.Control(), regWOR, 1<<31)
	assert.Equal(t, uint64(maxWOR), load(t, w.Control(), regWOR))
	store(t, w.Control(), regWOR, 300)
	assert.Equal(t, uint64(300), load(t, w.Control(), regWOR))
	assert.Equal(t, c.t+300, load(t, w.Control(), regWCVLo))
	store(t, w.Control(), regWCVHi, 0x12)
	store(t, w.Control(), regWCVLo, 0x3456)
	assert.Equal(t, uint64(0x12), load(t, w.Control(), regWCVHi))
	assert.Equal(t, uint64(0x3456), load(t, w.Control(), regWCVLo))
}

// Whatever the guest programs, a partition that stops refreshing meets its
// action at most one timeout (2 * maxWOR) after its last refresh, when the
// hypervisor checks at each deadline Check returns.
func TestActionWithinTheTimeout(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for range 200 {
		w, _, c := newWatchdog(t)
		store(t, w.Control(), regWOR, uint64(r.Intn(3*maxWOR)))
		store(t, w.Control(), regWCS, wcsEN)
		for range r.Intn(5) {
			c.t += uint64(r.Intn(maxWOR))
			store(t, w.Refresh(), regWRR, 0)
		}
		last := c.t
		now, next := last, uint64(0)
		for {
			expired, n, since := w.Check(now)
			if expired {
				assert.Equal(t, now-last, since)
				break
			}
			require.NotZero(t, n)
			next = n
			now = next
		}
		assert.LessOrEqual(t, now, last+2*maxWOR)
	}
}

func TestAccessesAndChecksAllocateNothing(t *testing.T) {
	w, _, c := newWatchdog(t)
	store(t, w.Control(), regWCS, wcsEN)
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		w.Refresh().Access(vdev.Access{Offset: regWRR, Size: 4, Write: true})
		w.Control().Access(vdev.Access{Offset: regWCS, Size: 4})
		w.Check(c.t)
	}))
}
