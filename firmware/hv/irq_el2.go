//go:build tamago && arm64

package hv

import (
	mathbits "math/bits"
	"sync/atomic"

	"github.com/tamavisor/tamavisor/aarch64"
	"github.com/tamavisor/tamavisor/firmware/lifecycle"
	"github.com/tamavisor/tamavisor/firmware/vdev/psci"
	"github.com/tamavisor/tamavisor/gic"
	"github.com/tamavisor/tamavisor/gic/lr"
	"github.com/tamavisor/tamavisor/partition/table"
)

// doorbellSGI is the physical SGI one core sends another to say a vCPU of
// a partition there has virtual SGIs waiting in its mailbox.
const doorbellSGI = 1

var distributor = gic.DistributorOf(thisBoard.GIC)

// initDistributor brings up the GIC distributor, once, on the boot core
// before the other cores start.
func initDistributor() error {
	return distributor.Init()
}

// initCoreInterrupts brings up this core's redistributor and CPU interface
// and the interrupts the hypervisor takes on it: the virtual CPU
// interface's maintenance interrupt, the SGI doorbell, its own timer, and
// the guest's virtual and physical timers (which trap to EL2 and are
// injected hardware-linked).
func initCoreInterrupts() error {
	r := gic.RedistributorOf(thisBoard.GIC, thisCore)
	if err := r.Init(readMPIDR()); err != nil {
		return err
	}
	if err := gic.InitCPUInterface(); err != nil {
		return err
	}
	for _, ppi := range []uint32{maintenanceIRQ, virtTimerIRQ, physTimerIRQ, hypTimerIRQ} {
		if err := r.EnablePPI(ppi); err != nil {
			return err
		}
	}
	return r.EnableSGI(doorbellSGI)
}

// interrupt handles a physical interrupt that arrived while the guest ran.
// EOImode is 1: the priority drop comes first, the deactivation when the
// hypervisor is done or, for interrupts injected hardware-linked, when
// the guest deactivates the virtual one.
func (vc *vcpu) interrupt() lifecycle.Next {
	intid := gic.Acknowledge()
	if intid >= gic.SpecialINTIDs {
		return lifecycle.Continue // spurious
	}
	gic.EndOfInterrupt(intid)
	switch {
	case intid == virtTimerIRQ || intid == physTimerIRQ:
		// The guest's timers, the commonest: first.
		if !vc.injectPhysical(intid) {
			vc.hold(intid)
		}
	case intid == hypTimerIRQ:
		// The watchdog's deadline: reprogrammed (or the timer
		// stopped) before the level interrupt is deactivated.
		next := vc.watchdogCheck()
		gic.Deactivate(intid)
		return next
	case intid == maintenanceIRQ:
		vc.cpuif.Sync()
		gic.Deactivate(intid)
	case intid == doorbellSGI:
		gic.Deactivate(intid)
		vc.collectSGIs()
	case isSMMUInterrupt(intid):
		smmuEvents()
		gic.Deactivate(intid)
	case intid == consoleSPI:
		// Typed input: read out, which drops the level, then
		// deactivated (the guest's virtual console shares the INTID
		// only virtually).
		vc.pollInput()
		gic.Deactivate(intid)
	case intid >= gic.FirstSPI:
		if !vc.vgic.Owns(intid) {
			atomic.AddUint64(&shared().Traps[thisCore].ForeignIRQ, 1)
		}
		if !vc.injectPhysical(intid) {
			vc.hold(intid)
		}
	default:
		gic.Deactivate(intid)
	}
	return lifecycle.Continue
}

// injectPhysical passes physical interrupt intid, acknowledged and
// active, to the guest hardware-linked, if the guest can take it now.
// Once it is in a list register its pending state is the list
// register's: a pending bit the guest's own GICD_ISPENDR write left in
// the virtual distributor is cleared, or the guest's next write would
// change nothing there and never reach the physical interrupt again.
func (vc *vcpu) injectPhysical(intid uint32) bool {
	prio, ok := vc.vgic.Deliverable(vc.index, intid)
	if !ok || !vc.cpuif.Inject(lr.VirtualIRQ{VINTID: intid, Priority: prio, HW: true, PINTID: intid}) {
		return false
	}
	if intid >= gic.FirstSPI {
		vc.vgic.ClearPending(vc.index, intid)
	}
	return true
}

