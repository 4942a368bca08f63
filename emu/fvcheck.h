/* SPDX-License-Identifier: MIT */
/*
 * Reading what `stmmd --check-fv FILE` printed (the key file of include/fv_check.h) into
 * host terms, for import (cmd_fv.c).  Every key must be there with a value in range.
 */
#ifndef STMM_EMU_EMU_FVCHECK_H
#define STMM_EMU_EMU_FVCHECK_H

#include <stddef.h>
#include <stdint.h>

struct fvcheck_result {
	uint64_t fv_length;
	uint32_t store_size;
	uint32_t records;
	uint32_t live_variables;
	uint64_t bytes_needed;
	uint32_t var_store_size;   /* > 0 */
	uint32_t ftw_working_size; /* > 0 */
	uint32_t ftw_spare_size;   /* > 0 */
};

/*
 * Parse `len` bytes of stmmd's output.  0 and *ret; or -EPROTO (*ret untouched) with
 * *ret_error (g_free) saying what was wrong: not a key file, the group or a key missing,
 * a value that is not a decimal unsigned integer or is out of its range.
 */
__attribute__((warn_unused_result)) int fvcheck_parse(const char *text, size_t len,
						      struct fvcheck_result *ret,
						      char **ret_error);

#endif
