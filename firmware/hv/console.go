package hv

import "github.com/tamavisor/tamavisor/internal/spin"

// Transmitter sends one byte to the console device.
type Transmitter interface {
	Tx(c byte)
}

// maxLine is the longest line written out whole: every line the
// hypervisor prints (a violation report with a partition name of 32 bytes
// is under 250) and the same as a guest's virtual console line.
const maxLine = 512

// Console is one core's view of the console all cores share. Each core
// collects its output a line at a time and writes whole lines under a lock
// in shared memory, so lines of two cores never interleave mid-line.
//
// A Console lives in each core's private memory; it allocates nothing.
type Console struct {
	dev   Transmitter
	owner *spin.Lock // in the shared region; nil while only one core runs
	core  uint32
	// line holds one line; a longer one goes out in pieces, and only
	// then can another core's line fall between them.
	line [maxLine]byte
	n    int
}

// Init binds the console to its device and core. owner is the shared lock;
// pass nil before other cores run.
func (c *Console) Init(dev Transmitter, core int, owner *spin.Lock) {
	c.dev = dev
	c.core = uint32(core)
	c.owner = owner
}

// SetLock starts (or stops, with nil) cross-core locking.
func (c *Console) SetLock(owner *spin.Lock) { c.owner = owner }

// Put adds one byte; a newline or a full buffer writes the line out.
func (c *Console) Put(b byte) {
	c.line[c.n] = b
	c.n++
	if b == '\n' || c.n == len(c.line) {
		c.Flush()
	}
}

// Write adds every byte of s.
func (c *Console) Write(s string) {
	for i := 0; i < len(s); i++ {
		c.Put(s[i])
	}
}

// Flush writes out whatever is buffered, under the lock.
func (c *Console) Flush() {
	if c.n == 0 || c.dev == nil {
		c.n = 0
		return
	}
	acquired := c.lock()
	for i := 0; i < c.n; i++ {
		if c.line[i] == '\n' {
			c.dev.Tx('\r')
		}
		c.dev.Tx(c.line[i])
	}
	c.n = 0
	if acquired {
		c.unlock()
	}
}

// lock takes the shared console lock, reporting whether this call took it
// (and so must release it). It returns false without waiting when this
// core already holds it (a fault while printing). It waits while another
// live core writes a line, and takes the lock over from a core that halted
// holding it: what such a core left is at worst half a line, and the
// others must not fall silent.
func (c *Console) lock() bool {
	if c.owner == nil || c.owner.HeldBy(c.core) {
		return false
	}
	c.owner.TakeOver(c.core)
	return true
}

func (c *Console) unlock() {
	c.owner.Release(c.core)
}

// Hex writes v as 0x-prefixed lower-case hexadecimal.
func (c *Console) Hex(v uint64) { c.hex(v, 1) }

// Hex16 writes v as 0x-prefixed hexadecimal of 16 digits, for columns.
func (c *Console) Hex16(v uint64) { c.hex(v, 16) }

func (c *Console) hex(v uint64, minDigits int) {
	const digits = "0123456789abcdef"
	var tmp [16]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = digits[v&0xf]
		v >>= 4
		if v == 0 && len(tmp)-i >= minDigits {
			break
		}
	}
	c.Put('0')
	c.Put('x')
	for ; i < len(tmp); i++ {
		c.Put(tmp[i])
	}
}

// Dec writes v in decimal.
func (c *Console) Dec(v uint64) {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	for ; i < len(tmp); i++ {
		c.Put(tmp[i])
	}
}

// WriteLine writes prefix, line and a line end as one line under the
// console lock, bypassing the line buffer (a guest's line plus its prefix
// may be longer than the buffer, and must not be split). It implements
// vpl011.LineSink for the partitions' virtual consoles.
func (c *Console) WriteLine(prefix, line []byte) {
	c.Flush()
	if c.dev == nil {
		return
	}
	acquired := c.lock()
	for _, b := range prefix {
		c.dev.Tx(b)
	}
	for _, b := range line {
		c.dev.Tx(b)
	}
	c.dev.Tx('\r')
	c.dev.Tx('\n')
	if acquired {
		c.unlock()
	}
}
