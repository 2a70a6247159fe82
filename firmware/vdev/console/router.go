// Package console shares the one physical console between the hypervisor
// and the partitions that have a virtual console. It decides who receives
// the bytes typed on the hypervisor's UART, the holder of the input
// focus, and moves the focus when the operator presses Ctrl-A three times
// in a row, as on Xen. Output needs no routing: each partition's virtual
// UART writes whole lines with its own prefix (package vpl011).
//
// The focus is a pointer-free State in the memory the hypervisor instances
// share, so whichever core reads the physical UART sees the same focus;
// each core works on it through its own Router. Input allocates nothing
// and never waits for another core.
package console

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/tamavisor/tamavisor/firmware/vdev/vpl011"
	"github.com/tamavisor/tamavisor/partition/table"
)

// The hot key: HotKey typed HotKeyPresses times in a row.
const (
	HotKey        = 0x01 // Ctrl-A
	HotKeyPresses = 3
)

// Hypervisor is the target of input while no partition holds the focus.
const Hypervisor = -1

// linePrefix starts every console line the router prints.
const linePrefix = "tamavisor: "

// updateTries bounds how often Input retries when another core changed the
// focus between its read and its update; only cores typing at the same
// instant can make it retry at all.
const updateTries = 16

// State is the input focus all cores share: one word that Input replaces
// by compare-and-swap, so no core ever waits for another.
//
// Bits 15:0 hold the focus as a position in the cycle, 0 to n-1 for the
// n partitions in the Router's order and n for the hypervisor; bits 17:16
// hold the hot-key presses seen so far. The zero State gives the focus to
// the first partition (to the hypervisor when there is none), as a
// machine's only console would have it.
type State struct {
	word atomic.Uint32
}

const (
	positionMask = 0xffff
	pressesShift = 16
	pressesMask  = 0x3
)

// Partition is one partition with a virtual console.
type Partition struct {
	Name string
	// Index is the partition's index in the partition table: the target
	// Input returns for it.
	Index int
}

// Router is one core's view of the input focus. Every core builds its
// Router from the same partition table, so all agree on the order.
type Router struct {
	state      *State
	partitions []Partition
	out        vpl011.LineSink
	prefix     []byte // linePrefix
	// switched holds, for each focus position, the line printed when the
	// focus moves there.
	switched [][]byte
	// deliver holds the bytes Input returns: held-back hot-key presses
	// and the byte typed.
	deliver [HotKeyPresses]byte
}

// New returns a core's Router over state for the partitions with a
// virtual console, in the order the hot key visits them. It prints the
// focus changes through out, the hypervisor's console.
func New(state *State, partitions []Partition, out vpl011.LineSink) (*Router, error) {
	if state == nil || out == nil {
		return nil, errors.New("console: a router needs the shared state and the hypervisor console")
	}
	if len(partitions) > table.MaxPartitions {
		return nil, fmt.Errorf("console: %d partitions with a virtual console; the router takes at most %d", len(partitions), table.MaxPartitions)
	}
	seen := make(map[int]bool, len(partitions))
	for i, p := range partitions {
		switch {
		case p.Name == "":
			return nil, fmt.Errorf("console: partition %d (table index %d) has no name to print", i, p.Index)
		case p.Index < 0:
			return nil, fmt.Errorf("console: partition %q has table index %d; indices start at 0", p.Name, p.Index)
		case seen[p.Index]:
			return nil, fmt.Errorf("console: partition %q has table index %d, as an earlier one does", p.Name, p.Index)
		}
		seen[p.Index] = true
	}
	r := &Router{state: state, partitions: slices.Clone(partitions), out: out, prefix: []byte(linePrefix)}
	for position := range len(partitions) + 1 {
		r.switched = append(r.switched, []byte("console input now goes to "+r.focusName(position)+" (Ctrl-A three times switches)"))
	}
	return r, nil
}

// Input takes one byte typed on the physical console. It returns the
// focus after the byte and the bytes to give it: the byte itself, after
// any Ctrl-A presses held back because they might have started the hot
// key. deliver is empty while the byte may be part of the hot key and
// when it completed it; it is valid until the next call. Completing the
// hot key moves the focus to the next partition, or from the last one to
// the hypervisor and from there to the first, and prints where input now
// goes.
//
// Input drops the byte (returning Hypervisor and nothing to deliver) only
// if other cores change the focus updateTries times while it tries.
func (r *Router) Input(b byte) (target int, deliver []byte) {
	for range updateTries {
		old := r.state.word.Load()
		position, presses := r.decode(old)
		next, n, completed := position, 0, false
		if b == HotKey {
			presses++
			if presses == HotKeyPresses {
				next, presses, completed = (position+1)%(len(r.partitions)+1), 0, true
			}
		} else {
			for range presses {
				r.deliver[n] = HotKey
				n++
			}
			r.deliver[n] = b
			n++
			presses = 0
		}
		if !r.state.word.CompareAndSwap(old, uint32(next)|uint32(presses)<<pressesShift) {
			continue
		}
		if completed {
			r.out.WriteLine(r.prefix, r.switched[next])
		}
		return r.target(next), r.deliver[:n]
	}
	return Hypervisor, nil
}

// Focus returns the table index of the partition that receives input, or
// Hypervisor.
func (r *Router) Focus() int {
	position, _ := r.decode(r.state.word.Load())
	return r.target(position)
}

// Banner returns the boot console line that says who receives input and
// how to switch.
func (r *Router) Banner() string {
	position, _ := r.decode(r.state.word.Load())
	if len(r.partitions) == 0 {
		return linePrefix + "console input goes to the hypervisor; no partition has a virtual console"
	}
	cycle := make([]string, 0, len(r.partitions)+1)
	for _, p := range r.partitions {
		cycle = append(cycle, p.Name)
	}
	cycle = append(cycle, "hypervisor")
	return linePrefix + "console input goes to " + r.focusName(position) +
		"; press Ctrl-A three times to switch (" + strings.Join(cycle, " -> ") + " -> " + cycle[0] + ")"
}

// decode splits the state word. A position beyond the cycle, which only
// overwritten shared memory can hold, gives the focus to the hypervisor,
// where stray input does no harm.
func (r *Router) decode(word uint32) (position, presses int) {
	position = int(word & positionMask)
	presses = min(int(word>>pressesShift&pressesMask), HotKeyPresses-1)
	return min(position, len(r.partitions)), presses
}

func (r *Router) target(position int) int {
	if position == len(r.partitions) {
		return Hypervisor
	}
	return r.partitions[position].Index
}

func (r *Router) focusName(position int) string {
	if position == len(r.partitions) {
		return "the hypervisor"
	}
	return "[" + r.partitions[position].Name + "]"
}
