// Package dtb generates the device tree each partition's guest boots with:
// its RAM, CPUs, virtual GICv3, generic timer, PSCI, boot parameters
// (/chosen), console UART and passthrough devices.
//
// The input is a Guest, a neutral description in the guest's own
// intermediate physical address (IPA) space that the build step derives
// from a partition config and its board; Generate validates it and writes
// the DTB with internal/fdt. The hypervisor hands the blob to the guest in
// x0 at its first ERET (DESIGN.md, "Boot flow").
package dtb

import (
	"fmt"
	"slices"

	"github.com/tamavisor/tamavisor/internal/fdt"
)

// Guest describes what one partition's guest sees. Addresses are IPAs.
type Guest struct {
	// Name is the partition's name; the root's model property carries it.
	Name string
	// Memory is the guest's RAM, one memory node per region.
	Memory []MemoryRegion
	// CPUs is the number of vCPUs. The guest sees dense MPIDRs: vCPU i
	// has affinity 0.0.0.i and node cpu@i.
	CPUs int
	GIC  GIC
	// Timer holds the generic timer's interrupts.
	Timer  Timer
	PSCI   PSCI
	Chosen Chosen
	// Console is the guest's PL011 UART, virtual or passed through; nil
	// for a guest without one.
	Console *Console
	// Devices are the devices passed through to the guest.
	Devices []Device
	// Watchdog is the guest's virtual SBSA Generic Watchdog; nil for
	// none.
	Watchdog *Watchdog
	// Doorbells are the doorbells of the channels the guest is a member
	// of, each a virtual PL061 GPIO controller.
	Doorbells []Doorbell
}

// Doorbell is a channel's doorbell as its members see it: a PL061 GPIO
// controller (binding gpio/pl061-gpio) whose line 0 ("doorbell") raises
// its interrupt each time another member rings and whose line 1 ("ring"),
// written 1, rings the others. Its node is named after the channel; its
// second reg entry is the channel's shared memory, which the PL061
// driver leaves alone.
type Doorbell struct {
	Channel string
	Frame   Region
	Memory  Region
	SPI     uint32
}

// Watchdog is an SBSA Generic Watchdog (binding watchdog/arm,sbsa-gwdt):
// its control and refresh frames, and the timeout the guest's driver
// starts with. It signals no interrupt: WS0 is not wired, and WS1 is the
// hypervisor's to act on.
type Watchdog struct {
	Control    Region
	Refresh    Region
	TimeoutSec uint32
}

// MemoryRegion is a range of guest RAM.
type MemoryRegion struct {
	IPA  uint64
	Size uint64
}

// Region is a range of MMIO registers.
type Region struct {
	Base uint64
	Size uint64
}

// GIC is where the guest finds its virtual GICv3: the emulated distributor
// and the guest's own redistributors, one RedistributorFrameSize block per
// vCPU in vCPU order.
type GIC struct {
	DistBase   uint64
	DistSize   uint64
	RedistBase uint64
	RedistSize uint64
}

// Timer holds the generic timer's four PPIs as GIC INTIDs (16..31), in the
// order of the arm,armv8-timer binding.
type Timer struct {
	SecurePhysIRQ uint32 // secure EL1 physical timer
	PhysIRQ       uint32 // non-secure EL1 physical timer
	VirtIRQ       uint32 // EL1 virtual timer
	HypIRQ        uint32 // EL2 physical timer
}

// PSCI says how the guest calls PSCI.
type PSCI struct {
	// Conduit is "hvc" or "smc".
	Conduit string
}

// Chosen holds the boot parameters of the /chosen node.
type Chosen struct {
	// Bootargs is the kernel command line; empty for none.
	Bootargs string
	// StdoutPath is the console's node path, optionally followed by
	// ":options" (such as "/serial@9000000:115200n8"). Empty selects the
	// Console's node when there is one.
	StdoutPath string
	// InitrdStart and InitrdEnd bound the initial ramdisk [start, end);
	// both zero for none.
	InitrdStart uint64
	InitrdEnd   uint64
}

// Console is a PL011 UART. It is clocked like QEMU virt's: one 24 MHz fixed
// clock serves as both its UARTCLK and its APB clock.
type Console struct {
	Base uint64
	Size uint64
	// SPI is the UART's interrupt as a GIC INTID (32 and up).
	SPI uint32
}

