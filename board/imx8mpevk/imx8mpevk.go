// Package imx8mpevk describes the NXP i.MX 8M Plus EVK (8MPLUSLPD4-EVK):
// four Cortex-A53 cores, a GIC-500 (GICv3), 6 GiB of LPDDR4, and no SMMU.
// It runs on the board itself (U-Boot booti) and on QEMU:
//
//	qemu-system-aarch64 -M imx8mp-evk -smp 4 -m 6G -serial null -serial stdio
//
// Every address and interrupt below is taken from the board's device tree
// as Linux 6.1 ships it (arch/arm64/boot/dts/freescale/imx8mp-evk.dts,
// decompiled in testdata; QEMU generates none for this machine and boots
// Linux with the same one), and agrees with QEMU's fsl-imx8mp.c memory map
// and interrupt table and with the i.MX 8M Plus Applications Processor
// Reference Manual (IMX8MPRM), chapter 2 "Memory Maps" and the "ARM Domain
// Interrupt Summary" table. Interrupt numbers are GIC INTIDs: the device
// tree's SPI n is INTID 32+n, PPI n is INTID 16+n.
//
// The SoC has no SMMU: devices that master the bus (fec, eqos, usdhc1-3)
// reach all of memory with their DMA whoever owns them.
package imx8mpevk

import (
	"fmt"

	"github.com/tamavisor/tamavisor/board"
)

// Name is the board name configs use.
const Name = "imx8mp-evk"

// Memory: two banks of 3 GiB (memory@40000000). QEMU maps -m 6G as one
// range from 0x40000000, which covers both.
const (
	RAMBase     = 0x4000_0000
	RAMSize     = 0xc000_0000
	RAMHighBase = 0x1_0000_0000
	RAMHighSize = 0xc000_0000
)

// The interrupt controller (interrupt-controller@38800000; IMX8MPRM
// "A53 GIC"). The device tree gives the redistributors 0xc0000 bytes; the
// four cores use 0x80000 of them (QEMU maps only those).
const (
	GICDBase   = 0x3880_0000
	GICDSize   = 0x1_0000
	GICRBase   = 0x3888_0000
	GICRSize   = 0xc_0000
	GICRStride = 0x2_0000 // RD_base + SGI_base (IHI 0069, 12.10)
	// NumSPIs is what the GIC-500 of the SoC implements: 160 SPIs,
	// INTIDs 32-191 (QEMU's FSL_IMX8MP_NUM_IRQS).
	NumSPIs = 160
)

// GIC PPIs (INTIDs): timer node <1 13>, <1 14>, <1 11>, <1 10>;
// interrupt-controller <1 9>.
const (
	PhysTimerIRQ   = 16 + 14 // non-secure EL1 physical timer
	VirtTimerIRQ   = 16 + 11
	HypTimerIRQ    = 16 + 10
	MaintenanceIRQ = 16 + 9
)

const (
	NumCPUs      = 4  // cpu@0..cpu@3, one cluster: MPIDR Aff0 0-3
	PhysAddrBits = 40 // Cortex-A53: ID_AA64MMFR0_EL1.PARange = 0b0010
	// CounterFrequency is the system counter's 8 MHz (timer
	// clock-frequency = <0x7a1200>; QEMU sets cntfrq to 8000000).
	CounterFrequency = 8_000_000
	PageSize         = 0x1000
	// PeripheralSize is the 64 KiB slot every peripheral below has on
	// its AIPS bus.
	PeripheralSize = 0x1_0000
)

