// Package vgic owns the virtual GICv3 each partition sees: the register
// model of its emulated distributor and of its vCPUs' redistributors, the
// per-INTID state behind them, and the queries the firmware's interrupt
// injection asks of that state. It never touches hardware: what a guest's
// register write means for the physical GIC and the list registers goes
// to the firmware through Hooks.
//
// # What the guest sees
//
// A GICv3 with affinity routing always on (GICD_CTLR.ARE reads as 1) and
// one Security state (GICD_CTLR.DS reads as 1), without LPIs, ITS or
// message-based SPIs, whose GICD_TYPER.ITLinesNumber covers the board's
// SPIs: enough for Linux's irq-gic-v3 driver and for a bare-metal guest.
// Of the SPIs, it sees only those it owns (its passthrough devices'
// interrupts and its channels' doorbells); of the PPIs, only those given
// at creation (the EL1 timers'); and all sixteen SGIs. Every other
// interrupt reads as zero in every register and ignores writes, so a
// guest can neither observe nor change another partition's interrupts,
// nor the hypervisor's own PPIs.
//
// # Redistributors are emulated, not mapped
//
// A physical redistributor frame holds every PPI of its core, the
// hypervisor's maintenance and EL2 timer interrupts included, and SGI
// state the hypervisor uses for its doorbells; mapping it into a guest
// would let the guest disable or fire them. Its GICR_TYPER would also
// show the physical core's affinity, not the vCPU's. So each vCPU gets
// two emulated 64 KiB frames, RD_base and SGI_base, in vCPU order; the
// guest's GICR accesses trap like its GICD ones. Linux touches them only
// while a CPU comes up and when it enables or disables a per-CPU
// interrupt, so the traps cost nothing measurable.
//
// # Shared state, per-core views
//
// A partition's vCPUs run on several cores that share no Go heap, so the
// whole virtual GIC state is one pointer-free State in the memory the
// hypervisor instances share. Each core builds its own VGIC view of it
// with New or FromTable. Every access and query allocates nothing and
// waits at most a bounded time.
//
// The register map is a table of descriptors (regs.go): for each
// register or array, its offset, span, width and access sizes, a read
// function, a write function that only updates the State and says what
// changed, and an effect function that reports the change to the Hooks.
//
// Register layouts and semantics: Arm Generic Interrupt Controller
// Architecture Specification, GIC architecture version 3 and version 4
// (IHI 0069), chapter 12 "Programmers' Model", cited by register name.
package vgic

import (
	"errors"
	"fmt"
	"math/bits"
	"sync/atomic"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/firmware/vdev"
	"github.com/tamavisor/tamavisor/partition/table"
)

// Config is what a partition's virtual GIC needs to know of the
// partition and the board.
type Config struct {
	// VCPUs is the number of the partition's vCPUs, 1 to MaxVCPUs.
	VCPUs int
	// BoardSPIs is the number of SPIs the board's distributor implements
	// (board.GIC.SPIs); GICD_TYPER.ITLinesNumber covers them.
	BoardSPIs uint32
	// SPIs are the SPIs (INTIDs) the partition owns: its passthrough
	// devices' interrupts and its channels' doorbells.
	SPIs []uint32
	// PPIs are the PPIs (INTIDs 16 to 31) the guest may use.
	PPIs []uint32
	// Core is the physical core the view is for (each core of the
	// partition makes its own).
	Core uint32
}

// bank is a view of the interrupt state one frame addresses: the
// distributor's, for SPIs, or one vCPU's redistributor's, for SGIs and
// PPIs. Its slices reach into the State and into the VGIC's visibility
// masks; word n covers INTIDs 32n to 32n+31.
type bank struct {
	// vcpu is the redistributor's vCPU; NoVCPU for the distributor.
	vcpu int
	// visible has a bit set for each INTID the guest may see.
	visible                         []uint32
	group, enabled, pending, active []atomic.Uint32
	priority                        []atomic.Uint32
}

