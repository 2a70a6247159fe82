package gic

import (
	"fmt"

	"github.com/tamavisor/tamavisor/aarch64"
	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/driver/mmio"
)

// Distributor register offsets (IHI 0069G, 12.8 "The GIC Distributor
// register map"; descriptions in 12.9). The banked registers hold one bit
// (two for ICFGR, eight for IPRIORITYR, 64 for IROUTER) per INTID.
const (
	gicdCTLR       = 0x0000
	gicdTYPER      = 0x0004
	gicdIGROUPR    = 0x0080
	gicdISENABLER  = 0x0100
	gicdICENABLER  = 0x0180
	gicdISPENDR    = 0x0200
	gicdICPENDR    = 0x0280
	gicdISACTIVER  = 0x0300
	gicdICACTIVER  = 0x0380
	gicdIPRIORITYR = 0x0400
	gicdICFGR      = 0x0c00
	gicdIROUTER    = 0x6000
)

// GICD_CTLR bits as a non-secure access sees them (12.9, GICD_CTLR). With
// a single security state (GICD_CTLR.DS = 1, QEMU virt without secure=on)
// bit 0 enables group 0 and bit 1 group 1; setting both covers either view.
const (
	ctlrEnableGrp1  = 1 << 0  // non-secure group 1, legacy (ARE_NS = 0) view
	ctlrEnableGrp1A = 1 << 1  // non-secure group 1 with affinity routing
	ctlrARENS       = 1 << 4  // affinity routing enable, non-secure
	ctlrRWP         = 1 << 31 // register write pending
)

// GICD_TYPER.ITLinesNumber, bits [4:0]: the distributor implements INTIDs
// up to 32*(ITLinesNumber+1)-1 (12.9, GICD_TYPER).
const typerITLinesNumberMask = 0x1f

// GICD_ICFGR: the upper bit of each INTID's two-bit field selects edge
// (1) or level (0) triggering (12.9, GICD_ICFGR<n>).
const icfgrEdge = 0b10

// allBits addresses all 32 INTIDs of a set/clear-enable, -pending or
// -active register, or puts them all in group 1.
const allBits = 0xffff_ffff

// Distributor is the GIC distributor frame at Base, which implements SPIs
// shared peripheral interrupts (INTIDs 32..32+SPIs-1).
//
// The distributor is shared by all cores. The boot core calls Init before
// it starts the others. After that, every operation but SetPriority and
// SetEdge writes only the bits of its own INTID (set/clear registers and
// the 64-bit GICD_IROUTER<n>), so different cores may call them at the
// same time, and no lock is needed. SetPriority and SetEdge read, modify
// and write a register shared with neighbouring INTIDs (4 per
// GICD_IPRIORITYR, 16 per GICD_ICFGR), which may belong to other
// partitions: only the boot core calls them, before the others start. A
// passed-through SPI's trigger is its device's, not its guest's to change.
type Distributor struct {
	Base uint64
	SPIs uint32
}

// DistributorOf returns the distributor of a board.
func DistributorOf(g board.GIC) Distributor {
	return Distributor{Base: g.Dist.Base, SPIs: g.SPIs}
}

// Init puts the distributor in the state the hypervisor runs it in: it
// disables forwarding, turns on affinity routing, makes every SPI group 1
// non-secure, disabled, not pending, not active and of DefaultPriority,
// keeps each SPI's trigger configuration as reset or earlier firmware left
// it, and then enables group 1 forwarding. Route and EnableSPI then hand out
// SPIs one by one. Init fails if the distributor implements fewer SPIs than
// the board says, or does not complete a register write.
func (d *Distributor) Init() error {
	typer := mmio.Read32(d.Base + gicdTYPER)
	implemented := 32 * (typer & typerITLinesNumberMask)
	if d.SPIs > implemented || d.SPIs > SpecialINTIDs-FirstSPI {
		return fmt.Errorf("gic: the board's GIC.SPIs is %d, but the distributor at %#x implements %d SPIs "+
			"(GICD_TYPER.ITLinesNumber %d); correct GIC.SPIs in the board description",
			d.SPIs, d.Base, min(implemented, SpecialINTIDs-FirstSPI), typer&typerITLinesNumberMask)
	}

	// Group enables must be clear while ARE_NS changes (12.9, GICD_CTLR):
	// first disable, keeping ARE_NS as it is, then turn affinity routing on.
	ctlr := mmio.Read32(d.Base + gicdCTLR)
	mmio.Write32(d.Base+gicdCTLR, ctlr&ctlrARENS)
	if err := d.waitForWrite(); err != nil {
		return err
	}
	mmio.Write32(d.Base+gicdCTLR, ctlrARENS)
	if err := d.waitForWrite(); err != nil {
		return err
	}

	words := (d.SPIs + 31) / 32
	for w := uint64(1); w <= uint64(words); w++ {
		mmio.Write32(d.Base+gicdIGROUPR+4*w, allBits)
		mmio.Write32(d.Base+gicdICENABLER+4*w, allBits)
		mmio.Write32(d.Base+gicdICPENDR+4*w, allBits)
		mmio.Write32(d.Base+gicdICACTIVER+4*w, allBits)
	}
	priorities := repeatByte(DefaultPriority)
	for intid := uint64(FirstSPI); intid < uint64(FirstSPI+d.SPIs); intid += 4 {
		mmio.Write32(d.Base+gicdIPRIORITYR+intid, priorities)
	}
	// The clear-enable writes are complete only once RWP reads 0.
	if err := d.waitForWrite(); err != nil {
		return err
	}

	mmio.Write32(d.Base+gicdCTLR, ctlrARENS|ctlrEnableGrp1A|ctlrEnableGrp1)
	return d.waitForWrite()
}

