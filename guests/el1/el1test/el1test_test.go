//go:build !tamago

package el1test

import (
	"reflect"
	"testing"

	"github.com/tamavisor/tamavisor/board"
)

func TestCheckFits(t *testing.T) {
	ecu := board.Region{Base: 0x7000_0000, Size: 64 << 20}
	good := Layout{
		Entry: 0x7007_bca0,
		Segments: []board.Region{
			{Base: 0x7000_f000, Size: 0x9_6924},
			{Base: 0x700a_6000, Size: 0xd_0b60},
			{Base: 0x7017_7000, Size: 0x3_ef00},
		},
		RAM:       board.Region{Base: 0x7000_0000, Size: 62 << 20},
		TextStart: 0x7001_0000,
	}
	tests := []struct {
		name   string
		change func(l *Layout)
		want   []string
	}{
		{name: "the ecu as built", change: func(*Layout) {}},
		{name: "linked for another partition", change: func(l *Layout) {
			l.Segments = []board.Region{{Base: 0x7400_f000, Size: 0x1000}}
			l.Entry = 0x7401_0000
		}, want: []string{
			"PT_LOAD 0x7400f000+0x1000 is outside the partition's memory 0x70000000+0x4000000",
			"entry 0x74010000 is outside the partition's memory 0x70000000+0x4000000",
		}},
		{name: "runtime RAM over the device tree block", change: func(l *Layout) { l.RAM.Size = 64 << 20 }, want: []string{
			"runtime RAM 0x70000000+0x4000000 reaches into the device tree block at the top of 0x70000000+0x4000000: fix the program's board.go",
		}},
		{name: "runtime RAM above the base", change: func(l *Layout) { l.RAM = board.Region{Base: 0x7000_1000, Size: 32 << 20} }, want: []string{
			"runtime RAM starts at 0x70001000, not at the partition base 0x70000000: fix the program's board.go",
		}},
		{name: "text at the RAM start", change: func(l *Layout) { l.TextStart = 0x7000_2000 }, want: []string{
			"text at 0x70002000 leaves no room for translation tables above 0x70000000: fix the link address in the Makefile",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := good
			l.Segments = append([]board.Region(nil), good.Segments...)
			tt.change(&l)
			if got := l.CheckFits(ecu); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems %q, want %q", got, tt.want)
			}
		})
	}
}
