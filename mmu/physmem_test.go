//go:build !tamago

package mmu

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/driver/mmio"
)

// memoryBus is RAM as the simulated register bus sees it.
type memoryBus map[uint64]uint32

func (m memoryBus) Read32(addr uint64) uint32     { return m[addr] }
func (m memoryBus) Write32(addr uint64, v uint32) { m[addr] = v }

// The builder works the same on physical pages as on heap pages: the
// layout test's translations, through PhysicalMemory on a simulated bus.
func TestPhysicalMemory(t *testing.T) {
	bus := memoryBus{}
	defer mmio.SetBus(bus)()
	// Garbage where the tables go: NewTable must clear it.
	for a := uint64(0x7000_0000); a < 0x7000_5000; a += 4 {
		bus[a] = 0xdead_beef
	}
	mem := &PhysicalMemory{Next: 0x7000_0000, End: 0x7000_5000}
	var tb Tables
	require.NoError(t, tb.Init(mem, 39, EL2Stage1))
	require.NoError(t, tb.Map(0x4021_0000, 0x4021_0000, 0x1000, Text))
	require.NoError(t, tb.Map(0x0900_0000, 0x0900_0000, 0x1000, MMIO))
	tr, ok := tb.Walk(0x4021_0123)
	require.True(t, ok)
	assert.Equal(t, Translation{PA: 0x4021_0123, Attr: Text, Level: 3}, tr)
	_, ok = tb.Walk(0x4022_0000)
	assert.False(t, ok, "a cleared table translates garbage")
	// Five pages: the root, and an L2 and an L3 table for each mapping's
	// gigabyte; not one more.
	_, ok = mem.NewTable()
	assert.False(t, ok || mem.Next != mem.End, "pages left or handed out past End")
}
