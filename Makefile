# SPDX-License-Identifier: GPL-2.0
#
# dmwatch build: bpf/*.bpf.c -> .output/*.bpf.o -> .output/*.skel.h -> ./dmwatch
# `make V=1` shows the commands. Nothing here needs root or a dm-capable kernel:
# the BPF side compiles against the checked-in vmlinux/$(ARCH)/vmlinux.h.

OUTPUT    := .output
CLANG     ?= clang
BPFTOOL   ?= bpftool
CC        ?= cc
ARCH      ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VERSION   := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
VMLINUX   := vmlinux/$(ARCH)/vmlinux.h

PKGS      := libbpf libelf zlib devmapper json-c
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS    ?= -g -O2
WARNFLAGS := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
ALL_CFLAGS := $(CFLAGS) $(WARNFLAGS) -std=gnu11 -D_GNU_SOURCE \
	-DDMWATCH_VERSION='"$(VERSION)"' -Iinclude -I$(OUTPUT) $(PKG_CFLAGS)
LDLIBS    := $(PKG_LIBS) -lm

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))

SRCS      := $(wildcard src/*.c)
OBJS      := $(patsubst src/%.c,$(OUTPUT)/src/%.o,$(SRCS))
LIB_OBJS  := $(filter-out $(OUTPUT)/src/main.o,$(OBJS))

UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/unit/%.o,$(UNIT_SRCS))
UNIT_BIN  := $(OUTPUT)/unit-tests

TOOL_SRCS := $(wildcard tools/*.c)
TOOL_BINS := $(patsubst tools/%.c,$(OUTPUT)/tools/%,$(TOOL_SRCS))

ifeq ($(V),1)
	Q =
	msg =
else
	Q = @
	msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
	MAKEFLAGS += --no-print-directory
endif

.PHONY: all clean deps check check-unit check-vm demo vmlinux bench tools
.DELETE_ON_ERROR:
.SECONDARY:

all: dmwatch tools

# Install what the build, the VM and the tests need (Debian packages); says what.
deps:
	$(Q)tools/deps.sh

$(OUTPUT) $(OUTPUT)/src $(OUTPUT)/tests/unit $(OUTPUT)/tools:
	$(Q)mkdir -p $@

# BPF objects: one per bpf/*.bpf.c, compiled once for the target arch, CO-RE.
$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(wildcard include/*.h) $(VMLINUX) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
		-Iinclude -Ivmlinux/$(ARCH) -Ibpf -c $< -o $(patsubst %.bpf.o,%.tmp.bpf.o,$@)
	$(Q)$(BPFTOOL) gen object $@ $(patsubst %.bpf.o,%.tmp.bpf.o,$@)
	$(Q)rm -f $(patsubst %.bpf.o,%.tmp.bpf.o,$@)

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o | $(OUTPUT)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(OUTPUT)/src/%.o: src/%.c $(wildcard src/*.h) $(wildcard include/*.h) $(SKELS) | $(OUTPUT)/src
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

dmwatch: $(OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/tests/unit/%.o: tests/unit/%.c $(wildcard tests/unit/*.h) $(wildcard src/*.h) $(wildcard include/*.h) | $(OUTPUT)/tests/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Isrc -Itests/unit -DFIXTURES='"$(CURDIR)/tests/fixtures"' -c $< -o $@

$(UNIT_BIN): $(UNIT_OBJS) $(LIB_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/tools/%: tools/%.c $(LIB_OBJS) | $(OUTPUT)/tools
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Isrc $< $(LIB_OBJS) $(LDLIBS) -o $@

tools: $(TOOL_BINS)

# Regenerate the checked-in vmlinux.h (see vmlinux/README).
vmlinux:
	$(Q)tools/gen-vmlinux.sh $(ARCH)

check-unit: $(UNIT_BIN)
	$(Q)$(UNIT_BIN)

check-vm: dmwatch tools
	$(Q)tools/vm/run-tests.sh

check: deps
	$(Q)$(MAKE) all
	$(Q)$(MAKE) check-unit
	$(Q)$(MAKE) check-vm

demo: deps
	$(Q)$(MAKE) all
	$(Q)tools/vm/run.sh tests/vm/demo.sh

bench: deps
	$(Q)$(MAKE) all
	$(Q)tools/bench.sh

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf $(OUTPUT) dmwatch
