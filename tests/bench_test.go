package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/internal/benchtable"
)

// TestQEMUBenchRunsBothWays runs make bench-qemu's measurement (cmd/benchqemu,
// without the Linux row) on the bench guest natively and as a partition:
// the guest starts its second vCPU, takes its SGI, timer and SPI
// interrupts and prints every operation both ways, and the command writes
// a table whose JSON reads back with its arithmetic intact. The figures
// are make bench-qemu's business; only their presence is checked here.
func TestQEMUBenchRunsBothWays(t *testing.T) {
	guests := requireGuests(t)
	requireQEMUTools(t)
	bench := filepath.Join(guests, "bench.elf")
	if _, err := os.Stat(bench); err != nil {
		t.Skip("QEMU test skipped: guest image bench.elf not built; make guests builds it")
	}
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "configs", "bench.yaml"))
	require.NoError(t, err)
	img := buildConfig(t, strings.ReplaceAll(string(b), "../build/guests/", guests+"/"), nil)
	out := filepath.Join(t.TempDir(), "bench.json")
	// Each run takes seconds; a guest that hangs (an interrupt never
	// delivered) ends in the timeout.
	cmd := exec.Command("go", "run", "../cmd/benchqemu", "-no-linux", "-timeout", "3m", "-native", bench, "-hv", img, "-json", out)
	output, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", output)
	t.Logf("%s", output)
	js, err := os.ReadFile(out)
	require.NoError(t, err)
	table, err := benchtable.Decode(js)
	require.NoError(t, err)
	require.Len(t, table.Rows, len(benchtable.Operations))
	for i, r := range table.Rows {
		assert.Equal(t, benchtable.Operations[i].Name, r.Operation)
		assert.Equal(t, "instructions", r.Unit)
		assert.Positive(t, r.Native, "%s natively", r.Operation)
		assert.Greater(t, r.Tamavisor, r.Native, "%s: a trap costs more than no trap", r.Operation)
	}
}
