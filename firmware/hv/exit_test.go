package hv

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/aarch64"
	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/firmware/lifecycle"
	"github.com/tamavisor/tamavisor/firmware/vdev"
	"github.com/tamavisor/tamavisor/mmu"
	"github.com/tamavisor/tamavisor/partition/table"
)

func TestDecodeExit(t *testing.T) {
	var f Frame
	f.X[3] = 0x1234_5678_9abc_def0
	for _, tc := range []struct {
		name   string
		vector uint64
		esr    uint64
		hpfar  uint64
		far    uint64
		want   Exit
	}{
		{"32-bit store of w3 to the virtual UART's DR", 0x400,
			0x9200_0000 | 1<<24 | 2<<22 | 3<<16 | 1<<6 | 0x07, // ISV, SAS word, SRT 3, WnR, translation L3
			0x0900_0000 >> 12 << 4, 0xffff_0000_0900_0000,
			Exit{Kind: ExitMMIO, Class: 0x24, IPA: 0x0900_0000, Register: 3,
				Access: vdev.Access{Offset: 0x0900_0000, Size: 4, Write: true, Value: 0x9abc_def0}}},
		{"byte load into x5 from FR", 0x400,
			0x9200_0000 | 1<<24 | 0<<22 | 5<<16 | 1<<15 | 0x07,
			0x0900_0000 >> 12 << 4, 0x0900_0018,
			Exit{Kind: ExitMMIO, Class: 0x24, IPA: 0x0900_0018, Register: 5, Sixty4: true,
				Access: vdev.Access{Offset: 0x0900_0018, Size: 1}}},
		{"load pair: no syndrome, an abort", 0x400,
			0x9200_0006, 0x7000_0000 >> 12 << 4, 0x7000_0010,
			Exit{Kind: ExitAbort, Class: 0x24, IPA: 0x7000_0010}},
		{"permission fault on a read-only channel", 0x400,
			0x9200_0000 | 1<<24 | 3<<22 | 1<<6 | 0x0f, 0x7500_0000 >> 12 << 4, 0x7500_0008,
			Exit{Kind: ExitAbort, Class: 0x24, IPA: 0x7500_0008}},
		{"instruction fetch outside RAM", 0x400, 0x8200_0005, 0x4000_0000 >> 12 << 4, 0x4000_0000,
			Exit{Kind: ExitAbort, Class: 0x20, IPA: 0x4000_0000}},
		{"HVC", 0x400, 0x5a00_0000, 0, 0, Exit{Kind: ExitHVC, Class: 0x16}},
		{"SMC", 0x400, 0x5e00_0000, 0, 0, Exit{Kind: ExitSMC, Class: 0x17}},
		{"system register", 0x400, 0x6200_0000, 0, 0, Exit{Kind: ExitSysReg, Class: 0x18}},
		{"WFI", 0x400, 0x0600_0000, 0, 0, Exit{Kind: ExitWFx, Class: 0x01}},
		{"IRQ", 0x480, 0, 0, 0, Exit{Kind: ExitInterrupt}},
		{"SError", 0x580, 0xbe00_0000, 0, 0, Exit{Kind: ExitOther}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.Vector, f.ESR, f.HPFAR, f.FAR = tc.vector, tc.esr, tc.hpfar, tc.far
			assert.Equal(t, tc.want, DecodeExit(&f))
		})
	}
}

func TestCompleteLoad(t *testing.T) {
	for _, tc := range []struct {
		e     Exit
		value uint64
		want  uint64
	}{
		{Exit{Register: 1, Sixty4: true, Access: vdev.Access{Size: 1}}, 0x1ff, 0xff},
		{Exit{Register: 1, Sixty4: true, SignExtend: true, Access: vdev.Access{Size: 1}}, 0x80, 0xffff_ffff_ffff_ff80},
		{Exit{Register: 1, SignExtend: true, Access: vdev.Access{Size: 2}}, 0x8000, 0xffff_8000},
		{Exit{Register: 1, Access: vdev.Access{Size: 4}}, 0x1_2345_6789, 0x2345_6789},
		{Exit{Register: 1, Sixty4: true, Access: vdev.Access{Size: 8}}, 0x1_2345_6789, 0x1_2345_6789},
	} {
		var f Frame
		f.X[1] = 0xdead
		CompleteLoad(&f, &tc.e, tc.value)
		assert.Equal(t, tc.want, f.X[1], "%+v", tc.e)
	}
	var f Frame
	CompleteLoad(&f, &Exit{Register: 31, Access: vdev.Access{Size: 4}}, 7)
	assert.Equal(t, Frame{}, f, "a load into xzr changed a register")
}