// Device is a device passed through to the guest. Its node is named
// Name@base, base being the first MMIO region's.
type Device struct {
	Name string
	// Compatible is the compatible stringlist, most specific first.
	Compatible []string
	MMIO       []Region
	// SPIs are the device's interrupts as GIC INTIDs (32 and up),
	// described as level-sensitive, active high.
	SPIs []uint32
	// DMACoherent marks a device whose DMA is cache coherent.
	DMACoherent bool
	// PCI makes the device a PCIe host bridge: its node follows the
	// generic ECAM binding. MMIO and SPIs still list its ECAM and
	// windows and its INTx lines, and are checked as any device's.
	PCI *PCIHost
	// Alias, when set, names the device in /aliases (such as serial2):
	// some drivers number their instance by it, and Linux's i.MX UART
	// driver refuses a UART without one.
	Alias string
	// Clocks are the input clocks the device's binding requires, in
	// clock-names order. Each becomes a reference to a fixed clock of
	// its rate, one node per rate.
	Clocks []Clock
	// GPIOController marks a GPIO controller that is the interrupt
	// controller of its lines too, with two-cell specifiers for both
	// (gpio-controller, #gpio-cells, interrupt-controller,
	// #interrupt-cells).
	GPIOController bool
}

// PCIHost is a generic ECAM PCIe host bridge (binding
// pci/host-generic-pci.yaml). Its node is named pcie@ECAM.Base; the guest's
// kernel enumerates the bus and assigns the devices' BARs within the
// windows. Without msi-parent, the devices interrupt through INTx.
type PCIHost struct {
	// ECAM is the configuration space, 1 MiB per bus from bus 0.
	ECAM Region
	// IO is the I/O window (PCI I/O address 0 at IO.Base); Mem the
	// 32-bit memory window, PCI address = guest address.
	IO  Region
	Mem Region
	// INTx are the SPIs (GIC INTIDs) of slot 0's INTA..INTD; slot s's
	// pin p raises INTx[(s+p)%4].
	INTx [4]uint32
}

// Clock is one input clock of a device: its clock-names entry and rate.
type Clock struct {
	Name string
	Hz   uint32
}

// Constants of the bindings the generated nodes follow (Linux
// Documentation/devicetree/bindings/: interrupt-controller/arm,gic-v3.yaml,
// timer/arm,arch_timer.yaml, arm/psci.yaml, serial/arm,pl011.yaml,
// arm/primecell.yaml) and of the GIC architecture (IHI 0069).
const (
	// RedistributorFrameSize is one CPU's redistributor: the RD_base and
	// SGI_base 64 KiB frames (IHI 0069, 12.10).
	RedistributorFrameSize = 0x2_0000
	// gicFrameAlign: every GIC register frame is 64 KiB aligned (IHI 0069, 12.1).
	gicFrameAlign = 0x1_0000
	// pageSize is the stage-2 granule (DESIGN.md, "Memory"): anything the
	// guest maps is mapped in whole pages.
	pageSize = 0x1000

	// MaxCPUs bounds the vCPUs of a guest: its MPIDRs differ in Aff0
	// only, and an SGI reaches Aff0 0..15 through the 16-bit TargetList
	// of ICC_SGI1R_EL1 (IHI 0069, ICC_SGI1R_EL1).
	MaxCPUs = 16

	// INTID ranges (IHI 0069, 2.2 "INTIDs").
	firstPPI = 16
	lastPPI  = 31
	firstSPI = 32
	lastSPI  = 1019

	// The GIC interrupt specifier: <type number flags> (arm,gic-v3.yaml).
	gicInterruptCells  = 3
	gicSPI             = 0 // type cell of an SPI; number = INTID - 32
	gicPPI             = 1 // type cell of a PPI; number = INTID - 16
	gicLevelActiveHigh = 4 // flags cell: IRQ_TYPE_LEVEL_HIGH

	// The fixed clock PL011 and other PrimeCells get, as on QEMU virt.
	primecellClockHz   = 24_000_000
	primecellClockName = "clk24mhz"

	// Cell counts of the root and /cpus (#address-cells, #size-cells).
	rootAddressCells = 2
	rootSizeCells    = 2
	cpuAddressCells  = 1

	pl011Compatible = "arm,pl011"
	pl061Compatible = "arm,pl061"
	// sbsaWatchdogCompatible is the SBSA Generic Watchdog's
	// (Documentation/devicetree/bindings/watchdog/arm,sbsa-gwdt.yaml).
	sbsaWatchdogCompatible = "arm,sbsa-gwdt"
	primecellCompatible    = "arm,primecell"
)

