package hv

// Transmitter sends one byte to the console device: Tx when it can wait
// for the device, TryTx when it must not.
type Transmitter interface {
	Tx(c byte)
	NonBlockingTransmitter
}

// maxLine is the longest line written out whole: every line the
// hypervisor prints (a violation report with a partition name of 32 bytes
// is under 250) and the same as a guest's virtual console line.
const maxLine = 512

// Console is one core's view of the console all cores share. Each core
// collects its output a line at a time. While it is the only core
// running, whole lines go straight to the device; once others run, they go
// into the core's ring, and the core writes out what the UART takes
// without waiting (see OutputWriter): lines of two cores never interleave
// mid-line, and no core waits for another's output.
//
// A Console lives in each core's private memory; it allocates nothing.
type Console struct {
	// dev is handed on as it is: converting it to another interface at
	// run time goes through the runtime's itab cache, which allocates
	// (before the heap exists, in hwinit0) and needs a runtime the
	// exception path's g lacks.
	dev  Transmitter
	core uint32
	// rings and writer are in the shared region; nil while only one
	// core runs.
	rings  []OutputRing
	writer *OutputWriter
	// line holds one line; a longer one goes out in pieces, and only
	// then can another core's line fall between them.
	line [maxLine]byte
	n    int
}

// Init binds the console to its device and core. rings (one per core) and
// writer are shared; pass nil before other cores run.
func (c *Console) Init(dev Transmitter, core int, rings []OutputRing, writer *OutputWriter) {
	c.dev = dev
	c.core = uint32(core)
	c.SetOutput(rings, writer)
}

// SetOutput starts (or stops, with nil) output through the cores' rings.
func (c *Console) SetOutput(rings []OutputRing, writer *OutputWriter) {
	c.rings, c.writer = rings, writer
}

// Put adds one byte; a newline writes the line out, and a full buffer
// writes out what it holds as a line of its own.
func (c *Console) Put(b byte) {
	if b == '\n' {
		c.endLine()
		return
	}
	c.line[c.n] = b
	c.n++
	if c.n == len(c.line) {
		c.endLine()
	}
}

// Write adds every byte of s.
func (c *Console) Write(s string) {
	for i := 0; i < len(s); i++ {
		c.Put(s[i])
	}
}

// Flush writes out whatever is buffered, as a line.
func (c *Console) Flush() {
	if c.n > 0 {
		c.endLine()
	}
}

func (c *Console) endLine() {
	line := c.line[:c.n]
	c.n = 0
	c.emit(nil, line)
}

// emit writes prefix and line and a line end, as one line.
func (c *Console) emit(prefix, line []byte) {
	if c.dev == nil {
		return
	}
	if c.rings == nil {
		for _, s := range [2][]byte{prefix, line} {
			for _, b := range s {
				c.dev.Tx(b)
			}
		}
		c.dev.Tx('\r')
		c.dev.Tx('\n')
		return
	}
	ring := &c.rings[c.core]
	if !ring.put(prefix, line) {
		// Full: what is pending may go out now, else the line is lost
		// (counted), this core's only.
		c.writer.Drain(c.core, c.rings, c.dev)
		if !ring.put(prefix, line) {
			ring.lost.Add(1)
			return
		}
	}
	c.writer.Drain(c.core, c.rings, c.dev)
}

// Drain writes out pending lines of every core, as many as the UART takes
// without waiting, unless another core is at it.
func (c *Console) Drain() {
	if c.rings != nil {
		c.writer.Drain(c.core, c.rings, c.dev)
	}
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

// WriteLine writes prefix, line and a line end as one line, bypassing the
// line buffer (a guest's line plus its prefix may be longer than the
// buffer, and must not be split). It implements vpl011.LineSink for the
// partitions' virtual consoles.
func (c *Console) WriteLine(prefix, line []byte) {
	c.Flush()
	c.emit(prefix, line)
}
