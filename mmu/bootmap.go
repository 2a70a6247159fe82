package mmu

// The boot identity map: the one the hypervisor's boot core, and a guest
// on guests/el1, turn on in their entry code before any Go code runs. With SCTLR_EL2.M clear every data access is
// Device-nGnRnE (DDI 0487 D8.2.10 "The effects of disabling an address
// translation stage"), where unaligned accesses, exclusives and DC ZVA fault
// (B2.5.2, C5.3 "DC ZVA"); Go code uses all three. So the entry code, in
// assembly, writes one level-1 table of 1 GiB blocks mapping the whole
// 39-bit space VA = PA: the board's RAM as Normal write-back memory,
// everything else as Device-nGnRnE, and runs with it until the boot core
// has built every core's real tables.
const (
	// BootBlockShift is log2 of a level-1 block: 1 GiB with a 4 KiB
	// granule (D8.2.7 Table D8-20).
	BootBlockShift = 30
	// BootTableEntries is the level-1 table of a 39-bit space.
	BootTableEntries = 512

	// BootBlockNormal: a level-1 block of RAM, readable, writable and
	// executable (the image's text lies in it).
	BootBlockNormal = uint64(descValid|accessed|apRES1|shInner) | mairIndexNormal<<attrIndxShift
	// BootBlockDevice: a level-1 block of device space, never executable.
	BootBlockDevice = uint64(descValid|accessed|apRES1|shOuter|xn) | mairIndexDeviceNGnRnE<<attrIndxShift

	// The same in the EL1&0 regime (EL1Stage1): EL0 gets no access.
	BootBlockNormalEL1 = uint64(descValid|accessed|shInner|uxn) | mairIndexNormal<<attrIndxShift
	BootBlockDeviceEL1 = uint64(descValid|accessed|shOuter|pxn|uxn) | mairIndexDeviceNGnRnE<<attrIndxShift

	// SCTLREL2Boot is SCTLREL2 without WXN: the RAM blocks are writable
	// and must stay executable until the real tables are on.
	SCTLREL2Boot uint64 = sctlrEL2Value &^ sctlrWXN
)

// BootMap returns the boot identity map's level-1 table in format f
// (EL2Stage1 or EL1Stage1) for RAM at [ramBase, ramEnd), as the entry code
// writes it: a block is Normal when it overlaps RAM. The assembly is the
// implementation; this is its specification, which the tests walk.
func BootMap(f Format, ramBase, ramEnd uint64) [BootTableEntries]uint64 {
	normal, device := BootBlockNormal, BootBlockDevice
	if f == EL1Stage1 {
		normal, device = BootBlockNormalEL1, BootBlockDeviceEL1
	}
	var t [BootTableEntries]uint64
	for i := range t {
		pa := uint64(i) << BootBlockShift
		if pa+1<<BootBlockShift > ramBase && pa < ramEnd {
			t[i] = pa | normal
		} else {
			t[i] = pa | device
		}
	}
	return t
}

// BootTCREL2 is TCREL2(39, 40) as a constant, for the entry code: a 39-bit
// space and the Cortex-A53's 40-bit physical addresses.
const BootTCREL2 uint64 = tcrRES1 | (64-39)<<tcrT0SZShift | tcrIRGN0WBWA | tcrORGN0WBWA |
	tcrSH0Inner | tcrTG04K | 0b010<<tcrPSShift

// BootTCREL1 is TCREL1(39, 40) as a constant, for a guest's entry code.
const BootTCREL1 uint64 = (64 - 39) | tcrIRGN0WBWA | tcrORGN0WBWA | tcrSH0Inner | tcrTG04K |
	tcrEL1EPD1 | tcrEL1TG14K | 0b010<<tcrEL1IPSShft

// SCTLR_EL2 bits the entry code tests and clears (DDI 0487 D19.2 SCTLR_EL2).
const (
	SCTLRM = sctlrM // MMU
	SCTLRC = sctlrC // data and unified caches
	SCTLRI = sctlrI // instruction cache
)
