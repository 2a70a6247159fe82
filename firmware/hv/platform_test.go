package hv

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The firmware takes its board from one file per board: no other file of
// the firmware imports a board package, so nothing qemu-virt's (or the
// i.MX's) is left in code the other board's build compiles.
func TestOnlyPlatformFilesImportABoard(t *testing.T) {
	var files []string
	err := filepath.Walk("..", func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, path := range files {
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(p, "github.com/tamavisor/tamavisor/board/") {
				continue
			}
			if !strings.HasPrefix(filepath.Base(path), "platform_") {
				t.Errorf("%s imports %s: take the board's facts from platform_<board>.go", path, p)
			}
			checked++
		}
	}
	if checked < 2 {
		t.Errorf("found %d board imports, want one per platform file at least: is the walk looking at the firmware?", checked)
	}
}
