/* SPDX-License-Identifier: MIT */
/*
 * What every harness in tests/fuzz needs: the libFuzzer entry point's prototype and a
 * log writer that drops everything (the modules log peer errors at debug/info/warning;
 * at fuzzing speed that is noise and time).  Header-only, one harness = one TU.
 */
#ifndef STMM_EMU_TEST_FUZZ_H
#define STMM_EMU_TEST_FUZZ_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static GLogWriterOutput fuzz_log_drop(GLogLevelFlags level, const GLogField *fields,
				      gsize n_fields, gpointer user_data)
{
	(void)fields;
	(void)n_fields;
	(void)user_data;
	if (level & G_LOG_FLAG_FATAL)
		return G_LOG_WRITER_UNHANDLED; /* g_error still aborts: a finding */
	return G_LOG_WRITER_HANDLED;
}

/* Once per process, before the first input. */
static inline void fuzz_quiet(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	if (!g_getenv("FUZZ_LOG"))
		g_log_set_writer_func(fuzz_log_drop, NULL, NULL);
}

/* Reset per-harness state every this many inputs (state persists between inputs). */
#define FUZZ_RESET_EVERY 1000u

#endif
