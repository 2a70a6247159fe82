package el1

import (
	"github.com/tamavisor/tamavisor/mmu"
)

// CPACR_EL1 (DDI 0487 D19.2 CPACR_EL1): FPEN, bits [21:20], 0b11 lets EL1 and EL0
// use FP/SIMD without a trap. The Go compiler uses SIMD registers for
// ordinary copies, so this is on before any Go code runs.
const cpacrEL1FPEN = 0b11 << 20

// SCTLR_EL1 (DDI 0487 D19.2 SCTLR_EL1) bits.
const (
	sctlrEL1M    = 1 << 0  // stage-1 MMU enable
	sctlrEL1C    = 1 << 2  // data caches enable
	sctlrEL1SA   = 1 << 3  // SP alignment check at EL1
	sctlrEL1SA0  = 1 << 4  // SP alignment check at EL0
	sctlrEL1I    = 1 << 12 // instruction caches enable
	sctlrEL1nTWI = 1 << 16 // EL0 WFI not trapped to EL1
	sctlrEL1nTWE = 1 << 18 // EL0 WFE not trapped to EL1
	sctlrEL1WXN  = 1 << 19 // writable implies execute-never
	// Bits RES1 in ARMv8.0 (EOS, TSCXT, EIS, SPAN, nTLSMD, LSMAOE): the
	// features that give them meaning are absent on Cortex-A53, and
	// where present 1 is their backward-compatible setting.
	sctlrEL1RES1 = 1<<11 | 1<<20 | 1<<22 | 1<<23 | 1<<28 | 1<<29

	// sctlrEL1Off is the state cpuinit sets: MMU and caches off, no
	// alignment checks, little-endian.
	sctlrEL1Off = sctlrEL1RES1
	// sctlrEL1On is the state Hwinit0 turns the MMU on with: MMU, caches,
	// stack alignment checks and WXN on; no alignment checks (Go code may
	// make unaligned accesses to normal memory); EL0 gets nothing extra.
	sctlrEL1On = sctlrEL1RES1 | sctlrEL1M | sctlrEL1C | sctlrEL1SA | sctlrEL1SA0 |
		sctlrEL1I | sctlrEL1nTWI | sctlrEL1nTWE | sctlrEL1WXN
)

// The boot identity map cpuinit writes and turns on (mmu.BootMap in the
// EL1&0 format), as constants for boot_el1.s; its RAM blocks are those
// overlapping the runtime's RAM, and it sits at BootMapPage.
const (
	bootTableEntries = mmu.BootTableEntries
	bootBlockShift   = mmu.BootBlockShift
	bootBlockSize    = 1 << mmu.BootBlockShift
	bootBlockNormal  = mmu.BootBlockNormalEL1
	bootBlockDevice  = mmu.BootBlockDeviceEL1
	bootMAIR         = mmu.MAIR
	bootTCR          = mmu.BootTCREL1
	// bootSCTLR is sctlrEL1On without WXN: the RAM blocks are writable
	// and hold the text.
	bootSCTLR = sctlrEL1On &^ sctlrEL1WXN
)
