//go:build tamago && arm64

package hv

import (
	"sync/atomic"
	"unsafe"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/partition/table"
	"github.com/tamavisor/tamavisor/smmu"
)

// The SMMU keeps every device's DMA inside its partition: the boot core
// programs it before any other core starts, every stream ID aborting (a
// device nobody was given cannot DMA at all), and a partition's first
// core attaches the partition's stream IDs to its own stage-2 tables
// before its guest runs, and detaches them before it is wiped. Its stream
// table and queues live in the shared region, which no guest maps, at
// smmuMemoryOffset; every core reaches them at the same addresses, and
// Shared.SMMULock lets one core at a time drive the SMMU's command queue
// (never on a trap path: only at boot, a start and a stop).

// The SMMU's memory in the shared region: the stream table (up to
// 2^smmuMaxLog2 entries of 64 bytes, aligned to its size), then the event
// and command queues, each aligned to its size (the larger first).
const (
	smmuMemoryOffset  = 1 << 20
	smmuMaxLog2       = 12 // table.MaxStreamIDs: 4096 stream IDs, 256 KiB
	smmuCommandsLog2  = 5  // 512 bytes
	smmuEventsLog2    = 6  // 2 KiB
	smmuEventsStart   = smmuMemoryOffset + (1<<smmuMaxLog2)*64
	smmuCommandsStart = smmuEventsStart + (1<<smmuEventsLog2)*32
	smmuMemoryEnd     = smmuCommandsStart + (1<<smmuCommandsLog2)*16
)

func init() {
	if 1<<smmuMaxLog2 != table.MaxStreamIDs {
		panic("hv: the SMMU's stream table does not hold the stream IDs the table check allows")
	}
	if unsafe.Sizeof(Shared{}) > smmuMemoryOffset || smmuMemoryEnd > hypervisorSharedSize {
		panic("hv: the SMMU's memory does not fit the shared region after Shared")
	}
}

// smmuOf returns this core's driver of the board's SMMU over the shared
// memory, its stream table sized for log2 entries.
func smmuOf(log2 uint) smmu.SMMU {
	base := uint64(sharedBase)
	streams := unsafe.Slice((*smmu.STE)(unsafe.Pointer(uintptr(base+smmuMemoryOffset))), 1<<log2)
	commands := unsafe.Slice((*smmu.Command)(unsafe.Pointer(uintptr(base+smmuCommandsStart))), 1<<smmuCommandsLog2)
	events := unsafe.Slice((*smmu.Event)(unsafe.Pointer(uintptr(base+smmuEventsStart))), 1<<smmuEventsLog2)
	return smmu.Of(thisBoard.SMMU,
		smmu.StreamTable{Entries: streams, PA: base + smmuMemoryOffset},
		smmu.CommandQueue{Entries: commands, PA: base + smmuCommandsStart},
		smmu.EventQueue{Entries: events, PA: base + smmuEventsStart})
}

// tableView is the boot core's checked partition table, empty when the
// image has none.
func tableView() table.View {
	if partitions == nil {
		return table.View{}
	}
	return partitions.View
}

// partitionStreams returns partition p's stream ID ranges from the table.
func partitionStreams(v table.View, p int) []board.IDRange {
	var streams []board.IDRange
	for i := 0; i < v.NumStreamIDRanges(); i++ {
		if r := v.StreamIDRange(i); int(r.Partition) == p {
			streams = append(streams, board.IDRange{First: r.First, Count: r.Count})
		}
	}
	return streams
}

// initSMMU programs the SMMU on the boot core, before the other cores
// start: every stream aborts until its partition attaches it. It reports
// whether partitions with stream IDs may start. A board without an SMMU
// has none to program, and its checked table gives no partition a stream
// ID.
func initSMMU(v table.View) bool {
	if !hasSMMU {
		return v.NumStreamIDRanges() == 0
	}
	sh := shared()
	var parts []smmu.Partition
	for p := 0; p < v.NumPartitions(); p++ {
		if s := partitionStreams(v, p); len(s) > 0 {
			parts = append(parts, smmu.Partition{Streams: s})
		}
	}
	log2 := smmu.StreamTableLog2Size(parts)
	if log2 > smmuMaxLog2 {
		console.Write("tamavisor: SMMU: a stream ID beyond the ")
		console.Dec(1 << smmuMaxLog2)
		console.Write(" this firmware has room for; no partition with stream IDs starts\n")
		log2 = smmuMaxLog2
		s := smmuOf(log2)
		s.Block()
		return false
	}
	atomic.StoreUint32(&sh.SMMULog2, uint32(log2))
	s := smmuOf(log2)
	if err := s.Init(nil); err != nil {
		console.Write("tamavisor: SMMU: " + err.Error() + "; all DMA blocked, no partition with stream IDs starts\n")
		s.Block()
		return false
	}
	f := s.Features()
	console.Write("tamavisor: SMMU: stream table of ")
	console.Dec(1 << log2)
	console.Write(" entries, every stream aborting until its partition starts; ")
	console.Dec(uint64(f.InputAddrBits()))
	console.Write("-bit stage-2 input\n")
	for _, intid := range []uint32{smmuEventIRQ, smmuGErrorIRQ} {
		distributor.SetEdge(intid, true)
		distributor.Route(intid, mpidrOf(thisCore))
		distributor.EnableSPI(intid)
	}
	atomic.StoreUint32(&sh.SMMUReady, 1)
	return true
}

// attachSMMU makes the partition's devices DMA through its stage-2
// tables, before its guest runs. False means they cannot, and the
// partition must not start.
func (vc *vcpu) attachSMMU() bool {
	if len(partitionStreams(vc.view, vc.partition)) == 0 {
		return true
	}
	if atomic.LoadUint32(&shared().SMMUReady) == 0 {
		vc.say("its devices' DMA cannot be confined: the SMMU is not running\n")
		return false
	}
	return vc.changeSMMU((*smmu.SMMU).Attach)
}

