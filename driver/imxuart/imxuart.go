// Package imxuart drives the UART of NXP's i.MX 6, 7 and 8M application
// processors by polling: the hypervisor's console on the i.MX 8M Plus EVK
// (UART2), written to from every core.
//
// Register map and bits: i.MX 8M Plus Applications Processor Reference
// Manual (IMX8MPRM), chapter "Universal Asynchronous Receiver/Transmitter
// (UART)", sections "UART Memory Map/Register Definition", "Binary Rate
// Multiplier (BRM)" and "Programming the UART in RS-232 mode". The block
// is the same on i.MX 6 and 7 (IMX6ULLRM chapter 55).
package imxuart

import (
	"math/bits"

	"github.com/tamavisor/tamavisor/driver/mmio"
)

// Register offsets (IMX8MPRM, "UART Memory Map").
const (
	URXD  = 0x00 // receiver
	UTXD  = 0x40 // transmitter
	UCR1  = 0x80 // control 1
	UCR2  = 0x84 // control 2
	UCR3  = 0x88 // control 3
	UCR4  = 0x8c // control 4
	UFCR  = 0x90 // FIFO control
	USR1  = 0x94 // status 1
	USR2  = 0x98 // status 2
	UBIR  = 0xa4 // BRM incremental
	UBMR  = 0xa8 // BRM modulator
	ONEMS = 0xb0 // one millisecond: reference clock / 1000
	UTS   = 0xb4 // test
)

// URXD bits: each read pops one character with its status.
const (
	URXDCharReady   = 1 << 15 // CHARRDY: the character is valid
	URXDError       = 1 << 14 // ERR: any of the four below
	URXDOverrun     = 1 << 13 // OVRRUN: the FIFO overflowed before this one; it is valid
	URXDFrameError  = 1 << 12 // FRMERR
	URXDBreak       = 1 << 11 // BRK
	URXDParityError = 1 << 10 // PRERR
	urxdData        = 0xff
	// urxdCorrupt marks a character whose own bits are wrong.
	urxdCorrupt = URXDFrameError | URXDBreak | URXDParityError
)

// UCR1 bits. Everything but UARTEN enables an interrupt, a DMA request,
// IrDA or autobaud; of those the console uses only RRDYEN, once
// EnableReceiveInterrupt asks for it.
const (
	UCR1UARTEN = 1 << 0
	UCR1RRDYEN = 1 << 9 // receiver ready interrupt: RxFIFO at RXTL or more
)

// UCR2 bits.
const (
	UCR2SRST = 1 << 0  // software reset, active low; reads 0 until the reset is done
	UCR2RXEN = 1 << 1  // receiver enable
	UCR2TXEN = 1 << 2  // transmitter enable
	UCR2WS   = 1 << 5  // 8-bit words (clear: 7); PREN (bit 8) and STPB (bit 6) clear: no parity, 1 stop bit
	UCR2IRTS = 1 << 14 // ignore the RTS pin: no hardware flow control
)

// UCR3 bits.
const (
	UCR3RXDMUXSEL = 1 << 2 // the manual asks for it always set on these SoCs
	UCR3ADNIMP    = 1 << 7 // autobaud detection not improved: the old, simple one (unused)
)

// UCR4: CTSTL (bits 15:10) at its reset value 32, every interrupt
// enable clear.
const ucr4Value = 32 << 10

// UFCR fields.
const (
	UFCRRXTLShift  = 0  // receiver trigger level, 6 bits
	UFCRRFDIVShift = 7  // reference frequency divider, 3 bits
	UFCRTXTLShift  = 10 // transmitter trigger level, 6 bits
	// ufcrRFDIV2 selects module clock / 2 as the reference frequency
	// (RFDIV 0b100; 0b000 is / 6, 0b101 is / 1).
	ufcrRFDIV2 = 0b100 << UFCRRFDIVShift
	refDivider = 2
	ufcrValue  = ufcrRFDIV2 | 2<<UFCRTXTLShift | 1<<UFCRRXTLShift
)

