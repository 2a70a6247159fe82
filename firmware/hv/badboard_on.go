//go:build tamago && arm64 && badboard

package hv

import "github.com/tamavisor/tamavisor/board/qemuvirt"

// In images built with -tags badboard for the tests, the board description
// claims the console UART inside the hypervisor's shared region: the
// layout builder must refuse it by name and the boot must stop.
const uartMapBase = qemuvirt.HypervisorBase + 0x10_0000