// EnableSPI lets the distributor forward intid. Route it first.
func (d *Distributor) EnableSPI(intid uint32) error {
	if !d.isSPI(intid) {
		return ErrNotSPI
	}
	mmio.Write32(d.Base+gicdISENABLER+bitRegister(intid), bit(intid))
	return nil
}

// DisableSPI stops the distributor forwarding intid. It returns once the
// distributor has applied the change (GICD_CTLR.RWP), so the interrupt is no
// longer signalled to any core: an interrupt that was already forwarded may
// still be pending or active at a CPU interface.
func (d *Distributor) DisableSPI(intid uint32) error {
	if !d.isSPI(intid) {
		return ErrNotSPI
	}
	mmio.Write32(d.Base+gicdICENABLER+bitRegister(intid), bit(intid))
	return d.waitForWrite()
}

// SetPriority sets intid's priority; lower values are more urgent. Boot
// core only (see Distributor).
func (d *Distributor) SetPriority(intid uint32, priority uint8) error {
	if !d.isSPI(intid) {
		return ErrNotSPI
	}
	setPriorityByte(d.Base+gicdIPRIORITYR, intid, priority)
	return nil
}

// Route sends intid to the core whose MPIDR_EL1 affinity is mpidr only
// (GICD_IROUTER<n>.Interrupt_Routing_Mode = 0): the affinity fields of
// GICD_IROUTER<n> sit where MPIDR_EL1 has them (12.9, GICD_IROUTER<n>).
func (d *Distributor) Route(intid uint32, mpidr uint64) error {
	if !d.isSPI(intid) {
		return ErrNotSPI
	}
	mmio.Write64(d.Base+gicdIROUTER+8*uint64(intid), aarch64.MPIDR(mpidr).Affinity())
	return nil
}

// SetEdge makes intid edge-triggered (true) or level-sensitive (false).
// Boot core only (see Distributor).
// Disable the interrupt first: whether a change to an enabled interrupt's
// trigger takes effect is UNPREDICTABLE (12.9, GICD_ICFGR<n>).
func (d *Distributor) SetEdge(intid uint32, edge bool) error {
	if !d.isSPI(intid) {
		return ErrNotSPI
	}
	addr := d.Base + gicdICFGR + 4*uint64(intid/16)
	field := uint32(icfgrEdge) << (2 * (intid % 16))
	v := mmio.Read32(addr)
	if edge {
		v |= field
	} else {
		v &^= field
	}
	mmio.Write32(addr, v)
	return nil
}

// Pending reports whether intid is pending at the distributor.
func (d *Distributor) Pending(intid uint32) (bool, error) {
	if !d.isSPI(intid) {
		return false, ErrNotSPI
	}
	return mmio.Read32(d.Base+gicdISPENDR+bitRegister(intid))&bit(intid) != 0, nil
}

// SetPending makes intid pending, as if its device had signalled it.
func (d *Distributor) SetPending(intid uint32) error {
	return d.writeBit(gicdISPENDR, intid)
}

// ClearPending removes intid's pending state.
func (d *Distributor) ClearPending(intid uint32) error {
	return d.writeBit(gicdICPENDR, intid)
}

// Deactivate clears intid's active state at the distributor: the cleanup
// for an SPI that was acknowledged but will never be deactivated through
// a CPU interface, such as one linked to a stopped guest.
func (d *Distributor) Deactivate(intid uint32) error {
	return d.writeBit(gicdICACTIVER, intid)
}

func (d *Distributor) writeBit(register uint64, intid uint32) error {
	if !d.isSPI(intid) {
		return ErrNotSPI
	}
	mmio.Write32(d.Base+register+bitRegister(intid), bit(intid))
	return nil
}

func (d *Distributor) isSPI(intid uint32) bool {
	return intid >= FirstSPI && intid-FirstSPI < d.SPIs
}

// waitForWrite waits until the distributor has applied the previous writes
// to GICD_CTLR and GICD_ICENABLER<n> (12.9, GICD_CTLR.RWP).
func (d *Distributor) waitForWrite() error {
	if !waitClear(d.Base+gicdCTLR, ctlrRWP) {
		return ErrDistributorBusy
	}
	return nil
}

// bitRegister is the offset, from the first register of a one-bit-per-INTID
// bank, of the register holding intid's bit; bit is that bit.
func bitRegister(intid uint32) uint64 { return 4 * uint64(intid/32) }
func bit(intid uint32) uint32         { return 1 << (intid % 32) }

// setPriorityByte changes intid's byte in the priority bank at bank. The
// mmio seam has 32-bit accesses only, so it reads, modifies and writes the
// word holding it.
func setPriorityByte(bank uint64, intid uint32, priority uint8) {
	addr := bank + uint64(intid&^3)
	shift := 8 * (intid % 4)
	v := mmio.Read32(addr)
	v = v&^(0xff<<shift) | uint32(priority)<<shift
	mmio.Write32(addr, v)
}

// repeatByte returns a 32-bit word whose four bytes are b: four INTIDs'
// priorities in one write.
func repeatByte(b uint8) uint32 { return uint32(b) * 0x0101_0101 }
