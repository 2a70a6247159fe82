package hv

import (
	"sync/atomic"

	"github.com/tamavisor/tamavisor/aarch64"
	"github.com/tamavisor/tamavisor/firmware/lifecycle"
	"github.com/tamavisor/tamavisor/firmware/vdev"
	"github.com/tamavisor/tamavisor/firmware/vdev/psci"
	"github.com/tamavisor/tamavisor/partition/table"
)

// ExitKind says why a guest stopped running and the hypervisor runs.
type ExitKind uint8

const (
	// ExitMMIO: a load or store to an IPA with no stage-2 mapping, whose
	// syndrome describes the access (ESR ISV set): it can be emulated.
	ExitMMIO ExitKind = iota + 1
	// ExitAbort: any other stage-2 data or instruction abort.
	ExitAbort
	// ExitHVC and ExitSMC: a hypervisor or secure monitor call.
	ExitHVC
	ExitSMC
	// ExitInterrupt: an IRQ or FIQ routed to EL2 arrived.
	ExitInterrupt
	// ExitSysReg: a trapped system register access (MSR, MRS, SYS).
	ExitSysReg
	// ExitWFx: a trapped WFI or WFE.
	ExitWFx
	// ExitOther: anything else the guest did that trapped (a system
	// register access, an SError, an unknown instruction class).
	ExitOther
)

// Exit is a decoded guest exit.
type Exit struct {
	Kind  ExitKind
	Class aarch64.ExceptionClass
	// IPA is the faulting guest-physical address (aborts, MMIO).
	IPA uint64
	// Access and Register describe an emulable load or store: the
	// register the guest loads into or stores from (31 = zero register).
	Access   vdev.Access
	Register int
	// SignExtend and Sixty4 say how a loaded value lands in Register.
	SignExtend, Sixty4 bool
}

// HCRGuest is HCR_EL2 while a guest runs (DDI 0487 D19.2 HCR_EL2): stage 2
// on (VM); set/way cache maintenance trapped (TSW) and carried out on the
// partition's own memory (a set/way operation on the shared level-2 cache
// would clean and evict other partitions' lines), and upgraded to
// clean+invalidate should it run (SWIO);
// physical IRQ, FIQ and SError to EL2 (IMO, FMO, AMO); the guest's TLB and
// barrier operations broadcast to the inner shareable domain (FB, BSU), as
// its vCPUs sit on different cores; SMC trapped (TSC), so no guest reaches
// the platform firmware; EL1 is AArch64 (RW). WFI and WFE are not trapped:
// a vCPU has its core to itself.
//
// ID registers (TID1..TID3) and ACTLR_EL1 (TACR) are not trapped either: a
// vCPU stays on one physical core for good, so the IDs it reads are that
// core's and true (Xen traps them to show one view across unlike cores).
// The implementation-defined controls that reach beyond the core's own
// behaviour (on the Cortex-A53: CPUECTLR, L2CTLR, L2ECTLR, L2ACTLR) are
// writable from EL1 only where ACTLR_EL2 grants it, and setupGuest sets
// ACTLR_EL2 to zero, which grants nothing, whatever firmware left there.
//
// Cache maintenance by address (TPC, TPU clear) is not trapped: it acts
// on the guest's own addresses only, through stage 2, and an invalidate
// by address is a clean and invalidate while stage 2 is on. With FB an
// instruction cache invalidate-all reaches the other cores' instruction
// caches, which hold no dirty data: at worst they refetch.
//
// The EL1 physical timer and counter are the guest's (setupGuest sets
// CNTHCTL_EL2.EL1PCEN and EL1PCTEN): a vCPU owns its core, and its timer
// interrupt, PPI 30, is injected hardware-linked like the virtual timer's.
// The physical count is the board's, not offset: the Cortex-A53 has no
// CNTPOFF_EL2, and emulating an offset would trap every timer access. A
// partition's virtual count starts at zero at each (re)start, its
// physical count never does.
const HCRGuest uint64 = 1<<0 | 1<<1 | 1<<3 | 1<<4 | 1<<5 | 1<<9 | 0b01<<10 | 1<<19 | 1<<22 | 1<<31

// PMUReadsAsZero reports a trapped Performance Monitors register access
// the hypervisor answers as zero, ignoring writes (see MDCRGuest): every
// PMU register but the event counters and their type registers, which a
// PMU of no counters does not have (undefined, as in Xen).
func PMUReadsAsZero(a aarch64.SysRegAccess) bool {
	if !a.IsPMU() {
		return false
	}
	eventCounter := a.CRn == 14 && !(a.CRm == 15 && a.Op2 == 7) // PMEVCNTR<n>, PMEVTYPER<n>; not PMCCFILTR
	return !eventCounter
}

