package dtb

import (
	"bytes"
	"encoding/binary"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/board/imx8mpevk"
	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/internal/fdt"
)

var update = flag.Bool("update", false, "rewrite testdata/*.dts from the generated device trees (review the diff before committing)")

// QEMU virt's timer PPIs; the secure one is absent from the board package
// because the hypervisor never uses it.
var qemuTimer = Timer{
	SecurePhysIRQ: 16 + 13,
	PhysIRQ:       qemuvirt.PhysTimerIRQ,
	VirtIRQ:       qemuvirt.VirtTimerIRQ,
	HypIRQ:        qemuvirt.HypTimerIRQ,
}

// qemuGIC returns the virtual GIC of a guest with cpus vCPUs at QEMU virt's
// GIC addresses, as the identity IPA map gives it.
func qemuGIC(cpus int) GIC {
	return GIC{
		DistBase:   qemuvirt.GICDBase,
		DistSize:   qemuvirt.GICDSize,
		RedistBase: qemuvirt.GICRBase,
		RedistSize: uint64(cpus) * RedistributorFrameSize,
	}
}

func qemuConsole() *Console {
	return &Console{Base: qemuvirt.UART0Base, Size: qemuvirt.UART0Size, SPI: qemuvirt.UART0IRQ}
}

// linuxGuest is a 2-CPU Linux guest with two RAM regions, an initrd and a
// command line.
func linuxGuest() Guest {
	return Guest{
		Name: "linux",
		Memory: []MemoryRegion{
			{IPA: 0x4800_0000, Size: 0x1000_0000},
			{IPA: 0x6000_0000, Size: 0x400_0000},
		},
		CPUs:  2,
		GIC:   qemuGIC(2),
		Timer: qemuTimer,
		PSCI:  PSCI{Conduit: "hvc"},
		Chosen: Chosen{
			Bootargs:    "console=ttyAMA0 earlycon rdinit=/sbin/init",
			InitrdStart: 0x5000_0000,
			InitrdEnd:   0x5012_3400,
		},
		Console: qemuConsole(),
	}
}

// bareMetalGuest is a 1-CPU guest without command line or initrd that
// calls PSCI through SMC.
func bareMetalGuest() Guest {
	return Guest{
		Name:    "ecu",
		Memory:  []MemoryRegion{{IPA: 0x5800_0000, Size: 0x200_0000}},
		CPUs:    1,
		GIC:     qemuGIC(1),
		Timer:   qemuTimer,
		PSCI:    PSCI{Conduit: "smc"},
		Console: qemuConsole(),
	}
}

// passthroughGuest is a 3-CPU guest without a console that owns QEMU
// virt's RTC (a PrimeCell, so it needs the APB clock) and one virtio-mmio
// transport page (DMA coherent).
func passthroughGuest() Guest {
	return Guest{
		Name:   "gateway",
		Memory: []MemoryRegion{{IPA: 0x7000_0000, Size: 0x800_0000}},
		CPUs:   3,
		GIC:    qemuGIC(3),
		Timer:  qemuTimer,
		PSCI:   PSCI{Conduit: "hvc"},
		Chosen: Chosen{Bootargs: "quiet"},
		Devices: []Device{
			{
				Name:       "rtc",
				Compatible: []string{"arm,pl031", "arm,primecell"},
				MMIO:       []Region{{Base: qemuvirt.RTCBase, Size: qemuvirt.PageSize}},
				SPIs:       []uint32{qemuvirt.RTCIRQ},
			},
			{
				Name:        "virtio-mmio",
				Compatible:  []string{"virtio,mmio"},
				MMIO:        []Region{{Base: qemuvirt.VirtioBase, Size: qemuvirt.PageSize}},
				SPIs:        []uint32{qemuvirt.VirtioIRQBase},
				DMACoherent: true,
			},
			{
				Name:       "pcie",
				Compatible: []string{"pci-host-ecam-generic"},
				MMIO: []Region{{Base: qemuvirt.PCIeMMIOBase, Size: qemuvirt.PCIeMMIOSize},
					{Base: qemuvirt.PCIePIOBase, Size: qemuvirt.PCIePIOSize},
					{Base: qemuvirt.PCIeECAMBase, Size: qemuvirt.PCIeECAMSize}},
				SPIs: []uint32{35, 36, 37, 38},
				PCI: &PCIHost{
					ECAM: Region{Base: qemuvirt.PCIeECAMBase, Size: qemuvirt.PCIeECAMSize},
					IO:   Region{Base: qemuvirt.PCIePIOBase, Size: qemuvirt.PCIePIOSize},
					Mem:  Region{Base: qemuvirt.PCIeMMIOBase, Size: qemuvirt.PCIeMMIOSize},
					INTx: [4]uint32{35, 36, 37, 38},
				},
			},
		},
	}
}

