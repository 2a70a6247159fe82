package smmu

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/mmu"
)

// steField is one STE field at its place in the spec's layout (IHI 0070,
// 5.2): bits [hi:lo] of 64-bit word `word`.
type steField struct {
	name         string
	word, hi, lo int
}

func (f steField) get(e STE) uint64 {
	width := f.hi - f.lo + 1
	return e[f.word] >> f.lo & (1<<width - 1)
}

func (f steField) mask() uint64 {
	width := f.hi - f.lo + 1
	return (1<<width - 1) << f.lo
}

// steFields lists every field an STE of this package may set, and the
// stage-1 fields it must leave zero, at the positions IHI 0070 gives them.
var steFields = []steField{
	{"V", 0, 0, 0},
	{"Config", 0, 3, 1},
	{"S1Fmt", 0, 5, 4},
	{"S1ContextPtr", 0, 51, 6},
	{"S1CDMax", 0, 63, 59},
	{"S1DSS", 1, 1, 0},
	{"EATS", 1, 29, 28},
	{"STRW", 1, 31, 30},
	{"SHCFG", 1, 45, 44},
	{"S2VMID", 2, 15, 0},
	{"S2T0SZ", 2, 37, 32},
	{"S2SL0", 2, 39, 38},
	{"S2IR0", 2, 41, 40},
	{"S2OR0", 2, 43, 42},
	{"S2SH0", 2, 45, 44},
	{"S2TG", 2, 47, 46},
	{"S2PS", 2, 50, 48},
	{"S2AA64", 2, 51, 51},
	{"S2ENDI", 2, 52, 52},
	{"S2AFFD", 2, 53, 53},
	{"S2PTW", 2, 54, 54},
	{"S2HD", 2, 55, 55},
	{"S2HA", 2, 56, 56},
	{"S2S", 2, 57, 57},
	{"S2R", 2, 58, 58},
	{"S2TTB", 3, 51, 4},
}

// fieldsOf decodes every listed field of e, and fails the test if e has a
// bit set outside them.
func fieldsOf(t *testing.T, e STE) map[string]uint64 {
	t.Helper()
	got := map[string]uint64{}
	var covered STE
	for _, f := range steFields {
		got[f.name] = f.get(e)
		covered[f.word] |= f.mask()
	}
	for w := range e {
		assert.Zero(t, e[w]&^covered[w], "word %d has bits set outside the known fields: %#x", w, e[w]&^covered[w])
	}
	return got
}

func TestAbortSTE(t *testing.T) {
	e := AbortSTE()
	assert.Equal(t, STE{0x1}, e, "V=1, Config=0b000, everything else zero")
	assert.True(t, e.Valid())
	assert.Equal(t, ConfigAbort, e.Config())
	assert.False(t, e.Translates())
}

func TestStage2STE(t *testing.T) {
	s := Stage2{VMID: 7, Root: 0x4400_0000, IPABits: 39, PABits: 40}
	require.NoError(t, s.Check())
	e := Stage2STE(s)

	assert.Equal(t, map[string]uint64{
		"V":            1,
		"Config":       0b110, // stage 1 bypassed, stage 2 translates
		"S1Fmt":        0,
		"S1ContextPtr": 0,
		"S1CDMax":      0,
		"S1DSS":        0,
		"EATS":         0, // ATS translation requests abort
		"STRW":         0, // non-secure EL1 StreamWorld
		"SHCFG":        0b01,
		"S2VMID":       7,
		"S2T0SZ":       64 - 39,
		"S2SL0":        0b01, // 39 bits: the walk starts at level 1
		"S2IR0":        0b01, // write-back, read/write-allocate
		"S2OR0":        0b01,
		"S2SH0":        0b11,  // inner shareable
		"S2TG":         0b00,  // 4 KiB
		"S2PS":         0b010, // 40 bits
		"S2AA64":       1,
		"S2ENDI":       0,
		"S2AFFD":       0, // the stage-2 leaves carry AF = 1
		"S2PTW":        1,
		"S2HD":         0,
		"S2HA":         0,
		"S2S":          0, // terminate, never stall
		"S2R":          1,
		"S2TTB":        0x4400_0000 >> 4,
	}, fieldsOf(t, e))
	assert.Equal(t, STE{
		0x0000_0000_0000_000d,
		0x0000_1000_0000_0000,
		0x044a_3559_0000_0007, // R, PTW, AA64, PS 40, SH0 IS, OR0/IR0 WB, SL0 1, T0SZ 25, VMID 7
		0x0000_0000_4400_0000,
	}, e, "the same entry as words")

	assert.True(t, e.Translates())
	assert.Equal(t, ConfigStage2, e.Config())
	assert.Equal(t, uint16(7), e.VMID())
	assert.Equal(t, uint64(0x4400_0000), e.Root())
	assert.Equal(t, uint(25), e.T0SZ())
	assert.Equal(t, uint(1), e.SL0())
	assert.Equal(t, uint(0b010), e.PS())
}