// MDCRGuest is MDCR_EL2 while a guest runs (DDI 0487 D19.3 MDCR_EL2), from
// this core's PMCR_EL0: every Performance Monitors register traps (TPM,
// TPMCR) and reads as zero, writes ignored, except the event counter
// registers, undefined as on a PMU with no counters (PMCR_EL0.N reads 0).
// Without PMUv3.1's MDCR_EL2.HPMD (the Cortex-A53 has PMUv3 only), a
// guest that programs its PMU can count events at EL2, the hypervisor's
// work; a PMU that counts nothing gives it none (Xen's default, no vPMU).
// HPMN gives EL1 every counter, so none counts for EL2 either, and setupGuest
// leaves them disabled. Debug registers and debug exceptions stay the
// guest's (TDA, TDOSA, TDRA, TDE clear): they act on its own core only.
func MDCRGuest(pmcr uint64) uint64 {
	const tpmcr, tpm = 1 << 5, 1 << 6
	hpmn := pmcr >> 11 & 0x1f // PMCR_EL0.N
	return hpmn | tpmcr | tpm
}

// GuestEntrySPSR is the PSTATE a vCPU starts in: EL1h, all of D, A, I, F
// masked (the arm64 Linux boot protocol's state).
const GuestEntrySPSR uint64 = spsrDAIF | spsrEL1h

// Lower-EL vector offsets (DDI 0487 D1.10.2): synchronous, IRQ, FIQ and
// SError from a lower EL using AArch64.
const (
	vectorLowerSync   = 0x400
	vectorLowerIRQ    = 0x480
	vectorLowerFIQ    = 0x500
	vectorLowerSError = 0x580
)

// IPA returns the guest-physical address of a stage-2 abort: HPFAR_EL2.FIPA
// (bits [43:4]) holds IPA[51:12], FAR_EL2 the page offset (DDI 0487 D19.2
// HPFAR_EL2).
func faultIPA(hpfar, far uint64) uint64 {
	return (hpfar>>4&0xff_ffff_ffff)<<12 | far&0xfff
}

// DecodeExit reads a guest exit from the frame the vectors saved. It
// allocates nothing.
func DecodeExit(f *Frame) Exit {
	switch f.Vector {
	case vectorLowerIRQ, vectorLowerFIQ:
		return Exit{Kind: ExitInterrupt}
	case vectorLowerSync:
	default:
		return Exit{Kind: ExitOther}
	}
	esr := aarch64.ESR(f.ESR)
	e := Exit{Class: esr.Class()}
	switch e.Class {
	case aarch64.ECHVC64:
		e.Kind = ExitHVC
	case aarch64.ECSMC64:
		e.Kind = ExitSMC
	case aarch64.ECDataAbortLower:
		e.IPA = faultIPA(f.HPFAR, f.FAR)
		da := esr.DataAbort()
		e.Kind = ExitAbort
		// A translation fault with a valid syndrome, not on a stage-1
		// walk, is an access the hypervisor may emulate.
		if da.Valid && !da.S1PTW && da.Status.Level() >= 0 && da.Status&0x3c == 0x04 {
			e.Kind = ExitMMIO
			e.Register = da.Register
			e.SignExtend = da.SignExtend
			e.Sixty4 = da.Sixty4
			e.Access = vdev.Access{Offset: e.IPA, Size: da.SizeBytes, Write: da.Write}
			if da.Write {
				e.Access.Value = registerValue(f, da.Register, da.SizeBytes)
			}
		}
	case aarch64.ECInstrAbortLower:
		e.Kind = ExitAbort
		e.IPA = faultIPA(f.HPFAR, f.FAR)
	case aarch64.ECSysReg:
		e.Kind = ExitSysReg
	case aarch64.ECWFx:
		e.Kind = ExitWFx
	default:
		e.Kind = ExitOther
	}
	return e
}

// registerValue reads guest register r (31 is the zero register in a
// load/store syndrome) truncated to size bytes.
func registerValue(f *Frame, r, size int) uint64 {
	if r == 31 {
		return 0
	}
	v := f.X[r]
	if size < 8 {
		v &= 1<<(8*size) - 1
	}
	return v
}

// CompleteLoad writes value into the register a load targeted, sign- or
// zero-extended as the syndrome says, as the real load would have.
func CompleteLoad(f *Frame, e *Exit, value uint64) {
	if e.Register == 31 {
		return
	}
	size := e.Access.Size
	if size < 8 {
		value &= 1<<(8*size) - 1
		if e.SignExtend && value&(1<<(8*size-1)) != 0 {
			value |= ^uint64(0) << (8 * size)
		}
	}
	if !e.Sixty4 {
		value &= 0xffff_ffff
	}
	f.X[e.Register] = value
}

