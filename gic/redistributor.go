package gic

import (
	"fmt"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/driver/mmio"
)

// Redistributor register offsets (IHI 0069G, 12.10 "The GIC Redistributor
// register map"; descriptions in 12.11). Each core's redistributor has two
// 64 KiB frames: RD_base for control, SGI_base for its SGIs and PPIs.
const (
	gicrCTLR  = 0x0000
	gicrTYPER = 0x0008
	gicrWAKER = 0x0014

	sgiBase         = 0x1_0000
	gicrIGROUPR0    = sgiBase + 0x0080
	gicrISENABLER0  = sgiBase + 0x0100
	gicrICENABLER0  = sgiBase + 0x0180
	gicrICPENDR0    = sgiBase + 0x0280
	gicrICACTIVER0  = sgiBase + 0x0380
	gicrIPRIORITYR0 = sgiBase + 0x0400
)

const (
	gicrCTLRRWP = 1 << 3 // register write pending (12.11, GICR_CTLR)

	// GICR_WAKER (12.11): the core clears ProcessorSleep to say it is
	// awake, and the redistributor clears ChildrenAsleep once it is.
	wakerProcessorSleep = 1 << 1
	wakerChildrenAsleep = 1 << 2

	// GICR_TYPER.Affinity_Value, bits [63:32]: Aff3.Aff2.Aff1.Aff0 of the
	// core this redistributor serves (12.11, GICR_TYPER).
	typerAffinityShift = 32
)

// Redistributor is one core's redistributor, its RD_base frame at Base.
// Only that core programs it, so its operations need no coordination.
type Redistributor struct {
	Base uint64
}

// RedistributorOf returns the redistributor of core index cpu on a board.
func RedistributorOf(g board.GIC, cpu int) Redistributor {
	return Redistributor{Base: g.RedistFrame(cpu).Base}
}

// Init checks that the redistributor serves the core whose MPIDR_EL1 is
// mpidr, wakes it up, and puts its SGIs and PPIs in group 1 non-secure,
// disabled, not pending, not active and of DefaultPriority. It touches
// nothing when the redistributor belongs to another core.
func (r *Redistributor) Init(mpidr uint64) error {
	want := gicrAffinity(mpidr)
	if got := uint32(mmio.Read64(r.Base+gicrTYPER) >> typerAffinityShift); got != want {
		return fmt.Errorf("gic: the redistributor at %#x serves the core with affinity %s, not this core (%s); "+
			"correct GIC.Redist and GIC.RedistStride in the board description",
			r.Base, affinityString(got), affinityString(want))
	}
	if err := r.Wake(); err != nil {
		return err
	}
	mmio.Write32(r.Base+gicrIGROUPR0, allBits)
	mmio.Write32(r.Base+gicrICENABLER0, allBits)
	mmio.Write32(r.Base+gicrICPENDR0, allBits)
	mmio.Write32(r.Base+gicrICACTIVER0, allBits)
	priorities := repeatByte(DefaultPriority)
	for intid := uint64(0); intid < FirstSPI; intid += 4 {
		mmio.Write32(r.Base+gicrIPRIORITYR0+intid, priorities)
	}
	return r.waitForWrite()
}

// Wake tells the redistributor its core is awake (GICR_WAKER.ProcessorSleep
// = 0) and waits, for a bounded time, until it reports the interface to the
// core awake too (ChildrenAsleep = 0); only then does it forward interrupts.
func (r *Redistributor) Wake() error {
	waker := mmio.Read32(r.Base + gicrWAKER)
	mmio.Write32(r.Base+gicrWAKER, waker&^wakerProcessorSleep)
	if !waitClear(r.Base+gicrWAKER, wakerChildrenAsleep) {
		return ErrRedistributorAsleep
	}
	return nil
}

// EnableSGI lets the redistributor signal SGI intid to its core.
func (r *Redistributor) EnableSGI(intid uint32) error {
	if intid >= FirstPPI {
		return ErrNotSGI
	}
	mmio.Write32(r.Base+gicrISENABLER0, bit(intid))
	return nil
}

// EnablePPI lets the redistributor signal PPI intid to its core.
func (r *Redistributor) EnablePPI(intid uint32) error {
	if !isPPI(intid) {
		return ErrNotPPI
	}
	mmio.Write32(r.Base+gicrISENABLER0, bit(intid))
	return nil
}

// DisableSGI stops SGI intid, and returns once the redistributor has
// applied the change (GICR_CTLR.RWP).
func (r *Redistributor) DisableSGI(intid uint32) error {
	if intid >= FirstPPI {
		return ErrNotSGI
	}
	mmio.Write32(r.Base+gicrICENABLER0, bit(intid))
	return r.waitForWrite()
}

// DisablePPI stops PPI intid, and returns once the redistributor has
// applied the change (GICR_CTLR.RWP).
func (r *Redistributor) DisablePPI(intid uint32) error {
	if !isPPI(intid) {
		return ErrNotPPI
	}
	mmio.Write32(r.Base+gicrICENABLER0, bit(intid))
	return r.waitForWrite()
}

// SetPriority sets the priority of SGI or PPI intid; lower values are more
// urgent.
func (r *Redistributor) SetPriority(intid uint32, priority uint8) error {
	if intid >= FirstSPI {
		return ErrNotPrivate
	}
	setPriorityByte(r.Base+gicrIPRIORITYR0, intid, priority)
	return nil
}

// Deactivate clears the active state of SGI or PPI intid: the cleanup for
// a hardware-linked PPI (the guest's virtual timer) whose guest stopped.
func (r *Redistributor) Deactivate(intid uint32) error {
	if intid >= FirstSPI {
		return ErrNotPrivate
	}
	mmio.Write32(r.Base+gicrICACTIVER0, bit(intid))
	return nil
}

// waitForWrite waits until the redistributor has applied the previous
// writes to GICR_ICENABLER0 (12.11, GICR_CTLR.RWP).
func (r *Redistributor) waitForWrite() error {
	if !waitClear(r.Base+gicrCTLR, gicrCTLRRWP) {
		return ErrRedistributorBusy
	}
	return nil
}

func isPPI(intid uint32) bool { return intid >= FirstPPI && intid < FirstSPI }

// gicrAffinity packs MPIDR_EL1's affinity as GICR_TYPER.Affinity_Value
// does: Aff3 (MPIDR bits [39:32]) in the top byte, Aff2..Aff0 below.
func gicrAffinity(mpidr uint64) uint32 {
	return uint32(mpidr>>32&0xff)<<24 | uint32(mpidr&0xff_ffff)
}

// affinityString formats a GICR_TYPER.Affinity_Value as Aff3.Aff2.Aff1.Aff0.
func affinityString(a uint32) string {
	return fmt.Sprintf("%d.%d.%d.%d", a>>24, a>>16&0xff, a>>8&0xff, a&0xff)
}
