package table

import (
	"errors"
	"fmt"
	"github.com/tamavisor/tamavisor/internal/sha256"
)

// Table is the whole partition table as plain values: what the host builds
// and Encode serializes, and what View.Table returns. The records are the
// same fixed-size values a View's accessors return.
type Table struct {
	Board Name
	// PayloadSize is the length of the payload the images' offsets
	// index: the guest blobs the image builder stores next to the table.
	PayloadSize    uint64
	Partitions     []Partition
	Regions        []Region
	Devices        []Device
	Interrupts     []Interrupt
	StreamIDRanges []StreamIDRange
	Channels       []Channel
	Images         []Image
}

// Header is the table's fixed-size header, as stored.
type Header struct {
	Magic          [8]byte
	Version        uint32
	HeaderSize     uint32
	TotalLength    uint64
	PayloadSize    uint64
	Flags          uint32
	Partitions     uint32
	Regions        uint32
	Devices        uint32
	Interrupts     uint32
	StreamIDRanges uint32
	Channels       uint32
	Images         uint32
	Board          Name
	Checksum       [32]byte
}

// Span is a run of Count consecutive records starting at index First.
type Span struct {
	First uint32
	Count uint32
}

// End returns the index after the run. In a decoded table it never wraps.
func (s Span) End() uint32 { return s.First + s.Count }

// Contains reports whether index i lies in the run.
func (s Span) Contains(i uint32) bool { return i >= s.First && i-s.First < s.Count }

// covers reports whether the run inner lies entirely inside s.
func (s Span) covers(inner Span) bool {
	return inner.First >= s.First && uint64(inner.First)+uint64(inner.Count) <= uint64(s.First)+uint64(s.Count)
}

// Partition is one partition record.
type Partition struct {
	Name Name
	// CPUMask has bit n set when physical core n runs one of the
	// partition's vCPUs.
	CPUMask  uint64
	EntryIPA uint64
	// DTBIPA is where the partition's DTB image loads and what x0 holds at
	// entry; 0 when the partition has no DTB image.
	DTBIPA         uint64
	Regions        Span
	Devices        Span
	Interrupts     Span
	StreamIDRanges Span
	Images         Span
	// ConsoleDevice is the device index of the passed-through UART when
	// Console is ConsolePassthrough, NoIndex otherwise.
	ConsoleDevice uint32
	OnFault       FaultPolicy
	Console       ConsoleKind
	KernelFormat  KernelFormat
	// Watchdog is what the partition's virtual watchdog does when the
	// guest stops refreshing it for WatchdogMS milliseconds;
	// WatchdogNone (and WatchdogMS 0) when it has none.
	Watchdog   WatchdogAction
	WatchdogMS uint32
}

// Region is one stage-2 mapping of a partition: [PhysBase, PhysBase+Size)
// appears to the guest at [IPA, IPA+Size).
type Region struct {
	PhysBase  uint64
	IPA       uint64
	Size      uint64
	Partition uint32
	// Owner is the device index of an MMIO region, the channel index of
	// a channel region, and NoIndex for RAM.
	Owner uint32
	Kind  RegionKind
	Perm  Perm
}

// Device is one passthrough device. Its runs lie inside its partition's.
type Device struct {
	Name           Name
	Partition      uint32
	Regions        Span
	Interrupts     Span
	StreamIDRanges Span
}

// Interrupt is one physical SPI routed to a partition.
type Interrupt struct {
	INTID     uint32
	Partition uint32
	// Device is the device raising it, or NoIndex.
	Device uint32
}

// StreamIDRange is a run of SMMU stream IDs whose DMA is translated by the
// partition's stage-2 tables.
type StreamIDRange struct {
	First     uint32
	Count     uint32
	Partition uint32
	// Device is the device issuing the DMA, or NoIndex.
	Device uint32
}

// Channel is a shared-memory region between partitions.
type Channel struct {
	Name     Name
	PhysBase uint64
	Size     uint64
	// Members has bit n set when partition n maps the channel.
	Members uint64
	// ReadOnly has bit n set when member n may only read it.
	ReadOnly uint64
	// Doorbell is the INTID injected into the members, 0 for none.
	Doorbell uint32
}

// Image is one blob of the payload that the firmware verifies and loads
// into a partition's RAM before the partition starts.
type Image struct {
	// Offset is where the blob starts in the payload.
	Offset    uint64
	Size      uint64
	LoadIPA   uint64
	SHA256    [32]byte
	Partition uint32
	Kind      ImageKind
}

// Verify checks that blob, the image's bytes as read from the payload or as
// loaded into the partition's RAM, has the image's size and SHA-256. It
// allocates nothing when they match.
func (m Image) Verify(blob []byte) error {
	if uint64(len(blob)) != m.Size {
		return fmt.Errorf("%s image is %#x bytes, the table says %#x; the payload does not belong to this table", m.Kind, len(blob), m.Size)
	}
	if sum := sha256.Sum256(blob); sum != m.SHA256 {
		return fmt.Errorf("%s image has SHA-256 %x, the table says %x; the payload is damaged or does not belong to this table", m.Kind, sum, m.SHA256)
	}
	return nil
}

// Name is a NUL-padded name of 1 to NameSize printable ASCII bytes.
type Name [NameSize]byte

// NewName returns s as a Name, or an error saying why s cannot be one.
func NewName(s string) (Name, error) {
	var n Name
	if len(s) > NameSize {
		return n, fmt.Errorf("name %q is %d bytes long; shorten it to at most %d", s, len(s), NameSize)
	}
	copy(n[:], s)
	if err := n.validate(); err != nil {
		return Name{}, fmt.Errorf("name %q: %w", s, err)
	}
	return n, nil
}

// String returns the name without its padding.
func (n Name) String() string { return string(n[:n.length()]) }

