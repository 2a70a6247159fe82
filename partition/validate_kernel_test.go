package partition

import (
	"debug/elf"
	"testing"
)

// onePartition is a config whose one partition has the given memory (line
// 5) and kernel (line 6).
func onePartition(memory, kernel string) string {
	return "board: qemu-virt\npartitions:\n  - name: a\n    cpus: [0]\n    memory: " + memory + "\n    kernel: " + kernel + "\n"
}

const memory64M = "[{base: 0x48000000, size: 64MiB}]"

func TestValidateGuestFiles(t *testing.T) {
	runValidationCases(t, []validationCase{{
		name:   "missing image, initrd and dtb",
		config: onePartition(memory64M, "{format: linux, image: nope/Image, initrd: nope/initrd, dtb: nope/board.dtb}"),
		want: []string{
			`6:36: partition "a": kernel image "nope/Image" does not exist; build it first, or correct the path, which is relative to the config file's directory`,
			`6:56: partition "a": initrd "nope/initrd" does not exist; build it first, or correct the path, which is relative to the config file's directory`,
			`6:74: partition "a": dtb "nope/board.dtb" does not exist; build it first, or correct the path, which is relative to the config file's directory`,
		},
	}, {
		name:   "a directory and an empty file",
		config: onePartition(memory64M, "{format: raw, image: ., initrd: empty.img}"),
		files:  map[string][]byte{"empty.img": nil},
		want: []string{
			`6:34: partition "a": kernel image "." is not a regular file; name the file itself`,
			`6:45: partition "a": initrd "empty.img" is empty; rebuild it`,
		},
	}, {
		name:   "dtb that is not a device tree",
		config: onePartition(memory64M, "{format: raw, image: guest.bin, dtb: zero.dtb}"),
		files:  map[string][]byte{"zero.dtb": make([]byte, 64)},
		want:   []string{`6:50: partition "a": dtb "zero.dtb" is not a flattened device tree (magic 0x00000000, not 0xd00dfeed); compile the source with dtc -O dtb`},
	}, {
		name:   "dtb shorter than its header",
		config: onePartition(memory64M, "{format: raw, image: guest.bin, dtb: short.dtb}"),
		files:  map[string][]byte{"short.dtb": dtb(64, 64)[:16]},
		want:   []string{`6:50: partition "a": dtb "short.dtb" is 16 bytes, too short for a device tree header (40 bytes); compile the source with dtc -O dtb`},
	}, {
		name:   "dtb cut short",
		config: onePartition(memory64M, "{format: raw, image: guest.bin, dtb: cut.dtb}"),
		files:  map[string][]byte{"cut.dtb": dtb(4096, 64)},
		want:   []string{`6:50: partition "a": dtb "cut.dtb" says it is 4096 bytes but the file has 64; the file is truncated: rebuild it`},
	}, {
		name:   "dtb over 2MiB",
		config: onePartition(memory64M, "{format: raw, image: guest.bin, dtb: huge.dtb}"),
		files:  map[string][]byte{"huge.dtb": dtb(uint32(2*MiB+4*KiB), int(2*MiB+4*KiB))},
		want:   []string{`6:50: partition "a": dtb "huge.dtb" is 2052KiB, more than the 2MiB the arm64 boot protocol allows; shrink the device tree`},
	}})
}

