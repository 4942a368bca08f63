/* SPDX-License-Identifier: MIT */
/* Private state directories (scratch.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "scratch.h"
#include "stack.h"

int emu_scratch_new(const char *prefix, struct emu_state *ret, GString *err)
{
	g_autoptr(GError) e = NULL;
	g_autofree char *tmpl = g_strdup_printf("%s.XXXXXX", prefix);
	g_autofree char *dir = g_dir_make_tmp(tmpl, &e);

	if (!dir) {
		g_string_printf(err, "scratch directory: %s", e->message);
		return -EIO;
	}
	emu_state_init(ret, dir);
	return 0;
}

/* Remove `path` and everything below it (a state holds files and staging directories). */
static void remove_tree(const char *path, const char *who)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *p = g_build_filename(path, name, NULL);
		if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
			remove_tree(p, who);
		else
			(void)unlink(p);
	}
	if (d)
		g_dir_close(d);
	if (rmdir(path) < 0)
		fprintf(stderr, "stmm-emu: %s: could not remove %s: %s\n", who, path, g_strerror(errno));
}

void emu_scratch_remove(struct emu_state *st, bool keep, const char *who)
{
	if (!st->dir)
		return;
	for (int d = EMU_DAEMON_COUNT - 1; d >= 0; d--)
		emu_stack_stop(st, (enum emu_daemon)d, 5000);
	if (keep)
		fprintf(stderr, "stmm-emu: %s: state kept in %s\n", who, st->dir);
	else
		remove_tree(st->dir, who);
	emu_state_clear(st);
}
