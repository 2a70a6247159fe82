package smmu

import (
	"fmt"

	"github.com/tamavisor/tamavisor/mmu"
)

// STE is one Stream Table Entry: the configuration of one stream ID, as
// the eight little-endian 64-bit words it occupies in the stream table
// (IHI 0070, 5.2 "Stream Table Entry"). Word n holds bits [64n+63:64n] of
// the spec's 512-bit layout. Fields this package does not set are zero,
// which is what every structure's unused fields must be (IHI 0070,
// chapter 5: non-specified fields are RES0).
type STE [8]uint64

// STESize is the size of an STE in bytes.
const STESize = 64

// StreamConfig is STE.Config: which translation stages apply to a stream.
type StreamConfig uint8

// STE.Config encodings (IHI 0070, 5.2, STE.Config). Values 0b001..0b011
// abort too; 0b101 (stage 1 only) and 0b111 (both stages) are never used
// here.
const (
	// ConfigAbort aborts every transaction of the stream and records no
	// event.
	ConfigAbort StreamConfig = 0b000
	// ConfigBypass lets the stream reach physical memory untranslated.
	// The hypervisor never installs it; it is named so it can be told
	// apart from the others.
	ConfigBypass StreamConfig = 0b100
	// ConfigStage2 bypasses stage 1 and translates through stage 2.
	ConfigStage2 StreamConfig = 0b110
)

func (c StreamConfig) String() string {
	switch {
	case c&0b100 == 0:
		return "abort"
	case c == ConfigBypass:
		return "bypass"
	case c == ConfigStage2:
		return "stage 2"
	}
	return fmt.Sprintf("StreamConfig(%#03b)", uint8(c))
}

// STE word 0 (IHI 0070, 5.2).
const (
	steV            = 1 << 0 // the entry is valid
	steConfigShift  = 1      // Config, bits [3:1]
	steConfigMask   = 0b111
	steS1FmtShift   = 4                     // S1Fmt, bits [5:4]: context descriptor table format
	steS1CtxPtrMask = 0x000f_ffff_ffff_ffc0 // S1ContextPtr, bits [51:6]
	steS1CDMaxShift = 59                    // S1CDMax, bits [63:59]
)

// STE word 1, bits [127:64] (IHI 0070, 5.2).
const (
	steS1DSSShift = 0  // S1DSS, bits [1:0]: default substream behaviour
	steEATSShift  = 28 // EATS, bits [29:28]: 0b00 = ATS requests abort
	steSTRWShift  = 30 // STRW, bits [31:30]: 0b00 = the non-secure EL1 StreamWorld
	steSHCFGShift = 44 // SHCFG, bits [45:44]: shareability of the output
	// shcfgIncoming keeps the shareability the device gave the
	// transaction; stage 2 then combines it with the mapping's.
	shcfgIncoming = 0b01
)

// STE word 2, bits [191:128] (IHI 0070, 5.2). Bits [50:32] are laid out
// as VTCR_EL2 bits [18:0] (DDI 0487 D19.2 VTCR_EL2): T0SZ, SL0, IRGN0,
// ORGN0, SH0, TG0, PS, with the same encodings, so the entry takes them
// from the partition's VTCR_EL2 value.
const (
	steS2VMIDMask  = 0xffff // S2VMID, bits [15:0]
	steS2T0SZShift = 32     // S2T0SZ, bits [37:32]: 64 - input address bits
	steS2SL0Shift  = 38     // S2SL0, bits [39:38]: start level
	steS2IR0Shift  = 40     // S2IR0, bits [41:40]: inner cacheability of walks
	steS2OR0Shift  = 42     // S2OR0, bits [43:42]: outer cacheability of walks
	steS2SH0Shift  = 44     // S2SH0, bits [45:44]: shareability of walks
	steS2TGShift   = 46     // S2TG, bits [47:46]: 0b00 = 4 KiB granule
	steS2PSShift   = 48     // S2PS, bits [50:48]: output address size
	steS2VTCRShift = steS2T0SZShift
	steS2VTCRMask  = 0x7_ffff // the 19 VTCR_EL2-shaped bits, S2T0SZ..S2PS
	steS2AA64      = 1 << 51  // stage-2 tables are in the AArch64 format
	steS2ENDI      = 1 << 52  // big-endian walks; clear = little-endian
	steS2AFFD      = 1 << 53  // access flag faults disabled
	steS2PTW       = 1 << 54  // stage-1 walks that reach stage-2 device memory fault
	steS2HD        = 1 << 55  // hardware dirty-state update
	steS2HA        = 1 << 56  // hardware access-flag update
	steS2S         = 1 << 57  // stall faulting transactions; clear = terminate them
	steS2R         = 1 << 58  // record faults in the event queue
)

// STE word 3, bits [255:192] (IHI 0070, 5.2): S2TTB, bits [243:196].
const steS2TTBMask = 0x000f_ffff_ffff_fff0 // word 3 bits [51:4]

// Field widths for decoding.
const (
	twoBits   = 0b11
	threeBits = 0b111
	sixBits   = 0b11_1111
)

// Stage-2 tables this package can describe: the input sizes the mmu
// package builds tables for, the output sizes of the architecture's PS
// encodings (DDI 0487 D19.2 VTCR_EL2.PS).
const (
	pageMask      = mmu.PageSize - 1
	minStage2IPA  = 25
	maxStage2IPA  = 48
	minOutputBits = 32
	maxOutputBits = 52
)

