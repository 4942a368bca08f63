/* SPDX-License-Identifier: MIT */
#include "state.h"

#include <stdlib.h>

void emu_state_init(struct emu_state *st, const char *opt_dir)
{
	const char *dir = opt_dir;

	if (!dir || !*dir)
		dir = getenv(EMU_STATE_ENV);
	if (!dir || !*dir)
		dir = EMU_STATE_DEFAULT_DIR;
	g_autofree char *abs = g_canonicalize_filename(dir, NULL);
	st->dir = g_steal_pointer(&abs);
	st->tee_sock = g_build_filename(st->dir, "tee.sock", NULL);
	st->mmc_sock = g_build_filename(st->dir, "mmc.sock", NULL);
	st->rpmb_db = g_build_filename(st->dir, "rpmb.db", NULL);
}

void emu_state_clear(struct emu_state *st)
{
	if (!st)
		return;
	g_clear_pointer(&st->dir, g_free);
	g_clear_pointer(&st->tee_sock, g_free);
	g_clear_pointer(&st->mmc_sock, g_free);
	g_clear_pointer(&st->rpmb_db, g_free);
}

char *emu_state_path(const struct emu_state *st, const char *file)
{
	return g_build_filename(st->dir, file, NULL);
}
