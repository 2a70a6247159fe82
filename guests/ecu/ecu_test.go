//go:build !tamago

package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tamavisor/tamavisor/guests/el1/el1test"
)

// heartbeat matches the ECU's once-a-second line.
var heartbeat = regexp.MustCompile(`^ecu: heartbeat (\d+) loops=(\d+) worst-jitter=(\d+)us canary=(.*)$`)

// TestECUFitsItsPartition checks the ELF the Makefile builds against the
// ecu partition of configs/qemu-virt.yaml.
func TestECUFitsItsPartition(t *testing.T) {
	el1test.RequireTools(t)
	layout := el1test.ReadLayout(t, el1test.Build(t, "ecu.elf"))
	for _, p := range layout.CheckFits(el1test.Partition(t, "ecu")) {
		t.Error(p)
	}
}

// TestECUStandalone boots the ECU alone under QEMU at EL1 and waits for it
// to come up and for three heartbeats, counting up, with the canary intact.
func TestECUStandalone(t *testing.T) {
	emulator := el1test.RequireTools(t)
	elf := el1test.Build(t, "ecu.elf")
	r := el1test.Boot(t, emulator, elf, 2*time.Minute,
		`^ecu: up at EL1, ram 0x[0-9a-f]+\+\w+ \((from the device tree at 0x[0-9a-f]+|linked constants; .+)\)$`,
		heartbeat.String(), heartbeat.String(), heartbeat.String())
	t.Log(r.Matches[0][0])
	var lastN, lastLoops, worst uint64
	for _, m := range r.Matches[1:] {
		n, _ := strconv.ParseUint(m[1], 10, 64)
		loops, _ := strconv.ParseUint(m[2], 10, 64)
		jitter, _ := strconv.ParseUint(m[3], 10, 64)
		if n != lastN+1 || loops <= lastLoops {
			t.Errorf("%q follows heartbeat %d with %d loops: want heartbeat %d and more loops", m[0], lastN, lastLoops, lastN+1)
		}
		if m[4] != "ok" {
			t.Errorf("%q: canary changed", m[0])
		}
		lastN, lastLoops, worst = n, loops, max(worst, jitter)
	}
	// QEMU's TCG runs the guest in bursts on a shared host, so the
	// jitter shown here is the emulator's, not the loop's.
	t.Logf("worst start jitter over %d heartbeats under QEMU TCG: %dus", lastN, worst)
	if !strings.HasPrefix(r.Matches[0][0], "ecu: up at EL1") {
		t.Errorf("first line %q", r.Matches[0][0])
	}
}

// TestECUReadsItsDeviceTree boots the ECU as a Linux Image, so that QEMU
// enters it with x0 = its own device tree, placed where Tamavisor places
// the partition's: in the 2 MiB block at the top of the partition, outside
// the Go runtime's RAM. The ECU must map it, read it, and report QEMU's
// memory (-m 2G) rather than its linked constants.
func TestECUReadsItsDeviceTree(t *testing.T) {
	emulator := el1test.RequireTools(t)
	ecu := el1test.Partition(t, "ecu")
	dtb := ecu.End() - el1test.DeviceTreeBlock
	image := el1test.LinuxImage(t, el1test.Build(t, "ecu.elf"), dtb)
	el1test.Boot(t, emulator, image, 2*time.Minute,
		`^ecu: up at EL1, ram 0x40000000\+2GiB \(from the device tree at `+fmt.Sprintf("%#x", dtb)+`\)$`,
		heartbeat.String())
}
