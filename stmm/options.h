/* SPDX-License-Identifier: MIT */
/*
 * stmmd's command line: the option table, its checks, and the StMM configuration it
 * describes (RPMB key, store layout, variable PCDs, quirks, an image to import).
 */
#ifndef STMM_EMU_STMMD_OPTIONS_H
#define STMM_EMU_STMMD_OPTIONS_H

#include <glib.h>

#include "tee_stmm.h"

struct stmmd_options {
	gchar *state_dir, *socket_path, *huk_file, *check_fv, *import_fv, *check_store, *rpmb_layout;
	gchar *trace_file; /* --trace */
	gchar *rpmb_route; /* probe|legacy (rpmb_route.h) */
	gchar *ffa_sp;     /* smm-gateway|edk2 (ffa_spmc.h) */
	enum ffa_sp_profile ffa_profile; /* parsed from ffa_sp */
	gchar **quirks;
	gint rpc_timeout_ms, ready_fd;
	gint64 ns_buf_size, store_offset, var_store_size, ftw_working_size, ftw_spare_size;
	/* PCDs of the variable driver; -1 = the default of OP-TEE's StMM build */
	gint64 max_var, max_auth_var, max_vol_var, vol_store, hwerr_store, max_hwerr_var;
	gboolean no_write_key, verbose;
};
typedef struct stmmd_options StmmdOptions;

/* The defaults (OP-TEE's StMM build, the tee socket under --state). */
void stmmd_options_init(struct stmmd_options *o);
void stmmd_options_clear(struct stmmd_options *o);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(StmmdOptions, stmmd_options_clear)

/* Parse and check the command line (messages on stderr).  0 or -EINVAL. */
__attribute__((warn_unused_result)) int stmmd_options_parse(int *argc, char ***argv,
							    struct stmmd_options *o);

/*
 * The StMM configuration the options describe: HUK file, quirks, layout, PCDs and the
 * --import-fv image (*ret_import, which ret_cfg->import_image borrows).  Messages on
 * stderr.  0 or -errno.
 */
__attribute__((warn_unused_result)) int stmmd_options_config(const struct stmmd_options *o,
							     struct tee_stmm_config *ret_cfg,
							     GBytes **ret_import);

#endif
