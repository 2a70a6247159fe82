package table

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/tamavisor/tamavisor/board"
)

// Limits is what Check needs to know about the board a table boots on.
type Limits struct {
	// Board is the board's name; a table built for another is refused.
	Board string
	// CPUs is the number of physical cores, numbered 0 to CPUs-1.
	CPUs int
	// RAM lists the board's RAM.
	RAM []board.Region
	// PhysAddrBits bounds physical addresses and, as guests get the same
	// width, IPAs.
	PhysAddrBits uint
	// HypervisorMemory is the RAM the hypervisor keeps for itself.
	HypervisorMemory board.Region
	// HypervisorMMIO lists device registers no guest may map.
	HypervisorMMIO []board.Region
	// SPIs is the run of SPI INTIDs the interrupt controller implements.
	SPIs board.IDRange
	// StreamIDBits is the width of the SMMU's stream IDs.
	StreamIDBits uint
}

// GuestIPABits is the size of every partition's guest-physical address
// space, the input size of the stage-2 tables the hypervisor builds for the
// CPUs and the SMMU alike. 39 bits start the walk at level 1 with a single
// root table; a walk may start at level 0 only with 44 or more physical
// address bits (the Cortex-A53 has 40), and a 40-bit space at level 1
// would need two concatenated root tables. Guest addresses at or above
// 512 GiB are therefore refused, by the config check and by Check.
const GuestIPABits = 39

// MaxStreamIDs is how many stream IDs the hypervisor's SMMU stream table
// holds: a linear table of 4096 entries of 64 bytes in its shared region.
// Stream IDs 0 to MaxStreamIDs-1 can be given to partitions; a higher one
// would need a two-level table.
const MaxStreamIDs = 1 << 12

// GIC INTID ranges (IHI 0069, 2.2.1 "INTIDs"): SPIs are 32..1019; 1020 and
// up are special or extended ranges Tamavisor does not assign.
const (
	firstSPI    = 32
	spiIDsLimit = 1020
)

// pageSize is the stage-2 granule (DDI 0487, D8.2 "Translation granule").
const pageSize = 0x1000

// LimitsFor returns the limits of board b. Hypervisor-only MMIO is the
// interrupt controller and SMMU register frames, the UART the hypervisor
// prints on (a guest owning it could silence or forge the hypervisor's
// console), and the MMIO of every device b marks Hypervisor.
func LimitsFor(b *board.Board) Limits {
	l := Limits{
		Board:            b.Name,
		CPUs:             len(b.CPUs),
		RAM:              b.RAM,
		PhysAddrBits:     b.PhysAddrBits,
		HypervisorMemory: b.Hypervisor.Memory,
		SPIs:             board.IDRange{First: firstSPI, Count: b.GIC.SPIs},
		StreamIDBits:     b.SMMU.StreamIDBits,
	}
	addHypervisorMMIO := func(r board.Region) {
		if r.Size == 0 {
			return
		}
		for _, known := range l.HypervisorMMIO {
			if known == r {
				return
			}
		}
		l.HypervisorMMIO = append(l.HypervisorMMIO, r)
	}
	addHypervisorMMIO(b.GIC.Dist)
	addHypervisorMMIO(b.GIC.Redist)
	addHypervisorMMIO(b.SMMU.Regs)
	if uart, ok := b.Device(b.Hypervisor.UART); ok {
		for _, r := range uart.MMIO {
			addHypervisorMMIO(r)
		}
	}
	for _, d := range b.Devices {
		if d.Hypervisor {
			for _, r := range d.MMIO {
				addHypervisorMMIO(r)
			}
		}
	}
	return l
}

