// Package qemu boots Tamavisor images under qemu-system-aarch64 with each
// board's machine profile, for `make qemu`, `tamavisor run` and the
// integration tests, which wait for console lines in order.
package qemu

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Binary is the emulator every profile uses.
const Binary = "qemu-system-aarch64"

// InstallHint says how to get the emulator on Debian and Ubuntu.
const InstallHint = "install Debian's qemu-system-arm package: apt-get install qemu-system-arm"

// Profile is how one board is emulated.
type Profile struct {
	Board string
	// Machine is the emulator's command line without image, console and
	// monitor options.
	Machine []string
	// ConsoleSerial is the index of the board's console among the
	// machine's serial ports, which -serial options attach in order:
	// the ports before it go to null.
	ConsoleSerial int
	// Arm64Image says the machine enters an ELF given with -kernel at an
	// exception level the hypervisor cannot run at: Options.Image must be
	// an arm64 Image (tamavisor build -image), which QEMU enters at EL2.
	Arm64Image bool
	// DeviceTree, if set, returns the device tree QEMU passes with
	// -dtb (for machines that generate none).
	DeviceTree func() ([]byte, error)
}

var profiles = map[string]Profile{
	"qemu-virt": {
		Board: "qemu-virt",
		// The machine board/qemuvirt describes: EL2 available
		// (virtualization=on, so PSCI goes over SMC), GICv3, an
		// SMMUv3 with stage 2 (the one the hypervisor programs; QEMU's
		// default is stage 1 only), four Cortex-A53 cores and 2 GiB of
		// RAM. Behind the SMMU, two PCI devices that DMA for a
		// partition given the host bridge (pcie) and their stream IDs:
		// QEMU's edu at 00:02.0 (stream ID 0x10), its DMA addresses
		// 40 bits wide (its default mask keeps 28), and a virtio
		// entropy source at 00:03.0 (0x18) that uses the DMA API
		// (iommu_platform), as a device behind an IOMMU must.
		Machine: []string{
			"-M", "virt,virtualization=on,gic-version=3,iommu=smmuv3", "-global", "arm-smmuv3.stage=2",
			"-cpu", "cortex-a53", "-smp", "4", "-m", "2G",
			"-device", "edu,addr=2,dma_mask=0xffffffffff",
			"-device", "virtio-rng-pci,addr=3,disable-legacy=on,iommu_platform=on",
		},
	},
	// The NXP i.MX 8M Plus EVK that board/imx8mpevk describes: four
	// Cortex-A53 cores, GICv3, no SMMU, RAM from 0x40000000 (-m 6G is
	// the EVK's two 3 GiB banks, which QEMU maps as one range). QEMU
	// enters an ELF at EL3 here, but an arm64 Image at EL2 with PSCI
	// over SMC, as U-Boot's booti does after TF-A on the board. The
	// console is UART2, the machine's second serial port.
	"imx8mp-evk": {
		Board:         "imx8mp-evk",
		Machine:       []string{"-M", "imx8mp-evk", "-smp", "4", "-m", "6G"},
		ConsoleSerial: 1,
		Arm64Image:    true,
		DeviceTree:    imx8mpDeviceTree,
	},
	// The same machine without EL2: QEMU enters an ELF at EL1, where a
	// guest runs natively (its baseline, and its own boot checked
	// without the hypervisor).
	"qemu-virt-el1": {
		Board: "qemu-virt",
		Machine: []string{
			"-M", "virt,gic-version=3",
			"-cpu", "cortex-a53", "-smp", "4", "-m", "2G",
		},
	},
}

// ProfileFor returns the machine profile of a board.
func ProfileFor(board string) (Profile, error) {
	p, ok := profiles[board]
	if !ok {
		return Profile{}, fmt.Errorf("no QEMU machine profile for board %q", board)
	}
	return p, nil
}

// Options control one run.
type Options struct {
	// Image is the file QEMU loads with -kernel: the ELF, or for a
	// profile with Arm64Image the arm64 Image.
	Image string
	// Interactive connects the terminal: the console and QEMU's monitor
	// share standard input and output, Ctrl-A X quits. Expectations and
	// timeout still apply.
	Interactive bool
	// Expect lists patterns that must match console lines, in this
	// order; the run ends successfully once the last one matched (and
	// every ExpectAny pattern did).
	Expect []*regexp.Regexp
	// ExpectAny lists patterns that must each match some console line,
	// in any order: for events of independent partitions.
	ExpectAny []*regexp.Regexp
	// Replies are typed into the console (non-interactive runs): each
	// once expectation After (an index into Expect) has matched.
	Replies []Reply
	// Timeout ends the run with an error; 0 means no limit.
	Timeout time.Duration
	// Console, if set, receives the console output as it arrives.
	Console io.Writer
	// ExtraArgs are appended to the emulator's command line.
	ExtraArgs []string
	// LoadArgs, if set, load Image in place of -kernel: for a test's own
	// loader stage, which QEMU starts instead of the image.
	LoadArgs []string
	// DTB is the device tree file passed with -dtb; Run writes the
	// profile's DeviceTree there when it is empty.
	DTB string
}

