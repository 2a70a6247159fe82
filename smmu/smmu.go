package smmu

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/driver/mmio"
)

// StreamTable is the linear stream table: Entries as the cores reach
// them, PA where the SMMU reads them. Entry n configures stream ID n; the
// number of entries is a power of two and PA a multiple of the table's
// size.
type StreamTable struct {
	Entries []STE
	PA      uint64
}

// CommandQueue is the command queue's memory: a power-of-two number of
// entries at PA, a multiple of the queue's size (at least 32 bytes).
type CommandQueue struct {
	Entries []Command
	PA      uint64
}

// EventQueue is the event queue's memory, laid out as CommandQueue's.
type EventQueue struct {
	Entries []Event
	PA      uint64
}

// SMMU is one SMMUv3, its registers at Base.
//
// Its methods are not safe for concurrent use: the firmware calls them
// from one core at a time (every core that does maps the stream table and
// the queues at the same addresses). They keep no copy of the queue
// indexes, reading them from the SMMU instead, so any such core may
// continue where another stopped.
type SMMU struct {
	Base uint64
	// StreamIDBits is the width of stream IDs the board gives devices;
	// Init checks that the SMMU takes them.
	StreamIDBits uint
	Streams      StreamTable
	Commands     CommandQueue
	Events       EventQueue

	features Features
	// cmdErr is the last command error, kept here so returning it
	// allocates nothing.
	cmdErr CommandError
}

// Of returns the driver of a board's SMMU, with its stream table and
// queues in the given memory.
func Of(b board.SMMU, streams StreamTable, commands CommandQueue, events EventQueue) SMMU {
	return SMMU{Base: b.Regs.Base, StreamIDBits: b.StreamIDBits, Streams: streams, Commands: commands, Events: events}
}

// pollLimit bounds every wait for the SMMU (an update or enable
// acknowledged, a command consumed): about a million register reads,
// a tenth of a second or so, far beyond what these take. Nothing sleeps.
const pollLimit = 1 << 20

// cfgiAllAbove is the number of streams from which one CMD_CFGI_ALL
// replaces a CMD_CFGI_STE per stream (a PCIe host's 64Ki requester IDs).
const cfgiAllAbove = 32

// Errors of a wait that did not end, each naming the register. They are
// fixed values, so returning one allocates nothing.
var (
	ErrGBPAUpdate = errors.New("smmu: SMMU_GBPA.Update stayed set: the SMMU did not complete " +
		"a change of what it does while disabled")
	ErrCR0ACK = errors.New("smmu: SMMU_CR0ACK did not follow SMMU_CR0: the SMMU did not acknowledge " +
		"enabling or disabling translation or a queue")
	ErrIRQCtrlAck = errors.New("smmu: SMMU_IRQ_CTRLACK did not follow SMMU_IRQ_CTRL: the SMMU did not " +
		"acknowledge enabling or disabling its interrupts")
	ErrCommandQueueFull = errors.New("smmu: SMMU_CMDQ_CONS did not advance: the command queue stayed full")
	ErrSyncTimeout      = errors.New("smmu: SMMU_CMDQ_CONS did not pass CMD_SYNC: the SMMU did not " +
		"complete its commands")
	ErrNotInitialized = errors.New("smmu: the SMMU is not initialized (Init)")
)

// CommandError is an error the SMMU reported for a command (SMMU_GERROR.
// CMDQ_ERR, with the reason in SMMU_CMDQ_CONS.ERR; IHI 0070, 7.1
// "Command queue errors"). The driver replaced the command with a
// CMD_SYNC and let the SMMU go on: whatever it was to invalidate may still
// be cached.
type CommandError struct {
	Opcode Opcode
	// Code is SMMU_CMDQ_CONS.ERR: 1 CERROR_ILL, 2 CERROR_ABT, 3
	// CERROR_ATC_INV_SYNC.
	Code uint8
}

func (e *CommandError) Error() string {
	var reason string
	switch e.Code {
	case 1:
		reason = "illegal command (CERROR_ILL)"
	case 2:
		reason = "external abort reading the command (CERROR_ABT)"
	case 3:
		reason = "ATC invalidation not completed (CERROR_ATC_INV_SYNC)"
	default:
		reason = fmt.Sprintf("error %#x", e.Code)
	}
	return fmt.Sprintf("smmu: the SMMU refused %s: %s; it was skipped", e.Opcode, reason)
}