// imx8mpGuest is the Linux partition of configs/imx8mp-evk.yaml: two
// vCPUs with the virtual GIC at the SoC's GIC addresses, the virtual PL011
// at UART2's, and UART3 and GPIO1 passed through as the board describes
// them, so that Linux's i.MX drivers bind them without the clock
// controller: compatible strings with their fallbacks, the UART's alias
// and fixed clocks, the GPIO bank's controller properties.
func imx8mpGuest() Guest {
	uart3, _ := imx8mpevk.Board.Device("uart3")
	gpio1, _ := imx8mpevk.Board.Device("gpio1")
	device := func(d board.Device) Device {
		out := Device{Name: d.Name, Compatible: append([]string{d.Compatible}, d.Fallbacks...),
			SPIs: d.IRQs, Alias: d.Alias, GPIOController: d.GPIOController}
		for _, r := range d.MMIO {
			out.MMIO = append(out.MMIO, Region{Base: r.Base, Size: r.Size})
		}
		for _, c := range d.Clocks {
			out.Clocks = append(out.Clocks, Clock{Name: c.Name, Hz: c.Hz})
		}
		return out
	}
	return Guest{
		Name:   "infotainment",
		Memory: []MemoryRegion{{IPA: 0x5000_0000, Size: 0x2000_0000}},
		CPUs:   2,
		GIC: GIC{DistBase: imx8mpevk.GICDBase, DistSize: imx8mpevk.GICDSize,
			RedistBase: imx8mpevk.GICRBase, RedistSize: 2 * RedistributorFrameSize},
		Timer: Timer{SecurePhysIRQ: 16 + 13, PhysIRQ: imx8mpevk.PhysTimerIRQ,
			VirtIRQ: imx8mpevk.VirtTimerIRQ, HypIRQ: imx8mpevk.HypTimerIRQ},
		PSCI:    PSCI{Conduit: "hvc"},
		Chosen:  Chosen{Bootargs: "console=ttyAMA0 earlycon"},
		Console: &Console{Base: imx8mpevk.UART2Base, Size: imx8mpevk.PeripheralSize, SPI: imx8mpevk.UART2IRQ},
		Devices: []Device{device(uart3), device(gpio1)},
	}
}

