/* SPDX-License-Identifier: MIT */
/*
 * The runner of `stmm-emu conform` (cmd_conform.c), shared with its parallel mode
 * (cmd_conform_parallel.c): the suite's groups in order, running one group on a context,
 * scratch stacks.
 */
#ifndef STMM_EMU_EMU_CMD_CONFORM_H
#define STMM_EMU_EMU_CMD_CONFORM_H

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "conform.h"
#include "state.h"

struct conform_args {
	char *state, *junit, *keys, *transport;
	char **groups;
	gboolean tap, list, in_place, keep_scratch, require_auth;
	gboolean json; /* the summary as one JSON object on stdout (progress to stderr) */
	int timeout_ms;
	int parallel;  /* --parallel N: scratch stacks for the destructive groups (1 = one) */
};

/* The suite, in its order. */
extern const struct cf_group *const conform_groups[];
extern const size_t conform_n_groups;

bool conform_group_selected(const struct conform_args *a, const struct cf_group *g);
/* (Re)open cf's session on cf->st and read the sizes it needs.  0 or -errno with err. */
#define CONFORM_PROFILE_SIZE sizeof(((struct emu_config *)0)->profile)
void conform_stack_profile(const struct emu_state *st, char profile[CONFORM_PROFILE_SIZE]);
int conform_open_session(struct cf *cf, GString *err);
/* Run every case of g on cf, appending to results; the group's line (and failures) to progress. */
void conform_run_group(struct cf *cf, const struct cf_group *g, GArray *results, FILE *progress);
/* Every case of g reported with `outcome` and `why`, never run. */
void conform_skip_group(const struct cf_group *g, GArray *results, FILE *progress, int outcome,
			const char *why);
/* The signing keys (--keys, $STMM_EMU_KEYS, fixtures/keys); NULL and the reason in why. */
struct cf_keys *conform_find_keys(const struct conform_args *a, GString *why);
/*
 * Start a stack in a new scratch directory.  When `conf_from` is given, its
 * stmm-emu.conf (profile, layout, durability, store sizes, routes) is copied first so the
 * scratch stack starts as that one does.  0 or -errno with err; st is set up either way
 * (conform_scratch_down it).
 */
int conform_scratch_up(struct emu_state *st, const char *profile,
		       const struct emu_state *conf_from, GString *err);
void conform_scratch_down(struct emu_state *st, bool keep);

/*
 * --parallel N (N > 1, not --in-place): the destructive groups on N scratch stacks at
 * once, the others on the stack under test meanwhile; results and progress in the suite's
 * order.  Returns an EMU_EXIT_* status as run_all does.
 */
int conform_run_parallel(const struct conform_args *a, GArray *results, double *ret_seconds);

#endif