// VGIC is one core's view of a partition's virtual GIC. Its Distributor
// and Redistributors are the vdev.Devices for the guest's GICD frame and
// for the block of its vCPUs' redistributor frames.
type VGIC struct {
	state *State
	hooks Hooks
	vcpus int
	// core is the physical core this view runs on: it holds the State's
	// lock under that name.
	core uint32
	// typer is GICD_TYPER.
	typer uint32
	// owned has a bit set for each SPI the partition owns; private for
	// each SGI and PPI the guest may see, the same on every vCPU.
	owned   [distWords]uint32
	private [1]uint32

	dist   bank
	redist [MaxVCPUs]bank

	distributor    distributorDevice
	redistributors redistributorDevice
}

// New returns a core's view of state, the virtual GIC of a partition
// described by cfg, whose register writes are reported to hooks. It does
// not reset state: every core of the partition creates its own view of
// the same State.
func New(state *State, cfg Config, hooks Hooks) (*VGIC, error) {
	if state == nil {
		return nil, errors.New("vgic: no State; pass the partition's State in the shared region")
	}
	if hooks == nil {
		return nil, errors.New("vgic: no Hooks; the firmware must apply guest writes to the hardware")
	}
	if cfg.VCPUs < 1 || cfg.VCPUs > MaxVCPUs {
		return nil, fmt.Errorf("vgic: %d vCPUs; a virtual GIC serves 1 to %d (SGI target lists reach Aff0 0 to 15); give the partition fewer cores", cfg.VCPUs, MaxVCPUs)
	}
	if cfg.BoardSPIs > SPIEnd-privateINTIDs {
		return nil, fmt.Errorf("vgic: the board has %d SPIs, a GICv3 at most %d (INTIDs 32 to 1019); correct the board description", cfg.BoardSPIs, SPIEnd-privateINTIDs)
	}
	g := &VGIC{state: state, hooks: hooks, vcpus: cfg.VCPUs, core: cfg.Core}
	spiEnd := privateINTIDs + cfg.BoardSPIs
	for _, intid := range cfg.SPIs {
		if intid < privateINTIDs || intid >= spiEnd {
			return nil, fmt.Errorf("vgic: INTID %d is not an SPI of the board (32 to %d); the partition table does not belong to this board", intid, spiEnd-1)
		}
		if g.owned[intid/32]&(1<<(intid%32)) != 0 {
			return nil, fmt.Errorf("vgic: SPI %d is given to the partition twice; each interrupt and doorbell must be a distinct SPI", intid)
		}
		g.owned[intid/32] |= 1 << (intid % 32)
	}
	const sgis = 1<<16 - 1
	g.private[0] = sgis
	for _, intid := range cfg.PPIs {
		if intid < 16 || intid >= privateINTIDs {
			return nil, fmt.Errorf("vgic: INTID %d is not a PPI (16 to 31)", intid)
		}
		g.private[0] |= 1 << intid
	}
	itLines := min((spiEnd+31)/32-1, typerITLinesMax)
	g.typer = itLines | typerIDbits | typerNo1N

	d := &state.dist
	g.dist = bank{vcpu: NoVCPU, visible: g.owned[:],
		group: d.group[:], enabled: d.enabled[:], pending: d.pending[:], active: d.active[:], priority: d.priority[:]}
	for v := range g.vcpus {
		r := &state.redist[v]
		g.redist[v] = bank{vcpu: v, visible: g.private[:],
			group: r.group[:], enabled: r.enabled[:], pending: r.pending[:], active: r.active[:], priority: r.priority[:]}
	}
	g.distributor.g = g
	g.redistributors.g = g
	return g, nil
}

