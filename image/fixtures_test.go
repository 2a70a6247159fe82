package image

import (
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/partition/table"
)

const (
	KiB = 1 << 10
	MiB = 1 << 20
)

// testProg is one program header of a test ELF file.
type testProg struct {
	typ                              elf.ProgType
	flags                            elf.ProgFlag
	off, vaddr, filesz, memsz, align uint64
}

// hypervisorEntry and hypervisorProgs describe a hypervisor laid out as
// the Go linker lays out the real firmware (readelf -l of a build, scaled
// down): program headers PHDR, NOTE, three PT_LOADs and GNU_STACK; the
// first PT_LOAD starts at file offset 0 one page below the link address,
// so it holds the ELF headers and the notes before the text; rodata
// follows; data ends in a zero-filled bss.
const hypervisorEntry = 0x4021_0340

var hypervisorProgs = []testProg{
	{elf.PT_PHDR, elf.PF_R, 0x40, 0x4020_f040, 6 * phdrSize, 6 * phdrSize, 0x1000},
	{elf.PT_NOTE, elf.PF_R, 0xf60, 0x4020_ff60, 0x18, 0x18, 4},
	{elf.PT_LOAD, elf.PF_R | elf.PF_X, 0, 0x4020_f000, 0x1a40, 0x1a40, 0x1000},
	{elf.PT_LOAD, elf.PF_R, 0x2000, 0x4021_1000, 0x9e2, 0x9e2, 0x1000},
	{elf.PT_LOAD, elf.PF_R | elf.PF_W, 0x3000, 0x4021_2000, 0x320, 0x1248, 0x1000},
	{elf.PT_GNU_STACK, elf.PF_R | elf.PF_W, 0, 0, 0, 0, 8},
}

// hypervisorSegments are hypervisorProgs' PT_LOAD segments.
var hypervisorSegments = []Segment{
	{Vaddr: 0x4020_f000, Paddr: 0x4020_f000, Filesz: 0x1a40, Memsz: 0x1a40, Flags: elf.PF_R | elf.PF_X},
	{Vaddr: 0x4021_1000, Paddr: 0x4021_1000, Filesz: 0x9e2, Memsz: 0x9e2, Flags: elf.PF_R},
	{Vaddr: 0x4021_2000, Paddr: 0x4021_2000, Filesz: 0x320, Memsz: 0x1248, Flags: elf.PF_R | elf.PF_W},
}

// testELF returns an ELF64 little-endian AArch64 executable with the given
// entry and program headers and no section headers. Every byte the program
// headers cover holds a pattern that depends on its file offset, so a
// segment copied from the wrong place shows; the ELF header and program
// headers then overwrite the first bytes, as in a Go binary.
func testELF(entry uint64, progs []testProg) []byte {
	size := uint64(ehdrSize + len(progs)*phdrSize)
	for _, p := range progs {
		size = max(size, p.off+p.filesz)
	}
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i*131 + i>>9)
	}
	header := elf.Header64{
		Type: uint16(elf.ET_EXEC), Machine: uint16(elf.EM_AARCH64), Version: uint32(elf.EV_CURRENT),
		Entry: entry, Phoff: ehdrSize, Ehsize: ehdrSize, Phentsize: phdrSize, Phnum: uint16(len(progs)),
		Shentsize: shdrSize,
	}
	copy(header.Ident[:], elf.ELFMAG)
	header.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	header.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	header.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	mustEncode(b, &header)
	for i, p := range progs {
		mustEncode(b[ehdrSize+i*phdrSize:], &elf.Prog64{
			Type: uint32(p.typ), Flags: uint32(p.flags), Off: p.off,
			Vaddr: p.vaddr, Paddr: p.vaddr, Filesz: p.filesz, Memsz: p.memsz, Align: p.align,
		})
	}
	return b
}

func mustEncode(b []byte, v any) {
	if _, err := binary.Encode(b, binary.LittleEndian, v); err != nil {
		panic(err)
	}
}

// hypervisorELF is the test hypervisor.
func hypervisorELF() []byte { return testELF(hypervisorEntry, hypervisorProgs) }

func mustName(s string) table.Name {
	n, err := table.NewName(s)
	if err != nil {
		panic(err)
	}
	return n
}

