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

PKGS      := libbpf libelf zlib devmapper yajl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# Every library a process links is loaded at its start, which a scan pays each
# time (under emulation, a third of its start went to libraries). libbpf, libelf
# and yajl are linked in, as libbpf-tools and bpftool link libbpf: dmwatch runs
# the libbpf it was built and tested with. zlib stays shared (Debian's rule).
# libdevmapper is opened when a command first needs it (src/collect/dmlib.h): its
# SONAME comes from the library installed here; tests that compare against it link it.
PKG_LIBS  := -Wl,-Bstatic -lbpf -lelf -lyajl_s -Wl,-Bdynamic -lz
DM_LIBDIR := $(shell pkg-config --variable=libdir devmapper 2>/dev/null)
DM_SONAME := $(shell objdump -p $(DM_LIBDIR)/libdevmapper.so 2>/dev/null | awk '$$1 == "SONAME" { print $$2 }')
DM_LIBS   := $(shell pkg-config --libs devmapper 2>/dev/null)

# CFLAGS, CPPFLAGS and LDFLAGS are the builder's (Debian's hardening flags come
# that way). Warnings are errors only where developers and CI ask for it:
# `make check` sets WERROR=1; a release build never fails on a new compiler's warning.
CFLAGS    ?= -g -O2
WERROR    ?=
WARNFLAGS := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	$(if $(filter 1 yes,$(WERROR)),-Werror)
# src/ is grouped by stage; includes name the folder ("model/state.h").
INCLUDES  := -Iinclude -Isrc -I$(OUTPUT)
DM_DEFS   := $(if $(DM_SONAME),-DDMLIB_SONAME='"$(DM_SONAME)"')
ALL_CPPFLAGS := $(CPPFLAGS) -D_GNU_SOURCE -DDMWATCH_VERSION='"$(VERSION)"' $(INCLUDES) $(PKG_CFLAGS) $(DM_DEFS)
ALL_CFLAGS := $(ALL_CPPFLAGS) $(CFLAGS) $(WARNFLAGS) -std=gnu11
# Every object depends on exactly the headers it includes (-MMD writes them down).
DEPFLAGS  := -MMD -MP
LDLIBS    := $(PKG_LIBS) -lm

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))

SRCS      := $(sort $(shell find src -name '*.c'))
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

.PHONY: all clean deps check check-unit check-vm check-schema check-admin-view check-kernels check-serve-load check-prom check-units demo vmlinux bench tools
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

# The one file that includes the skeleton must wait for it on a first build;
# after that -MMD's list has it.
$(OUTPUT)/src/trace/tracer.o: $(SKELS)

$(OUTPUT)/src/%.o: src/%.c
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c $< -o $@

