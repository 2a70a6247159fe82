//go:build tamago && arm64

package hv

import (
	mathbits "math/bits"
	"sync/atomic"
	"unsafe"

	"github.com/tamavisor/tamavisor/aarch64"
	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/firmware/lifecycle"
	"github.com/tamavisor/tamavisor/firmware/vdev"
	vconsole "github.com/tamavisor/tamavisor/firmware/vdev/console"
	"github.com/tamavisor/tamavisor/firmware/vdev/doorbell"
	"github.com/tamavisor/tamavisor/firmware/vdev/psci"
	"github.com/tamavisor/tamavisor/firmware/vdev/sbsawdt"
	"github.com/tamavisor/tamavisor/firmware/vdev/vpl011"
	"github.com/tamavisor/tamavisor/gic"
	"github.com/tamavisor/tamavisor/gic/lr"
	"github.com/tamavisor/tamavisor/gic/vgic"
	"github.com/tamavisor/tamavisor/mmu"
	"github.com/tamavisor/tamavisor/partition/table"
)

// Defined in guest_el2.s.
func runGuest()
func guestExit()
func setupGuest(hcr, vtcr, vttbr, vmpidr, cntvoff, mdcr uint64)
func readPMCR() uint64
func cleanInvalidateSetWay(operand uint64)
func injectEL1(esr, far, elr, spsr uint64)
func readVBAREL1() uint64
func syncInstructions()
func stopGuestTimer()
func setHypTimer(cval uint64)
func stopHypTimer()

// Private to the core, like all Go globals: the one vCPU it runs.
var (
	guestFrame Frame
	guestFP    fpState
	// guestFPLive is 1 while the guest's FP/SIMD registers are in the
	// registers rather than in guestFP: from runGuest until the
	// hypervisor's first FP/SIMD access after the exit, which traps
	// (CPTR_EL2.TFP, set by guestExit) and lazyFP saves them. Code that
	// sets guestFP for a fresh start clears it (freshFP).
	guestFPLive uint32
	hostContext [4]uint64 // SP, g, frame pointer, return address of runGuest's caller
	vc          vcpu
	// stage2Pages backs the partition's stage-2 tables on the core of
	// its vCPU 0: private memory, which the guest cannot reach.
	stage2Pages []byte
)

// fpState is a guest's FP/SIMD registers while the hypervisor uses them:
// Go code uses them too (the compiler moves and clears memory through Q
// registers), so lazyFP saves them at the hypervisor's first FP/SIMD
// access after an exit and runGuest loads them back. Without that a
// guest's user programs find their vector registers changed under them
// after a trap, and see values of the hypervisor's. An exit whose
// handling uses none of them leaves them in place, saved and loaded by
// nobody.
type fpState struct {
	Q    [64]uint64 // q0..q31
	FPCR uint64
	FPSR uint64
}

// stage2TablePages bounds a partition's stage-2 tables: RAM in 2 MiB or
// 1 GiB blocks and a few device pages need far fewer.
const stage2TablePages = 64

// vcpu is this core's virtual CPU and what it needs on every trap.
type vcpu struct {
	view      table.View
	partition int
	index     int
	// cpuMask is the partition's cores (vCPU i on the i-th): decoding
	// it from the table on a trap path costs hundreds of instructions.
	cpuMask uint64
	name    string
	images  []byte
	policy  table.FaultPolicy
	stage2  mmu.Tables
	pool    heapPages
	vmid    uint8
	psci    psci.Partition
	// uart is the partition's virtual console, nil unless the partition
	// has console: virtual; input routes keyboard bytes by focus.
	uart  *vpl011.UART
	input *vconsole.Router
	// vgic is the partition's virtual GIC; cpuif this core's list
	// registers.
	vgic  *vgic.VGIC
	cpuif *lr.CPUInterface
	// life is this vCPU's place in its partition's lifecycle.
	life *lifecycle.VCPU
	// wdt is the partition's virtual watchdog, nil for none; wdtAction
	// what its expiry does, wdtMS its timeout.
	wdt       *sbsawdt.Watchdog
	wdtAction lifecycle.Action
	wdtMS     uint32
	// held marks the physical interrupts (the timer PPI, the partition's
	// SPIs) taken for this vCPU while its guest could not take them; they
	// stay active at the physical GIC until it can (see hold).
	held      [gic.SpecialINTIDs/32 + 1]uint32
	heldCount int
	// doorbells are the partition's channel doorbells, nDoorbells of
	// them, in frame order.
	doorbells  [maxDoorbells]vdoorbell
	nDoorbells int
	// exits counts the vCPU's exits; setWayExit is the exit of its last
	// set/way operation, which tells a run of them.
	exits, setWayExit uint64
}

