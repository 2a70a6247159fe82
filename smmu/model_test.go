//go:build !tamago

package smmu

import (
	"fmt"
	"slices"

	"github.com/tamavisor/tamavisor/driver/mmio"
)

// regNames names the registers the driver writes, for the write log.
var regNames = map[uint64]string{
	regCR0: "CR0", regCR1: "CR1", regCR2: "CR2", regGBPA: "GBPA",
	regIRQCtrl: "IRQ_CTRL", regGErrorN: "GERRORN", regGErrorIRQCfg0: "GERROR_IRQ_CFG0",
	regStrtabBase: "STRTAB_BASE", regStrtabBaseCfg: "STRTAB_BASE_CFG",
	regCmdqBase: "CMDQ_BASE", regCmdqProd: "CMDQ_PROD", regCmdqCons: "CMDQ_CONS",
	regEventqBase: "EVENTQ_BASE", regEventqIRQCfg0: "EVENTQ_IRQ_CFG0",
	regEventqProd: "EVENTQ_PROD", regEventqCons: "EVENTQ_CONS",
}

// wide are the 64-bit registers; the host's mmio writes them as two
// 32-bit halves, low first, which the model joins.
var wide = map[uint64]bool{
	regGErrorIRQCfg0: true, regStrtabBase: true, regCmdqBase: true,
	regEventqBase: true, regEventqIRQCfg0: true,
}

// smmuModel is an SMMUv3 as the driver sees it through mmio and its
// memory:
//
//   - the ID registers read as configured;
//   - SMMU_CR0ACK and SMMU_IRQ_CTRLACK follow their register ackReads
//     reads after a write (never with ackStuck), SMMU_GBPA.Update clears
//     updateReads reads after a write that sets it (never with
//     gbpaStuck);
//   - with the command queue enabled, each read of SMMU_CMDQ_CONS
//     consumes one command up to SMMU_CMDQ_PROD (none with consumeStuck):
//     CMD_CFGI_STE and CMD_CFGI_ALL copy the stream table's entries into
//     the model's cache, as a real SMMU may cache them; an opcode in
//     refuse raises SMMU_GERROR.CMDQ_ERR with CERROR_ILL and stops
//     consumption until the error is acknowledged;
//   - record puts an event in the event queue, or notes an overflow.
//
// It checks what a real SMMU would not forgive, in violations: a base or
// table register written while its queue or translation is enabled, a
// GBPA write while an update is pending, commands and stream table
// entries handed to the SMMU before a barrier made them visible, and an
// entry of a live stream table changed in its word 0 and its other words
// without a barrier in between.
type smmuModel struct {
	base             uint64
	idr0, idr1, idr5 uint32

	regs   map[uint64]uint32 // everything without behaviour of its own
	low    map[uint64]uint32 // first halves of 64-bit writes
	wide   map[uint64]uint64 // 64-bit registers
	log    []string
	noLog  bool
	ackNow uint32 // what SMMU_CR0ACK reads

	ackReads, ackLeft       int
	ackStuck                bool
	irqAck                  uint32
	irqAckLeft              int
	updateReads, updateLeft int
	gbpaStuck               bool
	gbpa                    uint32

	gerror  uint32
	cmdProd uint32
	cmdCons uint32 // with ERR in bits [30:24]

	consumeStuck bool
	refuse       map[Opcode]bool
	executed     []Command

	evProd, evCons uint32
	flood          Event // when set, every event taken is replaced by this one

	// The driver's memory, which the model reads and writes as the
	// SMMU does.
	streams  []STE
	commands []Command
	events   []Event

	// What the last barrier made visible, and what the SMMU cached.
	visibleStreams  []STE
	visibleCommands []Command
	cached          []STE

	violations []string
}

func newModel(s *SMMU) *smmuModel {
	m := &smmuModel{
		base: s.Base,
		// QEMU 10.0's arm-smmuv3 with stage=2: S2P, AArch64 tables,
		// coherent, ASID16, VMID16, little-endian, no stalls,
		// terminate model, two-level stream tables.
		idr0:        1<<0 | 0b10<<2 | 1<<4 | 1<<12 | 1<<18 | 0b10<<21 | 0b01<<24 | 1<<26 | 0b01<<27,
		idr1:        19<<21 | 19<<16 | 16,   // CMDQS 19, EVENTQS 19, SIDSIZE 16
		idr5:        1<<6 | 1<<5 | 1<<4 | 4, // 64K, 16K, 4K granules; OAS 44 bits
		regs:        map[uint64]uint32{},
		low:         map[uint64]uint32{},
		wide:        map[uint64]uint64{},
		ackReads:    2,
		updateReads: 2,
		gbpa:        0x1000, // SHCFG use incoming, as reset
		refuse:      map[Opcode]bool{},
		streams:     s.Streams.Entries,
		commands:    s.Commands.Entries,
		events:      s.Events.Entries,
	}
	m.visibleStreams = slices.Clone(m.streams)
	m.visibleCommands = slices.Clone(m.commands)
	m.cached = slices.Clone(m.streams)
	return m
}

