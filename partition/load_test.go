package partition

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/board/qemuvirt"
)

// at is a position in config.yaml.
func at(line, column int) Pos { return Pos{File: "config.yaml", Line: line, Column: column} }

// fullConfig uses every field; TestParseFullConfig states what each one
// becomes.
const fullConfig = `board: qemu-virt
hypervisor:
  memory: {base: 0x40000000, size: 128MiB}
  console: uart0
partitions:
  - name: linux
    cpus: [0, 1]
    memory:
      - {base: 0x48000000, size: 512MiB}
      - {base: 0x80000000, size: 0x100000, ipa: 0x100000000}
    devices:
      - rtc
      - {name: can0, mmio: [{base: 0x9100000, size: 4KiB}], interrupts: [140], stream_ids: [9]}
    kernel:
      format: linux
      image: Image
      initrd: initrd.img
      dtb: board.dtb
      bootargs: "console=ttyAMA0"
    console: virtual
    on_fault: stop
  - name: ecu
    cpus: [2]
    memory: [{base: 0x68000000, size: 64MiB}]
    devices: [{name: uart1, mmio: [{base: 0x9200000, size: 4KiB}], interrupts: [142]}]
    kernel: {format: raw, image: guest.bin, entry: 0x68000100}
    console: uart1
channels:
  - name: data
    base: 0x6d000000
    size: 64KiB
    doorbell: 141
    members:
      - {partition: ecu, access: rw}
      - {partition: linux, access: ro, ipa: 0x100100000}
`

