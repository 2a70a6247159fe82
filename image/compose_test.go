package image

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"flag"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/internal/minisign"
	"github.com/tamavisor/tamavisor/partition/table"
)

var update = flag.Bool("update", false, "rewrite testdata/hypervisor.elf and testdata/demo.elf from the fixtures")

// qemuVirtBase is where qemu-virt's payload segment goes: right after the
// hypervisor's 128 MiB.
const qemuVirtBase = 0x4800_0000

func TestPayloadBase(t *testing.T) {
	assert.Equal(t, uint64(qemuVirtBase), PayloadBase(qemuvirt.Board))
}

func TestPayloadOffset(t *testing.T) {
	for _, tc := range []struct{ tableLength, want uint64 }{
		{table.HeaderSize, 0x1000},
		{0xc00, 0x1000}, // the table, then the signature's 1 KiB
		{0xc01, 0x2000},
		{0x1000, 0x2000},
	} {
		assert.Equal(t, tc.want, PayloadOffset(tc.tableLength), "table of %#x bytes", tc.tableLength)
	}
}

// TestComposeDemoLayout states the whole layout of the demo image as
// readelf -lS would show it.
func TestComposeDemoLayout(t *testing.T) {
	tbl, payload := demoInputs(t)
	require.Len(t, tbl, demoTableLength)
	out, err := Compose(hypervisorELF(), tbl, payload, qemuVirtBase)
	require.NoError(t, err)
	f, err := elf.NewFile(bytes.NewReader(out))
	require.NoError(t, err)

	type prog struct {
		Flags                            elf.ProgFlag
		Off, Vaddr, Filesz, Memsz, Align uint64
	}
	var progs []prog
	for _, p := range f.Progs {
		require.Equal(t, elf.PT_LOAD, p.Type)
		require.Equal(t, p.Vaddr, p.Paddr)
		progs = append(progs, prog{p.Flags, p.Off, p.Vaddr, p.Filesz, p.Memsz, p.Align})
	}
	// The segments follow the headers, each at the next file offset
	// congruent to its address modulo 4 KiB.
	const payloadSegmentSize = 0x1000 + 0x5560 // table padded to 4 KiB + payload
	assert.Equal(t, []prog{
		{elf.PF_R | elf.PF_X, 0x1000, 0x4020_f000, 0x1a40, 0x1a40, 0x1000},
		{elf.PF_R, 0x3000, 0x4021_1000, 0x9e2, 0x9e2, 0x1000},
		{elf.PF_R | elf.PF_W, 0x4000, 0x4021_2000, 0x320, 0x1248, 0x1000},
		{elf.PF_R, 0x5000, qemuVirtBase, payloadSegmentSize, payloadSegmentSize, 0x1000},
	}, progs)

	type section struct {
		Name                   string
		Type                   elf.SectionType
		Flags                  elf.SectionFlag
		Addr, Offset, Size     uint64
		Addralign, Link, Entsz uint64
	}
	var sections []section
	for _, s := range f.Sections {
		sections = append(sections, section{s.Name, s.Type, s.Flags, s.Addr, s.Offset, s.Size, s.Addralign, uint64(s.Link), s.Entsize})
	}
	const ax, a, wa = elf.SHF_ALLOC | elf.SHF_EXECINSTR, elf.SHF_ALLOC, elf.SHF_WRITE | elf.SHF_ALLOC
	shstrtab := uint64(len("\x00.text\x00.rodata\x00.data\x00.bss\x00.tamavisor\x00.shstrtab\x00"))
	assert.Equal(t, []section{
		{"", elf.SHT_NULL, 0, 0, 0, 0, 0, 0, 0},
		{".text", elf.SHT_PROGBITS, ax, 0x4020_f000, 0x1000, 0x1a40, 0x1000, 0, 0},
		{".rodata", elf.SHT_PROGBITS, a, 0x4021_1000, 0x3000, 0x9e2, 0x1000, 0, 0},
		{".data", elf.SHT_PROGBITS, wa, 0x4021_2000, 0x4000, 0x320, 0x1000, 0, 0},
		{".bss", elf.SHT_NOBITS, wa, 0x4021_2320, 0x4320, 0x1248 - 0x320, 0x20, 0, 0},
		{".tamavisor", elf.SHT_PROGBITS, a, qemuVirtBase, 0x5000, payloadSegmentSize, 0x1000, 0, 0},
		{".shstrtab", elf.SHT_STRTAB, 0, 0, 0x5000 + payloadSegmentSize, shstrtab, 1, 0, 0},
	}, sections)
}

