package smmu

import (
	"fmt"
	"math/bits"

	"github.com/tamavisor/tamavisor/board"
)

// Partition is what the SMMU needs to know of a partition: its stage-2
// translation and the stream IDs the partition table gives it (its
// devices' DMA).
type Partition struct {
	Stage2  Stage2
	Streams []board.IDRange
}

// StreamTableLog2Size returns the log2 of the number of entries of the
// smallest linear stream table that covers every stream ID of partitions.
// Stream IDs beyond the table need no entry: the SMMU aborts their
// transactions (and records C_BAD_STREAMID).
func StreamTableLog2Size(partitions []Partition) uint {
	var top uint64 // one past the highest stream ID
	for _, p := range partitions {
		for _, r := range p.Streams {
			if r.Count != 0 {
				top = max(top, uint64(r.First)+uint64(r.Count))
			}
		}
	}
	if top <= 1 {
		return 0
	}
	return uint(bits.Len64(top - 1))
}

// BuildStreamTable writes the linear stream table table (entry n for stream
// ID n) for partitions: each partition's streams translate through its
// stage 2, and every other entry aborts. It fails, leaving every entry
// aborting, when a stage 2 is malformed, two partitions share a VMID, a
// stream ID is given twice, or lies beyond the table.
//
// The SMMU must not be reading the table (SMMU_CR0.SMMUEN clear): the
// entries are written whole, in no particular order. Attach and Detach
// change entries of a table in use.
func BuildStreamTable(table []STE, partitions []Partition) error {
	abortAll(table)
	if len(table) == 0 || len(table)&(len(table)-1) != 0 {
		return fmt.Errorf("smmu: a linear stream table has a power-of-two number of entries, not %d", len(table))
	}
	if err := fillStreamTable(table, partitions); err != nil {
		abortAll(table)
		return err
	}
	return nil
}

func abortAll(table []STE) {
	for i := range table {
		table[i] = AbortSTE()
	}
}

func fillStreamTable(table []STE, partitions []Partition) error {
	for i, p := range partitions {
		if err := p.Stage2.Check(); err != nil {
			return err
		}
		for _, other := range partitions[:i] {
			if other.Stage2.VMID == p.Stage2.VMID {
				return fmt.Errorf("smmu: two partitions have VMID %d; each needs its own", p.Stage2.VMID)
			}
		}
		if err := checkStreams(table, p); err != nil {
			return err
		}
		e := Stage2STE(p.Stage2)
		for _, r := range p.Streams {
			for sid := uint64(r.First); sid < uint64(r.First)+uint64(r.Count); sid++ {
				table[sid] = e
			}
		}
	}
	return nil
}

// checkStreams checks that p's streams lie inside table and that no
// entry of them translates yet: none is given to another partition, or
// twice to p.
func checkStreams(table []STE, p Partition) error {
	for i, r := range p.Streams {
		end := uint64(r.First) + uint64(r.Count)
		if end > uint64(len(table)) {
			return fmt.Errorf("smmu: stream IDs %#x..%#x of the partition with VMID %d lie beyond the stream table "+
				"of %d entries", r.First, end-1, p.Stage2.VMID, len(table))
		}
		for _, earlier := range p.Streams[:i] {
			if overlap(earlier, r) {
				return fmt.Errorf("smmu: the partition with VMID %d is given stream IDs %#x..%#x and %#x..%#x, "+
					"which overlap", p.Stage2.VMID, earlier.First, uint64(earlier.First)+uint64(earlier.Count)-1,
					r.First, end-1)
			}
		}
		for sid := uint64(r.First); sid < end; sid++ {
			if e := &table[sid]; e.Translates() {
				return fmt.Errorf("smmu: stream ID %#x is given to the partition with VMID %d, "+
					"but translates for VMID %d already", sid, p.Stage2.VMID, e.VMID())
			}
		}
	}
	return nil
}

func overlap(a, b board.IDRange) bool {
	return a.Count != 0 && b.Count != 0 &&
		uint64(a.First) < uint64(b.First)+uint64(b.Count) && uint64(b.First) < uint64(a.First)+uint64(a.Count)
}