// Abort injection (DDI 0487 D1.10 "Exception entry"; how an exception is
// taken to EL1): the guest sees a synchronous external abort as if its own
// memory system had reported it.
const (
	spsrModeMask = 0b1111
	spsrEL1h     = 0b0101
	spsrEL1t     = 0b0100
	spsrDAIF     = 0b1111 << 6
	fscExternal  = 0x10
	esrIL        = 1 << 25
)

// Injection is what the hypervisor writes so the guest takes an abort.
type Injection struct {
	ESREL1  uint64 // syndrome the guest's handler reads
	FAREL1  uint64 // faulting virtual address
	ELREL1  uint64 // where the guest was: its preferred return address
	SPSREL1 uint64 // its PSTATE then
	// Vector is the offset from VBAR_EL1 to resume at, SPSR the PSTATE
	// to resume with (EL1h, all exceptions masked).
	Vector uint64
	SPSR   uint64
}

// spsrAArch32 is SPSR.M[4]: the exception came from AArch32.
const spsrAArch32 = 1 << 4

// vectorFor returns the offset from VBAR_EL1 of the synchronous exception
// vector for an exception taken to EL1 from the state spsr describes
// (DDI 0487 D1.10.2 "Exception vectors"), and whether it came from EL1.
func vectorFor(spsr uint64) (vector uint64, fromEL1 bool) {
	fromEL1 = spsr&spsrAArch32 == 0 && aarch64.SPSR(spsr).ExceptionLevel() == 1
	switch {
	case fromEL1 && spsr&spsrModeMask == spsrEL1h:
		return 0x200, true // current EL with SP_ELx
	case fromEL1:
		return 0x000, true // current EL with SP_EL0
	case spsr&spsrAArch32 != 0:
		return 0x600, false // lower EL using AArch32
	}
	return 0x400, false // lower EL (EL0) using AArch64
}

// InjectExternalAbort computes the abort a guest takes for an access the
// exit e describes.
func InjectExternalAbort(f *Frame, e Exit) Injection {
	class := uint64(aarch64.ECDataAbortSame)
	if e.Class == aarch64.ECInstrAbortLower {
		class = uint64(aarch64.ECInstrAbortSame)
	}
	vector, fromEL1 := vectorFor(f.SPSR)
	if !fromEL1 {
		class -= 1 // the "from a lower Exception level" classes
	}
	esr := class<<26 | esrIL | fscExternal
	if e.Access.Write && e.Class == aarch64.ECDataAbortLower {
		esr |= 1 << 6 // WnR
	}
	return Injection{
		ESREL1: esr, FAREL1: f.FAR, ELREL1: f.ELR, SPSREL1: f.SPSR,
		Vector: vector, SPSR: spsrDAIF | spsrEL1h,
	}
}

// InjectUndefined computes the Undefined Instruction exception (EC 0x00,
// "Unknown reason") a guest takes for an instruction that trapped and that
// the hypervisor does not emulate, as the CPU would raise it for an
// instruction it does not implement: ELR at the instruction itself, FAR
// not meaningful (zero).
func InjectUndefined(f *Frame) Injection {
	vector, _ := vectorFor(f.SPSR)
	return Injection{
		ESREL1: uint64(aarch64.ECUnknown)<<26 | esrIL, ELREL1: f.ELR, SPSREL1: f.SPSR,
		Vector: vector, SPSR: spsrDAIF | spsrEL1h,
	}
}

// CallImmediate returns the immediate of a trapped HVC or SMC (ESR_EL2
// ISS[15:0], DDI 0487 D17.2.37); SMCCC calls use 0.
func CallImmediate(esr uint64) uint16 { return uint16(esr) }

// TrapCounts counts one core's guest exits by reason. Only its own core
// writes it (atomically, so others may read it at any time).
type TrapCounts struct {
	IRQ, MMIO, Call, SysReg, WFx, Abort, Other uint64
	// SGIsDropped counts virtual SGIs the guest aimed at vCPUs its
	// partition does not have.
	SGIsDropped uint64
	// SetWay counts the guest's set/way cache maintenance operations.
	SetWay uint64
	// ForeignIRQ counts physical interrupts that reached the core
	// although its partition does not own them: none, while every
	// SPI is routed to a core of its own partition.
	ForeignIRQ uint64
}

