// Package table owns the compiled partition table: the binary form of a
// partition config that `tamavisor build` writes into the image and the
// firmware reads at boot. The same code encodes on the host (Encode) and
// decodes in the firmware (Decode, View), and re-checks the table against
// the board it boots on (View.Check).
//
// Decode allocates nothing: a View wraps the caller's bytes and every
// accessor returns a fixed-size value read from them. Decode, the accessors
// and Check never panic on any input; only an accessor called with an index
// outside [0, count) panics, as a slice index would. Counts are bounded
// (MaxPartitions, MaxRecords) so Check's pairwise comparisons stay small.
//
// # Layout
//
// All integers are little-endian; every field sits at an offset that is a
// multiple of its size and every record is a multiple of 8 bytes. Names are
// 1 to 32 printable ASCII bytes (0x20..0x7e), padded with NUL bytes to 32.
// Reserved bytes are zero. An index field that refers to nothing holds
// NoIndex (0xffffffff).
//
// The table is the header followed by seven arrays of fixed-size records,
// in this order, with no padding between them: partitions, regions,
// devices, interrupts, stream ID ranges, channels, images. Each array's
// offset follows from the header's counts.
//
// Header, 128 bytes:
//
//	offset size field
//	0x00   8    magic "TAMAVTBL"
//	0x08   4    format version, 2 (version 2 added the watchdog)
//	0x0c   4    header size, 0x80
//	0x10   8    total length of the table in bytes, header included
//	0x18   8    payload size: bytes of guest images that image offsets index
//	0x20   4    flags; version 2 defines none, so zero
//	0x24   4    partition count (at most 64)
//	0x28   4    region count (each count at most 1024)
//	0x2c   4    device count
//	0x30   4    interrupt count
//	0x34   4    stream ID range count
//	0x38   4    channel count
//	0x3c   4    image count
//	0x40   32   board name
//	0x60   32   SHA-256 of the whole table with these 32 bytes zero
//
// Partition, 112 bytes. Partitions own consecutive runs of regions,
// devices, interrupts, stream ID ranges and images: partition 0's run
// starts at index 0, each next one where the previous ended, and together
// they cover every record.
//
//	0x00 32 name
//	0x20 8  CPU mask: bit n set = physical core n runs one of its vCPUs
//	0x28 8  entry IPA
//	0x30 8  DTB IPA (x0 at entry), 0 when the partition has no DTB image
//	0x38 4  first region      0x3c 4 region count
//	0x40 4  first device      0x44 4 device count
//	0x48 4  first interrupt   0x4c 4 interrupt count
//	0x50 4  first stream IDs  0x54 4 stream ID range count
//	0x58 4  first image       0x5c 4 image count
//	0x60 4  console device: a device of the partition when the console
//	        kind is passthrough, NoIndex otherwise
//	0x64 1  fault policy: 1 inject external abort, 2 stop, 3 restart
//	0x65 1  console kind: 1 virtual PL011, 2 passthrough UART, 3 none
//	0x66 1  kernel format: 1 arm64 Linux Image, 2 raw binary
//	0x67 1  watchdog action: 0 no watchdog, 1 restart, 2 stop
//	0x68 4  watchdog timeout in milliseconds, 0 when there is no watchdog
//	0x6c 4  reserved
//
// Region, 40 bytes: one stage-2 mapping.
//
//	0x00 8 physical base
//	0x08 8 IPA
//	0x10 8 size
//	0x18 4 partition
//	0x1c 4 owner: the device (MMIO), the channel (channel), NoIndex (RAM)
//	0x20 1 kind: 1 RAM, 2 device MMIO, 3 channel
//	0x21 1 permissions: bit 0 read, bit 1 write, bit 2 execute
//	0x22 6 reserved
//
// Device, 64 bytes: a passthrough device; its regions, interrupts and
// stream ID ranges are runs inside its partition's.
//
//	0x00 32 name
//	0x20 4  partition
//	0x24 4  first region      0x28 4 region count
//	0x2c 4  first interrupt   0x30 4 interrupt count
//	0x34 4  first stream IDs  0x38 4 stream ID range count
//	0x3c 4  reserved
//
// Interrupt, 16 bytes: a physical SPI routed to a partition.
//
//	0x00 4 INTID
//	0x04 4 partition
//	0x08 4 device, or NoIndex
//	0x0c 4 reserved
//
// Stream ID range, 16 bytes: SMMU stream IDs whose DMA the partition's
// stage-2 tables translate.
//
//	0x00 4 first stream ID
//	0x04 4 count
//	0x08 4 partition
//	0x0c 4 device, or NoIndex
//
// Channel, 72 bytes: shared memory between partitions. Each member maps it
// with one channel region.
//
//	0x00 32 name
//	0x20 8  physical base
//	0x28 8  size
//	0x30 8  member mask: bit n set = partition n maps the channel
//	0x38 8  read-only mask: members that may only read it
//	0x40 4  doorbell INTID injected into members, 0 for none
//	0x44 4  reserved
//
// Image, 64 bytes: a blob of the payload loaded into a partition's RAM.
//
//	0x00 8  offset in the payload
//	0x08 8  size
//	0x10 8  load IPA
//	0x18 32 SHA-256 of the blob
//	0x38 4  partition
//	0x3c 1  kind: 1 kernel, 2 initrd, 3 DTB
//	0x3d 3  reserved
package table
