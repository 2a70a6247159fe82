package vgic

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/firmware/vdev"
	"github.com/tamavisor/tamavisor/internal/spin"
	"github.com/tamavisor/tamavisor/partition/dtb"
)

func TestRegistersAfterReset(t *testing.T) {
	for _, tc := range []struct {
		register string
		read     access
	}{
		{"GICD_CTLR: ARE and DS set, both groups disabled", load(gicd, 0x0000, 4, 0x50)},
		{"GICD_TYPER: ITLinesNumber 8 (INTIDs to 287), IDbits 9, No1N", load(gicd, 0x0004, 4, 0x0248_0008)},
		{"GICD_IIDR", load(gicd, 0x0008, 4, 0x5400_0000)},
		{"GICD_TYPER2", load(gicd, 0x000c, 4, 0)},
		{"GICD_STATUSR", load(gicd, 0x0010, 4, 0)},
		{"GICD_SETSPI_NSR is write-only", load(gicd, 0x0040, 4, 0)},
		{"GICD_IGROUPR1", load(gicd, 0x0084, 4, 0)},
		{"GICD_ISENABLER1", load(gicd, 0x0104, 4, 0)},
		{"GICD_ISPENDR3", load(gicd, 0x020c, 4, 0)},
		{"GICD_IPRIORITYR8", load(gicd, 0x0420, 4, 0)},
		{"GICD_ICFGR2: level", load(gicd, 0x0c08, 4, 0)},
		{"GICD_IROUTER33: vCPU 0", load(gicd, 0x6108, 8, 0)},
		{"GICD_IROUTER0 is reserved", load(gicd, 0x6000, 8, 0)},
		{"GICD_PIDR0", load(gicd, 0xffe0, 4, 0)},
		{"GICD_PIDR2: ArchRev 3", load(gicd, 0xffe8, 4, 0x30)},
		{"GICD_CIDR0", load(gicd, 0xfff0, 4, 0x0d)},
		{"GICD_CIDR1", load(gicd, 0xfff4, 4, 0xf0)},
		{"GICD_CIDR2", load(gicd, 0xfff8, 4, 0x05)},
		{"GICD_CIDR3", load(gicd, 0xfffc, 4, 0xb1)},
		{"reserved 0x0020", load(gicd, 0x0020, 4, 0)},
		{"GICD_INMIR0, no NMIs", load(gicd, 0x0f80, 4, 0)},
		{"GICD_IGROUPR0E, no extended SPIs", load(gicd, 0x1000, 4, 0)},
		{"reserved, 64 bits", load(gicd, 0x5ff8, 8, 0)},

		{"vCPU 0 GICR_CTLR: no LPIs, RWP clear", load(gicr, rd(0, 0x0000), 4, 0)},
		{"vCPU 0 GICR_IIDR", load(gicr, rd(0, 0x0004), 4, 0x5400_0000)},
		{"vCPU 0 GICR_TYPER: affinity 0.0.0.0, processor 0", load(gicr, rd(0, 0x0008), 8, 0)},
		{"vCPU 1 GICR_TYPER: affinity 0.0.0.1, processor 1, Last", load(gicr, rd(1, 0x0008), 8, 0x1_0000_0110)},
		{"vCPU 1 GICR_TYPER low half", load(gicr, rd(1, 0x0008), 4, 0x110)},
		{"vCPU 1 GICR_TYPER high half", load(gicr, rd(1, 0x000c), 4, 1)},
		{"vCPU 0 GICR_WAKER: asleep", load(gicr, rd(0, 0x0014), 4, 0x6)},
		{"vCPU 1 GICR_WAKER: asleep", load(gicr, rd(1, 0x0014), 4, 0x6)},
		{"vCPU 0 GICR_PROPBASER", load(gicr, rd(0, 0x0070), 8, 0)},
		{"vCPU 1 GICR_PIDR2: ArchRev 3", load(gicr, rd(1, 0xffe8), 4, 0x30)},
		{"vCPU 0 GICR_IGROUPR0", load(gicr, sgi(0, 0x0080), 4, 0)},
		{"vCPU 0 GICR_ISENABLER0", load(gicr, sgi(0, 0x0100), 4, 0)},
		{"vCPU 1 GICR_IPRIORITYR6", load(gicr, sgi(1, 0x0418), 4, 0)},
		{"vCPU 1 GICR_ICFGR0: SGIs edge", load(gicr, sgi(1, 0x0c00), 4, 0xaaaa_aaaa)},
		{"vCPU 1 GICR_ICFGR1: PPIs level", load(gicr, sgi(1, 0x0c04), 4, 0)},
		{"vCPU 1 GICR_IGRPMODR0", load(gicr, sgi(1, 0x0d00), 4, 0)},
		{"SGI_base has no identification", load(gicr, sgi(0, 0xffe8), 4, 0)},
	} {
		g, _, r := newTestGIC(t)
		perform(t, g, tc.read, tc.register)
		assert.Empty(t, r.take(), "%s: a load called hooks", tc.register)
	}
}

