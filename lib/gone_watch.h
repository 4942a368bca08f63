/* SPDX-License-Identifier: MIT */
/*
 * A daemon's watch on the socket it serves (issue 15 #5): `rm -rf` of a running state
 * directory leaves daemons nobody can reach any more; each checks every
 * EMU_GONE_WATCH_MS that its socket file still exists and, when it is gone, quits its
 * main loop; the daemon then logs "<path>: gone (state directory removed?), stopping"
 * (EMU_GONE_WATCH_LOG).
 */
#ifndef STMM_EMU_GONE_WATCH_H
#define STMM_EMU_GONE_WATCH_H

#include <glib.h>
#include <stdbool.h>

#define EMU_GONE_WATCH_MS 500

#define EMU_GONE_WATCH_LOG "%s: gone (state directory removed?), stopping"

/*
 * Watch `path` on the default main context; once it no longer exists set *ret_gone and
 * quit `loop`.  Returns the GSource id (g_source_remove it before freeing loop).
 */
guint emu_gone_watch_add(const char *path, GMainLoop *loop, bool *ret_gone);

#endif
