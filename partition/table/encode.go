package table

import "fmt"

// Encode returns t in the binary format. A table Decode would reject is
// refused with Decode's error, so whatever Encode returns decodes. Encode
// does not run Check: that needs the board's Limits.
func Encode(t *Table) ([]byte, error) {
	counts := [numSections]int{
		sectionPartitions:     len(t.Partitions),
		sectionRegions:        len(t.Regions),
		sectionDevices:        len(t.Devices),
		sectionInterrupts:     len(t.Interrupts),
		sectionStreamIDRanges: len(t.StreamIDRanges),
		sectionChannels:       len(t.Channels),
		sectionImages:         len(t.Images),
	}
	length := HeaderSize
	var offsets [numSections]int
	for s := range numSections {
		f := &sections[s]
		if counts[s] > int(f.maxCount) {
			return nil, fmt.Errorf("partition table: %d %s, at most %d are allowed", counts[s], f.plural, f.maxCount)
		}
		offsets[s] = length
		length += counts[s] * f.recordSize
	}

	b := make([]byte, length)
	copy(b[headerMagic:], Magic)
	le.PutUint32(b[headerVersion:], Version)
	le.PutUint32(b[headerHeaderSize:], HeaderSize)
	le.PutUint64(b[headerTotalLength:], uint64(length))
	le.PutUint64(b[headerPayloadSize:], t.PayloadSize)
	for s := range numSections {
		le.PutUint32(b[headerCounts+4*int(s):], uint32(counts[s]))
	}
	copy(b[headerBoard:], t.Board[:])

	record := func(s section, i int) []byte {
		return b[offsets[s]+i*sections[s].recordSize:]
	}
	for i := range t.Partitions {
		putPartition(record(sectionPartitions, i), &t.Partitions[i])
	}
	for i := range t.Regions {
		putRegion(record(sectionRegions, i), &t.Regions[i])
	}
	for i := range t.Devices {
		putDevice(record(sectionDevices, i), &t.Devices[i])
	}
	for i := range t.Interrupts {
		putInterrupt(record(sectionInterrupts, i), &t.Interrupts[i])
	}
	for i := range t.StreamIDRanges {
		putStreamIDRange(record(sectionStreamIDRanges, i), &t.StreamIDRanges[i])
	}
	for i := range t.Channels {
		putChannel(record(sectionChannels, i), &t.Channels[i])
	}
	for i := range t.Images {
		putImage(record(sectionImages, i), &t.Images[i])
	}
	seal(b)

	if _, err := Decode(b); err != nil {
		return nil, err
	}
	return b, nil
}

// seal stores the checksum of table in its header.
func seal(table []byte) {
	sum := checksum(table)
	copy(table[headerChecksum:], sum[:])
}
