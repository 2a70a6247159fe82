package hv

import (
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/internal/spin"
)

// recorder is a console device that records what it was sent.
type recorder struct {
	mu  sync.Mutex
	out []byte
}

func (r *recorder) Tx(c byte) {
	r.mu.Lock()
	r.out = append(r.out, c)
	r.mu.Unlock()
}

func TestConsoleWritesWholeLines(t *testing.T) {
	dev := &recorder{}
	var c Console
	c.Init(dev, 0, nil)
	c.Write("core 0 ")
	assert.Empty(t, dev.out, "a partial line went out")
	c.Write("up\n")
	assert.Equal(t, "core 0 up\r\n", string(dev.out))
}

// Cores printing at the same time never interleave within a line.
func TestConsoleLinesOfTwoCoresDoNotInterleave(t *testing.T) {
	dev := &recorder{}
	var lock spin.Lock
	var wg sync.WaitGroup
	for core := 0; core < 4; core++ {
		wg.Add(1)
		go func(core int) {
			defer wg.Done()
			var c Console
			c.Init(dev, core, &lock)
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
	lines := strings.Split(strings.TrimSuffix(string(dev.out), "\r\n"), "\r\n")
	assert.Len(t, lines, 800)
	for _, l := range lines {
		assert.Regexp(t, `^core [0-3] says hello, line \d+$`, l)
	}
	_, held := lock.Holder()
	assert.False(t, held, "console lock left held")
}

// A core that writes a line is waited for; one that halted holding the
// lock must not silence the others: its lock is taken over.
func TestConsoleWaitsForALiveHolderAndTakesOverFromAHaltedOne(t *testing.T) {
	var halted atomic.Bool
	spin.Halted = func(core uint32) bool { return core == 3 && halted.Load() }
	t.Cleanup(func() { spin.Halted = nil })
	dev := &recorder{}
	var lock spin.Lock
	require.NoError(t, lock.Acquire(3))
	done := make(chan struct{})
	go func() {
		var c Console
		c.Init(dev, 0, &lock)
		c.Write("still here\n")
		close(done)
	}()
	for range 1000 {
		select {
		case <-done:
			t.Fatal("a line went out while a live core held the console")
		default:
			runtime.Gosched()
		}
	}
	halted.Store(true)
	<-done
	assert.Equal(t, "still here\r\n", string(dev.out))
	_, held := lock.Holder()
	assert.False(t, held)
}

func TestConsoleLongLineIsSplitNotLost(t *testing.T) {
	dev := &recorder{}
	var c Console
	c.Init(dev, 0, nil)
	long := strings.Repeat("x", maxLine+100)
	c.Write(long + "\n")
	assert.Equal(t, long+"\r\n", string(dev.out))
}

// A violation report of the longest kind stays one line while another
// core prints: it once went out in two pieces with another core's line
// between them.
func TestConsoleReportLinesStayWhole(t *testing.T) {
	report := `tamavisor: partition "a-partition-name-of-32-bytes-max": vCPU 0: Data Abort from a lower Exception level ` +
		`(synchronous external abort on translation table walk, level 3) at IPA 0xffffffffff (pc 0xffff800008683424): external abort injected`
	dev := &recorder{}
	var lock spin.Lock
	var wg sync.WaitGroup
	for core := 0; core < 2; core++ {
		wg.Add(1)
		go func(core int) {
			defer wg.Done()
			var c Console
			c.Init(dev, core, &lock)
			for i := 0; i < 100; i++ {
				c.Write(report)
				c.Put('\n')
			}
		}(core)
	}
	wg.Wait()
	for _, l := range strings.Split(strings.TrimSuffix(string(dev.out), "\r\n"), "\r\n") {
		assert.Equal(t, report, l)
	}
}

func TestConsoleNumbers(t *testing.T) {
	dev := &recorder{}
	var c Console
	c.Init(dev, 0, nil)
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
	assert.Equal(t, "0x0 0x40210000 0x0000000000000025 0 18446744073709551615", string(dev.out))
}

func TestConsoleWriteLineIsOneLine(t *testing.T) {
	dev := &recorder{}
	var c Console
	c.Init(dev, 0, nil)
	c.Write("half a line")
	long := strings.Repeat("y", 300)
	c.WriteLine([]byte("[ecu] "), []byte(long))
	assert.Equal(t, "half a line[ecu] "+long+"\r\n", string(dev.out))
	assert.Zero(t, testing.AllocsPerRun(20, func() { c.WriteLine([]byte("[ecu] "), []byte("heartbeat")) }))
}
