package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/image"
	"github.com/tamavisor/tamavisor/qemu"
)

func init() {
	register("run", command{
		summary: "boot an image under QEMU with its board's machine profile",
		run:     runCommand,
	})
}

// regexpList collects repeated --expect flags.
type regexpList []*regexp.Regexp

func (l *regexpList) String() string { return fmt.Sprint(*l) }

func (l *regexpList) Set(s string) error {
	re, err := regexp.Compile(s)
	if err != nil {
		return err
	}
	*l = append(*l, re)
	return nil
}

func runCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	board := fs.String("board", "qemu-virt", "board whose QEMU machine profile to use (for an IMAGE; a CONFIG names its board)")
	hypervisor := fs.String("hypervisor", defaultHypervisor, "the hypervisor firmware, when running a CONFIG")
	timeout := fs.Duration("timeout", 0, "stop after this long (e.g. 30s); 0 waits for QEMU to exit")
	var expect regexpList
	fs.Var(&expect, "expect", "regular expression a console line must match, in order; repeatable. "+
		"The run succeeds once the last one matched")
	var expectAny regexpList
	fs.Var(&expectAny, "expect-any", "regular expression some console line must match, in any order; repeatable")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tamavisor run [flags] CONFIG|IMAGE")
		fmt.Fprintln(stderr, "\nBoots IMAGE (an ELF built by make or tamavisor build) under QEMU; given a")
		fmt.Fprintln(stderr, "CONFIG, builds its image first (as tamavisor build does) and boots that.")
		fmt.Fprintln(stderr, "On a terminal the console is interactive: Ctrl-A X quits QEMU.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(rest) != 1 {
		fs.Usage()
		return 2
	}
	image := rest[0]
	dir, err := os.MkdirTemp("", "tamavisor-run-")
	if err != nil {
		fmt.Fprintf(stderr, "tamavisor run: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if !isELF(image) {
		// A config: build its image into a temporary file.
		b, err := buildImage(image, *hypervisor, signing{})
		if err != nil {
			printConfigError(stderr, "run", err)
			return 1
		}
		printWarnings(stderr, b.warnings)
		*board = b.board
		image = filepath.Join(dir, "image.elf")
		if err := os.WriteFile(image, b.image, 0o644); err != nil {
			fmt.Fprintf(stderr, "tamavisor run: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "tamavisor run: built %s: %s\n", rest[0], b.summary)
	}
	profile, err := qemu.ProfileFor(*board)
	if err != nil {
		fmt.Fprintf(stderr, "tamavisor run: %v\n", err)
		return 1
	}
	if profile.Arm64Image {
		// QEMU enters an ELF at EL3 on this machine: boot the same
		// image as an arm64 Image, which it enters at EL2.
		if image, err = toArm64Image(image, *board, dir); err != nil {
			fmt.Fprintf(stderr, "tamavisor run: %v\n", err)
			return 1
		}
	}
	binary, err := qemu.LookPath()
	if err != nil {
		fmt.Fprintf(stderr, "tamavisor run: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	_, err = qemu.Run(ctx, binary, profile, qemu.Options{
		Image:       image,
		Interactive: isTerminal(os.Stdin),
		Expect:      expect,
		ExpectAny:   expectAny,
		Timeout:     *timeout,
		Console:     stdout,
	})
	if err != nil {
		fmt.Fprintf(stderr, "tamavisor run: %v\n", err)
		return 1
	}
	if n := len(expect) + len(expectAny); n > 0 {
		fmt.Fprintf(stderr, "tamavisor run: all %d expectations met\n", n)
	}
	return 0
}

// toArm64Image writes the ELF image at path as an arm64 Image for board
// into dir and returns the Image's path.
func toArm64Image(path, boardName, dir string) (string, error) {
	b, err := board.Lookup(boardName)
	if err != nil {
		return "", err
	}
	elfBytes, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	img, err := image.Arm64Image(elfBytes, b.RAM[0].Base)
	if err != nil {
		return "", fmt.Errorf("%s as an arm64 Image: %w", path, err)
	}
	out := filepath.Join(dir, "Image")
	return out, writeSparse(out, img)
}

// isELF reports whether path starts like an ELF file; anything else is
// taken for a config.
func isELF(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	magic := make([]byte, 4)
	_, err = io.ReadFull(f, magic)
	return err == nil && bytes.Equal(magic, []byte("\x7fELF"))
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