// Check re-runs the structural checks of a partition config against the
// board described by l: the firmware's last line of defence against a
// table built for another board or by a faulty tool. It returns the first
// problem found, naming the records involved; it allocates nothing when the
// table is sound.
//
// Check requires: the table built for l.Board, with at least one partition;
// each partition with at least one CPU, all CPUs existing and none in two
// partitions, unique names; every region non-empty, 4 KiB aligned, inside
// the address width, clear of hypervisor memory and of other regions' IPAs
// in its partition; RAM inside the board's RAM and private to one
// partition; MMIO outside RAM and hypervisor-only MMIO, not executable,
// private to one partition; channel regions matching their channel, mapped
// once by each member and by members only, read-only where the channel
// says so; channels non-empty, in RAM, disjoint from each other and from
// partition RAM, with members, and a doorbell, if any, that is an SPI no
// other channel and no member's device uses; unique device names;
// interrupts that are SPIs of the board, each in one partition; stream ID
// ranges within the SMMU's width and disjoint; images inside the payload,
// loaded inside their partition's RAM without overlapping each other,
// exactly one kernel holding the entry point, and a DTB image at the DTB
// IPA.
func (v View) Check(l Limits) error {
	if len(v.b) == 0 {
		return errors.New("partition table: not decoded; call Decode first")
	}
	if b := v.Board(); !b.Equal(l.Board) {
		return fmt.Errorf("partition table: built for board %q, this board is %q; build the image for %s", b, l.Board, l.Board)
	}
	// Direct calls, not a table of funcs: an indirect call would make l
	// escape to the heap.
	if err := v.checkPartitions(&l); err != nil {
		return err
	}
	if err := v.checkRegions(&l); err != nil {
		return err
	}
	if err := v.checkChannels(&l); err != nil {
		return err
	}
	if err := v.checkDeviceNames(); err != nil {
		return err
	}
	if err := v.checkInterrupts(&l); err != nil {
		return err
	}
	if err := v.checkStreamIDRanges(&l); err != nil {
		return err
	}
	return v.checkImages()
}

// partitionLabel names partition i for an error message.
func (v View) partitionLabel(i uint32) string {
	return fmt.Sprintf("partition %d %q", i, v.Partition(int(i)).Name)
}

func (v View) regionLabel(j int) string {
	r := v.Region(j)
	return fmt.Sprintf("%s: region %d %s %v", v.partitionLabel(r.Partition), j, r.Kind, board.Region{Base: r.PhysBase, Size: r.Size})
}

func (v View) checkPartitions(l *Limits) error {
	if v.NumPartitions() == 0 {
		return errors.New("partition table: no partitions; a table needs at least one")
	}
	cpus := uint(max(l.CPUs, 0))
	var taken uint64
	for i := range v.NumPartitions() {
		p := v.Partition(i)
		switch {
		case p.CPUMask == 0:
			return fmt.Errorf("%s: no CPUs; give it at least one", v.partitionLabel(uint32(i)))
		case cpus < 64 && p.CPUMask>>cpus != 0:
			cpu := int(cpus) + bits.TrailingZeros64(p.CPUMask>>cpus)
			return fmt.Errorf("%s: CPU %d does not exist; %s has %d CPUs, 0 to %d", v.partitionLabel(uint32(i)), cpu, l.Board, cpus, int(cpus)-1)
		case p.CPUMask&taken != 0:
			cpu := bits.TrailingZeros64(p.CPUMask & taken)
			for k := range i {
				if v.Partition(k).CPUMask&(1<<cpu) != 0 {
					return fmt.Errorf("%s: CPU %d already belongs to %s; a CPU runs one partition", v.partitionLabel(uint32(i)), cpu, v.partitionLabel(uint32(k)))
				}
			}
		}
		taken |= p.CPUMask
		for k := range i {
			if v.Partition(k).Name == p.Name {
				return fmt.Errorf("%s: name already used by partition %d; rename one of them", v.partitionLabel(uint32(i)), k)
			}
		}
	}
	return nil
}

// checkPageRange reports why [base, base+size) cannot be mapped with 4 KiB
// pages in an address space of addrBits bits.
func checkPageRange(base, size uint64, addrBits uint) error {
	switch {
	case size == 0:
		return errors.New("is empty")
	case base%pageSize != 0:
		return fmt.Errorf("starts at %#x, not 4 KiB aligned", base)
	case size%pageSize != 0:
		return fmt.Errorf("has size %#x, not a multiple of 4 KiB", size)
	case size > ^uint64(0)-base:
		return errors.New("wraps past the top of the address space")
	case addrBits < 64 && base+size > 1<<addrBits:
		return fmt.Errorf("ends beyond the %d-bit address space", addrBits)
	}
	return nil
}

