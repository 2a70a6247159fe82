package image

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"

	"github.com/tamavisor/tamavisor/internal/minisign"
)

// TrustSymbol is the firmware's trust slot (internal/minisign): the public
// key it checks the partition table's signature with.
const TrustSymbol = "github.com/tamavisor/tamavisor/firmware/hv.trustedKey"

// Trust returns a copy of hypervisorELF (the firmware as make firmware
// builds it, with its symbol table) whose trust slot holds pk: such a
// firmware boots a partition table only if pk's signature over it
// verifies. The key becomes part of the hypervisor's own bytes, which the
// board's secure boot, where it has one, verifies in turn.
func Trust(hypervisorELF []byte, pk minisign.PublicKey) ([]byte, error) {
	f, err := elf.NewFile(bytes.NewReader(hypervisorELF))
	if err != nil {
		return nil, fmt.Errorf("hypervisor ELF: %w", err)
	}
	syms, err := f.Symbols()
	if err != nil {
		return nil, fmt.Errorf("hypervisor ELF: no symbol table to find the trust slot in (%v); pass the hypervisor make firmware builds", err)
	}
	var addr uint64
	for _, s := range syms {
		if s.Name == TrustSymbol {
			if s.Size != minisign.TrustSlotSize {
				return nil, fmt.Errorf("hypervisor ELF: %s is %d bytes, not %d", TrustSymbol, s.Size, minisign.TrustSlotSize)
			}
			addr = s.Value
		}
	}
	if addr == 0 {
		return nil, fmt.Errorf("hypervisor ELF: no %s; this hypervisor cannot hold a trusted key", TrustSymbol)
	}
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || addr < p.Vaddr || addr+minisign.TrustSlotSize > p.Vaddr+p.Filesz {
			continue
		}
		out := bytes.Clone(hypervisorELF)
		slot := out[p.Off+addr-p.Vaddr:][:minisign.TrustSlotSize]
		if _, _, err := minisign.ParseTrustSlot((*[minisign.TrustSlotSize]byte)(slot)); err != nil {
			return nil, fmt.Errorf("hypervisor ELF: %w", err)
		}
		key := minisign.EncodeTrustSlot(pk)
		copy(slot, key[:])
		return out, nil
	}
	return nil, fmt.Errorf("hypervisor ELF: %s at %#x lies in no loaded segment's file bytes", TrustSymbol, addr)
}

// ErrNoTrustSlot is TrustedKey's error for a hypervisor that cannot trust
// a key: it boots any table, as hypervisors before signed images did.
var ErrNoTrustSlot = errors.New("no trust slot: the hypervisor does not check signatures")

// TrustedKey returns the key an image's or hypervisor's firmware trusts:
// the trust slot in its writable segments. ok is false when it trusts none.
func TrustedKey(elfBytes []byte) (pk minisign.PublicKey, ok bool, err error) {
	exe, err := readExecutable(elfBytes)
	if err != nil {
		return pk, false, err
	}
	found := false
	for _, s := range exe.loads {
		if s.Flags&elf.PF_W == 0 {
			continue // the magic is in rodata too, as a constant
		}
		for off := 0; ; {
			j := bytes.Index(s.data[off:], []byte(minisign.TrustSlotMagic))
			if j < 0 || off+j+minisign.TrustSlotSize > len(s.data) {
				break
			}
			at := off + j
			off = at + 1
			if found {
				return pk, false, fmt.Errorf("two trust slots in the image")
			}
			found = true
			pk, ok, err = minisign.ParseTrustSlot((*[minisign.TrustSlotSize]byte)(s.data[at : at+minisign.TrustSlotSize]))
			if err != nil {
				return pk, false, err
			}
		}
	}
	if !found {
		return pk, false, ErrNoTrustSlot
	}
	return pk, ok, nil
}
