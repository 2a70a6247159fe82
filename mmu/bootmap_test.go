package mmu

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBootMapBlocks(t *testing.T) {
	const ramBase, ramEnd = 0x4000_0000, 0xc000_0000 // qemu-virt -m 2G
	m := BootMap(EL2Stage1, ramBase, ramEnd)
	cases := []struct {
		pa   uint64
		want Attributes
	}{
		{0x0900_0000, MMIO}, // the PL011
		{0x3080_0000, MMIO}, // i.MX 8M Plus peripherals
		{0x4021_0000, Attributes{Type: Normal, Perm: Read | Write | Execute}}, // hypervisor text
		{0xbfff_f000, Attributes{Type: Normal, Perm: Read | Write | Execute}}, // last RAM page
		{0xc000_0000, MMIO},
		{0x40_1000_0000, MMIO}, // PCIe ECAM above 4 GiB
	}
	for _, c := range cases {
		e := Entry(m[c.pa>>BootBlockShift])
		require.True(t, e.Valid(), "%#x", c.pa)
		assert.False(t, e.IsTable(1), "%#x: a block, not a table", c.pa)
		assert.Equal(t, c.pa&^(1<<BootBlockShift-1), e.Addr(), "%#x: identity", c.pa)
		assert.Equal(t, c.want, e.Attributes(EL2Stage1), "%#x", c.pa)
	}
}

// The entry code's two block values are the builder's own encodings, so the
// boot map and the real tables agree on every bit but the size and WXN.
func TestBootBlocksAreBuilderEncodings(t *testing.T) {
	assert.Equal(t, Entry(BootBlockDevice), el2Leaf(0, 1, MMIO))
	assert.Equal(t, Entry(BootBlockNormal), el2Leaf(0, 1, RWData)&^xn)
	assert.Zero(t, SCTLREL2Boot&sctlrWXN)
	assert.Equal(t, SCTLREL2, SCTLREL2Boot|sctlrWXN)
}

func TestBootMapRAMNotGiBAligned(t *testing.T) {
	// RAM from 0x4000_0000 to 0x1_4000_0100: the block holding its last
	// bytes is Normal too.
	m := BootMap(EL2Stage1, 0x4000_0000, 0x1_4000_0100)
	for i, want := range map[int]MemoryType{0: DeviceNGnRnE, 1: Normal, 5: Normal, 6: DeviceNGnRnE} {
		assert.Equal(t, want, Entry(m[i]).Attributes(EL2Stage1).Type, "block %d", i)
	}
}

func TestBootTCR(t *testing.T) {
	assert.Equal(t, TCREL2(39, 40), BootTCREL2)
	assert.Equal(t, TCREL1(39, 40), BootTCREL1)
}

// A guest's boot map: RAM read-write-execute at EL1 and nothing at EL0,
// devices never executable.
func TestBootMapEL1(t *testing.T) {
	m := BootMap(EL1Stage1, 0x7000_0000, 0x7400_0000)
	assert.Equal(t, Attributes{Type: Normal, Perm: Read | Write | Execute}, Entry(m[1]).Attributes(EL1Stage1))
	assert.Equal(t, MMIO, Entry(m[0]).Attributes(EL1Stage1))
	assert.Equal(t, Entry(BootBlockDeviceEL1), el1Leaf(0, 1, MMIO))
	assert.Equal(t, Entry(BootBlockNormalEL1), el1Leaf(0, 1, RWData)&^pxn)
	assert.Equal(t, uint64(0x4000_0000), Entry(m[1]).Addr())
}
