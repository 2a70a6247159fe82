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

// Format selects the descriptor encoding of a set of tables.
type Format uint8

const (
	// EL2Stage1 is the hypervisor's own translation regime (EL2, E2H 0).
	EL2Stage1 Format = iota
	// EL1Stage1 is a guest kernel's EL1&0 regime: EL0 gets no access.
	EL1Stage1
	// Stage2 translates a partition's IPAs to physical addresses.
	Stage2
)

func (f Format) String() string {
	switch f {
	case EL2Stage1:
		return "EL2 stage 1"
	case EL1Stage1:
		return "EL1&0 stage 1"
	case Stage2:
		return "stage 2"
	}
	return "unknown format"
}

// Stage-1 EL1&0 execute-never bits (DDI 0487 D8.4.2): PXN for EL1, UXN
// for EL0.
const (
	pxn Entry = 1 << 53
	uxn Entry = 1 << 54
)

// Stage-2 block and page attributes (DDI 0487 D8.5.5 "Stage 2 memory type
// and Cacheability attributes when FEAT_S2FWB is disabled", D8.4.3 "Stage 2
// data access permissions").
const (
	s2MemAttrShift = 2 // MemAttr[3:0], bits [5:2]
	s2MemAttrMask  = Entry(0b1111) << s2MemAttrShift
	// MemAttr[3:2] outer, [1:0] inner: 0b11 write-back cacheable.
	s2NormalWriteBack = 0b1111
	// MemAttr[3:2] = 0b00 is Device; [1:0] picks the kind.
	s2DeviceNGnRnE       = 0b0000
	s2DeviceNGnRE        = 0b0001
	s2APShift            = 6 // S2AP[1:0], bits [7:6]
	s2APRead       Entry = 0b01 << s2APShift
	s2APWrite      Entry = 0b10 << s2APShift
)

// leafEntry encodes a block (levels 1, 2) or page (level 3) descriptor in
// format f.
func leafEntry(f Format, pa uint64, level int, attr Attributes) Entry {
	switch f {
	case EL1Stage1:
		return el1Leaf(pa, level, attr)
	case Stage2:
		return stage2Leaf(pa, level, attr)
	}
	return el2Leaf(pa, level, attr)
}

func leafBase(pa uint64, level int) Entry {
	e := Entry(pa)&addrMask | descValid | accessed
	if level == maxLevel {
		e |= descTableOrPage
	}
	return e
}

// stage1MemoryType sets AttrIndx and the shareability for attr's type.
func stage1MemoryType(t MemoryType) Entry {
	switch t {
	case DeviceNGnRnE:
		// Device memory is treated as outer shareable whatever SH says;
		// write the value the architecture uses for it.
		return mairIndexDeviceNGnRnE<<attrIndxShift | shOuter
	case DeviceNGnRE:
		return mairIndexDeviceNGnRE<<attrIndxShift | shOuter
	}
	return mairIndexNormal<<attrIndxShift | shInner
}

func el1Leaf(pa uint64, level int, attr Attributes) Entry {
	// AP[1] = 0: no EL0 access; AP[2] = 1: read-only.
	e := leafBase(pa, level) | stage1MemoryType(attr.Type) | uxn
	if attr.Perm&Write == 0 {
		e |= apReadOnly
	}
	if attr.Perm&Execute == 0 || attr.Type != Normal {
		e |= pxn
	}
	return e
}

func stage2Leaf(pa uint64, level int, attr Attributes) Entry {
	e := leafBase(pa, level)
	switch attr.Type {
	case Normal:
		e |= s2NormalWriteBack<<s2MemAttrShift | shInner
	case DeviceNGnRnE:
		e |= s2DeviceNGnRnE<<s2MemAttrShift | shOuter
	case DeviceNGnRE:
		e |= s2DeviceNGnRE<<s2MemAttrShift | shOuter
	}
	if attr.Perm&Read != 0 {
		e |= s2APRead
	}
	if attr.Perm&Write != 0 {
		e |= s2APWrite
	}
	if attr.Perm&Execute == 0 || attr.Type != Normal {
		e |= xn
	}
	return e
}