// vdoorbell is one of the partition's channel doorbells on this core.
type vdoorbell struct {
	dev     *doorbell.Device
	state   *doorbell.State
	spi     uint32
	channel int
}

// virtualUART is where guests find their virtual console: the address of
// the board UART the hypervisor keeps for itself.
const virtualUARTSize = 0x1000

var _ vdev.Device = (*vpl011.UART)(nil)

// heapPages hands out translation-table pages from a buffer in this core's
// private memory, translating between its virtual and physical addresses.
type heapPages struct {
	va, pa, next, end uint64
}

func (h *heapPages) NewTable() (uint64, bool) {
	if h.next+mmu.PageSize > h.end {
		return 0, false
	}
	va := h.next
	h.next += mmu.PageSize
	clear(unsafe.Slice((*byte)(unsafe.Pointer(uintptr(va))), mmu.PageSize))
	return h.pa + (va - h.va), true
}

func (h *heapPages) entry(table uint64, index int) *mmu.Entry {
	return (*mmu.Entry)(unsafe.Pointer(uintptr(h.va + (table - h.pa) + 8*uint64(index))))
}

func (h *heapPages) Load(table uint64, index int) mmu.Entry     { return *h.entry(table, index) }
func (h *heapPages) Store(table uint64, index int, e mmu.Entry) { *h.entry(table, index) = e }

// runPartition finds the partition this core runs and runs its vCPU; it
// returns only if the core runs none.
func runPartition() {
	sh := shared()
	if atomic.LoadUint64(&sh.PayloadSize) == 0 {
		return
	}
	segment := unsafe.Slice((*byte)(unsafe.Pointer(uintptr(sh.PayloadBase))), sh.PayloadSize)
	// The boot core checked the table before starting this core.
	v, err := table.Decode(segment)
	if err != nil {
		return
	}
	for p := 0; p < v.NumPartitions(); p++ {
		part := v.Partition(p)
		if part.CPUMask&(1<<thisCore) == 0 {
			continue
		}
		vc = vcpu{view: v, partition: p, index: vcpuIndex(part.CPUMask, thisCore), cpuMask: part.CPUMask,
			name: part.Name.String(), policy: part.OnFault, vmid: uint8(p + 1)}
		start := table.PayloadOffset(uint64(v.Len()))
		vc.images = segment[start : start+v.PayloadSize()]
		vc.psci, err = psci.FromTable(&sh.Partition[p].PSCI, v, p, thisCore)
		if err != nil {
			vc.stop(err.Error())
			return
		}
		if part.Console == table.ConsoleVirtual {
			vc.uart = vpl011.New(&sh.Partition[p].UART, vc.name, thisCore, &console)
		}
		vc.input, _ = vconsole.New(&sh.ConsoleFocus, virtualConsoles(v), &console)
		vc.claimInput()
		if vc.index == 0 {
			if err := sh.Partition[p].VGIC.Reset(uint32(thisCore)); err != nil {
				vc.stop(err.Error())
				return
			}
		}
		if vc.vgic, err = vgic.FromTable(&sh.Partition[p].VGIC, thisBoard, v, p, thisCore, &vc); err != nil {
			vc.stop(err.Error())
			return
		}
		vc.cpuif = lr.New(lr.SystemRegisters{})
		vc.initDoorbells()
		if vc.life, err = lifecycle.New(&sh.Partition[p].Life, vc.vgic.VCPUs(), vc.index); err != nil {
			vc.stop(err.Error())
			return
		}
		if part.Watchdog != table.WatchdogNone {
			vc.wdt = sbsawdt.New(&sh.Partition[p].Watchdog, thisCore, counterClock{})
			vc.wdtMS = part.WatchdogMS
			vc.wdtAction = lifecycle.ActionRestart
			if part.Watchdog == table.WatchdogStop {
				vc.wdtAction = lifecycle.ActionStop
			}
		}
		next := vc.life.Join()
		if next == lifecycle.Continue {
			next = vc.start()
		}
		vc.live(next)
	}
}

// start brings the partition up on vCPU 0's core (its device models reset,
// its RAM cleared, its images loaded and checked) and enters its guest; on
// the other vCPUs' cores it waits for CPU_ON. It returns what the core
// does next.
func (vc *vcpu) start() lifecycle.Next {
	if vc.index != 0 {
		return lifecycle.WaitForCPUOn
	}
	ps := &shared().Partition[vc.partition]
	vc.psci.Reset()
	vc.resetDoorbells()
	err := ps.VGIC.Reset(uint32(thisCore))
	if err == nil {
		err = ps.UART.Reset(uint32(thisCore))
	}
	if err == nil {
		err = vc.resetWatchdog()
	}
	if err != nil {
		vc.say(err.Error() + "\n")
	}
	if err != nil || !vc.setup() {
		return vc.lead(lifecycle.ActionStop, lifecycle.ReasonStartFailed)
	}
	if !vc.life.Start() {
		vc.park()
		return lifecycle.Wait
	}
	vc.sayStart()
	return lifecycle.Continue
}

