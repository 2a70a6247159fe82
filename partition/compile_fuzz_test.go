package partition

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/firmware/hv"
	"github.com/tamavisor/tamavisor/partition/table"
)

// FuzzCompileConfig checks that Compile never panics and, for every config
// Parse accepts, either reports positioned problems or returns a table
// that encodes, decodes to the same bytes and passes the firmware's own
// check together with its payload. Configs name the images of
// compileFixtures, written once into a temporary directory next to the
// config; the seed corpus is in testdata/fuzz/FuzzCompileConfig.
func FuzzCompileConfig(f *testing.F) {
	dir := f.TempDir()
	for name, data := range compileFixtures() {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			f.Fatal(err)
		}
	}
	config := filepath.Join(dir, "fuzz.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(config, data)
		if err != nil {
			return // FuzzLoadConfig covers what Parse refuses
		}
		out, err := Compile(c)
		if err != nil {
			if out != nil {
				t.Fatal("Compile returned a result with its error")
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %T %v is not a non-empty ErrorList", err, err)
			}
			lines := bytes.Count(data, []byte("\n")) + 1
			for _, e := range list {
				if e.Pos.File != config || e.Pos.Line < 1 || e.Pos.Line > lines || e.Problem == "" || strings.Contains(e.Error(), "\n") {
					t.Errorf("problem %q points at %v, outside the %d-line config, says nothing or spans lines", e.Error(), e.Pos, lines)
				}
			}
			return
		}
		checkCompiled(t, c, out)
	})
}

// checkCompiled checks what Compile returned for c against the firmware
// and the table's own encoding.
func checkCompiled(t *testing.T, c *Config, out *Compiled) {
	t.Helper()
	encoded, err := table.Encode(out.Table)
	if err != nil {
		t.Fatalf("the compiled table does not encode: %v", err)
	}
	view, err := table.Decode(encoded)
	if err != nil {
		t.Fatalf("the encoded table does not decode: %v", err)
	}
	again, err := table.Encode(view.Table())
	if err != nil || !bytes.Equal(again, encoded) {
		t.Fatalf("the decoded table encodes differently (error %v)", err)
	}
	segment := make([]byte, table.PayloadOffset(uint64(len(encoded))))
	copy(segment, encoded)
	segment = append(segment, out.Payload...)
	b := qemuvirt.Board
	if _, err := hv.LoadPartitionTable(segment, b.Hypervisor.Memory.End(), table.LimitsFor(b)); err != nil {
		t.Fatalf("the firmware refuses the table: %v", err)
	}
	if end := b.Hypervisor.Memory.End() + uint64(len(segment)); c.Hypervisor.Memory.Region().End() < end {
		t.Fatalf("the payload segment ends at %#x, past the hypervisor memory %s", end, c.Hypervisor.Memory)
	}
	if len(out.DTBs) != len(c.Partitions) || len(out.Table.Partitions) != len(c.Partitions) {
		t.Fatalf("%d DTBs and %d partition records for %d partitions", len(out.DTBs), len(out.Table.Partitions), len(c.Partitions))
	}
}

// TestFuzzCompileSeedsCompile keeps the seed corpus useful: every seed is
// a valid config, so the fuzzer starts from configs that reach Compile,
// and the seeds cover both outcomes.
func TestFuzzCompileSeedsCompile(t *testing.T) {
	corpus, err := filepath.Abs(filepath.Join("testdata", "fuzz", "FuzzCompileConfig"))
	if err != nil {
		t.Fatal(err)
	}
	dir := compileDir(t)
	entries, err := os.ReadDir(corpus)
	if err != nil {
		t.Fatal(err)
	}
	outcomes := map[bool]int{}
	for _, entry := range entries {
		raw, err := os.ReadFile(filepath.Join(corpus, entry.Name()))
		if err != nil {
			t.Fatal(err)
		}
		header, literal, ok := strings.Cut(strings.TrimSpace(string(raw)), "\n")
		quoted, found := strings.CutPrefix(literal, "[]byte(")
		quoted, closed := strings.CutSuffix(quoted, ")")
		text, unquoteErr := strconv.Unquote(quoted)
		if !ok || header != "go test fuzz v1" || !found || !closed || unquoteErr != nil {
			t.Fatalf("seed %s is not one []byte in the go test fuzz v1 format", entry.Name())
		}
		c, err := Parse(filepath.Join(dir, "fuzz.yaml"), []byte(text))
		if err != nil {
			t.Errorf("seed %s does not validate:\n%v", entry.Name(), err)
			continue
		}
		out, err := Compile(c)
		outcomes[err == nil]++
		if err == nil {
			checkCompiled(t, c, out)
		}
	}
	if outcomes[true] == 0 || outcomes[false] == 0 {
		t.Errorf("%d seeds compile and %d do not; the corpus needs both", outcomes[true], outcomes[false])
	}
}
