package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/tamavisor/tamavisor/image"
	"github.com/tamavisor/tamavisor/partition"
	"github.com/tamavisor/tamavisor/partition/table"
)

// defaultHypervisor is where `make firmware` puts the hypervisor.
const defaultHypervisor = "build/tamavisor.elf"

func init() {
	register("build", command{
		summary: "compile a config, the hypervisor and the guests into one bootable ELF image",
		run:     buildCommand,
	})
}

func buildCommand(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("build", flag.ContinueOnError)
	flags.SetOutput(stderr)
	output := flags.String("o", "", "the image to write (required)")
	hypervisor := flags.String("hypervisor", defaultHypervisor, "the hypervisor firmware, as built by make firmware")
	arm64Image := flags.String("image", "", "also write the image as an arm64 Image to this file, for QEMU's -kernel on machines that enter an ELF at EL3 and for U-Boot's booti")
	var sign signing
	flags.StringVar(&sign.secretKey, "sign", "", "sign the partition table with this minisign secret key (tamavisor keygen, or minisign -G)")
	flags.StringVar(&sign.trust, "trust", "", "compile this minisign public key into the firmware: it then boots only tables that key signed")
	flags.StringVar(&sign.comment, "comment", "", "the signature's trusted comment (default: a timestamp and the config's name)")
	sign.password = passwordFromTerminal(os.Stdin, stderr)
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: tamavisor build CONFIG -o IMAGE [-image FILE] [-hypervisor FILE] [-sign KEY] [-trust KEY.pub]")
		fmt.Fprintln(stderr, "\nValidates CONFIG, compiles it into a partition table with a device tree per")
		fmt.Fprintln(stderr, "guest, and writes one ELF image holding the hypervisor, the table and every guest")
		fmt.Fprintln(stderr, "image. QEMU loads it with -kernel on qemu-virt, U-Boot with bootelf. With -image,")
		fmt.Fprintln(stderr, "the same as an arm64 Image (Linux boot protocol), which QEMU's -kernel and U-Boot's")
		fmt.Fprintln(stderr, "booti enter at EL2 on every board (imx8mp-evk: QEMU enters an ELF at EL3).")
		fmt.Fprintln(stderr)
		flags.PrintDefaults()
	}
	configs, err := parseInterspersed(flags, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(configs) != 1 || *output == "" {
		flags.Usage()
		return 2
	}
	b, err := buildImage(configs[0], *hypervisor, sign)
	if err != nil {
		printConfigError(stderr, "build", err)
		return 1
	}
	printWarnings(stderr, b.warnings)
	if err := os.WriteFile(*output, b.image, 0o644); err != nil {
		fmt.Fprintf(stderr, "tamavisor build: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: %s\n", *output, b.summary)
	if *arm64Image != "" {
		img, err := image.Arm64Image(b.image, b.ramBase)
		if err == nil {
			err = writeSparse(*arm64Image, img)
		}
		if err != nil {
			fmt.Fprintf(stderr, "tamavisor build: arm64 Image %s: %v\n", *arm64Image, err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: the same as an arm64 Image, %s from %#x\n", *arm64Image, partition.FormatSize(uint64(len(img))), b.ramBase+binary.LittleEndian.Uint64(img[image.Arm64TextOffsetOffset:]))
	}
	return 0
}

// writeSparse writes b to path, leaving holes where whole 64 KiB blocks
// are zero: an arm64 Image spans the hypervisor's memory up to its
// payload, mostly zeros.
func writeSparse(path string, b []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	const block = 64 << 10
	zero := make([]byte, block)
	for off := 0; off < len(b); off += block {
		chunk := b[off:min(off+block, len(b))]
		if bytes.Equal(chunk, zero[:len(chunk)]) {
			continue
		}
		if _, err := f.WriteAt(chunk, int64(off)); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Truncate(int64(len(b))); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// built is an image and what it is for.
type built struct {
	image    []byte
	board    string
	ramBase  uint64 // the base of the board's first RAM bank
	summary  string // what the image holds, in words
	warnings partition.ErrorList
}

// buildImage loads and compiles a config and composes the image with the
// hypervisor at hypervisorPath.
func buildImage(configPath, hypervisorPath string, sign signing) (*built, error) {
	cfg, err := partition.Load(configPath)
	if err != nil {
		return nil, err
	}
	hypervisor, err := os.ReadFile(hypervisorPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("hypervisor %s not found: build it with make firmware, or name it with -hypervisor", hypervisorPath)
	}
	if err != nil {
		return nil, err
	}
	compiled, err := partition.Compile(cfg)
	if err != nil {
		return nil, err
	}
	encoded, err := table.Encode(compiled.Table)
	if err != nil {
		return nil, fmt.Errorf("encoding the partition table: %w", err)
	}
	signature, hypervisor, err := sign.apply(configPath, encoded, hypervisor)
	if err != nil {
		return nil, err
	}
	base := image.PayloadBase(cfg.Board)
	img, err := image.ComposeSigned(hypervisor, encoded, compiled.Payload, base, signature)
	if err != nil {
		return nil, fmt.Errorf("composing the image: %w", err)
	}
	summary := fmt.Sprintf("%d partitions, %d guest images, partition table and images %s at %#x",
		len(compiled.Table.Partitions), len(compiled.Table.Images),
		partition.FormatSize(image.PayloadOffset(uint64(len(encoded)))+uint64(len(compiled.Payload))), base)
	if signature != "" {
		summary += ", table signed"
	}
	if sign.trust != "" {
		summary += ", firmware trusts " + sign.trust
	}
	return &built{image: img, board: cfg.Board.Name, ramBase: cfg.Board.RAM[0].Base, summary: summary, warnings: cfg.Warnings}, nil
}
