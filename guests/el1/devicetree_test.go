package el1

import (
	"encoding/binary"
	"reflect"
	"strings"
	"testing"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/internal/fdt"
	"github.com/tamavisor/tamavisor/partition/dtb"
)

// node is a device tree node to write: properties of u32 cells or strings.
type node struct {
	name    string
	cells   map[string][]uint32
	strings map[string]string
}

// tree writes a root with rootCells properties and the given children.
func tree(t testing.TB, rootCells map[string][]uint32, children ...node) []byte {
	t.Helper()
	w := fdt.NewWriter()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.BeginNode(""))
	for name, v := range rootCells {
		must(w.PropU32(name, v...))
	}
	for _, n := range children {
		must(w.BeginNode(n.name))
		for name, v := range n.strings {
			must(w.PropString(name, v))
		}
		for name, v := range n.cells {
			must(w.PropU32(name, v...))
		}
		must(w.EndNode())
	}
	must(w.EndNode())
	blob, err := w.Finish()
	must(err)
	return blob
}

// ecuGuest is the ECU partition as Tamavisor describes it to its guest.
func ecuGuest() dtb.Guest {
	return dtb.Guest{
		Name:   "ecu",
		Memory: []dtb.MemoryRegion{{IPA: 0x7000_0000, Size: 64 << 20}},
		CPUs:   1,
		GIC: dtb.GIC{DistBase: qemuvirt.GICDBase, DistSize: qemuvirt.GICDSize,
			RedistBase: qemuvirt.GICRBase, RedistSize: dtb.RedistributorFrameSize},
		Timer: dtb.Timer{SecurePhysIRQ: 16 + 13, PhysIRQ: qemuvirt.PhysTimerIRQ,
			VirtIRQ: qemuvirt.VirtTimerIRQ, HypIRQ: qemuvirt.HypTimerIRQ},
		PSCI:    dtb.PSCI{Conduit: "hvc"},
		Console: &dtb.Console{Base: qemuvirt.UART0Base, Size: qemuvirt.UART0Size, SPI: qemuvirt.UART0IRQ},
	}
}

// The ECU partition's device tree as Tamavisor generates it.
func ecuDeviceTree(t testing.TB) []byte {
	blob, err := dtb.Generate(ecuGuest())
	if err != nil {
		t.Fatal(err)
	}
	return blob
}