// Generate validates g and returns its device tree blob.
func Generate(g Guest) ([]byte, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	w := fdt.NewWriter()
	gw := &guestWriter{w: w, g: &g}
	var err error
	if gw.gicPhandle, err = w.NewPhandle(); err != nil {
		return nil, gw.wrap(err)
	}
	if g.needsClock() {
		if gw.clockPhandle, err = w.NewPhandle(); err != nil {
			return nil, gw.wrap(err)
		}
	}
	for _, hz := range g.deviceClockRates() {
		phandle, err := w.NewPhandle()
		if err != nil {
			return nil, gw.wrap(err)
		}
		gw.fixedClocks = append(gw.fixedClocks, fixedClock{hz: hz, phandle: phandle})
	}
	// One call per node, in the order the nodes appear under the root.
	for _, writeNode := range []func() error{
		gw.beginRoot,
		gw.aliases,
		gw.chosen,
		gw.memory,
		gw.cpus,
		gw.psci,
		gw.timer,
		gw.gic,
		gw.clock,
		gw.deviceClocks,
		gw.console,
		gw.devices,
		gw.watchdog,
		gw.doorbells,
		w.EndNode, // the root
	} {
		if err := writeNode(); err != nil {
			return nil, gw.wrap(err)
		}
	}
	blob, err := w.Finish()
	if err != nil {
		return nil, gw.wrap(err)
	}
	return blob, nil
}

// guestWriter writes the nodes of one guest's tree.
type guestWriter struct {
	w            *fdt.Writer
	g            *Guest
	gicPhandle   uint32
	clockPhandle uint32 // 0 when no node needs the clock
	// fixedClocks are the devices' clocks, one per rate, in rate order.
	fixedClocks []fixedClock
}

type fixedClock struct {
	hz      uint32
	phandle uint32
}

// fixedClockPhandle returns the phandle of the fixed clock of rate hz.
func (gw *guestWriter) fixedClockPhandle(hz uint32) uint32 {
	for _, c := range gw.fixedClocks {
		if c.hz == hz {
			return c.phandle
		}
	}
	return 0 // not reached: deviceClockRates lists every rate
}

func (gw *guestWriter) wrap(err error) error {
	return fmt.Errorf("partition %q: writing its device tree: %w", gw.g.Name, err)
}

// firstError returns the first non-nil error. A node's calls are listed as
// its arguments; since the Writer's first error sticks, calls after a
// failed one change nothing and return that error again.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (gw *guestWriter) beginRoot() error {
	w := gw.w
	return firstError(
		w.BeginNode(""),
		w.PropU32("#address-cells", rootAddressCells),
		w.PropU32("#size-cells", rootSizeCells),
		w.PropString("compatible", "tamavisor,partition"),
		w.PropString("model", "Tamavisor partition "+gw.g.Name),
		w.PropU32("interrupt-parent", gw.gicPhandle),
	)
}

// aliases writes /aliases when a device has an alias: the path of its
// node under each alias name.
func (gw *guestWriter) aliases() error {
	if !slices.ContainsFunc(gw.g.Devices, func(d Device) bool { return d.Alias != "" }) {
		return nil
	}
	w := gw.w
	if err := w.BeginNode("aliases"); err != nil {
		return err
	}
	for _, d := range gw.g.Devices {
		if d.Alias == "" {
			continue
		}
		if err := w.PropString(d.Alias, "/"+d.nodeName()); err != nil {
			return err
		}
	}
	return w.EndNode()
}

func (gw *guestWriter) chosen() error {
	w, c := gw.w, gw.g.Chosen
	if err := w.BeginNode("chosen"); err != nil {
		return err
	}
	if c.Bootargs != "" {
		if err := w.PropString("bootargs", c.Bootargs); err != nil {
			return err
		}
	}
	if path := gw.g.stdoutPath(); path != "" {
		if err := w.PropString("stdout-path", path); err != nil {
			return err
		}
	}
	if c.hasInitrd() {
		if err := firstError(
			w.PropU64("linux,initrd-start", c.InitrdStart),
			w.PropU64("linux,initrd-end", c.InitrdEnd),
		); err != nil {
			return err
		}
	}
	return w.EndNode()
}

func (gw *guestWriter) memory() error {
	w := gw.w
	for _, m := range gw.g.Memory {
		if err := firstError(
			w.BeginNode(unitName("memory", m.IPA)),
			w.PropString("device_type", "memory"),
			w.PropU64("reg", m.IPA, m.Size),
			w.EndNode(),
		); err != nil {
			return err
		}
	}
	return nil
}

