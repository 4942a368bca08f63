/* SPDX-License-Identifier: MIT */
/*
 * Work counters for `make bench`'s breakdown (tests/bench/run.sh): how many HMACs,
 * SQLite statements and IPC messages a process made.  Counting is a relaxed atomic add,
 * always on; the totals are reported only when the environment has
 * STMM_EMU_PERF_COUNTERS=1: then, at exit, one line on stderr (the daemon's log):
 *
 *   perf-counters: prog=rpmbd hmacs=N sql=N ipc_sent=N ipc_received=N
 */
#ifndef STMM_EMU_PERF_COUNT_H
#define STMM_EMU_PERF_COUNT_H

#include <stdbool.h>
#include <stdint.h>

enum emu_perf_counter {
	EMU_PERF_HMAC,
	EMU_PERF_SQL,
	EMU_PERF_IPC_SENT,
	EMU_PERF_IPC_RECEIVED,
	EMU_PERF_COUNTERS
};

extern uint64_t emu_perf_counts[EMU_PERF_COUNTERS];

static inline void emu_perf_count(enum emu_perf_counter c)
{
	__atomic_fetch_add(&emu_perf_counts[c], 1, __ATOMIC_RELAXED);
}

/* True when STMM_EMU_PERF_COUNTERS=1 (a module may then install costlier hooks). */
bool emu_perf_count_enabled(void);

#endif
