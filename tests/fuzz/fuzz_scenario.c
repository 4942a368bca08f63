/* SPDX-License-Identifier: MIT */
/*
 * fuzz_scenario: one input = the text of a scenario file (emu/scenario/scenario.h), as
 * `stmm-emu scenario` reads it: scenario_parse either refuses it with a "FILE:LINE: why"
 * message or returns steps that hold what the runner relies on (a verb, NULL-terminated
 * words, a line within the file, an expectation of a known kind).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scenario *s = NULL;
	GString *err = g_string_new("");
	unsigned lines = 1;

	fuzz_quiet();
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	int r = scenario_parse("fuzz.scen", (const char *)data, size, &s, err);
	if (r == 0) {
		if (!s || !s->steps->len || !s->name || !s->source || !s->pins)
			abort();
		for (guint i = 0; i < s->steps->len; i++) {
			const struct scen_step *st = g_ptr_array_index(s->steps, i);
			if (st->line < 1 || st->line > lines || !st->argv || !st->text ||
			    st->expect.kind > SCEN_EXPECT_LACKS)
				abort();
			for (char **w = st->argv; *w; w++)
				(void)strlen(*w);
			if ((st->expect.kind == SCEN_EXPECT_JSON && !st->expect.path) ||
			    ((st->expect.kind == SCEN_EXPECT_CONTAINS ||
			      st->expect.kind == SCEN_EXPECT_LACKS) && !st->expect.value))
				abort();
		}
		scenario_free(s);
	} else if (r != -EINVAL || s || strncmp(err->str, "fuzz.scen", 9) != 0) {
		abort(); /* a refusal names the file (and the line) */
	}
	g_string_free(err, TRUE);
	return 0;
}
