// Package sbsawdt emulates the Arm SBSA Generic Watchdog (Arm Server Base
// System Architecture, "Generic Watchdog"; Linux's sbsa_gwdt driver,
// compatible "arm,sbsa-gwdt") for one partition: a refresh frame and a
// control frame of 4 KiB each, times against the system counter.
//
// The watchdog counts from its last refresh: after WOR ticks the first
// signal, WS0, rises and the count starts again; if the guest still does
// not refresh, WOR ticks later WS1 rises, and the hypervisor applies the
// partition's watchdog action (restart or stop). A refresh is a write to
// WRR, or any write to WCS or WOR; it clears both signals. The hypervisor
// bounds WOR by half the config's timeout, so a partition that stops
// refreshing meets its action at most one timeout after its last refresh.
//
// The State is pointer-free, for the region the hypervisor instances
// share, and guarded by a per-partition lock. Nothing allocates.
package sbsawdt

import (
	"fmt"

	"github.com/tamavisor/tamavisor/firmware/vdev"
	"github.com/tamavisor/tamavisor/internal/spin"
)

// Register offsets in each 4 KiB frame (SBSA, "Watchdog register
// descriptions").
const (
	FrameSize = 0x1000

	// Refresh frame.
	regWRR = 0x000 // watchdog refresh: any write refreshes; reads as zero

	// Control frame.
	regWCS    = 0x000 // control and status: EN (bit 0), WS0 (bit 1), WS1 (bit 2)
	regWOR    = 0x008 // offset: 32 bits in architecture version 0
	regWCVLo  = 0x010 // compare value, low word
	regWCVHi  = 0x014 // compare value, high word
	regWIIDR  = 0xfcc // interface identification, in both frames
	wcsEN     = 1 << 0
	wcsWS0    = 1 << 1
	wcsWS1    = 1 << 2
	wiidrArm  = 0x43b // JEP106 code of Arm, implementer [11:0]
	wiidrTVWD = 0x001 // product ID [31:20]: Tamavisor's emulation; architecture 0, revision 0
)

// wiidr is W_IIDR's value.
const wiidr = wiidrTVWD<<20 | wiidrArm

// State is one partition's watchdog.
type State struct {
	lock    spin.Lock
	control uint32 // WCS
	_       uint32
	offset  uint64 // WOR
	compare uint64 // WCV, in system counter ticks
	maxWOR  uint64
	// refreshed is the counter at the last explicit refresh.
	refreshed uint64
}

// Clock reads the system counter.
type Clock interface{ Now() uint64 }

// Reset gives the watchdog its reset state: disabled, no signal, WOR at
// maxWOR (half the config's timeout in counter ticks), which also bounds
// what the guest may write there. core is the caller's.
func (s *State) Reset(core uint32, maxWOR uint64) error {
	if err := s.lock.Acquire(core); err != nil {
		return fmt.Errorf("sbsawdt: %w", err)
	}
	s.control, s.offset, s.compare, s.maxWOR, s.refreshed = 0, maxWOR, 0, maxWOR, 0
	s.lock.Release(core)
	return nil
}

// Watchdog is one core's view of a partition's watchdog.
type Watchdog struct {
	state *State
	core  uint32
	clock Clock
}

// New returns core's view of state, timed by clock.
func New(state *State, core int, clock Clock) *Watchdog {
	return &Watchdog{state: state, core: uint32(core), clock: clock}
}

// Refresh is the refresh frame, Control the control frame.
func (w *Watchdog) Refresh() vdev.Device { return refreshFrame{w} }
func (w *Watchdog) Control() vdev.Device { return controlFrame{w} }

type refreshFrame struct{ w *Watchdog }
type controlFrame struct{ w *Watchdog }

// word checks an access is one aligned 32-bit register.
func word(a vdev.Access) bool { return a.Size == 4 && a.Offset%4 == 0 && a.Offset < FrameSize }

func (f refreshFrame) Access(a vdev.Access) (uint64, bool) {
	if !word(a) {
		return 0, false
	}
	switch {
	case a.Offset == regWIIDR && !a.Write:
		return wiidr, true
	case a.Offset == regWRR && a.Write:
		f.w.locked(func(s *State, now uint64) { s.refresh(now) })
	}
	return 0, true
}

func (f controlFrame) Access(a vdev.Access) (value uint64, ok bool) {
	if !word(a) {
		return 0, false
	}
	f.w.locked(func(s *State, now uint64) {
		switch a.Offset {
		case regWCS:
			if a.Write {
				s.control = uint32(a.Value) & wcsEN
				s.refresh(now)
			} else {
				value = uint64(s.control)
			}
		case regWOR:
			if a.Write {
				s.offset = min(uint64(uint32(a.Value)), s.maxWOR)
				s.refresh(now)
			} else {
				value = s.offset
			}
		case regWCVLo:
			if a.Write {
				s.compare = s.compare&^0xffff_ffff | uint64(uint32(a.Value))
			} else {
				value = s.compare & 0xffff_ffff
			}
		case regWCVHi:
			if a.Write {
				s.compare = s.compare&0xffff_ffff | uint64(uint32(a.Value))<<32
			} else {
				value = s.compare >> 32
			}
		case regWIIDR:
			value = wiidr
		}
	})
	return value, true
}

// locked runs f under the State's lock, with the counter read once.
// A lock whose holder halted is not overruled: the access does nothing
// (the partition is being stopped).
func (w *Watchdog) locked(f func(s *State, now uint64)) {
	s := w.state
	now := w.clock.Now()
	if s.lock.Acquire(w.core) != nil {
		return
	}
	f(s, now)
	s.lock.Release(w.core)
}

// refresh is an explicit refresh: both signals clear, the count restarts.
func (s *State) refresh(now uint64) {
	s.control &^= wcsWS0 | wcsWS1
	s.compare = now + s.offset
	s.refreshed = now
}

// Check applies the timeouts due at now, as the hypervisor's timer calls
// it: it reports whether WS1 rose (the partition's action is due, since
// ticks after the last refresh) and the counter value at which to check
// next (0: nothing to wait for, the watchdog is disabled or has already
// fired).
func (w *Watchdog) Check(now uint64) (expired bool, next, since uint64) {
	s := w.state
	if s.lock.Acquire(w.core) != nil {
		return false, 0, 0
	}
	defer s.lock.Release(w.core)
	if s.control&wcsEN == 0 || s.control&wcsWS1 != 0 {
		return false, 0, 0
	}
	if now < s.compare {
		return false, s.compare, 0
	}
	if s.control&wcsWS0 == 0 {
		s.control |= wcsWS0
		s.compare = now + s.offset
		return false, s.compare, 0
	}
	s.control |= wcsWS1
	return true, 0, now - s.refreshed
}
