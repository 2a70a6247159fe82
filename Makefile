# Tamavisor. A newcomer needs two commands:
#   make qemu   build the hypervisor, the demo's guests and its image from
#               configs/qemu-virt.yaml, and boot it under QEMU (Ctrl-A X quits);
#               make qemu BOARD=imx8mp-evk does the same for the i.MX 8M Plus EVK
#   make test   run every test; QEMU tests run when the TamaGo compiler is there

SHELL     := /bin/bash
.SHELLFLAGS := -o pipefail -c

GO        ?= go
BUILD     ?= build
# The TamaGo toolchain wrapper, as upstream builds firmware: it runs the
# tamago-go compiler matching the tamago version in go.mod, and installs it
# into the user cache directory when it is missing (that needs internet).
TAMAGO    ?= $(shell $(GO) tool -n github.com/usbarmory/tamago/cmd/tamago)
TAMAGOENV := GOOS=tamago GOARCH=arm64 GOOSPKG=github.com/usbarmory/tamago
TAMAGO_VERSION := $(patsubst v%,%,$(shell $(GO) list -m -f '{{.Version}}' github.com/usbarmory/tamago))
TAMAGO_GO := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/tamago-go/tamago-go$(TAMAGO_VERSION)/bin/go
# The board the firmware is built for: qemu-virt (the default) or
# imx8mp-evk (the NXP i.MX 8M Plus EVK, on the board or QEMU's machine of
# that name). The build tag selects firmware/hv/platform_<board>.go: its
# console driver, GIC, memory layout, CPUs and interrupts.
BOARD     ?= qemu-virt
# CONFIG is the system make qemu and make image build: the demo on
# qemu-virt; on imx8mp-evk configs/imx8mp-evk.yaml, or while there is none
# the ECU and the attacker alone.
ifeq ($(BOARD),qemu-virt)
BOARD_TAGS :=
FIRMWARE  ?= $(BUILD)/tamavisor.elf
CONFIG    ?= configs/qemu-virt.yaml
else ifeq ($(BOARD),imx8mp-evk)
BOARD_TAGS := imx8mp
FIRMWARE  ?= $(BUILD)/tamavisor-imx8mp-evk.elf
CONFIG    ?= $(firstword $(wildcard configs/imx8mp-evk.yaml) configs/imx8mp-evk-ecu-attack.yaml)
else
$(error BOARD=$(BOARD): unknown board; use BOARD=qemu-virt or BOARD=imx8mp-evk)
endif
# Link address of the hypervisor image: board/qemuvirt and board/imx8mpevk
# TextStart, the same on both (a test checks that they agree).
TEXT_START := 0x40210000
FIRMWARE_TAGS ?=

.PHONY: all firmware qemu image test test-guests vet bench bench-qemu deps clean

all: firmware

firmware:
	@mkdir -p $(dir $(FIRMWARE))
	$(TAMAGOENV) $(TAMAGO) build -trimpath -tags linkcpuinit,$(BOARD_TAGS),$(FIRMWARE_TAGS) \
		-ldflags "-T $(TEXT_START) -R 0x1000" -o $(FIRMWARE) ./firmware

qemu: deps firmware guests
	$(GO) run ./cmd/tamavisor run -hypervisor $(FIRMWARE) $(CONFIG)

# make image: CONFIG's bootable image in build/BOARD.elf (QEMU -kernel on
# qemu-virt, U-Boot bootelf) and build/BOARD.Image, the same as an arm64
# Image (QEMU -kernel on imx8mp-evk, U-Boot booti).
image: firmware guests
	$(GO) run ./cmd/tamavisor build -hypervisor $(FIRMWARE) -o $(BUILD)/$(BOARD).elf -image $(BUILD)/$(BOARD).Image $(CONFIG)

test: deps vet test-guests
	$(GO) test -count=1 $$($(GO) list ./... | grep -v '/tests$$')
	@echo "QEMU integration tests (tests/):"
	$(GO) test -count=1 -timeout 30m -v ./tests/ | grep -Ev '^=== (RUN|PAUSE|CONT)'

# The guests the QEMU tests boot. The bare-metal ones need the TamaGo
# compiler; without it they are not built and the tests that boot them skip.
test-guests:
	@if [ -x "$(TAMAGO_GO)" ]; then \
		$(MAKE) --no-print-directory guests BOARD=qemu-virt && \
		$(MAKE) --no-print-directory guests BOARD=imx8mp-evk; \
	else \
		echo "skipped: building the guest images (no TamaGo compiler at $(TAMAGO_GO)); the QEMU tests that boot them skip"; \
	fi

# Benchmarks of the code on boot and trap paths, run on the host.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./mmu ./internal/sha256 ./firmware/hv