// packedHypervisorProgs describe a hypervisor as a GNU-style linker packs
// one: segments neither page aligned nor page sized, file offsets
// congruent to addresses modulo a 64 KiB p_align.
var packedHypervisorProgs = []testProg{
	{elf.PT_LOAD, elf.PF_R | elf.PF_X, 0, 0x4020_0000, 0x1a40, 0x1a40, 0x1_0000},
	{elf.PT_LOAD, elf.PF_R, 0x1a40, 0x4021_1a40, 0x5c4, 0x5c4, 0x1_0000},
	{elf.PT_LOAD, elf.PF_R | elf.PF_W, 0x2004, 0x4022_2004, 0x100, 0x300, 0x1_0000},
}

// hypervisors returns the hypervisor ELF files Compose is tested with: the
// fixtures, and the firmware build when make firmware has made one.
func hypervisors(t *testing.T) map[string][]byte {
	hvs := map[string][]byte{
		"fixture":        hypervisorELF(),
		"packed fixture": testELF(0x4020_0100, packedHypervisorProgs),
	}
	built := filepath.Join("..", "build", "tamavisor.elf")
	if b, err := os.ReadFile(built); err == nil {
		hvs[built] = b
	} else {
		t.Logf("%s not built (make firmware), testing with the fixture only", built)
	}
	return hvs
}

// TestComposeKeepsHypervisor composes each hypervisor with the demo table
// and checks with debug/elf what the loaders rely on: the header, every
// hypervisor segment unchanged, the payload segment at the base with the
// table, zero padding and the payload, file offsets congruent to addresses,
// and sections that load the same bytes as the segments.
func TestComposeKeepsHypervisor(t *testing.T) {
	tbl, payload := demoInputs(t)
	for name, hv := range hypervisors(t) {
		t.Run(name, func(t *testing.T) {
			in, err := elf.NewFile(bytes.NewReader(hv))
			require.NoError(t, err)
			out, err := Compose(hv, tbl, payload, qemuVirtBase)
			require.NoError(t, err)
			f, err := elf.NewFile(bytes.NewReader(out))
			require.NoError(t, err)

			assert.Equal(t, elf.ELFCLASS64, f.Class)
			assert.Equal(t, elf.ELFDATA2LSB, f.Data)
			assert.Equal(t, elf.EM_AARCH64, f.Machine)
			assert.Equal(t, elf.ET_EXEC, f.Type)
			assert.Equal(t, in.Entry, f.Entry)

			var loads []*elf.Prog
			for _, p := range in.Progs {
				if p.Type == elf.PT_LOAD {
					loads = append(loads, p)
				}
			}
			require.Len(t, f.Progs, len(loads)+1, "the hypervisor's PT_LOADs and the payload segment")
			for i, want := range loads {
				got := f.Progs[i]
				assert.Equal(t, want.ProgHeader, withOffset(got.ProgHeader, want.Off), "program header %d", i)
				assert.Equal(t, readAll(t, want.Open()), readAll(t, got.Open()), "program header %d contents", i)
			}
			seg := f.Progs[len(loads)]
			wantPayloadSegment := append(append(append([]byte{}, tbl...), make([]byte, PayloadOffset(uint64(len(tbl)))-uint64(len(tbl)))...), payload...)
			assert.Equal(t, elf.ProgHeader{
				Type: elf.PT_LOAD, Flags: elf.PF_R, Off: seg.Off, Vaddr: qemuVirtBase, Paddr: qemuVirtBase,
				Filesz: uint64(len(wantPayloadSegment)), Memsz: uint64(len(wantPayloadSegment)), Align: PageSize,
			}, seg.ProgHeader)
			assert.Equal(t, wantPayloadSegment, readAll(t, seg.Open()))

			for i, p := range f.Progs {
				if p.Align > 1 {
					assert.Equal(t, p.Vaddr%p.Align, p.Off%p.Align, "program header %d: p_offset %% p_align != p_vaddr %% p_align", i)
				}
				assert.Zero(t, (p.Off-p.Vaddr)%PageSize, "program header %d: file offset not congruent to its address modulo 4 KiB", i)
			}
			assertSectionsLoadLikeSegments(t, f)

			tableSection := f.Section(SectionName)
			require.NotNil(t, tableSection)
			data, err := tableSection.Data()
			require.NoError(t, err)
			assert.Equal(t, wantPayloadSegment, data)
		})
	}
}

