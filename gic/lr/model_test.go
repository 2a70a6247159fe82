//go:build !tamago

package lr

import (
	"fmt"
	"strings"
)

// vcpuModel is a core's virtual CPU interface with a guest on it, as far
// as the hypervisor can tell: the control registers hold what was written,
// ICH_ELRSR_EL2 and ICH_MISR_EL2 follow from the list registers as the
// architecture defines them, and the guest acknowledges and deactivates
// interrupts in the list registers.
//
// It notes what the architecture calls UNDEFINED or UNPREDICTABLE: access
// to a list register the CPU interface does not implement, two list
// registers valid with the same vINTID, a hardware-linked interrupt
// pending and active.
type vcpuModel struct {
	numLRs int
	vtr    uint64
	lrs    [MaxLRs]LR
	hcr    uint64
	vmcr   uint64
	ap0r   [maxAPRs]uint64
	ap1r   [maxAPRs]uint64

	// deactivated lists the physical INTIDs the guest deactivated through
	// hardware-linked list registers.
	deactivated []uint32
	violations  []string
}

// newVCPUModel returns a CPU interface with numLRs list registers and 5
// preemption and priority bits (ICH_VTR_EL2 as a Cortex-A53's).
func newVCPUModel(numLRs int) *vcpuModel {
	return &vcpuModel{numLRs: numLRs, vtr: 0b100<<29 | 0b100<<26 | uint64(numLRs-1)}
}

func (m *vcpuModel) violate(format string, args ...any) {
	m.violations = append(m.violations, fmt.Sprintf(format, args...))
}

func (m *vcpuModel) ReadLR(n int) LR {
	if n >= m.numLRs {
		m.violate("read of ICH_LR%d_EL2, not implemented", n)
		return 0
	}
	return m.lrs[n]
}

func (m *vcpuModel) WriteLR(n int, v LR) {
	if n >= m.numLRs {
		m.violate("write of ICH_LR%d_EL2, not implemented", n)
		return
	}
	if v.HW() && v.State() == PendingActive {
		m.violate("ICH_LR%d_EL2 hardware-linked and pending and active: %v", n, v)
	}
	for other := range m.numLRs {
		if other != n && v.State() != Invalid && m.lrs[other].State() != Invalid &&
			m.lrs[other].VINTID() == v.VINTID() {
			m.violate("ICH_LR%d_EL2 and ICH_LR%d_EL2 both hold vINTID %d", n, other, v.VINTID())
		}
	}
	m.lrs[n] = v
}

func (m *vcpuModel) ReadHCR() uint64           { return m.hcr }
func (m *vcpuModel) WriteHCR(v uint64)         { m.hcr = v }
func (m *vcpuModel) ReadVTR() uint64           { return m.vtr }
func (m *vcpuModel) WriteVMCR(v uint64)        { m.vmcr = v }
func (m *vcpuModel) WriteAP0R(n int, v uint64) { m.ap0r[n] = v }
func (m *vcpuModel) WriteAP1R(n int, v uint64) { m.ap1r[n] = v }

// ReadELRSR: a list register is empty when its state is invalid (the
// hypervisor never asks for an end-of-interrupt maintenance interrupt).
func (m *vcpuModel) ReadELRSR() uint64 {
	var empty uint64
	for n := range m.numLRs {
		if m.lrs[n].State() == Invalid {
			empty |= 1 << n
		}
	}
	return empty
}

// ReadMISR: underflow is asserted while ICH_HCR_EL2.UIE is set and at most
// one list register holds a valid interrupt.
func (m *vcpuModel) ReadMISR() uint64 {
	valid := 0
	for n := range m.numLRs {
		if m.lrs[n].State() != Invalid {
			valid++
		}
	}
	if m.hcr&hcrUIE != 0 && valid <= 1 {
		return misrU
	}
	return 0
}

// acknowledge is the guest reading ICC_IAR1_EL1: the most urgent pending
// interrupt, the lowest list register of equals, becomes active; 1023
// when none is pending.
func (m *vcpuModel) acknowledge() uint32 {
	best := -1
	for n := range m.numLRs {
		if m.lrs[n].State() == Pending && (best < 0 || m.lrs[n].Priority() < m.lrs[best].Priority()) {
			best = n
		}
	}
	if best < 0 {
		return 1023
	}
	m.lrs[best] = m.lrs[best].WithState(Active)
	return m.lrs[best].VINTID()
}

// deactivate is the guest's ICC_EOIR1_EL1 write with EOImode 0: vintid
// is no longer active, and a hardware-linked one's physical interrupt is
// deactivated with it.
func (m *vcpuModel) deactivate(vintid uint32) {
	for n := range m.numLRs {
		l := m.lrs[n]
		if l.VINTID() != vintid || l.State()&Active == 0 {
			continue
		}
		m.lrs[n] = l.WithState(l.State() &^ Active)
		if l.HW() {
			m.deactivated = append(m.deactivated, l.PINTID())
		}
		return
	}
	m.violate("guest deactivated vINTID %d, which no list register holds active", vintid)
}

// listRegisters renders the list registers as "33P 40hA - -": each holds
// its vINTID, h when hardware-linked, and P, A or PA; "-" when invalid.
func (m *vcpuModel) listRegisters() string {
	return renderLRs(m.lrs[:m.numLRs])
}

func renderLRs(lrs []LR) string {
	var b strings.Builder
	for n, l := range lrs {
		if n > 0 {
			b.WriteByte(' ')
		}
		if l.State() == Invalid {
			b.WriteByte('-')
			continue
		}
		fmt.Fprint(&b, l.VINTID())
		if l.HW() {
			b.WriteByte('h')
		}
		b.WriteString(map[State]string{Pending: "P", Active: "A", PendingActive: "PA"}[l.State()])
	}
	return b.String()
}

// renderQueue renders c's queue in order as "37 38".
func renderQueue(c *CPUInterface) string {
	var b strings.Builder
	for q, v := range c.queue[:c.queued] {
		if q > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprint(&b, v.VINTID)
	}
	return b.String()
}