// live runs this core's vCPU for good: in its guest, parked, or waiting
// for a partition-wide stop to end, as the lifecycle says.
func (vc *vcpu) live(next lifecycle.Next) {
	for {
		switch next {
		case lifecycle.Continue:
			next = vc.run()
		case lifecycle.Wait:
			next = vc.waitForStop()
		case lifecycle.EnterAtReset:
			vc.reset()
			vc.sayStart()
			next = lifecycle.Continue
		case lifecycle.WaitForCPUOn:
			next = vc.waitForCPUOn()
		case lifecycle.Sleep:
			vc.park()
			for {
				sleep()
			}
		}
	}
}

// waitForStop waits, parked, for the outcome of a stop this vCPU acked;
// the leader rings the doorbell when it ends.
func (vc *vcpu) waitForStop() lifecycle.Next {
	for {
		if next := vc.life.Wait(); next != lifecycle.Wait {
			return next
		}
		sleep()
	}
}

// waitForCPUOn parks a vCPU until the guest starts it with PSCI CPU_ON,
// then prepares its entry there. A stop of the partition meanwhile is
// acked at once: a parked vCPU can always be stopped.
func (vc *vcpu) waitForCPUOn() lifecycle.Next {
	ps := &shared().Partition[vc.partition]
	vc.park()
	for {
		if next := vc.life.Exited(); next != lifecycle.Continue {
			return next
		}
		if hypTimerFired {
			hypTimerFired = false
			if next := vc.watchdogCheck(); next != lifecycle.Continue {
				return next
			}
		}
		vttbr := atomic.LoadUint64(&ps.VTTBR)
		if vttbr != 0 {
			if entry, context, ok := vc.psci.TakeCPUOn(vc.index); ok {
				if !vc.life.Enter() {
					return lifecycle.Wait
				}
				guestFrame = Frame{ELR: entry, SPSR: GuestEntrySPSR}
				guestFrame.X[0] = context
				freshFP()
				setupGuest(HCRGuest, mmu.VTCREL2ForBits(IPABits, physAddrBits), vttbr, psci.GuestMPIDR(vc.index),
					atomic.LoadUint64(&ps.CNTVOFF), MDCRGuest(readPMCR()))
				vc.freshInterrupts()
				// A doorbell that sleep took meant for a vCPU being
				// started: its mailbox is collected now, not at the
				// next doorbell. An SGI is never lost.
				vc.collectSGIs()
				return lifecycle.Continue
			}
		}
		// CPU_ON and the partition's stops ring the doorbell.
		sleep()
	}
}

// freshFP gives the vCPU zeroed FP/SIMD registers at its next entry,
// whatever the registers hold now.
func freshFP() {
	guestFP = fpState{}
	guestFPLive = 0
}

// virtualConsoles lists the partitions with a virtual console, in table
// order: the order the input hot key visits them.
func virtualConsoles(v table.View) []vconsole.Partition {
	var ps []vconsole.Partition
	for p := 0; p < v.NumPartitions(); p++ {
		if part := v.Partition(p); part.Console == table.ConsoleVirtual {
			ps = append(ps, vconsole.Partition{Name: part.Name.String(), Index: p})
		}
	}
	return ps
}

// vcpuIndex is core's position among the set bits of mask: vCPU i runs
// on the i-th core of its partition.
func vcpuIndex(mask uint64, core int) int {
	i := 0
	for c := 0; c < core; c++ {
		if mask&(1<<c) != 0 {
			i++
		}
	}
	return i
}

// setup builds the partition's stage-2 tables, loads and verifies its
// images and prepares vCPU 0's entry.
func (vc *vcpu) setup() bool {
	if stage2Pages == nil {
		stage2Pages = make([]byte, (stage2TablePages+1)*mmu.PageSize)
	}
	va := alignUp(uint64(uintptr(unsafe.Pointer(&stage2Pages[0]))), mmu.PageSize)
	vc.pool = heapPages{va: va, pa: physical(va), next: va, end: va + stage2TablePages*mmu.PageSize}
	if err := vc.stage2.Init(&vc.pool, IPABits, mmu.Stage2); err != nil {
		vc.say("stage-2 tables: " + err.Error() + "\n")
		return false
	}
	if err := vc.stage2.MapRegions(Stage2Layout(vc.view, vc.partition)); err != nil {
		vc.say("stage-2 tables: " + err.Error() + "\n")
		return false
	}
	// The RAM holds what earlier software left there: the guest starts
	// from zeros, as after every restart.
	started := readCounter()
	size := vc.clearRAM()
	vc.prefix()
	console.Write("RAM cleared, ")
	console.Dec(size >> 20)
	console.Write(" MiB in ")
	console.Dec((readCounter() - started) * 1000 / readCounterFrequency())
	console.Write(" ms\n")
	if !vc.load() || !vc.attachSMMU() {
		return false
	}
	atomic.StoreUint64(&shared().Partition[vc.partition].VTTBR, mmu.VTTBREL2(&vc.stage2, vc.vmid))
	vc.reset()
	return true
}

