package hv

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/internal/spin"
)

// recorder is a console device that records what it was sent. While
// refuse is set it takes nothing (a full transmit FIFO).
type recorder struct {
	mu     sync.Mutex
	out    []byte
	refuse atomic.Bool
}

func (r *recorder) Tx(c byte) {
	r.mu.Lock()
	r.out = append(r.out, c)
	r.mu.Unlock()
}

func (r *recorder) TryTx(c byte) bool {
	if r.refuse.Load() {
		return false
	}
	r.Tx(c)
	return true
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return string(r.out)
}

func TestConsoleWritesWholeLines(t *testing.T) {
	dev := &recorder{}
	var c Console
	c.Init(dev, 0, nil, nil)
	c.Write("core 0 ")
	assert.Empty(t, dev.out, "a partial line went out")
	c.Write("up\n")
	assert.Equal(t, "core 0 up\r\n", string(dev.out))
}

// sharedOutput is the rings and writer of the shared region.
type sharedOutput struct {
	rings  [MaxCPUs]OutputRing
	writer OutputWriter
}

// Cores printing at the same time never interleave within a line, and
// every line gets out.
func TestConsoleLinesOfTwoCoresDoNotInterleave(t *testing.T) {
	dev := &recorder{}
	out := &sharedOutput{}
	var wg sync.WaitGroup
	for core := 0; core < 4; core++ {
		wg.Add(1)
		go func(core int) {
			defer wg.Done()
			var c Console
			c.Init(dev, core, out.rings[:], &out.writer)
			for i := 0; i < 200; i++ {
				c.Write("core ")
				c.Dec(uint64(core))
				c.Write(" says hello, line ")
				c.Dec(uint64(i))
				c.Put('\n')
			}
		}(core)
	}
	wg.Wait()
	var c Console
	c.Init(dev, 5, out.rings[:], &out.writer)
	for anyPending(out.rings[:]) {
		c.Drain()
	}
	lines := strings.Split(strings.TrimSuffix(dev.String(), "\r\n"), "\r\n")
	assert.Len(t, lines, 800)
	for _, l := range lines {
		assert.Regexp(t, `^core [0-3] says hello, line \d+$`, l)
	}
	_, held := out.writer.lock.Holder()
	assert.False(t, held, "console writer left held")
}

// No core waits while another writes: a core that finds the writer busy
// leaves its line in its ring and returns, and the line goes out with the
// next drain.
func TestConsoleNeverWaitsForAnotherCore(t *testing.T) {
	dev := &recorder{}
	out := &sharedOutput{}
	require.True(t, out.writer.lock.TryAcquire(3)) // core 3 is writing, and stays so
	var c Console
	c.Init(dev, 0, out.rings[:], &out.writer)
	c.Write("still here\n") // returns: nothing to wait for
	assert.Empty(t, dev.String())
	out.writer.lock.Release(3)
	c.Drain()
	assert.Equal(t, "still here\r\n", dev.String())
}

// A writer that halted holding the writer is taken over: the others must
// not fall silent.
func TestConsoleTakesOverFromAHaltedWriter(t *testing.T) {
	spin.Halted = func(core uint32) bool { return core == 3 }
	t.Cleanup(func() { spin.Halted = nil })
	dev := &recorder{}
	out := &sharedOutput{}
	require.True(t, out.writer.lock.TryAcquire(3))
	var c Console
	c.Init(dev, 0, out.rings[:], &out.writer)
	c.Write("still here\n")
	assert.Equal(t, "still here\r\n", dev.String())
}

// A UART that takes no byte stops the writer where it is; the line goes
// on from there, whole, when it takes bytes again, before any other
// core's line.
func TestConsoleFullUARTResumesMidLine(t *testing.T) {
	dev := &recorder{}
	out := &sharedOutput{}
	var a, b Console
	a.Init(dev, 0, out.rings[:], &out.writer)
	b.Init(dev, 1, out.rings[:], &out.writer)
	a.Write("first\n")
	dev.refuse.Store(true)
	a.Write("second line of core 0\n")
	b.Write("core 1\n")
	assert.Equal(t, "first\r\n", dev.String())
	dev.refuse.Store(false)
	a.Drain()
	assert.Equal(t, "first\r\nsecond line of core 0\r\ncore 1\r\n", dev.String())
}

