package linux

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
)

// The arm64 Linux Image header (the kernel's
// Documentation/arch/arm64/booting.rst, "Call the kernel image"): 64 bytes,
// little-endian.
const (
	imageHeaderSize   = 64
	imageTextOffsetAt = 8
	imageSizeAt       = 16
	imageFlagsAt      = 24
	imageMagicAt      = 56
	imageMagic        = "ARM\x64"

	// Flags: bit 0 is the kernel's endianness (1 = big-endian); bits
	// 1-2 its page size (1 = 4K, 2 = 16K, 3 = 64K, 0 = unspecified).
	imageFlagBigEndian = 1 << 0
	imagePageSizeShift = 1
	imagePageSizeMask  = 0b11
)

// EFI zboot images (drivers/firmware/efi/libstub/zboot-header.S): a PE
// file whose "MZ" header is followed by "zimg" and the compression type
// of the payload as a NUL-padded string at offset 24.
const (
	zbootMagicAt       = 4
	zbootMagic         = "zimg"
	zbootCompressionAt = 24
	zbootCompressionN  = 32
)

// gzipMagic starts a gzip member (RFC 1952, 2.3.1).
var gzipMagic = []byte{0x1f, 0x8b}

// maxImageSize bounds decompression: no arm64 kernel comes near it, and a
// corrupt or hostile vmlinuz must not fill the disk.
const maxImageSize = 256 << 20

// ImageHeader is what the arm64 boot protocol tells a loader about an
// Image.
type ImageHeader struct {
	// TextOffset is where in a 2 MiB-aligned region the Image is loaded.
	TextOffset uint64
	// ImageSize is the memory the kernel needs from its load address,
	// BSS included; 0 for kernels older than 3.17.
	ImageSize uint64
	Flags     uint64
}

// PageSize returns the kernel's page size in bytes, 0 when unspecified.
func (h ImageHeader) PageSize() uint64 {
	switch (h.Flags >> imagePageSizeShift) & imagePageSizeMask {
	case 1:
		return 4 << 10
	case 2:
		return 16 << 10
	case 3:
		return 64 << 10
	}
	return 0
}

// ParseImageHeader checks that image is a little-endian arm64 Linux Image
// and returns its header.
func ParseImageHeader(image []byte) (ImageHeader, error) {
	if len(image) < imageHeaderSize {
		return ImageHeader{}, fmt.Errorf("%d bytes is too short for an arm64 Image header (%d bytes)", len(image), imageHeaderSize)
	}
	if magic := image[imageMagicAt : imageMagicAt+len(imageMagic)]; string(magic) != imageMagic {
		return ImageHeader{}, fmt.Errorf("no arm64 Image magic \"ARM\\x64\" at offset %d (found %q)", imageMagicAt, magic)
	}
	h := ImageHeader{
		TextOffset: binary.LittleEndian.Uint64(image[imageTextOffsetAt:]),
		ImageSize:  binary.LittleEndian.Uint64(image[imageSizeAt:]),
		Flags:      binary.LittleEndian.Uint64(image[imageFlagsAt:]),
	}
	if h.Flags&imageFlagBigEndian != 0 {
		return ImageHeader{}, fmt.Errorf("the Image is a big-endian kernel; Tamavisor guests run little-endian")
	}
	return h, nil
}

// ImageFromVmlinuz turns the vmlinuz a Debian kernel package ships into an
// arm64 Image: gzip-compressed ones are decompressed, plain Images (what
// the signed packages ship) are taken as they are. EFI zboot images, which
// only an EFI loader can unpack, are refused with the reason.
func ImageFromVmlinuz(vmlinuz []byte) ([]byte, ImageHeader, error) {
	image := vmlinuz
	switch {
	case bytes.HasPrefix(vmlinuz, gzipMagic):
		zr, err := gzip.NewReader(bytes.NewReader(vmlinuz))
		if err != nil {
			return nil, ImageHeader{}, fmt.Errorf("gzip: %w", err)
		}
		image, err = io.ReadAll(io.LimitReader(zr, maxImageSize+1))
		if err != nil {
			return nil, ImageHeader{}, fmt.Errorf("gzip: %w", err)
		}
		if len(image) > maxImageSize {
			return nil, ImageHeader{}, fmt.Errorf("decompresses to more than %d MiB; that is no kernel", maxImageSize>>20)
		}
	case len(vmlinuz) >= zbootCompressionAt+zbootCompressionN &&
		string(vmlinuz[zbootMagicAt:zbootMagicAt+len(zbootMagic)]) == zbootMagic:
		compression := string(bytes.TrimRight(vmlinuz[zbootCompressionAt:zbootCompressionAt+zbootCompressionN], "\x00"))
		return nil, ImageHeader{}, fmt.Errorf("it is an EFI zboot image (%s-compressed payload), which needs an EFI loader; "+
			"pin a kernel package that ships a plain or gzip-compressed Image, or point the config's kernel image at your own arch/arm64/boot/Image",
			compression)
	}
	h, err := ParseImageHeader(image)
	if err != nil {
		return nil, ImageHeader{}, err
	}
	return image, h, nil
}
