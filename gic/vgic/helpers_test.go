package vgic

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/firmware/vdev"
)

// The partition most tests use: two vCPUs on a board with 256 SPIs
// (INTIDs 32-287), owning the SPIs of a UART (33) and a virtio transport
// (48) and a channel doorbell (100), with the EL1 virtual (27) and
// physical (30) timer PPIs.
var testConfig = Config{
	VCPUs:     2,
	BoardSPIs: 256,
	SPIs:      []uint32{33, 48, 100},
	PPIs:      []uint32{27, 30},
}

// Visibility of testConfig in register words, as a guest reads the
// enable bits after writing all ones.
const (
	ownedWord1   = 1<<(33-32) | 1<<(48-32) // INTIDs 32-63
	ownedWord3   = 1 << (100 - 96)         // INTIDs 96-127
	privateWord0 = 0xffff | 1<<27 | 1<<30  // SGIs, virtual and physical timer
)

// hookCall is one call of a Hooks method. Fields a method does not have
// stay zero.
type hookCall struct {
	method string
	vcpu   int
	intid  uint32
	value  uint64 // enabled, pending, active, edge as 0/1; priority; groups as bits
}

func (c hookCall) String() string {
	return fmt.Sprintf("%s(vcpu %d, INTID %d, %#x)", c.method, c.vcpu, c.intid, c.value)
}

func enableCall(vcpu int, intid uint32, enabled bool) hookCall {
	return hookCall{"EnableChanged", vcpu, intid, flag(enabled)}
}
func pendingCall(vcpu int, intid uint32, pending bool) hookCall {
	return hookCall{"PendingChanged", vcpu, intid, flag(pending)}
}
func activeCall(vcpu int, intid uint32, active bool) hookCall {
	return hookCall{"ActiveChanged", vcpu, intid, flag(active)}
}
func priorityCall(vcpu int, intid uint32, priority uint8) hookCall {
	return hookCall{"PriorityChanged", vcpu, intid, uint64(priority)}
}
func triggerCall(intid uint32, edge bool) hookCall {
	return hookCall{"TriggerChanged", 0, intid, flag(edge)}
}
func routeCall(intid uint32, vcpu int) hookCall {
	return hookCall{"RouteChanged", vcpu, intid, 0}
}
func distributorEnableCall(group0, group1 bool) hookCall {
	return hookCall{"DistributorEnableChanged", 0, 0, flag(group0) | flag(group1)<<1}
}

func flag(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// recorder is the firmware's side in tests: it records every hook call.
// It is safe for several cores.
type recorder struct {
	mu    sync.Mutex
	calls []hookCall
}

func (r *recorder) add(c hookCall) {
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
}

func (r *recorder) EnableChanged(vcpu int, intid uint32, enabled bool) {
	r.add(enableCall(vcpu, intid, enabled))
}
func (r *recorder) PendingChanged(vcpu int, intid uint32, pending bool) {
	r.add(pendingCall(vcpu, intid, pending))
}
func (r *recorder) ActiveChanged(vcpu int, intid uint32, active bool) {
	r.add(activeCall(vcpu, intid, active))
}
func (r *recorder) PriorityChanged(vcpu int, intid uint32, priority uint8) {
	r.add(priorityCall(vcpu, intid, priority))
}
func (r *recorder) TriggerChanged(intid uint32, edge bool) { r.add(triggerCall(intid, edge)) }
func (r *recorder) RouteChanged(intid uint32, vcpu int)    { r.add(routeCall(intid, vcpu)) }
func (r *recorder) DistributorEnableChanged(group0, group1 bool) {
	r.add(distributorEnableCall(group0, group1))
}

func (r *recorder) take() []hookCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	calls := r.calls
	r.calls = nil
	return calls
}

// counter is firmware that allocates nothing, for allocation tests.
type counter struct{ calls int }

func (c *counter) EnableChanged(int, uint32, bool)     { c.calls++ }
func (c *counter) PendingChanged(int, uint32, bool)    { c.calls++ }
func (c *counter) ActiveChanged(int, uint32, bool)     { c.calls++ }
func (c *counter) PriorityChanged(int, uint32, uint8)  { c.calls++ }
func (c *counter) TriggerChanged(uint32, bool)         { c.calls++ }
func (c *counter) RouteChanged(uint32, int)            { c.calls++ }
func (c *counter) DistributorEnableChanged(bool, bool) { c.calls++ }

// newTestGIC returns a reset State for testConfig, one view of it, and
// the view's hook recorder.
func newTestGIC(t testing.TB) (*VGIC, *State, *recorder) {
	t.Helper()
	s := new(State)
	require.NoError(t, s.Reset(0))
	r := &recorder{}
	g, err := New(s, testConfig, r)
	require.NoError(t, err)
	return g, s, r
}

// frame names the device an access goes to.
type frame int

const (
	gicd frame = iota // the distributor
	gicr              // the redistributor frames, vCPU 0 first
)

func (f frame) String() string { return [...]string{"GICD", "GICR"}[f] }

// rd and sgi return the offset in the redistributor frames of RD_base
// and SGI_base register offset of vCPU vcpu.
func rd(vcpu int, offset uint64) uint64 { return uint64(vcpu)*RedistributorFrameSize + offset }
func sgi(vcpu int, offset uint64) uint64 {
	return uint64(vcpu)*RedistributorFrameSize + sgiBase + offset
}

// access is one guest load or store; for a load, value is what the guest
// must read.
type access struct {
	frame  frame
	offset uint64
	size   int
	write  bool
	value  uint64
}

func (a access) String() string {
	op := "load"
	if a.write {
		op = "store"
	}
	return fmt.Sprintf("%d-byte %s %s+%#x (%#x)", a.size, op, a.frame, a.offset, a.value)
}

func load(f frame, offset uint64, size int, want uint64) access {
	return access{frame: f, offset: offset, size: size, value: want}
}

func store(f frame, offset uint64, size int, value uint64) access {
	return access{frame: f, offset: offset, size: size, write: true, value: value}
}

func device(g *VGIC, f frame) vdev.Device {
	if f == gicd {
		return g.Distributor()
	}
	return g.Redistributors()
}

// perform runs a on g and checks that it is accepted and, for a load,
// that it reads the expected value.
func perform(t *testing.T, g *VGIC, a access, context string) {
	t.Helper()
	v, ok := device(g, a.frame).Access(vdev.Access{Offset: a.offset, Size: a.size, Write: a.write, Value: a.value})
	require.True(t, ok, "%s: %v refused", context, a)
	if !a.write {
		require.Equal(t, a.value, v, "%s: %v read %#x", context, a, v)
	}
}
