// Package vpl011 emulates the Arm PL011 UART that every partition with
// `console: virtual` finds at the board's console UART address: enough of
// the device for Linux's amba-pl011 driver and its earlycon. What the guest
// transmits is collected a line at a time and handed to the hypervisor
// console with the partition's name as prefix ("[ecu] ..."); what the
// operator types reaches the partition holding the console focus through
// State.Push (package console decides which one).
//
// A partition has one virtual UART however many vCPUs it runs, so the
// device's state is a pointer-free State that the firmware places in the
// memory the hypervisor instances share; each core reaches it through its
// own UART view. Every access allocates nothing and waits a bounded time.
//
// Register map and bits: Arm PrimeCell UART (PL011) Technical Reference
// Manual (DDI 0183), 3.2 "Summary of registers", 3.3 "Register
// descriptions" and 3.4 "Interrupts".
package vpl011

import (
	"fmt"
	"sync/atomic"

	"github.com/tamavisor/tamavisor/driver/pl011"
	"github.com/tamavisor/tamavisor/firmware/vdev"
	"github.com/tamavisor/tamavisor/internal/spin"
)

// Sizes of the buffers in State.
const (
	// RXFIFOSize is how many typed bytes wait for the guest to read them;
	// more are dropped and counted. The hypervisor always reads its own
	// UART empty (a partition that does not read must not freeze the
	// console for the others), so this is the only buffer typed input
	// has: deep enough for a pasted command line or script, which a
	// partition that reads takes whole. The guest cannot tell its depth:
	// the model raises its receive interrupt whenever data waits.
	RXFIFOSize = 4096
	// LineSize is the longest output line, in bytes the filter kept; a
	// longer one is cut and goes out in pieces, each with the prefix.
	LineSize = 512
)

// Register offsets (DDI 0183, Table 3-1) that driver/pl011 does not name.
const (
	rsrECR    = 0x004 // receive status (read), error clear (write)
	ilpr      = 0x020 // IrDA low-power counter
	ifls      = 0x034 // interrupt FIFO level select
	ris       = 0x03c // raw interrupt status
	mis       = 0x040 // masked interrupt status
	dmacr     = 0x048 // DMA control
	periphID0 = 0xfe0 // UARTPeriphID0..3, then UARTPCellID0..3 to 0xffc
	// regionSize is the device's register frame.
	regionSize = 0x1000
)

// Flag register bits (DDI 0183, 3.3.3) that driver/pl011 does not name.
// The modem status bits are the complements of the nUARTCTS, nUARTDSR and
// nUARTDCD inputs: set means asserted.
const (
	frCTS  = 1 << 0
	frDSR  = 1 << 1
	frDCD  = 1 << 2
	frRXFF = 1 << 6
	frTXFE = 1 << 7
	// frModemLines is a terminal that is always connected: clear to send
	// (so transmission with CR.CTSEn never stalls), data set ready, and
	// carrier detect (so a blocking open of the tty without CLOCAL does
	// not wait for a carrier). RI stays clear: nothing ever rings.
	frModemLines = frCTS | frDSR | frDCD
)

// Interrupt bits, the same in IMSC, RIS, MIS and ICR (DDI 0183, 3.3.10 to
// 3.3.13). The others (modem status, receive timeout and the receive
// errors) are never raised: modem lines do not change, input arrives
// whole, and a receive interrupt is level-triggered while data waits.
const (
	intRX = 1 << 4
	intTX = 1 << 5
)

// Writable bits of the registers the guest programs and reads back
// (DDI 0183, 3.3.4 to 3.3.10).
const (
	ilprMask = 0xff   // ILPDVSR
	ibrdMask = 0xffff // BAUD DIVINT
	fbrdMask = 0x3f   // BAUD DIVFRAC
	lcrhMask = 0xff   // SPS, WLEN, FEN, STP2, EPS, PEN, BRK
	crMask   = 0xff87 // bits 6:3 are reserved
	iflsMask = 0x3f   // RXIFLSEL, TXIFLSEL
	imscMask = 0x7ff  // every interrupt source
)

