//go:build tamago && arm64

#include "textflag.h"

// DSB option SY (DDI 0487 C6.2 DSB): all accesses, full system, so the
// ordering holds for an observer outside the cores' shareability
// domains and for Device memory as well as Normal memory.
#define SY	$0b1111

// func dataSync()
TEXT ·dataSync(SB),NOSPLIT,$0-0
	DSB	SY
	RET
