package vpl011

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/driver/pl011"
	"github.com/tamavisor/tamavisor/firmware/vdev"
)

// keptLine is what a console line may hold after the prefix: text without
// control bytes but TAB, and colour sequences; a line with colours ends
// with a reset.
var keptLine = regexp.MustCompile(`^(?:[^\x00-\x08\x0a-\x1f\x7f]|\x1b\[[0-9;]*m)*$`)

// FuzzOutputFilter writes arbitrary guest output and checks what reaches
// the console: whole prefixed lines that cannot move the cursor or leave
// a colour behind.
func FuzzOutputFilter(f *testing.F) {
	for _, tc := range filterCases {
		f.Add([]byte(tc.output))
	}
	f.Fuzz(func(t *testing.T, output []byte) {
		u, s, out := newUART()
		transmitString(u, string(output))
		u.Flush()
		for _, l := range out.lines {
			line, ok := strings.CutPrefix(l, "[ecu] ")
			require.True(t, ok, "line %q has no prefix", l)
			assert.LessOrEqual(t, len(line), lineCapacity, "line %q", line)
			assert.Regexp(t, keptLine, line)
			if strings.Contains(line, "\x1b") {
				assert.True(t, strings.HasSuffix(line, sgrReset), "line %q leaves a colour set", line)
			}
		}
		assert.LessOrEqual(t, s.out.n, uint32(LineSize))
		_, held := s.lock.Holder()
		assert.False(t, held, "lock left held")
	})
}

// FuzzAccess performs arbitrary register accesses, 12 bytes each: offset
// (2), size (1), write (1), value (8). The UART must take exactly the
// accesses a PL011 decodes, and its flag register must agree with its
// receive FIFO.
func FuzzAccess(f *testing.F) {
	f.Add([]byte{0x18, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0, 0, 1, 1, 'h', 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, '\n', 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x38, 0, 2, 1, 0xff, 0x7, 0, 0, 0, 0, 0, 0, 0x44, 0, 4, 1, 0xff, 0xff, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0xe8, 0x0f, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, accesses []byte) {
		u, s, _ := newUART()
		s.Push(1, 'a')
		for ; len(accesses) >= 12; accesses = accesses[12:] {
			r := accesses[:12]
			a := vdev.Access{
				Offset: uint64(r[0]) | uint64(r[1])<<8,
				Size:   int(r[2]),
				Write:  r[3]&1 != 0,
			}
			for i := range 8 {
				a.Value |= uint64(r[4+i]) << (8 * i)
			}
			_, ok := u.Access(a)
			decoded := (a.Size == 1 || a.Size == 2 || a.Size == 4) && a.Offset%4 == 0 && a.Offset < regionSize
			require.Equal(t, decoded, ok, "%+v", a)

			fr := load(t, u, pl011.FR, 4)
			require.Equal(t, s.received() == 0, fr&pl011.FRRXFE != 0, "FR %#x with %d bytes received", fr, s.received())
			require.Zero(t, fr&pl011.FRTXFF, "TX FIFO full")
		}
		_, held := s.lock.Holder()
		assert.False(t, held, "lock left held")
	})
}
