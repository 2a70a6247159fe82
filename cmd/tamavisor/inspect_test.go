package main

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/image"
	"github.com/tamavisor/tamavisor/partition/table"
)

// update rewrites the golden files of this package's tests.
var update = flag.Bool("update", false, "rewrite testdata/*.golden from the command's output")

// The image package's golden fixtures: its test hypervisor, and the demo
// image for qemu-virt composed from it (three partitions, five images, a
// channel; see image/fixtures_test.go).
var (
	fixtureHypervisor = filepath.Join("..", "..", "image", "testdata", "hypervisor.elf")
	fixtureImage      = filepath.Join("..", "..", "image", "testdata", "demo.elf")
)

// payloadSegment returns the file offset of the image's payload segment
// and the table it starts with.
func payloadSegment(t *testing.T, data []byte) (int, table.View) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(data))
	require.NoError(t, err)
	section := f.Section(image.SectionName)
	require.NotNil(t, section)
	contents, err := section.Data()
	require.NoError(t, err)
	v, err := table.Decode(contents)
	require.NoError(t, err)
	return int(section.Offset), v
}

// writeInspectFixtures writes into the current directory the images the
// golden tests inspect: the demo image, the bare hypervisor, the demo
// image with one byte of its table flipped, and with one byte of ecu's
// kernel flipped.
func writeInspectFixtures(t *testing.T, demo, hypervisor []byte) {
	t.Helper()
	segment, v := payloadSegment(t, demo)
	damagedTable := append([]byte{}, demo...)
	damagedTable[segment+table.HeaderSize] ^= 0x01 // first partition's name
	require.Equal(t, "ecu", v.Partition(int(v.Image(3).Partition)).Name.String())
	damagedPayload := append([]byte{}, demo...)
	damagedPayload[segment+int(image.PayloadOffset(uint64(v.Len()))+v.Image(3).Offset)] ^= 0x01

	for name, data := range map[string][]byte{
		"demo.elf":            demo,
		"hypervisor.elf":      hypervisor,
		"damaged-table.elf":   damagedTable,
		"damaged-payload.elf": damagedPayload,
	} {
		require.NoError(t, os.WriteFile(name, data, 0o644))
	}
}

// TestInspectGolden runs inspect on each fixture image and compares a
// transcript (command line, stdout, stderr, exit status) with
// testdata/inspect-*.golden. Regenerate with go test -update.
func TestInspectGolden(t *testing.T) {
	demo, err := os.ReadFile(fixtureImage)
	require.NoError(t, err)
	hypervisor, err := os.ReadFile(fixtureHypervisor)
	require.NoError(t, err)
	goldenDir, err := filepath.Abs("testdata")
	require.NoError(t, err)
	t.Chdir(t.TempDir())
	writeInspectFixtures(t, demo, hypervisor)

	for _, tc := range []struct {
		golden     string
		args       []string
		wantStatus int
	}{
		{"inspect-demo.golden", []string{"demo.elf"}, 0},
		{"inspect-demo-json.golden", []string{"--json", "demo.elf"}, 0},
		{"inspect-damaged-table.golden", []string{"damaged-table.elf"}, 1},
		{"inspect-damaged-payload.golden", []string{"damaged-payload.elf"}, 1},
		{"inspect-damaged-payload-json.golden", []string{"-json", "damaged-payload.elf"}, 1},
		{"inspect-hypervisor.golden", []string{"hypervisor.elf"}, 1},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := dispatch(append([]string{"inspect"}, tc.args...), &stdout, &stderr)
			assert.Equal(t, tc.wantStatus, status, "exit status; stderr:\n%s", stderr.String())
			transcript := "$ tamavisor inspect " + strings.Join(tc.args, " ") + "\n" +
				stdout.String() +
				"--- stderr\n" + stderr.String() +
				"--- exit status " + strconv.Itoa(status) + "\n"
			path := filepath.Join(goldenDir, tc.golden)
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(transcript), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, string(want), transcript, "output differs from %s; if the change is intended, run go test -update", path)
		})
	}
}