// smmuStage2 describes the partition's stage-2 tables to the SMMU: from
// the tables themselves on the core that built them (vCPU 0's, before it
// publishes them), else from the VTTBR it published, since a restart may
// be led from any of the partition's cores.
func (vc *vcpu) smmuStage2() smmu.Stage2 {
	if vttbr := atomic.LoadUint64(&shared().Partition[vc.partition].VTTBR); vttbr != 0 {
		return smmu.Stage2{VMID: uint16(vttbr >> 48), Root: vttbr & vttbrBaddr, IPABits: IPABits, PABits: physAddrBits}
	}
	return smmu.Stage2Of(&vc.stage2, vc.vmid, physAddrBits)
}

// vttbrBaddr is VTTBR_EL2.BADDR, the stage-2 root: bits [47:1], the
// rest VMID and CnP.
const vttbrBaddr = 1<<48 - 2

// detachSMMU stops the partition's devices' DMA before its memory is
// wiped or handed on: every one of its streams aborts again.
func (vc *vcpu) detachSMMU() bool {
	if len(partitionStreams(vc.view, vc.partition)) == 0 || atomic.LoadUint32(&shared().SMMUReady) == 0 {
		return true
	}
	return vc.changeSMMU((*smmu.SMMU).Detach)
}

// changeSMMU attaches or detaches the partition's streams (change) under
// the SMMU's lock, saying why when it cannot.
func (vc *vcpu) changeSMMU(change func(*smmu.SMMU, smmu.Partition) error) bool {
	sh := shared()
	if err := sh.SMMULock.Acquire(uint32(thisCore)); err != nil {
		vc.say("SMMU: " + err.Error() + "\n")
		return false
	}
	s := smmuOf(uint(atomic.LoadUint32(&sh.SMMULog2)))
	err := s.Join()
	if err == nil {
		err = change(&s, smmu.Partition{Stage2: vc.smmuStage2(), Streams: partitionStreams(vc.view, vc.partition)})
	}
	sh.SMMULock.Release(uint32(thisCore))
	if err != nil {
		vc.say("SMMU: " + err.Error() + "\n")
		return false
	}
	return true
}

// smmuEvents reports the SMMU's events and global errors, one line each,
// rate-limited by the partition owning the stream: a device's DMA fault
// stops neither the hypervisor nor any partition. It runs on the boot
// core, where the SMMU's interrupts go, takes no lock and allocates
// nothing: the boot core is the event queue's only consumer, and the
// SMMU's registers it reads change under no other core. Only
// acknowledging a global error writes a register the command path also
// writes (SMMU_GERRORN); that waits until SMMULock is free when the
// event is handled, and a new error is reported once until then.
func smmuEvents() {
	sh := shared()
	if atomic.LoadUint32(&sh.SMMUReady) == 0 {
		return
	}
	v := tableView()
	s := smmuOf(uint(atomic.LoadUint32(&sh.SMMULog2)))
	var e smmu.Event
	var line [smmu.ReportSize]byte
	for s.ReadEvent(&e) {
		atomic.AddUint64(&sh.SMMUFaults, 1)
		p, owned := streamOwner(v, e.StreamID())
		if owned {
			allowed, suppressed := sh.Partition[p].FaultLines.Allow(readCounter(), readCounterFrequency())
			if suppressed > 0 {
				writePartitionPrefix(p)
				console.Dec(suppressed)
				console.Write(" more fault lines suppressed (at most 20 a second are printed)\n")
			}
			if !allowed {
				continue
			}
			writePartitionPrefix(p)
			console.Write("SMMU: ")
		} else {
			console.Write("tamavisor: SMMU: ")
		}
		for _, b := range e.AppendReport(line[:0]) {
			console.Put(b)
		}
		console.Write(": DMA aborted\n")
	}
	if s.EventsLost() {
		console.Write("tamavisor: SMMU: its event queue overflowed; events were lost\n")
	}
	g := s.GlobalErrors()
	if fresh := g &^ smmuGErrorsReported; fresh != 0 {
		console.Write("tamavisor: SMMU: global errors ")
		for _, b := range fresh.AppendNames(line[:0]) {
			console.Put(b)
		}
		console.Write("\n")
	}
	smmuGErrorsReported = g
	if g != 0 && sh.SMMULock.TryAcquire(uint32(thisCore)) {
		s.AcknowledgeGlobalErrors(g)
		sh.SMMULock.Release(uint32(thisCore))
		smmuGErrorsReported = 0
	}
}

// smmuGErrorsReported are the global errors the boot core reported and
// could not yet acknowledge.
var smmuGErrorsReported smmu.GlobalErrors

// writePartitionPrefix starts a line about partition p.
func writePartitionPrefix(p int) {
	console.Write("tamavisor: partition \"")
	name := tableView().Partition(p).Name
	for _, b := range name[:] {
		if b == 0 {
			break
		}
		console.Put(b)
	}
	console.Write("\": ")
}

// streamOwner returns the partition the table gives stream ID sid.
func streamOwner(v table.View, sid uint32) (int, bool) {
	for i := 0; i < v.NumStreamIDRanges(); i++ {
		if r := v.StreamIDRange(i); sid >= r.First && sid-r.First < r.Count {
			return int(r.Partition), true
		}
	}
	return 0, false
}

// isSMMUInterrupt reports whether intid is one of the SMMU's interrupts
// the boot core takes.
func isSMMUInterrupt(intid uint32) bool {
	return hasSMMU && (intid == smmuEventIRQ || intid == smmuGErrorIRQ)
}
