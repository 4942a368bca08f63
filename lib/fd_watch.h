/* SPDX-License-Identifier: MIT */
/*
 * A GLib watch on a file descriptor that costs no extra system calls per event.
 *
 * g_unix_fd_add() makes a source that GLib "blocks" while its callback runs: it takes the
 * descriptor out of the poll set and puts it back afterwards, and each of the two changes
 * wakes the context through its eventfd (write, then read and one more poll round) --
 * four system calls per received message on top of the recvmsg (issue 16: measured with
 * strace on rpmbd and supplicantd).  A daemon whose callbacks never run the main context
 * recursively does not need the blocking: emu_fd_watch_add() marks the source as one that
 * may recurse, so the poll set stays as it is.
 */
#ifndef STMM_EMU_FD_WATCH_H
#define STMM_EMU_FD_WATCH_H

#include <glib-unix.h>
#include <glib.h>

/*
 * Like g_unix_fd_add() on the default main context (same callback, same return value:
 * the source id for g_source_remove()); the callback must not iterate the main context.
 */
guint emu_fd_watch_add(int fd, GIOCondition condition, GUnixFDSourceFunc func, gpointer data);

#endif
