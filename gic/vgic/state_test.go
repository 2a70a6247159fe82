package vgic

import (
	"reflect"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/firmware/vdev"
	"github.com/tamavisor/tamavisor/firmware/vdev/psci"
	"github.com/tamavisor/tamavisor/partition/table"
)

// pointerFields lists the paths of everything in t that is or holds a Go
// pointer: what must not appear in memory that cores with separate Go
// heaps share.
func pointerFields(t reflect.Type, path string) []string {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
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

	// The walker finds pointers wherever they hide.
	for _, tc := range []struct {
		typ  reflect.Type
		want []string
	}{
		{reflect.TypeFor[struct{ a [2]uint32 }](), nil},
		{reflect.TypeFor[struct{ p *uint32 }](), []string{"T.p (ptr)"}},
		{reflect.TypeFor[struct{ s []uint32 }](), []string{"T.s (slice)"}},
		{reflect.TypeFor[struct{ i any }](), []string{"T.i (interface)"}},
		{reflect.TypeFor[struct{ f func() }](), []string{"T.f (func)"}},
		{reflect.TypeFor[struct{ u unsafe.Pointer }](), []string{"T.u (unsafe.Pointer)"}},
		{reflect.TypeFor[[2]struct{ m map[int]int }](), []string{"T[].m (map)"}},
		{reflect.TypeFor[struct{ f float64 }](), []string{"T.f (float64)"}},
	} {
		assert.Equal(t, tc.want, pointerFields(tc.typ, "T"), "%v", tc.typ)
	}
}

// The State of a partition sits in the 2 MiB the hypervisor instances
// share, next to the other partitions'.
func TestStateIsSmall(t *testing.T) {
	assert.Less(t, unsafe.Sizeof(State{}), uintptr(8<<10))
}

func TestResetForgetsEverything(t *testing.T) {
	g, s, _ := newTestGIC(t)
	for _, a := range seq(linuxProbe, linuxDistInit, linuxCPUInit(0), linuxCPUInit(1), linuxDevices) {
		perform(t, g, a, "boot")
	}
	g.SetActive(0, 33, true)
	g.SetPending(1, 5)
	perform(t, g, store(gicd, 0x6108, 8, 0x0101_0101), "route")
	fresh := new(State)
	require.NoError(t, fresh.Reset(0))
	require.NotEqual(t, fresh, s)
	s.lockRefusals.Store(3)
	require.NoError(t, s.Reset(0))
	s.lockRefusals.Store(0)
	assert.Equal(t, fresh, s)
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		name  string
		state *State
		hooks Hooks
		cfg   Config
		err   string
	}{
		{"no state", nil, &recorder{}, testConfig, "vgic: no State; pass the partition's State in the shared region"},
		{"no hooks", new(State), nil, testConfig, "vgic: no Hooks; the firmware must apply guest writes to the hardware"},
		{"no vCPU", new(State), &recorder{}, Config{VCPUs: 0, BoardSPIs: 256},
			"vgic: 0 vCPUs; a virtual GIC serves 1 to 16 (SGI target lists reach Aff0 0 to 15); give the partition fewer cores"},
		{"17 vCPUs", new(State), &recorder{}, Config{VCPUs: 17, BoardSPIs: 256},
			"vgic: 17 vCPUs; a virtual GIC serves 1 to 16 (SGI target lists reach Aff0 0 to 15); give the partition fewer cores"},
		{"too many board SPIs", new(State), &recorder{}, Config{VCPUs: 1, BoardSPIs: 989},
			"vgic: the board has 989 SPIs, a GICv3 at most 988 (INTIDs 32 to 1019); correct the board description"},
		{"a PPI as SPI", new(State), &recorder{}, Config{VCPUs: 1, BoardSPIs: 256, SPIs: []uint32{31}},
			"vgic: INTID 31 is not an SPI of the board (32 to 287); the partition table does not belong to this board"},
		{"an SPI the board lacks", new(State), &recorder{}, Config{VCPUs: 1, BoardSPIs: 256, SPIs: []uint32{288}},
			"vgic: INTID 288 is not an SPI of the board (32 to 287); the partition table does not belong to this board"},
		{"an SPI twice", new(State), &recorder{}, Config{VCPUs: 1, BoardSPIs: 256, SPIs: []uint32{40, 41, 40}},
			"vgic: SPI 40 is given to the partition twice; each interrupt and doorbell must be a distinct SPI"},
		{"an SGI as PPI", new(State), &recorder{}, Config{VCPUs: 1, BoardSPIs: 256, PPIs: []uint32{15}},
			"vgic: INTID 15 is not a PPI (16 to 31)"},
		{"an SPI as PPI", new(State), &recorder{}, Config{VCPUs: 1, BoardSPIs: 256, PPIs: []uint32{32}},
			"vgic: INTID 32 is not a PPI (16 to 31)"},
	} {
		_, err := New(tc.state, tc.cfg, tc.hooks)
		assert.EqualError(t, err, tc.err, tc.name)
	}
}

