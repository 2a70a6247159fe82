package el1

import "testing"

// FuzzMemoryFromDeviceTree: whatever blob x0 points at, reading its memory
// returns regions or an error, never a panic, and never an empty region.
func FuzzMemoryFromDeviceTree(f *testing.F) {
	f.Add(ecuDeviceTree(f))
	f.Add(tree(f, map[string][]uint32{"#address-cells": {1}, "#size-cells": {1}},
		node{name: "memory@48000000", strings: map[string]string{"device_type": "memory"}, cells: map[string][]uint32{"reg": {0x4800_0000, 0x1000_0000}}}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, blob []byte) {
		memory, err := MemoryFromDeviceTree(blob)
		if err != nil {
			return
		}
		if len(memory) == 0 {
			t.Fatal("no regions and no error")
		}
		for _, r := range memory {
			if r.Size == 0 {
				t.Fatalf("empty region %v", r)
			}
		}
	})
}