// load copies the partition's images into its RAM and checks each copy's
// SHA-256 against the table: what runs is what was built.
func (vc *vcpu) load() bool {
	part := vc.view.Partition(vc.partition)
	for i := part.Images.First; i < part.Images.End(); i++ {
		im := vc.view.Image(int(i))
		pa, ok := GuestRAM(vc.view, vc.partition, im.LoadIPA, im.Size)
		if !ok {
			vc.say("an image does not lie in the partition's RAM\n")
			return false
		}
		dst := unsafe.Slice((*byte)(unsafe.Pointer(uintptr(pa))), im.Size)
		copy(dst, vc.images[im.Offset:im.Offset+im.Size])
		if err := im.Verify(dst); err != nil {
			vc.say("loaded " + err.Error() + "\n")
			return false
		}
		cleanDcache(pa, im.Size)
	}
	syncInstructions()
	return true
}

// reset puts vCPU 0 at the partition's entry: x0 = its DTB's IPA.
func (vc *vcpu) reset() {
	part := vc.view.Partition(vc.partition)
	guestFrame = Frame{ELR: part.EntryIPA, SPSR: GuestEntrySPSR}
	guestFrame.X[0] = part.DTBIPA
	freshFP()
	// The partition's virtual time starts at zero at each (re)start.
	cntvoff := readCounter()
	atomic.StoreUint64(&shared().Partition[vc.partition].CNTVOFF, cntvoff)
	setupGuest(HCRGuest, mmu.VTCREL2(&vc.stage2, physAddrBits), mmu.VTTBREL2(&vc.stage2, vc.vmid), psci.GuestMPIDR(vc.index), cntvoff,
		MDCRGuest(readPMCR()))
	vc.freshInterrupts()
}

// run is the vCPU's loop: enter the guest, handle the trap, go back. It
// allocates nothing and never blocks. It returns when the vCPU leaves its
// guest other than for a trap: powered off, or stopped with its partition.
//
// The commonest exits take the fewest steps: an HVC goes to the call
// handler and an interrupt to its handler without the general decode, and what is looked at after every
// exit (the virtual console's and the doorbells' interrupts, SGIs left
// pending, held interrupts, a fault summary, console output) is tested
// inline first, each one load, and handled only when there is something
// to do.
func (vc *vcpu) run() lifecycle.Next {
	sh := shared()
	counts := &sh.Traps[thisCore]
	ps := &sh.Partition[vc.partition]
	for {
		runGuest()
		vc.exits++
		var next lifecycle.Next
		switch v := guestFrame.Vector; {
		case v == vectorLowerSync:
			if aarch64.ESR(guestFrame.ESR).Class() == aarch64.ECHVC64 {
				atomic.AddUint64(&counts.Call, 1)
				next = vc.call(ExitHVC)
			} else {
				next = vc.exit(counts)
			}
		case v == vectorLowerIRQ || v == vectorLowerFIQ:
			atomic.AddUint64(&counts.IRQ, 1)
			next = vc.interrupt()
		default:
			next = vc.exit(counts)
		}
		if next == lifecycle.Continue {
			// Another vCPU stopping the partition kicked this one.
			next = vc.life.Exited()
		}
		if next != lifecycle.Continue {
			vc.park()
			return next
		}
		if vc.uart != nil && ps.UART.InterruptPending() {
			vc.consoleInterrupt()
		}
		if vc.nDoorbells > 0 {
			vc.doorbellInterrupts()
		}
		if vc.vgic.PendingSGIs(vc.index) != 0 {
			vc.pendingSGIs()
		}
		if vc.heldCount > 0 {
			vc.heldInterrupts()
		}
		if ps.FaultLines.Pending() {
			vc.faultSummary()
		}
		if sh.Writer.Backlog() {
			console.Drain()
		}
	}
}