func withOffset(h elf.ProgHeader, off uint64) elf.ProgHeader {
	h.Off = off
	return h
}

func readAll(t *testing.T, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return b
}

// assertSectionsLoadLikeSegments checks that a loader copying SHF_ALLOC
// sections (bootelf -s) fills exactly the memory a loader copying PT_LOAD
// segments (bootelf, QEMU) fills, with the same bytes.
func assertSectionsLoadLikeSegments(t *testing.T, f *elf.File) {
	t.Helper()
	var allocated []*elf.Section
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_ALLOC != 0 {
			allocated = append(allocated, s)
		}
	}
	sort.Slice(allocated, func(i, j int) bool { return allocated[i].Addr < allocated[j].Addr })
	next := 0
	for i, p := range f.Progs {
		want := append(readAll(t, p.Open()), make([]byte, p.Memsz-p.Filesz)...)
		var got []byte
		for next < len(allocated) && allocated[next].Addr < p.Vaddr+p.Memsz {
			s := allocated[next]
			require.Equal(t, p.Vaddr+uint64(len(got)), s.Addr, "section %s does not continue program header %d's memory", s.Name, i)
			if s.Type == elf.SHT_NOBITS {
				got = append(got, make([]byte, s.Size)...)
			} else {
				data, err := s.Data()
				require.NoError(t, err)
				got = append(got, data...)
			}
			assert.Equal(t, p.Flags&elf.PF_W != 0, s.Flags&elf.SHF_WRITE != 0, "section %s writable", s.Name)
			assert.Equal(t, p.Flags&elf.PF_X != 0, s.Flags&elf.SHF_EXECINSTR != 0, "section %s executable", s.Name)
			next++
		}
		assert.Equal(t, want, got, "sections of program header %d load other bytes than the segment", i)
	}
	assert.Equal(t, len(allocated), next, "allocated sections outside every segment")
}

// TestGoldenImage pins the bytes of the fixture hypervisor and of the demo
// image that testdata holds; the inspect command's tests read them too.
// Regenerate with go test -update.
func TestGoldenImage(t *testing.T) {
	tbl, payload := demoInputs(t)
	demo, err := Compose(hypervisorELF(), tbl, payload, qemuVirtBase)
	require.NoError(t, err)
	for _, golden := range []struct {
		path string
		data []byte
	}{
		{filepath.Join("testdata", "hypervisor.elf"), hypervisorELF()},
		{filepath.Join("testdata", "demo.elf"), demo},
	} {
		if *update {
			require.NoError(t, os.MkdirAll("testdata", 0o755))
			require.NoError(t, os.WriteFile(golden.path, golden.data, 0o644))
		}
		want, err := os.ReadFile(golden.path)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(want, golden.data), "%s differs from what the fixtures produce; if the change is intended, run go test -update", golden.path)
	}
}

// patchELF overwrites an integer field of an ELF structure in a copy of b.
type patchELF struct {
	at    int
	size  int // 1, 2, 4 or 8 bytes
	value uint64
}

func patched(b []byte, patches ...patchELF) []byte {
	b = append([]byte{}, b...)
	for _, p := range patches {
		switch p.size {
		case 1:
			b[p.at] = byte(p.value)
		case 2:
			binary.LittleEndian.PutUint16(b[p.at:], uint16(p.value))
		case 4:
			binary.LittleEndian.PutUint32(b[p.at:], uint32(p.value))
		case 8:
			binary.LittleEndian.PutUint64(b[p.at:], p.value)
		default:
			panic("patch size")
		}
	}
	return b
}

