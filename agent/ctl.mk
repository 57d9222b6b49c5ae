# SPDX-License-Identifier: GPL-2.0
#
# ctl.mk - egatectl (lane administration over generic netlink) and the
# agent's io_uring URING_CMD helper library (uring/).  Called by the
# top-level Makefile:
#
#   make -C agent -f ctl.mk BUILD=<abs dir> [SANITIZE=1] [all|bench]
#
# Output: $(BUILD)/bin/egatectl, $(BUILD)/libegate-uring.a, host tests in
# $(BUILD)/tests/ (ctl-*: from tests/ctl/, programs and links to scripts),
# tests needing the VM in $(BUILD)/vmtests/ (none yet), the benchmark in
# $(BUILD)/bench/.

ifndef BUILD
$(error BUILD=<absolute build directory> is required)
endif

TOP		:= $(abspath ..)
CC		?= cc
PKGS		:= libnl-genl-3.0 liburing
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
UAPI_INCLUDE	?= $(TOP)/include
ALL_CFLAGS	:= -std=gnu11 -g $(OPT) $(WARN) -D_GNU_SOURCE -MMD -MP \
		   -I$(UAPI_INCLUDE) -Iuring -Iconf $(PKG_CFLAGS) $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS	:= $(LDOPT) $(LDFLAGS)

URING_LIB	:= $(BUILD)/libegate-uring.a
URING_OBJS	:= $(patsubst %.c,$(BUILD)/ctl/%.o,$(wildcard uring/*.c))
CTL_OBJS	:= $(patsubst %.c,$(BUILD)/ctl/%.o,$(wildcard ctl/*.c))
EGATECTL	:= $(BUILD)/bin/egatectl

# egatectl's end-to-end tests need the lane driver and are kselftests of
# the kernel tree (tests/kernel/egatectl_*.c, built by the top Makefile);
# they run the egatectl built here.
# The kselftest harness defines its fixtures' functions without prototypes.
TEST_CFLAGS	:= $(ALL_CFLAGS) -Wno-missing-prototypes -isystem $(TOP)/build/kselftest \
		   -I$(TOP)/tests/kernel/common -pthread
KTEST_COMMON	:= $(wildcard $(TOP)/tests/kernel/common/*.c)

BENCH		:= $(BUILD)/bench/egate-ctl-bench

# Host tests, tests/ctl/: programs (*_test.c, linked with egatectl's
# objects but main) and scripts (*_test: each finds the build beside its
# link and the tree where the link points).
HOST_TESTS	:= $(patsubst $(TOP)/tests/ctl/%_test.c,$(BUILD)/tests/ctl-%,\
		   $(wildcard $(TOP)/tests/ctl/*_test.c)) \
		   $(patsubst $(TOP)/tests/ctl/%_test,$(BUILD)/tests/ctl-%,\
		   $(wildcard $(TOP)/tests/ctl/*_test))
CTL_LIB_OBJS	:= $(filter-out %/egatectl.o,$(CTL_OBJS))

.PHONY: all bench
.SECONDARY:
all: $(EGATECTL) $(URING_LIB) $(BENCH) $(HOST_TESTS)

$(BUILD)/tests/ctl-%: $(TOP)/tests/ctl/%_test
	@mkdir -p $(@D)
	ln -sf $< $@

$(BUILD)/tests/ctl-%: $(BUILD)/ctl/tests/%_test.o $(CTL_LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/ctl/tests/%.o: $(TOP)/tests/ctl/%.c
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Ictl -c -o $@ $<

$(BUILD)/ctl/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(URING_LIB): $(URING_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(EGATECTL): $(CTL_OBJS) $(URING_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BENCH): ctl/bench/ctl-bench.c $(KTEST_COMMON) $(URING_LIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(KTEST_COMMON) $(URING_LIB) $(PKG_LIBS)

# The benchmark needs the lane driver: it runs in the VM (emulated, TCG).
bench: all
	@$(TOP)/scripts/vm-run --kernel 6.12 -- $(BENCH)

-include $(shell find $(BUILD)/ctl -name '*.d' 2>/dev/null)
