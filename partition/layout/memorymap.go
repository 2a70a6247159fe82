package layout

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/partition"
)

// bandKind is what holds a range of the physical address space.
type bandKind uint8

const (
	hypervisorBand bandKind = iota
	memoryBand              // a partition's RAM
	channelBand
	freeBand // RAM of the board nobody holds
	deviceBand
)

// lane is the column of the memory map a band is drawn in.
type lane uint8

const (
	ramLane lane = iota
	deviceLane
)

// band is one range of the physical memory map as drawn.
type band struct {
	kind   bandKind
	region board.Region
	// id names the band's SVG group; it is unique in the drawing.
	id string
	// owner is the index in Config.Partitions of the partition that
	// holds the band (memory, devices), -1 for none.
	owner int
	// channel is the index in Config.Channels of a channel band.
	channel int
	// name is set in bold, qualifier after it in grey, then the range
	// and the detail lines.
	name, qualifier string
	details         []string
	// subject and pos name the band in errors.
	subject string
	pos     partition.Pos
}

func (b *band) lane() lane {
	if b.kind == deviceBand {
		return deviceLane
	}
	return ramLane
}

// memoryMap returns every band of the config's physical memory map in
// address order: the hypervisor's memory, partitions' RAM, channels,
// partitions' device MMIO, and the board's RAM that is left free. It
// fails if two of them overlap or one is empty, which a validated
// config rules out.
func memoryMap(cfg *partition.Config) ([]band, error) {
	b := cfg.Board
	h := cfg.Hypervisor
	bands := []band{{
		kind: hypervisorBand, region: h.Memory.Region(), id: "hypervisor", owner: -1,
		name: "hypervisor",
		details: []string{
			fmt.Sprintf("shared %s + %d core slots × %s", formatSize(b.Hypervisor.SharedSize), len(b.CPUs), formatSize(b.Hypervisor.SlotSize)),
			"console " + h.Console,
		},
		subject: "the hypervisor's memory " + h.Memory.String(), pos: h.Memory.Pos,
	}}
	for pi := range cfg.Partitions {
		p := &cfg.Partitions[pi]
		for ri, m := range p.Memory {
			qualifier := "RAM"
			if len(p.Memory) > 1 {
				qualifier = fmt.Sprintf("RAM, region %d of %d", ri+1, len(p.Memory))
			}
			details := []string{formatCores(p.CPUs)}
			if !m.Identity() {
				details = append(details, "guest sees it at IPA "+formatAddress(m.IPA))
			}
			bands = append(bands, band{
				kind: memoryBand, region: m.Region(), id: fmt.Sprintf("memory-%s-%d", p.Name, ri), owner: pi,
				name: p.Name, qualifier: qualifier, details: details,
				subject: fmt.Sprintf("memory %s of partition %q", m.Range, p.Name), pos: m.Pos,
			})
		}
		for _, d := range p.Devices {
			ids := []string{p.Name}
			if irqs := formatIDs("IRQ", "IRQs", interruptRuns(d.Interrupts)); irqs != "" {
				ids = append(ids, irqs)
			}
			if streams := formatIDs("stream ID", "stream IDs", streamIDRuns(d.StreamIDs)); streams != "" {
				ids = append(ids, streams)
			}
			for ri, r := range d.MMIO {
				qualifier := "MMIO"
				if len(d.MMIO) > 1 {
					qualifier = fmt.Sprintf("MMIO %d of %d", ri+1, len(d.MMIO))
				}
				bands = append(bands, band{
					kind: deviceBand, region: r.Region(), id: fmt.Sprintf("device-%s-%s-%d", p.Name, d.Name, ri), owner: pi,
					name: d.Name, qualifier: qualifier, details: []string{joinDetails(ids)},
					subject: fmt.Sprintf("device %q mmio %s of partition %q", d.Name, r, p.Name), pos: r.Pos,
				})
			}
		}
	}
	for ci := range cfg.Channels {
		ch := &cfg.Channels[ci]
		var details []string
		for _, m := range ch.Members {
			member := m.Partition + " " + m.Access.String()
			if m.IPA != ch.Base {
				member += " at IPA " + formatAddress(m.IPA)
			}
			details = append(details, member)
		}
		if ch.Doorbell != nil {
			details = append(details, fmt.Sprintf("doorbell IRQ %d", ch.Doorbell.ID))
		}
		bands = append(bands, band{
			kind: channelBand, region: ch.Region(), id: "channel-" + ch.Name, owner: -1, channel: ci,
			name: ch.Name, qualifier: "channel", details: details,
			subject: fmt.Sprintf("channel %q %s", ch.Name, ch.Range), pos: ch.Pos,
		})
	}
	sortByAddress(bands)
	for i := range bands {
		b := &bands[i]
		if b.region.Size == 0 {
			return nil, fmt.Errorf("%s: %s is empty; check the config with tamavisor check", where(cfg, b.pos), b.subject)
		}
		if i > 0 && bands[i-1].region.Overlaps(b.region) {
			return nil, fmt.Errorf("%s: %s overlaps %s; check the config with tamavisor check", where(cfg, b.pos), b.subject, bands[i-1].subject)
		}
	}
	bands = append(bands, freeRAM(b.RAM, bands)...)
	sortByAddress(bands)
	return bands, nil
}

// where names the place of a problem: its position in the config file,
// or the file itself for values the config does not write.
func where(cfg *partition.Config, pos partition.Pos) string {
	switch {
	case pos.IsValid():
		return pos.String()
	case cfg.File != "":
		return cfg.File
	}
	return "layout"
}

// joinDetails joins the facts of one detail line.
func joinDetails(facts []string) string {
	line := facts[0]
	for _, f := range facts[1:] {
		line += " · " + f
	}
	return line
}

func sortByAddress(bands []band) {
	slices.SortStableFunc(bands, func(a, b band) int { return cmp.Compare(a.region.Base, b.region.Base) })
}

// freeRAM returns a band for each stretch of the board's RAM that no
// band in held (sorted by address, disjoint) covers.
func freeRAM(ram []board.Region, held []band) []band {
	var free []band
	add := func(base, end uint64) {
		if end > base {
			free = append(free, band{
				kind: freeBand, region: board.Region{Base: base, Size: end - base}, id: fmt.Sprintf("free-%d", len(free)), owner: -1,
				name: "free RAM",
			})
		}
	}
	for _, bank := range ram {
		next := bank.Base
		for _, h := range held {
			if h.lane() != ramLane || !h.region.Overlaps(bank) {
				continue
			}
			add(next, h.region.Base)
			next = max(next, h.region.End())
		}
		add(next, bank.End())
	}
	return free
}
