/* SPDX-License-Identifier: MIT */
/*
 * Is this pid one of our daemons, running?  A pidfd names the process race-free once
 * opened (the pid may be reused before that: /proc/PID/comm is checked against the
 * program's name) and turns readable when the whole process has exited.
 *
 * "Running" also excludes a process that has begun to exit.  A multi-threaded daemon that
 * calls _exit (rpmbd's power cut) closes its descriptors, and its peers see the hang-up,
 * a moment before the last of its threads is gone and its pidfd turns readable; `status`
 * taken in that moment must say it is dead, as it is.
 */
#ifndef STMM_EMU_EMU_PROC_H
#define STMM_EMU_EMU_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A pidfd of `pid` while its process has not exited (a zombie has) and, when `name` is set,
 * runs that program (/proc/PID/comm).  -1 when not. */
int emu_proc_open(pid_t pid, const char *name);

/* Whether the pidfd `fd` says its process has exited, waiting up to timeout_ms (0: now). */
bool emu_proc_exited_within(int fd, int timeout_ms);

/* /proc/PID/stat shows it a zombie or dead (Z, X) or flagged PF_EXITING; true when
 * unreadable (gone). */
bool emu_proc_exiting(pid_t pid);

/* emu_proc_open succeeds and the process is not exiting. */
bool emu_proc_is(pid_t pid, const char *name);
static inline bool emu_proc_running(pid_t pid)
{
	return emu_proc_is(pid, NULL);
}

/*
 * A daemon started by this process is its child until this process exits (then init's, or
 * the nearest subreaper's).  A long-running command (scenario, mount, conform) that sees
 * one exit reaps it here, so it never stays a zombie; for any other pid this does nothing.
 */
void emu_proc_reap_if_child(pid_t pid);

#endif
