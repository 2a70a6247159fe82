package dtb

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/tamavisor/tamavisor/internal/fdt"
)

// InvalidGuestError is one problem in a Guest. Field is the path of the
// offending field in Guest (such as "Devices[1].SPIs[0]"), so a caller that
// knows where each field came from, such as the config loader, can point
// at the file, line and column.
type InvalidGuestError struct {
	Guest   string // Guest.Name
	Field   string
	Problem string // what is wrong and how to fix it
}

func (e *InvalidGuestError) Error() string {
	return fmt.Sprintf("partition %q: %s: %s", e.Guest, e.Field, e.Problem)
}

// Validate checks everything Generate relies on and returns every problem
// found, each an *InvalidGuestError, joined with errors.Join.
func (g *Guest) Validate() error {
	v := &validator{g: g}
	v.name()
	v.cpus()
	v.memory()
	v.gic()
	v.timer()
	v.psci()
	v.console()
	v.devices()
	v.interrupts()
	v.overlaps()
	v.chosen()
	return errors.Join(v.errs...)
}

type validator struct {
	g    *Guest
	errs []error
	// regions are the guest's address ranges that are valid on their
	// own, for the overlap check.
	regions []namedRegion
}

type namedRegion struct {
	field      string
	base, size uint64
}

func (r namedRegion) last() uint64 { return r.base + (r.size - 1) }

func (v *validator) add(field, format string, args ...any) {
	v.errs = append(v.errs, &InvalidGuestError{Guest: v.g.Name, Field: field, Problem: fmt.Sprintf(format, args...)})
}

// region checks one address range and, if it is sound, keeps it for the
// overlap check. align is the alignment base and size need, and why says
// where that comes from.
func (v *validator) region(field string, base, size, align uint64, why string) {
	switch {
	case size == 0:
		v.add(field, "size is 0; give the region its size in bytes")
	case size-1 > math.MaxUint64-base:
		v.add(field, "%#x+%#x runs past the end of the 64-bit address space; lower the base or the size", base, size)
	case base%align != 0 || size%align != 0:
		v.add(field, "%#x+%#x is not %#x-aligned (%s); align its base and size", base, size, align, why)
	default:
		v.regions = append(v.regions, namedRegion{field: field, base: base, size: size})
	}
}

func (v *validator) name() {
	switch {
	case v.g.Name == "":
		v.add("Name", "empty; every partition needs a name")
	case !isPrintableASCII(v.g.Name):
		v.add("Name", "%q holds characters other than printable ASCII; rename the partition", v.g.Name)
	}
}

func (v *validator) cpus() {
	switch {
	case v.g.CPUs < 1:
		v.add("CPUs", "%d; a partition needs at least one CPU", v.g.CPUs)
	case v.g.CPUs > MaxCPUs:
		v.add("CPUs", "%d, at most %d: vCPU MPIDRs differ in Aff0 only and an SGI reaches Aff0 0..15 only (ICC_SGI1R_EL1.TargetList); use fewer vCPUs", v.g.CPUs, MaxCPUs)
	}
}

func (v *validator) memory() {
	if len(v.g.Memory) == 0 {
		v.add("Memory", "empty; a partition needs at least one memory region")
	}
	for i, m := range v.g.Memory {
		v.region(fmt.Sprintf("Memory[%d]", i), m.IPA, m.Size, pageSize, "stage 2 maps whole 4 KiB pages")
	}
}

func (v *validator) gic() {
	gic := v.g.GIC
	v.region("GIC.Dist", gic.DistBase, gic.DistSize, gicFrameAlign, "GIC register frames are 64 KiB")
	if v.g.CPUs >= 1 && v.g.CPUs <= MaxCPUs {
		if want := uint64(v.g.CPUs) * RedistributorFrameSize; gic.RedistSize != want {
			v.add("GIC.RedistSize", "%#x, but %d CPU(s) need %#x: one %#x redistributor (RD_base + SGI_base frames) each; set it to %#x",
				gic.RedistSize, v.g.CPUs, want, RedistributorFrameSize, want)
			return
		}
	}
	v.region("GIC.Redist", gic.RedistBase, gic.RedistSize, gicFrameAlign, "GIC register frames are 64 KiB")
}

