package hv

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/board/imx8mpevk"
	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/mmu"
	"github.com/tamavisor/tamavisor/partition/table"
)

// An image laid out as the Go linker lays out the real firmware (section
// addresses from readelf of a build): text at the link address, rodata
// after it, writable data from a page boundary.
var testImage = Image{
	TextStart: 0x4021_0000,
	TextEnd:   0x4029_ff94,
	DataStart: 0x4036_b000,
	DataEnd:   0x4037_d308,
	End:       0x4039_8248,
}

func buildCore(t *testing.T, core int) *mmu.Tables {
	t.Helper()
	h := qemuvirt.Board.Hypervisor
	base, end := TablePool(h, core)
	mem := &mmu.HeapMemory{Base: base, Limit: int((end - base) / mmu.PageSize)}
	var tb mmu.Tables
	require.NoError(t, tb.Init(mem, VABits, mmu.EL2Stage1))
	l := CoreLayout(h, testImage, core, Devices{UART: board.Region{Base: qemuvirt.UART0Base, Size: qemuvirt.UART0Size}}, board.Region{}, nil)
	require.NoError(t, tb.MapRegions(l.Regions()), "core %d layout", core)
	return &tb
}

// TestCoreLayoutTranslations states every core's expected map as data: the
// same text and rodata, the same private virtual range backed by the core's
// own slot, the shared region and the UART, and nothing else.
func TestCoreLayoutTranslations(t *testing.T) {
	const slot = 0x1e0_0000
	for core := 0; core < qemuvirt.NumCPUs; core++ {
		slotBase := uint64(0x4020_0000 + core*slot)
		want := []mmu.Leaf{
			{VA: 0x0900_0000, PA: 0x0900_0000, Size: 0x1000, Attr: mmu.MMIO},
			{VA: 0x4000_0000, PA: 0x4000_0000, Size: 0x20_0000, Attr: mmu.RWData},
			{VA: 0x4021_0000, PA: 0x4021_0000, Size: 0x9_0000, Attr: mmu.Text},
			{VA: 0x402a_0000, PA: 0x402a_0000, Size: 0xc_b000, Attr: mmu.ROData},
			{VA: 0x4036_b000, PA: slotBase + 0x16_b000, Size: 0x4020_0000 + slot - 0x4036_b000, Attr: mmu.RWData},
		}
		var got []mmu.Leaf
		buildCore(t, core).Leaves(func(l mmu.Leaf) { got = append(got, l) })
		assert.Equal(t, want, got, "core %d", core)
	}
}

func TestCoreLayoutMapsNoOtherCoresMemory(t *testing.T) {
	h := qemuvirt.Board.Hypervisor
	for core := 0; core < qemuvirt.NumCPUs; core++ {
		tb := buildCore(t, core)
		var leaves []mmu.Leaf
		tb.Leaves(func(l mmu.Leaf) { leaves = append(leaves, l) })
		for other := 0; other < qemuvirt.NumCPUs; other++ {
			if other == core {
				continue
			}
			s := h.Slot(other)
			for _, l := range leaves {
				if l.PA < s.End() && s.Base < l.PA+l.Size {
					if other == 0 && l.Attr.Perm&mmu.Write == 0 {
						continue // slot 0's text and rodata are shared read-only
					}
					t.Errorf("core %d maps %#x+%#x (%v) inside core %d's slot", core, l.PA, l.Size, l.Attr, other)
				}
			}
		}
		// No guest RAM, GIC or SMMU yet.
		for _, pa := range []uint64{0x4800_0000, 0x8000_0000, qemuvirt.GICDBase, qemuvirt.SMMUBase} {
			_, ok := tb.Walk(pa)
			assert.False(t, ok, "core %d maps %#x", core, pa)
		}
	}
}

