//go:build tamago && arm64

package main

import (
	"errors"
	"strconv"

	"github.com/tamavisor/tamavisor/driver/mmio"
	"github.com/tamavisor/tamavisor/guests/el1"
)

// Defined in instructions_arm64.s.
func pmuProbe() (pmcr, cycles uint64)
func cacheGeometry(level uint64) (ccsidr uint64)
func cleanInvalidateSetWay(operand uint64)
func debugRegister(v uint64) uint64
func enableGroup1()
func acknowledge() uint64
func endOfInterrupt(intid uint64)
func setPhysicalTimer(cval uint64)
func stopPhysicalTimer()
func physicalCount() uint64

// The attacker's interference attempts: what a partition can do on its
// own core that could reach another partition's (the PMU counting the
// hypervisor, cache maintenance by set/way on the shared L2, an interrupt
// routed away from its partition), and the own-core facilities it must
// keep (debug registers, the EL1 physical timer).

// pmuLine programs the PMU to count cycles at EL2 around 100 hypervisor
// calls. Under Tamavisor the PMU has no counters and counts nothing.
func pmuLine() string {
	line := "attack: PMU counting cycles at EL2 over 100 HVCs: "
	var pmcr, cycles uint64
	fault, faulted := el1.Try(func() { pmcr, cycles = pmuProbe() })
	if faulted {
		return line + "abort (" + fault.Error() + ")"
	}
	return line + "PMCR_EL0 " + hex(pmcr) + ", " + strconv.FormatUint(pmcr>>11&0x1f, 10) + " counters, cycle counter " + strconv.FormatUint(cycles, 10)
}

// setWayLine cleans and invalidates the shared level-2 cache by set and
// way, every line of it, as a guest would before turning its caches off.
// Under Tamavisor each operation traps and only the partition's own
// memory is cleaned.
func setWayLine() string {
	const level = 1 // L2
	ccsidr := cacheGeometry(level)
	lineShift := ccsidr&7 + 4
	ways := ccsidr>>3&0x3ff + 1
	sets := ccsidr>>13&0x7fff + 1
	wayShift := uint64(32)
	for w := ways - 1; w != 0; w >>= 1 {
		wayShift--
	}
	ops := 0
	fault, faulted := el1.Try(func() {
		for way := int64(ways - 1); way >= 0; way-- {
			for set := int64(sets - 1); set >= 0; set-- {
				cleanInvalidateSetWay(uint64(way)<<wayShift | uint64(set)<<lineShift | level<<1)
				ops++
			}
		}
	})
	line := "attack: clean and invalidate the shared L2 by set/way (" + strconv.FormatUint(sets, 10) + " sets, " +
		strconv.FormatUint(ways, 10) + " ways): "
	if faulted {
		return line + "abort (" + fault.Error() + ")"
	}
	return line + strconv.Itoa(ops) + " operations, ok"
}

// debugLine writes and reads back a breakpoint value register: the
// debug registers are the partition's own on its core.
func debugLine() string {
	const v = 0x7400_1234
	var got uint64
	fault, faulted := el1.Try(func() { got = debugRegister(v) })
	line := "attack: debug register DBGBVR0_EL1 on own core: "
	switch {
	case faulted:
		return line + "abort (" + fault.Error() + ")"
	case got != v:
		return line + "read back " + hex(got)
	}
	return line + "ok"
}

// GIC distributor and redistributor registers (GICv3).
const (
	gicdCTLR       = 0x0000
	gicdIGROUPR    = 0x0080
	gicdISENABLER  = 0x0100
	gicdICENABLER  = 0x0180
	gicdIPRIORITYR = 0x0400
	gicdIROUTER    = 0x6000
	gicrSGIBase    = 0x1_0000
	gicrIGROUPR0   = gicrSGIBase + 0x0080
	gicrISENABLER0 = gicrSGIBase + 0x0100
	gicrICENABLER0 = gicrSGIBase + 0x0180
	gicrIPRIORITYR = gicrSGIBase + 0x0400
	spurious       = 1023
)

// setupGIC turns on the distributor's groups and the CPU interface.
func setupGIC() error {
	for _, page := range []uint64{gicdBase, gicdBase + gicdIROUTER, gicrBase, gicrBase + gicrSGIBase} {
		if err := mapPage(page); err != nil {
			return err
		}
	}
	mmio.Write32(gicdBase+gicdCTLR, 0x3)
	if fault, faulted := el1.Try(enableGroup1); faulted {
		return errors.New("the GIC's system register interface: " + fault.Error())
	}
	return nil
}

