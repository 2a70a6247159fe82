package linux

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"strings"
	"testing"
)

// testImage builds an arm64 Image header as booting.rst lays it out,
// followed by some body bytes.
func testImage(textOffset, imageSize, flags uint64, magic string) []byte {
	image := make([]byte, 64, 64+16)
	copy(image[0:], "MZ")                                // code0: the EFI stub's PE signature
	binary.LittleEndian.PutUint64(image[8:], textOffset) // text_offset
	binary.LittleEndian.PutUint64(image[16:], imageSize) // image_size
	binary.LittleEndian.PutUint64(image[24:], flags)     // flags
	copy(image[56:], magic)                              // magic
	return append(image, "kernel text....."...)
}

func TestParseImageHeader(t *testing.T) {
	tests := []struct {
		name     string
		image    []byte
		want     ImageHeader
		pageSize uint64
		wantErr  string
	}{
		{"4K pages", testImage(0, 0x1ab0000, 0b0010, "ARM\x64"), ImageHeader{0, 0x1ab0000, 0b0010}, 4 << 10, ""},
		{"16K pages", testImage(0, 0x2000000, 0b0100, "ARM\x64"), ImageHeader{0, 0x2000000, 0b0100}, 16 << 10, ""},
		{"64K pages, anywhere in RAM", testImage(0, 0x2000000, 0b1110, "ARM\x64"), ImageHeader{0, 0x2000000, 0b1110}, 64 << 10, ""},
		{"before 3.17", testImage(0x80000, 0, 0, "ARM\x64"), ImageHeader{0x80000, 0, 0}, 0, ""},
		{"big-endian", testImage(0, 0x1000000, 0b0011, "ARM\x64"), ImageHeader{}, 0, "the Image is a big-endian kernel"},
		{"no magic", testImage(0, 0x1000000, 0b0010, "ARM\x00"), ImageHeader{}, 0, `no arm64 Image magic "ARM\x64" at offset 56 (found "ARM\x00")`},
		{"32-bit zImage", append(make([]byte, 0x24), 0x18, 0x28, 0x6f, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), ImageHeader{}, 0, "no arm64 Image magic"},
		{"short", []byte("ARM\x64"), ImageHeader{}, 0, "4 bytes is too short for an arm64 Image header (64 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseImageHeader(tt.image)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want one starting %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || got.PageSize() != tt.pageSize {
				t.Errorf("got %+v (page size %d), want %+v (page size %d)", got, got.PageSize(), tt.want, tt.pageSize)
			}
		})
	}
}

func TestImageFromVmlinuz(t *testing.T) {
	image := testImage(0, 0x1ab0000, 0b0010, "ARM\x64")
	notImage := bytes.Repeat([]byte{0xaa}, 128)
	zboot := make([]byte, 128)
	copy(zboot, "MZ\x00\x00zimg")
	copy(zboot[24:], "zstd")
	truncated := gzipBytes(t, image)
	truncated = truncated[:len(truncated)-10]

	tests := []struct {
		name    string
		vmlinuz []byte
		want    []byte
		wantErr string
	}{
		{"plain Image, as signed packages ship it", image, image, ""},
		{"gzip-compressed Image", gzipBytes(t, image), image, ""},
		{"gzip of something else", gzipBytes(t, notImage), nil, "no arm64 Image magic"},
		{"damaged gzip", truncated, nil, "gzip: unexpected EOF"},
		{"EFI zboot", zboot, nil, "it is an EFI zboot image (zstd-compressed payload), which needs an EFI loader; pin a kernel package"},
		{"not a kernel", notImage, nil, "no arm64 Image magic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, header, err := ImageFromVmlinuz(tt.vmlinuz)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want one starting %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("got %d bytes, want the %d-byte Image", len(got), len(tt.want))
			}
			if header.ImageSize != 0x1ab0000 {
				t.Errorf("image_size %#x, want 0x1ab0000", header.ImageSize)
			}
		})
	}
}

func gzipBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