// exit decodes and handles every exit but an HVC and an interrupt.
func (vc *vcpu) exit(counts *TrapCounts) lifecycle.Next {
	e := DecodeExit(&guestFrame)
	switch e.Kind {
	case ExitSysReg:
		counts.Add(e.Kind)
		if !vc.sysreg() {
			// A register the hypervisor traps and does not
			// emulate: undefined, as on a CPU without it. No
			// fault policy applies; the guest did nothing
			// outside its partition.
			vc.report(&e, "undefined instruction injected")
			in := InjectUndefined(&guestFrame)
			injectEL1(in.ESREL1, in.FAREL1, in.ELREL1, in.SPSREL1)
			guestFrame.ELR = readVBAREL1() + in.Vector
			guestFrame.SPSR = in.SPSR
		}
		return lifecycle.Continue
	case ExitMMIO:
		if vc.emulate(&e) {
			counts.Add(e.Kind)
			return lifecycle.Continue
		}
		// Nothing emulates that address: a violation.
		counts.Add(ExitAbort)
		return vc.fault(&e)
	case ExitHVC, ExitSMC:
		counts.Add(e.Kind)
		return vc.call(e.Kind)
	}
	counts.Add(e.Kind)
	return vc.fault(&e)
}

// emulate performs an access to an emulated device and steps the guest
// past it; false means no device answers it.
func (vc *vcpu) emulate(e *Exit) bool {
	var dev vdev.Device
	var base uint64
	switch {
	case vc.uart != nil && e.IPA >= uartRegion.Base && e.IPA-uartRegion.Base < virtualUARTSize:
		dev, base = vc.uart, uartRegion.Base
	case e.IPA >= gicdBase && e.IPA-gicdBase < vgic.DistributorSize:
		dev, base = vc.vgic.Distributor(), gicdBase
	case e.IPA >= gicrBase && e.IPA-gicrBase < uint64(vc.vgic.VCPUs())*vgic.RedistributorFrameSize:
		dev, base = vc.vgic.Redistributors(), gicrBase
	case e.IPA >= doorbells.Base && e.IPA-doorbells.Base < uint64(vc.nDoorbells)*board.DoorbellFrameSize:
		k := (e.IPA - doorbells.Base) / board.DoorbellFrameSize
		dev, base = vc.doorbells[k].dev, doorbells.Base+k*board.DoorbellFrameSize
	case vc.wdt != nil && e.IPA >= watchdogControlIPA && e.IPA-watchdogControlIPA < sbsawdt.FrameSize:
		dev, base = vc.wdt.Control(), watchdogControlIPA
	case vc.wdt != nil && e.IPA >= watchdogRefreshIPA && e.IPA-watchdogRefreshIPA < sbsawdt.FrameSize:
		dev, base = vc.wdt.Refresh(), watchdogRefreshIPA
	default:
		return false
	}
	a := e.Access
	a.Offset = e.IPA - base
	value, ok := dev.Access(a)
	if !ok {
		return false
	}
	if vc.wdt != nil && a.Write && (base == watchdogControlIPA || base == watchdogRefreshIPA) {
		vc.armWatchdog()
	}
	if !a.Write {
		CompleteLoad(&guestFrame, e, value)
	}
	guestFrame.ELR += 4
	return true
}

// claimInput makes this core the one that takes the physical UART's
// receive interrupt, if no core did yet: the interrupt, routed here,
// traps this core's guest (or wakes it, parked) when a byte is typed, so
// no exit of any partition needs to look at the UART. The UART's own
// interrupt is the hypervisor's; the partitions' virtual consoles share
// its INTID only virtually.
func (vc *vcpu) claimInput() {
	if vc.input == nil || !atomic.CompareAndSwapUint32(&shared().InputCore, 0, uint32(thisCore)+1) {
		return
	}
	uart.EnableReceiveInterrupt()
	distributor.Route(consoleSPI, mpidrOf(thisCore))
	distributor.EnableSPI(consoleSPI)
}

// pollInput moves bytes typed on the physical console to the partition
// that has the input focus. Only the core that claimed the input runs it,
// on the UART's receive interrupt.
func (vc *vcpu) pollInput() {
	if vc.input == nil {
		return
	}
	me := uint32(thisCore)
	// The physical UART is always read empty, so the hot key always
	// works and the interrupt line drops: a partition that does not read
	// its console (or is stopped) loses its own input, counted, and
	// nobody else's.
	kicked := -1
	for {
		b, ok := uart.Rx()
		if !ok {
			return
		}
		target, deliver := vc.input.Input(b)
		if target == vconsole.Hypervisor {
			vc.hypervisorCommand(deliver)
			continue
		}
		for _, d := range deliver {
			shared().Partition[target].UART.Push(me, d)
		}
		if len(deliver) > 0 && target != kicked {
			vc.kickPartition(target)
			kicked = target
		}
	}
}

