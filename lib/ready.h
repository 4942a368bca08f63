/* SPDX-License-Identifier: MIT */
/*
 * Readiness notification between `stmm-emu up` and the daemons it starts.  A daemon
 * started with `--ready-fd N` writes EMU_READY_LINE to descriptor N once it serves
 * (rpmbd: listening; stmmd: listening with its StMM thread started; supplicantd:
 * registered with stmmd) and closes it.  The starter holds the read end and blocks on it
 * with a deadline: the line means ready, end of file before it means the daemon exited.
 * Without --ready-fd a daemon behaves as before (started by hand).
 */
#ifndef STMM_EMU_READY_H
#define STMM_EMU_READY_H

#include <glib.h>

#define EMU_READY_LINE "READY=1\n"

/* The value of a --ready-fd option: -1 (absent) or an open descriptor.  0 or -EBADF. */
__attribute__((warn_unused_result)) int emu_ready_fd_check(int fd);

/* Write EMU_READY_LINE to fd and close it; nothing when fd < 0.  0 or -errno. */
int emu_ready_notify(int fd);

/*
 * Read fd until EMU_READY_LINE (0), end of file first (-ECHILD: the writer exited or
 * closed it), anything else (-EPROTO) or the monotonic deadline (-ETIMEDOUT), in
 * microseconds of g_get_monotonic_time().
 */
__attribute__((warn_unused_result)) int emu_ready_wait(int fd, gint64 deadline);

#endif
