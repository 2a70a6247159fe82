package psci

import (
	"reflect"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/aarch64"
	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/partition/table"
)

// pointerFields lists the paths of everything in t that holds or is a
// pointer: what must not appear in memory shared by cores whose Go heaps
// know nothing of each other.
func pointerFields(t reflect.Type, path string) []string {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return nil
	case reflect.Array:
		return pointerFields(t.Elem(), path+"[]")
	case reflect.Struct:
		var found []string
		for i := range t.NumField() {
			f := t.Field(i)
			found = append(found, pointerFields(f.Type, path+"."+f.Name)...)
		}
		return found
	}
	return []string{path + " (" + t.Kind().String() + ")"}
}

func TestStateHoldsNoPointers(t *testing.T) {
	assert.Empty(t, pointerFields(reflect.TypeFor[State](), "State"))
}

// The walker finds each kind of pointer, however deep it sits.
func TestPointerFieldsFindsPointers(t *testing.T) {
	type inner struct {
		n uint64
		s string
	}
	for _, tc := range []struct {
		typ  reflect.Type
		want []string
	}{
		{reflect.TypeFor[struct{ a, b uint32 }](), nil},
		{reflect.TypeFor[[4]struct{ p *uint64 }](), []string{"T[].p (ptr)"}},
		{reflect.TypeFor[struct{ s []uint64 }](), []string{"T.s (slice)"}},
		{reflect.TypeFor[struct{ m map[int]int }](), []string{"T.m (map)"}},
		{reflect.TypeFor[struct{ c chan int }](), []string{"T.c (chan)"}},
		{reflect.TypeFor[struct{ f func() }](), []string{"T.f (func)"}},
		{reflect.TypeFor[struct{ i any }](), []string{"T.i (interface)"}},
		{reflect.TypeFor[struct{ u unsafe.Pointer }](), []string{"T.u (unsafe.Pointer)"}},
		{reflect.TypeFor[struct{ x [2]inner }](), []string{"T.x[].s (string)"}},
	} {
		assert.Equal(t, tc.want, pointerFields(tc.typ, "T"), "%v", tc.typ)
	}
}

func TestNewPartition(t *testing.T) {
	tooMany := make([]board.Region, MaxRAMRegions+1)
	for i := range tooMany {
		tooMany[i] = board.Region{Base: uint64(i) << 30, Size: 1 << 20}
	}
	for _, tc := range []struct {
		name    string
		state   *State
		mask    uint64
		core    int
		ram     []board.Region
		err     string
		vcpus   int
		self    int
		coreOf2 int
	}{
		{name: "core 3 of cores 0, 2, 3", state: new(State), mask: 0b1101, core: 3, ram: testRAM, vcpus: 3, self: 2},
		{name: "core 0 of cores 0, 2, 3", state: new(State), mask: 0b1101, core: 0, ram: testRAM, vcpus: 3, self: 0},
		{name: "core 63 of all 64", state: new(State), mask: ^uint64(0), core: 63, ram: testRAM[:1], vcpus: 64, self: 63},
		{name: "exactly MaxRAMRegions", state: new(State), mask: 1, core: 0, ram: tooMany[:MaxRAMRegions], vcpus: 1, self: 0},
		{name: "no State", mask: 0b1101, core: 0, ram: testRAM,
			err: "psci: no State; pass the partition's State in the shared region"},
		{name: "core outside the mask", state: new(State), mask: 0b1101, core: 1, ram: testRAM,
			err: "psci: core 1 is not in the partition's CPU mask 0xd; build the view on one of the partition's cores"},
		{name: "negative core", state: new(State), mask: 0b1101, core: -1, ram: testRAM,
			err: "psci: core -1 is not in the partition's CPU mask 0xd; build the view on one of the partition's cores"},
		{name: "core 64", state: new(State), mask: ^uint64(0), core: 64, ram: testRAM,
			err: "psci: core 64 is not in the partition's CPU mask 0xffffffffffffffff; build the view on one of the partition's cores"},
		{name: "no RAM", state: new(State), mask: 1, core: 0,
			err: "psci: the partition has no RAM, so no CPU_ON entry point could be valid; give it a RAM region"},
		{name: "too many RAM regions", state: new(State), mask: 1, core: 0, ram: tooMany,
			err: "psci: 17 RAM regions, at most 16 are supported; merge adjacent memory regions"},
		{name: "empty RAM region", state: new(State), mask: 1, core: 0, ram: []board.Region{testRAM[0], {Base: ramBase + ramSize}},
			err: "psci: RAM region 1 (0x4c000000+0x0) is empty or wraps around the address space"},
		{name: "wrapping RAM region", state: new(State), mask: 1, core: 0, ram: []board.Region{{Base: 0xffff_ffff_ffff_f000, Size: 0x2000}},
			err: "psci: RAM region 0 (0xfffffffffffff000+0x2000) is empty or wraps around the address space"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPartition(tc.state, tc.mask, tc.core, tc.ram)
			if tc.err != "" {
				assert.EqualError(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.vcpus, p.VCPUs())
			assert.Equal(t, tc.self, p.Self())
			assert.Equal(t, tc.ram, p.ram[:p.numRAM])
		})
	}
}

