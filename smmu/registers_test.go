package smmu

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDecodeFeatures(t *testing.T) {
	// QEMU 10.0's arm-smmuv3 with stage=2: S2P, AArch64 tables, COHACC,
	// ASID16, VMID16, little-endian, STALL_MODEL 0b01, TERM_MODEL,
	// two-level stream tables; CMDQS and EVENTQS 19, SIDSIZE 16; 64K,
	// 16K and 4K granules, OAS 44 bits.
	qemu := DecodeFeatures(
		1<<0|0b10<<2|1<<4|1<<12|1<<18|0b10<<21|0b01<<24|1<<26|0b01<<27,
		19<<21|19<<16|16,
		1<<6|1<<5|1<<4|4)
	assert.Equal(t, Features{
		Stage2: true, AArch64Tables: true, LittleEndian: true, Coherent: true, VMID16: true,
		StreamIDBits: 16, CommandQueueLog2: 19, EventQueueLog2: 19, OutputAddrBits: 44, Granule4K: true,
	}, qemu)
	assert.Equal(t, uint(44), qemu.InputAddrBits())

	// Both stages, both table formats, HYP, MSIs, 8-bit VMIDs, mixed
	// endianness; 48-bit output.
	f := DecodeFeatures(1<<0|1<<1|0b11<<2|1<<9|1<<13|0b00<<21, 8<<21|7<<16|8, 5|1<<4)
	assert.Equal(t, Features{
		Stage2: true, AArch64Tables: true, AArch32Tables: true, LittleEndian: true, Hyp: true, MSI: true,
		StreamIDBits: 8, CommandQueueLog2: 8, EventQueueLog2: 7, OutputAddrBits: 48, Granule4K: true,
	}, f)
	assert.Equal(t, uint(48), f.InputAddrBits())
	assert.Equal(t, uint(0xff), uint(f.maxVMID()))

	assert.Equal(t, uint(40), DecodeFeatures(0b11<<2, 0, 1).InputAddrBits(), "AArch32 tables take 40-bit input")
	assert.False(t, DecodeFeatures(0b11<<21, 0, 0).LittleEndian, "TTENDIAN 0b11: big-endian only")
	assert.True(t, DecodeFeatures(0b10<<21, 0, 0).LittleEndian)
	assert.True(t, DecodeFeatures(1<<30, 1<<30, 0).TablesPreset)
	assert.True(t, DecodeFeatures(0, 1<<29, 0).QueuesPreset)
	assert.Equal(t, uint(19), DecodeFeatures(0, 31<<21|31<<16, 0).CommandQueueLog2, "CMDQS above 19 is capped")
	for oas, bits := range []uint{32, 36, 40, 42, 44, 48, 52, 32} {
		assert.Equal(t, bits, DecodeFeatures(0, 0, uint32(oas)).OutputAddrBits, "OAS %#b", oas)
	}
}
