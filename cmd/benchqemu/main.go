// Command benchqemu is `make bench-qemu`: it boots the bench guest
// (guests/bench) natively on QEMU's virt machine and as a Tamavisor
// partition (configs/bench.yaml), and Linux natively and as a partition
// (configs/bench-linux.yaml), all under -icount shift=0 so that virtual
// time counts instructions and every figure is the same from run to run,
// and prints one table (operation, native, Tamavisor, difference, ratio),
// which it also writes as JSON for comparisons between commits.
//
// The counter runs at 1 GHz in these runs (-cpu cortex-a53,cntfrq=...):
// with shift=0 one instruction is one virtual nanosecond, so one tick is
// one instruction. The guest reports the frequency it read and the
// conversion uses it (internal/benchtable).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/tamavisor/tamavisor/internal/benchtable"
	"github.com/tamavisor/tamavisor/qemu"
)

// icount makes QEMU's virtual clock count instructions, 1 ns each, and
// jump over the time every CPU is idle (sleep=off) instead of following
// the host's clock: nothing in the figures depends on the host.
var icount = []string{"-icount", "shift=0,sleep=off"}

// counterHz is the generic counter's frequency in these runs.
const counterHz = 1_000_000_000

// linuxArgs is the kernel command line of configs/bench-linux.yaml.
const linuxArgs = "console=ttyAMA0 earlycon"

func main() {
	native := flag.String("native", "build/guests/bench.elf", "the bench guest, booted natively")
	hv := flag.String("hv", "build/bench.elf", "the image of configs/bench.yaml (tamavisor build)")
	kernel := flag.String("kernel", "build/guests/Image", "the Linux kernel, booted natively")
	initrd := flag.String("initrd", "build/guests/initramfs.cpio.gz", "its initramfs")
	linuxHV := flag.String("linux-hv", "build/bench-linux.elf", "the image of configs/bench-linux.yaml")
	noLinux := flag.Bool("no-linux", false, "leave out the Linux boot row")
	jsonOut := flag.String("json", "build/bench.json", "where to write the table as JSON")
	timeout := flag.Duration("timeout", 10*time.Minute, "how long one QEMU run may take (host time)")
	flag.Parse()
	if err := run(*native, *hv, *kernel, *initrd, *linuxHV, !*noLinux, *jsonOut, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "benchqemu:", err)
		os.Exit(1)
	}
}

func run(native, hv, kernel, initrd, linuxHV string, linux bool, jsonOut string, timeout time.Duration) error {
	binary, err := qemu.LookPath()
	if err != nil {
		return err
	}
	el1, err := profile("qemu-virt-el1")
	if err != nil {
		return err
	}
	el2, err := profile("qemu-virt")
	if err != nil {
		return err
	}
	done := regexp.MustCompile(`bench: (done|failed)`)
	fmt.Fprintln(os.Stderr, "benchqemu: the bench guest, natively")
	nativeRun, err := bench(binary, el1, qemu.Options{Image: native, Timeout: timeout}, done)
	if err != nil {
		return fmt.Errorf("native run: %w", err)
	}
	fmt.Fprintln(os.Stderr, "benchqemu: the bench guest under Tamavisor")
	hvRun, err := bench(binary, el2, qemu.Options{Image: hv, Timeout: timeout}, done)
	if err != nil {
		return fmt.Errorf("Tamavisor run: %w", err)
	}
	table, err := benchtable.Build(nativeRun, hvRun)
	if err != nil {
		return err
	}
	if linux {
		// Two CPUs and 512 MiB, as the partition has.
		machine := withArgs(el1, map[string]string{"-smp": "2", "-m": "512M"})
		fmt.Fprintln(os.Stderr, "benchqemu: Linux to Run /init, natively")
		n, err := linuxInit(binary, machine, qemu.Options{Image: kernel, Timeout: timeout,
			LoadArgs: []string{"-kernel", kernel, "-initrd", initrd, "-append", linuxArgs}})
		if err != nil {
			return fmt.Errorf("native Linux: %w", err)
		}
		fmt.Fprintln(os.Stderr, "benchqemu: Linux to Run /init under Tamavisor")
		h, err := linuxInit(binary, el2, qemu.Options{Image: linuxHV, Timeout: timeout})
		if err != nil {
			return fmt.Errorf("Linux under Tamavisor: %w", err)
		}
		table.AddLinux(n, h)
	}
	table.QEMU = qemuVersion(binary)
	table.Icount = strings.Join(icount, " ")
	if err := table.Write(os.Stdout); err != nil {
		return err
	}
	b, err := table.MarshalIndent()
	if err != nil {
		return err
	}
	if jsonOut != "" {
		if err := os.WriteFile(jsonOut, b, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "benchqemu: %s written\n", jsonOut)
	}
	return nil
}

// profile is a board's QEMU profile with the counter at counterHz and
// icount on.
func profile(name string) (qemu.Profile, error) {
	p, err := qemu.ProfileFor(name)
	if err != nil {
		return p, err
	}
	m := append([]string{}, p.Machine...)
	for i := 0; i+1 < len(m); i++ {
		if m[i] == "-cpu" {
			m[i+1] += fmt.Sprintf(",cntfrq=%d", counterHz)
		}
	}
	p.Machine = append(m, icount...)
	return p, nil
}

// withArgs replaces the values of options in a profile's command line.
func withArgs(p qemu.Profile, values map[string]string) qemu.Profile {
	m := append([]string{}, p.Machine...)
	for i := 0; i+1 < len(m); i++ {
		if v, ok := values[m[i]]; ok {
			m[i+1] = v
		}
	}
	p.Machine = m
	return p
}

func bench(binary string, p qemu.Profile, o qemu.Options, done *regexp.Regexp) (benchtable.Run, error) {
	o.Expect = []*regexp.Regexp{done}
	r, err := qemu.Run(context.Background(), binary, p, o)
	if err != nil {
		return benchtable.Run{}, withTail(err, r)
	}
	return benchtable.Parse(r.Output)
}

func linuxInit(binary string, p qemu.Profile, o qemu.Options) (float64, error) {
	o.Expect = []*regexp.Regexp{regexp.MustCompile(`Run /init as init process`)}
	r, err := qemu.Run(context.Background(), binary, p, o)
	if err != nil {
		return 0, withTail(err, r)
	}
	s, ok := benchtable.LinuxInit(r.Output)
	if !ok {
		return 0, fmt.Errorf("no time stamp on the Run /init line")
	}
	return s, nil
}

func withTail(err error, r *qemu.Result) error {
	if r == nil || len(r.Output) == 0 {
		return err
	}
	tail := r.Output[max(0, len(r.Output)-10):]
	return fmt.Errorf("%w; the console's last lines:\n%s", err, strings.Join(tail, "\n"))
}

func qemuVersion(binary string) string {
	out, err := exec.Command(binary, "--version").Output()
	if err != nil {
		return ""
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(first)
}
