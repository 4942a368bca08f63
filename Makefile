# stmm-emu — see README.md.  `make` builds every program into build/; `make check` runs
# every test; `make SANITIZE=1 check` does both under ASan+UBSan in build-san/.

CC ?= cc
PKGS := openssl sqlite3 glib-2.0 gio-2.0 json-glib-1.0
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS))
CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

ifeq ($(SANITIZE),1)
BUILD ?= build-san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT := -O1 -g
else
BUILD ?= build
SAN_FLAGS :=
OPT := -O2 -g
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
# --version: `git describe` when built from a git tree, else lib/version.h's constant alone.
GIT_DESCRIBE := $(shell git describe --tags --always --dirty 2>/dev/null)
VERSION_DEF := $(if $(GIT_DESCRIBE),-DSTMM_EMU_GIT_DESCRIBE=\"$(GIT_DESCRIBE)\")
CFLAGS_ALL := -std=c11 -D_GNU_SOURCE -DG_LOG_USE_STRUCTURED=1 $(OPT) $(WARN) $(SAN_FLAGS) \
	-Iinclude -Ilib $(VERSION_DEF) $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS_ALL := $(SAN_FLAGS) $(LDFLAGS)
LIBS := $(PKG_LIBS) -lpthread

# ---- shared library code -------------------------------------------------------------
LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB_PIC_OBJS := $(LIB_SRCS:%.c=$(BUILD)/pic/%.o)
LIBA := $(BUILD)/libstmmemu.a

# ---- programs: <dir> -> binary; main.c plus one file per concern ----------------------
PROG_rpmb := rpmbd
PROG_supplicant := supplicantd
PROG_stmm := stmmd
PROG_emu := stmm-emu
PROG_DIRS := rpmb supplicant stmm emu

# ---- rooms: each program is its top folder plus one sub-folder per concern -------------
# A room sees its own headers and those of the rooms below it, never those above, so a
# layer cannot reach up: StMM (stmm/mm) does not see OP-TEE's core (stmm/optee); the MM
# client (emu/client) sees neither the supervisor nor the conformance suite.
ROOMS_rpmb := rpmb
ROOMS_supplicant := supplicant
ROOMS_stmm := stmm stmm/optee stmm/mm
ROOMS_emu := emu emu/conform emu/scenario emu/stack emu/client emu/efivarfs
ROOM_INC_stmm/mm := -Istmm/mm
ROOM_INC_stmm/optee := -Istmm/optee $(ROOM_INC_stmm/mm)
ROOM_INC_emu/client := -Iemu/client
ROOM_INC_emu/stack := -Iemu/stack $(ROOM_INC_emu/client)
ROOM_INC_emu/conform := -Iemu/conform $(ROOM_INC_emu/stack)
ROOM_INC_emu/scenario := -Iemu/scenario
# The efivarfs FUSE mount (issue 13): libfuse3 for this room and stmm-emu's link only.
FUSE_CFLAGS := $(shell pkg-config --cflags fuse3 2>/dev/null)
FUSE_LIBS := $(shell pkg-config --libs fuse3 2>/dev/null || echo -lfuse3)
ROOM_INC_emu/efivarfs := -Iemu/efivarfs $(ROOM_INC_emu/client) $(FUSE_CFLAGS)
LIBS_emu := $(FUSE_LIBS)
$(foreach d,$(PROG_DIRS),$(eval ROOM_INC_$(d) := $(addprefix -I,$(ROOMS_$(d)))))
prog_srcs = $(foreach r,$(ROOMS_$(1)),$(wildcard $(r)/*.c))
room_inc = $(ROOM_INC_$(patsubst %/,%,$(dir $(1))))

# Objects of a program except main.o (what unit tests link against).
mod_objs = $(patsubst %.c,$(BUILD)/%.o,$(filter-out $(1)/main.c,$(call prog_srcs,$(1))))
PROGRAMS := $(foreach d,$(PROG_DIRS),$(if $(wildcard $(d)/main.c),$(BUILD)/$(PROG_$(d))))

# ---- the RPMB ioctl shim (LD_PRELOAD) -------------------------------------------------
SHIM_SRCS := $(wildcard rpmb/shim/*.c)
SHIM := $(if $(SHIM_SRCS),$(BUILD)/librpmb-shim.so)
# ---- the TEE device shim (LD_PRELOAD; stmm/shim: the normal-world face of stmmd's tee socket)
TEESHIM_SRCS := $(wildcard stmm/shim/*.c)
SHIM += $(if $(TEESHIM_SRCS),$(BUILD)/libtee-shim.so)
# What both shims share: the interposed libc entry points (not in lib/*.c: it defines
# open()) and small helpers.
SHIM_COMMON_SRCS := lib/shim/shim_interpose.c lib/shim/shim_common.c

# ---- tests: tests/unit/test_<dir>_<what>.c links <dir>'s modules ----------------------
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
test_dir = $(word 2,$(subst _, ,$(notdir $(1))))
# Tests that also drive another program's modules (e.g. the RPMB client against rpmbd's device).
TEST_ALSO_test_stmm_rpmb_client := rpmb
TEST_ALSO_test_stmm_rpmb_fs := rpmb
TEST_ALSO_test_stmm_rpmb_route := rpmb
SYSTEM_TESTS := $(sort $(wildcard tests/system/*.sh))
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tools/%)
BENCH_SRCS := $(wildcard tests/bench/*.c)
BENCH_BINS := $(BENCH_SRCS:tests/bench/%.c=$(BUILD)/bench/%)

.PHONY: all check unit-check system-check bench run run-sample clean analyze deps
# tools/os_io is the OS block-I/O client scenario S5 runs (README "One eMMC controller").
all: $(PROGRAMS) $(SHIM) $(BUILD)/tools/os_io

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(call room_inc,$<) -DG_LOG_DOMAIN=\"$(firstword $(subst /, ,$<))\" -MMD -MP -c $< -o $@

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fPIC -DG_LOG_DOMAIN=\"shim\" -MMD -MP -c $< -o $@

$(LIBA): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

# The three daemons link only the libraries they use (supplicantd: GLib alone), and
# statically when every archive is there (issue 16: RSS and start-up): the kernel maps only
# the pages of the objects they use, and exec skips the dynamic loader's ~20k relocations of
# libcrypto/libsqlite3/libglib.  Measured on one stack (README "Start-up and memory"): 18.6 -> 12 MB
# RSS, rpmbd exec to main 3.7 -> 0.8 ms.  The sanitizers need the dynamic runtime:
# SANITIZE=1 (or -fsanitize in CFLAGS/LDFLAGS) or STATIC_DAEMONS=0 links them dynamically.
# A successful static link's messages are dropped: glibc's "getpwuid_r in statically linked
# applications" notes (GLib reaches NSS only for user names, which the daemons never ask for).
DAEMON_PKGS_rpmb := libcrypto sqlite3 glib-2.0
DAEMON_PKGS_stmm := libcrypto glib-2.0
DAEMON_PKGS_supplicant := glib-2.0
STATIC_ARCHIVES := libcrypto.a libsqlite3.a libz.a libglib-2.0.a libpcre2-8.a libc.a libm.a
STATIC_MISSING := $(strip $(foreach a,$(STATIC_ARCHIVES),$(if $(filter /%,$(shell $(CC) -print-file-name=$(a))),,$(a))))
STATIC_DAEMONS ?= $(if $(findstring -fsanitize,$(SAN_FLAGS) $(CFLAGS) $(LDFLAGS))$(STATIC_MISSING),0,1)
# (A distribution whose pkg-config --static names an archive that is not installed: the
# static link fails and the daemon is linked dynamically, with a note.)
daemon_dynamic = $(CC) $(LDFLAGS_ALL) -o $@ $^ $(shell pkg-config --libs $(DAEMON_PKGS_$(1))) -lpthread
ifeq ($(STATIC_DAEMONS),1)
daemon_link = $(CC) $(LDFLAGS_ALL) -static -o $@ $^ \
	$(shell pkg-config --static --libs $(DAEMON_PKGS_$(1))) 2>$@.ld-log && rm -f $@.ld-log || \
	{ cat $@.ld-log; rm -f $@.ld-log; \
	  echo "$(notdir $@): static link failed; linking it dynamically"; $(daemon_dynamic); }
else
daemon_link = $(daemon_dynamic)
endif

# The CLI cannot be static (json-glib and libmount ship no archives), but libcrypto and
# SQLite, 5,000 of its 8,100 symbol bindings at start, can be linked in whole: every
# `stmm-emu` command starts ~2.5 ms sooner (README "Start-up and memory").  Same rule as the
# daemons: only when the archives are there and no sanitizer asks for the dynamic runtime.
ifeq ($(STATIC_DAEMONS),1)
LIBS_emu += -Wl,-Bstatic -lcrypto -lsqlite3 -Wl,-Bdynamic -lz -lm -ldl
LIBS_FOR_emu := $(filter-out -lssl -lcrypto -lsqlite3,$(LIBS))
else
LIBS_FOR_emu := $(LIBS)
endif
prog_libs = $(if $(LIBS_FOR_$(1)),$(LIBS_FOR_$(1)),$(LIBS))

define PROG_RULE
$(BUILD)/$(PROG_$(1)): $(patsubst %.c,$(BUILD)/%.o,$(call prog_srcs,$(1))) $(LIBA)
	$(if $(DAEMON_PKGS_$(1)),$$(call daemon_link,$(1)),$$(CC) $$(LDFLAGS_ALL) -o $$@ $$^ $$(call prog_libs,$(1)) $$(LIBS_$(1)))
endef
$(foreach d,$(PROG_DIRS),$(eval $(call PROG_RULE,$(d))))

$(BUILD)/librpmb-shim.so: $(SHIM_SRCS:%.c=$(BUILD)/pic/%.o) $(SHIM_COMMON_SRCS:%.c=$(BUILD)/pic/%.o) $(LIB_PIC_OBJS) rpmb/shim/exports.map
	$(CC) -shared -Wl,--version-script=rpmb/shim/exports.map $(LDFLAGS_ALL) -o $@ $(filter %.o,$^) $(LIBS) -ldl

$(BUILD)/libtee-shim.so: $(TEESHIM_SRCS:%.c=$(BUILD)/pic/%.o) $(SHIM_COMMON_SRCS:%.c=$(BUILD)/pic/%.o) $(LIB_PIC_OBJS) stmm/shim/exports.map
	$(CC) -shared -Wl,--version-script=stmm/shim/exports.map $(LDFLAGS_ALL) -o $@ $(filter %.o,$^) $(LIBS) -ldl

.SECONDEXPANSION:
$(BUILD)/tests/%: tests/unit/%.c $$(call mod_objs,$$(call test_dir,%)) $$(foreach d,$$(TEST_ALSO_$$*),$$(call mod_objs,$$(d))) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(ROOM_INC_$(call test_dir,$@)) $(foreach d,$(TEST_ALSO_$*),$(ROOM_INC_$(d))) $(CMOCKA_CFLAGS) -DG_LOG_DOMAIN=\"test\" -o $@ $^ $(LDFLAGS_ALL) $(LIBS) $(LIBS_$(call test_dir,$@)) $(CMOCKA_LIBS)
# The shims' fd table is outside libstmmemu.a (lib/shim/: beside a file that defines open()).
$(BUILD)/tests/test_lib_shim_table: $(BUILD)/lib/shim/shim_common.o

$(BUILD)/tools/%: tests/tools/%.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -DG_LOG_DOMAIN=\"tool\" -o $@ $^ $(LDFLAGS_ALL) $(LIBS)

$(BUILD)/bench/%: tests/bench/%.c $(foreach d,$(PROG_DIRS),$(call mod_objs,$(d))) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(ROOM_INC_emu) -DG_LOG_DOMAIN=\"bench\" -o $@ $^ $(LDFLAGS_ALL) $(LIBS) $(FUSE_LIBS)

# `make check` and `make run` first install missing build/test dependencies (apt), then
# re-enter make so that pkg-config sees them.
deps:
	@.ci/install-deps --if-missing

# Build everything the tests need on every CPU first, then run them.
NPROC := $(shell nproc 2>/dev/null || echo 2)
check: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all $(UNIT_BINS) $(TOOL_BINS) $(BENCH_BINS) $(FUZZ_REPLAYS)
	@$(MAKE) --no-print-directory unit-check system-check

unit-check: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

# Up to SYSTEM_JOBS system tests at once (tests/system/lib/runner.bash: each test's log is
# printed when it ends, failures whole; a test marked "# system-check: alone" runs by itself).
SYSTEM_JOBS ?= 3
system-check: all $(TOOL_BINS) $(BENCH_BINS)
	@BUILD=$(BUILD) bash tests/system/lib/runner.bash -j $(SYSTEM_JOBS) $(SYSTEM_TESTS)

bench: all $(BENCH_BINS)
	@BUILD=$(BUILD) bash tests/bench/run.sh

run: deps
	@$(MAKE) --no-print-directory run-sample

run-sample: all
	@BUILD=$(BUILD) bash emu/sample-session.sh

analyze:
	rm -rf build-analyze
	scan-build --status-bugs $(MAKE) BUILD=build-analyze all

clean:
	rm -rf build build-san build-analyze build-fuzz build-fuzzcov build-cov

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- fuzzing (tests/fuzz, README "Fuzzing") -----------------------------------------------
# tests/fuzz/fuzz_<h>.c: one LLVMFuzzerTestOneInput per parser, linked with every program's
# modules.  `make fuzz` builds them with clang + libFuzzer + ASan/UBSan in build-fuzz/ and
# runs each FUZZ_SECONDS from a scratch copy of tests/fuzz/corpus/<h>/; `make fuzz-merge`
# adds new inputs to the committed corpus; `make unit-check` replays every committed corpus
# and regression input through each harness built with the plain compiler (replay_main.c).
FUZZ_HARNESS_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(FUZZ_HARNESS_SRCS:tests/fuzz/fuzz_%.c=%)
FUZZ_INC := -Itests/fuzz -Itests/unit -Irpmb -Isupplicant -Istmm/mm -Istmm/optee -Iemu -Iemu/scenario -Iemu/client
FUZZ_MODS = $(foreach d,$(PROG_DIRS),$(call mod_objs,$(d)))
FUZZ_BUILD := build-fuzz
FUZZ_SECONDS ?= 10
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_REPLAYS := $(FUZZ_NAMES:%=$(BUILD)/fuzz/replay_%)
FUZZ_HDRS := $(wildcard tests/fuzz/*.h) tests/unit/test_rpmb_memstore.h tests/unit/test_stmm_membackend.h

.PHONY: fuzz fuzz-ci fuzz-bins fuzz-merge fuzz-replay fuzz-seeds fuzz-coverage fuzz-cov-bins
$(BUILD)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c $$(FUZZ_MODS) $(LIBA) $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(FUZZ_INC) -DG_LOG_DOMAIN=\"fuzz\" -o $@ $(filter-out %.h,$^) $(LDFLAGS_ALL) $(LIBS) $(FUSE_LIBS)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_MODS) $(LIBA) $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(FUZZ_INC) -DG_LOG_DOMAIN=\"fuzz\" -fsanitize=fuzzer -o $@ $(filter-out %.h,$^) $(LDFLAGS_ALL) -fsanitize=fuzzer $(LIBS) $(FUSE_LIBS)

$(BUILD)/fuzz/gen_seeds: tests/fuzz/gen_seeds.c $$(FUZZ_MODS) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(FUZZ_INC) -DG_LOG_DOMAIN=\"fuzz\" -o $@ $^ $(LDFLAGS_ALL) $(LIBS) $(FUSE_LIBS)

$(BUILD)/fuzz/gen_msg_seeds: tests/fuzz/gen_msg_seeds.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(FUZZ_INC) -DG_LOG_DOMAIN=\"fuzz\" -o $@ $^ $(LDFLAGS_ALL) $(LIBS)

# Rewrite the hand-built seeds of tests/fuzz/corpus (efitools signs the auth payloads).
fuzz-seeds: $(BUILD)/fuzz/gen_seeds $(BUILD)/fuzz/gen_msg_seeds
	@BUILD=$(BUILD) bash tests/fuzz/gen-seeds.sh

fuzz-bins: $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)

# The libFuzzer build: every object instrumented for coverage, with ASan and UBSan.
# (clang counts a g_autofree variable that is only freed as unused: not an error here.)
define FUZZ_MAKE
$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang \
	CFLAGS="-O1 -g -Wno-unused-variable -fsanitize=fuzzer-no-link $(FUZZ_SAN)" LDFLAGS="$(FUZZ_SAN)"
endef

fuzz:
	@$(FUZZ_MAKE) fuzz-bins
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_OUT=$(FUZZ_OUT) \
		bash tests/fuzz/run.sh $(FUZZ_NAMES)

fuzz-ci:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

fuzz-merge:
	@$(FUZZ_MAKE) fuzz-bins
	@FUZZ_BUILD=$(FUZZ_BUILD) bash tests/fuzz/run.sh --merge $(FUZZ_NAMES)

# Line and branch coverage of the daemons' code by the corpora alone (gcc --coverage,
# build-fuzzcov/); with FUZZ_OUT=DIR also by the corpora that `make fuzz FUZZ_OUT=DIR` grew
# there.  The programs are built too, so that every file counts (main.c at 0%).
fuzz-cov-bins: all $(FUZZ_REPLAYS)

fuzz-coverage:
	@$(MAKE) --no-print-directory BUILD=build-fuzzcov CFLAGS="-O0 --coverage -DSTMM_EMU_COVERAGE" \
		LDFLAGS="--coverage" fuzz-cov-bins
	@BUILD=build-fuzzcov FUZZ_OUT=$(FUZZ_OUT) bash tests/coverage/run.sh --fuzz-only

fuzz-replay: $(FUZZ_REPLAYS)
	@set -e; for h in $(FUZZ_NAMES); do \
		$(BUILD)/fuzz/replay_$$h tests/fuzz/corpus/$$h tests/fuzz/regressions/$$h; done

unit-check: fuzz-replay
# tests/system/emu_seeds.sh feeds the corpora `stmm-emu seeds` harvests through the replay drivers.
system-check: $(FUZZ_REPLAYS)

# ---- coverage (tests/coverage, README "Coverage") ---------------------------------------
# `make coverage`: everything built with gcc --coverage -O0 in build-cov/, then the unit
# tests, the fuzz corpus replays, the conformance suite, the shipped scenarios and the
# system tests in COVERAGE_SYSTEM_TESTS run, and tests/coverage/summary.py prints line and
# branch coverage per file (stmm/, rpmb/), per directory and per tree, and the stmm/ total.
# Not part of `make check` (a few minutes).
COV_BUILD := build-cov
# The system tests that add most to stmm/, rpmb/ and supplicant/ beyond the steps above
# (measured one by one, README "Coverage"): ~2 min on an idle machine.
COVERAGE_SYSTEM_TESTS ?= $(addprefix tests/system/,daemons_fuzz.sh emu_check.sh \
	emu_fault_runtime.sh emu_import_export.sh emu_rpmb_fs.sh mmc_utils_session.sh \
	rpmbd_restart.sh rpmbd_storage_faults.sh stmmd_tee_errors.sh)

.PHONY: coverage coverage-bins
coverage-bins: all $(UNIT_BINS) $(FUZZ_REPLAYS) $(TOOL_BINS)

coverage: deps
	@$(MAKE) --no-print-directory BUILD=$(COV_BUILD) CFLAGS="-O0 --coverage -DSTMM_EMU_COVERAGE" \
		LDFLAGS="--coverage" coverage-bins
	@BUILD=$(COV_BUILD) COVERAGE_SYSTEM_TESTS="$(COVERAGE_SYSTEM_TESTS)" \
		bash tests/coverage/run.sh

# ---- install (README "Install"; issue 15 #8) --------------------------------------------
# `make install PREFIX=DIR` (DESTDIR honoured): stmm-emu in bin/, the daemons in
# libexec/stmm-emu/ (where stmm-emu looks when they are not beside it), the shim in
# lib/stmm-emu/, man pages from --help (help2man, `make man`) and the bash completion.
PREFIX ?= /usr/local
MAN_PROGS := stmm-emu rpmbd stmmd supplicantd
MAN_PAGES := $(MAN_PROGS:%=$(BUILD)/man/%.1)
.PHONY: install man
man: $(MAN_PAGES)
$(BUILD)/man/%.1: $(BUILD)/%
	@mkdir -p $(dir $@)
	help2man --no-info --no-discard-stderr --name="part of stmm-emu, the OP-TEE + StMM UEFI variable store emulator" --output=$@ ./$<

install: all man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/libexec/stmm-emu \
		$(DESTDIR)$(PREFIX)/lib/stmm-emu $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(BUILD)/stmm-emu $(DESTDIR)$(PREFIX)/bin/stmm-emu
	install -m 755 $(BUILD)/rpmbd $(BUILD)/stmmd $(BUILD)/supplicantd $(DESTDIR)$(PREFIX)/libexec/stmm-emu/
	install -m 755 $(SHIM) $(DESTDIR)$(PREFIX)/lib/stmm-emu/
	install -m 644 $(MAN_PAGES) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 emu/stmm-emu.bash-completion $(DESTDIR)$(PREFIX)/share/bash-completion/completions/stmm-emu

# Optional (not in CI): OVMF booted in qemu (TCG) next to `stmm-emu up` to the first
# GetVariable, in the same run; needs qemu-system-x86 and ovmf (tests/bench/anchor.sh).
.PHONY: bench-anchor
bench-anchor: all $(BENCH_BINS)
	@BUILD=$(BUILD) bash tests/bench/anchor.sh
