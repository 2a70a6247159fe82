package image

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/partition/table"
)

// demoImage returns the demo image and the table and payload it holds.
func demoImage(t *testing.T) (image, tbl, payload []byte) {
	t.Helper()
	tbl, payload = demoInputs(t)
	image, err := Compose(hypervisorELF(), tbl, payload, qemuVirtBase)
	require.NoError(t, err)
	return image, tbl, payload
}

// payloadSegmentOffset returns the file offset of the demo image's payload
// segment, which TestComposeDemoLayout pins.
const payloadSegmentOffset = 0x5000

// payloadProg is the program header index of the demo image's payload
// segment, and payloadSection its section's index.
const (
	payloadProg    = 3
	payloadSection = 5
)

// demoShoff returns the file offset of the demo image's section headers.
func demoShoff(image []byte) int { return int(binary.LittleEndian.Uint64(image[ehdrShoffAt:])) }

func TestOpenRoundTrip(t *testing.T) {
	tbl, payload := demoInputs(t)
	for name, hv := range hypervisors(t) {
		t.Run(name, func(t *testing.T) {
			image, err := Compose(hv, tbl, payload, qemuVirtBase)
			require.NoError(t, err)
			exe, err := readExecutable(hv)
			require.NoError(t, err)
			var segments []Segment
			for _, s := range exe.loads {
				segments = append(segments, s.Segment)
			}

			img, err := Open(image)
			require.NoError(t, err)
			assert.Equal(t, exe.entry, img.Entry)
			assert.Equal(t, segments, img.Segments)
			assert.Equal(t, tbl, img.Table.Bytes())
			assert.Equal(t, payload, img.Payload)
			assert.Equal(t, uint64(qemuVirtBase), img.PayloadBase)
			for _, check := range img.VerifyImages() {
				assert.NoError(t, check.Err, "image %d", check.Index)
			}
			assert.NoError(t, img.CheckBoard(qemuvirt.Board))
		})
	}
}

// TestOpenFixtureSegments states the fixture hypervisor's segments as
// Open reports them.
func TestOpenFixtureSegments(t *testing.T) {
	image, _, _ := demoImage(t)
	img, err := Open(image)
	require.NoError(t, err)
	assert.Equal(t, uint64(hypervisorEntry), img.Entry)
	assert.Equal(t, hypervisorSegments, img.Segments)
	assert.Equal(t, []string{"r-x", "r--", "rw-"}, []string{
		img.Segments[0].Permissions(), img.Segments[1].Permissions(), img.Segments[2].Permissions(),
	})
}

// TestOpenWithoutSectionHeaders: with the section headers stripped, Open
// finds the payload segment by the table magic.
func TestOpenWithoutSectionHeaders(t *testing.T) {
	image, tbl, payload := demoImage(t)
	stripped := patched(image, patchELF{ehdrShoffAt, 8, 0}, patchELF{ehdrShnumAt, 2, 0}, patchELF{ehdrShstrndxAt, 2, 0})
	f, err := elf.NewFile(bytes.NewReader(stripped))
	require.NoError(t, err)
	require.Empty(t, f.Sections)

	img, err := Open(stripped)
	require.NoError(t, err)
	assert.Equal(t, tbl, img.Table.Bytes())
	assert.Equal(t, payload, img.Payload)
	assert.Equal(t, hypervisorSegments, img.Segments)
}