// Reply is text typed into the console once an expectation matched.
type Reply struct {
	After int
	Text  string
}

// Result is what a run produced.
type Result struct {
	// Output is every console line, in order.
	Output []string
	// At is when each line of Output arrived, since the emulator started.
	At []time.Duration
	// Matches holds, for each expectation, the submatches of the line
	// that met it.
	Matches [][]string
}

// Transcript returns the console output with each line's arrival time,
// for a failed run's log: where the time went is often the diagnosis.
func (r *Result) Transcript() string {
	var b strings.Builder
	for i, line := range r.Output {
		if i < len(r.At) {
			fmt.Fprintf(&b, "%7.2fs ", r.At[i].Seconds())
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// LookPath finds the emulator, with an install hint when it is missing.
func LookPath() (string, error) {
	path, err := exec.LookPath(Binary)
	if err != nil {
		return "", fmt.Errorf("%s not found: %s", Binary, InstallHint)
	}
	return path, nil
}

// Command returns the emulator's arguments for a run.
func (p Profile) Command(o Options) []string {
	args := append([]string{}, p.Machine...)
	console := "stdio"
	if o.Interactive {
		args = append(args, "-nographic")
		console = "mon:stdio" // Ctrl-A X quits, as with -nographic's own
	} else {
		args = append(args, "-display", "none", "-monitor", "none")
	}
	if o.Interactive && p.ConsoleSerial == 0 {
		// -nographic's default: the first serial port and the monitor
		// on standard input and output.
	} else {
		for range p.ConsoleSerial {
			args = append(args, "-serial", "null")
		}
		args = append(args, "-serial", console)
	}
	if o.LoadArgs != nil {
		args = append(args, o.LoadArgs...)
	} else {
		args = append(args, "-kernel", o.Image)
	}
	if o.DTB != "" {
		args = append(args, "-dtb", o.DTB)
	}
	return append(args, o.ExtraArgs...)
}

// ErrTimeout is returned (wrapped) when the expectations were not all met
// in time.
var ErrTimeout = errors.New("timed out")

// Run boots o.Image with profile p using the emulator at binary. It returns
// when every expectation has matched (stopping the emulator), when the
// emulator exits, or at the timeout.
func Run(ctx context.Context, binary string, p Profile, o Options) (*Result, error) {
	if _, err := os.Stat(o.Image); err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	if o.DTB == "" && p.DeviceTree != nil {
		dtb, err := p.DeviceTree()
		if err != nil {
			return nil, fmt.Errorf("the %s device tree: %w", p.Board, err)
		}
		dir, err := os.MkdirTemp("", "tamavisor-qemu-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		o.DTB = filepath.Join(dir, p.Board+".dtb")
		if err := os.WriteFile(o.DTB, dtb, 0o644); err != nil {
			return nil, err
		}
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	cmd := exec.Command(binary, p.Command(o)...)
	// Its own process group, so stopping it stops anything it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: !o.Interactive}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	var stdin io.WriteCloser
	if o.Interactive {
		cmd.Stdin = os.Stdin
	} else if len(o.Replies) > 0 {
		if stdin, err = cmd.StdinPipe(); err != nil {
			return nil, err
		}
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", binary, err)
	}

	res := &Result{}
	started := time.Now()
	var mu sync.Mutex
	allMet := make(chan struct{})
	readDone := make(chan struct{})
	anyMet := make([]bool, len(o.ExpectAny))
	anyLeft := len(o.ExpectAny)
	go func() {
		defer close(readDone)
		next := 0
		waiting := len(o.Expect) > 0 || anyLeft > 0
		r := bufio.NewReader(stdout)
		for {
			line, err := r.ReadString('\n')
			if len(line) > 0 {
				if o.Console != nil {
					io.WriteString(o.Console, line)
				}
				text := strings.TrimRight(line, "\r\n")
				mu.Lock()
				res.Output = append(res.Output, text)
				res.At = append(res.At, time.Since(started))
				if next < len(o.Expect) {
					if m := o.Expect[next].FindStringSubmatch(text); m != nil {
						res.Matches = append(res.Matches, m)
						for _, r := range o.Replies {
							if r.After == next && stdin != nil {
								io.WriteString(stdin, r.Text)
							}
						}
						next++
					}
				}
				for i, re := range o.ExpectAny {
					if !anyMet[i] && re.MatchString(text) {
						anyMet[i] = true
						anyLeft--
					}
				}
				if waiting && next == len(o.Expect) && anyLeft == 0 {
					waiting = false
					close(allMet)
				}
				mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()

	exited := make(chan error, 1)
	go func() {
		<-readDone
		exited <- cmd.Wait()
	}()

	stop := func() {
		if o.Interactive {
			cmd.Process.Kill()
		} else {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
		<-exited
	}
	var runErr error
	select {
	case <-allMet:
		stop()
	case err := <-exited:
		mu.Lock()
		waitingFor := pendingAll(o, len(res.Matches), anyMet)
		mu.Unlock()
		if waitingFor != "" {
			runErr = fmt.Errorf("%s exited (%v) before %s; stderr: %s", binary, err, waitingFor, strings.TrimSpace(stderr.String()))
		} else if err != nil && len(o.Expect)+len(o.ExpectAny) == 0 {
			runErr = fmt.Errorf("%s: %v; stderr: %s", binary, err, strings.TrimSpace(stderr.String()))
		}
	case <-ctx.Done():
		stop()
		mu.Lock()
		waitingFor := pendingAll(o, len(res.Matches), anyMet)
		mu.Unlock()
		if waitingFor != "" || ctx.Err() != context.DeadlineExceeded {
			runErr = fmt.Errorf("%w after %v waiting for %s", ErrTimeout, o.Timeout, waitingFor)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	out := &Result{Output: append([]string(nil), res.Output...), At: append([]time.Duration(nil), res.At...),
		Matches: append([][]string(nil), res.Matches...)}
	return out, runErr
}

// pendingAll describes what the run still waits for, "" for nothing.
func pendingAll(o Options, met int, anyMet []bool) string {
	if met < len(o.Expect) {
		return pending(o.Expect, met)
	}
	for i, ok := range anyMet {
		if !ok {
			return fmt.Sprintf("a console line matching /%s/ (in any order)", o.ExpectAny[i])
		}
	}
	return ""
}

func pending(expect []*regexp.Regexp, met int) string {
	if met >= len(expect) {
		return "nothing"
	}
	return fmt.Sprintf("console line %d of %d matching /%s/", met+1, len(expect), expect[met])
}

// Version is an emulator's release.
type Version struct {
	Major, Minor, Micro int
	// Text is the first line of --version.
	Text string
}

// MinVersion is the oldest QEMU the project runs on: QEMU 9.1 and later
// check alignment on Device memory as real cores do, emulate the SMMUv3's
// stage 2 and the i.MX 8M Plus EVK.
var MinVersion = Version{Major: 9, Minor: 1}

// AtLeast reports whether v is m or newer.
func (v Version) AtLeast(m Version) bool {
	if v.Major != m.Major {
		return v.Major > m.Major
	}
	if v.Minor != m.Minor {
		return v.Minor > m.Minor
	}
	return v.Micro >= m.Micro
}

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Micro) }

var versionLine = regexp.MustCompile(`^QEMU emulator version (\d+)\.(\d+)(?:\.(\d+))?`)

// ParseVersion reads the output of qemu-system-aarch64 --version.
func ParseVersion(out string) (Version, error) {
	first, _, _ := strings.Cut(out, "\n")
	m := versionLine.FindStringSubmatch(first)
	if m == nil {
		return Version{}, fmt.Errorf("%s --version printed %q, not a QEMU version", Binary, first)
	}
	v := Version{Text: strings.TrimSpace(first)}
	fmt.Sscan(m[1], &v.Major)
	fmt.Sscan(m[2], &v.Minor)
	if m[3] != "" {
		fmt.Sscan(m[3], &v.Micro)
	}
	return v, nil
}

// VersionOf runs the emulator at binary for its version.
func VersionOf(binary string) (Version, error) {
	out, err := exec.Command(binary, "--version").Output()
	if err != nil {
		return Version{}, fmt.Errorf("%s --version: %w", binary, err)
	}
	return ParseVersion(string(out))
}