// FromTable returns a core's view of state for partition index partition
// of a decoded partition table on board b. The partition owns the SPIs
// the table routes to it, the doorbells of the channels it is a member
// of and, with a virtual console, that console's interrupt (the board
// UART's, see ConsoleSPI); its guest may use the EL1 virtual and physical
// timer PPIs.
func FromTable(state *State, b *board.Board, v table.View, partition, core int, hooks Hooks) (*VGIC, error) {
	if partition < 0 || partition >= v.NumPartitions() {
		return nil, fmt.Errorf("vgic: partition %d does not exist; the table has %d", partition, v.NumPartitions())
	}
	p := v.Partition(partition)
	var spis []uint32
	for j := p.Interrupts.First; j < p.Interrupts.End(); j++ {
		spis = append(spis, v.Interrupt(int(j)).INTID)
	}
	if spi, ok := ConsoleSPI(b); ok && p.Console == table.ConsoleVirtual {
		spis = append(spis, spi)
	}
	for c := range v.NumChannels() {
		ch := v.Channel(c)
		if ch.Doorbell != 0 && partition < 64 && ch.Members&(1<<partition) != 0 {
			spis = append(spis, ch.Doorbell)
		}
	}
	g, err := New(state, Config{
		VCPUs:     bits.OnesCount64(p.CPUMask),
		BoardSPIs: b.GIC.SPIs,
		SPIs:      spis,
		PPIs:      []uint32{b.GIC.VirtTimerIRQ, b.GIC.PhysTimerIRQ},
		Core:      uint32(core),
	}, hooks)
	if err != nil {
		return nil, fmt.Errorf("partition %q: %w", p.Name, err)
	}
	return g, nil
}

// ConsoleSPI is the interrupt of a partition's virtual console: that of
// the board UART the hypervisor keeps for itself, at whose address the
// virtual PL011 sits. It exists only virtually in each partition.
func ConsoleSPI(b *board.Board) (uint32, bool) {
	if d, ok := b.Device(b.Hypervisor.UART); ok && len(d.IRQs) > 0 {
		return d.IRQs[0], true
	}
	return 0, false
}

// VCPUs returns the number of the partition's vCPUs.
func (g *VGIC) VCPUs() int { return g.vcpus }

// Distributor returns the device emulating the guest's GICD frame,
// DistributorSize bytes.
func (g *VGIC) Distributor() vdev.Device { return &g.distributor }

// Redistributors returns the device emulating the guest's redistributor
// frames: RedistributorFrameSize bytes per vCPU, vCPU 0 first.
func (g *VGIC) Redistributors() vdev.Device { return &g.redistributors }

type distributorDevice struct{ g *VGIC }

type redistributorDevice struct{ g *VGIC }

// Access performs a guest's load or store in the GICD frame.
func (d *distributorDevice) Access(a vdev.Access) (uint64, bool) {
	if a.Offset >= DistributorSize {
		return 0, false
	}
	return d.g.access(distributorRegisters, &d.g.dist, a.Offset, a)
}

// Access performs a guest's load or store in the redistributor frames.
func (r *redistributorDevice) Access(a vdev.Access) (uint64, bool) {
	g := r.g
	vcpu := a.Offset / RedistributorFrameSize
	if vcpu >= uint64(g.vcpus) {
		return 0, false
	}
	offset := a.Offset % RedistributorFrameSize
	if offset < sgiBase {
		return g.access(redistributorRegisters, &g.redist[vcpu], offset, a)
	}
	return g.access(sgiRegisters, &g.redist[vcpu], offset-sgiBase, a)
}

// access performs a in the frame whose register map is registers, at
// offset in the frame. Accesses must be naturally aligned and of a size
// the register takes (IHI 0069, "GIC memory-mapped register access");
// others return ok false, so the partition's fault policy applies. A
// reserved offset is RAZ/WI for 32- and 64-bit accesses. A write the
// State's lock does not admit within the bounded wait is refused with
// ok false and counted: the core holding it has stopped.
func (g *VGIC) access(registers []register, b *bank, offset uint64, a vdev.Access) (uint64, bool) {
	switch a.Size {
	case 1, 2, 4, 8:
	default:
		return 0, false
	}
	size := uint64(a.Size)
	if offset%size != 0 {
		return 0, false
	}
	r, found, straddles := find(registers, offset, size)
	if !found {
		return 0, !straddles && (size == 4 || size == 8)
	}
	if !r.sizes.allow(a.Size) {
		return 0, false
	}
	rel := offset - r.offset
	index := uint32(rel / r.width)
	shift := 8 * (rel % r.width)
	sizeMask := ^uint64(0) >> (64 - 8*size)
	if !a.Write {
		if r.read == nil {
			return 0, true
		}
		return r.read(g, b, index) >> shift & sizeMask, true
	}
	if r.write == nil {
		return 0, true
	}
	if g.state.lock.Acquire(g.core) != nil {
		g.state.lockRefusals.Add(1)
		return 0, false
	}
	changed := r.write(g, b, index, (a.Value&sizeMask)<<shift, sizeMask<<shift)
	if changed != 0 && r.effect != nil {
		r.effect(g, b, index, changed)
	}
	g.state.lock.Release(g.core)
	return 0, true
}

