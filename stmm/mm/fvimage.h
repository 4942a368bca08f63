/* SPDX-License-Identifier: MIT */
/*
 * Whole EDK2 variable FV images, in and out: parse a foreign variable file (OVMF_VARS*.fd,
 * AAVMF_VARS*.fd) into its live variables, and build a fresh, compacted FV from live
 * variables for a layout (the emulator's own or OVMF's).  Pure functions on byte buffers;
 * the record format itself is fv.h's.
 *
 * Live as edk2 sees a store (FindVariableEx): a record whose state is exactly VAR_ADDED, or
 * VAR_ADDED & VAR_IN_DELETED_TRANSITION when no VAR_ADDED copy of the same (GUID, name)
 * exists; the first ADDED copy wins, else the last in-transition copy.  Other states
 * (HEADER_VALID_ONLY, DELETED, anything else) are history.  The walk ends at the first
 * header whose StartId is not 0x55AA.  The live variables keep their store order (the
 * offset of the winning record), so export -> import -> export gives the same bytes.
 */
#ifndef STMM_EMU_STMM_FVIMAGE_H
#define STMM_EMU_STMM_FVIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "fv.h"

/*
 * Where the parts of a variable FV sit, from its start: [0, var_store_size) FV header +
 * variable store; gap_size erased bytes (OVMF's NV_EVENT_LOG); the FTW working area; the
 * FTW spare area.  FvLength is the sum.  The emulator's store has gap_size 0.
 */
struct fvimage_layout {
	uint32_t var_store_size;
	uint32_t gap_size;
	uint32_t ftw_working_size;
	uint32_t ftw_spare_size;
};

static inline uint64_t fvimage_layout_total(const struct fvimage_layout *l)
{
	return (uint64_t)l->var_store_size + l->gap_size + l->ftw_working_size + l->ftw_spare_size;
}

/* A parsed foreign store: its live variables (fields point into the parsed buffer). */
struct fvimage {
	GArray *vars;          /* struct fv_record_fields, store order, state VAR_ADDED */
	uint32_t records;      /* record headers walked (live and history) */
	uint64_t fv_length;    /* FvLength of the input */
	uint32_t store_size;   /* VARIABLE_STORE_HEADER.Size of the input */
	uint32_t end_of_records; /* offset after the last record in the input */
};

void fvimage_free(struct fvimage *img);
typedef struct fvimage fvimage;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(fvimage, fvimage_free)

/*
 * Parse and fully validate an FV variable store at the start of `buf` (len bytes; may be
 * longer than the FV, e.g. a 64 MiB AAVMF flash image).  0 and *ret_img (borrowing `buf`,
 * which must outlive it), or -EINVAL with *ret_error (g_free) saying at which offset what
 * was wrong: not an FV, bad header checksum, not a variable FV, FV longer than the file,
 * bad store signature / format / state / size, a record running past the store end, a
 * live record with a name that is not a NUL-terminated UCS-2 string.
 */
__attribute__((warn_unused_result)) int fvimage_parse(const uint8_t *buf, size_t len,
						      struct fvimage **ret_img, char **ret_error);

/* Bytes of the variable-store part (FV header, store header, aligned records) for vars. */
uint64_t fvimage_bytes_needed(const struct fv_record_fields *vars, size_t n);

/*
 * The emulator's layout for a store holding `needed` bytes (fvimage_bytes_needed): OP-TEE's
 * 16 KiB store when that leaves at least 16 KiB free, else the smallest multiple of 4 KiB
 * that does; FTW working 16 KiB; FTW spare = the store size (a reclaim rewrites the whole
 * store through the spare).  No gap.
 */
void fvimage_default_layout(uint64_t needed, struct fvimage_layout *ret_layout);

/*
 * OVMF's layout for an FV of fv_size bytes (OvmfPkg VarStore.fdf.inc: 2 MiB build 0x20000,
 * 4 MiB build 0x84000): spare = fv_size / 2, the store = fv_size / 2 - 8 KiB, then a 4 KiB
 * gap and a 4 KiB FTW working area.  -EINVAL unless fv_size is a multiple of 8 KiB and at
 * least 32 KiB.
 */
__attribute__((warn_unused_result)) int fvimage_ovmf_layout(uint64_t fv_size,
							    struct fvimage_layout *ret_layout);

/* Sizes multiple of 256, total a multiple of 4 KiB (block map), room for the headers. */
bool fvimage_layout_valid(const struct fvimage_layout *l);

/*
 * A fresh FV for `l` holding `vars` (in that order, each VAR_ADDED): FV header with block
 * map and checksum, store header, records, erased free space and gap, a valid FTW working
 * block header, an erased spare.  0 and *ret_buf and *ret_len (g_free); -EINVAL for a bad
 * layout; -ENOSPC when the records do not fit the store.
 */
__attribute__((warn_unused_result)) int fvimage_build(const struct fvimage_layout *l,
						      const struct fv_record_fields *vars, size_t n,
						      uint8_t **ret_buf, size_t *ret_len);

#endif
