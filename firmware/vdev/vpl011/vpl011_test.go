package vpl011

import (
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/driver/pl011"
	"github.com/tamavisor/tamavisor/firmware/vdev"
	"github.com/tamavisor/tamavisor/internal/spin"
)

// lineRecorder is the hypervisor console: it keeps every line, prefix
// included. It is safe for several cores.
type lineRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *lineRecorder) WriteLine(prefix, line []byte) {
	r.mu.Lock()
	r.lines = append(r.lines, string(prefix)+string(line))
	r.mu.Unlock()
}

// lineCounter is a console that allocates nothing, for allocation tests.
type lineCounter struct{ lines, bytes int }

func (c *lineCounter) WriteLine(prefix, line []byte) {
	c.lines++
	c.bytes += len(prefix) + len(line)
}

// newUART returns a reset UART of partition "ecu" and its console.
func newUART() (*UART, *State, *lineRecorder) {
	var s State
	if err := s.Reset(0); err != nil {
		panic(err)
	}
	out := &lineRecorder{}
	return New(&s, "ecu", 0, out), &s, out
}

func load(t *testing.T, u *UART, offset uint64, size int) uint32 {
	t.Helper()
	v, ok := u.Access(vdev.Access{Offset: offset, Size: size})
	require.True(t, ok, "%d-byte load at %#x refused", size, offset)
	return uint32(v)
}

func store(t *testing.T, u *UART, offset uint64, size int, value uint64) {
	t.Helper()
	_, ok := u.Access(vdev.Access{Offset: offset, Size: size, Write: true, Value: value})
	require.True(t, ok, "%d-byte store at %#x refused", size, offset)
}

// transmitString stores each byte to DR as earlycon does: byte stores.
func transmitString(u *UART, s string) {
	for i := 0; i < len(s); i++ {
		u.Access(vdev.Access{Offset: pl011.DR, Size: 1, Write: true, Value: uint64(s[i])})
	}
}

// Flag register values after reset, for the tables below.
const (
	frEmpty    = frCTS | frDSR | frDCD | pl011.FRRXFE | frTXFE // 0x97
	frHoldsRX  = frCTS | frDSR | frDCD | frTXFE                // 0x87
	frFullOfRX = frHoldsRX | frRXFF                            // 0xc7
)

func TestRegistersAfterReset(t *testing.T) {
	u, _, _ := newUART()
	for _, tc := range []struct {
		register string
		offset   uint64
		size     int
		want     uint32
	}{
		{"DR, nothing received", 0x000, 4, 0},
		{"RSR: no receive errors", 0x004, 4, 0},
		{"FR: modem lines up, RX empty, TX empty", 0x018, 4, 0x97},
		{"FR as a byte", 0x018, 1, 0x97},
		{"FR as 16 bits", 0x018, 2, 0x97},
		{"ILPR", 0x020, 4, 0},
		{"IBRD: 115200 baud at 24 MHz", 0x024, 4, 13},
		{"FBRD", 0x028, 4, 1},
		{"LCR_H: 8 bits, FIFOs on", 0x02c, 4, 0x70},
		{"CR: UART, TX and RX enabled", 0x030, 4, 0x301},
		{"CR as 16 bits", 0x030, 2, 0x301},
		{"CR low byte", 0x030, 1, 0x01},
		{"IFLS: half-full triggers", 0x034, 4, 0x12},
		{"IMSC: all masked", 0x038, 4, 0},
		{"RIS: TX FIFO empty", 0x03c, 4, 0x20},
		{"MIS", 0x040, 4, 0},
		{"ICR is write-only", 0x044, 4, 0},
		{"DMACR: no DMA", 0x048, 4, 0},
		{"UARTPeriphID0", 0xfe0, 4, 0x11},
		{"UARTPeriphID1", 0xfe4, 4, 0x10},
		{"UARTPeriphID2: revision 1, designer Arm", 0xfe8, 4, 0x14},
		{"UARTPeriphID3", 0xfec, 4, 0x00},
		{"UARTPCellID0", 0xff0, 4, 0x0d},
		{"UARTPCellID1", 0xff4, 4, 0xf0},
		{"UARTPCellID2", 0xff8, 4, 0x05},
		{"UARTPCellID3", 0xffc, 1, 0xb1},
		{"reserved 0x008", 0x008, 4, 0},
		{"reserved 0x01c", 0x01c, 4, 0},
		{"test register 0x080", 0x080, 4, 0},
		{"reserved 0xfdc", 0xfdc, 4, 0},
	} {
		assert.Equal(t, tc.want, load(t, u, tc.offset, tc.size), "%s: %d-byte load at %#x", tc.register, tc.size, tc.offset)
	}
}

