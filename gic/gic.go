// Package gic drives the physical GICv3 interrupt controller from EL2: the
// distributor that all cores share, each core's redistributor, and the
// core's CPU interface system registers (ICC_*). The virtual side lives in
// the subpackages: gic/lr (list registers, the virtual CPU interface) and
// gic/vgic (the distributor and redistributors guests see).
//
// Interrupts are group 1 non-secure, routed by affinity (GICD_CTLR.ARE_NS),
// and taken with ICC_CTLR_EL1.EOImode = 1: the hypervisor's end of
// interrupt only drops the running priority, and deactivation is separate,
// so a guest's deactivation of a hardware-linked virtual interrupt
// deactivates the physical one without a trap.
//
// Register accesses go through driver/mmio (memory-mapped frames) and a
// small set of system register functions (assembly on the target, a
// simulated register file in host tests). Operations used on trap paths
// (Acknowledge, EndOfInterrupt, Deactivate, SendSGI, the SGI1R encoder and
// decoder, and the per-interrupt distributor and redistributor calls)
// allocate nothing and wait only for bounded times.
//
// Reference: Arm Generic Interrupt Controller Architecture Specification,
// GIC architecture version 3 and version 4 (IHI 0069G), cited by section:
// 12.2 ICC_* system registers, 12.8 and 12.9 the distributor, 12.10 and
// 12.11 the redistributor.
package gic

import (
	"errors"

	"github.com/tamavisor/tamavisor/driver/mmio"
)

// INTID ranges (IHI 0069G, chapter 2, "INTIDs").
const (
	FirstSGI = 0  // software-generated interrupts: 0..15
	FirstPPI = 16 // private peripheral interrupts: 16..31
	FirstSPI = 32 // shared peripheral interrupts: 32..1019
	// SpecialINTIDs start at 1020; none is a real interrupt.
	SpecialINTIDs = 1020
	// Spurious is the INTID ICC_IAR1_EL1 returns when no interrupt is
	// pending for the core.
	Spurious = 1023
)

// DefaultPriority is the priority every interrupt gets at initialization:
// the middle of the non-secure range, which leaves more urgent values for
// interrupts that must preempt it and lets a priority mask hold it back
// (IHI 0069G, chapter 4, "Interrupt prioritization": with two security
// states, non-secure writes land in 0x80..0xff).
const DefaultPriority uint8 = 0xa0

// pollLimit bounds every wait for the GIC (register write pending, wake
// up): about a million reads of a device register, a tenth of a second or
// so, far beyond the microseconds these take.
const pollLimit = 1 << 20

// Errors the driver returns. They are fixed values, so returning one
// allocates nothing.
var (
	ErrNotSPI = errors.New("gic: INTID is not a shared peripheral interrupt this distributor implements " +
		"(32 up to 32+SPIs-1)")
	ErrNotSGI     = errors.New("gic: INTID is not a software-generated interrupt (0..15)")
	ErrNotPPI     = errors.New("gic: INTID is not a private peripheral interrupt (16..31)")
	ErrNotPrivate = errors.New("gic: INTID is not a software-generated or private peripheral interrupt (0..31)")

	ErrDistributorBusy = errors.New("gic: GICD_CTLR.RWP stayed set: the distributor did not complete " +
		"a register write")
	ErrRedistributorBusy = errors.New("gic: GICR_CTLR.RWP stayed set: the redistributor did not complete " +
		"a register write")
	ErrRedistributorAsleep = errors.New("gic: GICR_WAKER.ChildrenAsleep stayed set after ProcessorSleep " +
		"was cleared: the redistributor did not wake up")

	ErrSystemRegistersDisabled = errors.New("gic: ICC_SRE_EL2.SRE reads 0 after being set: the GIC system " +
		"register interface is disabled at EL3 (ICC_SRE_EL3.Enable); the platform firmware must enable it")
	ErrSGITargetUnreachable = errors.New("gic: this CPU interface cannot send an SGI to that core: its Aff0 " +
		"is 16 or more and ICC_CTLR_EL1.RSS is 0, or its Aff3 is not 0 and ICC_CTLR_EL1.A3V is 0")
)

// waitClear polls the 32-bit register at addr until mask is clear, at most
// pollLimit times. It reports whether mask cleared.
func waitClear(addr uint64, mask uint32) bool {
	for range pollLimit {
		if mmio.Read32(addr)&mask == 0 {
			return true
		}
	}
	return false
}