// TestInspectJSON decodes the JSON report of the demo image and of the
// damaged ones and checks the fields scripts rely on.
func TestInspectJSON(t *testing.T) {
	demo, err := os.ReadFile(fixtureImage)
	require.NoError(t, err)
	hypervisor, err := os.ReadFile(fixtureHypervisor)
	require.NoError(t, err)
	t.Chdir(t.TempDir())
	writeInspectFixtures(t, demo, hypervisor)

	type report struct {
		OK         bool     `json:"ok"`
		Errors     []string `json:"errors"`
		Hypervisor *struct {
			Entry string `json:"entry"`
		} `json:"hypervisor"`
		Table *struct {
			Board      string `json:"board"`
			Address    string `json:"address"`
			BoardCheck string `json:"boardCheck"`
		} `json:"table"`
		Partitions []struct {
			Name   string `json:"name"`
			Images []struct {
				Kind     string `json:"kind"`
				Verified bool   `json:"verified"`
			} `json:"images"`
		} `json:"partitions"`
		Channels []struct {
			Name string `json:"name"`
		} `json:"channels"`
	}
	for _, tc := range []struct {
		file       string
		wantStatus int
		// wantUnverified lists "partition/kind" of the images that fail
		// their SHA-256.
		wantUnverified []string
		wantTable      bool
		wantErrors     int
	}{
		{file: "demo.elf", wantStatus: 0, wantTable: true},
		{file: "damaged-payload.elf", wantStatus: 1, wantTable: true, wantUnverified: []string{"ecu/kernel"}, wantErrors: 1},
		{file: "damaged-table.elf", wantStatus: 1, wantErrors: 1},
		{file: "hypervisor.elf", wantStatus: 1, wantErrors: 1},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := dispatch([]string{"inspect", "--json", tc.file}, &stdout, &stderr)
			assert.Equal(t, tc.wantStatus, status)
			var r report
			require.NoError(t, json.Unmarshal(stdout.Bytes(), &r), "stdout is not JSON:\n%s", stdout.String())
			assert.Equal(t, tc.wantStatus == 0, r.OK)
			assert.Len(t, r.Errors, tc.wantErrors)
			assert.Equal(t, tc.wantErrors, strings.Count(stderr.String(), "\n"), "one stderr line per error")
			require.NotNil(t, r.Hypervisor)
			assert.Equal(t, "0x40210340", r.Hypervisor.Entry)
			if !tc.wantTable {
				assert.Nil(t, r.Table)
				assert.Empty(t, r.Partitions)
				return
			}
			require.NotNil(t, r.Table)
			assert.Equal(t, "qemu-virt", r.Table.Board)
			assert.Equal(t, "0x48000000", r.Table.Address)
			assert.Equal(t, "ok", r.Table.BoardCheck)
			var unverified []string
			images := 0
			for _, p := range r.Partitions {
				for _, m := range p.Images {
					images++
					if !m.Verified {
						unverified = append(unverified, p.Name+"/"+m.Kind)
					}
				}
			}
			assert.Equal(t, 5, images)
			assert.Equal(t, tc.wantUnverified, unverified)
			require.Len(t, r.Channels, 1)
			assert.Equal(t, "vehicle-data", r.Channels[0].Name)
		})
	}
}

func TestInspectUsage(t *testing.T) {
	demo, err := os.ReadFile(fixtureImage)
	require.NoError(t, err)
	t.Chdir(t.TempDir())
	require.NoError(t, os.WriteFile("demo.elf", demo, 0o644))
	const usage = "usage: tamavisor inspect [--json] [-key KEY.pub] IMAGE\n"

	for _, tc := range []struct {
		name       string
		args       []string
		wantStatus int
		// wantStderr is the beginning of stderr.
		wantStderr string
	}{
		{"no image", nil, 2, usage},
		{"two images", []string{"demo.elf", "demo.elf"}, 2, usage},
		{"flag after the image", []string{"demo.elf", "--json"}, 2, usage},
		{"unknown flag", []string{"--yaml", "demo.elf"}, 2, "flag provided but not defined: -yaml\n" + usage},
		{"help", []string{"-h"}, 0, usage},
		{"missing image", []string{"missing.elf"}, 1, "tamavisor inspect: open missing.elf: no such file or directory\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := dispatch(append([]string{"inspect"}, tc.args...), &stdout, &stderr)
			assert.Equal(t, tc.wantStatus, status)
			assert.Empty(t, stdout.String())
			assert.True(t, strings.HasPrefix(stderr.String(), tc.wantStderr), "stderr:\n%s\nwant it to start with:\n%s", stderr.String(), tc.wantStderr)
		})
	}
}
