# SPDX-License-Identifier: GPL-2.0
#
# ctl.mk - egatectl (lane administration over generic netlink) and the
# agent's io_uring URING_CMD helper library (uring/).  Called by the
# top-level Makefile:
#
#   make -C agent -f ctl.mk BUILD=<abs dir> [SANITIZE=1] [all|bench]
#
# Output: $(BUILD)/bin/egatectl, $(BUILD)/libegate-uring.a, host tests in
# $(BUILD)/tests/ (none yet), tests needing the VM in
# $(BUILD)/vmtests/ (none yet), the benchmark in $(BUILD)/bench/.

ifndef BUILD
$(error BUILD=<absolute build directory> is required)
endif

TOP		:= $(abspath ..)
CC		?= cc
PKGS		:= libnl-genl-3.0 liburing
PKG_CFLAGS	:= $(shell pkg-config --cflags $(PKGS))
PKG_LIBS	:= $(shell pkg-config --libs $(PKGS))

CFLAGS		:= -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE
ifeq ($(SANITIZE),1)
CFLAGS		+= -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=all
LDFLAGS		+= -fsanitize=address,undefined
endif
UAPI_INCLUDE	?= $(TOP)/include
CFLAGS		+= -MMD -MP -I$(UAPI_INCLUDE) -Iuring -Iconf $(PKG_CFLAGS)

URING_LIB	:= $(BUILD)/libegate-uring.a
URING_OBJS	:= $(patsubst %.c,$(BUILD)/ctl/%.o,$(wildcard uring/*.c))
CTL_OBJS	:= $(patsubst %.c,$(BUILD)/ctl/%.o,$(wildcard ctl/*.c))
EGATECTL	:= $(BUILD)/bin/egatectl

# egatectl's end-to-end tests need the lane driver and are kselftests of
# the kernel tree (tests/kernel/egatectl_*.c, built by the top Makefile);
# they run the egatectl built here.
TEST_CFLAGS	:= $(CFLAGS) -isystem $(TOP)/build/kselftest -I$(TOP)/tests/kernel/common -pthread
KTEST_COMMON	:= $(wildcard $(TOP)/tests/kernel/common/*.c)

BENCH		:= $(BUILD)/bench/egate-ctl-bench

.PHONY: all bench
.SECONDARY:
all: $(EGATECTL) $(URING_LIB) $(BENCH)

$(BUILD)/ctl/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(URING_LIB): $(URING_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(EGATECTL): $(CTL_OBJS) $(URING_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BENCH): ctl/bench/ctl-bench.c $(KTEST_COMMON) $(URING_LIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(LDFLAGS) -o $@ $< $(KTEST_COMMON) $(URING_LIB) $(PKG_LIBS)

# The benchmark needs the lane driver: it runs in the VM (emulated, TCG).
bench: all
	@$(TOP)/scripts/vm-run --kernel 6.12 -- $(BENCH)

-include $(shell find $(BUILD)/ctl -name '*.d' 2>/dev/null)