func TestRegisterWrites(t *testing.T) {
	for _, tc := range []struct {
		name  string
		prior []access // performed first; their hook calls are not checked
		write access
		hooks []hookCall
		after []access // loads with the values they must return
	}{
		{name: "GICD_CTLR enables both groups",
			write: store(gicd, 0x0000, 4, 0x13),
			hooks: []hookCall{distributorEnableCall(true, true)},
			after: []access{load(gicd, 0x0000, 4, 0x53)}},
		{name: "GICD_CTLR keeps only the enables",
			write: store(gicd, 0x0000, 4, 0xffff_fffe),
			hooks: []hookCall{distributorEnableCall(false, true)},
			after: []access{load(gicd, 0x0000, 4, 0x52)}},
		{name: "GICD_CTLR rewritten unchanged calls nothing",
			prior: []access{store(gicd, 0x0000, 4, 0x2)},
			write: store(gicd, 0x0000, 4, 0x12),
			after: []access{load(gicd, 0x0000, 4, 0x52)}},
		{name: "GICD_CTLR disables",
			prior: []access{store(gicd, 0x0000, 4, 0x3)},
			write: store(gicd, 0x0000, 4, 0),
			hooks: []hookCall{distributorEnableCall(false, false)},
			after: []access{load(gicd, 0x0000, 4, 0x50)}},
		{name: "GICD_IGROUPR keeps owned SPIs only, without hooks",
			write: store(gicd, 0x0084, 4, 0xffff_ffff),
			after: []access{load(gicd, 0x0084, 4, ownedWord1), load(gicd, 0x0088, 4, 0)}},
		{name: "GICD_ISENABLER enables owned SPIs",
			write: store(gicd, 0x0104, 4, 0xffff_ffff),
			hooks: []hookCall{enableCall(0, 33, true), enableCall(0, 48, true)},
			after: []access{load(gicd, 0x0104, 4, ownedWord1), load(gicd, 0x0184, 4, ownedWord1)}},
		{name: "GICD_ISENABLER of an enabled SPI calls nothing",
			prior: []access{store(gicd, 0x0104, 4, 1<<1)},
			write: store(gicd, 0x0104, 4, 1<<1),
			after: []access{load(gicd, 0x0104, 4, 1<<1)}},
		{name: "GICD_ICENABLER disables one SPI",
			prior: []access{store(gicd, 0x0104, 4, 0xffff_ffff)},
			write: store(gicd, 0x0184, 4, 1<<1),
			hooks: []hookCall{enableCall(0, 33, false)},
			after: []access{load(gicd, 0x0104, 4, 1<<16)}},
		{name: "GICD_ISPENDR names the vCPU the SPI is routed to",
			prior: []access{store(gicd, 0x6000+8*100, 8, 1)},
			write: store(gicd, 0x020c, 4, 0xffff_ffff),
			hooks: []hookCall{pendingCall(1, 100, true)},
			after: []access{load(gicd, 0x020c, 4, ownedWord3), load(gicd, 0x028c, 4, ownedWord3)}},
		{name: "GICD_ICPENDR",
			prior: []access{store(gicd, 0x020c, 4, 1<<4)},
			write: store(gicd, 0x028c, 4, 0xffff_ffff),
			hooks: []hookCall{pendingCall(0, 100, false)},
			after: []access{load(gicd, 0x020c, 4, 0)}},
		{name: "GICD_ISACTIVER",
			write: store(gicd, 0x0304, 4, 1<<16|1<<2),
			hooks: []hookCall{activeCall(0, 48, true)},
			after: []access{load(gicd, 0x0304, 4, 1<<16), load(gicd, 0x0384, 4, 1<<16)}},
		{name: "GICD_ICACTIVER",
			prior: []access{store(gicd, 0x0304, 4, 0xffff_ffff)},
			write: store(gicd, 0x0384, 4, 0xffff_ffff),
			hooks: []hookCall{activeCall(0, 33, false), activeCall(0, 48, false)},
			after: []access{load(gicd, 0x0304, 4, 0)}},
		{name: "GICD_IPRIORITYR byte",
			write: store(gicd, 0x0400+33, 1, 0x80),
			hooks: []hookCall{priorityCall(0, 33, 0x80)},
			after: []access{load(gicd, 0x0420, 4, 0x8000), load(gicd, 0x0421, 1, 0x80)}},
		{name: "GICD_IPRIORITYR word keeps owned bytes",
			write: store(gicd, 0x0420, 4, 0xa0a0_a0a0),
			hooks: []hookCall{priorityCall(0, 33, 0xa0)},
			after: []access{load(gicd, 0x0420, 4, 0xa000), load(gicd, 0x0422, 1, 0)}},
		{name: "GICD_IPRIORITYR byte of a foreign SPI",
			write: store(gicd, 0x0400+34, 1, 0x80),
			after: []access{load(gicd, 0x0420, 4, 0)}},
		{name: "GICD_IPRIORITYR unchanged calls nothing",
			prior: []access{store(gicd, 0x0430, 4, 0x10)},
			write: store(gicd, 0x0430, 4, 0x10),
			after: []access{load(gicd, 0x0430, 4, 0x10)}},
		{name: "GICD_ICFGR makes owned SPIs edge-triggered",
			write: store(gicd, 0x0c08, 4, 0xffff_ffff),
			hooks: []hookCall{triggerCall(33, true)},
			after: []access{load(gicd, 0x0c08, 4, 0b1000), load(gicd, 0x0c0c, 4, 0)}},
		{name: "GICD_ICFGR back to level",
			prior: []access{store(gicd, 0x0c0c, 4, 0b10)},
			write: store(gicd, 0x0c0c, 4, 0),
			hooks: []hookCall{triggerCall(48, false)},
			after: []access{load(gicd, 0x0c0c, 4, 0)}},
		{name: "GICD_ICFGR Int_config[0] is RES0",
			write: store(gicd, 0x0c0c, 4, 0b01),
			after: []access{load(gicd, 0x0c0c, 4, 0)}},
		{name: "GICD_IROUTER to vCPU 1",
			write: store(gicd, 0x6108, 8, 1),
			hooks: []hookCall{routeCall(33, 1)},
			after: []access{load(gicd, 0x6108, 8, 1), load(gicd, 0x6108, 4, 1), load(gicd, 0x610c, 4, 0)}},
		{name: "GICD_IROUTER low half",
			write: store(gicd, 0x6108, 4, 1),
			hooks: []hookCall{routeCall(33, 1)},
			after: []access{load(gicd, 0x6108, 8, 1)}},
		{name: "GICD_IROUTER Aff3 and IRM are RAZ/WI",
			write: store(gicd, 0x6108, 8, 0xff_8000_0000),
			after: []access{load(gicd, 0x6108, 8, 0)}},
		{name: "GICD_IROUTER high half is Aff3: ignored",
			write: store(gicd, 0x610c, 4, 0xff),
			after: []access{load(gicd, 0x6108, 8, 0)}},
		{name: "GICD_IROUTER to affinity 0.0.1.0, no vCPU",
			write: store(gicd, 0x6108, 8, 0x100),
			hooks: []hookCall{routeCall(33, NoVCPU)},
			after: []access{load(gicd, 0x6108, 8, 0x100)}},
		{name: "GICD_IROUTER to a vCPU the partition lacks",
			write: store(gicd, 0x6108, 8, 2),
			hooks: []hookCall{routeCall(33, NoVCPU)},
			after: []access{load(gicd, 0x6108, 8, 2)}},
		{name: "GICD_IROUTER from no vCPU to no vCPU calls nothing",
			prior: []access{store(gicd, 0x6108, 8, 5)},
			write: store(gicd, 0x6108, 8, 7),
			after: []access{load(gicd, 0x6108, 8, 7)}},
		{name: "GICD_IROUTER of a foreign SPI",
			write: store(gicd, 0x6110, 8, 1),
			after: []access{load(gicd, 0x6110, 8, 0)}},
		{name: "GICD_ISENABLER0: INTIDs 0-31 live in the redistributors",
			write: store(gicd, 0x0100, 4, 0xffff_ffff),
			after: []access{load(gicd, 0x0100, 4, 0), load(gicr, sgi(0, 0x0100), 4, 0)}},
		{name: "GICD_SETSPI_NSR is ignored",
			write: store(gicd, 0x0040, 4, 33),
			after: []access{load(gicd, 0x0204, 4, 0)}},
		{name: "GICD_SGIR is ignored",
			write: store(gicd, 0x0f00, 4, 1<<16|3),
			after: []access{load(gicr, sgi(0, 0x0200), 4, 0), load(gicr, sgi(1, 0x0200), 4, 0)}},
		{name: "GICD_ITARGETSR is RAZ/WI",
			write: store(gicd, 0x0800+33, 1, 0xff),
			after: []access{load(gicd, 0x0820, 4, 0)}},
		{name: "GICD_TYPER is read-only",
			write: store(gicd, 0x0004, 4, 0),
			after: []access{load(gicd, 0x0004, 4, 0x0248_0008)}},
		{name: "GICD_PIDR2 is read-only",
			write: store(gicd, 0xffe8, 4, 0x40),
			after: []access{load(gicd, 0xffe8, 4, 0x30)}},

		{name: "GICR_WAKER wakes the redistributor",
			write: store(gicr, rd(1, 0x0014), 4, 0),
			after: []access{load(gicr, rd(1, 0x0014), 4, 0), load(gicr, rd(0, 0x0014), 4, 0x6)}},
		{name: "GICR_WAKER puts it to sleep; ChildrenAsleep is read-only",
			prior: []access{store(gicr, rd(0, 0x0014), 4, 0)},
			write: store(gicr, rd(0, 0x0014), 4, 0x8000_0007),
			after: []access{load(gicr, rd(0, 0x0014), 4, 0x6)}},
		{name: "GICR_WAKER ChildrenAsleep alone does not sleep",
			write: store(gicr, rd(0, 0x0014), 4, 0x4),
			after: []access{load(gicr, rd(0, 0x0014), 4, 0)}},
		{name: "GICR_TYPER is read-only",
			write: store(gicr, rd(0, 0x0008), 8, 0xffff_ffff_ffff_ffff),
			after: []access{load(gicr, rd(0, 0x0008), 8, 0)}},
		{name: "GICR_CTLR EnableLPIs is RAZ/WI",
			write: store(gicr, rd(0, 0x0000), 4, 1),
			after: []access{load(gicr, rd(0, 0x0000), 4, 0)}},
		{name: "GICR_ISENABLER0 enables SGIs and the guest's PPIs",
			write: store(gicr, sgi(1, 0x0100), 4, 1<<30|1<<27|1<<25|1<<0),
			hooks: []hookCall{enableCall(1, 0, true), enableCall(1, 27, true), enableCall(1, 30, true)},
			after: []access{load(gicr, sgi(1, 0x0100), 4, 1<<30|1<<27|1<<0), load(gicr, sgi(0, 0x0100), 4, 0)}},
		{name: "GICR_ICENABLER0",
			prior: []access{store(gicr, sgi(0, 0x0100), 4, 0xffff_ffff)},
			write: store(gicr, sgi(0, 0x0180), 4, 0xffff_0000),
			hooks: []hookCall{enableCall(0, 27, false), enableCall(0, 30, false)},
			after: []access{load(gicr, sgi(0, 0x0100), 4, 0xffff)}},
		{name: "GICR_IGROUPR0",
			write: store(gicr, sgi(0, 0x0080), 4, 0xffff_ffff),
			after: []access{load(gicr, sgi(0, 0x0080), 4, privateWord0)}},
		{name: "GICR_ISPENDR0 makes an SGI pending",
			write: store(gicr, sgi(1, 0x0200), 4, 1<<3),
			hooks: []hookCall{pendingCall(1, 3, true)},
			after: []access{load(gicr, sgi(1, 0x0200), 4, 1<<3), load(gicr, sgi(1, 0x0280), 4, 1<<3)}},
		{name: "GICR_ICPENDR0",
			prior: []access{store(gicr, sgi(1, 0x0200), 4, 1<<3|1<<27)},
			write: store(gicr, sgi(1, 0x0280), 4, 1<<27),
			hooks: []hookCall{pendingCall(1, 27, false)},
			after: []access{load(gicr, sgi(1, 0x0200), 4, 1<<3)}},
		{name: "GICR_ISACTIVER0 and the maintenance PPI",
			write: store(gicr, sgi(0, 0x0300), 4, 1<<27|1<<25),
			hooks: []hookCall{activeCall(0, 27, true)},
			after: []access{load(gicr, sgi(0, 0x0300), 4, 1<<27)}},
		{name: "GICR_ICACTIVER0",
			prior: []access{store(gicr, sgi(0, 0x0300), 4, 1<<2)},
			write: store(gicr, sgi(0, 0x0380), 4, 0xffff_ffff),
			hooks: []hookCall{activeCall(0, 2, false)},
			after: []access{load(gicr, sgi(0, 0x0300), 4, 0)}},
		{name: "GICR_IPRIORITYR byte of the virtual timer",
			write: store(gicr, sgi(1, 0x0400+27), 1, 0xa0),
			hooks: []hookCall{priorityCall(1, 27, 0xa0)},
			after: []access{load(gicr, sgi(1, 0x0418), 4, 0xa000_0000), load(gicr, sgi(0, 0x0418), 4, 0)}},
		{name: "GICR_IPRIORITYR word over hidden PPIs 24-26",
			write: store(gicr, sgi(0, 0x0418), 4, 0x1122_3344),
			hooks: []hookCall{priorityCall(0, 27, 0x11)},
			after: []access{load(gicr, sgi(0, 0x0418), 4, 0x1100_0000)}},
		{name: "GICR_IPRIORITYR of SGIs",
			write: store(gicr, sgi(0, 0x0400), 4, 0x0302_0100),
			hooks: []hookCall{priorityCall(0, 1, 1), priorityCall(0, 2, 2), priorityCall(0, 3, 3)},
			after: []access{load(gicr, sgi(0, 0x0400), 4, 0x0302_0100)}},
		{name: "GICR_ICFGR0 is read-only",
			write: store(gicr, sgi(0, 0x0c00), 4, 0),
			after: []access{load(gicr, sgi(0, 0x0c00), 4, 0xaaaa_aaaa)}},
		{name: "GICR_ICFGR1 is read-only",
			write: store(gicr, sgi(0, 0x0c04), 4, 0xffff_ffff),
			after: []access{load(gicr, sgi(0, 0x0c04), 4, 0)}},
		{name: "GICR_IGRPMODR0 is RAZ/WI",
			write: store(gicr, sgi(0, 0x0d00), 4, 0xffff_ffff),
			after: []access{load(gicr, sgi(0, 0x0d00), 4, 0)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, _, r := newTestGIC(t)
			for _, a := range tc.prior {
				perform(t, g, a, "prior")
			}
			r.take()
			perform(t, g, tc.write, "write")
			assert.Equal(t, tc.hooks, r.take(), "hook calls")
			for _, a := range tc.after {
				perform(t, g, a, "after")
			}
			assert.Empty(t, r.take(), "loads called hooks")
		})
	}
}

func TestAccessesRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    access
	}{
		{"halfword GICD_CTLR", load(gicd, 0x0000, 2, 0)},
		{"3-byte load", load(gicd, 0x0000, 3, 0)},
		{"16-byte load", load(gicd, 0x0000, 16, 0)},
		{"byte of GICD_ISENABLER", store(gicd, 0x0104, 1, 1)},
		{"64-bit GICD_CTLR and GICD_TYPER", load(gicd, 0x0000, 8, 0)},
		{"64-bit GICD_ISENABLER pair", store(gicd, 0x0100, 8, 0)},
		{"misaligned word in GICD_IPRIORITYR", load(gicd, 0x0402, 4, 0)},
		{"byte of GICD_IROUTER", load(gicd, 0x6108, 1, 0)},
		{"misaligned 64-bit GICD_IROUTER", store(gicd, 0x610c, 8, 1)},
		{"beyond the GICD frame", load(gicd, 0x1_0000, 4, 0)},
		{"byte at a reserved offset", load(gicd, 0x0020, 1, 0)},
		{"halfword at a reserved offset", load(gicd, 0x0020, 2, 0)},
		{"beyond the partition's last redistributor", load(gicr, rd(2, 0x0008), 8, 0)},
		{"far beyond", load(gicr, 1<<40, 4, 0)},
		{"byte of GICR_WAKER", store(gicr, rd(0, 0x0014), 1, 0)},
		{"64-bit GICR_WAKER", load(gicr, rd(0, 0x0010), 8, 0)},
		{"byte of GICR_ISENABLER0", store(gicr, sgi(0, 0x0100), 1, 1)},
		{"misaligned GICR_TYPER", load(gicr, rd(0, 0x000a), 4, 0)},
	} {
		g, s, r := newTestGIC(t)
		_, ok := device(g, tc.a.frame).Access(vdev.Access{Offset: tc.a.offset, Size: tc.a.size, Write: tc.a.write, Value: tc.a.value})
		assert.False(t, ok, "%s: %v accepted", tc.name, tc.a)
		assert.Empty(t, r.take(), tc.name)
		fresh := new(State)
		require.NoError(t, fresh.Reset(0))
		assert.Equal(t, fresh, s, "%s changed the state", tc.name)
	}
}