# The trap path's cost against native, in instructions: the bench guest
# (guests/bench) and Linux to "Run /init", each natively on QEMU and as a
# Tamavisor partition (configs/bench.yaml, configs/bench-linux.yaml), under
# -icount shift=0, so the figures are the same on every run and host
# (cmd/benchqemu). Prints the table and writes it to $(BUILD)/bench.json.
bench-qemu: deps firmware guests
	$(GO) run ./cmd/tamavisor build -hypervisor $(FIRMWARE) -o $(BUILD)/bench.elf configs/bench.yaml
	$(GO) run ./cmd/tamavisor build -hypervisor $(FIRMWARE) -o $(BUILD)/bench-linux.elf configs/bench-linux.yaml
	$(GO) run ./cmd/benchqemu -native $(GUESTS)/bench.elf -hv $(BUILD)/bench.elf \
		-kernel $(GUESTS)/Image -initrd $(GUESTS)/initramfs.cpio.gz -linux-hv $(BUILD)/bench-linux.elf \
		-json $(BUILD)/bench.json

vet:
	$(GO) vet ./...
	@if [ -x "$(TAMAGO_GO)" ]; then \
		echo "$(TAMAGOENV) go vet (firmware, for the target)"; \
		$(TAMAGOENV) $(TAMAGO) vet -tags linkcpuinit -unsafeptr=false ./firmware/... ./driver/... ./mmu/... ./aarch64/... ./board/... ./gic/... \
			./guests/el1/... ./guests/ecu/... ./guests/attack/... ./guests/bench/...; \
		echo "$(TAMAGOENV) go vet -tags imx8mp (firmware and guests for the i.MX 8M Plus EVK)"; \
		$(TAMAGOENV) $(TAMAGO) vet -tags linkcpuinit,imx8mp -unsafeptr=false ./firmware/... \
			./guests/el1/... ./guests/ecu/... ./guests/attack/...; \
	else \
		echo "skipped: vet of the firmware for the target (no TamaGo compiler at $(TAMAGO_GO))"; \
	fi

# Installs the Debian packages the build and tests use (QEMU >= 9.1, dtc,
# minisign)
# when run as root, else says how; qemu/deps.sh says why each is needed.
deps:
	@bash qemu/deps.sh

clean:
	rm -rf $(BUILD)

# make boot-script: build/boot.scr, the U-Boot script that boots
# build/imx8mp-evk.Image on the EVK (docs/boards/imx8mp-evk.md), made from
# configs/imx8mp-evk.boot.cmd with mkimage (Debian's u-boot-tools).
# SOURCE_DATE_EPOCH keeps the build time out of the header.
BOOT_SCRIPT := $(BUILD)/boot.scr
.PHONY: boot-script
boot-script: $(BOOT_SCRIPT)

$(BOOT_SCRIPT): configs/imx8mp-evk.boot.cmd
	@command -v mkimage >/dev/null || { echo "mkimage not found: install Debian's u-boot-tools (apt-get install u-boot-tools)"; exit 1; }
	@mkdir -p $(dir $@)
	SOURCE_DATE_EPOCH=0 mkimage -A arm64 -O linux -T script -C none -n "Tamavisor imx8mp-evk" -d $< $@

