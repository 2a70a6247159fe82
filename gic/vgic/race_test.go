package vgic

import (
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/firmware/vdev"
)

// coreViews returns one view per vCPU of testConfig on one State, as the
// partition's cores hold them, all reporting to one recorder.
func coreViews(t *testing.T) ([]*VGIC, *recorder) {
	t.Helper()
	s := new(State)
	require.NoError(t, s.Reset(0))
	r := &recorder{}
	views := make([]*VGIC, testConfig.VCPUs)
	for v := range views {
		cfg := testConfig
		cfg.Core = uint32(v) // each view on its own core
		g, err := New(s, cfg, r)
		require.NoError(t, err)
		views[v] = g
	}
	return views, r
}

// runOnCores runs each body on its own goroutine, standing for the
// partition's cores, and waits for all of them.
func runOnCores(bodies ...func()) {
	var wg sync.WaitGroup
	for _, body := range bodies {
		wg.Go(func() {
			body()
			runtime.Gosched()
		})
	}
	wg.Wait()
}

// Two vCPUs enable and disable the same SPI at once. The hardware must
// end as the model: the hook calls for the SPI alternate, each reporting
// a real change, and the last one says what the guest reads.
func TestRacingEnablesReachHardwareInOrder(t *testing.T) {
	const rounds = 2000
	views, r := coreViews(t)
	toggle := func(g *VGIC, first uint64) func() {
		return func() {
			for i := range rounds {
				offset := uint64(0x0104) // ISENABLER1
				if (uint64(i)+first)%2 == 1 {
					offset = 0x0184 // ICENABLER1
				}
				_, ok := g.Distributor().Access(vdev.Access{Offset: offset, Size: 4, Write: true, Value: 1 << 1})
				if !ok {
					panic("store refused")
				}
			}
		}
	}
	runOnCores(toggle(views[0], 0), toggle(views[1], 1))
	calls := r.take()
	require.NotEmpty(t, calls)
	for i, c := range calls {
		require.Equal(t, "EnableChanged", c.method)
		require.Equal(t, uint32(33), c.intid)
		if i > 0 {
			require.NotEqual(t, calls[i-1].value, c.value, "call %d repeats the state before it", i)
		}
	}
	enabled, ok := views[0].Distributor().Access(vdev.Access{Offset: 0x0104, Size: 4})
	require.True(t, ok)
	assert.Equal(t, calls[len(calls)-1].value, enabled>>1&1, "hardware and model disagree")
}

// Byte stores to different priorities of one register word, from two
// cores, lose nothing.
func TestRacingPriorityBytesKeepBoth(t *testing.T) {
	const rounds = 2000
	views, _ := coreViews(t)
	writer := func(g *VGIC, intid uint64) func() {
		return func() {
			for i := range rounds {
				g.Redistributors().Access(vdev.Access{Offset: sgi(0, 0x0400) + intid, Size: 1, Write: true, Value: uint64(i) & 0xff})
			}
		}
	}
	runOnCores(writer(views[0], 0), writer(views[1], 1))
	word, ok := views[0].Redistributors().Access(vdev.Access{Offset: sgi(0, 0x0400), Size: 4})
	require.True(t, ok)
	last := uint64(rounds-1) & 0xff
	assert.Equal(t, last|last<<8, word)
}

// The firmware marks interrupts pending and active while the guest
// clears them; the race detector watches.
func TestFirmwareAndGuestShareState(t *testing.T) {
	const rounds = 2000
	views, _ := coreViews(t)
	runOnCores(
		func() {
			for range rounds {
				views[0].SetPending(0, 33)
				views[0].SetActive(1, 27, true)
				views[0].NextPending(0, 0)
			}
		},
		func() {
			for range rounds {
				views[1].Distributor().Access(vdev.Access{Offset: 0x0284, Size: 4, Write: true, Value: ^uint64(0)})
				views[1].Redistributors().Access(vdev.Access{Offset: sgi(1, 0x0380), Size: 4, Write: true, Value: ^uint64(0)})
				views[1].Deliverable(1, 27)
			}
		},
	)
	views[0].SetPending(0, 33)
	assert.True(t, views[1].Pending(1, 33))
}
