package mmu

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	KiB = 1 << 10
	MiB = 1 << 20
	GiB = 1 << 30
)

func newTables(t *testing.T) (*Tables, *HeapMemory) {
	t.Helper()
	mem := &HeapMemory{Base: 0x7000_0000}
	var tb Tables
	require.NoError(t, tb.Init(mem, 39, EL2Stage1))
	return &tb, mem
}

func TestStartLevelFollowsVABits(t *testing.T) {
	for _, tc := range []struct {
		vaBits uint
		level  int
	}{{25, 2}, {30, 2}, {31, 1}, {39, 1}, {40, 0}, {48, 0}} {
		var tb Tables
		require.NoError(t, tb.Init(&HeapMemory{}, tc.vaBits, EL2Stage1))
		assert.Equal(t, tc.level, tb.StartLevel(), "vaBits %d", tc.vaBits)
	}
	var tb Tables
	assert.ErrorIs(t, tb.Init(&HeapMemory{}, 24, EL2Stage1), ErrOutOfRange)
	assert.ErrorIs(t, tb.Init(&HeapMemory{}, 49, EL2Stage1), ErrOutOfRange)
}

// TestMapChoosesLargestBlocks states, for each mapping, which leaves the
// builder must produce: the largest block alignment allows.
func TestMapChoosesLargestBlocks(t *testing.T) {
	type leaf struct {
		va, pa, size uint64
		level        int
	}
	for _, tc := range []struct {
		name        string
		va, pa, sz  uint64
		leaves      []leaf
		tablesTotal int
	}{
		{"one 1GiB block", 1 * GiB, 1 * GiB, 1 * GiB,
			[]leaf{{1 * GiB, 1 * GiB, 1 * GiB, 1}}, 1},
		{"2MiB blocks inside a GiB", 1*GiB + 2*MiB, 3*GiB + 2*MiB, 4 * MiB,
			[]leaf{{1*GiB + 2*MiB, 3*GiB + 2*MiB, 2 * MiB, 2}, {1*GiB + 4*MiB, 3*GiB + 4*MiB, 2 * MiB, 2}}, 2},
		{"pages around a 2MiB block", 2*MiB - 4*KiB, 2*MiB - 4*KiB, 2*MiB + 8*KiB,
			[]leaf{{2*MiB - 4*KiB, 2*MiB - 4*KiB, 4 * KiB, 3}, {2 * MiB, 2 * MiB, 2 * MiB, 2}, {4 * MiB, 4 * MiB, 4 * KiB, 3}}, 4},
		{"VA and PA misaligned to each other use pages", 2 * MiB, 2*MiB + 4*KiB, 8 * KiB,
			[]leaf{{2 * MiB, 2*MiB + 4*KiB, 4 * KiB, 3}, {2*MiB + 4*KiB, 2*MiB + 8*KiB, 4 * KiB, 3}}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, mem := newTables(t)
			require.NoError(t, tb.Map(tc.va, tc.pa, tc.sz, RWData))
			for _, l := range tc.leaves {
				for _, off := range []uint64{0, l.size / 2, l.size - 8} {
					tr, ok := tb.Walk(l.va + off)
					require.True(t, ok, "va %#x", l.va+off)
					assert.Equal(t, l.pa+off, tr.PA, "va %#x", l.va+off)
					assert.Equal(t, l.level, tr.Level, "va %#x", l.va+off)
				}
			}
			_, ok := tb.Walk(tc.va - 8)
			assert.False(t, ok, "byte below the mapping translates")
			_, ok = tb.Walk(tc.va + tc.sz)
			assert.False(t, ok, "byte above the mapping translates")
			assert.Equal(t, tc.tablesTotal, mem.Tables(), "translation tables used")
		})
	}
}