// install makes the model the SMMU the driver reaches, and returns a
// function that removes it.
func (m *smmuModel) install() func() {
	restore := mmio.SetBus(m)
	dataSyncHook = m.barrier
	return func() {
		dataSyncHook = nil
		restore()
	}
}

func (m *smmuModel) violate(format string, args ...any) {
	m.violations = append(m.violations, fmt.Sprintf(format, args...))
}

func (m *smmuModel) note(format string, v uint64) {
	if !m.noLog {
		m.log = append(m.log, fmt.Sprintf(format, v))
	}
}

func (m *smmuModel) enabled(bits uint32) bool { return m.ackNow&bits != 0 }

func (m *smmuModel) Read32(addr uint64) uint32 {
	switch off := m.offset(addr); off {
	case regIDR0:
		return m.idr0
	case regIDR1:
		return m.idr1
	case regIDR5:
		return m.idr5
	case regCR0ACK:
		if m.ackLeft > 0 {
			m.ackLeft--
		} else if !m.ackStuck {
			m.acknowledge()
		}
		return m.ackNow
	case regIRQCtrlAck:
		if m.irqAckLeft > 0 {
			m.irqAckLeft--
		} else if !m.ackStuck {
			m.irqAck = m.regs[regIRQCtrl]
		}
		return m.irqAck
	case regGBPA:
		if m.updateLeft > 0 {
			m.updateLeft--
			return m.gbpa | gbpaUpdate
		}
		if m.gbpaStuck {
			return m.gbpa | gbpaUpdate
		}
		return m.gbpa
	case regGError:
		return m.gerror
	case regCmdqProd:
		return m.cmdProd
	case regCmdqCons:
		m.consume()
		return m.cmdCons
	case regEventqProd:
		return m.evProd
	case regEventqCons:
		return m.evCons
	default:
		return m.regs[off]
	}
}

func (m *smmuModel) Write32(addr uint64, v uint32) {
	off := m.offset(addr)
	if wide[off-4] {
		full := uint64(v)<<32 | uint64(m.low[off-4])
		m.write64(off-4, full)
		return
	}
	if wide[off] {
		m.low[off] = v
		return
	}
	name, known := regNames[off]
	if !known {
		m.violate("write of %#x to %#x, a register the driver has no business with", v, off)
		return
	}
	m.note(name+"<-%#x", uint64(v))
	switch off {
	case regCR0:
		m.regs[off] = v
		m.ackLeft = m.ackReads
		if v&cr0SMMUEN != 0 && m.ackNow&cr0SMMUEN == 0 {
			m.cached = slices.Clone(m.streams) // the SMMU starts with what is in memory
		}
	case regIRQCtrl:
		m.regs[off] = v
		m.irqAckLeft = m.ackReads
	case regGBPA:
		if m.updateLeft > 0 || m.gbpaStuck {
			m.violate("GBPA written while an update was pending")
		}
		if v&gbpaUpdate != 0 {
			m.gbpa = v &^ gbpaUpdate
			m.updateLeft = m.updateReads
		}
	case regStrtabBaseCfg:
		if m.enabled(cr0SMMUEN) {
			m.violate("STRTAB_BASE_CFG written with translation enabled")
		}
		m.regs[off] = v
	case regCmdqProd:
		m.publishCommands(v)
	case regCmdqCons:
		if m.enabled(cr0CmdQEN) {
			m.violate("CMDQ_CONS written with the command queue enabled")
		}
		m.cmdCons = v
	case regEventqProd:
		if m.enabled(cr0EventQEN) {
			m.violate("EVENTQ_PROD written with the event queue enabled")
		}
		m.evProd = v
	case regEventqCons:
		m.evCons = v
		if m.flood != (Event{}) {
			m.record(m.flood)
		}
	default:
		m.regs[off] = v
	}
}

func (m *smmuModel) write64(off, v uint64) {
	m.note(regNames[off]+"<-%#x", v)
	switch {
	case off == regStrtabBase && m.enabled(cr0SMMUEN),
		off == regCmdqBase && m.enabled(cr0CmdQEN),
		off == regEventqBase && m.enabled(cr0EventQEN):
		m.violate("%s written while in use", regNames[off])
	}
	m.wide[off] = v
}

func (m *smmuModel) offset(addr uint64) uint64 {
	if addr < m.base || addr >= m.base+0x2_0000 || addr%4 != 0 {
		panic(fmt.Sprintf("smmu model: access at %#x, outside the SMMU's two pages at %#x or unaligned", addr, m.base))
	}
	return addr - m.base
}

