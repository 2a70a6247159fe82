//go:build tamago && arm64

package hv

import (
	"math"
	"runtime/goos"
	"sync/atomic"
	"unsafe"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/driver/mmio"
	"github.com/tamavisor/tamavisor/gic"
	"github.com/tamavisor/tamavisor/internal/bare"
	"github.com/tamavisor/tamavisor/internal/spin"
	"github.com/tamavisor/tamavisor/mmu"
	"github.com/tamavisor/tamavisor/partition/table"
)

// The Go runtime's RAM: slot 0's window at the same virtual addresses on
// every core (runtime/goos, see tamago's goos package).
//
//go:linkname runtimeRAMStart runtime/goos.RamStart
var runtimeRAMStart uint64 = ramStart

//go:linkname runtimeRAMSize runtime/goos.RamSize
var runtimeRAMSize uint64 = slotSize

//go:linkname runtimeRAMStackOffset runtime/goos.RamStackOffset
var runtimeRAMStackOffset uint64 = exceptionStackSize

// Defined in boot_el2.s.
func secondaryEntry()
func secondaryEntryAddress() uint64
func loadTables(ttbr0, tcr, mair, sctlr uint64)
func cleanDcache(addr, size uint64)
func cleanInvalidateDcache(addr, size uint64)
func onBootMap() bool
func imageBounds() (text, etext, noptrdata, edata, end uint64)
func copyWords(dst, src, size uint64)
func zeroWords(dst, size uint64)
func readMPIDR() uint64
func readCounter() uint64
func readCounterFrequency() uint64
func translate(va uint64) (par uint64)
func smc(fn, a1, a2, a3 uint64) uint64
func waitForEvent()
func waitForInterrupt()
func sendEvent()
func haltForever()

// Defined in vectors_el2.s.
func vectors()

// Private to each core, like every Go global (they live in the core's slot).
var (
	thisCore   int
	isBootCore bool
	// interruptsReady says this core's GIC CPU interface is set up: it
	// may send SGIs.
	interruptsReady bool
	console         Console
	image           Image
	// payload is the image's payload segment, if it has one (boot core).
	payload board.Region
	// partitionRAM is every partition's RAM, peeked from the table at
	// boot; ramPeekFailed says the table could not be read for it.
	partitionRAM      [maxPartitionRAMRegions]table.RAMRegion
	partitionRAMCount int
	ramPeekFailed     bool

	// Used by Hwinit0 before the Go heap exists: globals, never heap.
	bootMem    mmu.PhysicalMemory
	bootTables mmu.Tables
	bootLayout Layout

	// The exception path's own state.
	exceptionFrame Frame
	exceptionG     [64]uint64 // a zeroed g: stack guard 0, no stack check fires
	exceptionDepth int
	random         bare.SplitMix64
)

// shared returns the region all cores map at the same address (identity
// mapped, so valid with the MMU on or off). The conversion from a constant
// address is the one place the hypervisor makes memory out of a number.
func shared() *Shared { return (*Shared)(unsafe.Pointer(uintptr(sharedBase))) }

// coreNames names each core in layout errors without formatting.
var coreNames = [...]string{"core 0", "core 1", "core 2", "core 3", "core 4", "core 5", "core 6", "core 7"}

// identify finds this core's index from its MPIDR.
func identify() bool {
	mpidr := readMPIDR() & 0xff_00ff_ffff
	for c := 0; c < numCPUs; c++ {
		if mpidrOf(c) == mpidr {
			thisCore = c
			return true
		}
	}
	return false
}

