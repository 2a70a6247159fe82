// Package mmio reads and writes device registers.
//
// On the target each access is one load or store instruction in assembly,
// so the compiler can neither merge, reorder nor drop it. On the host the
// same calls go to a simulated Bus that tests install, so drivers are tested
// against device models without hardware.
package mmio

// Bus is a simulated device address space for host tests.
type Bus interface {
	Read32(addr uint64) uint32
	Write32(addr uint64, v uint32)
}
