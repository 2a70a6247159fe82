package lr

// Hardware is one core's virtual CPU interface control registers: on the
// target SystemRegisters, in host tests a model. n indexes list registers
// (0..NumLRs-1) or active priority registers (0..3).
type Hardware interface {
	ReadLR(n int) LR
	WriteLR(n int, v LR)
	ReadHCR() uint64
	WriteHCR(v uint64)
	ReadVTR() uint64
	// ReadELRSR returns ICH_ELRSR_EL2: bit n set when list register n
	// holds no interrupt. It reflects every list register write made
	// before the call.
	ReadELRSR() uint64
	// ReadMISR returns ICH_MISR_EL2, the maintenance interrupt's causes,
	// as of every register write made before the call.
	ReadMISR() uint64
	WriteVMCR(v uint64)
	WriteAP0R(n int, v uint64)
	WriteAP1R(n int, v uint64)
}

// Control register fields (IHI 0069G 12.4).
const (
	hcrEn  = 1 << 0 // ICH_HCR_EL2.En: the virtual CPU interface is on
	hcrUIE = 1 << 1 // ICH_HCR_EL2.UIE: underflow maintenance interrupt

	vtrListRegsMask = 0x1f // ICH_VTR_EL2.ListRegs, bits [4:0]: list registers - 1
	vtrPREbitsShift = 26   // ICH_VTR_EL2.PREbits, bits [28:26]: preemption bits - 1
	vtrPREbitsMask  = 0b111

	misrU = 1 << 1 // ICH_MISR_EL2.U: underflow

	vmcrVENG1     = 1 << 1 // ICH_VMCR_EL2.VENG1: virtual group 1 enabled
	vmcrVPMRShift = 24     // ICH_VMCR_EL2.VPMR, bits [31:24]: priority mask
	vpmrAll       = 0xff   // lets every priority through
)

// INTIDs (IHI 0069G, chapter 2, "INTIDs").
const (
	firstPPI      = 16
	specialINTIDs = 1020 // 1020..1023 are no interrupts
)

const (
	// MaxLRs is the architecture's limit: ICH_LR0_EL2..ICH_LR15_EL2.
	MaxLRs = 16
	// QueueSize bounds the interrupts waiting for a list register. An
	// interrupt is queued at most once however often it is injected, so
	// the queue overflows only when more than NumLRs+QueueSize distinct
	// interrupts are pending for the vCPU at the same time.
	QueueSize = 64
	// maxAPRs is the number of ICH_AP0R<n>_EL2/ICH_AP1R<n>_EL2 with 7
	// preemption bits; 5 bits need one, 6 need two.
	maxAPRs = 4
)

// VirtualIRQ is a virtual interrupt to deliver to the guest, in group 1.
type VirtualIRQ struct {
	VINTID   uint32
	Priority uint8
	// HW links the virtual interrupt to physical interrupt PINTID (a PPI
	// or SPI the hypervisor acknowledged and ended but did not
	// deactivate): the guest's deactivation deactivates it.
	HW     bool
	PINTID uint32
}

func (v VirtualIRQ) valid() bool {
	if v.VINTID >= specialINTIDs {
		return false
	}
	return !v.HW || (v.PINTID >= firstPPI && v.PINTID < specialINTIDs)
}

func (v VirtualIRQ) lr(s State) LR { return NewLR(v.VINTID, v.Priority, true, v.HW, v.PINTID, s) }

func irqOf(l LR) VirtualIRQ {
	return VirtualIRQ{VINTID: l.VINTID(), Priority: l.Priority(), HW: l.HW(), PINTID: l.PINTID()}
}

// CPUInterface is one core's virtual CPU interface: its list registers, as
// last read or written, and the queue of interrupts waiting for one.
//
// Each vINTID is in at most one place, a list register or the queue: the
// architecture forbids two list registers with the same vINTID, and an
// interrupt that is already pending does not become more pending.
type CPUInterface struct {
	hw      Hardware
	numLRs  int
	numAPRs int
	// lrs mirrors the list registers. One whose state is Invalid here is
	// free (the guest can only consume interrupts, never create them); one
	// that is valid here may meanwhile have been consumed, so Inject and
	// Withdraw read it back before changing it.
	lrs    [MaxLRs]LR
	queue  [QueueSize]VirtualIRQ
	queued int

	dropped, rejected uint64
}

// New returns the virtual CPU interface of the core hw belongs to, sized
// from ICH_VTR_EL2. Call Enable before the guest runs.
func New(hw Hardware) *CPUInterface {
	vtr := hw.ReadVTR()
	// PREbits+1 preemption bits need 2^(bits-5) active priority registers.
	apr := 1 << max(0, int(vtr>>vtrPREbitsShift&vtrPREbitsMask)+1-5)
	return &CPUInterface{
		hw:      hw,
		numLRs:  min(int(vtr&vtrListRegsMask)+1, MaxLRs),
		numAPRs: min(apr, maxAPRs),
	}
}

// NumLRs is the number of list registers (ICH_VTR_EL2.ListRegs+1).
func (c *CPUInterface) NumLRs() int { return c.numLRs }

