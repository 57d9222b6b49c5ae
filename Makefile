# SPDX-License-Identifier: GPL-2.0
#
# egate - top-level build.  `make help` lists the targets.

TOP		:= $(abspath .)
BUILD		:= $(TOP)/build

# Kernels to build the modules for: Debian 12's 6.1 and 6.12 by default
# (KERNELS=6.12 for one), or one kernel tree given as KDIR=.
KERNELS		?= 6.1 6.12
ifdef KDIR
# /lib/modules/RELEASE/build names its release; a built tree (the debug
# kernel's) says it in include/config/kernel.release.
KRELEASES	:= $(if $(wildcard $(KDIR)/vmlinux),\
		   $(shell cat $(KDIR)/include/config/kernel.release),\
		   $(notdir $(patsubst %/build,%,$(abspath $(KDIR)))))
kdir_of		= $(KDIR)
else
KRELEASES	:= $(foreach k,$(KERNELS),$(shell scripts/kernel-version $(k)))
kdir_of		= /lib/modules/$(1)/build
endif

CC		?= cc
TEST_CFLAGS	:= -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
		   -I$(TOP)/include -isystem $(BUILD)/kselftest -pthread

# Programs that run inside the VM: tests/vm/*.c (the runner's own checks)
# and tests/kernel/*.c (the driver's), each linked with its common/ helpers.
VM_TESTS	:= $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/vm/*.c))
KERNEL_COMMON	:= $(wildcard tests/kernel/common/*.c)
KERNEL_TESTS	:= $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/kernel/*.c))

.PHONY: all deps modules tests agent agent-asan check bench accuracy pad-eval fuzz \
	lint demo vm-shell clean help soak debug-kernel check-debug

all: modules tests agent

help:
	@echo 'make [all]       modules for each kernel, test programs, agent'
	@echo 'make deps        install packages, kselftest headers, face models'
	@echo 'make modules     kmod/ for KERNELS="$(KERNELS)" (or KDIR=tree)'
	@echo 'make check       everything, then all tests: host, VM per kernel'
	@echo 'make debug-kernel  build (once) the KASAN/lockdep/kmemleak kernel'
	@echo 'make check-debug   kernel tests, UAPI fuzzer, kmemleak on it'
	@echo 'make bench       benchmarks (numbers printed)'
	@echo 'make soak        model-based test, SECONDS=N per configuration and kernel'
	@echo 'make accuracy    face engine accuracy report (FACES=DIR/<person>/*), then pad-eval'
	@echo 'make pad-eval    presentation-attack detection: APCER/BPCER, build/pad-det.png'
	@echo 'make fuzz        libFuzzer on the model and image loaders (clang)'
	@echo 'make lint        checkpatch on the kernel code'
	@echo 'make demo        the simulated lane in a VM'
	@echo 'make deb         Debian packages (DKMS, agent, models) in build/debs; check-packages tests them'
	@echo 'make vm-shell    a shell in the VM (KERNELS=6.12 for the other)'
	@echo 'make clean       remove build/'

deps:
	@scripts/install-deps

modules:
	@$(foreach r,$(KRELEASES),scripts/build-kmod $(call kdir_of,$(r)) \
		$(BUILD)/kmod/$(r) &&) true

tests: $(VM_TESTS) $(KERNEL_TESTS)

$(BUILD)/tests/vm/%: tests/vm/%.c $(wildcard include/uapi/linux/*.h)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(LDLIBS)

$(BUILD)/tests/kernel/%: tests/kernel/%.c $(KERNEL_COMMON) \
		$(wildcard tests/kernel/common/*.h include/uapi/linux/*.h)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Itests/kernel/common -o $@ $< $(KERNEL_COMMON) \
		$(LDLIBS)

# Userspace: a normal build and an ASan+UBSan build of the same tree.
# agent/Makefile builds the face engine, agent/kiosk.mk the kiosk agent's
# capture, store and configuration pieces.
AGENT_MAKEFILES	:= $(wildcard agent/Makefile agent/kiosk.mk agent/ctl.mk agent/sync.mk)
agent_make	= $(foreach f,$(AGENT_MAKEFILES),\
		  $(MAKE) -C agent -f $(notdir $(f)) $(1) &&) true

agent:
	@$(call agent_make,BUILD=$(BUILD)/host)
agent-asan:
	@$(call agent_make,BUILD=$(BUILD)/asan SANITIZE=1)

# The test command: installs what is missing, builds, runs everything.
check: deps
	@$(MAKE) --no-print-directory all agent-asan
	@scripts/run-checks $(KERNELS)

# The debug kernel (linux-source-6.12 + scripts/debug-kernel.config: KASAN,
# KFENCE, UBSAN, lockdep, DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS, kmemleak),
# built once per machine into build/debug-kernel/; and the kernel tests and
# the UAPI fuzzer (EGATE_FUZZ_SECONDS, default 300) on it, in one boot,
# with a kmemleak scan at the end.  Not part of `make check`: building the
# kernel alone takes longer on these 2-core machines than check's budget.
debug-kernel:
	@scripts/debug-kernel
check-debug: deps
	@$(MAKE) --no-print-directory tests
	@$(if $(wildcard agent/ctl.mk),$(MAKE) -C agent -f ctl.mk BUILD=$(BUILD)/host)
	@scripts/debug-kernel check

bench: deps
	@$(MAKE) --no-print-directory all
	@$(call agent_make,BUILD=$(BUILD)/host bench)
	@$(foreach k,$(KERNELS),scripts/vm-run --kernel $(k) -- \
		$(BUILD)/tests/kernel/bench &&) true

# The model-based test for as long as asked: SECONDS per configuration
# (4 of them) on each kernel; SEED= replays one step list.  The shrinker
# gets a tenth of the time, at least 60 s.  Logs: build/soak/KERNEL.log.
SECONDS		?= 1800
soak: deps
	@$(MAKE) --no-print-directory modules tests
	@rm -rf $(BUILD)/soak && mkdir -p $(BUILD)/soak
	@$(foreach k,$(KERNELS),scripts/vm-run --kernel $(k) \
		--timeout $$(( $(SECONDS) * 5 + 1200 )) \
		--env EGATE_MODEL_SECONDS=$(SECONDS) \
		--env EGATE_MODEL_SHRINK_SECONDS=$$(( $(SECONDS) / 10 > 60 ? $(SECONDS) / 10 : 60 )) \
		$(if $(SEED),--env EGATE_MODEL_SEED=$(SEED)) -- \
		tests/run-programs --timeout $$(( $(SECONDS) * 5 + 900 )) \
		$(BUILD)/tests/kernel/model > $(BUILD)/soak/$(k).log 2>&1 || \
		echo "not ok - kernel $(k): vm-run failed ($$?)" >> $(BUILD)/soak/$(k).log; \
		grep -v '^\[' $(BUILD)/soak/$(k).log | grep -E '^(#|ok|not ok)';) true
	@scripts/tap-summary $(BUILD)/soak/*.log

# The face engine's accuracy report and fuzzing (agent/Makefile's own).
FUZZ_SECONDS	?= 600
accuracy: deps
	@$(MAKE) -C agent -f Makefile BUILD=$(BUILD)/host accuracy \
		$(if $(FACES),FACES=$(abspath $(FACES)))
	@$(MAKE) --no-print-directory pad-eval

# Presentation-attack detection on synthetic presentations made from
# FACES (Documentation/pad.md): ISO/IEC 30107-3 figures, DET plot.
pad-eval: deps
	@$(MAKE) --no-print-directory agent
	@$(MAKE) -C agent -f kiosk.mk BUILD=$(BUILD)/host pad-eval DET=$(BUILD)/pad-det.png \
		$(if $(FACES),FACES=$(abspath $(FACES)))

fuzz: deps
	@$(MAKE) -C agent -f Makefile BUILD=$(BUILD)/fuzz fuzz \
		FUZZ_SECONDS=$(FUZZ_SECONDS)

# Kernel style: checkpatch as for a patch to the kernel itself.
CHECKPATCH	:= $(BUILD)/checkpatch/checkpatch.pl --no-tree --terse \
		   --ignore FILE_PATH_CHANGES,LINUX_VERSION_CODE,CONSTANT_COMPARISON \
		   --max-line-length=80
lint: deps
	@$(CHECKPATCH) -f $(wildcard kmod/*.[ch] include/uapi/linux/*.h)

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo

vm-shell: modules
	@scripts/vm-run --kernel $(firstword $(KERNELS))

# The Debian packages (debian/) into build/debs, checked by lintian; and
# their install, upgrade, remove and purge test in a VM per kernel, 47 min
# on 6.12 under emulation (two DKMS builds): not part of `make check` (README, "Running a lane").
.PHONY: deb check-packages
deb: deps
	@scripts/build-debs
check-packages: deb
	@scripts/check-packages $(KERNELS)

clean:
	rm -rf $(BUILD)
