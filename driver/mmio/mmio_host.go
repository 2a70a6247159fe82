//go:build !tamago

package mmio

var bus Bus

// SetBus installs the simulated address space host accesses go to and
// returns a function that restores the previous one.
func SetBus(b Bus) (restore func()) {
	prev := bus
	bus = b
	return func() { bus = prev }
}

func Read32(addr uint64) uint32 { return mustBus().Read32(addr) }

func Write32(addr uint64, v uint32) { mustBus().Write32(addr, v) }

func Read64(addr uint64) uint64 {
	return uint64(mustBus().Read32(addr)) | uint64(mustBus().Read32(addr+4))<<32
}

func Write64(addr uint64, v uint64) {
	mustBus().Write32(addr, uint32(v))
	mustBus().Write32(addr+4, uint32(v>>32))
}

func mustBus() Bus {
	if bus == nil {
		panic("mmio: register access on the host without a simulated bus (mmio.SetBus)")
	}
	return bus
}