// acknowledge makes SMMU_CR0ACK show SMMU_CR0.
func (m *smmuModel) acknowledge() {
	cr0 := m.regs[regCR0]
	if cr0&cr0CmdQEN != 0 && m.ackNow&cr0CmdQEN == 0 {
		m.checkQueueBase(regCmdqBase, m.commandsPA(), len(m.commands))
	}
	if cr0&cr0EventQEN != 0 && m.ackNow&cr0EventQEN == 0 {
		m.checkQueueBase(regEventqBase, m.eventsPA(), len(m.events))
	}
	m.ackNow = cr0
}

// The physical addresses the tests place the driver's memory at.
func (m *smmuModel) streamsPA() uint64  { return testStreamsPA }
func (m *smmuModel) commandsPA() uint64 { return testCommandsPA }
func (m *smmuModel) eventsPA() uint64   { return testEventsPA }

func (m *smmuModel) checkQueueBase(reg, pa uint64, n int) {
	want := queueBaseAllocate | pa | uint64(log2(n))
	if m.wide[reg] != want {
		m.violate("%s is %#x when its queue is enabled, not %#x", regNames[reg], m.wide[reg], want)
	}
}

// barrier is the driver's DSB: what the driver wrote before it is now
// visible to the SMMU. In a stream table in use, a barrier interval may
// change an entry's word 0 or its other words, not both, and may change
// the other words only of an entry that aborts.
func (m *smmuModel) barrier() {
	if !m.noLog {
		m.log = append(m.log, "DSB")
	}
	live := m.enabled(cr0SMMUEN)
	for sid := range m.streams {
		now, before := m.streams[sid], m.visibleStreams[sid]
		if !live || now == before {
			continue
		}
		word0 := now[0] != before[0]
		others := [7]uint64(now[1:]) != [7]uint64(before[1:])
		if word0 && others {
			m.violate("stream %#x: word 0 and other words changed without a barrier between", sid)
		}
		if others && (now.Translates() || before.Translates()) {
			m.violate("stream %#x: words of a translating entry changed", sid)
		}
	}
	copy(m.visibleStreams, m.streams)
	copy(m.visibleCommands, m.commands)
}

// publishCommands is a write to SMMU_CMDQ_PROD: the commands it hands
// over, and the stream table they refer to, must be visible.
func (m *smmuModel) publishCommands(prod uint32) {
	q := Queue{Log2Size: uint8(log2(len(m.commands)))}
	for p := m.cmdProd; !q.Empty(p, prod); p = q.Next(p) {
		if m.commands[q.Index(p)] != m.visibleCommands[q.Index(p)] {
			m.violate("command %d handed to the SMMU before a barrier", q.Index(p))
		}
	}
	if !slices.Equal(m.streams, m.visibleStreams) {
		m.violate("commands handed to the SMMU with stream table changes not yet visible")
	}
	m.cmdProd = prod
}

// consume executes one command, as the SMMU does in its own time.
func (m *smmuModel) consume() {
	q := Queue{Log2Size: uint8(log2(len(m.commands)))}
	if !m.enabled(cr0CmdQEN) || m.consumeStuck || q.Empty(m.cmdProd, m.cmdCons) {
		return
	}
	if (m.gerror^m.regs[regGErrorN])&gerrorCmdqErr != 0 {
		return // stopped until the error is acknowledged
	}
	m.cmdCons &= q.wrapMask() // ERR clears when consumption resumes
	c := m.visibleCommands[q.Index(m.cmdCons)]
	if m.refuse[c.Opcode()] {
		m.gerror ^= gerrorCmdqErr
		m.cmdCons |= 1 << cmdqConsErrShift // CERROR_ILL
		m.refuse[c.Opcode()] = false       // retried, it would go through
		return
	}
	m.executed = append(m.executed, c)
	switch c.Opcode() {
	case OpCFGISTE:
		sid := c[0] >> cmdSIDShift
		m.cached[sid] = m.visibleStreams[sid]
	case OpCFGISTERange:
		copy(m.cached, m.visibleStreams)
	}
	m.cmdCons = q.Next(m.cmdCons)
}

// record puts an event in the event queue, as the SMMU does, or drops it
// when the queue is full, toggling SMMU_EVENTQ_PROD.OVFLG unless an
// earlier overflow is not yet acknowledged (IHI 0070, 7.4 "Event queue
// overflow").
func (m *smmuModel) record(e Event) {
	q := Queue{Log2Size: uint8(log2(len(m.events)))}
	if q.Full(m.evProd, m.evCons) {
		if (m.evProd^m.evCons)&eventqOverflow == 0 {
			m.evProd ^= eventqOverflow
		}
		return
	}
	m.events[q.Index(m.evProd)] = e
	m.evProd = q.Next(m.evProd) | m.evProd&eventqOverflow
}