// owner is the vCPU a hook names for intid of bank b.
func (g *VGIC) owner(b *bank, intid uint32) int {
	if b.vcpu != NoVCPU {
		return b.vcpu
	}
	return g.TargetVCPU(intid)
}

// vcpuOfAffinity returns the vCPU whose affinity is aff (Aff2.Aff1.Aff0),
// or NoVCPU: vCPU i is 0.0.0.i.
func (g *VGIC) vcpuOfAffinity(aff uint32) int {
	if aff < uint32(g.vcpus) {
		return int(aff)
	}
	return NoVCPU
}

// locate returns the bank holding intid for vcpu and whether the guest
// may see intid there. vcpu selects the redistributor of an SGI or PPI
// and does not matter for an SPI.
func (g *VGIC) locate(vcpu int, intid uint32) (*bank, bool) {
	var b *bank
	switch {
	case intid < privateINTIDs:
		if vcpu < 0 || vcpu >= g.vcpus {
			return nil, false
		}
		b = &g.redist[vcpu]
	case intid < SPIEnd:
		b = &g.dist
	default:
		return nil, false
	}
	return b, b.visible[intid/32]&(1<<(intid%32)) != 0
}

func bitOf(words []atomic.Uint32, intid uint32) bool {
	return words[intid/32].Load()&(1<<(intid%32)) != 0
}

// TargetVCPU returns the vCPU an SPI the partition owns is routed to, or
// NoVCPU if its GICD_IROUTER names none, or if intid is not such an SPI.
func (g *VGIC) TargetVCPU(intid uint32) int {
	if intid < privateINTIDs || intid >= SPIEnd || g.owned[intid/32]&(1<<(intid%32)) == 0 {
		return NoVCPU
	}
	return g.vcpuOfAffinity(g.state.dist.route[intid-privateINTIDs].Load())
}

// groupEnabled reports whether GICD_CTLR forwards interrupts of a group,
// given whether it is group 1.
func (g *VGIC) groupEnabled(group1 bool) bool {
	ctlr := g.state.dist.ctlr.Load()
	if group1 {
		return ctlr&ctlrEnableGrp1 != 0
	}
	return ctlr&ctlrEnableGrp0 != 0
}

// Deliverable reports whether intid may be injected into vcpu now, and at
// which priority: the guest sees it, it is enabled, the distributor
// forwards its group, and an SPI is routed to one of the partition's
// vCPUs. The firmware asks when a physical interrupt arrives for the
// partition; if not deliverable, it records it with SetPending. An SPI
// need not be routed to vcpu itself: the physical route follows a
// guest's GICD_IROUTER write a moment later, and an interrupt arriving
// at the old target in between is delivered there rather than lost.
// Pending and active states are not consulted.
func (g *VGIC) Deliverable(vcpu int, intid uint32) (priority uint8, ok bool) {
	if vcpu < 0 || vcpu >= g.vcpus {
		return 0, false
	}
	b, visible := g.locate(vcpu, intid)
	if !visible || !bitOf(b.enabled, intid) || !g.groupEnabled(bitOf(b.group, intid)) {
		return 0, false
	}
	if intid >= privateINTIDs && g.TargetVCPU(intid) == NoVCPU {
		return 0, false
	}
	return uint8(b.priority[intid/4].Load() >> (8 * (intid % 4))), true
}

// InGroup1 reports whether intid is in group 1 (GICD_IGROUPR or
// GICR_IGROUPR0), what the list register's Group bit must say.
func (g *VGIC) InGroup1(vcpu int, intid uint32) bool {
	b, visible := g.locate(vcpu, intid)
	return visible && bitOf(b.group, intid)
}

