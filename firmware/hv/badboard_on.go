//go:build tamago && arm64 && badboard

package hv

// In images built with -tags badboard for the tests, the board description
// claims the console UART inside the hypervisor's shared region: the
// layout builder must refuse it by name and the boot must stop.
const uartMapBase = sharedBase + 0x10_0000
