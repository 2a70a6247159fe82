package table

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board/qemuvirt"
)

// FuzzDecodeTable: Decode and Check never panic, and whatever decodes
// re-encodes to the same bytes. Random bytes almost never carry a matching
// SHA-256, so each input is also tried with its checksum recomputed, which
// lets the fuzzer reach the record checks behind it.
func FuzzDecodeTable(f *testing.F) {
	limits := LimitsFor(qemuvirt.Board)
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeReencode(t, data, limits)
		if len(data) < HeaderSize {
			return
		}
		if total := le.Uint64(data[headerTotalLength:]); total >= HeaderSize && total <= uint64(len(data)) {
			sealed := append([]byte{}, data[:total]...)
			seal(sealed)
			decodeReencode(t, sealed, limits)
		}
	})
}

func decodeReencode(t *testing.T, data []byte, limits Limits) {
	v, err := Decode(data)
	if err != nil {
		return
	}
	// Check against limits named after the table's own board, so that
	// the board name does not stop it at its first step.
	limits.Board = v.Board().String()
	_ = v.Check(limits)
	again, err := Encode(v.Table())
	if err != nil {
		t.Fatalf("a decoded table does not encode: %v", err)
	}
	if !bytes.Equal(again, data[:v.Len()]) {
		t.Fatalf("re-encoding changed the table:\n got %x\nwant %x", again, data[:v.Len()])
	}
}

// fuzzSeed is one file of the committed seed corpus.
type fuzzSeed struct {
	name string
	data []byte
}

// fuzzSeeds builds the seed corpus from the encoder: each fixture table,
// and a few near misses of the small one.
func fuzzSeeds(t *testing.T) []fuzzSeed {
	small := encode(t, smallTable())
	unsealed := append([]byte{}, small...)
	unsealed[recordAt(smallTable(), sectionRegions, 4)+regionKind] = byte(RegionRAM)
	return []fuzzSeed{
		{"minimal", encode(t, minimalTable())},
		{"small", small},
		{"passthrough-console", encode(t, passthroughTable())},
		{"no-partitions", encode(t, &Table{Board: mustName(qemuvirt.Name)})},
		{"small-with-payload-after", append(append([]byte{}, small...), "payload"...)},
		{"small-truncated", small[:len(small)-1]},
		{"small-mmio-as-ram-unsealed", unsealed},
	}
}

// TestFuzzSeedCorpus keeps testdata/fuzz/FuzzDecodeTable in step with the
// encoder. Regenerate with go test -update.
func TestFuzzSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodeTable")
	if *update {
		require.NoError(t, os.MkdirAll(dir, 0o755))
	}
	for _, seed := range fuzzSeeds(t) {
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", seed.data)
		path := filepath.Join(dir, seed.name)
		if *update {
			require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
		}
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, want, string(got), "%s is stale; run go test -update", path)
	}
}
