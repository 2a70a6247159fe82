// Package vdev defines how the hypervisor emulates devices for guests: a
// guest's access to an emulated device's guest-physical range traps as a
// stage-2 data abort with a valid syndrome, and the trap handler turns it
// into one call on the device registered for that range.
//
// Emulation runs on the trap path: implementations allocate nothing, never
// block and keep any state a partition's vCPUs share in pointer-free memory
// guarded by atomics (the hypervisor instances on different cores share no
// Go heap).
package vdev

// Access is one trapped load or store.
type Access struct {
	// Offset is the address relative to the start of the device's range.
	Offset uint64
	// Size is 1, 2, 4 or 8 bytes.
	Size int
	// Write is set for stores; Value holds what the guest stored.
	Write bool
	Value uint64
}

// Device is an emulated MMIO device.
type Device interface {
	// Access performs a load (returning the value the guest reads) or a
	// store. ok is false for an access the device does not implement
	// (unaligned, wrong size): the hypervisor then applies the
	// partition's fault policy as for any unassigned address.
	Access(a Access) (value uint64, ok bool)
}
