# SPDX-License-Identifier: GPL-2.0
#
# sync.mk - the fleet (Documentation/fleet.md): egate-sync, the lane's link
# to the central PostgreSQL store (sync/), egate-central, the centre's tool
# (../central/, with its SQL migrations in ../central/sql), and their tests
# against a real PostgreSQL (../tests/fleet).  Called by the top-level
# Makefile after kiosk.mk, whose library (the store, the configuration) it
# links:
#
#   make -C agent -f sync.mk BUILD=<abs dir> [SANITIZE=1]
#
# Output: $(BUILD)/bin/egate-sync and egate-central, host tests
# $(BUILD)/tests/fleet-*.

ifndef BUILD
$(error BUILD=<absolute build directory> is required)
endif

TOP		:= $(abspath ..)
CC		?= cc
PKGS		:= libudev libv4l2 libv4lconvert sqlite3 liburing libsystemd libsodium libpq \
		   libnl-genl-3.0
PKG_CFLAGS	:= $(shell pkg-config --cflags $(PKGS))
PKG_LIBS	:= $(shell pkg-config --libs $(PKGS))

# The warnings and sanitizers of kiosk.mk.
WARN		:= -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes \
		   -Wstrict-prototypes
OPT		:= -O2
ifeq ($(SANITIZE),1)
OPT		:= -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=all
LDOPT		:= -fsanitize=address,undefined
endif
# Where egate-central finds the migrations unless told (--sql DIR).
SQL_DIR		?= $(TOP)/central/sql
ALL_CFLAGS	:= -std=gnu11 -g $(OPT) $(WARN) -D_GNU_SOURCE -MMD -MP \
		   -Iconf -Istore -Iface -Isync -I$(TOP)/include \
		   -DEGATE_CENTRAL_SQL_DIR='"$(SQL_DIR)"' $(PKG_CFLAGS) $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS	:= $(LDOPT) $(LDFLAGS)

KIOSK_LIB	:= $(BUILD)/libegate-kiosk.a
FACE_LIB	:= $(BUILD)/lib/libegate-face.a
FACE_LIBS	:= $(FACE_LIB) $(shell pkg-config --libs json-c libjpeg libpng libopenjp2) \
		   $(or $(shell pkg-config --libs openblas 2>/dev/null),-lopenblas) -lm
ALL_LIBS	:= $(KIOSK_LIB) $(FACE_LIBS) $(PKG_LIBS) -pthread

PG_OBJ		:= $(BUILD)/sync/sync/pg.o
SYNC_OBJS	:= $(patsubst %.c,$(BUILD)/sync/%.o,$(wildcard sync/*.c))
CENTRAL_OBJS	:= $(patsubst $(TOP)/%.c,$(BUILD)/sync/%.o,$(wildcard $(TOP)/central/*.c))
SYNC		:= $(BUILD)/bin/egate-sync
CENTRAL		:= $(BUILD)/bin/egate-central

# The agent's decision path, as kiosk.mk built it: the tests follow a
# flagged traveller from the centre to the lane's verdict.
AGENT_LIB_OBJS	:= $(patsubst %.c,$(BUILD)/kiosk/%.o,$(filter-out daemon/main.c,\
		   $(wildcard daemon/*.c)))

TEST_DIR	:= $(TOP)/tests/fleet
TEST_COMMON	:= $(wildcard $(TOP)/tests/agent/common/*.c $(TEST_DIR)/common/*.c)
TEST_COMMON_OBJS := $(patsubst $(TOP)/%.c,$(BUILD)/sync/%.o,$(TEST_COMMON))
TESTS		:= $(patsubst $(TEST_DIR)/%_test.c,$(BUILD)/tests/fleet-%,\
		   $(wildcard $(TEST_DIR)/*_test.c))
TEST_CFLAGS	:= $(ALL_CFLAGS) -Wno-missing-prototypes -isystem $(TOP)/build/kselftest \
		   -I$(TOP)/tests/agent/common -I$(TEST_DIR)/common -Idaemon -Icapture \
		   -Iuring -Ireference -Ipad -Ipad/sim \
		   -DTEST_CENTRAL_DIR='"$(TOP)/central"' -pthread

.PHONY: all bench
.SECONDARY:
all: $(SYNC) $(CENTRAL) $(TESTS)

# The centre under a fleet (tests/fleet/fleet_bench.c; FLEET_BENCH_* sizes).
FLEET_BENCH	:= $(BUILD)/bench/fleet-bench
bench: $(FLEET_BENCH) all
	$(FLEET_BENCH)

$(FLEET_BENCH): $(BUILD)/sync/tests/fleet/fleet_bench.o $(TEST_COMMON_OBJS) $(PG_OBJ) \
		$(KIOSK_LIB) $(FACE_LIB) | $(SYNC) $(CENTRAL)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(TEST_COMMON_OBJS) $(PG_OBJ) $(ALL_LIBS)

$(BUILD)/sync/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/sync/central/%.o: $(TOP)/central/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/sync/tests/%.o: $(TOP)/tests/%.c
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -c -o $@ $<

$(SYNC): $(SYNC_OBJS) $(KIOSK_LIB) $(FACE_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(SYNC_OBJS) $(ALL_LIBS)

$(CENTRAL): $(CENTRAL_OBJS) $(PG_OBJ) $(KIOSK_LIB) $(FACE_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CENTRAL_OBJS) $(PG_OBJ) $(ALL_LIBS)

# The tests run both programs: they find them beside themselves ($(BUILD)/bin).
$(BUILD)/tests/fleet-%: $(BUILD)/sync/tests/fleet/%_test.o $(TEST_COMMON_OBJS) $(PG_OBJ) \
		$(AGENT_LIB_OBJS) $(KIOSK_LIB) $(FACE_LIB) | $(SYNC) $(CENTRAL)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(TEST_COMMON_OBJS) $(PG_OBJ) $(AGENT_LIB_OBJS) $(ALL_LIBS)

-include $(SYNC_OBJS:.o=.d) $(CENTRAL_OBJS:.o=.d) $(TEST_COMMON_OBJS:.o=.d) \
	$(patsubst $(TEST_DIR)/%.c,$(BUILD)/sync/tests/fleet/%.d,$(wildcard $(TEST_DIR)/*_test.c)) \
	$(BUILD)/sync/tests/fleet/fleet_bench.d