// kickPartition makes partition p's vCPUs on other cores trap, or wake,
// so that the one its virtual console's interrupt is routed to injects
// it: a vCPU injects that interrupt on its exits, and a guest idle in WFI
// would not exit until its next timer interrupt.
func (vc *vcpu) kickPartition(p int) {
	mask := vc.view.Partition(p).CPUMask
	for c := 0; c < numCPUs; c++ {
		if mask&(1<<c) != 0 && c != thisCore {
			gic.SendSGI(doorbellSGI, mpidrOf(c))
		}
	}
}

// call answers a hypervisor or secure monitor call: PSCI and SMCCC for
// this partition only; nothing reaches the platform's firmware.
func (vc *vcpu) call(kind ExitKind) lifecycle.Next {
	if kind == ExitSMC {
		guestFrame.ELR += 4 // a trapped SMC returns to itself
	}
	if CallImmediate(guestFrame.ESR) != 0 {
		// SMCCC calls use immediate 0 (DEN 0028 2.5); no other
		// service is offered.
		guestFrame.X[0] = psciNotSupported
		return lifecycle.Continue
	}
	res := vc.psci.Call(guestFrame.X[0], guestFrame.X[1], guestFrame.X[2], guestFrame.X[3])
	copy(guestFrame.X[:4], res.X[:])
	switch res.Action {
	case psci.ActionWake:
		// The parked core collects its CPU_ON.
		gic.SendSGI(doorbellSGI, mpidrOf(res.Core))
	case psci.ActionPark:
		vc.say("vCPU off (PSCI CPU_OFF)\n")
		vc.life.CPUOff()
		return lifecycle.WaitForCPUOn
	case psci.ActionStop:
		return vc.lead(lifecycle.ActionStop, lifecycle.ReasonSystemOff)
	case psci.ActionRestart:
		return vc.lead(lifecycle.ActionRestart, lifecycle.ReasonSystemReset)
	}
	return lifecycle.Continue
}

// psciNotSupported is SMCCC's NOT_SUPPORTED (-1) as a register value.
const psciNotSupported = 1<<64 - 1

// stopTimeout bounds how long a stop's leader waits for the partition's
// other vCPUs to leave their guests. A vCPU traps at once on the doorbell
// (a physical interrupt reaches EL2 whatever the guest masks); one that
// does not answer in this time is reported, and the partition stays
// stopped rather than be restarted half-way.
const stopTimeout = 5 // seconds

// lead stops or restarts the partition as a whole from this vCPU (any of
// them): it asks the others to leave their guests and waits for them,
// then does the work. If another stop is under way, this vCPU acks it
// instead. It returns what this core does next.
func (vc *vcpu) lead(action lifecycle.Action, reason lifecycle.Reason) lifecycle.Next {
	if !vc.life.Request(action, reason) {
		return lifecycle.Wait
	}
	vc.park()
	vc.kickOthers()
	deadline := readCounter() + stopTimeout*readCounterFrequency()
	for pending := vc.life.Quiesced(); pending != 0; pending = vc.life.Quiesced() {
		if readCounter() > deadline {
			vc.prefix()
			console.Write("vCPUs ")
			console.Hex(pending)
			console.Write(" did not leave their guests for a ")
			console.Write(action.String())
			console.Write(" (")
			console.Write(reason.String())
			console.Write("); the partition stays stopped\n")
			vc.halt(lifecycle.ReasonUnresponsive, "stopped")
			return lifecycle.Sleep
		}
	}
	if action == lifecycle.ActionStop {
		why := "stopped"
		switch reason {
		case lifecycle.ReasonSystemOff:
			why = "stopped (SYSTEM_OFF)"
		case lifecycle.ReasonStartFailed:
			why = "could not be started"
		}
		vc.halt(reason, why)
		return lifecycle.Sleep
	}
	if reason == lifecycle.ReasonSystemReset {
		vc.say("SYSTEM_RESET: restarting the partition\n")
	}
	if !vc.resetPartition() {
		vc.halt(lifecycle.ReasonStartFailed, "could not be restarted")
		return lifecycle.Sleep
	}
	next := vc.life.Restarted()
	vc.kickOthers() // vCPU 0's core starts the guest again
	return next
}

// halt ends a stop for good and says so.
func (vc *vcpu) halt(reason lifecycle.Reason, why string) {
	if vc.uart != nil {
		vc.uart.Flush()
	}
	vc.detachSMMU()
	vc.life.Halt(reason)
	vc.kickOthers()
	vc.say(why + "\n")
}

