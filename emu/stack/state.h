/* SPDX-License-Identifier: MIT */
/*
 * The state directory of one emulator instance and the files in it:
 *
 *   tee.sock          stmmd's tee socket (stmm-emu and supplicantd connect)
 *   mmc.sock          rpmbd's mmc socket (supplicantd connects)
 *   supplicant.sock   supplicantd's control socket (run-time faults; `stmm-emu fault`)
 *   rpmb.db           rpmbd's SQLite device
 *   <prog>.log        stdout+stderr of each daemon (appended)
 *   <prog>.pid        its pid while stmm-emu believes it runs
 *   lock              held by `up`/`down` so two of them do not race
 *   stmm-emu.conf     store layout and RPMB size the daemons start with (config.h)
 *   import.XXXXXX/    staging stack of a running `stmm-emu import` (removed after)
 *   quirks            stmmd's --quirk list as `up --quirk` last set it (kept across `up`)
 *
 * stmmd keeps its own files under the same directory (--state).
 */
#ifndef STMM_EMU_EMU_STATE_H
#define STMM_EMU_EMU_STATE_H

#include <glib.h>

#define EMU_STATE_ENV         "STMM_EMU_STATE"
#define EMU_STATE_DEFAULT_DIR ".stmm-emu"
#define EMU_STATE_SUPP_SOCK   "supplicant.sock" /* supplicantd --control-socket */

struct emu_state {
	char *dir;       /* absolute */
	char *tee_sock;
	char *mmc_sock;
	char *rpmb_db;
};

/*
 * Resolve the directory: `opt_dir` if given, else $STMM_EMU_STATE, else ./.stmm-emu;
 * made absolute.  Does not create it.
 */
void emu_state_init(struct emu_state *st, const char *opt_dir);
void emu_state_clear(struct emu_state *st);
/* STATE/<file> (g_free). */
char *emu_state_path(const struct emu_state *st, const char *file);

#endif