// AbortSTE returns the entry of a stream that reaches nothing: valid, with
// Config abort, so every transaction aborts without an event. Words 1 to 7
// are zero.
func AbortSTE() STE {
	return STE{steV | uint64(ConfigAbort)<<steConfigShift}
}

// Stage2 is a partition's stage-2 translation as the SMMU sees it: the
// tables and VMID its vCPUs run on.
type Stage2 struct {
	// VMID tags the SMMU's TLB entries of these tables; the partition's
	// vCPUs use the same one (VTTBR_EL2.VMID). No two partitions share it.
	VMID uint16
	// Root is the physical address of the root table (VTTBR_EL2.BADDR).
	Root uint64
	// IPABits is the size of the guest physical address space the
	// tables translate, PABits the physical address size they output.
	IPABits, PABits uint
}

// Stage2Of returns the stage-2 translation the CPU runs on for tables t
// with VMID vmid and an output address size of paBits: the values of
// mmu.VTTBREL2(t, vmid) and mmu.VTCREL2(t, paBits).
func Stage2Of(t *mmu.Tables, vmid uint8, paBits uint) Stage2 {
	return Stage2{VMID: uint16(vmid), Root: t.Root(), IPABits: t.VABits(), PABits: paBits}
}

// VTCR returns the VTCR_EL2 value the partition's vCPUs run with.
func (s Stage2) VTCR() uint64 { return mmu.VTCREL2ForBits(s.IPABits, s.PABits) }

// Check reports whether the tables can be described to an SMMU at all:
// a 4 KiB-aligned root inside the output address space, an input size the
// mmu package builds tables for, an output size the architecture has.
func (s Stage2) Check() error {
	switch {
	case s.IPABits < minStage2IPA || s.IPABits > maxStage2IPA:
		return fmt.Errorf("smmu: stage 2 of VMID %d translates %d-bit guest physical addresses; "+
			"the tables take %d to %d bits", s.VMID, s.IPABits, minStage2IPA, maxStage2IPA)
	case s.PABits < minOutputBits || s.PABits > maxOutputBits:
		return fmt.Errorf("smmu: stage 2 of VMID %d outputs %d-bit physical addresses; "+
			"the architecture has %d to %d", s.VMID, s.PABits, minOutputBits, maxOutputBits)
	case s.Root&pageMask != 0 || s.Root>>s.PABits != 0:
		return fmt.Errorf("smmu: stage 2 of VMID %d has its root table at %#x, "+
			"which is not a 4 KiB-aligned %d-bit physical address", s.VMID, s.Root, s.PABits)
	}
	return nil
}

// Stage2STE returns the entry of a stream that a partition's stage 2
// translates: stage 1 bypassed, stage 2 walked from s.Root with s's VMID
// and the walk parameters of the partition's VTCR_EL2 (4 KiB granule,
// AArch64 little-endian tables, cacheable inner-shareable walks), faults
// recorded in the event queue and the faulting transaction terminated,
// no hardware update of access or dirty flags, ATS requests aborted.
// s must pass Check.
func Stage2STE(s Stage2) STE {
	var e STE
	e[0] = steV | uint64(ConfigStage2)<<steConfigShift
	e[1] = shcfgIncoming << steSHCFGShift
	// S2PTW only matters to stage-1 walks, which these entries bypass; it
	// is set so that a stage 1 added later could not walk through a
	// partition's device mappings.
	e[2] = uint64(s.VMID)&steS2VMIDMask |
		(s.VTCR()&steS2VTCRMask)<<steS2VTCRShift |
		steS2AA64 | steS2PTW | steS2R
	e[3] = s.Root & steS2TTBMask
	return e
}

// Valid reports STE.V.
func (e *STE) Valid() bool { return e[0]&steV != 0 }

// Config returns STE.Config.
func (e *STE) Config() StreamConfig {
	return StreamConfig(e[0] >> steConfigShift & steConfigMask)
}

// Translates reports whether the SMMU lets the stream's transactions
// through in any form: a valid entry whose Config does not abort.
func (e *STE) Translates() bool { return e.Valid() && e.Config()&0b100 != 0 }

// VMID returns STE.S2VMID.
func (e *STE) VMID() uint16 { return uint16(e[2] & steS2VMIDMask) }

// Root returns STE.S2TTB, the physical address of the stage-2 root table.
func (e *STE) Root() uint64 { return e[3] & steS2TTBMask }

// VTCRFields returns STE.S2T0SZ..S2PS where VTCR_EL2 has T0SZ..PS, for
// comparison with the CPU's VTCR_EL2 bits [18:0].
func (e *STE) VTCRFields() uint64 { return e[2] >> steS2VTCRShift & steS2VTCRMask }

// T0SZ, SL0 and PS return STE.S2T0SZ, STE.S2SL0 and STE.S2PS.
func (e *STE) T0SZ() uint { return uint(e[2] >> steS2T0SZShift & sixBits) }
func (e *STE) SL0() uint  { return uint(e[2] >> steS2SL0Shift & twoBits) }
func (e *STE) PS() uint   { return uint(e[2] >> steS2PSShift & threeBits) }