func TestOpenRejects(t *testing.T) {
	image, _, _ := demoImage(t)
	shoff := demoShoff(image)
	section := func(i, field int) int { return shoff + i*64 + field }
	prog := func(i, field int) int { return ehdrSize + i*phdrSize + field }
	flip := func(at int) []byte {
		b := append([]byte{}, image...)
		b[at] ^= 0x01
		return b
	}
	// Where Open cannot tell the payload segment, it lists it with the
	// hypervisor's.
	unrecognized := append(append([]Segment{}, hypervisorSegments...),
		Segment{Vaddr: qemuVirtBase, Paddr: qemuVirtBase, Filesz: 0x6560, Memsz: 0x6560, Flags: elf.PF_R})
	for _, tc := range []struct {
		name  string
		image []byte
		want  string // a regular expression matching the whole error
		// is, if set, is the sentinel the error wraps.
		is error
		// segments are those of the partial Image Open returns; nil when
		// it returns none.
		segments []Segment
	}{
		{name: "bare hypervisor", image: hypervisorELF(), is: ErrNoPartitionTable, segments: hypervisorSegments,
			want: `^no partition table: build the image with tamavisor build CONFIG$`},
		{name: "not ELF", image: []byte("TAMAVTBL"),
			want: `^not an ELF file: it does not start with \\x7fELF$`},
		{name: "table byte flipped", image: flip(payloadSegmentOffset + table.HeaderSize + 1), segments: hypervisorSegments,
			want: `^partition table: checksum [0-9a-f]{64} at 0x60, the table's bytes hash to [0-9a-f]{64}; the table is damaged$`},
		{name: "padding not zero", image: flip(payloadSegmentOffset + demoTableLength + table.SignatureRoom + 7), segments: hypervisorSegments,
			want: `^payload segment at 0x48000000: byte 0xa1f between the partition table and the payload is 0x1, not zero; the image is damaged, rebuild it with tamavisor build CONFIG$`},
		{name: "signature block damaged", image: flip(payloadSegmentOffset + demoTableLength + 7), segments: hypervisorSegments,
			want: `^payload segment at 0x48000000: signature block: damaged \(no magic, not zeros\); the image is damaged, rebuild it with tamavisor build CONFIG$`},
		{name: "payload segment short", segments: hypervisorSegments,
			image: patched(image,
				patchELF{prog(payloadProg, phdrFileszAt), 8, 0x6000}, patchELF{prog(payloadProg, phdrMemszAt), 8, 0x6000},
				patchELF{section(payloadSection, shdrSizeAt), 8, 0x6000}),
			want: `^payload segment at 0x48000000: 0x6000 bytes, but the partition table \(0x618 bytes, padded to 0x1000\) and its payload \(0x5560 bytes\) make 0x6560; the image is damaged, rebuild it with tamavisor build CONFIG$`},
		{name: "section and segment disagree", segments: unrecognized, image: patched(image, patchELF{section(payloadSection, shdrAddrAt), 8, 0x4900_0000}),
			want: `^section \.tamavisor \(0x6560 bytes at 0x49000000, file offset 0x5000\) matches no PT_LOAD segment, and loaders load segments; the image is damaged, rebuild it with tamavisor build CONFIG$`},
		{name: "payload physical address differs", segments: hypervisorSegments, image: patched(image, patchELF{prog(payloadProg, phdrPaddrAt), 8, 0x4900_0000}),
			want: `^payload segment: physical address 0x49000000 differs from its virtual address 0x48000000; the firmware looks for the table at one address$`},
		{name: "magic damaged, no sections", image: patched(flip(payloadSegmentOffset), patchELF{ehdrShoffAt, 8, 0}, patchELF{ehdrShnumAt, 2, 0}, patchELF{ehdrShstrndxAt, 2, 0}),
			is: ErrNoPartitionTable, segments: unrecognized,
			want: `^no partition table: build the image with tamavisor build CONFIG$`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Open(tc.image)
			require.Error(t, err)
			assert.Regexp(t, regexp.MustCompile(tc.want), err.Error())
			if tc.is != nil {
				assert.True(t, errors.Is(err, tc.is), "error does not wrap %v", tc.is)
			}
			if tc.segments == nil {
				assert.Nil(t, img)
				return
			}
			require.NotNil(t, img)
			assert.Equal(t, uint64(hypervisorEntry), img.Entry)
			assert.Equal(t, tc.segments, img.Segments)
			assert.Zero(t, img.Table.Len())
			assert.Nil(t, img.Payload)
		})
	}
}

