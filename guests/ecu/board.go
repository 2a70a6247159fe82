//go:build tamago && arm64

package main

import _ "unsafe" // go:linkname

// The ECU partition's memory: configs/qemu-virt.yaml, partition "ecu".
// The Makefile links the text at partitionBase+0x10000 (ECU_TEXT_START);
// el1 keeps its translation tables in the pages below.
const (
	partitionBase = 0x7000_0000
	partitionSize = 64 << 20
	// deviceTreeBlock is the top of the partition's memory, where
	// Tamavisor puts the device tree it hands over in x0 (a 2 MiB block,
	// partition/compile.go). The Go runtime stays below it.
	deviceTreeBlock = 2 << 20
)

// The Go runtime's RAM (runtime/goos).
//
//go:linkname ramStart runtime/goos.RamStart
var ramStart uint = partitionBase

//go:linkname ramSize runtime/goos.RamSize
var ramSize uint = partitionSize - deviceTreeBlock
