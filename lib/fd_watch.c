/* SPDX-License-Identifier: MIT */
#include "fd_watch.h"

guint emu_fd_watch_add(int fd, GIOCondition condition, GUnixFDSourceFunc func, gpointer data)
{
	GSource *source = g_unix_fd_source_new(fd, condition);

	g_source_set_callback(source, (GSourceFunc)(void (*)(void))func, data, NULL);
	g_source_set_can_recurse(source, TRUE); /* no poll-set change around each dispatch */
	guint id = g_source_attach(source, NULL);
	g_source_unref(source);
	return id;
}
