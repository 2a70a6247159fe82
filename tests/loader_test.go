package tests

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/image"
	"github.com/tamavisor/tamavisor/mmu"
	"github.com/tamavisor/tamavisor/qemu"
)

// A loader stage as U-Boot leaves a core for bootelf or booti: at EL2 with
// the MMU, the data cache and the instruction cache on, on an identity map
// of its own (1 GiB blocks, RAM write-back cacheable), having written to
// memory through the cache. QEMU starts it in place of the image; it
// jumps to the image's entry.
//
// It is a raw binary: a page of code, then its level-1 table in the
// next page.
const (
	loaderBase = 0x47f0_0000 // hypervisor memory no boot step uses: after the boot map's page
	loaderSize = 2 * mmu.PageSize
)

// AArch64 encodings (DDI 0487 C6.2) of the few instructions the stage uses.
const (
	insnISB        = 0xd5033fdf // isb
	insnDSBSY      = 0xd5033f9f // dsb sy
	insnTLBIALLE2  = 0xd50c871f // tlbi alle2
	insnMSRMAIR    = 0xd51ca200 // msr mair_el2, x0
	insnMSRTCR     = 0xd51c2040 // msr tcr_el2, x0
	insnMSRTTBR0   = 0xd51c2000 // msr ttbr0_el2, x0
	insnMSRSCTLR   = 0xd51c1000 // msr sctlr_el2, x0
	insnSTRX2X3    = 0xf9000062 // str x2, [x3]
	insnBRX1       = 0xd61f0020 // br x1
	insnMovX9X0    = 0xaa0003e9 // mov x9, x0: the device tree's address, kept for the image
	insnMovX0X9    = 0xaa0903e0 // mov x0, x9
	insnNOP        = 0xd503201f // nop
	sctlrCachesOn  = mmu.SCTLREL2Boot
	loaderScribble = 0x4000_0000 // the hypervisor's shared region, which it zeroes at boot
)

// movImm64 loads v into register rd with MOVZ and three MOVKs.
func movImm64(rd uint32, v uint64) []uint32 {
	out := []uint32{0xd2800000 | uint32(v&0xffff)<<5 | rd} // movz xd, #v[15:0]
	for hw := uint32(1); hw < 4; hw++ {
		out = append(out, 0xf2800000|hw<<21|uint32(v>>(16*hw)&0xffff)<<5|rd) // movk xd, #v[16hw+15:16hw], lsl #16hw
	}
	return out
}

// cachesOnLoader returns the stage for an image entered at entry, on
// qemu-virt.
func cachesOnLoader(entry uint64) []byte {
	return cachesOnStage(loaderBase, entry, qemuvirt.RAMBase, qemuvirt.RAMBase+qemuvirt.RAMSize, false)
}

// cachesOnStage returns the stage linked at base, mapping RAM from ramStart
// to ramEnd, for an image entered at entry with x0 as the stage got it (the
// device tree's address). As an arm64 Image (asImage) it starts with the
// boot protocol's header, so that QEMU's -kernel enters it at EL2 as it
// would the hypervisor's own Image; its code follows the header.
func cachesOnStage(base, entry, ramStart, ramEnd uint64, asImage bool) []byte {
	var code []uint32
	if asImage {
		code = append(code, make([]uint32, image.Arm64HeaderSize/4)...)
	}
	code = append(code, insnMovX9X0)
	msr := func(v uint64, insn uint32) {
		code = append(code, movImm64(0, v)...)
		code = append(code, insn)
	}
	msr(mmu.MAIR, insnMSRMAIR)
	msr(mmu.BootTCREL2, insnMSRTCR)
	msr(base+mmu.PageSize, insnMSRTTBR0)
	code = append(code, insnISB, insnTLBIALLE2, insnDSBSY, insnISB)
	msr(sctlrCachesOn, insnMSRSCTLR)
	code = append(code, insnISB)
	// A store through the data cache, as a loader's own work leaves
	// dirty lines behind.
	code = append(code, movImm64(2, 0x6c6f_6164_6572)...)
	code = append(code, movImm64(3, loaderScribble)...)
	code = append(code, insnSTRX2X3)
	code = append(code, movImm64(1, entry)...)
	code = append(code, insnMovX0X9, insnBRX1)

	out := make([]byte, loaderSize)
	for i, w := range code {
		binary.LittleEndian.PutUint32(out[4*i:], w)
	}
	if asImage {
		// code0 branches over the header; text_offset from the base of
		// RAM places the stage at base.
		binary.LittleEndian.PutUint32(out[image.Arm64Code0Offset:], 0x1400_0000|image.Arm64HeaderSize/4)
		binary.LittleEndian.PutUint32(out[image.Arm64Code1Offset:], insnNOP)
		binary.LittleEndian.PutUint64(out[image.Arm64TextOffsetOffset:], base-ramStart)
		binary.LittleEndian.PutUint64(out[image.Arm64ImageSizeOffset:], loaderSize)
		binary.LittleEndian.PutUint64(out[image.Arm64FlagsOffset:], image.Arm64FlagsLE4KBase)
		copy(out[image.Arm64MagicOffset:], image.Arm64Magic)
	}
	table := mmu.BootMap(mmu.EL2Stage1, ramStart, ramEnd)
	for i, e := range table {
		binary.LittleEndian.PutUint64(out[mmu.PageSize+8*i:], e)
	}
	return out
}

// loadWithCachesOn returns QEMU arguments that load img with the generic
// loader and start the caches-on stage on core 0 in its place.
func loadWithCachesOn(t *testing.T, img string) []string {
	t.Helper()
	f, err := elf.Open(img)
	require.NoError(t, err)
	entry := f.Entry
	f.Close()
	stage := filepath.Join(t.TempDir(), "caches-on-loader.bin")
	require.NoError(t, os.WriteFile(stage, cachesOnLoader(entry), 0o644))
	return []string{
		"-device", "loader,file=" + img,
		"-device", fmt.Sprintf("loader,file=%s,addr=%#x,force-raw=on,cpu-num=0", stage, loaderBase),
	}
}

// bootWith is boot with the image loaded by loadArgs.
func bootWith(t *testing.T, binary, img string, loadArgs []string, expect ...string) *qemu.Result {
	t.Helper()
	return bootOptions(t, binary, qemu.Options{Image: img, LoadArgs: loadArgs, Timeout: bootTimeout}, expect...)
}
