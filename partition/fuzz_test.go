package partition

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzLoadConfig checks that Parse, with Validate, never panics and always
// answers with either a config or a list of positioned problems. The seed
// corpus is in testdata/fuzz/FuzzLoadConfig.
func FuzzLoadConfig(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if (c == nil) == (err == nil) {
			t.Fatalf("Parse returned config %v and error %v; want exactly one", c != nil, err)
		}
		if err == nil {
			return
		}
		var list ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error %T %v is not a non-empty ErrorList", err, err)
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, e := range list {
			if e.Pos.File != "fuzz.yaml" || e.Pos.Line > lines || e.Problem == "" || strings.Contains(e.Error(), "\n") {
				t.Errorf("problem %q points at %v, outside the %d-line input, says nothing or spans lines", e.Error(), e.Pos, lines)
			}
		}
	})
}