// hwinit0 runs on every core before the Go runtime initializes, always
// with the MMU on: a secondary's entry code turned on its own tables, the
// boot core's entry code the boot identity map. On the boot core it
// prepares every core's private memory and tables and moves to its own. It
// must not allocate and must not write initialized Go data before the
// copies for the other cores are taken.
//
//go:linkname hwinit0 runtime/goos.Hwinit0
func hwinit0() {
	text, etext, data, edata, end := imageBounds()
	image = Image{TextStart: text, TextEnd: etext, DataStart: data &^ (mmu.PageSize - 1),
		DataEnd: (edata + 7) &^ 7, End: (end + 7) &^ 7}
	if !onBootMap() {
		identify()
		console.Init(&uart, thisCore, shared().Output[:], &shared().Writer)
		return
	}

	isBootCore = true
	uart.Init()
	console.Init(&uart, 0, nil, nil)
	if !identify() || thisCore != 0 {
		console.Write("tamavisor: the boot core's MPIDR is not core 0 of this board; halting\n")
		haltForever()
	}
	if image.End+minimumHeap > stackTop-exceptionStackSize {
		console.Write("tamavisor: image too large for its per-core slot (ends at ")
		console.Hex(image.End)
		console.Write("); halting\n")
		haltForever()
	}
	if text != textStart {
		console.Write("tamavisor: image linked at the wrong address (text ")
		console.Hex(text)
		console.Write(", board expects ")
		console.Hex(textStart)
		console.Write("); rebuild with the Makefile; halting\n")
		haltForever()
	}
	if bootTableBase != BootTable(hypervisor, numCPUs) {
		console.Write("tamavisor: the boot map's page is not BootTable's; halting\n")
		haltForever()
	}

	// Start from a clean shared region: it may hold a previous boot's state.
	zeroWords(sharedBase, uint64(unsafe.Sizeof(Shared{})))

	// An image built by tamavisor build carries a partition table at
	// payloadBase; map as much as its header claims (bounded by RAM) so
	// that main can check all of it.
	if mmio.Read64(payloadBase) == tableMagicLE {
		payload = board.Region{Base: payloadBase, Size: PayloadSpan(
			mmio.Read64(payloadBase+tableTotalLengthOffset),
			mmio.Read64(payloadBase+tablePayloadSizeOffset),
			ramEnd-payloadBase)}
		shared().PayloadBase, shared().PayloadSize = payload.Base, payload.Size
	}

	// Which RAM each core's partition owns, so its tables can map it.
	if payload.Size > 0 {
		segment := unsafe.Slice((*byte)(unsafe.Pointer(uintptr(payload.Base))), payload.Size)
		partitionRAMCount, _ = peekPartitionRAM(segment)
	}

	// Each other core starts from pristine initialized data and zeroed
	// bss, in its own slot.
	for c := 1; c < numCPUs; c++ {
		copyWords(PrivatePA(hypervisor, c, image.DataStart), image.DataStart, image.DataEnd-image.DataStart)
		zeroWords(PrivatePA(hypervisor, c, image.DataEnd), image.End-image.DataEnd)
	}
	for c := numCPUs - 1; c >= 0; c-- {
		buildTables(c)
	}
	// Secondaries read their boot parameters with their caches off.
	cleanDcache(sharedBase, uint64(unsafe.Sizeof(Shared{})))
	boot := &shared().Boot[0]
	loadTables(boot.TTBR0, boot.TCR, boot.MAIR, boot.SCTLR)
}

// peekPartitionRAM reads the partitions' RAM regions from the table without
// the Go heap; a table it cannot read maps no partition RAM, and main
// reports why before anything runs.
func peekPartitionRAM(segment []byte) (int, bool) {
	n, ok := table.PeekRAM(segment, partitionRAM[:])
	ramPeekFailed = !ok
	return n, ok
}

// mapOrHalt maps regions into bootTables (fresh from bootMem) and stops the
// boot, naming the region, if the builder refuses the layout.
func mapOrHalt(what string, regions []mmu.Region) {
	err := bootTables.Init(&bootMem, VABits, mmu.EL2Stage1)
	if err == nil {
		err = bootTables.MapRegions(regions)
	}
	if err == nil {
		return
	}
	console.Write("tamavisor: ")
	console.Write(what)
	console.Write(" memory layout: ")
	if le, ok := err.(*mmu.LayoutError); ok {
		console.Write("region ")
		console.Write(le.Region.Name)
		console.Write(" va ")
		console.Hex(le.Region.VA)
		console.Write(" size ")
		console.Hex(le.Region.Size)
		console.Write(": ")
		console.Write(le.Err.Error())
		if le.Other.Name != "" {
			console.Write(" (region ")
			console.Write(le.Other.Name)
			console.Write(")")
		}
	} else {
		console.Write(err.Error())
	}
	console.Write("; fix the board description; halting\n")
	haltForever()
}

