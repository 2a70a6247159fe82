// Package linux builds the infotainment partition's Linux guest kit: an
// arm64 kernel Image and a busybox initramfs, from Debian packages pinned
// by version and SHA-256 in guests/versions.mk.
//
// It owns the pieces of that build: the pins file parser, a private apt
// configuration that fetches arm64 packages without touching the
// machine's apt state, reading files out of .deb packages (through
// dpkg-deb), turning a Debian vmlinuz into a checked arm64 Image, a
// deterministic cpio "newc" writer and reader, and the initramfs with its
// /init (the file init in this directory). The command cmd/guestkit runs
// them for `make guests`; the outputs go to build/guests and are never
// committed.
package linux