// An access that starts in a reserved hole but runs into a register is
// refused; none of the architected maps has such a hole, so a synthetic
// one checks find.
func TestFindRefusesAccessesStraddlingARegister(t *testing.T) {
	registers := []register{raz("A", 0x4, 4, wordAccess), raz("B", 0x10, 8, wordAccess)}
	for _, tc := range []struct {
		offset, size     uint64
		found, straddles bool
		name             string
	}{
		{0x0, 4, false, false, ""},
		{0x0, 8, false, true, ""},
		{0x4, 4, true, false, "A"},
		{0x8, 8, false, false, ""},
		{0xc, 8, false, true, ""},
		{0x14, 4, true, false, "B"},
		{0x18, 8, false, false, ""},
	} {
		r, found, straddles := find(registers, tc.offset, tc.size)
		assert.Equal(t, tc.found, found, "%#x+%d found", tc.offset, tc.size)
		assert.Equal(t, tc.straddles, straddles, "%#x+%d straddles", tc.offset, tc.size)
		if tc.found {
			assert.Equal(t, tc.name, r.name, "%#x+%d", tc.offset, tc.size)
		}
	}
}

// The register maps are well formed: in offset order, without overlaps,
// inside their frames, made of whole registers, each one reachable by an
// access size it names.
func TestRegisterMapsAreWellFormed(t *testing.T) {
	for _, m := range []struct {
		name      string
		registers []register
		frame     uint64
	}{
		{"GICD", distributorRegisters, DistributorSize},
		{"RD_base", redistributorRegisters, sgiBase},
		{"SGI_base", sgiRegisters, RedistributorFrameSize - sgiBase},
	} {
		end := uint64(0)
		for _, r := range m.registers {
			assert.GreaterOrEqual(t, r.offset, end, "%s: %s overlaps the register before it or is out of order", m.name, r.name)
			end = r.offset + r.length
			assert.LessOrEqual(t, end, m.frame, "%s: %s leaves the frame", m.name, r.name)
			assert.Contains(t, []uint64{4, 8}, r.width, "%s: %s", m.name, r.name)
			assert.Zero(t, r.offset%r.width, "%s: %s is misaligned", m.name, r.name)
			assert.Zero(t, r.length%r.width, "%s: %s is not whole registers", m.name, r.name)
			assert.True(t, r.sizes.allow(int(r.width)) || r.sizes.allow(4), "%s: %s takes no access", m.name, r.name)
			assert.False(t, r.sizes.allow(int(r.width)*2), "%s: %s takes accesses wider than itself", m.name, r.name)
			assert.False(t, r.effect != nil && r.write == nil, "%s: %s reports writes it ignores", m.name, r.name)
		}
	}
}

