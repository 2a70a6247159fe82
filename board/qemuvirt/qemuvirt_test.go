package qemuvirt

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board"
)

// The device tree QEMU 10.0 generates for the machine this board describes
// (dumpdtb=, decompiled with dtc). Regenerate it when QEMU changes:
//
//	qemu-system-aarch64 -M virt,virtualization=on,gic-version=3,iommu=smmuv3,dumpdtb=virt.dtb \
//	    -cpu cortex-a53 -smp 4 -m 2G && dtc -I dtb -O dts virt.dtb
const referenceDTS = "testdata/qemu10.0-virt-gicv3-smmuv3-smp4-2G.dts"

// node returns the body of the first node whose name starts with prefix.
func node(t *testing.T, dts, prefix string) string {
	t.Helper()
	i := strings.Index(dts, "\t"+prefix)
	require.GreaterOrEqual(t, i, 0, "node %s not in the reference device tree", prefix)
	body := dts[i:]
	return body[:strings.Index(body, "};")]
}

// cells parses a property's <...> cells as numbers.
func cells(t *testing.T, body, prop string) []uint64 {
	t.Helper()
	m := regexp.MustCompile(`\b` + regexp.QuoteMeta(prop) + ` = <([^>]*)>`).FindStringSubmatch(body)
	require.NotNil(t, m, "property %s not found", prop)
	var out []uint64
	for _, f := range strings.Fields(m[1]) {
		v, err := strconv.ParseUint(f, 0, 64)
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

// regs turns 2-cell address / 2-cell size pairs into regions.
func regs(c []uint64) []board.Region {
	var rs []board.Region
	for i := 0; i+3 < len(c); i += 4 {
		rs = append(rs, board.Region{Base: c[i]<<32 | c[i+1], Size: c[i+2]<<32 | c[i+3]})
	}
	return rs
}

func TestMatchesQEMUDeviceTree(t *testing.T) {
	b, err := os.ReadFile(referenceDTS)
	require.NoError(t, err)
	dts := string(b)

	assert.Equal(t, []board.Region{{Base: RAMBase, Size: RAMSize}}, regs(cells(t, node(t, dts, "memory@"), "reg")))
	gic := regs(cells(t, node(t, dts, "intc@"), "reg"))
	assert.Equal(t, []board.Region{{Base: GICDBase, Size: GICDSize}, {Base: GICRBase, Size: GICRSize}}, gic)
	assert.Equal(t, []board.Region{{Base: GITSBase, Size: GITSSize}}, regs(cells(t, node(t, dts, "its@"), "reg")))
	assert.Equal(t, []board.Region{{Base: SMMUBase, Size: SMMUSize}}, regs(cells(t, node(t, dts, "smmuv3@"), "reg")))
	assert.Equal(t, []board.Region{{Base: UART0Base, Size: UART0Size}}, regs(cells(t, node(t, dts, "pl011@"), "reg")))
	assert.Equal(t, uint64(RTCBase), regs(cells(t, node(t, dts, "pl031@"), "reg"))[0].Base)
	assert.Equal(t, uint64(GPIOBase), regs(cells(t, node(t, dts, "pl061@"), "reg"))[0].Base)
	assert.Equal(t, uint64(FWCfgBase), regs(cells(t, node(t, dts, "fw-cfg@"), "reg"))[0].Base)
	assert.Equal(t, []board.Region{{Base: PCIeECAMBase, Size: PCIeECAMSize}}, regs(cells(t, node(t, dts, "pcie@"), "reg")))

	// Interrupts: <type number flags>, type 0 = SPI (INTID 32+n), 1 = PPI (16+n).
	spi := func(prefix string) uint64 { return 32 + cells(t, node(t, dts, prefix), "interrupts")[1] }
	assert.Equal(t, uint64(UART0IRQ), spi("pl011@"))
	assert.Equal(t, uint64(RTCIRQ), spi("pl031@"))
	assert.Equal(t, uint64(GPIOIRQ), spi("pl061@"))
	assert.Equal(t, uint64(VirtioIRQBase), spi("virtio_mmio@a000000"))
	assert.Equal(t, uint64(SMMUIRQBase), spi("smmuv3@"))
	timer := cells(t, node(t, dts, "timer {"), "interrupts")
	// Secure physical, non-secure physical, virtual, hypervisor.
	assert.Equal(t, []uint64{PhysTimerIRQ, VirtTimerIRQ, HypTimerIRQ}, []uint64{16 + timer[4], 16 + timer[7], 16 + timer[10]})
	assert.Equal(t, uint64(MaintenanceIRQ), 16+cells(t, node(t, dts, "intc@"), "interrupts")[1])

	// The last virtio transport ends where VirtioSize says.
	last := regs(cells(t, node(t, dts, "virtio_mmio@a003e00"), "reg"))[0]
	assert.Equal(t, uint64(VirtioBase+VirtioSize), last.End())

	assert.Contains(t, node(t, dts, "psci {"), `method = "smc"`)
	assert.Equal(t, "smc", Board.PSCIConduit)
	for i := 0; i < NumCPUs; i++ {
		assert.Equal(t, []uint64{MPIDR(i)}, cells(t, node(t, dts, "cpu@"+strconv.Itoa(i)), "reg"))
	}
}

func TestHypervisorSlotsFitItsMemory(t *testing.T) {
	h := Board.Hypervisor
	assert.LessOrEqual(t, h.Slot(NumCPUs-1).End(), h.Memory.End())
	assert.True(t, board.Region{Base: RAMBase, Size: RAMSize}.Contains(h.Memory))
	assert.Zero(t, h.SlotSize%(2<<20), "slots must stay 2 MiB aligned for block mappings")
	assert.Equal(t, uint64(RAMStart), h.RAMStart())
}

func TestRegistered(t *testing.T) {
	b, err := board.Lookup(Name)
	require.NoError(t, err)
	assert.Same(t, Board, b)
	c, ok := b.CPUByMPIDR(0x8000_0002)
	assert.True(t, ok)
	assert.Equal(t, 2, c.Index)
	_, ok = b.CPUByMPIDR(0x8000_0009)
	assert.False(t, ok)
	_, err = board.Lookup("nope")
	assert.ErrorContains(t, err, `unknown board "nope"; known boards: [qemu-virt]`)
}