// kickOthers makes every other vCPU of the partition trap soon, or wake
// if it is parked.
func (vc *vcpu) kickOthers() {
	mask := vc.cpuMask
	for v := 0; v < vc.vgic.VCPUs(); v++ {
		if v == vc.index {
			continue
		}
		if core, ok := psci.CoreOfVCPU(mask, v); ok {
			gic.SendSGI(doorbellSGI, mpidrOf(core))
		}
	}
}

// fault applies the partition's policy to an access or trap the guest was
// not given, and reports it on the hypervisor console.
func (vc *vcpu) fault(e *Exit) lifecycle.Next {
	switch vc.policy {
	case table.FaultInjectAbort:
		vc.report(e, "external abort injected")
		in := InjectExternalAbort(&guestFrame, *e)
		injectEL1(in.ESREL1, in.FAREL1, in.ELREL1, in.SPSREL1)
		guestFrame.ELR = readVBAREL1() + in.Vector
		guestFrame.SPSR = in.SPSR
		return lifecycle.Continue
	case table.FaultRestart:
		vc.report(e, "partition restarted")
		return vc.lead(lifecycle.ActionRestart, lifecycle.ReasonFault)
	}
	vc.report(e, "partition stopped")
	return vc.lead(lifecycle.ActionStop, lifecycle.ReasonFault)
}

// resetPartition puts the partition, whose vCPUs are all out of their
// guests, in its power-on state from this core (any of its vCPUs'): device
// models reset, its SPIs disabled at the physical GIC, its RAM wiped, its
// images reloaded and checked. vCPU 0's core then enters the guest at its
// entry.
func (vc *vcpu) resetPartition() bool {
	ps := &shared().Partition[vc.partition]
	if vc.uart != nil {
		vc.uart.Flush()
	}
	// No DMA of its devices may reach the memory about to be wiped.
	if !vc.detachSMMU() {
		return false
	}
	if err := ps.UART.Reset(uint32(thisCore)); err != nil {
		vc.say(err.Error() + "\n")
		return false
	}
	if err := ps.VGIC.Reset(uint32(thisCore)); err != nil {
		vc.say(err.Error() + "\n")
		return false
	}
	if err := vc.resetWatchdog(); err != nil {
		vc.say(err.Error() + "\n")
		return false
	}
	part := vc.view.Partition(vc.partition)
	for i := part.Interrupts.First; i < part.Interrupts.End(); i++ {
		distributor.DisableSPI(vc.view.Interrupt(int(i)).INTID)
	}
	for v := range ps.SGIs {
		atomic.StoreUint32(&ps.SGIs[v], 0)
	}
	vc.resetDoorbells()
	vc.psci.Reset()
	vc.clearRAM()
	// vCPU 0's entry (setupGuest) invalidates the partition's TLB
	// entries by its VMID, everywhere, before the guest runs again.
	return vc.load() && vc.attachSMMU()
}

// clearRAM zeroes the partition's RAM and cleans it to memory; it returns
// how many bytes that was.
func (vc *vcpu) clearRAM() uint64 {
	part := vc.view.Partition(vc.partition)
	var total uint64
	for i := part.Regions.First; i < part.Regions.End(); i++ {
		if r := vc.view.Region(int(i)); r.Kind == table.RegionRAM {
			clear(unsafe.Slice((*byte)(unsafe.Pointer(uintptr(r.PhysBase))), r.Size))
			cleanDcache(r.PhysBase, r.Size)
			total += r.Size
		}
	}
	return total
}

// stop reports that the partition cannot run at all on this core (its
// table view could not be built).
func (vc *vcpu) stop(why string) {
	vc.say(why + "\n")
}

func (vc *vcpu) sayStart() {
	part := vc.view.Partition(vc.partition)
	vc.prefix()
	console.Write("vCPU ")
	console.Dec(uint64(vc.index))
	console.Write(" enters at ")
	console.Hex(part.EntryIPA)
	console.Write(" on core ")
	console.Dec(uint64(thisCore))
	console.Write("\n")
}

// report writes one line about a violation: partition, vCPU, what the
// guest did, where, and what the hypervisor did about it.
func (vc *vcpu) report(e *Exit, action string) {
	ok, suppressed := shared().Partition[vc.partition].FaultLines.Allow(readCounter(), readCounterFrequency())
	vc.saySuppressed(suppressed)
	if !ok {
		return
	}
	vc.prefix()
	console.Write("vCPU ")
	console.Dec(uint64(vc.index))
	console.Write(": ")
	if e.Class != 0 || e.Kind != ExitOther {
		console.Write(e.Class.String())
	} else {
		console.Write("unexpected exception")
	}
	if e.Kind == ExitAbort || e.Kind == ExitMMIO {
		status := aarch64.ESR(guestFrame.ESR).FaultStatus()
		console.Write(" (")
		console.Write(status.String())
		if lvl := status.Level(); lvl >= 0 {
			console.Write(", level ")
			console.Dec(uint64(lvl))
		}
		console.Write(") at IPA ")
		console.Hex(e.IPA)
	}
	console.Write(" (pc ")
	console.Hex(guestFrame.ELR)
	console.Write("): ")
	console.Write(action)
	console.Write("\n")
}