// tableWithRAM returns a decoded table of two partitions: "ecu" on core 0,
// and "hmi" on cores 2 and 3 with the given regions.
func tableWithRAM(t *testing.T, hmiRegions []table.Region) table.View {
	t.Helper()
	name := func(s string) table.Name {
		n, err := table.NewName(s)
		require.NoError(t, err)
		return n
	}
	partitions := []table.Partition{
		{Name: name("ecu"), CPUMask: 0b0001, EntryIPA: 0x4800_0000, Regions: table.Span{First: 0, Count: 1},
			ConsoleDevice: table.NoIndex, OnFault: table.FaultStop, Console: table.ConsoleNone, KernelFormat: table.KernelRaw},
		{Name: name("hmi"), CPUMask: 0b1100, EntryIPA: 0x5000_0000, Regions: table.Span{First: 1, Count: uint32(len(hmiRegions))},
			ConsoleDevice: table.NoIndex, OnFault: table.FaultStop, Console: table.ConsoleNone, KernelFormat: table.KernelRaw},
	}
	regions := append([]table.Region{
		{PhysBase: 0x4800_0000, IPA: 0x4800_0000, Size: 16 << 20, Partition: 0, Owner: table.NoIndex, Kind: table.RegionRAM, Perm: table.PermRead | table.PermWrite | table.PermExec},
	}, hmiRegions...)
	b, err := table.Encode(&table.Table{
		Board:      name("qemu-virt"),
		Partitions: partitions,
		Regions:    regions,
		Channels:   []table.Channel{{Name: name("ipc"), PhysBase: 0x5c00_0000, Size: 1 << 20, Members: 0b10}},
	})
	require.NoError(t, err)
	v, err := table.Decode(b)
	require.NoError(t, err)
	return v
}

func hmiRAM(ipa, size uint64, perm table.Perm) table.Region {
	return table.Region{PhysBase: 0x6000_0000 + ipa, IPA: ipa, Size: size, Partition: 1, Owner: table.NoIndex, Kind: table.RegionRAM, Perm: perm}
}

func TestFromTable(t *testing.T) {
	const rwx = table.PermRead | table.PermWrite | table.PermExec
	channel := table.Region{PhysBase: 0x5c00_0000, IPA: 0x7c00_0000, Size: 1 << 20, Partition: 1, Owner: 0, Kind: table.RegionChannel, Perm: rwx}
	tooMany := make([]table.Region, MaxRAMRegions+1)
	for i := range tooMany {
		tooMany[i] = hmiRAM(uint64(i)<<24, 1<<20, rwx)
	}
	for _, tc := range []struct {
		name      string
		regions   []table.Region
		partition int
		core      int
		err       string
		self      int
		ram       []board.Region
	}{
		{name: "executable RAM only", partition: 1, core: 3,
			regions: []table.Region{hmiRAM(0x4000_0000, 32<<20, rwx), channel, hmiRAM(0x5000_0000, 1<<20, table.PermRead|table.PermWrite), hmiRAM(0x6000_0000, 2<<20, rwx)},
			self:    1, ram: []board.Region{{Base: 0x4000_0000, Size: 32 << 20}, {Base: 0x6000_0000, Size: 2 << 20}}},
		{name: "exactly MaxRAMRegions", partition: 1, core: 2, regions: tooMany[:MaxRAMRegions], self: 0,
			ram: func() []board.Region {
				ram := make([]board.Region, MaxRAMRegions)
				for i := range ram {
					ram[i] = board.Region{Base: uint64(i) << 24, Size: 1 << 20}
				}
				return ram
			}()},
		{name: "too many RAM regions", partition: 1, core: 2, regions: tooMany,
			err: `partition "hmi": more than 16 executable RAM regions; merge adjacent memory regions in its config`},
		{name: "core of another partition", partition: 1, core: 0, regions: []table.Region{hmiRAM(0x4000_0000, 1<<20, rwx)},
			err: `partition "hmi": psci: core 0 is not in the partition's CPU mask 0xc; build the view on one of the partition's cores`},
		{name: "no executable RAM", partition: 1, core: 2, regions: []table.Region{hmiRAM(0x4000_0000, 1<<20, table.PermRead)},
			err: `partition "hmi": psci: the partition has no RAM, so no CPU_ON entry point could be valid; give it a RAM region`},
		{name: "no such partition", partition: 2, core: 2, regions: []table.Region{hmiRAM(0x4000_0000, 1<<20, rwx)},
			err: "psci: partition 2 does not exist; the table has 2"},
		{name: "negative partition", partition: -1, core: 2, regions: []table.Region{hmiRAM(0x4000_0000, 1<<20, rwx)},
			err: "psci: partition -1 does not exist; the table has 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := tableWithRAM(t, tc.regions)
			p, err := FromTable(new(State), v, tc.partition, tc.core)
			if tc.err != "" {
				assert.EqualError(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, 2, p.VCPUs())
			assert.Equal(t, tc.self, p.Self())
			assert.Equal(t, tc.ram, p.ram[:p.numRAM])
		})
	}
}

