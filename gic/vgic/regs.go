package vgic

import (
	"math/bits"
	"sync/atomic"
)

// Frame sizes (IHI 0069, "The GIC register map": every frame is 64 KiB).
const (
	// DistributorSize is the GICD frame the guest's distributor occupies.
	DistributorSize = 0x1_0000
	// RedistributorFrameSize is one vCPU's redistributor: the RD_base
	// frame, then the SGI_base frame, 64 KiB each. The GICv4 frames for
	// virtual LPIs are not offered (GICR_TYPER.VLPIS = 0).
	RedistributorFrameSize = 0x2_0000
	// sgiBase is where SGI_base starts in a redistributor.
	sgiBase = 0x1_0000
)

// Distributor register offsets (IHI 0069, "The GIC Distributor register
// map").
const (
	gicdCTLR       = 0x0000
	gicdTYPER      = 0x0004
	gicdIIDR       = 0x0008
	gicdTYPER2     = 0x000c
	gicdSTATUSR    = 0x0010
	gicdSETSPINSR  = 0x0040 // SETSPI_NSR, CLRSPI_NSR, SETSPI_SR, CLRSPI_SR
	gicdIGROUPR    = 0x0080
	gicdISENABLER  = 0x0100
	gicdICENABLER  = 0x0180
	gicdISPENDR    = 0x0200
	gicdICPENDR    = 0x0280
	gicdISACTIVER  = 0x0300
	gicdICACTIVER  = 0x0380
	gicdIPRIORITYR = 0x0400
	gicdITARGETSR  = 0x0800
	gicdICFGR      = 0x0c00
	gicdIGRPMODR   = 0x0d00
	gicdNSACR      = 0x0e00
	gicdSGIR       = 0x0f00
	gicdCPENDSGIR  = 0x0f10
	gicdSPENDSGIR  = 0x0f20
	gicdIROUTER    = 0x6000
	// identification is PIDR4-7, PIDR0-3 and CIDR0-3, in that order;
	// both the distributor and RD_base carry them.
	identification = 0xffd0
)

// Redistributor register offsets in RD_base (IHI 0069, "The GIC
// Redistributor register map"). SGI_base repeats the distributor's
// offsets for INTIDs 0-31 (GICR_IGROUPR0 at 0x0080 and so on), plus
// GICR_ICFGR1 at gicdICFGR+4.
const (
	gicrCTLR      = 0x0000
	gicrIIDR      = 0x0004
	gicrTYPER     = 0x0008
	gicrSTATUSR   = 0x0010
	gicrWAKER     = 0x0014
	gicrPROPBASER = 0x0070
	gicrPENDBASER = 0x0078
)

// GICD_CTLR with GICD_CTLR.DS = 1, the single Security state view
// (IHI 0069, GICD_CTLR). The guest sees one Security state: DS reads as 1;
// affinity routing is always on: ARE reads as 1. RWP reads as 0, since a
// write has taken effect when the trapped store completes.
const (
	ctlrEnableGrp0 = 1 << 0
	ctlrEnableGrp1 = 1 << 1
	ctlrARE        = 1 << 4
	ctlrDS         = 1 << 6
	ctlrEnables    = ctlrEnableGrp0 | ctlrEnableGrp1
)

// GICD_TYPER fields (IHI 0069, GICD_TYPER). Every feature bit not named is
// 0: no extended SPIs, no NMIs, one Security state (SecurityExtn), no
// LPIs, MBIs or direct virtual LPIs, Aff3 always 0 (A3V), no SGI range
// selector (RSS). CPUNumber is 0: it has no meaning with affinity routing.
const (
	// typerIDbits: INTIDs have 10 bits when there are no LPIs.
	typerIDbits = 9 << 19
	// typerNo1N: no 1-of-N distribution, so GICD_IROUTER.IRM is RAZ/WI.
	typerNo1N = 1 << 25
	// typerITLinesMax is the largest ITLinesNumber: INTIDs up to 1023.
	typerITLinesMax = 31
)

