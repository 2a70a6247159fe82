// Package lr owns a core's GICv3 virtual CPU interface as the hypervisor
// drives it from EL2: the list registers (ICH_LR<n>_EL2) through which
// virtual interrupts reach the guest, the overflow queue for interrupts
// that find every list register busy, the underflow maintenance interrupt
// that drains that queue, and the interface's enable and reset.
//
// Each core runs one vCPU, so a CPUInterface belongs to one core and is
// used by that core only, on its trap path: nothing here allocates or
// waits. Registers are reached through the Hardware interface: on the
// target the ICH_*_EL2 system registers (SystemRegisters, in
// hw_tamago_arm64.go), in host tests a model of them.
//
// Reference: Arm Generic Interrupt Controller Architecture Specification,
// GIC architecture version 3 and version 4 (IHI 0069G), 12.4 "AArch64
// virtualization control System registers", and chapter 6 "Virtual
// interrupt handling and prioritization" for how list registers are used.
package lr

import "fmt"

// LR is an ICH_LR<n>_EL2 value: one virtual interrupt the guest sees.
type LR uint64

// ICH_LR<n>_EL2 fields (IHI 0069G 12.4, ICH_LR<n>_EL2).
const (
	vintidMask       = 0xffff_ffff // vINTID, bits [31:0]
	pintidShift      = 32          // pINTID, bits [44:32], when HW is 1
	pintidMask       = 0x1fff
	priorityShift    = 48 // Priority, bits [55:48]
	lrGroup1      LR = 1 << 60
	lrHW          LR = 1 << 61
	stateShift       = 62 // State, bits [63:62]
)

// State is the state of the interrupt a list register holds.
type State uint8

const (
	Invalid       State = 0b00 // no interrupt: the list register is free
	Pending       State = 0b01
	Active        State = 0b10
	PendingActive State = 0b11
)

func (s State) String() string {
	switch s {
	case Invalid:
		return "invalid"
	case Pending:
		return "pending"
	case Active:
		return "active"
	case PendingActive:
		return "pending and active"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// NewLR encodes a list register value: virtual interrupt vintid with
// priority (lower is more urgent) in group 1 or group 0, in state. With hw
// set it is linked to physical interrupt pintid, whose deactivation the
// guest's deactivation of vintid performs; without, pintid is ignored.
// Fields wider than the register's are truncated (pINTID has 13 bits).
func NewLR(vintid uint32, priority uint8, group1 bool, hw bool, pintid uint32, state State) LR {
	l := LR(vintid) | LR(priority)<<priorityShift | LR(state&0b11)<<stateShift
	if group1 {
		l |= lrGroup1
	}
	if hw {
		l |= lrHW | LR(pintid&pintidMask)<<pintidShift
	}
	return l
}

// VINTID is the virtual INTID the guest acknowledges.
func (l LR) VINTID() uint32 { return uint32(l & vintidMask) }

// Priority is the virtual interrupt's priority. The CPU interface keeps
// only its upper ICH_VTR_EL2.PRIbits+1 bits.
func (l LR) Priority() uint8 { return uint8(l >> priorityShift) }

// Group1 reports a group 1 interrupt (a group 0 one otherwise).
func (l LR) Group1() bool { return l&lrGroup1 != 0 }

// HW reports a virtual interrupt linked to a physical one.
func (l LR) HW() bool { return l&lrHW != 0 }

// PINTID is the physical INTID of a hardware-linked interrupt, and 0
// otherwise (the field then holds other controls).
func (l LR) PINTID() uint32 {
	if !l.HW() {
		return 0
	}
	return uint32(l>>pintidShift) & pintidMask
}

// State is the state of the interrupt.
func (l LR) State() State { return State(l >> stateShift) }

// WithState returns l with its state replaced.
func (l LR) WithState(s State) LR {
	return l&^(LR(0b11)<<stateShift) | LR(s&0b11)<<stateShift
}

// WithPriority returns l with its priority replaced.
func (l LR) WithPriority(priority uint8) LR {
	return l&^(LR(0xff)<<priorityShift) | LR(priority)<<priorityShift
}

func (l LR) String() string {
	if l.HW() {
		return fmt.Sprintf("vINTID %d (pINTID %d) priority %#x %v", l.VINTID(), l.PINTID(), l.Priority(), l.State())
	}
	return fmt.Sprintf("vINTID %d priority %#x %v", l.VINTID(), l.Priority(), l.State())
}
