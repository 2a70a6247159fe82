package partition

import (
	"bytes"
	"crypto/sha256" // an independent SHA-256 to check the table's digests against
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/firmware/hv"
	"github.com/tamavisor/tamavisor/internal/fdt"
	"github.com/tamavisor/tamavisor/partition/table"
)

// pattern returns n bytes that differ from position to position, so a
// blob copied to the wrong place or cut short changes its digest.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

// paintedELF returns the fixture ELF e with the file bytes of segment i
// all set to 0x11*(i+1), so that each segment's bytes can be told apart in
// the flattened kernel. elfImage.bytes writes the headers, then each
// segment's bytes in order.
func paintedELF(e elfImage) []byte {
	b := e.bytes()
	offset := 64 + 56*len(e.segments)
	for i, s := range e.segments {
		for j := range s.filesz {
			b[offset+int(j)] = 0x11 * byte(i+1)
		}
		offset += int(s.filesz)
	}
	return b
}

// run is a run of n bytes of value v in an expected blob.
type run struct {
	v byte
	n int
}

func blob(runs ...run) []byte {
	var b []byte
	for _, r := range runs {
		b = append(b, bytes.Repeat([]byte{r.v}, r.n)...)
	}
	return b
}

// compileFixtures are the guest files the compile cases name.
func compileFixtures() map[string][]byte {
	withJunk := append(givenDTB(), make([]byte, 16)...) // bytes after totalsize are not part of the tree
	return map[string][]byte{
		// text_offset 0x80000, image_size 6 MiB, 12 KiB in the file.
		"Image":      append(linuxImage(0x80000, 6*MiB, 64), pattern(12*int(KiB)-64, 3)...),
		"initrd.img": pattern(5000, 5),
		"guest.bin":  pattern(4*int(KiB), 9),
		"big.bin":    pattern(3*int(MiB), 1),
		"mid.bin":    pattern(1*int(MiB), 2),
		"half.img":   pattern(1536*int(KiB), 4),
		"large.img":  pattern(2*int(MiB)+4*int(KiB), 6),
		"given.dtb":  withJunk,
		// Two segments with a gap between them and bss after each.
		"ecu.elf": paintedELF(elfImage{entry: 0x54000040, segments: []elfSegment{{0x54000000, 0x100, 0x1000}, {0x54003000, 0x80, 0x100}}}),
		// Segments in two memory regions that touch: 0x50000000+4MiB and 0x50400000+4MiB.
		"split.elf": elfImage{entry: 0x50000000, segments: []elfSegment{{0x50000000, 0x100, 0x1000}, {0x50500000, 0x100, 0x1000}}}.bytes(),
		// e_entry inside the memory but past the one segment.
		"wild.elf": elfImage{entry: 0x50100000, segments: []elfSegment{{0x50000000, 0x100, 0x1000}}}.bytes(),
		// A Linux Image whose header asks for 5 MiB of room.
		"Image-5M":   linuxImage(0, 5*MiB, 5*int(MiB)),
		"header.dtb": dtb(64, 64), // a header the validator accepts, with no tree behind it
	}
}

// givenDTB is a device tree a config may name instead of the generated one.
func givenDTB() []byte {
	w := fdt.NewWriter()
	for _, err := range []error{w.BeginNode(""), w.PropString("model", "from a file"), w.EndNode()} {
		if err != nil {
			panic(err)
		}
	}
	b, err := w.Finish()
	if err != nil {
		panic(err)
	}
	return b
}

// wantImage is an image record as expected: content is the blob's bytes,
// nil for a DTB, whose bytes are the partition's entry in Compiled.DTBs.
type wantImage struct {
	partition uint32
	kind      table.ImageKind
	offset    uint64
	loadIPA   uint64
	content   []byte
}

// dtProp is one expected property of a device tree: value is a string, a
// []string, a []uint32 or []uint64 of cells, or nil for a property that
// must be absent.
type dtProp struct {
	path, name string
	value      any
}

// wantTree is what a partition's device tree holds: the root's children
// by name, in order, and some of their properties.
type wantTree struct {
	nodes []string
	props []dtProp
}

type compileCase struct {
	name       string
	config     string
	partitions []table.Partition
	regions    []table.Region
	devices    []table.Device
	interrupts []table.Interrupt
	streamIDs  []table.StreamIDRange
	channels   []table.Channel
	images     []wantImage
	// placement leaves the sizes of DTBs 0: they are checked against
	// Compiled.DTBs instead.
	placement []Placement
	trees     map[string]wantTree
}

const rwx = table.PermRead | table.PermWrite | table.PermExec

func mustName(t *testing.T, s string) table.Name {
	t.Helper()
	n, err := table.NewName(s)
	require.NoError(t, err)
	return n
}

// Nodes of every generated tree, around the console.
var (
	treeHead = []string{"chosen"}
	treeMid  = []string{"cpus", "psci", "timer", "interrupt-controller@8000000", "apb-pclk"}
)