// USR2 bits.
const (
	USR2RDR  = 1 << 0  // receive data ready: the RxFIFO holds a character
	USR2TXDC = 1 << 3  // transmission complete: FIFO and shift register empty
	USR2TXFE = 1 << 14 // transmit FIFO empty
)

// UTS bits.
const UTSTXFULL = 1 << 4 // the 32-character TxFIFO is full

const (
	// DefaultBaud is the console's rate when Init sets one.
	DefaultBaud = 115200
	// fifoDepth is the depth of both FIFOs.
	fifoDepth = 32
	// brmMax bounds UBIR+1 and UBMR+1 (16-bit registers).
	brmMax = 1 << 16
	// pollLimit bounds the waits of Init: the reset takes four module
	// clock cycles, draining a full FIFO at 9600 baud about 33 ms. A
	// UART whose clock is off never finishes either; Init goes on
	// rather than hang the boot on its console.
	pollLimit = 1 << 22
)

// UART is one i.MX UART at Base.
type UART struct {
	Base uint64
	// RefClock is the UART's module clock in Hz (its clock root in the
	// CCM, 24 MHz from the oscillator after reset on the i.MX 8M
	// Plus). Zero keeps the rate the loader programmed.
	RefClock uint32
	// Baud is the rate Init programs when RefClock is set; zero means
	// DefaultBaud.
	Baud uint32
}

// Init readies the UART for polled 8N1 use without flow control,
// interrupts and DMA off. With RefClock zero it keeps the rate, FIFO
// thresholds and reference divider the loader (U-Boot, or QEMU's reset
// values) left; otherwise it resets the UART and programs Baud from
// RefClock. Either way it first lets the loader's last characters leave.
func (u *UART) Init() {
	u.waitTransmitted()
	if u.RefClock == 0 {
		mmio.Write32(u.Base+UCR1, UCR1UARTEN)
		mmio.Write32(u.Base+UCR2, UCR2SRST|UCR2RXEN|UCR2TXEN|UCR2WS|UCR2IRTS)
		mmio.Write32(u.Base+UCR3, UCR3RXDMUXSEL|UCR3ADNIMP)
		mmio.Write32(u.Base+UCR4, ucr4Value)
		return
	}
	// "Programming the UART in RS-232 mode": disable, reset, then the
	// control registers, the reference divider and the rate, enable.
	mmio.Write32(u.Base+UCR1, 0)
	mmio.Write32(u.Base+UCR2, 0)
	for i := 0; i < pollLimit && mmio.Read32(u.Base+UCR2)&UCR2SRST == 0; i++ {
	}
	mmio.Write32(u.Base+UCR3, UCR3RXDMUXSEL|UCR3ADNIMP)
	mmio.Write32(u.Base+UCR4, ucr4Value)
	mmio.Write32(u.Base+UFCR, ufcrValue)
	baud := u.Baud
	if baud == 0 {
		baud = DefaultBaud
	}
	ref := u.RefClock / refDivider
	ubir, ubmr := Divisors(ref, baud)
	// The reset cleared UBIR and UBMR; the rate changes when UBMR is
	// written, so UBIR goes first ("Binary Rate Multiplier").
	mmio.Write32(u.Base+UBIR, ubir)
	mmio.Write32(u.Base+UBMR, ubmr)
	mmio.Write32(u.Base+ONEMS, ref/1000)
	mmio.Write32(u.Base+UCR2, UCR2SRST|UCR2RXEN|UCR2TXEN|UCR2WS|UCR2IRTS)
	mmio.Write32(u.Base+UCR1, UCR1UARTEN)
}

// Divisors returns the UBIR and UBMR values for baud from reference
// frequency ref ("Binary Rate Multiplier"):
//
//	baud = ref / (16 * (UBMR+1) / (UBIR+1))
//
// (UBMR+1)/(UBIR+1) is the fraction closest to ref / (16 * baud) whose
// terms fit the 16-bit registers: exact for the usual clocks (24 MHz / 2
// and 115200: 625/96). A rate above ref/16, the fastest the UART runs,
// gets ref/16.
func Divisors(ref, baud uint32) (ubir, ubmr uint32) {
	if baud == 0 || ref == 0 {
		return 0, 0
	}
	n, d := uint64(ref), 16*uint64(baud)
	if n < d {
		return 0, 0
	}
	num, den := closestFraction(n, d, brmMax)
	return uint32(den - 1), uint32(num - 1)
}