// Add counts one exit of kind k.
func (c *TrapCounts) Add(k ExitKind) {
	var n *uint64
	switch k {
	case ExitInterrupt:
		n = &c.IRQ
	case ExitMMIO:
		n = &c.MMIO
	case ExitHVC, ExitSMC:
		n = &c.Call
	case ExitSysReg:
		n = &c.SysReg
	case ExitWFx:
		n = &c.WFx
	case ExitAbort:
		n = &c.Abort
	default:
		n = &c.Other
	}
	atomic.AddUint64(n, 1)
}

// WriteTrapCounts writes one line of core's counts.
func WriteTrapCounts(c *Console, core int, t *TrapCounts) {
	c.Write("tamavisor: traps core ")
	c.Dec(uint64(core))
	for _, f := range [...]struct {
		name string
		n    *uint64
	}{{": irq ", &t.IRQ}, {", mmio ", &t.MMIO}, {", hvc/smc ", &t.Call}, {", sysreg ", &t.SysReg},
		{", wfx ", &t.WFx}, {", abort ", &t.Abort}, {", other ", &t.Other}, {", sgi dropped ", &t.SGIsDropped},
		{", set/way ", &t.SetWay}, {", foreign irq ", &t.ForeignIRQ}} {
		c.Write(f.name)
		c.Dec(atomic.LoadUint64(f.n))
	}
	c.Put('\n')
}

// SGITargets works out which vCPUs of a partition of vcpus vCPUs a guest's
// ICC_SGI1R_EL1 write (already decoded: IRM, the affinity whose Aff0 is
// the first target, the 16-bit target list) reaches, as a vCPU bit mask;
// dropped counts targets the partition does not have. Guests see vCPU i
// at affinity 0.0.0.i.
func SGITargets(irm bool, aff uint64, targets uint16, vcpus, self int) (reach uint64, dropped int) {
	if irm {
		return (1<<vcpus - 1) &^ (1 << self), 0
	}
	for n := 0; n < 16; n++ {
		if targets&(1<<n) == 0 {
			continue
		}
		v := aff + uint64(n)
		if aff>>8 != 0 || v >= uint64(vcpus) {
			dropped++
			continue
		}
		reach |= 1 << v
	}
	return reach, dropped
}

// WritePartitionStatus writes one line about partition name, whose
// lifecycle is life and which has vcpus vCPUs: its phase, each vCPU's
// state, how often it restarted and why it last stopped or restarted, and
// its watchdog (timeout in ms and action; 0 for none).
func WritePartitionStatus(c *Console, name string, life *lifecycle.State, vcpus int, watchdogMS uint32, watchdog string) {
	c.Write("tamavisor: status \"")
	c.Write(name)
	c.Write("\": ")
	c.Write(life.Phase().String())
	c.Write("; vCPUs")
	for v := 0; v < vcpus; v++ {
		if v > 0 {
			c.Put(',')
		}
		c.Put(' ')
		c.Dec(uint64(v))
		c.Put(' ')
		c.Write(life.VCPU(v).String())
	}
	c.Write("; restarts ")
	c.Dec(uint64(life.Restarts()))
	if r := life.LastReason(); r != lifecycle.ReasonNone {
		c.Write("; last ")
		c.Write(life.LastAction().String())
		c.Write(": ")
		c.Write(r.String())
	}
	if watchdogMS > 0 {
		c.Write("; watchdog ")
		c.Dec(uint64(watchdogMS))
		c.Write(" ms, ")
		c.Write(watchdog)
	}
	c.Put('\n')
}

// PhysicalSPI says how the physical distributor carries a partition's
// passed-through SPI: enabled only when the guest enabled it in its
// virtual distributor and its IROUTER names one of the partition's vCPUs
// (target, NoVCPU otherwise), and then routed to that vCPU's core. mask
// is the partition's cores, vCPU i on the i-th.
func PhysicalSPI(mask uint64, enabled bool, target int) (core int, enable bool) {
	if !enabled || target < 0 {
		return 0, false
	}
	return psci.CoreOfVCPU(mask, target)
}

// DoorbellIndex returns which of partition's doorbell frames is channel's:
// the partition's doorbells are its channels with a doorbell, in table
// order (board.DoorbellFrame). ok is false when the channel has no
// doorbell or the partition is not a member.
func DoorbellIndex(v table.View, partition, channel int) (k int, ok bool) {
	if partition < 0 || partition >= 64 || channel < 0 || channel >= v.NumChannels() {
		return 0, false
	}
	for c := 0; c <= channel; c++ {
		ch := v.Channel(c)
		if ch.Doorbell == 0 || ch.Members&(1<<partition) == 0 {
			continue
		}
		if c == channel {
			return k, true
		}
		k++
	}
	return 0, false
}