func nodes(parts ...[]string) []string { return slices.Concat(parts...) }

func compileCases(t *testing.T) []compileCase {
	files := compileFixtures()
	return []compileCase{{
		name: "linux and elf partitions with devices and a channel",
		config: `board: qemu-virt
hypervisor:
  memory: {base: 0x40000000, size: 256MiB}
partitions:
  - name: linux
    cpus: [0, 1]
    memory: [{base: 0x50000000, size: 64MiB}]
    kernel:
      format: linux
      image: Image
      initrd: initrd.img
      bootargs: "console=ttyAMA0 root=/dev/ram0"
  - name: ecu
    cpus: [2]
    memory:
      - {base: 0x54000000, size: 16MiB}
      - {base: 0x56000000, size: 4MiB, ipa: 0x60000000}
    devices:
      - rtc
      - name: can0
        mmio: [{base: 0x9100000, size: 4KiB}]
        interrupts: [140]
        stream_ids: [9]
    kernel: {format: elf, image: ecu.elf}
    on_fault: restart
channels:
  - name: vehicle-data
    base: 0x55000000
    size: 64KiB
    doorbell: 141
    members:
      - {partition: ecu, access: rw}
      - {partition: linux, access: ro, ipa: 0x70000000}
`,
		partitions: []table.Partition{{
			Name: mustName(t, "linux"), CPUMask: 0b11, EntryIPA: 0x5008_0000, DTBIPA: 0x53e0_0000,
			Regions: table.Span{First: 0, Count: 2}, Devices: table.Span{First: 0, Count: 0}, Interrupts: table.Span{First: 0, Count: 0},
			StreamIDRanges: table.Span{First: 0, Count: 0}, Images: table.Span{First: 0, Count: 3},
			ConsoleDevice: table.NoIndex, OnFault: table.FaultInjectAbort, Console: table.ConsoleVirtual, KernelFormat: table.KernelLinuxImage,
		}, {
			Name: mustName(t, "ecu"), CPUMask: 0b100, EntryIPA: 0x5400_0040, DTBIPA: 0x54e0_0000,
			Regions: table.Span{First: 2, Count: 5}, Devices: table.Span{First: 0, Count: 2}, Interrupts: table.Span{First: 0, Count: 2},
			StreamIDRanges: table.Span{First: 0, Count: 1}, Images: table.Span{First: 3, Count: 2},
			ConsoleDevice: table.NoIndex, OnFault: table.FaultRestart, Console: table.ConsoleVirtual, KernelFormat: table.KernelRaw,
		}},
		regions: []table.Region{
			{PhysBase: 0x5000_0000, IPA: 0x5000_0000, Size: 64 * MiB, Partition: 0, Owner: table.NoIndex, Kind: table.RegionRAM, Perm: rwx},
			{PhysBase: 0x5500_0000, IPA: 0x7000_0000, Size: 64 * KiB, Partition: 0, Owner: 0, Kind: table.RegionChannel, Perm: table.PermRead},
			{PhysBase: 0x5400_0000, IPA: 0x5400_0000, Size: 16 * MiB, Partition: 1, Owner: table.NoIndex, Kind: table.RegionRAM, Perm: rwx},
			{PhysBase: 0x5600_0000, IPA: 0x6000_0000, Size: 4 * MiB, Partition: 1, Owner: table.NoIndex, Kind: table.RegionRAM, Perm: rwx},
			{PhysBase: 0x901_0000, IPA: 0x901_0000, Size: 4 * KiB, Partition: 1, Owner: 0, Kind: table.RegionMMIO, Perm: table.PermRead | table.PermWrite},
			{PhysBase: 0x910_0000, IPA: 0x910_0000, Size: 4 * KiB, Partition: 1, Owner: 1, Kind: table.RegionMMIO, Perm: table.PermRead | table.PermWrite},
			{PhysBase: 0x5500_0000, IPA: 0x5500_0000, Size: 64 * KiB, Partition: 1, Owner: 0, Kind: table.RegionChannel, Perm: table.PermRead | table.PermWrite},
		},
		devices: []table.Device{
			{Name: mustName(t, "rtc"), Partition: 1, Regions: table.Span{First: 4, Count: 1}, Interrupts: table.Span{First: 0, Count: 1}, StreamIDRanges: table.Span{First: 0, Count: 0}},
			{Name: mustName(t, "can0"), Partition: 1, Regions: table.Span{First: 5, Count: 1}, Interrupts: table.Span{First: 1, Count: 1}, StreamIDRanges: table.Span{First: 0, Count: 1}},
		},
		interrupts: []table.Interrupt{{INTID: 34, Partition: 1, Device: 0}, {INTID: 140, Partition: 1, Device: 1}},
		streamIDs:  []table.StreamIDRange{{First: 9, Count: 1, Partition: 1, Device: 1}},
		channels: []table.Channel{{Name: mustName(t, "vehicle-data"), PhysBase: 0x5500_0000, Size: 64 * KiB,
			Members: 0b11, ReadOnly: 0b01, Doorbell: 141}},
		images: []wantImage{
			{partition: 0, kind: table.ImageKernel, offset: 0, loadIPA: 0x5008_0000, content: files["Image"]},
			// 5000 bytes end right below the DTB block, page aligned down.
			{partition: 0, kind: table.ImageInitrd, offset: 0x3000, loadIPA: 0x53df_e000, content: files["initrd.img"]},
			{partition: 0, kind: table.ImageDTB, offset: 0x5000, loadIPA: 0x53e0_0000},
			{partition: 1, kind: table.ImageKernel, offset: 0x6000, loadIPA: 0x5400_0000,
				content: blob(run{0x11, 0x100}, run{0, 0x2f00}, run{0x22, 0x80}, run{0, 0x80})},
			{partition: 1, kind: table.ImageDTB, offset: 0xa000, loadIPA: 0x54e0_0000},
		},
		placement: []Placement{
			{Partition: "linux", Kind: table.ImageKernel, IPA: 0x5008_0000, Size: 12 * KiB, Footprint: 6 * MiB, Source: "Image"},
			{Partition: "linux", Kind: table.ImageInitrd, IPA: 0x53df_e000, Size: 5000, Footprint: 5000, Source: "initrd.img"},
			{Partition: "linux", Kind: table.ImageDTB, IPA: 0x53e0_0000, Footprint: 2 * MiB},
			{Partition: "ecu", Kind: table.ImageKernel, IPA: 0x5400_0000, Size: 0x3100, Footprint: 0x3100, Source: "ecu.elf"},
			{Partition: "ecu", Kind: table.ImageDTB, IPA: 0x54e0_0000, Footprint: 2 * MiB},
		},
		trees: map[string]wantTree{
			"linux": {
				nodes: nodes(treeHead, []string{"memory@50000000"}, treeMid, []string{"serial@9000000", "vehicle-data@a102000"}),
				props: []dtProp{
					{"/chosen", "bootargs", "console=ttyAMA0 root=/dev/ram0"},
					{"/chosen", "stdout-path", "/serial@9000000"},
					{"/chosen", "linux,initrd-start", []uint64{0x53df_e000}},
					{"/chosen", "linux,initrd-end", []uint64{0x53df_e000 + 5000}},
					{"/memory@50000000", "reg", []uint64{0x5000_0000, 64 * MiB}},
					{"/cpus/cpu@0", "reg", []uint32{0}},
					{"/cpus/cpu@1", "reg", []uint32{1}},
					{"/psci", "method", "hvc"},
					{"/timer", "interrupts", []uint32{1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4}},
					// Two vCPUs: two redistributors at the board's GICR base.
					{"/interrupt-controller@8000000", "reg", []uint64{0x800_0000, 0x1_0000, 0x80a_0000, 0x4_0000}},
					{"/serial@9000000", "compatible", []string{"arm,pl011", "arm,primecell"}},
					{"/serial@9000000", "reg", []uint64{0x900_0000, 0x1000}},
					{"/serial@9000000", "interrupts", []uint32{0, 1, 4}},
				},
			},
			"ecu": {
				nodes: nodes(treeHead, []string{"memory@54000000", "memory@60000000"}, treeMid, []string{"serial@9000000", "rtc@9010000", "can0@9100000", "vehicle-data@a102000"}),
				props: []dtProp{
					{"/chosen", "bootargs", nil},
					{"/chosen", "linux,initrd-start", nil},
					{"/chosen", "stdout-path", "/serial@9000000"},
					{"/memory@54000000", "reg", []uint64{0x5400_0000, 16 * MiB}},
					{"/memory@60000000", "reg", []uint64{0x6000_0000, 4 * MiB}},
					{"/cpus/cpu@0", "reg", []uint32{0}},
					{"/interrupt-controller@8000000", "reg", []uint64{0x800_0000, 0x1_0000, 0x80a_0000, 0x2_0000}},
					{"/rtc@9010000", "compatible", []string{"arm,pl031", "arm,primecell"}},
					{"/rtc@9010000", "reg", []uint64{0x901_0000, 0x1000}},
					{"/rtc@9010000", "interrupts", []uint32{0, 2, 4}},
					{"/can0@9100000", "compatible", []string{"tamavisor,passthrough"}},
					{"/can0@9100000", "reg", []uint64{0x910_0000, 0x1000}},
					{"/can0@9100000", "interrupts", []uint32{0, 108, 4}},
				},
			},
		},
	}, {
		name: "raw kernel with entry and a passthrough console",
		config: `board: qemu-virt
hypervisor:
  memory: {base: 0x40000000, size: 160MiB}
partitions:
  - name: bare
    cpus: [3]
    memory: [{base: 0x50000000, size: 4MiB}]
    devices:
      - name: uart1
        mmio: [{base: 0x9040000, size: 4KiB}]
        interrupts: [40]
      - name: dma
        stream_ids: [12]
    kernel: {format: raw, image: guest.bin, entry: 0x50000800}
    console: uart1
    on_fault: stop
`,
		partitions: []table.Partition{{
			Name: mustName(t, "bare"), CPUMask: 0b1000, EntryIPA: 0x5000_0800, DTBIPA: 0x5020_0000,
			Regions: table.Span{First: 0, Count: 2}, Devices: table.Span{First: 0, Count: 2}, Interrupts: table.Span{First: 0, Count: 1},
			StreamIDRanges: table.Span{First: 0, Count: 1}, Images: table.Span{First: 0, Count: 2},
			ConsoleDevice: 0, OnFault: table.FaultStop, Console: table.ConsolePassthrough, KernelFormat: table.KernelRaw,
		}},
		regions: []table.Region{
			{PhysBase: 0x5000_0000, IPA: 0x5000_0000, Size: 4 * MiB, Partition: 0, Owner: table.NoIndex, Kind: table.RegionRAM, Perm: rwx},
			{PhysBase: 0x904_0000, IPA: 0x904_0000, Size: 4 * KiB, Partition: 0, Owner: 0, Kind: table.RegionMMIO, Perm: table.PermRead | table.PermWrite},
		},
		devices: []table.Device{
			{Name: mustName(t, "uart1"), Partition: 0, Regions: table.Span{First: 1, Count: 1}, Interrupts: table.Span{First: 0, Count: 1}, StreamIDRanges: table.Span{First: 0, Count: 0}},
			{Name: mustName(t, "dma"), Partition: 0, Regions: table.Span{First: 2, Count: 0}, Interrupts: table.Span{First: 1, Count: 0}, StreamIDRanges: table.Span{First: 0, Count: 1}},
		},
		interrupts: []table.Interrupt{{INTID: 40, Partition: 0, Device: 0}},
		streamIDs:  []table.StreamIDRange{{First: 12, Count: 1, Partition: 0, Device: 1}},
		images: []wantImage{
			{partition: 0, kind: table.ImageKernel, offset: 0, loadIPA: 0x5000_0000, content: files["guest.bin"]},
			{partition: 0, kind: table.ImageDTB, offset: 0x1000, loadIPA: 0x5020_0000},
		},
		placement: []Placement{
			{Partition: "bare", Kind: table.ImageKernel, IPA: 0x5000_0000, Size: 4 * KiB, Footprint: 4 * KiB, Source: "guest.bin"},
			{Partition: "bare", Kind: table.ImageDTB, IPA: 0x5020_0000, Footprint: 2 * MiB},
		},
		trees: map[string]wantTree{
			"bare": {
				// The console is the passed-through UART; dma has no
				// registers, so no node.
				nodes: nodes(treeHead, []string{"memory@50000000"}, treeMid, []string{"serial@9040000"}),
				props: []dtProp{
					{"/chosen", "stdout-path", "/serial@9040000"},
					{"/serial@9040000", "compatible", []string{"arm,pl011", "arm,primecell"}},
					{"/serial@9040000", "reg", []uint64{0x904_0000, 0x1000}},
					{"/serial@9040000", "interrupts", []uint32{0, 8, 4}},
				},
			},
		},
	}, {
		name: "a device tree and an initrd from files",
		config: `board: qemu-virt
hypervisor:
  memory: {base: 0x40000000, size: 256MiB}
partitions:
  - name: given
    cpus: [0]
    memory: [{base: 0x50000000, size: 8MiB}]
    kernel: {format: raw, image: guest.bin, initrd: initrd.img, dtb: given.dtb}
`,
		partitions: []table.Partition{{
			Name: mustName(t, "given"), CPUMask: 0b1, EntryIPA: 0x5000_0000, DTBIPA: 0x5060_0000,
			Regions: table.Span{First: 0, Count: 1}, Images: table.Span{First: 0, Count: 3},
			ConsoleDevice: table.NoIndex, OnFault: table.FaultInjectAbort, Console: table.ConsoleVirtual, KernelFormat: table.KernelRaw,
		}},
		regions: []table.Region{
			{PhysBase: 0x5000_0000, IPA: 0x5000_0000, Size: 8 * MiB, Partition: 0, Owner: table.NoIndex, Kind: table.RegionRAM, Perm: rwx},
		},
		images: []wantImage{
			{partition: 0, kind: table.ImageKernel, offset: 0, loadIPA: 0x5000_0000, content: files["guest.bin"]},
			{partition: 0, kind: table.ImageInitrd, offset: 0x1000, loadIPA: 0x505f_e000, content: files["initrd.img"]},
			{partition: 0, kind: table.ImageDTB, offset: 0x3000, loadIPA: 0x5060_0000, content: givenDTB()},
		},
		placement: []Placement{
			{Partition: "given", Kind: table.ImageKernel, IPA: 0x5000_0000, Size: 4 * KiB, Footprint: 4 * KiB, Source: "guest.bin"},
			{Partition: "given", Kind: table.ImageInitrd, IPA: 0x505f_e000, Size: 5000, Footprint: 5000, Source: "initrd.img"},
			{Partition: "given", Kind: table.ImageDTB, IPA: 0x5060_0000, Footprint: 2 * MiB, Source: "given.dtb"},
		},
		trees: map[string]wantTree{
			"given": {props: []dtProp{{"/", "model", "from a file"}}},
		},
	}}
}