// LR returns list register n as last read or written.
func (c *CPUInterface) LR(n int) LR { return c.lrs[n] }

// Queued returns the number of interrupts waiting for a list register.
func (c *CPUInterface) Queued() int { return c.queued }

// Dropped counts injections refused because the queue was full.
func (c *CPUInterface) Dropped() uint64 { return c.dropped }

// Rejected counts injections refused because they were malformed (see
// Inject).
func (c *CPUInterface) Rejected() uint64 { return c.rejected }

// Enable starts the virtual CPU interface from a clean state: no list
// register in use, no active priority, an empty queue, virtual group 1
// enabled with every priority unmasked (the guest's ICC_IGRPEN1_EL1 and
// ICC_PMR_EL1 as a guest expects them after reset), and ICH_HCR_EL2.En
// set with no trap and no maintenance interrupt. Call it once, or after
// Disable: it forgets whatever the list registers held.
func (c *CPUInterface) Enable() {
	for n := range c.numLRs {
		c.write(n, 0)
	}
	for n := range c.numAPRs {
		c.hw.WriteAP0R(n, 0)
		c.hw.WriteAP1R(n, 0)
	}
	c.queued = 0
	c.hw.WriteVMCR(vmcrVENG1 | vpmrAll<<vmcrVPMRShift)
	c.hw.WriteHCR(hcrEn)
}

// Disable turns the virtual CPU interface off and empties it, calling
// deactivate (when not nil) with the physical INTID of every
// hardware-linked interrupt it held: those are active at the physical GIC
// and no guest will deactivate them now (gic.Deactivate fits).
func (c *CPUInterface) Disable(deactivate func(pintid uint32)) {
	c.hw.WriteHCR(0)
	for n := range c.numLRs {
		if l := c.hw.ReadLR(n); l.State() != Invalid && l.HW() && deactivate != nil {
			deactivate(l.PINTID())
		}
		c.write(n, 0)
	}
	for _, v := range c.queue[:c.queued] {
		if v.HW && deactivate != nil {
			deactivate(v.PINTID)
		}
	}
	c.queued = 0
}

// Inject makes v pending for the guest. It uses a free list register,
// or, when every one is busy, takes the one whose merely pending interrupt
// is least urgent if v is more urgent, moving that interrupt to the queue;
// otherwise v waits in the queue and the underflow maintenance interrupt
// is enabled so that Sync runs as soon as list registers empty.
//
// A v already pending, in a list register or the queue, stays as it is;
// one the guest has acknowledged becomes pending and active.
//
// Inject returns false, and the interrupt is not delivered, when the queue
// is full (counted by Dropped) or v is malformed (counted by Rejected): a
// vINTID of 1020 or more, a physical INTID that is no PPI or SPI, or a
// hardware-linked interrupt that is already active (its physical
// interrupt is active too, and cannot be pending again until the guest
// deactivates it; set it pending at the physical GIC instead). When Inject
// refuses a hardware-linked interrupt the caller deactivates the physical
// interrupt: no guest will.
func (c *CPUInterface) Inject(v VirtualIRQ) bool {
	if !v.valid() {
		c.rejected++
		return false
	}
	if n := c.listRegisterOf(v.VINTID); n >= 0 {
		current := c.hw.ReadLR(n)
		c.lrs[n] = current
		switch current.State() {
		case Pending, PendingActive:
			return true
		case Active:
			if current.HW() || v.HW {
				c.rejected++
				return false
			}
			c.write(n, current.WithState(PendingActive))
			return true
		}
		// Invalid: the guest has finished with it since the last Sync.
		c.write(n, v.lr(Pending))
		return true
	}
	if c.queueIndexOf(v.VINTID) >= 0 {
		return true
	}
	n := c.freeListRegister()
	if n < 0 {
		c.readBack()
		n = c.freeListRegister()
	}
	if n >= 0 {
		c.write(n, v.lr(Pending))
		return true
	}
	if c.queued == QueueSize {
		c.dropped++
		return false
	}
	if n := c.leastUrgentPending(v.Priority); n >= 0 {
		c.enqueue(irqOf(c.lrs[n]))
		c.write(n, v.lr(Pending))
	} else {
		c.enqueue(v)
	}
	c.setUnderflowInterrupt()
	return true
}

// Sync brings the mirror up to date after the guest ran: it frees the list
// registers the guest has finished with, fills free ones from the queue,
// most urgent interrupt first, and enables the underflow maintenance
// interrupt (ICH_HCR_EL2.UIE) exactly while interrupts are still queued.
// Call it on every entry to the hypervisor that may inject, and from the
// maintenance interrupt's handler.
func (c *CPUInterface) Sync() {
	c.readBack()
	c.refill()
	c.setUnderflowInterrupt()
}