func TestTablePoolStaysOutOfEveryMapping(t *testing.T) {
	h := qemuvirt.Board.Hypervisor
	for core := 0; core < qemuvirt.NumCPUs; core++ {
		base, end := TablePool(h, core)
		assert.Greater(t, end, base)
		tb := buildCore(t, core)
		tb.Leaves(func(l mmu.Leaf) {
			assert.False(t, l.PA < end && base < l.PA+l.Size, "core %d maps its own tables at %#x", core, l.PA)
		})
		for other := 0; other < qemuvirt.NumCPUs; other++ {
			ob, oe := TablePool(h, other)
			assert.True(t, other == core || oe <= base || end <= ob, "table pools of cores %d and %d overlap", core, other)
		}
	}
}

func TestPrivatePA(t *testing.T) {
	h := qemuvirt.Board.Hypervisor
	assert.Equal(t, uint64(0x4036_b000), PrivatePA(h, 0, 0x4036_b000))
	assert.Equal(t, uint64(0x4216_b000), PrivatePA(h, 1, 0x4036_b000))
	assert.Equal(t, uint64(0x45d6_b000), PrivatePA(h, 3, 0x4036_b000))
}

// A bad board description must be refused with the region named, before
// anything is mapped.
func TestBadBoardLayoutNamesTheRegion(t *testing.T) {
	h := qemuvirt.Board.Hypervisor
	for _, tc := range []struct {
		name string
		h    board.Hypervisor
		uart board.Region
		msg  string
	}{
		{"UART inside the shared region", h, board.Region{Base: 0x4010_0000, Size: 0x1000},
			"region uart 0x40100000+0x1000: overlaps an existing mapping (region shared 0x40000000+0x200000)"},
		{"misaligned UART", h, board.Region{Base: 0x0900_0800, Size: 0x1000},
			"region uart 0x9000800+0x1000: not 4 KiB aligned"},
		{"misaligned shared region", board.Hypervisor{Memory: board.Region{Base: 0x3ff0_0800, Size: 0x800_0000},
			SharedSize: 0x30_0000, SlotSize: 0x1e0_0000, TextOffset: 0x1_0000},
			board.Region{Base: 0x0900_0000, Size: 0x1000},
			"region private 0x4036b000+0x1c95800: not 4 KiB aligned"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := &mmu.HeapMemory{}
			var tb mmu.Tables
			require.NoError(t, tb.Init(mem, VABits, mmu.EL2Stage1))
			l := CoreLayout(tc.h, testImage, 1, Devices{UART: tc.uart}, board.Region{}, nil)
			err := tb.MapRegions(l.Regions())
			require.Error(t, err)
			assert.Equal(t, tc.msg, err.Error())
		})
	}
}