func (gw *guestWriter) cpus() error {
	w := gw.w
	if err := firstError(
		w.BeginNode("cpus"),
		w.PropU32("#address-cells", cpuAddressCells),
		w.PropU32("#size-cells", 0),
	); err != nil {
		return err
	}
	for i := range gw.g.CPUs {
		if err := firstError(
			w.BeginNode(unitName("cpu", uint64(i))),
			w.PropString("device_type", "cpu"),
			w.PropString("compatible", "arm,armv8"),
			w.PropU32("reg", uint32(i)), // MPIDR affinity 0.0.0.i
			w.PropString("enable-method", "psci"),
			w.EndNode(),
		); err != nil {
			return err
		}
	}
	return w.EndNode()
}

func (gw *guestWriter) psci() error {
	w := gw.w
	return firstError(
		w.BeginNode("psci"),
		w.PropStrings("compatible", "arm,psci-1.0", "arm,psci-0.2"),
		w.PropString("method", gw.g.PSCI.Conduit),
		w.EndNode(),
	)
}

func (gw *guestWriter) timer() error {
	w, t := gw.w, gw.g.Timer
	return firstError(
		w.BeginNode("timer"),
		w.PropString("compatible", "arm,armv8-timer"),
		w.PropU32("interrupts", ppiSpecifiers(t.SecurePhysIRQ, t.PhysIRQ, t.VirtIRQ, t.HypIRQ)...),
		w.PropEmpty("always-on"),
		w.EndNode(),
	)
}

func (gw *guestWriter) gic() error {
	w, gic := gw.w, gw.g.GIC
	return firstError(
		w.BeginNode(unitName("interrupt-controller", gic.DistBase)),
		w.PropString("compatible", "arm,gic-v3"),
		w.PropU32("#interrupt-cells", gicInterruptCells),
		// dtc wants #address-cells in every interrupt provider, for
		// interrupt-map parents; the GIC has no children, so 0.
		w.PropU32("#address-cells", 0),
		w.PropEmpty("interrupt-controller"),
		w.PropU64("reg", gic.DistBase, gic.DistSize, gic.RedistBase, gic.RedistSize),
		w.PropU32("#redistributor-regions", 1),
		w.PropU32("phandle", gw.gicPhandle),
		w.EndNode(),
	)
}

// clock writes the fixed clock PrimeCell devices name in their clocks
// property (primecell.yaml: every PrimeCell has an "apb_pclk").
func (gw *guestWriter) clock() error {
	if gw.clockPhandle == 0 {
		return nil
	}
	w := gw.w
	return firstError(
		w.BeginNode("apb-pclk"),
		w.PropString("compatible", "fixed-clock"),
		w.PropU32("#clock-cells", 0),
		w.PropU32("clock-frequency", primecellClockHz),
		w.PropString("clock-output-names", primecellClockName),
		w.PropU32("phandle", gw.clockPhandle),
		w.EndNode(),
	)
}

// deviceClocks writes one fixed clock per rate the devices' clocks
// have (binding clock/fixed-clock.yaml): the rate the platform firmware
// leaves the real clock at, which no partition may change.
func (gw *guestWriter) deviceClocks() error {
	w := gw.w
	for _, c := range gw.fixedClocks {
		if err := firstError(
			w.BeginNode(fmt.Sprintf("clock-%d", c.hz)),
			w.PropString("compatible", "fixed-clock"),
			w.PropU32("#clock-cells", 0),
			w.PropU32("clock-frequency", c.hz),
			w.PropU32("phandle", c.phandle),
			w.EndNode(),
		); err != nil {
			return err
		}
	}
	return nil
}

// console writes the PL011, whose binding asks for two clocks: UARTCLK,
// which sets the baud rate, and the APB clock.
func (gw *guestWriter) console() error {
	c := gw.g.Console
	if c == nil {
		return nil
	}
	w := gw.w
	return firstError(
		w.BeginNode(c.nodeName()),
		w.PropStrings("compatible", pl011Compatible, primecellCompatible),
		w.PropU64("reg", c.Base, c.Size),
		w.PropU32("interrupts", spiSpecifiers(c.SPI)...),
		w.PropU32("clocks", gw.clockPhandle, gw.clockPhandle),
		w.PropStrings("clock-names", "uartclk", "apb_pclk"),
		w.EndNode(),
	)
}

