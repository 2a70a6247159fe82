package control

import (
	"strings"
	"testing"
)

const canaryBase = 0x7020_0000

func TestCanary(t *testing.T) {
	tests := []struct {
		name string
		// corrupt lists word indexes to change after Init, in order.
		corrupt []int
		// checked is how many words are checked after the changes.
		checked int
		want    CanaryState
		line    string
	}{
		{name: "untouched, checked twice over", checked: 2 * CanaryWords, want: CanaryState{}, line: "ok"},
		{name: "first word", corrupt: []int{0}, checked: 1, want: CanaryState{Broken: true, At: canaryBase}, line: "BROKEN at 0x70200000"},
		{name: "last word, not checked yet", corrupt: []int{CanaryWords - 1}, checked: CanaryWords - 1, want: CanaryState{}, line: "ok"},
		{name: "last word", corrupt: []int{CanaryWords - 1}, checked: CanaryWords, want: CanaryState{Broken: true, At: canaryBase + 8*(CanaryWords-1)}, line: "BROKEN at 0x7020fff8"},
		{name: "the first change found is kept", corrupt: []int{4000, 100}, checked: CanaryWords, want: CanaryState{Broken: true, At: canaryBase + 800}, line: "BROKEN at 0x70200320"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			words := make([]uint64, CanaryWords)
			var c Canary
			c.Init(words, canaryBase)
			for _, i := range tt.corrupt {
				words[i] ^= 1 << 17
			}
			for n := tt.checked; n > 0; n -= CanaryWordsPerPeriod {
				c.CheckNext(min(n, CanaryWordsPerPeriod))
			}
			if c.State() != tt.want {
				t.Errorf("state %+v, want %+v", c.State(), tt.want)
			}
			if got := string(c.State().Append(nil)); got != tt.line {
				t.Errorf("line %q, want %q", got, tt.line)
			}
		})
	}
}

// TestCanaryCatchesAMovedBlock: the pattern depends on the address, so a
// copy of the canary's own words to another place in it shows.
func TestCanaryCatchesAMovedBlock(t *testing.T) {
	words := make([]uint64, CanaryWords)
	var c Canary
	c.Init(words, canaryBase)
	copy(words[512:520], words[0:8])
	c.CheckNext(CanaryWords)
	if want := (CanaryState{Broken: true, At: canaryBase + 8*512}); c.State() != want {
		t.Errorf("state %+v, want %+v", c.State(), want)
	}
}

func TestOutbox(t *testing.T) {
	var o Outbox
	o.Write([]byte("abc"))
	big := make([]byte, len(o.buf)-3)
	o.Write(big)
	o.Write([]byte("x")) // full: dropped whole
	if o.Dropped() != 1 {
		t.Errorf("dropped %d, want 1", o.Dropped())
	}
	var got []byte
	for b, ok := o.Pop(); ok; b, ok = o.Pop() {
		got = append(got, b)
	}
	if want := append([]byte("abc"), big...); string(got) != string(want) {
		t.Errorf("popped %d bytes %q..., want %d", len(got), got[:3], len(want))
	}
	o.Write([]byte("wrapped"))
	got = got[:0]
	for b, ok := o.Pop(); ok; b, ok = o.Pop() {
		got = append(got, b)
	}
	if string(got) != "wrapped" {
		t.Errorf("after wrapping popped %q, want %q", got, "wrapped")
	}
}

// console collects what the ECU writes.
type console struct{ out []byte }

func (c *console) Put(b byte) { c.out = append(c.out, b) }

// TestRunPeriod runs the ECU for three seconds on time and checks the
// console: three heartbeats, each written out over the following periods.
func TestRunPeriod(t *testing.T) {
	var e ECU
	out := &console{}
	e.Init(qemuFrequency, start, make([]uint64, CanaryWords), canaryBase, out)
	for i := 0; i < 3*HeartbeatPeriods+100; i++ {
		e.RunPeriod(e.Deadline())
	}
	want := "ecu: heartbeat 1 loops=1000 worst-jitter=0us canary=ok\n" +
		"ecu: heartbeat 2 loops=2000 worst-jitter=0us canary=ok\n" +
		"ecu: heartbeat 3 loops=3000 worst-jitter=0us canary=ok\n"
	if string(out.out) != want {
		t.Errorf("console:\n%s\nwant:\n%s", out.out, want)
	}
}

func TestRunPeriodReportsABrokenCanary(t *testing.T) {
	var e ECU
	out := &console{}
	words := make([]uint64, CanaryWords)
	e.Init(qemuFrequency, start, words, canaryBase, out)
	words[1234] = 0
	for i := 0; i < HeartbeatPeriods+100; i++ {
		e.RunPeriod(e.Deadline())
	}
	if want := "canary=BROKEN at 0x70202690\n"; !strings.HasSuffix(string(out.out), want) {
		t.Errorf("console %q, want it to end with %q", out.out, want)
	}
}

// TestRunPeriodAllocatesNothing: the loop body, heartbeat included, must
// never make the Go runtime allocate (and so never collect garbage).
func TestRunPeriodAllocatesNothing(t *testing.T) {
	var e ECU
	out := &console{out: make([]byte, 0, 1<<20)}
	e.Init(qemuFrequency, start, make([]uint64, CanaryWords), canaryBase, out)
	allocs := testing.AllocsPerRun(5, func() {
		// One heartbeat interval, and its line's output.
		for i := 0; i < HeartbeatPeriods; i++ {
			e.RunPeriod(e.Deadline())
		}
	})
	if allocs != 0 {
		t.Errorf("RunPeriod: %v allocations per heartbeat interval, want 0", allocs)
	}
	if !strings.Contains(string(out.out), "ecu: heartbeat 5 ") {
		t.Errorf("console %q shows no fifth heartbeat: the body did not run", out.out)
	}
}