// compileDir writes the compile fixtures into a temporary directory and
// makes it the working one.
func compileDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	writeFiles(t, dir, compileFixtures())
	return dir
}

func TestCompile(t *testing.T) {
	compileDir(t)
	for _, tc := range compileCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("config.yaml", []byte(tc.config))
			require.NoError(t, err)
			out, err := Compile(c)
			require.NoError(t, err)
			tb := out.Table

			assert.Equal(t, mustName(t, "qemu-virt"), tb.Board)
			assert.Equal(t, tc.partitions, tb.Partitions, "partitions")
			assert.Equal(t, tc.regions, tb.Regions, "regions")
			assert.Equal(t, tc.devices, tb.Devices, "devices")
			assert.Equal(t, tc.interrupts, tb.Interrupts, "interrupts")
			assert.Equal(t, tc.streamIDs, tb.StreamIDRanges, "stream ID ranges")
			assert.Equal(t, tc.channels, tb.Channels, "channels")
			assert.Equal(t, uint64(len(out.Payload)), tb.PayloadSize, "payload size")

			require.Len(t, tb.Images, len(tc.images), "images")
			for i, want := range tc.images {
				got := tb.Images[i]
				content := want.content
				if content == nil {
					content = out.DTBs[tc.partitions[want.partition].Name.String()]
				}
				assert.Equal(t, table.Image{Offset: want.offset, Size: uint64(len(content)), LoadIPA: want.loadIPA,
					SHA256: sha256.Sum256(content), Partition: want.partition, Kind: want.kind}, got, "image %d", i)
				if got.Offset+got.Size <= uint64(len(out.Payload)) {
					assert.True(t, bytes.Equal(content, out.Payload[got.Offset:got.Offset+got.Size]), "image %d: payload bytes differ", i)
				}
			}

			placement := slices.Clone(out.Placement)
			for i, p := range placement {
				if p.Kind == table.ImageDTB {
					assert.Equal(t, uint64(len(out.DTBs[p.Partition])), p.Size, "placement %d: DTB size", i)
					placement[i].Size = 0
				}
			}
			assert.Equal(t, tc.placement, placement, "placement")

			require.Len(t, out.DTBs, len(tc.trees))
			for name, want := range tc.trees {
				checkTree(t, name, out.DTBs[name], want)
			}
			checkFirmwareAccepts(t, out)
		})
	}
}

