package smmu

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCommandEncoding(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmd  Command
		op   Opcode
		want Command
	}{
		// StreamID in word 0 [63:32], Leaf in word 1 bit 0; SSV and
		// SubstreamID (word 0 [31:11]) zero.
		{"CMD_CFGI_STE leaf", CFGISTE(0x1234, true), OpCFGISTE,
			Command{0x0000_1234_0000_0003, 0x1}},
		{"CMD_CFGI_STE the highest stream ID", CFGISTE(0xffff_ffff, false), OpCFGISTE,
			Command{0xffff_ffff_0000_0003, 0x0}},
		// CMD_CFGI_STE_RANGE, StreamID 0, Range 31 in word 1 [4:0].
		{"CMD_CFGI_ALL", CFGIAll(), OpCFGISTERange,
			Command{0x0000_0000_0000_0004, 0x1f}},
		// VMID in word 0 [47:32]; ASID (word 0 [63:48]) zero.
		{"CMD_TLBI_S12_VMALL", TLBIS12VMAll(0xbeef), OpTLBIS12VMAll,
			Command{0x0000_beef_0000_0028, 0}},
		{"CMD_TLBI_NSNH_ALL", TLBINSNHAll(), OpTLBINSNHAll,
			Command{0x30, 0}},
		// CS in word 0 [13:12]: 0b00 SIG_NONE, 0b10 SIG_SEV; MSH,
		// MSIAttr, MSIData and MSIAddress zero.
		{"CMD_SYNC SIG_NONE", Sync(SyncSignalNone), OpSync,
			Command{0x0046, 0}},
		{"CMD_SYNC SIG_SEV", Sync(SyncSignalSEV), OpSync,
			Command{0x2046, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.cmd, "got %#x want %#x", tc.cmd, tc.want)
			assert.Equal(t, tc.op, tc.cmd.Opcode())
		})
	}
}

func TestOpcodeNames(t *testing.T) {
	assert.Equal(t, "CMD_CFGI_STE", OpCFGISTE.String())
	assert.Equal(t, "CMD_CFGI_STE_RANGE", OpCFGISTERange.String())
	assert.Equal(t, "CMD_TLBI_S12_VMALL", OpTLBIS12VMAll.String())
	assert.Equal(t, "CMD_TLBI_NSNH_ALL", OpTLBINSNHAll.String())
	assert.Equal(t, "CMD_SYNC", OpSync.String())
	assert.Equal(t, "opcode 0x7f", Opcode(0x7f).String())
}
