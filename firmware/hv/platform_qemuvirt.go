//go:build tamago && arm64

package hv

import (
	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/driver/pl011"
	"github.com/tamavisor/tamavisor/partition/table"
)

// The firmware is built for one board; these are its facts as constants, so
// that code running before the Go runtime is up needs no initialized data.
const (
	numCPUs      = qemuvirt.NumCPUs
	physAddrBits = qemuvirt.PhysAddrBits
	sharedBase   = qemuvirt.HypervisorBase
	ramStart     = qemuvirt.RAMStart
	slotSize     = qemuvirt.HypervisorSlotSize
	textStart    = qemuvirt.TextStart
	// The image's payload segment (partition table, guest images) starts
	// where the hypervisor's fixed memory ends.
	payloadBase = qemuvirt.HypervisorBase + qemuvirt.HypervisorSize
	ramBase     = qemuvirt.RAMBase
	ramEnd      = qemuvirt.RAMBase + qemuvirt.RAMSize

	hypervisorSharedSize = qemuvirt.HypervisorSharedSize

	// The top 64 KiB of every core's window is its exception stack; the
	// Go runtime's g0 stack starts below it.
	exceptionStackSize = 0x1_0000
	exceptionStackTop  = ramStart + slotSize - 16
	stackTop           = ramStart + slotSize - exceptionStackSize

	// maxPartitionRAMRegions bounds the partition RAM regions the boot
	// core can map for all cores together.
	maxPartitionRAMRegions = 32

	// minimumHeap is the least heap a core instance must have between
	// the end of its bss and its stacks.
	minimumHeap = 16 << 20
)

var (
	hypervisor = board.Hypervisor{
		Memory:     board.Region{Base: qemuvirt.HypervisorBase, Size: qemuvirt.HypervisorSize},
		SharedSize: qemuvirt.HypervisorSharedSize,
		SlotSize:   qemuvirt.HypervisorSlotSize,
		TextOffset: qemuvirt.HypervisorTextOffset,
	}
	uartRegion        = board.Region{Base: uartMapBase, Size: qemuvirt.UART0Size}
	hypervisorDevices = Devices{
		UART:         uartRegion,
		SMMU:         board.Region{Base: qemuvirt.SMMUBase, Size: qemuvirt.SMMUSize},
		GICD:         board.Region{Base: qemuvirt.GICDBase, Size: qemuvirt.GICDSize},
		GICR:         board.Region{Base: qemuvirt.GICRBase, Size: qemuvirt.GICRSize},
		RedistStride: qemuvirt.GICRStride,
	}
	uart = pl011.UART{Base: qemuvirt.UART0Base}
)

func mpidrOf(core int) uint64 { return qemuvirt.MPIDR(core) }

func boardLimits() table.Limits { return table.LimitsFor(qemuvirt.Board) }