func TestVCPUAndCoreNumbers(t *testing.T) {
	for _, tc := range []struct {
		mask uint64
		// cores[i] is the core of vCPU i.
		cores []int
	}{
		{mask: 0b1, cores: []int{0}},
		{mask: 0b1101, cores: []int{0, 2, 3}},
		{mask: 0b0110, cores: []int{1, 2}},
		{mask: 1 << 63, cores: []int{63}},
		{mask: 1<<63 | 1<<40 | 1<<5, cores: []int{5, 40, 63}},
		{mask: 0, cores: nil},
	} {
		for vcpu, core := range tc.cores {
			got, ok := CoreOfVCPU(tc.mask, vcpu)
			assert.True(t, ok, "mask %#x vCPU %d", tc.mask, vcpu)
			assert.Equal(t, core, got, "mask %#x: core of vCPU %d", tc.mask, vcpu)
			back, ok := VCPUOfCore(tc.mask, core)
			assert.True(t, ok, "mask %#x core %d", tc.mask, core)
			assert.Equal(t, vcpu, back, "mask %#x: vCPU of core %d", tc.mask, core)
		}
		for _, vcpu := range []int{-1, len(tc.cores), 64} {
			_, ok := CoreOfVCPU(tc.mask, vcpu)
			assert.False(t, ok, "mask %#x has no vCPU %d", tc.mask, vcpu)
		}
		for core := -1; core <= 64; core++ {
			if core >= 0 && core < 64 && tc.mask&(1<<core) != 0 {
				continue
			}
			_, ok := VCPUOfCore(tc.mask, core)
			assert.False(t, ok, "mask %#x does not run on core %d", tc.mask, core)
		}
	}
}

// The MPIDR a vCPU reads is the target CPU_ON and AFFINITY_INFO take for it.
func TestGuestMPIDR(t *testing.T) {
	for _, tc := range []struct {
		vcpu  int
		mpidr uint64
	}{
		{0, 0x8000_0000},
		{1, 0x8000_0001},
		{63, 0x8000_003f},
	} {
		assert.Equal(t, tc.mpidr, GuestMPIDR(tc.vcpu))
	}
	p, err := NewPartition(new(State), ^uint64(0), 0, testRAM)
	require.NoError(t, err)
	for vcpu := range MaxVCPUs {
		got, ok := p.vcpuOfMPIDR(aarch64.MPIDR(GuestMPIDR(vcpu)).Affinity())
		assert.True(t, ok, "vCPU %d", vcpu)
		assert.Equal(t, vcpu, got)
	}
}

func TestPowerOfUnknownVCPU(t *testing.T) {
	p := newTestPartition(t, 0)
	setState(p.state, []PowerState{on, on, on, on}, RequestNone)
	for _, vcpu := range []int{-1, 3, MaxVCPUs} {
		assert.Equal(t, PowerOff, p.Power(vcpu), "vCPU %d", vcpu)
	}
}
