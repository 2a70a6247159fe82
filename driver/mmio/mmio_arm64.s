//go:build tamago && arm64

#include "textflag.h"

// func Read32(addr uint64) uint32
TEXT ·Read32(SB),NOSPLIT,$0-12
	MOVD	addr+0(FP), R0
	MOVWU	(R0), R1
	MOVW	R1, ret+8(FP)
	RET

// func Write32(addr uint64, v uint32)
TEXT ·Write32(SB),NOSPLIT,$0-12
	MOVD	addr+0(FP), R0
	MOVWU	v+8(FP), R1
	MOVW	R1, (R0)
	RET

// func Read64(addr uint64) uint64
TEXT ·Read64(SB),NOSPLIT,$0-16
	MOVD	addr+0(FP), R0
	MOVD	(R0), R1
	MOVD	R1, ret+8(FP)
	RET

// func Write64(addr uint64, v uint64)
TEXT ·Write64(SB),NOSPLIT,$0-16
	MOVD	addr+0(FP), R0
	MOVD	v+8(FP), R1
	MOVD	R1, (R0)
	RET
