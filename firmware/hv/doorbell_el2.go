//go:build tamago && arm64

package hv

import (
	"github.com/tamavisor/tamavisor/firmware/vdev/doorbell"
	"github.com/tamavisor/tamavisor/gic"
	"github.com/tamavisor/tamavisor/gic/lr"
)

// doorbells is the guest-physical window of the partitions' doorbell
// frames.
var doorbells = thisBoard.Doorbells

// Channel doorbells are virtual: a member rings a channel by writing its
// doorbell's ring line (package doorbell), and the hypervisor raises the
// doorbell line of every other member, whose virtual GIC takes the
// channel's SPI on the vCPU it routes it to. No physical interrupt is
// involved, and no member can disable or reroute another's doorbell.

// initDoorbells builds this core's views of the partition's doorbells.
// It allocates, once, before the guest runs.
func (vc *vcpu) initDoorbells() {
	vc.nDoorbells = 0
	for c := 0; c < vc.view.NumChannels(); c++ {
		k, ok := DoorbellIndex(vc.view, vc.partition, c)
		if !ok || k >= maxDoorbells {
			continue
		}
		state := &shared().Partition[vc.partition].Doorbells[k]
		channel := c
		vc.doorbells[k] = vdoorbell{dev: doorbell.New(state, func() { vc.ring(channel) }), state: state,
			spi: vc.view.Channel(c).Doorbell, channel: c}
		vc.nDoorbells = k + 1
	}
}

// resetDoorbells puts the partition's doorbells in their reset state.
func (vc *vcpu) resetDoorbells() {
	for k := 0; k < vc.nDoorbells; k++ {
		vc.doorbells[k].state.Reset()
	}
}

// ring rings channel for every other member: their doorbell lines rise
// and their cores are kicked, so that the vCPU each member's virtual GIC
// routes the doorbell to injects it on its next exit. It allocates
// nothing and waits for nothing.
func (vc *vcpu) ring(channel int) {
	members := vc.view.Channel(channel).Members
	for m := 0; m < vc.view.NumPartitions(); m++ {
		if m == vc.partition || members&(1<<m) == 0 {
			continue
		}
		k, ok := DoorbellIndex(vc.view, m, channel)
		if !ok || k >= maxDoorbells {
			continue
		}
		shared().Partition[m].Doorbells[k].Ring()
		mask := vc.view.Partition(m).CPUMask
		for core := 0; core < numCPUs; core++ {
			if mask&(1<<core) != 0 {
				gic.SendSGI(doorbellSGI, mpidrOf(core))
			}
		}
	}
}

// doorbellInterrupts injects each doorbell whose interrupt is asserted,
// on the vCPU the partition's virtual GIC routes it to, while it stays
// asserted (a level interrupt, like the virtual console's).
func (vc *vcpu) doorbellInterrupts() {
	for k := 0; k < vc.nDoorbells; k++ {
		d := &vc.doorbells[k]
		if !d.state.Asserted() || vc.vgic.TargetVCPU(d.spi) != vc.index {
			continue
		}
		if prio, ok := vc.vgic.Deliverable(vc.index, d.spi); ok {
			vc.cpuif.Inject(lr.VirtualIRQ{VINTID: d.spi, Priority: prio})
		}
	}
}

// isDoorbell reports whether intid is one of the partition's doorbells,
// which exist only virtually.
func (vc *vcpu) isDoorbell(intid uint32) bool {
	for k := 0; k < vc.nDoorbells; k++ {
		if vc.doorbells[k].spi == intid {
			return true
		}
	}
	return false
}
