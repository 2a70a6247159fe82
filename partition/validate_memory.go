package partition

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/partition/table"
)

// addressSpace tells checkRange which limit applies: the board's physical
// address size, the guest's IPA size (the smaller of that and the
// stage-2 tables' table.GuestIPABits), or both for device registers, which
// a guest sees at their physical addresses.
type addressSpace uint8

const (
	physical addressSpace = iota
	guest
	mapped
)

// checkRange reports what is wrong with a range on its own: zero size,
// alignment, wrapping, and its end beyond the address size. what prefixes
// the field names in messages ("memory" gives "memory base ..."). It
// returns false when the range cannot take part in overlap checks.
func (v *validator) checkRange(in scope, what string, space addressSpace, base, size uint64, basePos, sizePos Pos) bool {
	field := func(name string) string { return strings.TrimSpace(what + " " + name) }
	baseName, sizeName := field("base"), field("size")
	if space == guest {
		baseName = what // "memory ipa", "member \"ecu\" ipa"
	}
	if space == physical && size == 0 {
		v.report(sizePos, in, sizeName+" is 0", "give it a size, e.g. size: 64MiB")
		return false
	}
	if base%PageSize != 0 {
		down := base &^ (PageSize - 1)
		v.report(basePos, in, fmt.Sprintf("%s %#x is not aligned to %s", baseName, base, FormatSize(PageSize)),
			fmt.Sprintf("use %#x or %#x", down, down+PageSize))
	}
	if space == physical && size%PageSize != 0 {
		down := size &^ (PageSize - 1)
		fix := fmt.Sprintf("use %s", FormatSize(down+PageSize))
		if down != 0 {
			fix = fmt.Sprintf("use %s or %s", FormatSize(down), FormatSize(down+PageSize))
		}
		v.report(sizePos, in, fmt.Sprintf("%s %s is not a multiple of %s", sizeName, FormatSize(size), FormatSize(PageSize)), fix)
	}
	subject := what + " " + FormatRange(base, size)
	if what == "" {
		subject = "memory " + FormatRange(base, size)
	}
	if base+size < base {
		v.report(basePos, in, subject+" runs past the end of the 64-bit address space", "lower the base or the size")
		return false
	}
	if v.b == nil {
		return true
	}
	bits := v.b.PhysAddrBits
	where := fmt.Sprintf("the board's %d-bit physical address space", bits)
	if space != physical && table.GuestIPABits < bits {
		bits = table.GuestIPABits
		where = fmt.Sprintf("the guest's %d-bit address space (the stage-2 tables' input size)", bits)
		if space == mapped {
			where += ", where the guest sees it"
		}
	} else if space == guest {
		where = fmt.Sprintf("the guest's %d-bit address space (the board's physical address size)", bits)
	}
	if bits < 64 && base+size > uint64(1)<<bits {
		v.report(basePos, in, fmt.Sprintf("%s ends at %#x, beyond %s", subject, base+size, where), fmt.Sprintf("keep it below %#x", uint64(1)<<bits))
	}
	return true
}

// checkInRAM reports memory outside the board's RAM.
func (v *validator) checkInRAM(in scope, what string, r board.Region, pos Pos) {
	if v.b == nil {
		return
	}
	for _, ram := range v.b.RAM {
		if ram.Contains(r) {
			return
		}
	}
	banks := make([]string, len(v.b.RAM))
	for i, ram := range v.b.RAM {
		banks[i] = FormatRange(ram.Base, ram.Size)
	}
	v.report(pos, in, fmt.Sprintf("%s %s is outside the board's RAM (%s)", what, FormatRange(r.Base, r.Size), strings.Join(banks, ", ")),
		"place it inside one RAM bank")
}

// memory checks each of a partition's regions on its own.
func (v *validator) memory(p *Partition) {
	in := inPartition(p)
	if len(p.Memory) == 0 && !p.memoryWritten {
		pos := p.MemoryPos
		if !pos.IsValid() {
			pos = p.Pos
		}
		v.report(pos, in, "no memory is listed", "give it at least one region, e.g. memory: [{base: 0x48000000, size: 64MiB}]")
	}
	for i := range p.Memory {
		m := &p.Memory[i]
		if m.broken {
			continue
		}
		if !v.checkRange(in, "memory", physical, m.Base, m.Size, m.BasePos, m.SizePos) {
			m.broken = true
			continue
		}
		v.checkInRAM(in, "memory", m.Region(), m.Pos)
		if m.IPAPos.IsValid() && !v.checkRange(in, "memory ipa", guest, m.IPA, m.Size, m.IPAPos, m.SizePos) {
			m.broken = true
		}
	}
}

// claimKind is who holds a range of the physical address space. The
// order matters to conflicts.
type claimKind uint8

