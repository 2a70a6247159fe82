//go:build tamago && arm64

package el1

import (
	"math"
	"runtime/goos"
	_ "unsafe" // go:linkname

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/driver/pl011"
	"github.com/tamavisor/tamavisor/internal/bare"
	"github.com/tamavisor/tamavisor/mmu"
)

// The Go runtime's stacks start below the exception stack. RamStart and
// RamSize come from the program's board file.
//
//go:linkname runtimeRAMStackOffset runtime/goos.RamStackOffset
var runtimeRAMStackOffset uint = ExceptionStackSize

// Defined in boot_el1.s.
func loadTables(ttbr0, tcr, mair, sctlr uint64)
func imageBounds() (text, etext, noptrdata, end uint64)
func runtimeRAM() (start, size uint64)
func currentEL() uint64
func readCounter() uint64
func readCounterFrequency() uint64
func readMPIDR() uint64
func invalidateTLB()
func waitForEvent()
func haltForever()

// HVC makes a hypervisor call with the SMC Calling Convention (DEN 0028):
// function ID in x0, arguments in x1..x3, the result in x0.
func HVC(fn, a1, a2, a3 uint64) uint64

// SMC makes a secure monitor call with the SMC Calling Convention.
func SMC(fn, a1, a2, a3 uint64) uint64

// HVCRegisters makes a hypervisor call with every register the SMC
// Calling Convention passes, x0..x17, taken from x, and returns them in x
// as the call left them: to see what a hypervisor changes.
func HVCRegisters(x *[18]uint64) { callRegisters(false, x) }

// SMCRegisters is HVCRegisters with an SMC.
func SMCRegisters(x *[18]uint64) { callRegisters(true, x) }

//go:noescape
func callRegisters(smc bool, x *[18]uint64)

// Defined in vectors_el1.s.
func vectors()

// bootArgumentUnset marks bootArgument before cpuinit stores x0. A nonzero
// initial value puts the variable in initialized data, which nothing
// clears after cpuinit wrote it.
const bootArgumentUnset = 0xdead_0000_0000_0001

var (
	// bootArgument is x0 at the program's first instruction.
	bootArgument uint64 = bootArgumentUnset

	// The console is never initialized here: it belongs to the
	// hypervisor (a virtual PL011) or to QEMU, enabled already; a guest
	// only transmits, polling.
	uart    = pl011.UART{Base: ConsoleUART}
	console Console

	// Set up by Hwinit0, before the Go heap exists: globals, never heap.
	ram         board.Region
	image       Image
	layout      Layout
	tableMemory mmu.PhysicalMemory
	tables      mmu.Tables

	// The exception path's own state.
	exceptionFrame Frame
	exceptionFP    fpState
	exceptionG     [128]uint64 // a zeroed g: stack guard 0, so no stack check fires
	exceptionDepth int
	syncHook       SyncHook

	counterFrequency uint64
	random           bare.SplitMix64
)

// fpState holds the FP/SIMD registers the exception path saves, so that a
// hook's Go code (which may use them for copies) leaves the interrupted
// code's registers intact. Layout shared with vectors_el1.s.
type fpState struct {
	Q    [64]uint64 // q0..q31
	FPCR uint64
	FPSR uint64
}

// hwinit0 runs before the Go runtime initializes, on the boot map cpuinit
// turned on: it builds the guest's stage-1 tables and moves to them. It
// must not allocate, and package initializers have not run yet, so it only
// uses constants and statically initialized data.
//
//go:linkname hwinit0 runtime/goos.Hwinit0
func hwinit0() {
	console.UART = &uart
	if el := currentEL(); el != 1 {
		console.WriteString("el1: entered at EL")
		console.Dec(el)
		console.WriteString(", not EL1: run this program as a Tamavisor guest, or under QEMU without virtualization=on; halting\n")
		haltForever()
	}
	start, size := runtimeRAM()
	ram = board.Region{Base: start, Size: size}
	text, etext, noptrdata, end := imageBounds()
	image = Image{TextStart: text, TextEnd: etext, DataStart: noptrdata, End: end}
	if err := layout.Build(image, ram, ConsoleUART); err != nil {
		console.WriteString("el1: text at ")
		console.Hex(text)
		console.WriteString(", RAM ")
		writeRegion(ram)
		console.WriteString(": ")
		console.WriteString(string(err.(ImageError)))
		console.WriteString("; halting\n")
		haltForever()
	}
	poolBase, poolEnd := TablePool(image, ram)
	tableMemory = mmu.PhysicalMemory{Next: poolBase, End: poolEnd}
	err := tables.Init(&tableMemory, VABits, mmu.EL1Stage1)
	if err == nil {
		err = tables.MapRegions(layout.Regions())
	}
	if err != nil {
		// mmu's errors are statically initialized, and their Error
		// methods return a constant: safe before the runtime is up.
		console.WriteString("el1: cannot build the guest's translation tables: ")
		cause := err
		if le, ok := err.(*mmu.LayoutError); ok {
			console.WriteString("region ")
			console.WriteString(le.Region.Name)
			console.WriteString(" ")
			writeRegion(board.Region{Base: le.Region.VA, Size: le.Region.Size})
			console.WriteString(": ")
			cause = le.Err
		}
		console.WriteString(cause.Error())
		if cause == mmu.ErrNoMemory {
			console.WriteString(" (table pool ")
			writeRegion(board.Region{Base: poolBase, Size: poolEnd - poolBase})
			console.WriteString("): link the text higher above the RAM start for more table pages")
		} else {
			console.WriteString(": check the program's board.go and link address")
		}
		console.WriteString("; halting\n")
		haltForever()
	}
	loadTables(tables.Root(), mmu.TCREL1(VABits, IPABits), mmu.MAIR, sctlrEL1On)
}