// The identification registers read as the AMBA ID Linux's amba-pl011
// driver binds to: 0x00041011 under mask 0x000fffff.
func TestIdentificationMatchesLinux(t *testing.T) {
	u, _, _ := newUART()
	var periphID, cellID uint32
	for i := range 4 {
		periphID |= load(t, u, 0xfe0+4*uint64(i), 4) << (8 * i)
		cellID |= load(t, u, 0xff0+4*uint64(i), 4) << (8 * i)
	}
	assert.Equal(t, uint32(0x00041011), periphID&0x000fffff, "AMBA peripheral ID %#x", periphID)
	assert.Equal(t, uint32(0xb105f00d), cellID, "PrimeCell ID")
}

func TestRegisterWrites(t *testing.T) {
	for _, tc := range []struct {
		register string
		offset   uint64
		size     int
		value    uint64
		want     uint32 // read back with a 32-bit load
	}{
		{"ILPR keeps 8 bits", 0x020, 4, 0x1ff, 0xff},
		{"IBRD keeps 16 bits", 0x024, 4, 0x1_2345, 0x2345},
		{"FBRD keeps 6 bits", 0x028, 4, 0xff, 0x3f},
		{"LCR_H keeps 8 bits", 0x02c, 2, 0x1ff, 0xff},
		{"CR without its reserved bits 6:3", 0x030, 2, 0xffff, 0xff87},
		{"CR byte store is zero-extended: TXE, RXE clear", 0x030, 1, 0x1ff, 0x87},
		{"IFLS keeps 6 bits", 0x034, 4, 0xff, 0x3f},
		{"IMSC keeps 11 bits", 0x038, 4, 0xffff, 0x7ff},
		{"32-bit store ignores the upper word", 0x024, 4, 0xffff_ffff_0000_0007, 7},
		{"FR is read-only", 0x018, 4, 0, frEmpty},
		{"RIS is read-only", 0x03c, 4, 0, 0x20},
		{"DMACR stays 0", 0x048, 4, 0x7, 0},
		{"RSR/ECR write changes nothing", 0x004, 4, 0xff, 0},
		{"identification is read-only", 0xfe0, 4, 0, 0x11},
		{"reserved offsets ignore writes", 0x008, 4, 0xffff, 0},
	} {
		u, _, _ := newUART()
		store(t, u, tc.offset, tc.size, tc.value)
		assert.Equal(t, tc.want, load(t, u, tc.offset, 4), "%s: %d-byte store of %#x at %#x", tc.register, tc.size, tc.value, tc.offset)
	}
}

func TestAccessesThePL011DoesNotDecode(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    vdev.Access
	}{
		{"64-bit load", vdev.Access{Offset: 0x018, Size: 8}},
		{"64-bit store to DR", vdev.Access{Offset: 0x000, Size: 8, Write: true, Value: 'x'}},
		{"3-byte load", vdev.Access{Offset: 0x018, Size: 3}},
		{"byte inside FR", vdev.Access{Offset: 0x019, Size: 1}},
		{"halfword inside DR", vdev.Access{Offset: 0x002, Size: 2, Write: true, Value: 'x'}},
		{"word not word-aligned", vdev.Access{Offset: 0x026, Size: 4}},
		{"beyond the frame", vdev.Access{Offset: 0x1000, Size: 4}},
	} {
		u, s, out := newUART()
		_, ok := u.Access(tc.a)
		assert.False(t, ok, tc.name)
		u.Flush()
		assert.Empty(t, out.lines, "%s: reached the output", tc.name)
		assert.False(t, s.out.pending(), tc.name)
	}
}

// Earlycon stores bytes to DR, amba-pl011 halfwords, and others words:
// only the low 8 bits are data.
func TestTransmitTakesEveryAccessSize(t *testing.T) {
	u, _, out := newUART()
	store(t, u, pl011.DR, 1, 'a')
	store(t, u, pl011.DR, 2, 0x0f00|'b')
	store(t, u, pl011.DR, 4, 0xffff_ff00|'c')
	store(t, u, pl011.DR, 4, 0xdead_0000_0000_0a00|'\n')
	assert.Equal(t, []string{"[ecu] abc"}, out.lines)
}