const (
	hypervisorMemory claimKind = iota
	partitionMemory
	channelMemory
	// deviceMMIO is MMIO a config lists for a device it describes.
	deviceMMIO
	// namedDeviceMMIO is the MMIO of a board device a partition names.
	namedDeviceMMIO
	// boardDeviceMMIO is the MMIO of a board device, given to a guest
	// or not.
	boardDeviceMMIO
)

// claim is one holder of a physical address range.
type claim struct {
	kind      claimKind
	region    board.Region
	pos       Pos
	in        scope
	partition int // index in Config.Partitions, -1 for none
	device    string
	// reserved is set for board devices no guest may have: the
	// hypervisor's own (GIC, SMMU) and its console UART.
	reserved bool
	// why says what a reserved device is to the hypervisor.
	why string
}

// conflicts reports whether two holders of the same bytes are an error.
// Named devices are checked by name, not against their own board entry;
// memory and channels meet named devices through the board's entries.
func conflicts(a, b claim) bool {
	if a.kind > b.kind {
		a, b = b, a
	}
	switch a.kind {
	case hypervisorMemory:
		return b.kind == partitionMemory || b.kind == channelMemory || b.kind == deviceMMIO
	case partitionMemory, channelMemory:
		return b.kind != namedDeviceMMIO
	case deviceMMIO:
		return b.kind != boardDeviceMMIO || b.reserved
	case namedDeviceMMIO:
		return b.kind == namedDeviceMMIO
	}
	return false
}

// physicalAddressSpace reports every pair of holders that share physical
// addresses and must not.
func (v *validator) physicalAddressSpace() {
	var claims []claim
	if h := v.c.Hypervisor.Memory; !h.broken && h.Size != 0 {
		pos := h.Pos
		if v.hypervisorDefaulted {
			pos = Pos{}
		}
		claims = append(claims, claim{kind: hypervisorMemory, region: h.Region(), pos: pos, partition: -1})
	}
	for pi := range v.c.Partitions {
		p := &v.c.Partitions[pi]
		if p.broken {
			continue
		}
		for _, m := range p.Memory {
			if !m.broken {
				claims = append(claims, claim{kind: partitionMemory, region: m.Region(), pos: m.Pos, in: inPartition(p), partition: pi})
			}
		}
		for _, d := range p.Devices {
			if d.broken {
				continue
			}
			kind := deviceMMIO
			if d.FromBoard {
				kind = namedDeviceMMIO
			}
			for _, r := range d.MMIO {
				if !r.broken {
					claims = append(claims, claim{kind: kind, region: r.Region(), pos: r.Pos, in: inPartition(p), partition: pi, device: d.Name})
				}
			}
		}
	}
	for ci := range v.c.Channels {
		if ch := &v.c.Channels[ci]; !ch.broken {
			claims = append(claims, claim{kind: channelMemory, region: ch.Region(), pos: ch.Pos, in: inChannel(ch), partition: -1})
		}
	}
	if v.b != nil {
		for _, d := range v.b.Devices {
			why := v.reservedDevice(d)
			for _, r := range d.MMIO {
				claims = append(claims, claim{kind: boardDeviceMMIO, region: r, partition: -1, device: d.Name, reserved: why != "", why: why})
			}
		}
	}
	for j := range claims {
		for i := range j {
			a, b := claims[i], claims[j]
			if a.region.Overlaps(b.region) && conflicts(a, b) {
				v.reportOverlap(a, b)
			}
		}
	}
}

// reportOverlap reports two conflicting holders at the one written later;
// board entries are reported at the config's holder.
func (v *validator) reportOverlap(a, b claim) {
	if later(a.pos, b.pos) {
		a, b = b, a
	}
	// b is reported, a described.
	v.report(b.pos, b.in, fmt.Sprintf("%s overlaps %s", b.subject(), a.describe(b)), overlapFix(b, a))
}

func (c claim) subject() string {
	r := FormatRange(c.region.Base, c.region.Size)
	switch c.kind {
	case hypervisorMemory:
		return "hypervisor memory " + r
	case deviceMMIO:
		return fmt.Sprintf("device %q mmio %s", c.device, r)
	case namedDeviceMMIO:
		return fmt.Sprintf("device %q (mmio %s)", c.device, r)
	}
	return "memory " + r
}

// describe writes the holder c as seen from the one reported.
func (c claim) describe(from claim) string {
	r := FormatRange(c.region.Base, c.region.Size)
	owner := ""
	if c.partition >= 0 {
		owner = fmt.Sprintf(" of partition %q", c.in.partition)
		if c.partition == from.partition {
			owner = " of this partition"
		}
	}
	switch c.kind {
	case hypervisorMemory:
		return "the hypervisor's memory " + r + lineOf(c.pos)
	case partitionMemory:
		return "memory " + r + owner + lineOf(c.pos)
	case channelMemory:
		return fmt.Sprintf("the memory %s of channel %q%s", r, c.in.channel, lineOf(c.pos))
	case deviceMMIO, namedDeviceMMIO:
		return fmt.Sprintf("device %q (mmio %s)%s%s", c.device, r, owner, lineOf(c.pos))
	}
	if c.reserved {
		return fmt.Sprintf("board device %q (mmio %s), %s", c.device, r, c.why)
	}
	return fmt.Sprintf("the mmio %s of board device %q", r, c.device)
}

