//go:build tamago && arm64

package hv

import (
	"sync/atomic"
	"unsafe"

	"github.com/tamavisor/tamavisor/aarch64"
	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/firmware/vdev"
	vconsole "github.com/tamavisor/tamavisor/firmware/vdev/console"
	"github.com/tamavisor/tamavisor/firmware/vdev/psci"
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
func setupGuest(hcr, vtcr, vttbr, vmpidr, cntvoff uint64)
func injectEL1(esr, far, elr, spsr uint64)
func readVBAREL1() uint64
func syncInstructions()
func stopGuestTimer()

// Private to the core, like all Go globals: the one vCPU it runs.
var (
	guestFrame  Frame
	guestFP     fpState
	hostContext [4]uint64 // SP, g, frame pointer, return address of runGuest's caller
	vc          vcpu
	// stage2Pages backs the partition's stage-2 tables on the core of
	// its vCPU 0: private memory, which the guest cannot reach.
	stage2Pages []byte
)

// fpState is a guest's FP/SIMD registers while the hypervisor runs: the
// Go code of the trap path uses them too (the compiler moves and clears
// memory through Q registers), so guestExit saves them and runGuest loads
// them back. Without that a guest's user programs find their vector
// registers changed under them after a trap, and see values of the
// hypervisor's.
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
	name      string
	images    []byte
	policy    table.FaultPolicy
	stage2    mmu.Tables
	pool      heapPages
	vmid      uint8
	psci      psci.Partition
	// uart is the partition's virtual console, nil unless the partition
	// has console: virtual; input routes keyboard bytes by focus.
	uart  *vpl011.UART
	input *vconsole.Router
	// vgic is the partition's virtual GIC; cpuif this core's list
	// registers.
	vgic  *vgic.VGIC
	cpuif *lr.CPUInterface
	// held marks the physical interrupts (the timer PPI, the partition's
	// SPIs) taken for this vCPU while its guest could not take them; they
	// stay active at the physical GIC until it can (see hold).
	held      [gic.SpecialINTIDs/32 + 1]uint32
	heldCount int
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
		vc = vcpu{view: v, partition: p, index: vcpuIndex(part.CPUMask, thisCore),
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
		if vc.index == 0 {
			if err := sh.Partition[p].VGIC.Reset(uint32(thisCore)); err != nil {
				vc.stop(err.Error())
				return
			}
		}
		if vc.vgic, err = vgic.FromTable(&sh.Partition[p].VGIC, qemuvirt.Board, v, p, thisCore, &vc); err != nil {
			vc.stop(err.Error())
			return
		}
		vc.cpuif = lr.New(lr.SystemRegisters{})
		if vc.index == 0 {
			vc.psci.Reset()
			if err := sh.Partition[p].UART.Reset(uint32(thisCore)); err != nil {
				vc.stop(err.Error())
				return
			}
			if !vc.setup() {
				vc.stop("could not be started")
				return
			}
		} else if !vc.waitForCPUOn() {
			return
		}
		vc.run()
	}
}

