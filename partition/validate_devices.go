package partition

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/partition/table"
)

// Interrupt ID ranges (GIC architecture specification, IHI 0069, 2.2
// "INTIDs"): SGIs 0-15 and PPIs 16-31 are banked per core, SPIs start at
// 32.
const (
	firstPPI = 16
	firstSPI = 32
)

// devices resolves and checks the devices of partition pi: named devices
// must exist on the board and be free for guests, explicit ones need
// valid names and MMIO outside RAM, and no device may be listed twice.
func (v *validator) devices(pi int) {
	p := &v.c.Partitions[pi]
	in := inPartition(p)
	listed := map[string]Pos{}
	for di := range p.Devices {
		d := &p.Devices[di]
		if d.broken {
			continue
		}
		if !d.FromBoard && len(d.MMIO) == 0 && len(d.Interrupts) == 0 && v.b != nil {
			// {name: pcie, stream_ids: [0x10]}: a board device with
			// the stream IDs of the devices behind it.
			if _, ok := v.b.Device(d.Name); ok {
				d.FromBoard = true
			}
		}
		if d.FromBoard {
			v.namedDevice(pi, d)
		} else {
			v.explicitDevice(in, d)
		}
		if d.Name == "" {
			continue
		}
		if first, dup := listed[d.Name]; dup {
			v.report(d.NamePos, in, fmt.Sprintf("device %q is listed twice (first at line %d)", d.Name, first.Line), "remove one of them")
			d.broken = true
			continue
		}
		listed[d.Name] = d.NamePos
	}
}

// namedDevice checks a board device given by name and copies its
// resources into d.
func (v *validator) namedDevice(pi int, d *Device) {
	p := &v.c.Partitions[pi]
	in := inPartition(p)
	if v.b == nil {
		d.broken = true // nothing to check it against
		return
	}
	bd, ok := v.b.Device(d.Name)
	if !ok {
		v.report(d.NamePos, in, fmt.Sprintf("device %q is not a device of board %q", d.Name, v.b.Name), "use one of "+v.assignableDevices())
		d.broken = true
		return
	}
	if why := v.reservedDevice(bd); why != "" {
		fix := "remove it: no guest may have it"
		if bd.Name == v.c.Hypervisor.Console {
			fix = "remove it and give the partition console: virtual, or choose another UART for hypervisor.console"
		}
		v.report(d.NamePos, in, fmt.Sprintf("device %q is %s", d.Name, why), fix)
		d.broken = true
		return
	}
	for _, q := range v.c.Partitions[:pi] {
		if other, ok := q.Device(d.Name); ok && other.FromBoard && !other.broken && !q.broken {
			v.report(d.NamePos, in, fmt.Sprintf("device %q is also given to partition %q%s", d.Name, q.Name, lineOf(other.NamePos)),
				"a device belongs to one partition: remove it from one of them")
			d.broken = true
			return
		}
	}
	d.MMIO = d.MMIO[:0]
	for _, r := range bd.MMIO {
		d.MMIO = append(d.MMIO, Range{Base: r.Base, Size: r.Size, Pos: d.Pos, BasePos: d.Pos, SizePos: d.Pos})
	}
	d.Interrupts = d.Interrupts[:0]
	for _, id := range bd.IRQs {
		d.Interrupts = append(d.Interrupts, Interrupt{ID: id, Pos: d.Pos})
	}
	v.boardDeviceStreams(in, bd, d)
}

// boardDeviceStreams checks the stream IDs the config gives board device
// d against those its DMA may carry (bd.StreamIDs), and notes a device
// that can DMA but was given none: its DMA aborts.
func (v *validator) boardDeviceStreams(in scope, bd board.Device, d *Device) {
	if len(bd.StreamIDs) == 0 {
		for _, ids := range d.StreamIDs {
			if v.b.SMMU.StreamIDBits == 0 {
				break // streamIDs says there is no SMMU at all
			}
			v.report(ids.Pos, in, fmt.Sprintf("device %q of board %q does no DMA through the SMMU", d.Name, v.b.Name),
				fmt.Sprintf("remove stream_ids and write it as the plain string - %s", d.Name))
			d.broken = true
			return
		}
		return
	}
	if len(d.StreamIDs) == 0 {
		fix := fmt.Sprintf("give the stream IDs of the devices the partition drives: {name: %s, stream_ids: [...]}", d.Name)
		if bd.PCI != nil {
			fix = fmt.Sprintf("give the requester IDs (bus << 8 | device << 3 | function) of the PCI devices the partition drives: {name: %s, stream_ids: [0x10]} for 00:02.0", d.Name)
		}
		v.warn(d.NamePos, in, fmt.Sprintf("device %q can do DMA, but has no stream_ids: every DMA of the devices behind it aborts", d.Name), fix)
		return
	}
	// Stream IDs the device cannot carry are reported and dropped, so
	// that the others are still checked.
	d.StreamIDs = slices.DeleteFunc(d.StreamIDs, func(ids StreamIDRange) bool {
		if slices.ContainsFunc(bd.StreamIDs, func(r board.IDRange) bool { return r.Contains(ids.First) && r.Contains(ids.Last()) }) {
			return false
		}
		v.report(ids.Pos, in, fmt.Sprintf("%s is not a stream ID of device %q (%s)", formatIDs(ids), d.Name, formatBoardIDs(bd.StreamIDs)),
			"use a stream ID the device carries")
		return true
	})
}