func TestMemoryFromDeviceTree(t *testing.T) {
	memory := map[string]string{"device_type": "memory"}
	twoCells := map[string][]uint32{"#address-cells": {2}, "#size-cells": {2}}
	tests := []struct {
		name  string
		blob  func(t testing.TB) []byte
		want  []board.Region
		error string
	}{
		{
			name: "ecu partition as Tamavisor generates it",
			blob: ecuDeviceTree,
			want: []board.Region{{Base: 0x7000_0000, Size: 64 << 20}},
		},
		{
			name: "QEMU virt with -m 2G: two address and two size cells",
			blob: func(t testing.TB) []byte {
				return tree(t, twoCells, node{name: "memory@40000000", strings: memory, cells: map[string][]uint32{"reg": {0, 0x4000_0000, 0, 0x8000_0000}}})
			},
			want: []board.Region{{Base: 0x4000_0000, Size: 0x8000_0000}},
		},
		{
			name: "one cell each, two regions in one node and an empty one",
			blob: func(t testing.TB) []byte {
				return tree(t, map[string][]uint32{"#address-cells": {1}, "#size-cells": {1}},
					node{name: "memory@48000000", strings: memory, cells: map[string][]uint32{"reg": {0x4800_0000, 0x1000_0000, 0x6000_0000, 0x400_0000, 0x7000_0000, 0}}})
			},
			want: []board.Region{{Base: 0x4800_0000, Size: 0x1000_0000}, {Base: 0x6000_0000, Size: 0x400_0000}},
		},
		{
			name: "cells unset: two address cells and one size cell",
			blob: func(t testing.TB) []byte {
				return tree(t, nil, node{name: "memory@40_00000000", strings: memory, cells: map[string][]uint32{"reg": {0x40, 0, 0x4000_0000}}})
			},
			want: []board.Region{{Base: 0x40_0000_0000, Size: 0x4000_0000}},
		},
		{
			name: "memory nodes are found by device_type, not by name",
			blob: func(t testing.TB) []byte {
				return tree(t, twoCells,
					node{name: "memory@40000000", cells: map[string][]uint32{"reg": {0, 0x4000_0000, 0, 0x1000}}},
					node{name: "ram@50000000", strings: memory, cells: map[string][]uint32{"reg": {0, 0x5000_0000, 0, 0x1000_0000}}})
			},
			want: []board.Region{{Base: 0x5000_0000, Size: 0x1000_0000}},
		},
		{
			name: "no memory node",
			blob: func(t testing.TB) []byte {
				return tree(t, twoCells, node{name: "chosen", strings: map[string]string{"bootargs": "x"}})
			},
			error: "device tree has no memory node with a non-empty reg",
		},
		{
			name: "reg of the wrong length",
			blob: func(t testing.TB) []byte {
				return tree(t, twoCells, node{name: "memory@40000000", strings: memory, cells: map[string][]uint32{"reg": {0, 0x4000_0000, 0}}})
			},
			error: "device tree node /memory@40000000: reg is 12 bytes, not a multiple of 16 (2 address and 2 size cells)",
		},
		{
			name: "memory node without reg",
			blob: func(t testing.TB) []byte {
				return tree(t, twoCells, node{name: "memory@40000000", strings: memory})
			},
			error: "device tree node /memory@40000000: a memory node without reg",
		},
		{
			name: "three address cells",
			blob: func(t testing.TB) []byte {
				return tree(t, map[string][]uint32{"#address-cells": {3}, "#size-cells": {2}})
			},
			error: "device tree root: #address-cells 3 and #size-cells 2; only 1 or 2 cells fit 64-bit addresses",
		},
		{
			name:  "not a device tree",
			blob:  func(t testing.TB) []byte { return make([]byte, 64) },
			error: "this is no device tree blob",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MemoryFromDeviceTree(tt.blob(t))
			if tt.error != "" {
				if err == nil || !strings.Contains(err.Error(), tt.error) {
					t.Fatalf("error %v, want one saying %q", err, tt.error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("memory %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDeviceTreeSize(t *testing.T) {
	header := func(magic, size uint32) []byte {
		h := make([]byte, fdt.HeaderSize)
		binary.BigEndian.PutUint32(h, magic)
		binary.BigEndian.PutUint32(h[4:], size)
		return h
	}
	tests := []struct {
		name   string
		header []byte
		size   uint64
		error  string
	}{
		{"generated", ecuDeviceTree(t)[:fdt.HeaderSize], uint64(len(ecuDeviceTree(t))), ""},
		{"largest", header(fdt.Magic, MaxDeviceTreeSize), MaxDeviceTreeSize, ""},
		{"short", header(fdt.Magic, 100)[:8], 0, "device tree header: 8 bytes, need 40"},
		{"zeroed memory", header(0, 0), 0, "no device tree: magic 0x00000000, not 0xd00dfeed"},
		{"too large", header(fdt.Magic, MaxDeviceTreeSize+1), 0, "device tree totalsize 2097153 is not between 40 and 2097152 bytes"},
		{"smaller than its header", header(fdt.Magic, 39), 0, "device tree totalsize 39 is not between 40 and 2097152 bytes"},
	}
	for _, tt := range tests {
		size, err := DeviceTreeSize(tt.header)
		if tt.error != "" {
			if err == nil || err.Error() != tt.error {
				t.Errorf("%s: error %v, want %q", tt.name, err, tt.error)
			}
			continue
		}
		if err != nil || size != tt.size {
			t.Errorf("%s: size %d, %v; want %d", tt.name, size, err, tt.size)
		}
	}
}

// The watchdog node Tamavisor writes is found; a tree without one says so.
func TestWatchdogFromDeviceTree(t *testing.T) {
	_, _, ok, err := WatchdogFromDeviceTree(ecuDeviceTree(t))
	if err != nil || ok {
		t.Fatalf("a tree without a watchdog: ok %v, %v", ok, err)
	}
	guest := ecuGuest()
	guest.Watchdog = &dtb.Watchdog{Control: dtb.Region{Base: qemuvirt.WatchdogControlIPA, Size: 0x1000},
		Refresh: dtb.Region{Base: qemuvirt.WatchdogRefreshIPA, Size: 0x1000}, TimeoutSec: 1}
	blob, err := dtb.Generate(guest)
	if err != nil {
		t.Fatal(err)
	}
	control, refresh, ok, err := WatchdogFromDeviceTree(blob)
	if err != nil || !ok {
		t.Fatalf("ok %v, %v", ok, err)
	}
	if control != (board.Region{Base: qemuvirt.WatchdogControlIPA, Size: 0x1000}) || refresh != (board.Region{Base: qemuvirt.WatchdogRefreshIPA, Size: 0x1000}) {
		t.Errorf("control %v, refresh %v", control, refresh)
	}
}

// The ECU finds its channel's doorbell and memory in the tree Tamavisor
// generates for it.
func TestDoorbellFromDeviceTree(t *testing.T) {
	_, _, ok, err := DoorbellFromDeviceTree(ecuDeviceTree(t), "vehicle-data")
	if err != nil || ok {
		t.Fatalf("a tree without a doorbell: ok %v, %v", ok, err)
	}
	guest := ecuGuest()
	guest.Doorbells = []dtb.Doorbell{{Channel: "vehicle-data", Frame: dtb.Region{Base: qemuvirt.DoorbellIPA, Size: 0x1000},
		Memory: dtb.Region{Base: 0x7500_0000, Size: 0x1_0000}, SPI: 141}}
	blob, err := dtb.Generate(guest)
	if err != nil {
		t.Fatal(err)
	}
	frame, memory, ok, err := DoorbellFromDeviceTree(blob, "vehicle-data")
	if err != nil || !ok {
		t.Fatalf("ok %v, %v", ok, err)
	}
	if frame != (board.Region{Base: qemuvirt.DoorbellIPA, Size: 0x1000}) || memory != (board.Region{Base: 0x7500_0000, Size: 0x1_0000}) {
		t.Errorf("frame %v, memory %v", frame, memory)
	}
	if _, _, ok, _ := DoorbellFromDeviceTree(blob, "vehicle"); ok {
		t.Error("found a channel by a prefix of its name")
	}
}