// TestVerifyImages flips one byte of each image in turn and expects
// exactly that image to fail its check.
func TestVerifyImages(t *testing.T) {
	image, _, _ := demoImage(t)
	payloadStart := payloadSegmentOffset + int(PayloadOffset(demoTableLength))
	for _, tc := range []struct {
		name  string
		image int
		at    uint64 // offset inside the image's bytes
		want  string
	}{
		{"infotainment kernel, first byte", 0, 0, `^image 0 \(kernel of partition "infotainment"\): kernel image has SHA-256 [0-9a-f]{64}, the table says [0-9a-f]{64}; the payload is damaged or does not belong to this table$`},
		{"infotainment initrd, last byte", 1, 0x17ff, `^image 1 \(initrd of partition "infotainment"\): initrd image has SHA-256 `},
		{"infotainment DTB", 2, 0x100, `^image 2 \(DTB of partition "infotainment"\): DTB image has SHA-256 `},
		{"ecu kernel", 3, 0x1233, `^image 3 \(kernel of partition "ecu"\): kernel image has SHA-256 `},
		{"test kernel", 4, 0x7ff, `^image 4 \(kernel of partition "test"\): kernel image has SHA-256 `},
	} {
		t.Run(tc.name, func(t *testing.T) {
			damaged := append([]byte{}, image...)
			m := demoTable().Images[tc.image]
			damaged[payloadStart+int(m.Offset+tc.at)] ^= 0x40
			img, err := Open(damaged)
			require.NoError(t, err, "a payload byte is not part of the table")
			checks := img.VerifyImages()
			require.Len(t, checks, 5)
			for i, check := range checks {
				assert.Equal(t, i, check.Index)
				assert.Equal(t, img.Table.Image(i), check.Image)
				if i == tc.image {
					require.Error(t, check.Err)
					assert.Regexp(t, tc.want, check.Err.Error())
				} else {
					assert.NoError(t, check.Err, "image %d", i)
				}
			}
		})
	}
}

// TestVerifyImagesBetweenImages: bytes of the payload no image covers are
// not checked.
func TestVerifyImagesBetweenImages(t *testing.T) {
	image, _, _ := demoImage(t)
	damaged := append([]byte{}, image...)
	damaged[payloadSegmentOffset+int(PayloadOffset(demoTableLength))+0x3b21] ^= 0xff // between the DTB and ecu's kernel
	img, err := Open(damaged)
	require.NoError(t, err)
	for _, check := range img.VerifyImages() {
		assert.NoError(t, check.Err, "image %d", check.Index)
	}
}

func TestCheckBoard(t *testing.T) {
	tbl, payload := demoInputs(t)

	// RAM right after the hypervisor's memory: where the payload segment
	// goes, so the firmware refuses it.
	overPayload := demoTable()
	overPayload.Regions[0].PhysBase = qemuVirtBase
	overPayloadTable, overPayloadPayload := encodeWithPayload(t, overPayload)

	otherBoard := demoTable()
	otherBoard.Board = mustName("rpi4")
	otherBoardTable, otherBoardPayload := encodeWithPayload(t, otherBoard)

	// The hypervisor linked 256 MiB higher than qemu-virt's hypervisor
	// memory.
	var movedProgs []testProg
	for _, p := range hypervisorProgs {
		if p.vaddr != 0 {
			p.vaddr += 0x1000_0000
		}
		movedProgs = append(movedProgs, p)
	}
	moved := testELF(hypervisorEntry+0x1000_0000, movedProgs)

	for _, tc := range []struct {
		name         string
		hypervisor   []byte
		tbl, payload []byte
		base         uint64
		want         string
	}{
		{name: "sound", hypervisor: hypervisorELF(), tbl: tbl, payload: payload, base: qemuVirtBase},
		{name: "payload segment elsewhere", hypervisor: hypervisorELF(), tbl: tbl, payload: payload, base: 0x4900_0000,
			want: "payload segment at 0x49000000, but on qemu-virt the firmware looks for it at 0x48000000; build the image for qemu-virt"},
		{name: "hypervisor linked elsewhere", hypervisor: moved, tbl: tbl, payload: payload, base: qemuVirtBase,
			want: "hypervisor segment 0 0x5020f000+0x1a40 lies outside the hypervisor memory 0x40000000+0x8000000 of qemu-virt; build the firmware for qemu-virt"},
		{name: "partition RAM over the payload segment", hypervisor: hypervisorELF(), tbl: overPayloadTable, payload: overPayloadPayload, base: qemuVirtBase,
			want: `partition 0 "infotainment": region 0 RAM 0x48000000+0x10000000 overlaps hypervisor memory 0x40000000+0x8007000; move it out of the hypervisor's RAM`},
		{name: "table for another board", hypervisor: hypervisorELF(), tbl: otherBoardTable, payload: otherBoardPayload, base: qemuVirtBase,
			want: `partition table: built for board "rpi4", this board is "qemu-virt"; build the image for qemu-virt`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			image, err := Compose(tc.hypervisor, tc.tbl, tc.payload, tc.base)
			require.NoError(t, err)
			img, err := Open(image)
			require.NoError(t, err)
			err = img.CheckBoard(qemuvirt.Board)
			if tc.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}
