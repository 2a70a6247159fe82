//go:build tamago && arm64

package main

import _ "unsafe" // go:linkname

// The bench partition's memory: configs/bench.yaml, partition "bench".
// The Makefile links the text at partitionBase+0x10000 (BENCH_TEXT_START);
// el1 keeps its translation tables in the pages below. Natively (QEMU's
// virt machine without EL2) the same addresses are plain RAM.
const (
	partitionBase = 0x6000_0000
	partitionSize = 64 << 20
	// deviceTreeBlock is the top of the partition's memory, where
	// Tamavisor puts the device tree it hands over in x0. The Go runtime
	// stays below it.
	deviceTreeBlock = 2 << 20
)

// The Go runtime's RAM (runtime/goos).
//
//go:linkname ramStart runtime/goos.RamStart
var ramStart uint = partitionBase

//go:linkname ramSize runtime/goos.RamSize
var ramSize uint = partitionSize - deviceTreeBlock