// TestInterruptModel walks the receive FIFO and the interrupt registers
// through a guest's typical use; each step states what the registers
// read afterwards.
func TestInterruptModel(t *testing.T) {
	type step struct {
		action string // push, load DR, store DR, store IMSC, store ICR
		value  uint32
		want   uint32 // push: 1 if queued; load DR: the byte
		fr     uint32
		ris    uint32
		mis    uint32
		irq    bool
	}
	steps := []step{
		{action: "store IMSC", value: intRX | intTX, fr: frEmpty, ris: intTX, mis: intTX, irq: true},
		{action: "store ICR", value: intTX, fr: frEmpty, ris: 0, mis: 0},
		{action: "push", value: 'a', want: 1, fr: frHoldsRX, ris: intRX, mis: intRX, irq: true},
		{action: "store ICR", value: intRX, fr: frHoldsRX, ris: intRX, mis: intRX, irq: true},
		{action: "push", value: 'b', want: 1, fr: frHoldsRX, ris: intRX, mis: intRX, irq: true},
		{action: "load DR", want: 'a', fr: frHoldsRX, ris: intRX, mis: intRX, irq: true},
		{action: "load DR", want: 'b', fr: frEmpty, ris: 0, mis: 0},
		{action: "load DR", want: 0, fr: frEmpty, ris: 0, mis: 0},
		{action: "store DR", value: 'x', fr: frEmpty, ris: intTX, mis: intTX, irq: true},
		{action: "store IMSC", value: 0, fr: frEmpty, ris: intTX, mis: 0},
		{action: "push", value: 'c', want: 1, fr: frHoldsRX, ris: intRX | intTX, mis: 0},
		{action: "store IMSC", value: intRX, fr: frHoldsRX, ris: intRX | intTX, mis: intRX, irq: true},
	}
	u, s, _ := newUART()
	for i, st := range steps {
		switch st.action {
		case "push":
			got := uint32(0)
			if s.Push(1, byte(st.value)) {
				got = 1
			}
			assert.Equal(t, st.want, got, "step %d: push %q", i, st.value)
		case "load DR":
			assert.Equal(t, st.want, load(t, u, pl011.DR, 2), "step %d: DR", i)
		case "store DR":
			store(t, u, pl011.DR, 1, uint64(st.value))
		case "store IMSC":
			store(t, u, pl011.IMSC, 2, uint64(st.value))
		case "store ICR":
			store(t, u, pl011.ICR, 2, uint64(st.value))
		default:
			t.Fatalf("step %d: unknown action %q", i, st.action)
		}
		assert.Equal(t, st.fr, load(t, u, pl011.FR, 4), "step %d (%s): FR", i, st.action)
		assert.Equal(t, st.ris, load(t, u, ris, 4), "step %d (%s): RIS", i, st.action)
		assert.Equal(t, st.mis, load(t, u, mis, 4), "step %d (%s): MIS", i, st.action)
		assert.Equal(t, st.irq, s.InterruptPending(), "step %d (%s): interrupt line", i, st.action)
	}
}

func TestReceiveFIFOFullDropsAndCounts(t *testing.T) {
	u, s, _ := newUART()
	for i := range RXFIFOSize {
		require.True(t, s.Push(1, byte(i)), "byte %d", i)
	}
	assert.Equal(t, uint32(frFullOfRX), load(t, u, pl011.FR, 4))
	assert.False(t, s.Push(1, 0xee), "a byte beyond the FIFO was queued")
	assert.Equal(t, uint64(1), s.InputDropped())
	for i := range RXFIFOSize {
		assert.Equal(t, uint32(byte(i)), load(t, u, pl011.DR, 1), "byte %d", i)
	}
	assert.Equal(t, uint32(frEmpty), load(t, u, pl011.FR, 4))
	assert.True(t, s.Push(1, 'z'), "the FIFO did not take a byte after draining")
}

func TestResetRestoresTheBootState(t *testing.T) {
	u, s, out := newUART()
	store(t, u, pl011.CR, 4, 0)
	store(t, u, pl011.IMSC, 4, 0x7ff)
	store(t, u, pl011.IBRD, 4, 1)
	store(t, u, pl011.ICR, 4, intTX)
	for range RXFIFOSize + 1 {
		s.Push(1, 'q')
	}
	transmitString(u, "\x1b[31mhalf a line")

	require.NoError(t, s.Reset(0))
	var fresh State
	require.NoError(t, fresh.Reset(0))
	fresh.inputDropped.Store(1) // the counters survive a reset
	assert.Equal(t, &fresh, s)
	u.Flush()
	assert.Empty(t, out.lines, "the discarded line was written out")
}