func (v *validator) timer() {
	t := v.g.Timer
	ppis := []struct {
		field string
		intid uint32
	}{
		{"Timer.SecurePhysIRQ", t.SecurePhysIRQ},
		{"Timer.PhysIRQ", t.PhysIRQ},
		{"Timer.VirtIRQ", t.VirtIRQ},
		{"Timer.HypIRQ", t.HypIRQ},
	}
	for i, p := range ppis {
		if p.intid < firstPPI || p.intid > lastPPI {
			v.add(p.field, "INTID %d is not a PPI; timer interrupts are PPIs, INTIDs %d..%d", p.intid, firstPPI, lastPPI)
			continue
		}
		for _, earlier := range ppis[:i] {
			if earlier.intid == p.intid {
				v.add(p.field, "INTID %d is also %s; each timer has its own PPI", p.intid, earlier.field)
			}
		}
	}
}

func (v *validator) psci() {
	if c := v.g.PSCI.Conduit; c != "hvc" && c != "smc" {
		v.add("PSCI.Conduit", "%q; use \"hvc\" or \"smc\"", c)
	}
}

func (v *validator) console() {
	if c := v.g.Console; c != nil {
		v.region("Console", c.Base, c.Size, pageSize, "stage 2 maps whole 4 KiB pages")
	}
}

func (v *validator) devices() {
	seen := map[string]int{}
	aliases := map[string]int{}
	for i, d := range v.g.Devices {
		field := fmt.Sprintf("Devices[%d]", i)
		if err := fdt.CheckNodeName(d.Name); err != nil || strings.Contains(d.Name, "@") {
			v.add(field+".Name", "%q is no device tree node name: use 1 to 31 of 0-9 a-z A-Z , . _ + -, starting with a letter and without '@' (the unit address comes from MMIO[0])", d.Name)
		} else if j, dup := seen[d.Name]; dup {
			v.add(field+".Name", "%q is also the name of Devices[%d]; give each device its own name", d.Name, j)
		} else {
			seen[d.Name] = i
		}
		if len(d.Compatible) == 0 {
			v.add(field+".Compatible", "empty; give the compatible strings of the device's binding, most specific first")
		}
		for j, c := range d.Compatible {
			switch {
			case c == "" || !isPrintableASCII(c):
				v.add(fmt.Sprintf("%s.Compatible[%d]", field, j), "%q is no compatible string; use printable ASCII such as \"vendor,device\"", c)
			case c == pl011Compatible:
				v.add(fmt.Sprintf("%s.Compatible[%d]", field, j), "a PL011 must be the Console, which gets the UART clock its driver needs")
			}
		}
		if len(d.MMIO) == 0 {
			v.add(field+".MMIO", "empty; a device needs at least one MMIO region, the first names its node")
		}
		if d.Alias != "" {
			if !aliasName.MatchString(d.Alias) {
				v.add(field+".Alias", "%q is no alias name: use 1 to 31 of a-z 0-9 -, starting with a letter (such as serial2)", d.Alias)
			} else if j, dup := aliases[d.Alias]; dup {
				v.add(field+".Alias", "%q is also the alias of Devices[%d]; an alias names one node", d.Alias, j)
			} else {
				aliases[d.Alias] = i
			}
		}
		if len(d.Clocks) > 0 && d.isPrimecell() {
			v.add(field+".Clocks", "a PrimeCell gets the APB clock every PrimeCell has (apb_pclk); list no clocks for it")
		}
		clockNames := map[string]bool{}
		for j, c := range d.Clocks {
			cf := fmt.Sprintf("%s.Clocks[%d]", field, j)
			switch {
			case c.Name == "" || !isPrintableASCII(c.Name):
				v.add(cf+".Name", "%q is no clock name; use the clock-names entry of the device's binding, such as \"per\"", c.Name)
			case clockNames[c.Name]:
				v.add(cf+".Name", "%q is listed twice; each input clock once", c.Name)
			}
			clockNames[c.Name] = true
			if c.Hz == 0 {
				v.add(cf+".Hz", "0; give the clock's rate in Hz")
			}
		}
		for j, r := range d.MMIO {
			v.region(fmt.Sprintf("%s.MMIO[%d]", field, j), r.Base, r.Size, pageSize, "stage 2 maps whole 4 KiB pages")
		}
	}
}

