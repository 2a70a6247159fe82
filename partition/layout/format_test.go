package layout

import (
	"testing"

	"github.com/tamavisor/tamavisor/partition"
)

func TestFormatSize(t *testing.T) {
	tests := []struct {
		size uint64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{4096, "4 KiB"},
		{64 * partition.KiB, "64 KiB"},
		{512 * partition.MiB, "512 MiB"},
		{2 * partition.GiB, "2 GiB"},
		{0xc0000000 - 0x75010000, "1 GiB 175 MiB 960 KiB"},
		{partition.TiB + 1, "1 TiB 1 B"},
		{2048 * partition.TiB, "2048 TiB"},
	}
	for _, tc := range tests {
		if got := formatSize(tc.size); got != tc.want {
			t.Errorf("formatSize(%#x) = %q, want %q", tc.size, got, tc.want)
		}
	}
}

func TestFormatRange(t *testing.T) {
	tests := []struct {
		base, size uint64
		want       string
	}{
		{0x48000000, 512 * partition.MiB, "0x48000000 +512 MiB"},
		{0x9000000, 4 * partition.KiB, "0x09000000 +4 KiB"},
		{0, 128 * partition.MiB, "0x00000000 +128 MiB"},
		{0x80_0000_0000, 512 * partition.GiB, "0x8000000000 +512 GiB"},
	}
	for _, tc := range tests {
		if got := formatRange(tc.base, tc.size); got != tc.want {
			t.Errorf("formatRange(%#x, %#x) = %q, want %q", tc.base, tc.size, got, tc.want)
		}
	}
}

func TestFormatIDs(t *testing.T) {
	tests := []struct {
		name string
		runs []idRun
		want string
	}{
		{"none", nil, ""},
		{"one", []idRun{{140, 140}}, "IRQ 140"},
		{"one range", []idRun{{48, 79}}, "IRQs 48–79"},
		{"consecutive singles merge", []idRun{{35, 35}, {36, 36}, {37, 37}}, "IRQs 35–37"},
		{"unsorted, repeated, apart", []idRun{{141, 141}, {140, 140}, {140, 140}, {35, 35}}, "IRQs 35, 140–141"},
		{"overlapping ranges", []idRun{{10, 20}, {15, 30}, {32, 32}}, "IRQs 10–30, 32"},
		{"top of the range", []idRun{{4294967295, 4294967295}, {4294967294, 4294967294}}, "IRQs 4294967294–4294967295"},
	}
	for _, tc := range tests {
		if got := formatIDs("IRQ", "IRQs", tc.runs); got != tc.want {
			t.Errorf("%s: formatIDs(%v) = %q, want %q", tc.name, tc.runs, got, tc.want)
		}
	}
}

func TestFormatCores(t *testing.T) {
	tests := []struct {
		cores []int
		want  string
	}{
		{[]int{2}, "core 2"},
		{[]int{0, 1}, "cores 0–1"},
		{[]int{3, 0, 1}, "cores 0–1, 3"},
	}
	for _, tc := range tests {
		cores := make([]partition.Core, len(tc.cores))
		for i, c := range tc.cores {
			cores[i] = partition.Core{Index: c}
		}
		if got := formatCores(cores); got != tc.want {
			t.Errorf("formatCores(%v) = %q, want %q", tc.cores, got, tc.want)
		}
	}
}

func TestTint(t *testing.T) {
	tests := []struct{ color, want string }{
		{"#0072b2", "#c7e0ef"}, // 255 - (255-c)*22/100 for each of 0x00, 0x72, 0xb2
		{"#000000", "#c7c7c7"},
		{"#ffffff", "#ffffff"},
	}
	for _, tc := range tests {
		if got := tint(tc.color); got != tc.want {
			t.Errorf("tint(%q) = %q, want %q", tc.color, got, tc.want)
		}
	}
}

func TestPartitionColor(t *testing.T) {
	tests := []struct {
		partition int
		want      string
	}{
		{0, "#0072b2"},
		{1, "#e69f00"},
		{6, "#f0e442"},
		{7, "#0072b2"}, // the palette repeats
	}
	for _, tc := range tests {
		if got := partitionColor(tc.partition); got != tc.want {
			t.Errorf("partitionColor(%d) = %q, want %q", tc.partition, got, tc.want)
		}
	}
}
