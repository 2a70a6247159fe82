package layout

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/partition"
)

var update = flag.Bool("update", false, "rewrite the golden SVG files in testdata/")

// goldenConfigs are the configs drawn into testdata/NAME.svg.
var goldenConfigs = []struct {
	name, config string
}{
	{"demo", "../../configs/qemu-virt.yaml"},
	{"small", "testdata/small.yaml"},
	{"devices", "testdata/devices.yaml"},
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenConfigs {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SVG(loadConfig(t, tc.config))
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tc.name+".svg")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v; run go test -update to create it", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("the drawing of %s differs from %s; look at both, and run go test -update if the change is intended", tc.config, golden)
			}
		})
	}
}

// node is an element of a parsed SVG document.
type node struct {
	name     string
	attrs    map[string]string
	children []*node
	// text is the character data of the element and its descendants.
	text string
}

// parseSVG parses data strictly, failing the test if it is not
// well-formed XML.
func parseSVG(t *testing.T, data []byte) *node {
	t.Helper()
	decoder := xml.NewDecoder(bytes.NewReader(data))
	var root *node
	var open []*node
	for {
		token, err := decoder.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
		switch token := token.(type) {
		case xml.StartElement:
			n := &node{name: token.Name.Local, attrs: map[string]string{}}
			for _, a := range token.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			if len(open) == 0 {
				if root != nil {
					t.Fatal("the SVG has two root elements")
				}
				root = n
			} else {
				parent := open[len(open)-1]
				parent.children = append(parent.children, n)
			}
			open = append(open, n)
		case xml.EndElement:
			open = open[:len(open)-1]
		case xml.CharData:
			for _, n := range open {
				n.text += string(token)
			}
		}
	}
	if root == nil {
		t.Fatal("the SVG has no root element")
	}
	return root
}

// walk calls f for n and every element under it, in document order.
func (n *node) walk(f func(*node)) {
	f(n)
	for _, c := range n.children {
		c.walk(f)
	}
}

// byID returns the element with the given id, or nil.
func (n *node) byID(id string) *node {
	var found *node
	n.walk(func(e *node) {
		if e.attrs["id"] == id && found == nil {
			found = e
		}
	})
	return found
}

// accentFill returns the fill of the element's accent rectangle, "" if it
// has none.
func (n *node) accentFill() string {
	fill := ""
	n.walk(func(e *node) {
		if e.name == "rect" && e.attrs["class"] == "accent" && fill == "" {
			fill = e.attrs["fill"]
		}
	})
	return fill
}

// top returns the y of the element's first rectangle.
func (n *node) top(t *testing.T) int {
	t.Helper()
	for _, c := range n.children {
		if c.name == "rect" {
			y, err := strconv.Atoi(c.attrs["y"])
			if err != nil {
				t.Fatalf("element %q: rect y %q: %v", n.attrs["id"], c.attrs["y"], err)
			}
			return y
		}
	}
	t.Fatalf("element %q has no rect", n.attrs["id"])
	return 0
}

