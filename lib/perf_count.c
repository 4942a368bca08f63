/* SPDX-License-Identifier: MIT */
/* Work counters (perf_count.h), reported at exit when STMM_EMU_PERF_COUNTERS=1. */
#include "perf_count.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t emu_perf_counts[EMU_PERF_COUNTERS];

bool emu_perf_count_enabled(void)
{
	const char *v = getenv("STMM_EMU_PERF_COUNTERS");
	return v && strcmp(v, "1") == 0;
}

static void report(void)
{
	fprintf(stderr,
		"perf-counters: prog=%s hmacs=%" PRIu64 " sql=%" PRIu64 " ipc_sent=%" PRIu64
		" ipc_received=%" PRIu64 "\n",
		program_invocation_short_name,
		__atomic_load_n(&emu_perf_counts[EMU_PERF_HMAC], __ATOMIC_RELAXED),
		__atomic_load_n(&emu_perf_counts[EMU_PERF_SQL], __ATOMIC_RELAXED),
		__atomic_load_n(&emu_perf_counts[EMU_PERF_IPC_SENT], __ATOMIC_RELAXED),
		__atomic_load_n(&emu_perf_counts[EMU_PERF_IPC_RECEIVED], __ATOMIC_RELAXED));
}

/* Registered before main(): every program linking lib/ reports without touching its main. */
__attribute__((constructor)) static void register_report(void)
{
	if (emu_perf_count_enabled())
		atexit(report);
}
