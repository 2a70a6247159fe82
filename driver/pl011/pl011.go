// Package pl011 drives an Arm PrimeCell UART (PL011) by polling: the
// hypervisor's console, written to from every core.
//
// Register map and bits: Arm PrimeCell UART (PL011) Technical Reference
// Manual (DDI 0183), 3.2 "Summary of registers" and 3.3 "Register
// descriptions".
package pl011

import "github.com/tamavisor/tamavisor/driver/mmio"

// Register offsets (DDI 0183, Table 3-1).
const (
	DR   = 0x000 // data
	FR   = 0x018 // flags
	IBRD = 0x024 // integer baud rate divisor
	FBRD = 0x028 // fractional baud rate divisor
	LCRH = 0x02c // line control
	CR   = 0x030 // control
	IMSC = 0x038 // interrupt mask set/clear
	ICR  = 0x044 // interrupt clear
)

// Flag register bits (DDI 0183, 3.3.3).
const (
	FRBusy = 1 << 3 // transmitting
	FRRXFE = 1 << 4 // receive FIFO empty
	FRTXFF = 1 << 5 // transmit FIFO full
)

// Line control and control register bits (DDI 0183, 3.3.7 and 3.3.8).
const (
	LCRHFEN   = 1 << 4    // FIFOs enabled
	LCRHWLEN8 = 0b11 << 5 // 8-bit words
	CRUARTEN  = 1 << 0    // UART enable
	CRTXE     = 1 << 8    // transmit enable
	CRRXE     = 1 << 9    // receive enable
	allIRQs   = 0x7ff     // every interrupt source (IMSC/ICR bits 10:0)
	// IntRX and IntRT are the receive and receive timeout interrupts
	// (DDI 0183, 3.3.10 UARTIMSC): together they hold the UART's
	// interrupt line up while received data waits in the FIFO.
	IntRX     = 1 << 4
	IntRT     = 1 << 6
	lcrhValue = LCRHFEN | LCRHWLEN8
)

// UART is one PL011 at Base.
type UART struct {
	Base uint64
}

// Init enables the UART for 8-bit words with FIFOs, polled: interrupts
// masked. The baud rate set by earlier firmware (or QEMU's default) stays.
func (u *UART) Init() {
	mmio.Write32(u.Base+CR, 0)
	mmio.Write32(u.Base+IMSC, 0)
	mmio.Write32(u.Base+ICR, allIRQs)
	mmio.Write32(u.Base+LCRH, lcrhValue)
	mmio.Write32(u.Base+CR, CRUARTEN|CRTXE|CRRXE)
}

// EnableReceiveInterrupt unmasks the receive interrupts (and no other):
// the line is raised while received data waits, and drops once Rx has
// read the FIFO empty. Transmission stays polled.
func (u *UART) EnableReceiveInterrupt() {
	mmio.Write32(u.Base+ICR, IntRX|IntRT)
	mmio.Write32(u.Base+IMSC, IntRX|IntRT)
}

// Tx sends c, waiting while the transmit FIFO is full.
func (u *UART) Tx(c byte) {
	for mmio.Read32(u.Base+FR)&FRTXFF != 0 {
	}
	mmio.Write32(u.Base+DR, uint32(c))
}

// TryTx sends c if the transmit FIFO has room, without waiting, and
// reports whether it did.
func (u *UART) TryTx(c byte) bool {
	if mmio.Read32(u.Base+FR)&FRTXFF != 0 {
		return false
	}
	mmio.Write32(u.Base+DR, uint32(c))
	return true
}

// Rx returns the next received byte, or false when none is waiting.
func (u *UART) Rx() (byte, bool) {
	if mmio.Read32(u.Base+FR)&FRRXFE != 0 {
		return 0, false
	}
	return byte(mmio.Read32(u.Base + DR)), true
}