// iidr is GICD_IIDR and GICR_IIDR (IHI 0069, GICD_IIDR): ProductID 0x54,
// Implementer 0, which no JEP106 code names, as befits an emulation. Linux
// applies errata workarounds by IIDR; this value matches none of them.
const iidr = 0x54 << 24

// identificationValues are the registers at identification, PIDR4 first.
// Linux reads PIDR2.ArchRev (bits 7:4) to tell a GICv3 (3) from a GICv4
// (4) in both the distributor and each redistributor (IHI 0069, GICD_PIDR2).
// CIDR0-3 are the component preamble 0xB105F00D; the other PIDR fields
// are IMPLEMENTATION DEFINED and left 0, JEDEC bit included.
var identificationValues = [12]uint32{0, 0, 0, 0, 0, 0, 0x30, 0, 0x0d, 0xf0, 0x05, 0xb1}

// GICR_TYPER fields (IHI 0069, GICR_TYPER). PLPIS, VLPIS, DirectLPI and the
// other feature bits are 0.
const (
	rtyperLast                 = 1 << 4
	rtyperProcessorNumberShift = 8
	rtyperAffinityShift        = 32
)

// GICR_WAKER bits (IHI 0069, GICR_WAKER).
const (
	wakerProcessorSleep = 1 << 1
	wakerChildrenAsleep = 1 << 2
)

// icfgrEdge is Int_config[1] of one INTID's two-bit GICD_ICFGR field: set
// for edge-triggered (IHI 0069, GICD_ICFGR). Int_config[0] is RES0.
const icfgrEdge = 0b10

// sgiConfig is GICR_ICFGR0: every SGI is edge-triggered, read-only.
const sgiConfig = 0xaaaa_aaaa

// routeAffinity are the GICD_IROUTER bits kept: Aff2, Aff1, Aff0
// (IHI 0069, GICD_IROUTER). Aff3 is RAZ/WI because GICD_TYPER.A3V is 0,
// Interrupt_Routing_Mode because GICD_TYPER.No1N is 1.
const routeAffinity = 0x00ff_ffff

// accessSizes is the set of access sizes a register takes: bit n for
// n-byte accesses.
type accessSizes uint16

const (
	byteAccess       accessSizes = 1 << 1
	wordAccess       accessSizes = 1 << 4
	doublewordAccess accessSizes = 1 << 8
)

func (s accessSizes) allow(size int) bool {
	return size > 0 && size <= 8 && s&(1<<size) != 0
}

// A register describes one register, or an array of equal registers, of
// a frame. read and write see the whole register numbered index in the
// array, whatever part of it the guest accesses: Access shifts a narrower
// access into place and passes lanes, the bits it covers.
//
// write is the pure half of emulation: it updates the State and returns
// what changed, one bit per interrupt or field the register covers.
// effect is the hardware half: it reports a non-zero change to the
// partition's Hooks. Both run under the State's lock.
type register struct {
	name   string
	offset uint64 // of the first register
	length uint64 // bytes the array spans
	width  uint64 // bytes of one register: 4 or 8
	sizes  accessSizes
	// read returns the register's value; nil for RAZ.
	read func(g *VGIC, b *bank, index uint32) uint64
	// write changes the State; nil for read-only and WI registers.
	write func(g *VGIC, b *bank, index uint32, value, lanes uint64) (changed uint32)
	// effect reports a change; nil when nobody needs to know.
	effect func(g *VGIC, b *bank, index uint32, changed uint32)
}

// raz returns a read-as-zero, write-ignored register array.
func raz(name string, offset, length uint64, sizes accessSizes) register {
	return register{name: name, offset: offset, length: length, width: 4, sizes: sizes}
}

// readOnly returns a 32-bit register that reads as value.
func readOnly(name string, offset uint64, value uint32) register {
	return register{name: name, offset: offset, length: 4, width: 4, sizes: wordAccess,
		read: func(*VGIC, *bank, uint32) uint64 { return uint64(value) }}
}

