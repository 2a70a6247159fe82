package mmu

// HeapMemory is a Memory backed by Go heap pages at made-up physical
// addresses: for host tests and host-side table building (such as computing
// stage-2 tables ahead of time). Pages are handed out from Base upwards.
type HeapMemory struct {
	Base   uint64
	Limit  int // maximum number of tables; 0 means unlimited
	tables map[uint64]*[entriesPerTable]Entry
	next   uint64
}

func (m *HeapMemory) NewTable() (uint64, bool) {
	if m.tables == nil {
		m.tables = map[uint64]*[entriesPerTable]Entry{}
		m.next = m.Base
	}
	if m.Limit > 0 && len(m.tables) >= m.Limit {
		return 0, false
	}
	pa := m.next
	m.next += PageSize
	m.tables[pa] = new([entriesPerTable]Entry)
	return pa, true
}

func (m *HeapMemory) Load(table uint64, index int) Entry {
	return m.page(table)[index]
}

func (m *HeapMemory) Store(table uint64, index int, e Entry) {
	m.page(table)[index] = e
}

// Tables returns how many tables were handed out.
func (m *HeapMemory) Tables() int { return len(m.tables) }

func (m *HeapMemory) page(pa uint64) *[entriesPerTable]Entry {
	p, ok := m.tables[pa]
	if !ok {
		panic("mmu: table access at " + hexRange(pa, PageSize) + " which no NewTable returned")
	}
	return p
}