func formatBoardIDs(ranges []board.IDRange) string {
	parts := make([]string, len(ranges))
	for i, r := range ranges {
		parts[i] = formatIDs(StreamIDRange{First: r.First, Count: r.Count})
	}
	return strings.Join(parts, ", ")
}

// reservedDevice says why a board device can never be given to a guest,
// or returns "" when it can.
func (v *validator) reservedDevice(d board.Device) string {
	switch {
	case d.Name == v.c.Hypervisor.Console:
		return "the hypervisor's console"
	case !d.Hypervisor:
		return ""
	case strings.Contains(d.Compatible, "gic"):
		return "part of the interrupt controller, which the hypervisor owns (guests get a virtual GIC)"
	case strings.Contains(d.Compatible, "smmu"):
		return "the SMMU, which the hypervisor programs for the guests"
	}
	return "a device the hypervisor owns"
}

// assignableDevices lists the board devices a guest may have.
func (v *validator) assignableDevices() string {
	var names []string
	for _, d := range v.b.Devices {
		if v.reservedDevice(d) == "" {
			names = append(names, d.Name)
		}
	}
	if len(names) == 0 {
		return "an explicit device {name, mmio, interrupts, stream_ids}"
	}
	return strings.Join(names, ", ")
}

// explicitDevice checks a device the config describes itself.
func (v *validator) explicitDevice(in scope, d *Device) {
	if v.checkName(in, "device name", d.Name, d.NamePos) && v.b != nil {
		if _, clash := v.b.Device(d.Name); clash {
			v.report(d.NamePos, in, fmt.Sprintf("device %q has the name of a board device", d.Name),
				fmt.Sprintf("write the plain string - %s to pass the board's device, or give this one another name", d.Name))
		}
	}
	for i := range d.MMIO {
		r := &d.MMIO[i]
		what := fmt.Sprintf("device %q mmio", d.Name)
		if !v.checkRange(in, what, mapped, r.Base, r.Size, r.BasePos, r.SizePos) {
			r.broken = true
			continue
		}
		if v.b == nil {
			continue
		}
		for _, ram := range v.b.RAM {
			if ram.Overlaps(r.Region()) {
				v.report(r.Pos, in, fmt.Sprintf("%s %s lies in the board's RAM %s", what, r, FormatRange(ram.Base, ram.Size)),
					"give RAM to a partition under memory, or share it with a channel")
				break
			}
		}
	}
}

// interruptUse is one assignment of an interrupt.
type interruptUse struct {
	id        uint32
	pos       Pos
	in        scope
	partition int // -1 for a channel's doorbell
	// owner is the device or channel it is given to, for messages.
	owner    string
	doorbell bool
}

func (u interruptUse) subject() string {
	if u.doorbell {
		return fmt.Sprintf("doorbell %d", u.id)
	}
	return fmt.Sprintf("interrupt %d", u.id)
}

// interrupts checks every interrupt given to a device or used as a
// doorbell: it must be one of the board's SPIs, free of the hypervisor's
// devices, and given once.
func (v *validator) interrupts() {
	var uses []interruptUse
	for pi := range v.c.Partitions {
		p := &v.c.Partitions[pi]
		if p.broken {
			continue
		}
		for _, d := range p.Devices {
			if d.broken {
				continue
			}
			for _, irq := range d.Interrupts {
				uses = append(uses, interruptUse{id: irq.ID, pos: irq.Pos, in: inPartition(p), partition: pi, owner: fmt.Sprintf("device %q", d.Name)})
			}
		}
	}
	for ci := range v.c.Channels {
		ch := &v.c.Channels[ci]
		if ch.Doorbell != nil {
			uses = append(uses, interruptUse{id: ch.Doorbell.ID, pos: ch.Doorbell.Pos, in: inChannel(ch), partition: -1,
				owner: fmt.Sprintf("the doorbell of channel %q", ch.Name), doorbell: true})
		}
	}
	first := map[uint32]interruptUse{}
	for _, u := range uses {
		if !v.assignableInterrupt(u) {
			continue
		}
		if prev, dup := first[u.id]; dup {
			owner := prev.owner
			switch {
			case prev.partition >= 0 && prev.partition == u.partition:
				owner += " of this partition"
			case prev.partition >= 0:
				owner += fmt.Sprintf(" of partition %q", prev.in.partition)
			}
			v.report(u.pos, u.in, fmt.Sprintf("%s is also given to %s%s", u.subject(), owner, lineOf(prev.pos)),
				"an interrupt belongs to one device or doorbell: remove it from one of them")
			continue
		}
		first[u.id] = u
		if u.doorbell && v.b != nil {
			if d, ok := boardDeviceWithIRQ(v.b, u.id); ok {
				v.report(u.pos, u.in, fmt.Sprintf("doorbell %d is the interrupt of board device %q", u.id, d.Name),
					"pick an SPI no board device uses")
			}
		}
	}
}