// bankedRegisters are the registers that have one bit or one byte per
// INTID and exist both in the distributor, for SPIs, and in each
// redistributor's SGI_base frame, for SGIs and PPIs: words 32-bit words
// of bits from prefix+"IGROUPR" on.
func bankedRegisters(prefix string, words uint64) []register {
	bitArray := func(name string, offset uint64, read func(*VGIC, *bank, uint32) uint64,
		write func(*VGIC, *bank, uint32, uint64, uint64) uint32, effect func(*VGIC, *bank, uint32, uint32)) register {
		return register{name: prefix + name, offset: offset, length: 4 * words, width: 4, sizes: wordAccess,
			read: read, write: write, effect: effect}
	}
	return []register{
		bitArray("IGROUPR", gicdIGROUPR, readBits(groupBits), writeGroup, nil),
		bitArray("ISENABLER", gicdISENABLER, readBits(enabledBits), setBits(enabledBits), reportEnable(true)),
		bitArray("ICENABLER", gicdICENABLER, readBits(enabledBits), clearBits(enabledBits), reportEnable(false)),
		bitArray("ISPENDR", gicdISPENDR, readBits(pendingBits), setBits(pendingBits), reportPending(true)),
		bitArray("ICPENDR", gicdICPENDR, readBits(pendingBits), clearBits(pendingBits), reportPending(false)),
		bitArray("ISACTIVER", gicdISACTIVER, readBits(activeBits), setBits(activeBits), reportActive(true)),
		bitArray("ICACTIVER", gicdICACTIVER, readBits(activeBits), clearBits(activeBits), reportActive(false)),
		{name: prefix + "IPRIORITYR", offset: gicdIPRIORITYR, length: 32 * words, width: 4, sizes: byteAccess | wordAccess,
			read: readPriority, write: writePriority, effect: reportPriority},
	}
}

// distributorRegisters is the GICD frame. Offsets it does not list are
// reserved: RAZ/WI for aligned 32- and 64-bit accesses.
var distributorRegisters = concat(
	[]register{
		{name: "GICD_CTLR", offset: gicdCTLR, length: 4, width: 4, sizes: wordAccess,
			read: readDistributorControl, write: writeDistributorControl, effect: reportDistributorEnable},
		{name: "GICD_TYPER", offset: gicdTYPER, length: 4, width: 4, sizes: wordAccess,
			read: func(g *VGIC, _ *bank, _ uint32) uint64 { return uint64(g.typer) }},
		readOnly("GICD_IIDR", gicdIIDR, iidr),
		raz("GICD_TYPER2", gicdTYPER2, 4, wordAccess),
		raz("GICD_STATUSR", gicdSTATUSR, 4, wordAccess),
		// No message-based SPIs: GICD_TYPER.MBIS is 0.
		raz("GICD_SETSPI/CLRSPI", gicdSETSPINSR, 0x20, wordAccess),
	},
	bankedRegisters("GICD_", distWords),
	[]register{
		// GICD_ITARGETSR, GICD_SGIR, GICD_CPENDSGIR and GICD_SPENDSGIR
		// serve legacy routing, which ARE = 1 turns off.
		raz("GICD_ITARGETSR", gicdITARGETSR, 0x400, byteAccess|wordAccess),
		{name: "GICD_ICFGR", offset: gicdICFGR, length: 0x100, width: 4, sizes: wordAccess,
			read: readConfig, write: writeConfig, effect: reportTrigger},
		// One Security state: IGRPMODR and NSACR are RAZ/WI.
		raz("GICD_IGRPMODR", gicdIGRPMODR, 0x80, wordAccess),
		raz("GICD_NSACR", gicdNSACR, 0x100, wordAccess),
		raz("GICD_SGIR", gicdSGIR, 4, wordAccess),
		raz("GICD_CPENDSGIR", gicdCPENDSGIR, 0x10, byteAccess|wordAccess),
		raz("GICD_SPENDSGIR", gicdSPENDSGIR, 0x10, byteAccess|wordAccess),
		// GICD_IROUTER<n> is numbered by INTID; n < 32 is reserved and,
		// since the distributor shows no INTID below 32, reads as zero.
		// 32-bit halves serve AArch32 guests.
		{name: "GICD_IROUTER", offset: gicdIROUTER, length: 8 * SPIEnd, width: 8, sizes: wordAccess | doublewordAccess,
			read: readRoute, write: writeRoute, effect: reportRoute},
		{name: "GICD_PIDR/CIDR", offset: identification, length: 4 * uint64(len(identificationValues)), width: 4, sizes: wordAccess,
			read: readIdentification},
	},
)

