/* SPDX-License-Identifier: MIT */
/*
 * The three daemons of one state directory as separate processes: start (GLib spawning,
 * detached, own session, output appended to STATE/<prog>.log, pid in STATE/<prog>.pid),
 * readiness (each reports on a --ready-fd pipe, lib/ready.h), liveness and stop (pidfds).  `emu_stack_up` brings a directory to "a real GET_PAYLOAD_SIZE round
 * trip works", starting whatever is missing (and what depends on it); that is also how a
 * killed daemon is restarted.
 */
#ifndef STMM_EMU_EMU_STACK_H
#define STMM_EMU_EMU_STACK_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "emu_ipc.h"
#include "state.h"

enum emu_daemon {
	EMU_DAEMON_RPMBD,
	EMU_DAEMON_STMMD,
	EMU_DAEMON_SUPPLICANTD,
	EMU_DAEMON_COUNT
};

const char *emu_daemon_name(enum emu_daemon d);
/* "rpmbd" -> id; -EINVAL for another name. */
int emu_daemon_from_name(const char *name, enum emu_daemon *ret);

struct emu_up_options {
	const char *bin_dir;    /* where rpmbd, stmmd, supplicantd are */
	int rpc_timeout_ms;     /* stmmd --rpc-timeout; 0 = its default */
	bool verbose;           /* -v to stmmd */
	int wait_ms;            /* bound on the whole readiness wait */
	const char *quirks;     /* stmmd --quirk LIST; NULL or "" = none */
	/* Extra rpmbd arguments (test hook: `up --rpmbd-arg`, e.g. a fault plan); NULL-ended. */
	char *const *rpmbd_args;
	/* Extra supplicantd arguments (test hook: `up --supplicantd-arg`); NULL-ended. */
	char *const *supplicantd_args;
	/* Extra stmmd arguments (`up --stmmd-arg`); NULL-ended. */
	char *const *stmmd_args;
	/* Start rpmbd and stmmd only (`up --without supplicantd`); implies no round trip. */
	bool without_supplicant;
	const char *import_fv;  /* stmmd --import-fv FILE (provisioning; see `stmm-emu import`) */
	const char *rpmb_layout; /* "optee-fs" | "raw" for a state's first up; NULL: the state's
				  * own, else optee-fs (raw for a device made before) */
	/* stmmd --rpmb-route / supplicantd --route, recorded in stmm-emu.conf for later starts
	 * (README "The kernel RPMB route"); NULL: what the state recorded, else the daemons' defaults. */
	const char *rpmb_route;
	const char *normal_world;
	const char *profile;    /* --profile: recorded in STATE/stmm-emu.conf; NULL = keep */
	/* Return once every daemon reported ready, without the GET_PAYLOAD_SIZE round trip
	 * (a stack whose StMM cannot come up, on purpose: max_payload is then 0). */
	bool no_round_trip;
};

struct emu_up_result {
	bool already_up;                 /* nothing had to be started */
	pid_t pid[EMU_DAEMON_COUNT];
	bool started[EMU_DAEMON_COUNT];
	uint64_t max_payload;            /* GET_PAYLOAD_SIZE - 2 of the check */
};

/* The directory holding the running executable (/proc/self/exe), g_free. */
char *emu_self_dir(void);
/* Where the daemons are: beside the executable, else ../libexec/stmm-emu from it
 * (`make install`), else beside it (g_free). */
char *emu_daemon_dir(void);

/* Pid of the daemon if its pid file names a live process of that program, else 0. */
pid_t emu_stack_pid(const struct emu_state *st, enum emu_daemon d);

/* flock STATE/lock (creating STATE).  0 or -errno; close the fd to release. */
__attribute__((warn_unused_result)) int emu_stack_lock(const struct emu_state *st, int *ret_fd);

/*
 * Start what is missing and wait until a GET_PAYLOAD_SIZE round trip succeeds.  Daemons
 * get the store layout and RPMB size STATE/stmm-emu.conf records (config.h).
 * 0, or -errno with a message naming the daemon that failed and the tail of its log in
 * `err`.  When a pid cannot be recorded, what this call started is stopped again (so
 * `down` never meets a daemon it cannot find).  The caller holds the lock.
 */
__attribute__((warn_unused_result)) int emu_stack_up(const struct emu_state *st,
						      const struct emu_up_options *opt,
						      struct emu_up_result *ret, GString *err);

/*
 * SIGTERM, wait up to timeout_ms, then SIGKILL.  Removes the pid file.  Returns 1 if it
 * was running, 0 if not.
 */
int emu_stack_stop(const struct emu_state *st, enum emu_daemon d, int timeout_ms);

/* stop_process of one daemon found by pid (procscan.h), its pid file untouched: 1 if it ran. */
int emu_stack_stop_pid(pid_t pid, enum emu_daemon d, int timeout_ms);

/* The last `lines` lines of STATE/<prog>.log (g_free; "" when there is none). */
char *emu_stack_log_tail(const struct emu_state *st, enum emu_daemon d, int lines);

/* CTRL_STATUS from stmmd.  0 or -errno (-EOPNOTSUPP when it does not serve it). */
__attribute__((warn_unused_result)) int emu_stack_ctrl_status(const struct emu_state *st,
							       int timeout_ms,
							       struct emu_ctrl_status *ret);

/* Whether something accepts connections on `path`. */
bool emu_socket_listening(const char *path);

#endif
