package tests

import (
	"bytes"
	"debug/elf"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/image"
	"github.com/tamavisor/tamavisor/internal/sha256"
	"github.com/tamavisor/tamavisor/partition/table"
)

// composeImage builds an image from the real firmware and a small sound
// table (one partition "ecu" on core 2 with a 6 KiB raw kernel), then lets
// damage change the ELF bytes, given the file offset of the payload
// segment and the table's length.
func composeImage(t *testing.T, damage func(elfBytes []byte, segmentOffset, tableLength int)) string {
	t.Helper()
	hypervisor, err := os.ReadFile(firmware(t, ""))
	require.NoError(t, err)

	kernel := bytes.Repeat([]byte("ecu kernel "), 600)[:0x1800]
	name := func(s string) table.Name {
		n, err := table.NewName(s)
		require.NoError(t, err)
		return n
	}
	tb := &table.Table{
		Board:       name(qemuvirt.Name),
		PayloadSize: uint64(len(kernel)),
		Partitions: []table.Partition{{
			Name: name("ecu"), CPUMask: 0b100, EntryIPA: 0x7000_0000,
			Regions: table.Span{First: 0, Count: 1}, Images: table.Span{First: 0, Count: 1},
			ConsoleDevice: table.NoIndex, OnFault: table.FaultRestart, Console: table.ConsoleVirtual, KernelFormat: table.KernelRaw,
		}},
		Regions: []table.Region{{PhysBase: 0x7000_0000, IPA: 0x7000_0000, Size: 64 << 20, Owner: table.NoIndex,
			Kind: table.RegionRAM, Perm: table.PermRead | table.PermWrite | table.PermExec}},
		Images: []table.Image{{Offset: 0, Size: uint64(len(kernel)), LoadIPA: 0x7000_0000,
			SHA256: sha256.Sum256(kernel), Kind: table.ImageKernel}},
	}
	encoded, err := table.Encode(tb)
	require.NoError(t, err)
	base := image.PayloadBase(qemuvirt.Board)
	img, err := image.Compose(hypervisor, encoded, kernel, base)
	require.NoError(t, err)

	if damage != nil {
		f, err := elf.NewFile(bytes.NewReader(img))
		require.NoError(t, err)
		offset := -1
		for _, p := range f.Progs {
			if p.Type == elf.PT_LOAD && p.Paddr == base {
				offset = int(p.Off)
			}
		}
		require.GreaterOrEqual(t, offset, 0, "no payload segment at %#x", base)
		damage(img, offset, len(encoded))
	}
	path := filepath.Join(t.TempDir(), "image.elf")
	require.NoError(t, os.WriteFile(path, img, 0o644))
	return path
}

// TestQEMUBootsAVerifiedTable: the firmware finds the table in the image,
// checks it against the board, verifies the image's SHA-256 and boots.
func TestQEMUBootsAVerifiedTable(t *testing.T) {
	binary := requireQEMUTools(t)
	boot(t, binary, composeImage(t, nil), bootTimeout,
		`^tamavisor: partition table for qemu-virt: 1 partitions, 1 images verified \(SHA-256\)$`,
		`^tamavisor: partition "ecu": cores 2, 1 regions, 0 devices, on fault restart$`,
		`^all cores up: 4$`,
	)
}

// TestQEMURefusesADamagedTable: one flipped bit in the table or in a guest
// image, and the firmware says what is wrong and starts nothing.
func TestQEMURefusesADamagedTable(t *testing.T) {
	binary := requireQEMUTools(t)
	for _, tc := range []struct {
		name   string
		damage func(b []byte, segment, tableLength int)
		reason string
	}{
		{"table", func(b []byte, segment, _ int) { b[segment+0x90] ^= 0x01 },
			`^tamavisor: partition table rejected: .*checksum`},
		{"guest image", func(b []byte, segment, tableLength int) {
			b[segment+int(image.PayloadOffset(uint64(tableLength)))+5] ^= 0x80
		}, `^tamavisor: partition "ecu": kernel image has SHA-256 [0-9a-f]{64}, the table says [0-9a-f]{64}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := boot(t, binary, composeImage(t, tc.damage), bootTimeout,
				tc.reason,
				`^tamavisor: refusing to boot: rebuild the image with tamavisor build CONFIG`,
				`^core 0: halted \(refusing to boot\): safe state, interrupts masked, no other core started$`,
			)
			for _, line := range r.Output {
				assert.NotRegexp(t, `^core [1-3] up`, line, "a core started from a damaged image")
			}
		})
	}
}
