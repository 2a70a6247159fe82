package console

import (
	"reflect"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/partition/table"
)

// lineRecorder is the hypervisor console.
type lineRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *lineRecorder) WriteLine(prefix, line []byte) {
	r.mu.Lock()
	r.lines = append(r.lines, string(prefix)+string(line))
	r.mu.Unlock()
}

// demo is the demo system's partitions with a virtual console; "ecu" is
// table index 2 because the partition at index 1 has a UART of its own.
var demo = []Partition{{Name: "infotainment", Index: 0}, {Name: "ecu", Index: 2}}

const (
	ctrlA       = "\x01"
	hotKey      = ctrlA + ctrlA + ctrlA
	toECU       = "tamavisor: console input now goes to [ecu] (Ctrl-A three times switches)"
	toHV        = "tamavisor: console input now goes to the hypervisor (Ctrl-A three times switches)"
	toInfo      = "tamavisor: console input now goes to [infotainment] (Ctrl-A three times switches)"
	infotain    = 0
	ecu         = 2
	unannounced = ""
)

// delivery is what one typed byte produced.
type delivery struct {
	target  int
	deliver string // bytes for target
	line    string // the console line printed, or unannounced
}

// TestInputStateMachine types each case's keys into a fresh router and
// states what every byte yields.
func TestInputStateMachine(t *testing.T) {
	for _, tc := range []struct {
		name       string
		partitions []Partition
		typed      string
		want       []delivery
		focus      int // afterwards
	}{
		{"keys go to the first partition", demo, "ls\n",
			[]delivery{{infotain, "l", unannounced}, {infotain, "s", unannounced}, {infotain, "\n", unannounced}}, infotain},
		{"hot key moves to the next partition", demo, hotKey + "x",
			[]delivery{{infotain, "", unannounced}, {infotain, "", unannounced}, {ecu, "", toECU}, {ecu, "x", unannounced}}, ecu},
		{"after the last partition, the hypervisor", demo, hotKey + hotKey + "q",
			[]delivery{{infotain, "", unannounced}, {infotain, "", unannounced}, {ecu, "", toECU},
				{ecu, "", unannounced}, {ecu, "", unannounced}, {Hypervisor, "", toHV}, {Hypervisor, "q", unannounced}}, Hypervisor},
		{"after the hypervisor, the first partition again", demo, hotKey + hotKey + hotKey,
			[]delivery{{infotain, "", unannounced}, {infotain, "", unannounced}, {ecu, "", toECU},
				{ecu, "", unannounced}, {ecu, "", unannounced}, {Hypervisor, "", toHV},
				{Hypervisor, "", unannounced}, {Hypervisor, "", unannounced}, {infotain, "", toInfo}}, infotain},
		{"one Ctrl-A reaches the guest with the next key", demo, ctrlA + "e",
			[]delivery{{infotain, "", unannounced}, {infotain, ctrlA + "e", unannounced}}, infotain},
		{"two Ctrl-A reach the guest with the next key", demo, ctrlA + ctrlA + "\r",
			[]delivery{{infotain, "", unannounced}, {infotain, "", unannounced}, {infotain, ctrlA + ctrlA + "\r", unannounced}}, infotain},
		{"a fourth Ctrl-A starts a new count", demo, hotKey + ctrlA + "y",
			[]delivery{{infotain, "", unannounced}, {infotain, "", unannounced}, {ecu, "", toECU},
				{ecu, "", unannounced}, {ecu, ctrlA + "y", unannounced}}, ecu},
		{"other control keys pass", demo, "\x03\x02\x1b",
			[]delivery{{infotain, "\x03", unannounced}, {infotain, "\x02", unannounced}, {infotain, "\x1b", unannounced}}, infotain},
		{"without partitions the hypervisor keeps the input", nil, "a" + hotKey,
			[]delivery{{Hypervisor, "a", unannounced}, {Hypervisor, "", unannounced}, {Hypervisor, "", unannounced}, {Hypervisor, "", toHV}}, Hypervisor},
	} {
		out := &lineRecorder{}
		r, err := New(&State{}, tc.partitions, out)
		require.NoError(t, err, tc.name)
		var got []delivery
		for i := 0; i < len(tc.typed); i++ {
			printed := len(out.lines)
			target, deliver := r.Input(tc.typed[i])
			d := delivery{target: target, deliver: string(deliver)}
			if len(out.lines) > printed {
				require.Len(t, out.lines, printed+1, "%s: byte %d printed more than one line", tc.name, i)
				d.line = out.lines[printed]
			}
			got = append(got, d)
		}
		assert.Equal(t, tc.want, got, tc.name)
		assert.Equal(t, tc.focus, r.Focus(), "%s: focus", tc.name)
	}
}

// Every core has its own Router over the one State: a switch typed on one
// core holds on every other.
func TestRoutersOfTwoCoresShareTheFocus(t *testing.T) {
	var state State
	out := &lineRecorder{}
	core0, err := New(&state, demo, out)
	require.NoError(t, err)
	core1, err := New(&state, demo, out)
	require.NoError(t, err)

	core0.Input(HotKey)
	core0.Input(HotKey)
	target, deliver := core1.Input(HotKey)
	assert.Equal(t, ecu, target, "the presses of two cores count together")
	assert.Empty(t, deliver)
	assert.Equal(t, ecu, core0.Focus())
	target, deliver = core0.Input('k')
	assert.Equal(t, ecu, target)
	assert.Equal(t, []byte("k"), deliver)
	assert.Equal(t, []string{toECU}, out.lines)
}

