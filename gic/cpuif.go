package gic

// CPU interface system register fields (IHI 0069G, 12.2).
const (
	// ICC_SRE_EL2: SRE selects the system register interface at EL2;
	// Enable lets EL1 use its own (ICC_SRE_EL1), so guests reach their
	// virtual CPU interface through ICC_* registers too.
	sreSRE    = 1 << 0
	sreEnable = 1 << 3

	// ICC_CTLR_EL1: EOImode 1 splits priority drop (ICC_EOIR1_EL1) from
	// deactivation (ICC_DIR_EL1). A3V and RSS say whether SGIs can target
	// cores with a non-zero Aff3, or an Aff0 of 16 and up.
	ctlrEOImode = 1 << 1
	ctlrA3V     = 1 << 15
	ctlrRSS     = 1 << 18

	// ICC_IGRPEN1_EL1.Enable: signal group 1 interrupts to this core.
	igrpen1Enable = 1 << 0

	// ICC_IAR1_EL1.INTID, bits [23:0].
	iarINTIDMask = 0xff_ffff

	// ICC_PMR_EL1: 0xff lets every priority through; ICC_BPR1_EL1 0 is
	// the finest preemption grouping the CPU interface allows.
	priorityMaskAll = 0xff
	binaryPointMin  = 0
)

// ICC_SGI1R_EL1 fields (12.2, ICC_SGI1R_EL1).
const (
	sgi1rTargetListMask = 0xffff // bits [15:0]: one bit per Aff0 in the range
	sgi1rAff1Shift      = 16     // bits [23:16]
	sgi1rINTIDShift     = 24     // bits [27:24]
	sgi1rAff2Shift      = 32     // bits [39:32]
	sgi1rIRM            = 1 << 40
	sgi1rRSShift        = 44 // bits [47:44]: TargetList covers Aff0 16*RS..16*RS+15
	sgi1rAff3Shift      = 48 // bits [55:48]
	sgisPerRange        = 16
)

// What this core's CPU interface can address with ICC_SGI1R_EL1, read from
// ICC_CTLR_EL1 by InitCPUInterface. Each core's instance has its own copy.
var (
	sgiRangeSelector bool // Aff0 of 16 and up (RSS)
	sgiAff3          bool // non-zero Aff3 (A3V)
)

// InitCPUInterface prepares this core's CPU interface: system registers
// on at EL2 and for EL1, every priority unmasked, no preemption grouping,
// EOImode 1 (priority drop and deactivation separate) and group 1
// interrupts signalled. It fails when EL3 firmware keeps the system
// register interface disabled, before touching any other ICC register
// (those accesses would be UNDEFINED).
func InitCPUInterface() error {
	writeSRE(sreSRE | sreEnable)
	if readSRE()&sreSRE == 0 {
		return ErrSystemRegistersDisabled
	}
	writePMR(priorityMaskAll)
	writeBPR1(binaryPointMin)
	writeCTLR(ctlrEOImode)
	ctlr := readCTLR()
	sgiRangeSelector = ctlr&ctlrRSS != 0
	sgiAff3 = ctlr&ctlrA3V != 0
	writeIGRPEN1(igrpen1Enable)
	return nil
}

// Acknowledge returns the INTID of the highest-priority pending group 1
// interrupt and makes it active, or Spurious when none is pending.
func Acknowledge() (intid uint32) {
	return uint32(readIAR1() & iarINTIDMask)
}

// EndOfInterrupt drops the running priority of an acknowledged interrupt
// (ICC_EOIR1_EL1). With EOImode 1 it stays active until Deactivate, or
// until the guest deactivates the virtual interrupt it is linked to.
func EndOfInterrupt(intid uint32) {
	writeEOIR1(uint64(intid))
}

// Deactivate ends an interrupt's active state (ICC_DIR_EL1), after
// EndOfInterrupt.
func Deactivate(intid uint32) {
	writeDIR(uint64(intid))
}

// SendSGI sends software-generated interrupt intid to the core whose
// MPIDR_EL1 is targetMPIDR. Memory written before the call is visible to
// the target by the time it takes the interrupt: the doorbell of a mailbox.
func SendSGI(intid uint8, targetMPIDR uint64) error {
	v, err := SGI1R(intid, targetMPIDR)
	if err != nil {
		return err
	}
	if (!sgiRangeSelector && v>>sgi1rRSShift&0xf != 0) || (!sgiAff3 && v>>sgi1rAff3Shift&0xff != 0) {
		return ErrSGITargetUnreachable
	}
	writeSGI1R(v)
	return nil
}

// SGI1R encodes the ICC_SGI1R_EL1 value that sends SGI intid to the one
// core whose MPIDR_EL1 is mpidr (Interrupt_Routing_Mode 0).
func SGI1R(intid uint8, mpidr uint64) (uint64, error) {
	if intid >= FirstPPI {
		return 0, ErrNotSGI
	}
	aff0 := mpidr & 0xff
	aff1 := mpidr >> 8 & 0xff
	aff2 := mpidr >> 16 & 0xff
	aff3 := mpidr >> 32 & 0xff
	return 1<<(aff0%sgisPerRange) |
		aff1<<sgi1rAff1Shift |
		uint64(intid)<<sgi1rINTIDShift |
		aff2<<sgi1rAff2Shift |
		aff0/sgisPerRange<<sgi1rRSShift |
		aff3<<sgi1rAff3Shift, nil
}

// DecodeSGI1R decodes a value written to ICC_SGI1R_EL1, as a guest's
// trapped write gives it. With irm set the SGI goes to every core but the
// sender and aff and targets mean nothing. Otherwise aff is the affinity,
// in MPIDR_EL1's layout, of the first core targets can name: target bit n
// is the core with aff's Aff3.Aff2.Aff1 and Aff0 = aff's Aff0 + n.
func DecodeSGI1R(v uint64) (intid uint8, irm bool, aff uint64, targets uint16) {
	intid = uint8(v >> sgi1rINTIDShift & 0xf)
	irm = v&sgi1rIRM != 0
	aff = (v>>sgi1rAff3Shift&0xff)<<32 |
		(v>>sgi1rAff2Shift&0xff)<<16 |
		(v>>sgi1rAff1Shift&0xff)<<8 |
		(v>>sgi1rRSShift&0xf)*sgisPerRange
	targets = uint16(v & sgi1rTargetListMask)
	return intid, irm, aff, targets
}
