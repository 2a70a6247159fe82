//go:build !tamago

package smmu

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/board/qemuvirt"
)

// Where the tests place the driver's memory: each a multiple of its size.
const (
	testStreamsPA  = 0x4020_0000
	testCommandsPA = 0x4030_0000
	testEventsPA   = 0x4031_0000
)

func newTestSMMU(streams, commands, events int) *SMMU {
	s := Of(qemuvirt.Board.SMMU,
		StreamTable{Entries: make([]STE, streams), PA: testStreamsPA},
		CommandQueue{Entries: make([]Command, commands), PA: testCommandsPA},
		EventQueue{Entries: make([]Event, events), PA: testEventsPA})
	return &s
}

// initialized returns an SMMU Init has enabled with partitions, and its
// model with the log of Init's writes and commands cleared.
func initialized(t *testing.T, commands int, partitions ...Partition) (*SMMU, *smmuModel) {
	t.Helper()
	s := newTestSMMU(256, commands, 8)
	m := newModel(s)
	t.Cleanup(m.install())
	require.NoError(t, s.Init(partitions))
	require.Empty(t, m.violations)
	m.log, m.executed = nil, nil
	return s, m
}

// Init's writes, in order: everything aborts first, the structures are
// programmed with the SMMU off, the command queue comes up and flushes
// what the SMMU may have cached, then events, interrupts, translation.
func TestInit(t *testing.T) {
	s := newTestSMMU(256, 16, 8)
	m := newModel(s)
	m.regs[regCR0], m.ackNow = cr0SMMUEN|cr0CmdQEN, cr0SMMUEN|cr0CmdQEN // left on by earlier firmware
	defer m.install()()

	require.NoError(t, s.Init([]Partition{ecu, infotainment}))
	assert.Empty(t, m.violations)
	assert.Equal(t, []string{
		"GBPA<-0x80101000", // ABORT with Update, keeping SHCFG
		"CR0<-0x0",
		"IRQ_CTRL<-0x0",
		"GERRORN<-0x0", // nothing left by earlier firmware
		"DSB",          // the stream table is in memory
		"CR1<-0xd75",   // write-back, inner shareable tables and queues
		"CR2<-0x6",     // PTM, RECINVSID
		"STRTAB_BASE<-0x4000000040200000",
		"STRTAB_BASE_CFG<-0x8", // linear, 256 entries
		"CMDQ_BASE<-0x4000000040300004",
		"CMDQ_PROD<-0x0",
		"CMDQ_CONS<-0x0",
		"EVENTQ_BASE<-0x4000000040310003",
		"EVENTQ_PROD<-0x0",
		"EVENTQ_CONS<-0x0",
		"CR0<-0x8", // CMDQEN
		"DSB", "CMDQ_PROD<-0x2",
		"DSB", "CMDQ_PROD<-0x3",
		"CR0<-0xc",      // EVENTQEN
		"IRQ_CTRL<-0x5", // GERROR_IRQEN, EVENTQ_IRQEN
		"CR0<-0xd",      // SMMUEN
	}, m.log)
	assert.Equal(t, []Command{CFGIAll(), TLBINSNHAll(), Sync(SyncSignalNone)}, m.executed)
	assert.Equal(t, uint32(cr0SMMUEN|cr0CmdQEN|cr0EventQEN), m.ackNow)
	assert.Equal(t, uint32(gbpaAbort|0x1000), m.gbpa, "disabled again, the SMMU would abort everything")
	checkOnlyTheseTranslate(t, s.Streams.Entries, []Partition{ecu, infotainment})
	assert.Equal(t, s.Streams.Entries, m.cached)
	assert.Equal(t, m.Features(), s.Features())
}

func (m *smmuModel) Features() Features { return DecodeFeatures(m.idr0, m.idr1, m.idr5) }

