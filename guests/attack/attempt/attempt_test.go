package attempt

import (
	"testing"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/guests/el1"
)

// qemuVirt is the attacker's view of configs/qemu-virt.yaml.
var qemuVirt = Target{
	OwnRAM:      board.Region{Base: 0x7400_0000, Size: 16 << 20},
	Scratch:     0x7416_9d48,
	OwnMPIDR:    0,
	ParkedEntry: 0x7402_0000,
	OtherRAM:    board.Region{Base: 0x7000_0000, Size: 64 << 20},
	OtherCore:   2,
	Hypervisor:  []uint64{0x4000_0000, 0x4800_0000},
	GICD:        0x0800_0000,
	ForeignGICR: 0x080c_0000,
	SMMU:        0x0905_0000,
	Unassigned:  0x0901_0000,
}

// A board without an SMMU: no attempt at its registers, the rest as on
// qemu-virt.
func TestPlanWithoutSMMU(t *testing.T) {
	withSMMU := Plan(qemuVirt)
	target := qemuVirt
	target.SMMU = 0
	got := Plan(target)
	var want []Attempt
	for _, a := range withSMMU {
		if a.Name != "read SMMU at 0x9050000" {
			want = append(want, a)
		}
	}
	if len(want) != len(withSMMU)-1 {
		t.Fatalf("the plan with an SMMU has no SMMU attempt")
	}
	if len(got) != len(want) {
		t.Fatalf("%d attempts, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("attempt %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestPlan(t *testing.T) {
	want := []Attempt{
		{Name: "read own RAM at 0x74169d48", Kind: Read64, Address: 0x7416_9d48},
		{Name: "write own RAM at 0x74169d48", Kind: Write64, Address: 0x7416_9d48, Value: Marker},
		{Name: "read just below own RAM at 0x73fffff8", Kind: Read64, Address: 0x73ff_fff8, Map: true},
		{Name: "read just above own RAM at 0x75000000", Kind: Read64, Address: 0x7500_0000, Map: true},
		{Name: "read another partition's RAM at 0x70000000", Kind: Read64, Address: 0x7000_0000, Map: true},
		{Name: "read hypervisor memory at 0x40000000", Kind: Read64, Address: 0x4000_0000, Map: true},
		{Name: "write hypervisor memory at 0x40000000", Kind: Write64, Address: 0x4000_0000, Value: Marker, Map: true},
		{Name: "read hypervisor memory at 0x48000000", Kind: Read64, Address: 0x4800_0000, Map: true},
		{Name: "write hypervisor memory at 0x48000000", Kind: Write64, Address: 0x4800_0000, Value: Marker, Map: true},
		{Name: "read own virtual GIC distributor at 0x8000000", Kind: Read32, Address: 0x0800_0000, Map: true},
		{Name: "read a foreign GIC redistributor at 0x80c0000", Kind: Read32, Address: 0x080c_0000, Map: true},
		{Name: "read SMMU at 0x9050000", Kind: Read32, Address: 0x0905_0000, Map: true},
		{Name: "read unassigned device at 0x9010000", Kind: Read32, Address: 0x0901_0000, Map: true},
		{Name: "PSCI CPU_ON another partition's core 0x2", Kind: HVC, PSCI: true, Function: 0xc400_0003, Args: [3]uint64{2, 0x7402_0000, 0}},
		{Name: "PSCI CPU_ON own core 0x0 at 0x70000000 outside own RAM", Kind: HVC, PSCI: true, Function: 0xc400_0003, Args: [3]uint64{0, 0x7000_0000, 0}},
		{Name: "PSCI_VERSION", Kind: HVC, PSCI: true, Function: 0x8400_0000},
		{Name: "unknown HVC 0xc2000042", Kind: HVC, Function: 0xc200_0042},
		{Name: "unknown SMC 0xc2000042", Kind: SMC, Function: 0xc200_0042},
		{Name: "PSCI_VERSION with HVC #1", Kind: HVCImmediate, Function: 0x8400_0000},
		{Name: "read PMU event counter 0", Kind: EventCounter},
		{Name: "harness: read unmapped address 0x0", Kind: Read64, Address: 0},
		{Name: "harness: BRK", Kind: Breakpoint},
	}
	got := Plan(qemuVirt)
	if len(got) != len(want) {
		t.Fatalf("%d attempts, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("attempt %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

// The marker reads "attack!!" in memory, little-endian.
func TestMarker(t *testing.T) {
	var b [8]byte
	for i := range b {
		b[i] = byte(Marker >> (8 * i))
	}
	if string(b[:]) != "attack!!" {
		t.Errorf("Marker is %q in memory, want %q", b[:], "attack!!")
	}
}

func TestLine(t *testing.T) {
	plan := Plan(qemuVirt)
	find := func(name string) Attempt {
		for _, a := range plan {
			if a.Name == name {
				return a
			}
		}
		t.Fatalf("no attempt %q", name)
		return Attempt{}
	}
	externalAbort := el1.Fault{ESR: 0x9600_0010, FAR: 0x4800_0000}
	tests := []struct {
		attempt string
		value   uint64
		fault   el1.Fault
		faulted bool
		want    string
	}{
		{"read own RAM at 0x74169d48", 0x1234, el1.Fault{}, false,
			"attack: read own RAM at 0x74169d48: ok"},
		{"write hypervisor memory at 0x48000000", 0, externalAbort, true,
			"attack: write hypervisor memory at 0x48000000: abort (EC 0x25 Data Abort taken without a change in Exception level: synchronous external abort)"},
		{"read hypervisor memory at 0x40000000", 0, externalAbort, true,
			"attack: read hypervisor memory at 0x40000000: abort (EC 0x25 Data Abort taken without a change in Exception level: synchronous external abort at 0x48000000)"},
		{"harness: BRK", 0, el1.Fault{ESR: 0xf200_4154}, true,
			"attack: harness: BRK: abort (EC 0x3c BRK instruction execution in AArch64 state)"},
		{"PSCI CPU_ON another partition's core 0x2", 0xffff_fffd, el1.Fault{}, false,
			"attack: PSCI CPU_ON another partition's core 0x2: psci -3 (denied)"},
		{"PSCI CPU_ON another partition's core 0x2", 0xffff_ffff_ffff_fffe, el1.Fault{}, false,
			"attack: PSCI CPU_ON another partition's core 0x2: psci -2 (invalid parameters)"},
		{"PSCI CPU_ON own core 0x0 at 0x70000000 outside own RAM", 0xffff_fff7, el1.Fault{}, false,
			"attack: PSCI CPU_ON own core 0x0 at 0x70000000 outside own RAM: psci -9 (invalid address)"},
		{"PSCI_VERSION", 0x1_0001, el1.Fault{}, false,
			"attack: PSCI_VERSION: psci 0x10001 (version 1.1)"},
		{"PSCI_VERSION", 0xffff_ffff, el1.Fault{}, false,
			"attack: PSCI_VERSION: psci -1 (not supported)"},
		{"unknown HVC 0xc2000042", 0xffff_ffff_ffff_ffff, el1.Fault{}, false,
			"attack: unknown HVC 0xc2000042: returned 0xffffffffffffffff"},
		{"unknown SMC 0xc2000042", 0xc200_0042, el1.Fault{ESR: 0x0200_0000}, true,
			"attack: unknown SMC 0xc2000042: abort (EC 0x0 Unknown reason)"},
	}
	for _, tt := range tests {
		a := find(tt.attempt)
		if got := Line(a, Result(a, tt.value, tt.fault, tt.faulted)); got != tt.want {
			t.Errorf("got  %s\nwant %s", got, tt.want)
		}
	}
}
