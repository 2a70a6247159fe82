package mmu

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStage2Encoding(t *testing.T) {
	for _, tc := range []struct {
		name string
		attr Attributes
		want Entry
	}{
		// valid page | MemAttr 0b1111 | S2AP rw | SH inner | AF; executable.
		{"guest RAM", Attributes{Normal, Read | Write | Execute}, 0x5000_0000 | 0b11 | 0b1111<<2 | 0b11<<6 | 0b11<<8 | 1<<10},
		// MemAttr 0b0001 Device-nGnRE, S2AP rw, SH outer, XN.
		{"passthrough device", Attributes{DeviceNGnRE, Read | Write}, 0x5000_0000 | 0b11 | 0b0001<<2 | 0b11<<6 | 0b10<<8 | 1<<10 | 1<<54},
		// S2AP read-only, XN: a read-only channel.
		{"read-only channel", Attributes{Normal, Read}, 0x5000_0000 | 0b11 | 0b1111<<2 | 0b01<<6 | 0b11<<8 | 1<<10 | 1<<54},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := leafEntry(Stage2, 0x5000_0000, 3, tc.attr)
			assert.Equal(t, tc.want, e, "got %#x want %#x", uint64(e), uint64(tc.want))
			assert.Equal(t, tc.attr, e.Attributes(Stage2))
		})
	}
}

func TestEL1Stage1Encoding(t *testing.T) {
	// Kernel text: AP[1] 0 (no EL0 access), read-only, PXN clear, UXN set.
	e := leafEntry(EL1Stage1, 0x7000_0000, 3, Text)
	assert.Equal(t, Entry(0x7000_0000|0b11|1<<7|0b11<<8|1<<10|1<<54), e)
	assert.Equal(t, Text, e.Attributes(EL1Stage1))
	// Data: writable, PXN and UXN.
	e = leafEntry(EL1Stage1, 0x7000_0000, 2, RWData)
	assert.Equal(t, Entry(0x7000_0000|0b01|0b11<<8|1<<10|1<<53|1<<54), e)
	assert.Equal(t, RWData, e.Attributes(EL1Stage1))
}

// A partition's stage-2 tables with a 40-bit IPA space start at level 0,
// translate exactly its regions and nothing else.
func TestStage2PartitionMap(t *testing.T) {
	var tb Tables
	require.NoError(t, tb.Init(&HeapMemory{}, 40, Stage2))
	assert.Equal(t, 0, tb.StartLevel())
	ram := Attributes{Normal, Read | Write | Execute}
	dev := Attributes{DeviceNGnRE, Read | Write}
	require.NoError(t, tb.MapRegions([]Region{
		{Name: "ram", VA: 0x4000_0000, PA: 0x5000_0000, Size: 512 * MiB, Attr: ram},
		{Name: "virtio", VA: 0x0a00_0000, PA: 0x0a00_0000, Size: 0x4000, Attr: dev},
	}))
	var got []Leaf
	tb.Leaves(func(l Leaf) { got = append(got, l) })
	assert.Equal(t, []Leaf{
		{VA: 0x0a00_0000, PA: 0x0a00_0000, Size: 0x4000, Attr: dev},
		{VA: 0x4000_0000, PA: 0x5000_0000, Size: 512 * MiB, Attr: ram},
	}, got)
	for _, ipa := range []uint64{0, 0x0900_0000, 0x0a00_4000, 0x3fff_f000, 0x6000_0000, 0x5000_0000 + 512*MiB, 1<<40 - 0x1000} {
		_, ok := tb.Walk(ipa)
		assert.False(t, ok, "IPA %#x translates", ipa)
	}
	tr, ok := tb.Walk(0x4000_1234)
	require.True(t, ok)
	assert.Equal(t, uint64(0x5000_1234), tr.PA)
	assert.Equal(t, 2, tr.Level, "512 MiB at 2 MiB-aligned addresses should use 2 MiB blocks")
}

func TestStage2Registers(t *testing.T) {
	var tb Tables
	require.NoError(t, tb.Init(&HeapMemory{Base: 0x4400_0000}, 40, Stage2))
	// RES1 bit 31, T0SZ 24, SL0 0b10 (level 0), IRGN0/ORGN0 WBWA, SH0
	// inner, TG0 4 KiB, PS 40 bits.
	assert.Equal(t, uint64(1<<31|24|0b10<<6|1<<8|1<<10|3<<12|0b010<<16), VTCREL2(&tb, 40))
	assert.Equal(t, uint64(0x4400_0000|7<<48), VTTBREL2(&tb, 7))
	var tb39 Tables
	require.NoError(t, tb39.Init(&HeapMemory{}, 39, Stage2))
	assert.Equal(t, uint64(0b01), VTCREL2(&tb39, 40)>>6&3, "39-bit IPA starts at level 1")
	// TCR_EL1: T0SZ 25, WBWA walks, inner shareable, EPD1, TG1 4 KiB,
	// IPS 40 bits.
	assert.Equal(t, uint64(25|1<<8|1<<10|3<<12|1<<23|0b10<<30|0b010<<32), TCREL1(39, 40))
}
