package tests

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

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

// eduDevice is QEMU's edu at 00:02.0, its DMA addresses 40 bits wide
// (its default mask keeps 28).
var eduDevice = []string{"-device", "edu,addr=2,dma_mask=0xffffffffff"}

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
		Image: img, Timeout: 120 * time.Second, Expect: expect, ExtraArgs: eduDevice,
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
	}, eduDevice...)
	checkHeartbeats(t, strings.Join(r.Output, "\n"), 1)
}
