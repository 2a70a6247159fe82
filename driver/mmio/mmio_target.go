//go:build tamago && arm64

package mmio

// Read32 loads the 32-bit register at addr.
func Read32(addr uint64) uint32

// Write32 stores v to the 32-bit register at addr.
func Write32(addr uint64, v uint32)

// Read64 loads the 64-bit register at addr.
func Read64(addr uint64) uint64

// Write64 stores v to the 64-bit register at addr.
func Write64(addr uint64, v uint64)