// demoTable is a table for qemu-virt that passes Check, shaped like
// configs/qemu-virt.yaml with small images. Its RAM starts at 0x50000000,
// clear of the payload segment after the hypervisor's memory:
//
//	partition 0 "infotainment": CPUs 0-1, RAM 0x50000000 at IPA
//	  0x40000000, Linux Image + initrd + DTB, virtio-mmio (SPIs 48-51),
//	  PCIe ECAM (SPIs 35-38, stream IDs 0-0xff), read-only member of
//	  channel "vehicle-data" at IPA 0x70000000
//	partition 1 "ecu": CPU 2, raw kernel, the RTC (SPI 34), writable
//	  member of "vehicle-data"
//	partition 2 "test": CPU 3, no console, stops on a fault, SPI 40 and
//	  stream IDs 0x100-0x10f not tied to a device
//
// The images' SHA-256 are left zero; demoInputs fills them in.
func demoTable() *table.Table {
	const rwx = table.PermRead | table.PermWrite | table.PermExec
	const rw = table.PermRead | table.PermWrite
	return &table.Table{
		Board:       mustName(qemuvirt.Name),
		PayloadSize: 0x5560,
		Partitions: []table.Partition{
			{
				Name: mustName("infotainment"), CPUMask: 0b0011, EntryIPA: 0x4020_0000, DTBIPA: 0x4300_0000,
				Regions: table.Span{First: 0, Count: 4}, Devices: table.Span{First: 0, Count: 2}, Interrupts: table.Span{First: 0, Count: 8},
				StreamIDRanges: table.Span{First: 0, Count: 1}, Images: table.Span{First: 0, Count: 3},
				ConsoleDevice: table.NoIndex, OnFault: table.FaultInjectAbort, Console: table.ConsoleVirtual, KernelFormat: table.KernelLinuxImage,
			},
			{
				Name: mustName("ecu"), CPUMask: 0b0100, EntryIPA: 0x6800_0000,
				Regions: table.Span{First: 4, Count: 3}, Devices: table.Span{First: 2, Count: 1}, Interrupts: table.Span{First: 8, Count: 1},
				StreamIDRanges: table.Span{First: 1, Count: 0}, Images: table.Span{First: 3, Count: 1},
				ConsoleDevice: table.NoIndex, OnFault: table.FaultRestart, Console: table.ConsoleVirtual, KernelFormat: table.KernelRaw,
			},
			{
				Name: mustName("test"), CPUMask: 0b1000, EntryIPA: 0x6c00_0000,
				Regions: table.Span{First: 7, Count: 1}, Devices: table.Span{First: 3, Count: 0}, Interrupts: table.Span{First: 9, Count: 1},
				StreamIDRanges: table.Span{First: 1, Count: 1}, Images: table.Span{First: 4, Count: 1},
				ConsoleDevice: table.NoIndex, OnFault: table.FaultStop, Console: table.ConsoleNone, KernelFormat: table.KernelRaw,
			},
		},
		Regions: []table.Region{
			{PhysBase: 0x5000_0000, IPA: 0x4000_0000, Size: 256 * MiB, Partition: 0, Owner: table.NoIndex, Kind: table.RegionRAM, Perm: rwx},
			{PhysBase: qemuvirt.VirtioBase, IPA: qemuvirt.VirtioBase, Size: qemuvirt.VirtioSize, Partition: 0, Owner: 0, Kind: table.RegionMMIO, Perm: rw},
			{PhysBase: qemuvirt.PCIeECAMBase, IPA: qemuvirt.PCIeECAMBase, Size: qemuvirt.PCIeECAMSize, Partition: 0, Owner: 1, Kind: table.RegionMMIO, Perm: rw},
			{PhysBase: 0x6d00_0000, IPA: 0x7000_0000, Size: 64 * KiB, Partition: 0, Owner: 0, Kind: table.RegionChannel, Perm: table.PermRead},
			{PhysBase: 0x6800_0000, IPA: 0x6800_0000, Size: 64 * MiB, Partition: 1, Owner: table.NoIndex, Kind: table.RegionRAM, Perm: rwx},
			{PhysBase: qemuvirt.RTCBase, IPA: qemuvirt.RTCBase, Size: qemuvirt.PageSize, Partition: 1, Owner: 2, Kind: table.RegionMMIO, Perm: rw},
			{PhysBase: 0x6d00_0000, IPA: 0x6d00_0000, Size: 64 * KiB, Partition: 1, Owner: 0, Kind: table.RegionChannel, Perm: rw},
			{PhysBase: 0x6c00_0000, IPA: 0x6c00_0000, Size: 16 * MiB, Partition: 2, Owner: table.NoIndex, Kind: table.RegionRAM, Perm: rwx},
		},
		Devices: []table.Device{
			{Name: mustName("virtio-mmio"), Partition: 0, Regions: table.Span{First: 1, Count: 1}, Interrupts: table.Span{First: 0, Count: 4}},
			{Name: mustName("pcie"), Partition: 0, Regions: table.Span{First: 2, Count: 1}, Interrupts: table.Span{First: 4, Count: 4}, StreamIDRanges: table.Span{First: 0, Count: 1}},
			{Name: mustName("rtc"), Partition: 1, Regions: table.Span{First: 5, Count: 1}, Interrupts: table.Span{First: 8, Count: 1}, StreamIDRanges: table.Span{First: 1, Count: 0}},
		},
		Interrupts: []table.Interrupt{
			{INTID: qemuvirt.VirtioIRQBase, Partition: 0, Device: 0},
			{INTID: qemuvirt.VirtioIRQBase + 1, Partition: 0, Device: 0},
			{INTID: qemuvirt.VirtioIRQBase + 2, Partition: 0, Device: 0},
			{INTID: qemuvirt.VirtioIRQBase + 3, Partition: 0, Device: 0},
			{INTID: qemuvirt.PCIeIRQBase, Partition: 0, Device: 1},
			{INTID: qemuvirt.PCIeIRQBase + 1, Partition: 0, Device: 1},
			{INTID: qemuvirt.PCIeIRQBase + 2, Partition: 0, Device: 1},
			{INTID: qemuvirt.PCIeIRQBase + 3, Partition: 0, Device: 1},
			{INTID: qemuvirt.RTCIRQ, Partition: 1, Device: 2},
			{INTID: 32 + 8, Partition: 2, Device: table.NoIndex},
		},
		StreamIDRanges: []table.StreamIDRange{
			{First: 0, Count: 0x100, Partition: 0, Device: 1},
			{First: 0x100, Count: 0x10, Partition: 2, Device: table.NoIndex},
		},
		Channels: []table.Channel{
			{Name: mustName("vehicle-data"), PhysBase: 0x6d00_0000, Size: 64 * KiB, Members: 0b011, ReadOnly: 0b001, Doorbell: 32 + 9},
		},
		Images: []table.Image{
			{Offset: 0, Size: 0x2000, LoadIPA: 0x4020_0000, Partition: 0, Kind: table.ImageKernel},
			{Offset: 0x2000, Size: 0x1800, LoadIPA: 0x4400_0000, Partition: 0, Kind: table.ImageInitrd},
			{Offset: 0x3800, Size: 0x321, LoadIPA: 0x4300_0000, Partition: 0, Kind: table.ImageDTB},
			{Offset: 0x3b28, Size: 0x1234, LoadIPA: 0x6800_0000, Partition: 1, Kind: table.ImageKernel},
			{Offset: 0x4d60, Size: 0x800, LoadIPA: 0x6c00_0000, Partition: 2, Kind: table.ImageKernel},
		},
	}
}

