package aarch64

// SPSR is a saved program status register value (DDI 0487 C5.2.19
// SPSR_EL2).
type SPSR uint64

// ExceptionLevel returns the exception level the exception was taken from
// (M[3:2]) for AArch64 state.
func (s SPSR) ExceptionLevel() int { return int(s >> 2 & 3) }

// UsesSPx reports M[0]: the stack pointer was SP_ELx rather than SP_EL0.
func (s SPSR) UsesSPx() bool { return s&1 == 1 }

// Mode names M[4:0], e.g. "EL2h" or "EL1t"; "AArch32" for M[4] set.
func (s SPSR) Mode() string {
	if s&0x10 != 0 {
		return "AArch32"
	}
	if s&0b10 != 0 { // M[1] is RES0 in AArch64
		return "illegal"
	}
	const names = "EL0tEL0hEL1tEL1hEL2tEL2hEL3tEL3h"
	i := int(s>>2&3)*2 + int(s&1) // M[3:2] is the EL, M[0] selects SP_ELx
	return names[i*4 : i*4+4]
}

// Masked returns which of D, A, I and F (bits 9..6) were masked, as "DAIF"
// with '-' for unmasked bits.
func (s SPSR) Masked() [4]byte {
	out := [4]byte{'D', 'A', 'I', 'F'}
	for i := range out {
		if s>>(9-i)&1 == 0 {
			out[i] = '-'
		}
	}
	return out
}
