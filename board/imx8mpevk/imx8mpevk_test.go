package imx8mpevk

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/board/internal/dtsref"
	"github.com/tamavisor/tamavisor/internal/fdt"
)

// The device tree Debian's linux-image-6.1.0-57-arm64 (6.1.192-3) ships
// for the board (usr/lib/linux-image-*/freescale/imx8mp-evk.dtb),
// decompiled with dtc -I dtb -O dts. QEMU's imx8mp-evk machine boots Linux
// with this same tree.
const referenceDTS = "testdata/linux6.1-imx8mp-evk.dts"

const (
	aips1 = "/soc@0/bus@30000000/"
	aips3 = "/soc@0/bus@30800000/"
	gic   = "/soc@0/interrupt-controller@38800000"
)

// nodes names the device tree node of each board device, its Linux alias
// when it has one (the kernel counts from 0 where the manual counts from
// 1), and the nodes its interrupts are listed in when they are not its
// own.
var nodes = map[string]struct {
	path       string
	alias      string
	interrupts []string
}{
	"uart1":  {path: aips3 + "serial@30860000", alias: "serial0"},
	"uart2":  {path: aips3 + "serial@30890000", alias: "serial1"},
	"uart3":  {path: aips3 + "serial@30880000", alias: "serial2"},
	"uart4":  {path: aips3 + "serial@30a60000", alias: "serial3"},
	"gpio1":  {path: aips1 + "gpio@30200000", alias: "gpio0"},
	"gpio2":  {path: aips1 + "gpio@30210000", alias: "gpio1"},
	"gpio3":  {path: aips1 + "gpio@30220000", alias: "gpio2"},
	"gpio4":  {path: aips1 + "gpio@30230000", alias: "gpio3"},
	"gpio5":  {path: aips1 + "gpio@30240000", alias: "gpio4"},
	"i2c1":   {path: aips3 + "i2c@30a20000", alias: "i2c0"},
	"i2c2":   {path: aips3 + "i2c@30a30000", alias: "i2c1"},
	"i2c3":   {path: aips3 + "i2c@30a40000", alias: "i2c2"},
	"i2c4":   {path: aips3 + "i2c@30a50000", alias: "i2c3"},
	"i2c5":   {path: aips3 + "i2c@30ad0000", alias: "i2c4"},
	"i2c6":   {path: aips3 + "i2c@30ae0000", alias: "i2c5"},
	"ecspi1": {path: aips3 + "spi@30820000"},
	"ecspi2": {path: aips3 + "spi@30830000"},
	"ecspi3": {path: aips3 + "spi@30840000"},
	"usdhc1": {path: aips3 + "mmc@30b40000", alias: "mmc0"},
	"usdhc2": {path: aips3 + "mmc@30b50000", alias: "mmc1"},
	"usdhc3": {path: aips3 + "mmc@30b60000", alias: "mmc2"},
	"snvs": {path: aips1 + "snvs@30370000", interrupts: []string{
		aips1 + "snvs@30370000/snvs-rtc-lp",
		aips1 + "snvs@30370000/snvs-powerkey",
	}},
	"fec":  {path: aips3 + "ethernet@30be0000", alias: "ethernet0"},
	"eqos": {path: aips3 + "ethernet@30bf0000", alias: "ethernet1"},
	"can1": {path: aips3 + "can@308c0000"},
	"can2": {path: aips3 + "can@308d0000"},
}