func TestInjectExternalAbort(t *testing.T) {
	f := Frame{ELR: 0x7401_2340, SPSR: 0x3c5, FAR: 0x7000_0000}
	e := Exit{Kind: ExitAbort, Class: 0x24, IPA: 0x7000_0000}
	in := InjectExternalAbort(&f, e)
	// EC 0x25 (data abort, same EL), IL, DFSC 0x10 synchronous external.
	assert.Equal(t, Injection{ESREL1: 0x25<<26 | 1<<25 | 0x10, FAREL1: 0x7000_0000, ELREL1: 0x7401_2340,
		SPSREL1: 0x3c5, Vector: 0x200, SPSR: 0x3c5}, in)
	// From EL0: the lower-EL vector and class 0x24; a write sets WnR.
	f.SPSR = 0x0
	e.Access.Write = true
	in = InjectExternalAbort(&f, e)
	assert.Equal(t, uint64(0x400), in.Vector)
	assert.Equal(t, uint64(0x24<<26|1<<25|1<<6|0x10), in.ESREL1)
	// An instruction abort from EL1t.
	f.SPSR = 0x3c4
	in = InjectExternalAbort(&f, Exit{Kind: ExitAbort, Class: 0x20})
	assert.Equal(t, uint64(0x000), in.Vector)
	assert.Equal(t, uint64(0x21<<26|1<<25|0x10), in.ESREL1)
}

// Decoding an exit and completing an emulated load run on the trap path.
func TestExitPathAllocatesNothing(t *testing.T) {
	f := Frame{Vector: 0x400, ESR: 0x9200_0000 | 1<<24 | 2<<22 | 3<<16 | 0x07, HPFAR: 0x0900_0000 >> 12 << 4}
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		e := DecodeExit(&f)
		CompleteLoad(&f, &e, 0x90)
		_ = InjectExternalAbort(&f, e)
	}))
}

func TestStage2Layout(t *testing.T) {
	name := func(s string) table.Name { n, _ := table.NewName(s); return n }
	tb := &table.Table{
		Board: name(qemuvirt.Name), PayloadSize: 0x1000,
		Partitions: []table.Partition{{
			Name: name("ecu"), CPUMask: 0b100, EntryIPA: 0x4000_0000,
			Regions: table.Span{First: 0, Count: 3}, Devices: table.Span{First: 0, Count: 1},
			Images: table.Span{First: 0, Count: 1}, ConsoleDevice: table.NoIndex,
			OnFault: table.FaultRestart, Console: table.ConsoleVirtual, KernelFormat: table.KernelRaw,
		}},
		Regions: []table.Region{
			{PhysBase: 0x7000_0000, IPA: 0x4000_0000, Size: 64 << 20, Owner: table.NoIndex, Kind: table.RegionRAM, Perm: table.PermRead | table.PermWrite | table.PermExec},
			{PhysBase: qemuvirt.RTCBase, IPA: qemuvirt.RTCBase, Size: 0x1000, Owner: 0, Kind: table.RegionMMIO, Perm: table.PermRead | table.PermWrite},
			{PhysBase: 0x7500_0000, IPA: 0x4800_0000, Size: 0x1_0000, Owner: 0, Kind: table.RegionChannel, Perm: table.PermRead},
		},
		Devices:  []table.Device{{Name: name("rtc"), Regions: table.Span{First: 1, Count: 1}}},
		Channels: []table.Channel{{Name: name("vehicle-data"), PhysBase: 0x7500_0000, Size: 0x1_0000, Members: 1, ReadOnly: 1}},
		Images:   []table.Image{{Size: 0x1000, LoadIPA: 0x4000_0000, Kind: table.ImageKernel}},
	}
	b, err := table.Encode(tb)
	require.NoError(t, err)
	v, err := table.Decode(b)
	require.NoError(t, err)

	var s2 mmu.Tables
	require.NoError(t, s2.Init(&mmu.HeapMemory{}, IPABits, mmu.Stage2))
	require.NoError(t, s2.MapRegions(Stage2Layout(v, 0)))
	var got []mmu.Leaf
	s2.Leaves(func(l mmu.Leaf) { got = append(got, l) })
	assert.Equal(t, []mmu.Leaf{
		{VA: qemuvirt.RTCBase, PA: qemuvirt.RTCBase, Size: 0x1000, Attr: mmu.Attributes{Type: mmu.DeviceNGnRE, Perm: mmu.Read | mmu.Write}},
		{VA: 0x4000_0000, PA: 0x7000_0000, Size: 64 << 20, Attr: mmu.Attributes{Type: mmu.Normal, Perm: mmu.Read | mmu.Write | mmu.Execute}},
		{VA: 0x4800_0000, PA: 0x7500_0000, Size: 0x1_0000, Attr: mmu.Attributes{Type: mmu.Normal, Perm: mmu.Read}},
	}, got)
	// Nothing else translates: not the console, the GIC, other RAM.
	for _, ipa := range []uint64{qemuvirt.UART0Base, qemuvirt.GICDBase, 0x7000_0000, 0x4400_0000, 0x5000_0000} {
		_, ok := s2.Walk(ipa)
		assert.False(t, ok, "IPA %#x translates", ipa)
	}

	pa, ok := GuestRAM(v, 0, 0x4000_1000, 0x1000)
	assert.True(t, ok)
	assert.Equal(t, uint64(0x7000_1000), pa)
	_, ok = GuestRAM(v, 0, 0x43ff_f000, 0x2000)
	assert.False(t, ok, "a range running past the RAM region")
	_, ok = GuestRAM(v, 0, 0x4800_0000, 0x10)
	assert.False(t, ok, "a channel is not RAM")
}