// Peripherals a partition may be given, with their SPIs as INTIDs
// (IMX8MPRM, AIPS-1 and AIPS-3 memory maps; device tree nodes under
// soc@0/bus@30000000 and soc@0/bus@30800000).
const (
	UART1Base = 0x3086_0000 // serial@30860000, SPI 26
	UART2Base = 0x3089_0000 // serial@30890000, SPI 27: the EVK's debug console
	UART3Base = 0x3088_0000 // serial@30880000, SPI 28
	UART4Base = 0x30a6_0000 // serial@30a60000, SPI 29
	UART1IRQ  = 32 + 26
	UART2IRQ  = 32 + 27
	UART3IRQ  = 32 + 28
	UART4IRQ  = 32 + 29

	// GPIO1-5: gpio@30200000 .. gpio@30240000, each with one SPI for
	// pins 0-15 and one for pins 16-31: GPIO1 SPI 64 and 65, up to
	// GPIO5 SPI 72 and 73.
	GPIO1Base    = 0x3020_0000
	GPIOStride   = 0x1_0000
	GPIO1IRQBase = 32 + 64

	I2C1Base = 0x30a2_0000 // i2c@30a20000, SPI 35
	I2C2Base = 0x30a3_0000 // SPI 36
	I2C3Base = 0x30a4_0000 // SPI 37
	I2C4Base = 0x30a5_0000 // SPI 38
	I2C5Base = 0x30ad_0000 // SPI 76
	I2C6Base = 0x30ae_0000 // SPI 77
	I2C1IRQ  = 32 + 35
	I2C2IRQ  = 32 + 36
	I2C3IRQ  = 32 + 37
	I2C4IRQ  = 32 + 38
	I2C5IRQ  = 32 + 76
	I2C6IRQ  = 32 + 77

	ECSPI1Base = 0x3082_0000 // spi@30820000, SPI 31
	ECSPI2Base = 0x3083_0000 // SPI 32
	ECSPI3Base = 0x3084_0000 // SPI 33
	ECSPI1IRQ  = 32 + 31
	ECSPI2IRQ  = 32 + 32
	ECSPI3IRQ  = 32 + 33

	USDHC1Base = 0x30b4_0000 // mmc@30b40000, SPI 22
	USDHC2Base = 0x30b5_0000 // SPI 23: the EVK's SD card slot
	USDHC3Base = 0x30b6_0000 // SPI 24: the EVK's eMMC
	USDHC1IRQ  = 32 + 22
	USDHC2IRQ  = 32 + 23
	USDHC3IRQ  = 32 + 24

	// SNVS (snvs@30370000): the RTC (snvs-rtc-lp, SPI 19 and 20) and
	// the ON/OFF button (snvs-powerkey, SPI 4) share its registers.
	SNVSBase        = 0x3037_0000
	SNVSRTCIRQ      = 32 + 19
	SNVSRTCTZIRQ    = 32 + 20
	SNVSPowerKeyIRQ = 32 + 4

	// ENET1, the FEC (ethernet@30be0000): SPI 118-121 (MAC 0, queues 1
	// and 2, IEEE 1588 timer).
	FECBase    = 0x30be_0000
	FECIRQBase = 32 + 118
	// ENET_QOS, the TSN-capable DesignWare EQoS (ethernet@30bf0000):
	// SPI 135 (macirq) and 134 (eth_wake_irq), in that order.
	EQOSBase    = 0x30bf_0000
	EQOSIRQ     = 32 + 135
	EQOSWakeIRQ = 32 + 134

	CAN1Base = 0x308c_0000 // can@308c0000, SPI 142
	CAN2Base = 0x308d_0000 // can@308d0000, SPI 144
	CAN1IRQ  = 32 + 142
	CAN2IRQ  = 32 + 144
)

// A partition's virtual SBSA watchdog: guest IPAs in the reserved space
// between the SoC's peripherals (soc@0 ranges end at 0x3e000000) and RAM.
const (
	WatchdogControlIPA = 0x3f00_0000
	WatchdogRefreshIPA = 0x3f00_1000
	// A partition's channel doorbells: eight frames after the watchdog's.
	DoorbellIPA  = 0x3f00_2000
	DoorbellsMax = 8
)

