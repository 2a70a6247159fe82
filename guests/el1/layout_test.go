package el1

import (
	"testing"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/mmu"
)

// Link bounds of real builds (go tool nm on build/guests/*.elf: runtime.text,
// runtime.etext, runtime.noptrdata, runtime.end), and the RAM their board
// files give the runtime: the partition minus its 2 MiB device tree block.
var (
	ecuImage = Image{TextStart: 0x7001_0000, TextEnd: 0x700a_5920, DataStart: 0x7017_7440, End: 0x701b_5f00}
	ecuRAM   = board.Region{Base: 0x7000_0000, Size: 62 << 20}

	attackImage = Image{TextStart: 0x7401_0000, TextEnd: 0x7408_d420, DataStart: 0x7414_4440, End: 0x7417_0148}
	attackRAM   = board.Region{Base: 0x7400_0000, Size: 14 << 20}
)

// region is an expected layout entry.
type region struct {
	name     string
	va, size uint64
	attr     mmu.Attributes
}

func TestLayoutBuild(t *testing.T) {
	tests := []struct {
		name  string
		img   Image
		ram   board.Region
		uart  uint64
		want  []region
		error error
	}{
		{
			name: "ecu",
			img:  ecuImage, ram: ecuRAM, uart: 0x0900_0000,
			want: []region{
				{"tables", 0x7000_1000, 0xe000, mmu.RWData},
				{"text", 0x7001_0000, 0x96000, mmu.Text},
				{"rodata", 0x700a_6000, 0xd1000, mmu.ROData},
				{"data", 0x7017_7000, 0x73e0_0000 - 0x7017_7000, mmu.RWData},
				{"console", 0x0900_0000, 0x1000, mmu.MMIO},
			},
		},
		{
			name: "console register inside its page",
			img:  Image{TextStart: 0x4_0000, TextEnd: 0x5_0000, DataStart: 0x5_0000, End: 0x6_0000}, ram: board.Region{Base: 0, Size: 16 << 20}, uart: 0x1c09_0018,
			want: []region{
				{"tables", 0x1000, 0x3_e000, mmu.RWData},
				{"text", 0x4_0000, 0x1_0000, mmu.Text},
				{"data", 0x5_0000, (16 << 20) - 0x5_0000, mmu.RWData},
				{"console", 0x1c09_0000, 0x1000, mmu.MMIO},
			},
		},
		{name: "text not page aligned", img: Image{TextStart: 0x7001_0800, TextEnd: 0x7002_0000, DataStart: 0x7003_0000, End: 0x7004_0000}, ram: ecuRAM, error: ErrTextMisaligned},
		{name: "text below RAM", img: Image{TextStart: 0x6fff_0000, TextEnd: 0x7002_0000, DataStart: 0x7003_0000, End: 0x7004_0000}, ram: ecuRAM, error: ErrTextOutsideRAM},
		{name: "text above RAM", img: Image{TextStart: 0x73e0_0000, TextEnd: 0x73e1_0000, DataStart: 0x73e2_0000, End: 0x73e3_0000}, ram: ecuRAM, error: ErrTextOutsideRAM},
		{name: "three pages below text", img: Image{TextStart: 0x7000_3000, TextEnd: 0x7002_0000, DataStart: 0x7003_0000, End: 0x7004_0000}, ram: ecuRAM, error: ErrNoTablePool},
		{name: "segments out of order", img: Image{TextStart: 0x7001_0000, TextEnd: 0x7003_0000, DataStart: 0x7002_0000, End: 0x7004_0000}, ram: ecuRAM, error: ErrImageOrder},
		{name: "data on the text's last page", img: Image{TextStart: 0x7001_0000, TextEnd: 0x7002_0800, DataStart: 0x7002_0c00, End: 0x7004_0000}, ram: ecuRAM, error: ErrImageOrder},
		{name: "no room for heap", img: Image{TextStart: 0x7001_0000, TextEnd: 0x7002_0000, DataStart: 0x7003_0000, End: 0x73a1_0000}, ram: ecuRAM, error: ErrImageTooLarge},
		{name: "bss past RAM", img: Image{TextStart: 0x7001_0000, TextEnd: 0x7002_0000, DataStart: 0x7003_0000, End: 0x7400_0000}, ram: ecuRAM, error: ErrImageTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l Layout
			err := l.Build(tt.img, tt.ram, tt.uart)
			if err != tt.error {
				t.Fatalf("Build: error %v, want %v", err, tt.error)
			}
			got := l.Regions()
			if len(got) != len(tt.want) {
				t.Fatalf("Build: %d regions %v, want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Name != w.name || g.VA != w.va || g.PA != w.va || g.Size != w.size || g.Attr != w.attr {
					t.Errorf("region %d: %s va %#x pa %#x size %#x %v, want %s identity at %#x size %#x %v",
						i, g.Name, g.VA, g.PA, g.Size, g.Attr, w.name, w.va, w.size, w.attr)
				}
			}
		})
	}
}

// translation is an address and what the guest's tables must do with it.
type translation struct {
	va     uint64
	mapped bool
	attr   mmu.Attributes
}