// Block makes every transaction abort, whatever the stream table says:
// it sets SMMU_GBPA.ABORT, and then clears SMMU_CR0 (translation and the
// queues off), after which the SMMU applies SMMU_GBPA to all traffic. GBPA
// goes first, so no transaction bypasses translation in between. Init
// does this before it programs anything; the firmware calls it when Init
// fails, so no DMA passes an SMMU it could not program.
func (s *SMMU) Block() error {
	if !s.waitClear(regGBPA, gbpaUpdate) {
		return ErrGBPAUpdate
	}
	gbpa := s.read(regGBPA)
	s.write(regGBPA, gbpa|gbpaAbort|gbpaUpdate)
	if !s.waitClear(regGBPA, gbpaUpdate) {
		return ErrGBPAUpdate
	}
	return s.writeCR0(0)
}

// Init checks that the SMMU can isolate partitions, blocks all traffic,
// programs the stream table with BuildStreamTable(partitions) and the
// queues, invalidates whatever the SMMU cached, and enables the command
// queue, the event queue, their interrupts (wired: the board's eventq
// and gerror SPIs) and translation. partitions may be empty: Attach adds
// them later.
//
// It fails without touching the SMMU when the SMMU, the board or the
// memory given to the driver do not fit; call Block then. After a failure
// later on, the SMMU is left aborting all traffic.
func (s *SMMU) Init(partitions []Partition) error {
	f := DecodeFeatures(s.read(regIDR0), s.read(regIDR1), s.read(regIDR5))
	if err := s.check(f); err != nil {
		return err
	}
	for _, p := range partitions {
		if err := checkStage2(f, p.Stage2); err != nil {
			return err
		}
	}

	s.features = Features{} // not initialized until the end
	if err := s.Block(); err != nil {
		return err
	}
	if err := s.writeIRQCtrl(0); err != nil {
		return err
	}
	// Errors left by earlier firmware are not ours to report.
	s.write(regGErrorN, s.read(regGError))

	if err := BuildStreamTable(s.Streams.Entries, partitions); err != nil {
		return err
	}
	dataSync() // the table is in memory before the SMMU may read it

	s.write(regCR1, cr1Coherent)
	s.write(regCR2, cr2RecInvSID|cr2PTM)
	s.write64(regStrtabBase, strtabBaseRA|s.Streams.PA&strtabBaseAddrMask)
	s.write(regStrtabBaseCfg, strtabFmtLinear<<strtabCfgFmtShift|uint32(log2(len(s.Streams.Entries))))
	s.write64(regCmdqBase, queueBaseAllocate|s.Commands.PA&queueBaseAddrMask|uint64(log2(len(s.Commands.Entries))))
	s.write(regCmdqProd, 0)
	s.write(regCmdqCons, 0)
	s.write64(regEventqBase, queueBaseAllocate|s.Events.PA&queueBaseAddrMask|uint64(log2(len(s.Events.Entries))))
	s.write(regEventqProd, 0)
	s.write(regEventqCons, 0)
	if f.MSI {
		// No MSI address: the SMMU signals its wired interrupts.
		s.write64(regGErrorIRQCfg0, 0)
		s.write64(regEventqIRQCfg0, 0)
	}

	if err := s.writeCR0(cr0CmdQEN); err != nil {
		return err
	}
	if err := s.Submit(CFGIAll(), TLBINSNHAll()); err != nil {
		return err
	}
	if err := s.writeCR0(cr0CmdQEN | cr0EventQEN); err != nil {
		return err
	}
	if err := s.writeIRQCtrl(irqCtrlGErrorEn | irqCtrlEventQEn); err != nil {
		return err
	}
	if err := s.writeCR0(cr0CmdQEN | cr0EventQEN | cr0SMMUEN); err != nil {
		return err
	}
	s.features = f
	return nil
}

// Features returns what Init found the SMMU to support.
func (s *SMMU) Features() Features { return s.features }

