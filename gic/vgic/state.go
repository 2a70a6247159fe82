package vgic

import (
	"fmt"
	"sync/atomic"

	"github.com/tamavisor/tamavisor/internal/spin"
)

// Sizes of the emulated interrupt space.
const (
	// MaxVCPUs is the most vCPUs a partition's virtual GIC serves. vCPU i
	// has affinity 0.0.0.i (package psci, GuestMPIDR); with
	// GICD_TYPER.RSS = 0 an SGI's target list reaches Aff0 0 to 15 only
	// (IHI 0069, GICD_TYPER.RSS and ICC_SGI1R_EL1.TargetList).
	MaxVCPUs = 16
	// SPIEnd is the first INTID after the SPIs: 1020 to 1023 are special
	// (IHI 0069, 2.2 "INTIDs").
	SPIEnd = 1020

	// privateINTIDs are the SGIs (0-15) and PPIs (16-31) that each
	// redistributor holds for its own PE.
	privateINTIDs = 32
	// distWords is one bit per INTID 0-1023 in 32-bit words. The
	// distributor keeps the words of INTIDs 0-31 too, always zero, so that
	// every register of the map indexes its array the way the
	// architecture numbers it.
	distWords = 1024 / 32
)

// DistState is the emulated distributor of one partition: the SPIs'
// state and GICD_CTLR. Bits are one per INTID, INTID n at bit n%32 of
// word n/32; priorities one byte per INTID, INTID n at byte n%4 of word
// n/4 (the layout of GICD_IPRIORITYR); trigger modes two bits per INTID as
// in GICD_ICFGR.
//
// Enable, group, priority, trigger and route change only under the
// State's lock, from guest register writes. Pending and active also
// change through the firmware's SetPending, ClearPending and SetActive,
// which do not take the lock, so every change to them is a single atomic
// OR or AND.
type DistState struct {
	// ctlr holds GICD_CTLR.EnableGrp0 and EnableGrp1; the other bits
	// are constants (see the register map).
	ctlr     atomic.Uint32
	group    [distWords]atomic.Uint32
	enabled  [distWords]atomic.Uint32
	pending  [distWords]atomic.Uint32
	active   [distWords]atomic.Uint32
	priority [1024 / 4]atomic.Uint32
	config   [1024 / 16]atomic.Uint32
	// route is GICD_IROUTER<n> bits 23:0 (Aff2.Aff1.Aff0) of SPI n, at
	// index n-32. Aff3 and Interrupt_Routing_Mode are RAZ/WI.
	route [SPIEnd - privateINTIDs]atomic.Uint32
}

// RedistState is the emulated redistributor of one vCPU: its SGIs and
// PPIs and the GICR_WAKER handshake. The arrays have the lengths of the
// registers that address them (one GICR_IGROUPR0, eight GICR_IPRIORITYR),
// with the layout of DistState.
type RedistState struct {
	// asleep is GICR_WAKER.ProcessorSleep; ChildrenAsleep follows it at
	// once, since nothing sits behind an emulated redistributor.
	asleep   atomic.Uint32
	group    [1]atomic.Uint32
	enabled  [1]atomic.Uint32
	pending  [1]atomic.Uint32
	active   [1]atomic.Uint32
	priority [privateINTIDs / 4]atomic.Uint32
}

// State is one partition's virtual GIC: its distributor and the
// redistributors of its vCPUs. It is shared by the cores that run the
// partition's vCPUs, so it holds no Go pointers and lives in the memory
// the hypervisor instances share (DESIGN.md, "Per-core hypervisor
// instances"); each core reaches it through its own VGIC view. The
// firmware calls Reset before the partition's first vCPU starts.
type State struct {
	// lock serializes guest register writes together with the hook
	// calls that report them, so that the hardware follows the emulated
	// state in the order it changed.
	lock spin.Lock
	// lockRefusals counts guest writes refused because the lock's holder
	// halted while holding it.
	lockRefusals atomic.Uint64
	dist         DistState
	redist       [MaxVCPUs]RedistState
}

// Reset gives the State the values a guest finds at boot: the distributor
// disabled; every interrupt in group 0, disabled, inactive, not pending,
// level-sensitive, at priority 0 and routed to vCPU 0; every
// redistributor asleep. The architecture leaves most of these UNKNOWN at
// reset; zero is what a guest that forgets to program them is most likely
// to survive, and asleep is GICR_WAKER's architected reset value. The firmware calls it while none of the
// partition's vCPUs runs, then puts the hardware in the same form (the
// partition's SPIs disabled and routed to vCPU 0's core). core is the
// caller's. It fails, changing nothing, when a core halted holding the
// State's lock: the partition cannot be restarted with it.
func (s *State) Reset(core uint32) error {
	if err := s.lock.Acquire(core); err != nil {
		return fmt.Errorf("vgic: %w", err)
	}
	d := &s.dist
	d.ctlr.Store(0)
	for i := range distWords {
		d.group[i].Store(0)
		d.enabled[i].Store(0)
		d.pending[i].Store(0)
		d.active[i].Store(0)
	}
	for i := range d.priority {
		d.priority[i].Store(0)
	}
	for i := range d.config {
		d.config[i].Store(0)
	}
	for i := range d.route {
		d.route[i].Store(0)
	}
	for v := range s.redist {
		r := &s.redist[v]
		r.asleep.Store(1)
		r.group[0].Store(0)
		r.enabled[0].Store(0)
		r.pending[0].Store(0)
		r.active[0].Store(0)
		for i := range r.priority {
			r.priority[i].Store(0)
		}
	}
	s.lock.Release(core)
	return nil
}

// LockRefusals counts guest register writes refused because another core
// halted while holding the State's lock.
func (s *State) LockRefusals() uint64 { return s.lockRefusals.Load() }
