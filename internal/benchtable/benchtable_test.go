package benchtable

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// guestOutput is what the bench guest prints, with prefix before every
// line (the partition's name under Tamavisor).
func guestOutput(prefix string, hz uint64, ops map[string][3]uint64) []string {
	lines := []string{prefix + "bench: up at EL1", prefix + "bench: counter " + itoa(hz) + " Hz"}
	for _, op := range Operations {
		if v, ok := ops[op.Name]; ok {
			lines = append(lines, prefix+"bench: op "+op.Name+" n "+itoa(v[0])+" ticks "+itoa(v[1])+" min "+itoa(v[2]))
		}
	}
	return append(lines, prefix+"bench: done")
}

func itoa(v uint64) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + v%10)}, b...)
		v /= 10
		if v == 0 {
			return string(b)
		}
	}
}

func allOps(scale uint64) map[string][3]uint64 {
	return map[string][3]uint64{
		"hvc": {2000, 8000 * scale, 0}, "gicd-read": {2000, 6000 * scale, 0}, "uart-write": {1024, 4096 * scale, 0},
		"sgi": {500, 2500 * scale, 5 * scale}, "timer": {500, 1000 * scale, 2 * scale}, "spi": {500, 3500 * scale, 7 * scale},
	}
}

func TestParseAndMean(t *testing.T) {
	r, err := Parse(guestOutput("[bench] ", 1_000_000_000, allOps(1)))
	require.NoError(t, err)
	assert.Equal(t, uint64(1_000_000_000), r.CounterHz)
	assert.Equal(t, Sample{N: 500, Ticks: 2500, Min: 5}, r.Ops["sgi"])
	m, ok := r.Mean("hvc")
	assert.True(t, ok)
	assert.Equal(t, 4.0, m)
	_, ok = r.Mean("nothing")
	assert.False(t, ok)
}

// At 62.5 MHz a tick is 16 ns, 16 instructions under -icount shift=0.
func TestInstructionsFromTicks(t *testing.T) {
	assert.Equal(t, 16.0, Instructions(1, 62_500_000))
	assert.Equal(t, 1.0, Instructions(1, 1_000_000_000))
	r, err := Parse(guestOutput("", 62_500_000, map[string][3]uint64{"hvc": {2000, 195_000, 0}}))
	require.NoError(t, err)
	m, _ := r.Mean("hvc")
	assert.Equal(t, 1560.0, m)
}

func TestParseRejects(t *testing.T) {
	lines := guestOutput("", 1_000_000_000, allOps(1))
	_, err := Parse(lines[:len(lines)-1])
	assert.ErrorIs(t, err, ErrIncomplete)
	_, err = Parse(append(lines[:2:2], "bench: failed: the second vCPU did not start"))
	assert.ErrorContains(t, err, "the second vCPU did not start")
	_, err = Parse([]string{"bench: op hvc n 2000 ticks 1 min 0", "bench: done"})
	assert.ErrorContains(t, err, "no counter frequency")
	_, err = Parse([]string{"bench: counter 1000 Hz", "bench: op hvc n 0 ticks 1 min 0", "bench: done"})
	assert.ErrorContains(t, err, "zero iterations")
}

func TestBuildArithmetic(t *testing.T) {
	native, err := Parse(guestOutput("", 1_000_000_000, allOps(1)))
	require.NoError(t, err)
	hv, err := Parse(guestOutput("[bench] ", 1_000_000_000, allOps(100)))
	require.NoError(t, err)
	table, err := Build(native, hv)
	require.NoError(t, err)
	table.AddLinux(0.8, 0.84)
	require.Len(t, table.Rows, len(Operations)+1)
	hvc := table.Rows[0]
	assert.Equal(t, "hvc", hvc.Operation)
	assert.Equal(t, 4.0, hvc.Native)
	assert.Equal(t, 400.0, hvc.Tamavisor)
	assert.Equal(t, 396.0, hvc.Difference)
	assert.Equal(t, 100.0, hvc.Ratio)
	linux := table.Rows[len(table.Rows)-1]
	assert.Equal(t, LinuxOperation, linux.Operation)
	assert.InDelta(t, 0.04, linux.Difference, 1e-12)
	assert.InDelta(t, 1.05, linux.Ratio, 1e-12)
	assert.Equal(t, 0.0, NewRow("x", "", "s", 0, 1).Ratio, "no ratio against zero")

	delete(hv.Ops, "spi")
	_, err = Build(native, hv)
	assert.ErrorContains(t, err, "spi")
}

func TestJSONRoundTripAndCheck(t *testing.T) {
	table := Table{QEMU: "QEMU emulator version 10.0.2", Icount: "-icount shift=0,sleep=off"}
	table.Rows = append(table.Rows, NewRow("hvc", "null HVC", "instructions", 4, 1557))
	table.AddLinux(0.810, 0.862)
	b, err := table.MarshalIndent()
	require.NoError(t, err)
	assert.Contains(t, string(b), `"operation": "hvc"`)
	assert.Contains(t, string(b), `"difference": 1553`)
	back, err := Decode(b)
	require.NoError(t, err)
	assert.Equal(t, table, back)

	bad := strings.Replace(string(b), `"difference": 1553`, `"difference": 1500`, 1)
	_, err = Decode([]byte(bad))
	assert.ErrorContains(t, err, "row hvc")
}

func TestWrite(t *testing.T) {
	table := Table{}
	table.Rows = append(table.Rows, NewRow("hvc", "null HVC", "instructions", 4, 1557))
	table.AddLinux(0.810, 0.862)
	var buf bytes.Buffer
	require.NoError(t, table.Write(&buf))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 3)
	assert.Regexp(t, `^operation\s+native\s+tamavisor\s+difference\s+ratio$`, lines[0])
	assert.Regexp(t, `^null HVC, insns\s+4\.0\s+1557\.0\s+1553\.0\s+389\.250$`, lines[1])
	assert.Regexp(t, `^Linux 2 vCPUs to Run /init, s\s+0\.810\s+0\.862\s+0\.052\s+1\.064$`, lines[2])
}

func TestLinuxInit(t *testing.T) {
	s, ok := LinuxInit([]string{"[linux] [    0.000000] Booting Linux", "[linux] [    0.861974] Run /init as init process"})
	assert.True(t, ok)
	assert.Equal(t, 0.861974, s)
	_, ok = LinuxInit([]string{"[    0.1] nothing"})
	assert.False(t, ok)
}
