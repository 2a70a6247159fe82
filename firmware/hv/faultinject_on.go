//go:build tamago && arm64 && faultinject

package hv

import (
	"fmt"
	"unsafe"
)

// injectFault, in images built with -tags faultinject for the tests, makes
// core 1 write to its read-only text so the fault report and safe state can
// be observed.
func injectFault() {
	if thisCore != 1 {
		return
	}
	target := image.TextStart
	fmt.Printf("core 1 fault injection: writing to read-only text at %#x\n", target)
	*(*uint32)(unsafe.Pointer(uintptr(target))) = 0
	fmt.Printf("core 1 fault injection: the write went through; text is not protected\n")
}
