/* SPDX-License-Identifier: MIT */
/*
 * fuzz_fv: one input = an EDK2 FV variable store image, read as the emulator reads one:
 *   - as `stmm-emu` import reads a foreign store (fvimage_parse), and for a parsed one the
 *     export back (fvimage_build with the emulator's default layout) which must parse
 *     again to the same variables;
 *   - as `store check` validates a region (store_check over OP-TEE's 48 KiB layout: the
 *     input cut or padded with erased 0xff bytes);
 *   - as StMM boots on it (store_open over the in-memory flash of the unit tests,
 *     tests/unit/test_stmm_membackend.h: FTW recovery, FV check or format), then a walk of
 *     the live variables and a reclaim.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fv.h"
#include "fvimage.h"
#include "store.h"
#include "store_check.h"
#include "test_stmm_membackend.h"

static void import_export(const uint8_t *data, size_t size)
{
	g_autoptr(fvimage) img = NULL;
	g_autoptr(fvimage) again = NULL;
	g_autofree char *why = NULL;
	g_autofree char *why2 = NULL;
	g_autofree uint8_t *out = NULL;
	struct fvimage_layout l;
	size_t out_len;

	if (fvimage_parse(data, size, &img, &why) < 0)
		return;
	const struct fv_record_fields *vars = (const void *)img->vars->data;
	fvimage_default_layout(fvimage_bytes_needed(vars, img->vars->len), &l);
	if (fvimage_build(&l, vars, img->vars->len, &out, &out_len) < 0)
		return;
	if (fvimage_parse(out, out_len, &again, &why2) < 0 || again->vars->len != img->vars->len) {
		fprintf(stderr, "fuzz_fv: export of a parsed store does not parse back: %s\n",
			why2 ? why2 : "variable count differs");
		abort();
	}
}

static void check_and_boot(const uint8_t *data, size_t size)
{
	struct store_layout l = default_layout();
	struct membackend *m = membackend_new(DEFAULT_REGION_SIZE, 0xff);
	struct store_backend be = membackend_ops(m);
	struct store *s = NULL;

	memcpy(m->buf, data, MIN(size, (size_t)DEFAULT_REGION_SIZE));
	GArray *problems = store_problems_new();
	if (store_check(m->buf, m->size, &l, problems) < 0)
		abort(); /* the layout is OP-TEE's: always usable */
	g_array_unref(problems);

	if (store_open(&l, &be, &s) == 0) {
		unsigned n = 0;
		for (const struct var_entry *e = store_first(s); e; e = store_next(s, e))
			n++;
		struct store_stats st;
		store_get_stats(s, &st);
		if (st.live_variables != n) {
			fprintf(stderr, "fuzz_fv: %u live variables counted, stats say %u\n", n,
				st.live_variables);
			abort();
		}
		int r = store_reclaim(s, NULL); /* any outcome will do; memory safety is checked */
		(void)r;
		store_free(s);
	}
	membackend_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_quiet();
	import_export(data, size);
	check_and_boot(data, size);
	return 0;
}