func overlapFix(reported, other claim) string {
	isMemory := func(c claim) bool { return c.kind == partitionMemory || c.kind == channelMemory }
	switch {
	case other.kind == hypervisorMemory || reported.kind == hypervisorMemory:
		return "no guest may use the hypervisor's memory: move it out of that range"
	case other.reserved:
		return "remove the range: no guest may map it"
	case isMemory(reported) != isMemory(other):
		return "memory must be RAM clear of device MMIO: move the memory, or correct the mmio"
	case reported.kind == partitionMemory && other.kind == partitionMemory && reported.partition == other.partition:
		return "merge the two regions into one, or move one of them"
	case !isMemory(reported) && reported.partition == other.partition:
		return "list each MMIO range once"
	case !isMemory(reported):
		return "a device belongs to one partition: give it to only one of them"
	}
	return "move or shrink one of them"
}

// guestClaim is one holder of a range of a partition's guest (IPA)
// address space.
type guestClaim struct {
	region board.Region
	// translated is set for memory and channels the config places at an
	// ipa of its own; overlaps between identity holders are physical
	// overlaps, already reported.
	translated bool
	subject    string
	pos        Pos
	in         scope
	fix        string
}

// guestAddressSpace reports holders of a partition's guest address space
// that overlap: memory, channel windows, passthrough MMIO, and the
// virtual GIC and virtual console the hypervisor emulates at the board's
// addresses.
func (v *validator) guestAddressSpace(pi int) {
	p := &v.c.Partitions[pi]
	in := inPartition(p)
	var claims []guestClaim
	for _, m := range p.Memory {
		if !m.broken {
			claims = append(claims, guestClaim{region: m.Guest(), translated: !m.Identity(), subject: "memory at ipa " + FormatRange(m.IPA, m.Size),
				pos: m.Pos, in: in, fix: "change the region's ipa"})
		}
	}
	for ci := range v.c.Channels {
		ch := &v.c.Channels[ci]
		if ch.broken {
			continue
		}
		for _, m := range ch.Members {
			if !m.broken && m.Partition == p.Name {
				claims = append(claims, guestClaim{region: board.Region{Base: m.IPA, Size: ch.Size}, translated: m.IPA != ch.Base,
					subject: fmt.Sprintf("channel %q at ipa %s", ch.Name, FormatRange(m.IPA, ch.Size)), pos: m.Pos, in: inChannel(ch), fix: "change the member's ipa"})
			}
		}
	}
	for _, d := range p.Devices {
		if d.broken {
			continue
		}
		for _, r := range d.MMIO {
			if !r.broken {
				claims = append(claims, guestClaim{region: r.Region(), subject: fmt.Sprintf("device %q at %s", d.Name, r), pos: r.Pos, in: in})
			}
		}
	}
	if v.b != nil {
		gic := v.b.GIC
		claims = append(claims,
			guestClaim{region: gic.Dist, subject: "the virtual GIC distributor at " + FormatRange(gic.Dist.Base, gic.Dist.Size)},
			guestClaim{region: gic.Redist, subject: "the virtual GIC redistributors at " + FormatRange(gic.Redist.Base, gic.Redist.Size)})
		if uart, ok := v.b.Device(v.c.Hypervisor.Console); ok && p.Console.Kind == ConsoleVirtual {
			for _, r := range uart.MMIO {
				claims = append(claims, guestClaim{region: r, subject: "the virtual console UART at " + FormatRange(r.Base, r.Size)})
			}
		}
	}
	for j := range claims {
		for i := range j {
			a, b := claims[i], claims[j]
			if !(a.translated || b.translated) || !a.region.Overlaps(b.region) {
				continue
			}
			// Report at a holder that can move, the later one if both can.
			if b.fix == "" || a.fix != "" && later(a.pos, b.pos) {
				a, b = b, a
			}
			space := "the guest's address space"
			if b.in.partition == "" {
				space = fmt.Sprintf("partition %q's address space", p.Name)
			}
			v.report(b.pos, b.in, fmt.Sprintf("%s overlaps %s%s in %s", b.subject, a.subject, lineOf(a.pos), space), b.fix)
		}
	}
}

// coveredBy reports whether the guest regions together hold every byte of r.
func coveredBy(regions []board.Region, r board.Region) bool {
	sorted := slices.Clone(regions)
	slices.SortFunc(sorted, func(a, b board.Region) int {
		switch {
		case a.Base < b.Base:
			return -1
		case a.Base > b.Base:
			return 1
		}
		return 0
	})
	next := r.Base
	for _, g := range sorted {
		if g.Base <= next && g.End() > next {
			next = g.End()
		}
		if next >= r.End() {
			return true
		}
	}
	return false
}
