//go:build !tamago

package spin

import "runtime"

// relax lets the holder run. In host tests cores are goroutines, and a
// spinning one must not keep a descheduled holder off the processor.
func relax(spins uint32) {
	if spins%64 == 63 {
		runtime.Gosched()
	}
}