// assignableInterrupt reports an interrupt no guest may have.
func (v *validator) assignableInterrupt(u interruptUse) bool {
	switch {
	case u.id < firstPPI:
		v.report(u.pos, u.in, fmt.Sprintf("%s is an SGI (0-15)", u.subject()),
			"SGIs carry the hypervisor's signals between cores and are never assigned: remove it")
		return false
	case u.id < firstSPI:
		timers := "the timers"
		if v.b != nil {
			timers = fmt.Sprintf("the timers (virtual timer %d, physical timer %d)", v.b.GIC.VirtTimerIRQ, v.b.GIC.PhysTimerIRQ)
		}
		v.report(u.pos, u.in, fmt.Sprintf("%s is a PPI (16-31), private to each core and never assigned", u.subject()),
			fmt.Sprintf("guests get %s virtually: remove it", timers))
		return false
	case v.b == nil:
		return true
	case u.id-firstSPI >= v.b.GIC.SPIs:
		last := firstSPI + v.b.GIC.SPIs - 1
		v.report(u.pos, u.in, fmt.Sprintf("%s is beyond the board's SPIs (%d-%d)", u.subject(), firstSPI, last),
			fmt.Sprintf("use an SPI in %d-%d", firstSPI, last))
		return false
	}
	for _, d := range v.b.Devices {
		if why := v.reservedDevice(d); why != "" && containsIRQ(d.IRQs, u.id) {
			v.report(u.pos, u.in, fmt.Sprintf("%s belongs to board device %q, %s", u.subject(), d.Name, why), "remove it")
			return false
		}
	}
	return true
}

func containsIRQ(irqs []uint32, id uint32) bool {
	for _, irq := range irqs {
		if irq == id {
			return true
		}
	}
	return false
}

func boardDeviceWithIRQ(b *board.Board, id uint32) (board.Device, bool) {
	for _, d := range b.Devices {
		if containsIRQ(d.IRQs, id) {
			return d, true
		}
	}
	return board.Device{}, false
}

// formatIDs writes a stream ID range for a message.
func formatIDs(r StreamIDRange) string {
	if r.Count == 1 {
		return fmt.Sprintf("stream ID %d", r.First)
	}
	return fmt.Sprintf("stream IDs %d-%d", r.First, r.Last())
}

// streamIDs checks that every stream ID fits the SMMU and belongs to one
// device.
func (v *validator) streamIDs() {
	type use struct {
		ids       StreamIDRange
		partition int
		device    string
	}
	var given []use
	for pi := range v.c.Partitions {
		p := &v.c.Partitions[pi]
		if p.broken {
			continue
		}
		in := inPartition(p)
		for _, d := range p.Devices {
			if d.broken {
				continue
			}
			if v.b != nil && v.b.SMMU.StreamIDBits == 0 {
				// One problem per device, at its first stream ID: the
				// fix is to drop the field, not each ID.
				for _, ids := range d.StreamIDs {
					if ids.Count > 0 {
						v.report(ids.Pos, in, fmt.Sprintf("device %q has stream_ids, but board %q has no SMMU to translate them", d.Name, v.b.Name),
							"remove stream_ids: without an SMMU no stream ID confines the device's DMA, which reaches all memory")
						break
					}
				}
				continue
			}
			for _, ids := range d.StreamIDs {
				if ids.Count == 0 {
					continue
				}
				if v.b != nil {
					bits := v.b.SMMU.StreamIDBits
					if bits < 32 && uint64(ids.Last()) >= uint64(1)<<bits {
						v.report(ids.Pos, in, fmt.Sprintf("%s does not fit the SMMU's %d-bit stream IDs (0-%d)", formatIDs(ids), bits, uint64(1)<<bits-1),
							"use the stream ID the SoC's manual gives for the device")
						continue
					}
					if uint64(ids.Last()) >= table.MaxStreamIDs {
						v.report(ids.Pos, in, fmt.Sprintf("%s lies beyond the %d stream IDs the hypervisor's stream table holds (0-%d)", formatIDs(ids), table.MaxStreamIDs, table.MaxStreamIDs-1),
							"give the device a stream ID below that; on a PCIe bus, put it on a lower bus number")
						continue
					}
				}
				clash := false
				for _, g := range given {
					if !g.ids.Overlaps(ids) {
						continue
					}
					owner := fmt.Sprintf("device %q of partition %q", g.device, v.c.Partitions[g.partition].Name)
					if g.partition == pi {
						owner = fmt.Sprintf("device %q of this partition", g.device)
					}
					verb := "overlaps"
					if ids.Count > 1 {
						verb = "overlap"
					}
					v.report(ids.Pos, in, fmt.Sprintf("%s of device %q %s %s of %s%s", formatIDs(ids), d.Name, verb, formatIDs(g.ids), owner, lineOf(g.ids.Pos)),
						"a stream ID belongs to one device: remove it from one of them")
					clash = true
					break
				}
				if !clash {
					given = append(given, use{ids, pi, d.Name})
				}
			}
		}
	}
}