// A core whose ring is full loses its own lines, counted, and nobody
// else's.
func TestConsoleFullRingLosesOnlyItsOwnLines(t *testing.T) {
	dev := &recorder{}
	out := &sharedOutput{}
	dev.refuse.Store(true)
	var a, b Console
	a.Init(dev, 0, out.rings[:], &out.writer)
	b.Init(dev, 1, out.rings[:], &out.writer)
	line := strings.Repeat("z", 99) + "\n"
	fit := ringSize / len(line)
	for range fit + 10 {
		a.Write(line)
	}
	b.Write("core 1 is fine\n")
	assert.Equal(t, uint64(10), out.rings[0].Lost())
	assert.Zero(t, out.rings[1].Lost())
	dev.refuse.Store(false)
	for anyPending(out.rings[:]) {
		a.Drain()
	}
	got := dev.String()
	assert.Equal(t, fit, strings.Count(got, strings.TrimSuffix(line, "\n")+"\r\n"))
	assert.Contains(t, got, "core 1 is fine\r\n")
}

func TestConsoleLongLineIsSplitNotLost(t *testing.T) {
	dev := &recorder{}
	var c Console
	c.Init(dev, 0, nil, nil)
	long := strings.Repeat("x", maxLine+100)
	c.Write(long + "\n")
	assert.Equal(t, long[:maxLine]+"\r\n"+long[maxLine:]+"\r\n", string(dev.out))
}

// A violation report of the longest kind stays one line while another
// core prints: it once went out in two pieces with another core's line
// between them.
func TestConsoleReportLinesStayWhole(t *testing.T) {
	report := `tamavisor: partition "a-partition-name-of-32-bytes-max": vCPU 0: Data Abort from a lower Exception level ` +
		`(synchronous external abort on translation table walk, level 3) at IPA 0xffffffffff (pc 0xffff800008683424): external abort injected`
	dev := &recorder{}
	out := &sharedOutput{}
	var wg sync.WaitGroup
	for core := 0; core < 2; core++ {
		wg.Add(1)
		go func(core int) {
			defer wg.Done()
			var c Console
			c.Init(dev, core, out.rings[:], &out.writer)
			for i := 0; i < 100; i++ {
				c.Write(report)
				c.Put('\n')
				c.Drain()
			}
		}(core)
	}
	wg.Wait()
	var c Console
	c.Init(dev, 2, out.rings[:], &out.writer)
	for anyPending(out.rings[:]) {
		c.Drain()
	}
	for _, l := range strings.Split(strings.TrimSuffix(dev.String(), "\r\n"), "\r\n") {
		assert.Equal(t, report, l)
	}
}

func TestConsoleNumbers(t *testing.T) {
	dev := &recorder{}
	var c Console
	c.Init(dev, 0, nil, nil)
	c.Hex(0)
	c.Put(' ')
	c.Hex(0x4021_0000)
	c.Put(' ')
	c.Hex16(0x25)
	c.Put(' ')
	c.Dec(0)
	c.Put(' ')
	c.Dec(18446744073709551615)
	c.Flush()
	assert.Equal(t, "0x0 0x40210000 0x0000000000000025 0 18446744073709551615\r\n", string(dev.out))
}

func TestConsoleWriteLineIsOneLine(t *testing.T) {
	dev := &recorder{}
	out := &sharedOutput{}
	var c Console
	c.Init(dev, 0, out.rings[:], &out.writer)
	c.Write("half a line")
	long := strings.Repeat("y", 300)
	c.WriteLine([]byte("[ecu] "), []byte(long))
	assert.Equal(t, "half a line\r\n[ecu] "+long+"\r\n", dev.String())
	assert.Zero(t, testing.AllocsPerRun(20, func() { c.WriteLine([]byte("[ecu] "), []byte("heartbeat")) }))
	assert.Zero(t, testing.AllocsPerRun(20, func() { c.Write("tamavisor: a line\n") }))
}
