package table

import (
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board/qemuvirt"
)

const (
	KiB = 1 << 10
	MiB = 1 << 20
)

func mustName(s string) Name {
	n, err := NewName(s)
	if err != nil {
		panic(err)
	}
	return n
}

func digest(s string) [32]byte { return sha256.Sum256([]byte(s)) }

// smallTable is a sound table for qemu-virt with every kind of record:
//
//	partition 0 "ecu": CPU 0, raw kernel, RAM, the GPIO (MMIO + SPI 39),
//	  a device-less SPI 34, read-only member of channel "ipc"
//	partition 1 "infotainment": CPUs 1-2, Linux Image + initrd + DTB,
//	  RAM at a non-identity IPA, virtio-mmio (SPIs 48-49), PCIe ECAM
//	  (INTA-INTD, stream IDs 0-0xff), writable member of "ipc" with
//	  doorbell SPI 40
func smallTable() *Table {
	return &Table{
		Board:       mustName(qemuvirt.Name),
		PayloadSize: 0x141_2000,
		Partitions: []Partition{
			{
				Name: mustName("ecu"), CPUMask: 0b0001,
				EntryIPA: 0x4800_0800, DTBIPA: 0,
				Regions: Span{0, 3}, Devices: Span{0, 1}, Interrupts: Span{0, 2},
				StreamIDRanges: Span{0, 0}, Images: Span{0, 1},
				ConsoleDevice: NoIndex, OnFault: FaultRestart, Console: ConsoleVirtual, KernelFormat: KernelRaw,
			},
			{
				Name: mustName("infotainment"), CPUMask: 0b0110,
				EntryIPA: 0x4020_0000, DTBIPA: 0x4800_0000,
				Regions: Span{3, 4}, Devices: Span{1, 2}, Interrupts: Span{2, 6},
				StreamIDRanges: Span{0, 1}, Images: Span{1, 3},
				ConsoleDevice: NoIndex, OnFault: FaultInjectAbort, Console: ConsoleVirtual, KernelFormat: KernelLinuxImage,
			},
		},
		Regions: []Region{
			{PhysBase: 0x4800_0000, IPA: 0x4800_0000, Size: 64 * MiB, Partition: 0, Owner: NoIndex, Kind: RegionRAM, Perm: PermRead | PermWrite | PermExec},
			{PhysBase: qemuvirt.GPIOBase, IPA: qemuvirt.GPIOBase, Size: 4 * KiB, Partition: 0, Owner: 0, Kind: RegionMMIO, Perm: PermRead | PermWrite},
			{PhysBase: 0x5c00_0000, IPA: 0x5c00_0000, Size: 1 * MiB, Partition: 0, Owner: 0, Kind: RegionChannel, Perm: PermRead},
			{PhysBase: 0x5000_0000, IPA: 0x4000_0000, Size: 192 * MiB, Partition: 1, Owner: NoIndex, Kind: RegionRAM, Perm: PermRead | PermWrite | PermExec},
			{PhysBase: qemuvirt.VirtioBase, IPA: qemuvirt.VirtioBase, Size: qemuvirt.VirtioSize, Partition: 1, Owner: 1, Kind: RegionMMIO, Perm: PermRead | PermWrite},
			{PhysBase: qemuvirt.PCIeECAMBase, IPA: qemuvirt.PCIeECAMBase, Size: qemuvirt.PCIeECAMSize, Partition: 1, Owner: 2, Kind: RegionMMIO, Perm: PermRead | PermWrite},
			{PhysBase: 0x5c00_0000, IPA: 0x4c00_0000, Size: 1 * MiB, Partition: 1, Owner: 0, Kind: RegionChannel, Perm: PermRead | PermWrite},
		},
		Devices: []Device{
			{Name: mustName("gpio"), Partition: 0, Regions: Span{1, 1}, Interrupts: Span{0, 1}, StreamIDRanges: Span{0, 0}},
			{Name: mustName("virtio-mmio"), Partition: 1, Regions: Span{4, 1}, Interrupts: Span{2, 2}, StreamIDRanges: Span{0, 0}},
			{Name: mustName("pcie"), Partition: 1, Regions: Span{5, 1}, Interrupts: Span{4, 4}, StreamIDRanges: Span{0, 1}},
		},
		Interrupts: []Interrupt{
			{INTID: qemuvirt.GPIOIRQ, Partition: 0, Device: 0},
			{INTID: qemuvirt.RTCIRQ, Partition: 0, Device: NoIndex},
			{INTID: qemuvirt.VirtioIRQBase, Partition: 1, Device: 1},
			{INTID: qemuvirt.VirtioIRQBase + 1, Partition: 1, Device: 1},
			{INTID: qemuvirt.PCIeIRQBase, Partition: 1, Device: 2},
			{INTID: qemuvirt.PCIeIRQBase + 1, Partition: 1, Device: 2},
			{INTID: qemuvirt.PCIeIRQBase + 2, Partition: 1, Device: 2},
			{INTID: qemuvirt.PCIeIRQBase + 3, Partition: 1, Device: 2},
		},
		StreamIDRanges: []StreamIDRange{
			{First: 0, Count: 0x100, Partition: 1, Device: 2},
		},
		Channels: []Channel{
			{Name: mustName("ipc"), PhysBase: 0x5c00_0000, Size: 1 * MiB, Members: 0b11, ReadOnly: 0b01, Doorbell: 32 + 8},
		},
		Images: []Image{
			{Offset: 0, Size: 0x1_0000, LoadIPA: 0x4800_0000, SHA256: digest("ecu kernel"), Partition: 0, Kind: ImageKernel},
			{Offset: 0x1_0000, Size: 16 * MiB, LoadIPA: 0x4020_0000, SHA256: digest("infotainment kernel"), Partition: 1, Kind: ImageKernel},
			{Offset: 0x101_0000, Size: 4 * MiB, LoadIPA: 0x4400_0000, SHA256: digest("infotainment initrd"), Partition: 1, Kind: ImageInitrd},
			{Offset: 0x141_0000, Size: 8 * KiB, LoadIPA: 0x4800_0000, SHA256: digest("infotainment dtb"), Partition: 1, Kind: ImageDTB},
		},
	}
}

