/* SPDX-License-Identifier: MIT */
/*
 * fuzz_trace: one input = a trace file (include/emu_trace.h) as `stmm-emu trace` reads it:
 * the reader (lib/trace.c) walks every record, bounded on every length, and the decoder
 * (emu/trace_decode.c) turns each into items of a known layer with a summary — with and
 * without an RPMB key to verify MACs with.  A bad record ends the walk with an error text.
 */
#include <stdlib.h>
#include <string.h>

#include "emu_trace.h"
#include "fuzz.h"
#include "trace.h"
#include "trace_decode.h"

static void walk(const uint8_t *data, size_t size, const uint8_t *key)
{
	struct emu_trace_reader *r = NULL;
	char *error = NULL;

	if (emu_trace_reader_new(data, size, &r, &error) < 0) {
		if (!error)
			abort();
		g_free(error);
		return;
	}
	struct trace_dec *d = trace_dec_new(key);
	struct emu_trace_rec rec;
	const uint8_t *rdata;
	int n;
	while ((n = emu_trace_reader_next(r, &rec, &rdata)) == 1) {
		if (rec.length > EMU_TRACE_MAX_DATA)
			abort();
		GPtrArray *items = trace_dec_record(d, &rec, rdata);
		for (guint i = 0; items && i < items->len; i++) {
			const struct trace_item *it = g_ptr_array_index(items, i);
			if (!it->layer || !it->text || !it->fields)
				abort();
		}
		if (items)
			g_ptr_array_unref(items);
	}
	if (n < 0 && !emu_trace_reader_error(r))
		abort();
	trace_dec_free(d);
	emu_trace_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[32] = { 0xd3, 0xeb, 0x3e, 0xc3 }; /* any key: MAC paths run */

	fuzz_quiet();
	walk(data, size, NULL);
	walk(data, size, key);
	return 0;
}