// TestLayoutTranslations checks a layout shaped like the hypervisor's own
// against a table of expected translations, and that nothing else
// translates.
func TestLayoutTranslations(t *testing.T) {
	tb, _ := newTables(t)
	layout := []Region{
		{Name: "text", VA: 0x4021_0000, PA: 0x4021_0000, Size: 0x1f_0000, Attr: Text},
		{Name: "rodata", VA: 0x4040_0000, PA: 0x4040_0000, Size: 0x12_3000, Attr: ROData},
		{Name: "private", VA: 0x4052_3000, PA: 0x4432_3000, Size: 0x1ad_d000, Attr: RWData},
		{Name: "shared", VA: 0x4000_0000, PA: 0x4000_0000, Size: 0x20_0000, Attr: RWData},
		{Name: "uart", VA: 0x0900_0000, PA: 0x0900_0000, Size: 0x1000, Attr: MMIO},
	}
	require.NoError(t, tb.MapRegions(layout))

	var got []Leaf
	tb.Leaves(func(l Leaf) { got = append(got, l) })
	want := []Leaf{
		{VA: 0x0900_0000, PA: 0x0900_0000, Size: 0x1000, Attr: MMIO},
		{VA: 0x4000_0000, PA: 0x4000_0000, Size: 0x20_0000, Attr: RWData},
		{VA: 0x4021_0000, PA: 0x4021_0000, Size: 0x1f_0000, Attr: Text},
		{VA: 0x4040_0000, PA: 0x4040_0000, Size: 0x12_3000, Attr: ROData},
		{VA: 0x4052_3000, PA: 0x4432_3000, Size: 0x1ad_d000, Attr: RWData},
	}
	assert.Equal(t, want, got)

	for _, va := range []uint64{0, 0x0900_1000, 0x08ff_f000, 0x4020_0000, 0x4020_f000, 0x4200_0000, 0x8000_0000} {
		_, ok := tb.Walk(va)
		assert.False(t, ok, "unmapped va %#x translates", va)
	}
}

func TestDescriptorEncoding(t *testing.T) {
	for _, tc := range []struct {
		name  string
		attr  Attributes
		level int
		want  Entry
	}{
		// valid | AttrIndx 0 | AP[1] | SH inner | AF; AP[2] read-only; XN.
		{"text page", Text, 3, 0x4000_0000 | 0b11 | 1<<6 | 1<<7 | 0b11<<8 | 1<<10},
		{"rodata page", ROData, 3, 0x4000_0000 | 0b11 | 1<<6 | 1<<7 | 0b11<<8 | 1<<10 | 1<<54},
		{"data block", RWData, 2, 0x4000_0000 | 0b01 | 1<<6 | 0b11<<8 | 1<<10 | 1<<54},
		{"device page", MMIO, 3, 0x4000_0000 | 0b11 | 1<<2 | 1<<6 | 0b10<<8 | 1<<10 | 1<<54},
		{"guest device block", Attributes{DeviceNGnRE, Read | Write}, 1, 0x4000_0000 | 0b01 | 2<<2 | 1<<6 | 0b10<<8 | 1<<10 | 1<<54},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := leafEntry(EL2Stage1, 0x4000_0000, tc.level, tc.attr)
			assert.Equal(t, tc.want, e, "got %#x want %#x", uint64(e), uint64(tc.want))
			assert.Equal(t, tc.attr, e.Attributes(EL2Stage1))
		})
	}
	// Device memory is never executable, whatever the caller asked.
	assert.Equal(t, Read|Write, leafEntry(EL2Stage1, 0, 3, Attributes{DeviceNGnRnE, Read | Write | Execute}).Attributes(EL2Stage1).Perm)
}

func TestSystemRegisterValues(t *testing.T) {
	// MAIR_EL2: Attr0 normal WB RWA, Attr1 Device-nGnRnE, Attr2 Device-nGnRE.
	assert.Equal(t, uint64(0x04_00_ff), MAIR)
	// TCR_EL2: RES1 bits 31 and 23, T0SZ 25, IRGN0/ORGN0 WBWA, SH0 inner,
	// TG0 4 KiB, PS 40 bits (0b010).
	assert.Equal(t, uint64(1<<31|1<<23|25|1<<8|1<<10|3<<12|0b010<<16), TCREL2(39, 40))
	assert.Equal(t, uint64(0b101), (TCREL2(48, 48)>>16)&7)
	// SCTLR_EL2: RES1 bits plus M, C, SA, I, WXN; EE and A clear.
	assert.Equal(t, uint64(0x30cd183d), SCTLREL2)
}

func TestMapRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		name         string
		va, pa, size uint64
		attr         Attributes
		err          error
	}{
		{"zero size", 0x1000, 0x1000, 0, RWData, ErrEmpty},
		{"misaligned va", 0x1001, 0x1000, 0x1000, RWData, ErrMisaligned},
		{"misaligned pa", 0x1000, 0x1800, 0x1000, RWData, ErrMisaligned},
		{"misaligned size", 0x1000, 0x1000, 0x1800, RWData, ErrMisaligned},
		{"beyond the VA space", 1<<39 - 0x1000, 0, 0x2000, RWData, ErrOutOfRange},
		{"wrapping", ^uint64(0) &^ 0xfff, 0, 0x2000, RWData, ErrOutOfRange},
		{"writable and executable", 0x1000, 0x1000, 0x1000, Attributes{Normal, Read | Write | Execute}, ErrWritableExe},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, _ := newTables(t)
			assert.ErrorIs(t, tb.Map(tc.va, tc.pa, tc.size, tc.attr), tc.err)
		})
	}
}

