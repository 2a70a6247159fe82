package table

// RAMRegion is one RAM region of a partition, as PeekRAM reports it.
type RAMRegion struct {
	// CPUMask is the owning partition's cores.
	CPUMask  uint64
	PhysBase uint64
	Size     uint64
}

// PeekRAM copies every partition's RAM regions from the table at the start
// of b into out, allocating nothing and building no error values. It is for
// code that runs before the Go heap exists: the firmware maps each core's
// partition RAM into the core's own tables before the core's runtime
// starts.
//
// It returns false, and nothing may be mapped, unless the header, the
// counts, the length, the checksum and the partitions' region runs hold
// together, and out has room for every RAM region. It is no substitute for
// Decode and View.Check, which must pass before any guest runs, and which
// say what is wrong when PeekRAM returns false.
func PeekRAM(b []byte, out []RAMRegion) (n int, ok bool) {
	if len(b) < HeaderSize || string(b[headerMagic:headerMagic+len(Magic)]) != Magic ||
		le.Uint32(b[headerVersion:]) != Version || le.Uint32(b[headerHeaderSize:]) != HeaderSize {
		return 0, false
	}
	var offsets, counts [numSections]uint64
	length := uint64(HeaderSize)
	for s := range numSections {
		count := uint64(le.Uint32(b[headerCounts+4*int(s):]))
		if count > uint64(sections[s].maxCount) {
			return 0, false
		}
		offsets[s], counts[s] = length, count
		length += count * uint64(sections[s].recordSize)
	}
	if le.Uint64(b[headerTotalLength:]) != length || length > uint64(len(b)) {
		return 0, false
	}
	t := b[:length]
	if [32]byte(t[headerChecksum:]) != checksum(t) {
		return 0, false
	}
	for p := uint64(0); p < counts[sectionPartitions]; p++ {
		rec := t[offsets[sectionPartitions]+p*PartitionSize:]
		mask := le.Uint64(rec[partitionCPUMask:])
		first := uint64(le.Uint32(rec[partitionRegions:]))
		count := uint64(le.Uint32(rec[partitionRegions+4:]))
		if first > counts[sectionRegions] || count > counts[sectionRegions]-first {
			return 0, false
		}
		for r := first; r < first+count; r++ {
			reg := t[offsets[sectionRegions]+r*RegionSize:]
			if RegionKind(reg[regionKind]) != RegionRAM {
				continue
			}
			if n == len(out) {
				return 0, false
			}
			out[n] = RAMRegion{CPUMask: mask, PhysBase: le.Uint64(reg[regionPhysBase:]), Size: le.Uint64(reg[regionSize:])}
			n++
		}
	}
	return n, true
}