// TestDrawing reads the drawings back and checks what users look for in
// them: every partition, channel and device named, colours by partition,
// bands in address order, a break wherever addresses are cut out.
func TestDrawing(t *testing.T) {
	const blue, orange, green, grey = "#0072b2", "#e69f00", "#009e73", "#4d4d4d"
	tests := []struct {
		config string
		// accents maps element ids (cores and bands) to the colour of
		// their accent; "" for none (an unused core).
		accents map[string]string
		// stripes are the colours of the channel-0-solid pattern.
		stripes []string
		// order lists every band, top to bottom.
		order []string
		// texts are lines the drawing must hold.
		texts []string
		// breaks is how many stretches of addresses are cut out.
		breaks int
	}{{
		config: "../../configs/qemu-virt.yaml",
		accents: map[string]string{
			"core-0": blue, "core-1": blue, "core-2": orange, "core-3": green,
			"hypervisor": grey, "memory-infotainment-0": blue, "memory-ecu-0": orange, "memory-test-0": green,
		},
		stripes: []string{orange, blue},
		order: []string{"device-test-gpio-0", "hypervisor", "memory-infotainment-0", "memory-ecu-0", "memory-test-0",
			"channel-vehicle-data", "free-0"},
		texts: []string{"Tamavisor layout: qemu-virt.yaml", "0x50000000 +512 MiB", "cores 0–1", "ecu rw", "infotainment ro",
			"0x75010000 +1 GiB 175 MiB 960 KiB", "doorbell IRQ 141"},
		breaks: 1,
	}, {
		config:  "testdata/small.yaml",
		accents: map[string]string{"core-0": "", "core-1": blue, "core-2": blue, "core-3": "", "device-gateway-rtc-0": blue},
		order: []string{"device-gateway-rtc-0", "hypervisor", "free-0", "memory-gateway-0", "free-1", "memory-gateway-1",
			"free-2"},
		texts:  []string{"unused", "0x09010000 +4 KiB", "gateway · IRQ 34", "guest sees it at IPA 0x60000000", "RAM, region 2 of 2"},
		breaks: 1,
	}, {
		config: "testdata/devices.yaml",
		accents: map[string]string{
			"core-0": blue, "core-2": orange, "core-3": green,
			"device-ecu-gpio-0": orange, "device-ecu-can0-0": orange, "device-infotainment-pcie-2": blue,
			"memory-ecu-1": orange, "memory-logger-0": green,
		},
		stripes: []string{orange, blue, green},
		order: []string{
			"device-ecu-gpio-0", "device-ecu-can0-0", "device-infotainment-virtio-mmio-0", "device-infotainment-pcie-0",
			"device-infotainment-pcie-1", "hypervisor", "memory-infotainment-0", "memory-ecu-0", "memory-logger-0",
			"channel-vehicle-data", "free-0", "memory-ecu-1", "free-1", "device-infotainment-pcie-2",
		},
		texts: []string{"0x4010000000 +256 MiB", "MMIO 3 of 3", "infotainment · IRQs 35–38 · stream IDs 16, 24",
			"infotainment · IRQs 48–79", "ecu · IRQ 140", "infotainment ro at IPA 0x80000000", "logger ro", "doorbell IRQ 142",
			"core 2 · 80 MiB RAM · devices can0, watchdog, gpio"},
		breaks: 5,
	}}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.config), func(t *testing.T) {
			cfg := loadConfig(t, tc.config)
			data, err := SVG(cfg)
			if err != nil {
				t.Fatal(err)
			}
			root := parseSVG(t, data)
			if root.name != "svg" || root.attrs["version"] != "1.1" || root.attrs["viewBox"] == "" {
				t.Errorf("root element <%s version=%q viewBox=%q>, want an SVG 1.1 <svg> with a viewBox",
					root.name, root.attrs["version"], root.attrs["viewBox"])
			}

			// What users must find named in the picture: every
			// partition, the hypervisor, every channel and device. A
			// line's spans are set apart by offsets, not spaces, so
			// each span counts on its own too.
			words := map[string]bool{}
			root.walk(func(e *node) {
				if e.name == "text" || e.name == "tspan" {
					words[e.text] = true
					for _, w := range strings.FieldsFunc(e.text, func(r rune) bool { return r == ' ' || r == ',' }) {
						words[w] = true
					}
				}
			})
			names := []string{"hypervisor"}
			for _, p := range cfg.Partitions {
				names = append(names, p.Name)
				for _, d := range p.Devices {
					names = append(names, d.Name)
				}
			}
			for _, ch := range cfg.Channels {
				names = append(names, ch.Name)
			}
			for _, want := range append(names, tc.texts...) {
				if !words[want] {
					t.Errorf("no text reads %q", want)
				}
			}

			for id, want := range tc.accents {
				e := root.byID(id)
				if e == nil {
					t.Errorf("no element %q", id)
					continue
				}
				if got := e.accentFill(); got != want {
					t.Errorf("element %q is coloured %q, want %q", id, got, want)
				}
			}

			if tc.stripes != nil {
				var got []string
				if pattern := root.byID("channel-0-solid"); pattern != nil {
					for _, c := range pattern.children {
						got = append(got, c.attrs["fill"])
					}
				}
				if !slices.Equal(got, tc.stripes) {
					t.Errorf("channel stripes %q, want %q", got, tc.stripes)
				}
			}

			var bands []string
			root.walk(func(e *node) {
				id := e.attrs["id"]
				for _, prefix := range []string{"hypervisor", "memory-", "device-", "channel-", "free-"} {
					if e.name == "g" && strings.HasPrefix(id, prefix) {
						bands = append(bands, id)
					}
				}
			})
			slices.SortStableFunc(bands, func(a, b string) int { return root.byID(a).top(t) - root.byID(b).top(t) })
			if !slices.Equal(bands, tc.order) {
				t.Errorf("bands from top to bottom:\n%q\nwant:\n%q", bands, tc.order)
			}

			breaks := 0
			if axis := root.byID("axis"); axis != nil {
				axis.walk(func(e *node) {
					if e.attrs["stroke-dasharray"] != "" {
						breaks++
					}
				})
			}
			if breaks != tc.breaks {
				t.Errorf("%d breaks on the axis, want %d", breaks, tc.breaks)
			}
		})
	}
}