// An SMMU with MSIs is told to use its wired interrupts.
func TestInitWithMSIs(t *testing.T) {
	s := newTestSMMU(1, 2, 1)
	m := newModel(s)
	m.idr0 |= idr0MSI
	defer m.install()()
	require.NoError(t, s.Init(nil))
	assert.Empty(t, m.violations)
	assert.Contains(t, m.log, "GERROR_IRQ_CFG0<-0x0")
	assert.Contains(t, m.log, "EVENTQ_IRQ_CFG0<-0x0")
	assert.Equal(t, AbortSTE(), s.Streams.Entries[0])
}

// An SMMU, board or memory the driver cannot use is refused before the
// SMMU is touched.
func TestInitRefusals(t *testing.T) {
	for _, tc := range []struct {
		name       string
		change     func(m *smmuModel, s *SMMU)
		partitions []Partition
		want       string
	}{
		{"stage 1 only, QEMU's default", func(m *smmuModel, s *SMMU) { m.idr0 = m.idr0&^idr0S2P | idr0S1P }, nil,
			"smmu: the SMMU at 0x9050000 has no stage-2 translation (SMMU_IDR0.S2P is 0), which confining DMA to " +
				"partitions needs; QEMU's SMMUv3 has it with -global arm-smmuv3.stage=2"},
		{"AArch32 tables only", func(m *smmuModel, s *SMMU) { m.idr0 = m.idr0&^(0b11<<2) | 0b01<<2 }, nil,
			"smmu: the SMMU at 0x9050000 does not walk AArch64 translation tables (SMMU_IDR0.TTF)"},
		{"big-endian tables only", func(m *smmuModel, s *SMMU) { m.idr0 |= 0b11 << 21 }, nil,
			"smmu: the SMMU at 0x9050000 walks big-endian translation tables only (SMMU_IDR0.TTENDIAN)"},
		{"no 4 KiB granule", func(m *smmuModel, s *SMMU) { m.idr5 &^= idr5Gran4K }, nil,
			"smmu: the SMMU at 0x9050000 has no 4 KiB translation granule (SMMU_IDR5.GRAN4K is 0)"},
		{"not coherent", func(m *smmuModel, s *SMMU) { m.idr0 &^= idr0COHACC }, nil,
			"smmu: the SMMU at 0x9050000 is not coherent with the cores' caches (SMMU_IDR0.COHACC is 0); " +
				"this driver needs one that is"},
		{"fixed stream table", func(m *smmuModel, s *SMMU) { m.idr1 |= idr1TablesPreset }, nil,
			"smmu: the SMMU at 0x9050000 has its stream table or queues at fixed addresses " +
				"(SMMU_IDR1.TABLES_PRESET, QUEUES_PRESET); this driver places them"},
		{"narrower stream IDs than the board's", func(m *smmuModel, s *SMMU) { m.idr1 = m.idr1&^0x3f | 8 }, nil,
			"smmu: the board's SMMU.StreamIDBits is 16, but the SMMU at 0x9050000 takes 8-bit stream IDs " +
				"(SMMU_IDR1.SIDSIZE); correct SMMU.StreamIDBits in the board description"},
		{"stream table larger than the stream IDs", func(m *smmuModel, s *SMMU) {
			m.idr1 = m.idr1&^0x3f | 4
			s.StreamIDBits = 4
		}, nil,
			"smmu: the stream table has 256 entries, more than the SMMU's 2^4 (SMMU_IDR1.SIDSIZE)"},
		{"command queue larger than the SMMU's", func(m *smmuModel, s *SMMU) { m.idr1 = m.idr1&^(0x1f<<21) | 3<<21 }, nil,
			"smmu: the command queue has 16 entries, more than the SMMU's 2^3 (SMMU_IDR1.CMDQS)"},
		{"event queue not a power of two", func(m *smmuModel, s *SMMU) { s.Events.Entries = make([]Event, 6) }, nil,
			"smmu: the event queue has 6 entries; it needs a power of two"},
		{"stream table misaligned", func(m *smmuModel, s *SMMU) { s.Streams.PA = 0x4020_2000 }, nil,
			"smmu: the stream table is at 0x40202000, not a multiple of its size 0x4000"},
		{"single-entry command queue misaligned", func(m *smmuModel, s *SMMU) {
			s.Commands = CommandQueue{Entries: make([]Command, 1), PA: testCommandsPA + 16}
		}, nil,
			"smmu: the command queue is at 0x40300010, not a multiple of its size 0x20"},
		{"16-bit VMID on an 8-bit SMMU", func(m *smmuModel, s *SMMU) { m.idr0 &^= idr0VMID16 },
			[]Partition{{Stage2: Stage2{VMID: 256, Root: 0x4800_0000, IPABits: 39, PABits: 40}}},
			"smmu: VMID 256 does not fit the SMMU's 8-bit VMIDs (SMMU_IDR0.VMID16 is 0)"},
		{"output wider than the SMMU's", func(m *smmuModel, s *SMMU) { m.idr5 = m.idr5&^7 | 2 },
			[]Partition{{Stage2: Stage2{VMID: 1, Root: 0x4800_0000, IPABits: 39, PABits: 44}}},
			"smmu: stage 2 of VMID 1 outputs 44-bit physical addresses, but the SMMU's output is 40 bits (SMMU_IDR5.OAS)"},
		{"input wider than the SMMU's", func(m *smmuModel, s *SMMU) { m.idr5 = m.idr5&^7 | 2 },
			[]Partition{{Stage2: Stage2{VMID: 1, Root: 0x4800_0000, IPABits: 42, PABits: 40}}},
			"smmu: stage 2 of VMID 1 translates 42-bit guest physical addresses, but the SMMU's input is 40 bits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestSMMU(256, 16, 8)
			m := newModel(s)
			tc.change(m, s)
			defer m.install()()
			err := s.Init(tc.partitions)
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
			assert.Empty(t, m.log, "an SMMU the driver cannot use was programmed")
		})
	}
}

