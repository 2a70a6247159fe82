package partition

import (
	"encoding/binary"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/board/imx8mpevk"
	"github.com/tamavisor/tamavisor/firmware/hv"
	"github.com/tamavisor/tamavisor/internal/fdt"
	"github.com/tamavisor/tamavisor/partition/table"
)

// imx8mpConfig is the i.MX 8M Plus EVK's demo config, relative to this
// package.
const imx8mpConfig = "../configs/imx8mp-evk.yaml"

// imx8mpDir lays out a directory as the build does for
// configs/imx8mp-evk.yaml, with fixture guest images, makes it the
// working one and loads the config from it.
func imx8mpDir(t *testing.T) *Config {
	t.Helper()
	text, err := os.ReadFile(imx8mpConfig)
	require.NoError(t, err)
	t.Chdir(t.TempDir())
	writeFiles(t, ".", map[string][]byte{
		"configs/imx8mp-evk.yaml": text,
		// Debian's generic Image: image_size 32 MiB.
		"build/guests/Image-generic":             linuxImage(0, 33*MiB, 64*int(KiB)),
		"build/guests/initramfs-generic.cpio.gz": {0x1f, 0x8b, 0x08, 0x00},
		"build/guests/imx8mp-evk/ecu.elf":        elfImage{entry: 0x70010000, segments: []elfSegment{{0x70010000, 0x2000, 0x10000}}}.bytes(),
		"build/guests/imx8mp-evk/attack.elf":     elfImage{entry: 0x74020000, segments: []elfSegment{{0x74020000, 0x2000, 0x10000}}}.bytes(),
	})
	c, err := Load("configs/imx8mp-evk.yaml")
	if err != nil {
		t.Fatalf("configs/imx8mp-evk.yaml does not validate:\n%v", err)
	}
	return c
}

// The board's demo: the qemu-virt demo's three guests on the EVK's four
// cores, Linux with UART4, nothing in the hypervisor's region.
func TestIMX8MPConfigIsValid(t *testing.T) {
	c := imx8mpDir(t)
	assert.Equal(t, imx8mpevk.Name, c.Board.Name)
	want := []string{
		"infotainment: cores 0,1; memory 0x50000000+512MiB; devices uart4; kernel linux ../build/guests/Image-generic; console virtual; on_fault abort",
		"ecu: cores 2; memory 0x70000000+64MiB; devices none; kernel elf ../build/guests/imx8mp-evk/ecu.elf; console virtual; on_fault restart",
		"test: cores 3; memory 0x74000000+16MiB; devices uart3; kernel elf ../build/guests/imx8mp-evk/attack.elf; console virtual; on_fault abort",
	}
	var got []string
	for _, p := range c.Partitions {
		got = append(got, p.Summary())
		for _, m := range p.Memory {
			r := m.Region()
			assert.False(t, r.Overlaps(imx8mpevk.Board.Hypervisor.Memory), "partition %q memory %v in the hypervisor's region", p.Name, r)
			assert.True(t, slices.ContainsFunc(imx8mpevk.Board.RAM, func(bank board.Region) bool { return bank.Contains(r) }),
				"partition %q memory %v outside the board's RAM", p.Name, r)
		}
	}
	assert.Equal(t, want, got)
	assert.Equal(t, "uart2", c.Hypervisor.Console, "the hypervisor prints on the EVK's debug UART")
}

// The config compiles into a table the firmware accepts for this board,
// and Linux's device tree gives it UART4 the way its i.MX UART driver
// needs (the driver probed with such a tree under QEMU's imx8mp-evk).
func TestIMX8MPConfigCompiles(t *testing.T) {
	c := imx8mpDir(t)
	out, err := Compile(c)
	require.NoError(t, err)

	encoded, err := table.Encode(out.Table)
	require.NoError(t, err)
	segment := make([]byte, alignUp(uint64(len(encoded)), 4*KiB))
	copy(segment, encoded)
	segment = append(segment, out.Payload...)
	b := imx8mpevk.Board
	_, err = hv.LoadPartitionTable(segment, b.Hypervisor.Memory.End(), table.LimitsFor(b))
	require.NoError(t, err, "the firmware refuses the table")

	root, err := fdt.Parse(out.DTBs["infotainment"])
	require.NoError(t, err)
	str := func(path, prop string) []string {
		t.Helper()
		n, ok := root.Find(path)
		require.True(t, ok, "no node %s", path)
		p, ok := n.Property(prop)
		require.True(t, ok, "no %s in %s", prop, path)
		s, err := p.Strings()
		require.NoError(t, err)
		return s
	}
	u32s := func(path, prop string) []uint32 {
		t.Helper()
		n, ok := root.Find(path)
		require.True(t, ok, "no node %s", path)
		p, ok := n.Property(prop)
		require.True(t, ok, "no %s in %s", prop, path)
		v, err := p.U32s()
		require.NoError(t, err)
		return v
	}
	assert.Equal(t, []string{"fsl,imx8mp-uart", "fsl,imx6q-uart"}, str("/uart4@30a60000", "compatible"))
	assert.Equal(t, []uint32{0, 61 - 32, 4}, u32s("/uart4@30a60000", "interrupts"))
	assert.Equal(t, []string{"/uart4@30a60000"}, str("/aliases", "serial3"))
	assert.Equal(t, []string{"ipg", "per"}, str("/uart4@30a60000", "clock-names"))
	clocks := u32s("/uart4@30a60000", "clocks")
	require.Len(t, clocks, 2)
	assert.Equal(t, []uint32{24_000_000}, u32s("/clock-24000000", "clock-frequency"))
	assert.Equal(t, u32s("/clock-24000000", "phandle"), clocks[:1])
	// The console is the virtual PL011 at UART2's address, the GIC the
	// board's, PSCI the hypervisor's.
	assert.Equal(t, []string{"arm,pl011", "arm,primecell"}, str("/serial@30890000", "compatible"))
	assert.Equal(t, []string{"/serial@30890000"}, str("/chosen", "stdout-path"))
	// One 4 KiB frame, the one the hypervisor emulates, not UART2's
	// 64 KiB slot: Linux reads a PrimeCell's ID at the region's end.
	assert.Equal(t, []uint32{0, 0x3089_0000, 0, 0x1000}, u32s("/serial@30890000", "reg"))
	assert.Equal(t, []string{"arm,gic-v3"}, str("/interrupt-controller@38800000", "compatible"))
	assert.Equal(t, []string{"hvc"}, str("/psci", "method"))
	assert.True(t, strings.HasPrefix(str("/chosen", "bootargs")[0], "console=ttyAMA0"))
}

