package fdt

import (
	"strings"
	"testing"
)

func TestCheckNodeName(t *testing.T) {
	tests := []struct {
		name    string
		wantErr string // "" for a valid name
	}{
		{"cpus", ""},
		{"cpu@0", ""},
		{"memory@40000000", ""},
		{"Serial_0.a+b,c-d@fe00,1", ""},
		{strings.Repeat("a", 31), ""},
		{strings.Repeat("a", 31) + "@" + strings.Repeat("f", 40), ""}, // the limit is on node-name only
		{"", "the part before '@' is empty"},
		{"@1000", "the part before '@' is empty"},
		{strings.Repeat("a", 32), "32 characters before '@', at most 31 allowed"},
		{"0serial", "must start with a letter"},
		{"-serial", "must start with a letter"},
		{"serial@", "empty unit address"},
		{"serial#0", `character "#" not allowed`},
		{"serial?", `character "?" not allowed`},
		{"uart@9000000@1", `character "@" not allowed in the unit address`},
		{"uart@90 00", `character " " not allowed in the unit address`},
		{"caf\xc3\xa9", `character "\xc3" not allowed`},
	}
	for _, tc := range tests {
		err := CheckNodeName(tc.name)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("CheckNodeName(%q) = %v, want nil", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("CheckNodeName(%q) = %v, want an error containing %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestCheckPropertyName(t *testing.T) {
	tests := []struct {
		name    string
		wantErr string // "" for a valid name
	}{
		{"reg", ""},
		{"#address-cells", ""},
		{"linux,initrd-start", ""},
		{"ibm,ppc-interrupt-server#s", ""},
		{"0-starts-with-a-digit", ""}, // allowed for properties, unlike nodes
		{"a?b+c.d_e", ""},
		{strings.Repeat("p", 31), ""},
		{"", "property name is empty"},
		{strings.Repeat("p", 32), "32 characters, at most 31 allowed"},
		{"reg@0", `character "@" not allowed`},
		{"a/b", `character "/" not allowed`},
		{"a\x00b", `character "\x00" not allowed`},
	}
	for _, tc := range tests {
		err := CheckPropertyName(tc.name)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("CheckPropertyName(%q) = %v, want nil", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("CheckPropertyName(%q) = %v, want an error containing %q", tc.name, err, tc.wantErr)
		}
	}
}