func TestParseFullConfig(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFiles(t, dir, standardFixtures())
	c, err := Parse("config.yaml", []byte(fullConfig))
	if err != nil {
		t.Fatal(err)
	}
	linux, ecu, data := c.Partitions[0], c.Partitions[1], c.Channels[0]
	tests := []struct {
		field     string
		got, want any
	}{
		{"File", c.File, "config.yaml"},
		{"Pos", c.Pos, at(1, 1)},
		{"Dir", c.Dir, "."},
		{"BoardName", c.BoardName, "qemu-virt"},
		{"BoardPos", c.BoardPos, at(1, 8)},
		{"Board", c.Board, qemuvirt.Board},
		{"Hypervisor", c.Hypervisor, Hypervisor{
			Memory:  Range{Base: 0x40000000, Size: 128 * MiB, Pos: at(3, 11), BasePos: at(3, 18), SizePos: at(3, 36)},
			Console: "uart0", ConsolePos: at(4, 12), Pos: at(3, 3),
		}},
		{"partitions", len(c.Partitions), 2},
		{"linux.Name", linux.Name, "linux"},
		{"linux.Pos", []Pos{linux.Pos, linux.NamePos, linux.CPUsPos, linux.MemoryPos, linux.OnFaultPos}, []Pos{at(6, 5), at(6, 11), at(7, 11), at(9, 7), at(21, 15)}},
		{"linux.CPUs", linux.CPUs, []Core{{0, at(7, 12)}, {1, at(7, 15)}}},
		{"linux.Memory", linux.Memory, []MemoryRegion{
			{Range: Range{Base: 0x48000000, Size: 512 * MiB, Pos: at(9, 9), BasePos: at(9, 16), SizePos: at(9, 34)}, IPA: 0x48000000},
			{Range: Range{Base: 0x80000000, Size: MiB, Pos: at(10, 9), BasePos: at(10, 16), SizePos: at(10, 34)}, IPA: 0x100000000, IPAPos: at(10, 49)},
		}},
		{"linux.Devices", linux.Devices, []Device{
			{Name: "rtc", FromBoard: true, Pos: at(12, 9), NamePos: at(12, 9),
				MMIO:       []Range{{Base: qemuvirt.RTCBase, Size: qemuvirt.PageSize, Pos: at(12, 9), BasePos: at(12, 9), SizePos: at(12, 9)}},
				Interrupts: []Interrupt{{qemuvirt.RTCIRQ, at(12, 9)}}},
			{Name: "can0", Pos: at(13, 9), NamePos: at(13, 16),
				MMIO:       []Range{{Base: 0x9100000, Size: 4 * KiB, Pos: at(13, 29), BasePos: at(13, 36), SizePos: at(13, 53)}},
				Interrupts: []Interrupt{{140, at(13, 74)}}, StreamIDs: []StreamIDRange{{9, 1, at(13, 93)}}},
		}},
		{"linux.Kernel", linux.Kernel, Kernel{
			Format:   FormatLinux,
			Image:    File{"Image", "Image", at(16, 14)},
			Initrd:   File{"initrd.img", "initrd.img", at(17, 15)},
			DTB:      File{"board.dtb", "board.dtb", at(18, 12)},
			Bootargs: "console=ttyAMA0",
			Entry:    0x48000000, LoadIPA: 0x48000000,
			Pos: at(15, 7), FormatPos: at(15, 15), BootargsPos: at(19, 17),
		}},
		{"linux.Console", linux.Console, Console{Kind: ConsoleVirtual, Pos: at(20, 14)}},
		{"linux.OnFault", linux.OnFault, FaultStop},
		{"ecu.Kernel", ecu.Kernel, Kernel{
			Format: FormatRaw, Image: File{"guest.bin", "guest.bin", at(26, 34)},
			Entry: 0x68000100, EntrySet: true, LoadIPA: 0x68000000,
			Pos: at(26, 13), FormatPos: at(26, 22), EntryPos: at(26, 52),
		}},
		{"ecu.Console", ecu.Console, Console{Kind: ConsolePassthrough, Device: "uart1", Pos: at(27, 14)}},
		{"ecu.OnFault", ecu.OnFault, FaultAbort},
		{"data.Name", []any{data.Name, data.NamePos}, []any{"data", at(29, 11)}},
		{"data.Range", data.Range, Range{Base: 0x6d000000, Size: 64 * KiB, Pos: at(29, 5), BasePos: at(30, 11), SizePos: at(31, 11)}},
		{"data.Doorbell", data.Doorbell, &Interrupt{141, at(32, 15)}},
		{"data.Members", data.Members, []ChannelMember{
			{Partition: "ecu", Access: AccessReadWrite, IPA: 0x6d000000, Pos: at(34, 9), PartitionPos: at(34, 21), AccessPos: at(34, 34)},
			{Partition: "linux", Access: AccessReadOnly, IPA: 0x100100000, Pos: at(35, 9), PartitionPos: at(35, 21), AccessPos: at(35, 36), IPAPos: at(35, 45)},
		}},
		{"Summary linux", linux.Summary(), "linux: cores 0,1; memory 0x48000000+512MiB, 0x80000000+1MiB at ipa 0x100000000; devices rtc,can0; kernel linux Image; console virtual; on_fault stop"},
		{"Summary ecu", ecu.Summary(), "ecu: cores 2; memory 0x68000000+64MiB; devices uart1; kernel raw guest.bin; console uart1; on_fault abort"},
	}
	for _, tc := range tests {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.field, tc.got, tc.want)
		}
	}
}

// TestDefaults checks what Validate fills in when the config leaves it
// out.
func TestDefaults(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFiles(t, dir, standardFixtures())
	c, err := Parse("config.yaml", []byte(onePartition(memory64M, "{format: raw, image: guest.bin}")))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Partitions[0]
	tests := []struct {
		field     string
		got, want any
	}{
		{"hypervisor memory", c.Hypervisor.Memory.Region(), qemuvirt.Board.Hypervisor.Memory},
		{"hypervisor console", c.Hypervisor.Console, qemuvirt.Board.Hypervisor.UART},
		{"console", p.Console.Kind, ConsoleVirtual},
		{"on_fault", p.OnFault, FaultAbort},
		{"identity ipa", p.Memory[0].Guest(), board.Region{Base: 0x48000000, Size: 64 * MiB}},
	}
	for _, tc := range tests {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s: got %+v, want %+v", tc.field, tc.got, tc.want)
		}
	}
}

