package dtb

import (
	"errors"
	"strings"
	"testing"
)

// rtcDevice is a valid passthrough device for cases that break one field.
func rtcDevice() Device {
	return Device{
		Name:       "rtc",
		Compatible: []string{"arm,pl031", "arm,primecell"},
		MMIO:       []Region{{Base: 0x901_0000, Size: 0x1000}},
		SPIs:       []uint32{34},
	}
}

func withDevices(devices ...Device) func(*Guest) {
	return func(g *Guest) { g.Devices = devices }
}

// guestErrors returns the *InvalidGuestErrors joined in err.
func guestErrors(t *testing.T, err error) []*InvalidGuestError {
	t.Helper()
	var all []error
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		all = joined.Unwrap()
	} else if err != nil {
		all = []error{err}
	}
	var out []*InvalidGuestError
	for _, e := range all {
		var ge *InvalidGuestError
		if !errors.As(e, &ge) {
			t.Fatalf("error %v is no *InvalidGuestError", e)
		}
		out = append(out, ge)
	}
	return out
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Guest) // applied to linuxGuest()
		// wantField and wantProblem describe the single expected error;
		// wantField "" means the guest is valid.
		wantField   string
		wantProblem string
	}{
		{
			name:   "unmodified",
			mutate: func(*Guest) {},
		},
		{
			name:   "stdout-path with options",
			mutate: func(g *Guest) { g.Chosen.StdoutPath = "/serial@9000000:115200n8" },
		},
		{
			name: "stdout-path naming a passthrough device",
			mutate: func(g *Guest) {
				withDevices(rtcDevice())(g)
				g.Chosen.StdoutPath = "/rtc@9010000"
			},
		},
		{
			name:   "no console",
			mutate: func(g *Guest) { g.Console = nil },
		},
		{
			name:   "initrd filling a whole region",
			mutate: func(g *Guest) { g.Chosen.InitrdStart, g.Chosen.InitrdEnd = 0x6000_0000, 0x6400_0000 },
		},
		{
			name:        "empty name",
			mutate:      func(g *Guest) { g.Name = "" },
			wantField:   "Name",
			wantProblem: "empty; every partition needs a name",
		},
		{
			name:        "name with a newline",
			mutate:      func(g *Guest) { g.Name = "a\nb" },
			wantField:   "Name",
			wantProblem: "printable ASCII",
		},
		{
			name:        "no CPU",
			mutate:      func(g *Guest) { g.CPUs = 0 },
			wantField:   "CPUs",
			wantProblem: "0; a partition needs at least one CPU",
		},
		{
			name:        "too many CPUs",
			mutate:      func(g *Guest) { g.CPUs = 17 },
			wantField:   "CPUs",
			wantProblem: "17, at most 16",
		},
		{
			name: "no memory",
			mutate: func(g *Guest) {
				g.Memory = nil
				g.Chosen.InitrdStart, g.Chosen.InitrdEnd = 0, 0
			},
			wantField:   "Memory",
			wantProblem: "a partition needs at least one memory region",
		},
		{
			name:        "memory of size zero",
			mutate:      func(g *Guest) { g.Memory[1].Size = 0 },
			wantField:   "Memory[1]",
			wantProblem: "size is 0",
		},
		{
			name:        "memory not page aligned",
			mutate:      func(g *Guest) { g.Memory[1].IPA = 0x6000_0800 },
			wantField:   "Memory[1]",
			wantProblem: "0x60000800+0x4000000 is not 0x1000-aligned",
		},
		{
			name:        "memory past the address space",
			mutate:      func(g *Guest) { g.Memory[1] = MemoryRegion{IPA: 0xffff_ffff_ffff_f000, Size: 0x2000} },
			wantField:   "Memory[1]",
			wantProblem: "runs past the end of the 64-bit address space",
		},
		{
			name:        "overlapping memory",
			mutate:      func(g *Guest) { g.Memory[1].IPA = 0x57ff_f000 },
			wantField:   "Memory[1]",
			wantProblem: "0x57fff000+0x4000000 overlaps Memory[0] 0x48000000+0x10000000; move or shrink one of them",
		},
		{
			name:        "redistributors for the wrong CPU count",
			mutate:      func(g *Guest) { g.GIC.RedistSize = RedistributorFrameSize },
			wantField:   "GIC.RedistSize",
			wantProblem: "0x20000, but 2 CPU(s) need 0x40000",
		},
		{
			name:        "distributor of size zero",
			mutate:      func(g *Guest) { g.GIC.DistSize = 0 },
			wantField:   "GIC.Dist",
			wantProblem: "size is 0",
		},
		{
			name:        "distributor not 64 KiB aligned",
			mutate:      func(g *Guest) { g.GIC.DistBase = 0x800_1000 },
			wantField:   "GIC.Dist",
			wantProblem: "is not 0x10000-aligned (GIC register frames are 64 KiB)",
		},
		{
			name:        "redistributors over RAM",
			mutate:      func(g *Guest) { g.GIC.RedistBase = 0x4800_0000 },
			wantField:   "GIC.Redist",
			wantProblem: "overlaps Memory[0]",
		},
		{
			name:        "timer interrupt that is an SPI",
			mutate:      func(g *Guest) { g.Timer.VirtIRQ = 40 },
			wantField:   "Timer.VirtIRQ",
			wantProblem: "INTID 40 is not a PPI",
		},
		{
			name:        "timer interrupt that is an SGI",
			mutate:      func(g *Guest) { g.Timer.SecurePhysIRQ = 15 },
			wantField:   "Timer.SecurePhysIRQ",
			wantProblem: "INTID 15 is not a PPI",
		},
		{
			name:        "two timers on one PPI",
			mutate:      func(g *Guest) { g.Timer.HypIRQ = g.Timer.VirtIRQ },
			wantField:   "Timer.HypIRQ",
			wantProblem: "INTID 27 is also Timer.VirtIRQ",
		},
		{
			name:        "unknown PSCI conduit",
			mutate:      func(g *Guest) { g.PSCI.Conduit = "svc" },
			wantField:   "PSCI.Conduit",
			wantProblem: `"svc"; use "hvc" or "smc"`,
		},
		{
			name:        "console of size zero",
			mutate:      func(g *Guest) { g.Console.Size = 0 },
			wantField:   "Console",
			wantProblem: "size is 0",
		},
		{
			name:        "console interrupt that is a PPI",
			mutate:      func(g *Guest) { g.Console.SPI = 30 },
			wantField:   "Console.SPI",
			wantProblem: "INTID 30 is not an SPI",
		},
		{
			name:        "console interrupt past the last SPI",
			mutate:      func(g *Guest) { g.Console.SPI = 1020 },
			wantField:   "Console.SPI",
			wantProblem: "INTID 1020 is not an SPI; device interrupts are SPIs, INTIDs 32..1019",
		},
		{
			name: "devices with an alias and clocks",
			mutate: func(g *Guest) {
				d := rtcDevice()
				d.Compatible = []string{"fsl,imx8mp-uart", "fsl,imx6q-uart"}
				d.Alias = "serial2"
				d.Clocks = []Clock{{Name: "ipg", Hz: 24_000_000}, {Name: "per", Hz: 80_000_000}}
				withDevices(d)(g)
			},
		},
		{
			name: "PrimeCell with clocks of its own",
			mutate: func(g *Guest) {
				d := rtcDevice()
				d.Clocks = []Clock{{Name: "apb_pclk", Hz: 24_000_000}}
				withDevices(d)(g)
			},
			wantField:   "Devices[0].Clocks",
			wantProblem: "a PrimeCell gets the APB clock every PrimeCell has (apb_pclk); list no clocks for it",
		},
		{
			name: "alias that is no alias name",
			mutate: func(g *Guest) {
				d := rtcDevice()
				d.Alias = "Serial_2"
				withDevices(d)(g)
			},
			wantField:   "Devices[0].Alias",
			wantProblem: `"Serial_2" is no alias name: use 1 to 31 of a-z 0-9 -, starting with a letter (such as serial2)`,
		},
		{
			name: "alias given twice",
			mutate: func(g *Guest) {
				a, b := rtcDevice(), rtcDevice()
				a.Alias, b.Alias = "serial2", "serial2"
				b.Name, b.MMIO, b.SPIs = "rtc2", []Region{{Base: 0x902_0000, Size: 0x1000}}, []uint32{35}
				withDevices(a, b)(g)
			},
			wantField:   "Devices[1].Alias",
			wantProblem: `"serial2" is also the alias of Devices[0]; an alias names one node`,
		},
		{
			name: "clock without a rate",
			mutate: func(g *Guest) {
				d := rtcDevice()
				d.Clocks = []Clock{{Name: "per"}}
				d.Compatible = []string{"fsl,imx8mp-uart"}
				withDevices(d)(g)
			},
			wantField:   "Devices[0].Clocks[0].Hz",
			wantProblem: "0; give the clock's rate in Hz",
		},
		{
			name: "clock listed twice",
			mutate: func(g *Guest) {
				d := rtcDevice()
				d.Clocks = []Clock{{Name: "per", Hz: 1}, {Name: "per", Hz: 1}}
				d.Compatible = []string{"fsl,imx8mp-uart"}
				withDevices(d)(g)
			},
			wantField:   "Devices[0].Clocks[1].Name",
			wantProblem: `"per" is listed twice; each input clock once`,
		},
		{
			name: "device name starting with a digit",
			mutate: func(g *Guest) {
				d := rtcDevice()
				d.Name = "0rtc"
				withDevices(d)(g)
			},
			wantField:   "Devices[0].Name",
			wantProblem: `"0rtc" is no device tree node name`,
		},
		{
			name: "device name with a unit address",
			mutate: func(g *Guest) {
				d := rtcDevice()
				d.Name = "rtc@9010000"
				withDevices(d)(g)
			},
			wantField:   "Devices[0].Name",
			wantProblem: "without '@'",
		},
		{
			name: "two devices with one name",
			mutate: func(g *Guest) {
				second := rtcDevice()
				second.MMIO[0].Base = 0x903_0000
				second.SPIs = []uint32{39}
				withDevices(rtcDevice(), second)(g)
			},
			wantField:   "Devices[1].Name",
			wantProblem: `"rtc" is also the name of Devices[0]`,
		},
		{
			name: "device without compatible",
			mutate: func(g *Guest) {
				d := rtcDevice()
				d.Compatible = nil
				withDevices(d)(g)
			},
			wantField:   "Devices[0].Compatible",
			wantProblem: "empty",
		},
		{
			name: "empty compatible string",
			mutate: func(g *Guest) {
				d := rtcDevice()
				d.Compatible = []string{"arm,pl031", ""}
				withDevices(d)(g)
			},
			wantField:   "Devices[0].Compatible[1]",
			wantProblem: `"" is no compatible string`,
		},
		{
			name: "PL011 as a plain device",
			mutate: func(g *Guest) {
				d := rtcDevice()
				d.Compatible = []string{"arm,pl011", "arm,primecell"}
				withDevices(d)(g)
			},
			wantField:   "Devices[0].Compatible[0]",
			wantProblem: "a PL011 must be the Console",
		},
		{
			name: "device without MMIO",
			mutate: func(g *Guest) {
				d := rtcDevice()
				d.MMIO = nil
				withDevices(d)(g)
			},
			wantField:   "Devices[0].MMIO",
			wantProblem: "a device needs at least one MMIO region",
		},
		{
			name: "device over the console",
			mutate: func(g *Guest) {
				d := rtcDevice()
				d.MMIO = append(d.MMIO, Region{Base: 0x900_0000, Size: 0x1000})
				withDevices(d)(g)
			},
			wantField:   "Devices[0].MMIO[1]",
			wantProblem: "0x9000000+0x1000 overlaps Console 0x9000000+0x1000",
		},
		{
			name: "device sharing the console's interrupt",
			mutate: func(g *Guest) {
				d := rtcDevice()
				d.SPIs = []uint32{34, 33}
				withDevices(d)(g)
			},
			wantField:   "Devices[0].SPIs[1]",
			wantProblem: "INTID 33 is also Console.SPI; an interrupt belongs to one device",
		},
		{
			name:        "stdout-path naming no node",
			mutate:      func(g *Guest) { g.Chosen.StdoutPath = "/pl011@9000000" },
			wantField:   "Chosen.StdoutPath",
			wantProblem: `"/pl011@9000000" names no node of this guest; use one of "/serial@9000000"`,
		},
		{
			name:        "bootargs with a NUL",
			mutate:      func(g *Guest) { g.Chosen.Bootargs = "quiet\x00debug" },
			wantField:   "Chosen.Bootargs",
			wantProblem: "contains a NUL byte",
		},
		{
			name:        "initrd ending before it starts",
			mutate:      func(g *Guest) { g.Chosen.InitrdEnd = g.Chosen.InitrdStart },
			wantField:   "Chosen.InitrdEnd",
			wantProblem: "0x50000000 is not after InitrdStart 0x50000000",
		},
		{
			name:        "initrd outside memory",
			mutate:      func(g *Guest) { g.Chosen.InitrdStart, g.Chosen.InitrdEnd = 0x8000_0000, 0x8010_0000 },
			wantField:   "Chosen.InitrdStart",
			wantProblem: "initrd [0x80000000, 0x80100000) does not lie inside one Memory region",
		},
		{
			name:        "initrd running past its region",
			mutate:      func(g *Guest) { g.Chosen.InitrdStart, g.Chosen.InitrdEnd = 0x6000_0000, 0x6400_0001 },
			wantField:   "Chosen.InitrdStart",
			wantProblem: "does not lie inside one Memory region",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := linuxGuest()
			tc.mutate(&g)
			err := g.Validate()
			errs := guestErrors(t, err)
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				if _, err := Generate(g); err != nil {
					t.Fatalf("Generate of a valid guest: %v", err)
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("Validate = %v, want exactly one error for %s", err, tc.wantField)
			}
			if e := errs[0]; e.Guest != g.Name || e.Field != tc.wantField || !strings.Contains(e.Problem, tc.wantProblem) {
				t.Errorf("Validate = %q (field %q), want field %q with a problem containing %q", e, e.Field, tc.wantField, tc.wantProblem)
			}
			if blob, genErr := Generate(g); blob != nil || genErr == nil || genErr.Error() != err.Error() {
				t.Errorf("Generate = %d bytes, %v; want no blob and the Validate error", len(blob), genErr)
			}
		})
	}
}

// TestValidateReportsEveryProblem checks that one run names all problems,
// so a user fixes a config in one pass.
func TestValidateReportsEveryProblem(t *testing.T) {
	g := linuxGuest()
	g.CPUs = 0
	g.PSCI.Conduit = ""
	g.Console.SPI = 3
	wantFields := []string{"CPUs", "PSCI.Conduit", "Console.SPI"}

	errs := guestErrors(t, g.Validate())
	var gotFields []string
	for _, e := range errs {
		gotFields = append(gotFields, e.Field)
	}
	if strings.Join(gotFields, ",") != strings.Join(wantFields, ",") {
		t.Errorf("fields = %q, want %q", gotFields, wantFields)
	}
}

func TestInvalidGuestErrorMessage(t *testing.T) {
	e := &InvalidGuestError{Guest: "linux", Field: "Console.SPI", Problem: "INTID 3 is not an SPI"}
	if got, want := e.Error(), `partition "linux": Console.SPI: INTID 3 is not an SPI`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