// checkTree parses a partition's DTB and compares it with want.
func checkTree(t *testing.T, partition string, blob []byte, want wantTree) {
	t.Helper()
	root, err := fdt.Parse(blob)
	require.NoError(t, err, "partition %q: DTB", partition)
	if want.nodes != nil {
		var names []string
		for _, child := range root.Children {
			names = append(names, child.Name)
		}
		assert.Equal(t, want.nodes, names, "partition %q: nodes under the root", partition)
	}
	for _, w := range want.props {
		node, ok := root.Find(w.path)
		if !assert.True(t, ok, "partition %q: no node %s", partition, w.path) {
			continue
		}
		prop, present := node.Property(w.name)
		if w.value == nil {
			assert.False(t, present, "partition %q: %s has %s", partition, w.path, w.name)
			continue
		}
		if !assert.True(t, present, "partition %q: %s has no %s", partition, w.path, w.name) {
			continue
		}
		var got any
		switch w.value.(type) {
		case string:
			got, err = prop.StringValue()
		case []string:
			got, err = prop.Strings()
		case []uint32:
			got, err = prop.U32s()
		case []uint64:
			got, err = prop.U64s()
		default:
			t.Fatalf("unexpected expectation type %T", w.value)
		}
		require.NoError(t, err)
		assert.Equal(t, w.value, got, "partition %q: %s %s", partition, w.path, w.name)
	}
}

