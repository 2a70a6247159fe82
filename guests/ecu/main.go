//go:build tamago && arm64

// Command ecu is the ECU guest: a bare-metal Go program at EL1 that runs a
// 1 kHz control loop on the virtual counter and prints a heartbeat once a
// second:
//
//	ecu: up at EL1, ram 0x70000000+64MiB (from the device tree at 0x73e00000)
//	ecu: heartbeat 1 loops=1000 worst-jitter=3us canary=ok
//
// When its device tree describes the vehicle-data channel's doorbell, it
// publishes a record there after each heartbeat and rings the doorbell:
//
//	ecu: channel vehicle-data at 0x75000000, doorbell at 0xa102000: rung after each heartbeat
//
// When its device tree describes an SBSA watchdog (the partition's config
// has watchdog:), it enables it and refreshes it every ten periods; typing
// h on its console makes it stop refreshing, as a hung control loop would:
//
//	ecu: watchdog at 0xa100000, refreshed every 10 periods (type h to stop)
//	ecu: watchdog refresh stopped
//
// The loop's work is in package control; this file starts it and keeps
// time. Build it with `make guest-elfs`.
package main

import (
	"unsafe"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/driver/mmio"
	"github.com/tamavisor/tamavisor/guests/ecu/control"
	"github.com/tamavisor/tamavisor/guests/el1"
	"github.com/tamavisor/tamavisor/mmu"
)

// watchdogEvery is how many control periods lie between two watchdog
// refreshes (and two looks at the console input): a trap each.
const watchdogEvery = 10

// SBSA Generic Watchdog registers (SBSA, "Generic Watchdog").
const (
	watchdogWCS    = 0x000 // control frame: EN
	watchdogWRR    = 0x000 // refresh frame: any write refreshes
	watchdogEnable = 1
)

var (
	ecu control.ECU
	// canaryWords is the canary's memory, in the ECU's bss.
	canaryWords [control.CanaryWords]uint64
)

func main() {
	out := el1.Output()
	var line [256]byte
	out.Write(appendUpLine(line[:0]))

	canaryBase := uint64(uintptr(unsafe.Pointer(&canaryWords[0])))
	frequency := el1.CounterFrequency()
	// The first period starts one period from now, so that its jitter
	// measures the loop and not the start-up above.
	ecu.Init(frequency, el1.Counter()+frequency/control.Rate, canaryWords[:], canaryBase, out)
	refresh, watched := startWatchdog(out)
	channel, rung := startChannel(out)
	// Poll the counter: there are no interrupts yet, and the core is the
	// ECU's alone.
	for period := uint64(0); ; period++ {
		deadline := ecu.Deadline()
		now := el1.Counter()
		for now < deadline {
			now = el1.Counter()
		}
		if ecu.RunPeriod(now) && rung {
			channel.publish(&ecu)
		}
		if !watched || period%watchdogEvery != 0 {
			continue
		}
		mmio.Write32(refresh, 0)
		if b, ok := el1.Input(); ok && b == 'h' {
			watched = false
			out.WriteString("ecu: watchdog refresh stopped\n")
		}
	}
}

// The channel the ECU publishes to, and its doorbell: a PL061 whose line
// 1, an output, rings the other members (firmware/vdev/doorbell).
const (
	channelName  = "vehicle-data"
	gpioDIR      = 0x400
	ringLine     = 1
	ringData     = 1 << (ringLine + 2) // GPIODATA with only the ring line in its address mask
	recordMagic  = 0x5441_4456         // "VDAT"
	recordMagicW = 0x00
	recordBeatW  = 0x08
	recordLoopsW = 0x10
)

// channel is where the ECU publishes its vehicle data after each update.
type channel struct {
	memory, ring uint64
}

// publish writes the latest record into the channel's memory, then rings
// its doorbell: a reader's interrupt says a new record is there.
func (c channel) publish(e *control.ECU) {
	mmio.Write64(c.memory+recordBeatW, e.Beats())
	mmio.Write64(c.memory+recordLoopsW, e.Loops())
	mmio.Write64(c.memory+recordMagicW, recordMagic)
	mmio.Write32(c.ring, 1<<ringLine)
}

// startChannel finds the vehicle-data channel's doorbell in the device
// tree, maps it and the channel's memory, and makes the ring line an
// output; ok is false when the partition has no such doorbell.
func startChannel(out el1.Console) (c channel, ok bool) {
	blob, err := el1.DeviceTree()
	if err != nil {
		return c, false
	}
	frame, memory, ok, err := el1.DoorbellFromDeviceTree(blob, channelName)
	if err != nil || !ok {
		return c, false
	}
	for _, r := range []board.Region{frame, memory} {
		if err := el1.Map(mmu.Region{Name: channelName, VA: r.Base, PA: r.Base, Size: r.Size, Attr: mmu.MMIO}); err != nil {
			out.WriteString("ecu: channel: ")
			out.WriteString(err.Error())
			out.WriteString("\n")
			return c, false
		}
	}
	mmio.Write32(frame.Base+gpioDIR, 1<<ringLine)
	out.WriteString("ecu: channel " + channelName + " at ")
	out.Hex(memory.Base)
	out.WriteString(", doorbell at ")
	out.Hex(frame.Base)
	out.WriteString(": rung after each heartbeat\n")
	return channel{memory: memory.Base, ring: frame.Base + ringData}, true
}

// startWatchdog enables the watchdog the device tree describes, if any,
// and returns its refresh register.
func startWatchdog(out el1.Console) (refresh uint64, ok bool) {
	blob, err := el1.DeviceTree()
	if err != nil {
		return 0, false
	}
	control, refreshFrame, ok, err := el1.WatchdogFromDeviceTree(blob)
	if err != nil || !ok {
		return 0, false
	}
	for _, r := range []board.Region{control, refreshFrame} {
		if err := el1.Map(mmu.Region{Name: "watchdog", VA: r.Base, PA: r.Base, Size: r.Size, Attr: mmu.MMIO}); err != nil {
			out.WriteString("ecu: watchdog: ")
			out.WriteString(err.Error())
			out.WriteString("\n")
			return 0, false
		}
	}
	mmio.Write32(control.Base+watchdogWCS, watchdogEnable)
	out.WriteString("ecu: watchdog at ")
	out.Hex(control.Base)
	out.WriteString(", refreshed every 10 periods (type h to stop)\n")
	return refreshFrame.Base + watchdogWRR, true
}

// appendUpLine appends the start line: the RAM the partition's device tree
// describes, or the linked constants when there is none (QEMU starts a bare
// ELF with x0 = 0) or it cannot be read, and which of the two it is.
func appendUpLine(dst []byte) []byte {
	dst = append(dst, "ecu: up at EL1, ram "...)
	blob, err := el1.DeviceTree()
	var memory []board.Region
	if err == nil {
		memory, err = el1.MemoryFromDeviceTree(blob)
	}
	if err != nil {
		dst = el1.AppendRegion(dst, board.Region{Base: partitionBase, Size: partitionSize})
		dst = append(dst, " (linked constants; "...)
		dst = append(dst, err.Error()...)
		return append(dst, ")\n"...)
	}
	for i, r := range memory {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = el1.AppendRegion(dst, r)
	}
	dst = append(dst, " (from the device tree at "...)
	dst = el1.AppendHex(dst, el1.BootArgument())
	return append(dst, ")\n"...)
}
