/* SPDX-License-Identifier: MIT */
/*
 * A daemon's watch on the socket it serves (issue 15 #5): `rm -rf` of a running state
 * directory leaves daemons nobody can reach any more; each checks every
 * EMU_GONE_WATCH_MS that its socket file still exists and, when it is gone, logs
 * "<path>: gone (state directory removed?), stopping" and quits its main loop.
 */
#ifndef STMM_EMU_GONE_WATCH_H
#define STMM_EMU_GONE_WATCH_H

#include <glib.h>

#define EMU_GONE_WATCH_MS 500

/*
 * Watch `path` on the default main context; quit `loop` once it no longer exists.
 * Returns the GSource id (g_source_remove it before freeing loop).
 */
guint emu_gone_watch_add(const char *path, GMainLoop *loop);

#endif
