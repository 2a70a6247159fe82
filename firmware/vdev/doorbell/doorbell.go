// Package doorbell emulates a channel's doorbell for one member partition:
// an Arm PrimeCell PL061 GPIO controller (Arm DDI 0190, "PrimeCell
// General Purpose Input/Output (PL061)"; Linux's gpio-pl061 driver,
// compatible "arm,pl061") of which two lines mean something:
//
//   - line 0, "doorbell", an input: another member rang the channel. Each
//     ring raises the line's interrupt (GPIORIS bit 0), whatever edge or
//     level the guest chose, until the guest clears it in GPIOIC; the
//     controller's interrupt, the channel's doorbell SPI, is asserted while
//     GPIOMIS is not zero.
//   - line 1, "ring", an output: writing 1 to it rings the channel, for
//     every other member. The line reads back 0: each write of 1 is one
//     ring.
//
// A PL061 is what a guest already has a driver for: Linux exports the
// lines through gpiolib (its sysfs "edge" file counts each ring in
// /proc/interrupts), and a bare-metal guest rings with one store.
//
// The State is pointer-free, for the region the hypervisor instances
// share. Its registers are atomics: the member's own vCPUs write them, and
// other members' cores only set the ring bit in GPIORIS, so no lock is
// shared between partitions. Nothing allocates.
package doorbell

import (
	"sync/atomic"

	"github.com/tamavisor/tamavisor/firmware/vdev"
)

// FrameSize is the controller's register frame.
const FrameSize = 0x1000

// The two lines.
const (
	LineDoorbell = 0
	LineRing     = 1
)

// Register offsets (PL061 TRM, "Summary of PrimeCell GPIO registers").
const (
	regDataEnd = 0x400 // GPIODATA: 0x000-0x3fc, address bits [9:2] mask the access
	regDIR     = 0x400
	regIS      = 0x404
	regIBE     = 0x408
	regIEV     = 0x40c
	regIE      = 0x410
	regRIS     = 0x414
	regMIS     = 0x418
	regIC      = 0x41c
	regAFSEL   = 0x420
	regID      = 0xfe0 // GPIOPeriphID0-3, GPIOPCellID0-3
)

// ids are the identification registers' values, 0xfe0 to 0xffc: a PL061
// (part 0x061, designer Arm 0x41, revision 0) and the PrimeCell ID.
var ids = [8]uint8{0x61, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1}

// State is one member's doorbell controller.
type State struct {
	dir, is, ibe, iev, ie, afsel atomic.Uint32
	ris                          atomic.Uint32
}

// Reset gives the controller its reset state: every line an input,
// interrupts masked and none raised, as at the partition's (re)start.
func (s *State) Reset() {
	for _, r := range []*atomic.Uint32{&s.dir, &s.is, &s.ibe, &s.iev, &s.ie, &s.afsel, &s.ris} {
		r.Store(0)
	}
}

// Ring raises the doorbell line: another member rang the channel. Any
// core may call it.
func (s *State) Ring() { s.ris.Or(1 << LineDoorbell) }

// Asserted reports whether the controller's interrupt is asserted: a
// raised line whose interrupt the guest unmasked.
func (s *State) Asserted() bool { return s.ris.Load()&s.ie.Load()&0xff != 0 }

// Device is one core's view of a member's doorbell.
type Device struct {
	state *State
	ring  func()
}

// New returns a core's view of state; ring is called, on the guest's
// trap, each time the guest rings the channel.
func New(state *State, ring func()) *Device { return &Device{state: state, ring: ring} }

// Access performs a guest's load or store in the controller's frame: 8
// or 32 bits, aligned (Linux's driver uses byte accesses). Registers are
// 8 bits wide; their upper bytes read as zero and ignore writes.
func (d *Device) Access(a vdev.Access) (uint64, bool) {
	if a.Offset >= FrameSize || (a.Size != 4 && a.Size != 1) || a.Offset%uint64(a.Size) != 0 {
		return 0, false
	}
	if a.Offset&3 != 0 {
		return 0, true // an upper byte of a register
	}
	s := d.state
	value := uint32(a.Value) & 0xff
	if a.Offset < regDataEnd {
		mask := uint32(a.Offset>>2) & 0xff
		if a.Write && mask&s.dir.Load()&value&(1<<LineRing) != 0 {
			d.ring()
		}
		return 0, true // the doorbell line is a pulse, the ring line self-clearing: both read 0
	}
	var reg *atomic.Uint32
	switch a.Offset {
	case regDIR:
		reg = &s.dir
	case regIS:
		reg = &s.is
	case regIBE:
		reg = &s.ibe
	case regIEV:
		reg = &s.iev
	case regIE:
		reg = &s.ie
	case regAFSEL:
		reg = &s.afsel
	case regRIS:
		return uint64(s.ris.Load()), true // writes ignored
	case regMIS:
		return uint64(s.ris.Load() & s.ie.Load()), true
	case regIC:
		if a.Write {
			s.ris.And(^value)
		}
		return 0, true
	default:
		if a.Offset >= regID && !a.Write {
			return uint64(ids[(a.Offset-regID)/4]), true
		}
		return 0, true // reserved: reads as zero, writes ignored
	}
	if a.Write {
		reg.Store(value)
		return 0, true
	}
	return uint64(reg.Load()), true
}