func TestStage2STEKeepsAllOfTheRootAndVMID(t *testing.T) {
	s := Stage2{VMID: 0xbeef, Root: 0x000f_ffff_ffff_f000, IPABits: 48, PABits: 52}
	require.NoError(t, s.Check())
	e := Stage2STE(s)
	assert.Equal(t, uint16(0xbeef), e.VMID())
	assert.Equal(t, uint64(0x000f_ffff_ffff_f000), e.Root())
	assert.Equal(t, uint(0b110), e.PS(), "52 bits")
}

// The SMMU walks a partition's stage 2 exactly as its vCPUs do: the same
// root, VMID, and VTCR_EL2 fields, for every table size the mmu package
// builds and every output size.
func TestStage2STEMatchesTheCPU(t *testing.T) {
	const vmid = 3
	for ipaBits := uint(minStage2IPA); ipaBits <= maxStage2IPA; ipaBits++ {
		for _, paBits := range []uint{32, 36, 40, 42, 44, 48, 52} {
			t.Run(fmt.Sprintf("%d-bit IPA, %d-bit PA", ipaBits, paBits), func(t *testing.T) {
				var tables mmu.Tables
				require.NoError(t, tables.Init(&mmu.HeapMemory{Base: 0x4800_0000}, ipaBits, mmu.Stage2))
				s := Stage2Of(&tables, vmid, paBits)
				require.NoError(t, s.Check())
				e := Stage2STE(s)

				vtcr := mmu.VTCREL2(&tables, paBits)
				vttbr := mmu.VTTBREL2(&tables, vmid)
				assert.Equal(t, vtcr&0x7_ffff, e.VTCRFields(), "VTCR_EL2 T0SZ..PS")
				assert.Equal(t, vttbr&0x0000_ffff_ffff_fffe, e.Root(), "VTTBR_EL2.BADDR")
				assert.Equal(t, uint16(vttbr>>48), e.VMID(), "VTTBR_EL2.VMID")
				assert.Equal(t, 64-ipaBits, e.T0SZ())
				assert.Equal(t, uint(2-tables.StartLevel()), e.SL0(), "SL0 0b00 starts at level 2, 0b01 at 1, 0b10 at 0")
			})
		}
	}
}

func TestStage2Check(t *testing.T) {
	for _, tc := range []struct {
		s    Stage2
		want string
	}{
		{Stage2{VMID: 1, Root: 0x4000_0000, IPABits: 24, PABits: 40},
			"smmu: stage 2 of VMID 1 translates 24-bit guest physical addresses; the tables take 25 to 48 bits"},
		{Stage2{VMID: 1, Root: 0x4000_0000, IPABits: 49, PABits: 40},
			"smmu: stage 2 of VMID 1 translates 49-bit guest physical addresses; the tables take 25 to 48 bits"},
		{Stage2{VMID: 2, Root: 0x4000_0000, IPABits: 39, PABits: 31},
			"smmu: stage 2 of VMID 2 outputs 31-bit physical addresses; the architecture has 32 to 52"},
		{Stage2{VMID: 3, Root: 0x4000_0800, IPABits: 39, PABits: 40},
			"smmu: stage 2 of VMID 3 has its root table at 0x40000800, which is not a 4 KiB-aligned 40-bit physical address"},
		{Stage2{VMID: 3, Root: 0x100_0000_0000, IPABits: 39, PABits: 40},
			"smmu: stage 2 of VMID 3 has its root table at 0x10000000000, which is not a 4 KiB-aligned 40-bit physical address"},
	} {
		err := tc.s.Check()
		if assert.Error(t, err) {
			assert.Equal(t, tc.want, err.Error())
		}
	}
}

func TestStreamConfig(t *testing.T) {
	for _, tc := range []struct {
		word0      uint64
		config     string
		translates bool
	}{
		{0x0, "abort", false},  // V = 0: invalid, the SMMU aborts (C_BAD_STE)
		{0x1, "abort", false},  // Config 0b000
		{0x7, "abort", false},  // Config 0b011: aborts too
		{0x9, "bypass", true},  // Config 0b100
		{0x8, "bypass", false}, // V = 0
		{0xb, "StreamConfig(0b101)", true},
		{0xd, "stage 2", true}, // Config 0b110
		{0xf, "StreamConfig(0b111)", true},
	} {
		e := STE{tc.word0}
		assert.Equal(t, tc.config, e.Config().String(), "word 0 %#x", tc.word0)
		assert.Equal(t, tc.translates, e.Translates(), "word 0 %#x", tc.word0)
	}
}
