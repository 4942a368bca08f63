/* SPDX-License-Identifier: MIT */
/*
 * Running one scenario (emu/scenario/scenario.h) on a fresh private stack: every step in
 * order, stopping at the first one that fails; each step that expects something (and each
 * step that failed) becomes a case of the report.  Stack commands (`up`, `fault`, `cli`,
 * `status`, `trace` …) run as `stmm-emu` child processes on the scenario's state, so a step
 * is exactly what a user would type; TEE clients (`client`) live in this process, as a
 * driver's session lives in its kernel, so a persona keeps its state between steps.
 */
#ifndef STMM_EMU_SCENARIO_RUN_H
#define STMM_EMU_SCENARIO_RUN_H

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>

#include "scenario.h"

struct scen_run_options {
	const char *self;   /* the stmm-emu binary to run steps with */
	bool keep;          /* keep the state directory */
	int timeout_ms;     /* per client call */
	FILE *progress;     /* where step lines and failures go */
	int trace_lines;    /* decoded trace lines printed around a failure */
	char **ret_state;   /* optional: the state directory used (g_free; only with keep) */
};

/* Run `sc`, appending its cases to `report` (emu/report.h).  true when all passed. */
bool scenario_run(const struct scenario *sc, const struct scen_run_options *opt, GArray *report);

#endif
