package mmu

import "testing"

// BenchmarkBuildHypervisorLayout builds one core's EL2 tables: what the
// boot core does for every core before its MMU is on.
func BenchmarkBuildHypervisorLayout(b *testing.B) {
	layout := []Region{
		{Name: "text", VA: 0x4021_0000, PA: 0x4021_0000, Size: 0x9_0000, Attr: Text},
		{Name: "rodata", VA: 0x402a_0000, PA: 0x402a_0000, Size: 0xc_b000, Attr: ROData},
		{Name: "private", VA: 0x4036_b000, PA: 0x4216_b000, Size: 0x1c9_5000, Attr: RWData},
		{Name: "shared", VA: 0x4000_0000, PA: 0x4000_0000, Size: 0x20_0000, Attr: RWData},
		{Name: "uart", VA: 0x0900_0000, PA: 0x0900_0000, Size: 0x1000, Attr: MMIO},
	}
	for i := 0; i < b.N; i++ {
		var tb Tables
		if err := tb.Init(&HeapMemory{}, 39, EL2Stage1); err != nil {
			b.Fatal(err)
		}
		if err := tb.MapRegions(layout); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWalk translates one address through a 3-level walk, as a
// software stage-2 lookup on a trap will.
func BenchmarkWalk(b *testing.B) {
	var tb Tables
	if err := tb.Init(&HeapMemory{}, 39, EL2Stage1); err != nil {
		b.Fatal(err)
	}
	if err := tb.Map(0x4021_0000, 0x4021_0000, 0x10_0000, Text); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := tb.Walk(0x4021_3008); !ok {
			b.Fatal("no translation")
		}
	}
}
