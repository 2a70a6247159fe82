package tests

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/tamavisor/tamavisor/qemu"
)

// eduDevices gives the attacker QEMU's edu PCI device as a device of its
// own (bus 0's ECAM and the start of the 32-bit window), with the
// device's requester ID, 00:02.0, as its stream ID when streamIDs is set
// (for ecuAndAttackerConfig).
func eduDevices(streamIDs bool) string {
	d := `      - name: edu
        mmio:
          - {base: 0x4010000000, size: 1MiB}
          - {base: 0x10000000, size: 1MiB}
`
	if streamIDs {
		d += "        stream_ids: [0x10]\n"
	}
	return d
}

// TestQEMUSMMUConfinesDMA: the attacker has the edu device copy into its
// own RAM (the data arrives), the ECU's and the hypervisor's (the SMMU
// stops each with a translation fault, which the hypervisor reports for
// the attacker's stream ID). The ECU's canary stays intact and every
// partition keeps running.
func TestQEMUSMMUConfinesDMA(t *testing.T) {
	guests := requireGuests(t)
	binary := requireQEMUTools(t)
	img := buildConfig(t, fmt.Sprintf(ecuAndAttackerConfig, guests, eduDevices(true)), nil)
	fault := func(addr string) string {
		return `^tamavisor: partition "test": SMMU: stream ID 0x10, address ` + addr + `, write: .*: DMA aborted$`
	}
	profile, _ := qemu.ProfileFor("qemu-virt")
	var expect []*regexp.Regexp
	for _, e := range []string{
		`^tamavisor: SMMU: stream table of \d+ entries, every stream aborting until its partition starts; \d+-bit stage-2 input$`,
		`^\[test\] attack: edu DMA into own RAM at 0x[0-9a-f]+: data arrived$`,
		`^\[test\] attack: edu DMA into another partition's RAM at 0x70000000: the device finished$`,
		`^\[test\] attack: edu DMA into hypervisor memory at 0x40000000: the device finished$`,
		`^\[test\] attack: done`,
		`^\[ecu\] ecu: heartbeat \d+ .*canary=ok$`,
		`^\[ecu\] ecu: heartbeat \d+ .*canary=ok$`,
	} {
		expect = append(expect, regexp.MustCompile(e))
	}
	// The hypervisor reports the SMMU's events when its interrupt
	// arrives, in any order with the attacker's lines.
	r, err := qemu.Run(context.Background(), binary, profile, qemu.Options{
		Image: img, Timeout: 120 * time.Second, Expect: expect,
		ExpectAny: []*regexp.Regexp{regexp.MustCompile(fault("0x70000000")), regexp.MustCompile(fault("0x40000000"))},
	})
	if err != nil {
		runFailed(t, r, err)
	}
	checkHeartbeats(t, strings.Join(r.Output, "\n"), 2)
}

// TestQEMUSMMUAbortsUnconfiguredDMA: the same device with no stream IDs
// in the config: its stream stays aborting, so not even a copy into the
// attacker's own RAM arrives. The device, not the system, sees the error.
func TestQEMUSMMUAbortsUnconfiguredDMA(t *testing.T) {
	guests := requireGuests(t)
	binary := requireQEMUTools(t)
	img := buildConfig(t, fmt.Sprintf(ecuAndAttackerConfig, guests, eduDevices(false)), nil)
	r := runStepsWith(t, binary, img, 120*time.Second, []consoleStep{
		{`^\[test\] attack: edu DMA into own RAM at 0x[0-9a-f]+: data did not arrive$`, ""},
		{`^\[test\] attack: edu DMA into another partition's RAM at 0x70000000: the device finished$`, ""},
		{`^\[test\] attack: done`, ""},
		{`^\[ecu\] ecu: heartbeat \d+ .*canary=ok$`, ""},
	})
	checkHeartbeats(t, strings.Join(r.Output, "\n"), 1)
}

