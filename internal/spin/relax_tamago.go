//go:build tamago

package spin

// relax does nothing on a core: the holder runs on a core of its own, and
// the waiter's runtime has nothing else to run in the middle of a trap.
//
//go:nosplit
func relax(spins uint32) {}