// Cores typing at once lose no hot-key press: 3*n presses spread over
// cores move the focus n steps.
func TestConcurrentHotKeys(t *testing.T) {
	const perCore = 3 * 100
	var state State
	out := &lineRecorder{}
	var wg sync.WaitGroup
	delivered := make([]int, 2)
	for core := range 2 {
		r, err := New(&state, demo, out)
		require.NoError(t, err)
		wg.Go(func() {
			for range perCore {
				_, deliver := r.Input(HotKey)
				delivered[core] += len(deliver)
			}
		})
	}
	wg.Wait()
	// 600 presses are 200 switches: 200 % 3 positions = 2, the hypervisor.
	assert.Len(t, out.lines, 2*perCore/HotKeyPresses)
	assert.Equal(t, []int{0, 0}, delivered, "a hot-key press reached a partition")
	r, err := New(&state, demo, out)
	require.NoError(t, err)
	assert.Equal(t, Hypervisor, r.Focus())
}

func TestBanner(t *testing.T) {
	for _, tc := range []struct {
		name       string
		partitions []Partition
		typed      string
		want       string
	}{
		{"at boot", demo, "",
			"tamavisor: console input goes to [infotainment]; press Ctrl-A three times to switch (infotainment -> ecu -> hypervisor -> infotainment)"},
		{"after a switch", demo, hotKey,
			"tamavisor: console input goes to [ecu]; press Ctrl-A three times to switch (infotainment -> ecu -> hypervisor -> infotainment)"},
		{"one partition", demo[:1], "",
			"tamavisor: console input goes to [infotainment]; press Ctrl-A three times to switch (infotainment -> hypervisor -> infotainment)"},
		{"no partition", nil, "",
			"tamavisor: console input goes to the hypervisor; no partition has a virtual console"},
	} {
		r, err := New(&State{}, tc.partitions, &lineRecorder{})
		require.NoError(t, err, tc.name)
		for i := 0; i < len(tc.typed); i++ {
			r.Input(tc.typed[i])
		}
		assert.Equal(t, tc.want, r.Banner(), tc.name)
	}
}

func TestNewRefusesWhatItCannotRoute(t *testing.T) {
	tooMany := make([]Partition, table.MaxPartitions+1)
	for i := range tooMany {
		tooMany[i] = Partition{Name: "p", Index: i}
	}
	for _, tc := range []struct {
		name       string
		state      *State
		partitions []Partition
		want       string
	}{
		{"no state", nil, demo, "console: a router needs the shared state and the hypervisor console"},
		{"too many", &State{}, tooMany, "console: 65 partitions with a virtual console; the router takes at most 64"},
		{"no name", &State{}, []Partition{{Name: "", Index: 3}}, "console: partition 0 (table index 3) has no name to print"},
		{"negative index", &State{}, []Partition{{Name: "ecu", Index: -1}}, `console: partition "ecu" has table index -1; indices start at 0`},
		{"same index twice", &State{}, []Partition{{Name: "a", Index: 1}, {Name: "b", Index: 1}}, `console: partition "b" has table index 1, as an earlier one does`},
	} {
		_, err := New(tc.state, tc.partitions, &lineRecorder{})
		assert.EqualError(t, err, tc.want, tc.name)
	}
	_, err := New(&State{}, tooMany[:table.MaxPartitions], &lineRecorder{})
	assert.NoError(t, err, "the most partitions a table holds")
}

// A state word no Router wrote (shared memory overwritten) gives the
// focus to the hypervisor and delivers at most the bytes it should.
func TestCorruptedStateIsContained(t *testing.T) {
	for _, word := range []uint32{0xffff_ffff, 0x0003_0007, 0x0000_0002 | 3<<pressesShift} {
		var state State
		state.word.Store(word)
		r, err := New(&state, demo, &lineRecorder{})
		require.NoError(t, err)
		target, deliver := r.Input('z')
		assert.Equal(t, Hypervisor, target, "word %#x", word)
		assert.Equal(t, []byte(ctrlA+ctrlA+"z"), deliver, "word %#x: at most two held-back presses", word)
	}
}

func TestInputDoesNotAllocate(t *testing.T) {
	r, err := New(&State{}, demo, &countingSink{})
	require.NoError(t, err)
	keys := []byte("a" + hotKey + "b" + ctrlA + "c")
	allocs := testing.AllocsPerRun(100, func() {
		for _, k := range keys {
			r.Input(k)
		}
		r.Focus()
	})
	assert.Zero(t, allocs)
}

type countingSink struct{ lines int }

func (c *countingSink) WriteLine(prefix, line []byte) { c.lines++ }

// pointerField returns the path of the first part of t that holds a Go
// pointer, or "" when t holds none.
func pointerField(t reflect.Type, path string) string {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return ""
	case reflect.Array:
		return pointerField(t.Elem(), path+"[]")
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if p := pointerField(f.Type, path+"."+f.Name); p != "" {
				return p
			}
		}
		return ""
	}
	return path + " (" + t.Kind().String() + ")"
}

// The shared State must hold no pointer the garbage collector would need.
func TestStateHoldsNoPointers(t *testing.T) {
	assert.Empty(t, pointerField(reflect.TypeFor[State](), "State"))
	assert.Equal(t, "T.A[].P (ptr)", pointerField(reflect.TypeFor[struct{ A [1]struct{ P *int } }](), "T"), "the check misses pointers")
}