// TestQEMUSMMUStreamsSurviveARestart: the attacker resets its partition
// (PSCI SYSTEM_RESET). Its stream is detached before its memory is wiped
// and attached again before it runs: after the restart, DMA into its own
// RAM arrives again and DMA into the ECU's RAM is aborted again.
func TestQEMUSMMUStreamsSurviveARestart(t *testing.T) {
	guests := requireGuests(t)
	binary := requireQEMUTools(t)
	img := buildConfig(t, fmt.Sprintf(ecuAndAttackerConfig, guests, eduDevices(true)), nil)
	own := `^\[test\] attack: edu DMA into own RAM at 0x[0-9a-f]+: data arrived$`
	restarted := `^tamavisor: partition "test": SYSTEM_RESET: restarting the partition$`
	r := runStepsWith(t, binary, img, 180*time.Second, []consoleStep{
		{own, ""},
		// ecu, then test: reset it.
		{`^\[test\] attack: done`, hotKey + "r"},
		{restarted, ""},
		{own, ""},
		{`^\[test\] attack: edu DMA into another partition's RAM at 0x70000000: the device finished$`, ""},
		{`^\[test\] attack: done`, ""},
		{`^\[ecu\] ecu: heartbeat \d+ .*canary=ok$`, ""},
	})
	fault := regexp.MustCompile(`^tamavisor: partition "test": SMMU: stream ID 0x10, address 0x70000000, write: .*: DMA aborted$`)
	restart := regexp.MustCompile(restarted)
	before, after := 0, 0
	seen := false
	for _, l := range r.Output {
		switch {
		case restart.MatchString(l):
			seen = true
		case fault.MatchString(l) && seen:
			after++
		case fault.MatchString(l):
			before++
		}
	}
	assert.Equal(t, 1, before, "DMA faults into the ECU's RAM reported before the restart")
	assert.Equal(t, 1, after, "DMA faults into the ECU's RAM reported after the restart")
	checkHeartbeats(t, strings.Join(r.Output, "\n"), 2)
}

// TestQEMULinuxVirtioPCIThroughTheSMMU: Linux is given the PCIe host
// bridge with the stream ID of the virtio entropy device at 00:03.0, and
// its RAM at guest addresses other than its physical ones. Linux finds
// the bridge in its device tree, enumerates the bus, and its virtio-rng
// driver reads random bytes the device writes by DMA to guest addresses:
// they arrive only because the SMMU translates them with the partition's
// stage-2 tables. No SMMU fault is reported.
func TestQEMULinuxVirtioPCIThroughTheSMMU(t *testing.T) {
	guests := requireGuests(t)
	binary := requireQEMUTools(t)
	config := demoConfig(t, guests,
		"      - base: 0x50000000\n        size: 512MiB\n",
		"      - base: 0x50000000\n        size: 512MiB\n        ipa: 0x80000000\n",
		"    console: virtual\n    # Not set: on_fault defaults to abort.\n",
		"    console: virtual\n    devices:\n      - {name: pcie, stream_ids: [0x18]}\n")
	img := buildConfig(t, config, nil)
	var modules []string
	for _, m := range []string{"virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_pci", "virtio-rng"} {
		modules = append(modules, "insmod /lib/modules/"+m+".ko")
	}
	bytesLine := `^\[infotainment\] ((?: [0-9a-f]{2}){16})$`
	r := runSteps(t, binary, img, 240*time.Second, []consoleStep{
		{`^tamavisor: SMMU: stream table of 32 entries, every stream aborting until its partition starts; \d+-bit stage-2 input$`, ""},
		{`^\[infotainment\] \[\s*\d+\.\d+\] pci-host-generic 4010000000\.pcie: host bridge /pcie@4010000000 ranges:$`, ""},
		{`^\[infotainment\] infotainment: linux up, cpus=2, mem=\d+MiB$`,
			strings.Join(modules, "; ") + "; cat /sys/class/misc/hw_random/rng_current\n"},
		{`^\[infotainment\] virtio_rng\.\d+$`, "head -c 64 /dev/hwrng | od -An -tx1 -v\n"},
		{bytesLine, ""}, {bytesLine, ""}, {bytesLine, ""}, {bytesLine, ""},
		{`^\[ecu\] ecu: heartbeat \d+ .*canary=ok$`, ""},
	})
	random := strings.Join([]string{r.Matches[4][1], r.Matches[5][1], r.Matches[6][1], r.Matches[7][1]}, "")
	assert.NotEqual(t, strings.Repeat(" 00", 64), random, "the entropy device's bytes")
	for _, l := range r.Output {
		assert.NotContains(t, l, "SMMU: stream ID", "an SMMU fault")
	}
}