// saySuppressed sums up the fault lines the partition's rate limit kept
// off the console, if any.
func (vc *vcpu) saySuppressed(n uint64) {
	if n == 0 {
		return
	}
	vc.prefix()
	console.Dec(n)
	console.Write(" more fault lines suppressed (at most ")
	console.Dec(faultLinesPerSecond)
	console.Write(" a second are printed)\n")
}

// faultSummary prints the summary of a fault flood that stopped, once its
// second has passed.
func (vc *vcpu) faultSummary() {
	if l := &shared().Partition[vc.partition].FaultLines; l.Pending() {
		vc.saySuppressed(l.Summary(readCounter(), readCounterFrequency()))
	}
}

func (vc *vcpu) prefix() {
	console.Write("tamavisor: partition \"")
	console.Write(vc.name)
	console.Write("\": ")
}

func (vc *vcpu) say(s string) {
	vc.prefix()
	console.Write(s)
}

// hypervisorCommand runs what is typed while the hypervisor has the input
// focus: t prints every core's trap counts, s every partition's status.
func (vc *vcpu) hypervisorCommand(typed []byte) {
	for _, b := range typed {
		switch b {
		case 't':
			for c := 0; c < numCPUs; c++ {
				WriteTrapCounts(&console, c, &shared().Traps[c])
			}
		case 's':
			for p := 0; p < vc.view.NumPartitions(); p++ {
				part := vc.view.Partition(p)
				WritePartitionStatus(&console, part.Name.String(), &shared().Partition[p].Life, mathbits.OnesCount64(part.CPUMask),
					part.WatchdogMS, part.Watchdog.String())
				if part.Console == table.ConsoleVirtual {
					u := &shared().Partition[p].UART
					console.Write("tamavisor: console \"")
					console.Write(part.Name.String())
					console.Write("\": typed bytes it did not take ")
					console.Dec(u.InputDropped())
					console.Write(", bytes it wrote that never made a line ")
					console.Dec(u.OutputDropped())
					console.Write("\n")
				}
			}
			for c := 0; c < numCPUs; c++ {
				if lost := shared().Output[c].Lost(); lost > 0 {
					console.Write("tamavisor: console: core ")
					console.Dec(uint64(c))
					console.Write(" lost ")
					console.Dec(lost)
					console.Write(" lines (its ring was full)\n")
				}
			}
		}
	}
}

// counterClock reads the system counter for the watchdog.
type counterClock struct{}

func (counterClock) Now() uint64 { return readCounter() }

// resetWatchdog puts the partition's watchdog in its reset state: off, its
// offset half the config's timeout. Any armed EL2 timer finds it off.
func (vc *vcpu) resetWatchdog() error {
	if vc.wdt == nil {
		return nil
	}
	maxWOR := uint64(vc.wdtMS) * readCounterFrequency() / 1000 / 2
	return shared().Partition[vc.partition].Watchdog.Reset(uint32(thisCore), maxWOR)
}

// armWatchdog sets this core's EL2 timer to the watchdog's next deadline,
// after the guest wrote one of its registers. Whichever core's timer fires
// first checks it; a check after the deadline moved only re-arms.
func (vc *vcpu) armWatchdog() {
	_, next, _ := vc.wdt.Check(readCounter())
	if next != 0 {
		setHypTimer(next)
	} else {
		stopHypTimer()
	}
}

// watchdogCheck runs when the EL2 timer fires: the watchdog's timeouts due
// now are applied, and if the guest let it expire the partition's watchdog
// action is carried out, from this core.
func (vc *vcpu) watchdogCheck() lifecycle.Next {
	if vc.wdt == nil {
		stopHypTimer()
		return lifecycle.Continue
	}
	expired, next, since := vc.wdt.Check(readCounter())
	if next != 0 {
		setHypTimer(next)
	} else {
		stopHypTimer()
	}
	if !expired {
		return lifecycle.Continue
	}
	vc.prefix()
	console.Write("watchdog expired, ")
	console.Dec(since * 1000 / readCounterFrequency())
	console.Write(" ms after its last refresh (timeout ")
	console.Dec(uint64(vc.wdtMS))
	console.Write(" ms): partition ")
	if vc.wdtAction == lifecycle.ActionRestart {
		console.Write("restarted\n")
	} else {
		console.Write("stopped\n")
	}
	return vc.lead(vc.wdtAction, lifecycle.ReasonWatchdog)
}
