package smmu

import "strconv"

// Event is one event queue record: four little-endian 64-bit words
// (IHI 0070, 7.3 "Event records"). Word 0 bits [7:0] hold the event type.
type Event [4]uint64

// EventSize is the size of an event queue record in bytes.
const EventSize = 32

// EventType is an event record's type, word 0 bits [7:0].
type EventType uint8

// Event types (IHI 0070, 7.3, each under its own name). F_ are faults of a
// transaction, C_ errors in the configuration it met, E_ others.
const (
	EventUUT                  EventType = 0x01 // F_UUT
	EventBadStreamID          EventType = 0x02 // C_BAD_STREAMID
	EventSTEFetch             EventType = 0x03 // F_STE_FETCH
	EventBadSTE               EventType = 0x04 // C_BAD_STE
	EventBadATSRequest        EventType = 0x05 // F_BAD_ATS_TREQ
	EventStreamDisabled       EventType = 0x06 // F_STREAM_DISABLED
	EventTranslationForbidden EventType = 0x07 // F_TRANSL_FORBIDDEN
	EventBadSubstreamID       EventType = 0x08 // C_BAD_SUBSTREAMID
	EventCDFetch              EventType = 0x09 // F_CD_FETCH
	EventBadCD                EventType = 0x0a // C_BAD_CD
	EventWalkExternalAbort    EventType = 0x0b // F_WALK_EABT
	EventTranslation          EventType = 0x10 // F_TRANSLATION
	EventAddressSize          EventType = 0x11 // F_ADDR_SIZE
	EventAccess               EventType = 0x12 // F_ACCESS
	EventPermission           EventType = 0x13 // F_PERMISSION
	EventTLBConflict          EventType = 0x20 // F_TLB_CONFLICT
	EventConfigConflict       EventType = 0x21 // F_CFG_CONFLICT
	EventPageRequest          EventType = 0x24 // E_PAGE_REQUEST
	EventVMSFetch             EventType = 0x25 // F_VMS_FETCH
)

// eventInfo is what a report says about an event type. access marks the
// types whose record holds the transaction's address (InputAddr) and
// direction (RnW, InD); fetch those that hold the address of a
// configuration structure the SMMU failed to read (FetchAddr).
type eventInfo struct {
	name, reason  string
	access, fetch bool
}

var eventInfos = [...]eventInfo{
	EventUUT:                  {"F_UUT", "unsupported transaction", true, false},
	EventBadStreamID:          {"C_BAD_STREAMID", "stream ID outside the stream table", false, false},
	EventSTEFetch:             {"F_STE_FETCH", "could not read the stream table entry", false, true},
	EventBadSTE:               {"C_BAD_STE", "invalid stream table entry", false, false},
	EventBadATSRequest:        {"F_BAD_ATS_TREQ", "ATS translation request refused", true, false},
	EventStreamDisabled:       {"F_STREAM_DISABLED", "stream disabled", false, false},
	EventTranslationForbidden: {"F_TRANSL_FORBIDDEN", "pre-translated transaction refused", true, false},
	EventBadSubstreamID:       {"C_BAD_SUBSTREAMID", "invalid substream ID", false, false},
	EventCDFetch:              {"F_CD_FETCH", "could not read the context descriptor", false, true},
	EventBadCD:                {"C_BAD_CD", "invalid context descriptor", false, false},
	EventWalkExternalAbort:    {"F_WALK_EABT", "external abort on a translation table walk", true, false},
	EventTranslation:          {"F_TRANSLATION", "address not mapped", true, false},
	EventAddressSize:          {"F_ADDR_SIZE", "address beyond the translated range", true, false},
	EventAccess:               {"F_ACCESS", "access flag clear in the mapping", true, false},
	EventPermission:           {"F_PERMISSION", "access not permitted by the mapping", true, false},
	EventTLBConflict:          {"F_TLB_CONFLICT", "TLB conflict", true, false},
	EventConfigConflict:       {"F_CFG_CONFLICT", "configuration cache conflict", false, false},
	EventPageRequest:          {"E_PAGE_REQUEST", "page request", false, false},
	EventVMSFetch:             {"F_VMS_FETCH", "could not read the virtual machine structure", false, true},
}

func (t EventType) info() (eventInfo, bool) {
	if int(t) < len(eventInfos) && eventInfos[t].name != "" {
		return eventInfos[t], true
	}
	return eventInfo{}, false
}

// String returns the type's name in the specification, such as
// "F_TRANSLATION".
func (t EventType) String() string {
	if i, ok := t.info(); ok {
		return i.name
	}
	return "event type 0x" + strconv.FormatUint(uint64(t), 16)
}