// The hypervisor's own memory, as on qemu-virt: a 2 MiB shared region,
// then one 30 MiB slot per core, from the start of RAM, where U-Boot's
// booti moves an arm64 Image (2 MiB-aligned RAM base + text_offset).
const (
	HypervisorBase       = RAMBase
	HypervisorSharedSize = 0x20_0000
	HypervisorSlotSize   = 0x1e0_0000
	HypervisorTextOffset = 0x1_0000
	HypervisorSize       = 0x800_0000 // 128 MiB: shared + 4 slots, rounded up

	// RAMStart is the Go runtime's RAM start (slot 0), TextStart the
	// firmware's link address; the build of the firmware for this
	// board must agree.
	RAMStart  = HypervisorBase + HypervisorSharedSize
	TextStart = RAMStart + HypervisorTextOffset
)

// MPIDR returns the affinity of core index i: one cluster, Aff0 = i
// (cpu@0..cpu@3 reg).
func MPIDR(i int) uint64 { return uint64(i) }

// UARTClockHz is the rate of every UART's root clock (IMX8MP_CLK_UARTn,
// one clock the device tree gives as both "ipg" and "per"): the 24 MHz
// oscillator, the parent the clock controller resets it to and U-Boot
// leaves. The i.MX UART driver derives the baud rate from "per".
const UARTClockHz = 24_000_000

func peripheral(name, alias string, compatible []string, base uint64, irqs ...uint32) board.Device {
	return board.Device{Name: name, Compatible: compatible[0], Fallbacks: compatible[1:], Alias: alias,
		MMIO: []board.Region{{Base: base, Size: PeripheralSize}}, IRQs: irqs}
}

// uart is an i.MX UART: its driver needs its alias (the line number) and
// its two clocks.
func uart(name, alias string, base uint64, irq uint32) board.Device {
	d := peripheral(name, alias, []string{"fsl,imx8mp-uart", "fsl,imx6q-uart"}, base, irq)
	d.Clocks = []board.Clock{{Name: "ipg", Hz: UARTClockHz}, {Name: "per", Hz: UARTClockHz}}
	return d
}

// devices lists the board's devices, the interrupt controller's frames
// last. Compatible strings and aliases are the board device tree's.
func devices() []board.Device {
	d := []board.Device{
		uart("uart1", "serial0", UART1Base, UART1IRQ),
		uart("uart2", "serial1", UART2Base, UART2IRQ),
		uart("uart3", "serial2", UART3Base, UART3IRQ),
		uart("uart4", "serial3", UART4Base, UART4IRQ),
	}
	for i := range uint32(5) {
		// The GPIO driver's clock is optional: the guest gets none.
		g := peripheral(fmt.Sprintf("gpio%d", i+1), fmt.Sprintf("gpio%d", i), []string{"fsl,imx8mp-gpio", "fsl,imx35-gpio"},
			GPIO1Base+uint64(i)*GPIOStride, GPIO1IRQBase+2*i, GPIO1IRQBase+2*i+1)
		g.GPIOController = true
		d = append(d, g)
	}
	i2c := []string{"fsl,imx8mp-i2c", "fsl,imx21-i2c"}
	ecspi := []string{"fsl,imx8mp-ecspi", "fsl,imx51-ecspi"}
	usdhc := []string{"fsl,imx8mp-usdhc", "fsl,imx8mm-usdhc", "fsl,imx7d-usdhc"}
	return append(d,
		peripheral("i2c1", "i2c0", i2c, I2C1Base, I2C1IRQ),
		peripheral("i2c2", "i2c1", i2c, I2C2Base, I2C2IRQ),
		peripheral("i2c3", "i2c2", i2c, I2C3Base, I2C3IRQ),
		peripheral("i2c4", "i2c3", i2c, I2C4Base, I2C4IRQ),
		peripheral("i2c5", "i2c4", i2c, I2C5Base, I2C5IRQ),
		peripheral("i2c6", "i2c5", i2c, I2C6Base, I2C6IRQ),
		peripheral("ecspi1", "", ecspi, ECSPI1Base, ECSPI1IRQ),
		peripheral("ecspi2", "", ecspi, ECSPI2Base, ECSPI2IRQ),
		peripheral("ecspi3", "", ecspi, ECSPI3Base, ECSPI3IRQ),
		peripheral("usdhc1", "mmc0", usdhc, USDHC1Base, USDHC1IRQ),
		peripheral("usdhc2", "mmc1", usdhc, USDHC2Base, USDHC2IRQ),
		peripheral("usdhc3", "mmc2", usdhc, USDHC3Base, USDHC3IRQ),
		peripheral("snvs", "", []string{"fsl,sec-v4.0-mon", "syscon", "simple-mfd"}, SNVSBase, SNVSRTCIRQ, SNVSRTCTZIRQ, SNVSPowerKeyIRQ),
		peripheral("fec", "ethernet0", []string{"fsl,imx8mp-fec", "fsl,imx8mq-fec", "fsl,imx6sx-fec"}, FECBase, FECIRQBase, FECIRQBase+1, FECIRQBase+2, FECIRQBase+3),
		peripheral("eqos", "ethernet1", []string{"nxp,imx8mp-dwmac-eqos", "snps,dwmac-5.10a"}, EQOSBase, EQOSIRQ, EQOSWakeIRQ),
		peripheral("can1", "", []string{"fsl,imx8mp-flexcan"}, CAN1Base, CAN1IRQ),
		peripheral("can2", "", []string{"fsl,imx8mp-flexcan"}, CAN2Base, CAN2IRQ),
		board.Device{Name: "gicd", Compatible: "arm,gic-v3", MMIO: []board.Region{{Base: GICDBase, Size: GICDSize}}, Hypervisor: true},
		board.Device{Name: "gicr", Compatible: "arm,gic-v3", MMIO: []board.Region{{Base: GICRBase, Size: GICRSize}}, Hypervisor: true},
	)
}