// Field offsets in the ELF64 header, program headers and section headers
// (System V ABI).
const (
	ehdrTypeAt      = 0x10
	ehdrMachineAt   = 0x12
	ehdrEntryAt     = 0x18
	ehdrShoffAt     = 0x28
	ehdrPhentsizeAt = 0x36
	ehdrShnumAt     = 0x3c
	ehdrShstrndxAt  = 0x3e
	phdrPaddrAt     = 0x18
	phdrFileszAt    = 0x20
	phdrMemszAt     = 0x28
	phdrAlignAt     = 0x30
	shdrAddrAt      = 0x10
	shdrSizeAt      = 0x20
)

// hypervisorProg returns the file offset of the fixture hypervisor's
// program header i.
func hypervisorProg(i int) int { return ehdrSize + i*phdrSize }

func TestComposeRefuses(t *testing.T) {
	hv := hypervisorELF()
	tbl, payload := demoInputs(t)
	image, err := Compose(hv, tbl, payload, qemuVirtBase)
	require.NoError(t, err)

	damagedTable := append([]byte{}, tbl...)
	damagedTable[table.HeaderSize] ^= 1 // first byte of the first partition's name
	flippedPayload := append([]byte{}, payload...)
	flippedPayload[0x3b28] ^= 0x80 // first byte of ecu's kernel

	outside := demoTable()
	outside.Images[4].Size = 0x1000 // test's kernel now ends past the 0x5560-byte payload
	outsideTable, outsidePayload := encodeWithPayloadClamped(t, outside)

	for _, tc := range []struct {
		name         string
		hypervisor   []byte
		tbl, payload []byte
		base         uint64
		want         string
		// wantPrefix: want is the beginning of the error; the rest
		// holds SHA-256 sums.
		wantPrefix bool
	}{
		{name: "not ELF", hypervisor: []byte("#!/bin/sh\necho hypervisor\n"),
			want: `hypervisor ELF: not an ELF file: it does not start with \x7fELF`},
		{name: "empty file", hypervisor: []byte{},
			want: `hypervisor ELF: not an ELF file: it does not start with \x7fELF`},
		{name: "32-bit", hypervisor: patched(hv, patchELF{elf.EI_CLASS, 1, uint64(elf.ELFCLASS32)}),
			want: "hypervisor ELF: ELF class ELFCLASS32, want ELFCLASS64: Tamavisor runs 64-bit AArch64 code"},
		{name: "big-endian", hypervisor: patched(hv, patchELF{elf.EI_DATA, 1, uint64(elf.ELFDATA2MSB)}),
			want: "hypervisor ELF: ELF data encoding ELFDATA2MSB, want ELFDATA2LSB: AArch64 firmware is little-endian"},
		{name: "x86-64", hypervisor: patched(hv, patchELF{ehdrMachineAt, 2, uint64(elf.EM_X86_64)}),
			want: "hypervisor ELF: ELF machine EM_X86_64, want EM_AARCH64"},
		{name: "shared object", hypervisor: patched(hv, patchELF{ehdrTypeAt, 2, uint64(elf.ET_DYN)}),
			want: "hypervisor ELF: ELF type ET_DYN, want ET_EXEC: only an executable is loaded at fixed addresses"},
		{name: "truncated header", hypervisor: hv[:0x30],
			want: "hypervisor ELF: truncated: 48 bytes, an ELF64 header alone is 64"},
		{name: "truncated program headers", hypervisor: hv[:0x100],
			want: "hypervisor ELF: truncated: its headers run past the end of the 0x100-byte file"},
		{name: "program header size wrong", hypervisor: patched(hv, patchELF{ehdrPhentsizeAt, 2, 32}),
			want: "hypervisor ELF: malformed ELF file: invalid ELF phentsize '32' in record at byte 0x0"},
		{name: "no PT_LOAD", hypervisor: testELF(hypervisorEntry, hypervisorProgs[:2]),
			want: "hypervisor ELF: no PT_LOAD segments: nothing to load"},
		{name: "entry in rodata", hypervisor: patched(hv, patchELF{ehdrEntryAt, 8, 0x4021_1000}),
			want: "hypervisor ELF: entry point 0x40211000 lies in no executable PT_LOAD segment; the file cannot boot"},
		{name: "entry in bss", hypervisor: patched(hv, patchELF{ehdrEntryAt, 8, 0x4021_2400}),
			want: "hypervisor ELF: entry point 0x40212400 lies in no executable PT_LOAD segment; the file cannot boot"},
		{name: "segment past the end of the file", hypervisor: patched(hv, patchELF{hypervisorProg(4) + phdrFileszAt, 8, 0x1000}),
			want: "hypervisor ELF: program header 4 (PT_LOAD 0x40212000+0x1248, rw-): file bytes 0x3000+0x1000 run past the end of the 0x3320-byte file; the file is truncated"},
		{name: "file size above memory size", hypervisor: patched(hv, patchELF{hypervisorProg(3) + phdrFileszAt, 8, 0x1000}),
			want: "hypervisor ELF: program header 3 (PT_LOAD 0x40211000+0x9e2, r--): file size 0x1000 exceeds memory size 0x9e2"},
		{name: "alignment not a power of two", hypervisor: patched(hv, patchELF{hypervisorProg(3) + phdrAlignAt, 8, 0x1800}),
			want: "hypervisor ELF: program header 3 (PT_LOAD 0x40211000+0x9e2, r--): alignment 0x1800 is not a power of two"},
		{name: "alignment above 2 MiB", hypervisor: patched(hv, patchELF{hypervisorProg(3) + phdrAlignAt, 8, 4 << 20}),
			want: "hypervisor ELF: program header 3 (PT_LOAD 0x40211000+0x9e2, r--): alignment 0x400000 is above the 0x200000 an image pads segments to; link with -R 0x1000, as make firmware does"},
		{name: "too many segments", hypervisor: testELF(hypervisorEntry, manySegments(17)),
			want: "hypervisor ELF: 17 PT_LOAD segments, an image holds at most 16; link the hypervisor as make firmware does"},
		{name: "physical address differs", hypervisor: patched(hv, patchELF{hypervisorProg(3) + phdrPaddrAt, 8, 0x5021_1000}),
			want: "hypervisor ELF: program header 3 (PT_LOAD 0x40211000+0x9e2, r--): physical address 0x50211000 differs from its virtual address; link the hypervisor at identical addresses, as make firmware does"},
		{name: "already an image", hypervisor: image,
			want: "hypervisor ELF: has a .tamavisor section, so it is already an image; pass the hypervisor that make firmware builds (build/tamavisor.elf)"},
		{name: "payload base inside the hypervisor", base: 0x4021_2000,
			want: "hypervisor ELF: program header 4 (PT_LOAD 0x40212000+0x1248, rw-) overlaps the payload segment 0x40212000+0x6560; the hypervisor must end below 0x40212000, the end of the board's hypervisor memory"},
		{name: "payload segment runs into the hypervisor", base: 0x4020_9000,
			want: "hypervisor ELF: program header 2 (PT_LOAD 0x4020f000+0x1a40, r-x) overlaps the payload segment 0x40209000+0x6560; the hypervisor must end below 0x40209000, the end of the board's hypervisor memory"},
		{name: "payload base not page aligned", base: qemuVirtBase + 0x800,
			want: "payload base 0x48000800 is not 4 KiB aligned; place it at PayloadBase of the board"},
		{name: "payload segment wraps", base: 0xffff_ffff_ffff_f000,
			want: "payload segment 0xfffffffffffff000+0x6560 wraps past the top of the address space; place it at PayloadBase of the board"},
		{name: "table damaged", tbl: damagedTable,
			want: "partition table: checksum ", wantPrefix: true},
		{name: "table with bytes after it", tbl: append(append([]byte{}, tbl...), 0),
			want: "partition table: 0x619 bytes given, but its header says the table is 0x618; pass exactly the bytes table.Encode returned"},
		{name: "not a table", tbl: hv,
			want: `partition table: magic "\x7fELF\x02\x01\x01\x00", want "TAMAVTBL"; this is not a Tamavisor partition table`},
		{name: "payload short", payload: payload[:len(payload)-1],
			want: "payload: 0x555f bytes, but the partition table's payload size is 0x5560; build the table and the payload from the same config"},
		{name: "payload long", payload: append(append([]byte{}, payload...), 0xee),
			want: "payload: 0x5561 bytes, but the partition table's payload size is 0x5560; build the table and the payload from the same config"},
		{name: "image outside the payload", tbl: outsideTable, payload: outsidePayload,
			want: `partition table: image 4 (kernel of partition "test"): payload bytes 0x4d60+0x1000 lie outside the 0x5560-byte payload; the table and the payload do not belong together`},
		{name: "image bytes differ", payload: flippedPayload,
			want: `partition table: image 3 (kernel of partition "ecu"): kernel image has SHA-256 `, wantPrefix: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hypervisor, tblIn, payloadIn, base := hv, tbl, payload, uint64(qemuVirtBase)
			if tc.hypervisor != nil {
				hypervisor = tc.hypervisor
			}
			if tc.tbl != nil {
				tblIn = tc.tbl
			}
			if tc.payload != nil {
				payloadIn = tc.payload
			}
			if tc.base != 0 {
				base = tc.base
			}
			out, err := Compose(hypervisor, tblIn, payloadIn, base)
			assert.Nil(t, out)
			require.Error(t, err)
			if tc.wantPrefix {
				assert.True(t, strings.HasPrefix(err.Error(), tc.want), "error %q does not start with %q", err, tc.want)
			} else {
				assert.Equal(t, tc.want, err.Error())
			}
		})
	}
}

