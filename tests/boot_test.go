package tests

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	bootTimeout = 60 * time.Second
	slotSize    = 30 << 20 // board/qemuvirt HypervisorSlotSize
	hex         = `(0x[0-9a-f]+)`
)

func parseHex(t *testing.T, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(s, 0, 64)
	require.NoError(t, err)
	return v
}

// TestQEMUBootAllCores boots with -smp 4: every core's instance comes up
// with its own MPIDR and private memory, and the boot core counts them.
func TestQEMUBootAllCores(t *testing.T) {
	binary := requireQEMUTools(t)
	img := firmware(t, "")
	r := boot(t, binary, img, bootTimeout,
		`^tamavisor: hypervisor at EL2, 4 cores`,
		`^core 0 up: mpidr `+hex+`, private memory at `+hex,
		`^core 1 up: mpidr `+hex+`, private memory at `+hex,
		`^core 2 up: mpidr `+hex+`, private memory at `+hex,
		`^core 3 up: mpidr `+hex+`, private memory at `+hex,
		`^all cores up: 4$`,
	)
	bases := map[uint64]int{}
	for core := 0; core < 4; core++ {
		m := r.Matches[1+core]
		mpidr := parseHex(t, m[1])
		assert.Equal(t, uint64(core), mpidr&0xff, "core %d reports MPIDR %#x", core, mpidr)
		base := parseHex(t, m[2])
		if other, dup := bases[base]; dup {
			t.Errorf("cores %d and %d share private memory at %#x", other, core, base)
		}
		bases[base] = core
	}
	assert.Len(t, bases, 4)
}

// TestQEMUInstanceIsolation shows that each core's globals and heap are its
// own: a global written on core 1 keeps its initial value on core 2 at the
// same virtual address, and every core's heap allocation translates into
// that core's own private memory.
func TestQEMUInstanceIsolation(t *testing.T) {
	binary := requireQEMUTools(t)
	img := firmware(t, "")
	const initial = 0x7461_6d61_7669_736f // firmware/hv isolationProbe
	r := boot(t, binary, img, bootTimeout,
		`^core 0 up: .*private memory at `+hex,
		`^core 0 heap: allocation at va `+hex+` is pa `+hex,
		`^core 1 up: .*private memory at `+hex,
		`^core 1 heap: allocation at va `+hex+` is pa `+hex,
		`^core 1 isolation: wrote `+hex+` to probe at va `+hex+` \(pa `+hex+`\)`,
		`^core 2 up: .*private memory at `+hex,
		`^core 2 heap: allocation at va `+hex+` is pa `+hex,
		`^core 2 isolation: probe at va `+hex+` \(pa `+hex+`\) reads `+hex,
		`^core 3 up: .*private memory at `+hex,
		`^core 3 heap: allocation at va `+hex+` is pa `+hex,
		`^all cores up: 4$`,
	)
	m := r.Matches
	privateBase := map[int]uint64{0: parseHex(t, m[0][1]), 1: parseHex(t, m[2][1]), 2: parseHex(t, m[5][1]), 3: parseHex(t, m[8][1])}
	heap := map[int][]string{0: m[1], 1: m[3], 2: m[6], 3: m[9]}
	for core, h := range heap {
		pa := parseHex(t, h[2])
		base := privateBase[core]
		assert.True(t, pa >= base && pa < base+slotSize,
			"core %d heap allocation at pa %#x is outside its private memory %#x..%#x", core, pa, base, base+slotSize)
	}

	written, va1, pa1 := parseHex(t, m[4][1]), parseHex(t, m[4][2]), parseHex(t, m[4][3])
	va2, pa2, read := parseHex(t, m[7][1]), parseHex(t, m[7][2]), parseHex(t, m[7][3])
	require.NotEqual(t, uint64(initial), written, "core 1 did not change its probe")
	assert.Equal(t, va1, va2, "the probe is not at the same virtual address on both cores")
	assert.NotEqual(t, pa1, pa2, "both cores' probes are the same physical memory")
	assert.Equal(t, uint64(initial), read, "core 2 sees core 1's write")
	assert.True(t, pa1 >= privateBase[1] && pa1 < privateBase[1]+slotSize, "core 1's probe is not in its private memory")
	assert.True(t, pa2 >= privateBase[2] && pa2 < privateBase[2]+slotSize, "core 2's probe is not in its private memory")
}

