//go:build tamago && arm64

package el1

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tamavisor/tamavisor/aarch64"
	"github.com/tamavisor/tamavisor/driver/mmio"
	"github.com/tamavisor/tamavisor/internal/fdt"
	"github.com/tamavisor/tamavisor/mmu"
)

// tryState is what the hook Try installs records: plain numbers, which an
// exception handler may store without the Go runtime.
var tryState struct {
	faulted bool
	fault   Fault
}

func recordFault(f *Frame) Action {
	if !resumable(aarch64.ESR(f.ESR).Class()) {
		return Report
	}
	if !tryState.faulted {
		tryState.faulted = true
		tryState.fault = Fault{ESR: f.ESR, FAR: f.FAR, ELR: f.ELR}
	}
	return Skip
}

// Try runs access with a hook that records the first synchronous exception
// it takes (an abort, an undefined instruction, a BRK) and resumes after
// the instruction that took it, so access runs to its end. It returns that
// exception, if any. Instruction aborts are not resumable and are reported
// as usual. Try restores the hook that was installed before.
func Try(access func()) (fault Fault, faulted bool) {
	tryState.faulted = false
	previous := SetSyncHook(recordFault)
	access()
	SetSyncHook(previous)
	return tryState.fault, tryState.faulted
}

// ErrNoDeviceTree says the program was entered with x0 = 0, as QEMU starts
// a bare ELF.
var ErrNoDeviceTree = errors.New("no device tree: x0 was 0 at entry")

// DeviceTree returns a copy of the device tree at x0. Pages of it the
// guest's map does not cover yet are mapped read-only first; nothing at
// that address is an error, not a crash.
func DeviceTree() ([]byte, error) {
	addr := bootArgument
	if addr == 0 {
		return nil, ErrNoDeviceTree
	}
	if addr%8 != 0 {
		return nil, fmt.Errorf("x0 %#x is no device tree address: a device tree is 8-byte aligned (Devicetree Specification v0.4, 5.1)", addr)
	}
	if err := mapReadOnly("device tree", addr, fdt.HeaderSize); err != nil {
		return nil, fmt.Errorf("device tree at x0 %#x: %w", addr, err)
	}
	header := make([]byte, fdt.HeaderSize)
	if err := readGuarded(header, addr); err != nil {
		return nil, fmt.Errorf("device tree at x0 %#x: %w", addr, err)
	}
	size, err := DeviceTreeSize(header)
	if err != nil {
		return nil, fmt.Errorf("x0 %#x: %w", addr, err)
	}
	if err := mapReadOnly("device tree", addr, size); err != nil {
		return nil, fmt.Errorf("device tree at x0 %#x: %w", addr, err)
	}
	blob := make([]byte, alignUp(size, 4))
	if err := readGuarded(blob, addr); err != nil {
		return nil, fmt.Errorf("device tree at x0 %#x: %w", addr, err)
	}
	return blob[:size], nil
}

// mapReadOnly maps the pages of [addr, addr+size) that are not mapped yet
// as read-only normal memory.
func mapReadOnly(name string, addr, size uint64) error {
	base, end := Pages(addr, size)
	for page := base; page < end; {
		if Mapped(page) {
			page += mmu.PageSize
			continue
		}
		run := page
		for run < end && !Mapped(run) {
			run += mmu.PageSize
		}
		if err := Map(mmu.Region{Name: name, VA: page, PA: page, Size: run - page, Attr: mmu.ROData}); err != nil {
			return err
		}
		page = run
	}
	return nil
}

// readGuarded copies len(dst) bytes (a multiple of 4) from addr, one
// 32-bit load at a time, stopping at the first fault.
func readGuarded(dst []byte, addr uint64) error {
	fault, faulted := Try(func() {
		for i := 0; i+4 <= len(dst) && !tryState.faulted; i += 4 {
			binary.LittleEndian.PutUint32(dst[i:], mmio.Read32(addr+uint64(i)))
		}
	})
	if faulted {
		return fault
	}
	return nil
}
