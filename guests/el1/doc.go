// Package el1 is the runtime support a TamaGo program needs to run as a
// bare-metal guest at EL1 inside a Tamavisor partition, or standalone under
// QEMU's virt machine without EL2: the first instructions (cpuinit), the
// runtime/goos hooks (RAM, Hwinit0/Hwinit1, Printk, Nanotime, random data),
// the guest's own EL1&0 stage-1 translation tables, and the EL1 exception
// vectors with a hook through which a program may observe a synchronous
// exception and resume after the instruction that took it.
//
// A program built on el1 provides its own memory in a small board file:
// runtime/goos.RamStart and RamSize (by go:linkname), the partition's RAM
// minus what the hypervisor keeps there (the device tree block at its top),
// and links its text with -T inside that RAM, at least two pages above its
// start. el1 owns the rest:
//
//	RamStart                 translation-table pages (mapped RW, never executable)
//	text - 4 KiB             the ELF headers' page (not mapped)
//	text                     text (RX), rodata (R), data and bss (RW)
//	...                      heap, then the Go runtime's g0 stack growing down
//	RamStart+RamSize-64KiB   the exception stack (RamStackOffset)
//
// The stage-1 map is an identity map of that RAM and of the console UART
// page; nothing else is mapped until the program asks (Map), so a stray
// access, to address 0 for a start, takes a translation fault at EL1.
//
// Files built for the target carry `//go:build tamago && arm64`; the rest is
// plain Go that host tests exercise. References are to the Arm Architecture
// Reference Manual for A-profile (DDI 0487).
package el1