func writeRegion(r board.Region) {
	var buf [40]byte
	console.Write(AppendRegion(buf[:0], r))
}

//go:linkname hwinit1 runtime/goos.Hwinit1
func hwinit1() {
	goos.Exit = exit
	goos.Idle = idle
}

//go:linkname printk runtime/goos.Printk
func printk(c byte) { console.Put(c) }

//go:linkname nanotime runtime/goos.Nanotime
func nanotime() int64 { return bare.Nanoseconds(readCounter(), CounterFrequency()) }

//go:linkname initRNG runtime/goos.InitRNG
func initRNG() {
	random.State = readCounter() ^ readMPIDR()<<32
}

//go:linkname getRandomData runtime/goos.GetRandomData
func getRandomData(b []byte) { random.Fill(b) }

// idle is called when no goroutine can run. Without interrupts nothing but
// the passing of time can make one runnable: with a timer pending the
// scheduler polls the clock; without one, wait.
func idle(until int64) {
	if until == math.MaxInt64 {
		waitForEvent()
	}
}

// exit is where main returning, os.Exit, a Go panic or a fatal error end:
// the program's core stops with interrupts masked.
func exit(code int32) {
	console.WriteString("el1: program exited with code ")
	console.Dec(uint64(uint32(code)))
	console.WriteString("; core halted\n")
	haltForever()
}

// handleException is called by the vectors for every exception taken to
// EL1. When it returns, the vectors restore the frame and resume at its
// ELR; a hook's Skip is the only way there.
func handleException() {
	exceptionDepth++
	f := &exceptionFrame
	if exceptionDepth == 1 && IsSynchronousSameLevel(f.Vector) && syncHook != nil {
		if syncHook(f) == Skip {
			f.ELR = ResumeAddress(f)
			exceptionDepth--
			return
		}
	}
	switch exceptionDepth {
	case 1:
		WriteReport(console, f)
	case 2:
		// Most likely the report itself faulted (a console that aborts):
		// say so once, briefly.
		console.WriteString("\nel1: exception while reporting an exception\n")
	default:
		// Even that faulted: the console is unusable.
		haltForever()
	}
	console.WriteString("el1: halted\n")
	haltForever()
}

// SetSyncHook installs h to see every synchronous exception the program
// takes at EL1 (nil removes it) and returns the hook it replaces.
func SetSyncHook(h SyncHook) (previous SyncHook) {
	previous, syncHook = syncHook, h
	return previous
}

// BootArgument returns x0 as the program was entered: under Tamavisor the
// address of the partition's device tree.
func BootArgument() uint64 { return bootArgument }

// RAM returns the memory the Go runtime owns (runtime/goos.RamStart and
// RamSize).
func RAM() board.Region { return ram }

// Output returns the console, for writes that must not allocate.
func Output() Console { return console }

// Input returns a byte typed on the console, if one is waiting.
func Input() (byte, bool) { return uart.Rx() }

// Counter returns the virtual counter, CNTVCT_EL0 (DDI 0487, the Generic
// Timer chapter).
func Counter() uint64 { return readCounter() }

// CounterFrequency returns the counter's ticks per second (CNTFRQ_EL0).
func CounterFrequency() uint64 {
	if counterFrequency == 0 {
		counterFrequency = readCounterFrequency()
		if counterFrequency == 0 {
			counterFrequency = bare.DefaultCounterFrequency
		}
	}
	return counterFrequency
}

// MPIDR returns the core's MPIDR_EL1 (under Tamavisor, the vCPU's).
func MPIDR() uint64 { return readMPIDR() }

// Map adds r to the guest's stage-1 map. The range must not be mapped
// already, and r.VA, r.PA and r.Size must be page aligned.
func Map(r mmu.Region) error {
	if err := tables.MapRegions([]mmu.Region{r}); err != nil {
		if le, ok := err.(*mmu.LayoutError); ok {
			copied := *le // the tables reuse theirs on the next call
			return &copied
		}
		return err
	}
	invalidateTLB()
	return nil
}

// Mapped reports whether va is translated by the guest's stage-1 map.
func Mapped(va uint64) bool {
	_, ok := tables.Walk(va)
	return ok
}

// Halt stops the program's core with interrupts masked.
func Halt() { haltForever() }
