package fdt

import (
	"bytes"
	"strings"
	"testing"
)

// layoutSource is the tree of layoutBlob as dtc -O dts writes it.
const layoutSource = `/dts-v1/;

/memreserve/	0x0000000000001000 0x0000000000002000;
/ {
	compatible = "t,x";

	bus {
		dma-ranges;
		ranges;

		dev@10 {
			reg = <0x10>;
		};
	};
};
`

func TestParseSourceGivesTheTreeOfTheBlob(t *testing.T) {
	want, err := Parse(layoutBlob(t))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseSource([]byte(layoutSource))
	if err != nil {
		t.Fatal(err)
	}
	if dump(got) != dump(want) {
		t.Errorf("ParseSource = %s\nwant %s", dump(got), dump(want))
	}
}

func TestParseSourceValues(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  []byte
	}{
		{"empty", `p;`, []byte{}},
		{"cells", `p = <0x01 0x2 3 010>;`, []byte{0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 8}},
		{"largest cell", `p = <0xffffffff>;`, []byte{0xff, 0xff, 0xff, 0xff}},
		{"empty cells", `p = <>;`, nil},
		{"string list as dtc writes it", `p = "fsl,imx8mp-evk\0fsl,imx8mp";`, []byte("fsl,imx8mp-evk\x00fsl,imx8mp\x00")},
		{"string list with commas", `p = "a", "b";`, []byte("a\x00b\x00")},
		{"escapes", `p = "\"\\\n\t\x41\101";`, []byte("\"\\\n\tAA\x00")},
		{"bytes", `p = [00 1a2B];`, []byte{0, 0x1a, 0x2b}},
		{"mixed", `p = <1>, "x", [ff];`, []byte{0, 0, 0, 1, 'x', 0, 0xff}},
		{"comments", `p /* a */ = <1 /* b */ 2>; // c`, []byte{0, 0, 0, 1, 0, 0, 0, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root, err := ParseSource([]byte("/dts-v1/;\n/ {\n\t" + tc.value + "\n};\n"))
			if err != nil {
				t.Fatal(err)
			}
			p, ok := root.Property("p")
			if !ok {
				t.Fatalf("no property p in %s", dump(root))
			}
			if !bytes.Equal(p.Value, tc.want) {
				t.Errorf("value = %x, want %x", p.Value, tc.want)
			}
		})
	}
}

func TestParseSourceErrors(t *testing.T) {
	tests := []struct {
		name    string
		source  string
		wantErr string
	}{
		{"no tag", "/ { };", "line 1: the source does not start with /dts-v1/;"},
		{"no root", "/dts-v1/;\nnode { };", `line 2: expected the root node "/ {"`},
		{"two roots", "/dts-v1/;\n/ { };\n/ { };", `line 3: unexpected '/' after the root node`},
		{"unclosed node", "/dts-v1/;\n/ {\n\tp;\n", `line 4: the source ends where a property or node name, or '}' is expected`},
		{"missing semicolon", "/dts-v1/;\n/ {\n\tp = <1>\n};", `line 4: expected ';', found '}'`},
		{"reference", "/dts-v1/;\n/ {\n\tp = <&gic 1>;\n};", "line 3: references (&label) are not supported"},
		{"reference value", "/dts-v1/;\n/ {\n\tp = &gic;\n};", "line 3: references (&label) are not supported"},
		{"expression", "/dts-v1/;\n/ {\n\tp = <(1 + 2)>;\n};", "line 3: expressions are not supported"},
		{"label", "/dts-v1/;\n/ {\n\tgic: intc { };\n};", "line 3: labels (gic:) are not supported"},
		{"bits", "/dts-v1/;\n/ {\n\tp = /bits/ 64 <1>;\n};", "line 3: /bits/ is not supported"},
		{"delete-node", "/dts-v1/;\n/ {\n\t/delete-node/ x;\n};", "line 3: directives inside nodes"},
		{"cell too large", "/dts-v1/;\n/ {\n\tp = <0x100000000>;\n};", `line 3: "0x100000000" is not a 32-bit number`},
		{"not a number", "/dts-v1/;\n/ {\n\tp = <zz>;\n};", `line 3: expected a number, found 'z'`},
		{"bad hexadecimal", "/dts-v1/;\n/ {\n\tp = <0xzz>;\n};", `line 3: "0x" is not a 32-bit number`},
		{"unclosed string", "/dts-v1/;\n/ {\n\tp = \"abc;\n};", "line 3: string not closed"},
		{"unknown escape", "/dts-v1/;\n/ {\n\tp = \"\\q\";\n};", `line 3: unknown escape sequence \q`},
		{"odd byte", "/dts-v1/;\n/ {\n\tp = [0];\n};", "line 3: expected a byte of two hexadecimal digits"},
		{"property twice", "/dts-v1/;\n/ {\n\tp;\n\tp = <1>;\n};", `line 4: property "p" is defined twice in "/"`},
		{"node twice", "/dts-v1/;\n/ {\n\tn { };\n\tn { };\n};", `line 4: node "n" is defined twice in "/"`},
		{"property with unit address", "/dts-v1/;\n/ {\n\tp@1;\n};", `line 3: property name "p@1": '@' belongs to node names`},
		{"node with #", "/dts-v1/;\n/ {\n\t#n { };\n};", `line 3: node name "#n": '#' and '?' belong to property names`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSource([]byte(tc.source))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// FuzzParseSource feeds ParseSource arbitrary text. It must never panic,
// and a tree it accepts that the Writer can write must parse back the same
// from the blob.
func FuzzParseSource(f *testing.F) {
	f.Add([]byte(layoutSource))
	f.Add([]byte("/dts-v1/;\n/ {\n\tp = <1>, \"a\\0b\", [00ff];\n\tn@1 { q; };\n};\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		root, err := ParseSource(src)
		if err != nil {
			return
		}
		w := NewWriter()
		if writeTree(w, root) != nil {
			return // names longer than the specification allows
		}
		blob, err := w.Finish()
		if err != nil {
			return
		}
		again, err := Parse(blob)
		if err != nil {
			t.Fatalf("the blob of an accepted source does not parse: %v", err)
		}
		if dump(again) != dump(root) {
			t.Fatalf("round trip changed the tree:\n%s\n%s", dump(root), dump(again))
		}
	})
}
