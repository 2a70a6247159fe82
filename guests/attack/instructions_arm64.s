//go:build tamago && arm64

#include "textflag.h"

// func breakpoint()
// BRK raises a Breakpoint Instruction exception, EC 0x3c, with ELR at the
// BRK itself (DDI 0487 C6.2 BRK).
TEXT ·breakpoint(SB),NOSPLIT,$0
	BRK	$0x4154
	RET

// parked is where the attacker asks PSCI CPU_ON to start another
// partition's core: should a hypervisor grant that, the core stops here,
// interrupts masked, instead of running anything of its own.
TEXT ·parked(SB),NOSPLIT|NOFRAME,$0
	MSR	$15, DAIFSet
park:
	WFI
	B	park

// func parkedAddress() uint64
TEXT ·parkedAddress(SB),NOSPLIT,$0-8
	MOVD	$·parked(SB), R0
	MOVD	R0, ret+0(FP)
	RET
