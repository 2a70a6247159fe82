package image

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board/imx8mpevk"
	"github.com/tamavisor/tamavisor/board/qemuvirt"
)

// The demo image as an arm64 Image: every header field where the Linux
// boot protocol puts it, and every segment's bytes at its address minus
// the Image's load address.
func TestArm64ImageHeader(t *testing.T) {
	elfImage, _, payload := demoImage(t)
	img, err := Arm64Image(elfImage, qemuvirt.RAMBase)
	require.NoError(t, err)

	const start = 0x4020_f000 // the first PT_LOAD: ELF header, notes, then text
	le := binary.LittleEndian
	// code0: B to the entry point, in words from the Image's first byte.
	assert.Equal(t, uint32(0x1400_0000|(hypervisorEntry-start)/4), le.Uint32(img[0x00:]), "code0")
	assert.Equal(t, uint32(0xd503_201f), le.Uint32(img[0x04:]), "code1: NOP")
	assert.Equal(t, uint64(0x20_f000), le.Uint64(img[0x08:]), "text_offset: from the 2 MiB-aligned base of RAM")
	payloadEnd := PayloadBase(qemuvirt.Board) + uint64(len(payload))
	assert.GreaterOrEqual(t, le.Uint64(img[0x10:]), payloadEnd-start, "image_size covers the payload")
	assert.Equal(t, uint64(len(img)), le.Uint64(img[0x10:]), "image_size is the file")
	assert.Equal(t, uint64(0b0010), le.Uint64(img[0x18:]), "flags: little-endian, 4 KiB pages, placed from the base of RAM")
	for _, off := range []int{0x20, 0x28, 0x30} {
		assert.Zero(t, le.Uint64(img[off:]), "res at %#x", off)
	}
	assert.Equal(t, "ARM\x64", string(img[0x38:0x3c]), "magic")
	assert.Equal(t, uint32(0x644d5241), le.Uint32(img[0x38:]))
	assert.Zero(t, le.Uint32(img[0x3c:]), "res5: no PE header")

	// Past the header, the file is memory as the ELF loads it.
	exe, err := readExecutable(elfImage)
	require.NoError(t, err)
	for _, s := range exe.loads {
		at := s.Paddr - start
		from := uint64(0)
		if at == 0 {
			from = Arm64HeaderSize
		}
		assert.Equal(t, s.data[from:], img[at+from:at+s.Filesz], "segment at %#x", s.Paddr)
		for i := at + s.Filesz; i < at+s.Memsz; i++ {
			if img[i] != 0 {
				t.Fatalf("bss byte at %#x is %#x, not zero", start+i, img[i])
			}
		}
	}
	// The payload, at its fixed address, ends the file.
	assert.Equal(t, payload, img[len(img)-len(payload):])
}

// Both boards keep the hypervisor at the same place in their first bank,
// so one header serves; the load address is the board's RAM base plus
// text_offset either way.
func TestArm64ImageBoards(t *testing.T) {
	elfImage, _, _ := demoImage(t)
	for _, base := range []uint64{qemuvirt.RAMBase, imx8mpevk.RAMBase} {
		img, err := Arm64Image(elfImage, base)
		require.NoError(t, err)
		assert.Equal(t, uint64(0x4020_f000)-base, binary.LittleEndian.Uint64(img[Arm64TextOffsetOffset:]))
	}
}

func TestArm64ImageRefuses(t *testing.T) {
	elfImage, _, _ := demoImage(t)
	_, err := Arm64Image(elfImage, 0x4010_0000)
	assert.ErrorContains(t, err, "not 2 MiB aligned")

	// Loaded less than 4 KiB above the base: QEMU would move it.
	low := []testProg{{typ: 1, flags: 5, off: 0, vaddr: 0x4000_0000, filesz: 0x1000, memsz: 0x1000, align: 0x1000}}
	_, err = Arm64Image(testELF(0x4000_0100, low), 0x4000_0000)
	assert.ErrorContains(t, err, "QEMU would load the Image 2 MiB higher")

	// A first segment that is not the ELF header: the Image header would
	// overwrite code.
	late := []testProg{{typ: 1, flags: 5, off: 0x1000, vaddr: 0x4021_0000, filesz: 0x1000, memsz: 0x1000, align: 0x1000}}
	b := testELF(0x4021_0100, late)
	b = append(b, make([]byte, 0x2000-len(b))...)
	_, err = Arm64Image(b, 0x4000_0000)
	assert.ErrorContains(t, err, "does not start with the hypervisor's ELF header")

	// The entry inside the header itself.
	_, err = Arm64Image(testELF(0x4020_f010, hypervisorProgs), 0x4000_0000)
	assert.ErrorContains(t, err, "out of reach")

	_, err = Arm64Image([]byte("MZ not an ELF"), 0x4000_0000)
	assert.Error(t, err)
}