// checkFirmwareAccepts lays out the payload segment as the image builder
// does (the encoded table, zeros to 4 KiB, the payload) and runs the
// firmware's own check on it; the table must also come back unchanged
// from its encoding.
func checkFirmwareAccepts(t *testing.T, out *Compiled) {
	t.Helper()
	encoded, err := table.Encode(out.Table)
	require.NoError(t, err)
	view, err := table.Decode(encoded)
	require.NoError(t, err)
	assert.Equal(t, out.Table, view.Table(), "decoded table")

	segment := make([]byte, alignUp(uint64(len(encoded)), 4*KiB))
	copy(segment, encoded)
	segment = append(segment, out.Payload...)
	b := qemuvirt.Board
	loaded, err := hv.LoadPartitionTable(segment, b.Hypervisor.Memory.End(), table.LimitsFor(b))
	require.NoError(t, err, "the firmware refuses the table")
	assert.Equal(t, out.Payload, loaded.Images)
}

// compileErrorCase is a config that validates but does not compile, and
// the exact problems Compile reports, each as line:col: message.
type compileErrorCase struct {
	name   string
	config string
	// changed are fixture files rewritten between Parse and Compile; a
	// nil one is removed.
	changed map[string][]byte
	want    []string
}

// compileOnePartition is a config with one partition whose memory and kernel
// lines are filled in; the hypervisor reserves 256 MiB.
func compileOnePartition(memory, kernel string) string {
	return `board: qemu-virt
hypervisor:
  memory: {base: 0x40000000, size: 256MiB}
partitions:
  - name: a
    cpus: [0]
    memory: ` + memory + `
    kernel: ` + kernel + `
`
}