// Equal reports whether the name is s.
func (n Name) Equal(s string) bool { return string(n[:n.length()]) == s }

func (n Name) length() int {
	for i, c := range n {
		if c == 0 {
			return i
		}
	}
	return len(n)
}

var (
	errNameEmpty       = errors.New("empty; give it a name")
	errNameUnprintable = errors.New("holds a byte outside printable ASCII (0x20..0x7e)")
	errNamePadding     = errors.New("has bytes after its NUL padding")
)

func (n Name) validate() error {
	length := n.length()
	if length == 0 {
		return errNameEmpty
	}
	for _, c := range n[:length] {
		if c < 0x20 || c > 0x7e {
			return errNameUnprintable
		}
	}
	for _, c := range n[length:] {
		if c != 0 {
			return errNamePadding
		}
	}
	return nil
}

// WatchdogAction is what a partition's watchdog does when it expires.
type WatchdogAction uint8

const (
	WatchdogNone WatchdogAction = iota
	WatchdogRestart
	WatchdogStop
)

// MaxWatchdogMS bounds a watchdog's timeout: an hour.
const MaxWatchdogMS = 3_600_000

func (w WatchdogAction) String() string {
	switch w {
	case WatchdogNone:
		return "none"
	case WatchdogRestart:
		return "restart"
	case WatchdogStop:
		return "stop"
	}
	return "unknown watchdog action"
}

func (w WatchdogAction) valid() bool { return w <= WatchdogStop }

// FaultPolicy is what the hypervisor does when a partition's access hits
// nothing assigned to it (a stage-2 fault).
type FaultPolicy uint8

const (
	// FaultInjectAbort injects a synchronous external abort; the guest
	// handles it. The default.
	FaultInjectAbort FaultPolicy = 1 + iota
	// FaultStop stops the partition's vCPUs.
	FaultStop
	// FaultRestart reloads the partition's images and restarts it.
	FaultRestart
)

func (f FaultPolicy) String() string {
	switch f {
	case FaultInjectAbort:
		return "inject-abort"
	case FaultStop:
		return "stop"
	case FaultRestart:
		return "restart"
	}
	return fmt.Sprintf("FaultPolicy(%d)", uint8(f))
}

func (f FaultPolicy) valid() bool { return f >= FaultInjectAbort && f <= FaultRestart }

// ConsoleKind is how a partition's console reaches the outside.
type ConsoleKind uint8

const (
	// ConsoleVirtual is a PL011 the hypervisor emulates and multiplexes
	// onto its own UART.
	ConsoleVirtual ConsoleKind = 1 + iota
	// ConsolePassthrough is a physical UART the partition owns.
	ConsolePassthrough
	// ConsoleNone gives the partition no console.
	ConsoleNone
)

func (c ConsoleKind) String() string {
	switch c {
	case ConsoleVirtual:
		return "virtual"
	case ConsolePassthrough:
		return "passthrough"
	case ConsoleNone:
		return "none"
	}
	return fmt.Sprintf("ConsoleKind(%d)", uint8(c))
}

func (c ConsoleKind) valid() bool { return c >= ConsoleVirtual && c <= ConsoleNone }

// KernelFormat is how the firmware enters a partition's kernel.
type KernelFormat uint8

const (
	// KernelLinuxImage is an arm64 Linux Image, entered at its first
	// byte with x0 = DTB (Linux, Documentation/arch/arm64/booting.rst).
	KernelLinuxImage KernelFormat = 1 + iota
	// KernelRaw is a flat binary entered at the entry IPA with x0 = DTB.
	KernelRaw
)

func (k KernelFormat) String() string {
	switch k {
	case KernelLinuxImage:
		return "linux-image"
	case KernelRaw:
		return "raw"
	}
	return fmt.Sprintf("KernelFormat(%d)", uint8(k))
}

func (k KernelFormat) valid() bool { return k >= KernelLinuxImage && k <= KernelRaw }

// RegionKind is what a region maps.
type RegionKind uint8

const (
	// RegionRAM is memory private to the partition.
	RegionRAM RegionKind = 1 + iota
	// RegionMMIO is a passthrough device's registers.
	RegionMMIO
	// RegionChannel is a channel's shared memory.
	RegionChannel
)

func (k RegionKind) String() string {
	switch k {
	case RegionRAM:
		return "RAM"
	case RegionMMIO:
		return "MMIO"
	case RegionChannel:
		return "channel"
	}
	return fmt.Sprintf("RegionKind(%d)", uint8(k))
}

// Perm is the set of accesses a region allows the guest.
type Perm uint8

const (
	PermRead Perm = 1 << iota
	PermWrite
	PermExec

	permAll = PermRead | PermWrite | PermExec
)

// String returns the permissions as "rwx" with "-" for each one missing.
func (p Perm) String() string {
	s := []byte("---")
	if p&PermRead != 0 {
		s[0] = 'r'
	}
	if p&PermWrite != 0 {
		s[1] = 'w'
	}
	if p&PermExec != 0 {
		s[2] = 'x'
	}
	if p&^permAll != 0 {
		return fmt.Sprintf("%s+%#x", s, uint8(p&^permAll))
	}
	return string(s)
}

// ImageKind is what an image holds.
type ImageKind uint8

const (
	ImageKernel ImageKind = 1 + iota
	ImageInitrd
	ImageDTB
)

func (k ImageKind) String() string {
	switch k {
	case ImageKernel:
		return "kernel"
	case ImageInitrd:
		return "initrd"
	case ImageDTB:
		return "DTB"
	}
	return fmt.Sprintf("ImageKind(%d)", uint8(k))
}

func (k ImageKind) valid() bool { return k >= ImageKernel && k <= ImageDTB }
