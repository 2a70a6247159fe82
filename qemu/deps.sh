#!/usr/bin/env bash
# make deps: the Debian packages the build and tests use.
#
#   qemu-system-aarch64 >= 9.1  (qemu-system-arm): QEMU 10's SMMUv3 stage 2,
#                                its imx8mp-evk machine and alignment checks
#                                on Device memory, as real cores do
#   dtc                          (device-tree-compiler)
#   minisign                     (minisign): the tests check that signatures
#                                interoperate with the minisign command
#   mkimage                      (u-boot-tools): make boot-script, the EVK's
#                                U-Boot script, and the test that checks it
#
# Run as root with apt-get, it installs what is missing. Debian 12 ships
# QEMU 7.2, so there it adds the bookworm-backports suite (same mirror and
# key as the machine's own bookworm entry) and installs qemu-system-arm
# from it. Elsewhere it says what to install and fails.
set -euo pipefail

min_major=9 min_minor=1

qemu_version() {
	qemu-system-aarch64 --version 2>/dev/null | sed -n 's/^QEMU emulator version \([0-9][0-9.]*\).*/\1/p'
}

qemu_new_enough() {
	local v major minor
	v=$(qemu_version)
	[ -n "$v" ] || return 1
	major=${v%%.*}
	minor=${v#*.}
	minor=${minor%%.*}
	[ "$major" -gt "$min_major" ] || { [ "$major" -eq "$min_major" ] && [ "$minor" -ge "$min_minor" ]; }
}

need_qemu=0
others=()
qemu_new_enough || need_qemu=1
command -v dtc >/dev/null 2>&1 || others+=(device-tree-compiler)
command -v minisign >/dev/null 2>&1 || others+=(minisign)
command -v mkimage >/dev/null 2>&1 || others+=(u-boot-tools)
[ $need_qemu = 0 ] && [ ${#others[@]} = 0 ] && exit 0

. /etc/os-release 2>/dev/null || true
codename=${VERSION_CODENAME:-}

hint() {
	echo "QEMU >= $min_major.$min_minor, dtc, minisign and mkimage are needed (found QEMU: $(qemu_version || true) ${1:-})." >&2
	if [ "$codename" = bookworm ]; then
		echo "On Debian 12 QEMU 10 comes from bookworm-backports: add that suite to apt's sources, then" >&2
		echo "  apt-get install -t bookworm-backports qemu-system-arm; apt-get install device-tree-compiler minisign u-boot-tools" >&2
	else
		echo "Install them with: apt-get install qemu-system-arm device-tree-compiler minisign u-boot-tools" >&2
		echo "(Debian 13 and Ubuntu 24.10 or newer have QEMU >= 9.1 in their main archive)" >&2
	fi
	exit 1
}

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	hint "(not root, or no apt-get: nothing installed)"
fi

export DEBIAN_FRONTEND=noninteractive
apt_install_opts=()
if [ $need_qemu = 1 ] && [ "$codename" = bookworm ]; then
	if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		# The mirror and key of the machine's own bookworm entry.
		read -r uri key < <(awk 'BEGIN { RS = "" } {
			u = ""; k = ""; s = 0; n = split($0, line, "\n")
			for (i = 1; i <= n; i++) {
				split(line[i], w, " ")
				if (w[1] == "URIs:") u = w[2]
				if (w[1] == "Signed-By:") k = w[2]
				if (w[1] == "Suites:" && line[i] ~ / bookworm( |$)/) s = 1
			}
			if (s && u != "") { print u, k; exit }
		}' /etc/apt/sources.list.d/*.sources 2>/dev/null) || true
		if [ -z "$uri" ]; then
			uri=$(awk '$1 == "deb" && $0 ~ / bookworm / {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list 2>/dev/null || true)
		fi
		[ -n "$uri" ] || hint "(no bookworm entry in apt's sources to take the mirror from)"
		echo "adding the bookworm-backports suite ($uri) for QEMU >= $min_major.$min_minor"
		{
			echo "Types: deb"
			echo "URIs: $uri"
			echo "Suites: bookworm-backports"
			echo "Components: main"
			if [ -n "$key" ]; then echo "Signed-By: $key"; fi
		} > /etc/apt/sources.list.d/tamavisor-bookworm-backports.sources
	fi
	apt_install_opts=(-t bookworm-backports)
fi

echo "installing:$([ $need_qemu = 1 ] && echo " qemu-system-arm") ${others[*]}"
apt-get update -qq
if [ $need_qemu = 1 ]; then
	apt-get install -y -qq "${apt_install_opts[@]}" qemu-system-arm >/dev/null
fi
if [ ${#others[@]} -gt 0 ]; then
	apt-get install -y -qq "${others[@]}" >/dev/null
fi
qemu_new_enough || hint "(after installing)"
echo "QEMU $(qemu_version)"
