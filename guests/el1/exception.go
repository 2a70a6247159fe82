package el1

import "github.com/tamavisor/tamavisor/aarch64"

// Frame is the state the EL1 exception vectors save before they call Go.
// Its layout is shared with the assembly (go_asm.h: Frame_X, Frame_ELR, ...).
// A hook may change the general registers; they are restored when the
// program resumes.
type Frame struct {
	X      [31]uint64 // x0..x30
	SP     uint64     // SP_EL1 when the exception was taken
	ELR    uint64     // ELR_EL1: the instruction that took a synchronous exception
	SPSR   uint64     // SPSR_EL1
	ESR    uint64     // ESR_EL1
	FAR    uint64     // FAR_EL1
	Vector uint64     // offset of the vector taken in the table
}

// Action is what the program wants done after a synchronous exception.
type Action uint8

const (
	// Report prints the exception and halts the program: what happens
	// to every exception without a hook.
	Report Action = iota
	// Skip resumes the program after the instruction that took the
	// exception, with the registers of the frame.
	Skip
)

// SyncHook sees each synchronous exception taken at EL1 before el1 reports
// it. It runs on the exception stack, outside any goroutine: it must not
// allocate, block, print through fmt or take locks; storing numbers in
// globals is fine.
type SyncHook func(f *Frame) Action

// Vector table offsets (DDI 0487 D1.10.2, Table D1-7): four 0x200-byte
// groups by origin, each with synchronous, IRQ, FIQ and SError vectors
// 0x80 bytes apart.
const (
	vectorGroupSize = 0x200
	vectorSize      = 0x80
	vectorTableSize = 0x800
)

// IsSynchronousSameLevel reports whether the vector at offset is the
// synchronous one of the program's own exception level (with SP_EL0 or
// SP_EL1): the only exceptions a hook may see.
func IsSynchronousSameLevel(offset uint64) bool {
	return offset == 0 || offset == vectorGroupSize
}

// VectorKind and VectorOrigin describe a vector table offset:
// "synchronous" and "current EL with SP_EL1". Two constant strings rather
// than one built string, so the exception path allocates nothing.
func VectorKind(offset uint64) string {
	if offset >= vectorTableSize || offset%vectorSize != 0 {
		return "unknown vector"
	}
	return [4]string{"synchronous", "IRQ", "FIQ", "SError"}[offset/vectorSize%4]
}

func VectorOrigin(offset uint64) string {
	if offset >= vectorTableSize || offset%vectorSize != 0 {
		return "unknown origin"
	}
	return [4]string{"current EL with SP_EL0", "current EL with SP_EL1", "lower EL in AArch64", "lower EL in AArch32"}[offset/vectorGroupSize]
}

// ResumeAddress returns where a skipped exception resumes: after the
// instruction that took it. ELR_EL1 holds that instruction for every
// synchronous exception except a supervisor call, whose preferred return
// address is already the next one (DDI 0487 D1.10.1, "Preferred exception
// return address"). AArch64 instructions are 4 bytes.
func ResumeAddress(f *Frame) uint64 {
	if aarch64.ESR(f.ESR).Class() == aarch64.ECSVC64 {
		return f.ELR
	}
	return f.ELR + 4
}

// AppendException appends what an exception was, in the words of the Arm
// ARM: its class, and for an abort the fault and the address:
// "EC 0x25 Data Abort taken without a change in Exception level:
// synchronous external abort at 0x48000000".
func AppendException(dst []byte, esr, far uint64) []byte {
	e := aarch64.ESR(esr)
	class := e.Class()
	dst = append(dst, "EC "...)
	dst = AppendHex(dst, uint64(class))
	dst = append(dst, ' ')
	dst = append(dst, class.String()...)
	if class.IsAbort() {
		status := e.FaultStatus()
		dst = append(dst, ": "...)
		dst = append(dst, status.String()...)
		if lvl := status.Level(); lvl >= 0 {
			dst = append(dst, " at level "...)
			dst = append(dst, byte('0'+lvl))
		}
		if class == aarch64.ECDataAbortSame || class == aarch64.ECDataAbortLower {
			if e.DataAbort().FARNotValid {
				return append(dst, " (address not reported)"...)
			}
		}
		dst = append(dst, " at "...)
		dst = AppendHex(dst, far)
	}
	return dst
}

// WriteReport writes the report of an exception no hook handled: what it
// was, where, and every general register. It allocates nothing.
func WriteReport(c Console, f *Frame) {
	var buf [160]byte
	c.WriteString("el1: unexpected exception: ")
	c.Write(AppendException(buf[:0], f.ESR, f.FAR))
	c.WriteString("\nel1:   vector: ")
	c.WriteString(VectorKind(f.Vector))
	c.WriteString(", ")
	c.WriteString(VectorOrigin(f.Vector))
	c.WriteString("\nel1:   ESR ")
	c.Hex(f.ESR)
	c.WriteString("  FAR ")
	c.Hex(f.FAR)
	c.WriteString("  ELR ")
	c.Hex(f.ELR)
	c.WriteString("  SPSR ")
	c.Hex(f.SPSR)
	c.WriteString(" (")
	spsr := aarch64.SPSR(f.SPSR)
	c.WriteString(spsr.Mode())
	c.WriteString(")\n")
	for i := 0; i < len(f.X)+1; i += 4 {
		c.WriteString("el1:  ")
		for j := i; j < i+4 && j <= len(f.X); j++ {
			line := buf[:0]
			if j == len(f.X) {
				line = append(line, " sp  "...)
				line = appendHex16(line, f.SP)
			} else {
				line = append(line, " x"...)
				line = append(line, byte('0'+j/10), byte('0'+j%10), ' ')
				line = appendHex16(line, f.X[j])
			}
			c.Write(line)
		}
		c.Put('\n')
	}
}

// appendHex16 appends v as 0x and 16 hexadecimal digits, for columns.
func appendHex16(dst []byte, v uint64) []byte {
	const digits = "0123456789abcdef"
	dst = append(dst, "0x"...)
	for shift := 60; shift >= 0; shift -= 4 {
		dst = append(dst, digits[v>>uint(shift)&0xf])
	}
	return dst
}

// Fault is a synchronous exception that Try caught.
type Fault struct {
	ESR uint64 // ESR_EL1: what happened
	FAR uint64 // FAR_EL1: the address, for aborts
	ELR uint64 // the instruction that took it
}

// Class returns the fault's exception class.
func (f Fault) Class() aarch64.ExceptionClass { return aarch64.ESR(f.ESR).Class() }

func (f Fault) Error() string { return string(AppendException(nil, f.ESR, f.FAR)) }

// resumable reports whether a program can go on after the instruction that
// took a synchronous exception of class c. After an instruction abort or a
// misaligned PC there is no instruction to skip: the next one would fault
// the same way.
func resumable(c aarch64.ExceptionClass) bool {
	switch c {
	case aarch64.ECInstrAbortSame, aarch64.ECInstrAbortLower, aarch64.ECPCAlignment:
		return false
	}
	return true
}