// check compares the SMMU's features with what the driver needs and with
// the board and the memory it was given.
func (s *SMMU) check(f Features) error {
	at := fmt.Sprintf("smmu: the SMMU at %#x", s.Base)
	switch {
	case !f.Stage2:
		return fmt.Errorf("%s has no stage-2 translation (SMMU_IDR0.S2P is 0), which confining DMA to "+
			"partitions needs; QEMU's SMMUv3 has it with -global arm-smmuv3.stage=2", at)
	case !f.AArch64Tables:
		return fmt.Errorf("%s does not walk AArch64 translation tables (SMMU_IDR0.TTF)", at)
	case !f.LittleEndian:
		return fmt.Errorf("%s walks big-endian translation tables only (SMMU_IDR0.TTENDIAN)", at)
	case !f.Granule4K:
		return fmt.Errorf("%s has no 4 KiB translation granule (SMMU_IDR5.GRAN4K is 0)", at)
	case !f.Coherent:
		// Its reads would bypass the cores' caches: after Detach it could
		// still find a translating entry in memory. The driver does no
		// cache maintenance, so it refuses rather than isolate by luck.
		return fmt.Errorf("%s is not coherent with the cores' caches (SMMU_IDR0.COHACC is 0); "+
			"this driver needs one that is", at)
	case f.TablesPreset || f.QueuesPreset:
		return fmt.Errorf("%s has its stream table or queues at fixed addresses "+
			"(SMMU_IDR1.TABLES_PRESET, QUEUES_PRESET); this driver places them", at)
	case f.StreamIDBits < s.StreamIDBits:
		return fmt.Errorf("smmu: the board's SMMU.StreamIDBits is %d, but the SMMU at %#x takes %d-bit stream IDs "+
			"(SMMU_IDR1.SIDSIZE); correct SMMU.StreamIDBits in the board description",
			s.StreamIDBits, s.Base, f.StreamIDBits)
	}
	if err := checkBuffer("stream table", len(s.Streams.Entries), STESize, s.Streams.PA, f.StreamIDBits,
		"SMMU_IDR1.SIDSIZE"); err != nil {
		return err
	}
	if err := checkBuffer("command queue", len(s.Commands.Entries), CommandSize, s.Commands.PA,
		f.CommandQueueLog2, "SMMU_IDR1.CMDQS"); err != nil {
		return err
	}
	return checkBuffer("event queue", len(s.Events.Entries), EventSize, s.Events.PA, f.EventQueueLog2,
		"SMMU_IDR1.EVENTQS")
}

// checkBuffer checks that a table or queue of n entries of size bytes at
// pa is a power of two of at most 2^maxLog2 entries, aligned to its size
// (and to 64 bytes, an STE's size, or 32, a queue's least).
func checkBuffer(what string, n, size int, pa uint64, maxLog2 uint, limit string) error {
	if n == 0 || n&(n-1) != 0 {
		return fmt.Errorf("smmu: the %s has %d entries; it needs a power of two", what, n)
	}
	if log2(n) > maxLog2 {
		return fmt.Errorf("smmu: the %s has %d entries, more than the SMMU's 2^%d (%s)", what, n, maxLog2, limit)
	}
	align := max(uint64(n)*uint64(size), 32)
	if pa%align != 0 || pa>>maxOutputBits != 0 {
		return fmt.Errorf("smmu: the %s is at %#x, not a multiple of its size %#x", what, pa, align)
	}
	return nil
}

// checkStage2 checks that the SMMU can walk a partition's stage 2.
func checkStage2(f Features, s Stage2) error {
	if err := s.Check(); err != nil {
		return err
	}
	switch {
	case s.VMID > f.maxVMID():
		return fmt.Errorf("smmu: VMID %d does not fit the SMMU's 8-bit VMIDs (SMMU_IDR0.VMID16 is 0)", s.VMID)
	case s.IPABits > f.InputAddrBits():
		return fmt.Errorf("smmu: stage 2 of VMID %d translates %d-bit guest physical addresses, "+
			"but the SMMU's input is %d bits", s.VMID, s.IPABits, f.InputAddrBits())
	case s.PABits > f.OutputAddrBits:
		return fmt.Errorf("smmu: stage 2 of VMID %d outputs %d-bit physical addresses, "+
			"but the SMMU's output is %d bits (SMMU_IDR5.OAS)", s.VMID, s.PABits, f.OutputAddrBits)
	}
	return nil
}

