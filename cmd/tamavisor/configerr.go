package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/tamavisor/tamavisor/partition"
)

// printConfigError prints a config's problems one per line, as
// file:line:col: what is wrong; what to do, or any other error prefixed
// with the command's name.
func printConfigError(stderr io.Writer, command string, err error) {
	var problems partition.ErrorList
	if !errors.As(err, &problems) {
		fmt.Fprintf(stderr, "tamavisor %s: %v\n", command, err)
		return
	}
	for _, p := range problems {
		fmt.Fprintln(stderr, p)
	}
}

// printWarnings writes what a valid config may still get wrong, one line
// each, file:line:col: warning: ...
func printWarnings(stderr io.Writer, warnings partition.ErrorList) {
	for _, w := range warnings {
		fmt.Fprintln(stderr, w)
	}
}