func TestValidateLinuxImage(t *testing.T) {
	runValidationCases(t, []validationCase{{
		name:   "not an Image",
		config: onePartition(memory64M, "{format: linux, image: guest.bin}"),
		want:   []string{`6:36: partition "a": kernel image "guest.bin" has no arm64 Image magic "ARM\x64" at offset 56; point image at the kernel's arch/arm64/boot/Image, or set the format it has (elf or raw)`},
	}, {
		name:   "a compressed Image",
		config: onePartition(memory64M, "{format: linux, image: Image.gz}"),
		files:  map[string][]byte{"Image.gz": {0x1f, 0x8b, 0x08, 0x00}},
		want:   []string{`6:36: partition "a": kernel image "Image.gz" is gzip-compressed; decompress it, or point image at the uncompressed arch/arm64/boot/Image`},
	}, {
		name:   "an ELF given as an Image",
		config: onePartition(memory64M, "{format: linux, image: guest.elf}"),
		want:   []string{`6:36: partition "a": kernel image "guest.elf" is an ELF file, not an arm64 Image; set format: elf, or point image at arch/arm64/boot/Image`},
	}, {
		name:   "shorter than the header",
		config: onePartition(memory64M, "{format: linux, image: stub}"),
		files:  map[string][]byte{"stub": []byte("MZ")},
		want:   []string{`6:36: partition "a": kernel image "stub" is 2 bytes, too short for an arm64 Image header (64 bytes); point image at the kernel's arch/arm64/boot/Image`},
	}, {
		name:   "larger than the first region",
		config: onePartition("[{base: 0x48000000, size: 16MiB}, {base: 0x50000000, size: 64MiB}]", "{format: linux, image: big-Image}"),
		files:  map[string][]byte{"big-Image": linuxImage(0x80000, 16*MiB, 4096)},
		want:   []string{`6:36: partition "a": kernel image "big-Image" needs text_offset 0x80000 + image_size 16MiB of memory region 0, which is 16MiB; enlarge the partition's first memory region`},
	}, {
		name:   "an old Image without image_size loads at 0x80000",
		config: onePartition("[{base: 0x48000000, size: 2MiB}]", "{format: linux, image: old-Image}"),
		files:  map[string][]byte{"old-Image": linuxImage(0, 0, int(2*MiB-256*KiB))},
		want:   []string{`6:36: partition "a": kernel image "old-Image" needs text_offset 0x80000 + image_size 1792KiB of memory region 0, which is 2MiB; enlarge the partition's first memory region`},
	}, {
		name:   "first region not 2MiB-aligned, and an entry",
		config: onePartition("[{base: 0x48000000, size: 64MiB, ipa: 0x80100000}]", "{format: linux, image: Image, entry: 0x80100000}"),
		want: []string{
			`5:51: partition "a": memory region 0 starts at guest address 0x80100000, which is not 2MiB-aligned; the arm64 boot protocol places the kernel text_offset above a 2MiB boundary: align the region to 2MiB`,
			`6:50: partition "a": entry is not used with format linux; remove it: the kernel starts at its first byte (arm64 boot protocol)`,
		},
	}})
}

func TestValidateELFImage(t *testing.T) {
	segment := []elfSegment{{0x48000000, 0x100, 0x1000}}
	runValidationCases(t, []validationCase{{
		name:   "not an ELF file",
		config: onePartition(memory64M, "{format: elf, image: guest.bin}"),
		want:   []string{`6:34: partition "a": kernel image "guest.bin" is not an ELF file; point image at the linked guest executable, or set the format it has (linux or raw)`},
	}, {
		name:   "32-bit",
		config: onePartition(memory64M, "{format: elf, image: arm32.elf}"),
		files:  map[string][]byte{"arm32.elf": elfImage{class: elf.ELFCLASS32, machine: elf.EM_ARM}.bytes()},
		want:   []string{`6:34: partition "a": kernel image "arm32.elf" is ELFCLASS32, not ELFCLASS64; build it for AArch64, which is 64-bit`},
	}, {
		name:   "big-endian",
		config: onePartition(memory64M, "{format: elf, image: be.elf}"),
		files:  map[string][]byte{"be.elf": elfImage{data: elf.ELFDATA2MSB, entry: 0x48000000, segments: segment}.bytes()},
		want:   []string{`6:34: partition "a": kernel image "be.elf" is big-endian; build it little-endian (aarch64, not aarch64_be)`},
	}, {
		name:   "another architecture",
		config: onePartition(memory64M, "{format: elf, image: x86.elf}"),
		files:  map[string][]byte{"x86.elf": elfImage{machine: elf.EM_X86_64, entry: 0x48000000, segments: segment}.bytes()},
		want:   []string{`6:34: partition "a": kernel image "x86.elf" is built for EM_X86_64, not EM_AARCH64; build it for aarch64`},
	}, {
		name:   "not an executable",
		config: onePartition(memory64M, "{format: elf, image: lib.so}"),
		files:  map[string][]byte{"lib.so": elfImage{typ: elf.ET_DYN, segments: segment}.bytes()},
		want:   []string{`6:34: partition "a": kernel image "lib.so" is ET_DYN, not an executable; link it as a static executable (ET_EXEC) at the partition's guest addresses`},
	}, {
		name:   "no loadable segments",
		config: onePartition(memory64M, "{format: elf, image: empty.elf}"),
		files:  map[string][]byte{"empty.elf": elfImage{entry: 0x48000000}.bytes()},
		want:   []string{`6:34: partition "a": kernel image "empty.elf" has no loadable (PT_LOAD) segments; rebuild it as a linked executable`},
	}, {
		name:   "segments outside memory, damaged, and a foreign entry point",
		config: onePartition(memory64M, "{format: elf, image: wild.elf}"),
		files: map[string][]byte{"wild.elf": elfImage{entry: 0x40000000, segments: []elfSegment{
			{0x48000000, 0x100, 0x1000},
			{0x4bfff000, 0x100, 0x2000},
			{0x48010000, 0x200, 0x100},
		}}.bytes()},
		want: []string{
			`6:34: partition "a": kernel image "wild.elf" segment 1 loads at 0x4bfff000+8KiB, outside the partition's guest memory (0x48000000+64MiB); link the guest at the partition's memory addresses, or move the memory`,
			`6:34: partition "a": kernel image "wild.elf" segment 2 holds more file bytes (0x200) than memory (0x100); rebuild it: the file is damaged`,
			`6:34: partition "a": kernel image "wild.elf" starts at 0x40000000 (e_entry), outside the partition's guest memory (0x48000000+64MiB); link the guest at the partition's memory addresses, or set entry`,
		},
	}, {
		name:   "a segment past the end of the file",
		config: onePartition(memory64M, "{format: elf, image: cut.elf}"),
		files:  map[string][]byte{"cut.elf": elfImage{entry: 0x48000000, segments: segment}.bytes()[:64+56+0x80]},
		want:   []string{`6:34: partition "a": kernel image "cut.elf" segment 0 extends past the end of the file; rebuild it: the file is truncated`},
	}, {
		name:   "an entry outside memory",
		config: onePartition(memory64M, "{format: elf, image: guest.elf, entry: 0x50000000}"),
		want:   []string{`6:52: partition "a": entry 0x50000000 is outside the partition's guest memory (0x48000000+64MiB); point entry into one of the partition's memory regions`},
	}, {
		name:   "a segment across two adjacent regions",
		config: onePartition("[{base: 0x48000000, size: 4KiB}, {base: 0x50000000, size: 4KiB, ipa: 0x48001000}]", "{format: elf, image: across.elf}"),
		files:  map[string][]byte{"across.elf": elfImage{entry: 0x48000000, segments: []elfSegment{{0x48000000, 0x100, 0x2000}}}.bytes()},
	}})
}

