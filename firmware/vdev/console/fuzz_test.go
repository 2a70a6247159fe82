package console

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzInput types arbitrary keys and compares the result with the hot key's
// definition: in every run of k Ctrl-A, k/3 switches and k%3 presses that
// go on to the guest with the key after the run (or wait, at the end).
func FuzzInput(f *testing.F) {
	f.Add([]byte("ls\n"))
	f.Add([]byte(hotKey + "x" + ctrlA + "y"))
	f.Add([]byte(ctrlA + ctrlA + ctrlA + ctrlA + ctrlA + "z" + hotKey + hotKey))
	f.Fuzz(func(t *testing.T, typed []byte) {
		out := &lineRecorder{}
		r, err := New(&State{}, demo, out)
		require.NoError(t, err)
		// Bytes each focus position received.
		got := make([][]byte, len(demo)+1)
		for _, b := range typed {
			target, deliver := r.Input(b)
			position := len(demo)
			for i, p := range demo {
				if p.Index == target {
					position = i
				}
			}
			got[position] = append(got[position], deliver...)
		}

		want := make([][]byte, len(demo)+1)
		position, run := 0, 0
		for _, b := range typed {
			if b == HotKey {
				run++
				if run == HotKeyPresses {
					position, run = (position+1)%(len(demo)+1), 0
				}
				continue
			}
			want[position] = append(want[position], bytes.Repeat([]byte{HotKey}, run)...)
			want[position] = append(want[position], b)
			run = 0
		}
		for i := range want {
			assert.Equal(t, string(want[i]), string(got[i]), "focus position %d", i)
		}
		assert.Equal(t, r.target(position), r.Focus())
	})
}
