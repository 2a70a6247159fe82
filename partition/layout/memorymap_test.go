package layout

import (
	"slices"
	"testing"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/partition"
)

func TestFreeRAM(t *testing.T) {
	bank0 := board.Region{Base: 0x4000_0000, Size: 0x4000_0000}
	bank1 := board.Region{Base: 0x1_0000_0000, Size: 0x1000_0000}
	memory := func(base, size uint64) band {
		return band{kind: memoryBand, region: board.Region{Base: base, Size: size}}
	}
	device := func(base, size uint64) band {
		return band{kind: deviceBand, region: board.Region{Base: base, Size: size}}
	}
	tests := []struct {
		name string
		ram  []board.Region
		held []band
		want []board.Region
	}{{
		name: "nothing held",
		ram:  []board.Region{bank0},
		want: []board.Region{bank0},
	}, {
		name: "held at both ends and in the middle",
		ram:  []board.Region{bank0},
		held: []band{memory(0x4000_0000, 0x800_0000), memory(0x5000_0000, 0x1000_0000), memory(0x7000_0000, 0x1000_0000)},
		want: []board.Region{{Base: 0x4800_0000, Size: 0x800_0000}, {Base: 0x6000_0000, Size: 0x1000_0000}},
	}, {
		name: "touching holders leave nothing between them",
		ram:  []board.Region{bank0},
		held: []band{memory(0x4000_0000, 0x1000_0000), memory(0x5000_0000, 0x3000_0000)},
		want: nil,
	}, {
		name: "two banks, device MMIO is not RAM",
		ram:  []board.Region{bank0, bank1},
		held: []band{device(0x900_0000, 0x1000), memory(0x4000_0000, 0x3000_0000), memory(0x1_0800_0000, 0x800_0000)},
		want: []board.Region{{Base: 0x7000_0000, Size: 0x1000_0000}, {Base: 0x1_0000_0000, Size: 0x800_0000}},
	}}
	for _, tc := range tests {
		var got []board.Region
		for i, b := range freeRAM(tc.ram, tc.held) {
			if b.kind != freeBand || b.lane() != ramLane {
				t.Errorf("%s: free band %d is of kind %d in lane %d", tc.name, i, b.kind, b.lane())
			}
			got = append(got, b.region)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: free RAM %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestSVGRefuses gives SVG configs that did not come out of
// partition.Load: it must say what is wrong instead of drawing nonsense.
func TestSVGRefuses(t *testing.T) {
	at := func(line, column int) partition.Pos { return partition.Pos{File: "x.yaml", Line: line, Column: column} }
	hypervisor := partition.Hypervisor{Memory: partition.Range{Base: 0x4000_0000, Size: 128 * partition.MiB, Pos: at(3, 11)}}
	tests := []struct {
		name string
		cfg  *partition.Config
		want string
	}{{
		name: "no config",
		want: "layout: no config to draw",
	}, {
		name: "not validated",
		cfg:  &partition.Config{File: "x.yaml", BoardName: "qemu-virt"},
		want: "x.yaml: the config has no board description; load it with partition.Load, which validates it",
	}, {
		name: "memory overlaps the hypervisor",
		cfg: &partition.Config{File: "x.yaml", Board: qemuvirt.Board, Hypervisor: hypervisor, Partitions: []partition.Partition{{
			Name:   "ecu",
			Memory: []partition.MemoryRegion{{Range: partition.Range{Base: 0x4400_0000, Size: 64 * partition.MiB, Pos: at(7, 9)}, IPA: 0x4400_0000}},
		}}},
		want: `x.yaml:7:9: memory 0x44000000+64MiB of partition "ecu" overlaps the hypervisor's memory 0x40000000+128MiB; check the config with tamavisor check`,
	}, {
		name: "empty channel",
		cfg: &partition.Config{File: "x.yaml", Board: qemuvirt.Board, Hypervisor: hypervisor, Channels: []partition.Channel{{
			Name: "data", Range: partition.Range{Base: 0x5000_0000, Pos: at(12, 5)},
		}}},
		want: `x.yaml:12:5: channel "data" 0x50000000+0 is empty; check the config with tamavisor check`,
	}, {
		name: "no hypervisor memory, no file name",
		cfg:  &partition.Config{Board: qemuvirt.Board},
		want: `layout: the hypervisor's memory 0x0+0 is empty; check the config with tamavisor check`,
	}}
	for _, tc := range tests {
		svg, err := SVG(tc.cfg)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: error %v, want %s", tc.name, err, tc.want)
		}
		if svg != nil {
			t.Errorf("%s: %d bytes of SVG along with the error", tc.name, len(svg))
		}
	}
}
