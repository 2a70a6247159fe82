# Tamavisor: the two commands a newcomer needs are `make qemu` and `make test`.

GO        ?= go
BUILD     ?= build
# The TamaGo toolchain wrapper, as upstream builds firmware: it runs the
# tamago-go compiler matching the tamago module version in go.mod.
TAMAGO    ?= $(shell $(GO) tool -n github.com/usbarmory/tamago/cmd/tamago)
TAMAGOENV := GOOS=tamago GOARCH=arm64 GOOSPKG=github.com/usbarmory/tamago
# Link address of the hypervisor image: qemuvirt.TextStart (a test checks
# that the two agree).
TEXT_START := 0x40210000
FIRMWARE_TAGS ?=
FIRMWARE  ?= $(BUILD)/tamavisor.elf

.PHONY: firmware qemu test clean

firmware:
	@mkdir -p $(dir $(FIRMWARE))
	$(TAMAGOENV) $(TAMAGO) build -trimpath -tags linkcpuinit,$(FIRMWARE_TAGS) \
		-ldflags "-T $(TEXT_START) -R 0x1000" -o $(FIRMWARE) ./firmware

clean:
	rm -rf $(BUILD)
