//go:build !imx8mp

package el1

import "github.com/tamavisor/tamavisor/board/qemuvirt"

// The board the guests run on, chosen at build time as the hypervisor's
// is (the imx8mp tag: board_imx8mp.go). The console is the PL011 Tamavisor
// emulates for a partition with `console: virtual`, at the board UART's
// address (docs/design.md, "Guests"); standalone under QEMU it is the real
// one at the same address.
const (
	ConsoleUART = qemuvirt.UART0Base
	// IPABits is the size of the guest's (intermediate) physical address
	// space: the board's physical address size.
	IPABits = qemuvirt.PhysAddrBits
)
