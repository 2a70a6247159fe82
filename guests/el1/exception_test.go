package el1

import (
	"strings"
	"testing"
)

// Syndromes as an EL1 guest takes them (DDI 0487 D19.2 ESR_EL1): EC in
// bits [31:26], IL (bit 25) set for 32-bit instructions, ISS below.
const (
	esrExternalAbortRead = 0x2500_0000<<2 | 1<<25 | 0x10        // data abort, same EL, synchronous external abort
	esrExternalAbortNoFA = esrExternalAbortRead | 1<<10         // the same with FnV: FAR not valid
	esrTranslationL2     = 0x2500_0000<<2 | 1<<25 | 0x06        // data abort, translation fault, level 2
	esrPermissionWriteL3 = 0x2500_0000<<2 | 1<<25 | 1<<6 | 0x0f // data abort on a write, permission fault, level 3
	esrInstrAbortL3      = 0x2100_0000<<2 | 1<<25 | 0x07        // instruction abort, same EL, translation fault, level 3
	esrBRK               = 0x3c00_0000<<2 | 1<<25 | 0x4154      // BRK #0x4154
	esrUndefined         = 1 << 25                              // EC 0: an undefined instruction (HVC without EL2)
	esrSVC               = 0x1500_0000<<2 | 1<<25               // SVC #0
	esrPCAlignment       = 0x2200_0000<<2 | 1<<25
)

func TestAppendException(t *testing.T) {
	tests := []struct {
		esr, far uint64
		want     string
	}{
		{esrExternalAbortRead, 0x4800_0000, "EC 0x25 Data Abort taken without a change in Exception level: synchronous external abort at 0x48000000"},
		{esrExternalAbortNoFA, 0x4800_0000, "EC 0x25 Data Abort taken without a change in Exception level: synchronous external abort (address not reported)"},
		{esrTranslationL2, 0, "EC 0x25 Data Abort taken without a change in Exception level: translation fault at level 2 at 0x0"},
		{esrPermissionWriteL3, 0x7001_0000, "EC 0x25 Data Abort taken without a change in Exception level: permission fault at level 3 at 0x70010000"},
		{esrInstrAbortL3, 0x1234_5000, "EC 0x21 Instruction Abort taken without a change in Exception level: translation fault at level 3 at 0x12345000"},
		{esrBRK, 0, "EC 0x3c BRK instruction execution in AArch64 state"},
		{esrUndefined, 0, "EC 0x0 Unknown reason"},
	}
	for _, tt := range tests {
		if got := string(AppendException(nil, tt.esr, tt.far)); got != tt.want {
			t.Errorf("AppendException(%#x, %#x) = %q, want %q", tt.esr, tt.far, got, tt.want)
		}
		if got := (Fault{ESR: tt.esr, FAR: tt.far}).Error(); got != tt.want {
			t.Errorf("Fault{%#x, %#x}.Error() = %q, want %q", tt.esr, tt.far, got, tt.want)
		}
	}
}

func TestResume(t *testing.T) {
	const elr = 0x7402_0000
	tests := []struct {
		name      string
		esr       uint64
		resumable bool
		at        uint64
	}{
		{"external abort", esrExternalAbortRead, true, elr + 4},
		{"translation fault", esrTranslationL2, true, elr + 4},
		{"BRK", esrBRK, true, elr + 4},
		{"undefined HVC", esrUndefined, true, elr + 4},
		{"SVC returns after itself already", esrSVC, true, elr},
		{"instruction abort", esrInstrAbortL3, false, elr + 4},
		{"PC alignment", esrPCAlignment, false, elr + 4},
	}
	for _, tt := range tests {
		f := &Frame{ESR: tt.esr, ELR: elr}
		if got := resumable(Fault{ESR: tt.esr}.Class()); got != tt.resumable {
			t.Errorf("%s: resumable %v, want %v", tt.name, got, tt.resumable)
		}
		if got := ResumeAddress(f); got != tt.at {
			t.Errorf("%s: resumes at %#x, want %#x", tt.name, got, tt.at)
		}
	}
}

func TestVectors(t *testing.T) {
	tests := []struct {
		offset uint64
		name   string
		hook   bool
	}{
		{0x000, "synchronous, current EL with SP_EL0", true},
		{0x200, "synchronous, current EL with SP_EL1", true},
		{0x280, "IRQ, current EL with SP_EL1", false},
		{0x380, "SError, current EL with SP_EL1", false},
		{0x400, "synchronous, lower EL in AArch64", false},
		{0x700, "FIQ, lower EL in AArch32", false},
		{0x800, "unknown vector, unknown origin", false},
		{0x210, "unknown vector, unknown origin", false},
	}
	for _, tt := range tests {
		if got := VectorKind(tt.offset) + ", " + VectorOrigin(tt.offset); got != tt.name {
			t.Errorf("vector %#x is %q, want %q", tt.offset, got, tt.name)
		}
		if got := IsSynchronousSameLevel(tt.offset); got != tt.hook {
			t.Errorf("IsSynchronousSameLevel(%#x) = %v, want %v", tt.offset, got, tt.hook)
		}
	}
}

func TestWriteReport(t *testing.T) {
	f := &Frame{SP: 0x73df_ff80, ELR: 0x7003_1234, SPSR: 0x6000_03c5, ESR: esrTranslationL2, FAR: 0, Vector: 0x200}
	for i := range f.X {
		f.X[i] = uint64(i) * 0x0101_0101
	}
	want := `el1: unexpected exception: EC 0x25 Data Abort taken without a change in Exception level: translation fault at level 2 at 0x0
el1:   vector: synchronous, current EL with SP_EL1
el1:   ESR 0x96000006  FAR 0x0  ELR 0x70031234  SPSR 0x600003c5 (EL1h)
el1:   x00 0x0000000000000000 x01 0x0000000001010101 x02 0x0000000002020202 x03 0x0000000003030303
el1:   x04 0x0000000004040404 x05 0x0000000005050505 x06 0x0000000006060606 x07 0x0000000007070707
el1:   x08 0x0000000008080808 x09 0x0000000009090909 x10 0x000000000a0a0a0a x11 0x000000000b0b0b0b
el1:   x12 0x000000000c0c0c0c x13 0x000000000d0d0d0d x14 0x000000000e0e0e0e x15 0x000000000f0f0f0f
el1:   x16 0x0000000010101010 x17 0x0000000011111111 x18 0x0000000012121212 x19 0x0000000013131313
el1:   x20 0x0000000014141414 x21 0x0000000015151515 x22 0x0000000016161616 x23 0x0000000017171717
el1:   x24 0x0000000018181818 x25 0x0000000019191919 x26 0x000000001a1a1a1a x27 0x000000001b1b1b1b
el1:   x28 0x000000001c1c1c1c x29 0x000000001d1d1d1d x30 0x000000001e1e1e1e sp  0x0000000073dfff80
`
	w := &wire{}
	WriteReport(Console{UART: w}, f)
	if got := strings.ReplaceAll(string(w.sent), "\r\n", "\n"); got != want {
		t.Errorf("report:\n%s\nwant:\n%s", got, want)
	}
	// The report runs on the exception path, outside any goroutine.
	w.sent = make([]byte, 0, 1<<16)
	c := Console{UART: w}
	allocs := testing.AllocsPerRun(10, func() {
		w.sent = w.sent[:0]
		WriteReport(c, f)
	})
	if allocs != 0 {
		t.Errorf("WriteReport: %v allocations per run, want 0", allocs)
	}
}