// watchdog writes the SBSA watchdog: control frame first, as the binding
// orders them.
func (gw *guestWriter) watchdog() error {
	wd := gw.g.Watchdog
	if wd == nil {
		return nil
	}
	w := gw.w
	return firstError(
		w.BeginNode(unitName("watchdog", wd.Control.Base)),
		w.PropStrings("compatible", sbsaWatchdogCompatible),
		w.PropU64("reg", wd.Control.Base, wd.Control.Size, wd.Refresh.Base, wd.Refresh.Size),
		w.PropU32("timeout-sec", wd.TimeoutSec),
		w.EndNode(),
	)
}

// doorbells writes one GPIO controller per channel doorbell: an
// interrupt controller too, so that a guest's driver can take each ring as
// an edge on line 0.
func (gw *guestWriter) doorbells() error {
	w := gw.w
	for _, d := range gw.g.Doorbells {
		if err := firstError(
			w.BeginNode(unitName(d.Channel, d.Frame.Base)),
			w.PropStrings("compatible", pl061Compatible, primecellCompatible),
			w.PropU64("reg", d.Frame.Base, d.Frame.Size, d.Memory.Base, d.Memory.Size),
			w.PropU32("interrupts", spiSpecifiers(d.SPI)...),
			w.PropEmpty("gpio-controller"),
			w.PropU32("#gpio-cells", 2),
			w.PropEmpty("interrupt-controller"),
			w.PropU32("#interrupt-cells", 2),
			w.PropStrings("gpio-line-names", "doorbell", "ring"),
			w.PropU32("clocks", gw.clockPhandle),
			w.PropString("clock-names", "apb_pclk"),
			w.EndNode(),
		); err != nil {
			return err
		}
	}
	return nil
}

func (gw *guestWriter) devices() error {
	w := gw.w
	for _, d := range gw.g.Devices {
		if d.PCI != nil {
			if err := gw.pciHost(d.PCI); err != nil {
				return err
			}
			continue
		}
		if err := firstError(
			w.BeginNode(d.nodeName()),
			w.PropStrings("compatible", d.Compatible...),
			w.PropU64("reg", regCells(d.MMIO)...),
		); err != nil {
			return err
		}
		if len(d.SPIs) > 0 {
			if err := w.PropU32("interrupts", spiSpecifiers(d.SPIs...)...); err != nil {
				return err
			}
		}
		if d.isPrimecell() {
			if err := firstError(
				w.PropU32("clocks", gw.clockPhandle),
				w.PropString("clock-names", "apb_pclk"),
			); err != nil {
				return err
			}
		}
		if len(d.Clocks) > 0 {
			var phandles []uint32
			var names []string
			for _, c := range d.Clocks {
				phandles = append(phandles, gw.fixedClockPhandle(c.Hz))
				names = append(names, c.Name)
			}
			if err := firstError(
				w.PropU32("clocks", phandles...),
				w.PropStrings("clock-names", names...),
			); err != nil {
				return err
			}
		}
		if d.GPIOController {
			if err := firstError(
				w.PropEmpty("gpio-controller"),
				w.PropU32("#gpio-cells", 2),
				w.PropEmpty("interrupt-controller"),
				w.PropU32("#interrupt-cells", 2),
				// As for the GIC: dtc wants it in every
				// interrupt provider; no children, so 0.
				w.PropU32("#address-cells", 0),
			); err != nil {
				return err
			}
		}
		if d.DMACoherent {
			if err := w.PropEmpty("dma-coherent"); err != nil {
				return err
			}
		}
		if err := w.EndNode(); err != nil {
			return err
		}
	}
	return nil
}

// PCI bus address cells (binding pci/pci-bus-common.yaml, IEEE 1275 PCI
// bus binding): phys.hi holds the space code in bits 25:24 and the
// device number in bits 15:11.
const (
	pciAddressCells   = 3
	pciSizeCells      = 2
	pciSpaceIO        = 0x0100_0000
	pciSpaceMem32     = 0x0200_0000
	pciDeviceShift    = 11
	pciConfigPerBus   = 1 << 20 // ECAM: 32 devices x 8 functions x 4 KiB
	pciINTxPins       = 4
	pciPinMask        = 7 // interrupt-map-mask of the pin cell
	pciInterruptCells = 1
)

