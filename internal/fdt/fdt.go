// Package fdt writes and reads flattened device trees (DTBs), the binary
// format of the Devicetree Specification v0.4, chapter 5.
//
// A Writer builds a blob from a flat list of calls (BeginNode, the Prop
// methods, EndNode, Finish) and checks node and property names against
// chapter 2 as it goes. Parse reads a blob back into a tree of Nodes and
// checks its header and structure; ParseSource reads the same tree from
// the source text dtc writes when it decompiles a blob, the form boards
// keep their reference device trees in. All are plain Go without
// dependencies, shared by the per-partition DTB generator, the image
// checker and tests.
package fdt

import "encoding/binary"

// Header values (Devicetree Specification v0.4, 5.2).
const (
	Magic = 0xd00dfeed
	// Version is the format version this package writes (17), and
	// LastCompatibleVersion the oldest one such a blob stays readable by.
	Version               = 17
	LastCompatibleVersion = 16
	// HeaderSize is the size of struct fdt_header: ten big-endian u32s.
	HeaderSize = 40
)

// Structure block tokens (5.4.1).
const (
	tokenBeginNode uint32 = 0x1
	tokenEndNode   uint32 = 0x2
	tokenProp      uint32 = 0x3
	tokenNop       uint32 = 0x4
	tokenEnd       uint32 = 0x9
)

// Block alignment (5.6): the memory reservation block holds u64s, the
// structure block u32 tokens.
const (
	reservationAlign = 8
	structureAlign   = 4
	// reservationEntrySize is struct fdt_reserve_entry: two u64s (5.3.2).
	reservationEntrySize = 16
)

// Phandle values that never name a node (2.3.3 defines phandle as a u32
// unique in the tree): 0 means "no phandle" and 0xffffffff is rejected by
// libfdt and Linux, so neither is ever handed out.
const (
	phandleNone    = 0
	phandleInvalid = 0xffffffff
)

// Header is struct fdt_header (5.2), in the order the fields appear.
type Header struct {
	Magic                 uint32
	TotalSize             uint32
	StructOffset          uint32 // off_dt_struct
	StringsOffset         uint32 // off_dt_strings
	ReservationsOffset    uint32 // off_mem_rsvmap
	Version               uint32
	LastCompatibleVersion uint32 // last_comp_version
	BootCPUIDPhys         uint32 // boot_cpuid_phys
	StringsSize           uint32 // size_dt_strings
	StructSize            uint32 // size_dt_struct
}

func (h *Header) fields() []*uint32 {
	return []*uint32{
		&h.Magic, &h.TotalSize, &h.StructOffset, &h.StringsOffset,
		&h.ReservationsOffset, &h.Version, &h.LastCompatibleVersion,
		&h.BootCPUIDPhys, &h.StringsSize, &h.StructSize,
	}
}

func (h Header) append(b []byte) []byte {
	for _, f := range h.fields() {
		b = binary.BigEndian.AppendUint32(b, *f)
	}
	return b
}

func decodeHeader(b []byte) Header {
	var h Header
	for i, f := range h.fields() {
		*f = binary.BigEndian.Uint32(b[4*i:])
	}
	return h
}

// Reservation is one entry of the memory reservation block (5.3): physical
// memory the client program must not use for general allocations.
type Reservation struct {
	Address uint64
	Size    uint64
}

func alignUp(n, align int) int {
	return (n + align - 1) &^ (align - 1)
}
