// Package image owns the bootable image format: the one ELF file that
// `tamavisor build` writes and that QEMU (-kernel) and U-Boot (bootelf,
// bootelf -s) load. Compose writes an image from the hypervisor ELF, the
// partition table and the guest payload; Open reads one back for host
// tools. Both run on the host only.
//
// # Layout
//
// An image is an ELF64 little-endian AArch64 executable (ET_EXEC) whose
// entry point is the hypervisor's. Its program headers are PT_LOAD entries
// only:
//
//   - every PT_LOAD segment of the hypervisor ELF, in the hypervisor's
//     order, with the same virtual and physical address, file size, memory
//     size, flags, alignment and bytes;
//   - last, the payload segment, at physical = virtual address PayloadBase
//     of the board (the first byte after the hypervisor's memory), flags R,
//     file size = memory size.
//
// The payload segment holds:
//
//	offset         bytes
//	0              the partition table (partition/table), Header.TotalLength long
//	TotalLength    (rounded up to 8) the signature block, table.SignatureRoom
//	               long: a minisign signature over the table, or zeros
//	               (partition/table signature.go, docs/signing.md)
//	               then zero, up to the next 4 KiB boundary (PayloadOffset)
//	PayloadOffset  the payload, Header.PayloadSize long: the guest images,
//	               which the table's image records index by offset
//
// The hypervisor's other program headers (PT_PHDR, PT_NOTE,
// PT_GNU_STACK) are not kept: they describe the layout of the hypervisor's
// own file, and a bare-metal loader has no use for them.
//
// Every segment starts at a file offset congruent to its address modulo
// the larger of its p_align and 4 KiB, so p_offset % p_align == p_vaddr %
// p_align holds, as loaders that map the file page by page need.
//
// The section headers exist for loaders that copy sections instead of
// segments (U-Boot's bootelf -s copies every SHF_ALLOC section to its
// address and clears SHT_NOBITS ones): one SHT_PROGBITS section per
// segment's file bytes, named after the segment's flags (.text, .rodata,
// .data), one SHT_NOBITS section (.bss) for any zero-filled tail, the
// payload segment's section named SectionName, and .shstrtab. Either way
// memory ends up holding the same bytes.
//
// The firmware finds the table at PayloadBase in memory; host tools find
// the payload segment by its section and, if the section headers were
// stripped, by the table magic at the start of a PT_LOAD segment.
package image
