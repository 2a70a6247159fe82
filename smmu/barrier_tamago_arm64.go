//go:build tamago && arm64

package smmu

// dataSync completes every memory access before it, to normal memory and
// to the SMMU's registers alike, before any after it: DSB SY, in
// barrier_tamago_arm64.s. The SMMU reads the stream table and the command
// queue, and writes the event queue, as an observer of its own; it must see
// memory change in the order the driver relies on.
func dataSync()