// demoTableLength is the length of demoTable's encoding: the header, 3
// partitions, 8 regions, 3 devices, 10 interrupts, 2 stream ID ranges, a
// channel and 5 images.
const demoTableLength = table.HeaderSize + 3*table.PartitionSize + 8*table.RegionSize + 3*table.DeviceSize +
	10*table.InterruptSize + 2*table.StreamIDRangeSize + table.ChannelSize + 5*table.ImageSize

// payloadFor returns a payload of t.PayloadSize bytes in which every image
// of t holds bytes of its own, and stores their SHA-256 in t. Bytes
// between images are 0xee, bytes no image covers in a real payload.
func payloadFor(t *table.Table) []byte {
	payload := make([]byte, t.PayloadSize)
	for i := range payload {
		payload[i] = 0xee
	}
	for i := range t.Images {
		m := &t.Images[i]
		blob := payload[m.Offset : m.Offset+m.Size]
		for j := range blob {
			blob[j] = byte(i*37 + j*7 + j>>8)
		}
		m.SHA256 = sha256.Sum256(blob)
	}
	return payload
}

// encodeWithPayload encodes t after payloadFor has filled in its images.
func encodeWithPayload(t *testing.T, tbl *table.Table) (encoded, payload []byte) {
	t.Helper()
	payload = payloadFor(tbl)
	encoded, err := table.Encode(tbl)
	require.NoError(t, err)
	return encoded, payload
}

// demoInputs returns the demo table, encoded, and its payload.
func demoInputs(t *testing.T) (tbl, payload []byte) {
	t.Helper()
	return encodeWithPayload(t, demoTable())
}
