/* SPDX-License-Identifier: MIT */
/*
 * Debug messages on a hot path that cost nothing when debug output is off.
 *
 * GLib formats a g_debug() message and then asks its writer whether to drop it, which reads
 * the G_MESSAGES_DEBUG environment variable every time: on rpmbd's and supplicantd's
 * per-request path that was a vfprintf and a getenv per message (issue 16, perf).
 * emu_debug() asks first: debug output switched on (g_log_set_debug_enabled(), the
 * daemons' --verbose) or G_MESSAGES_DEBUG set in the environment the process started
 * with; only then does it call g_debug(), which filters by domain as before.
 */
#ifndef STMM_EMU_DEBUG_GATE_H
#define STMM_EMU_DEBUG_GATE_H

#include <glib.h>
#include <stdbool.h>

bool emu_debug_wanted(void);

#define emu_debug(...)                              \
	do {                                        \
		if (G_UNLIKELY(emu_debug_wanted())) \
			g_debug(__VA_ARGS__);       \
	} while (0)

#endif
