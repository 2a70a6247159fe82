package el1

import (
	"strconv"

	"github.com/tamavisor/tamavisor/board"
)

// Transmitter sends one byte to the console device (driver/pl011's UART).
type Transmitter interface {
	Tx(c byte)
}

// Console writes text to the guest's console UART, byte by byte, with
// "\r\n" line ends. It buffers nothing and allocates nothing, so Hwinit0
// (before the Go heap exists) and the exception path can use it.
type Console struct {
	UART Transmitter
}

// Put writes one byte, a newline as "\r\n".
func (c Console) Put(b byte) {
	if c.UART == nil {
		return
	}
	if b == '\n' {
		c.UART.Tx('\r')
	}
	c.UART.Tx(b)
}

// WriteString writes every byte of s.
func (c Console) WriteString(s string) {
	for i := 0; i < len(s); i++ {
		c.Put(s[i])
	}
}

// Write writes p; it never fails (io.Writer).
func (c Console) Write(p []byte) (int, error) {
	for _, b := range p {
		c.Put(b)
	}
	return len(p), nil
}

// Hex writes v as 0x-prefixed lower-case hexadecimal.
func (c Console) Hex(v uint64) {
	var buf [18]byte
	c.Write(AppendHex(buf[:0], v))
}

// Dec writes v in decimal.
func (c Console) Dec(v uint64) {
	var buf [20]byte
	c.Write(strconv.AppendUint(buf[:0], v, 10))
}

// AppendHex appends v as 0x-prefixed lower-case hexadecimal.
func AppendHex(dst []byte, v uint64) []byte {
	return strconv.AppendUint(append(dst, "0x"...), v, 16)
}

// AppendSize appends a byte count in the largest binary unit that divides
// it exactly ("64MiB", "2GiB", "4KiB"), as configs write sizes, or in
// hexadecimal bytes when no unit does.
func AppendSize(dst []byte, n uint64) []byte {
	units := [...]struct {
		suffix string
		shift  uint
	}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}}
	for _, u := range units {
		if n != 0 && n&(1<<u.shift-1) == 0 {
			return append(strconv.AppendUint(dst, n>>u.shift, 10), u.suffix...)
		}
	}
	return AppendHex(dst, n)
}

// AppendRegion appends r as base+size: "0x70000000+64MiB".
func AppendRegion(dst []byte, r board.Region) []byte {
	return AppendSize(append(AppendHex(dst, r.Base), '+'), r.Size)
}
