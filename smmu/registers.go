package smmu

// Register offsets from the SMMU's base (IHI 0070, 6.2 "Register
// offsets"; each register described in 6.3 under its name). All are in
// page 0 but the event queue's PROD and CONS, which are in page 1, 64 KiB
// above, so software can map them apart.
const (
	regIDR0          = 0x0000  // SMMU_IDR0
	regIDR1          = 0x0004  // SMMU_IDR1
	regIDR5          = 0x0014  // SMMU_IDR5
	regCR0           = 0x0020  // SMMU_CR0
	regCR0ACK        = 0x0024  // SMMU_CR0ACK
	regCR1           = 0x0028  // SMMU_CR1
	regCR2           = 0x002c  // SMMU_CR2
	regGBPA          = 0x0044  // SMMU_GBPA
	regIRQCtrl       = 0x0050  // SMMU_IRQ_CTRL
	regIRQCtrlAck    = 0x0054  // SMMU_IRQ_CTRLACK
	regGError        = 0x0060  // SMMU_GERROR
	regGErrorN       = 0x0064  // SMMU_GERRORN
	regGErrorIRQCfg0 = 0x0068  // SMMU_GERROR_IRQ_CFG0, 64 bits
	regStrtabBase    = 0x0080  // SMMU_STRTAB_BASE, 64 bits
	regStrtabBaseCfg = 0x0088  // SMMU_STRTAB_BASE_CFG
	regCmdqBase      = 0x0090  // SMMU_CMDQ_BASE, 64 bits
	regCmdqProd      = 0x0098  // SMMU_CMDQ_PROD
	regCmdqCons      = 0x009c  // SMMU_CMDQ_CONS
	regEventqBase    = 0x00a0  // SMMU_EVENTQ_BASE, 64 bits
	regEventqIRQCfg0 = 0x00b0  // SMMU_EVENTQ_IRQ_CFG0, 64 bits
	regEventqProd    = 0x100a8 // SMMU_EVENTQ_PROD, page 1
	regEventqCons    = 0x100ac // SMMU_EVENTQ_CONS, page 1
)

// SMMU_IDR0 fields (IHI 0070, 6.3 SMMU_IDR0).
const (
	idr0S2P           = 1 << 0 // stage 2 translation
	idr0S1P           = 1 << 1 // stage 1 translation
	idr0TTFShift      = 2      // TTF, bits [3:2]: table formats, bit 0 AArch32, bit 1 AArch64
	idr0TTFAArch32    = 0b01
	idr0TTFAArch64    = 0b10
	idr0COHACC        = 1 << 4  // table walks and queue accesses are coherent
	idr0HYP           = 1 << 9  // EL2 StreamWorld
	idr0MSI           = 1 << 13 // interrupts can be MSIs
	idr0VMID16        = 1 << 18 // 16-bit VMIDs; else 8
	idr0TTEndianShift = 21      // TTENDIAN, bits [22:21]
	idr0TTEndianBE    = 0b11    // big-endian walks only; 0b00 mixed, 0b10 little-endian only
)

// SMMU_IDR1 and SMMU_IDR5 fields (IHI 0070, 6.3 SMMU_IDR1, SMMU_IDR5).
const (
	idr1SIDSizeMask  = 0b11_1111 // SIDSIZE, bits [5:0]: stream ID bits
	idr1EventQSShift = 16        // EVENTQS, bits [20:16]: log2 of the largest event queue
	idr1CmdQSShift   = 21        // CMDQS, bits [25:21]: log2 of the largest command queue
	idr1QSMask       = 0b1_1111
	idr1QueuesPreset = 1 << 29 // the queues' bases are fixed
	idr1TablesPreset = 1 << 30 // the stream table's base is fixed
	idr5OASMask      = 0b111   // SMMU_IDR5.OAS, bits [2:0]: output address size
	idr5Gran4K       = 1 << 4  // SMMU_IDR5.GRAN4K: the 4 KiB granule
)