// pciHost writes a generic ECAM host bridge: its buses, windows and the
// INTx swizzle of interrupt-map (for slot s and pin p, INTx[(s+p)%4]), the
// same map QEMU virt writes. dma-coherent: QEMU's PCIe DMA is coherent.
func (gw *guestWriter) pciHost(p *PCIHost) error {
	w := gw.w
	buses := p.ECAM.Size / pciConfigPerBus
	ranges := []uint32{}
	for _, win := range []struct {
		space    uint32
		pci, cpu uint64
		size     uint64
	}{{pciSpaceIO, 0, p.IO.Base, p.IO.Size}, {pciSpaceMem32, p.Mem.Base, p.Mem.Base, p.Mem.Size}} {
		if win.size == 0 {
			continue
		}
		ranges = append(ranges, win.space, uint32(win.pci>>32), uint32(win.pci),
			uint32(win.cpu>>32), uint32(win.cpu), uint32(win.size>>32), uint32(win.size))
	}
	// The GIC node has #address-cells = 0: each entry is the child
	// address (3 cells) and pin, the GIC's phandle, and its specifier.
	var imap []uint32
	for slot := uint32(0); slot < pciINTxPins; slot++ {
		for pin := uint32(0); pin < pciINTxPins; pin++ {
			spi := p.INTx[(slot+pin)%pciINTxPins]
			imap = append(imap, slot<<pciDeviceShift, 0, 0, pin+1, gw.gicPhandle)
			imap = append(imap, spiSpecifiers(spi)...)
		}
	}
	return firstError(
		w.BeginNode(unitName("pcie", p.ECAM.Base)),
		w.PropString("compatible", "pci-host-ecam-generic"),
		w.PropString("device_type", "pci"),
		w.PropU64("reg", p.ECAM.Base, p.ECAM.Size),
		w.PropU32("bus-range", 0, uint32(buses-1)),
		w.PropU32("#address-cells", pciAddressCells),
		w.PropU32("#size-cells", pciSizeCells),
		w.PropU32("ranges", ranges...),
		w.PropU32("#interrupt-cells", pciInterruptCells),
		w.PropU32("interrupt-map-mask", (pciINTxPins-1)<<pciDeviceShift, 0, 0, pciPinMask),
		w.PropU32("interrupt-map", imap...),
		w.PropEmpty("dma-coherent"),
		w.EndNode(),
	)
}

// unitName returns "name@address" with the address in lower-case hex
// without leading zeros, the form dtc checks unit addresses for.
func unitName(name string, address uint64) string {
	return fmt.Sprintf("%s@%x", name, address)
}

func (c *Console) nodeName() string { return unitName("serial", c.Base) }
func (d *Device) nodeName() string {
	if d.PCI != nil {
		return unitName("pcie", d.PCI.ECAM.Base)
	}
	return unitName(d.Name, d.MMIO[0].Base)
}

func (d *Device) isPrimecell() bool {
	return slices.Contains(d.Compatible, primecellCompatible)
}

func (c Chosen) hasInitrd() bool {
	return c.InitrdStart != 0 || c.InitrdEnd != 0
}

// needsClock reports whether any node refers to the PrimeCell clock.
func (g *Guest) needsClock() bool {
	if g.Console != nil || len(g.Doorbells) > 0 {
		return true
	}
	return slices.ContainsFunc(g.Devices, func(d Device) bool { return d.isPrimecell() })
}

// deviceClockRates returns the distinct rates of the devices' clocks,
// in increasing order.
func (g *Guest) deviceClockRates() []uint32 {
	var rates []uint32
	for _, d := range g.Devices {
		for _, c := range d.Clocks {
			if !slices.Contains(rates, c.Hz) {
				rates = append(rates, c.Hz)
			}
		}
	}
	slices.Sort(rates)
	return rates
}

// stdoutPath returns the stdout-path to write: the configured one, else
// the console's node, else none.
func (g *Guest) stdoutPath() string {
	switch {
	case g.Chosen.StdoutPath != "":
		return g.Chosen.StdoutPath
	case g.Console != nil:
		return "/" + g.Console.nodeName()
	}
	return ""
}

func regCells(regions []Region) []uint64 {
	cells := make([]uint64, 0, 2*len(regions))
	for _, r := range regions {
		cells = append(cells, r.Base, r.Size)
	}
	return cells
}

func spiSpecifiers(intids ...uint32) []uint32 {
	cells := make([]uint32, 0, gicInterruptCells*len(intids))
	for _, intid := range intids {
		cells = append(cells, gicSPI, intid-firstSPI, gicLevelActiveHigh)
	}
	return cells
}

func ppiSpecifiers(intids ...uint32) []uint32 {
	cells := make([]uint32, 0, gicInterruptCells*len(intids))
	for _, intid := range intids {
		cells = append(cells, gicPPI, intid-firstPPI, gicLevelActiveHigh)
	}
	return cells
}
