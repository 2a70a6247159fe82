package fdt

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
)

// writeTree writes n and its subtree with w, for tests that state a tree as
// a Node literal.
func writeTree(w *Writer, n *Node) error {
	if err := w.BeginNode(n.Name); err != nil {
		return err
	}
	for _, p := range n.Properties {
		var err error
		if len(p.Value) == 0 {
			err = w.PropEmpty(p.Name)
		} else {
			err = w.PropBytes(p.Name, p.Value)
		}
		if err != nil {
			return err
		}
	}
	for _, c := range n.Children {
		if err := writeTree(w, c); err != nil {
			return err
		}
	}
	return w.EndNode()
}

// unhex decodes a hex dump written with spaces, newlines and "//" comments.
func unhex(t testing.TB, dump string) []byte {
	t.Helper()
	var digits strings.Builder
	for _, line := range strings.Split(dump, "\n") {
		line, _, _ = strings.Cut(line, "//")
		digits.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(digits.String())
	if err != nil {
		t.Fatalf("bad hex dump in test: %v", err)
	}
	return b
}

// TestWriterLayout checks every byte of a small tree against a blob
// assembled by hand from chapter 5 of the specification; dtc 1.6.1 compiles
// the equivalent source
//
//	/memreserve/ 0x1000 0x2000;
//	/ { compatible = "t,x"; bus { dma-ranges; ranges; dev@10 { reg = <0x10>; }; }; };
//
// to the same bytes.
func TestWriterLayout(t *testing.T) {
	const want = `
		d00dfeed 000000c6 00000048 000000ac  // magic, totalsize, off_dt_struct, off_dt_strings
		00000028 00000011 00000010 00000000  // off_mem_rsvmap, version 17, last_comp_version 16, boot_cpuid_phys
		0000001a 00000064                    // size_dt_strings, size_dt_struct
		00000000 00001000 00000000 00002000  // reservation 0x1000+0x2000
		00000000 00000000 00000000 00000000  // terminating entry
		00000001 00000000                    // FDT_BEGIN_NODE "" (root)
		00000003 00000004 00000000 742c7800  // FDT_PROP len 4, "compatible", "t,x"
		00000001 62757300                    // FDT_BEGIN_NODE "bus"
		00000003 00000000 0000000b           // FDT_PROP len 0, "dma-ranges"
		00000003 00000000 0000000f           // FDT_PROP len 0, "ranges": the tail of "dma-ranges"
		00000001 64657640 31300000           // FDT_BEGIN_NODE "dev@10", padded
		00000003 00000004 00000016 00000010  // FDT_PROP len 4, "reg", <0x10>
		00000002 00000002 00000002           // FDT_END_NODE x 3
		00000009                             // FDT_END
		636f6d70 61746962 6c6500             // "compatible\0"
		646d612d 72616e67 657300             // "dma-ranges\0"
		72656700                             // "reg\0"
	`
	w := NewWriter()
	calls := []error{
		w.AddReservation(0x1000, 0x2000),
		w.BeginNode(""),
		w.PropString("compatible", "t,x"),
		w.BeginNode("bus"),
		w.PropEmpty("dma-ranges"),
		w.PropEmpty("ranges"),
		w.BeginNode("dev@10"),
		w.PropU32("reg", 0x10),
		w.EndNode(),
		w.EndNode(),
		w.EndNode(),
	}
	for i, err := range calls {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	got, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if wantBytes := unhex(t, want); !bytes.Equal(got, wantBytes) {
		t.Errorf("blob differs from the hand-assembled one\n got: %x\nwant: %x", got, wantBytes)
	}

	wantHeader := Header{
		Magic: 0xd00dfeed, TotalSize: 0xc6, StructOffset: 0x48, StringsOffset: 0xac,
		ReservationsOffset: 0x28, Version: 17, LastCompatibleVersion: 16,
		BootCPUIDPhys: 0, StringsSize: 0x1a, StructSize: 0x64,
	}
	if h, err := ReadHeader(got); err != nil || h != wantHeader {
		t.Errorf("ReadHeader = %+v, %v; want %+v", h, err, wantHeader)
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name         string
		reservations []Reservation
		tree         *Node
	}{
		{
			name: "empty root",
			tree: &Node{},
		},
		{
			name:         "reservations and nested nodes",
			reservations: []Reservation{{Address: 0x4000_0000, Size: 0x10_0000}, {Address: 0xffff_ffff_0000_0000, Size: 0x1_0000_0000}},
			tree: &Node{
				Properties: []Property{
					{Name: "#address-cells", Value: []byte{0, 0, 0, 2}},
					{Name: "model", Value: []byte("a\x00")},
				},
				Children: []*Node{
					{Name: "cpus", Children: []*Node{
						{Name: "cpu@0", Properties: []Property{{Name: "reg", Value: []byte{0, 0, 0, 0}}}},
						{Name: "cpu@1", Properties: []Property{{Name: "reg", Value: []byte{0, 0, 0, 1}}}},
					}},
					{Name: "chosen", Properties: []Property{
						{Name: "bootargs", Value: []byte("console=ttyAMA0\x00")},
						{Name: "odd-length", Value: []byte{1, 2, 3, 4, 5}},
						{Name: "always-on"},
					}},
				},
			},
		},
		{
			name: "names at the length limit",
			tree: &Node{Children: []*Node{{
				Name:       "abcdefghijklmnopqrstuvwxyz01234@0123456789abcdef",
				Properties: []Property{{Name: "abcdefghijklmnopqrstuvwxyz,.+?#", Value: []byte{7}}},
			}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := NewWriter()
			for _, r := range tc.reservations {
				if err := w.AddReservation(r.Address, r.Size); err != nil {
					t.Fatal(err)
				}
			}
			if err := writeTree(w, tc.tree); err != nil {
				t.Fatal(err)
			}
			blob, err := w.Finish()
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(blob)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tc.tree) {
				t.Errorf("Parse(Finish()) = %s, want %s", dump(got), dump(tc.tree))
			}
			reservations, err := ReadReservations(blob)
			if err != nil {
				t.Fatalf("ReadReservations: %v", err)
			}
			if !reflect.DeepEqual(reservations, tc.reservations) {
				t.Errorf("ReadReservations = %#v, want %#v", reservations, tc.reservations)
			}
		})
	}
}

// dump prints a tree on one line for failure messages.
func dump(n *Node) string {
	var b strings.Builder
	var walk func(*Node)
	walk = func(n *Node) {
		b.WriteString(n.Name + "{")
		for _, p := range n.Properties {
			b.WriteString(p.Name + "=" + hex.EncodeToString(p.Value) + ";")
		}
		for _, c := range n.Children {
			walk(c)
		}
		b.WriteString("}")
	}
	walk(n)
	return b.String()
}

func TestWriterErrors(t *testing.T) {
	tests := []struct {
		name string
		// calls makes the calls of the case and returns the first error.
		calls   func(w *Writer) error
		wantErr string
	}{
		{
			name:    "root with a name",
			calls:   func(w *Writer) error { return w.BeginNode("root") },
			wantErr: `the root node's name must be empty, got "root"`,
		},
		{
			name: "second root",
			calls: func(w *Writer) error {
				return firstError(w.BeginNode(""), w.EndNode(), w.BeginNode(""))
			},
			wantErr: "a tree has exactly one root",
		},
		{
			name:    "EndNode without BeginNode",
			calls:   func(w *Writer) error { return w.EndNode() },
			wantErr: "EndNode without an open node",
		},
		{
			name: "unbalanced: node left open",
			calls: func(w *Writer) error {
				if err := firstError(w.BeginNode(""), w.BeginNode("cpus"), w.BeginNode("cpu@0"), w.EndNode()); err != nil {
					return err
				}
				_, err := w.Finish()
				return err
			},
			wantErr: "node /cpus is still open; call EndNode 2 more time(s)",
		},
		{
			name: "no root",
			calls: func(w *Writer) error {
				_, err := w.Finish()
				return err
			},
			wantErr: "the tree has no root node",
		},
		{
			name:    "node name starting with a digit",
			calls:   func(w *Writer) error { return firstError(w.BeginNode(""), w.BeginNode("0cpu")) },
			wantErr: `node /0cpu: node name "0cpu": must start with a letter`,
		},
		{
			name:    "node name with a slash",
			calls:   func(w *Writer) error { return firstError(w.BeginNode(""), w.BeginNode("a/b")) },
			wantErr: `character "/" not allowed`,
		},
		{
			name:    "node name too long",
			calls:   func(w *Writer) error { return firstError(w.BeginNode(""), w.BeginNode(strings.Repeat("a", 32)+"@1")) },
			wantErr: "32 characters before '@', at most 31 allowed",
		},
		{
			name:    "empty unit address",
			calls:   func(w *Writer) error { return firstError(w.BeginNode(""), w.BeginNode("serial@")) },
			wantErr: "empty unit address after '@'",
		},
		{
			name: "duplicate sibling",
			calls: func(w *Writer) error {
				return firstError(w.BeginNode(""), w.BeginNode("psci"), w.EndNode(), w.BeginNode("psci"))
			},
			wantErr: "node /psci written twice",
		},
		{
			name: "node named like a property of its parent",
			calls: func(w *Writer) error {
				return firstError(w.BeginNode(""), w.PropEmpty("timer"), w.BeginNode("timer"))
			},
			wantErr: "node /timer has the name of a property of /",
		},
		{
			name:    "property outside any node",
			calls:   func(w *Writer) error { return w.PropU32("reg", 1) },
			wantErr: `property "reg" outside any node`,
		},
		{
			name:    "property name with a space",
			calls:   func(w *Writer) error { return firstError(w.BeginNode(""), w.PropEmpty("a b")) },
			wantErr: `node /: property name "a b": character " " not allowed`,
		},
		{
			name:    "property name too long",
			calls:   func(w *Writer) error { return firstError(w.BeginNode(""), w.PropEmpty(strings.Repeat("p", 32))) },
			wantErr: "32 characters, at most 31 allowed",
		},
		{
			name:    "empty property name",
			calls:   func(w *Writer) error { return firstError(w.BeginNode(""), w.PropEmpty("")) },
			wantErr: "property name is empty",
		},
		{
			name: "property after a child node",
			calls: func(w *Writer) error {
				return firstError(w.BeginNode(""), w.BeginNode("chosen"), w.EndNode(), w.PropU32("#size-cells", 2))
			},
			wantErr: `node /: property "#size-cells" after a child node`,
		},
		{
			name:    "duplicate property",
			calls:   func(w *Writer) error { return firstError(w.BeginNode(""), w.PropU32("a", 1), w.PropU32("a", 2)) },
			wantErr: `node /: property "a" written twice`,
		},
		{
			name:    "PropU32 without values",
			calls:   func(w *Writer) error { return firstError(w.BeginNode(""), w.PropU32("reg")) },
			wantErr: `property "reg" has no value; use PropEmpty`,
		},
		{
			name:    "PropStrings without values",
			calls:   func(w *Writer) error { return firstError(w.BeginNode(""), w.PropStrings("compatible")) },
			wantErr: `property "compatible" has no value`,
		},
		{
			name:    "string with a NUL",
			calls:   func(w *Writer) error { return firstError(w.BeginNode(""), w.PropString("model", "a\x00b")) },
			wantErr: `contains a NUL byte`,
		},
		{
			name:    "phandle of two cells",
			calls:   func(w *Writer) error { return firstError(w.BeginNode(""), w.PropU32("phandle", 1, 2)) },
			wantErr: "phandle is 8 bytes, must be one u32 cell",
		},
		{
			name:    "phandle zero",
			calls:   func(w *Writer) error { return firstError(w.BeginNode(""), w.PropU32("phandle", 0)) },
			wantErr: "phandle 0x0 is reserved",
		},
		{
			name:    "phandle all ones",
			calls:   func(w *Writer) error { return firstError(w.BeginNode(""), w.PropU32("phandle", 0xffffffff)) },
			wantErr: "phandle 0xffffffff is reserved",
		},
		{
			name: "phandle on two nodes",
			calls: func(w *Writer) error {
				return firstError(w.BeginNode(""), w.BeginNode("a"), w.PropU32("phandle", 5), w.EndNode(),
					w.BeginNode("b"), w.PropU32("phandle", 5))
			},
			wantErr: "node /b: phandle 0x5 already names /a",
		},
		{
			name: "allocated phandle never defined",
			calls: func(w *Writer) error {
				if _, err := w.NewPhandle(); err != nil {
					return err
				}
				if err := firstError(w.BeginNode(""), w.EndNode()); err != nil {
					return err
				}
				_, err := w.Finish()
				return err
			},
			wantErr: "phandle 0x1 was allocated but no node defines it",
		},
		{
			name:    "reservation of size zero",
			calls:   func(w *Writer) error { return w.AddReservation(0x1000, 0) },
			wantErr: "memory reservation at 0x1000 has size 0",
		},
		{
			name:    "reservation past the address space",
			calls:   func(w *Writer) error { return w.AddReservation(0xffff_ffff_ffff_f000, 0x2000) },
			wantErr: "runs past the end of the 64-bit address space",
		},
		{
			name: "overlapping reservations",
			calls: func(w *Writer) error {
				return firstError(w.AddReservation(0x1000, 0x2000), w.AddReservation(0x2fff, 1))
			},
			wantErr: "memory reservation 0x2fff+0x1 overlaps reservation 0x1000+0x2000",
		},
		{
			name: "use after Finish",
			calls: func(w *Writer) error {
				if err := firstError(w.BeginNode(""), w.EndNode()); err != nil {
					return err
				}
				if _, err := w.Finish(); err != nil {
					return err
				}
				return w.BeginNode("")
			},
			wantErr: "Finish was already called",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := NewWriter()
			err := tc.calls(w)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
			}
			// The first error sticks: nothing later may produce a blob.
			if later := w.PropEmpty("later"); later == nil || later.Error() != err.Error() {
				t.Errorf("call after the error returned %v, want the first error again", later)
			}
			if blob, finishErr := w.Finish(); blob != nil || finishErr == nil {
				t.Errorf("Finish after the error = %d bytes, %v; want no blob and an error", len(blob), finishErr)
			}
		})
	}
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func TestNewPhandle(t *testing.T) {
	w := NewWriter()
	if err := firstError(w.BeginNode(""), w.BeginNode("a"), w.PropU32("phandle", 2), w.EndNode()); err != nil {
		t.Fatal(err)
	}
	// 2 is taken by /a, so allocation goes 1, 3, 4.
	want := []uint32{1, 3, 4}
	for i, wantPhandle := range want {
		got, err := w.NewPhandle()
		if err != nil || got != wantPhandle {
			t.Fatalf("NewPhandle #%d = %d, %v; want %d", i, got, err, wantPhandle)
		}
		if err := firstError(w.BeginNode("n"+string(rune('0'+i))), w.PropU32("phandle", got), w.EndNode()); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.EndNode(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Finish(); err != nil {
		t.Errorf("Finish with every allocated phandle defined: %v", err)
	}
}
