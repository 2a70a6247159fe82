package partition

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Pos is a place in a config file. Line and Column count from 1; a zero
// Line means the place is unknown (a value the loader filled in).
type Pos struct {
	File   string
	Line   int
	Column int
}

// IsValid reports whether p points into a file.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String writes p as file:line:col, the form editors jump to.
func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Column == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// Error is one problem in a config: where it is, which partition or
// channel it concerns (both empty for the rest of the config), what is
// wrong and what to do about it.
type Error struct {
	Pos       Pos
	Partition string
	Channel   string
	Problem   string
	Fix       string
	// Warning marks a note about a valid config (Config.Warnings).
	Warning bool
}

// Error writes the one-line form users see:
//
//	configs/x.yaml:14:5: partition "ecu": memory 0x48000000+64MiB overlaps ...; move or shrink one of them
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Pos.String())
	b.WriteString(": ")
	if e.Warning {
		b.WriteString("warning: ")
	}
	switch {
	case e.Partition != "":
		fmt.Fprintf(&b, "partition %q: ", e.Partition)
	case e.Channel != "":
		fmt.Fprintf(&b, "channel %q: ", e.Channel)
	}
	b.WriteString(e.Problem)
	if e.Fix != "" {
		b.WriteString("; ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

// ErrorList is every problem found in a config, in file order.
type ErrorList []*Error

// Error writes one problem per line.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sort orders the list by position; problems at the same place keep the
// order they were found in.
func (l ErrorList) sort() {
	slices.SortStableFunc(l, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Column, b.Pos.Column))
	})
}

// err returns the sorted list as an error, or nil when it is empty.
func (l ErrorList) err() error {
	if len(l) == 0 {
		return nil
	}
	l.sort()
	return l
}

// scope names the partition or channel a problem belongs to.
type scope struct {
	partition string
	channel   string
}

// reporter collects problems.
type reporter struct {
	errs     ErrorList
	warnings ErrorList
}

// warn notes something a valid config may still get wrong.
func (r *reporter) warn(pos Pos, in scope, problem, fix string) {
	r.warnings = append(r.warnings, &Error{Pos: pos, Partition: in.partition, Channel: in.channel, Problem: problem, Fix: fix, Warning: true})
}

func (r *reporter) report(pos Pos, in scope, problem, fix string) {
	r.errs = append(r.errs, &Error{Pos: pos, Partition: in.partition, Channel: in.channel, Problem: problem, Fix: fix})
}