// waitFor polls the CPU interface for up to ms milliseconds for intid,
// acknowledging and ending it; others are ended and ignored.
func waitFor(intid uint64, ms uint64) bool {
	deadline := el1.Counter() + ms*el1.CounterFrequency()/1000
	for el1.Counter() < deadline {
		switch id := acknowledge(); id {
		case spurious:
		case intid:
			endOfInterrupt(id)
			return true
		default:
			endOfInterrupt(id)
		}
	}
	return false
}

// spiRoutingLine routes the partition's own SPI (its device's) to an
// affinity that names none of its vCPUs, enables it and raises it: it
// must not be delivered, nor reach another partition's core; routed back
// to its own vCPU, it is.
func spiRoutingLine() string {
	line := "attack: own SPI routed to no vCPU, enabled and raised: "
	if err := setupGIC(); err != nil {
		return line + "not attempted: " + err.Error()
	}
	if err := mapPage(ownSPIDevice); err != nil {
		return line + "not attempted: " + err.Error()
	}
	const intid = ownSPI
	bit := uint32(1) << (intid % 32)
	word := uint64(intid/32) * 4
	mmio.Write32(gicdBase+gicdIGROUPR+word, mmio.Read32(gicdBase+gicdIGROUPR+word)|bit)
	setPriority(gicdBase+gicdIPRIORITYR, intid, 0x80)
	mmio.Write64(gicdBase+gicdIROUTER+8*intid, 0xff) // Aff0 255: no vCPU
	mmio.Write32(gicdBase+gicdISENABLER+word, bit)
	raiseOwnSPI()
	if waitFor(intid, 50) {
		line += "delivered"
	} else {
		line += "not delivered"
	}
	mmio.Write64(gicdBase+gicdIROUTER+8*intid, 0) // vCPU 0, itself
	delivered := waitFor(intid, 5000)
	lowerOwnSPI()
	mmio.Write32(gicdBase+gicdICENABLER+word, bit)
	if delivered {
		return line + "; routed to itself: delivered"
	}
	return line + "; routed to itself: not delivered"
}

// physicalTimerTicks runs a tick on the EL1 physical timer, every period
// ticks of the counter, n times, each deadline the previous one plus the
// period (no drift, none skipped), and reports the ticks taken and the
// worst lateness of a tick in counter ticks.
func physicalTimerTicks(n int, period uint64) (ticks int, worst uint64) {
	const ppi = physTimerIRQ
	r := uint64(gicrBase)
	mmio.Write32(r+gicrIGROUPR0, mmio.Read32(r+gicrIGROUPR0)|1<<ppi)
	setPriority(r+gicrIPRIORITYR, ppi, 0x80)
	mmio.Write32(r+gicrISENABLER0, 1<<ppi)
	deadline := physicalCount() + period
	setPhysicalTimer(deadline)
	for ticks < n {
		id := acknowledge()
		if id == spurious {
			if physicalCount() > deadline+el1.CounterFrequency() {
				break // a second without the tick: it stopped
			}
			continue
		}
		if id == ppi {
			worst = max(worst, physicalCount()-deadline)
			deadline += period
			setPhysicalTimer(deadline) // the line drops before it is ended
			ticks++
		}
		endOfInterrupt(id)
	}
	stopPhysicalTimer()
	mmio.Write32(r+gicrICENABLER0, 1<<ppi)
	return ticks, worst
}

// physicalTimerLine runs the tick at 1 kHz for 5 s.
func physicalTimerLine() string {
	const hz, seconds = 1000, 5
	line := "attack: physical timer tick at 1 kHz for 5 s: "
	if err := setupGIC(); err != nil {
		return line + "not attempted: " + err.Error()
	}
	frequency := el1.CounterFrequency()
	var ticks int
	var worst uint64
	fault, faulted := el1.Try(func() { ticks, worst = physicalTimerTicks(hz*seconds, frequency/hz) })
	if faulted {
		return line + "abort (" + fault.Error() + ")"
	}
	return line + strconv.Itoa(ticks) + " of " + strconv.Itoa(hz*seconds) + " ticks, worst lateness " +
		strconv.FormatUint(worst*1_000_000/frequency, 10) + " us"
}

// setPriority sets intid's byte in the IPRIORITYR words at base.
func setPriority(base uint64, intid uint64, priority uint32) {
	addr, shift := base+intid&^3, 8*(intid%4)
	mmio.Write32(addr, mmio.Read32(addr)&^(0xff<<shift)|priority<<shift)
}

func hex(v uint64) string { return "0x" + strconv.FormatUint(v, 16) }
