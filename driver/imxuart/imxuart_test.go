//go:build !tamago

package imxuart

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tamavisor/tamavisor/driver/mmio"
)

const base = 0x3089_0000

// model is an i.MX UART as far as the polled driver sees it: a transmit
// FIFO that is full for a while, a transmitter still sending the loader's
// last characters, a receive FIFO of URXD words, the software reset, and
// the control and rate registers.
type model struct {
	txFullFor  int // reads of UTS that still report TXFULL
	sendingFor int // reads of USR2 before TXDC sets
	resetFor   int // reads of UCR2 that still show the reset in progress
	sent       []byte
	rx         []uint32 // URXD words, CHARRDY and error bits included
	regs       map[uint64]uint32
	writes     []uint64
	// changedWhileSending records a register write while the
	// transmitter was still busy.
	changedWhileSending bool
}

func newModel() *model {
	return &model{regs: map[uint64]uint32{}}
}

func (m *model) Read32(addr uint64) uint32 {
	switch off := addr - base; off {
	case UTS:
		if m.txFullFor > 0 {
			m.txFullFor--
			return UTSTXFULL
		}
		return 0
	case USR2:
		var usr2 uint32
		if len(m.rx) > 0 {
			usr2 |= USR2RDR
		}
		if m.sendingFor > 0 {
			m.sendingFor--
		} else {
			usr2 |= USR2TXDC | USR2TXFE
		}
		return usr2
	case URXD:
		if len(m.rx) == 0 {
			return 0
		}
		c := m.rx[0]
		m.rx = m.rx[1:]
		return c
	case UCR2:
		if m.resetFor > 0 {
			m.resetFor--
			return m.regs[UCR2] &^ UCR2SRST
		}
		return m.regs[UCR2] | UCR2SRST
	default:
		return m.regs[off]
	}
}

func (m *model) Write32(addr uint64, v uint32) {
	off := addr - base
	m.writes = append(m.writes, off)
	if m.sendingFor > 0 {
		m.changedWhileSending = true
	}
	switch off {
	case UTXD:
		if m.txFullFor > 0 {
			panic("wrote UTXD while the transmit FIFO was full")
		}
		m.sent = append(m.sent, byte(v))
	case UCR2:
		m.regs[UCR2] = v
		if v&UCR2SRST == 0 {
			// The software reset clears the rate registers
			// ("UCR2 field descriptions", SRST).
			delete(m.regs, UBIR)
			delete(m.regs, UBMR)
		}
	default:
		m.regs[off] = v
	}
}

func TestTxWaitsForRoomInTheFIFO(t *testing.T) {
	m := newModel()
	m.txFullFor = 3
	defer mmio.SetBus(m)()
	u := UART{Base: base}
	u.Tx('o')
	u.Tx('k')
	assert.Equal(t, "ok", string(m.sent))
}

// TryTx never waits: it refuses while the FIFO is full, and sends once
// there is room.
func TestTryTxRefusesWhileTheFIFOIsFull(t *testing.T) {
	m := newModel()
	m.txFullFor = 2
	defer mmio.SetBus(m)()
	u := UART{Base: base}
	assert.False(t, u.TryTx('n'))
	assert.False(t, u.TryTx('n'))
	assert.True(t, u.TryTx('y'))
	assert.Equal(t, "y", string(m.sent))
}

func TestRx(t *testing.T) {
	m := newModel()
	m.rx = []uint32{
		URXDCharReady | 'a',
		URXDCharReady | URXDError | URXDFrameError | 0x7f, // noise on the line
		URXDCharReady | URXDError | URXDBreak,
		URXDCharReady | URXDError | URXDParityError | 'x',
		URXDCharReady | URXDError | URXDOverrun | 'b', // valid; earlier ones were lost
	}
	defer mmio.SetBus(m)()
	u := UART{Base: base}
	c, ok := u.Rx()
	assert.True(t, ok)
	assert.Equal(t, byte('a'), c)
	c, ok = u.Rx()
	assert.True(t, ok, "the overrun character after three bad ones")
	assert.Equal(t, byte('b'), c)
	_, ok = u.Rx()
	assert.False(t, ok, "received from an empty FIFO")
}

func TestRxWithoutCharReady(t *testing.T) {
	m := newModel()
	m.rx = []uint32{'z'} // RDR set, but the word says no character
	defer mmio.SetBus(m)()
	u := UART{Base: base}
	_, ok := u.Rx()
	assert.False(t, ok)
}

func TestRxStopsOnAFIFOOfNoise(t *testing.T) {
	m := newModel()
	for range 2 * fifoDepth {
		m.rx = append(m.rx, URXDCharReady|URXDError|URXDFrameError)
	}
	defer mmio.SetBus(m)()
	u := UART{Base: base}
	_, ok := u.Rx()
	assert.False(t, ok)
	assert.Len(t, m.rx, fifoDepth, "one call reads at most a FIFO's worth")
}

