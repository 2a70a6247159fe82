package psci

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/aarch64"
)

// views returns one Partition per vCPU of the test partition, all on one
// State, as the partition's cores hold them.
func views(t testing.TB) []*Partition {
	t.Helper()
	state := new(State)
	var all []*Partition
	for vcpu := 0; ; vcpu++ {
		core, ok := CoreOfVCPU(testCPUMask, vcpu)
		if !ok {
			return all
		}
		p, err := NewPartition(state, testCPUMask, core, testRAM)
		require.NoError(t, err)
		all = append(all, &p)
	}
}

// Two vCPUs CPU_ON the same OFF vCPU at once while its core tries to take
// it: exactly one CPU_ON wins, the loser gets ON_PENDING or, if the target
// was already taken, ALREADY_ON, and the target starts where the winner
// said.
func TestRacingCPUOnOneWins(t *testing.T) {
	const rounds = 300
	v := views(t)
	for round := range rounds {
		setState(v[0].state, []PowerState{on, on, off}, RequestNone)
		var codes [2]int64
		var entry, context uint64
		var wg sync.WaitGroup
		// The callers spin until both are ready, so that they call as
		// close together as two cores would.
		var ready atomic.Int32
		for caller := range 2 {
			wg.Go(func() {
				ready.Add(1)
				for ready.Load() < 2 {
					runtime.Gosched()
				}
				codes[caller] = v[caller].Call(aarch64.PSCICPUOn64, 2, ramBase+uint64(caller)*0x100, uint64(caller)).Code()
			})
		}
		wg.Go(func() {
			for ready.Load() < 2 {
				runtime.Gosched()
			}
			for {
				var ok bool
				if entry, context, ok = v[2].TakeCPUOn(2); ok {
					return
				}
				runtime.Gosched()
			}
		})
		wg.Wait()

		winners := 0
		for caller, code := range codes {
			switch code {
			case aarch64.PSCISuccess:
				winners++
				assert.Equal(t, ramBase+uint64(caller)*0x100, entry, "round %d: entry of the winner, vCPU %d", round, caller)
				assert.Equal(t, uint64(caller), context, "round %d: context of the winner, vCPU %d", round, caller)
			case aarch64.PSCIOnPending, aarch64.PSCIAlreadyOn:
			default:
				t.Errorf("round %d: vCPU %d's CPU_ON returned %s", round, caller, aarch64.PSCIReturnString(code))
			}
		}
		require.Equal(t, 1, winners, "round %d: CPU_ONs that won, codes %v", round, codes)
		assert.Equal(t, []PowerState{on, on, on}, storedPowers(v[0]), "round %d", round)
		assertRunningCount(t, v[0])
	}
}

// churnStats is what the vCPUs of TestPowerChurn count. Index = target vCPU.
type churnStats struct {
	cpuOnSucceeded [3]atomic.Int64
	taken          [3]atomic.Int64
	stops          atomic.Int64
}

// Every vCPU of the partition runs on its own goroutine, as on its own
// core, and does random CPU_ON, AFFINITY_INFO and CPU_OFF calls; a parked
// vCPU polls TakeCPUOn. Run it with -race. Checked: every CPU_ON that
// succeeded is taken once (or is still pending at the end), every entry
// point taken comes with its own context ID, the partition stops only when
// no vCPU runs, and the running count matches the vCPUs' states.
func TestPowerChurn(t *testing.T) {
	const (
		rounds = 20
		steps  = 2000
	)
	v := views(t)
	for round := range rounds {
		v[0].Reset()
		var stats churnStats
		var wg sync.WaitGroup
		for vcpu := range v {
			wg.Go(func() { churn(t, v[vcpu], uint64(round), steps, &stats) })
		}
		wg.Wait()

		assertRunningCount(t, v[0])
		for target := range v {
			pending := int64(0)
			if v[0].Power(target) == PowerOnPending {
				pending = 1
			}
			assert.Equal(t, stats.cpuOnSucceeded[target].Load(), stats.taken[target].Load()+pending,
				"round %d: vCPU %d: CPU_ONs that succeeded = taken + still pending", round, target)
		}
		if stats.stops.Load() > 0 {
			assert.Equal(t, int64(1), stats.stops.Load(), "round %d: one vCPU stops the partition", round)
			assert.Equal(t, RequestSystemOff, v[0].Request(), "round %d", round)
		}
	}
}

// churn is one vCPU's life in TestPowerChurn. The context ID of every
// CPU_ON is the entry point's offset in RAM, so a torn pair shows.
func churn(t *testing.T, p *Partition, seed uint64, steps int, stats *churnStats) {
	rng := rand.New(rand.NewPCG(seed, uint64(p.Self())))
	running := p.Power(p.Self()) == PowerOn
	for range steps {
		if p.Request() != RequestNone {
			return
		}
		if !running {
			entry, context, ok := p.TakeCPUOn(p.Self())
			if ok {
				stats.taken[p.Self()].Add(1)
				assert.Equal(t, entry-ramBase, context, "vCPU %d took a torn CPU_ON", p.Self())
				running = true
			}
			runtime.Gosched()
			continue
		}
		switch n := rng.IntN(16); {
		case n == 0:
			r := p.Call(aarch64.PSCICPUOff, 0, 0, 0)
			switch r.Action {
			case ActionPark:
				running = false
			case ActionStop:
				stats.stops.Add(1)
				for vcpu := range p.VCPUs() {
					assert.Equal(t, PowerOff, p.Power(vcpu), "the partition stopped with vCPU %d not OFF", vcpu)
				}
				return
			default:
				t.Errorf("vCPU %d: CPU_OFF: %s, action %s", p.Self(), aarch64.PSCIReturnString(r.Code()), r.Action)
				return
			}
		case n < 4:
			target := uint64(rng.IntN(p.VCPUs()))
			code := p.Call(aarch64.PSCIAffinityInfo64, target, 0, 0).Code()
			assert.Contains(t, []int64{affinityOn, affinityOff, affinityOnPending}, code, "AFFINITY_INFO(%d)", target)
		default:
			target := rng.IntN(p.VCPUs())
			offset := uint64(rng.IntN(ramSize/4)) * 4
			r := p.Call(aarch64.PSCICPUOn64, uint64(target), ramBase+offset, offset)
			switch r.Code() {
			case aarch64.PSCISuccess:
				stats.cpuOnSucceeded[target].Add(1)
				assert.Equal(t, ActionWake, r.Action)
				assert.Equal(t, target, r.VCPU)
			case aarch64.PSCIAlreadyOn, aarch64.PSCIOnPending:
			default:
				t.Errorf("vCPU %d: CPU_ON(%d): %s", p.Self(), target, aarch64.PSCIReturnString(r.Code()))
			}
		}
	}
}