// Join lets s drive an SMMU that Init, through another SMMU value over
// the same stream table and queues (on another core), enabled: it reads
// the SMMU's features and checks that translation is on. It writes
// nothing, so it cannot disturb traffic.
func (s *SMMU) Join() error {
	if s.read(regCR0ACK)&cr0SMMUEN == 0 {
		return ErrNotInitialized
	}
	f := DecodeFeatures(s.read(regIDR0), s.read(regIDR1), s.read(regIDR5))
	if err := s.check(f); err != nil {
		return err
	}
	s.features = f
	return nil
}

// Attach lets p's streams translate through p's stage 2, on an SMMU in
// use: each entry's other words are written before word 0 turns it from
// abort to stage 2, then the SMMU's cached entries and any TLB entries of
// p's VMID (from an earlier life of the partition) are invalidated. It
// returns once the SMMU has completed that. It changes nothing if a stream
// of p already translates.
func (s *SMMU) Attach(p Partition) error {
	if !s.features.Stage2 {
		return ErrNotInitialized
	}
	if err := checkStage2(s.features, p.Stage2); err != nil {
		return err
	}
	table := s.Streams.Entries
	if err := checkStreams(table, p); err != nil {
		return err
	}
	e := Stage2STE(p.Stage2)
	s.forEachStream(p, func(sid uint64) {
		copy(table[sid][1:], e[1:])
	})
	dataSync()
	s.forEachStream(p, func(sid uint64) {
		table[sid][0] = e[0]
	})
	dataSync()
	return s.invalidate(p)
}

// Detach makes p's streams abort again, on an SMMU in use: word 0 turns
// each entry to abort before its other words are cleared, then the SMMU's
// cached entries and the TLB entries of p's VMID are invalidated. When it
// returns, no transaction of p's devices reaches memory through the old
// translation. It changes nothing if one of the streams translates for
// another VMID.
func (s *SMMU) Detach(p Partition) error {
	if !s.features.Stage2 {
		return ErrNotInitialized
	}
	table := s.Streams.Entries
	for _, r := range p.Streams {
		end := uint64(r.First) + uint64(r.Count)
		if end > uint64(len(table)) {
			return fmt.Errorf("smmu: stream IDs %#x..%#x of the partition with VMID %d lie beyond the stream table "+
				"of %d entries", r.First, end-1, p.Stage2.VMID, len(table))
		}
		for sid := uint64(r.First); sid < end; sid++ {
			if e := &table[sid]; e.Translates() && e.VMID() != p.Stage2.VMID {
				return fmt.Errorf("smmu: stream ID %#x translates for VMID %d, not for the partition with VMID %d",
					sid, e.VMID(), p.Stage2.VMID)
			}
		}
	}
	abort := AbortSTE()
	s.forEachStream(p, func(sid uint64) {
		table[sid][0] = abort[0]
	})
	dataSync()
	s.forEachStream(p, func(sid uint64) {
		copy(table[sid][1:], abort[1:])
	})
	dataSync()
	return s.invalidate(p)
}

func (s *SMMU) forEachStream(p Partition, fn func(sid uint64)) {
	for _, r := range p.Streams {
		for sid := uint64(r.First); sid < uint64(r.First)+uint64(r.Count); sid++ {
			fn(sid)
		}
	}
}

// invalidate makes the SMMU forget what it cached of p's stream table
// entries and of p's stage 2, and waits until it has.
func (s *SMMU) invalidate(p Partition) error {
	streams := uint64(0)
	for _, r := range p.Streams {
		streams += uint64(r.Count)
	}
	if streams > cfgiAllAbove {
		if err := s.queue(CFGIAll()); err != nil {
			return err
		}
	} else {
		for _, r := range p.Streams {
			for sid := uint64(r.First); sid < uint64(r.First)+uint64(r.Count); sid++ {
				if err := s.queue(CFGISTE(uint32(sid), true)); err != nil {
					return err
				}
			}
		}
	}
	return s.Submit(TLBIS12VMAll(p.Stage2.VMID))
}

// Submit queues cmds followed by a CMD_SYNC and waits until the SMMU has
// consumed the CMD_SYNC, so that every command has taken effect. A change
// to a partition's stage-2 tables while its streams translate takes
// effect for DMA with Submit(TLBIS12VMAll(vmid)).
func (s *SMMU) Submit(cmds ...Command) error {
	if err := s.queue(cmds...); err != nil {
		return err
	}
	if err := s.queue(Sync(SyncSignalNone)); err != nil {
		return err
	}
	q := s.commandQueue()
	prod := s.read(regCmdqProd)
	for range pollLimit {
		if err := s.commandError(); err != nil {
			return err
		}
		if q.Empty(prod, s.read(regCmdqCons)) {
			return nil
		}
	}
	return ErrSyncTimeout
}

