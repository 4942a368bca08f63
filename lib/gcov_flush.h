/* SPDX-License-Identifier: MIT */
/* Before an _exit() that simulates a crash or a power cut: write the gcc --coverage counts
 * that exit() would have written (make coverage builds with -DSTMM_EMU_COVERAGE; libgcov's
 * __gcov_dump, gcc >= 11).  A no-op in every other build. */
#ifndef STMM_EMU_GCOV_FLUSH_H
#define STMM_EMU_GCOV_FLUSH_H

#ifdef STMM_EMU_COVERAGE
void __gcov_dump(void);
#endif

static inline void gcov_flush_before_exit(void)
{
#ifdef STMM_EMU_COVERAGE
	__gcov_dump();
#endif
}

#endif