// SMMU_CR0 and SMMU_CR0ACK (IHI 0070, 6.3 SMMU_CR0): each enable takes
// effect once SMMU_CR0ACK shows it.
const (
	cr0SMMUEN   = 1 << 0 // translate (else SMMU_GBPA applies)
	cr0EventQEN = 1 << 2 // the SMMU writes events
	cr0CmdQEN   = 1 << 3 // the SMMU consumes commands
)

// SMMU_CR1 (IHI 0070, 6.3 SMMU_CR1): attributes of the SMMU's accesses to
// the stream table (TABLE_*) and to the queues (QUEUE_*).
const (
	cr1QueueICShift = 0    // QUEUE_IC, bits [1:0]
	cr1QueueOCShift = 2    // QUEUE_OC, bits [3:2]
	cr1QueueSHShift = 4    // QUEUE_SH, bits [5:4]
	cr1TableICShift = 6    // TABLE_IC, bits [7:6]
	cr1TableOCShift = 8    // TABLE_OC, bits [9:8]
	cr1TableSHShift = 10   // TABLE_SH, bits [11:10]
	cacheWB         = 0b01 // write-back (0b00 non-cacheable, 0b10 write-through)
	shareInner      = 0b11 // inner shareable (0b00 non-shareable, 0b10 outer)

	// cr1Coherent: write-back, inner shareable, as the cores map the
	// memory; the SMMU's accesses are coherent with theirs.
	cr1Coherent = cacheWB<<cr1QueueICShift | cacheWB<<cr1QueueOCShift | shareInner<<cr1QueueSHShift |
		cacheWB<<cr1TableICShift | cacheWB<<cr1TableOCShift | shareInner<<cr1TableSHShift
)

// SMMU_CR2 (IHI 0070, 6.3 SMMU_CR2).
const (
	cr2RecInvSID = 1 << 1 // record C_BAD_STREAMID for stream IDs beyond the table
	cr2PTM       = 1 << 2 // ignore the cores' broadcast TLB maintenance
)

// SMMU_GBPA (IHI 0070, 6.3 SMMU_GBPA): what happens to transactions while
// SMMU_CR0.SMMUEN is clear. A write takes effect with Update set, and is
// complete once Update reads 0.
const (
	gbpaAbort  = 1 << 20
	gbpaUpdate = 1 << 31
)

// SMMU_IRQ_CTRL and SMMU_IRQ_CTRLACK (IHI 0070, 6.3 SMMU_IRQ_CTRL).
const (
	irqCtrlGErrorEn = 1 << 0
	irqCtrlEventQEn = 1 << 2
)

// SMMU_GERROR and SMMU_GERRORN (IHI 0070, 6.3 SMMU_GERROR): an error is
// active while its bit differs between the two; software acknowledges it
// by toggling its bit in SMMU_GERRORN.
const (
	gerrorCmdqErr = 1 << 0
	gerrorMask    = 0x1fd // bits 0, 2..8 (bit 1 is reserved)
)

// SMMU_STRTAB_BASE and SMMU_STRTAB_BASE_CFG (IHI 0070, 6.3).
const (
	strtabBaseRA       = 1 << 62               // read-allocate hint for table fetches
	strtabBaseAddrMask = 0x000f_ffff_ffff_ffc0 // ADDR, bits [51:6]
	strtabCfgFmtShift  = 16                    // FMT, bits [17:16]; LOG2SIZE is bits [5:0]
	strtabFmtLinear    = 0b00
)

// SMMU_CMDQ_BASE and SMMU_EVENTQ_BASE (IHI 0070, 6.3), and the queues'
// index registers.
const (
	queueBaseAllocate = 1 << 62               // CMDQ_BASE.RA, EVENTQ_BASE.WA
	queueBaseAddrMask = 0x000f_ffff_ffff_ffe0 // ADDR, bits [51:5]; LOG2SIZE is bits [4:0]
	cmdqConsErrShift  = 24                    // SMMU_CMDQ_CONS.ERR, bits [30:24]
	cmdqConsErrMask   = 0x7f
	eventqOverflow    = 1 << 31 // SMMU_EVENTQ_PROD.OVFLG, SMMU_EVENTQ_CONS.OVACKFLG
)

