// Package benchtable turns what the bench guest (guests/bench) prints,
// natively and under Tamavisor, and Linux's boot time both ways into the
// table `make bench-qemu` shows and the JSON it writes for comparisons
// between commits.
//
// Under QEMU's -icount shift=0 every guest instruction advances virtual
// time by exactly 1 ns, so a time in virtual nanoseconds is an instruction
// count. The guest reads the virtual counter, which counts at its CNTFRQ;
// a count of ticks at freq Hz is ticks*1e9/freq instructions (bench-qemu
// sets the counter to 1 GHz, where a tick is an instruction).
package benchtable

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Sample is one operation as the guest measured it: n iterations, their
// ticks in all (for latencies, the sum of the samples) and the least
// sample (0 when the loop was timed as a whole).
type Sample struct {
	N, Ticks, Min uint64
}

// Run is one run of the bench guest.
type Run struct {
	CounterHz uint64
	Ops       map[string]Sample
}

var (
	counterLine = regexp.MustCompile(`bench: counter (\d+) Hz$`)
	opLine      = regexp.MustCompile(`bench: op (\S+) n (\d+) ticks (\d+) min (\d+)$`)
	failedLine  = regexp.MustCompile(`bench: failed: (.*)$`)
	doneLine    = regexp.MustCompile(`bench: done$`)
)

// ErrIncomplete says a run's output ended before "bench: done".
var ErrIncomplete = errors.New(`the bench guest's output ends before "bench: done"`)

// Parse reads a bench guest's console lines (natively bare, under
// Tamavisor prefixed with the partition's name).
func Parse(lines []string) (Run, error) {
	r := Run{Ops: map[string]Sample{}}
	done := false
	for _, line := range lines {
		line = strings.TrimRight(line, "\r")
		if m := counterLine.FindStringSubmatch(line); m != nil {
			r.CounterHz, _ = strconv.ParseUint(m[1], 10, 64)
		} else if m := opLine.FindStringSubmatch(line); m != nil {
			var s Sample
			s.N, _ = strconv.ParseUint(m[2], 10, 64)
			s.Ticks, _ = strconv.ParseUint(m[3], 10, 64)
			s.Min, _ = strconv.ParseUint(m[4], 10, 64)
			if s.N == 0 {
				return r, fmt.Errorf("operation %s: zero iterations", m[1])
			}
			r.Ops[m[1]] = s
		} else if m := failedLine.FindStringSubmatch(line); m != nil {
			return r, fmt.Errorf("the bench guest failed: %s", m[1])
		} else if doneLine.MatchString(line) {
			done = true
		}
	}
	if r.CounterHz == 0 {
		return r, errors.New("the bench guest printed no counter frequency")
	}
	if !done {
		return r, ErrIncomplete
	}
	return r, nil
}

// Instructions converts counter ticks at hz to instructions (virtual
// nanoseconds under -icount shift=0).
func Instructions(ticks, hz uint64) float64 {
	return float64(ticks) * 1e9 / float64(hz)
}

// Mean is an operation's mean cost in instructions.
func (r Run) Mean(op string) (float64, bool) {
	s, ok := r.Ops[op]
	if !ok || s.N == 0 || r.CounterHz == 0 {
		return 0, false
	}
	return Instructions(s.Ticks, r.CounterHz) / float64(s.N), true
}

// Operation names a measured operation and says what it is.
type Operation struct {
	Name, Description string
}

// Operations are the bench guest's, in table order.
var Operations = []Operation{
	{"hvc", "null HVC (PSCI_VERSION)"},
	{"gicd-read", "vGIC distributor read (GICD_TYPER)"},
	{"uart-write", "virtual UART write (UARTDR, one byte)"},
	{"sgi", "SGI to the other vCPU, send to handler"},
	{"timer", "virtual timer, CVAL to handler"},
	{"spi", "passthrough SPI, GICD_ISPENDR to handler"},
}