dmwatch: $(OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/tests/unit/%.o: tests/unit/%.c | $(OUTPUT)/tests/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Itests/unit -DFIXTURES='"$(CURDIR)/tests/fixtures"' -c $< -o $@

$(UNIT_BIN): $(UNIT_OBJS) $(LIB_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) $(DM_LIBS) -o $@

$(OUTPUT)/tools/%: tools/%.c $(LIB_OBJS) | $(OUTPUT)/tools
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< $(LIB_OBJS) $(LDLIBS) -o $@

tools: $(TOOL_BINS)

# Regenerate the checked-in vmlinux.h (see vmlinux/README).
vmlinux:
	$(Q)tools/gen-vmlinux.sh $(ARCH)

check-unit: $(UNIT_BIN)
	$(Q)$(UNIT_BIN)

check-vm: dmwatch tools
	$(Q)tools/vm/run-tests.sh

# The JSON contract (docs/): real scan, saved-state and event output validated
# against docs/schema/*.json, and mutated copies that must fail (tests/schema/).
PYTHON     ?= python3
SCHEMA_GEN := $(OUTPUT)/tests/schema/gen-events
$(SCHEMA_GEN): tests/schema/gen-events.c $(LIB_OBJS)
	$(Q)mkdir -p $(@D)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< $(LIB_OBJS) $(LDLIBS) -o $@

# What the admin sees (issue 14): scan, report and trace at 80 columns, piped, on a tty, in tmux
check-admin-view: dmwatch tools
	$(Q)tests/admin/check-admin-view.sh ./dmwatch $(OUTPUT)/tools $(OUTPUT)/admin-view

check-schema: dmwatch tools $(SCHEMA_GEN)
	$(Q)$(PYTHON) tests/schema/check.py --dmwatch ./dmwatch --tools $(OUTPUT)/tools \
		--gen-events $(SCHEMA_GEN) --work $(OUTPUT)/schema

# The kernel matrix (tools/vm/kernels.sh fetches what is missing): the scenarios
# matching SCENARIOS (default: all) on each of KERNELS, one boot per kernel.
# Suites or versions: bullseye (5.10) bookworm (6.1, the machine's) trixie (6.12)
# sid (newest 7.x).
KERNELS   ?= bullseye bookworm trixie sid
SCENARIOS ?=
check-kernels: dmwatch tools
	$(Q)tools/vm/run-matrix.sh "$(KERNELS)" "$(SCENARIOS)"

# What `make check` runs on the oldest and the newest kernel besides every
# scenario on the machine's own: trace, record, scan and clean (what removes
# devices must be right on every kernel).
CHECK_KERNELS   ?= bullseye sid
CHECK_SCENARIOS ?= ^test_(trace_.*|record|scan|clean)$$

# dmwatch serve against hundreds of clients on loopback (a minute; no root, no dm)
check-serve-load: dmwatch tools
	$(Q)tests/load/serve-load.sh

# The shipped Prometheus rules (promtool), the metrics, a real Prometheus scraping
# two `dmwatch serve` and the Grafana dashboard's queries (tests/prometheus/run.sh).
check-prom: dmwatch tools
	$(Q)tests/prometheus/run.sh

# The systemd units: systemd-analyze verify and security scores (tests/units.sh).
check-units:
	$(Q)tests/units.sh

# Unit tests, the JSON contract (check-schema), serve under load, the Prometheus
# rules against a real Prometheus, the systemd units, the unit tests under ASan/UBSan,
# every fuzz target briefly (after replaying the inputs that once crashed), the
# Debian package (its install is a VM scenario), then every VM scenario in one
# boot, then the trace, record, scan and clean scenarios on the oldest and
# newest kernels of the matrix.
CHECK_FUZZ_SECONDS ?= 60
check: export WERROR := 1
check: deps
	$(Q)$(MAKE) all
	$(Q)$(MAKE) check-unit
	$(Q)$(MAKE) check-schema
	$(Q)$(MAKE) check-admin-view
	$(Q)$(MAKE) check-serve-load
	$(Q)$(MAKE) check-asan
	$(Q)$(MAKE) check-prom
	$(Q)$(MAKE) check-units
	$(Q)$(MAKE) fuzz FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS) FUZZ_JOBS=2
	$(Q)$(MAKE) check-corpus
	$(Q)$(MAKE) deb
	$(Q)$(MAKE) check-vm
	$(Q)$(MAKE) check-kernels KERNELS="$(CHECK_KERNELS)" SCENARIOS='$(CHECK_SCENARIOS)'

demo: deps
	$(Q)$(MAKE) all
	$(Q)tools/vm/run.sh tests/vm/demo.sh

bench: deps
	$(Q)$(MAKE) all
	$(Q)tools/bench.sh