func TestFlushWritesTheUnfinishedLine(t *testing.T) {
	u, _, out := newUART()
	u.Flush()
	assert.Empty(t, out.lines, "an empty line was flushed")
	transmitString(u, "Kernel panic - not syncing")
	u.Flush()
	u.Flush()
	transmitString(u, "\n")
	assert.Equal(t, []string{"[ecu] Kernel panic - not syncing", "[ecu] "}, out.lines)
}

// A core that halted while it held the lock must not stop the others, and
// nobody may go ahead without the lock: every access returns, what could
// not be done is counted, and Reset refuses (the partition cannot be
// restarted with that State).
func TestHaltedHolderNeverHangsNorIsOverruled(t *testing.T) {
	u, s, out := newUART()
	spin.Halted = func(core uint32) bool { return core == 5 }
	t.Cleanup(func() { spin.Halted = nil })
	require.NoError(t, s.lock.Acquire(5))
	store(t, u, pl011.DR, 1, '\n')
	assert.Equal(t, uint64(1), s.OutputDropped())
	assert.False(t, s.Push(1, 'a'))
	assert.Equal(t, uint64(1), s.InputDropped())
	assert.Equal(t, uint32(0), load(t, u, pl011.DR, 4))
	store(t, u, pl011.IMSC, 4, intTX)
	assert.True(t, s.InterruptPending(), "registers outside the lock stopped working")
	assert.Error(t, s.Reset(0))
	assert.True(t, s.lock.HeldBy(5))
	assert.Empty(t, out.lines)

	s.lock.Release(5)
	require.NoError(t, s.Reset(0))
	transmitString(u, "back\n")
	assert.Equal(t, []string{"[ecu] back"}, out.lines)
}

// Two vCPUs of one partition, on two cores, share one UART while a third
// core types: no byte is lost or duplicated, and every line stays whole.
// The vCPUs write without a lock of their own, so their bytes meet in the
// one line buffer; they read under the guest's port lock, as Linux does,
// since a check of FR and the load of DR that follows are two accesses.
//
// Goroutines are not cores: the Go scheduler may stop one while it holds
// the State's lock; the others then wait, however long that takes, and
// nothing is dropped. On a loaded host the goroutines seldom run at the
// same instant; run the test with -race to have every unguarded access
// reported regardless.
func TestCoresShareOneUART(t *testing.T) {
	const (
		perCore = 500 * LineSize // letters each vCPU writes
		typed   = 500            // bytes typed, 1 to 255 repeated
	)
	var s State
	require.NoError(t, s.Reset(0))
	out := &lineRecorder{}
	var received [2][]byte
	var consumed atomic.Int64
	var portLock sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{}) // so that the vCPUs overlap
	for core, letter := range []byte{'a', 'b'} {
		wg.Go(func() {
			u := New(&s, "ecu", core, out)
			<-start
			readAll := func() {
				portLock.Lock()
				defer portLock.Unlock()
				for load(t, u, pl011.FR, 4)&pl011.FRRXFE == 0 {
					if b := byte(load(t, u, pl011.DR, 1)); b != 0 {
						received[core] = append(received[core], b)
						consumed.Add(1)
					}
				}
			}
			for i := range perCore {
				store(t, u, pl011.DR, 1, uint64(letter))
				if i%LineSize == 0 {
					readAll()
				}
			}
			for consumed.Load() < typed {
				readAll()
				runtime.Gosched()
			}
		})
	}
	wg.Go(func() {
		<-start
		for i := range typed {
			for !s.Push(2, byte(1+i%255)) {
				runtime.Gosched()
			}
		}
	})
	close(start)
	wg.Wait()
	New(&s, "ecu", 0, out).Flush()

	var letters [256]int
	text := 0
	for i, l := range out.lines {
		line, ok := strings.CutPrefix(l, "[ecu] ")
		require.True(t, ok, "line %q", l)
		if i < len(out.lines)-1 {
			assert.Len(t, line, LineSize, "line %d was cut short", i)
		}
		text += len(line)
		for _, c := range []byte(line) {
			letters[c]++
		}
	}
	assert.Equal(t, 2*perCore, letters['a']+letters['b'], "letters lost")
	assert.Zero(t, s.OutputDropped())
	assert.Equal(t, letters['a']+letters['b'], text, "bytes other than letters in the output")

	got := slices.Concat(received[0], received[1])
	slices.Sort(got)
	want := make([]byte, typed)
	for i := range want {
		want[i] = byte(1 + i%255)
	}
	slices.Sort(want)
	assert.Equal(t, want, got, "typed bytes lost or duplicated")
	_, held := s.lock.Holder()
	assert.False(t, held, "lock left held")
}