// GICD_TYPER.ITLinesNumber covers the board's SPIs, rounded up to 32.
func TestITLinesNumber(t *testing.T) {
	for _, tc := range []struct {
		boardSPIs uint32
		itLines   uint32
	}{
		{0, 0}, {1, 1}, {32, 1}, {33, 2}, {256, 8}, {960, 30}, {961, 31}, {988, 31},
	} {
		g, err := New(new(State), Config{VCPUs: 1, BoardSPIs: tc.boardSPIs}, &recorder{})
		require.NoError(t, err)
		v, ok := g.Distributor().Access(vdev.Access{Offset: 0x0004, Size: 4})
		require.True(t, ok)
		assert.Equal(t, tc.itLines, uint32(v)&0x1f, "%d SPIs", tc.boardSPIs)
	}
}

// GICR_TYPER's affinity is the MPIDR_EL1 affinity PSCI gives the vCPU,
// the value Linux compares it with.
func TestRedistributorAffinityIsTheVCPUs(t *testing.T) {
	const affinity = 0xff_00ff_ffff // MPIDR_EL1 Aff3, Aff2, Aff1, Aff0
	g, err := New(new(State), Config{VCPUs: MaxVCPUs, BoardSPIs: 256}, &recorder{})
	require.NoError(t, err)
	for v := range MaxVCPUs {
		typer, ok := g.Redistributors().Access(vdev.Access{Offset: rd(v, 0x0008), Size: 8})
		require.True(t, ok)
		mpidr := psci.GuestMPIDR(v) & affinity
		packed := mpidr>>32<<24 | mpidr&0xff_ffff // Aff3.Aff2.Aff1.Aff0, as GICR_TYPER holds it
		assert.Equal(t, packed, typer>>32, "vCPU %d", v)
		assert.Equal(t, uint64(v), typer>>8&0xffff, "vCPU %d Processor_Number", v)
		assert.Equal(t, v == MaxVCPUs-1, typer&0x10 != 0, "vCPU %d Last", v)
	}
}

func tableForFromTable(t *testing.T) table.View {
	t.Helper()
	name := func(s string) table.Name {
		n, err := table.NewName(s)
		require.NoError(t, err)
		return n
	}
	partition := func(n string, cpus uint64, interrupts table.Span) table.Partition {
		return table.Partition{Name: name(n), CPUMask: cpus, Interrupts: interrupts,
			ConsoleDevice: table.NoIndex, OnFault: table.FaultStop, Console: table.ConsoleNone, KernelFormat: table.KernelRaw}
	}
	b, err := table.Encode(&table.Table{
		Board: name(qemuvirt.Name),
		Partitions: []table.Partition{
			partition("ecu", 0b0001, table.Span{First: 0, Count: 1}),
			partition("hmi", 0b0110, table.Span{First: 1, Count: 2}),
		},
		Interrupts: []table.Interrupt{
			{INTID: 33, Partition: 0, Device: table.NoIndex},
			{INTID: 48, Partition: 1, Device: table.NoIndex},
			{INTID: 49, Partition: 1, Device: table.NoIndex},
		},
		Channels: []table.Channel{
			{Name: name("ipc"), PhysBase: 0x5c00_0000, Size: 1 << 20, Members: 0b11, Doorbell: 100},
			{Name: name("log"), PhysBase: 0x5c10_0000, Size: 1 << 20, Members: 0b10, Doorbell: 101},
			{Name: name("quiet"), PhysBase: 0x5c20_0000, Size: 1 << 20, Members: 0b11},
		},
	})
	require.NoError(t, err)
	v, err := table.Decode(b)
	require.NoError(t, err)
	return v
}

