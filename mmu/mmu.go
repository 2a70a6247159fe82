// Package mmu builds and walks AArch64 translation tables with the 4 KiB
// granule: the EL2 stage-1 tables each hypervisor instance runs on, and
// (later) the stage-2 tables that confine each partition.
//
// The builder never touches memory directly. Every table read and write goes
// through the Memory interface, so the same code runs on Go heap memory in
// host tests and on physical pages in the firmware, where it runs before the
// Go runtime is up: the builder allocates nothing and has no error path that
// allocates (errors are preallocated values or a *LayoutError kept inside the
// Tables value).
//
// References are to the Arm Architecture Reference Manual for A-profile
// (DDI 0487), chapter D8 "The AArch64 Virtual Memory System Architecture"
// (D5 in the ARMv8.0 editions).
package mmu

import "errors"

// Granule geometry for 4 KiB translation granules (DDI 0487 D8.2.7).
const (
	PageShift       = 12
	PageSize        = 1 << PageShift
	entriesPerTable = 512
	bitsPerLevel    = 9
	maxLevel        = 3
)

// LevelSize returns the size of the address range one entry covers at a
// lookup level: 512 GiB, 1 GiB, 2 MiB or 4 KiB for levels 0..3.
func LevelSize(level int) uint64 {
	return 1 << (PageShift + bitsPerLevel*(maxLevel-level))
}

// Memory gives the builder access to translation-table pages.
type Memory interface {
	// NewTable returns the physical address of a fresh, zeroed,
	// 4 KiB-aligned page, or false when the pool is exhausted.
	NewTable() (pa uint64, ok bool)
	// Load and Store read and write entry index of the table at pa.
	Load(table uint64, index int) Entry
	Store(table uint64, index int, e Entry)
}

// MemoryType selects the MAIR attribute index a mapping uses.
type MemoryType uint8

const (
	// Normal memory, inner and outer write-back, read/write-allocate,
	// inner shareable.
	Normal MemoryType = iota
	// DeviceNGnRnE is strongly ordered device memory: no gathering, no
	// reordering, no early write acknowledgement. Used for the
	// hypervisor's own device registers.
	DeviceNGnRnE
	// DeviceNGnRE allows early write acknowledgement; what guests get
	// for passthrough devices.
	DeviceNGnRE
)

func (t MemoryType) String() string {
	switch t {
	case Normal:
		return "normal"
	case DeviceNGnRnE:
		return "device-nGnRnE"
	case DeviceNGnRE:
		return "device-nGnRE"
	}
	return "unknown"
}

// Permissions are the accesses a mapping allows.
type Permissions uint8

const (
	Read Permissions = 1 << iota
	Write
	Execute
)

func (p Permissions) String() string {
	b := [3]byte{'-', '-', '-'}
	if p&Read != 0 {
		b[0] = 'r'
	}
	if p&Write != 0 {
		b[1] = 'w'
	}
	if p&Execute != 0 {
		b[2] = 'x'
	}
	return string(b[:])
}

// Attributes describe how a mapped range behaves.
type Attributes struct {
	Type MemoryType
	Perm Permissions
}

func (a Attributes) String() string { return a.Type.String() + " " + a.Perm.String() }

// Convenient attribute sets.
var (
	Text   = Attributes{Type: Normal, Perm: Read | Execute}
	ROData = Attributes{Type: Normal, Perm: Read}
	RWData = Attributes{Type: Normal, Perm: Read | Write}
	MMIO   = Attributes{Type: DeviceNGnRnE, Perm: Read | Write}
)

// Errors the builder returns. They are preallocated so that callers running
// without a Go heap can compare and print them.
var (
	ErrMisaligned = errors.New("not 4 KiB aligned")
	ErrEmpty      = errors.New("size is zero")
	ErrOutOfRange = errors.New("outside the translatable address range")
	ErrOverlap    = errors.New("overlaps an existing mapping")
	ErrNoMemory   = errors.New("out of translation-table pages")
	// ErrWritableExe: a stage-1 mapping (the hypervisor's or a guest
	// kernel's own) may be writable or executable, never both. Stage-2
	// leaves that choice to the guest's stage 1.
	ErrWritableExe = errors.New("both writable and executable")
)
