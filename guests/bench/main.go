//go:build tamago && arm64

// Command bench is the measurement guest of `make bench-qemu`: a
// bare-metal Go program at EL1 on guests/el1 that times, with the virtual
// counter, many iterations of the operations a hypervisor's trap path
// decides the cost of. The same image runs natively (QEMU's virt machine
// without EL2, where it drives the real GIC and PL011) and as a Tamavisor
// partition (configs/bench.yaml, where it finds the virtual GIC and the
// virtual PL011 at the same addresses), so the difference between the two
// runs is the hypervisor's.
//
// It prints one line per operation, which cmd/benchqemu reads:
//
//	bench: counter 1000000000 Hz
//	bench: op hvc n 2000 ticks 8002 min 0
//	bench: op sgi n 500 ticks 2500 min 5
//	bench: done
//
// ticks is the sum over n iterations (for the latencies, of the samples),
// min the least sample (0 where one loop is timed as a whole). The loops
// are in bench_arm64.s; the interrupt handler is its vectors' first
// instructions.
package main

import (
	"unsafe"

	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/driver/mmio"
	"github.com/tamavisor/tamavisor/guests/el1"
	"github.com/tamavisor/tamavisor/mmu"
)

// Defined in bench_arm64.s.
func hvcLoop(n uint64) (ticks uint64)
func readLoop(addr, n uint64) (ticks uint64)
func writeLoop(addr uint64, p *byte, n uint64) (ticks uint64)
func timerLoop(n, delay uint64) (sum, min uint64)
func pendLoop(ispendr uint64, bit uint32, n uint64) (sum, min uint64)
func sgiLoop(n uint64) (sum, min uint64)
func benchVectorsAddress() uint64
func setVectors(vbar uint64) (previous uint64)
func cpuInterfaceOn()
func saveMMU(c *secondaryContext)
func secondaryEntryAddress() uint64

// coreStamps is what the interrupt handler leaves for a core's loop: the
// count at its first instruction, how many interrupts it took, and the
// last one's INTID. One per vCPU, coreStampsSize bytes apart.
type coreStamps struct {
	Stamp, Seq, IAR uint64
	_               [5]uint64
}

const coreStampsSize = 64

var stamps [2]coreStamps

// secondaryContext hands the second vCPU what it needs at its entry.
type secondaryContext struct {
	MAIR, TCR, TTBR0, SCTLR, VBAR uint64
	Ready                         uint64
}

var second secondaryContext

// GICv3 registers (IHI 0069): the distributor's, and a redistributor's in
// its SGI frame.
const (
	gicdCTLR       = 0x0000
	gicdTYPER      = 0x0004
	gicdIGROUPR    = 0x0080
	gicdISENABLER  = 0x0100
	gicdISPENDR    = 0x0200
	gicdIPRIORITYR = 0x0400
	gicdIROUTER    = 0x6000
	gicrWAKER      = 0x0014
	gicrSGIFrame   = 0x1_0000
	gicrIGROUPR0   = gicrSGIFrame + 0x0080
	gicrISENABLER0 = gicrSGIFrame + 0x0100
	gicrIPRIORITYR = gicrSGIFrame + 0x0400
	gicrStride     = 0x2_0000
	ctlrARE        = 1 << 4
	ctlrGroups     = 0b11
	wakerSleep     = 1 << 1
	wakerAsleep    = 1 << 2
	priority       = 0x80
)

// The interrupts measured: SGI 0, the virtual timer, and the GPIO
// controller's SPI, which the bench partition is given and nothing raises
// but the guest's own GICD_ISPENDR write.
const (
	sgi          = 0
	virtTimerIRQ = qemuvirt.VirtTimerIRQ
	spi          = qemuvirt.GPIOIRQ
	vcpus        = 2
)

// Iterations per operation.
const (
	calls       = 2000
	reads       = 2000
	uartLines   = 16
	lineBytes   = 64
	interrupts  = 500
	timerDelay  = 4000 // ticks from arming the timer to its deadline
	warmUp      = 20
	readyWaitMS = 1000
)

