//go:build !tamago

package lr

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ICH_LR<n>_EL2: State [63:62], HW [61], Group [60], Priority [55:48],
// pINTID [44:32], vINTID [31:0] (IHI 0069G 12.4).
func TestNewLR(t *testing.T) {
	for _, tc := range []struct {
		name     string
		vintid   uint32
		priority uint8
		group1   bool
		hw       bool
		pintid   uint32
		state    State
		want     LR
	}{
		{"virtual timer linked to its PPI", 27, 0xa0, true, true, 27, Pending, 0x70a0_001b_0000_001b},
		{"software interrupt: pINTID ignored", 5, 0x80, true, false, 99, Pending, 0x5080_0000_0000_0005},
		{"group 0, active", 40, 0x00, false, false, 0, Active, 0x8000_0000_0000_0028},
		{"last SPI, pending and active", 1019, 0xff, true, false, 0, PendingActive, 0xd0ff_0000_0000_03fb},
		{"hardware-linked SPI, active", 1019, 0xff, true, true, 1019, Active, 0xb0ff_03fb_0000_03fb},
		{"pINTID truncated to 13 bits", 32, 0x10, true, true, 0x3020, Pending, 0x7010_1020_0000_0020},
		{"32-bit vINTID (an LPI)", 8192, 0x00, true, false, 0, Pending, 0x5000_0000_0000_2000},
		{"invalid", 33, 0xa0, true, false, 0, Invalid, 0x10a0_0000_0000_0021},
	} {
		got := NewLR(tc.vintid, tc.priority, tc.group1, tc.hw, tc.pintid, tc.state)
		assert.Equal(t, tc.want, got, "%s: got %#x", tc.name, uint64(got))
	}
}

func TestLRFields(t *testing.T) {
	for _, tc := range []struct {
		lr       LR
		vintid   uint32
		priority uint8
		group1   bool
		hw       bool
		pintid   uint32
		state    State
	}{
		{0x70a0_001b_0000_001b, 27, 0xa0, true, true, 27, Pending},
		{0xb0ff_03fb_0000_03fb, 1019, 0xff, true, true, 1019, Active},
		{0x7010_1020_0000_0020, 32, 0x10, true, true, 0x1020, Pending}, // pINTID's top bit, 44
		{0xc000_0000_0000_0021, 33, 0x00, false, false, 0, PendingActive},
		// HW 0 with EOI (bit 41) set: bits [44:32] are no pINTID.
		{0x5080_0200_0000_0005, 5, 0x80, true, false, 0, Pending},
		// RES0 bits [59:56] and [47:45] set: no field sees them.
		{0x4fa0_e000_0000_0030, 48, 0xa0, false, false, 0, Pending},
		{0, 0, 0, false, false, 0, Invalid},
	} {
		assert.Equal(t, tc.vintid, tc.lr.VINTID(), "%#x", uint64(tc.lr))
		assert.Equal(t, tc.priority, tc.lr.Priority(), "%#x", uint64(tc.lr))
		assert.Equal(t, tc.group1, tc.lr.Group1(), "%#x", uint64(tc.lr))
		assert.Equal(t, tc.hw, tc.lr.HW(), "%#x", uint64(tc.lr))
		assert.Equal(t, tc.pintid, tc.lr.PINTID(), "%#x", uint64(tc.lr))
		assert.Equal(t, tc.state, tc.lr.State(), "%#x", uint64(tc.lr))
	}
}

func TestLRWith(t *testing.T) {
	l := LR(0x70a0_001b_0000_001b)
	assert.Equal(t, LR(0xb0a0_001b_0000_001b), l.WithState(Active))
	assert.Equal(t, LR(0x30a0_001b_0000_001b), l.WithState(Invalid))
	assert.Equal(t, LR(0x7010_001b_0000_001b), l.WithPriority(0x10))
}

func TestStateNames(t *testing.T) {
	for s, name := range map[State]string{
		Invalid: "invalid", Pending: "pending", Active: "active", PendingActive: "pending and active",
		4: "State(4)",
	} {
		assert.Equal(t, name, s.String())
	}
}

// The system register encodings of IHI 0069G 12.4 (op0 3, op1 4, CRn 12
// for all), by the name the header's comments use.
var ichEncodings = map[string]struct{ crm, op2 uint32 }{
	"ich_ap0r0_el2": {8, 0}, "ich_ap0r1_el2": {8, 1}, "ich_ap0r2_el2": {8, 2}, "ich_ap0r3_el2": {8, 3},
	"ich_ap1r0_el2": {9, 0}, "ich_ap1r1_el2": {9, 1}, "ich_ap1r2_el2": {9, 2}, "ich_ap1r3_el2": {9, 3},
	"ich_hcr_el2": {11, 0}, "ich_vtr_el2": {11, 1}, "ich_misr_el2": {11, 2}, "ich_elrsr_el2": {11, 5},
	"ich_vmcr_el2": {11, 7},
	"ich_lr0_el2":  {12, 0}, "ich_lr1_el2": {12, 1}, "ich_lr2_el2": {12, 2}, "ich_lr3_el2": {12, 3},
	"ich_lr4_el2": {12, 4}, "ich_lr5_el2": {12, 5}, "ich_lr6_el2": {12, 6}, "ich_lr7_el2": {12, 7},
	"ich_lr8_el2": {13, 0}, "ich_lr9_el2": {13, 1}, "ich_lr10_el2": {13, 2}, "ich_lr11_el2": {13, 3},
	"ich_lr12_el2": {13, 4}, "ich_lr13_el2": {13, 5}, "ich_lr14_el2": {13, 6}, "ich_lr15_el2": {13, 7},
}

// TestWordEncodings checks each WORD of ich_el2.h against the instruction
// its comment names (DDI 0487 C6.2 MRS and MSR (register)), and that the
// header covers every register of the table.
func TestWordEncodings(t *testing.T) {
	f, err := os.Open("ich_el2.h")
	require.NoError(t, err)
	defer f.Close()
	define := regexp.MustCompile(`^#define\s+\w+\s+WORD \$(0x[0-9a-f]{8})\s+// (mrs x(\d+), (\w+)|msr (\w+), x(\d+))$`)
	seen := map[string]bool{}
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		if len(lines.Text()) == 0 || lines.Text()[0] != '#' {
			continue
		}
		m := define.FindStringSubmatch(lines.Text())
		require.NotNil(t, m, "not a WORD with its instruction: %q", lines.Text())
		word, _ := strconv.ParseUint(m[1], 0, 32)
		read, name, rt := m[3] != "", m[4]+m[5], m[3]+m[6]
		enc, ok := ichEncodings[name]
		require.True(t, ok, "unknown register %s", name)
		reg, _ := strconv.Atoi(rt)
		want := uint32(0xd510_0000) | 1<<19 | 4<<16 | 12<<12 | enc.crm<<8 | enc.op2<<5 | uint32(reg)
		if read {
			want |= 1 << 21
		}
		assert.Equal(t, want, uint32(word), "%s: %#x, want %#x", lines.Text(), word, want)
		seen[name] = true
	}
	require.NoError(t, lines.Err())
	for name := range ichEncodings {
		assert.True(t, seen[name], "ich_el2.h has no access to %s", name)
	}
}
