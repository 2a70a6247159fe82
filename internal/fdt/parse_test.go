package fdt

import (
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
)

// layoutBlob is the blob of TestWriterLayout, built by the Writer. Its
// structure block starts at 0x48 and its tokens are at:
//
//	0x48 BEGIN_NODE ""   0x50 PROP compatible   0x60 BEGIN_NODE bus
//	0x68 PROP dma-ranges 0x74 PROP ranges       0x80 BEGIN_NODE dev@10
//	0x8c PROP reg        0x9c END_NODE  0xa0 END_NODE  0xa4 END_NODE  0xa8 END
func layoutBlob(t testing.TB) []byte {
	t.Helper()
	w := NewWriter()
	err := firstError(
		w.AddReservation(0x1000, 0x2000),
		w.BeginNode(""), w.PropString("compatible", "t,x"),
		w.BeginNode("bus"), w.PropEmpty("dma-ranges"), w.PropEmpty("ranges"),
		w.BeginNode("dev@10"), w.PropU32("reg", 0x10),
		w.EndNode(), w.EndNode(), w.EndNode(),
	)
	if err != nil {
		t.Fatal(err)
	}
	blob, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return blob
}

// assemble wraps a hand-written structure block and strings block in a
// header with an empty memory reservation block, so the structure block
// starts at 0x38.
func assemble(structure, stringsBlock []byte) []byte {
	const structOffset = HeaderSize + reservationEntrySize
	h := Header{
		Magic:                 Magic,
		TotalSize:             uint32(structOffset + len(structure) + len(stringsBlock)),
		StructOffset:          structOffset,
		StringsOffset:         uint32(structOffset + len(structure)),
		ReservationsOffset:    HeaderSize,
		Version:               Version,
		LastCompatibleVersion: LastCompatibleVersion,
		StringsSize:           uint32(len(stringsBlock)),
		StructSize:            uint32(len(structure)),
	}
	blob := h.append(nil)
	blob = append(blob, make([]byte, reservationEntrySize)...)
	blob = append(blob, structure...)
	return append(blob, stringsBlock...)
}

// Header field offsets, for corrupting a blob.
const (
	offsetMagic              = 0
	offsetTotalSize          = 4
	offsetStructOffset       = 8
	offsetStringsOffset      = 12
	offsetReservationsOffset = 16
	offsetVersion            = 20
	offsetLastCompVersion    = 24
	offsetStringsSize        = 32
	offsetStructSize         = 36
)