// The UART as boot firmware leaves it for an operating system: enabled,
// 8 data bits with FIFOs, 115200 baud from the 24 MHz UARTCLK the
// generated device tree gives it (partition/dtb): 24e6 / (16 * 115200) =
// 13.02, so IBRD 13 and FBRD round(0.02 * 64) = 1. earlycon writes without
// setting the UART up, and Linux's console reads its baud rate from these
// divisors whenever CR.UARTEN is set (dividing by them), so they must
// describe a working line from the start.
const (
	resetIBRD = 13
	resetFBRD = 1
	resetLCRH = pl011.LCRHFEN | pl011.LCRHWLEN8
	resetCR   = pl011.CRUARTEN | pl011.CRTXE | pl011.CRRXE
	resetIFLS = 0x12 // both trigger levels at half full: the TRM's reset value
)

// identification is UARTPeriphID0..3 and UARTPCellID0..3 (DDI 0183,
// 3.3.15 and 3.3.16): part 0x011, designer 0x41 (Arm), revision 1, the
// values QEMU's PL011 reports. Linux's AMBA bus reads them to bind
// amba-pl011, which accepts 0x00041011 under mask 0x000fffff (any
// revision); revision 1 makes it assume 16-byte FIFOs.
var identification = [8]uint8{0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1}

// State is one partition's virtual UART, shared by the cores that run the
// partition's vCPUs and the core that reads the physical console. It holds
// no Go pointers and must be 8-byte aligned. The firmware calls Reset once
// before the partition's first vCPU starts.
//
// The configuration registers are single words read and written
// atomically; the receive FIFO and the output line are guarded by lock.
type State struct {
	lock spin.Lock

	ilpr, ibrd, fbrd, lcrh, cr, ifls, imsc atomic.Uint32
	// txInterrupt latches TXRIS: set whenever the transmit FIFO becomes
	// empty (at reset and after every byte, since output is instant),
	// cleared by ICR.TXIC (DDI 0183, 3.4, UARTTXINTR).
	txInterrupt atomic.Uint32

	// rxRead and rxWrite count the bytes ever taken from and put into
	// rx; the FIFO holds rxWrite-rxRead bytes from rx[rxRead%RXFIFOSize].
	// Written under lock, read without it by the flag register.
	rxRead, rxWrite atomic.Uint32
	rx              [RXFIFOSize]byte

	out outputLine

	// Dropped-byte counters: the hypervisor's diagnostics, kept by Reset.
	inputDropped  atomic.Uint64
	outputDropped atomic.Uint64
}

// LineSink receives a partition's output one whole line at a time. The
// firmware implements it with the hypervisor console: prefix, line and a
// line ending written under the console lock, so that lines of different
// partitions and cores never interleave. prefix names the source of the
// line ("[ecu] "); line has no line ending and no control bytes but TAB
// and colour sequences (see outputLine). Both slices are valid only during
// the call. WriteLine runs on the trap path: it must not allocate and may
// wait only a bounded time.
type LineSink interface {
	WriteLine(prefix, line []byte)
}

// UART is one core's view of a partition's virtual UART. It implements
// vdev.Device for the UART's 4 KiB register frame.
type UART struct {
	state  *State
	core   uint32 // the physical core of this view: its name as the lock's holder
	out    LineSink
	prefix []byte
	// line is where a finished line is copied to, so that it is written
	// out after the State's lock is released.
	line [lineCapacity]byte
}

var _ vdev.Device = (*UART)(nil)

// New returns core's view of state, the virtual UART of the partition
// called name, whose output lines go to out. It does not reset state:
// every core of the partition creates its own view of the same State.
func New(state *State, name string, core int, out LineSink) *UART {
	prefix := make([]byte, 0, len(name)+3)
	prefix = append(prefix, '[')
	prefix = append(prefix, name...)
	prefix = append(prefix, "] "...)
	return &UART{state: state, core: uint32(core), out: out, prefix: prefix}
}

