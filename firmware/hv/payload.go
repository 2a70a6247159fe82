package hv

import (
	"fmt"

	"github.com/tamavisor/tamavisor/partition/table"
)

// Where Hwinit0 peeks into the partition table header, with the MMU off and
// no runtime, to learn how much to map (partition/table doc: header).
const (
	tableMagicLE           = 0x4c42_5456_414d_4154 // "TAMAVTBL" read as a little-endian uint64
	tableTotalLengthOffset = 0x10
	tablePayloadSizeOffset = 0x18
)

// PartitionTable is the table a boot found in its image, with every check
// passed: the structure decodes, the board matches, every image's SHA-256
// matches its bytes.
type PartitionTable struct {
	View   table.View
	Images []byte // the payload the image records index
}

// LoadPartitionTable decodes and checks the payload segment's bytes, found
// at segmentBase, against the board's limits. The payload itself is the
// hypervisor's memory too: no partition may overlap it. Any error means the
// image must not boot.
func LoadPartitionTable(segment []byte, segmentBase uint64, limits table.Limits) (*PartitionTable, error) {
	hv := limits.HypervisorMemory
	if end := segmentBase + uint64(len(segment)); end > hv.End() && segmentBase <= hv.End() {
		limits.HypervisorMemory.Size = end - hv.Base
	}
	v, err := table.Decode(segment)
	if err != nil {
		return nil, fmt.Errorf("partition table rejected: %w", err)
	}
	if err := v.Check(limits); err != nil {
		return nil, fmt.Errorf("partition table does not fit this board: %w", err)
	}
	start := table.PayloadOffset(uint64(v.Len()))
	if start > uint64(len(segment)) || v.PayloadSize() > uint64(len(segment))-start {
		return nil, fmt.Errorf("partition table: payload of %d bytes is not in the image", v.PayloadSize())
	}
	images := segment[start : start+v.PayloadSize()]
	for i := 0; i < v.NumImages(); i++ {
		im := v.Image(i)
		if im.Offset > uint64(len(images)) || im.Size > uint64(len(images))-im.Offset {
			return nil, fmt.Errorf("partition table: image %d lies outside the payload", i)
		}
		if err := im.Verify(images[im.Offset : im.Offset+im.Size]); err != nil {
			p := v.Partition(int(im.Partition))
			return nil, fmt.Errorf("partition %q: %w", p.Name.String(), err)
		}
	}
	return &PartitionTable{View: v, Images: images}, nil
}