// TestGuestTables builds the ECU's and the attacker's tables as the
// firmware does, in the same pool, adds what each program maps later (the
// device tree, the attacker's probe pages), and walks them.
func TestGuestTables(t *testing.T) {
	probe := mmu.Attributes{Type: mmu.DeviceNGnRnE, Perm: mmu.Read | mmu.Write}
	tests := []struct {
		name  string
		img   Image
		ram   board.Region
		later []mmu.Region
		want  []translation
	}{
		{
			name: "ecu with the device tree at the top of its partition",
			img:  ecuImage, ram: ecuRAM,
			later: []mmu.Region{{Name: "device tree", VA: 0x73e0_0000, PA: 0x73e0_0000, Size: 0x2000, Attr: mmu.ROData}},
			want: []translation{
				{va: 0},
				{va: 0x7000_0000}, // the boot map
				{va: 0x7000_1000, mapped: true, attr: mmu.RWData},
				{va: 0x7000_e000, mapped: true, attr: mmu.RWData},
				{va: 0x7000_f000}, // ELF headers
				{va: 0x7001_0000, mapped: true, attr: mmu.Text},
				{va: 0x700a_5000, mapped: true, attr: mmu.Text},
				{va: 0x700a_6000, mapped: true, attr: mmu.ROData},
				{va: 0x7017_6000, mapped: true, attr: mmu.ROData},
				{va: 0x7017_7000, mapped: true, attr: mmu.RWData},
				{va: 0x73df_f000, mapped: true, attr: mmu.RWData}, // the exception stack
				{va: 0x73e0_1000, mapped: true, attr: mmu.ROData},
				{va: 0x73e0_2000},
				{va: 0x0900_0000, mapped: true, attr: mmu.MMIO},
				{va: 0x0900_1000},
				{va: 0x7400_0000},
			},
		},
		{
			name: "attacker with every probe page",
			img:  attackImage, ram: attackRAM,
			later: []mmu.Region{
				{Name: "probe", VA: 0x73ff_f000, PA: 0x73ff_f000, Size: 0x1000, Attr: probe},
				{Name: "probe", VA: 0x7500_0000, PA: 0x7500_0000, Size: 0x1000, Attr: probe},
				{Name: "probe", VA: 0x7000_0000, PA: 0x7000_0000, Size: 0x1000, Attr: probe},
				{Name: "probe", VA: 0x4000_0000, PA: 0x4000_0000, Size: 0x1000, Attr: probe},
				{Name: "probe", VA: 0x4800_0000, PA: 0x4800_0000, Size: 0x1000, Attr: probe},
				{Name: "probe", VA: 0x0800_0000, PA: 0x0800_0000, Size: 0x1000, Attr: probe},
				{Name: "probe", VA: 0x0905_0000, PA: 0x0905_0000, Size: 0x1000, Attr: probe},
				{Name: "probe", VA: 0x0901_0000, PA: 0x0901_0000, Size: 0x1000, Attr: probe},
			},
			want: []translation{
				{va: 0},
				{va: 0x7401_0000, mapped: true, attr: mmu.Text},
				{va: 0x73ff_f000, mapped: true, attr: probe},
				{va: 0x73ff_e000},
				{va: 0x7500_0000, mapped: true, attr: probe},
				{va: 0x4000_0000, mapped: true, attr: probe},
				{va: 0x0905_0000, mapped: true, attr: probe},
				{va: 0x0900_0000, mapped: true, attr: mmu.MMIO},
				{va: 0x0902_0000},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l Layout
			if err := l.Build(tt.img, tt.ram, ConsoleUART); err != nil {
				t.Fatal(err)
			}
			poolBase, poolEnd := TablePool(tt.img, tt.ram)
			poolPages := int((poolEnd - poolBase) / mmu.PageSize)
			mem := &mmu.HeapMemory{Base: poolBase, Limit: poolPages}
			var tables mmu.Tables
			if err := tables.Init(mem, VABits, mmu.EL1Stage1); err != nil {
				t.Fatal(err)
			}
			if err := tables.MapRegions(l.Regions()); err != nil {
				t.Fatal(err)
			}
			for _, r := range tt.later {
				if err := tables.MapRegions([]mmu.Region{r}); err != nil {
					t.Fatalf("mapping %s at %#x: %v (pool of %d pages, %d used)", r.Name, r.VA, err, poolPages, mem.Tables())
				}
			}
			t.Logf("%d of %d table pages used", mem.Tables(), poolPages)
			for _, w := range tt.want {
				tr, ok := tables.Walk(w.va)
				if ok != w.mapped {
					t.Errorf("va %#x: mapped %v, want %v", w.va, ok, w.mapped)
					continue
				}
				if ok && (tr.PA != w.va || tr.Attr != w.attr) {
					t.Errorf("va %#x: pa %#x %v, want identity %v", w.va, tr.PA, tr.Attr, w.attr)
				}
			}
		})
	}
}

func TestPages(t *testing.T) {
	tests := []struct {
		addr, size, base, end uint64
	}{
		{addr: 0x4000_0000, size: 40, base: 0x4000_0000, end: 0x4000_1000},
		{addr: 0x4000_0ffc, size: 8, base: 0x4000_0000, end: 0x4000_2000},
		{addr: 0x73ff_fff8, size: 8, base: 0x73ff_f000, end: 0x7400_0000},
		{addr: 0x4000_0000, size: 0x10_0001, base: 0x4000_0000, end: 0x4010_1000},
	}
	for _, tt := range tests {
		base, end := Pages(tt.addr, tt.size)
		if base != tt.base || end != tt.end {
			t.Errorf("Pages(%#x, %#x) = %#x, %#x; want %#x, %#x", tt.addr, tt.size, base, end, tt.base, tt.end)
		}
	}
}
