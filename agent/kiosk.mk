# SPDX-License-Identifier: GPL-2.0
#
# kiosk.mk - the kiosk agent: its libraries (camera capture, gallery and
# audit store, configuration, the 1:1 reference file, URING_CMD helpers),
# the daemon egate-agent (daemon/), the admin tool egate-gallery (tools/)
# and their tests.  Called by the top-level Makefile after agent/Makefile
# has built the face engine:
#
#   make -C agent -f kiosk.mk BUILD=<abs dir> [SANITIZE=1] [all|bench]
#
# Output: $(BUILD)/libegate-kiosk.a and its objects in $(BUILD)/kiosk/,
# $(BUILD)/bin/egate-agent and egate-gallery, host tests in $(BUILD)/tests/,
# tests that need the VM (vivid camera, lane driver) in $(BUILD)/vmtests/.

ifndef BUILD
$(error BUILD=<absolute build directory> is required)
endif

TOP		:= $(abspath ..)
CC		?= cc
PKGS		:= libudev libv4l2 libv4lconvert sqlite3 liburing libsystemd libsodium \
		   libnl-genl-3.0
PKG_CFLAGS	:= $(shell pkg-config --cflags $(PKGS))
PKG_LIBS	:= $(shell pkg-config --libs $(PKGS))

# The warnings of agent/Makefile.  CFLAGS, CPPFLAGS and LDFLAGS given from
# the environment or the command line (a distribution's hardening flags,
# e.g. dpkg-buildflags) come after the project's own: they are kept, and
# they win.
WARN		:= -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes \
		   -Wstrict-prototypes
OPT		:= -O2
ifeq ($(SANITIZE),1)
OPT		:= -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=all
LDOPT		:= -fsanitize=address,undefined
endif
ALL_CFLAGS	:= -std=gnu11 -g $(OPT) $(WARN) -D_GNU_SOURCE -MMD -MP \
		   -Iconf -Istore -Icapture -Iface -Idaemon -Iuring -Ireference -Ipad -Ipad/sim -I$(TOP)/include \
		   $(PKG_CFLAGS) $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS	:= $(LDOPT) $(LDFLAGS)

# The face engine, built by agent/Makefile, and what it links with.
FACE_LIB	:= $(BUILD)/lib/libegate-face.a
FACE_LIBS	:= $(FACE_LIB) $(shell pkg-config --libs json-c libjpeg libpng libopenjp2) \
		   $(or $(shell pkg-config --libs openblas 2>/dev/null),-lopenblas) -lm