func TestGuestRegisterValues(t *testing.T) {
	// VM, SWIO, FMO, IMO, AMO, FB, BSU=IS, TSC, TSW, RW.
	assert.Equal(t, uint64(0x8048_063b), HCRGuest)
	assert.Equal(t, uint64(0x3c5), GuestEntrySPSR)
}

func TestTrapCounts(t *testing.T) {
	var c TrapCounts
	for _, k := range []ExitKind{ExitInterrupt, ExitMMIO, ExitMMIO, ExitHVC, ExitSMC, ExitSysReg, ExitWFx, ExitAbort, ExitOther} {
		c.Add(k)
	}
	dev := &recorder{}
	var con Console
	con.Init(dev, 0, nil, nil)
	WriteTrapCounts(&con, 2, &c)
	assert.Equal(t, "tamavisor: traps core 2: irq 1, mmio 2, hvc/smc 2, sysreg 1, wfx 1, abort 1, other 1, sgi dropped 0, set/way 0, foreign irq 0\r\n", string(dev.out))
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		c.Add(ExitMMIO)
		WriteTrapCounts(&con, 2, &c)
	}))
}

func TestSGITargets(t *testing.T) {
	for _, tc := range []struct {
		name    string
		irm     bool
		aff     uint64
		targets uint16
		vcpus   int
		self    int
		reach   uint64
		dropped int
	}{
		{"to vCPU 1", false, 0, 0b10, 2, 0, 0b10, 0},
		{"to itself", false, 0, 0b01, 2, 0, 0b01, 0},
		{"to both", false, 0, 0b11, 2, 1, 0b11, 0},
		{"all but self (IRM)", true, 0, 0, 4, 2, 0b1011, 0},
		{"a vCPU the partition lacks", false, 0, 0b100, 2, 0, 0, 1},
		{"another cluster: another partition's core", false, 1 << 8, 0b1, 2, 0, 0, 1},
		{"range selector beyond the partition", false, 16, 0b1, 2, 0, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reach, dropped := SGITargets(tc.irm, tc.aff, tc.targets, tc.vcpus, tc.self)
			assert.Equal(t, tc.reach, reach)
			assert.Equal(t, tc.dropped, dropped)
		})
	}
	assert.Zero(t, testing.AllocsPerRun(100, func() { SGITargets(false, 0, 0xffff, 2, 0) }))
}