// Reset gives the UART the state a guest finds at boot: registers as boot
// firmware leaves them, FIFO and output line empty. The firmware calls it
// while none of the partition's vCPUs runs: before the first one starts
// and when the partition restarts; core is the caller's. It fails,
// changing nothing, when a core halted holding the State's lock.
func (s *State) Reset(core uint32) error {
	if err := s.lock.Acquire(core); err != nil {
		return fmt.Errorf("vpl011: %w", err)
	}
	s.ilpr.Store(0)
	s.ibrd.Store(resetIBRD)
	s.fbrd.Store(resetFBRD)
	s.lcrh.Store(resetLCRH)
	s.cr.Store(resetCR)
	s.ifls.Store(resetIFLS)
	s.imsc.Store(0)
	s.txInterrupt.Store(1)
	s.rxRead.Store(0)
	s.rxWrite.Store(0)
	s.rx = [RXFIFOSize]byte{} // what was typed for the previous run is gone
	s.out = outputLine{}
	s.lock.Release(core)
	return nil
}

// Push queues one byte the operator typed for the guest to read; core is
// the caller's. It reports false when the byte was dropped: the FIFO is
// full, or a core halted holding its lock.
func (s *State) Push(core uint32, b byte) bool {
	if s.lock.Acquire(core) != nil {
		s.inputDropped.Add(1)
		return false
	}
	read, write := s.rxRead.Load(), s.rxWrite.Load()
	queued := write-read < RXFIFOSize
	if queued {
		s.rx[write%RXFIFOSize] = b
		s.rxWrite.Store(write + 1)
	}
	s.lock.Release(core)
	if !queued {
		s.inputDropped.Add(1)
	}
	return queued
}

// InterruptPending reports whether the UART's interrupt line is asserted:
// a raw interrupt the guest has unmasked (DDI 0183, 3.4, UARTINTR).
func (s *State) InterruptPending() bool {
	return s.rawInterrupts()&s.imsc.Load() != 0
}

// Room returns how many more typed bytes the receive FIFO takes now.
func (s *State) Room() int {
	return RXFIFOSize - int(s.received())
}

// InputDropped counts typed bytes the guest never saw.
func (s *State) InputDropped() uint64 { return s.inputDropped.Load() }

// OutputDropped counts bytes the guest wrote that never reached a line,
// because a core halted holding the State's lock.
func (s *State) OutputDropped() uint64 { return s.outputDropped.Load() }

// pop takes the oldest byte of the receive FIFO for core.
func (s *State) pop(core uint32) (byte, bool) {
	if s.lock.Acquire(core) != nil {
		return 0, false
	}
	read, write := s.rxRead.Load(), s.rxWrite.Load()
	if read == write {
		s.lock.Release(core)
		return 0, false
	}
	b := s.rx[read%RXFIFOSize]
	s.rxRead.Store(read + 1)
	s.lock.Release(core)
	return b, true
}

// received returns how many bytes wait in the receive FIFO, without the
// lock. rxRead is loaded first: rxWrite, loaded after it, is then never
// smaller, and a count inflated by reads in between is capped.
func (s *State) received() uint32 {
	read := s.rxRead.Load()
	n := s.rxWrite.Load() - read
	return min(n, RXFIFOSize)
}

// flags is the flag register (DDI 0183, 3.3.3). Output leaves at once, so
// the transmit FIFO is always empty and never busy.
func (s *State) flags() uint32 {
	f := uint32(frModemLines | frTXFE)
	switch s.received() {
	case 0:
		f |= pl011.FRRXFE
	case RXFIFOSize:
		f |= frRXFF
	}
	return f
}

// rawInterrupts is the raw interrupt status (DDI 0183, 3.3.11): receive
// while the FIFO holds data, transmit while latched.
func (s *State) rawInterrupts() uint32 {
	var r uint32
	if s.received() > 0 {
		r |= intRX
	}
	if s.txInterrupt.Load() != 0 {
		r |= intTX
	}
	return r
}