func TestDevicesMatchTheDeviceTree(t *testing.T) {
	dts := dtsref.Load(t, referenceDTS)
	for _, d := range Board.Devices {
		if d.Hypervisor {
			continue
		}
		t.Run(d.Name, func(t *testing.T) {
			n, ok := nodes[d.Name]
			require.True(t, ok, "board device %q has no device tree node in this test: add it", d.Name)
			assert.Equal(t, dts.Regs(n.path), d.MMIO, "mmio")
			var irqs []uint32
			for _, path := range append([]string{n.path}, n.interrupts...) {
				if _, own := dts.Node(path).Property("interrupts"); own {
					irqs = append(irqs, dts.Interrupts(path)...)
				}
			}
			assert.Equal(t, irqs, d.IRQs, "interrupts")
			compatible, ok := dts.Node(n.path).Property("compatible")
			require.True(t, ok, "no compatible")
			list, _ := compatible.Strings()
			assert.Equal(t, list, append([]string{d.Compatible}, d.Fallbacks...), "compatible strings")
			assert.Empty(t, d.StreamIDs, "no SMMU, so no stream IDs")
			assert.Equal(t, n.alias, d.Alias, "alias")
			if n.alias != "" {
				assert.Equal(t, n.path, dts.String("/aliases", n.alias), "the manual's %s is Linux's %s", d.Name, n.alias)
			}
			if names, has := dts.Node(n.path).Property("clock-names"); has && strings.HasPrefix(d.Name, "uart") {
				want, _ := names.Strings()
				var got []string
				for _, c := range d.Clocks {
					got = append(got, c.Name)
				}
				assert.Equal(t, want, got, "clock names")
			}
			if _, has := dts.Node(n.path).Property("gpio-controller"); has {
				assert.True(t, d.GPIOController, "a GPIO controller")
				assert.Equal(t, []uint32{2}, dts.Cells(n.path, "#gpio-cells"))
				assert.Equal(t, []uint32{2}, dts.Cells(n.path, "#interrupt-cells"))
			} else {
				assert.False(t, d.GPIOController, "no GPIO controller")
			}
		})
	}
	for name := range nodes {
		_, ok := Board.Device(name)
		assert.True(t, ok, "device %q of this test is not on the board", name)
	}
}

func TestMatchesTheDeviceTree(t *testing.T) {
	dts := dtsref.Load(t, referenceDTS)

	assert.Equal(t, Board.RAM, dts.Regs("/memory@40000000"))
	assert.Equal(t, []board.Region{Board.GIC.Dist, Board.GIC.Redist}, dts.Regs(gic))
	assert.Equal(t, []uint32{MaintenanceIRQ}, dts.Interrupts(gic))
	gicr, _ := Board.Device("gicr")
	assert.Equal(t, []board.Region{Board.GIC.Redist}, gicr.MMIO)
	gicd, _ := Board.Device("gicd")
	assert.Equal(t, []board.Region{Board.GIC.Dist}, gicd.MMIO)

	// Secure physical, non-secure physical, virtual, hypervisor.
	assert.Equal(t, []uint32{16 + 13, PhysTimerIRQ, VirtTimerIRQ, HypTimerIRQ}, dts.Interrupts("/timer"))
	assert.Equal(t, []uint32{CounterFrequency}, dts.Cells("/timer", "clock-frequency"))
	assert.Equal(t, uint64(CounterFrequency), Board.CounterFrequency)

	assert.Equal(t, "smc", dts.String("/psci", "method"))
	assert.Equal(t, "smc", Board.PSCIConduit)

	cpus := 0
	for _, c := range dts.Node("/cpus").Children {
		if strings.HasPrefix(c.Name, "cpu@") {
			cpus++
		}
	}
	assert.Equal(t, NumCPUs, cpus)
	require.Len(t, Board.CPUs, NumCPUs)
	for i, c := range Board.CPUs {
		assert.Equal(t, i, c.Index)
		assert.Equal(t, []uint32{uint32(c.MPIDR)}, dts.Cells("/cpus/cpu@"+strconv.Itoa(i), "reg"))
		assert.Equal(t, "psci", dts.String("/cpus/cpu@"+strconv.Itoa(i), "enable-method"))
	}

	console, ok := Board.Device(Board.Hypervisor.UART)
	require.True(t, ok)
	assert.Equal(t, nodes[console.Name].path, dts.String("/chosen", "stdout-path"), "the hypervisor prints where Linux does")
}

// TestEveryInterruptIsAnSPIOfTheGIC checks NumSPIs against every
// interrupt the device tree routes to the GIC.
func TestEveryInterruptIsAnSPIOfTheGIC(t *testing.T) {
	dts := dtsref.Load(t, referenceDTS)
	highest := uint32(0)
	dts.Walk(func(path string, n *fdt.Node) {
		if _, ok := n.Property("interrupts"); !ok || dts.InterruptParent(path) != gic {
			return
		}
		for _, id := range dts.Interrupts(path) {
			highest = max(highest, id)
		}
	})
	assert.Less(t, highest, uint32(32+NumSPIs))
	assert.Equal(t, uint32(NumSPIs), Board.GIC.SPIs)
	for _, d := range Board.Devices {
		for _, id := range d.IRQs {
			assert.Less(t, id, uint32(32+NumSPIs), "device %s", d.Name)
			assert.GreaterOrEqual(t, id, uint32(32), "device %s", d.Name)
		}
	}
}