func TestParseCorruptHeaderAndLayout(t *testing.T) {
	tests := []struct {
		name    string
		offset  int    // where to write
		value   uint32 // what to write there
		wantErr string
	}{
		{"bad magic", offsetMagic, 0xd00dfeee, "magic is 0xd00dfeee, not 0xd00dfeed"},
		{"version 16", offsetVersion, 16, "version 16 (compatible back to 16) cannot be read as version 17"},
		{"not compatible with 17", offsetLastCompVersion, 18, "version 17 (compatible back to 18) cannot be read"},
		{"totalsize past the data", offsetTotalSize, 0xc7, "totalsize 199 does not fit the 198 bytes given"},
		{"totalsize smaller than the header", offsetTotalSize, 39, "totalsize 39 does not fit"},
		{"reservations over the header", offsetReservationsOffset, 0x20, "memory reservation block at 0x20 overlaps the header"},
		{"reservations misaligned", offsetReservationsOffset, 0x2c, "memory reservation block at 0x2c is not 8-byte aligned"},
		{"structure misaligned", offsetStructOffset, 0x4a, "structure block at 0x4a is not 4-byte aligned"},
		{"structure size not whole tokens", offsetStructSize, 0x62, "structure block size 98 is not a multiple of 4"},
		{"strings past totalsize", offsetStringsSize, 0x1b, "strings block 0xac+27 runs past totalsize 198"},
		{"strings over the structure", offsetStringsOffset, 0xa8, "strings block 0xa8+26 overlaps the structure block 0x48+100"},
		// The terminating entry at 0x38 gets a non-zero size, so the list
		// runs on into the structure block.
		{"reservations without terminator", 0x44, 1, "memory reservation entry at 0x48 overlaps the structure or strings block"},
		{"unknown token", 0x68, 0x7, "unknown token 0x7 at 0x68"},
		{"FDT_END replaced by FDT_NOP", 0xa8, uint32(tokenNop), "structure block ends at 0xac without FDT_END"},
		{"root left open", 0xa4, uint32(tokenNop), `FDT_END at 0xa8 while node "" is still open`},
		{"END_NODE after the root", 0xa8, uint32(tokenEndNode), "FDT_END_NODE at 0xa8 without an open node"},
		{"property name offset outside strings", 0x94, 0x1a, "property at 0x8c: name offset 26 is outside the 26-byte strings block"},
		{"property value past the structure block", 0x90, 0x20, "property at 0x8c: value of 32 bytes runs past the structure block"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			blob := layoutBlob(t)
			binary.BigEndian.PutUint32(blob[tc.offset:], tc.value)
			_, err := Parse(blob)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Parse error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
	t.Run("too short", func(t *testing.T) {
		_, err := Parse(layoutBlob(t)[:HeaderSize-1])
		if want := "39 bytes, too short for the 40-byte header"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse error = %v, want one containing %q", err, want)
		}
	})
}

func TestParseStructure(t *testing.T) {
	tests := []struct {
		name         string
		structure    string // hex dump; the block starts at blob offset 0x38
		stringsBlock string
		want         *Node  // for a valid block
		wantErr      string // for an invalid one
	}{
		{
			name: "NOPs anywhere are skipped",
			structure: `00000004 00000001 00000000 00000004
				00000003 00000004 00000000 0000002a 00000004 00000002 00000004 00000009`,
			stringsBlock: "reg\x00",
			want:         &Node{Properties: []Property{{Name: "reg", Value: []byte{0, 0, 0, 42}}}},
		},
		{
			name: "property after a child node",
			structure: `00000001 00000000  00000001 61000000 00000002
				00000003 00000000 00000000  00000002 00000009`,
			stringsBlock: "reg\x00",
			wantErr:      `property at 0x4c follows a child node of ""; properties come first`,
		},
		{
			name:      "second root",
			structure: `00000001 00000000 00000002  00000001 00000000 00000002 00000009`,
			wantErr:   `second root node "" at 0x44`,
		},
		{
			name:      "root with a name",
			structure: `00000001 61000000 00000002 00000009`,
			wantErr:   `root node at 0x38 is named "a"`,
		},
		{
			name:      "node name without NUL",
			structure: `00000001 61616161`,
			wantErr:   "name of the node at 0x38 is not NUL-terminated",
		},
		{
			name:         "property name without NUL",
			structure:    `00000001 00000000 00000003 00000000 00000000 00000002 00000009`,
			stringsBlock: "reg",
			wantErr:      "property at 0x40: name at strings offset 0 is not NUL-terminated",
		},
		{
			name:      "property header cut off",
			structure: `00000001 00000000 00000003 00000000`,
			wantErr:   "property at 0x40 is cut off by the end of the structure block",
		},
		{
			name:      "property outside any node",
			structure: `00000003 00000000 00000000 00000009`,
			wantErr:   "property at 0x38 outside any node",
		},
		{
			name:      "FDT_END before any node",
			structure: `00000009`,
			wantErr:   "FDT_END at 0x38 before any node",
		},
		{
			name:      "tokens after FDT_END",
			structure: `00000001 00000000 00000002 00000009 00000004`,
			wantErr:   "FDT_END at 0x44 is followed by 4 more bytes of structure block",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			blob := assemble(unhex(t, tc.structure), []byte(tc.stringsBlock))
			got, err := Parse(blob)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("Parse error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Parse = %s, want %s", dump(got), dump(tc.want))
			}
		})
	}
}

