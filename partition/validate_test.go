package partition

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validationCase is a config and the exact problems it must produce, each
// written as line:col: message; the test adds the file name.
type validationCase struct {
	name   string
	config string
	// files are guest files the case adds to the standard ones.
	files map[string][]byte
	want  []string
}

// standardFixtures are the guest files every validation case may name.
func standardFixtures() map[string][]byte {
	return map[string][]byte{
		"guest.bin":  make([]byte, 4*KiB),
		"Image":      linuxImage(0, 2*MiB, 8*int(KiB)),
		"guest.elf":  elfImage{entry: 0x48000000, segments: []elfSegment{{0x48000000, 0x100, 64 * KiB}}}.bytes(),
		"board.dtb":  dtb(64, 64),
		"initrd.img": []byte("070701"),
	}
}

func runValidationCases(t *testing.T, cases []validationCase) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFiles(t, dir, standardFixtures())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			writeFiles(t, dir, tc.files)
			_, err := Parse("config.yaml", []byte(tc.config))
			got := errorLines(t, err)
			want := make([]string, len(tc.want))
			for i, w := range tc.want {
				want[i] = "config.yaml:" + w
				if w[0] == ':' { // a problem with the whole file
					want[i] = "config.yaml" + w
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestValidateMemory(t *testing.T) {
	runValidationCases(t, []validationCase{{
		name: "regions of one partition overlap",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory:
      - {base: 0x48000000, size: 64MiB}
      - {base: 0x4a000000, size: 64MiB}
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{`7:9: partition "a": memory 0x4a000000+64MiB overlaps memory 0x48000000+64MiB of this partition (line 6); merge the two regions into one, or move one of them`},
	}, {
		name: "regions of two partitions overlap",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
  - name: b
    cpus: [1]
    memory: [{base: 0x4b000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{`9:14: partition "b": memory 0x4b000000+64MiB overlaps memory 0x48000000+64MiB of partition "a" (line 5); move or shrink one of them`},
	}, {
		name: "guest addresses of one partition overlap",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory:
      - {base: 0x48000000, size: 64MiB, ipa: 0x80000000}
      - {base: 0x50000000, size: 64MiB, ipa: 0x82000000}
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{`7:9: partition "a": memory at ipa 0x82000000+64MiB overlaps memory at ipa 0x80000000+64MiB (line 6) in the guest's address space; change the region's ipa`},
	}, {
		name: "memory overlaps the hypervisor's memory the config reserves",
		config: `board: qemu-virt
hypervisor:
  memory: {base: 0x40000000, size: 256MiB}
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{`7:14: partition "a": memory 0x48000000+64MiB overlaps the hypervisor's memory 0x40000000+256MiB (line 3); no guest may use the hypervisor's memory: move it out of that range`},
	}, {
		name: "memory overlaps the hypervisor's memory the board reserves",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x40000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{`5:14: partition "a": memory 0x40000000+64MiB overlaps the hypervisor's memory 0x40000000+128MiB; no guest may use the hypervisor's memory: move it out of that range`},
	}, {
		name: "memory outside RAM overlaps a device",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x9000000, size: 68KiB}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{
			`5:14: partition "a": memory 0x9000000+68KiB is outside the board's RAM (0x40000000+2GiB); place it inside one RAM bank`,
			`5:14: partition "a": memory 0x9000000+68KiB overlaps board device "uart0" (mmio 0x9000000+4KiB), the hypervisor's console; remove the range: no guest may map it`,
			`5:14: partition "a": memory 0x9000000+68KiB overlaps the mmio 0x9010000+4KiB of board device "rtc"; memory must be RAM clear of device MMIO: move the memory, or correct the mmio`,
		},
	}, {
		name: "explicit device mmio in another partition's memory",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
  - name: b
    cpus: [1]
    memory: [{base: 0x50000000, size: 64MiB}]
    devices: [{name: sram, mmio: [{base: 0x48000000, size: 4KiB}]}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{
			`10:35: partition "b": device "sram" mmio 0x48000000+4KiB lies in the board's RAM 0x40000000+2GiB; give RAM to a partition under memory, or share it with a channel`,
			`10:35: partition "b": device "sram" mmio 0x48000000+4KiB overlaps memory 0x48000000+64MiB of partition "a" (line 5); memory must be RAM clear of device MMIO: move the memory, or correct the mmio`,
		},
	}, {
		name: "misaligned base and size",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000800, size: 0x1800}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{
			`5:21: partition "a": memory base 0x48000800 is not aligned to 4KiB; use 0x48000000 or 0x48001000`,
			`5:39: partition "a": memory size 6KiB is not a multiple of 4KiB; use 4KiB or 8KiB`,
		},
	}, {
		name: "size zero and a size below one page",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 0}, {base: 0x4c000000, size: 512}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{
			`5:39: partition "a": memory size is 0; give it a size, e.g. size: 64MiB`,
			`5:68: partition "a": memory size 0x200 is not a multiple of 4KiB; use 4KiB`,
		},
	}, {
		name: "base plus size wraps",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0xfffffffffffff000, size: 8KiB}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{`5:21: partition "a": memory 0xfffffffffffff000+8KiB runs past the end of the 64-bit address space; lower the base or the size`},
	}, {
		name: "beyond the physical address size",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0xffff000000, size: 32MiB}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{
			`5:14: partition "a": memory 0xffff000000+32MiB is outside the board's RAM (0x40000000+2GiB); place it inside one RAM bank`,
			`5:21: partition "a": memory 0xffff000000+32MiB ends at 0x10001000000, beyond the board's 40-bit physical address space; keep it below 0x10000000000`,
		},
	}, {
		name: "guest address beyond the IPA size",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB, ipa: 0xfffe000000}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{`5:51: partition "a": memory ipa 0xfffe000000+64MiB ends at 0x10002000000, beyond the guest's 39-bit address space (the stage-2 tables' input size); keep it below 0x8000000000`},
	}, {
		// Within the board's 40 physical address bits, beyond the
		// stage-2 tables' 39.
		name: "guest address beyond the stage-2 input size",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB, ipa: 0x8000000000}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{`5:51: partition "a": memory ipa 0x8000000000+64MiB ends at 0x8004000000, beyond the guest's 39-bit address space (the stage-2 tables' input size); keep it below 0x8000000000`},
	}, {
		name: "guest address misaligned and over the virtual GIC",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB, ipa: 0x8000100}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{
			`5:14: partition "a": memory at ipa 0x8000100+64MiB overlaps the virtual GIC distributor at 0x8000000+64KiB in the guest's address space; change the region's ipa`,
			`5:14: partition "a": memory at ipa 0x8000100+64MiB overlaps the virtual GIC redistributors at 0x80a0000+15744KiB in the guest's address space; change the region's ipa`,
			`5:14: partition "a": memory at ipa 0x8000100+64MiB overlaps the virtual console UART at 0x9000000+4KiB in the guest's address space; change the region's ipa`,
			`5:51: partition "a": memory ipa 0x8000100 is not aligned to 4KiB; use 0x8000000 or 0x8001000`,
		},
	}, {
		name: "guest address over the partition's own device",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64KiB, ipa: 0x9010000}]
    devices: [rtc]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{`5:14: partition "a": memory at ipa 0x9010000+64KiB overlaps device "rtc" at 0x9010000+4KiB (line 6) in the guest's address space; change the region's ipa`},
	}, {
		name: "memory outside RAM",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0xbf000000, size: 32MiB}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{`5:14: partition "a": memory 0xbf000000+32MiB is outside the board's RAM (0x40000000+2GiB); place it inside one RAM bank`},
	}, {
		name: "no memory",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: []
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{`5:13: partition "a": no memory is listed; give it at least one region, e.g. memory: [{base: 0x48000000, size: 64MiB}]`},
	}, {
		name: "hypervisor memory smaller than the board's region",
		config: `board: qemu-virt
hypervisor:
  memory: {base: 0x40000000, size: 64MiB}
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{`3:11: hypervisor memory 0x40000000+64MiB does not cover the board's hypervisor region 0x40000000+128MiB; the firmware's shared region and per-core slots live there: make the memory include 0x40000000-0x47ffffff`},
	}})
}

func TestValidateDevices(t *testing.T) {
	runValidationCases(t, []validationCase{{
		name: "the hypervisor's devices by name",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB}]
    devices: [gicd, gicr, gits, smmu]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{
			`6:15: partition "a": device "gicd" is part of the interrupt controller, which the hypervisor owns (guests get a virtual GIC); remove it: no guest may have it`,
			`6:21: partition "a": device "gicr" is part of the interrupt controller, which the hypervisor owns (guests get a virtual GIC); remove it: no guest may have it`,
			`6:27: partition "a": device "gits" is part of the interrupt controller, which the hypervisor owns (guests get a virtual GIC); remove it: no guest may have it`,
			`6:33: partition "a": device "smmu" is the SMMU, which the hypervisor programs for the guests; remove it: no guest may have it`,
		},
	}, {
		name: "explicit mmio over the redistributors, the ITS and the SMMU",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB}]
    devices:
      - name: sneaky
        mmio: [{base: 0x80a0000, size: 4KiB}, {base: 0x8080000, size: 4KiB}, {base: 0x9050000, size: 4KiB}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{
			`8:16: partition "a": device "sneaky" mmio 0x80a0000+4KiB overlaps board device "gicr" (mmio 0x80a0000+15744KiB), part of the interrupt controller, which the hypervisor owns (guests get a virtual GIC); remove the range: no guest may map it`,
			`8:47: partition "a": device "sneaky" mmio 0x8080000+4KiB overlaps board device "gits" (mmio 0x8080000+128KiB), part of the interrupt controller, which the hypervisor owns (guests get a virtual GIC); remove the range: no guest may map it`,
			`8:78: partition "a": device "sneaky" mmio 0x9050000+4KiB overlaps board device "smmu" (mmio 0x9050000+128KiB), the SMMU, which the hypervisor programs for the guests; remove the range: no guest may map it`,
		},
	}, {
		name: "the hypervisor's console by name and by mmio",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB}]
    devices: [uart0, {name: serial, mmio: [{base: 0x9000000, size: 4KiB}]}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{
			`6:15: partition "a": device "uart0" is the hypervisor's console; remove it and give the partition console: virtual, or choose another UART for hypervisor.console`,
			`6:44: partition "a": device "serial" mmio 0x9000000+4KiB overlaps board device "uart0" (mmio 0x9000000+4KiB), the hypervisor's console; remove the range: no guest may map it`,
		},
	}, {
		name: "another UART for the hypervisor frees uart0",
		config: `board: qemu-virt
hypervisor: {console: gpio}
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB}]
    devices: [uart0, gpio]
    console: uart0
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{
			`7:22: partition "a": device "gpio" is the hypervisor's console; remove it and give the partition console: virtual, or choose another UART for hypervisor.console`,
		},
	}, {
		name: "a device the board does not have",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB}]
    devices: [can0]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{`6:15: partition "a": device "can0" is not a device of board "qemu-virt"; use one of rtc, fw-cfg, gpio, virtio-mmio, pcie, flash`},
	}, {
		name: "a named device in two partitions",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB}]
    devices: [rtc]
    kernel: {format: raw, image: guest.bin}
  - name: b
    cpus: [1]
    memory: [{base: 0x50000000, size: 64MiB}]
    devices: [gpio, rtc]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{`11:21: partition "b": device "rtc" is also given to partition "a" (line 6); a device belongs to one partition: remove it from one of them`},
	}, {
		name: "explicit mmio of a device another partition has",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB}]
    devices: [rtc]
    kernel: {format: raw, image: guest.bin}
  - name: b
    cpus: [1]
    memory: [{base: 0x50000000, size: 64MiB}]
    devices:
      - {name: clock, mmio: [{base: 0x9010000, size: 4KiB}]}
      - {name: clock-alias, mmio: [{base: 0x9010000, size: 4KiB}]}
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{
			`12:30: partition "b": device "clock" mmio 0x9010000+4KiB overlaps device "rtc" (mmio 0x9010000+4KiB) of partition "a" (line 6); a device belongs to one partition: give it to only one of them`,
			`13:36: partition "b": device "clock-alias" mmio 0x9010000+4KiB overlaps device "rtc" (mmio 0x9010000+4KiB) of partition "a" (line 6); a device belongs to one partition: give it to only one of them`,
			`13:36: partition "b": device "clock-alias" mmio 0x9010000+4KiB overlaps device "clock" (mmio 0x9010000+4KiB) of this partition (line 12); list each MMIO range once`,
		},
	}, {
		name: "a device listed twice, badly named or named like a board device",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB}]
    devices:
      - rtc
      - rtc
      - {name: CAN_0, interrupts: [40]}
      - {name: gpio, interrupts: [41]}
      - {name: lonely}
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{
			`8:9: partition "a": device "rtc" is listed twice (first at line 7); remove one of them`,
			`9:16: partition "a": device name "CAN_0" is not valid; use lowercase letters, digits and '-', starting with a letter: the name becomes a console prefix and a device-tree node name`,
			`10:16: partition "a": device "gpio" has the name of a board device; write the plain string - gpio to pass the board's device, or give this one another name`,
			`11:9: partition "a": device "lonely" lists no mmio, interrupts or stream_ids; write it as the plain string - "lonely" to pass the board's device of that name, or list its resources`,
		},
	}, {
		name: "a passthrough console that is not the partition's",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB}]
    console: uart1
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{`6:14: partition "a": console "uart1" is neither virtual nor a device of this partition; write console: virtual, or add "uart1" to devices`},
	}})
}

