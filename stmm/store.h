/* SPDX-License-Identifier: MIT */
/*
 * The non-volatile variable store in EDK2's on-flash format (include/edk2_store.h):
 * FV header + VARIABLE_STORE_HEADER + 60-byte authenticated variable records, followed by
 * the FTW working and spare areas, kept as a RAM mirror that is loaded once and indexed
 * by (GUID, name).  Every change is written through `store_backend` as whole, aligned
 * 256-byte blocks (one RPMB block each), only the blocks it touched.
 */
#ifndef STMM_EMU_STMM_STORE_H
#define STMM_EMU_STMM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "efi.h"

#define STORE_BLOCK_SIZE 256u

/* Where the bytes live.  off and len are multiples of STORE_BLOCK_SIZE.  0 or -errno. */
struct store_backend {
	void *ctx;
	int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
	int (*write)(void *ctx, uint64_t off, const void *buf, size_t len);
};

struct store_layout {
	uint64_t base_offset;       /* byte offset on the backend */
	uint32_t var_store_size;    /* FV header + variable store: default 16 KiB */
	uint32_t ftw_working_size;  /* default 16 KiB */
	uint32_t ftw_spare_size;    /* default 16 KiB */
};

struct store_stats {
	uint64_t total_size;        /* bytes of the whole region */
	uint64_t variable_space;    /* usable bytes for records */
	uint64_t used;              /* bytes occupied by live (ADDED) records */
	uint64_t free;              /* bytes after the last record */
	uint32_t live_variables;
};

struct store;

/* Load the store from the backend; format it (as OpTeeRpmbFvb does) if it is not valid. */
__attribute__((warn_unused_result)) int store_open(const struct store_layout *layout,
						   const struct store_backend *backend,
						   struct store **ret_store);
void store_free(struct store *store);
void store_get_stats(const struct store *store, struct store_stats *ret_stats);

#endif