// imx8mpBootScript is the U-Boot script that boots the config's image on
// the EVK (make boot-script), relative to this package.
const imx8mpBootScript = "../configs/imx8mp-evk.boot.cmd"

// The boot script loads the Image into the hypervisor's memory as the
// config reserves it, refuses one that would run past it, and names the
// file make image writes.
func TestIMX8MPBootScriptAddresses(t *testing.T) {
	script, err := os.ReadFile(imx8mpBootScript)
	require.NoError(t, err)
	makefile, err := os.ReadFile("../Makefile")
	require.NoError(t, err)
	c := imx8mpDir(t)
	vars := map[string]string{}
	for _, line := range strings.Split(string(script), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "setenv" && strings.HasPrefix(f[1], "tamavisor_") {
			vars[f[1]] = f[2]
		}
	}
	addr, err := ParseAddress(vars["tamavisor_addr"])
	require.NoError(t, err, "tamavisor_addr")
	max, err := ParseAddress(vars["tamavisor_max"])
	require.NoError(t, err, "tamavisor_max")
	hv := c.Hypervisor.Memory
	assert.True(t, addr >= hv.Base && addr < hv.Base+hv.Size, "the Image loads at %#x, outside the hypervisor's memory %#x+%#x", addr, hv.Base, hv.Size)
	assert.Equal(t, hv.Base+hv.Size, addr+max, "the largest Image the script loads must end where the hypervisor's memory ends")
	assert.Equal(t, "imx8mp-evk.Image", vars["tamavisor_image"])
	assert.Contains(t, string(makefile), "-image $(BUILD)/$(BOARD).Image", "make image names the Image BOARD.Image")
	// Every if has its then and fi: U-Boot's hush runs nothing of a
	// script it cannot parse.
	depth := 0
	for n, line := range strings.Split(string(script), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 0 || strings.HasPrefix(f[0], "#"):
		case f[0] == "if":
			assert.Equal(t, "then", f[len(f)-1], "line %d: an if ends its line with then", n+1)
			depth++
		case f[0] == "fi":
			depth--
			assert.GreaterOrEqual(t, depth, 0, "line %d: fi without if", n+1)
		}
	}
	assert.Zero(t, depth, "an if without fi")
}

// make boot-script turns the script into a legacy U-Boot image of type
// script (include/image.h): a 64-byte big-endian header with CRC-32s of
// itself and of the data, then the data: each part's length, a zero
// word, the script.
func TestIMX8MPBootScriptImage(t *testing.T) {
	if _, err := exec.LookPath("mkimage"); err != nil {
		t.Skip("mkimage not found: install Debian's u-boot-tools (apt-get install u-boot-tools) to build boot.scr")
	}
	build := t.TempDir()
	if out, err := exec.Command("make", "-s", "-C", "..", "boot-script", "BUILD="+build).CombinedOutput(); err != nil {
		t.Fatalf("make boot-script: %v\n%s", err, out)
	}
	scr, err := os.ReadFile(filepath.Join(build, "boot.scr"))
	require.NoError(t, err)
	script, err := os.ReadFile(imx8mpBootScript)
	require.NoError(t, err)
	require.Greater(t, len(scr), 64+8)
	be := binary.BigEndian
	header := slices.Clone(scr[:64])
	assert.Equal(t, uint32(0x2705_1956), be.Uint32(header[0:]), "ih_magic")
	hcrc := be.Uint32(header[4:])
	be.PutUint32(header[4:], 0)
	assert.Equal(t, crc32.ChecksumIEEE(header), hcrc, "ih_hcrc")
	assert.Zero(t, be.Uint32(header[8:]), "ih_time: SOURCE_DATE_EPOCH=0 keeps the build reproducible")
	data := scr[64:]
	assert.Equal(t, uint32(len(data)), be.Uint32(header[12:]), "ih_size")
	assert.Equal(t, crc32.ChecksumIEEE(data), be.Uint32(header[24:]), "ih_dcrc")
	assert.Equal(t, []byte{5, 22, 6, 0}, header[28:32], "ih_os linux, ih_arch arm64, ih_type script, ih_comp none")
	assert.Equal(t, "Tamavisor imx8mp-evk", strings.TrimRight(string(header[32:64]), "\x00"), "ih_name")
	assert.Equal(t, uint32(len(script)), be.Uint32(data[0:]), "the script's length")
	assert.Zero(t, be.Uint32(data[4:]), "the end of the length list")
	assert.Equal(t, string(script), string(data[8:]), "the script itself")
}
