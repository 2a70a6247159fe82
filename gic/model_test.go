//go:build !tamago

package gic

import "fmt"

// write is one 32-bit register write, at an offset from its frame's base.
type write struct {
	Offset uint64
	Value  uint32
}

func (w write) String() string { return fmt.Sprintf("%#x<-%#x", w.Offset, w.Value) }

// frameModel is a GIC register frame (distributor, or a redistributor's
// RD_base and SGI_base frames) as the driver sees it through mmio:
//
//   - the set/clear banks (enable, pending, active) keep one state that
//     writes of ones to the set register set and to the clear register
//     clear, and both registers read;
//   - a write to the control register or a clear-enable register raises
//     the control register's write-pending bit for rwpReads reads (for
//     ever with rwpStuck); the model notes any write while a control
//     register change is pending, and a control register write while a
//     clear-enable one is: the driver must wait first;
//   - GICR_WAKER.ChildrenAsleep follows ProcessorSleep after wakeReads
//     reads, or never with wakeStuck;
//   - every other register holds what was last written, or its initial
//     value.
//
// Accesses outside the frame or not 4-byte aligned panic.
type frameModel struct {
	base, size uint64
	redist     bool // register layout: redistributor (RD_base+SGI_base) or distributor
	regs       map[uint64]uint32
	banks      map[uint64]uint32 // set/clear state, by set register offset
	writes     []write
	log        bool

	rwpReads, rwpLeft int
	rwpStuck          bool
	wakeReads         int
	wakeStuck         bool
	wakeLeft          int

	ctlrPending    bool // the write pending is the control register's
	writeWhileBusy bool

	// sharedWordAccessed notes an access to a priority or trigger
	// configuration register: words shared with other INTIDs, and so
	// with other partitions.
	sharedWordAccessed bool
}

// checkSharedWords notes an access to a priority or trigger register.
func (m *frameModel) checkSharedWords(off uint64) {
	frame := uint64(0)
	if m.redist {
		frame = sgiBase
	}
	inPriorities := off >= frame+gicdIPRIORITYR && off < frame+gicdIPRIORITYR+0x400
	inTriggers := off >= frame+gicdICFGR && off < frame+gicdICFGR+0x100
	if inPriorities || inTriggers {
		m.sharedWordAccessed = true
	}
}

func newDistributorModel(base uint64, itLinesNumber uint32) *frameModel {
	return &frameModel{base: base, size: 0x1_0000, log: true, rwpReads: 3,
		regs: map[uint64]uint32{gicdTYPER: itLinesNumber}, banks: map[uint64]uint32{}}
}

func newRedistributorModel(base uint64, affinity uint32) *frameModel {
	return &frameModel{base: base, size: 0x2_0000, redist: true, log: true, rwpReads: 2, wakeReads: 2,
		regs: map[uint64]uint32{
			gicrTYPER + 4: affinity,
			gicrWAKER:     wakerProcessorSleep | wakerChildrenAsleep,
		},
		banks: map[uint64]uint32{}}
}

// bank returns, for an offset in a set/clear register pair, the offset of
// the set register that names the pair's state in banks, and whether off
// is the set (true) or the clear register.
func (m *frameModel) bank(off uint64) (setOffset uint64, set, ok bool) {
	frame := uint64(0)
	if m.redist {
		frame = sgiBase
	}
	for _, pair := range [][2]uint64{
		{gicdISENABLER, gicdICENABLER},
		{gicdISPENDR, gicdICPENDR},
		{gicdISACTIVER, gicdICACTIVER},
	} {
		setReg, clearReg := frame+pair[0], frame+pair[1]
		switch {
		case off >= setReg && off < setReg+0x80:
			return off, true, true
		case off >= clearReg && off < clearReg+0x80:
			return setReg + (off - clearReg), false, true
		}
	}
	return 0, false, false
}

func (m *frameModel) ctlr() uint64 { return gicdCTLR } // same offset in both frames

func (m *frameModel) rwpBit() uint32 {
	if m.redist {
		return gicrCTLRRWP
	}
	return ctlrRWP
}

func (m *frameModel) isClearEnable(off uint64) bool {
	if m.redist {
		return off == gicrICENABLER0
	}
	return off >= gicdICENABLER && off < gicdICENABLER+0x80
}

