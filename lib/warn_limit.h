/* SPDX-License-Identifier: MIT */
/*
 * Rate-limited warnings: a retry loop that fails the same way again and again must not
 * flood the log.  A warning is logged the first time, then every `every`-th identical
 * repetition with its count; a different warning first reports how many repetitions
 * went unlogged.  warn_limit_ok() ends a run of failures (and says so once).
 */
#ifndef STMM_EMU_WARN_LIMIT_H
#define STMM_EMU_WARN_LIMIT_H

#include <glib.h>
#include <stdint.h>

struct warn_limit {
	unsigned every;     /* log every N-th repetition (>= 1) */
	char *last;         /* the last warning's text */
	uint64_t repeats;   /* times `last` was seen in a row */
	uint64_t unlogged;  /* of those, not logged */
	uint64_t failures;  /* warnings since the last warn_limit_ok() */
};
#define WARN_LIMIT_INIT(n) { .every = (n) }
#define WARN_LIMIT_EVERY 100u /* the interval the daemons use */

/* Log `text` at WARNING level unless it is a suppressed repetition. */
void warn_limit_warn(struct warn_limit *rl, const char *text);
/* The operation worked: close the run of failures (one message if there was one). */
void warn_limit_ok(struct warn_limit *rl, const char *what);
void warn_limit_clear(struct warn_limit *rl);

#endif
