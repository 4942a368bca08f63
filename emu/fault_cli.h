/* SPDX-License-Identifier: MIT */
/*
 * `stmm-emu fault`: parse a fault plan from words and arm it in a running daemon
 * (include/emu_ipc.h, EMU_MSG_CTRL_FAULT_*).  Shared with the scenario runner.
 */
#ifndef STMM_EMU_EMU_FAULT_CLI_H
#define STMM_EMU_EMU_FAULT_CLI_H

#include <glib.h>
#include <stdint.h>

#include "emu_ipc.h"

/* Daemon names as the command line spells them. */
#define EMU_FAULT_DAEMON_RPMBD      "rpmbd"
#define EMU_FAULT_DAEMON_SUPPLICANT "supplicant"
#define EMU_FAULT_DAEMON_STMMD      "stmmd"

/*
 * argv: DAEMON ACTION [ARG] [--at write|read|seq] [--nth N] [--repeat N|forever]
 * [--rpc rpmb|any|NUM] (also --opt=value).  On success 0, *ret_daemon (g_free) one of the
 * EMU_FAULT_DAEMON_* names and *ret the request; else -EINVAL and a GError with the reason.
 */
__attribute__((warn_unused_result)) int emu_fault_parse(int argc, char **argv, char **ret_daemon,
							struct emu_ctrl_fault *ret, GError **error);

/*
 * Send the fault to the daemon of the stack in state_dir (NULL: the default directory) and
 * return its id.  0, or -errno with a GError (the daemon's refusal text, or why it could
 * not be reached).
 */
__attribute__((warn_unused_result)) int emu_fault_arm(const char *state_dir, const char *daemon,
						      const struct emu_ctrl_fault *f,
						      uint32_t *ret_id, GError **error);

/* The `stmm-emu fault` command (registered in emu/main.c). */
int emu_cmd_fault(int argc, char **argv);

/* Disarm every fault of one daemon.  0 or -errno with a GError. */
__attribute__((warn_unused_result)) int emu_fault_clear(const char *state_dir,
							const char *daemon, GError **error);

#endif
