/* SPDX-License-Identifier: MIT */
/*
 * Our daemons on this machine found by a process scan (issue 15 #5: a state directory
 * removed under running daemons has no pid files left): every process of this user
 * running rpmbd, stmmd or supplicantd (/proc/PID/comm), with the state directory its
 * argv names (stmmd --state; rpmbd --socket and supplicantd --control-socket/--tee-socket:
 * their directory).  `stmm-emu ps`, `down --all` and `down` of a directory without pid
 * files use it.
 */
#ifndef STMM_EMU_EMU_PROCSCAN_H
#define STMM_EMU_EMU_PROCSCAN_H

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

#include "stack.h"

struct emu_proc {
	pid_t pid;
	enum emu_daemon daemon;
	char *state_dir;   /* absolute as given on its command line; "" when none */
	char *socket;      /* the socket it serves (supplicantd: its tee socket) */
	bool dir_exists;
};

/* Every daemon found, sorted by state directory then daemon; free with g_array_unref. */
GArray *emu_procscan(void);

#endif
