/* SPDX-License-Identifier: MIT */
/*
 * Rate limit for a warning that can repeat in a loop (a boot retried on every request, a
 * storage failure on every write): the first occurrence is logged, identical ones within
 * the interval are counted instead, and the next one logged says how many were held back.
 * A different message is logged at once.  Not thread-safe: one limiter per logging thread.
 */
#ifndef STMM_EMU_LOG_LIMIT_H
#define STMM_EMU_LOG_LIMIT_H

#include <glib.h>
#include <stdbool.h>

struct log_limit {
	gint64 interval_us;   /* identical messages within this are held back */
	gint64 last_logged;   /* g_get_monotonic_time() of the last one logged */
	guint last_hash;      /* g_str_hash of its text */
	unsigned held_back;   /* identical messages not logged since */
};
#define LOG_LIMIT_INIT(seconds) { .interval_us = (gint64)(seconds) * G_USEC_PER_SEC }

/*
 * Should `text` be logged now?  When true, *ret_held_back is the number of identical
 * messages held back since the last one logged (0 if none).
 */
bool log_limit_allow(struct log_limit *l, const char *text, unsigned *ret_held_back);

#endif
