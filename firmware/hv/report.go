package hv

import "github.com/tamavisor/tamavisor/aarch64"

// Frame is the state the exception vectors save before calling Go. Its
// layout is shared with the assembly (go_asm.h: Frame_X, Frame_ESR, ...).
type Frame struct {
	X      [31]uint64 // x0..x30
	SP     uint64     // SP at the time of the exception (EL2's own for a guest exit: the guest's is in SP_EL1)
	ELR    uint64
	SPSR   uint64
	ESR    uint64
	FAR    uint64
	Vector uint64 // offset of the vector taken in the table
	// HPFAR is HPFAR_EL2: for a stage-2 abort, the faulting IPA's page.
	HPFAR uint64
}

// vectorName describes a vector table offset (DDI 0487 D1.10.2, "Exception
// vectors").
func vectorName(offset uint64) string {
	if offset >= 0x800 || offset%0x80 != 0 {
		return "unknown vector"
	}
	kinds := [4]string{"synchronous", "IRQ", "FIQ", "SError"}
	return kinds[offset/0x80%4]
}

func vectorOrigin(offset uint64) string {
	origins := [4]string{"current EL with SP_EL0", "current EL with SP_EL2", "lower EL in AArch64", "lower EL in AArch32"}
	if offset >= 0x800 {
		return "unknown"
	}
	return origins[offset/0x200]
}

// WriteReport writes the decoded report of an unexpected exception: what
// happened in words, the syndrome and fault address, where it happened, and
// every general register. It allocates nothing.
func WriteReport(c *Console, core int, f *Frame) {
	esr := aarch64.ESR(f.ESR)
	class := esr.Class()
	spsr := aarch64.SPSR(f.SPSR)

	c.Flush() // end any half-written line of this core first
	prefix(c, core)
	c.Write("unexpected exception: ")
	c.Write(class.String())
	c.Write(" (EC ")
	c.Hex(uint64(class))
	c.Write(")\n")

	prefix(c, core)
	c.Write("  vector: ")
	c.Write(vectorName(f.Vector))
	c.Write(", ")
	c.Write(vectorOrigin(f.Vector))
	c.Write("\n")

	prefix(c, core)
	c.Write("  ESR ")
	c.Hex(f.ESR)
	c.Write("  FAR ")
	c.Hex(f.FAR)
	c.Write("  ELR ")
	c.Hex(f.ELR)
	c.Write("  SPSR ")
	c.Hex(f.SPSR)
	c.Write(" (")
	c.Write(spsr.Mode())
	c.Write(", masked ")
	m := spsr.Masked()
	for _, b := range m {
		c.Put(b)
	}
	c.Write(")\n")

	if class.IsAbort() {
		prefix(c, core)
		status := esr.FaultStatus()
		if class == aarch64.ECDataAbortLower || class == aarch64.ECDataAbortSame {
			da := esr.DataAbort()
			if da.Write {
				c.Write("  write access: ")
			} else {
				c.Write("  read access: ")
			}
		} else {
			c.Write("  instruction fetch: ")
		}
		c.Write(status.String())
		if lvl := status.Level(); lvl >= 0 {
			c.Write(" at level ")
			c.Dec(uint64(lvl))
		}
		c.Write(" at address ")
		c.Hex(f.FAR)
		c.Write("\n")
	}

	for i := 0; i < 31; i += 4 {
		prefix(c, core)
		c.Write(" ")
		for j := i; j < i+4 && j < 32; j++ {
			c.Write(" ")
			if j == 31 {
				c.Write("sp  ")
				c.Hex16(f.SP)
				continue
			}
			c.Put('x')
			c.Dec(uint64(j))
			if j < 10 {
				c.Put(' ')
			}
			c.Put(' ')
			c.Hex16(f.X[j])
		}
		c.Write("\n")
	}
}

// WriteHalted writes the line that says a core entered the safe state, and
// whether other cores are running on.
func WriteHalted(c *Console, core int, why string, othersRunning bool) {
	c.Flush()
	prefix(c, core)
	c.Write("halted (")
	c.Write(why)
	if othersRunning {
		c.Write("): safe state, interrupts masked, the other cores keep running\n")
	} else {
		c.Write("): safe state, interrupts masked, no other core started\n")
	}
}

func prefix(c *Console, core int) {
	c.Write("core ")
	c.Dec(uint64(core))
	c.Write(": ")
}
