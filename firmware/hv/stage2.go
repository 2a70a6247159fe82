package hv

import (
	"fmt"

	"github.com/tamavisor/tamavisor/mmu"
	"github.com/tamavisor/tamavisor/partition/table"
)

// IPABits is the size of every partition's guest-physical address space.
// 39 bits start the stage-2 walk at level 1 with a single root table; a
// stage-2 walk may start at level 0 only on CPUs with 44 or more physical
// address bits (the Cortex-A53 has 40), and a 40-bit IPA space at level 1
// needs two concatenated root tables, which the builder does not make yet.
// Guest addresses at or above 512 GiB therefore fail to map, with a message.
const IPABits = 39

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