func TestParseSchemaErrors(t *testing.T) {
	const valid = "    cpus: [0]\n    memory: [{base: 0x48000000, size: 64MiB}]\n    kernel: {format: raw, image: guest.bin}\n"
	runValidationCases(t, []validationCase{{
		name:   "unknown fields",
		config: "board: qemu-virt\npartition:\n  - name: a\nextra: 1\n",
		want: []string{
			`1:1: no partitions are listed; add at least one under partitions:`,
			`2:1: unknown field "partition" in the config; did you mean "partitions"? (the config accepts board, hypervisor, partitions, channels)`,
			`4:1: unknown field "extra" in the config; remove it, or use one of board, hypervisor, partitions, channels`,
		},
	}, {
		name:   "unknown field in a partition and a repeated one",
		config: "board: qemu-virt\npartitions:\n  - name: a\n    cpu: [0]\n" + valid + "    cpus: [1]\n",
		want: []string{
			`4:5: partition "a": unknown field "cpu" in partition; did you mean "cpus"? (partition accepts name, cpus, memory, devices, kernel, console, on_fault, watchdog)`,
			`8:5: partition "a": field "cpus" is repeated (first at line 5); keep one of them`,
		},
	}, {
		name:   "values of the wrong kind",
		config: "board: [qemu-virt]\npartitions:\n  - name: a\n    cpus: 0\n    memory: {base: 0x48000000, size: 64MiB}\n    kernel: [raw, guest.bin]\n",
		want: []string{
			`1:8: field "board" must be a single value, not a list; write it as board: qemu-virt`,
			`4:11: partition "a": field "cpus" must be a list, not a single value; write it as cpus: [0, 1]`,
			`5:13: partition "a": field "memory" must be a list, not a mapping; write it as memory: [{base: 0x48000000, size: 64MiB}]`,
			`6:13: partition "a": field "kernel" must be a mapping of fields, not a list; write it as kernel: {format: elf, image: ../build/guests/ecu.elf}`,
		},
	}, {
		name:   "partitions not a list, and an empty kernel",
		config: "board: qemu-virt\npartitions: {name: a}\n---\n",
		want: []string{
			`2:13: field "partitions" must be a list, not a mapping; write it as a list whose entries start with "- name: ecu"`,
			`3:1: a second YAML document starts here; a config is one document: remove the '---' line and what follows, or split it into two files`,
		},
	}, {
		name:   "missing fields",
		config: "board: qemu-virt\npartitions:\n  - cpus: [0]\n    memory: [{base: 0x48000000}, {size: 4KiB}]\n  - name: b\n    cpus: [1]\n    memory: [{base: 0x50000000, size: 64MiB}]\n    kernel:\n  - name: c\n    cpus: [2]\n    memory: [{base: 0x58000000, size: 64MiB}]\n    kernel: {}\n",
		want: []string{
			`3:5: field "name" is missing; name the partition, e.g. name: ecu`,
			`3:5: field "kernel" is missing; give the guest software, e.g. kernel: {format: elf, image: ../build/guests/ecu.elf}`,
			`4:14: field "size" is missing; give the size, e.g. size: 64MiB`,
			`4:34: field "base" is missing; give the physical address, e.g. base: 0x48000000`,
			`8:12: partition "b": field "kernel" is empty; write it as kernel: {format: elf, image: ../build/guests/ecu.elf}`,
			`12:13: partition "c": field "format" is missing; give the image's format: format: linux, elf, raw`,
			`12:13: partition "c": field "image" is missing; name the guest image, e.g. image: ../build/guests/ecu.elf`,
		},
	}, {
		name:   "channel and member fields missing",
		config: "board: qemu-virt\npartitions:\n  - name: a\n" + valid + "channels:\n  - {name: c, members: [{partition: a}, {access: ro}]}\n",
		want: []string{
			`8:5: channel "c": field "base" is missing; give the physical address, e.g. base: 0x48000000`,
			`8:5: channel "c": field "size" is missing; give the size, e.g. size: 64MiB`,
			`8:25: channel "c": field "access" is missing; say what the member may do: access: rw or access: ro`,
			`8:41: channel "c": field "partition" is missing; name the member partition, e.g. partition: ecu`,
		},
	}, {
		name:   "numbers",
		config: "board: qemu-virt\npartitions:\n  - name: a\n    cpus: [0x1g]\n    memory: [{base: 0100, size: 64MB}, {base: 1GiB, size: 99999999999999999999}, {base: 0x48000000, size: 64 KiB}]\n    devices: [{name: x, interrupts: [4294967296, -1]}]\n    kernel: {format: raw, image: guest.bin}\n",
		want: []string{
			`4:12: partition "a": core "0x1g" is not a number; write it as a decimal or 0x-prefixed hexadecimal integer`,
			`5:21: partition "a": base "0100" has a leading zero, which some YAML readers take as octal; drop the leading zeros, or write hexadecimal with 0x`,
			`5:33: partition "a": size "64MB" has unit "MB"; write 64MiB (units are KiB, MiB, GiB and TiB)`,
			`5:47: partition "a": base "1GiB" is a size, not an address; write the address as an integer such as 0x48000000`,
			`5:59: partition "a": size "99999999999999999999" does not fit in 64 bits; write a size below 2^64`,
			`6:38: partition "a": interrupt 4294967296 does not fit in 32 bits; use a smaller value`,
			`6:50: partition "a": interrupt "-1" is not a number; write it as a decimal or 0x-prefixed hexadecimal integer`,
		},
	}, {
		name:   "values that are not accepted",
		config: "board: qemu-virt\npartitions:\n  - name: a\n    cpus: [0]\n    memory: [{base: 0x48000000, size: 64MiB}]\n    kernel: {format: zimage, image: guest.bin}\n    on_fault: reboot\n  - name: b\n    cpus: [1]\n    memory: [{base: 0x50000000, size: 64MiB}]\n    kernel: {format: raw, image: guest.bin, bootargs: [a]}\nchannels:\n  - {name: c, base: 0x60000000, size: 4KiB, members: [{partition: a, access: wo}, {partition: b, access: ro}]}\n",
		want: []string{
			`6:22: partition "a": format "zimage" is not valid; use one of linux, elf, raw`,
			`7:15: partition "a": on_fault "reboot" is not valid; use one of abort, stop, restart`,
			`11:55: partition "b": field "bootargs" must be a single value, not a list; write it as bootargs: "console=ttyAMA0"`,
			`13:78: channel "c": access "wo" is not valid; use one of rw, ro`,
		},
	}, {
		name:   "watchdog",
		config: "board: qemu-virt\npartitions:\n  - name: a\n    cpus: [0]\n    memory: [{base: 0x48000000, size: 64MiB}]\n    kernel: {format: raw, image: guest.bin}\n    watchdog: {timeout: 0ms, action: reboot}\n  - name: b\n    cpus: [1]\n    memory: [{base: 0x50000000, size: 64MiB}]\n    kernel: {format: raw, image: guest.bin}\n    watchdog: {action: stop, timout: 2h}\n",
		want: []string{
			`7:25: partition "a": timeout "0ms" is out of range; write it in ms or s, e.g. 100ms or 2s, between 1ms and 3600s`,
			`7:38: partition "a": action "reboot" is not valid; use one of restart, stop`,
			`12:15: partition "b": field "timeout" is missing; say how long the guest may go without refreshing it, e.g. timeout: 100ms`,
			`12:30: partition "b": unknown field "timout" in watchdog; did you mean "timeout"? (watchdog accepts timeout, action)`,
		},
	}, {
		name:   "anchors and aliases",
		config: "board: qemu-virt\npartitions:\n  - name: a\n    cpus: &cores [0]\n    memory: [{base: 0x48000000, size: 64MiB}]\n    kernel: {format: raw, image: guest.bin}\n  - name: b\n    cpus: *cores\n    memory: [{base: 0x50000000, size: 64MiB}]\n    kernel: {format: raw, image: guest.bin}\n",
		want: []string{
			`8:11: partition "b": field "cpus" uses the alias *cores; anchors and aliases are not supported: write the value out`,
		},
	}, {
		name:   "a key that is not a name",
		config: "board: qemu-virt\n[a]: 1\npartitions:\n  - name: a\n" + valid,
		want:   []string{`2:1: a key in the config is a list; keys are plain field names: board, hypervisor, partitions, channels`},
	}, {
		// yaml.v3 reports the line of the block the parser was in.
		name:   "YAML syntax error in a block",
		config: "board: qemu-virt\npartitions:\n  - name: a\n   cpus: [0]\n",
		want:   []string{`2: YAML syntax error: did not find expected '-' indicator; check the indentation, the ':' after each key and the quoting from this line on`},
	}, {
		name:   "YAML syntax error in a value",
		config: "board: qemu-virt\npartitions:\n  - name: \"a\n",
		want:   []string{`3: YAML syntax error: found unexpected end of stream; check the indentation, the ':' after each key and the quoting from this line on`},
	}, {
		name:   "an empty file",
		config: "",
		want:   []string{`: the file holds no settings; start from configs/qemu-virt.yaml, and see docs/config.md for every field`},
	}, {
		name:   "only comments",
		config: "# nothing yet\n",
		want:   []string{`: the file holds no settings; start from configs/qemu-virt.yaml, and see docs/config.md for every field`},
	}, {
		name:   "an empty document",
		config: "---\n",
		want:   []string{`: the file holds no settings; start from configs/qemu-virt.yaml, and see docs/config.md for every field`},
	}, {
		name:   "not a mapping",
		config: "- board\n",
		want:   []string{`1:1: the config must be a mapping of fields, not a list; write it as board: qemu-virt`},
	}})
}