# uring/ (the URING_CMD helpers, also libegate-uring.a of ctl.mk): the
# daemon sends its lane commands with them.
KIOSK_DIRS	:= conf store capture uring reference pad pad/sim
KIOSK_SRCS	:= $(foreach d,$(KIOSK_DIRS),$(wildcard $(d)/*.c))
KIOSK_OBJS	:= $(patsubst %.c,$(BUILD)/kiosk/%.o,$(KIOSK_SRCS))
KIOSK_LIB	:= $(BUILD)/libegate-kiosk.a

# The daemon: every daemon/*.c but main.c also goes into the host tests.
AGENT_SRCS	:= $(wildcard daemon/*.c)
AGENT_OBJS	:= $(patsubst %.c,$(BUILD)/kiosk/%.o,$(AGENT_SRCS))
AGENT_LIB_OBJS	:= $(filter-out %/main.o,$(AGENT_OBJS))
AGENT		:= $(BUILD)/bin/egate-agent
GALLERY_TOOL	:= $(BUILD)/bin/egate-gallery
AUDIT_TOOL	:= $(BUILD)/bin/egate-audit
# The demo's camera (scripts/demo), made of the VM tests' helpers.
SIM_CAMERA	:= $(BUILD)/bin/egate-sim-camera
ALL_LIBS	:= $(KIOSK_LIB) $(FACE_LIBS) $(PKG_LIBS) -pthread

# tests/agent/*_test.c are host tests, tests/agent/vm_*_test.c need the VM;
# tests/agent/common/*.c are helpers linked into both.
TEST_DIR	:= $(TOP)/tests/agent
TEST_COMMON	:= $(wildcard $(TEST_DIR)/common/*.c)
TEST_COMMON_OBJS := $(patsubst $(TEST_DIR)/%.c,$(BUILD)/kiosk/tests/%.o,$(TEST_COMMON))
VM_TEST_SRCS	:= $(wildcard $(TEST_DIR)/vm_*_test.c)
HOST_TEST_SRCS	:= $(filter-out $(VM_TEST_SRCS),$(wildcard $(TEST_DIR)/*_test.c))
HOST_TESTS	:= $(patsubst $(TEST_DIR)/%.c,$(BUILD)/tests/agent-%,$(HOST_TEST_SRCS))
# The agent's end-to-end tests run the face engine on every frame: sanitised
# and emulated that is some hundred times slower than native, too slow for a
# camera, so the sanitizer build leaves them out (their pieces have host tests).
VM_TEST_NAMES	:= $(patsubst $(TEST_DIR)/vm_%.c,%,$(VM_TEST_SRCS))
ifeq ($(SANITIZE),1)
VM_TEST_NAMES	:= $(filter-out agent_test pad_test,$(VM_TEST_NAMES))
endif
VM_TESTS	:= $(patsubst %,$(BUILD)/vmtests/agent-%,$(VM_TEST_NAMES))
# The VM tests drive the simulated lane with the kernel tests' helpers.
LANE_TEST_DIR	:= $(TOP)/tests/kernel/common
LANE_TEST_OBJS	:= $(BUILD)/kiosk/tests/lane/egate_test.o
# The kselftest harness defines its fixtures' functions without prototypes.
TEST_CFLAGS	:= $(ALL_CFLAGS) -Wno-missing-prototypes -isystem $(TOP)/build/kselftest \
		   -I$(TEST_DIR)/common -I$(LANE_TEST_DIR) -DTEST_DATA_DIR='"$(TEST_DIR)/data"' \
		   -pthread

.PHONY: all bench
.SECONDARY:
all: $(KIOSK_LIB) $(AGENT) $(GALLERY_TOOL) $(AUDIT_TOOL) $(SIM_CAMERA) $(HOST_TESTS) $(VM_TESTS)

# The agent's per-frame pipeline on the host (tests/agent/bench.c), then
# the lane's cycle per traveller with the whole product in the VM
# (tests/agent/cycle_bench.c, emulated).
AGENT_BENCH	:= $(BUILD)/bench/agent-bench
CYCLE_BENCH	:= $(BUILD)/bench/agent-cycle-bench
AUDIT_BENCH	:= $(BUILD)/bench/agent-audit-bench
GALLERY_BENCH	:= $(BUILD)/bench/agent-gallery-bench
PAD_BENCH	:= $(BUILD)/bench/agent-pad-bench
bench: $(AGENT_BENCH) $(AUDIT_BENCH) $(GALLERY_BENCH) $(PAD_BENCH) $(CYCLE_BENCH) all
	EGATE_MODELS=$${EGATE_MODELS:-$(TOP)/build/models/face-api/model} taskset -c 0 $(AGENT_BENCH)
	EGATE_MODELS=$${EGATE_MODELS:-$(TOP)/build/models/face-api/model} $(GALLERY_BENCH)
	taskset -c 0 $(PAD_BENCH)
	taskset -c 0 $(AUDIT_BENCH)
	$(TOP)/scripts/vm-run --kernel 6.12 -- env \
		EGATE_MODELS=$${EGATE_MODELS:-$(TOP)/build/models/face-api/model} $(CYCLE_BENCH)

$(AGENT_BENCH): $(BUILD)/kiosk/tests/bench.o $(TEST_COMMON_OBJS) $(AGENT_LIB_OBJS) $(FACE_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(TEST_COMMON_OBJS) $(AGENT_LIB_OBJS) $(ALL_LIBS)

$(GALLERY_BENCH): $(BUILD)/kiosk/tests/gallery_bench.o $(TEST_COMMON_OBJS) $(AGENT_LIB_OBJS) \
		$(KIOSK_LIB) $(FACE_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(TEST_COMMON_OBJS) $(AGENT_LIB_OBJS) $(ALL_LIBS)

# PAD in the decision (tests/agent/pad_bench.c): synthetic, no models needed.
$(PAD_BENCH): $(BUILD)/kiosk/tests/pad_bench.o $(AGENT_LIB_OBJS) $(KIOSK_LIB) $(FACE_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(AGENT_LIB_OBJS) $(ALL_LIBS)

$(AUDIT_BENCH): $(BUILD)/kiosk/tests/audit_bench.o $(TEST_COMMON_OBJS) $(KIOSK_LIB) $(FACE_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(TEST_COMMON_OBJS) $(ALL_LIBS)

# It runs the agent and the tool: it finds them in $(BUILD)/bin, beside it.
$(CYCLE_BENCH): $(BUILD)/kiosk/tests/cycle_bench.o $(TEST_COMMON_OBJS) $(LANE_TEST_OBJS) \
		$(KIOSK_LIB) $(FACE_LIB) | $(AGENT) $(GALLERY_TOOL)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(TEST_COMMON_OBJS) $(LANE_TEST_OBJS) $(ALL_LIBS)

$(BUILD)/kiosk/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# kiosk.mk says which objects the library holds: a change rebuilds it.
$(KIOSK_LIB): $(KIOSK_OBJS) kiosk.mk
	@rm -f $@
	$(AR) rcs $@ $(filter %.o,$^)

$(AGENT): $(AGENT_OBJS) $(KIOSK_LIB) $(FACE_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(AGENT_OBJS) $(ALL_LIBS)

$(GALLERY_TOOL): $(BUILD)/kiosk/tools/egate-gallery.o $(BUILD)/kiosk/tools/portrait.o \
		$(KIOSK_LIB) $(FACE_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(ALL_LIBS)

$(AUDIT_TOOL): $(BUILD)/kiosk/tools/egate-audit.o $(KIOSK_LIB) $(FACE_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(ALL_LIBS)

$(SIM_CAMERA): $(BUILD)/kiosk/tests/sim-camera.o $(TEST_COMMON_OBJS) $(KIOSK_LIB) $(FACE_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(TEST_COMMON_OBJS) $(ALL_LIBS)

# vm_pad_test plays presentations of its enrolled traveller rendered here,
# on the host, by the simulated camera (the emulated VM would take minutes
# over them): the first PAD_SEQ_FRAMES frames of each, in
# $(BUILD)/vmtests/pad-seq/KIND/.  Needs the face models (make deps).
PAD_SEQ_FRAMES	:= 10
PAD_SEQ_KINDS	:= bona-fide print-still print
PAD_SEQS	:= $(patsubst %,$(BUILD)/vmtests/pad-seq/%/000.rgb,$(PAD_SEQ_KINDS))
PAD_SEQ_MODELS	= $${EGATE_MODELS:-$(TOP)/build/models/face-api/model}
ifneq ($(SANITIZE),1)
all: $(PAD_SEQS)
endif
$(BUILD)/vmtests/pad-seq/%/000.rgb: $(SIM_CAMERA)
	@rm -rf $(@D) $(@D).tmp && mkdir -p $(dir $(@D))
	EGATE_MODELS=$(PAD_SEQ_MODELS) $(SIM_CAMERA) render-seq --frames $(PAD_SEQ_FRAMES) \
		$(@D).tmp $* $(PAD_SEQ_MODELS)/../demo/sample2.jpg 0 1
	@mv $(@D).tmp $(@D)

$(BUILD)/kiosk/tests/%.o: $(TEST_DIR)/%.c
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -c -o $@ $<

$(BUILD)/kiosk/tests/lane/%.o: $(LANE_TEST_DIR)/%.c
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -c -o $@ $<

$(BUILD)/tests/agent-%: $(BUILD)/kiosk/tests/%.o $(TEST_COMMON_OBJS) $(AGENT_LIB_OBJS) \
		$(KIOSK_LIB) $(FACE_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(TEST_COMMON_OBJS) $(AGENT_LIB_OBJS) $(ALL_LIBS)

# VM tests run the daemon and the tool: they find them beside themselves.
$(BUILD)/vmtests/agent-%: $(BUILD)/kiosk/tests/vm_%.o $(TEST_COMMON_OBJS) $(LANE_TEST_OBJS) \
		$(KIOSK_LIB) $(FACE_LIB) | $(AGENT) $(GALLERY_TOOL)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(TEST_COMMON_OBJS) $(LANE_TEST_OBJS) $(ALL_LIBS)

-include $(KIOSK_OBJS:.o=.d) $(AGENT_OBJS:.o=.d) $(TEST_COMMON_OBJS:.o=.d) \
	$(BUILD)/kiosk/tools/egate-gallery.d $(BUILD)/kiosk/tools/portrait.d \
	$(BUILD)/kiosk/tools/egate-audit.d \
	$(LANE_TEST_OBJS:.o=.d) \
	$(BUILD)/kiosk/tests/sim-camera.d $(BUILD)/kiosk/tests/bench.d \
	$(BUILD)/kiosk/tests/cycle_bench.d $(BUILD)/kiosk/tests/audit_bench.d \
	$(BUILD)/kiosk/tests/gallery_bench.d $(BUILD)/kiosk/tests/pad_bench.d \
	$(patsubst $(TEST_DIR)/%.c,$(BUILD)/kiosk/tests/%.d,$(HOST_TEST_SRCS) $(VM_TEST_SRCS))

# Presentation-attack detection's evaluation on synthetic presentations
# (pad/tools, the generator in pad/sim): make pad-eval [FACES=dir] [DET=png];
# CHECK_RENDER photos also have their sequences rendered and re-detected.
PAD_EVAL	:= $(BUILD)/bin/egate-pad-eval
FACES		?= $(TOP)/../shared/faces
DET		?= $(BUILD)/pad-det.png
CHECK_RENDER	?= 4
all: $(PAD_EVAL)
$(PAD_EVAL): $(BUILD)/kiosk/pad/tools/egate-pad-eval.o $(BUILD)/kiosk/pad/tools/det-png.o \
		$(KIOSK_LIB) $(FACE_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(ALL_LIBS)
.PHONY: pad-eval
pad-eval: $(PAD_EVAL)
	EGATE_MODELS=$${EGATE_MODELS:-$(TOP)/build/models/face-api/model} $(PAD_EVAL) \
		--det $(DET) --check-render $(CHECK_RENDER) $(FACES)
-include $(BUILD)/kiosk/pad/tools/egate-pad-eval.d $(BUILD)/kiosk/pad/tools/det-png.d