func TestWritePartitionStatus(t *testing.T) {
	var life lifecycle.State
	v0, _ := lifecycle.New(&life, 2, 0)
	v1, _ := lifecycle.New(&life, 2, 1)
	v0.Join()
	v1.Join()
	require.True(t, v0.Start())
	dev := &recorder{}
	var c Console
	c.Init(dev, 0, nil, nil)
	WritePartitionStatus(&c, "infotainment", &life, 2, 0, "none")
	require.True(t, v0.Request(lifecycle.ActionRestart, lifecycle.ReasonWatchdog))
	v1.Exited()
	v0.Restarted()
	WritePartitionStatus(&c, "infotainment", &life, 2, 100, "restart")
	assert.Equal(t, "tamavisor: status \"infotainment\": running; vCPUs 0 running, 1 waiting for CPU_ON; restarts 0\r\n"+
		"tamavisor: status \"infotainment\": running; vCPUs 0 running, 1 stopping; restarts 1; last restart: watchdog; watchdog 100 ms, restart\r\n", string(dev.out))
}

// An instruction the hypervisor traps and does not emulate is undefined to
// the guest: EC 0x00 at the vector of where it was, ELR at the instruction.
func TestInjectUndefined(t *testing.T) {
	for _, tc := range []struct {
		name   string
		spsr   uint64
		vector uint64
	}{
		{"EL1h", 0x3c5, 0x200},
		{"EL1t", 0x3c4, 0x000},
		{"EL0 AArch64", 0x000, 0x400},
		{"EL0 AArch32 (User)", 0x010, 0x600},
	} {
		f := Frame{ELR: 0x7400_1234, SPSR: tc.spsr, FAR: 0xdead}
		in := InjectUndefined(&f)
		assert.Equal(t, Injection{ESREL1: 1 << 25, ELREL1: 0x7400_1234, SPSREL1: tc.spsr, Vector: tc.vector, SPSR: 0x3c5}, in, tc.name)
	}
}

// An abort from AArch32 EL0 goes to the lower-EL AArch32 vector.
func TestInjectExternalAbortFromAArch32(t *testing.T) {
	f := Frame{ELR: 0x8000, SPSR: 0x010, FAR: 0x1000}
	in := InjectExternalAbort(&f, Exit{Kind: ExitAbort, Class: 0x24})
	assert.Equal(t, uint64(0x600), in.Vector)
	assert.Equal(t, uint64(0x24), in.ESREL1>>26, "data abort from a lower exception level")
}

func TestCallImmediate(t *testing.T) {
	assert.Equal(t, uint16(0), CallImmediate(0x5a00_0000))
	assert.Equal(t, uint16(1), CallImmediate(0x5a00_0001))
	assert.Equal(t, uint16(0xffff), CallImmediate(0x5e00_ffff))
}

// A passed-through SPI reaches the physical GIC only enabled and routed to
// a vCPU of its own partition: one whose IROUTER names no vCPU stays
// disabled instead of reaching another partition's core.
func TestPhysicalSPI(t *testing.T) {
	const cores23 = 0b1100 // vCPU 0 on core 2, vCPU 1 on core 3
	for _, c := range []struct {
		enabled bool
		target  int
		core    int
		enable  bool
	}{
		{enabled: true, target: 0, core: 2, enable: true},
		{enabled: true, target: 1, core: 3, enable: true},
		{enabled: true, target: -1},  // IROUTER names no vCPU of the partition
		{enabled: true, target: 2},   // a vCPU the partition does not have
		{enabled: false, target: 1},  // disabled by the guest
		{enabled: false, target: -1}, // both
	} {
		core, enable := PhysicalSPI(cores23, c.enabled, c.target)
		assert.Equal(t, c.enable, enable, "%+v", c)
		if c.enable {
			assert.Equal(t, c.core, core, "%+v", c)
		}
	}
}

func TestMDCRGuest(t *testing.T) {
	// A Cortex-A53's PMCR_EL0: IMP 0x41, IDCODE 3, N = 6 counters.
	mdcr := MDCRGuest(0x4103_3000)
	assert.Equal(t, uint64(6), mdcr&0x1f, "HPMN: every counter is EL1's, none left for EL2")
	assert.NotZero(t, mdcr&(1<<6), "TPM: the PMU traps")
	assert.NotZero(t, mdcr&(1<<5), "TPMCR: PMCR_EL0 traps")
	assert.Zero(t, mdcr&(1<<7), "HPME: no counter counts for EL2")
	assert.Zero(t, mdcr&(1<<8|1<<9|1<<10|1<<11), "TDE, TDA, TDOSA, TDRA: the debug registers stay the guest's")
}

