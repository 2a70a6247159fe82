//go:build tamago && arm64 && !badboard

package hv

import "github.com/tamavisor/tamavisor/board/qemuvirt"

// uartMapBase is where the console UART is mapped.
const uartMapBase = qemuvirt.UART0Base
