//go:build tamago && arm64 && faultinject

package hv

import (
	"fmt"
	"sync/atomic"
	"unsafe"
)

// injectFault, in images built with -tags faultinject for the tests, breaks
// two cores once the whole system is up: core 1 writes to its read-only
// text (an exception), then, once the boot core reported that, core 3 panics (a Go panic). Each must print its
// report and stop alone.
func injectFault() {
	sh := shared()
	switch thisCore {
	case 1:
		waitFor(func() bool { return atomic.LoadUint32(&sh.AllUp) != 0 })
		target := image.TextStart
		fmt.Printf("core 1 fault injection: writing to read-only text at %#x\n", target)
		*(*uint32)(unsafe.Pointer(uintptr(target))) = 0
		fmt.Printf("core 1 fault injection: the write went through; text is not protected\n")
	case 3:
		waitFor(func() bool { return atomic.LoadUint32(&sh.Core[1].HaltReported) != 0 })
		fmt.Printf("core 3 fault injection: panicking\n")
		panic("injected hypervisor panic")
	}
}