func TestValidateRawImage(t *testing.T) {
	runValidationCases(t, []validationCase{{
		name:   "larger than the first region",
		config: onePartition("[{base: 0x48000000, size: 4KiB}, {base: 0x48001000, size: 64MiB}]", "{format: raw, image: big.bin}"),
		files:  map[string][]byte{"big.bin": make([]byte, 4*KiB+1)},
		want:   []string{`6:34: partition "a": kernel image "big.bin" is 4097 bytes, larger than memory region 0 (4KiB); enlarge the partition's first memory region`},
	}, {
		name:   "an entry outside memory",
		config: onePartition(memory64M, "{format: raw, image: guest.bin, entry: 0x4c000000}"),
		want:   []string{`6:52: partition "a": entry 0x4c000000 is outside the partition's guest memory (0x48000000+64MiB); point entry into one of the partition's memory regions`},
	}})
}

// TestKernelEntry checks where Validate says each kind of kernel loads
// and starts.
func TestKernelEntry(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFiles(t, dir, standardFixtures())
	writeFiles(t, dir, map[string][]byte{"Image-80000": linuxImage(0x80000, 2*MiB, 4096)})
	tests := []struct {
		kernel      string
		memory      string
		wantEntry   uint64
		wantLoadIPA uint64
	}{
		{"{format: linux, image: Image}", memory64M, 0x48000000, 0x48000000},
		{"{format: linux, image: Image-80000}", memory64M, 0x48080000, 0x48080000},
		{"{format: linux, image: Image}", "[{base: 0x48000000, size: 64MiB, ipa: 0x80000000}]", 0x80000000, 0x80000000},
		{"{format: raw, image: guest.bin}", memory64M, 0x48000000, 0x48000000},
		{"{format: raw, image: guest.bin, entry: 0x48000800}", memory64M, 0x48000800, 0x48000000},
		{"{format: elf, image: guest.elf}", memory64M, 0x48000000, 0},
		{"{format: elf, image: guest.elf, entry: 0x48000040}", memory64M, 0x48000040, 0},
	}
	for _, tc := range tests {
		c, err := Parse("config.yaml", []byte(onePartition(tc.memory, tc.kernel)))
		if err != nil {
			t.Errorf("kernel %s: %v", tc.kernel, err)
			continue
		}
		k := c.Partitions[0].Kernel
		if k.Entry != tc.wantEntry || k.LoadIPA != tc.wantLoadIPA {
			t.Errorf("kernel %s, memory %s: entry %#x, load %#x; want entry %#x, load %#x", tc.kernel, tc.memory, k.Entry, k.LoadIPA, tc.wantEntry, tc.wantLoadIPA)
		}
	}
}