func insideAny(ranges []board.Region, r board.Region) bool {
	for _, outer := range ranges {
		if outer.Contains(r) {
			return true
		}
	}
	return false
}

func (v View) checkRegions(l *Limits) error {
	for j := range v.NumRegions() {
		r := v.Region(j)
		phys := board.Region{Base: r.PhysBase, Size: r.Size}
		ipa := board.Region{Base: r.IPA, Size: r.Size}
		if err := checkPageRange(phys.Base, phys.Size, l.PhysAddrBits); err != nil {
			return fmt.Errorf("%s: physical range %w", v.regionLabel(j), err)
		}
		if err := checkPageRange(ipa.Base, ipa.Size, min(l.PhysAddrBits, GuestIPABits)); err != nil {
			return fmt.Errorf("%s: IPA range %v %w", v.regionLabel(j), ipa, err)
		}
		if r.Perm == 0 {
			return fmt.Errorf("%s: no access permissions; allow at least reads", v.regionLabel(j))
		}
		if phys.Overlaps(l.HypervisorMemory) {
			return fmt.Errorf("%s overlaps hypervisor memory %v; move it out of the hypervisor's RAM", v.regionLabel(j), l.HypervisorMemory)
		}
		var err error
		switch r.Kind {
		case RegionRAM:
			err = v.checkRAMRegion(l, j, r, phys)
		case RegionMMIO:
			err = v.checkMMIORegion(l, j, r, phys)
		case RegionChannel:
			err = v.checkChannelRegion(j, r, phys)
		}
		if err != nil {
			return err
		}
		p := v.Partition(int(r.Partition))
		for k := p.Regions.First; k < uint32(j); k++ {
			other := v.Region(int(k))
			if o := (board.Region{Base: other.IPA, Size: other.Size}); ipa.Overlaps(o) {
				return fmt.Errorf("%s: IPA range %v overlaps region %d's IPA range %v; move one of them", v.regionLabel(j), ipa, k, o)
			}
		}
	}
	return nil
}

func (v View) checkRAMRegion(l *Limits, j int, r Region, phys board.Region) error {
	if !insideAny(l.RAM, phys) {
		return fmt.Errorf("%s is not inside the board's RAM %v", v.regionLabel(j), l.RAM)
	}
	for k := range j {
		if other := v.Region(k); other.Kind == RegionRAM {
			if o := (board.Region{Base: other.PhysBase, Size: other.Size}); phys.Overlaps(o) {
				return fmt.Errorf("%s overlaps region %d %v of %s; RAM belongs to one partition, move or shrink one of them", v.regionLabel(j), k, o, v.partitionLabel(other.Partition))
			}
		}
	}
	return nil
}

func (v View) checkMMIORegion(l *Limits, j int, r Region, phys board.Region) error {
	if r.Perm&PermExec != 0 {
		return fmt.Errorf("%s is executable; device memory holds no code, drop execute", v.regionLabel(j))
	}
	for _, hv := range l.HypervisorMMIO {
		if phys.Overlaps(hv) {
			return fmt.Errorf("%s overlaps hypervisor-only MMIO %v; that device cannot be passed through", v.regionLabel(j), hv)
		}
	}
	for _, ram := range l.RAM {
		if phys.Overlaps(ram) {
			return fmt.Errorf("%s overlaps the board's RAM %v; map memory as a RAM region", v.regionLabel(j), ram)
		}
	}
	for k := range j {
		if other := v.Region(k); other.Kind == RegionMMIO {
			if o := (board.Region{Base: other.PhysBase, Size: other.Size}); phys.Overlaps(o) {
				return fmt.Errorf("%s overlaps region %d %v of %s; a device belongs to one partition", v.regionLabel(j), k, o, v.partitionLabel(other.Partition))
			}
		}
	}
	return nil
}

