package layout

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tamavisor/tamavisor/partition"
)

// sizeUnits are the binary units labels use, largest first.
var sizeUnits = []struct {
	name  string
	bytes uint64
}{
	{"TiB", partition.TiB},
	{"GiB", partition.GiB},
	{"MiB", partition.MiB},
	{"KiB", partition.KiB},
}

// formatSize writes a byte count exactly, largest unit first, so that a
// size that is not a round number stays readable: "512 MiB", "64 KiB",
// "1 GiB 303 MiB 960 KiB".
func formatSize(n uint64) string {
	if n == 0 {
		return "0 B"
	}
	var parts []string
	for _, u := range sizeUnits {
		if whole := n / u.bytes; whole > 0 {
			parts = append(parts, strconv.FormatUint(whole, 10)+" "+u.name)
			n %= u.bytes
		}
	}
	if n > 0 {
		parts = append(parts, strconv.FormatUint(n, 10)+" B")
	}
	return strings.Join(parts, " ")
}

// formatAddress writes an address in hexadecimal with at least eight
// digits, so that 32-bit addresses line up: "0x09000000".
func formatAddress(a uint64) string {
	return fmt.Sprintf("0x%08x", a)
}

// formatRange writes a physical range the way every band is labeled:
// "0x48000000 +512 MiB".
func formatRange(base, size uint64) string {
	return formatAddress(base) + " +" + formatSize(size)
}

// idRun is a run of consecutive IDs [first, last].
type idRun struct {
	first, last uint32
}

// formatIDs writes IDs as sorted, comma-separated runs after a noun in
// its singular or plural form: "IRQ 140", "IRQs 48–79", "IRQs 35–38, 140".
// It returns "" for no IDs.
func formatIDs(singular, plural string, runs []idRun) string {
	if len(runs) == 0 {
		return ""
	}
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b idRun) int {
		switch {
		case a.first < b.first:
			return -1
		case a.first > b.first:
			return 1
		}
		return 0
	})
	// Merge runs that touch or overlap, so a device whose interrupts are
	// listed one by one reads as one range.
	merged := []idRun{sorted[0]}
	for _, r := range sorted[1:] {
		last := &merged[len(merged)-1]
		if uint64(r.first) <= uint64(last.last)+1 {
			last.last = max(last.last, r.last)
			continue
		}
		merged = append(merged, r)
	}
	noun := plural
	if merged[0].first == merged[0].last && len(merged) == 1 {
		noun = singular
	}
	parts := make([]string, len(merged))
	for i, r := range merged {
		parts[i] = strconv.FormatUint(uint64(r.first), 10)
		if r.last != r.first {
			parts[i] += "–" + strconv.FormatUint(uint64(r.last), 10)
		}
	}
	return noun + " " + strings.Join(parts, ", ")
}

// interruptRuns returns a device's interrupts as single-ID runs.
func interruptRuns(irqs []partition.Interrupt) []idRun {
	runs := make([]idRun, len(irqs))
	for i, irq := range irqs {
		runs[i] = idRun{irq.ID, irq.ID}
	}
	return runs
}

// streamIDRuns returns a device's stream ID ranges as runs.
func streamIDRuns(ids []partition.StreamIDRange) []idRun {
	runs := make([]idRun, 0, len(ids))
	for _, r := range ids {
		if r.Count > 0 {
			runs = append(runs, idRun{r.First, r.Last()})
		}
	}
	return runs
}

// formatCores writes core indices as runs: "core 2", "cores 0–1",
// "cores 0–1, 3".
func formatCores(cores []partition.Core) string {
	runs := make([]idRun, len(cores))
	for i, c := range cores {
		runs[i] = idRun{uint32(c.Index), uint32(c.Index)}
	}
	return formatIDs("core", "cores", runs)
}