// Event record fields (IHI 0070, 7.3). Not every type holds every field.
const (
	evtTypeMask   = 0xff    // word 0 [7:0]
	evtSSV        = 1 << 11 // word 0: SubstreamID is valid
	evtSSIDShift  = 12      // word 0 [31:12]: SubstreamID
	evtSSIDMask   = 0xf_ffff
	evtSIDShift   = 32                    // word 0 [63:32]: StreamID
	evtPnU        = 1 << 33               // word 1: privileged (1) or unprivileged
	evtInD        = 1 << 34               // word 1: instruction (1) or data
	evtRnW        = 1 << 35               // word 1: read (1) or write (0)
	evtS2         = 1 << 39               // word 1: the fault arose at stage 2
	evtClassShift = 40                    // word 1 [41:40]: what was being translated
	evtIPAMask    = 0x000f_ffff_ffff_f000 // word 3 [51:12]: IPA of a stage-2 fault
	evtFetchMask  = 0x000f_ffff_ffff_fff8 // word 3 [51:3]: FetchAddr
)

// Type returns the event's type.
func (e *Event) Type() EventType { return EventType(e[0] & evtTypeMask) }

// StreamID returns the stream ID of the transaction or configuration the
// event concerns.
func (e *Event) StreamID() uint32 { return uint32(e[0] >> evtSIDShift) }

// SubstreamID returns the substream ID and whether there was one (SSV).
func (e *Event) SubstreamID() (uint32, bool) {
	return uint32(e[0] >> evtSSIDShift & evtSSIDMask), e[0]&evtSSV != 0
}

// InputAddr returns the address the device used. With stage 1 bypassed it
// is the partition's guest physical address.
func (e *Event) InputAddr() uint64 { return e[2] }

// IPA returns the intermediate physical address of a stage-2 fault, to
// 4 KiB granularity.
func (e *Event) IPA() uint64 { return e[3] & evtIPAMask }

// FetchAddr returns the physical address of the configuration structure
// an F_STE_FETCH, F_CD_FETCH or F_VMS_FETCH could not read.
func (e *Event) FetchAddr() uint64 { return e[3] & evtFetchMask }

// Read reports RnW: whether the transaction read (true) or wrote.
func (e *Event) Read() bool { return e[1]&evtRnW != 0 }

// Instruction reports InD: whether the transaction was an instruction
// fetch.
func (e *Event) Instruction() bool { return e[1]&evtInD != 0 }

// Privileged reports PnU: whether the transaction was privileged.
func (e *Event) Privileged() bool { return e[1]&evtPnU != 0 }

// Stage2 reports S2: whether the fault arose at stage 2.
func (e *Event) Stage2() bool { return e[1]&evtS2 != 0 }

// Class returns CLASS: 0b00 a context descriptor fetch, 0b01 a stage-1
// table walk, 0b10 the transaction's own address.
func (e *Event) Class() uint8 { return uint8(e[1] >> evtClassShift & twoBits) }

// ReportSize bounds the length of AppendReport's line: a buffer of this
// many bytes holds any event's report.
const ReportSize = 160

// AppendReport appends a one-line description of the event to dst and
// returns the extended buffer, such as
//
//	stream ID 0x8, address 0x48001000, write: address not mapped (F_TRANSLATION)
//
// It allocates nothing when dst has ReportSize bytes of room.
func (e *Event) AppendReport(dst []byte) []byte {
	dst = append(dst, "stream ID 0x"...)
	dst = strconv.AppendUint(dst, uint64(e.StreamID()), 16)
	if ssid, ok := e.SubstreamID(); ok {
		dst = append(dst, ", substream 0x"...)
		dst = strconv.AppendUint(dst, uint64(ssid), 16)
	}
	info, known := e.Type().info()
	switch {
	case info.access:
		dst = append(dst, ", address 0x"...)
		dst = strconv.AppendUint(dst, e.InputAddr(), 16)
		switch {
		case e.Instruction():
			dst = append(dst, ", instruction fetch"...)
		case e.Read():
			dst = append(dst, ", read"...)
		default:
			dst = append(dst, ", write"...)
		}
	case info.fetch:
		dst = append(dst, ", reading 0x"...)
		dst = strconv.AppendUint(dst, e.FetchAddr(), 16)
	}
	if !known {
		dst = append(dst, ": unknown event (type 0x"...)
		dst = strconv.AppendUint(dst, uint64(e.Type()), 16)
		return append(dst, ')')
	}
	dst = append(dst, ": "...)
	dst = append(dst, info.reason...)
	dst = append(dst, " ("...)
	dst = append(dst, info.name...)
	return append(dst, ')')
}

// String returns AppendReport's line.
func (e Event) String() string { return string(e.AppendReport(nil)) }