func (v View) checkChannelRegion(j int, r Region, phys board.Region) error {
	c := v.Channel(int(r.Owner))
	member := uint64(1) << r.Partition
	switch whole := (board.Region{Base: c.PhysBase, Size: c.Size}); {
	case phys != whole:
		return fmt.Errorf("%s does not match channel %d %q %v; map the whole channel", v.regionLabel(j), r.Owner, c.Name, whole)
	case c.Members&member == 0:
		return fmt.Errorf("%s maps channel %d %q, which does not list the partition as a member", v.regionLabel(j), r.Owner, c.Name)
	case c.ReadOnly&member != 0 && r.Perm&PermWrite != 0:
		return fmt.Errorf("%s is writable, but the partition is a read-only member of channel %d %q", v.regionLabel(j), r.Owner, c.Name)
	case r.Perm&PermExec != 0:
		return fmt.Errorf("%s is executable; channel memory holds data, drop execute", v.regionLabel(j))
	}
	p := v.Partition(int(r.Partition))
	for k := p.Regions.First; k < uint32(j); k++ {
		if other := v.Region(int(k)); other.Kind == RegionChannel && other.Owner == r.Owner {
			return fmt.Errorf("%s maps channel %d %q a second time, region %d already does", v.regionLabel(j), r.Owner, c.Name, k)
		}
	}
	return nil
}

func (v View) channelLabel(c int) string {
	ch := v.Channel(c)
	return fmt.Sprintf("channel %d %q %v", c, ch.Name, board.Region{Base: ch.PhysBase, Size: ch.Size})
}

func (v View) checkChannels(l *Limits) error {
	for c := range v.NumChannels() {
		ch := v.Channel(c)
		phys := board.Region{Base: ch.PhysBase, Size: ch.Size}
		if err := checkPageRange(ch.PhysBase, ch.Size, l.PhysAddrBits); err != nil {
			return fmt.Errorf("%s: physical range %w", v.channelLabel(c), err)
		}
		switch {
		case !insideAny(l.RAM, phys):
			return fmt.Errorf("%s is not inside the board's RAM %v", v.channelLabel(c), l.RAM)
		case phys.Overlaps(l.HypervisorMemory):
			return fmt.Errorf("%s overlaps hypervisor memory %v; move it out of the hypervisor's RAM", v.channelLabel(c), l.HypervisorMemory)
		}
		for k := range c {
			other := v.Channel(k)
			if phys.Overlaps(board.Region{Base: other.PhysBase, Size: other.Size}) {
				return fmt.Errorf("%s overlaps %s; move or shrink one of them", v.channelLabel(c), v.channelLabel(k))
			}
			if other.Name == ch.Name {
				return fmt.Errorf("%s: name already used by channel %d; rename one of them", v.channelLabel(c), k)
			}
		}
		for j := range v.NumRegions() {
			if r := v.Region(j); r.Kind == RegionRAM && phys.Overlaps(board.Region{Base: r.PhysBase, Size: r.Size}) {
				return fmt.Errorf("%s overlaps %s; channel memory cannot be a partition's private RAM", v.channelLabel(c), v.regionLabel(j))
			}
		}
		if err := v.checkDoorbell(l, c, ch); err != nil {
			return err
		}
		if ch.Members == 0 {
			return fmt.Errorf("%s: no members; share it with at least one partition", v.channelLabel(c))
		}
		for members := ch.Members; members != 0; members &= members - 1 {
			m := uint32(bits.TrailingZeros64(members))
			if !v.mapsChannel(m, uint32(c)) {
				return fmt.Errorf("%s: member %s has no region mapping it; add one or drop the member", v.channelLabel(c), v.partitionLabel(m))
			}
		}
	}
	return nil
}

// mapsChannel reports whether partition p has a region mapping channel c.
func (v View) mapsChannel(p, c uint32) bool {
	regions := v.Partition(int(p)).Regions
	for j := regions.First; j < regions.End(); j++ {
		if r := v.Region(int(j)); r.Kind == RegionChannel && r.Owner == c {
			return true
		}
	}
	return false
}

func (v View) checkDoorbell(l *Limits, c int, ch Channel) error {
	if ch.Doorbell == 0 {
		return nil
	}
	if !l.SPIs.Contains(ch.Doorbell) || ch.Doorbell >= spiIDsLimit {
		return fmt.Errorf("%s: doorbell INTID %d is not an SPI of the board (%s); pick a free one", v.channelLabel(c), ch.Doorbell, spiRange(l))
	}
	for k := range c {
		if v.Channel(k).Doorbell == ch.Doorbell {
			return fmt.Errorf("%s: doorbell INTID %d is also the doorbell of %s; give each channel its own", v.channelLabel(c), ch.Doorbell, v.channelLabel(k))
		}
	}
	for j := range v.NumInterrupts() {
		q := v.Interrupt(j)
		if q.INTID == ch.Doorbell && ch.Members&(1<<q.Partition) != 0 {
			return fmt.Errorf("%s: doorbell INTID %d is also interrupt %d of member %s; pick a free SPI", v.channelLabel(c), ch.Doorbell, j, v.partitionLabel(q.Partition))
		}
	}
	return nil
}