// hold keeps a physical interrupt the guest cannot take yet (not enabled
// in its virtual GIC, or no list register free) active instead of
// deactivating it: a level interrupt deactivated while its source still
// asserts it fires again before the guest runs one instruction, and the
// core livelocks. Linux hit that when its timer fired between programming
// the timer and enabling the timer's interrupt. heldInterrupts delivers it
// once the guest can take it; if the guest never does, it stays held.
func (vc *vcpu) hold(intid uint32) {
	if vc.held[intid/32]&(1<<(intid%32)) == 0 {
		vc.held[intid/32] |= 1 << (intid % 32)
		vc.heldCount++
	}
}

// heldInterrupts injects every held interrupt the guest can take now. It
// allocates nothing and costs nothing while none is held.
func (vc *vcpu) heldInterrupts() {
	if vc.heldCount == 0 {
		return
	}
	for w := range vc.held {
		for bits := vc.held[w]; bits != 0; bits &= bits - 1 {
			intid := uint32(w*32 + mathbits.TrailingZeros32(bits))
			if vc.injectPhysical(intid) {
				vc.held[w] &^= 1 << (intid % 32)
				vc.heldCount--
			}
		}
	}
}

// releaseHeld deactivates every held interrupt: the vCPU stops or starts
// afresh, and its timer is stopped.
func (vc *vcpu) releaseHeld() {
	for w := range vc.held {
		for bits := vc.held[w]; bits != 0; bits &= bits - 1 {
			gic.Deactivate(uint32(w*32 + mathbits.TrailingZeros32(bits)))
		}
		vc.held[w] = 0
	}
	vc.heldCount = 0
}

// sendSGI carries out a guest's write of value to ICC_SGI1R_EL1: virtual
// SGIs to vCPUs of its own partition only, others dropped and counted.
func (vc *vcpu) sendSGI(value uint64) {
	intid, irm, aff, targets := gic.DecodeSGI1R(value)
	reach, dropped := SGITargets(irm, aff, targets, vc.vgic.VCPUs(), vc.index)
	if dropped > 0 {
		atomic.AddUint64(&shared().Traps[thisCore].SGIsDropped, uint64(dropped))
	}
	ps := &shared().Partition[vc.partition]
	mask := vc.cpuMask
	for v := 0; reach != 0; v, reach = v+1, reach>>1 {
		switch {
		case reach&1 == 0:
		case v == vc.index:
			vc.injectSGI(uint32(intid))
		default:
			atomic.OrUint32(&ps.SGIs[v], 1<<intid)
			if core, ok := psci.CoreOfVCPU(mask, v); ok {
				gic.SendSGI(doorbellSGI, mpidrOf(core))
			}
		}
	}
}

func (vc *vcpu) collectSGIs() {
	pending := atomic.SwapUint32(&shared().Partition[vc.partition].SGIs[vc.index], 0)
	for intid := uint32(0); pending != 0; intid++ {
		if pending&1 != 0 {
			vc.injectSGI(intid)
		}
		pending >>= 1
	}
}

// deactivatePhysical deactivates a physical interrupt a list register held
// hardware-linked: the guest that would have done so is gone.
func deactivatePhysical(pintid uint32) { gic.Deactivate(pintid) }

// freshInterrupts empties this core's list registers, deactivating the
// physical interrupts they held, before a vCPU starts anew (power-on,
// restart, CPU_ON): a restarted guest must not inherit an active timer
// interrupt it will never end.
func (vc *vcpu) freshInterrupts() {
	vc.cpuif.Disable(deactivatePhysical)
	vc.releaseHeld()
	vc.cpuif.Enable()
}

// park leaves nothing armed on this core of a vCPU that stops running its
// guest: the guest's virtual timer stopped and its virtual CPU interface
// off, every physical interrupt it held hardware-linked deactivated. The
// core can then sleep until a doorbell.
func (vc *vcpu) park() {
	stopGuestTimer()
	if vc.cpuif != nil {
		vc.cpuif.Disable(deactivatePhysical)
	}
	vc.releaseHeld()
}

