package image

import (
	"errors"
	"fmt"
	"math"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/partition/table"
)

// ErrNoPartitionTable is Open's error for an ELF file without a payload
// segment, such as the bare hypervisor that make firmware builds.
var ErrNoPartitionTable = errors.New("no partition table: build the image with tamavisor build CONFIG")

// Image is an image as Open reads it. Table and Payload are slices of the
// bytes given to Open, which must not change while the Image is in use.
type Image struct {
	// Entry is the ELF entry point: the hypervisor's.
	Entry uint64
	// Segments are the hypervisor's PT_LOAD segments, in file order; the
	// payload segment is not among them.
	Segments []Segment
	// Table is the decoded partition table at the start of the payload
	// segment.
	Table table.View
	// Payload is the payload the table's image records index.
	Payload []byte
	// PayloadBase is the physical (= virtual) address of the payload
	// segment, where the firmware finds the table.
	PayloadBase uint64
	// Signature is the minisign signature file over the table that the
	// payload segment carries; "" when it is unsigned.
	Signature string

	segment []byte // the whole payload segment
}

// SignedSegment returns the payload segment's bytes, table and signature
// block first, as table.CheckSignature takes them.
func (img *Image) SignedSegment() []byte { return img.segment }

// Open reads the image elfBytes: it checks that it is an AArch64 ELF64
// executable, finds the payload segment (the SectionName section or,
// without section headers, the PT_LOAD segment starting with the table
// magic) and decodes the partition table in it. It does not verify the
// images' SHA-256; VerifyImages does.
//
// When the ELF file itself is sound but the payload segment is missing or
// damaged, Open returns the error together with an Image holding the
// hypervisor's entry and segments and a zero Table, so that tools can show
// what they could read.
func Open(elfBytes []byte) (*Image, error) {
	exe, err := readExecutable(elfBytes)
	if err != nil {
		return nil, err
	}
	img := &Image{Entry: exe.entry}
	found, err := exe.findPayloadSegment()
	for i := range exe.loads {
		if i != found {
			img.Segments = append(img.Segments, exe.loads[i].Segment)
		}
	}
	if err != nil {
		return img, err
	}
	segment := &exe.loads[found]
	if segment.Paddr != segment.Vaddr {
		return img, fmt.Errorf("payload segment: physical address %#x differs from its virtual address %#x; the firmware looks for the table at one address", segment.Paddr, segment.Vaddr)
	}
	v, err := table.Decode(segment.data)
	if err != nil {
		return img, err // Decode's errors start with "partition table:"
	}
	payloadOffset := PayloadOffset(uint64(v.Len()))
	if v.PayloadSize() > math.MaxUint64-payloadOffset || uint64(len(segment.data)) != payloadOffset+v.PayloadSize() {
		return img, fmt.Errorf("payload segment at %#x: %#x bytes, but the partition table (%#x bytes, padded to %#x) and its payload (%#x bytes) make %#x; the image is damaged, rebuild it with tamavisor build CONFIG",
			segment.Vaddr, len(segment.data), v.Len(), payloadOffset, v.PayloadSize(), payloadOffset+v.PayloadSize())
	}
	sig, err := table.FindSignature(segment.data, uint64(v.Len()))
	switch {
	case err == nil:
		img.Signature = sig
	case !errors.Is(err, table.ErrNoSignature):
		return img, fmt.Errorf("payload segment at %#x: %w; the image is damaged, rebuild it with tamavisor build CONFIG", segment.Vaddr, err)
	}
	sigStart := int(table.SignatureOffset(uint64(v.Len())))
	for at := v.Len(); at < int(payloadOffset); at++ {
		if at == sigStart && img.Signature != "" {
			at += table.SignatureRoom - 1 // the block is the signature's
			continue
		}
		if segment.data[at] != 0 {
			return img, fmt.Errorf("payload segment at %#x: byte %#x between the partition table and the payload is %#x, not zero; the image is damaged, rebuild it with tamavisor build CONFIG",
				segment.Vaddr, at, segment.data[at])
		}
	}
	img.Table = v
	img.segment = segment.data
	img.Payload = segment.data[payloadOffset:]
	img.PayloadBase = segment.Paddr
	return img, nil
}

// findPayloadSegment returns the index in e.loads of the payload segment.
func (e *executable) findPayloadSegment() (int, error) {
	if sec := e.payloadSection; sec != nil {
		for i, s := range e.loads {
			if s.Vaddr == sec.Addr && s.offset == sec.Offset && s.Filesz == sec.Size {
				return i, nil
			}
		}
		return -1, fmt.Errorf("section %s (%#x bytes at %#x, file offset %#x) matches no PT_LOAD segment, and loaders load segments; the image is damaged, rebuild it with tamavisor build CONFIG",
			SectionName, sec.Size, sec.Addr, sec.Offset)
	}
	for i, s := range e.loads {
		if len(s.data) >= len(table.Magic) && string(s.data[:len(table.Magic)]) == table.Magic {
			return i, nil
		}
	}
	return -1, ErrNoPartitionTable
}

// ImageCheck is the outcome of verifying one image record of the table
// against its bytes in the payload.
type ImageCheck struct {
	// Index is the image record's index in the table.
	Index int
	Image table.Image
	// Err says why the bytes do not match; nil when they do.
	Err error
}

// VerifyImages checks every image record of the table: its bytes must lie
// inside the payload and match the record's size and SHA-256. It returns
// one ImageCheck per record, in table order.
func (img *Image) VerifyImages() []ImageCheck {
	checks := make([]ImageCheck, img.Table.NumImages())
	for i := range checks {
		checks[i] = ImageCheck{Index: i, Image: img.Table.Image(i), Err: verifyImage(img.Table, i, img.Payload)}
	}
	return checks
}

// CheckBoard reports why the firmware would refuse to boot the image on
// board b, as it decides at boot: the payload segment must sit at
// PayloadBase(b), the hypervisor's segments inside the board's hypervisor
// memory, and the table must pass table's Check for b, with the payload
// segment's pages counted as hypervisor memory, so that no partition may
// map them.
func (img *Image) CheckBoard(b *board.Board) error {
	if want := PayloadBase(b); img.PayloadBase != want {
		return fmt.Errorf("payload segment at %#x, but on %s the firmware looks for it at %#x; build the image for %s", img.PayloadBase, b.Name, want, b.Name)
	}
	for i, s := range img.Segments {
		if !b.Hypervisor.Memory.Contains(s.Memory()) {
			return fmt.Errorf("hypervisor segment %d %v lies outside the hypervisor memory %v of %s; build the firmware for %s", i, s.Memory(), b.Hypervisor.Memory, b.Name, b.Name)
		}
	}
	limits := table.LimitsFor(b)
	segmentEnd := img.PayloadBase + PayloadOffset(uint64(img.Table.Len())) + uint64(len(img.Payload))
	limits.HypervisorMemory.Size = alignUp(segmentEnd, PageSize) - limits.HypervisorMemory.Base
	return img.Table.Check(limits)
}