// redistributorRegisters is one vCPU's RD_base frame.
var redistributorRegisters = []register{
	// No LPIs to enable, nothing to wait for: all of GICR_CTLR reads 0.
	raz("GICR_CTLR", gicrCTLR, 4, wordAccess),
	readOnly("GICR_IIDR", gicrIIDR, iidr),
	{name: "GICR_TYPER", offset: gicrTYPER, length: 8, width: 8, sizes: wordAccess | doublewordAccess,
		read: readRedistributorType},
	raz("GICR_STATUSR", gicrSTATUSR, 4, wordAccess),
	{name: "GICR_WAKER", offset: gicrWAKER, length: 4, width: 4, sizes: wordAccess,
		read: readWaker, write: writeWaker},
	{name: "GICR_PROPBASER", offset: gicrPROPBASER, length: 8, width: 8, sizes: wordAccess | doublewordAccess},
	{name: "GICR_PENDBASER", offset: gicrPENDBASER, length: 8, width: 8, sizes: wordAccess | doublewordAccess},
	{name: "GICR_PIDR/CIDR", offset: identification, length: 4 * uint64(len(identificationValues)), width: 4, sizes: wordAccess,
		read: readIdentification},
}

// sgiRegisters is one vCPU's SGI_base frame.
var sgiRegisters = concat(
	bankedRegisters("GICR_", 1),
	[]register{
		readOnly("GICR_ICFGR0", gicdICFGR, sgiConfig),
		// PPIs are level-sensitive and fixed: the ones a guest sees
		// are the timers', level-sensitive in hardware.
		raz("GICR_ICFGR1", gicdICFGR+4, 4, wordAccess),
		raz("GICR_IGRPMODR0", gicdIGRPMODR, 4, wordAccess),
		raz("GICR_NSACR", gicdNSACR, 4, wordAccess),
	},
)