// A stream table the partitions do not fit leaves the SMMU disabled and
// aborting everything.
func TestInitFailsClosed(t *testing.T) {
	s := newTestSMMU(16, 16, 8)
	m := newModel(s)
	defer m.install()()
	err := s.Init([]Partition{ecu})
	require.Error(t, err)
	assert.Equal(t, "smmu: stream IDs 0x10..0x13 of the partition with VMID 1 lie beyond the stream table of 16 entries",
		err.Error())
	assert.Zero(t, m.ackNow, "SMMU_CR0 enabled something")
	assert.Equal(t, uint32(gbpaAbort|0x1000), m.gbpa)
	for sid := range s.Streams.Entries {
		assert.Equal(t, AbortSTE(), s.Streams.Entries[sid])
	}
}

// Every wait is bounded and names the register it waited for.
func TestInitGivesUpWhenTheSMMUDoesNotAnswer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(m *smmuModel)
		want   error
		writes int // how far Init got
	}{
		{"GBPA update never completes", func(m *smmuModel) { m.gbpaStuck = true }, ErrGBPAUpdate, 0},
		{"GBPA update never completes after the write", func(m *smmuModel) { m.updateReads = pollLimit + 1 },
			ErrGBPAUpdate, 1},
		{"CR0ACK never follows", func(m *smmuModel) { m.ackStuck = true; m.regs[regCR0], m.ackNow = 1, 1 },
			ErrCR0ACK, 2},
		{"commands never consumed", func(m *smmuModel) { m.consumeStuck = true }, ErrSyncTimeout, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestSMMU(16, 16, 8)
			m := newModel(s)
			tc.change(m)
			defer m.install()()
			assert.ErrorIs(t, s.Init(nil), tc.want)
			assert.Len(t, m.log, tc.writes, "%q", m.log)
			assert.ErrorIs(t, s.Attach(ecu), ErrNotInitialized, "half initialized, the SMMU took a partition")
		})
	}
}

// Block, on an SMMU earlier firmware left translating: GBPA first, so
// nothing bypasses translation once SMMUEN clears.
func TestBlock(t *testing.T) {
	s := newTestSMMU(16, 16, 8)
	m := newModel(s)
	m.regs[regCR0], m.ackNow = cr0SMMUEN|cr0CmdQEN|cr0EventQEN, cr0SMMUEN|cr0CmdQEN|cr0EventQEN
	m.gbpa = 0x1000
	defer m.install()()
	require.NoError(t, s.Block())
	assert.Equal(t, []string{"GBPA<-0x80101000", "CR0<-0x0"}, m.log)
	assert.Zero(t, m.ackNow)
	assert.Empty(t, m.violations)
}

