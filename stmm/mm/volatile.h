/* SPDX-License-Identifier: MIT */
/*
 * The volatile variable store: variables without EFI_VARIABLE_NON_VOLATILE, kept in RAM
 * only, with edk2's space accounting for a volatile store of PcdVariableStoreSize bytes
 * (a 28-byte store header, then 60-byte headers + name + data, each 4-byte aligned).
 * edk2 reclaims the volatile store whenever it is full, at any time, so only the visible
 * variables count against it.
 */
#ifndef STMM_EMU_STMM_VOLATILE_H
#define STMM_EMU_STMM_VOLATILE_H

#include <stddef.h>
#include <stdint.h>

#include "varindex.h"

struct volatile_store;

/* store_size = PcdVariableStoreSize.  0 or -EINVAL. */
__attribute__((warn_unused_result)) int volatile_store_new(uint32_t store_size,
							   struct volatile_store **ret_vs);
void volatile_store_free(struct volatile_store *vs);

const struct var_entry *volatile_find(const struct volatile_store *vs, const efi_guid_t *guid,
				      const uint8_t *name, size_t name_size);
const struct var_entry *volatile_first(const struct volatile_store *vs);
const struct var_entry *volatile_next(const struct volatile_store *vs, const struct var_entry *e);

/* Create or replace.  0, -ENOSPC (store full even after reclaim), -EINVAL. */
__attribute__((warn_unused_result)) int volatile_set(struct volatile_store *vs,
						     const struct var_write *w);
/* 0 or -ENOENT. */
__attribute__((warn_unused_result)) int volatile_delete(struct volatile_store *vs,
							const efi_guid_t *guid, const uint8_t *name,
							size_t name_size);

/* Space for records (store size - store header) and what the visible variables use. */
uint64_t volatile_capacity(const struct volatile_store *vs);
uint64_t volatile_used(const struct volatile_store *vs);

#endif