// queue writes cmds to the command queue and hands them to the SMMU. When
// the queue is full it hands over what it has written and waits for room.
func (s *SMMU) queue(cmds ...Command) error {
	q := s.commandQueue()
	prod := s.read(regCmdqProd) & q.wrapMask()
	cons := s.read(regCmdqCons)
	for _, c := range cmds {
		if q.Full(prod, cons) {
			s.publish(prod)
			var err error
			if cons, err = s.waitForRoom(q, prod); err != nil {
				return err
			}
		}
		s.Commands.Entries[q.Index(prod)] = c
		prod = q.Next(prod)
	}
	s.publish(prod)
	return nil
}

// publish tells the SMMU the commands up to prod are in the queue.
func (s *SMMU) publish(prod uint32) {
	dataSync() // the entries are in memory before the SMMU may read them
	s.write(regCmdqProd, prod)
}

// waitForRoom waits until the SMMU has consumed a command of a full
// queue, and returns SMMU_CMDQ_CONS.
func (s *SMMU) waitForRoom(q Queue, prod uint32) (cons uint32, err error) {
	for range pollLimit {
		if err := s.commandError(); err != nil {
			return 0, err
		}
		if cons = s.read(regCmdqCons); !q.Full(prod, cons) {
			return cons, nil
		}
	}
	return 0, ErrCommandQueueFull
}

// commandError reports a command the SMMU refused. It replaces the
// command, at SMMU_CMDQ_CONS, with a CMD_SYNC and acknowledges the error,
// so the SMMU goes on with the commands after it (IHI 0070, 7.1).
func (s *SMMU) commandError() error {
	gerror, gerrorn := s.read(regGError), s.read(regGErrorN)
	if (gerror^gerrorn)&gerrorCmdqErr == 0 {
		return nil
	}
	cons := s.read(regCmdqCons)
	at := &s.Commands.Entries[s.commandQueue().Index(cons)]
	s.cmdErr = CommandError{Opcode: at.Opcode(), Code: uint8(cons >> cmdqConsErrShift & cmdqConsErrMask)}
	*at = Sync(SyncSignalNone)
	dataSync()
	s.write(regGErrorN, gerrorn^gerrorCmdqErr)
	return &s.cmdErr
}

// ReadEvent takes the oldest event from the event queue into e, and
// reports whether there was one. It allocates nothing.
func (s *SMMU) ReadEvent(e *Event) bool {
	q := s.eventQueue()
	prod, cons := s.read(regEventqProd), s.read(regEventqCons)
	if q.Empty(prod, cons) {
		return false
	}
	dataSync() // the record is read only after SMMU_EVENTQ_PROD said it is there
	*e = s.Events.Entries[q.Index(cons)]
	dataSync() // and read whole before the SMMU may write the entry again
	s.write(regEventqCons, q.Next(cons)|cons&eventqOverflow)
	return true
}

// EventsLost reports whether the event queue overflowed since the last
// call, so that the SMMU dropped events (SMMU_EVENTQ_PROD.OVFLG differs
// from SMMU_EVENTQ_CONS.OVACKFLG), and acknowledges the overflow. It
// allocates nothing.
func (s *SMMU) EventsLost() bool {
	prod, cons := s.read(regEventqProd), s.read(regEventqCons)
	if (prod^cons)&eventqOverflow == 0 {
		return false
	}
	s.write(regEventqCons, cons&^eventqOverflow|prod&eventqOverflow)
	return true
}

// GlobalErrors is a set of SMMU_GERROR bits (IHI 0070, 6.3 SMMU_GERROR).
type GlobalErrors uint32