// Withdraw removes the pending state of vintid, as a guest's write to
// GICD_ICPENDR or GICR_ICPENDR0 does, and returns the interrupt it
// withdrew. An interrupt the guest has acknowledged stays active. When
// the withdrawn interrupt is hardware-linked the caller deactivates its
// physical interrupt, or the device's next assertion never arrives.
func (c *CPUInterface) Withdraw(vintid uint32) (VirtualIRQ, bool) {
	if n := c.listRegisterOf(vintid); n >= 0 {
		current := c.hw.ReadLR(n)
		c.lrs[n] = current
		switch current.State() {
		case Pending:
			c.write(n, 0)
			c.refill()
			c.setUnderflowInterrupt()
			return irqOf(current), true
		case PendingActive:
			c.write(n, current.WithState(Active))
			return irqOf(current), true
		}
		return VirtualIRQ{}, false
	}
	if q := c.queueIndexOf(vintid); q >= 0 {
		v := c.queue[q]
		c.dequeue(q)
		c.setUnderflowInterrupt()
		return v, true
	}
	return VirtualIRQ{}, false
}

// SetPriority changes the priority of vintid while it waits to be
// acknowledged, as a guest's write to GICD_IPRIORITYR does, and reports
// whether it found it pending. An acknowledged interrupt keeps the priority
// it was acknowledged with until the guest deactivates it.
func (c *CPUInterface) SetPriority(vintid uint32, priority uint8) bool {
	if n := c.listRegisterOf(vintid); n >= 0 {
		current := c.hw.ReadLR(n)
		c.lrs[n] = current
		if current.State() != Pending {
			return false
		}
		c.write(n, current.WithPriority(priority))
		return true
	}
	if q := c.queueIndexOf(vintid); q >= 0 {
		c.queue[q].Priority = priority
		return true
	}
	return false
}

// Underflow reports whether the underflow maintenance interrupt is
// asserted: interrupts are queued and at most one list register is in
// use.
func (c *CPUInterface) Underflow() bool { return c.hw.ReadMISR()&misrU != 0 }

func (c *CPUInterface) write(n int, l LR) {
	c.hw.WriteLR(n, l)
	c.lrs[n] = l
}

// readBack updates the mirror of every list register in use from the
// hardware: ICH_ELRSR_EL2 tells which the guest has finished with, the
// others are read for the guest's acknowledgements.
func (c *CPUInterface) readBack() {
	empty := c.hw.ReadELRSR()
	for n := range c.numLRs {
		switch {
		case c.lrs[n].State() == Invalid:
		case empty&(1<<n) != 0:
			c.lrs[n] = 0
		default:
			c.lrs[n] = c.hw.ReadLR(n)
		}
	}
}

// refill moves queued interrupts, most urgent first, into free list
// registers.
func (c *CPUInterface) refill() {
	for c.queued > 0 {
		n := c.freeListRegister()
		if n < 0 {
			return
		}
		q := c.mostUrgentQueued()
		c.write(n, c.queue[q].lr(Pending))
		c.dequeue(q)
	}
}

// setUnderflowInterrupt enables the underflow maintenance interrupt while
// interrupts are queued. With a single list register it stays off: the
// interrupt is asserted whenever at most one list register is in use, so
// it would never stop firing there.
func (c *CPUInterface) setUnderflowInterrupt() {
	want := c.queued > 0 && c.numLRs > 1
	hcr := c.hw.ReadHCR()
	if (hcr&hcrUIE != 0) != want {
		c.hw.WriteHCR(hcr ^ hcrUIE)
	}
}

func (c *CPUInterface) listRegisterOf(vintid uint32) int {
	for n := range c.numLRs {
		if c.lrs[n].State() != Invalid && c.lrs[n].VINTID() == vintid {
			return n
		}
	}
	return -1
}

func (c *CPUInterface) freeListRegister() int {
	for n := range c.numLRs {
		if c.lrs[n].State() == Invalid {
			return n
		}
	}
	return -1
}

// leastUrgentPending returns the list register whose interrupt is pending
// (not acknowledged) and least urgent, the last one of equals, if it is
// less urgent than priority; -1 otherwise. The mirror must be fresh.
func (c *CPUInterface) leastUrgentPending(priority uint8) int {
	found := -1
	for n := range c.numLRs {
		l := c.lrs[n]
		if l.State() == Pending && l.Priority() > priority &&
			(found < 0 || l.Priority() >= c.lrs[found].Priority()) {
			found = n
		}
	}
	return found
}

func (c *CPUInterface) queueIndexOf(vintid uint32) int {
	for q := range c.queued {
		if c.queue[q].VINTID == vintid {
			return q
		}
	}
	return -1
}

// mostUrgentQueued returns the queue index of the most urgent interrupt,
// the first queued of equals. The queue must not be empty.
func (c *CPUInterface) mostUrgentQueued() int {
	best := 0
	for q := 1; q < c.queued; q++ {
		if c.queue[q].Priority < c.queue[best].Priority {
			best = q
		}
	}
	return best
}

// enqueue appends v; the caller has checked there is room.
func (c *CPUInterface) enqueue(v VirtualIRQ) {
	c.queue[c.queued] = v
	c.queued++
}

// dequeue removes the entry at q, keeping the order of the others.
func (c *CPUInterface) dequeue(q int) {
	copy(c.queue[q:c.queued], c.queue[q+1:c.queued])
	c.queued--
}
