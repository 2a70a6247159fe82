package attempt

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/firmware/vdev/psci"
)

func TestRandomCallsAreReproducibleAndVaried(t *testing.T) {
	calls := RandomCalls(RandomSeed, 64)
	assert.Equal(t, calls, RandomCalls(RandomSeed, 64), "the same seed gives the same calls")
	assert.NotEqual(t, calls, RandomCalls(RandomSeed+1, 64))
	kinds := map[uint64]int{}
	for i, c := range calls {
		assert.Equal(t, []Kind{HVC, SMC}[i%2], c.Conduit, "call %d", i)
		id := uint64(uint32(c.X[0]))
		if id&fastCall != 0 && id>>ownerShift&ownerMask == ownerStd {
			assert.False(t, stops(id&0xffff), "call %d (%#x) would stop the attacker", i, c.X[0])
		}
		kinds[id>>ownerShift&ownerMask|id&fastCall>>25]++
		distinct := map[uint64]bool{}
		for _, x := range c.X[1:] {
			distinct[x] = true
		}
		assert.Len(t, distinct, 17, "call %d: x1..x17 are not all random", i)
	}
	// Fast calls to the Arm Architecture, Standard Secure and both
	// hypervisor services, and more.
	for _, k := range []uint64{0x40 | ownerArch, 0x40 | ownerStd, 0x40 | ownerStdHyp, 0x40 | ownerVenHyp} {
		assert.NotZero(t, kinds[k], "no fast call to owner %d", k&ownerMask)
	}
	assert.Greater(t, len(kinds), 6)
}

// Every random call, answered by the hypervisor's own PSCI dispatcher as
// the firmware does (x0..x3 from its result, x4..x17 untouched), passes
// the attacker's check.
func TestRandomCallsPassAgainstTheDispatcher(t *testing.T) {
	ram := []board.Region{{Base: 0x7400_0000, Size: 16 << 20}}
	p, err := psci.NewPartition(new(psci.State), 1<<3, 3, ram)
	require.NoError(t, err)
	p.Reset()
	for i, c := range RandomCalls(RandomSeed, 256) {
		res := p.Call(c.X[0], c.X[1], c.X[2], c.X[3])
		require.Equal(t, psci.ActionNone, res.Action, "call %d (%#x) did more than return", i, c.X[0])
		after := c.X
		copy(after[:4], res.X[:])
		assert.Equal(t, -1, c.Check(after), "%s", c.Line(i, after))
		assert.Regexp(t, `^attack: random (hvc|smc) \d+ x0=0x[0-9a-f]+: (-\d \([a-z ]+\)|returned 0x[0-9a-f]+), other registers kept$`, c.Line(i, after))
	}
}

func TestRandomCallCheck(t *testing.T) {
	unknown := RandomCall{Conduit: HVC, X: [18]uint64{0xc6ff_0001, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}, Unknown: true}
	known := unknown
	known.X[0], known.Unknown = 0x8400_0000, false
	notSupported := uint64(0xffff_ffff_ffff_ffff)
	for _, tc := range []struct {
		name  string
		call  RandomCall
		after func(*[18]uint64)
		want  int
		line  string
	}{
		{"not supported, registers kept", unknown, func(x *[18]uint64) { x[0] = notSupported }, -1,
			"attack: random hvc 7 x0=0xc6ff0001: -1 (not supported), other registers kept"},
		{"not supported, x1..x3 zeroed", unknown, func(x *[18]uint64) { x[0], x[1], x[2], x[3] = notSupported, 0, 0, 0 }, -1, ""},
		{"32-bit not supported", unknown, func(x *[18]uint64) { x[0] = 0xffff_ffff }, -1, ""},
		{"an unknown function answered", unknown, func(x *[18]uint64) { x[0] = 0 }, 0,
			"attack: random hvc 7 x0=0xc6ff0001: returned 0x0, WRONG result"},
		{"x2 leaks", unknown, func(x *[18]uint64) { x[0], x[2] = notSupported, 0x4000_1000 }, 2,
			"attack: random hvc 7 x0=0xc6ff0001: -1 (not supported), LEAK: x2 became 0x40001000"},
		{"x9 zeroed", unknown, func(x *[18]uint64) { x[0], x[9] = notSupported, 0 }, 9, ""},
		{"a version", known, func(x *[18]uint64) { x[0] = 0x10001 }, -1,
			"attack: random hvc 7 x0=0x84000000: returned 0x10001, other registers kept"},
		{"an error code", known, func(x *[18]uint64) { x[0] = uint64(0xffff_fff7) }, -1, ""},
		{"no error code", known, func(x *[18]uint64) { x[0] = uint64(0xffff_fff0) }, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			after := tc.call.X
			tc.after(&after)
			assert.Equal(t, tc.want, tc.call.Check(after))
			if tc.line != "" {
				assert.Equal(t, tc.line, tc.call.Line(7, after))
			}
		})
	}
}
