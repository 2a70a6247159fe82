package smmu

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A stage-2 translation fault as the SMMU records it for a stream whose
// stage 1 is bypassed (IHI 0070, 7.3, F_TRANSLATION).
var translationFault = Event{
	0x0000_0008_0000_5810,                  // StreamID 8, SubstreamID 5, SSV, type 0x10
	1<<41 | 1<<39 | 1<<35 | 1<<33 | 0x1234, // CLASS IN, S2, RnW, PnU, STAG
	0x0000_0000_4800_1234,                  // InputAddr
	0xfff0_0000_4800_1fff,                  // IPA [51:12]; bits outside it belong to other fields
}

func TestEventFields(t *testing.T) {
	e := translationFault
	assert.Equal(t, EventTranslation, e.Type())
	assert.Equal(t, uint32(8), e.StreamID())
	ssid, ok := e.SubstreamID()
	assert.True(t, ok)
	assert.Equal(t, uint32(5), ssid)
	assert.Equal(t, uint64(0x4800_1234), e.InputAddr())
	assert.Equal(t, uint64(0x4800_1000), e.IPA())
	assert.Equal(t, uint64(0x4800_1ff8), e.FetchAddr())
	assert.True(t, e.Read())
	assert.False(t, e.Instruction())
	assert.True(t, e.Privileged())
	assert.True(t, e.Stage2())
	assert.Equal(t, uint8(0b10), e.Class())

	plain := Event{0xffff_ffff_0000_0002}
	assert.Equal(t, EventBadStreamID, plain.Type())
	assert.Equal(t, uint32(0xffff_ffff), plain.StreamID())
	_, ok = plain.SubstreamID()
	assert.False(t, ok)
	assert.False(t, plain.Read(), "RnW 0 is a write")
	assert.False(t, plain.Stage2())
}

func TestEventReport(t *testing.T) {
	for _, tc := range []struct {
		name  string
		event Event
		want  string
	}{
		{"stage-2 translation fault, write",
			Event{0x0000_0008_0000_0010, 1<<39 | 2<<40, 0x4800_1000},
			"stream ID 0x8, address 0x48001000, write: address not mapped (F_TRANSLATION)"},
		{"permission fault, read",
			Event{0x0000_0100_0000_0013, 1<<39 | 1<<35, 0x4000_0000},
			"stream ID 0x100, address 0x40000000, read: access not permitted by the mapping (F_PERMISSION)"},
		{"address size fault, instruction fetch",
			Event{0x0000_0003_0000_0011, 1<<39 | 1<<35 | 1<<34, 0xffff_0000_0000_0000},
			"stream ID 0x3, address 0xffff000000000000, instruction fetch: address beyond the translated range (F_ADDR_SIZE)"},
		{"with a substream",
			translationFault,
			"stream ID 0x8, substream 0x5, address 0x48001234, read: address not mapped (F_TRANSLATION)"},
		{"stream ID beyond the table",
			Event{0x0001_0000_0000_0002},
			"stream ID 0x10000: stream ID outside the stream table (C_BAD_STREAMID)"},
		{"invalid STE",
			Event{0x0000_0009_0000_0004},
			"stream ID 0x9: invalid stream table entry (C_BAD_STE)"},
		{"STE fetch fault",
			Event{0x0000_0009_0000_0003, 0, 0, 0x4020_0240},
			"stream ID 0x9, reading 0x40200240: could not read the stream table entry (F_STE_FETCH)"},
		{"stream disabled",
			Event{0x0000_0001_0000_0006},
			"stream ID 0x1: stream disabled (F_STREAM_DISABLED)"},
		{"unknown type",
			Event{0x0000_0001_0000_00e7},
			"stream ID 0x1: unknown event (type 0xe7)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.event.String())
		})
	}
}

func TestEventTypeNames(t *testing.T) {
	for typ, name := range map[EventType]string{
		0x01: "F_UUT", 0x02: "C_BAD_STREAMID", 0x03: "F_STE_FETCH", 0x04: "C_BAD_STE",
		0x05: "F_BAD_ATS_TREQ", 0x06: "F_STREAM_DISABLED", 0x07: "F_TRANSL_FORBIDDEN",
		0x08: "C_BAD_SUBSTREAMID", 0x09: "F_CD_FETCH", 0x0a: "C_BAD_CD", 0x0b: "F_WALK_EABT",
		0x10: "F_TRANSLATION", 0x11: "F_ADDR_SIZE", 0x12: "F_ACCESS", 0x13: "F_PERMISSION",
		0x20: "F_TLB_CONFLICT", 0x21: "F_CFG_CONFLICT", 0x24: "E_PAGE_REQUEST", 0x25: "F_VMS_FETCH",
		0x00: "event type 0x0", 0x0c: "event type 0xc", 0xff: "event type 0xff",
	} {
		assert.Equal(t, name, typ.String())
	}
}

// Whatever the SMMU writes, the report fits a ReportSize buffer.
func TestEventReportFitsReportSize(t *testing.T) {
	for typ := range 256 {
		e := Event{^uint64(0xff) | uint64(typ), ^uint64(0), ^uint64(0), ^uint64(0)}
		assert.LessOrEqual(t, len(e.AppendReport(nil)), ReportSize, "type %#x: %s", typ, e)
	}
}

// The event path runs in an interrupt handler: decoding a record and
// writing its report into a fixed buffer allocates nothing.
func TestEventReportAllocatesNothing(t *testing.T) {
	var buf [ReportSize]byte
	var line []byte
	e := translationFault
	allocs := testing.AllocsPerRun(100, func() {
		_ = e.Type()
		_ = e.StreamID()
		_ = e.IPA()
		line = e.AppendReport(buf[:0])
	})
	assert.Zero(t, allocs)
	assert.Equal(t, "stream ID 0x8, substream 0x5, address 0x48001234, read: address not mapped (F_TRANSLATION)",
		string(line))
}