func spiRange(l *Limits) string {
	if l.SPIs.Count == 0 {
		return "none"
	}
	last := uint64(l.SPIs.First) + uint64(l.SPIs.Count) - 1
	return fmt.Sprintf("%d to %d", l.SPIs.First, min(last, spiIDsLimit-1))
}

func (v View) checkDeviceNames() error {
	for d := range v.NumDevices() {
		dev := v.Device(d)
		for k := range d {
			if other := v.Device(k); other.Name == dev.Name {
				return fmt.Errorf("%s: device %d %q: already given to %s as device %d; a device belongs to one partition",
					v.partitionLabel(dev.Partition), d, dev.Name, v.partitionLabel(other.Partition), k)
			}
		}
	}
	return nil
}

func (v View) checkInterrupts(l *Limits) error {
	var assigned [spiIDsLimit/64 + 1]uint64
	for j := range v.NumInterrupts() {
		q := v.Interrupt(j)
		if !l.SPIs.Contains(q.INTID) || q.INTID >= spiIDsLimit {
			return fmt.Errorf("%s: interrupt %d INTID %d is not an SPI of the board (%s)", v.partitionLabel(q.Partition), j, q.INTID, spiRange(l))
		}
		word, bit := q.INTID/64, uint64(1)<<(q.INTID%64)
		if assigned[word]&bit != 0 {
			for k := range j {
				if other := v.Interrupt(k); other.INTID == q.INTID {
					return fmt.Errorf("%s: interrupt %d INTID %d is also interrupt %d of %s; an SPI belongs to one partition",
						v.partitionLabel(q.Partition), j, q.INTID, k, v.partitionLabel(other.Partition))
				}
			}
		}
		assigned[word] |= bit
	}
	return nil
}

func (v View) checkStreamIDRanges(l *Limits) error {
	limit := uint64(1) << min(l.StreamIDBits, 32)
	for j := range v.NumStreamIDRanges() {
		s := v.StreamIDRange(j)
		end := uint64(s.First) + uint64(s.Count)
		switch {
		case s.Count == 0:
			return fmt.Errorf("%s: stream ID range %d at %#x is empty", v.partitionLabel(s.Partition), j, s.First)
		case end > limit:
			return fmt.Errorf("%s: stream ID range %d %#x+%#x exceeds the SMMU's %d-bit stream IDs", v.partitionLabel(s.Partition), j, s.First, s.Count, l.StreamIDBits)
		case end > MaxStreamIDs:
			return fmt.Errorf("%s: stream ID range %d %#x+%#x lies beyond the %d stream IDs the hypervisor's stream table holds", v.partitionLabel(s.Partition), j, s.First, s.Count, MaxStreamIDs)
		}
		for k := range j {
			other := v.StreamIDRange(k)
			if uint64(s.First) < uint64(other.First)+uint64(other.Count) && uint64(other.First) < end {
				return fmt.Errorf("%s: stream ID range %d %#x+%#x overlaps stream ID range %d %#x+%#x of %s; a stream ID belongs to one partition",
					v.partitionLabel(s.Partition), j, s.First, s.Count, k, other.First, other.Count, v.partitionLabel(other.Partition))
			}
		}
	}
	return nil
}

func (v View) imageLabel(j uint32) string {
	m := v.Image(int(j))
	return fmt.Sprintf("%s: image %d (%s)", v.partitionLabel(m.Partition), j, m.Kind)
}