func TestInitKeepsTheLoadersRate(t *testing.T) {
	m := newModel()
	m.sendingFor = 5
	m.regs[UBIR] = 0xf
	m.regs[UBMR] = 0x68
	m.regs[UFCR] = 0b100<<UFCRRFDIVShift | 2<<UFCRTXTLShift | 1
	m.regs[UCR1] = UCR1UARTEN | 1<<9 | 1<<13 // RRDYEN, TRDYEN
	defer mmio.SetBus(m)()
	u := UART{Base: base}
	u.Init()
	assert.False(t, m.changedWhileSending, "reconfigured while the loader's characters were leaving")
	assert.Equal(t, []uint64{UCR1, UCR2, UCR3, UCR4}, m.writes)
	assert.Equal(t, uint32(UCR1UARTEN), m.regs[UCR1], "interrupts left enabled")
	assert.Equal(t, uint32(UCR2SRST|UCR2RXEN|UCR2TXEN|UCR2WS|UCR2IRTS), m.regs[UCR2])
	assert.Equal(t, uint32(UCR3RXDMUXSEL|UCR3ADNIMP), m.regs[UCR3])
	assert.Equal(t, uint32(32<<10), m.regs[UCR4])
	assert.Equal(t, uint32(0xf), m.regs[UBIR])
	assert.Equal(t, uint32(0x68), m.regs[UBMR])
}

func TestInitProgramsTheRate(t *testing.T) {
	m := newModel()
	m.sendingFor = 2
	m.resetFor = 3
	defer mmio.SetBus(m)()
	u := UART{Base: base, RefClock: 24_000_000}
	u.Init()
	assert.False(t, m.changedWhileSending)
	// Disabled first, reset, configured, rate written after the reset
	// (which clears it), UBIR before UBMR, enabled last.
	assert.Equal(t, []uint64{UCR1, UCR2, UCR3, UCR4, UFCR, UBIR, UBMR, ONEMS, UCR2, UCR1}, m.writes)
	assert.Zero(t, m.resetFor, "went on before the reset was done")
	assert.Equal(t, uint32(0b100<<UFCRRFDIVShift|2<<UFCRTXTLShift|1<<UFCRRXTLShift), m.regs[UFCR])
	// 24 MHz / 2 / (16 * 625/96) = 115200 exactly.
	assert.Equal(t, uint32(95), m.regs[UBIR])
	assert.Equal(t, uint32(624), m.regs[UBMR])
	assert.Equal(t, uint32(12_000), m.regs[ONEMS])
	assert.Equal(t, uint32(UCR2SRST|UCR2RXEN|UCR2TXEN|UCR2WS|UCR2IRTS), m.regs[UCR2])
	assert.Equal(t, uint32(UCR1UARTEN), m.regs[UCR1])
}

func TestInitDoesNotHangOnADeadUART(t *testing.T) {
	m := newModel()
	m.sendingFor = pollLimit + 10
	m.resetFor = pollLimit + 10
	defer mmio.SetBus(m)()
	u := UART{Base: base, RefClock: 24_000_000, Baud: 9600}
	u.Init()
	assert.Equal(t, uint32(UCR1UARTEN), m.regs[UCR1])
}

func TestDivisors(t *testing.T) {
	tests := []struct {
		ref, baud  uint32
		ubir, ubmr uint32
	}{
		{12_000_000, 115200, 95, 624},   // 24 MHz / 2: exact
		{40_000_000, 115200, 143, 3124}, // 80 MHz / 2: exact
		{12_000_000, 9600, 7, 624},      // 78.125 = 625/8
		{12_000_000, 750_000, 0, 0},     // ref/16: ratio 1
		{12_000_000, 3_000_000, 0, 0},   // beyond ref/16: clamped to it
		{12_000_000, 0, 0, 0},
		{0, 115200, 0, 0},
	}
	for _, tc := range tests {
		ubir, ubmr := Divisors(tc.ref, tc.baud)
		assert.Equal(t, [2]uint32{tc.ubir, tc.ubmr}, [2]uint32{ubir, ubmr}, "ref %d baud %d", tc.ref, tc.baud)
	}
}

func TestDivisorsFitTheRegistersAndStayClose(t *testing.T) {
	for _, ref := range []uint32{16_666_666, 33_333_333, 40_000_000, 12_000_000, 3_000_001} {
		for _, baud := range []uint32{1200, 9600, 57600, 115200, 230400, 921600} {
			if baud > ref/16 {
				continue
			}
			ubir, ubmr := Divisors(ref, baud)
			assert.Less(t, ubir, uint32(brmMax))
			assert.Less(t, ubmr, uint32(brmMax))
			got := float64(ref) / (16 * float64(ubmr+1) / float64(ubir+1))
			assert.InEpsilon(t, float64(baud), got, 0.0001, "ref %d baud %d: UBIR %d UBMR %d", ref, baud, ubir, ubmr)
		}
	}
}

// The receive interrupt: RRDYEN added to what UCR1 held, the trigger
// level set to one character whatever the loader left, the rest of
// UFCR kept.
func TestEnableReceiveInterrupt(t *testing.T) {
	m := newModel()
	m.regs[UCR1] = UCR1UARTEN
	m.regs[UFCR] = 0b100<<UFCRRFDIVShift | 2<<UFCRTXTLShift // RXTL 0, as U-Boot leaves it
	defer mmio.SetBus(m)()
	u := UART{Base: base}
	u.EnableReceiveInterrupt()
	assert.Equal(t, uint32(UCR1UARTEN|UCR1RRDYEN), m.regs[UCR1])
	assert.Equal(t, uint32(0b100<<UFCRRFDIVShift|2<<UFCRTXTLShift|1), m.regs[UFCR])
}