# make install [DESTDIR=...] [PREFIX=/usr]: the binary, man page, bash completion,
# systemd units (their ExecStart follows SBINDIR), /etc/default/dmwatch (never
# overwritten), the contract (docs/, its JSON Schemas in DOCDIR/schema), the
# Prometheus rules and the Grafana dashboard in $(DATADIR)/dmwatch. PREFIX=/usr puts
# units in /lib/systemd/system, as Debian 12 does.
PREFIX         ?= /usr
SBINDIR        ?= $(PREFIX)/sbin
MANDIR         ?= $(PREFIX)/share/man
DOCDIR         ?= $(PREFIX)/share/doc/dmwatch
BASHCOMPDIR    ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
SYSCONFDIR     ?= /etc
DATADIR        ?= $(PREFIX)/share
INSTALL        ?= install
UNITS          := $(wildcard dist/systemd/*.service dist/systemd/*.timer)

.PHONY: install deb
install: dmwatch
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSCONFDIR)/default $(DESTDIR)$(DOCDIR)/schema \
		$(DESTDIR)$(DATADIR)/dmwatch/prometheus $(DESTDIR)$(DATADIR)/dmwatch/grafana
	$(Q)$(INSTALL) -m 0755 dmwatch $(DESTDIR)$(SBINDIR)/dmwatch
	$(Q)$(INSTALL) -m 0644 dist/man/dmwatch.8 $(DESTDIR)$(MANDIR)/man8/dmwatch.8
	$(Q)$(INSTALL) -m 0644 dist/bash-completion/dmwatch $(DESTDIR)$(BASHCOMPDIR)/dmwatch
	$(Q)$(INSTALL) -m 0644 docs/*.md $(DESTDIR)$(DOCDIR)/
	$(Q)$(INSTALL) -m 0644 docs/schema/*.schema.json $(DESTDIR)$(DOCDIR)/schema/
	$(Q)$(INSTALL) -m 0644 dist/prometheus/dmwatch.rules.yml $(DESTDIR)$(DATADIR)/dmwatch/prometheus/
	$(Q)$(INSTALL) -m 0644 dist/grafana/dmwatch.json $(DESTDIR)$(DATADIR)/dmwatch/grafana/
	$(Q)for u in $(UNITS); do \
		sed 's|/usr/sbin/dmwatch|$(SBINDIR)/dmwatch|g' $$u > $(DESTDIR)$(SYSTEMDUNITDIR)/$${u##*/} && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$${u##*/} || exit 1; \
	done
	$(Q)[ -e $(DESTDIR)$(SYSCONFDIR)/default/dmwatch ] || \
		$(INSTALL) -m 0644 dist/systemd/dmwatch.default $(DESTDIR)$(SYSCONFDIR)/default/dmwatch

# make deb: dpkg-buildpackage -b on a copy of this tree in $(OUTPUT)/deb, because it
# writes the .deb next to the source tree and its clean step runs `make clean`.
# Needs dpkg-dev and debhelper; DEB_BUILD_OPTIONS=nocheck skips the unit tests.
DEB_DIR := $(OUTPUT)/deb
deb:
	$(call msg,DEB,$(DEB_DIR))
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src
	$(Q)tar -cf - --anchored --exclude=./.output --exclude=./.git --exclude=./dmwatch \
		--exclude=./debian/dmwatch --exclude=./debian/.debhelper . | tar -xf - -C $(DEB_DIR)/src
	$(Q)cd $(DEB_DIR)/src && dpkg-buildpackage -b -us -uc > ../build.log 2>&1 || \
		{ tail -n 30 ../build.log; echo "deb: failed, full log in $(DEB_DIR)/build.log"; exit 1; }
	$(Q)ls $(DEB_DIR)/*.deb

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf $(OUTPUT) dmwatch

# ---- fuzzing and sanitizer builds (tests/fuzz/README.md) ----
# Both compile src/ again, with clang and their own flags, into their own folders
# under $(OUTPUT): sanitizer objects never mix with the normal ones. Each links a
# static archive, so a binary pulls in only the modules it calls.
#
# make fuzz [FUZZ_SECONDS=60] [FUZZ_JOBS=1] [FUZZ_TARGETS="fuzz_state ..."]
#   replays tests/fuzz/crashes/ and the seed corpora, then runs every libFuzzer
#   target for FUZZ_SECONDS; fails on any crash, leak, sanitizer report or timeout.
#   The BPF side (tracer.c trace.c record.c) and main.c are not part of it.
# make check-asan
#   the unit tests built with -fsanitize=address,undefined, run.
FUZZ_SECONDS  ?= 60
FUZZ_JOBS     ?= 1
FUZZ_TARGETS  ?=
FUZZ_OUT      := $(OUTPUT)/fuzz
SAN_WARN      := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
SAN_CFLAGS    := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined $(SAN_WARN) \
	-std=gnu11 -D_GNU_SOURCE -DDMWATCH_VERSION='"$(VERSION)"' $(INCLUDES) $(PKG_CFLAGS) $(DM_DEFS)
FUZZ_CFLAGS   := $(SAN_CFLAGS) -fsanitize=fuzzer-no-link
FUZZ_LIB_SRCS := $(filter-out src/main.c src/trace/tracer.c src/cmd/trace.c src/cmd/record.c,$(SRCS))
FUZZ_LIB_OBJS := $(patsubst src/%.c,$(FUZZ_OUT)/src/%.o,$(FUZZ_LIB_SRCS))
FUZZ_BINS     := $(patsubst tests/fuzz/%.c,$(FUZZ_OUT)/%,$(wildcard tests/fuzz/fuzz_*.c))

.PHONY: fuzz fuzz-build check-asan check-corpus

$(FUZZ_OUT)/src/%.o: src/%.c
	$(Q)mkdir -p $(@D)
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(FUZZ_OUT)/libdmwatch.a: $(FUZZ_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(FUZZ_OUT)/libdmwatch.a
	$(call msg,FUZZER,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -Werror -fsanitize=fuzzer $< $(FUZZ_OUT)/libdmwatch.a \
		$(LDLIBS) $(DM_LIBS) -o $@

fuzz-build: $(FUZZ_BINS)

# The checked-in seeds are what tests/fuzz/gen-corpus.py makes of today's fixtures
# (plus its kept-* ones): a fixture added or renamed without regenerating fails here.
check-corpus: $(FUZZ_OUT)/libdmwatch.a tools
	$(Q)tmp=$$(mktemp -d) && cp -r tests/fuzz/corpus "$$tmp/" && \
	GEN_CORPUS_OUT="$$tmp/corpus" tests/fuzz/gen-corpus.py $(FUZZ_OUT) > /dev/null && \
	if diff -r tests/fuzz/corpus "$$tmp/corpus"; then \
		rm -rf "$$tmp"; echo "check-corpus: the seeds are what gen-corpus.py makes"; \
	else \
		rm -rf "$$tmp"; echo "check-corpus: tests/fuzz/corpus is out of date: run tests/fuzz/gen-corpus.py" >&2; exit 1; \
	fi

fuzz: $(FUZZ_BINS)
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) tests/fuzz/run.sh $(FUZZ_OUT) $(FUZZ_TARGETS)

ASAN_OUT      := $(OUTPUT)/asan
ASAN_CFLAGS   := $(SAN_CFLAGS) -fno-sanitize-recover=all
ASAN_LIB_OBJS := $(patsubst src/%.c,$(ASAN_OUT)/src/%.o,$(filter-out src/main.c,$(SRCS)))
ASAN_UNIT_OBJS := $(patsubst tests/unit/%.c,$(ASAN_OUT)/tests/unit/%.o,$(UNIT_SRCS))

$(ASAN_OUT)/src/trace/tracer.o: $(SKELS)

$(ASAN_OUT)/src/%.o: src/%.c
	$(Q)mkdir -p $(@D)
	$(call msg,CC-ASAN,$@)
	$(Q)$(CLANG) $(ASAN_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(ASAN_OUT)/tests/unit/%.o: tests/unit/%.c
	$(Q)mkdir -p $(@D)
	$(call msg,CC-ASAN,$@)
	$(Q)$(CLANG) $(ASAN_CFLAGS) $(DEPFLAGS) -Itests/unit -DFIXTURES='"$(CURDIR)/tests/fixtures"' -c $< -o $@

$(ASAN_OUT)/libdmwatch.a: $(ASAN_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(ASAN_OUT)/unit-tests: $(ASAN_UNIT_OBJS) $(ASAN_OUT)/libdmwatch.a
	$(call msg,BINARY,$@)
	$(Q)$(CLANG) $(ASAN_CFLAGS) $(ASAN_UNIT_OBJS) $(ASAN_OUT)/libdmwatch.a $(LDLIBS) $(DM_LIBS) -o $@

check-asan: $(ASAN_OUT)/unit-tests
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$(ASAN_OUT)/unit-tests

# The header lists -MMD wrote (none on a first build: then everything compiles anyway).
-include $(shell find $(OUTPUT) -path $(OUTPUT)/vm -prune -o -type f -name '*.d' -print 2>/dev/null)