// Access performs a guest's load or store in the register frame. Every
// register takes 8-, 16- and 32-bit accesses at its own offset, as Linux
// uses them (earlycon stores bytes to DR, amba-pl011 uses 16-bit accesses,
// the AMBA bus 32-bit ones); a narrower store writes its value
// zero-extended. 64-bit and misaligned accesses, which the PL011 does not
// decode, return ok false. Reserved offsets read as zero and ignore writes.
func (u *UART) Access(a vdev.Access) (value uint64, ok bool) {
	switch a.Size {
	case 1, 2, 4:
	default:
		return 0, false
	}
	if a.Offset >= regionSize || a.Offset%4 != 0 {
		return 0, false
	}
	mask := uint64(1)<<(8*uint(a.Size)) - 1
	if a.Write {
		u.write(a.Offset, uint32(a.Value&mask))
		return 0, true
	}
	return uint64(u.read(a.Offset)) & mask, true
}

func (u *UART) read(offset uint64) uint32 {
	s := u.state
	switch offset {
	case pl011.DR:
		// An empty FIFO reads as 0 with FR.RXFE set; no error bits,
		// since input arrives whole.
		b, _ := s.pop(u.core)
		return uint32(b)
	case rsrECR:
		return 0
	case pl011.FR:
		return s.flags()
	case ilpr:
		return s.ilpr.Load()
	case pl011.IBRD:
		return s.ibrd.Load()
	case pl011.FBRD:
		return s.fbrd.Load()
	case pl011.LCRH:
		return s.lcrh.Load()
	case pl011.CR:
		return s.cr.Load()
	case ifls:
		return s.ifls.Load()
	case pl011.IMSC:
		return s.imsc.Load()
	case ris:
		return s.rawInterrupts()
	case mis:
		return s.rawInterrupts() & s.imsc.Load()
	case pl011.ICR, dmacr:
		return 0 // ICR is write-only; no DMA
	}
	if offset >= periphID0 {
		return uint32(identification[(offset-periphID0)/4])
	}
	return 0
}

func (u *UART) write(offset uint64, v uint32) {
	s := u.state
	switch offset {
	case pl011.DR:
		u.transmit(byte(v))
	case ilpr:
		s.ilpr.Store(v & ilprMask)
	case pl011.IBRD:
		s.ibrd.Store(v & ibrdMask)
	case pl011.FBRD:
		s.fbrd.Store(v & fbrdMask)
	case pl011.LCRH:
		s.lcrh.Store(v & lcrhMask)
	case pl011.CR:
		// Output does not depend on UARTEN and TXE: Linux's console
		// enables them around each message itself, and a guest that
		// forgets loses nothing.
		s.cr.Store(v & crMask)
	case ifls:
		s.ifls.Store(v & iflsMask)
	case pl011.IMSC:
		s.imsc.Store(v & imscMask)
	case pl011.ICR:
		// Only TXRIS is latched; RXRIS follows the FIFO's content.
		if v&intTX != 0 {
			s.txInterrupt.Store(0)
		}
	}
	// RSR/ECR clears receive errors, of which there are none; DMACR stays
	// 0 (no DMA); the status and identification registers are read-only.
}

// transmit sends one byte the guest stored to DR. A finished line is
// written out after the lock is released, so that the other vCPUs of the
// partition wait only for the copy, never for the physical console.
func (u *UART) transmit(b byte) {
	s := u.state
	if s.lock.Acquire(u.core) != nil {
		s.outputDropped.Add(1)
		s.txInterrupt.Store(1)
		return
	}
	n, done := s.out.add(b, &u.line)
	s.lock.Release(u.core)
	s.txInterrupt.Store(1)
	if done {
		u.out.WriteLine(u.prefix, u.line[:n])
	}
}

// Flush writes out the line the guest has not finished, if any: the
// firmware calls it before it stops or restarts the partition, so that
// the guest's last words reach the console.
func (u *UART) Flush() {
	s := u.state
	if s.lock.Acquire(u.core) != nil {
		return
	}
	pending := s.out.pending()
	n := 0
	if pending {
		n = s.out.end(&u.line)
	}
	s.lock.Release(u.core)
	if pending {
		u.out.WriteLine(u.prefix, u.line[:n])
	}
}
