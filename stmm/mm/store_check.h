/* SPDX-License-Identifier: MIT */
/*
 * Offline validation of a whole NV store region (variable FV + FTW working + FTW spare, as
 * struct store_layout places them) in EDK2's on-flash format: every problem with its offset
 * in the region, without changing anything.  What store_open would do with the same bytes
 * (format, drop records) is what the problems predict.
 *
 *   stmmd --check-store FILE [--var-store-size N --ftw-working-size N --ftw-spare-size N]
 *
 * prints one line per problem, "offset 0x1234: what", and exits 0 (clean), 1 (problems) or
 * 2 (the file could not be read or the layout is unusable).
 */
#ifndef STMM_EMU_STMM_STORE_CHECK_H
#define STMM_EMU_STMM_STORE_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <glib.h>

#include "store.h"

struct store_problem {
	uint32_t offset;                /* in the region */
	enum store_problem_code code;
	char *what;                     /* one line, no offset */
};

/* Short name of a code ("fv-signature", "record-start-id", ...). */
const char *store_problem_code_name(enum store_problem_code code);

/*
 * Validate `len` bytes of region (offset 0 = the FV header) laid out as `layout`
 * (base_offset ignored).  Appends a struct store_problem per problem to `problems` (made
 * with store_problems_new()), in offset order within each area.  0, or -EINVAL if the
 * layout is unusable or len is not the layout's total.
 */
__attribute__((warn_unused_result)) int store_check(const uint8_t *region, size_t len,
						    const struct store_layout *layout,
						    GArray *problems);
/* A GArray of struct store_problem that frees their `what` strings. */
GArray *store_problems_new(void);

/* Helpers shared with store_open's boot report. */
/* One past the last non-erased byte in [from, to), or `from` if all are erased. */
uint32_t store_dirty_end(const uint8_t *region, uint32_t from, uint32_t to);
/* A record State reachable from erased by edk2's transitions. */
bool store_record_state_valid(uint8_t state);
/*
 * Records recognisable from `off` (4-byte aligned) to `end`: the header at `off` whatever its
 * StartId, then headers with StartId 0x55AA, chained by their sizes (resynchronising on
 * 4-byte steps where a header does not parse).  *ret_live: those ADDED or ADDED and
 * IN_DELETED_TRANSITION.  A count, not a proof: data may look like a header.
 */
void store_count_records_from(const uint8_t *region, uint32_t off, uint32_t end,
			      uint32_t *ret_records, uint32_t *ret_live);

/* --check-store: read `path` (the region), check it, print the problems.  Exit status. */
int store_check_main(const char *path, int64_t var_store_size, int64_t ftw_working_size,
		     int64_t ftw_spare_size, FILE *out, FILE *err);

#endif
