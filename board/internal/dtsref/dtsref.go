// Package dtsref reads the reference device trees board descriptions are
// checked against: the decompiled source (dtc -O dts) of the tree QEMU
// generates or the kernel ships for a board, kept in the board package's
// testdata. Board tests use it to compare every address and interrupt of
// a description with its source; it fails the test on anything missing
// or malformed rather than returning errors.
package dtsref

import (
	"os"
	"strings"
	"testing"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/internal/fdt"
)

// GIC interrupt specifier types (Linux
// Documentation/devicetree/bindings/interrupt-controller/arm,gic-v3.yaml):
// the first of the three cells.
const (
	specifierSPI = 0
	specifierPPI = 1
)

// GIC INTID bases (IHI 0069, 2.2.1 "INTIDs").
const (
	firstPPI = 16
	firstSPI = 32
)

// Tree is one reference device tree.
type Tree struct {
	t    testing.TB
	Root *fdt.Node
}

// Load reads the device tree source at path.
func Load(t testing.TB, path string) *Tree {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	root, err := fdt.ParseSource(src)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &Tree{t: t, Root: root}
}

// Node returns the node at path, such as "/soc@0/bus@30800000/serial@30890000".
func (tr *Tree) Node(path string) *fdt.Node {
	tr.t.Helper()
	n, ok := tr.Root.Find(path)
	if !ok {
		tr.t.Fatalf("node %s is not in the reference device tree", path)
	}
	return n
}

// Has reports whether the node at path exists.
func (tr *Tree) Has(path string) bool {
	_, ok := tr.Root.Find(path)
	return ok
}

// Walk calls visit with the path of every node, parents first.
func (tr *Tree) Walk(visit func(path string, n *fdt.Node)) {
	var walk func(path string, n *fdt.Node)
	walk = func(path string, n *fdt.Node) {
		visit(path, n)
		for _, c := range n.Children {
			walk(strings.TrimSuffix(path, "/")+"/"+c.Name, c)
		}
	}
	walk("/", tr.Root)
}

// Cells returns the u32 cells of property prop of the node at path.
func (tr *Tree) Cells(path, prop string) []uint32 {
	tr.t.Helper()
	p, ok := tr.Node(path).Property(prop)
	if !ok {
		tr.t.Fatalf("node %s has no property %s", path, prop)
	}
	cells, err := p.U32s()
	if err != nil {
		tr.t.Fatalf("node %s: %v", path, err)
	}
	return cells
}

// String returns the first string of property prop of the node at path.
func (tr *Tree) String(path, prop string) string {
	tr.t.Helper()
	p, ok := tr.Node(path).Property(prop)
	if !ok {
		tr.t.Fatalf("node %s has no property %s", path, prop)
	}
	s, err := p.Strings()
	if err != nil {
		tr.t.Fatalf("node %s: %v", path, err)
	}
	return s[0]
}

// Regs returns the reg property of the node at path as regions, read with
// the #address-cells and #size-cells of its parent (Devicetree
// Specification v0.4, 2.3.5 and 2.3.6). Addresses are the parent bus's;
// the reference trees map their buses one to one ("ranges;").
func (tr *Tree) Regs(path string) []board.Region {
	tr.t.Helper()
	parent := path[:strings.LastIndex(path, "/")]
	if parent == "" {
		parent = "/"
	}
	addressCells, sizeCells := tr.cellCount(parent, "#address-cells", 2), tr.cellCount(parent, "#size-cells", 1)
	cells := tr.Cells(path, "reg")
	stride := addressCells + sizeCells
	if stride == 0 || len(cells)%stride != 0 {
		tr.t.Fatalf("node %s: reg has %d cells, not a multiple of %d address + %d size cells", path, len(cells), addressCells, sizeCells)
	}
	var regions []board.Region
	for i := 0; i < len(cells); i += stride {
		regions = append(regions, board.Region{
			Base: join(cells[i : i+addressCells]),
			Size: join(cells[i+addressCells : i+stride]),
		})
	}
	return regions
}

// cellCount returns property prop of the node at path, or def when the
// node leaves it out (Devicetree Specification 2.3.5).
func (tr *Tree) cellCount(path, prop string, def int) int {
	tr.t.Helper()
	if _, ok := tr.Node(path).Property(prop); !ok {
		return def
	}
	return int(tr.Cells(path, prop)[0])
}

func join(cells []uint32) uint64 {
	var v uint64
	for _, c := range cells {
		v = v<<32 | uint64(c)
	}
	return v
}

// Interrupts returns the interrupts of the node at path as GIC INTIDs
// (SPI n is 32+n, PPI n is 16+n), in the order the tree lists them. The
// node's interrupt parent, its own or inherited, must be an arm,gic-v3
// with three-cell specifiers.
func (tr *Tree) Interrupts(path string) []uint32 {
	tr.t.Helper()
	parent := tr.InterruptParent(path)
	if c := tr.String(parent, "compatible"); c != "arm,gic-v3" || tr.cellCount(parent, "#interrupt-cells", 0) != 3 {
		tr.t.Fatalf("node %s: its interrupt parent %s (%s) is not a GICv3 with 3-cell specifiers", path, parent, c)
	}
	cells := tr.Cells(path, "interrupts")
	if len(cells)%3 != 0 {
		tr.t.Fatalf("node %s: interrupts has %d cells, not a multiple of 3", path, len(cells))
	}
	var intids []uint32
	for i := 0; i < len(cells); i += 3 {
		switch cells[i] {
		case specifierSPI:
			intids = append(intids, firstSPI+cells[i+1])
		case specifierPPI:
			intids = append(intids, firstPPI+cells[i+1])
		default:
			tr.t.Fatalf("node %s: interrupt type %d is neither SPI (0) nor PPI (1)", path, cells[i])
		}
	}
	return intids
}

// InterruptParent returns the path of the node whose phandle the nearest
// interrupt-parent on the way from the root to path names (Devicetree
// Specification 2.4.1).
func (tr *Tree) InterruptParent(path string) string {
	tr.t.Helper()
	var phandle uint32
	found := false
	node := tr.Root
	names := strings.Split(strings.Trim(path, "/"), "/")
	for i := 0; ; i++ {
		if p, ok := node.Property("interrupt-parent"); ok {
			v, err := p.U32()
			if err != nil {
				tr.t.Fatalf("interrupt-parent above %s: %v", path, err)
			}
			phandle, found = v, true
		}
		if i == len(names) {
			break
		}
		child, ok := node.Child(names[i])
		if !ok {
			tr.t.Fatalf("node %s is not in the reference device tree", path)
		}
		node = child
	}
	if !found {
		tr.t.Fatalf("node %s has no interrupt parent", path)
	}
	if p := findPhandle(tr.Root, "", phandle); p != "" {
		return p
	}
	tr.t.Fatalf("node %s: no node has phandle %#x, its interrupt parent", path, phandle)
	return ""
}

func findPhandle(n *fdt.Node, path string, phandle uint32) string {
	if p, ok := n.Property("phandle"); ok {
		if v, err := p.U32(); err == nil && v == phandle {
			if path == "" {
				return "/"
			}
			return path
		}
	}
	for _, c := range n.Children {
		if found := findPhandle(c, path+"/"+c.Name, phandle); found != "" {
			return found
		}
	}
	return ""
}
