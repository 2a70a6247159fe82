//go:build tamago && arm64 && !badboard

package hv

// uartMapBase is where the console UART is mapped.
const uartMapBase = uartBase