// minimalConfig is a config built in code: a board and the hypervisor's
// memory, no partitions.
func minimalConfig(file string, b *board.Board) *partition.Config {
	return &partition.Config{File: file, Board: b, Hypervisor: partition.Hypervisor{
		Memory: partition.Range{Base: b.Hypervisor.Memory.Base, Size: b.Hypervisor.Memory.Size}, Console: b.Hypervisor.UART,
	}}
}

// TestEscaping draws a config whose file name holds characters XML gives
// meaning to.
func TestEscaping(t *testing.T) {
	const file = `r&d <"lab">.yaml`
	data, err := SVG(minimalConfig(file, qemuvirt.Board))
	if err != nil {
		t.Fatal(err)
	}
	root := parseSVG(t, data)
	found := false
	root.walk(func(e *node) { found = found || e.name == "text" && e.text == "Tamavisor layout: "+file })
	if !found {
		t.Errorf("no title reads %q", "Tamavisor layout: "+file)
	}
}

// TestCoreRows draws a board with more cores than fit in one row.
func TestCoreRows(t *testing.T) {
	b := *qemuvirt.Board
	b.CPUs = make([]board.CPU, 10)
	for i := range b.CPUs {
		b.CPUs[i] = board.CPU{Index: i}
	}
	data, err := SVG(minimalConfig("big.yaml", &b))
	if err != nil {
		t.Fatal(err)
	}
	root := parseSVG(t, data)
	position := func(id string) (x, y string) {
		e := root.byID(id)
		if e == nil || len(e.children) == 0 {
			t.Fatalf("no element %q", id)
		}
		return e.children[0].attrs["x"], e.children[0].attrs["y"]
	}
	tests := []struct {
		core, sameRowAs, sameColumnAs string
	}{
		{"core-7", "core-0", ""},
		{"core-8", "", "core-0"},
		{"core-9", "core-8", "core-1"},
	}
	for _, tc := range tests {
		x, y := position(tc.core)
		if tc.sameRowAs != "" {
			if rowX, rowY := position(tc.sameRowAs); rowY != y || rowX == x {
				t.Errorf("%s at (%s, %s) is not in the row of %s at (%s, %s)", tc.core, x, y, tc.sameRowAs, rowX, rowY)
			}
		}
		if tc.sameColumnAs != "" {
			if colX, colY := position(tc.sameColumnAs); colX != x || colY == y {
				t.Errorf("%s at (%s, %s) is not under %s at (%s, %s)", tc.core, x, y, tc.sameColumnAs, colX, colY)
			}
		}
	}
}
