//go:build tamago && arm64 && !imx8mp

package main

import (
	"strings"
	"unsafe"

	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/driver/mmio"
	"github.com/tamavisor/tamavisor/guests/el1"
	"github.com/tamavisor/tamavisor/internal/fdt"
)

// QEMU's edu PCI device (docs/specs/edu.rst in QEMU): a DMA engine the
// attacker programs to copy between its 4 KiB buffer, at device address
// 0x40000, and any bus address. When the partition's config gives it a
// device named edu (PCIe ECAM and the 32-bit window), the attacker finds
// the device at 00:02.0, gives it a BAR and bus mastering, and has it copy
// into its own RAM, the ECU's and the hypervisor's.
const (
	eduDevfn       = 2 << 3
	eduVendorID    = 0x11e8_1234 // device 0x11e8, vendor 0x1234
	pciCommand     = 0x04
	pciBAR0        = 0x10
	pciMemory      = 1 << 1
	pciBusMaster   = 1 << 2
	eduDMASource   = 0x80
	eduDMADest     = 0x88
	eduDMACount    = 0x90
	eduDMACommand  = 0x98
	eduDMAStart    = 1 << 0
	eduDMAToRAM    = 1 << 1
	eduBuffer      = 0x4_0000
	eduBAR         = qemuvirt.PCIeMMIOBase
	eduTransfer    = 16
	eduWaitSeconds = 2
)

// dmaPattern and dmaLanding are the attacker's own RAM the edu copies from
// and into.
var dmaPattern, dmaLanding [eduTransfer / 8]uint64

// hasDevice reports whether the device tree has a node named name@....
func hasDevice(name string) bool {
	blob, err := el1.DeviceTree()
	if err != nil {
		return false
	}
	root, err := fdt.Parse(blob)
	if err != nil {
		return false
	}
	for _, n := range root.Children {
		if strings.HasPrefix(n.Name, name+"@") {
			return true
		}
	}
	return false
}

// eduLines runs the DMA attempts, one line each, if the partition has the
// edu device; none otherwise.
func eduLines() []string {
	if !hasDevice("edu") {
		return nil
	}
	config := uint64(qemuvirt.PCIeECAMBase + eduDevfn<<12)
	for _, page := range []uint64{config, eduBAR} {
		if err := mapPage(page); err != nil {
			return []string{"attack: edu: not attempted: " + err.Error()}
		}
	}
	var id uint32
	if fault, faulted := el1.Try(func() { id = mmio.Read32(config) }); faulted {
		return []string{"attack: edu: reading its PCI configuration: abort (" + fault.Error() + ")"}
	}
	if id != eduVendorID {
		return []string{"attack: edu: 00:02.0 is " + hex(uint64(id)) + ", not QEMU's edu"}
	}
	mmio.Write32(config+pciBAR0, eduBAR)
	mmio.Write32(config+pciCommand, pciMemory|pciBusMaster)

	for i := range dmaPattern {
		dmaPattern[i] = 0xd3a0_0000_0000_0000 | uint64(i)
		dmaLanding[i] = 0
	}
	own := uint64(uintptr(unsafe.Pointer(&dmaPattern[0])))
	landing := uint64(uintptr(unsafe.Pointer(&dmaLanding[0])))
	lines := []string{}
	ok := eduCopy(own, eduBuffer, 0) && eduCopy(eduBuffer, landing, eduDMAToRAM)
	line := "attack: edu DMA into own RAM at " + hex(landing) + ": "
	switch {
	case !ok:
		line += "the device did not finish"
	case dmaLanding != dmaPattern:
		line += "data did not arrive"
	default:
		line += "data arrived"
	}
	lines = append(lines, line)
	for _, target := range []struct {
		what string
		addr uint64
	}{{"another partition's RAM", ecuBase}, {"hypervisor memory", hypervisorData}} {
		line := "attack: edu DMA into " + target.what + " at " + hex(target.addr) + ": "
		if eduCopy(eduBuffer, target.addr, eduDMAToRAM) {
			line += "the device finished"
		} else {
			line += "the device did not finish"
		}
		lines = append(lines, line)
	}
	mmio.Write32(config+pciCommand, 0)
	return lines
}

// eduCopy has the edu copy eduTransfer bytes from source to destination,
// direction eduDMAToRAM or 0, and waits for it.
func eduCopy(source, destination uint64, direction uint64) bool {
	mmio.Write64(eduBAR+eduDMASource, source)
	mmio.Write64(eduBAR+eduDMADest, destination)
	mmio.Write64(eduBAR+eduDMACount, eduTransfer)
	mmio.Write64(eduBAR+eduDMACommand, eduDMAStart|direction)
	deadline := el1.Counter() + eduWaitSeconds*el1.CounterFrequency()
	for el1.Counter() < deadline {
		if mmio.Read64(eduBAR+eduDMACommand)&eduDMAStart == 0 {
			return true
		}
	}
	return false
}
