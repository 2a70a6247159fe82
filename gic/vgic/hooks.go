package vgic

// NoVCPU is the vCPU of an SPI whose GICD_IROUTER names none of the
// partition's vCPUs: the interrupt reaches no vCPU and stays pending
// until the guest routes it again (one of the behaviours IHI 0069 allows
// for GICD_IROUTER<n> naming a PE that is not implemented).
const NoVCPU = -1

// Hooks is the hardware side of the model: the firmware's reaction to a
// guest's register write, called after the emulated state changed and
// only for what did change (a write that sets an enable bit already set
// calls nothing). The model itself never touches hardware.
//
// vcpu is the vCPU the interrupt belongs to: for an SGI or PPI the vCPU
// whose redistributor frame was written, which need not be the vCPU that
// wrote it; for an SPI the vCPU it is routed to, NoVCPU if none.
//
// The hooks run on the trap path of the writing vCPU's core, with the
// partition's State locked so that the hardware sees changes in the order
// the model made them. They must allocate nothing, finish in bounded time
// and must not call Access on any of the partition's frames, which waits
// for that lock; the queries (Deliverable, TargetVCPU, ...) and
// SetPending, ClearPending and SetActive do not take it and are safe.
type Hooks interface {
	// EnableChanged reports a write to ISENABLER or ICENABLER. For an
	// SPI the firmware enables or disables the physical interrupt; for
	// any interrupt newly enabled it injects it if it is pending.
	EnableChanged(vcpu int, intid uint32, enabled bool)
	// PendingChanged reports a write to ISPENDR or ICPENDR: the firmware
	// injects an interrupt that became pending, or withdraws it (list
	// register, or the physical pending state of a passthrough SPI).
	PendingChanged(vcpu int, intid uint32, pending bool)
	// ActiveChanged reports a write to ISACTIVER or ICACTIVER; for a
	// passthrough SPI the firmware mirrors it on the physical interrupt,
	// whose active state the guest's EOI ends through the list register.
	ActiveChanged(vcpu int, intid uint32, active bool)
	// PriorityChanged reports a write to IPRIORITYR: an interrupt sitting
	// in a list register gets the new priority.
	PriorityChanged(vcpu int, intid uint32, priority uint8)
	// TriggerChanged reports a write to GICD_ICFGR: the SPI is now
	// edge-triggered (edge) or level-sensitive. PPIs and SGIs have fixed
	// trigger modes.
	TriggerChanged(intid uint32, edge bool)
	// RouteChanged reports a write to GICD_IROUTER that moved an SPI to
	// another vCPU (NoVCPU: to none). The firmware routes the physical
	// SPI to that vCPU's core; for NoVCPU it keeps it on one of the
	// partition's own cores and stops injecting it.
	RouteChanged(intid uint32, vcpu int)
	// DistributorEnableChanged reports a write to GICD_CTLR that enabled
	// or disabled group 0 or group 1. Pending interrupts of a group just
	// enabled become deliverable (NextPending finds them).
	DistributorEnableChanged(group0, group1 bool)
}