// waitForCPUOn parks a vCPU other than 0 until the guest starts it with
// PSCI CPU_ON, then prepares its entry there. It returns false if the
// partition stopped meanwhile.
func (vc *vcpu) waitForCPUOn() bool {
	ps := &shared().Partition[vc.partition]
	vc.park()
	for {
		if atomic.LoadUint32(&ps.Run) == PartitionStopped {
			return false
		}
		vttbr := atomic.LoadUint64(&ps.VTTBR)
		if vttbr != 0 {
			if entry, context, ok := vc.psci.TakeCPUOn(vc.index); ok {
				guestFrame = Frame{ELR: entry, SPSR: GuestEntrySPSR}
				guestFrame.X[0] = context
				guestFP = fpState{}
				setupGuest(HCRGuest, mmu.VTCREL2ForBits(IPABits, physAddrBits), vttbr, psci.GuestMPIDR(vc.index),
					atomic.LoadUint64(&ps.CNTVOFF))
				vc.freshInterrupts()
				// A doorbell that sleep took meant for a vCPU being
				// started: its mailbox is collected now, not at the
				// next doorbell. An SGI is never lost.
				vc.collectSGIs()
				return true
			}
		}
		// CPU_ON and the partition's stop both ring the doorbell.
		sleep()
	}
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
	if !vc.load() {
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
	guestFP = fpState{}
	// The partition's virtual time starts at zero at each (re)start.
	cntvoff := readCounter()
	atomic.StoreUint64(&shared().Partition[vc.partition].CNTVOFF, cntvoff)
	setupGuest(HCRGuest, mmu.VTCREL2(&vc.stage2, physAddrBits), mmu.VTTBREL2(&vc.stage2, vc.vmid), psci.GuestMPIDR(vc.index), cntvoff)
	vc.freshInterrupts()
}

// run is the vCPU's loop: enter the guest, handle the trap, go back. It
// allocates nothing and never blocks.
func (vc *vcpu) run() {
	atomic.StoreUint32(&shared().Partition[vc.partition].Run, PartitionRunning)
	vc.sayStart()
	for {
		runGuest()
		vc.pollInput()
		e := DecodeExit(&guestFrame)
		counts := &shared().Traps[thisCore]
		switch e.Kind {
		case ExitInterrupt:
			counts.Count(e)
			vc.interrupt()
		case ExitSysReg:
			counts.Count(e)
			if !vc.sysreg(e) && !vc.fault(e) {
				return
			}
		case ExitMMIO:
			if vc.emulate(e) {
				counts.Count(e)
				break
			}
			// Nothing emulates that address: a violation.
			counts.Count(Exit{Kind: ExitAbort})
			if !vc.fault(e) {
				return
			}
		case ExitHVC, ExitSMC:
			counts.Count(e)
			if !vc.call(e) {
				return
			}
		default:
			counts.Count(e)
			if !vc.fault(e) {
				return
			}
		}
		vc.consoleInterrupt()
		vc.pendingSGIs()
		vc.heldInterrupts()
		// Another vCPU's SYSTEM_OFF or SYSTEM_RESET is acted on by vCPU
		// 0's core; the others stop running the guest.
		if req := vc.psci.Request(); req != psci.RequestNone && !vc.request(req) {
			return
		}
	}
}

// emulate performs an access to an emulated device and steps the guest
// past it; false means no device answers it.
func (vc *vcpu) emulate(e Exit) bool {
	var dev vdev.Device
	var base uint64
	switch {
	case vc.uart != nil && e.IPA >= uartRegion.Base && e.IPA-uartRegion.Base < virtualUARTSize:
		dev, base = vc.uart, uartRegion.Base
	case e.IPA >= qemuvirt.GICDBase && e.IPA-qemuvirt.GICDBase < vgic.DistributorSize:
		dev, base = vc.vgic.Distributor(), qemuvirt.GICDBase
	case e.IPA >= qemuvirt.GICRBase && e.IPA-qemuvirt.GICRBase < uint64(vc.vgic.VCPUs())*vgic.RedistributorFrameSize:
		dev, base = vc.vgic.Redistributors(), qemuvirt.GICRBase
	default:
		return false
	}
	a := e.Access
	a.Offset = e.IPA - base
	value, ok := dev.Access(a)
	if !ok {
		return false
	}
	if !a.Write {
		CompleteLoad(&guestFrame, e, value)
	}
	guestFrame.ELR += 4
	return true
}

// pollInput moves bytes typed on the physical console to the partition
// that has the input focus.
func (vc *vcpu) pollInput() {
	if vc.input == nil {
		return
	}
	lock, me := &shared().InputLock, uint32(thisCore)
	if !lock.TryTakeOver(me) {
		return // another core is at it; the bytes wait in the UART
	}
	defer lock.Release(me)
	for {
		// Leave typed bytes in the physical UART while the focused
		// partition's receive FIFO is full: none is dropped.
		if f := vc.input.Focus(); f >= 0 && shared().Partition[f].UART.Room() < vconsole.HotKeyPresses {
			return
		}
		b, ok := uart.Rx()
		if !ok {
			return
		}
		target, deliver := vc.input.Input(b)
		if target == vconsole.Hypervisor {
			hypervisorCommand(deliver)
			continue
		}
		for _, d := range deliver {
			shared().Partition[target].UART.Push(me, d)
		}
	}
}

// call answers a hypervisor or secure monitor call: PSCI and SMCCC for
// this partition only; nothing reaches the platform's firmware. It returns
// false when this vCPU stops.
func (vc *vcpu) call(e Exit) bool {
	if e.Kind == ExitSMC {
		guestFrame.ELR += 4 // a trapped SMC returns to itself
	}
	res := vc.psci.Call(guestFrame.X[0], guestFrame.X[1], guestFrame.X[2], guestFrame.X[3])
	copy(guestFrame.X[:4], res.X[:])
	switch res.Action {
	case psci.ActionWake:
		// The parked core collects its CPU_ON.
		gic.SendSGI(doorbellSGI, mpidrOf(res.Core))
	case psci.ActionPark:
		vc.say("vCPU off (PSCI CPU_OFF)\n")
		return vc.waitForCPUOn()
	case psci.ActionStop, psci.ActionRestart:
		return vc.request(vc.psci.Request())
	}
	return true
}

// request acts on a partition-wide PSCI request. vCPU 0's core stops or
// restarts the partition; the others park. Whoever sees the request first
// kicks the partition's other cores with the doorbell SGI, a physical
// interrupt that traps to EL2 even while a guest masks interrupts (Linux
// parks its other CPUs so before it powers off). It returns false when
// this vCPU no longer runs.
func (vc *vcpu) request(req psci.Request) bool {
	vc.kickOthers()
	if vc.index != 0 {
		return vc.waitForCPUOn()
	}
	if req == psci.RequestSystemReset {
		vc.say("SYSTEM_RESET: restarting the partition\n")
		return vc.restart()
	}
	vc.stop("stopped (SYSTEM_OFF)")
	return false
}

// kickOthers makes every other vCPU of the partition trap soon.
func (vc *vcpu) kickOthers() {
	mask := vc.view.Partition(vc.partition).CPUMask
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
// not given, and reports it on the hypervisor console. It returns false
// when the vCPU is to stop.
func (vc *vcpu) fault(e Exit) bool {
	switch vc.policy {
	case table.FaultInjectAbort:
		vc.report(e, "external abort injected")
		in := InjectExternalAbort(&guestFrame, e)
		injectEL1(in.ESREL1, in.FAREL1, in.ELREL1, in.SPSREL1)
		guestFrame.ELR = readVBAREL1() + in.Vector
		guestFrame.SPSR = in.SPSR
		return true
	case table.FaultRestart:
		vc.report(e, "partition restarted")
		return vc.restart()
	}
	vc.report(e, "partition stopped")
	vc.stop("stopped")
	return false
}

// restart wipes the partition's RAM, reloads its images and starts vCPU 0
// again from its entry.
func (vc *vcpu) restart() bool {
	if vc.uart != nil {
		vc.uart.Flush()
		if err := shared().Partition[vc.partition].UART.Reset(uint32(thisCore)); err != nil {
			vc.stop("could not be restarted: " + err.Error())
			return false
		}
	}
	part := vc.view.Partition(vc.partition)
	for i := part.Regions.First; i < part.Regions.End(); i++ {
		if r := vc.view.Region(int(i)); r.Kind == table.RegionRAM {
			clear(unsafe.Slice((*byte)(unsafe.Pointer(uintptr(r.PhysBase))), r.Size))
			cleanDcache(r.PhysBase, r.Size)
		}
	}
	if !vc.load() {
		vc.stop("could not be restarted")
		return false
	}
	ps := &shared().Partition[vc.partition]
	atomic.AddUint32(&ps.Restarts, 1)
	if err := ps.VGIC.Reset(uint32(thisCore)); err != nil {
		vc.stop("could not be restarted: " + err.Error())
		return false
	}
	for v := range ps.SGIs {
		atomic.StoreUint32(&ps.SGIs[v], 0)
	}
	vc.psci.Reset()
	vc.reset()
	vc.sayStart()
	return true
}

func (vc *vcpu) stop(why string) {
	if vc.uart != nil {
		vc.uart.Flush()
	}
	atomic.StoreUint32(&shared().Partition[vc.partition].Run, PartitionStopped)
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
func (vc *vcpu) report(e Exit, action string) {
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
// focus: t prints every core's trap counts.
func hypervisorCommand(typed []byte) {
	for _, b := range typed {
		if b == 't' {
			for c := 0; c < numCPUs; c++ {
				WriteTrapCounts(&console, c, &shared().Traps[c])
			}
		}
	}
}
