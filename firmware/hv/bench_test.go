package hv

import (
	"testing"

	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/partition/table"
)

// BenchmarkLoadPartitionTable is the boot core's check of an image: decode,
// re-check against the board, SHA-256 of every image (here a 6 KiB one).
func BenchmarkLoadPartitionTable(b *testing.B) {
	t := &testing.T{}
	seg := segment(t, 0x5000_0000)
	limits := table.LimitsFor(qemuvirt.Board)
	b.SetBytes(int64(len(seg)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := LoadPartitionTable(seg, payloadAt, limits); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReport formats one exception report: the time a faulting core
// spends before it is parked (the UART's speed aside).
func BenchmarkReport(b *testing.B) {
	var c Console
	c.Init(discard{}, 0, nil, nil)
	f := Frame{ESR: 0x979f_004f, FAR: 0x4021_0000, Vector: 0x200, SPSR: 0x3c9}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		WriteReport(&c, 1, &f)
	}
}