// interrupts checks that every SPI is one and belongs to one device only.
func (v *validator) interrupts() {
	owner := map[uint32]string{}
	check := func(field string, intid uint32) {
		if intid < firstSPI || intid > lastSPI {
			v.add(field, "INTID %d is not an SPI; device interrupts are SPIs, INTIDs %d..%d", intid, firstSPI, lastSPI)
			return
		}
		if other, taken := owner[intid]; taken {
			v.add(field, "INTID %d is also %s; an interrupt belongs to one device", intid, other)
			return
		}
		owner[intid] = field
	}
	if c := v.g.Console; c != nil {
		check("Console.SPI", c.SPI)
	}
	for i, d := range v.g.Devices {
		for j, intid := range d.SPIs {
			check(fmt.Sprintf("Devices[%d].SPIs[%d]", i, j), intid)
		}
	}
}

// overlaps checks that no two address ranges of the guest share a byte.
func (v *validator) overlaps() {
	for i, r := range v.regions {
		for _, earlier := range v.regions[:i] {
			if r.base <= earlier.last() && earlier.base <= r.last() {
				v.add(r.field, "%#x+%#x overlaps %s %#x+%#x; move or shrink one of them", r.base, r.size, earlier.field, earlier.base, earlier.size)
			}
		}
	}
}

func (v *validator) chosen() {
	c := v.g.Chosen
	if strings.IndexByte(c.Bootargs, 0) >= 0 {
		v.add("Chosen.Bootargs", "contains a NUL byte, which would cut the command line short; remove it")
	}
	if c.StdoutPath != "" {
		path, _, _ := strings.Cut(c.StdoutPath, ":")
		if nodes := v.g.uartCandidatePaths(); !slices.Contains(nodes, path) {
			v.add("Chosen.StdoutPath", "%q names no node of this guest; use one of %s, or leave it empty for the console", path, quoteAll(nodes))
		}
	}
	if c.hasInitrd() {
		if c.InitrdEnd <= c.InitrdStart {
			v.add("Chosen.InitrdEnd", "%#x is not after InitrdStart %#x; the initrd is [InitrdStart, InitrdEnd)", c.InitrdEnd, c.InitrdStart)
			return
		}
		for _, m := range v.g.Memory {
			if c.InitrdStart >= m.IPA && c.InitrdEnd-m.IPA <= m.Size {
				return
			}
		}
		v.add("Chosen.InitrdStart", "initrd [%#x, %#x) does not lie inside one Memory region; load it into the partition's RAM", c.InitrdStart, c.InitrdEnd)
	}
}

// uartCandidatePaths lists the nodes stdout-path may name: the console and
// the passthrough devices.
func (g *Guest) uartCandidatePaths() []string {
	var paths []string
	if g.Console != nil {
		paths = append(paths, "/"+g.Console.nodeName())
	}
	for _, d := range g.Devices {
		if len(d.MMIO) > 0 {
			paths = append(paths, "/"+d.nodeName())
		}
	}
	return paths
}

func quoteAll(list []string) string {
	if len(list) == 0 {
		return "(no console or device nodes)"
	}
	quoted := make([]string, len(list))
	for i, s := range list {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(quoted, ", ")
}

// aliasName is the form of an alias property name (Devicetree
// Specification v0.4, 3.3 "/aliases node").
var aliasName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