func TestAttachAndDetach(t *testing.T) {
	s, m := initialized(t, 16, infotainment)

	require.NoError(t, s.Attach(ecu))
	assert.Empty(t, m.violations)
	checkOnlyTheseTranslate(t, s.Streams.Entries, []Partition{ecu, infotainment})
	assert.Equal(t, s.Streams.Entries, m.cached, "an entry changed without CMD_CFGI_STE")
	assert.Equal(t, []Command{
		CFGISTE(0x10, true), CFGISTE(0x11, true), CFGISTE(0x12, true), CFGISTE(0x13, true), CFGISTE(0x80, true),
		TLBIS12VMAll(1), Sync(SyncSignalNone),
	}, m.executed)

	m.executed = nil
	require.NoError(t, s.Detach(ecu))
	assert.Empty(t, m.violations)
	checkOnlyTheseTranslate(t, s.Streams.Entries, []Partition{infotainment})
	assert.Equal(t, s.Streams.Entries, m.cached, "an entry changed without CMD_CFGI_STE")
	assert.Equal(t, []Command{
		CFGISTE(0x10, true), CFGISTE(0x11, true), CFGISTE(0x12, true), CFGISTE(0x13, true), CFGISTE(0x80, true),
		TLBIS12VMAll(1), Sync(SyncSignalNone),
	}, m.executed)

	// Restarted, the partition gets its streams back.
	require.NoError(t, s.Attach(ecu))
	checkOnlyTheseTranslate(t, s.Streams.Entries, []Partition{ecu, infotainment})
	assert.Empty(t, m.violations)
}

func TestAttachRefusesStreamsInUse(t *testing.T) {
	s, m := initialized(t, 16, infotainment)
	thief := Partition{Stage2: Stage2{VMID: 4, Root: 0x4b00_0000, IPABits: 39, PABits: 40},
		Streams: []board.IDRange{{First: 0x8, Count: 2}, {First: 0x2f, Count: 1}}}
	err := s.Attach(thief)
	require.Error(t, err)
	assert.Equal(t, "smmu: stream ID 0x2f is given to the partition with VMID 4, but translates for VMID 2 already",
		err.Error())
	assert.Empty(t, m.log, "the stream table or the SMMU changed")
	checkOnlyTheseTranslate(t, s.Streams.Entries, []Partition{infotainment})

	err = s.Detach(thief)
	require.Error(t, err)
	assert.Equal(t, "smmu: stream ID 0x2f translates for VMID 2, not for the partition with VMID 4", err.Error())
	assert.Empty(t, m.log)

	assert.ErrorIs(t, (&SMMU{}).Attach(ecu), ErrNotInitialized)
	assert.ErrorIs(t, (&SMMU{}).Detach(ecu), ErrNotInitialized)
}

// A PCIe host's 64Ki requester IDs are invalidated with one CMD_CFGI_ALL.
func TestAttachManyStreams(t *testing.T) {
	s := newTestSMMU(1<<16, 16, 8)
	s.Streams.PA = 0x4040_0000 // 4 MiB, aligned to its size
	m := newModel(s)
	defer m.install()()
	require.NoError(t, s.Init(nil))
	m.executed = nil
	pcie := Partition{Stage2: infotainment.Stage2, Streams: []board.IDRange{{First: 0, Count: 1 << 16}}}
	require.NoError(t, s.Attach(pcie))
	assert.Equal(t, []Command{CFGIAll(), TLBIS12VMAll(2), Sync(SyncSignalNone)}, m.executed)
	assert.Equal(t, s.Streams.Entries, m.cached)
	assert.Empty(t, m.violations)
}

