//go:build tamago && arm64

package main

import _ "unsafe" // go:linkname

// The attacker's partition memory: configs/qemu-virt.yaml, partition
// "test". The Makefile links the text at partitionBase+0x20000
// (ATTACK_TEXT_START); el1 keeps its translation tables in the pages below.
const (
	partitionBase = 0x7400_0000
	partitionSize = 16 << 20
	// deviceTreeBlock is the top of the partition's memory, where
	// Tamavisor puts the device tree (a 2 MiB block, partition/compile.go).
	// The Go runtime stays below it.
	deviceTreeBlock = 2 << 20
)

// The Go runtime's RAM (runtime/goos).
//
//go:linkname ramStart runtime/goos.RamStart
var ramStart uint = partitionBase

//go:linkname ramSize runtime/goos.RamSize
var ramSize uint = partitionSize - deviceTreeBlock
