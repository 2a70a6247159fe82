// Command guestkit builds the infotainment Linux guest kit for `make
// guests`: it fetches the pinned Debian packages, extracts the kernel
// Image and builds the busybox initramfs.
//
//	guestkit fetch -pins guests/versions.mk -apt build/apt PIN=FILE...
//	guestkit kernel -pins guests/versions.mk [-pin LINUX_KERNEL] -o build/guests/Image KERNEL.deb
//	guestkit initramfs -pins guests/versions.mk -o build/guests/initramfs.cpio.gz [-kernel KERNEL.deb [-kernel-pin LINUX_KERNEL]] BUSYBOX.deb
//
// Every step checks each .deb against its pinned SHA-256 before using it,
// and writes its output only once it is complete.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tamavisor/tamavisor/guests/linux"
)

const usage = `usage:
  guestkit fetch -pins FILE -apt DIR PIN=DEB...   fetch pinned arm64 packages with a private apt
  guestkit kernel -pins FILE [-pin NAME] -o IMAGE DEB
                                                  extract the kernel Image from the package of
                                                  pin NAME (default LINUX_KERNEL)
  guestkit initramfs -pins FILE -o CPIO.GZ [-kernel KERNEL.deb [-kernel-pin NAME]] DEB
                                                  build the initramfs from the BUSYBOX package,
                                                  with the kernel package's watchdog modules`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	commands := map[string]func([]string) error{
		"fetch":     fetch,
		"kernel":    kernel,
		"initramfs": initramfs,
	}
	run, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "guestkit: unknown command %q\n%s\n", os.Args[1], usage)
		os.Exit(2)
	}
	if err := run(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "guestkit %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

// fetch downloads each PIN=DEB that is not already there with the pinned
// hash.
func fetch(args []string) error {
	fs := flag.NewFlagSet("fetch", flag.ExitOnError)
	pinsFile := fs.String("pins", "guests/versions.mk", "the pins file")
	aptDir := fs.String("apt", "build/apt", "directory of the private apt configuration, lists and cache")
	fs.Parse(args)
	if fs.NArg() == 0 {
		return errors.New("name at least one PIN=DEB to fetch")
	}
	pins, err := linux.LoadPins(*pinsFile)
	if err != nil {
		return err
	}
	type target struct {
		pin  linux.Pin
		dest string
	}
	var missing []target
	for _, arg := range fs.Args() {
		name, dest, ok := strings.Cut(arg, "=")
		if !ok || dest == "" {
			return fmt.Errorf("%q: want PIN=DEB, e.g. %s=build/apt/debs/linux-kernel.deb", arg, linux.KernelPin)
		}
		pin, err := pins.Pin(name)
		if err != nil {
			return err
		}
		if _, err := os.Stat(dest); err == nil && pin.Verify(dest) == nil {
			fmt.Printf("guests: %s: %s (%s) is already there\n", dest, pin, linux.Architecture)
			// Newer than the pins file, so make sees it as up to date.
			now := time.Now()
			if err := os.Chtimes(dest, now, now); err != nil {
				return err
			}
			continue
		}
		missing = append(missing, target{pin, dest})
	}
	if len(missing) == 0 {
		return nil
	}
	apt := &linux.Apt{Dir: *aptDir, Stdout: os.Stdout, Stderr: os.Stderr}
	if err := apt.Prepare(); err != nil {
		return err
	}
	fmt.Printf("guests: updating the %s package lists of the machine's apt sources (private configuration %s)\n",
		linux.Architecture, apt.ConfigPath())
	if err := apt.Update(); err != nil {
		return err
	}
	for _, t := range missing {
		fmt.Printf("guests: fetching %s (%s), pinned by %s, into %s\n", t.pin, linux.Architecture, t.pin.PackagePos, t.dest)
		if err := apt.Download(t.pin, t.dest); err != nil {
			return err
		}
		info, err := os.Stat(t.dest)
		if err != nil {
			return err
		}
		fmt.Printf("guests: %s: %s, SHA-256 %s as pinned\n", t.dest, mib(info.Size()), t.pin.SHA256)
	}
	return nil
}

// kernel writes the arm64 Image of the pinned kernel package.
func kernel(args []string) error {
	pinName, args := takeFlag(args, "-pin", linux.KernelPin)
	pin, deb, out, err := stepArgs("kernel", pinName, args)
	if err != nil {
		return err
	}
	vmlinuz, err := linux.ReadPackageFile(deb, "boot/vmlinuz-*")
	if err != nil {
		return err
	}
	image, header, err := linux.ImageFromVmlinuz(vmlinuz.Data)
	if err != nil {
		return fmt.Errorf("%s: /%s: %w", deb, vmlinuz.Path, err)
	}
	if err := writeFileAtomic(out, image); err != nil {
		return err
	}
	fmt.Printf("guests: %s: arm64 Linux Image from /%s of %s (%s; text_offset %#x, image_size %s, %d KiB pages)\n",
		out, vmlinuz.Path, pin, mib(int64(len(image))), header.TextOffset, mib(int64(header.ImageSize)), header.PageSize()>>10)
	return nil
}

// initramfs writes the initramfs around the pinned busybox, with the
// watchdog modules of the pinned kernel package (-kernel KERNEL.deb).
func initramfs(args []string) error {
	kernelDeb, args := takeFlag(args, "-kernel", "")
	kernelPin, args := takeFlag(args, "-kernel-pin", linux.KernelPin)
	pin, deb, out, err := stepArgs("initramfs", linux.BusyboxPin, args)
	if err != nil {
		return err
	}
	busybox, err := linux.ReadPackageFile(deb, "bin/busybox")
	if err != nil {
		return err
	}
	var modules []linux.Module
	if kernelDeb != "" {
		pins, err := linux.LoadPins(pinsPath(args))
		if err != nil {
			return err
		}
		kpin, err := pins.Pin(kernelPin)
		if err != nil {
			return err
		}
		if err := kpin.Verify(kernelDeb); err != nil {
			return err
		}
		config, err := linux.ReadPackageFile(kernelDeb, "boot/config-*")
		if err != nil {
			return err
		}
		paths, err := linux.ModulesToCarry(config.Data, linux.Modules)
		if err != nil {
			return fmt.Errorf("%s: /%s: %w", kernelDeb, config.Path, err)
		}
		for _, path := range paths {
			m, err := linux.ReadPackageFile(kernelDeb, "lib/modules/*/kernel/"+path)
			if err != nil {
				return err
			}
			modules = append(modules, linux.Module{Name: filepath.Base(path), Data: m.Data})
		}
	}
	var archive bytes.Buffer
	if err := linux.WriteInitramfs(&archive, busybox.Data, modules); err != nil {
		return fmt.Errorf("%s: /%s: %w", deb, busybox.Path, err)
	}
	if err := writeFileAtomic(out, archive.Bytes()); err != nil {
		return err
	}
	fmt.Printf("guests: %s: /init, busybox of %s and links for %s (%s)\n",
		out, pin, strings.Join(linux.Applets, " "), mib(int64(archive.Len())))
	return nil
}

// takeFlag removes "name value" from args and returns the value, or def
// when args has no such flag.
func takeFlag(args []string, name, def string) (string, []string) {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == name {
			return args[i+1], append(args[:i:i], args[i+2:]...)
		}
	}
	return def, args
}