func concat(parts ...[]register) []register {
	var all []register
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

// find returns the register holding the bytes [offset, offset+size).
// found is false for a reserved offset; straddles is set when the access
// covers part of a register without starting inside it.
func find(table []register, offset, size uint64) (r *register, found, straddles bool) {
	last := offset + size - 1
	for i := range table {
		t := &table[i]
		switch {
		case offset >= t.offset && offset < t.offset+t.length:
			return t, true, false
		case last >= t.offset && last < t.offset+t.length:
			straddles = true
		}
	}
	return nil, false, straddles
}

// The bit arrays of a bank.
func groupBits(b *bank) []atomic.Uint32   { return b.group }
func enabledBits(b *bank) []atomic.Uint32 { return b.enabled }
func pendingBits(b *bank) []atomic.Uint32 { return b.pending }
func activeBits(b *bank) []atomic.Uint32  { return b.active }

// readBits reads a word of one-bit-per-INTID state; what the guest may
// not see reads as zero.
func readBits(field func(*bank) []atomic.Uint32) func(*VGIC, *bank, uint32) uint64 {
	return func(_ *VGIC, b *bank, index uint32) uint64 {
		return uint64(field(b)[index].Load() & b.visible[index])
	}
}

// setBits serves a set register (ISENABLER, ISPENDR, ISACTIVER): ones
// set, zeros do nothing.
func setBits(field func(*bank) []atomic.Uint32) func(*VGIC, *bank, uint32, uint64, uint64) uint32 {
	return func(_ *VGIC, b *bank, index uint32, value, lanes uint64) uint32 {
		mask := uint32(value&lanes) & b.visible[index]
		old := field(b)[index].Or(mask)
		return mask &^ old
	}
}

// clearBits serves a clear register (ICENABLER, ICPENDR, ICACTIVER).
func clearBits(field func(*bank) []atomic.Uint32) func(*VGIC, *bank, uint32, uint64, uint64) uint32 {
	return func(_ *VGIC, b *bank, index uint32, value, lanes uint64) uint32 {
		mask := uint32(value&lanes) & b.visible[index]
		old := field(b)[index].And(^mask)
		return old & mask
	}
}

// writeGroup stores IGROUPR. Groups change only under the lock, so a
// load and a store suffice. A group change has no hook: the firmware
// reads the group (InGroup1) when it fills a list register.
func writeGroup(_ *VGIC, b *bank, index uint32, value, lanes uint64) uint32 {
	writable := uint32(lanes) & b.visible[index]
	old := b.group[index].Load()
	b.group[index].Store(old&^writable | uint32(value)&writable)
	return 0
}

func reportEnable(enabled bool) func(*VGIC, *bank, uint32, uint32) {
	return func(g *VGIC, b *bank, index uint32, changed uint32) {
		for rest := changed; rest != 0; rest &= rest - 1 {
			intid := index*32 + uint32(bits.TrailingZeros32(rest))
			g.hooks.EnableChanged(g.owner(b, intid), intid, enabled)
		}
	}
}

func reportPending(pending bool) func(*VGIC, *bank, uint32, uint32) {
	return func(g *VGIC, b *bank, index uint32, changed uint32) {
		for rest := changed; rest != 0; rest &= rest - 1 {
			intid := index*32 + uint32(bits.TrailingZeros32(rest))
			g.hooks.PendingChanged(g.owner(b, intid), intid, pending)
		}
	}
}

func reportActive(active bool) func(*VGIC, *bank, uint32, uint32) {
	return func(g *VGIC, b *bank, index uint32, changed uint32) {
		for rest := changed; rest != 0; rest &= rest - 1 {
			intid := index*32 + uint32(bits.TrailingZeros32(rest))
			g.hooks.ActiveChanged(g.owner(b, intid), intid, active)
		}
	}
}

// visibleRun returns the visibility bits of count INTIDs from first, all
// in one word of the bank.
func (b *bank) visibleRun(first, count uint32) uint32 {
	return b.visible[first/32] >> (first % 32) & (1<<count - 1)
}

// byteLanes turns four INTID bits into a mask of their priority bytes.
func byteLanes(intids uint32) uint32 {
	var m uint32
	for i := range 4 {
		if intids&(1<<i) != 0 {
			m |= 0xff << (8 * i)
		}
	}
	return m
}

// readPriority reads IPRIORITYR<index>: the priorities of INTIDs 4*index
// to 4*index+3. All eight bits are kept; the virtual CPU interface
// ignores the low ones it does not implement (ICH_VTR_EL2.PRIbits).
func readPriority(_ *VGIC, b *bank, index uint32) uint64 {
	return uint64(b.priority[index].Load() & byteLanes(b.visibleRun(4*index, 4)))
}

func writePriority(_ *VGIC, b *bank, index uint32, value, lanes uint64) uint32 {
	writable := uint32(lanes) & byteLanes(b.visibleRun(4*index, 4))
	old := b.priority[index].Load()
	now := old&^writable | uint32(value)&writable
	b.priority[index].Store(now)
	var changed uint32
	for i := range 4 {
		if (old^now)>>(8*i)&0xff != 0 {
			changed |= 1 << i
		}
	}
	return changed
}

func reportPriority(g *VGIC, b *bank, index uint32, changed uint32) {
	word := b.priority[index].Load()
	for rest := changed; rest != 0; rest &= rest - 1 {
		i := bits.TrailingZeros32(rest)
		intid := 4*index + uint32(i)
		g.hooks.PriorityChanged(g.owner(b, intid), intid, uint8(word>>(8*i)))
	}
}

// edgeBits turns sixteen INTID bits into a mask of their Int_config[1]
// bits in a GICD_ICFGR word.
func edgeBits(intids uint32) uint32 {
	var m uint32
	for i := range 16 {
		if intids&(1<<i) != 0 {
			m |= icfgrEdge << (2 * i)
		}
	}
	return m
}

// readConfig reads GICD_ICFGR<index>: INTIDs 16*index to 16*index+15.
func readConfig(g *VGIC, b *bank, index uint32) uint64 {
	return uint64(g.state.dist.config[index].Load() & edgeBits(b.visibleRun(16*index, 16)))
}

func writeConfig(g *VGIC, b *bank, index uint32, value, lanes uint64) uint32 {
	config := &g.state.dist.config[index]
	writable := uint32(lanes) & edgeBits(b.visibleRun(16*index, 16))
	old := config.Load()
	now := old&^writable | uint32(value)&writable
	config.Store(now)
	var changed uint32
	for i := range 16 {
		if (old^now)>>(2*i)&icfgrEdge != 0 {
			changed |= 1 << i
		}
	}
	return changed
}

func reportTrigger(g *VGIC, _ *bank, index uint32, changed uint32) {
	word := g.state.dist.config[index].Load()
	for rest := changed; rest != 0; rest &= rest - 1 {
		i := bits.TrailingZeros32(rest)
		g.hooks.TriggerChanged(16*index+uint32(i), word>>(2*i)&icfgrEdge != 0)
	}
}

// readRoute reads GICD_IROUTER<index>, index being the SPI's INTID.
func readRoute(g *VGIC, b *bank, intid uint32) uint64 {
	if intid < privateINTIDs || b.visibleRun(intid, 1) == 0 {
		return 0
	}
	return uint64(g.state.dist.route[intid-privateINTIDs].Load())
}

// writeRoute stores the affinity of an SPI. It reports a change only
// when the vCPU the SPI reaches changed: rewriting the same target, or
// moving between two affinities that name no vCPU, needs no hardware.
func writeRoute(g *VGIC, b *bank, intid uint32, value, lanes uint64) uint32 {
	if intid < privateINTIDs || b.visibleRun(intid, 1) == 0 {
		return 0
	}
	route := &g.state.dist.route[intid-privateINTIDs]
	writable := uint32(lanes & routeAffinity)
	old := route.Load()
	now := old&^writable | uint32(value)&writable
	route.Store(now)
	if g.vcpuOfAffinity(old) == g.vcpuOfAffinity(now) {
		return 0
	}
	return 1
}

func reportRoute(g *VGIC, _ *bank, intid uint32, _ uint32) {
	g.hooks.RouteChanged(intid, g.TargetVCPU(intid))
}

func readDistributorControl(g *VGIC, _ *bank, _ uint32) uint64 {
	return uint64(g.state.dist.ctlr.Load() | ctlrARE | ctlrDS)
}

func writeDistributorControl(g *VGIC, _ *bank, _ uint32, value, lanes uint64) uint32 {
	old := g.state.dist.ctlr.Swap(uint32(value&lanes) & ctlrEnables)
	return old ^ uint32(value&lanes)&ctlrEnables
}

func reportDistributorEnable(g *VGIC, _ *bank, _ uint32, _ uint32) {
	ctlr := g.state.dist.ctlr.Load()
	g.hooks.DistributorEnableChanged(ctlr&ctlrEnableGrp0 != 0, ctlr&ctlrEnableGrp1 != 0)
}

func readIdentification(_ *VGIC, _ *bank, index uint32) uint64 {
	return uint64(identificationValues[index])
}

// readRedistributorType reads GICR_TYPER of the bank's vCPU: its affinity
// 0.0.0.vcpu as the vCPU's MPIDR_EL1 has it, Processor_Number the vCPU
// number, and Last on the partition's last vCPU, where Linux stops
// looking for redistributors.
func readRedistributorType(g *VGIC, b *bank, _ uint32) uint64 {
	typer := uint64(b.vcpu)<<rtyperAffinityShift | uint64(b.vcpu)<<rtyperProcessorNumberShift
	if b.vcpu == g.vcpus-1 {
		typer |= rtyperLast
	}
	return typer
}

func readWaker(g *VGIC, b *bank, _ uint32) uint64 {
	if g.state.redist[b.vcpu].asleep.Load() != 0 {
		return wakerProcessorSleep | wakerChildrenAsleep
	}
	return 0
}

func writeWaker(g *VGIC, b *bank, _ uint32, value, lanes uint64) uint32 {
	var asleep uint32
	if value&lanes&wakerProcessorSleep != 0 {
		asleep = 1
	}
	g.state.redist[b.vcpu].asleep.Store(asleep)
	return 0
}