// TestQEMUFaultReport boots an image built with -tags faultinject: once the
// system is up, core 1 writes to read-only text and core 3 panics. Each
// prints a decoded report and halts; the boot core sees both and goes on.
func TestQEMUFaultReport(t *testing.T) {
	binary := requireQEMUTools(t)
	img := firmware(t, "faultinject")
	r := boot(t, binary, img, bootTimeout,
		`^all cores up: 4$`,
		`^core 1 fault injection: writing to read-only text at `+hex,
		`^core 1: unexpected exception: Data Abort taken without a change in Exception level \(EC 0x25\)`,
		`^core 1:   vector: synchronous, current EL with SP_EL2`,
		`^core 1:   ESR `+hex+`  FAR `+hex+`  ELR `+hex+`  SPSR `+hex+` \(EL2h`,
		`^core 1:   write access: permission fault at level 3 at address `+hex,
		`^core 1:   x0  0x[0-9a-f]{16} x1  0x[0-9a-f]{16} x2  0x[0-9a-f]{16} x3  0x[0-9a-f]{16}$`,
		`^core 1:   x28 0x[0-9a-f]{16} x29 0x[0-9a-f]{16} x30 0x[0-9a-f]{16} sp  0x[0-9a-f]{16}$`,
		`^core 1: halted \(unexpected exception\): safe state`,
		`^core 0: core 1 halted; the other cores keep running`,
		`^core 3 fault injection: panicking`,
		`^panic: injected hypervisor panic`,
		`^core 3: halted \(hypervisor panic\): safe state`,
		`^core 0: core 3 halted; the other cores keep running`,
	)
	target := parseHex(t, r.Matches[1][1])
	esr := parseHex(t, r.Matches[4][1])
	far := parseHex(t, r.Matches[4][2])
	assert.Equal(t, uint64(0x25), esr>>26, "ESR exception class")
	assert.Equal(t, target, far, "FAR is not the address written")
	assert.Equal(t, target, parseHex(t, r.Matches[5][1]))
	// No output from core 1 after it halted.
	halted := false
	for _, line := range r.Output {
		if halted && len(line) > 7 && line[:7] == "core 1 " {
			t.Errorf("core 1 printed after halting: %q", line)
		}
		if line == r.Matches[8][0] {
			halted = true
		}
	}
}

// TestQEMUBadBoardLayoutStopsTheBoot boots an image whose board description
// maps the UART over the shared region (-tags badboard): the boot core
// names the offending region of the first core whose tables it builds and
// halts before any core comes up.
func TestQEMUBadBoardLayoutStopsTheBoot(t *testing.T) {
	binary := requireQEMUTools(t)
	img := firmware(t, "badboard")
	r := boot(t, binary, img, bootTimeout,
		`^tamavisor: core 3 memory layout: region uart va 0x40100000 size 0x1000: overlaps an existing mapping \(region shared\); fix the board description; halting$`,
	)
	for _, line := range r.Output {
		assert.NotContains(t, line, " up:", "a core came up with a bad layout")
	}
}

// TestQEMUBootWithCachesOn enters the hypervisor as U-Boot leaves a core
// (the MMU and caches on, dirty lines in the cache): it writes them back,
// starts as from reset, and every core comes up.
func TestQEMUBootWithCachesOn(t *testing.T) {
	binary := requireQEMUTools(t)
	img := firmware(t, "")
	bootWith(t, binary, img, loadWithCachesOn(t, img),
		`^tamavisor: hypervisor at EL2, 4 cores`,
		`^tamavisor: entered with the MMU or data cache on \(SCTLR_EL2 0x[0-9a-f]+\): caches written back, started as from reset$`,
		`^core 0 up: `,
		`^all cores up: 4$`,
	)
}