func (m *frameModel) offset(addr uint64) uint64 {
	if addr < m.base || addr-m.base >= m.size || addr%4 != 0 {
		panic(fmt.Sprintf("access at %#x: outside the frame %#x+%#x or unaligned", addr, m.base, m.size))
	}
	return addr - m.base
}

func (m *frameModel) Read32(addr uint64) uint32 {
	off := m.offset(addr)
	m.checkSharedWords(off)
	if setOffset, _, ok := m.bank(off); ok {
		return m.banks[setOffset]
	}
	switch {
	case off == m.ctlr():
		v := m.regs[off] &^ m.rwpBit()
		if m.rwpStuck || m.rwpLeft > 0 {
			v |= m.rwpBit()
			m.rwpLeft--
		}
		return v
	case m.redist && off == gicrWAKER:
		v := m.regs[off]
		if v&wakerProcessorSleep == 0 && v&wakerChildrenAsleep != 0 && !m.wakeStuck {
			if m.wakeLeft == 0 {
				v &^= wakerChildrenAsleep
				m.regs[off] = v
			} else {
				m.wakeLeft--
			}
		}
		return v
	}
	return m.regs[off]
}

func (m *frameModel) Write32(addr uint64, v uint32) {
	off := m.offset(addr)
	m.checkSharedWords(off)
	if m.log {
		m.writes = append(m.writes, write{off, v})
	}
	busy := m.rwpLeft > 0 || m.rwpStuck
	if busy && (m.ctlrPending || off == m.ctlr()) {
		m.writeWhileBusy = true
	}
	if m.isClearEnable(off) {
		m.rwpLeft = m.rwpReads
		m.ctlrPending = false
	}
	if setOffset, set, ok := m.bank(off); ok {
		if set {
			m.banks[setOffset] |= v
		} else {
			m.banks[setOffset] &^= v
		}
		return
	}
	switch {
	case off == m.ctlr():
		m.rwpLeft = m.rwpReads
		m.ctlrPending = true
		m.regs[off] = v &^ m.rwpBit()
	case m.redist && off == gicrWAKER:
		m.regs[off] = m.regs[off]&wakerChildrenAsleep | v&^wakerChildrenAsleep
		m.wakeLeft = m.wakeReads
	default:
		m.regs[off] = v
	}
}

// nullBus reads 0 everywhere and ignores writes: a GIC that is never
// busy, for measuring what the driver alone allocates.
type nullBus struct{}

func (nullBus) Read32(uint64) uint32   { return 0 }
func (nullBus) Write32(uint64, uint32) {}

// sysregAccess is one access to a CPU interface system register.
type sysregAccess struct {
	Write bool
	Reg   SystemRegister
	Value uint64
}

func (a sysregAccess) String() string {
	if a.Write {
		return fmt.Sprintf("%v<-%#x", a.Reg, a.Value)
	}
	return fmt.Sprintf("%v->%#x", a.Reg, a.Value)
}

// cpuInterfaceModel is the CPU interface's system registers: each reads
// what was last written, except ICC_SRE_EL2.SRE, which stays 0 when EL3
// keeps the interface disabled (sreDisabled); ICC_CTLR_EL1, whose
// read-only bits are ctlrReadOnly; and ICC_IAR1_EL1, which returns iar
// in turn and then Spurious.
type cpuInterfaceModel struct {
	regs         [RegSGI1R + 1]uint64
	sreDisabled  bool
	ctlrReadOnly uint64
	iar          []uint64
	log          bool
	accesses     []sysregAccess
}

func (m *cpuInterfaceModel) ReadSystemRegister(r SystemRegister) uint64 {
	v := m.regs[r]
	switch r {
	case RegCTLR:
		v |= m.ctlrReadOnly
	case RegIAR1:
		v = Spurious
		if len(m.iar) > 0 {
			v, m.iar = m.iar[0], m.iar[1:]
		}
	}
	if m.log {
		m.accesses = append(m.accesses, sysregAccess{Reg: r, Value: v})
	}
	return v
}

func (m *cpuInterfaceModel) WriteSystemRegister(r SystemRegister, v uint64) {
	if m.log {
		m.accesses = append(m.accesses, sysregAccess{Write: true, Reg: r, Value: v})
	}
	if r == RegSRE && m.sreDisabled {
		v &^= sreSRE
	}
	m.regs[r] = v
}