// manySegments returns n one-page executable PT_LOAD segments from the
// hypervisor's text page on.
func manySegments(n int) []testProg {
	progs := make([]testProg, n)
	for i := range progs {
		page := uint64(i) * PageSize
		progs[i] = testProg{elf.PT_LOAD, elf.PF_R | elf.PF_X, page, 0x4021_0000 + page, PageSize, PageSize, PageSize}
	}
	return progs
}

// encodeWithPayloadClamped is encodeWithPayload for a table whose images
// may run past its payload: the bytes they would have there are hashed as
// if they existed, and the payload stays PayloadSize long.
func encodeWithPayloadClamped(t *testing.T, tbl *table.Table) (encoded, payload []byte) {
	t.Helper()
	size := tbl.PayloadSize
	for _, m := range tbl.Images {
		size = max(size, m.Offset+m.Size)
	}
	full := *tbl
	full.PayloadSize = size
	payload = payloadFor(&full)
	tbl.Images = full.Images
	encoded, err := table.Encode(tbl)
	require.NoError(t, err)
	return encoded, payload[:tbl.PayloadSize]
}

// A signature travels in the payload segment's signature block and Open
// finds it; an unsigned image has none.
func TestComposeSignedRoundTrip(t *testing.T) {
	tbl, payload := demoInputs(t)
	const sig = "untrusted comment: u\nRWQ=\ntrusted comment: t\nAAA=\n"
	out, err := ComposeSigned(hypervisorELF(), tbl, payload, qemuVirtBase, sig)
	require.NoError(t, err)
	img, err := Open(out)
	require.NoError(t, err)
	assert.Equal(t, sig, img.Signature)
	assert.Equal(t, payload, img.Payload)
	assert.Equal(t, tbl, img.SignedSegment()[:len(tbl)])

	plain, err := Compose(hypervisorELF(), tbl, payload, qemuVirtBase)
	require.NoError(t, err)
	img, err = Open(plain)
	require.NoError(t, err)
	assert.Empty(t, img.Signature)
}

// The fixture hypervisor has no symbol table and no trust slot: Trust
// refuses it, TrustedKey says it checks no signature.
func TestTrustNeedsTheFirmwaresSlot(t *testing.T) {
	_, err := Trust(hypervisorELF(), minisign.PublicKey{})
	assert.ErrorContains(t, err, "no symbol table to find the trust slot in")
	_, _, err = TrustedKey(hypervisorELF())
	assert.ErrorIs(t, err, ErrNoTrustSlot)
}
