package image

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board/qemuvirt"
)

// addGoldenSeeds seeds f with the images in testdata.
func addGoldenSeeds(f *testing.F) {
	for _, name := range []string{"hypervisor.elf", "demo.elf"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(f, err)
		f.Add(b)
	}
}

// FuzzOpen: Open, VerifyImages and CheckBoard never panic, and an Image
// Open accepts holds a decoded table and exactly the payload its header
// announces.
func FuzzOpen(f *testing.F) {
	addGoldenSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := Open(data)
		if err != nil {
			if img != nil {
				assert.Zero(t, img.Table.Len(), "a partial Image carries no table")
			}
			return
		}
		require.NotZero(t, img.Table.Len())
		assert.Equal(t, img.Table.PayloadSize(), uint64(len(img.Payload)))
		assert.Len(t, img.VerifyImages(), img.Table.NumImages())
		_ = img.CheckBoard(qemuvirt.Board)
	})
}

// FuzzCompose composes the demo table with arbitrary hypervisor files:
// Compose never panics, and whatever it composes opens again with the
// hypervisor's entry and segments, the table and the payload.
func FuzzCompose(f *testing.F) {
	addGoldenSeeds(f)
	f.Fuzz(func(t *testing.T, hypervisor []byte) {
		tbl, payload := demoInputs(t)
		image, err := Compose(hypervisor, tbl, payload, qemuVirtBase)
		if err != nil {
			return
		}
		exe, err := readExecutable(hypervisor)
		require.NoError(t, err)
		img, err := Open(image)
		require.NoError(t, err)
		assert.Equal(t, exe.entry, img.Entry)
		require.Len(t, img.Segments, len(exe.loads))
		for i, s := range exe.loads {
			assert.Equal(t, s.Segment, img.Segments[i])
		}
		assert.Equal(t, tbl, img.Table.Bytes())
		assert.Equal(t, payload, img.Payload)
	})
}
