package hv

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestReportOfAWriteToText(t *testing.T) {
	f := Frame{
		SP: 0x4044_4e60, ELR: 0x4029_c974, SPSR: 0x8000_03c9,
		// EC 0x25 data abort same EL, IL, ISV clear, WnR, DFSC 0x0f
		// permission fault level 3.
		ESR: 0x979f_004f, FAR: 0x4021_0000, Vector: 0x200,
	}
	for i := range f.X {
		f.X[i] = uint64(i)
	}
	dev := &recorder{}
	var c Console
	c.Init(dev, 1, nil, nil)
	WriteReport(&c, 1, &f)
	WriteHalted(&c, 1, "unexpected exception", true)
	want := []string{
		"core 1: unexpected exception: Data Abort taken without a change in Exception level (EC 0x25)",
		"core 1:   vector: synchronous, current EL with SP_EL2",
		"core 1:   ESR 0x979f004f  FAR 0x40210000  ELR 0x4029c974  SPSR 0x800003c9 (EL2h, masked DAIF)",
		"core 1:   write access: permission fault at level 3 at address 0x40210000",
		"core 1:   x0  0x0000000000000000 x1  0x0000000000000001 x2  0x0000000000000002 x3  0x0000000000000003",
		"core 1:   x4  0x0000000000000004 x5  0x0000000000000005 x6  0x0000000000000006 x7  0x0000000000000007",
		"core 1:   x8  0x0000000000000008 x9  0x0000000000000009 x10 0x000000000000000a x11 0x000000000000000b",
		"core 1:   x12 0x000000000000000c x13 0x000000000000000d x14 0x000000000000000e x15 0x000000000000000f",
		"core 1:   x16 0x0000000000000010 x17 0x0000000000000011 x18 0x0000000000000012 x19 0x0000000000000013",
		"core 1:   x20 0x0000000000000014 x21 0x0000000000000015 x22 0x0000000000000016 x23 0x0000000000000017",
		"core 1:   x24 0x0000000000000018 x25 0x0000000000000019 x26 0x000000000000001a x27 0x000000000000001b",
		"core 1:   x28 0x000000000000001c x29 0x000000000000001d x30 0x000000000000001e sp  0x0000000040444e60",
		"core 1: halted (unexpected exception): safe state, interrupts masked, the other cores keep running",
	}
	assert.Equal(t, want, strings.Split(strings.TrimSuffix(string(dev.out), "\r\n"), "\r\n"))
}

func TestReportOfAnIRQ(t *testing.T) {
	dev := &recorder{}
	var c Console
	c.Init(dev, 2, nil, nil)
	// An IRQ from a lower EL: ESR is not meaningful, no abort line.
	WriteReport(&c, 2, &Frame{Vector: 0x480, SPSR: 0x3c5})
	lines := strings.Split(string(dev.out), "\r\n")
	assert.Equal(t, "core 2: unexpected exception: Unknown reason (EC 0x0)", lines[0])
	assert.Equal(t, "core 2:   vector: IRQ, lower EL in AArch64", lines[1])
	assert.Contains(t, lines[2], "(EL1h, masked DAIF)")
	assert.True(t, strings.HasPrefix(lines[3], "core 2:   x0 "), "unexpected abort line %q", lines[3])
}

// The report runs on the exception path, on a stack of its own and with no
// usable heap: it must not allocate.
func TestReportAllocatesNothing(t *testing.T) {
	var c Console
	c.Init(&discard{}, 0, nil, nil)
	f := Frame{ESR: 0x9600_0047, FAR: 0x1000, Vector: 0x200, SPSR: 0x3c9}
	allocs := testing.AllocsPerRun(100, func() {
		WriteReport(&c, 3, &f)
		WriteHalted(&c, 3, "unexpected exception", true)
	})
	assert.Zero(t, allocs)
}

type discard struct{}

func (discard) Tx(byte)         {}
func (discard) TryTx(byte) bool { return true }