// Features is what the ID registers say about an SMMU, as far as this
// driver cares.
type Features struct {
	Stage2        bool // SMMU_IDR0.S2P
	AArch64Tables bool // SMMU_IDR0.TTF
	AArch32Tables bool
	// LittleEndian: the SMMU walks little-endian tables
	// (SMMU_IDR0.TTENDIAN is not big-endian only).
	LittleEndian bool
	// Coherent: the SMMU's accesses to memory are coherent with the
	// cores' caches (SMMU_IDR0.COHACC).
	Coherent bool
	Hyp      bool // SMMU_IDR0.HYP
	MSI      bool // SMMU_IDR0.MSI
	VMID16   bool // SMMU_IDR0.VMID16
	// StreamIDBits is SMMU_IDR1.SIDSIZE.
	StreamIDBits uint
	// CommandQueueLog2 and EventQueueLog2 are SMMU_IDR1.CMDQS and
	// EVENTQS: log2 of the largest queues.
	CommandQueueLog2, EventQueueLog2 uint
	// TablesPreset and QueuesPreset: the SMMU has its stream table or
	// its queues at fixed places (SMMU_IDR1).
	TablesPreset, QueuesPreset bool
	// OutputAddrBits is SMMU_IDR5.OAS in bits.
	OutputAddrBits uint
	Granule4K      bool // SMMU_IDR5.GRAN4K
}

// outputSizes are the OAS and PS encodings (IHI 0070, 6.3 SMMU_IDR5.OAS;
// DDI 0487 D19.2 VTCR_EL2.PS); the reserved 0b111 counts as the smallest.
var outputSizes = [8]uint{32, 36, 40, 42, 44, 48, 52, 32}

// DecodeFeatures decodes SMMU_IDR0, SMMU_IDR1 and SMMU_IDR5.
func DecodeFeatures(idr0, idr1, idr5 uint32) Features {
	ttf := idr0 >> idr0TTFShift & twoBits
	return Features{
		Stage2:           idr0&idr0S2P != 0,
		AArch64Tables:    ttf&idr0TTFAArch64 != 0,
		AArch32Tables:    ttf&idr0TTFAArch32 != 0,
		LittleEndian:     idr0>>idr0TTEndianShift&twoBits != idr0TTEndianBE,
		Coherent:         idr0&idr0COHACC != 0,
		Hyp:              idr0&idr0HYP != 0,
		MSI:              idr0&idr0MSI != 0,
		VMID16:           idr0&idr0VMID16 != 0,
		StreamIDBits:     uint(idr1 & idr1SIDSizeMask),
		CommandQueueLog2: uint(min(idr1>>idr1CmdQSShift&idr1QSMask, MaxQueueLog2Size)),
		EventQueueLog2:   uint(min(idr1>>idr1EventQSShift&idr1QSMask, MaxQueueLog2Size)),
		TablesPreset:     idr1&idr1TablesPreset != 0,
		QueuesPreset:     idr1&idr1QueuesPreset != 0,
		OutputAddrBits:   outputSizes[idr5&idr5OASMask],
		Granule4K:        idr5&idr5Gran4K != 0,
	}
}

// InputAddrBits is the largest stage-2 input the SMMU translates: its
// output size, or 40 bits if that is larger and it walks AArch32 tables
// (IHI 0070, 3.4 "Address sizes").
func (f Features) InputAddrBits() uint {
	if f.AArch32Tables {
		return max(f.OutputAddrBits, 40)
	}
	return f.OutputAddrBits
}

// maxVMID is the largest VMID an STE can hold.
func (f Features) maxVMID() uint16 {
	if f.VMID16 {
		return 0xffff
	}
	return 0xff
}