// The Makefile's link address and the board's must agree, or the firmware
// refuses to boot.
func TestMakefileLinkAddressMatchesBoard(t *testing.T) {
	mk, err := os.ReadFile("../../Makefile")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^TEXT_START := (0x[0-9a-f]+)$`).FindSubmatch(mk)
	require.NotNil(t, m, "TEXT_START not found in the Makefile")
	linkAddress, err := strconv.ParseUint(string(m[1]), 0, 64)
	require.NoError(t, err)
	assert.Equal(t, uint64(qemuvirt.TextStart), linkAddress)
	assert.Equal(t, uint64(qemuvirt.TextStart), qemuvirt.Board.Hypervisor.TextStart())
	// One link address for both boards' firmware.
	assert.Equal(t, uint64(imx8mpevk.TextStart), linkAddress)
	assert.Equal(t, uint64(imx8mpevk.TextStart), imx8mpevk.Board.Hypervisor.TextStart())
}

func TestLayoutAllocatesNothing(t *testing.T) {
	h := qemuvirt.Board.Hypervisor
	uart := board.Region{Base: qemuvirt.UART0Base, Size: qemuvirt.UART0Size}
	var l Layout
	ram := [2]table.RAMRegion{{CPUMask: 0b11, PhysBase: 0x5000_0000, Size: 512 << 20}, {CPUMask: 0b100, PhysBase: 0x7000_0000, Size: 64 << 20}}
	allocs := testing.AllocsPerRun(100, func() {
		l = CoreLayout(h, testImage, 2, Devices{UART: uart}, board.Region{Base: 0x4800_0000, Size: 0x10_0000}, ram[:])
		_ = l.Regions()
	})
	assert.Zero(t, allocs)
}

func TestPayloadIsMappedReadOnly(t *testing.T) {
	h := qemuvirt.Board.Hypervisor
	mem := &mmu.HeapMemory{}
	var tb mmu.Tables
	require.NoError(t, tb.Init(mem, VABits, mmu.EL2Stage1))
	payload := board.Region{Base: h.Memory.End(), Size: 0x123_4567}
	l := CoreLayout(h, testImage, 0, Devices{UART: board.Region{Base: qemuvirt.UART0Base, Size: 0x1000}}, payload, nil)
	require.NoError(t, tb.MapRegions(l.Regions()))
	for _, va := range []uint64{0x4800_0000, 0x4920_0000, 0x4923_4fff} {
		tr, ok := tb.Walk(va)
		require.True(t, ok, "%#x", va)
		assert.Equal(t, mmu.ROData, tr.Attr)
		assert.Equal(t, va, tr.PA)
	}
	_, ok := tb.Walk(0x4923_5000)
	assert.False(t, ok, "mapped beyond the payload")
}

func TestPayloadSpan(t *testing.T) {
	const ramEnd = 0xc000_0000 - 0x4800_0000
	for _, tc := range []struct {
		table, payload, limit, want uint64
	}{
		{0x2a8, 0x40_0000, ramEnd, 0x40_1000},      // a table and a 4 MiB payload
		{0xc00, 0x1001, ramEnd, 0x3000},            // each rounds up to pages
		{0x1000, 0x1001, ramEnd, 0x4000},           // the signature's room takes a page
		{0, 0, ramEnd, 0x1000},                     // never empty: the header page
		{0x1000, 0xffff_ffff_0000, ramEnd, 0x1000}, // absurd payload: the header page only
		{0x1000, 0x1_0000_0000, ramEnd, ramEnd},    // bounded by the end of RAM
	} {
		assert.Equal(t, tc.want, PayloadSpan(tc.table, tc.payload, tc.limit), "%#v", tc)
	}
}

// Each core maps the RAM of the partition running on it, and no other
// partition's.
func TestCoreMapsOnlyItsPartitionsRAM(t *testing.T) {
	h := qemuvirt.Board.Hypervisor
	ram := []table.RAMRegion{
		{CPUMask: 0b0011, PhysBase: 0x5000_0000, Size: 512 << 20}, // infotainment, cores 0-1
		{CPUMask: 0b0100, PhysBase: 0x7000_0000, Size: 64 << 20},  // ecu, core 2
		{CPUMask: 0b0100, PhysBase: 0x7800_0000, Size: 16 << 20},  // ecu's second region
	}
	want := map[int][]uint64{0: {0x5000_0000}, 1: {0x5000_0000}, 2: {0x7000_0000, 0x7800_0000}, 3: nil}
	for core, bases := range want {
		mem := &mmu.HeapMemory{}
		var tb mmu.Tables
		require.NoError(t, tb.Init(mem, VABits, mmu.EL2Stage1))
		l := CoreLayout(h, testImage, core, Devices{UART: board.Region{Base: qemuvirt.UART0Base, Size: 0x1000}}, board.Region{}, ram)
		require.NoError(t, tb.MapRegions(l.Regions()))
		for _, r := range ram {
			tr, ok := tb.Walk(r.PhysBase)
			mapped := false
			for _, b := range bases {
				mapped = mapped || b == r.PhysBase
			}
			assert.Equal(t, mapped, ok, "core %d, partition RAM at %#x", core, r.PhysBase)
			if ok {
				assert.Equal(t, mmu.RWData, tr.Attr)
			}
		}
	}
}

func TestLayoutOverflowIsReported(t *testing.T) {
	h := qemuvirt.Board.Hypervisor
	var ram []table.RAMRegion
	for i := 0; i < MaxLayoutRegions; i++ {
		ram = append(ram, table.RAMRegion{CPUMask: 1, PhysBase: 0x5000_0000 + uint64(i)<<21, Size: 1 << 21})
	}
	l := CoreLayout(h, testImage, 0, Devices{UART: board.Region{Base: qemuvirt.UART0Base, Size: 0x1000}}, board.Region{}, ram)
	assert.True(t, l.Overflowed())
	assert.Len(t, l.Regions(), MaxLayoutRegions)
	l = CoreLayout(h, testImage, 1, Devices{UART: board.Region{Base: qemuvirt.UART0Base, Size: 0x1000}}, board.Region{}, ram)
	assert.False(t, l.Overflowed(), "core 1 runs none of these regions")
}

// The boot map's page is hypervisor memory that no core's tables map, so
// nothing can write it once the cores run on their own tables, and the boot
// map makes every page the boot core touches while preparing (its stack and
// globals, every slot and table pool, the shared region, the payload,
// partition RAM) Normal memory at its own address.
func TestBootTable(t *testing.T) {
	h := qemuvirt.Board.Hypervisor
	page := BootTable(h, qemuvirt.NumCPUs)
	assert.Equal(t, uint64(0x47a0_0000), page)
	assert.Zero(t, page%mmu.PageSize)
	assert.True(t, h.Memory.Contains(board.Region{Base: page, Size: mmu.PageSize}))
	for core := 0; core < qemuvirt.NumCPUs; core++ {
		var tb mmu.Tables
		require.NoError(t, tb.Init(&mmu.HeapMemory{}, VABits, mmu.EL2Stage1))
		payload := board.Region{Base: 0x4800_0000, Size: 0x40_1000}
		ram := []table.RAMRegion{{CPUMask: 0xf, PhysBase: 0x5000_0000, Size: 0x2000_0000}}
		l := CoreLayout(h, testImage, core, Devices{UART: board.Region{Base: qemuvirt.UART0Base, Size: 0x1000}}, payload, ram)
		require.NoError(t, tb.MapRegions(l.Regions()))
		for va := page; va < page+mmu.PageSize; va += 8 {
			tr, ok := tb.Walk(va)
			require.False(t, ok && tr.PA == page, "core %d maps the boot map at %#x", core, va)
		}
	}
	boot := mmu.BootMap(mmu.EL2Stage1, qemuvirt.RAMBase, qemuvirt.RAMBase+qemuvirt.RAMSize)
	for _, pa := range []uint64{0x4000_0000, 0x4020_1000, 0x4021_0000, 0x41ff_fff0, 0x4200_0000, 0x45c0_1000, page, 0x4800_0000, 0x5000_0000, 0xbfff_fff8} {
		e := mmu.Entry(boot[pa>>mmu.BootBlockShift])
		assert.Equal(t, pa&^(1<<mmu.BootBlockShift-1), e.Addr(), "%#x", pa)
		assert.Equal(t, mmu.Normal, e.Attributes(mmu.EL2Stage1).Type, "%#x", pa)
	}
	uart := mmu.Entry(boot[qemuvirt.UART0Base>>mmu.BootBlockShift])
	assert.Equal(t, mmu.MMIO, uart.Attributes(mmu.EL2Stage1))
}

// Each core maps the distributor and its own redistributor frames, not
// another core's.
func TestCoreMapsItsOwnRedistributor(t *testing.T) {
	h := qemuvirt.Board.Hypervisor
	g := qemuvirt.Board.GIC
	dev := Devices{UART: board.Region{Base: qemuvirt.UART0Base, Size: 0x1000}, GICD: g.Dist, GICR: g.Redist, RedistStride: g.RedistStride}
	for core := 0; core < qemuvirt.NumCPUs; core++ {
		var tb mmu.Tables
		require.NoError(t, tb.Init(&mmu.HeapMemory{}, VABits, mmu.EL2Stage1))
		l := CoreLayout(h, testImage, core, dev, board.Region{}, nil)
		require.NoError(t, tb.MapRegions(l.Regions()))
		tr, ok := tb.Walk(qemuvirt.GICDBase)
		require.True(t, ok)
		assert.Equal(t, mmu.MMIO, tr.Attr)
		for other := 0; other < qemuvirt.NumCPUs; other++ {
			frame := g.RedistFrame(other)
			_, ok := tb.Walk(frame.Base + 0x1_0000) // SGI_base
			assert.Equal(t, other == core, ok, "core %d maps core %d's redistributor", core, other)
		}
	}
}