// The frames the guest's device tree describes are the frames emulated.
func TestFrameSizesMatchTheDeviceTree(t *testing.T) {
	assert.Equal(t, uint64(dtb.RedistributorFrameSize), uint64(RedistributorFrameSize))
}

func TestAccessSizes(t *testing.T) {
	for _, tc := range []struct {
		sizes accessSizes
		size  int
		want  bool
	}{
		{byteAccess | wordAccess, 1, true},
		{byteAccess | wordAccess, 2, false},
		{byteAccess | wordAccess, 4, true},
		{byteAccess | wordAccess, 8, false},
		{wordAccess | doublewordAccess, 8, true},
		{wordAccess | doublewordAccess, 16, false},
		{wordAccess | doublewordAccess, 0, false},
		{wordAccess | doublewordAccess, -4, false},
	} {
		assert.Equal(t, tc.want, tc.sizes.allow(tc.size), "%#x allows %d", tc.sizes, tc.size)
	}
}

// A write waits while another live core holds the lock, and is refused
// and counted, changing nothing, once that core has halted holding it;
// loads and writes to read-only registers need no lock.
func TestWritesWaitForTheLockAndRefuseAHaltedHolder(t *testing.T) {
	g, s, r := newTestGIC(t)
	var halted atomic.Bool
	spin.Halted = func(core uint32) bool { return core == 3 && halted.Load() }
	t.Cleanup(func() { spin.Halted = nil })
	require.NoError(t, s.lock.Acquire(3))
	done := make(chan bool)
	go func() {
		_, ok := g.Distributor().Access(vdev.Access{Offset: 0x0104, Size: 4, Write: true, Value: 1 << 1})
		done <- ok
	}()
	v, ok := g.Distributor().Access(vdev.Access{Offset: 0x0000, Size: 4})
	require.True(t, ok)
	assert.Equal(t, uint64(0x50), v)
	_, ok = g.Distributor().Access(vdev.Access{Offset: 0x0004, Size: 4, Write: true})
	assert.True(t, ok, "read-only register write refused")
	select {
	case <-done:
		t.Fatal("a write went ahead while a live core held the lock")
	default:
	}
	halted.Store(true)
	assert.False(t, <-done, "write admitted under a halted holder's lock")
	assert.Equal(t, uint64(1), s.LockRefusals())
	assert.Empty(t, r.take())
	assert.Error(t, s.Reset(0), "a State whose lock a halted core holds cannot be reset")

	halted.Store(false)
	s.lock.Release(3)
	perform(t, g, store(gicd, 0x0104, 4, 1<<1), "after release")
	assert.Equal(t, []hookCall{enableCall(0, 33, true)}, r.take())
}
