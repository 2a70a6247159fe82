package mmu

import "github.com/tamavisor/tamavisor/driver/mmio"

// PhysicalMemory hands out translation-table pages from [Next, End) and
// reaches them by their physical address, through single loads and
// stores: valid while those addresses are identity-mapped or the MMU is
// off, which is when the hypervisor and the guests build their own
// tables, before the Go heap exists. Zeroing with plain 8-byte stores
// avoids the runtime's memclr, whose DC ZVA faults on device memory.
type PhysicalMemory struct {
	Next, End uint64
}

func (p *PhysicalMemory) NewTable() (uint64, bool) {
	if p.Next+PageSize > p.End || p.Next+PageSize < p.Next {
		return 0, false
	}
	pa := p.Next
	p.Next += PageSize
	for off := uint64(0); off < PageSize; off += 8 {
		mmio.Write64(pa+off, 0)
	}
	return pa, true
}

func (p *PhysicalMemory) Load(table uint64, index int) Entry {
	return Entry(mmio.Read64(table + 8*uint64(index)))
}

func (p *PhysicalMemory) Store(table uint64, index int, e Entry) {
	mmio.Write64(table+8*uint64(index), uint64(e))
}