// sleep waits for an interrupt with WFI. Under QEMU the core's thread
// then sleeps, where WFE spins; on a board both wait in low power. Wakers
// ring the doorbell SGI. Interrupts stay masked at EL2: those pending on
// waking are acknowledged and deactivated here, as a parked vCPU has no
// guest to give them to, so the next sleep waits again (typed input, on
// the core that claimed it, is read as on an exit). An SPI still
// routed here is disabled too: a level one would otherwise be pending
// again at once, and keep the core from ever sleeping; the guest enables
// it again through its virtual distributor when it wants it. It allocates
// nothing.
func sleep() {
	waitForInterrupt()
	for range maxDrainedInterrupts {
		intid := gic.Acknowledge()
		if intid >= gic.SpecialINTIDs {
			return
		}
		gic.EndOfInterrupt(intid)
		if isSMMUInterrupt(intid) {
			smmuEvents()
		} else if intid == consoleSPI {
			// The input core parked: typed input is read all
			// the same (the hot key, the status keys).
			vc.pollInput()
		} else if intid >= gic.FirstSPI {
			distributor.DisableSPI(intid)
		}
		if intid == hypTimerIRQ {
			// The watchdog's deadline came while the vCPU was
			// parked: its caller checks the watchdog.
			stopHypTimer()
			hypTimerFired = true
		}
		gic.Deactivate(intid)
	}
}

// hypTimerFired says the EL2 timer (the watchdog's deadline) fired while
// this core slept.
var hypTimerFired bool

// maxDrainedInterrupts bounds what one wake-up of sleep takes, so that its
// caller looks at what it waits for between them.
const maxDrainedInterrupts = 8

// injectSGI delivers a virtual SGI to this vCPU, or, if the guest cannot
// take it yet (not enabled, list registers and queue full), leaves it
// pending in the virtual GIC for pendingSGIs: an SGI is never lost.
func (vc *vcpu) injectSGI(intid uint32) {
	if prio, ok := vc.vgic.Deliverable(vc.index, intid); ok &&
		vc.cpuif.Inject(lr.VirtualIRQ{VINTID: intid, Priority: prio}) {
		return
	}
	vc.vgic.SetPending(vc.index, intid)
}

// pendingSGIs delivers the virtual SGIs left pending that the guest can
// take now. It looks at the pending SGIs' bits in one load: with none,
// as on most exits, it costs a few instructions.
func (vc *vcpu) pendingSGIs() {
	for pending := vc.vgic.PendingSGIs(vc.index); pending != 0; pending &= pending - 1 {
		intid := uint32(mathbits.TrailingZeros16(pending))
		if prio, ok := vc.vgic.Deliverable(vc.index, intid); ok &&
			vc.cpuif.Inject(lr.VirtualIRQ{VINTID: intid, Priority: prio}) {
			vc.vgic.ClearPending(vc.index, intid)
		}
	}
}

// sysreg handles a trapped system register access; false means it is not
// one the hypervisor implements.
func (vc *vcpu) sysreg() bool {
	a := aarch64.ESR(guestFrame.ESR).SysReg()
	var value uint64
	if a.Register != 31 && !a.Read {
		value = guestFrame.X[a.Register]
	}
	switch {
	case a.IsICCSGI1R():
		vc.sendSGI(value)
	case a.SetWay() != aarch64.NotSetWay:
		vc.setWay(value)
	case PMUReadsAsZero(a):
		if a.Read && a.Register != 31 {
			guestFrame.X[a.Register] = 0
		}
	default:
		return false
	}
	guestFrame.ELR += 4
	return true
}

