//go:build !tamago

package pl011

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tamavisor/tamavisor/driver/mmio"
)

// model is a PL011 as far as the polled driver sees it: a transmit FIFO
// that is full for a while, a receive FIFO, and the control registers.
type model struct {
	base      uint64
	txFullFor int // reads of FR that still report TXFF
	sent      []byte
	rx        []byte
	regs      map[uint64]uint32
	writes    []uint64
}

func (m *model) Read32(addr uint64) uint32 {
	switch addr - m.base {
	case FR:
		var fr uint32
		if m.txFullFor > 0 {
			m.txFullFor--
			fr |= FRTXFF
		}
		if len(m.rx) == 0 {
			fr |= FRRXFE
		}
		return fr
	case DR:
		c := m.rx[0]
		m.rx = m.rx[1:]
		return uint32(c)
	}
	return m.regs[addr-m.base]
}

func (m *model) Write32(addr uint64, v uint32) {
	off := addr - m.base
	m.writes = append(m.writes, off)
	if off == DR {
		if m.txFullFor > 0 {
			panic("wrote DR while the transmit FIFO was full")
		}
		m.sent = append(m.sent, byte(v))
		return
	}
	m.regs[off] = v
}

func TestTxWaitsForRoomInTheFIFO(t *testing.T) {
	m := &model{base: 0x0900_0000, txFullFor: 3, regs: map[uint64]uint32{}}
	defer mmio.SetBus(m)()
	u := UART{Base: m.base}
	u.Tx('o')
	u.Tx('k')
	assert.Equal(t, "ok", string(m.sent))
}

// TryTx never waits: it refuses while the FIFO is full.
func TestTryTxRefusesWhileTheFIFOIsFull(t *testing.T) {
	m := &model{base: 0x0900_0000, txFullFor: 1, regs: map[uint64]uint32{}}
	defer mmio.SetBus(m)()
	u := UART{Base: m.base}
	assert.False(t, u.TryTx('n'))
	assert.True(t, u.TryTx('y'))
	assert.Equal(t, "y", string(m.sent))
}

func TestRx(t *testing.T) {
	m := &model{base: 0x0900_0000, rx: []byte("a"), regs: map[uint64]uint32{}}
	defer mmio.SetBus(m)()
	u := UART{Base: m.base}
	c, ok := u.Rx()
	assert.True(t, ok)
	assert.Equal(t, byte('a'), c)
	_, ok = u.Rx()
	assert.False(t, ok, "received from an empty FIFO")
}

func TestInitDisablesBeforeConfiguring(t *testing.T) {
	m := &model{base: 0x0900_0000, regs: map[uint64]uint32{CR: CRUARTEN}}
	defer mmio.SetBus(m)()
	u := UART{Base: m.base}
	u.Init()
	// The UART is disabled first and enabled last (DDI 0183 3.3.8: the
	// line control must not change while it is enabled).
	assert.Equal(t, []uint64{CR, IMSC, ICR, LCRH, CR}, m.writes)
	assert.Equal(t, uint32(CRUARTEN|CRTXE|CRRXE), m.regs[CR])
	assert.Equal(t, uint32(LCRHFEN|LCRHWLEN8), m.regs[LCRH])
	assert.Zero(t, m.regs[IMSC], "interrupts left unmasked")
}

func TestEnableReceiveInterruptUnmasksReceiveOnly(t *testing.T) {
	m := &model{base: 0x0900_0000, regs: map[uint64]uint32{}}
	defer mmio.SetBus(m)()
	u := UART{Base: m.base}
	u.Init()
	m.writes = nil
	u.EnableReceiveInterrupt()
	assert.Equal(t, []uint64{ICR, IMSC}, m.writes, "stale receive interrupts cleared before unmasking")
	assert.Equal(t, uint32(1<<4|1<<6), m.regs[IMSC], "RXIM and RTIM, nothing for transmit")
}