// compilePartitionB is a second partition, named b, to append to
// compileOnePartition's config, at 0x54000000 as ecu.elf is linked.
func compilePartitionB(kernel string) string {
	return `  - name: b
    cpus: [1]
    memory: [{base: 0x54000000, size: 16MiB}]
    kernel: ` + kernel + `
`
}

// mmioRanges writes n adjacent 4 KiB mmio ranges from base, as a flow
// sequence's items.
func mmioRanges(base uint64, n int) string {
	ranges := make([]string, n)
	for i := range ranges {
		ranges[i] = fmt.Sprintf("{base: %#x, size: 4KiB}", base+uint64(i)*4*KiB)
	}
	return strings.Join(ranges, ", ")
}

func TestCompileErrors(t *testing.T) {
	dir := compileDir(t)
	cases := []compileErrorCase{{
		name:   "kernel reaches into the DTB block",
		config: compileOnePartition("[{base: 0x50000000, size: 4MiB}]", "{format: raw, image: big.bin}"),
		want: []string{`8:13: partition "a": kernel image "big.bin" occupies ipa 0x50000000+3MiB, which reaches into the device tree's block 0x50200000+2MiB at the top of memory region 0 at ipa 0x50000000+4MiB; ` +
			`give the partition more memory: memory region 0 holds the kernel, the initrd below the device tree, and the device tree in the 2MiB-aligned 2MiB block at its top`},
	}, {
		name:   "memory region 0 has no 2 MiB block",
		config: compileOnePartition("[{base: 0x50100000, size: 2MiB}]", "{format: raw, image: guest.bin}"),
		want: []string{`8:13: partition "a": memory region 0 at ipa 0x50100000+2MiB has no 2MiB-aligned 2MiB block for the device tree, which arm64 Linux maps with one 2MiB block; ` +
			`give the partition more memory: memory region 0 holds the kernel, the initrd below the device tree, and the device tree in the 2MiB-aligned 2MiB block at its top`},
	}, {
		name:   "initrd does not fit below the DTB block",
		config: compileOnePartition("[{base: 0x50000000, size: 4MiB}]", "{format: raw, image: guest.bin, initrd: large.img}"),
		want: []string{`8:13: partition "a": initrd "large.img" (2052KiB) does not fit in memory region 0 at ipa 0x50000000+4MiB below the device tree's block at 0x50200000; ` +
			`give the partition more memory: memory region 0 holds the kernel, the initrd below the device tree, and the device tree in the 2MiB-aligned 2MiB block at its top`},
	}, {
		name:   "initrd overlaps the kernel",
		config: compileOnePartition("[{base: 0x50000000, size: 4MiB}]", "{format: raw, image: mid.bin, initrd: half.img}"),
		want: []string{`8:13: partition "a": initrd "half.img" would load at ipa 0x50080000+1536KiB, below the device tree's block, over kernel image "mid.bin" at ipa 0x50000000+1MiB; ` +
			`give the partition more memory: memory region 0 holds the kernel, the initrd below the device tree, and the device tree in the 2MiB-aligned 2MiB block at its top`},
	}, {
		name:   "linux image_size reaches into the DTB block",
		config: compileOnePartition("[{base: 0x50000000, size: 6MiB}]", "{format: linux, image: Image-5M}"),
		want: []string{`8:13: partition "a": kernel image "Image-5M" occupies ipa 0x50000000+5MiB, which reaches into the device tree's block 0x50400000+2MiB at the top of memory region 0 at ipa 0x50000000+6MiB; ` +
			`give the partition more memory: memory region 0 holds the kernel, the initrd below the device tree, and the device tree in the 2MiB-aligned 2MiB block at its top`},
	}, {
		name: "elf kernel across two memory regions",
		config: compileOnePartition(`
      - {base: 0x50000000, size: 4MiB}
      - {base: 0x50400000, size: 4MiB}`, "{format: elf, image: split.elf}"),
		want: []string{`10:34: partition "a": kernel image "split.elf" occupies ipa 0x50000000+5124KiB, which no single memory region holds (guest memory 0x50000000+4MiB, 0x50400000+4MiB); ` +
			`load it into one region: link the guest within one, or merge the regions it spans into one`},
	}, {
		name:   "elf entry outside its segments",
		config: compileOnePartition("[{base: 0x50000000, size: 4MiB}]", "{format: elf, image: wild.elf}"),
		want: []string{`8:34: partition "a": kernel image "wild.elf" starts at 0x50100000 (e_entry), outside its PT_LOAD segments, which load at 0x50000000+4KiB; ` +
			`link the guest so that its entry point is in a loaded segment, or set entry`},
	}, {
		name:   "raw entry outside the image",
		config: compileOnePartition("[{base: 0x50000000, size: 4MiB}]", "{format: raw, image: guest.bin, entry: 0x50100000}"),
		want: []string{`8:52: partition "a": entry 0x50100000 is outside the kernel image, which loads at 0x50000000+4KiB; ` +
			`point entry into the image: the guest starts in the bytes the hypervisor loads`},
	}, {
		name: "hypervisor memory without room for the payload",
		config: `board: qemu-virt
hypervisor:
  memory: {base: 0x40000000, size: 128MiB}
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x50000000, size: 16MiB}]
    kernel: {format: linux, image: Image-5M}
`,
		want: []string{`3:11: hypervisor memory 0x40000000+128MiB leaves no room for the 6MiB payload (partition table and guest images) at 0x48000000; make it at least 134MiB`},
	}, {
		name: "the board's hypervisor memory without room for the payload",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x50000000, size: 16MiB}]
    kernel: {format: linux, image: Image-5M}
`,
		want: []string{`1:8: hypervisor memory 0x40000000+128MiB leaves no room for the 6MiB payload (partition table and guest images) at 0x48000000; ` +
			`reserve more: hypervisor: {memory: {base: 0x40000000, size: 134MiB}}`},
	}, {
		name: "hypervisor console other than the firmware's",
		config: `board: qemu-virt
hypervisor:
  memory: {base: 0x40000000, size: 256MiB}
  console: rtc
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x50000000, size: 16MiB}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{`4:12: hypervisor console "rtc" is not "uart0", the UART the firmware for board "qemu-virt" prints on; write console: uart0, or remove the line`},
	}, {
		name: "two partitions with devices of one name",
		config: `board: qemu-virt
hypervisor:
  memory: {base: 0x40000000, size: 256MiB}
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x50000000, size: 16MiB}]
    devices: [{name: can0, mmio: [{base: 0x9100000, size: 4KiB}]}]
    kernel: {format: raw, image: guest.bin}
  - name: b
    cpus: [1]
    memory: [{base: 0x52000000, size: 16MiB}]
    devices: [{name: can0, mmio: [{base: 0x9101000, size: 4KiB}]}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{`13:22: partition "b": device "can0" has the name of a device of partition "a" (line 8); the partition table names each device once: rename one of them`},
	}, {
		name: "a board device that is no PL011 as console",
		config: `board: qemu-virt
hypervisor:
  memory: {base: 0x40000000, size: 256MiB}
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x50000000, size: 16MiB}]
    devices: [rtc]
    kernel: {format: raw, image: guest.bin}
    console: rtc
