package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	_ "github.com/tamavisor/tamavisor/board/imx8mpevk" // the boards configs may name
	_ "github.com/tamavisor/tamavisor/board/qemuvirt"  // the boards configs may name
	"github.com/tamavisor/tamavisor/partition"
)

func init() {
	register("check", command{
		summary: "validate a config, all errors at once",
		run:     checkCommand,
	})
}

// checkCommand validates a config. It prints "CONFIG: ok" and one line per
// partition on success (exit 0), every problem on stderr, one per line,
// otherwise (exit 1), and its usage for wrong arguments (exit 2).
func checkCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tamavisor check CONFIG")
		fmt.Fprintln(stderr, "\nValidates CONFIG against its board and reports every problem, one per line,")
		fmt.Fprintln(stderr, "as file:line:col: what is wrong; what to do. docs/config.md describes the format.")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	path := fs.Arg(0)
	config, err := partition.Load(path)
	if err != nil {
		printConfigError(stderr, "check", err)
		return 1
	}
	printWarnings(stderr, config.Warnings)
	fmt.Fprintf(stdout, "%s: ok\n", path)
	for i := range config.Partitions {
		fmt.Fprintf(stdout, "  %s\n", config.Partitions[i].Summary())
	}
	return 0
}
