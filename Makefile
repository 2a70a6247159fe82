# Tamavisor. A newcomer needs two commands:
#   make qemu   build the hypervisor, the demo's guests and its image from
#               configs/qemu-virt.yaml, and boot it under QEMU (Ctrl-A X quits)
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
# Link address of the hypervisor image: board/qemuvirt TextStart (a test
# checks that the two agree).
TEXT_START := 0x40210000
FIRMWARE_TAGS ?=
FIRMWARE  ?= $(BUILD)/tamavisor.elf

.PHONY: all firmware qemu test test-guests vet bench bench-qemu deps clean

all: firmware

firmware:
	@mkdir -p $(dir $(FIRMWARE))
	$(TAMAGOENV) $(TAMAGO) build -trimpath -tags linkcpuinit,$(FIRMWARE_TAGS) \
		-ldflags "-T $(TEXT_START) -R 0x1000" -o $(FIRMWARE) ./firmware

qemu: deps firmware guests
	$(GO) run ./cmd/tamavisor run -hypervisor $(FIRMWARE) configs/qemu-virt.yaml

test: deps vet test-guests
	$(GO) test -count=1 $$($(GO) list ./... | grep -v '/tests$$')
	@echo "QEMU integration tests (tests/):"
	$(GO) test -count=1 -timeout 30m -v ./tests/ | grep -Ev '^=== (RUN|PAUSE|CONT)'

# The guests the QEMU tests boot. The bare-metal ones need the TamaGo
# compiler; without it they are not built and the tests that boot them skip.
test-guests:
	@if [ -x "$(TAMAGO_GO)" ]; then \
		$(MAKE) --no-print-directory guests; \
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

# make guests: the guest images configs/qemu-virt.yaml boots, in
# build/guests/ (never committed). The infotainment Linux guest is Debian's
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

.PHONY: guests
guests: $(GUESTS)/Image $(GUESTS)/initramfs.cpio.gz guest-elfs

# One recipe for both packages: one apt-get update.
$(GUEST_APT)/debs/linux-kernel.deb $(GUEST_APT)/debs/busybox.deb &: $(GUEST_PINS)
	$(GUESTKIT) fetch -pins $(GUEST_PINS) -apt $(GUEST_APT) \
		LINUX_KERNEL=$(GUEST_APT)/debs/linux-kernel.deb BUSYBOX=$(GUEST_APT)/debs/busybox.deb

$(GUESTS)/Image: $(GUEST_APT)/debs/linux-kernel.deb $(GUESTKIT_SOURCES)
	$(GUESTKIT) kernel -pins $(GUEST_PINS) -o $@ $<

$(GUESTS)/initramfs.cpio.gz: $(GUEST_APT)/debs/busybox.deb $(GUEST_APT)/debs/linux-kernel.deb guests/linux/init $(GUESTKIT_SOURCES)
	$(GUESTKIT) initramfs -pins $(GUEST_PINS) -o $@ -kernel $(GUEST_APT)/debs/linux-kernel.deb $<

# The bare-metal guests configs/qemu-virt.yaml boots at EL1,
# in build/guests/: the ECU control loop (guests/ecu) and the isolation
# attacker (guests/attack), TamaGo programs on guests/el1, built like the
# firmware. Each is linked inside its partition's memory: the Go runtime's
# RAM starts at the partition base (the program's board.go) and the text
# 64 KiB above it; el1 keeps the guest's translation tables in between.
# Always rebuilt: the Go build cache knows what changed.
GUEST_ELF_DIR     := $(BUILD)/guests
ECU_TEXT_START    := 0x70010000
ATTACK_TEXT_START := 0x74020000
BENCH_TEXT_START  := 0x60010000

.PHONY: guest-elfs $(GUEST_ELF_DIR)/ecu.elf $(GUEST_ELF_DIR)/attack.elf $(GUEST_ELF_DIR)/bench.elf
guest-elfs: $(GUEST_ELF_DIR)/ecu.elf $(GUEST_ELF_DIR)/attack.elf $(GUEST_ELF_DIR)/bench.elf

$(GUEST_ELF_DIR)/ecu.elf:
	@mkdir -p $(dir $@)
	$(TAMAGOENV) $(TAMAGO) build -trimpath -tags linkcpuinit \
		-ldflags "-T $(ECU_TEXT_START) -R 0x1000" -o $@ ./guests/ecu

$(GUEST_ELF_DIR)/attack.elf:
	@mkdir -p $(dir $@)
	$(TAMAGOENV) $(TAMAGO) build -trimpath -tags linkcpuinit \
		-ldflags "-T $(ATTACK_TEXT_START) -R 0x1000" -o $@ ./guests/attack

# The measurement guest of make bench-qemu (guests/bench), linked inside
# configs/bench.yaml's partition.
$(GUEST_ELF_DIR)/bench.elf:
	@mkdir -p $(dir $@)
	$(TAMAGOENV) $(TAMAGO) build -trimpath -tags linkcpuinit \
		-ldflags "-T $(BENCH_TEXT_START) -R 0x1000" -o $@ ./guests/bench
