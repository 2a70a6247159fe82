package tests

import (
	"debug/elf"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board/qemuvirt"
)

// TestFirmwareFitsItsSlot guards each core's heap: the image's writable
// data must end well below the per-core slot's stacks. (A dependency once
// brought a 32 MiB zeroed buffer into every core's memory.)
func TestFirmwareFitsItsSlot(t *testing.T) {
	requireQEMUTools(t)
	f, err := elf.Open(firmware(t, ""))
	require.NoError(t, err)
	defer f.Close()
	var end uint64
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Vaddr+p.Memsz > end {
			end = p.Vaddr + p.Memsz
		}
	}
	const heapAtLeast = 16 << 20 // firmware/hv minimumHeap
	slotEnd := uint64(qemuvirt.RAMStart + qemuvirt.HypervisorSlotSize)
	assert.Less(t, end+heapAtLeast, slotEnd, "image ends at %#x: less than 16 MiB of heap left in a %d MiB slot",
		end, qemuvirt.HypervisorSlotSize>>20)
	assert.Equal(t, elf.EM_AARCH64, f.Machine)
	assert.Equal(t, uint64(qemuvirt.TextStart), f.Section(".text").Addr)
}
