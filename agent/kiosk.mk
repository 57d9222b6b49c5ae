# SPDX-License-Identifier: GPL-2.0
#
# kiosk.mk - the kiosk agent's libraries (camera capture, gallery and audit
# store, configuration) and their tests.  Called by the top-level Makefile:
#
#   make -C agent -f kiosk.mk BUILD=<abs dir> [SANITIZE=1] [all|bench]
#
# Output: $(BUILD)/libegate-kiosk.a and its objects in $(BUILD)/kiosk/,
# host tests in $(BUILD)/tests/, tests that need the VM (vivid camera) in
# $(BUILD)/vmtests/.

ifndef BUILD
$(error BUILD=<absolute build directory> is required)
endif

TOP		:= $(abspath ..)
CC		?= cc
PKGS		:= libudev libv4l2 libv4lconvert sqlite3
PKG_CFLAGS	:= $(shell pkg-config --cflags $(PKGS))
PKG_LIBS	:= $(shell pkg-config --libs $(PKGS))

CFLAGS		:= -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE
ifeq ($(SANITIZE),1)
CFLAGS		+= -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=all
LDFLAGS		+= -fsanitize=address,undefined
endif
CFLAGS		+= -MMD -MP -Iconf -Istore -Icapture $(PKG_CFLAGS)

KIOSK_DIRS	:= conf store capture
KIOSK_SRCS	:= $(foreach d,$(KIOSK_DIRS),$(wildcard $(d)/*.c))
KIOSK_OBJS	:= $(patsubst %.c,$(BUILD)/kiosk/%.o,$(KIOSK_SRCS))
KIOSK_LIB	:= $(BUILD)/libegate-kiosk.a

# tests/agent/*_test.c are host tests, tests/agent/vm_*_test.c need the VM;
# tests/agent/common/*.c are helpers linked into both.
TEST_DIR	:= $(TOP)/tests/agent
TEST_COMMON	:= $(wildcard $(TEST_DIR)/common/*.c)
TEST_COMMON_OBJS := $(patsubst $(TEST_DIR)/%.c,$(BUILD)/kiosk/tests/%.o,$(TEST_COMMON))
VM_TEST_SRCS	:= $(wildcard $(TEST_DIR)/vm_*_test.c)
HOST_TEST_SRCS	:= $(filter-out $(VM_TEST_SRCS),$(wildcard $(TEST_DIR)/*_test.c))
HOST_TESTS	:= $(patsubst $(TEST_DIR)/%.c,$(BUILD)/tests/agent-%,$(HOST_TEST_SRCS))
VM_TESTS	:= $(patsubst $(TEST_DIR)/vm_%.c,$(BUILD)/vmtests/agent-%,$(VM_TEST_SRCS))
TEST_CFLAGS	:= $(CFLAGS) -isystem $(TOP)/build/kselftest -I$(TEST_DIR)/common -pthread

.PHONY: all bench
.SECONDARY:
all: $(KIOSK_LIB) $(HOST_TESTS) $(VM_TESTS)

# Benchmarks of the kiosk pieces come with the agent's loop; nothing yet.
bench:
	@true

$(BUILD)/kiosk/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(KIOSK_LIB): $(KIOSK_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/kiosk/tests/%.o: $(TEST_DIR)/%.c
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -c -o $@ $<

$(BUILD)/tests/agent-%: $(BUILD)/kiosk/tests/%.o $(TEST_COMMON_OBJS) $(KIOSK_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/vmtests/agent-%: $(BUILD)/kiosk/tests/vm_%.o $(TEST_COMMON_OBJS) $(KIOSK_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(PKG_LIBS) -lm

-include $(KIOSK_OBJS:.o=.d) $(TEST_COMMON_OBJS:.o=.d) \
	$(patsubst $(TEST_DIR)/%.c,$(BUILD)/kiosk/tests/%.d,$(HOST_TEST_SRCS) $(VM_TEST_SRCS))
