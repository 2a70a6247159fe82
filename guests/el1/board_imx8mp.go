//go:build imx8mp

package el1

import "github.com/tamavisor/tamavisor/board/imx8mpevk"

// The i.MX 8M Plus EVK (see board_qemuvirt.go). The console is the virtual
// PL011 Tamavisor emulates at UART2's address; the guests do not run
// standalone on this board (its UART2 is no PL011).
const (
	ConsoleUART = imx8mpevk.UART2Base
	IPABits     = imx8mpevk.PhysAddrBits
)