// TestParseNoCascades checks that a value the loader cannot read is
// reported once, not again as missing or empty by the validator.
func TestParseNoCascades(t *testing.T) {
	runValidationCases(t, []validationCase{{
		name: "unreadable names, console, cores, memory and partitions",
		config: `board: qemu-virt
hypervisor: {console: [uart0]}
partitions:
  - name: [a]
    cpus: [x]
    memory: [{base: 0x48000000, size: 64MB}]
    kernel: {format: raw, image: guest.bin}
channels:
  - {name: {c: 1}, base: 0x60000000, size: 4KiB, members: [{partition: x, access: rw}, {partition: y, access: ro}]}
`,
		want: []string{
			`2:23: field "console" must be a single value, not a list; write it as console: uart0`,
			`4:11: field "name" must be a single value, not a list; write it as name: ecu`,
			`5:12: core "x" is not a number; write it as a decimal or 0x-prefixed hexadecimal integer`,
			`6:39: size "64MB" has unit "MB"; write 64MiB (units are KiB, MiB, GiB and TiB)`,
			`9:12: field "name" must be a single value, not a mapping; write it as name: vehicle-data`,
			`9:72: member partition "x" does not exist; use one of the config's partitions`,
			`9:100: member partition "y" does not exist; use one of the config's partitions`,
		},
	}})
}

// LoadPartitioning checks everything but the guest files, which may not
// be built yet; a partitioning error is still reported.
func TestLoadPartitioningSkipsOnlyGuestFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.yaml")
	config := `board: qemu-virt
partitions:
  - name: a
    cpus: [2]
    memory: [{base: 0x70000000, size: 64MiB}]
    kernel: {format: elf, image: not-built-yet.elf}
`
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "not-built-yet.elf") {
		t.Fatalf("Load accepted a missing kernel image: %v", err)
	}
	c, err := LoadPartitioning(path)
	if err != nil {
		t.Fatalf("LoadPartitioning: %v", err)
	}
	if len(c.Partitions) != 1 || c.Partitions[0].Name != "a" {
		t.Fatalf("partitions: %+v", c.Partitions)
	}
	if _, err := Compile(c); err == nil || !strings.Contains(err.Error(), "loaded without reading its guest files") {
		t.Fatalf("Compile accepted a config whose guest files were never read: %v", err)
	}
	bad := strings.Replace(config, "cpus: [2]", "cpus: [9]", 1)
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPartitioning(path); err == nil || !strings.Contains(err.Error(), "x.yaml:4:12") {
		t.Fatalf("LoadPartitioning missed a partitioning error: %v", err)
	}
}