// pinsPath returns the -pins argument of args, or the default.
func pinsPath(args []string) string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "-pins" {
			return args[i+1]
		}
	}
	return "guests/versions.mk"
}

// stepArgs parses "-pins FILE -o OUT DEB" and checks DEB against the pin.
func stepArgs(command, pinName string, args []string) (linux.Pin, string, string, error) {
	fs := flag.NewFlagSet(command, flag.ExitOnError)
	pinsFile := fs.String("pins", "guests/versions.mk", "the pins file")
	out := fs.String("o", "", "the file to write")
	fs.Parse(args)
	if fs.NArg() != 1 || *out == "" {
		return linux.Pin{}, "", "", fmt.Errorf("want -o FILE and one .deb of the %s pin", pinName)
	}
	deb := fs.Arg(0)
	pins, err := linux.LoadPins(*pinsFile)
	if err != nil {
		return linux.Pin{}, "", "", err
	}
	pin, err := pins.Pin(pinName)
	if err != nil {
		return linux.Pin{}, "", "", err
	}
	if err := pin.Verify(deb); err != nil {
		return linux.Pin{}, "", "", err
	}
	return pin, deb, *out, nil
}

// writeFileAtomic writes data to path through a temporary file in the
// same directory, so that an interrupted build never leaves a partial file
// that make would take as up to date.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func mib(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
