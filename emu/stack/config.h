/* SPDX-License-Identifier: MIT */
/*
 * STATE/stmm-emu.conf: what a state directory remembers about how its daemons must be
 * started (a GLib key file; `stmm-emu import` writes it, emu/stack/stack.c reads it every time it
 * builds a daemon's command line).  Keys not known here are kept when it is rewritten.
 *
 *   [stmmd]  var-store-size, ftw-working-size, ftw-spare-size   (bytes; the store layout in
 *            RPMB -- changing them by hand makes stmmd format the store)
 *            rpmb-layout = optee-fs | raw   (where the store lives; recorded by the first
 *            `up` of a state: a state made before the RPMB FS layout existed is raw)
 *            profile = optee-stmm | strict   (stmmd --profile; `up --profile`)
 *   [stack]  trace = true   (`up --trace`: stmmd and rpmbd record STATE/trace.bin)
 *   [rpmbd]  size-mult                                          (EXT_CSD RPMB_SIZE_MULT;
 *            only used when rpmb.db is created)
 *            durability = full | process   (`up --durability`: rpmbd --durability)
 *
 * Absent keys (or an absent file) mean the daemon's own default.
 */
#ifndef STMM_EMU_EMU_CONFIG_H
#define STMM_EMU_EMU_CONFIG_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "state.h"

#define EMU_CONFIG_FILE "stmm-emu.conf"

struct emu_config {
	uint32_t var_store_size;   /* 0: stmmd's default */
	uint32_t ftw_working_size;
	uint32_t ftw_spare_size;
	uint32_t rpmb_size_mult;   /* 0: rpmbd's default */
	char rpmb_layout[16];      /* "optee-fs", "raw" or "" (not recorded yet) */
	bool trace;                /* [stack] trace: daemons get --trace STATE/trace.bin */
	char rpmb_route[16];       /* [stmmd] rpmb-route: "probe", "legacy" or "" (stmmd's default) */
	char normal_world[24];     /* [supplicantd] route: "supplicant", "kernel", "uboot-2025.01"
				    * or "" (supplicant); README "The kernel RPMB route" */
	char durability[16];       /* [rpmbd] durability: "full", "process" or "" (full) */
	char profile[16];          /* [stmmd] profile: "optee-stmm", "strict" or "" (optee-stmm) */
};
#define EMU_DURABILITY_DEFAULT "full"
/* "full" (on disk before the answer) and "process" (survives kill -9, not power loss). */
bool emu_durability_valid(const char *name);
/* The build profiles stmmd knows (stmm/profile.h): "optee-stmm", "strict". */
bool emu_profile_valid(const char *name);
#define EMU_RPMB_LAYOUT_DEFAULT "optee-fs"
/* "probe"/"legacy" and "supplicant"/"kernel"/"uboot-2025.01" (NULL: no). */
bool emu_rpmb_route_valid(const char *name);
bool emu_normal_world_valid(const char *name);
/* "optee-fs" and "raw" are layouts. */
bool emu_rpmb_layout_valid(const char *name);

/*
 * Read STATE/stmm-emu.conf (a missing file is all defaults).  0, or -EINVAL with a message
 * in err naming the file and the key.
 */
__attribute__((warn_unused_result)) int emu_config_load(const struct emu_state *st,
							 struct emu_config *ret, GString *err);

/*
 * Write `cfg` to out_path atomically, keeping every other group and key of the key file at
 * base_path (NULL or missing: none).  0 or -errno with a message in err.
 */
__attribute__((warn_unused_result)) int emu_config_save(const char *base_path,
							 const char *out_path,
							 const struct emu_config *cfg, GString *err);

#endif