`,
		want: []string{`10:14: partition "a": console "rtc" is arm,pl031, but the generated device tree describes a console as a PL011 (arm,pl011); write console: virtual, or give the partition its own device tree with kernel: dtb`},
	}, {
		name: "a console without an interrupt",
		config: `board: qemu-virt
hypervisor:
  memory: {base: 0x40000000, size: 256MiB}
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x50000000, size: 16MiB}]
    devices: [{name: uart1, mmio: [{base: 0x9040000, size: 4KiB}]}]
    kernel: {format: raw, image: guest.bin}
    console: uart1
`,
		want: []string{`10:14: partition "a": console "uart1" needs an mmio range and an interrupt for its device tree node; list the UART's registers and interrupt under device "uart1"`},
	}, {
		name:   "bootargs the device tree cannot hold",
		config: compileOnePartition("[{base: 0x50000000, size: 16MiB}]", `{format: raw, image: guest.bin, bootargs: "quiet\0 init=/x"}`),
		want:   []string{`8:55: partition "a": device tree Chosen.Bootargs: contains a NUL byte, which would cut the command line short; remove it`},
	}, {
		name:   "a dtb with a header and no tree",
		config: compileOnePartition("[{base: 0x50000000, size: 16MiB}]", "{format: raw, image: guest.bin, dtb: header.dtb}"),
		want:   []string{`8:50: partition "a": dtb "header.dtb" is not a usable device tree: fdt: memory reservation block at 0x0 overlaps the header; compile the source with dtc -O dtb`},
	}, {
		name:    "an image removed after the check",
		config:  compileOnePartition("[{base: 0x50000000, size: 16MiB}]", "{format: raw, image: guest.bin, initrd: initrd.img}"),
		changed: map[string][]byte{"guest.bin": nil},
		want:    []string{`8:34: partition "a": kernel image "guest.bin" cannot be read: no such file or directory; check the path and its permissions`},
	}, {
		name:    "images rewritten after the check",
		config:  compileOnePartition("[{base: 0x50000000, size: 16MiB}]", "{format: linux, image: Image}") + compilePartitionB("{format: elf, image: ecu.elf}"),
		changed: map[string][]byte{"Image": pattern(4096, 0), "ecu.elf": []byte("\x7fELF")},
		want: []string{
			`8:36: partition "a": kernel image "Image" no longer has an arm64 Image header; it changed after the config was checked: check the config again`,
			`12:34: partition "b": kernel image "ecu.elf" is not a valid ELF file: EOF; rebuild it, then check the config again`,
		},
	}, {
		name:   "more MMIO ranges than the partition table holds",
		config: compileOnePartition("[{base: 0x50000000, size: 16MiB}]", "{format: raw, image: guest.bin}") + "    devices: [{name: many, mmio: [" + mmioRanges(0xc00_0000, 1025) + "]}]\n",
		want:   []string{`1:1: the config does not fit the binary partition table: partition table: 1026 regions, at most 1024 are allowed; use fewer partitions, devices, memory regions, interrupts or channels`},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			writeFiles(t, dir, compileFixtures())
			c, err := Parse("config.yaml", []byte(tc.config))
			require.NoError(t, err, "the case must validate")
			for name, data := range tc.changed {
				if data == nil {
					require.NoError(t, os.Remove(filepath.Join(dir, name)))
				} else {
					writeFiles(t, dir, map[string][]byte{name: data})
				}
			}
			out, err := Compile(c)
			assert.True(t, out == nil, "Compile returned a result with its error")
			want := make([]string, len(tc.want))
			for i, w := range tc.want {
				want[i] = "config.yaml:" + w
			}
			if got := errorLines(t, err); !slices.Equal(got, want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestCompileUnvalidatedConfig(t *testing.T) {
	for _, c := range []*Config{nil, {File: "x.yaml", Pos: Pos{File: "x.yaml", Line: 1, Column: 1}}} {
		_, err := Compile(c)
		assert.NotEmpty(t, errorLines(t, err))
	}
}

// TestCompileDemoConfig compiles the demo system with fixture images where
// the build puts the real ones, and checks where each guest finds what.
func TestCompileDemoConfig(t *testing.T) {
	text := demoDir(t)
	writeFiles(t, ".", map[string][]byte{"configs/qemu-virt.yaml": []byte(text)})
	c, err := Load("configs/qemu-virt.yaml")
	require.NoError(t, err)
	out, err := Compile(c)
	require.NoError(t, err)

	placement := slices.Clone(out.Placement)
	for i := range placement {
		if placement[i].Kind == table.ImageDTB {
			placement[i].Size = 0 // checked by TestCompile
		}
	}
	assert.Equal(t, []Placement{
		// The fixture Image: 64 KiB in the file, image_size 40 MiB.
		{Partition: "infotainment", Kind: table.ImageKernel, IPA: 0x5000_0000, Size: 64 * KiB, Footprint: 40 * MiB, Source: "../build/guests/Image"},
		{Partition: "infotainment", Kind: table.ImageInitrd, IPA: 0x6fdf_f000, Size: 4, Footprint: 4, Source: "../build/guests/initramfs.cpio.gz"},
		{Partition: "infotainment", Kind: table.ImageDTB, IPA: 0x6fe0_0000, Footprint: 2 * MiB},
		{Partition: "ecu", Kind: table.ImageKernel, IPA: 0x7000_0000, Size: 64 * KiB, Footprint: 64 * KiB, Source: "../build/guests/ecu.elf"},
		{Partition: "ecu", Kind: table.ImageDTB, IPA: 0x73e0_0000, Footprint: 2 * MiB},
		{Partition: "test", Kind: table.ImageKernel, IPA: 0x7400_0000, Size: 64 * KiB, Footprint: 64 * KiB, Source: "../build/guests/attack.elf"},
		{Partition: "test", Kind: table.ImageDTB, IPA: 0x74e0_0000, Footprint: 2 * MiB},
	}, placement)

	var summary []string
	for _, p := range out.Table.Partitions {
		summary = append(summary, p.Name.String()+" "+p.OnFault.String()+" "+p.Console.String()+" "+p.KernelFormat.String())
	}
	assert.Equal(t, []string{"infotainment inject-abort virtual linux-image", "ecu restart virtual raw", "test inject-abort virtual raw"}, summary)
	assert.Equal(t, []table.Channel{{Name: mustName(t, "vehicle-data"), PhysBase: 0x7500_0000, Size: 64 * KiB, Members: 0b011, ReadOnly: 0b001, Doorbell: 141}},
		out.Table.Channels)
	checkFirmwareAccepts(t, out)
}