// Pending reports whether intid is pending for vcpu.
func (g *VGIC) Pending(vcpu int, intid uint32) bool {
	b, visible := g.locate(vcpu, intid)
	return visible && bitOf(b.pending, intid)
}

// PendingSGIs returns the SGIs pending for vcpu, SGI n at bit n, in one
// load: the run loop looks after every exit, and most often finds none.
func (g *VGIC) PendingSGIs(vcpu int) uint16 {
	if vcpu < 0 || vcpu >= g.vcpus {
		return 0
	}
	b := &g.redist[vcpu]
	return uint16(b.pending[0].Load() & b.visible[0])
}

// Owns reports whether intid is one of the partition's interrupts: an SGI,
// a PPI it sees, or an SPI the table gives it.
func (g *VGIC) Owns(intid uint32) bool {
	_, visible := g.locate(0, intid)
	return visible
}

// Enabled reports whether the guest enabled intid (for an SGI or PPI, on
// vcpu).
func (g *VGIC) Enabled(vcpu int, intid uint32) bool {
	b, visible := g.locate(vcpu, intid)
	return visible && bitOf(b.enabled, intid)
}

// Active reports whether intid is active for vcpu.
func (g *VGIC) Active(vcpu int, intid uint32) bool {
	b, visible := g.locate(vcpu, intid)
	return visible && bitOf(b.active, intid)
}

// SetPending makes intid pending: a physical interrupt that could not be
// injected yet, or an SGI another vCPU sent to vcpu. It reports false,
// changing nothing, for an interrupt the guest does not see. vcpu does
// not matter for an SPI. No hook is called: the firmware is the caller.
func (g *VGIC) SetPending(vcpu int, intid uint32) bool {
	b, visible := g.locate(vcpu, intid)
	if visible {
		b.pending[intid/32].Or(1 << (intid % 32))
	}
	return visible
}

// ClearPending ends the pending state of intid, as when the guest
// acknowledged it through a list register.
func (g *VGIC) ClearPending(vcpu int, intid uint32) bool {
	b, visible := g.locate(vcpu, intid)
	if visible {
		b.pending[intid/32].And(^uint32(1 << (intid % 32)))
	}
	return visible
}

// SetActive sets or ends the active state of intid, as the list
// registers report the guest's acknowledge and deactivation.
func (g *VGIC) SetActive(vcpu int, intid uint32, active bool) bool {
	b, visible := g.locate(vcpu, intid)
	if !visible {
		return false
	}
	if active {
		b.active[intid/32].Or(1 << (intid % 32))
	} else {
		b.active[intid/32].And(^uint32(1 << (intid % 32)))
	}
	return true
}

// NextPending returns the lowest INTID from from on that is pending,
// enabled and in a group the distributor forwards, and that belongs to
// vcpu: one of its SGIs or PPIs, or an SPI routed to it. The firmware
// walks it after a hook made interrupts deliverable (an enable, a
// GICD_CTLR write, a route) to inject what was waiting. Active-and-pending
// interrupts are included.
func (g *VGIC) NextPending(vcpu int, from uint32) (intid uint32, ok bool) {
	if vcpu < 0 || vcpu >= g.vcpus {
		return 0, false
	}
	ctlr := g.state.dist.ctlr.Load()
	for word := from / 32; word < distWords; word++ {
		b := &g.dist
		if word == 0 {
			b = &g.redist[vcpu]
		}
		group := b.group[word].Load()
		var forwarded uint32
		if ctlr&ctlrEnableGrp0 != 0 {
			forwarded |= ^group
		}
		if ctlr&ctlrEnableGrp1 != 0 {
			forwarded |= group
		}
		candidates := b.pending[word].Load() & b.enabled[word].Load() & b.visible[word] & forwarded
		if word == from/32 {
			candidates &^= 1<<(from%32) - 1
		}
		for ; candidates != 0; candidates &= candidates - 1 {
			intid := 32*word + uint32(bits.TrailingZeros32(candidates))
			if word == 0 || g.TargetVCPU(intid) == vcpu {
				return intid, true
			}
		}
	}
	return 0, false
}