func TestValidateCores(t *testing.T) {
	runValidationCases(t, []validationCase{{
		name: "a core in two partitions",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0, 1]
    memory: [{base: 0x48000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
  - name: b
    cpus: [2, 1]
    memory: [{base: 0x50000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{`8:15: partition "b": core 1 is also given to partition "a" (line 4); a core runs one partition: remove it from one of them`},
	}, {
		name: "a core listed twice and one the board does not have",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [3, 3, 4]
    memory: [{base: 0x48000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{
			`4:15: partition "a": core 3 is listed twice (first at line 4); remove one of them`,
			`4:18: partition "a": core 4 does not exist on board "qemu-virt"; use one of its cores 0-3`,
		},
	}, {
		name: "no cores",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: []
    memory: [{base: 0x48000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
  - name: b
    memory: [{base: 0x50000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{
			`4:11: partition "a": no cores are listed; give it at least one, e.g. cpus: [0]`,
			`7:5: partition "b": no cores are listed; give it at least one, e.g. cpus: [0]`,
		},
	}})
}

func TestValidateInterrupts(t *testing.T) {
	runValidationCases(t, []validationCase{{
		name: "an interrupt of two devices in two partitions",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB}]
    devices: [rtc]
    kernel: {format: raw, image: guest.bin}
  - name: b
    cpus: [1]
    memory: [{base: 0x50000000, size: 64MiB}]
    devices: [{name: timer, interrupts: [34]}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{`11:42: partition "b": interrupt 34 is also given to device "rtc" of partition "a" (line 6); an interrupt belongs to one device or doorbell: remove it from one of them`},
	}, {
		name: "an interrupt twice in one partition and reused as doorbells",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB}]
    devices: [{name: can0, interrupts: [140]}, {name: can1, interrupts: [140]}]
    kernel: {format: raw, image: guest.bin}
  - name: b
    cpus: [1]
    memory: [{base: 0x50000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
channels:
  - {name: one, base: 0x60000000, size: 4KiB, doorbell: 140, members: [{partition: a, access: rw}, {partition: b, access: ro}]}
  - {name: two, base: 0x60001000, size: 4KiB, doorbell: 150, members: [{partition: a, access: rw}, {partition: b, access: ro}]}
  - {name: three, base: 0x60002000, size: 4KiB, doorbell: 150, members: [{partition: a, access: rw}, {partition: b, access: ro}]}
`,
		want: []string{
			`6:74: partition "a": interrupt 140 is also given to device "can0" of this partition (line 6); an interrupt belongs to one device or doorbell: remove it from one of them`,
			`13:57: channel "one": doorbell 140 is also given to device "can0" of partition "a" (line 6); an interrupt belongs to one device or doorbell: remove it from one of them`,
			`15:59: channel "three": doorbell 150 is also given to the doorbell of channel "two" (line 14); an interrupt belongs to one device or doorbell: remove it from one of them`,
		},
	}, {
		name: "SGI, PPI, beyond the SPIs and the hypervisor's",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB}]
    devices: [{name: bad, interrupts: [3, 27, 288, 106, 33, 255]}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{
			`6:40: partition "a": interrupt 3 is an SGI (0-15); SGIs carry the hypervisor's signals between cores and are never assigned: remove it`,
			`6:43: partition "a": interrupt 27 is a PPI (16-31), private to each core and never assigned; guests get the timers (virtual timer 27, physical timer 30) virtually: remove it`,
			`6:47: partition "a": interrupt 288 is beyond the board's SPIs (32-255); use an SPI in 32-255`,
			`6:52: partition "a": interrupt 106 belongs to board device "smmu", the SMMU, which the hypervisor programs for the guests; remove it`,
			`6:57: partition "a": interrupt 33 belongs to board device "uart0", the hypervisor's console; remove it`,
		},
	}, {
		name: "a doorbell on a board device's interrupt and on a PPI",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
  - name: b
    cpus: [1]
    memory: [{base: 0x50000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
channels:
  - name: one
    base: 0x60000000
    size: 4KiB
    doorbell: 34
    members: [{partition: a, access: rw}, {partition: b, access: ro}]
  - name: two
    base: 0x60001000
    size: 4KiB
    doorbell: 27
    members: [{partition: a, access: rw}, {partition: b, access: ro}]
`,
		want: []string{
			`15:15: channel "one": doorbell 34 is the interrupt of board device "rtc"; pick an SPI no board device uses`,
			`20:15: channel "two": doorbell 27 is a PPI (16-31), private to each core and never assigned; guests get the timers (virtual timer 27, physical timer 30) virtually: remove it`,
		},
	}})
}

func TestValidateStreamIDs(t *testing.T) {
	runValidationCases(t, []validationCase{{
		name: "a stream ID twice and one too wide",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB}]
    devices: [{name: dma0, stream_ids: [7, 65536]}]
    kernel: {format: raw, image: guest.bin}
  - name: b
    cpus: [1]
    memory: [{base: 0x50000000, size: 64MiB}]
    devices: [{name: dma1, stream_ids: [7]}, pcie]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{
			`6:44: partition "a": stream ID 65536 does not fit the SMMU's 16-bit stream IDs (0-65535); use the stream ID the SoC's manual gives for the device`,
			`11:41: partition "b": stream ID 7 of device "dma1" overlaps stream ID 7 of device "dma0" of partition "a" (line 6); a stream ID belongs to one device: remove it from one of them`,
		},
	}, {
		// A PCIe host bridge carries every requester ID; a partition
		// gives those of the devices it drives.
		name: "stream IDs of a board device",
		config: `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB}]
    devices: [{name: pcie, stream_ids: [0x10, 0x1000, 0x10000]}, {name: rtc, stream_ids: [8]}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{
			`6:47: partition "a": stream ID 4096 lies beyond the 4096 stream IDs the hypervisor's stream table holds (0-4095); give the device a stream ID below that; on a PCIe bus, put it on a lower bus number`,
			`6:55: partition "a": stream ID 65536 is not a stream ID of device "pcie" (stream IDs 0-65535); use a stream ID the device carries`,
			`6:91: partition "a": device "rtc" of board "qemu-virt" does no DMA through the SMMU; remove stream_ids and write it as the plain string - rtc`,
		},
	}})
}

func TestValidateNames(t *testing.T) {
	runValidationCases(t, []validationCase{{
		name: "names that are invalid, too long or repeated",
		config: `board: qemu-virt
partitions:
  - name: Ecu
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
  - name: 2nd
    cpus: [1]
    memory: [{base: 0x4c000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
  - name: a-partition-name-longer-than-31-characters
    cpus: [2]
    memory: [{base: 0x50000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
  - name: ecu
    cpus: [3]
    memory: [{base: 0x54000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
  - name: ecu
    memory: [{base: 0x58000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
channels:
  - {name: data, base: 0x60000000, size: 4KiB, members: [{partition: ecu, access: rw}, {partition: Ecu, access: ro}]}
  - {name: data, base: 0x60001000, size: 4KiB, members: [{partition: ecu, access: rw}, {partition: Ecu, access: ro}]}
`,
		want: []string{
			`3:11: partition "Ecu": name "Ecu" is not valid; use lowercase letters, digits and '-', starting with a letter: the name becomes a console prefix and a device-tree node name`,
			`7:11: partition "2nd": name "2nd" is not valid; use lowercase letters, digits and '-', starting with a letter: the name becomes a console prefix and a device-tree node name`,
			`11:11: partition "a-partition-name-longer-than-31-characters": name "a-partition-name-longer-than-31-characters" is 42 characters long; use at most 31, the device-tree limit for node names`,
			`19:5: partition "ecu": no cores are listed; give it at least one, e.g. cpus: [0]`,
			`19:11: partition "ecu": name is already used by the partition at line 15; give each partition its own name`,
			`24:12: channel "data": name is already used by the channel at line 23; give each channel its own name`,
		},
	}})
}

func TestValidateChannels(t *testing.T) {
	const partitions = `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
  - name: b
    cpus: [1]
    memory: [{base: 0x50000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
channels:
`
	runValidationCases(t, []validationCase{{
		name: "channels overlapping each other, memory and the hypervisor",
		config: partitions + `  - {name: one, base: 0x60000000, size: 64KiB, members: [{partition: a, access: rw}, {partition: b, access: ro}]}
  - {name: two, base: 0x60008000, size: 64KiB, members: [{partition: a, access: rw}, {partition: b, access: ro}]}
  - {name: three, base: 0x4bff0000, size: 128KiB, members: [{partition: a, access: rw}, {partition: b, access: ro}]}
  - {name: four, base: 0x47ff0000, size: 64KiB, members: [{partition: a, access: rw}, {partition: b, access: ro}]}
`,
		want: []string{
			`13:5: channel "two": memory 0x60008000+64KiB overlaps the memory 0x60000000+64KiB of channel "one" (line 12); move or shrink one of them`,
			`14:5: channel "three": memory 0x4bff0000+128KiB overlaps memory 0x48000000+64MiB of partition "a" (line 5); move or shrink one of them`,
			`15:5: channel "four": memory 0x47ff0000+64KiB overlaps the hypervisor's memory 0x40000000+128MiB; no guest may use the hypervisor's memory: move it out of that range`,
		},
	}, {
		name: "a channel over device MMIO",
		config: partitions + `  - {name: one, base: 0x9010000, size: 4KiB, members: [{partition: a, access: rw}, {partition: b, access: ro}]}
`,
		want: []string{
			`12:5: channel "one": memory 0x9010000+4KiB is outside the board's RAM (0x40000000+2GiB); place it inside one RAM bank`,
			`12:5: channel "one": memory 0x9010000+4KiB overlaps the mmio 0x9010000+4KiB of board device "rtc"; memory must be RAM clear of device MMIO: move the memory, or correct the mmio`,
		},
	}, {
		name: "members: too few, unknown, twice, none writes",
		config: partitions + `  - {name: one, base: 0x60000000, size: 4KiB, members: [{partition: a, access: rw}]}
  - {name: two, base: 0x60001000, size: 4KiB, members: [{partition: a, access: rw}, {partition: c, access: ro}, {partition: a, access: ro}]}
  - {name: three, base: 0x60002000, size: 4KiB, members: [{partition: a, access: ro}, {partition: b, access: ro}]}
`,
		want: []string{
			`12:5: channel "one": has only one member; a channel connects two or more partitions: list them under members`,
			`13:97: channel "two": member partition "c" does not exist; use one of a, b`,
			`13:125: channel "two": partition "a" is listed twice (first at line 13); remove one of them`,
			`14:5: channel "three": no member has access rw; give the member that produces the data access: rw (memory no one writes stays zero)`,
		},
	}, {
		name: "member guest addresses",
		config: partitions + `  - name: one
    base: 0x60000000
    size: 64KiB
    members:
      - {partition: a, access: rw, ipa: 0x48001000}
      - {partition: b, access: ro, ipa: 0x70000800}
  - name: two
    base: 0x60010000
    size: 64KiB
    members:
      - {partition: a, access: rw, ipa: 0x80000000}
      - {partition: b, access: ro, ipa: 0x9000000}
  - name: three
    base: 0x60020000
    size: 64KiB
    members:
      - {partition: a, access: rw, ipa: 0x80000000}
      - {partition: b, access: ro}
`,
		want: []string{
			`16:9: channel "one": channel "one" at ipa 0x48001000+64KiB overlaps memory at ipa 0x48000000+64MiB (line 5) in partition "a"'s address space; change the member's ipa`,
			`17:41: channel "one": member "b" ipa 0x70000800 is not aligned to 4KiB; use 0x70000000 or 0x70001000`,
			`23:9: channel "two": channel "two" at ipa 0x9000000+64KiB overlaps the virtual console UART at 0x9000000+4KiB in partition "b"'s address space; change the member's ipa`,
			`28:9: channel "three": channel "three" at ipa 0x80000000+64KiB overlaps channel "two" at ipa 0x80000000+64KiB (line 22) in partition "a"'s address space; change the member's ipa`,
		},
	}})
}

func TestValidateBoardAndHypervisor(t *testing.T) {
	runValidationCases(t, []validationCase{{
		name: "unknown board",
		config: `board: qemu-vert
partitions:
  - name: a
    cpus: [0, 7]
    memory: [{base: 0x48000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{`1:8: unknown board "qemu-vert"; use one of imx8mp-evk, qemu-virt`},
	}, {
		name: "hypervisor console the board does not have",
		config: `board: qemu-virt
hypervisor:
  console: uart7
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB}]
    kernel: {format: raw, image: guest.bin}
`,
		want: []string{`3:12: hypervisor console "uart7" is not a device of board "qemu-virt"; use the board's console UART, console: uart0`},
	}, {
		name: "no partitions",
		config: `board: qemu-virt
partitions: []
`,
		want: []string{`1:1: no partitions are listed; add at least one under partitions:`},
	}})
}

// A device that can DMA but has no stream IDs is valid (its DMA aborts)
// and noted as a warning; with stream IDs it is not.
func TestValidateWarnsOfDMAWithoutStreamIDs(t *testing.T) {
	config := func(pcie string) string {
		return `board: qemu-virt
partitions:
  - name: a
    cpus: [0]
    memory: [{base: 0x48000000, size: 64MiB}]
    devices: [` + pcie + `]
    kernel: {format: raw, image: guest.bin}
`
	}
	c, err := parse("config.yaml", []byte(config("pcie")), false)
	require.NoError(t, err)
	require.Len(t, c.Warnings, 1)
	assert.Equal(t, `config.yaml:6:15: warning: partition "a": device "pcie" can do DMA, but has no stream_ids: every DMA of the devices behind it aborts; `+
		`give the requester IDs (bus << 8 | device << 3 | function) of the PCI devices the partition drives: {name: pcie, stream_ids: [0x10]} for 00:02.0`,
		c.Warnings[0].Error())

	c, err = parse("config.yaml", []byte(config("{name: pcie, stream_ids: [0x10]}")), false)
	require.NoError(t, err)
	assert.Empty(t, c.Warnings)
	d, ok := c.Partitions[0].Device("pcie")
	require.True(t, ok)
	assert.True(t, d.FromBoard)
	assert.Equal(t, []uint32{35, 36, 37, 38}, interruptIDs(d.Interrupts))
	require.Len(t, d.StreamIDs, 1)
	assert.Equal(t, uint32(0x10), d.StreamIDs[0].First)
}

func interruptIDs(irqs []Interrupt) []uint32 {
	ids := make([]uint32, len(irqs))
	for i, irq := range irqs {
		ids[i] = irq.ID
	}
	return ids
}
