package partition

import "testing"

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    uint64
		wantErr string
	}{
		{in: "4096", want: 4096},
		{in: "0x1000", want: 4096},
		{in: "0X1000", want: 4096},
		{in: "0", want: 0},
		{in: "4KiB", want: 4096},
		{in: "64MiB", want: 64 << 20},
		{in: "64 MiB", want: 64 << 20},
		{in: "1GiB", want: 1 << 30},
		{in: "2TiB", want: 2 << 40},
		{in: "1_024", want: 1024},
		{in: "0x4000_0000", want: 0x40000000},
		{in: "", wantErr: `size "" is not a number; write a size as a decimal or 0x-prefixed hexadecimal integer`},
		{in: "MiB", wantErr: `size "MiB" is not a number; write a size as a decimal or 0x-prefixed hexadecimal integer`},
		{in: "abc", wantErr: `size "abc" is not a number; write a size as a decimal or 0x-prefixed hexadecimal integer`},
		{in: "-1", wantErr: `size "-1" is not a number; write a size as a decimal or 0x-prefixed hexadecimal integer`},
		{in: "1__0", wantErr: `size "1__0" is not a number; write a size as a decimal or 0x-prefixed hexadecimal integer`},
		{in: "_1", wantErr: `size "_1" is not a number; write a size as a decimal or 0x-prefixed hexadecimal integer`},
		{in: "0x", wantErr: `size "0x" is not a number; write a size as a decimal or 0x-prefixed hexadecimal integer`},
		{in: "64MB", wantErr: `size "64MB" has unit "MB"; write 64MiB (units are KiB, MiB, GiB and TiB)`},
		{in: "4k", wantErr: `size "4k" has unit "k"; write 4KiB (units are KiB, MiB, GiB and TiB)`},
		{in: "1 gb", wantErr: `size "1 gb" has unit "gb"; write 1GiB (units are KiB, MiB, GiB and TiB)`},
		{in: "3 pages", wantErr: `size "3 pages" has unit "pages"; write the unit as KiB, MiB, GiB or TiB`},
		{in: "0100", wantErr: `size "0100" has a leading zero, which some YAML readers take as octal; drop the leading zeros, or write hexadecimal with 0x`},
		{in: "18446744073709551616", wantErr: `size "18446744073709551616" does not fit in 64 bits; write a size below 2^64`},
		{in: "16777216TiB", wantErr: `size "16777216TiB" does not fit in 64 bits; use a smaller size`},
	}
	for _, tc := range tests {
		got, err := ParseSize(tc.in)
		switch {
		case tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr):
			t.Errorf("ParseSize(%q) error = %v, want %s", tc.in, err, tc.wantErr)
		case tc.wantErr == "" && (err != nil || got != tc.want):
			t.Errorf("ParseSize(%q) = %#x, %v; want %#x", tc.in, got, err, tc.want)
		}
	}
}

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in      string
		want    uint64
		wantErr string
	}{
		{in: "0x48000000", want: 0x48000000},
		{in: "1207959552", want: 0x48000000},
		{in: "0x1_0000_0000", want: 1 << 32},
		{in: "0xffffffffffffffff", want: 1<<64 - 1},
		{in: "1GiB", wantErr: `address "1GiB" is a size, not an address; write the address as an integer such as 0x48000000`},
		{in: "0x1_", wantErr: `address "0x1_" is not a number; write an address as a decimal or 0x-prefixed hexadecimal integer`},
		{in: "0x10000000000000000", wantErr: `address "0x10000000000000000" does not fit in 64 bits; write an address below 2^64`},
	}
	for _, tc := range tests {
		got, err := ParseAddress(tc.in)
		switch {
		case tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr):
			t.Errorf("ParseAddress(%q) error = %v, want %s", tc.in, err, tc.wantErr)
		case tc.wantErr == "" && (err != nil || got != tc.want):
			t.Errorf("ParseAddress(%q) = %#x, %v; want %#x", tc.in, got, err, tc.want)
		}
	}
}

func TestFormatSize(t *testing.T) {
	tests := []struct {
		in   uint64
		want string
	}{
		{0, "0"},
		{0x600, "0x600"},
		{4 * KiB, "4KiB"},
		{6 * KiB, "6KiB"},
		{64 * MiB, "64MiB"},
		{1536 * MiB, "1536MiB"},
		{GiB, "1GiB"},
		{512 * GiB, "512GiB"},
		{TiB, "1TiB"},
		{1<<64 - 1, "0xffffffffffffffff"},
	}
	for _, tc := range tests {
		if got := FormatSize(tc.in); got != tc.want {
			t.Errorf("FormatSize(%#x) = %q, want %q", tc.in, got, tc.want)
		}
		if tc.in == 0 {
			continue
		}
		// Every size FormatSize writes reads back as the same size.
		if back, err := ParseSize(tc.want); err != nil || back != tc.in {
			t.Errorf("ParseSize(FormatSize(%#x)) = %#x, %v", tc.in, back, err)
		}
	}
	if got, want := FormatRange(0x48000000, 64*MiB), "0x48000000+64MiB"; got != want {
		t.Errorf("FormatRange = %q, want %q", got, want)
	}
}