func TestNoSMMU(t *testing.T) {
	assert.Zero(t, Board.SMMU, "the i.MX 8M Plus has no SMMU")
	dts := dtsref.Load(t, referenceDTS)
	dts.Walk(func(path string, n *fdt.Node) {
		_, iommus := n.Property("iommus")
		_, iommuMap := n.Property("iommu-map")
		assert.False(t, iommus || iommuMap, "node %s is behind an IOMMU", path)
	})
}

func TestDevicesDoNotOverlap(t *testing.T) {
	irqs := map[uint32]string{}
	for i, d := range Board.Devices {
		for _, r := range d.MMIO {
			assert.Zero(t, r.Base%PageSize, "device %s", d.Name)
			for _, ram := range Board.RAM {
				assert.False(t, r.Overlaps(ram), "device %s lies in RAM", d.Name)
			}
			for _, o := range Board.Devices[i+1:] {
				for _, q := range o.MMIO {
					assert.False(t, r.Overlaps(q), "devices %s and %s overlap", d.Name, o.Name)
				}
			}
		}
		for _, id := range d.IRQs {
			other, dup := irqs[id]
			assert.False(t, dup, "interrupt %d of %s is also %s's", id, d.Name, other)
			irqs[id] = d.Name
		}
	}
}

func TestHypervisorMemory(t *testing.T) {
	h := Board.Hypervisor
	assert.LessOrEqual(t, h.Slot(NumCPUs-1).End(), h.Memory.End())
	assert.True(t, Board.RAM[0].Contains(h.Memory))
	assert.Equal(t, Board.RAM[0].Base, h.Memory.Base, "booti puts the image at the start of RAM")
	assert.Zero(t, h.SlotSize%(2<<20), "slots must stay 2 MiB aligned for block mappings")
	assert.Equal(t, uint64(RAMStart), h.RAMStart())
	assert.Equal(t, uint64(TextStart), h.TextStart())

	// The redistributor frames of every core lie in the region.
	assert.LessOrEqual(t, Board.GIC.RedistFrame(NumCPUs-1).End(), Board.GIC.Redist.End())

	// Nothing the kernel's tree reserves in RAM is the hypervisor's.
	dts := dtsref.Load(t, referenceDTS)
	for _, c := range dts.Node("/reserved-memory").Children {
		for _, r := range dts.Regs("/reserved-memory/" + c.Name) {
			assert.False(t, r.Overlaps(h.Memory), "reserved-memory %s", c.Name)
		}
	}
}

func TestWatchdogFramesAreFreeGuestAddresses(t *testing.T) {
	dts := dtsref.Load(t, referenceDTS)
	soc := dts.Cells("/soc@0", "ranges") // child address, parent address (2 cells), size
	require.Len(t, soc, 4)
	socEnd := uint64(soc[1])<<32 | uint64(soc[2]) + uint64(soc[3])
	for _, r := range []board.Region{Board.Watchdog.Control, Board.Watchdog.Refresh} {
		assert.Equal(t, uint64(PageSize), r.Size)
		assert.GreaterOrEqual(t, r.Base, socEnd, "inside the SoC's peripheral space")
		assert.Less(t, r.End(), uint64(RAMBase))
		for _, d := range Board.Devices {
			for _, m := range d.MMIO {
				assert.False(t, r.Overlaps(m), "watchdog frame %v overlaps %s", r, d.Name)
			}
		}
	}
	assert.False(t, Board.Watchdog.Control.Overlaps(Board.Watchdog.Refresh))
}

func TestRegistered(t *testing.T) {
	b, err := board.Lookup(Name)
	require.NoError(t, err)
	assert.Same(t, Board, b)
	c, ok := b.CPUByMPIDR(0x8000_0003)
	assert.True(t, ok)
	assert.Equal(t, 3, c.Index)
	_, ok = b.CPUByMPIDR(0x8000_0004)
	assert.False(t, ok)
	assert.True(t, slices.Contains(board.Names(), Name))
}
