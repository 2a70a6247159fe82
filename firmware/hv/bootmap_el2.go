//go:build tamago && arm64

package hv

import "github.com/tamavisor/tamavisor/mmu"

// The boot identity map cpuinit writes and turns on (see mmu.BootMap), as
// constants for boot_el2.s. It lives in the hypervisor's memory after the
// last core slot (BootTable), which no core's own tables map; the RAM
// blocks are the board's RAM.
const (
	bootTableBase    = sharedBase + hypervisorSharedSize + numCPUs*slotSize
	bootTableEntries = mmu.BootTableEntries
	bootTableSize    = mmu.BootTableEntries * 8
	bootBlockShift   = mmu.BootBlockShift
	bootBlockSize    = 1 << mmu.BootBlockShift
	bootBlockNormal  = mmu.BootBlockNormal
	bootBlockDevice  = mmu.BootBlockDevice
	bootRAMStart     = ramBase
	bootRAMEnd       = ramEnd
	bootMAIR         = mmu.MAIR
	bootTCR          = mmu.BootTCREL2
	bootSCTLR        = mmu.SCTLREL2Boot

	sctlrM = mmu.SCTLRM
	sctlrC = mmu.SCTLRC
	sctlrI = mmu.SCTLRI
)

// entrySCTLR is SCTLR_EL2 as the loader left it on the boot core, for the
// boot report.
var entrySCTLR uint64
