package mmu

// Entry is one VMSAv8-64 translation table descriptor.
type Entry uint64

// Descriptor fields for the EL2 stage-1 translation regime with
// HCR_EL2.E2H == 0, a regime with a single VA range and a single privilege
// level (DDI 0487 D8.3 "Translation table descriptor formats", D8.4.1
// "Memory access controls": AP[1] is RES1 there and the execute-never bit is
// XN, bit 54; bit 53 is RES0).
const (
	descValid Entry = 1 << 0
	// At levels 0-2 bit 1 distinguishes a table (1) from a block (0);
	// at level 3 it must be 1 for a page.
	descTableOrPage Entry = 1 << 1

	attrIndxShift = 2 // AttrIndx[2:0], bits [4:2]: MAIR_EL2 index
	attrIndxMask  = Entry(0b111) << attrIndxShift

	apRES1     Entry = 1 << 6 // AP[1], RES1 in single-VA-range regimes
	apReadOnly Entry = 1 << 7 // AP[2]: 1 = read-only

	shShift        = 8 // SH[1:0], bits [9:8]
	shInner  Entry = 0b11 << shShift
	shOuter  Entry = 0b10 << shShift
	shMask         = Entry(0b11) << shShift
	accessed Entry = 1 << 10 // AF: set, so no Access flag faults
	xn       Entry = 1 << 54 // XN: execute-never

	// Output address, bits [47:12] for 4 KiB granule, 48-bit OA.
	addrMask Entry = 0x0000_ffff_ffff_f000
)

// MAIR_EL2 attribute indices and encodings (DDI 0487 D19.2 MAIR_EL2;
// D8.5.5 "Memory region attributes"). MAIR is the register value that
// matches them.
const (
	mairIndexNormal       = 0
	mairIndexDeviceNGnRnE = 1
	mairIndexDeviceNGnRE  = 2

	mairNormalWriteBack = 0xff // Inner/Outer write-back non-transient, R/W allocate
	mairDeviceNGnRnE    = 0x00
	mairDeviceNGnRE     = 0x04

	MAIR uint64 = mairNormalWriteBack<<(8*mairIndexNormal) |
		mairDeviceNGnRnE<<(8*mairIndexDeviceNGnRnE) |
		mairDeviceNGnRE<<(8*mairIndexDeviceNGnRE)
)

// Valid reports whether the entry translates (or points to a table).
func (e Entry) Valid() bool { return e&descValid != 0 }

// IsTable reports whether a valid entry at level < 3 points to a table.
func (e Entry) IsTable(level int) bool {
	return e.Valid() && level < maxLevel && e&descTableOrPage != 0
}

// Addr returns the output address (next table, block or page).
func (e Entry) Addr() uint64 { return uint64(e & addrMask) }

// tableEntry returns a descriptor pointing to the next-level table at pa.
func tableEntry(pa uint64) Entry {
	return Entry(pa)&addrMask | descTableOrPage | descValid
}

// leafEntry encodes a block (levels 1, 2) or page (level 3) descriptor.
func leafEntry(pa uint64, level int, attr Attributes) Entry {
	e := Entry(pa)&addrMask | descValid | accessed | apRES1
	if level == maxLevel {
		e |= descTableOrPage
	}
	switch attr.Type {
	case Normal:
		e |= mairIndexNormal<<attrIndxShift | shInner
	case DeviceNGnRnE:
		// Device memory is treated as outer shareable whatever SH says;
		// write the value the architecture uses for it.
		e |= mairIndexDeviceNGnRnE<<attrIndxShift | shOuter
	case DeviceNGnRE:
		e |= mairIndexDeviceNGnRE<<attrIndxShift | shOuter
	}
	if attr.Perm&Write == 0 {
		e |= apReadOnly
	}
	if attr.Perm&Execute == 0 || attr.Type != Normal {
		e |= xn
	}
	return e
}

// Attributes decodes the memory type and permissions of a leaf entry.
func (e Entry) Attributes() Attributes {
	var a Attributes
	switch (e & attrIndxMask) >> attrIndxShift {
	case mairIndexNormal:
		a.Type = Normal
	case mairIndexDeviceNGnRnE:
		a.Type = DeviceNGnRnE
	case mairIndexDeviceNGnRE:
		a.Type = DeviceNGnRE
	}
	a.Perm = Read
	if e&apReadOnly == 0 {
		a.Perm |= Write
	}
	if e&xn == 0 {
		a.Perm |= Execute
	}
	return a
}

// TCR_EL2 fields for E2H == 0 (DDI 0487 D19.2 TCR_EL2).
const (
	tcrT0SZShift  = 0
	tcrIRGN0WBWA  = 0b01 << 8
	tcrORGN0WBWA  = 0b01 << 10
	tcrSH0Inner   = 0b11 << 12
	tcrTG04K      = 0b00 << 14
	tcrPSShift    = 16
	tcrRES1       = 1<<31 | 1<<23
	sctlrM        = 1 << 0  // MMU enable
	sctlrC        = 1 << 2  // data cache enable
	sctlrSA       = 1 << 3  // SP alignment check
	sctlrI        = 1 << 12 // instruction cache enable
	sctlrWXN      = 1 << 19 // writable implies execute-never
	sctlrEL2RES1  = 1<<4 | 1<<5 | 1<<11 | 1<<16 | 1<<18 | 1<<22 | 1<<23 | 1<<28 | 1<<29
	sctlrEL2Value = sctlrEL2RES1 | sctlrM | sctlrC | sctlrSA | sctlrI | sctlrWXN
)

// SCTLREL2 is the SCTLR_EL2 value the hypervisor runs with: MMU, caches,
// stack alignment checking and WXN on; little-endian; no alignment checks
// (Go code may use unaligned accesses on normal memory).
const SCTLREL2 uint64 = sctlrEL2Value

// TCREL2 returns the TCR_EL2 value for a TTBR0_EL2 region of vaBits bits and
// a physical address size of paBits bits, with cacheable, inner-shareable
// table walks and a 4 KiB granule.
func TCREL2(vaBits, paBits uint) uint64 {
	return tcrRES1 | uint64(64-vaBits)<<tcrT0SZShift | tcrIRGN0WBWA | tcrORGN0WBWA |
		tcrSH0Inner | tcrTG04K | uint64(paRangeEncoding(paBits))<<tcrPSShift
}

// paRangeEncoding maps a physical address size to the PS/PARange encoding
// (DDI 0487 D19.2 ID_AA64MMFR0_EL1.PARange).
func paRangeEncoding(bits uint) uint64 {
	switch {
	case bits <= 32:
		return 0b000
	case bits <= 36:
		return 0b001
	case bits <= 40:
		return 0b010
	case bits <= 42:
		return 0b011
	case bits <= 44:
		return 0b100
	case bits <= 48:
		return 0b101
	}
	return 0b110
}