func TestFromTable(t *testing.T) {
	v := tableForFromTable(t)
	fewSPIs := *qemuvirt.Board
	fewSPIs.GIC.SPIs = 16
	for _, tc := range []struct {
		name      string
		board     *board.Board
		partition int
		vcpus     int
		// What the guest reads after writing all ones to the enable
		// registers: GICD_ISENABLER1, GICD_ISENABLER3, GICR_ISENABLER0.
		enabled [3]uint64
		err     string
	}{
		{name: "ecu", board: qemuvirt.Board, partition: 0, vcpus: 1,
			enabled: [3]uint64{1 << 1, 1 << 4, privateWord0}},
		{name: "hmi", board: qemuvirt.Board, partition: 1, vcpus: 2,
			enabled: [3]uint64{1<<16 | 1<<17, 1<<4 | 1<<5, privateWord0}},
		{name: "board with fewer SPIs", board: &fewSPIs, partition: 1,
			err: `partition "hmi": vgic: INTID 48 is not an SPI of the board (32 to 47); the partition table does not belong to this board`},
		{name: "no such partition", board: qemuvirt.Board, partition: 2,
			err: "vgic: partition 2 does not exist; the table has 2"},
		{name: "negative partition", board: qemuvirt.Board, partition: -1,
			err: "vgic: partition -1 does not exist; the table has 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := new(State)
			require.NoError(t, s.Reset(0))
			g, err := FromTable(s, tc.board, v, tc.partition, 0, &recorder{})
			if tc.err != "" {
				assert.EqualError(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.vcpus, g.VCPUs())
			for _, a := range []access{
				store(gicd, 0x0104, 4, 0xffff_ffff), store(gicd, 0x010c, 4, 0xffff_ffff), store(gicr, sgi(0, 0x0100), 4, 0xffff_ffff),
				load(gicd, 0x0004, 4, 0x0248_0007),
				load(gicd, 0x0104, 4, tc.enabled[0]), load(gicd, 0x010c, 4, tc.enabled[1]), load(gicr, sgi(0, 0x0100), 4, tc.enabled[2]),
			} {
				perform(t, g, a, tc.name)
			}
		})
	}
}

// Every access path and query, on a core's trap path, allocates nothing.
func TestNothingAllocates(t *testing.T) {
	s := new(State)
	require.NoError(t, s.Reset(0))
	hooks := &counter{}
	g, err := New(s, testConfig, hooks)
	require.NoError(t, err)
	dist, redist := g.Distributor(), g.Redistributors()
	// Stores come in pairs that change a register and change it back, so
	// that every run goes through the hooks.
	storeTwice := func(d vdev.Device, offset uint64, size int, first, second uint64) func() {
		return func() {
			d.Access(vdev.Access{Offset: offset, Size: size, Write: true, Value: first})
			d.Access(vdev.Access{Offset: offset, Size: size, Write: true, Value: second})
		}
	}
	for _, tc := range []struct {
		name string
		run  func()
	}{
		{"GICD_CTLR stores", storeTwice(dist, 0x0000, 4, 0x3, 0)},
		{"GICD_TYPER load", func() { dist.Access(vdev.Access{Offset: 0x0004, Size: 4}) }},
		{"GICD_ISENABLER and ICENABLER stores", func() {
			dist.Access(vdev.Access{Offset: 0x0104, Size: 4, Write: true, Value: ^uint64(0)})
			dist.Access(vdev.Access{Offset: 0x0184, Size: 4, Write: true, Value: ^uint64(0)})
		}},
		{"GICD_ISPENDR load", func() { dist.Access(vdev.Access{Offset: 0x0204, Size: 4}) }},
		{"GICD_IPRIORITYR byte stores", storeTwice(dist, 0x0421, 1, 0x80, 0)},
		{"GICD_ICFGR stores", storeTwice(dist, 0x0c08, 4, 0b1000, 0)},
		{"GICD_IROUTER stores", storeTwice(dist, 0x6108, 8, 1, 0)},
		{"GICD_IROUTER load", func() { dist.Access(vdev.Access{Offset: 0x6108, Size: 8}) }},
		{"reserved load", func() { dist.Access(vdev.Access{Offset: 0x0020, Size: 4}) }},
		{"refused access", func() { dist.Access(vdev.Access{Offset: 0x0001, Size: 2}) }},
		{"GICR_TYPER load", func() { redist.Access(vdev.Access{Offset: rd(1, 0x0008), Size: 8}) }},
		{"GICR_WAKER stores", storeTwice(redist, rd(1, 0x0014), 4, 0, 2)},
		{"GICR_ISENABLER0 and ICENABLER0 stores", func() {
			redist.Access(vdev.Access{Offset: sgi(1, 0x0100), Size: 4, Write: true, Value: 1 << 27})
			redist.Access(vdev.Access{Offset: sgi(1, 0x0180), Size: 4, Write: true, Value: 1 << 27})
		}},
		{"GICR_IPRIORITYR word stores", storeTwice(redist, sgi(0, 0x0400), 4, 0xa0a0_a0a0, 0)},
		{"Deliverable", func() { g.Deliverable(0, 33) }},
		{"TargetVCPU", func() { g.TargetVCPU(33) }},
		{"InGroup1", func() { g.InGroup1(1, 27) }},
		{"SetPending and ClearPending", func() { g.SetPending(1, 27); g.ClearPending(1, 27) }},
		{"SetActive", func() { g.SetActive(0, 100, true); g.SetActive(0, 100, false) }},
		{"Pending and Active", func() { g.Pending(0, 33); g.Active(0, 33) }},
		{"NextPending", func() { g.NextPending(1, 0) }},
	} {
		assert.Zero(t, testing.AllocsPerRun(100, tc.run), tc.name)
	}
	assert.Positive(t, hooks.calls, "no hook was called")
}