// closestFraction returns the fraction with terms at most limit closest to
// n/d (n >= d > 0): the last convergent of n/d's continued fraction that
// fits, or the semiconvergent after it when that is closer: between them
// they are the best rational approximations of n/d.
func closestFraction(n, d, limit uint64) (num, den uint64) {
	p0, q0, p1, q1 := uint64(0), uint64(1), uint64(1), uint64(0)
	for x, y := n, d; y != 0; x, y = y, x%y {
		a := x / y
		p2, q2 := a*p1+p0, a*q1+q0
		if p2 <= limit && q2 <= limit {
			p0, q0, p1, q1 = p1, q1, p2, q2
			continue
		}
		t := (limit - p0) / p1
		if q1 > 0 {
			t = min(t, (limit-q0)/q1)
		}
		sp, sq := t*p1+p0, t*q1+q0
		if q1 == 0 || sq > 0 && closer(sp, sq, p1, q1, n, d) {
			return sp, sq
		}
		return p1, q1
	}
	return p1, q1
}

// closer reports whether a/b is nearer to n/d than c/e: whether
// |a*d - b*n| * e < |c*d - e*n| * b, in 128 bits.
func closer(a, b, c, e, n, d uint64) bool {
	diff := func(x, y uint64) uint64 {
		if x > y {
			return x - y
		}
		return y - x
	}
	hi1, lo1 := bits.Mul64(diff(a*d, b*n), e)
	hi2, lo2 := bits.Mul64(diff(c*d, e*n), b)
	return hi1 < hi2 || hi1 == hi2 && lo1 < lo2
}

// waitTransmitted waits, a bounded time, until the transmitter is idle.
func (u *UART) waitTransmitted() {
	for i := 0; i < pollLimit && mmio.Read32(u.Base+USR2)&USR2TXDC == 0; i++ {
	}
}

// Tx sends c, waiting while the transmit FIFO is full.
func (u *UART) Tx(c byte) {
	for mmio.Read32(u.Base+UTS)&UTSTXFULL != 0 {
	}
	mmio.Write32(u.Base+UTXD, uint32(c))
}

// TryTx sends c if the transmit FIFO has room, without waiting, and
// reports whether it did: the console's writer never waits for the UART.
func (u *UART) TryTx(c byte) bool {
	if mmio.Read32(u.Base+UTS)&UTSTXFULL != 0 {
		return false
	}
	mmio.Write32(u.Base+UTXD, uint32(c))
	return true
}

// EnableReceiveInterrupt raises the UART's interrupt while a received
// character waits (RRDYEN with the receiver trigger level at 1, which a
// loader may have left at 0, an interrupt that never drops), and no
// other: the line drops once Rx has read the FIFO empty. Transmission
// stays polled.
func (u *UART) EnableReceiveInterrupt() {
	ufcr := mmio.Read32(u.Base + UFCR)
	mmio.Write32(u.Base+UFCR, ufcr&^(0x3f<<UFCRRXTLShift)|1<<UFCRRXTLShift)
	mmio.Write32(u.Base+UCR1, mmio.Read32(u.Base+UCR1)|UCR1RRDYEN)
}

// Rx returns the next received byte, or false when none is waiting.
// Characters received with a framing or parity error, and breaks, are
// dropped: they are line noise, not keys. A character that only reports
// an earlier overrun is kept.
func (u *UART) Rx() (byte, bool) {
	for range fifoDepth {
		if mmio.Read32(u.Base+USR2)&USR2RDR == 0 {
			return 0, false
		}
		rx := mmio.Read32(u.Base + URXD)
		if rx&URXDCharReady == 0 {
			return 0, false
		}
		if rx&urxdCorrupt == 0 {
			return byte(rx & urxdData), true
		}
	}
	return 0, false
}