const (
	GErrorCommandQueue    GlobalErrors = 1 << 0 // CMDQ_ERR
	GErrorEventQueueAbort GlobalErrors = 1 << 2 // EVENTQ_ABT_ERR
	GErrorPRIQueueAbort   GlobalErrors = 1 << 3 // PRIQ_ABT_ERR
	GErrorMSICommandQueue GlobalErrors = 1 << 4 // MSI_CMDQ_ABT_ERR
	GErrorMSIEventQueue   GlobalErrors = 1 << 5 // MSI_EVENTQ_ABT_ERR
	GErrorMSIPRIQueue     GlobalErrors = 1 << 6 // MSI_PRIQ_ABT_ERR
	GErrorMSIGError       GlobalErrors = 1 << 7 // MSI_GERROR_ABT_ERR
	GErrorServiceFailure  GlobalErrors = 1 << 8 // SFM_ERR
)

var globalErrorNames = [...]string{
	0: "CMDQ_ERR", 2: "EVENTQ_ABT_ERR", 3: "PRIQ_ABT_ERR", 4: "MSI_CMDQ_ABT_ERR",
	5: "MSI_EVENTQ_ABT_ERR", 6: "MSI_PRIQ_ABT_ERR", 7: "MSI_GERROR_ABT_ERR", 8: "SFM_ERR",
}

// AppendNames appends the errors' names in the specification, separated
// by commas, to dst. It allocates nothing when dst has room.
func (g GlobalErrors) AppendNames(dst []byte) []byte {
	first := true
	for bit, name := range globalErrorNames {
		if g&(1<<bit) == 0 || name == "" {
			continue
		}
		if !first {
			dst = append(dst, ", "...)
		}
		dst = append(dst, name...)
		first = false
	}
	return dst
}

func (g GlobalErrors) String() string { return string(g.AppendNames(nil)) }

// GlobalErrors returns the active global errors: the bits where
// SMMU_GERROR and SMMU_GERRORN differ. It allocates nothing.
func (s *SMMU) GlobalErrors() GlobalErrors {
	return GlobalErrors((s.read(regGError) ^ s.read(regGErrorN)) & gerrorMask)
}

// AcknowledgeGlobalErrors acknowledges the active errors of g by toggling
// their bits in SMMU_GERRORN. CMDQ_ERR is left to the command path, which
// skips the refused command first. It allocates nothing.
func (s *SMMU) AcknowledgeGlobalErrors(g GlobalErrors) {
	gerrorn := s.read(regGErrorN)
	active := (s.read(regGError) ^ gerrorn) & gerrorMask
	s.write(regGErrorN, gerrorn^(active&uint32(g)&^gerrorCmdqErr))
}

func (s *SMMU) commandQueue() Queue { return Queue{Log2Size: uint8(log2(len(s.Commands.Entries)))} }
func (s *SMMU) eventQueue() Queue   { return Queue{Log2Size: uint8(log2(len(s.Events.Entries)))} }

// writeCR0 changes SMMU_CR0 and waits until SMMU_CR0ACK shows the change.
func (s *SMMU) writeCR0(v uint32) error {
	s.write(regCR0, v)
	if !s.waitEqual(regCR0ACK, v) {
		return ErrCR0ACK
	}
	return nil
}

// writeIRQCtrl changes SMMU_IRQ_CTRL and waits until SMMU_IRQ_CTRLACK
// shows the change.
func (s *SMMU) writeIRQCtrl(v uint32) error {
	s.write(regIRQCtrl, v)
	if !s.waitEqual(regIRQCtrlAck, v) {
		return ErrIRQCtrlAck
	}
	return nil
}

// waitClear polls the register at off until mask is clear, at most
// pollLimit times, and reports whether it cleared.
func (s *SMMU) waitClear(off uint64, mask uint32) bool {
	for range pollLimit {
		if s.read(off)&mask == 0 {
			return true
		}
	}
	return false
}

// waitEqual polls the register at off until it reads v, at most pollLimit
// times, and reports whether it did.
func (s *SMMU) waitEqual(off uint64, v uint32) bool {
	for range pollLimit {
		if s.read(off) == v {
			return true
		}
	}
	return false
}

func (s *SMMU) read(off uint64) uint32     { return mmio.Read32(s.Base + off) }
func (s *SMMU) write(off uint64, v uint32) { mmio.Write32(s.Base+off, v) }
func (s *SMMU) write64(off, v uint64)      { mmio.Write64(s.Base+off, v) }

// log2 returns the log2 of a power of two.
func log2(n int) uint { return uint(bits.TrailingZeros(uint(n))) }