func TestFind(t *testing.T) {
	root, err := Parse(layoutBlob(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path     string
		wantName string // "" with wantFound for the root
		wantFind bool
	}{
		{"/", "", true},
		{"/bus", "bus", true},
		{"/bus/dev@10", "dev@10", true},
		{"/bus/dev@10/", "dev@10", true},
		{"/bus/dev", "", false}, // unit addresses are part of the name
		{"/dev@10", "", false},
		{"bus", "", false}, // paths are absolute
	}
	for _, tc := range tests {
		node, found := root.Find(tc.path)
		if found != tc.wantFind || (found && node.Name != tc.wantName) {
			t.Errorf("Find(%q) = %v, %v; want node %q, %v", tc.path, node, found, tc.wantName, tc.wantFind)
		}
	}
}

func TestPropertyDecoders(t *testing.T) {
	tests := []struct {
		name    string
		value   []byte
		decode  func(Property) (any, error)
		want    any
		wantErr string
	}{
		{"U32", []byte{0x12, 0x34, 0x56, 0x78}, asAny(Property.U32), uint32(0x12345678), ""},
		{"U32 of two cells", []byte{0, 0, 0, 1, 0, 0, 0, 2}, asAny(Property.U32), nil, "is 8 bytes, not one u32 cell"},
		{"U32s", []byte{0, 0, 0, 1, 0, 0, 0, 2}, asAny(Property.U32s), []uint32{1, 2}, ""},
		{"U32s of 6 bytes", []byte{0, 0, 0, 1, 0, 0}, asAny(Property.U32s), nil, "is 6 bytes, not a whole number of u32 cells"},
		{"U64", []byte{0, 0, 0, 0x40, 0, 0, 0x10, 0}, asAny(Property.U64), uint64(0x40_0000_1000), ""},
		{"U64 of one cell", []byte{0, 0, 0, 1}, asAny(Property.U64), nil, "is 4 bytes, not one u64"},
		{"U64s", []byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0}, asAny(Property.U64s), []uint64{1, 1 << 32}, ""},
		{"U64s of 12 bytes", make([]byte, 12), asAny(Property.U64s), nil, "is 12 bytes, not a whole number of u64s"},
		{"StringValue", []byte("hvc\x00"), asAny(Property.StringValue), "hvc", ""},
		{"StringValue of a list", []byte("a\x00b\x00"), asAny(Property.StringValue), nil, "holds 2 strings, not one"},
		{"Strings", []byte("arm,pl011\x00arm,primecell\x00"), asAny(Property.Strings), []string{"arm,pl011", "arm,primecell"}, ""},
		{"Strings with an empty one", []byte("\x00a\x00"), asAny(Property.Strings), []string{"", "a"}, ""},
		{"Strings without NUL", []byte("abc"), asAny(Property.Strings), nil, "does not end with a NUL"},
		{"Strings of an empty property", nil, asAny(Property.Strings), nil, "does not end with a NUL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.decode(Property{Name: "p", Value: tc.value})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("= %#v, %v; want %#v", got, err, tc.want)
			}
		})
	}
}

func asAny[T any](decode func(Property) (T, error)) func(Property) (any, error) {
	return func(p Property) (any, error) {
		v, err := decode(p)
		if err != nil {
			return nil, err
		}
		return v, nil
	}
}

// FuzzParse feeds Parse arbitrary bytes. Parse must never panic, and a tree
// it accepts that the Writer can write again must parse back the same.
func FuzzParse(f *testing.F) {
	f.Add(layoutBlob(f))
	f.Add(assemble(unhex(f, "00000001 00000000 00000003 00000004 00000000 0000002a 00000002 00000009"), []byte("reg\x00")))
	f.Add(assemble(unhex(f, "00000001 00000000 00000001 61000000 00000002 00000002 00000009"), nil))
	f.Fuzz(func(t *testing.T, blob []byte) {
		root, err := Parse(blob)
		if err != nil {
			return
		}
		reservations, err := ReadReservations(blob)
		if err != nil {
			t.Fatalf("Parse accepted the blob but ReadReservations did not: %v", err)
		}
		w := NewWriter()
		for _, r := range reservations {
			if w.AddReservation(r.Address, r.Size) != nil {
				return // overlapping entries: readable, but not ours to write
			}
		}
		if writeTree(w, root) != nil {
			return // names the specification does not allow
		}
		rewritten, err := w.Finish()
		if err != nil {
			return
		}
		again, err := Parse(rewritten)
		if err != nil {
			t.Fatalf("Parse of the rewritten blob: %v", err)
		}
		if !reflect.DeepEqual(again, root) {
			t.Fatalf("rewritten tree differs:\n got %s\nwant %s", dump(again), dump(root))
		}
	})
}