func TestPMUReadsAsZero(t *testing.T) {
	access := func(op1, crn, crm, op2 uint8) aarch64.SysRegAccess {
		return aarch64.SysRegAccess{Op0: 3, Op1: op1, CRn: crn, CRm: crm, Op2: op2, Read: true}
	}
	assert.True(t, PMUReadsAsZero(access(3, 9, 12, 0)), "PMCR_EL0: N reads 0, no counter")
	assert.True(t, PMUReadsAsZero(access(3, 9, 13, 0)), "PMCCNTR_EL0")
	assert.True(t, PMUReadsAsZero(access(3, 9, 14, 0)), "PMUSERENR_EL0, which Linux writes at boot")
	assert.True(t, PMUReadsAsZero(access(3, 14, 15, 7)), "PMCCFILTR_EL0")
	assert.False(t, PMUReadsAsZero(access(3, 14, 8, 0)), "PMEVCNTR0_EL0: no such counter")
	assert.False(t, PMUReadsAsZero(access(3, 14, 12, 0)), "PMEVTYPER0_EL0: no such counter")
	assert.False(t, PMUReadsAsZero(access(3, 14, 2, 1)), "CNTP_CTL_EL0 is no PMU register")
}

// A partition's doorbell frames are its channels with a doorbell, in
// table order; the firmware and the device tree agree on it.
func TestDoorbellIndex(t *testing.T) {
	name := func(s string) table.Name { n, _ := table.NewName(s); return n }
	part := func(n string, cpus uint64, ram uint32) table.Partition {
		return table.Partition{Name: name(n), CPUMask: cpus, EntryIPA: 0x7000_0000 + uint64(ram)*0x100_0000,
			Regions: table.Span{First: ram, Count: 1}, Images: table.Span{First: ram, Count: 1},
			ConsoleDevice: table.NoIndex, KernelFormat: table.KernelRaw, OnFault: table.FaultStop, Console: table.ConsoleVirtual}
	}
	ram := func(i uint32) table.Region {
		base := 0x7000_0000 + uint64(i)*0x100_0000
		return table.Region{PhysBase: base, IPA: base, Size: 0x100_0000, Partition: i, Owner: table.NoIndex, Kind: table.RegionRAM,
			Perm: table.PermRead | table.PermWrite | table.PermExec}
	}
	tb := &table.Table{
		Board: name(qemuvirt.Name), PayloadSize: 0x2000,
		Partitions: []table.Partition{part("a", 0b1, 0), part("b", 0b10, 1)},
		Regions:    []table.Region{ram(0), ram(1)},
		Channels: []table.Channel{
			{Name: name("one"), PhysBase: 0x7500_0000, Size: 0x1000, Members: 0b11, Doorbell: 141},
			{Name: name("two"), PhysBase: 0x7500_1000, Size: 0x1000, Members: 0b11},
			{Name: name("three"), PhysBase: 0x7500_2000, Size: 0x1000, Members: 0b10, Doorbell: 142},
		},
		Images: []table.Image{{Size: 0x1000, LoadIPA: 0x7000_0000, Kind: table.ImageKernel},
			{Offset: 0x1000, Size: 0x1000, LoadIPA: 0x7100_0000, Kind: table.ImageKernel, Partition: 1}},
	}
	b, err := table.Encode(tb)
	require.NoError(t, err)
	v, err := table.Decode(b)
	require.NoError(t, err)
	for _, c := range []struct {
		partition, channel, k int
		ok                    bool
	}{
		{0, 0, 0, true},
		{1, 0, 0, true},
		{0, 1, 0, false}, // no doorbell
		{1, 2, 1, true},
		{0, 2, 0, false}, // not a member
		{0, 3, 0, false}, // no such channel
		{-1, 0, 0, false},
	} {
		k, ok := DoorbellIndex(v, c.partition, c.channel)
		assert.Equal(t, c.ok, ok, "%+v", c)
		assert.Equal(t, c.k, k, "%+v", c)
	}
}
