//go:build tamago && arm64

package hv

import (
	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/partition/table"
)

// What follows from the board's constants (platform_*.go), the same for
// every board.
const (
	ramStart  = sharedBase + hypervisorSharedSize
	textStart = ramStart + textOffset
	// The image's payload segment (partition table, guest images) starts
	// where the hypervisor's fixed memory ends.
	payloadBase = sharedBase + hypervisorSize

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

// Initialized statically, from constants only: hwinit0 uses them before
// the Go runtime has run any package's initialization.
var (
	hypervisor = board.Hypervisor{
		Memory:     board.Region{Base: sharedBase, Size: hypervisorSize},
		SharedSize: hypervisorSharedSize,
		SlotSize:   slotSize,
		TextOffset: textOffset,
	}
	uartRegion        = board.Region{Base: uartMapBase, Size: uartSize}
	hypervisorDevices = Devices{
		UART:         uartRegion,
		SMMU:         board.Region{Base: smmuBase, Size: smmuSize},
		GICD:         board.Region{Base: gicdBase, Size: gicdSize},
		GICR:         board.Region{Base: gicrBase, Size: gicrSize},
		RedistStride: gicrStride,
	}
)

func boardLimits() table.Limits { return table.LimitsFor(thisBoard) }