// LinuxOperation is the Linux row's name.
const LinuxOperation = "linux-init"

// Row is one line of the table. Native and Tamavisor are in Unit; Ratio
// is Tamavisor/Native (0 when Native is 0).
type Row struct {
	Operation   string  `json:"operation"`
	Description string  `json:"description"`
	Unit        string  `json:"unit"`
	Native      float64 `json:"native"`
	Tamavisor   float64 `json:"tamavisor"`
	Difference  float64 `json:"difference"`
	Ratio       float64 `json:"ratio"`
}

// NewRow computes a row's difference and ratio.
func NewRow(op, description, unit string, native, tamavisor float64) Row {
	r := Row{Operation: op, Description: description, Unit: unit, Native: native, Tamavisor: tamavisor,
		Difference: tamavisor - native}
	if native != 0 {
		r.Ratio = tamavisor / native
	}
	return r
}

// Table is the result of one bench-qemu run.
type Table struct {
	QEMU   string `json:"qemu"`
	Icount string `json:"icount"`
	Rows   []Row  `json:"rows"`
}

// Build makes the table from a native and a Tamavisor run of the bench
// guest; an operation missing from either is an error.
func Build(native, tamavisor Run) (Table, error) {
	var t Table
	for _, op := range Operations {
		n, ok1 := native.Mean(op.Name)
		h, ok2 := tamavisor.Mean(op.Name)
		if !ok1 || !ok2 {
			return t, fmt.Errorf("operation %s missing from the native or the Tamavisor run", op.Name)
		}
		t.Rows = append(t.Rows, NewRow(op.Name, op.Description, "instructions", n, h))
	}
	return t, nil
}

// AddLinux appends the Linux row: seconds to "Run /init", both ways.
func (t *Table) AddLinux(native, tamavisor float64) {
	t.Rows = append(t.Rows, NewRow(LinuxOperation, "Linux 2 vCPUs to Run /init", "s", native, tamavisor))
}

// Write prints the table as text.
func (t Table) Write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%-50s %10s %10s %10s %7s\n", "operation", "native", "tamavisor", "difference", "ratio")
	for _, r := range t.Rows {
		name := r.Description + ", " + unitName(r.Unit)
		fmt.Fprintf(bw, "%-50s %10s %10s %10s %7s\n", name,
			number(r.Native, r.Unit), number(r.Tamavisor, r.Unit), number(r.Difference, r.Unit), ratio(r.Ratio))
	}
	return bw.Flush()
}

func unitName(u string) string {
	if u == "instructions" {
		return "insns"
	}
	return u
}

func number(v float64, unit string) string {
	if unit == "s" {
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func ratio(v float64) string {
	if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// MarshalIndent is the table's JSON.
func (t Table) MarshalIndent() ([]byte, error) {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Decode reads a table's JSON back and checks each row's arithmetic.
func Decode(b []byte) (Table, error) {
	var t Table
	if err := json.Unmarshal(b, &t); err != nil {
		return t, err
	}
	for _, r := range t.Rows {
		want := NewRow(r.Operation, r.Description, r.Unit, r.Native, r.Tamavisor)
		if !near(r.Difference, want.Difference) || !near(r.Ratio, want.Ratio) {
			return t, fmt.Errorf("row %s: difference %v or ratio %v do not follow from native %v and tamavisor %v",
				r.Operation, r.Difference, r.Ratio, r.Native, r.Tamavisor)
		}
	}
	return t, nil
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// LinuxInit finds the printk time stamp, in seconds, of the kernel's
// "Run /init as init process" line.
func LinuxInit(lines []string) (float64, bool) {
	for _, line := range lines {
		if m := linuxInit.FindStringSubmatch(line); m != nil {
			v, err := strconv.ParseFloat(m[1], 64)
			return v, err == nil
		}
	}
	return 0, false
}

var linuxInit = regexp.MustCompile(`\[\s*(\d+\.\d+)\] Run /init as init process`)
