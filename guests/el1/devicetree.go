package el1

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/internal/fdt"
)

// MaxDeviceTreeSize bounds the device tree a guest reads at x0: the
// hypervisor gives it a 2 MiB block at the top of its first memory region
// (partition/compile.go), so a header claiming more is corrupt.
const MaxDeviceTreeSize = 2 << 20

// DeviceTreeSize returns the totalsize of the device tree whose first
// fdt.HeaderSize bytes are header, after checking its magic and bound
// (Devicetree Specification v0.4, 5.2).
func DeviceTreeSize(header []byte) (uint64, error) {
	if len(header) < fdt.HeaderSize {
		return 0, fmt.Errorf("device tree header: %d bytes, need %d", len(header), fdt.HeaderSize)
	}
	if magic := binary.BigEndian.Uint32(header); magic != fdt.Magic {
		return 0, fmt.Errorf("no device tree: magic %#08x, not %#08x", magic, uint32(fdt.Magic))
	}
	size := uint64(binary.BigEndian.Uint32(header[4:]))
	if size < fdt.HeaderSize || size > MaxDeviceTreeSize {
		return 0, fmt.Errorf("device tree totalsize %d is not between %d and %d bytes", size, fdt.HeaderSize, MaxDeviceTreeSize)
	}
	return size, nil
}

// MemoryFromDeviceTree returns the RAM a device tree describes: the reg
// entries of every node whose device_type is "memory", in the root's
// #address-cells and #size-cells (Devicetree Specification v0.4, 2.3.5
// and 3.4).
func MemoryFromDeviceTree(blob []byte) ([]board.Region, error) {
	root, err := fdt.Parse(blob)
	if err != nil {
		return nil, err
	}
	addressCells, err := cells(root, "#address-cells", 2)
	if err != nil {
		return nil, err
	}
	sizeCells, err := cells(root, "#size-cells", 1)
	if err != nil {
		return nil, err
	}
	if addressCells < 1 || addressCells > 2 || sizeCells < 1 || sizeCells > 2 {
		return nil, fmt.Errorf("device tree root: #address-cells %d and #size-cells %d; only 1 or 2 cells fit 64-bit addresses", addressCells, sizeCells)
	}
	var memory []board.Region
	for _, n := range root.Children {
		p, ok := n.Property("device_type")
		if !ok {
			continue
		}
		if kind, err := p.StringValue(); err != nil || kind != "memory" {
			continue
		}
		reg, ok := n.Property("reg")
		if !ok {
			return nil, fmt.Errorf("device tree node /%s: a memory node without reg", n.Name)
		}
		entry := 4 * (addressCells + sizeCells)
		if len(reg.Value) == 0 || len(reg.Value)%entry != 0 {
			return nil, fmt.Errorf("device tree node /%s: reg is %d bytes, not a multiple of %d (%d address and %d size cells)",
				n.Name, len(reg.Value), entry, addressCells, sizeCells)
		}
		for v := reg.Value; len(v) > 0; v = v[entry:] {
			r := board.Region{Base: readCells(v, addressCells), Size: readCells(v[4*addressCells:], sizeCells)}
			if r.Size > 0 {
				memory = append(memory, r)
			}
		}
	}
	if len(memory) == 0 {
		return nil, errors.New("device tree has no memory node with a non-empty reg")
	}
	return memory, nil
}

func cells(n *fdt.Node, name string, unset int) (int, error) {
	p, ok := n.Property(name)
	if !ok {
		return unset, nil
	}
	v, err := p.U32()
	if err != nil {
		return 0, fmt.Errorf("device tree root: %s: %w", name, err)
	}
	return int(v), nil
}

func readCells(b []byte, n int) uint64 {
	var v uint64
	for i := 0; i < n; i++ {
		v = v<<32 | uint64(binary.BigEndian.Uint32(b[4*i:]))
	}
	return v
}

// DoorbellFromDeviceTree returns the doorbell of the channel named channel
// a device tree describes under its root (a node channel@..., compatible
// "arm,pl061"): its register frame and the channel's memory, the node's
// two reg entries. ok is false when it has none.
func DoorbellFromDeviceTree(blob []byte, channel string) (frame, memory board.Region, ok bool, err error) {
	root, err := fdt.Parse(blob)
	if err != nil {
		return frame, memory, false, err
	}
	addressCells, err := cells(root, "#address-cells", 2)
	if err != nil {
		return frame, memory, false, err
	}
	sizeCells, err := cells(root, "#size-cells", 1)
	if err != nil {
		return frame, memory, false, err
	}
	for _, n := range root.Children {
		if !strings.HasPrefix(n.Name, channel+"@") {
			continue
		}
		p, found := n.Property("compatible")
		if !found {
			continue
		}
		if c, err := p.Strings(); err != nil || len(c) == 0 || c[0] != "arm,pl061" {
			continue
		}
		reg, found := n.Property("reg")
		entry := 4 * (addressCells + sizeCells)
		if !found || len(reg.Value) != 2*entry {
			return frame, memory, false, fmt.Errorf("device tree node /%s: reg must hold the doorbell's frame and the channel's memory", n.Name)
		}
		frame = board.Region{Base: readCells(reg.Value, addressCells), Size: readCells(reg.Value[4*addressCells:], sizeCells)}
		memory = board.Region{Base: readCells(reg.Value[entry:], addressCells), Size: readCells(reg.Value[entry+4*addressCells:], sizeCells)}
		return frame, memory, true, nil
	}
	return frame, memory, false, nil
}

// WatchdogFromDeviceTree returns the control and refresh frames of the
// SBSA Generic Watchdog (compatible "arm,sbsa-gwdt") a device tree
// describes under its root; ok is false when it has none.
func WatchdogFromDeviceTree(blob []byte) (control, refresh board.Region, ok bool, err error) {
	root, err := fdt.Parse(blob)
	if err != nil {
		return control, refresh, false, err
	}
	addressCells, err := cells(root, "#address-cells", 2)
	if err != nil {
		return control, refresh, false, err
	}
	sizeCells, err := cells(root, "#size-cells", 1)
	if err != nil {
		return control, refresh, false, err
	}
	for _, n := range root.Children {
		p, found := n.Property("compatible")
		if !found {
			continue
		}
		if c, err := p.StringValue(); err != nil || c != "arm,sbsa-gwdt" {
			continue
		}
		reg, found := n.Property("reg")
		entry := 4 * (addressCells + sizeCells)
		if !found || len(reg.Value) != 2*entry {
			return control, refresh, false, fmt.Errorf("device tree node /%s: reg must hold the control and the refresh frame", n.Name)
		}
		control = board.Region{Base: readCells(reg.Value, addressCells), Size: readCells(reg.Value[4*addressCells:], sizeCells)}
		refresh = board.Region{Base: readCells(reg.Value[entry:], addressCells), Size: readCells(reg.Value[entry+4*addressCells:], sizeCells)}
		return control, refresh, true, nil
	}
	return control, refresh, false, nil
}
