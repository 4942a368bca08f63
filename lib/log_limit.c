/* SPDX-License-Identifier: MIT */
#include "log_limit.h"

bool log_limit_allow(struct log_limit *l, const char *text, unsigned *ret_held_back)
{
	gint64 now = g_get_monotonic_time();
	guint h = g_str_hash(text);

	if (l->last_logged && h == l->last_hash && now - l->last_logged < l->interval_us) {
		l->held_back++;
		return false;
	}
	*ret_held_back = h == l->last_hash ? l->held_back : 0;
	l->held_back = 0;
	l->last_hash = h;
	l->last_logged = now;
	return true;
}
