// Command tamavisor turns a YAML partition config into a bootable Tamavisor
// image and runs it.
//
//	tamavisor check  CONFIG            validate a config, all errors at once
//	tamavisor build  CONFIG -o IMAGE   compile config + hypervisor + guests into one ELF
//	tamavisor inspect IMAGE            print the partition table inside an image
//	tamavisor layout CONFIG -o SVG     draw cores, partitions and the memory map
//	tamavisor run    CONFIG|IMAGE      boot under QEMU with the board's machine profile
//	tamavisor keygen -o NAME           make a key pair to sign partition tables with
//	tamavisor verify IMAGE -key PUB    check an image's table signature, as the firmware does
//
// Each subcommand lives in its own file and registers itself in init.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"text/tabwriter"
)

// command is one subcommand. run gets the arguments after the subcommand
// name and returns the process exit status.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

func register(name string, c command) {
	if _, dup := commands[name]; dup {
		panic("tamavisor: command " + name + " registered twice")
	}
	commands[name] = c
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: tamavisor COMMAND [ARGS]")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(tw, "  %s\t%s\n", n, commands[n].summary)
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'tamavisor COMMAND -h' for a command's flags.")
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "tamavisor: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}