// el2Leaf encodes a descriptor of the EL2 stage-1 regime.
func el2Leaf(pa uint64, level int, attr Attributes) Entry {
	e := leafBase(pa, level) | apRES1 | stage1MemoryType(attr.Type)
	if attr.Perm&Write == 0 {
		e |= apReadOnly
	}
	if attr.Perm&Execute == 0 || attr.Type != Normal {
		e |= xn
	}
	return e
}

// Attributes decodes the memory type and permissions of a leaf entry of
// format f.
func (e Entry) Attributes(f Format) Attributes {
	switch f {
	case EL1Stage1:
		a := e.stage1Type()
		a.Perm = Read
		if e&apReadOnly == 0 {
			a.Perm |= Write
		}
		if e&pxn == 0 {
			a.Perm |= Execute
		}
		return a
	case Stage2:
		var a Attributes
		switch (e & s2MemAttrMask) >> s2MemAttrShift {
		case s2NormalWriteBack:
			a.Type = Normal
		case s2DeviceNGnRE:
			a.Type = DeviceNGnRE
		default:
			a.Type = DeviceNGnRnE
		}
		if e&s2APRead != 0 {
			a.Perm |= Read
		}
		if e&s2APWrite != 0 {
			a.Perm |= Write
		}
		if e&xn == 0 {
			a.Perm |= Execute
		}
		return a
	}
	a := e.stage1Type()
	a.Perm = Read
	if e&apReadOnly == 0 {
		a.Perm |= Write
	}
	if e&xn == 0 {
		a.Perm |= Execute
	}
	return a
}

func (e Entry) stage1Type() Attributes {
	var a Attributes
	switch (e & attrIndxMask) >> attrIndxShift {
	case mairIndexNormal:
		a.Type = Normal
	case mairIndexDeviceNGnRnE:
		a.Type = DeviceNGnRnE
	case mairIndexDeviceNGnRE:
		a.Type = DeviceNGnRE
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

// VTCR_EL2 fields (DDI 0487 D19.2 VTCR_EL2).
const (
	vtcrSL0Shift = 6
	vtcrRES1     = 1 << 31
)

// VTCREL2 returns the VTCR_EL2 value for stage-2 tables t: an IPA space of
// t.VABits() bits walked from t's start level, cacheable inner-shareable
// walks, 4 KiB granule, output size paBits. A walk starting at level 0
// (t.VABits() > 39) is valid only where paBits >= 44 (DDI 0487 D8.2.8).
func VTCREL2(t *Tables, paBits uint) uint64 {
	return VTCREL2ForBits(t.VABits(), paBits)
}

// VTCREL2ForBits is VTCREL2 for stage-2 tables of ipaBits bits built
// elsewhere (another core's vCPUs share them).
func VTCREL2ForBits(ipaBits, paBits uint) uint64 {
	// SL0 with a 4 KiB granule: 0b00 starts at level 2, 0b01 at
	// level 1, 0b10 at level 0.
	start := maxLevel - int((ipaBits-PageShift-1)/bitsPerLevel)
	sl0 := uint64(2 - start)
	return vtcrRES1 | uint64(64-ipaBits) | sl0<<vtcrSL0Shift | tcrIRGN0WBWA | tcrORGN0WBWA |
		tcrSH0Inner | tcrTG04K | paRangeEncoding(paBits)<<tcrPSShift
}

// VTTBREL2 returns the VTTBR_EL2 value for stage-2 tables t and a VMID
// (8 bits; DDI 0487 D19.2 VTTBR_EL2).
func VTTBREL2(t *Tables, vmid uint8) uint64 {
	return t.Root() | uint64(vmid)<<48
}

// TCR_EL1 fields (DDI 0487 D19.2 TCR_EL1) for a guest that uses only
// TTBR0_EL1.
const (
	tcrEL1EPD1    = 1 << 23    // no walks through TTBR1_EL1
	tcrEL1TG14K   = 0b10 << 30 // TG1 must hold a valid granule even when unused
	tcrEL1IPSShft = 32
)

// TCREL1 returns the TCR_EL1 value for EL1&0 tables of vaBits bits and a
// physical (intermediate) address size of paBits bits, TTBR1 walks off.
func TCREL1(vaBits, paBits uint) uint64 {
	return uint64(64-vaBits) | tcrIRGN0WBWA | tcrORGN0WBWA | tcrSH0Inner | tcrTG04K |
		tcrEL1EPD1 | tcrEL1TG14K | paRangeEncoding(paBits)<<tcrEL1IPSShft
}
