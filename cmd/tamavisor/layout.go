package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	_ "github.com/tamavisor/tamavisor/board/imx8mpevk" // the boards configs may name
	_ "github.com/tamavisor/tamavisor/board/qemuvirt"  // the boards configs may name
	"github.com/tamavisor/tamavisor/partition"
	"github.com/tamavisor/tamavisor/partition/layout"
)

func init() {
	register("layout", command{
		summary: "draw cores, partitions and the memory map as an SVG",
		run:     layoutCommand,
	})
}

// layoutCommand draws a valid config into the file -o names, or on
// stdout for -o -. An invalid config gets its problems on stderr as
// check reports them (exit 1); wrong arguments get the usage (exit 2).
func layoutCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("layout", flag.ContinueOnError)
	fs.SetOutput(stderr)
	output := fs.String("o", "", "the SVG file to write, - for standard output (required)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tamavisor layout CONFIG -o FILE")
		fmt.Fprintln(stderr, "\nDraws CONFIG as an SVG picture: one box per core in the colour of its partition,")
		fmt.Fprintln(stderr, "and the physical memory map with the hypervisor, every partition's RAM, the")
		fmt.Fprintln(stderr, "channels and the devices passed through, each labeled with its addresses.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	configs, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(configs) != 1 || *output == "" {
		fs.Usage()
		return 2
	}
	config, err := partition.LoadPartitioning(configs[0])
	if err != nil {
		printConfigError(stderr, "layout", err)
		return 1
	}
	svg, err := layout.SVG(config)
	if err != nil {
		fmt.Fprintf(stderr, "tamavisor layout: %v\n", err)
		return 1
	}
	if *output == "-" {
		_, err = stdout.Write(svg)
	} else {
		err = os.WriteFile(*output, svg, 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "tamavisor layout: %v\n", err)
		return 1
	}
	return 0
}

// parseInterspersed parses flags placed before or after the positional
// arguments (tamavisor layout CONFIG -o FILE), where the flag package
// alone stops at the first positional one, and returns the positional
// ones. Everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); len(rest) == 0 || consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}