func TestMapRefusesOverlapWithoutPartialWrites(t *testing.T) {
	tb, _ := newTables(t)
	require.NoError(t, tb.Map(0x4020_0000, 0x4020_0000, 0x1000, RWData))
	// The new range starts in free space and runs into the existing
	// page: nothing of it may be mapped.
	err := tb.Map(0x4000_0000, 0x5000_0000, 0x20_1000, RWData)
	assert.ErrorIs(t, err, ErrOverlap)
	_, ok := tb.Walk(0x4000_0000)
	assert.False(t, ok, "a refused mapping left translations behind")
	// A block over an existing table is an overlap too.
	assert.ErrorIs(t, tb.Map(0x4000_0000, 0x4000_0000, 1*GiB, RWData), ErrOverlap)
}

func TestOutOfTablePages(t *testing.T) {
	mem := &HeapMemory{Limit: 2}
	var tb Tables
	require.NoError(t, tb.Init(mem, 39, EL2Stage1))
	require.NoError(t, tb.Map(0x4000_0000, 0x4000_0000, 2*MiB, RWData)) // root + one L2
	assert.ErrorIs(t, tb.Map(0x4020_0000, 0x4020_0000, 4*KiB, RWData), ErrNoMemory)
}

func TestMapRegionsNamesTheBadRegion(t *testing.T) {
	uart := Region{Name: "uart", VA: 0x0900_0000, PA: 0x0900_0000, Size: 0x1000, Attr: MMIO}
	for _, tc := range []struct {
		name    string
		regions []Region
		msg     string
	}{
		{"overlap in VA", []Region{
			uart,
			{Name: "gicd", VA: 0x0900_0000, PA: 0x0800_0000, Size: 0x1_0000, Attr: MMIO},
		}, "region gicd 0x9000000+0x10000: overlaps an existing mapping (region uart 0x9000000+0x1000)"},
		{"overlap in PA", []Region{
			uart,
			{Name: "alias", VA: 0x1000_0000, PA: 0x0900_0000, Size: 0x1000, Attr: MMIO},
		}, "region alias 0x10000000+0x1000: overlaps an existing mapping (region uart 0x9000000+0x1000)"},
		{"misaligned", []Region{
			uart,
			{Name: "rtc", VA: 0x0901_0800, PA: 0x0901_0800, Size: 0x1000, Attr: MMIO},
		}, "region rtc 0x9010800+0x1000: not 4 KiB aligned"},
		{"empty", []Region{{Name: "nothing", VA: 0x1000, PA: 0x1000, Attr: RWData}},
			"region nothing 0x1000+0x0: size is zero"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, mem := newTables(t)
			err := tb.MapRegions(tc.regions)
			require.Error(t, err)
			assert.Equal(t, tc.msg, err.Error())
			var le *LayoutError
			require.True(t, errors.As(err, &le))
			assert.Equal(t, 1, mem.Tables(), "tables were written before the layout was checked")
		})
	}
}

// The builder runs before the Go runtime is up in the firmware: mapping,
// walking and failing must not allocate.
func TestBuilderDoesNotAllocate(t *testing.T) {
	mem := &HeapMemory{}
	var tb Tables
	require.NoError(t, tb.Init(mem, 39, EL2Stage1))
	regions := []Region{
		{Name: "a", VA: 0x4000_0000, PA: 0x4000_0000, Size: 0x1000, Attr: RWData},
		{Name: "a-again", VA: 0x4000_0000, PA: 0x5000_0000, Size: 0x1000, Attr: RWData},
	}
	require.NoError(t, tb.Map(0x4000_0000, 0x4000_0000, 2*MiB, RWData)) // tables exist now
	allocs := testing.AllocsPerRun(100, func() {
		if err := tb.Map(0x4000_0000, 0x4000_0000, 4*KiB, RWData); err != ErrOverlap {
			panic(err)
		}
		if _, ok := tb.Walk(0x4000_1000); !ok {
			panic("walk")
		}
		if err := tb.MapRegions(regions); err == nil {
			panic("overlap not seen")
		}
	})
	assert.Zero(t, allocs)
}
