package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"

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
	board := fs.String("board", "qemu-virt", "board whose QEMU machine profile to use")
	timeout := fs.Duration("timeout", 0, "stop after this long (e.g. 30s); 0 waits for QEMU to exit")
	var expect regexpList
	fs.Var(&expect, "expect", "regular expression a console line must match, in order; repeatable. "+
		"The run succeeds once the last one matched")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tamavisor run [flags] IMAGE")
		fmt.Fprintln(stderr, "\nBoots IMAGE (an ELF built by make or tamavisor build) under QEMU.")
		fmt.Fprintln(stderr, "On a terminal the console is interactive: Ctrl-A X quits QEMU.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	image := fs.Arg(0)
	if err := checkELF(image); err != nil {
		fmt.Fprintf(stderr, "tamavisor run: %v\n", err)
		return 1
	}
	profile, err := qemu.ProfileFor(*board)
	if err != nil {
		fmt.Fprintf(stderr, "tamavisor run: %v\n", err)
		return 1
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
		Timeout:     *timeout,
		Console:     stdout,
	})
	if err != nil {
		fmt.Fprintf(stderr, "tamavisor run: %v\n", err)
		return 1
	}
	if len(expect) > 0 {
		fmt.Fprintf(stderr, "tamavisor run: all %d expectations met\n", len(expect))
	}
	return 0
}

// checkELF refuses anything but an ELF file, with a hint for configs.
func checkELF(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	magic := make([]byte, 4)
	if _, err := io.ReadFull(f, magic); err != nil || !bytes.Equal(magic, []byte("\x7fELF")) {
		return fmt.Errorf("%s is not an ELF image; build one with make firmware", path)
	}
	return nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
