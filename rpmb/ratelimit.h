/* SPDX-License-Identifier: MIT */
/*
 * Rate-limited warnings: a retry loop that fails the same way again and again must not
 * flood the log.  A warning is logged the first time, then every `every`-th identical
 * repetition with its count; a different warning first reports how many repetitions
 * went unlogged.  rpmb_ratelimit_ok() ends a run of failures (and says so once).
 */
#ifndef RPMBD_RATELIMIT_H
#define RPMBD_RATELIMIT_H

#include <glib.h>
#include <stdint.h>

struct rpmb_ratelimit {
	unsigned every;     /* log every N-th repetition (>= 1) */
	char *last;         /* the last warning's text */
	uint64_t repeats;   /* times `last` was seen in a row */
	uint64_t unlogged;  /* of those, not logged */
	uint64_t failures;  /* warnings since the last rpmb_ratelimit_ok() */
};
#define RPMB_RATELIMIT_INIT(n) { .every = (n) }
#define RPMBD_WARN_EVERY 100u

/* Log `text` at WARNING level unless it is a suppressed repetition. */
void rpmb_ratelimit_warn(struct rpmb_ratelimit *rl, const char *text);
/* The operation worked: close the run of failures (one message if there was one). */
void rpmb_ratelimit_ok(struct rpmb_ratelimit *rl, const char *what);
void rpmb_ratelimit_clear(struct rpmb_ratelimit *rl);

#endif
