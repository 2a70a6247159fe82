package qemuvirt

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/board/internal/dtsref"
)

// The device tree QEMU 10.0 generates for the machine this board describes
// (dumpdtb=, decompiled with dtc). Regenerate it when QEMU changes:
//
//	qemu-system-aarch64 -M virt,virtualization=on,gic-version=3,iommu=smmuv3,dumpdtb=virt.dtb \
//	    -cpu cortex-a53 -smp 4 -m 2G && dtc -I dtb -O dts virt.dtb
const referenceDTS = "testdata/qemu10.0-virt-gicv3-smmuv3-smp4-2G.dts"

func TestMatchesQEMUDeviceTree(t *testing.T) {
	dts := dtsref.Load(t, referenceDTS)
	region := func(base, size uint64) []board.Region { return []board.Region{{Base: base, Size: size}} }

	assert.Equal(t, region(RAMBase, RAMSize), dts.Regs("/memory@40000000"))
	assert.Equal(t, []board.Region{{Base: GICDBase, Size: GICDSize}, {Base: GICRBase, Size: GICRSize}}, dts.Regs("/intc@8000000"))
	assert.Equal(t, region(GITSBase, GITSSize), dts.Regs("/intc@8000000/its@8080000"))
	assert.Equal(t, region(SMMUBase, SMMUSize), dts.Regs("/smmuv3@9050000"))
	assert.Equal(t, region(UART0Base, UART0Size), dts.Regs("/pl011@9000000"))
	assert.Equal(t, uint64(RTCBase), dts.Regs("/pl031@9010000")[0].Base)
	assert.Equal(t, uint64(GPIOBase), dts.Regs("/pl061@9030000")[0].Base)
	assert.Equal(t, uint64(FWCfgBase), dts.Regs("/fw-cfg@9020000")[0].Base)
	assert.Equal(t, region(PCIeECAMBase, PCIeECAMSize), dts.Regs("/pcie@10000000"))

	assert.Equal(t, []uint32{UART0IRQ}, dts.Interrupts("/pl011@9000000"))
	assert.Equal(t, []uint32{RTCIRQ}, dts.Interrupts("/pl031@9010000"))
	assert.Equal(t, []uint32{GPIOIRQ}, dts.Interrupts("/pl061@9030000"))
	assert.Equal(t, []uint32{VirtioIRQBase}, dts.Interrupts("/virtio_mmio@a000000"))
	assert.Equal(t, irqRange(SMMUIRQBase, 4), dts.Interrupts("/smmuv3@9050000"))
	// Secure physical, non-secure physical, virtual, hypervisor.
	assert.Equal(t, []uint32{16 + 13, PhysTimerIRQ, VirtTimerIRQ, HypTimerIRQ}, dts.Interrupts("/timer"))
	assert.Equal(t, []uint32{MaintenanceIRQ}, dts.Interrupts("/intc@8000000"))

	// The last virtio transport ends where VirtioSize says.
	last := dts.Regs("/virtio_mmio@a003e00")[0]
	assert.Equal(t, uint64(VirtioBase+VirtioSize), last.End())

	_, timerFrequency := dts.Node("/timer").Property("clock-frequency")
	assert.False(t, timerFrequency, "the tree now gives the counter frequency; take CounterFrequency from it")
	assert.Equal(t, "smc", dts.String("/psci", "method"))
	assert.Equal(t, "smc", Board.PSCIConduit)
	for i := 0; i < NumCPUs; i++ {
		assert.Equal(t, []uint32{uint32(MPIDR(i))}, dts.Cells("/cpus/cpu@"+strconv.Itoa(i), "reg"))
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