// A command queue smaller than a batch wraps: the driver hands over what
// it has and waits for room, and the SMMU sees every command in order.
func TestCommandQueueWrapsAround(t *testing.T) {
	s, m := initialized(t, 4)
	for range 3 {
		m.executed = nil
		require.NoError(t, s.Attach(ecu))
		require.NoError(t, s.Detach(ecu))
		assert.Equal(t, []Command{
			CFGISTE(0x10, true), CFGISTE(0x11, true), CFGISTE(0x12, true), CFGISTE(0x13, true), CFGISTE(0x80, true),
			TLBIS12VMAll(1), Sync(SyncSignalNone),
			CFGISTE(0x10, true), CFGISTE(0x11, true), CFGISTE(0x12, true), CFGISTE(0x13, true), CFGISTE(0x80, true),
			TLBIS12VMAll(1), Sync(SyncSignalNone),
		}, m.executed)
	}
	assert.Empty(t, m.violations)
	assert.Equal(t, s.Streams.Entries, m.cached)
}

func TestCommandQueueStaysFull(t *testing.T) {
	s, m := initialized(t, 2)
	m.consumeStuck = true
	assert.ErrorIs(t, s.Attach(ecu), ErrCommandQueueFull)
}

// A command the SMMU refuses is reported with its opcode, replaced by a
// CMD_SYNC and acknowledged, so the queue goes on.
func TestCommandRefused(t *testing.T) {
	s, m := initialized(t, 16)
	m.refuse[OpTLBIS12VMAll] = true
	err := s.Attach(ecu)
	var cmdErr *CommandError
	require.ErrorAs(t, err, &cmdErr)
	assert.Equal(t, CommandError{Opcode: OpTLBIS12VMAll, Code: 1}, *cmdErr)
	assert.Equal(t, "smmu: the SMMU refused CMD_TLBI_S12_VMALL: illegal command (CERROR_ILL); it was skipped",
		err.Error())
	assert.Zero(t, s.GlobalErrors(), "CMDQ_ERR left active")
	assert.Contains(t, m.log, "GERRORN<-0x1")

	m.executed = nil
	require.NoError(t, s.Submit(TLBIS12VMAll(1)))
	assert.Equal(t, []Command{Sync(SyncSignalNone), Sync(SyncSignalNone), TLBIS12VMAll(1), Sync(SyncSignalNone)},
		m.executed, "the refused command's place, the old CMD_SYNC, then the new commands")
	assert.Empty(t, m.violations)
}

func TestCommandErrorCodes(t *testing.T) {
	for code, want := range map[uint8]string{
		2:    "smmu: the SMMU refused CMD_SYNC: external abort reading the command (CERROR_ABT); it was skipped",
		3:    "smmu: the SMMU refused CMD_SYNC: ATC invalidation not completed (CERROR_ATC_INV_SYNC); it was skipped",
		0x40: "smmu: the SMMU refused CMD_SYNC: error 0x40; it was skipped",
	} {
		assert.Equal(t, want, (&CommandError{Opcode: OpSync, Code: code}).Error())
	}
}

// Events come out in order, through several wraps of the queue.
func TestReadEvents(t *testing.T) {
	s, m := initialized(t, 16) // 8 events
	var e Event
	assert.False(t, s.ReadEvent(&e), "an event from an empty queue")
	written, read := uint32(0), uint32(0)
	for round := range 12 {
		for range 1 + round%5 {
			m.record(Event{uint64(written)<<32 | uint64(EventTranslation)})
			written++
		}
		for s.ReadEvent(&e) {
			assert.Equal(t, EventTranslation, e.Type())
			assert.Equal(t, read, e.StreamID(), "events out of order")
			read++
		}
	}
	assert.Equal(t, written, read)
	assert.Greater(t, read, uint32(2*8), "the queue did not wrap twice")
	assert.False(t, s.EventsLost())
	assert.Empty(t, m.violations)
}

