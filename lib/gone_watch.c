/* SPDX-License-Identifier: MIT */
#include "gone_watch.h"

#include <errno.h>
#include <sys/stat.h>

struct gone_watch {
	char *path;
	GMainLoop *loop;
	bool *gone;
};

static gboolean check(gpointer data)
{
	struct gone_watch *w = data;
	struct stat sb;

	/* Only "no such file": a transient error (EACCES, ENOMEM) is not a removal. */
	if (lstat(w->path, &sb) == 0 || (errno != ENOENT && errno != ENOTDIR))
		return G_SOURCE_CONTINUE;
	*w->gone = true;
	g_main_loop_quit(w->loop);
	return G_SOURCE_REMOVE;
}

static void watch_free(gpointer data)
{
	struct gone_watch *w = data;
	g_free(w->path);
	g_main_loop_unref(w->loop);
	g_free(w);
}

guint emu_gone_watch_add(const char *path, GMainLoop *loop, bool *ret_gone)
{
	struct gone_watch *w = g_new0(struct gone_watch, 1);
	w->gone = ret_gone;
	w->path = g_strdup(path);
	w->loop = g_main_loop_ref(loop);
	return g_timeout_add_full(G_PRIORITY_DEFAULT, EMU_GONE_WATCH_MS, check, w, watch_free);
}