func main() {
	out := el1.Output()
	out.WriteString("bench: up at EL1\n")
	out.WriteString("bench: counter ")
	out.Dec(el1.CounterFrequency())
	out.WriteString(" Hz\n")
	for _, r := range []mmu.Region{
		{Name: "gicd", VA: qemuvirt.GICDBase, PA: qemuvirt.GICDBase, Size: 0x1_0000, Attr: mmu.MMIO},
		{Name: "gicr", VA: qemuvirt.GICRBase, PA: qemuvirt.GICRBase, Size: vcpus * gicrStride, Attr: mmu.MMIO},
	} {
		if err := el1.Map(r); err != nil {
			fail("mapping " + r.Name + ": " + err.Error())
		}
	}
	if !initGIC() {
		fail("a redistributor did not wake")
	}
	cpuInterfaceOn()
	vectors := benchVectorsAddress()
	if !startSecond(vectors) {
		fail("the second vCPU did not start")
	}

	// Each loop runs a few times first, so that no figure holds a first
	// iteration's misses.
	hvcLoop(warmUp)
	report("hvc", calls, hvcLoop(calls), 0)
	readLoop(qemuvirt.GICDBase+gicdTYPER, warmUp)
	report("gicd-read", reads, readLoop(qemuvirt.GICDBase+gicdTYPER, reads), 0)

	var line [lineBytes]byte
	text := "bench: uart line "
	copy(line[:], text)
	for i := len(text); i < lineBytes-1; i++ {
		line[i] = byte('a' + (i-len(text))%26)
	}
	line[lineBytes-1] = '\n'
	var uartTicks uint64
	for range uartLines {
		uartTicks += writeLoop(el1.ConsoleUART, &line[0], lineBytes)
	}
	report("uart-write", uartLines*lineBytes, uartTicks, 0)

	previous := setVectors(vectors)
	sgiLoop(warmUp)
	sgiSum, sgiMin := sgiLoop(interrupts)
	timerLoop(warmUp, timerDelay)
	timerSum, timerMin := timerLoop(interrupts, timerDelay)
	ispendr := uint64(qemuvirt.GICDBase + gicdISPENDR + 4*(spi/32))
	pendLoop(ispendr, 1<<(spi%32), warmUp)
	spiSum, spiMin := pendLoop(ispendr, 1<<(spi%32), interrupts)
	setVectors(previous)
	report("sgi", interrupts, sgiSum, sgiMin)
	report("timer", interrupts, timerSum, timerMin)
	report("spi", interrupts, spiSum, spiMin)
	out.WriteString("bench: done\n")
	el1.Halt()
}

// report prints one operation's line.
func report(name string, n, ticks, min uint64) {
	out := el1.Output()
	out.WriteString("bench: op ")
	out.WriteString(name)
	out.WriteString(" n ")
	out.Dec(n)
	out.WriteString(" ticks ")
	out.Dec(ticks)
	out.WriteString(" min ")
	out.Dec(min)
	out.WriteString("\n")
}

func fail(why string) {
	out := el1.Output()
	out.WriteString("bench: failed: " + why + "\n")
	el1.Halt()
}

// initGIC sets up the distributor (affinity routing, both groups), both
// vCPUs' redistributors (awake, SGIs and PPIs in group 1 at one priority,
// SGI 0 and the virtual timer enabled) and the SPI (group 1, routed to
// vCPU 0, enabled). Natively these are the real GIC's registers; under
// Tamavisor the partition's virtual GIC's.
func initGIC() bool {
	d := uint64(qemuvirt.GICDBase)
	mmio.Write32(d+gicdCTLR, ctlrARE|ctlrGroups)
	for v := uint64(0); v < vcpus; v++ {
		r := uint64(qemuvirt.GICRBase) + v*gicrStride
		mmio.Write32(r+gicrWAKER, mmio.Read32(r+gicrWAKER)&^wakerSleep)
		deadline := el1.Counter() + el1.CounterFrequency()
		for mmio.Read32(r+gicrWAKER)&wakerAsleep != 0 {
			if el1.Counter() > deadline {
				return false
			}
		}
		mmio.Write32(r+gicrIGROUPR0, 0xffff_ffff)
		for w := uint64(0); w < 8; w++ {
			mmio.Write32(r+gicrIPRIORITYR+4*w, priority*0x0101_0101)
		}
		mmio.Write32(r+gicrISENABLER0, 1<<sgi|1<<virtTimerIRQ)
	}
	word, bit := uint64(spi/32), uint32(1)<<(spi%32)
	mmio.Write32(d+gicdIGROUPR+4*word, mmio.Read32(d+gicdIGROUPR+4*word)|bit)
	prio := d + gicdIPRIORITYR + spi&^3
	shift := 8 * (spi % 4)
	mmio.Write32(prio, mmio.Read32(prio)&^(0xff<<shift)|priority<<shift)
	mmio.Write64(d+gicdIROUTER+8*spi, 0) // vCPU 0
	mmio.Write32(d+gicdISENABLER+4*word, bit)
	return true
}

// startSecond starts vCPU 1 with PSCI CPU_ON at secondaryEntry, with this
// core's translation tables and the bench vectors, and waits until it
// says it is ready.
func startSecond(vectors uint64) bool {
	const cpuOn64 = 0xc400_0003
	saveMMU(&second)
	second.VBAR = vectors
	context := uint64(uintptr(unsafe.Pointer(&second)))
	if r := el1.HVC(cpuOn64, 1, secondaryEntryAddress(), context); r != 0 {
		el1.Output().WriteString("bench: CPU_ON returned ")
		el1.Output().Hex(r)
		el1.Output().WriteString("\n")
		return false
	}
	deadline := el1.Counter() + el1.CounterFrequency()*readyWaitMS/1000
	for mmio.Read64(uint64(uintptr(unsafe.Pointer(&second.Ready)))) == 0 {
		if el1.Counter() > deadline {
			return false
		}
	}
	return true
}