# make guests: the guest images configs/qemu-virt.yaml boots, in
# build/guests/ (never committed); make guests BOARD=imx8mp-evk those of
# configs/imx8mp-evk.yaml. The qemu-virt infotainment Linux guest is Debian's
# arm64 cloud kernel and a busybox initramfs, built by guests/linux from the
# Debian packages pinned, version and SHA-256, in guests/versions.mk. apt
# fetches them with a private configuration in build/apt/ (arm64 lists, its
# own state and cache, the machine's sources and keys): the machine's apt
# state and architectures stay as they are, and no root is needed.
GUESTS     := $(BUILD)/guests
GUEST_APT  := $(BUILD)/apt
GUEST_PINS := guests/versions.mk
GUESTKIT   := $(GO) run ./guests/linux/cmd/guestkit
GUESTKIT_SOURCES := $(filter-out %_test.go,$(wildcard guests/linux/*.go guests/linux/cmd/guestkit/*.go))

# Each board's Linux guest: the cloud kernel on qemu-virt, the generic
# kernel on imx8mp-evk (guests-imx8mp-evk below).
GUESTS_LINUX_qemu-virt  := $(GUESTS)/Image $(GUESTS)/initramfs.cpio.gz
GUESTS_LINUX_imx8mp-evk := guests-imx8mp-evk

.PHONY: guests
guests: $(GUESTS_LINUX_$(BOARD)) guest-elfs

# One recipe for both packages: one apt-get update.
$(GUEST_APT)/debs/linux-kernel.deb $(GUEST_APT)/debs/busybox.deb &: $(GUEST_PINS)
	$(GUESTKIT) fetch -pins $(GUEST_PINS) -apt $(GUEST_APT) \
		LINUX_KERNEL=$(GUEST_APT)/debs/linux-kernel.deb BUSYBOX=$(GUEST_APT)/debs/busybox.deb

$(GUESTS)/Image: $(GUEST_APT)/debs/linux-kernel.deb $(GUESTKIT_SOURCES)
	$(GUESTKIT) kernel -pins $(GUEST_PINS) -o $@ $<

$(GUESTS)/initramfs.cpio.gz: $(GUEST_APT)/debs/busybox.deb $(GUEST_APT)/debs/linux-kernel.deb guests/linux/init $(GUESTKIT_SOURCES)
	$(GUESTKIT) initramfs -pins $(GUEST_PINS) -o $@ -kernel $(GUEST_APT)/debs/linux-kernel.deb $<

# The Linux guest of configs/imx8mp-evk.yaml: Debian's generic arm64
# kernel, which has the i.MX drivers the cloud kernel lacks, pinned as
# LINUX_GENERIC_KERNEL, and an initramfs with the same /init and busybox
# that carries that kernel's watchdog module. Fetched on its own (57 MB),
# so that `make guests` for qemu-virt alone does not download it.
.PHONY: guests-imx8mp-evk
guests-imx8mp-evk: $(GUESTS)/Image-generic $(GUESTS)/initramfs-generic.cpio.gz

$(GUEST_APT)/debs/linux-generic-kernel.deb: $(GUEST_PINS)
	$(GUESTKIT) fetch -pins $(GUEST_PINS) -apt $(GUEST_APT) LINUX_GENERIC_KERNEL=$@

$(GUESTS)/Image-generic: $(GUEST_APT)/debs/linux-generic-kernel.deb $(GUESTKIT_SOURCES)
	$(GUESTKIT) kernel -pins $(GUEST_PINS) -pin LINUX_GENERIC_KERNEL -o $@ $<

$(GUESTS)/initramfs-generic.cpio.gz: $(GUEST_APT)/debs/busybox.deb $(GUEST_APT)/debs/linux-generic-kernel.deb guests/linux/init $(GUESTKIT_SOURCES)
	$(GUESTKIT) initramfs -pins $(GUEST_PINS) -o $@ -kernel $(GUEST_APT)/debs/linux-generic-kernel.deb -kernel-pin LINUX_GENERIC_KERNEL $<

# The bare-metal guests configs/qemu-virt.yaml boots at EL1,
# in build/guests/: the ECU control loop (guests/ecu) and the isolation
# attacker (guests/attack), TamaGo programs on guests/el1, built like the
# firmware. Each is linked inside its partition's memory: the Go runtime's
# RAM starts at the partition base (the program's board.go) and the text
# 64 KiB above it; el1 keeps the guest's translation tables in between.
# Always rebuilt: the Go build cache knows what changed.
# For another BOARD they are built with its tag into build/guests/BOARD/
# (make guest-elfs BOARD=imx8mp-evk).
ifeq ($(BOARD),qemu-virt)
GUEST_ELF_DIR     := $(BUILD)/guests
else
GUEST_ELF_DIR     := $(BUILD)/guests/$(BOARD)
endif
ECU_TEXT_START    := 0x70010000
ATTACK_TEXT_START := 0x74020000
BENCH_TEXT_START  := 0x60010000

.PHONY: guest-elfs $(GUEST_ELF_DIR)/ecu.elf $(GUEST_ELF_DIR)/attack.elf $(GUEST_ELF_DIR)/bench.elf
guest-elfs: $(GUEST_ELF_DIR)/ecu.elf $(GUEST_ELF_DIR)/attack.elf $(GUEST_ELF_DIR)/bench.elf

$(GUEST_ELF_DIR)/ecu.elf:
	@mkdir -p $(dir $@)
	$(TAMAGOENV) $(TAMAGO) build -trimpath -tags linkcpuinit,$(BOARD_TAGS) \
		-ldflags "-T $(ECU_TEXT_START) -R 0x1000" -o $@ ./guests/ecu

$(GUEST_ELF_DIR)/attack.elf:
	@mkdir -p $(dir $@)
	$(TAMAGOENV) $(TAMAGO) build -trimpath -tags linkcpuinit,$(BOARD_TAGS) \
		-ldflags "-T $(ATTACK_TEXT_START) -R 0x1000" -o $@ ./guests/attack

# The measurement guest of make bench-qemu (guests/bench), linked inside
# configs/bench.yaml's partition.
$(GUEST_ELF_DIR)/bench.elf:
	@mkdir -p $(dir $@)
	$(TAMAGOENV) $(TAMAGO) build -trimpath -tags linkcpuinit \
		-ldflags "-T $(BENCH_TEXT_START) -R 0x1000" -o $@ ./guests/bench