// Expected values, encoded as the DTB holds them.
func cells(values ...uint32) []byte {
	var b []byte
	for _, v := range values {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b
}

func u64s(values ...uint64) []byte {
	var b []byte
	for _, v := range values {
		b = binary.BigEndian.AppendUint64(b, v)
	}
	return b
}

func stringlist(values ...string) []byte {
	return []byte(strings.Join(values, "\x00") + "\x00")
}

type propertyWant struct {
	path, name string
	value      []byte // nil for an empty property
}

type propertyRef struct{ path, name string }

var goldenTests = []struct {
	name  string // also the golden file's name, testdata/<name>.dts
	guest Guest
	// nodes lists every node path in blob order.
	nodes []string
	// properties are values the guest's OS depends on.
	properties []propertyWant
	// absent are properties that must not be there.
	absent []propertyRef
}{
	{
		name:  "linux-2cpu",
		guest: linuxGuest(),
		nodes: []string{
			"/", "/chosen", "/memory@48000000", "/memory@60000000",
			"/cpus", "/cpus/cpu@0", "/cpus/cpu@1", "/psci", "/timer",
			"/interrupt-controller@8000000", "/apb-pclk", "/serial@9000000",
		},
		properties: []propertyWant{
			{"/", "#address-cells", cells(2)},
			{"/", "#size-cells", cells(2)},
			{"/", "compatible", stringlist("tamavisor,partition")},
			{"/", "model", stringlist("Tamavisor partition linux")},
			{"/", "interrupt-parent", cells(1)},
			{"/chosen", "bootargs", stringlist("console=ttyAMA0 earlycon rdinit=/sbin/init")},
			{"/chosen", "stdout-path", stringlist("/serial@9000000")},
			{"/chosen", "linux,initrd-start", u64s(0x5000_0000)},
			{"/chosen", "linux,initrd-end", u64s(0x5012_3400)},
			{"/memory@48000000", "device_type", stringlist("memory")},
			{"/memory@48000000", "reg", u64s(0x4800_0000, 0x1000_0000)},
			{"/memory@60000000", "reg", u64s(0x6000_0000, 0x400_0000)},
			{"/cpus", "#address-cells", cells(1)},
			{"/cpus", "#size-cells", cells(0)},
			{"/cpus/cpu@0", "reg", cells(0)},
			{"/cpus/cpu@1", "reg", cells(1)},
			{"/cpus/cpu@1", "device_type", stringlist("cpu")},
			{"/cpus/cpu@1", "compatible", stringlist("arm,armv8")},
			{"/cpus/cpu@1", "enable-method", stringlist("psci")},
			{"/psci", "compatible", stringlist("arm,psci-1.0", "arm,psci-0.2")},
			{"/psci", "method", stringlist("hvc")},
			{"/timer", "compatible", stringlist("arm,armv8-timer")},
			{"/timer", "interrupts", cells(1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4)},
			{"/timer", "always-on", nil},
			{"/interrupt-controller@8000000", "compatible", stringlist("arm,gic-v3")},
			{"/interrupt-controller@8000000", "#interrupt-cells", cells(3)},
			{"/interrupt-controller@8000000", "interrupt-controller", nil},
			{"/interrupt-controller@8000000", "reg", u64s(0x800_0000, 0x1_0000, 0x80a_0000, 0x4_0000)},
			{"/interrupt-controller@8000000", "#redistributor-regions", cells(1)},
			{"/interrupt-controller@8000000", "phandle", cells(1)},
			{"/apb-pclk", "compatible", stringlist("fixed-clock")},
			{"/apb-pclk", "clock-frequency", cells(24_000_000)},
			{"/apb-pclk", "#clock-cells", cells(0)},
			{"/apb-pclk", "phandle", cells(2)},
			{"/serial@9000000", "compatible", stringlist("arm,pl011", "arm,primecell")},
			{"/serial@9000000", "reg", u64s(0x900_0000, 0x1000)},
			{"/serial@9000000", "interrupts", cells(0, 1, 4)},
			{"/serial@9000000", "clocks", cells(2, 2)},
			{"/serial@9000000", "clock-names", stringlist("uartclk", "apb_pclk")},
		},
	},
	{
		name:  "baremetal-1cpu",
		guest: bareMetalGuest(),
		nodes: []string{
			"/", "/chosen", "/memory@58000000", "/cpus", "/cpus/cpu@0", "/psci", "/timer",
			"/interrupt-controller@8000000", "/apb-pclk", "/serial@9000000",
		},
		properties: []propertyWant{
			{"/", "model", stringlist("Tamavisor partition ecu")},
			{"/chosen", "stdout-path", stringlist("/serial@9000000")},
			{"/memory@58000000", "reg", u64s(0x5800_0000, 0x200_0000)},
			{"/cpus/cpu@0", "reg", cells(0)},
			{"/psci", "method", stringlist("smc")},
			{"/interrupt-controller@8000000", "reg", u64s(0x800_0000, 0x1_0000, 0x80a_0000, 0x2_0000)},
		},
		absent: []propertyRef{
			{"/chosen", "bootargs"},
			{"/chosen", "linux,initrd-start"},
			{"/chosen", "linux,initrd-end"},
		},
	},
	{
		name:  "passthrough",
		guest: passthroughGuest(),
		nodes: []string{
			"/", "/chosen", "/memory@70000000", "/cpus", "/cpus/cpu@0", "/cpus/cpu@1", "/cpus/cpu@2",
			"/psci", "/timer", "/interrupt-controller@8000000", "/apb-pclk",
			"/rtc@9010000", "/virtio-mmio@a000000", "/pcie@4010000000",
		},
		properties: []propertyWant{
			{"/chosen", "bootargs", stringlist("quiet")},
			{"/cpus/cpu@2", "reg", cells(2)},
			{"/interrupt-controller@8000000", "reg", u64s(0x800_0000, 0x1_0000, 0x80a_0000, 0x6_0000)},
			{"/rtc@9010000", "compatible", stringlist("arm,pl031", "arm,primecell")},
			{"/rtc@9010000", "reg", u64s(0x901_0000, 0x1000)},
			{"/rtc@9010000", "interrupts", cells(0, 2, 4)},
			{"/rtc@9010000", "clocks", cells(2)},
			{"/rtc@9010000", "clock-names", stringlist("apb_pclk")},
			{"/virtio-mmio@a000000", "compatible", stringlist("virtio,mmio")},
			{"/virtio-mmio@a000000", "reg", u64s(0xa00_0000, 0x1000)},
			{"/virtio-mmio@a000000", "interrupts", cells(0, 16, 4)},
			{"/virtio-mmio@a000000", "dma-coherent", nil},
			// The host bridge: ECAM for 256 buses, the I/O and 32-bit
			// windows, and slot 1's INTA on the second line (swizzle).
			{"/pcie@4010000000", "reg", u64s(0x40_1000_0000, 0x1000_0000)},
			{"/pcie@4010000000", "bus-range", cells(0, 255)},
			{"/pcie@4010000000", "ranges", cells(0x0100_0000, 0, 0, 0, 0x3eff_0000, 0, 0x1_0000,
				0x0200_0000, 0, 0x1000_0000, 0, 0x1000_0000, 0, 0x2eff_0000)},
			{"/pcie@4010000000", "interrupt-map-mask", cells(0x1800, 0, 0, 7)},
		},
		absent: []propertyRef{
			{"/chosen", "stdout-path"},
			{"/rtc@9010000", "dma-coherent"},
			{"/virtio-mmio@a000000", "clocks"},
		},
	},
	{
		name:  "imx8mp-linux",
		guest: imx8mpGuest(),
		nodes: []string{
			"/", "/aliases", "/chosen", "/memory@50000000", "/cpus", "/cpus/cpu@0", "/cpus/cpu@1",
			"/psci", "/timer", "/interrupt-controller@38800000", "/apb-pclk", "/clock-24000000",
			"/serial@30890000", "/uart3@30880000", "/gpio1@30200000",
		},
		properties: []propertyWant{
			// The i.MX UART driver takes its line from the alias and
			// refuses a UART without one; gpio-mxc numbers its
			// lines by its own.
			{"/aliases", "serial2", stringlist("/uart3@30880000")},
			{"/aliases", "gpio0", stringlist("/gpio1@30200000")},
			{"/chosen", "stdout-path", stringlist("/serial@30890000")},
			{"/psci", "method", stringlist("hvc")},
			{"/timer", "interrupts", cells(1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4)},
			{"/interrupt-controller@38800000", "reg", u64s(0x3880_0000, 0x1_0000, 0x3888_0000, 0x4_0000)},
			{"/clock-24000000", "compatible", stringlist("fixed-clock")},
			{"/clock-24000000", "clock-frequency", cells(24_000_000)},
			{"/clock-24000000", "#clock-cells", cells(0)},
			{"/clock-24000000", "phandle", cells(3)},
			// The virtual console is a PL011 at UART2's address and
			// interrupt, whatever UART2 is on the board.
			{"/serial@30890000", "compatible", stringlist("arm,pl011", "arm,primecell")},
			{"/serial@30890000", "reg", u64s(0x3089_0000, 0x1_0000)},
			{"/serial@30890000", "interrupts", cells(0, 27, 4)},
			{"/uart3@30880000", "compatible", stringlist("fsl,imx8mp-uart", "fsl,imx6q-uart")},
			{"/uart3@30880000", "reg", u64s(0x3088_0000, 0x1_0000)},
			{"/uart3@30880000", "interrupts", cells(0, 28, 4)},
			{"/uart3@30880000", "clocks", cells(3, 3)},
			{"/uart3@30880000", "clock-names", stringlist("ipg", "per")},
			{"/gpio1@30200000", "compatible", stringlist("fsl,imx8mp-gpio", "fsl,imx35-gpio")},
			{"/gpio1@30200000", "interrupts", cells(0, 64, 4, 0, 65, 4)},
			{"/gpio1@30200000", "gpio-controller", nil},
			{"/gpio1@30200000", "#gpio-cells", cells(2)},
			{"/gpio1@30200000", "interrupt-controller", nil},
			{"/gpio1@30200000", "#interrupt-cells", cells(2)},
		},
		absent: []propertyRef{
			{"/gpio1@30200000", "clocks"},
			{"/uart3@30880000", "gpio-controller"},
			{"/serial@30890000", "gpio-controller"},
		},
	},
}

// TestGenerateGolden decompiles each guest's DTB with dtc and compares the
// source with testdata/<name>.dts; any dtc warning fails the test. It also
// compiles the golden source back and expects the very bytes Generate
// wrote, so the golden files pin the blob itself, not only its content.
func TestGenerateGolden(t *testing.T) {
	dtc := requireDTC(t)
	for _, tc := range goldenTests {
		t.Run(tc.name, func(t *testing.T) {
			blob, err := Generate(tc.guest)
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			blobPath := filepath.Join(t.TempDir(), tc.name+".dtb")
			if err := os.WriteFile(blobPath, blob, 0o644); err != nil {
				t.Fatal(err)
			}
			source := runDTC(t, dtc, "-I", "dtb", "-O", "dts", blobPath)

			golden := filepath.Join("testdata", tc.name+".dts")
			if *update {
				if err := os.WriteFile(golden, source, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v; create it with go test ./partition/dtb -update", err)
			}
			if line, got, wanted, differ := firstDifference(source, want); differ {
				t.Fatalf("decompiled DTB differs from %s at line %d:\n got: %q\nwant: %q\nIf the change is intended, run go test ./partition/dtb -update and review the diff.", golden, line, got, wanted)
			}

			// Decompiled source holds phandles as plain numbers where dtc
			// expects &label references in clocks; that warning is about
			// the source form, not the tree, so only it is turned off.
			compiled := runDTC(t, dtc, "-W", "no-clocks_property", "-I", "dts", "-O", "dtb", golden)
			if !bytes.Equal(compiled, blob) {
				t.Errorf("dtc compiles %s to %d bytes that differ from the %d Generate wrote", golden, len(compiled), len(blob))
			}
		})
	}
}

// TestGenerateParsesBack reads each guest's DTB with internal/fdt and checks
// the node list and the properties the guest's OS depends on.
func TestGenerateParsesBack(t *testing.T) {
	for _, tc := range goldenTests {
		t.Run(tc.name, func(t *testing.T) {
			blob, err := Generate(tc.guest)
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			root, err := fdt.Parse(blob)
			if err != nil {
				t.Fatalf("fdt.Parse: %v", err)
			}
			if got := nodePaths(root); strings.Join(got, " ") != strings.Join(tc.nodes, " ") {
				t.Errorf("nodes:\n got %q\nwant %q", got, tc.nodes)
			}
			for _, want := range tc.properties {
				node, ok := root.Find(want.path)
				if !ok {
					t.Errorf("node %s missing", want.path)
					continue
				}
				p, ok := node.Property(want.name)
				switch {
				case !ok:
					t.Errorf("%s: property %q missing", want.path, want.name)
				case !bytes.Equal(p.Value, want.value):
					t.Errorf("%s: %s = %x, want %x", want.path, want.name, p.Value, want.value)
				}
			}
			for _, ref := range tc.absent {
				if node, ok := root.Find(ref.path); ok {
					if _, present := node.Property(ref.name); present {
						t.Errorf("%s: property %q present, want none", ref.path, ref.name)
					}
				}
			}
		})
	}
}

func nodePaths(root *fdt.Node) []string {
	var paths []string
	var walk func(n *fdt.Node, path string)
	walk = func(n *fdt.Node, path string) {
		paths = append(paths, path)
		for _, c := range n.Children {
			walk(c, strings.TrimSuffix(path, "/")+"/"+c.Name)
		}
	}
	walk(root, "/")
	return paths
}

// requireDTC returns dtc's path. dtc is a build requirement, so its absence
// fails the test rather than skipping it.
func requireDTC(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("dtc")
	if err != nil {
		t.Fatalf("dtc not found on PATH (%v): install the device-tree-compiler package (apt-get install device-tree-compiler); these tests check every generated DTB with it", err)
	}
	return path
}

// runDTC runs dtc and returns its output. Anything dtc prints on stderr,
// a warning included, fails the test.
func runDTC(t *testing.T, dtc string, args ...string) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(dtc, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("dtc %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// firstDifference returns the first line (1-based) where got and want
// differ, with both lines.
func firstDifference(got, want []byte) (line int, gotLine, wantLine string, differ bool) {
	gotLines := strings.Split(string(got), "\n")
	wantLines := strings.Split(string(want), "\n")
	for i := 0; i < max(len(gotLines), len(wantLines)); i++ {
		g, w := "(end of file)", "(end of file)"
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			return i + 1, g, w, true
		}
	}
	return 0, "", "", false
}

// A guest with a watchdog gets an arm,sbsa-gwdt node: control frame, then
// refresh frame, and its timeout in seconds.
func TestWatchdogNode(t *testing.T) {
	g := bareMetalGuest()
	g.Watchdog = &Watchdog{Control: Region{Base: 0x0a10_0000, Size: 0x1000}, Refresh: Region{Base: 0x0a10_1000, Size: 0x1000}, TimeoutSec: 1}
	blob, err := Generate(g)
	if err != nil {
		t.Fatal(err)
	}
	root, err := fdt.Parse(blob)
	if err != nil {
		t.Fatal(err)
	}
	node, ok := root.Find("/watchdog@a100000")
	if !ok {
		t.Fatalf("no watchdog node: %q", nodePaths(root))
	}
	for name, want := range map[string][]byte{
		"compatible":  stringlist("arm,sbsa-gwdt"),
		"reg":         u64s(0x0a10_0000, 0x1000, 0x0a10_1000, 0x1000),
		"timeout-sec": cells(1),
	} {
		p, ok := node.Property(name)
		if !ok || !bytes.Equal(p.Value, want) {
			t.Errorf("%s = %x, want %x", name, p.Value, want)
		}
	}
	blob, err = Generate(bareMetalGuest())
	if err != nil {
		t.Fatal(err)
	}
	root, _ = fdt.Parse(blob)
	if _, ok := root.Find("/watchdog@a100000"); ok {
		t.Error("a guest without a watchdog has a watchdog node")
	}
}

// A member of a channel with a doorbell gets a PL061 node named after the
// channel: its frame, then the channel's memory; its SPI; GPIO and
// interrupt controller properties Linux's gpio-pl061 needs; and the
// PrimeCell clock.
func TestDoorbellNode(t *testing.T) {
	g := bareMetalGuest()
	g.Doorbells = []Doorbell{{Channel: "vehicle-data", Frame: Region{Base: 0x0a10_2000, Size: 0x1000},
		Memory: Region{Base: 0x7500_0000, Size: 0x1_0000}, SPI: 141}}
	blob, err := Generate(g)
	if err != nil {
		t.Fatal(err)
	}
	root, err := fdt.Parse(blob)
	if err != nil {
		t.Fatal(err)
	}
	node, ok := root.Find("/vehicle-data@a102000")
	if !ok {
		t.Fatalf("no doorbell node: %q", nodePaths(root))
	}
	clock, ok := root.Find("/apb-pclk")
	if !ok {
		t.Fatal("no clock node for the doorbell's PrimeCell")
	}
	phandle, _ := clock.Property("phandle")
	for name, want := range map[string][]byte{
		"compatible":           stringlist("arm,pl061", "arm,primecell"),
		"reg":                  u64s(0x0a10_2000, 0x1000, 0x7500_0000, 0x1_0000),
		"interrupts":           cells(0, 141-32, 4),
		"gpio-controller":      {},
		"#gpio-cells":          cells(2),
		"interrupt-controller": {},
		"#interrupt-cells":     cells(2),
		"gpio-line-names":      stringlist("doorbell", "ring"),
		"clocks":               phandle.Value,
		"clock-names":          stringlist("apb_pclk"),
	} {
		p, ok := node.Property(name)
		if !ok || !bytes.Equal(p.Value, want) {
			t.Errorf("%s = %x, want %x", name, p.Value, want)
		}
	}
}
