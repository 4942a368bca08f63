/* SPDX-License-Identifier: MIT */
#include "debug_gate.h"

bool emu_debug_wanted(void)
{
	static gint from_env = -1; /* G_MESSAGES_DEBUG set at start: 1, unset: 0, unknown: -1 */

	if (g_log_get_debug_enabled())
		return true;
	gint e = g_atomic_int_get(&from_env);
	if (e < 0) {
		const char *v = g_getenv("G_MESSAGES_DEBUG");
		e = v && *v ? 1 : 0;
		g_atomic_int_set(&from_env, e);
	}
	return e == 1;
}