// An overflow is reported once, and the events that were kept still come
// out.
func TestEventsLost(t *testing.T) {
	s, m := initialized(t, 16)
	for sid := range uint64(10) { // two more than fit
		m.record(Event{sid<<32 | uint64(EventBadStreamID)})
	}
	assert.True(t, s.EventsLost())
	assert.Equal(t, uint32(eventqOverflow), m.evCons&eventqOverflow, "OVACKFLG does not match OVFLG")
	assert.False(t, s.EventsLost(), "one overflow reported twice")
	var e Event
	for sid := range uint32(8) {
		require.True(t, s.ReadEvent(&e))
		assert.Equal(t, sid, e.StreamID())
	}
	assert.False(t, s.ReadEvent(&e))
	assert.Equal(t, uint32(eventqOverflow), m.evCons&eventqOverflow, "reading events dropped OVACKFLG")

	m.record(Event{uint64(EventBadStreamID)})
	assert.False(t, s.EventsLost())
}

func TestGlobalErrors(t *testing.T) {
	s, m := initialized(t, 16)
	assert.Zero(t, s.GlobalErrors())
	m.gerror ^= uint32(GErrorEventQueueAbort | GErrorServiceFailure | GErrorCommandQueue)
	m.gerror ^= 1 << 1 // reserved
	g := s.GlobalErrors()
	assert.Equal(t, GErrorCommandQueue|GErrorEventQueueAbort|GErrorServiceFailure, g)
	assert.Equal(t, "CMDQ_ERR, EVENTQ_ABT_ERR, SFM_ERR", g.String())

	s.AcknowledgeGlobalErrors(g | GErrorMSIGError)
	assert.Equal(t, GErrorCommandQueue, s.GlobalErrors(),
		"CMDQ_ERR is the command path's, and an inactive error must not be toggled on")
	assert.Equal(t, "CMD_SYNC", OpSync.String())
	assert.Equal(t, "PRIQ_ABT_ERR, MSI_CMDQ_ABT_ERR, MSI_EVENTQ_ABT_ERR, MSI_PRIQ_ABT_ERR, MSI_GERROR_ABT_ERR",
		(GErrorMSICommandQueue | GErrorMSIEventQueue | GErrorMSIPRIQueue | GErrorMSIGError | GErrorPRIQueueAbort).String())
}

// What the SMMU's interrupt handlers do allocates nothing: take an event,
// write its report into a fixed buffer, check for lost events and global
// errors.
func TestEventPathAllocatesNothing(t *testing.T) {
	s, m := initialized(t, 16)
	m.noLog = true
	m.flood = Event{0x8<<32 | uint64(EventTranslation), 1 << 35, 0x4800_0000}
	m.record(m.flood)
	m.gerror ^= uint32(GErrorEventQueueAbort)
	var e Event
	var buf, names [ReportSize]byte
	var line, errs []byte
	events := 0
	allocs := testing.AllocsPerRun(100, func() {
		if s.ReadEvent(&e) {
			events++
			line = e.AppendReport(buf[:0])
		}
		_ = s.EventsLost()
		if g := s.GlobalErrors(); g != 0 {
			errs = g.AppendNames(names[:0])
			s.AcknowledgeGlobalErrors(g)
		}
	})
	assert.Zero(t, allocs)
	assert.Equal(t, 101, events, "the model ran out of events")
	assert.Equal(t, "stream ID 0x8, address 0x48000000, read: address not mapped (F_TRANSLATION)", string(line))
	assert.Equal(t, "EVENTQ_ABT_ERR", string(errs))
}

// Another core's SMMU value over the same memory joins an SMMU Init
// enabled, writing nothing, and then attaches a partition; before Init,
// joining fails.
func TestJoin(t *testing.T) {
	s, m := initialized(t, 16, infotainment)
	other := Of(qemuvirt.Board.SMMU, s.Streams, s.Commands, s.Events)
	require.NoError(t, other.Join())
	assert.Empty(t, m.log, "joining wrote to the SMMU")
	require.NoError(t, other.Attach(ecu))
	assert.Empty(t, m.violations)
	checkOnlyTheseTranslate(t, s.Streams.Entries, []Partition{ecu, infotainment})

	fresh := newTestSMMU(256, 16, 8)
	t.Cleanup(newModel(fresh).install())
	assert.ErrorIs(t, fresh.Join(), ErrNotInitialized)
}
