package vgic

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stores returns count stores of value, stride bytes apart from offset:
// how Linux writes a register array in a loop.
func stores(f frame, offset, stride uint64, count, size int, value uint64) []access {
	all := make([]access, count)
	for i := range all {
		all[i] = store(f, offset+uint64(i)*stride, size, value)
	}
	return all
}

func seq(parts ...[]access) []access {
	var all []access
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

// priorities and enables are the hook calls for the same change on a
// run of INTIDs.
func priorities(vcpu int, priority uint8, intids ...uint32) []hookCall {
	calls := make([]hookCall, len(intids))
	for i, intid := range intids {
		calls[i] = priorityCall(vcpu, intid, priority)
	}
	return calls
}

func enables(vcpu int, intids ...uint32) []hookCall {
	calls := make([]hookCall, len(intids))
	for i, intid := range intids {
		calls[i] = enableCall(vcpu, intid, true)
	}
	return calls
}

func calls(parts ...[]hookCall) []hookCall {
	var all []hookCall
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

// sgis0to15 and ipis are INTID lists: every SGI, and the eight SGIs Linux
// uses as IPIs.
var (
	sgis0to15 = []uint32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	ipis      = []uint32{0, 1, 2, 3, 4, 5, 6, 7}
)

// Linux's irq-gic-v3 driver (Debian's 6.1 arm64 kernel) on testConfig's
// partition, as it accesses the distributor and redistributors, one step
// per driver function. The distributor has 288 INTIDs
// (GICD_TYPER.ITLinesNumber 8), so Linux's loops over SPIs run from INTID
// 32 to 287; each CPU has 16 PPIs (GICR_TYPER.PPInum 0).

// linuxProbe: gic_of_init and gic_init_bases on the boot CPU, vCPU 0.
var linuxProbe = seq(
	// gic_validate_dist_version
	[]access{load(gicd, 0xffe8, 4, 0x30)},
	// gic_init_bases: GICD_TYPER, then GICD_IIDR for the quirks, then
	// GICD_TYPER2.
	[]access{load(gicd, 0x0004, 4, 0x0248_0008), load(gicd, 0x0008, 4, 0x5400_0000), load(gicd, 0x000c, 4, 0)},
	// gic_update_rdist_properties: GICR_PIDR2 of the region, then for
	// each frame GICR_TYPER (the loop's), GICR_TYPER and GICR_CTLR
	// (__gic_update_rdist_properties), until GICR_TYPER.Last.
	[]access{
		load(gicr, rd(0, 0xffe8), 4, 0x30),
		load(gicr, rd(0, 0x0008), 8, 0), load(gicr, rd(0, 0x0008), 8, 0), load(gicr, rd(0, 0x0000), 4, 0),
		load(gicr, rd(1, 0x0008), 8, 0x1_0000_0110), load(gicr, rd(1, 0x0008), 8, 0x1_0000_0110), load(gicr, rd(1, 0x0000), 4, 0),
	},
)

// linuxDistInit: gic_dist_init.
var linuxDistInit = seq(
	// Disable the distributor, wait for RWP.
	[]access{store(gicd, 0x0000, 4, 0), load(gicd, 0x0000, 4, 0x50)},
	// Every SPI to group 1: GICD_IGROUPR1..8.
	stores(gicd, 0x0084, 4, 8, 4, 0xffff_ffff),
	// gic_dist_config: level-sensitive (GICD_ICFGR2..17), priority 0xa0
	// (GICD_IPRIORITYR8..71), then deactivate and disable
	// (GICD_ICACTIVER<n>, GICD_ICENABLER<n>, n = 1..8, interleaved). No
	// wait for RWP: 6.1 passes gic_dist_config no sync function.
	stores(gicd, 0x0c08, 4, 16, 4, 0),
	stores(gicd, 0x0420, 4, 64, 4, 0xa0a0_a0a0),
	func() []access {
		var all []access
		for n := uint64(1); n <= 8; n++ {
			all = append(all, store(gicd, 0x0380+4*n, 4, 0xffff_ffff), store(gicd, 0x0180+4*n, 4, 0xffff_ffff))
		}
		return all
	}(),
	// Enable: ARE_NS | EnableGrp1A | EnableGrp1 in Linux's names, which
	// with DS = 1 are ARE, EnableGrp1 and EnableGrp0; wait for RWP.
	[]access{store(gicd, 0x0000, 4, 0x13), load(gicd, 0x0000, 4, 0x53)},
	// Every SPI to the boot CPU, affinity 0.0.0.0: GICD_IROUTER32..287.
	stores(gicd, 0x6100, 8, 256, 8, 0),
)

// linuxCPUInit is gic_cpu_init on the CPU with affinity 0.0.0.vcpu.
func linuxCPUInit(vcpu int) []access {
	// gic_populate_rdist: GICR_PIDR2 of the region, then GICR_TYPER
	// twice per frame until the frame whose affinity is the CPU's.
	populate := []access{load(gicr, rd(0, 0xffe8), 4, 0x30)}
	for v := range vcpu + 1 {
		typer := uint64(v)<<32 | uint64(v)<<8
		if v == testConfig.VCPUs-1 {
			typer |= 0x10
		}
		populate = append(populate, load(gicr, rd(v, 0x0008), 8, typer), load(gicr, rd(v, 0x0008), 8, typer))
	}
	return seq(
		populate,
		// gic_enable_redist(true): clear ProcessorSleep, poll until
		// ChildrenAsleep clears.
		[]access{
			load(gicr, rd(vcpu, 0x0014), 4, 0x6),
			store(gicr, rd(vcpu, 0x0014), 4, 0x4),
			load(gicr, rd(vcpu, 0x0014), 4, 0),
		},
		// SGIs and PPIs to group 1.
		[]access{store(gicr, sgi(vcpu, 0x0080), 4, 0xffff_ffff)},
		// gic_cpu_config: deactivate and disable all, priority 0xa0
		// (GICR_IPRIORITYR0..7), wait for GICR_CTLR.RWP.
		[]access{store(gicr, sgi(vcpu, 0x0380), 4, 0xffff_ffff), store(gicr, sgi(vcpu, 0x0180), 4, 0xffff_ffff)},
		stores(gicr, sgi(vcpu, 0x0400), 4, 8, 4, 0xa0a0_a0a0),
		[]access{load(gicr, rd(vcpu, 0x0000), 4, 0)},
	)
}

// linuxDevices: drivers request their interrupts on the boot CPU. For an
// SPI: irq_set_type reads GICD_ICFGR and writes it only to change it,
// reading it back (gic_configure_irq); irq_startup sets the affinity
// (gic_set_affinity: is it enabled? then GICD_IROUTER) and unmasks.
var linuxDevices = []access{
	// UART, SPI 33, level, on CPU 0.
	load(gicd, 0x0c08, 4, 0),
	load(gicd, 0x0104, 4, 0),
	store(gicd, 0x6108, 8, 0),
	store(gicd, 0x0104, 4, 1<<1),
	// virtio, SPI 48, edge, its affinity set to CPU 1.
	load(gicd, 0x0c0c, 4, 0),
	store(gicd, 0x0c0c, 4, 0b10),
	load(gicd, 0x0c0c, 4, 0b10),
	load(gicd, 0x0104, 4, 1<<1),
	store(gicd, 0x6180, 8, 1),
	store(gicd, 0x0104, 4, 1<<16),
	// channel doorbell, SPI 100, level, on CPU 0.
	load(gicd, 0x0c18, 4, 0),
	load(gicd, 0x010c, 4, 0),
	store(gicd, 0x6320, 8, 0),
	store(gicd, 0x010c, 4, 1<<4),
}

// linuxPerCPU is what each CPU does once it is up: unmask the eight
// IPIs (SGIs have a fixed trigger mode, so gic_set_type touches nothing),
// then the virtual timer PPI 27 (level: GICR_ICFGR1 is read, not
// written).
func linuxPerCPU(vcpu int) []access {
	var all []access
	for _, intid := range ipis {
		all = append(all, store(gicr, sgi(vcpu, 0x0100), 4, 1<<intid))
	}
	return append(all, load(gicr, sgi(vcpu, 0x0c04), 4, 0), store(gicr, sgi(vcpu, 0x0100), 4, 1<<27))
}

// TestLinuxBoot replays Linux's accesses on the views of two cores
// running the partition's two vCPUs, checks every value read and every
// hook call, then the state Linux leaves.
func TestLinuxBoot(t *testing.T) {
	s := new(State)
	require.NoError(t, s.Reset(0))
	r := &recorder{}
	var views [2]*VGIC
	for v := range views {
		g, err := New(s, testConfig, r)
		require.NoError(t, err)
		views[v] = g
	}
	for _, step := range []struct {
		name  string
		vcpu  int
		seq   []access
		hooks []hookCall
	}{
		{"probe", 0, linuxProbe, nil},
		{"gic_dist_init", 0, linuxDistInit, calls(
			priorities(0, 0xa0, 33, 48, 100),
			[]hookCall{distributorEnableCall(true, true)},
		)},
		{"gic_cpu_init on CPU 0", 0, linuxCPUInit(0), priorities(0, 0xa0, append(sgis0to15, 27, 30)...)},
		{"gic_cpu_init on CPU 1", 1, linuxCPUInit(1), priorities(1, 0xa0, append(sgis0to15, 27, 30)...)},
		{"device interrupts", 0, linuxDevices, []hookCall{
			enableCall(0, 33, true),
			triggerCall(48, true), routeCall(48, 1), enableCall(1, 48, true),
			enableCall(0, 100, true),
		}},
		{"IPIs and timer on CPU 0", 0, linuxPerCPU(0), enables(0, append(ipis, 27)...)},
		{"IPIs and timer on CPU 1", 1, linuxPerCPU(1), enables(1, append(ipis, 27)...)},
	} {
		for i, a := range step.seq {
			perform(t, views[step.vcpu], a, step.name+" access "+strconv.Itoa(i))
		}
		assert.Equal(t, step.hooks, r.take(), "%s: hook calls", step.name)
	}

	// The state Linux leaves, as a guest reads it back.
	var final []access
	final = append(final,
		load(gicd, 0x0000, 4, 0x53),
		load(gicd, 0x0084, 4, ownedWord1), load(gicd, 0x008c, 4, ownedWord3),
		load(gicd, 0x0104, 4, ownedWord1), load(gicd, 0x010c, 4, ownedWord3),
		load(gicd, 0x0204, 4, 0), load(gicd, 0x0304, 4, 0),
		load(gicd, 0x0420, 4, 0xa000), load(gicd, 0x0430, 4, 0xa0), load(gicd, 0x0464, 4, 0xa0),
		load(gicd, 0x0c08, 4, 0), load(gicd, 0x0c0c, 4, 0b10),
		load(gicd, 0x6108, 8, 0), load(gicd, 0x6180, 8, 1), load(gicd, 0x6320, 8, 0),
	)
	for v := range 2 {
		final = append(final,
			load(gicr, rd(v, 0x0014), 4, 0),
			load(gicr, sgi(v, 0x0080), 4, privateWord0),
			load(gicr, sgi(v, 0x0100), 4, 0xff|1<<27),
			load(gicr, sgi(v, 0x0200), 4, 0),
			load(gicr, sgi(v, 0x0300), 4, 0),
			load(gicr, sgi(v, 0x0400), 4, 0xa0a0_a0a0), load(gicr, sgi(v, 0x040c), 4, 0xa0a0_a0a0),
			load(gicr, sgi(v, 0x0410), 4, 0), load(gicr, sgi(v, 0x0414), 4, 0),
			load(gicr, sgi(v, 0x0418), 4, 0xa000_0000), load(gicr, sgi(v, 0x041c), 4, 0x00a0_0000),
		)
	}
	for i, a := range final {
		perform(t, views[i%2], a, "final state")
	}

	// What the firmware's injection path now learns.
	for _, tc := range []struct {
		vcpu     int
		intid    uint32
		priority uint8
		ok       bool
		target   int
		group1   bool
	}{
		{0, 33, 0xa0, true, 0, true},
		{1, 48, 0xa0, true, 1, true},
		{0, 100, 0xa0, true, 0, true},
		{0, 27, 0xa0, true, NoVCPU, true},
		{1, 3, 0xa0, true, NoVCPU, true},
		{1, 30, 0, false, NoVCPU, true},  // physical timer: Linux does not enable it
		{0, 34, 0, false, NoVCPU, false}, // another partition's
	} {
		priority, ok := views[0].Deliverable(tc.vcpu, tc.intid)
		assert.Equal(t, tc.ok, ok, "Deliverable(%d, %d)", tc.vcpu, tc.intid)
		assert.Equal(t, tc.priority, priority, "Deliverable(%d, %d) priority", tc.vcpu, tc.intid)
		assert.Equal(t, tc.target, views[1].TargetVCPU(tc.intid), "TargetVCPU(%d)", tc.intid)
		assert.Equal(t, tc.group1, views[1].InGroup1(tc.vcpu, tc.intid), "InGroup1(%d, %d)", tc.vcpu, tc.intid)
	}
}
