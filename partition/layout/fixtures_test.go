package layout

import (
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"

	_ "github.com/tamavisor/tamavisor/board/qemuvirt"
	"github.com/tamavisor/tamavisor/partition"
)

// loadConfig copies the config at path to configs/ in a temporary
// directory, writes a stand-in for every guest file it names (the build
// makes the real ones later) and loads it.
func loadConfig(t *testing.T, path string) *partition.Config {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	configDir := filepath.Join(t.TempDir(), "configs")
	copied := filepath.Join(configDir, filepath.Base(path))
	writeFile(t, copied, text)
	writeGuestFiles(t, configDir, text)
	cfg, err := partition.Load(copied)
	if err != nil {
		t.Fatalf("%s does not load:\n%v", path, err)
	}
	return cfg
}

// writeGuestFiles reads the kernels of a config's partitions and writes,
// relative to dir, the smallest file of each declared format that the
// validator accepts: an ELF's one segment goes to the first memory
// region's guest address.
func writeGuestFiles(t *testing.T, dir string, config []byte) {
	t.Helper()
	var doc struct {
		Partitions []struct {
			Memory []struct {
				Base string `yaml:"base"`
				IPA  string `yaml:"ipa"`
			} `yaml:"memory"`
			Kernel struct {
				Format string `yaml:"format"`
				Image  string `yaml:"image"`
				Initrd string `yaml:"initrd"`
			} `yaml:"kernel"`
		} `yaml:"partitions"`
	}
	if err := yaml.Unmarshal(config, &doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range doc.Partitions {
		k := p.Kernel
		var image []byte
		switch k.Format {
		case "linux":
			image = make([]byte, 4096)
			// arm64 Image header (booting.rst): text_offset and
			// image_size 0, magic "ARM\x64" at 56.
			copy(image[56:], "ARM\x64")
		case "elf":
			addr := p.Memory[0].Base
			if p.Memory[0].IPA != "" {
				addr = p.Memory[0].IPA
			}
			at, err := partition.ParseAddress(addr)
			if err != nil {
				t.Fatal(err)
			}
			image = elfExecutable(at)
		default:
			image = make([]byte, 4096)
		}
		writeFile(t, filepath.Join(dir, k.Image), image)
		if k.Initrd != "" {
			writeFile(t, filepath.Join(dir, k.Initrd), []byte{0x1f, 0x8b, 0x08, 0x00}) // a gzip header
		}
	}
}

// elfExecutable returns an AArch64 executable with one 4 KiB PT_LOAD
// segment at addr, entered there (System V ABI, "ELF Header" and
// "Program Header").
func elfExecutable(addr uint64) []byte {
	const headerSize, programHeaderSize, segmentSize = 64, 56, 4096
	var ident [elf.EI_NIDENT]byte
	copy(ident[:], elf.ELFMAG)
	ident[elf.EI_CLASS], ident[elf.EI_DATA], ident[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	b := make([]byte, headerSize+programHeaderSize, headerSize+programHeaderSize+segmentSize)
	header := elf.Header64{Ident: ident, Type: uint16(elf.ET_EXEC), Machine: uint16(elf.EM_AARCH64), Version: uint32(elf.EV_CURRENT),
		Entry: addr, Phoff: headerSize, Ehsize: headerSize, Phentsize: programHeaderSize, Phnum: 1, Shentsize: 64}
	program := elf.Prog64{Type: uint32(elf.PT_LOAD), Flags: uint32(elf.PF_R | elf.PF_X), Off: headerSize + programHeaderSize,
		Vaddr: addr, Paddr: addr, Filesz: segmentSize, Memsz: segmentSize, Align: 0x1000}
	if _, err := binary.Encode(b, binary.LittleEndian, header); err != nil {
		panic(err)
	}
	if _, err := binary.Encode(b[headerSize:], binary.LittleEndian, program); err != nil {
		panic(err)
	}
	return append(b, make([]byte, segmentSize)...)
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