// Board is the imx8mp-evk description.
var Board = &board.Board{
	Name:  Name,
	Model: "NXP i.MX 8M Plus EVK (GICv3, 4 x Cortex-A53, 6 GiB, no SMMU)",
	RAM: []board.Region{
		{Base: RAMBase, Size: RAMSize},
		{Base: RAMHighBase, Size: RAMHighSize},
	},
	PhysAddrBits: PhysAddrBits,
	CPUs: func() []board.CPU {
		cpus := make([]board.CPU, NumCPUs)
		for i := range cpus {
			cpus[i] = board.CPU{Index: i, MPIDR: MPIDR(i)}
		}
		return cpus
	}(),
	GIC: board.GIC{
		Version:        3,
		Dist:           board.Region{Base: GICDBase, Size: GICDSize},
		Redist:         board.Region{Base: GICRBase, Size: GICRSize},
		RedistStride:   GICRStride,
		SPIs:           NumSPIs,
		MaintenanceIRQ: MaintenanceIRQ,
		HypTimerIRQ:    HypTimerIRQ,
		VirtTimerIRQ:   VirtTimerIRQ,
		PhysTimerIRQ:   PhysTimerIRQ,
	},
	// No SMMU on this SoC: StreamIDBits 0 makes the validator refuse
	// stream IDs.
	SMMU:             board.SMMU{},
	CounterFrequency: CounterFrequency,
	PSCIConduit:      "smc", // psci { method = "smc" }: TF-A's BL31 on the board, QEMU's PSCI emulation
	Watchdog: board.Watchdog{
		Control: board.Region{Base: WatchdogControlIPA, Size: PageSize},
		Refresh: board.Region{Base: WatchdogRefreshIPA, Size: PageSize},
	},
	Doorbells: board.Region{Base: DoorbellIPA, Size: DoorbellsMax * board.DoorbellFrameSize},
	Hypervisor: board.Hypervisor{
		Memory:     board.Region{Base: HypervisorBase, Size: HypervisorSize},
		SharedSize: HypervisorSharedSize,
		SlotSize:   HypervisorSlotSize,
		TextOffset: HypervisorTextOffset,
		UART:       "uart2",
	},
	Devices: devices(),
}

func init() { board.Register(Board) }