// buildTables builds core c's EL2 stage-1 tables in its own pool and
// records them in its boot parameters. A layout the builder refuses is
// reported by region name and stops the boot.
func buildTables(c int) {
	base, end := TablePool(hypervisor, c)
	bootMem = mmu.PhysicalMemory{Next: base, End: end}
	bootLayout = CoreLayout(hypervisor, image, c, hypervisorDevices, payload, partitionRAM[:partitionRAMCount])
	if bootLayout.Overflowed() {
		console.Write("tamavisor: core ")
		console.Dec(uint64(c))
		console.Write(" memory layout: more regions than a core maps; give its partition fewer memory regions; halting\n")
		haltForever()
	}
	mapOrHalt(coreNames[c], bootLayout.Regions())
	shared().Boot[c] = BootParams{
		TTBR0:    bootTables.Root(),
		TCR:      mmu.TCREL2(VABits, physAddrBits),
		MAIR:     mmu.MAIR,
		SCTLR:    mmu.SCTLREL2,
		StackTop: stackTop,
	}
}

//go:linkname hwinit1 runtime/goos.Hwinit1
func hwinit1() {
	goos.Exit = exit
	goos.Idle = idle
	spin.Halted = coreHalted
}

// coreHalted reports whether core entered the safe state, for the locks
// the cores share: a lock it holds is never released.
func coreHalted(core uint32) bool {
	return core < numCPUs && atomic.LoadUint32(&shared().Core[core].State) == CoreHalted
}

//go:linkname printk runtime/goos.Printk
func printk(c byte) { console.Put(c) }

//go:linkname nanotime runtime/goos.Nanotime
func nanotime() int64 { return bare.Nanoseconds(readCounter(), readCounterFrequency()) }

// The board offers no entropy source at EL2; see bare.SplitMix64.
//
//go:linkname initRNG runtime/goos.InitRNG
func initRNG() {
	random.State = readCounter() ^ readMPIDR()<<32
}

//go:linkname getRandomData runtime/goos.GetRandomData
func getRandomData(b []byte) { random.Fill(b) }

// idle is called when no goroutine can run. With no timer pending nothing
// can wake this core (interrupts come with guests), so it waits for an
// event; with a timer pending the scheduler polls the clock.
func idle(until int64) {
	if until == math.MaxInt64 {
		waitForEvent()
	}
}

// exit is where a Go panic or fatal error ends: after the runtime printed
// the panic and its goroutine trace, this core enters the safe state.
func exit(code int32) {
	console.Flush()
	enterSafeState("hypervisor panic")
}

// othersStarted reports whether any other core was started.
func othersStarted() bool {
	for c := 0; c < numCPUs; c++ {
		if c != thisCore && atomic.LoadUint32(&shared().Core[c].State) != CoreOff {
			return true
		}
	}
	return false
}

// handleException is called by the vectors for every exception taken to
// EL2 on this core: none is expected yet, so each is reported and stops
// the core.
func handleException() {
	exceptionDepth++
	if exceptionDepth > 1 {
		console.Write("\nexception while reporting an exception\n")
		enterSafeState("nested exception")
	}
	WriteReport(&console, thisCore, &exceptionFrame)
	enterSafeState("unexpected exception")
}

func enterSafeState(why string) {
	WriteHalted(&console, thisCore, why, othersStarted())
	atomic.StoreUint32(&shared().Core[thisCore].State, CoreHalted)
	sendEvent()
	if interruptsReady && thisCore != 0 {
		gic.SendSGI(doorbellSGI, mpidrOf(0)) // wakes the boot core's watchCores
	}
	haltForever()
}