// setWay carries out a guest's data cache maintenance by set/way (DC ISW,
// CSW, CISW) without touching another partition's cache lines. On the
// core's own level-1 cache it runs as a clean and invalidate of that set
// and way: nothing dirty is discarded, the hypervisor's lines included.
// On a shared level (the Cortex-A53's L2) the first operation of a run of
// them cleans and invalidates the partition's own memory by address,
// which is what the guest's loop over every set and way achieves for it,
// and the rest do nothing: one clean per pass, not one per line.
func (vc *vcpu) setWay(operand uint64) {
	atomic.AddUint64(&shared().Traps[thisCore].SetWay, 1)
	if aarch64.SetWayLevel(operand) == 0 {
		cleanInvalidateSetWay(operand)
		return
	}
	if vc.setWayExit+1 == vc.exits {
		vc.setWayExit = vc.exits
		return
	}
	vc.setWayExit = vc.exits
	part := vc.view.Partition(vc.partition)
	for i := part.Regions.First; i < part.Regions.End(); i++ {
		if r := vc.view.Region(int(i)); r.Kind == table.RegionRAM {
			cleanInvalidateDcache(r.PhysBase, r.Size)
		}
	}
}

// consoleSPI is the virtual console's interrupt in every partition with
// one; the physical one behind the same INTID is the hypervisor's UART.
const consoleSPI = uartIRQ

// consoleInterrupt injects the virtual console's level interrupt, whose
// condition (received data, transmit ready, as the guest unmasked) the
// run loop found to hold, on the vCPU it is routed to. Injecting it again while it is pending in
// a list register changes nothing.
func (vc *vcpu) consoleInterrupt() {
	if vc.uart == nil || vc.vgic.TargetVCPU(consoleSPI) != vc.index {
		return
	}
	if prio, ok := vc.vgic.Deliverable(vc.index, consoleSPI); ok {
		vc.cpuif.Inject(lr.VirtualIRQ{VINTID: consoleSPI, Priority: prio})
	}
}

// physicalSPI reports whether a guest's SPI is backed by a physical one
// the hooks may program: not the virtual console's, nor a doorbell.
func (vc *vcpu) physicalSPI(intid uint32) bool {
	return intid >= gic.FirstSPI && !(intid == consoleSPI && vc.uart != nil) && !vc.isDoorbell(intid)
}

// The vgic.Hooks: what a guest's writes to its virtual distributor mean
// for the physical one.

func (vc *vcpu) EnableChanged(vcpu int, intid uint32, enabled bool) {
	if vc.physicalSPI(intid) {
		vc.programSPI(intid) // SGIs and the console are virtual; the timer PPIs stay enabled physically
	}
}

// programSPI makes the physical distributor follow the guest's virtual one
// for a passed-through SPI: routed to the core of the vCPU its IROUTER
// names, and enabled only while the guest enables it and routes it to one
// of its own vCPUs. An SPI routed nowhere stays disabled rather than
// reach another partition's core. Each write touches only intid's own
// enable bit and IROUTER register, no word another partition shares.
func (vc *vcpu) programSPI(intid uint32) {
	core, enable := PhysicalSPI(vc.cpuMask, vc.vgic.Enabled(vc.index, intid), vc.vgic.TargetVCPU(intid))
	if !enable {
		distributor.DisableSPI(intid)
		return
	}
	distributor.Route(intid, mpidrOf(core))
	distributor.EnableSPI(intid)
}

func (vc *vcpu) PendingChanged(vcpu int, intid uint32, pending bool) {
	if intid == consoleSPI && vc.uart != nil || vc.isDoorbell(intid) {
		return // re-evaluated from the device's state on every exit
	}
	if intid >= gic.FirstSPI {
		if pending {
			distributor.SetPending(intid)
		} else {
			distributor.ClearPending(intid)
		}
		return
	}
	// A guest making its own SGI pending: pendingSGIs, after this very
	// exit, delivers it.
}

func (vc *vcpu) ActiveChanged(vcpu int, intid uint32, active bool)      {}
func (vc *vcpu) PriorityChanged(vcpu int, intid uint32, priority uint8) {}
func (vc *vcpu) DistributorEnableChanged(group0, group1 bool)           {}

// TriggerChanged leaves the physical GIC alone: a passed-through SPI's
// trigger is its device's, and GICD_ICFGR words hold other partitions'
// interrupts too, which no core may read, modify and write while others
// run (gic.Distributor). The guest's choice stays in its virtual GIC.
func (vc *vcpu) TriggerChanged(intid uint32, edge bool) {}

func (vc *vcpu) RouteChanged(intid uint32, vcpu int) {
	if vc.physicalSPI(intid) {
		vc.programSPI(intid)
	}
}
