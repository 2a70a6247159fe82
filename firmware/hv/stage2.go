package hv

import (
	"fmt"

	"github.com/tamavisor/tamavisor/mmu"
	"github.com/tamavisor/tamavisor/partition/table"
)

// IPABits is the size of every partition's guest-physical address space
// (table.GuestIPABits says why 39 bits); the config check and the table
// check refuse guest addresses beyond it.
const IPABits = table.GuestIPABits

// Stage2Layout returns partition p's stage-2 map, built from the checked
// table: its RAM (normal memory, the guest decides what executes), its
// devices' registers (device-nGnRE, never executable) and its channels
// (normal memory, read-only where the table says, never executable), each
// at the guest address the config gave it. Nothing else translates, so any
// other access, including to the emulated console, traps to the
// hypervisor.
func Stage2Layout(v table.View, p int) []mmu.Region {
	part := v.Partition(p)
	var regions []mmu.Region
	for i := part.Regions.First; i < part.Regions.End(); i++ {
		r := v.Region(int(i))
		region := mmu.Region{VA: r.IPA, PA: r.PhysBase, Size: r.Size}
		switch r.Kind {
		case table.RegionRAM:
			region.Name = "RAM"
			region.Attr = mmu.Attributes{Type: mmu.Normal, Perm: mmu.Read | mmu.Write | mmu.Execute}
		case table.RegionMMIO:
			region.Name = fmt.Sprintf("device %s", v.Device(int(r.Owner)).Name)
			region.Attr = mmu.Attributes{Type: mmu.DeviceNGnRE, Perm: mmu.Read | mmu.Write}
		case table.RegionChannel:
			region.Name = fmt.Sprintf("channel %s", v.Channel(int(r.Owner)).Name)
			region.Attr = mmu.Attributes{Type: mmu.Normal, Perm: mmu.Read}
			if r.Perm&table.PermWrite != 0 {
				region.Attr.Perm |= mmu.Write
			}
		default:
			continue
		}
		regions = append(regions, region)
	}
	return regions
}

// GuestRAM translates a guest-physical range of partition p to the
// physical address behind it, if one RAM region holds all of it.
func GuestRAM(v table.View, p int, ipa, size uint64) (uint64, bool) {
	part := v.Partition(p)
	for i := part.Regions.First; i < part.Regions.End(); i++ {
		r := v.Region(int(i))
		if r.Kind == table.RegionRAM && ipa >= r.IPA && size <= r.Size && ipa-r.IPA <= r.Size-size {
			return r.PhysBase + (ipa - r.IPA), true
		}
	}
	return 0, false
}