// Every register access runs on the trap path: none may allocate,
// including the store that finishes a line and writes it out.
func TestAccessesDoNotAllocate(t *testing.T) {
	var s State
	require.NoError(t, s.Reset(0))
	out := &lineCounter{}
	u := New(&s, "ecu", 0, out)
	var dev vdev.Device = u
	offsets := []uint64{0x000, 0x004, 0x018, 0x020, 0x024, 0x028, 0x02c, 0x030, 0x034, 0x038, 0x03c, 0x040, 0x044, 0x048, 0x100, 0xfe0, 0xffc}
	for _, tc := range []struct {
		name string
		run  func()
	}{
		{"load every register", func() {
			for _, o := range offsets {
				dev.Access(vdev.Access{Offset: o, Size: 4})
			}
		}},
		{"store every register but DR", func() {
			for _, o := range offsets[1:] {
				dev.Access(vdev.Access{Offset: o, Size: 2, Write: true, Value: 0x30})
			}
		}},
		{"transmit a byte", func() { dev.Access(vdev.Access{Offset: 0, Size: 1, Write: true, Value: 'x'}) }},
		{"transmit a colour sequence", func() {
			for _, c := range []byte("\x1b[1;31m") {
				dev.Access(vdev.Access{Offset: 0, Size: 1, Write: true, Value: uint64(c)})
			}
		}},
		{"finish a line", func() { dev.Access(vdev.Access{Offset: 0, Size: 1, Write: true, Value: '\n'}) }},
		{"receive a byte", func() {
			s.Push(1, 'k')
			dev.Access(vdev.Access{Offset: 0, Size: 4})
		}},
		{"flush a line", func() {
			dev.Access(vdev.Access{Offset: 0, Size: 1, Write: true, Value: 'y'})
			u.Flush()
		}},
		{"refused access", func() { dev.Access(vdev.Access{Offset: 0, Size: 8}) }},
		{"interrupt line", func() { s.InterruptPending() }},
	} {
		assert.Zero(t, testing.AllocsPerRun(100, tc.run), tc.name)
	}
	assert.Positive(t, out.lines, "no line was written out")
}

// pointerField returns the path of the first part of t that holds a Go
// pointer, or "" when t holds none.
func pointerField(t reflect.Type, path string) string {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return ""
	case reflect.Array:
		return pointerField(t.Elem(), path+"[]")
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if p := pointerField(f.Type, path+"."+f.Name); p != "" {
				return p
			}
		}
		return ""
	}
	return path + " (" + t.Kind().String() + ")"
}

// State lives in memory that every core's runtime ignores, so it must hold
// no pointer the garbage collector would need to see.
func TestStateHoldsNoPointers(t *testing.T) {
	assert.Empty(t, pointerField(reflect.TypeFor[State](), "State"))

	// The check itself finds pointers wherever they hide.
	for _, tc := range []struct {
		typ  reflect.Type
		want string
	}{
		{reflect.TypeFor[struct{ A [2]uint64 }](), ""},
		{reflect.TypeFor[struct{ P *uint32 }](), "T.P (ptr)"},
		{reflect.TypeFor[struct{ S string }](), "T.S (string)"},
		{reflect.TypeFor[struct{ B []byte }](), "T.B (slice)"},
		{reflect.TypeFor[struct{ I any }](), "T.I (interface)"},
		{reflect.TypeFor[struct{ A [1]struct{ M map[int]int } }](), "T.A[].M (map)"},
	} {
		assert.Equal(t, tc.want, pointerField(tc.typ, "T"), "%v", tc.typ)
	}
}

func TestRoom(t *testing.T) {
	var s State
	require.NoError(t, s.Reset(0))
	assert.Equal(t, RXFIFOSize, s.Room())
	for i := 0; i < RXFIFOSize; i++ {
		assert.True(t, s.Push(1, byte(i)))
		assert.Equal(t, RXFIFOSize-i-1, s.Room())
	}
	assert.False(t, s.Push(1, 'x'))
	assert.Equal(t, 0, s.Room())
}