func (v View) checkImages() error {
	payload := v.PayloadSize()
	for i := range v.NumPartitions() {
		p := v.Partition(i)
		var first [ImageDTB + 1]uint32 // first image of each kind
		for k := range first {
			first[k] = NoIndex
		}
		for j := p.Images.First; j < p.Images.End(); j++ {
			m := v.Image(int(j))
			load := board.Region{Base: m.LoadIPA, Size: m.Size}
			switch {
			case m.Size == 0:
				return fmt.Errorf("%s is empty", v.imageLabel(j))
			case m.Offset > payload || m.Size > payload-m.Offset:
				return fmt.Errorf("%s: payload bytes %#x+%#x lie outside the %#x-byte payload", v.imageLabel(j), m.Offset, m.Size, payload)
			case m.Size > ^uint64(0)-m.LoadIPA:
				return fmt.Errorf("%s: load range %v wraps past the top of the address space", v.imageLabel(j), load)
			case !v.inPartitionRAM(p, load):
				return fmt.Errorf("%s loads at %v, outside the partition's RAM regions", v.imageLabel(j), load)
			case first[m.Kind] != NoIndex:
				return fmt.Errorf("%s is a second %s image, image %d is the first; keep one", v.imageLabel(j), m.Kind, first[m.Kind])
			}
			first[m.Kind] = j
			for k := p.Images.First; k < j; k++ {
				other := v.Image(int(k))
				if o := (board.Region{Base: other.LoadIPA, Size: other.Size}); load.Overlaps(o) {
					return fmt.Errorf("%s loads at %v, over image %d (%s) at %v; move one of them", v.imageLabel(j), load, k, other.Kind, o)
				}
			}
		}
		if err := v.checkBootImages(uint32(i), p, first[ImageKernel], first[ImageInitrd], first[ImageDTB]); err != nil {
			return err
		}
	}
	return nil
}

// inPartitionRAM reports whether the IPA range r lies inside one RAM region
// of partition p.
func (v View) inPartitionRAM(p Partition, r board.Region) bool {
	for j := p.Regions.First; j < p.Regions.End(); j++ {
		if g := v.Region(int(j)); g.Kind == RegionRAM && (board.Region{Base: g.IPA, Size: g.Size}).Contains(r) {
			return true
		}
	}
	return false
}

// checkBootImages checks what entering partition i needs: a kernel holding
// the entry point, a DTB at the DTB IPA, and a DTB to announce any initrd.
func (v View) checkBootImages(i uint32, p Partition, kernel, initrd, dtb uint32) error {
	if kernel == NoIndex {
		return fmt.Errorf("%s: no kernel image; add one", v.partitionLabel(i))
	}
	k := v.Image(int(kernel))
	switch {
	case p.KernelFormat == KernelLinuxImage && p.EntryIPA != k.LoadIPA:
		return fmt.Errorf("%s: entry IPA %#x is not the load IPA %#x of its kernel image %d; a Linux Image is entered at its first byte", v.partitionLabel(i), p.EntryIPA, k.LoadIPA, kernel)
	case !(board.Region{Base: k.LoadIPA, Size: k.Size}).Contains(board.Region{Base: p.EntryIPA, Size: 1}):
		return fmt.Errorf("%s: entry IPA %#x lies outside its kernel image %d at %v", v.partitionLabel(i), p.EntryIPA, kernel, board.Region{Base: k.LoadIPA, Size: k.Size})
	}
	if dtb == NoIndex {
		if p.DTBIPA != 0 {
			return fmt.Errorf("%s: DTB IPA %#x set, but the partition has no DTB image; add one or store 0", v.partitionLabel(i), p.DTBIPA)
		}
		if initrd != NoIndex {
			return fmt.Errorf("%s: initrd image %d but no DTB image to tell the kernel where it is; add one", v.partitionLabel(i), initrd)
		}
		return nil
	}
	// Linux, Documentation/arch/arm64/booting.rst: "The device tree blob
	// (dtb) must be placed on an 8-byte boundary".
	if d := v.Image(int(dtb)); p.DTBIPA != d.LoadIPA {
		return fmt.Errorf("%s: DTB IPA %#x is not the load IPA %#x of its DTB image %d", v.partitionLabel(i), p.DTBIPA, d.LoadIPA, dtb)
	}
	if p.DTBIPA%8 != 0 {
		return fmt.Errorf("%s: DTB IPA %#x is not 8-byte aligned; kernels require it", v.partitionLabel(i), p.DTBIPA)
	}
	return nil
}