// minimalTable is the smallest sound table: one partition with RAM and a
// kernel.
func minimalTable() *Table {
	return &Table{
		Board:       mustName(qemuvirt.Name),
		PayloadSize: 0x1000,
		Partitions: []Partition{{
			Name: mustName("solo"), CPUMask: 0b1, EntryIPA: 0x4800_0000,
			Regions: Span{0, 1}, Images: Span{0, 1},
			ConsoleDevice: NoIndex, OnFault: FaultInjectAbort, Console: ConsoleVirtual, KernelFormat: KernelRaw,
		}},
		Regions: []Region{{PhysBase: 0x4800_0000, IPA: 0x4800_0000, Size: 2 * MiB, Partition: 0, Owner: NoIndex, Kind: RegionRAM, Perm: PermRead | PermWrite | PermExec}},
		Images:  []Image{{Offset: 0, Size: 0x1000, LoadIPA: 0x4800_0000, SHA256: digest("solo"), Partition: 0, Kind: ImageKernel}},
	}
}

// passthroughTable gives partition 0 of the minimal table the PL011 as its
// console, with a 32-byte name and a device's MMIO and interrupt runs in
// use. It encodes, but Check refuses it on qemu-virt, whose only PL011 is
// the hypervisor's console.
func passthroughTable() *Table {
	t := minimalTable()
	t.Partitions[0].Name = mustName("a-partition-name-of-32-bytes-max")
	t.Partitions[0].Regions = Span{0, 2}
	t.Partitions[0].Devices = Span{0, 1}
	t.Partitions[0].Interrupts = Span{0, 1}
	t.Partitions[0].Console = ConsolePassthrough
	t.Partitions[0].ConsoleDevice = 0
	t.Partitions[0].OnFault = FaultStop
	t.Regions = append(t.Regions, Region{PhysBase: qemuvirt.UART0Base, IPA: qemuvirt.UART0Base, Size: qemuvirt.UART0Size, Partition: 0, Owner: 0, Kind: RegionMMIO, Perm: PermRead | PermWrite})
	t.Devices = []Device{{Name: mustName("uart0"), Partition: 0, Regions: Span{1, 1}, Interrupts: Span{0, 1}}}
	t.Interrupts = []Interrupt{{INTID: qemuvirt.UART0IRQ, Partition: 0, Device: 0}}
	return t
}

// manyPartitionsTable has MaxPartitions partitions, each with one RAM
// region and one kernel: the most the format holds, though no board of
// today has the CPUs to Check it.
func manyPartitionsTable() *Table {
	t := &Table{Board: mustName("big-board"), PayloadSize: MaxPartitions * 0x1000}
	for i := range uint32(MaxPartitions) {
		base := 0x1_0000_0000 + uint64(i)*2*MiB
		t.Partitions = append(t.Partitions, Partition{
			Name: mustName("p" + string(rune('A'+i%26)) + string(rune('a'+i/26))), CPUMask: 1 << i, EntryIPA: base,
			Regions: Span{i, 1}, Devices: Span{0, 0}, Interrupts: Span{0, 0}, StreamIDRanges: Span{0, 0}, Images: Span{i, 1},
			ConsoleDevice: NoIndex, OnFault: FaultInjectAbort, Console: ConsoleNone, KernelFormat: KernelRaw,
		})
		t.Regions = append(t.Regions, Region{PhysBase: base, IPA: base, Size: 2 * MiB, Partition: i, Owner: NoIndex, Kind: RegionRAM, Perm: PermRead | PermWrite | PermExec})
		t.Images = append(t.Images, Image{Offset: uint64(i) * 0x1000, Size: 0x1000, LoadIPA: base, Partition: i, Kind: ImageKernel})
	}
	return t
}

func encode(t *testing.T, tbl *Table) []byte {
	t.Helper()
	b, err := Encode(tbl)
	require.NoError(t, err)
	return b
}

// sectionOffset returns where section s starts in the encoding of tbl.
func sectionOffset(tbl *Table, s section) int {
	counts := [numSections]int{len(tbl.Partitions), len(tbl.Regions), len(tbl.Devices), len(tbl.Interrupts), len(tbl.StreamIDRanges), len(tbl.Channels), len(tbl.Images)}
	offset := HeaderSize
	for k := range s {
		offset += counts[k] * sections[k].recordSize
	}
	return offset
}

// recordAt returns where record i of section s starts in the encoding of
// tbl.
func recordAt(tbl *Table, s section, i int) int {
	return sectionOffset(tbl, s) + i*sections[s].recordSize
}
