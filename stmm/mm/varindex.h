/* SPDX-License-Identifier: MIT */
/*
 * The in-memory index of live variables shared by the NV store and the volatile store:
 * a GHashTable keyed by (VendorGuid, name) for lookups and a queue in store order for
 * GetNextVariableName (edk2 walks a store in record order; an update appends a new record,
 * so the updated variable moves to the tail).
 *
 * Names are UCS-2LE with their terminating NUL, exactly as edk2 stores them (StrSize).
 */
#ifndef STMM_EMU_STMM_VARINDEX_H
#define STMM_EMU_STMM_VARINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "efi.h"

/* One live variable.  Read-only for users of the stores; valid until the next change. */
struct var_entry {
	efi_guid_t guid;
	uint8_t *name;            /* owned; UCS-2LE incl. NUL */
	uint32_t name_size;       /* bytes incl. NUL */
	uint32_t attributes;
	const uint8_t *data;      /* NV: inside the store's RAM mirror; volatile: owned_data */
	uint32_t data_size;
	uint64_t monotonic_count;
	struct efi_time time_stamp;
	uint32_t pub_key_index;
	/* Bookkeeping of the store that owns the entry. */
	uint8_t *owned_data;      /* freed with the entry */
	uint32_t rec_off;         /* NV: the visible record */
	uint32_t stale_off;       /* NV: an IN_DELETED_TRANSITION copy still to delete, 0 = none */
	GList link;               /* position in the store order; link.data = the entry */
};

/* A variable to write. */
struct var_write {
	efi_guid_t guid;
	const uint8_t *name;      /* UCS-2LE incl. NUL, name_size bytes */
	uint32_t name_size;
	uint32_t attributes;
	const uint8_t *data;
	uint32_t data_size;
	uint64_t monotonic_count;
	struct efi_time time_stamp;
	uint32_t pub_key_index;
};

struct var_index {
	GHashTable *by_key;       /* struct var_entry * -> itself; owns the entries */
	GQueue order;             /* of &entry->link */
};

/*
 * Size in bytes, NUL included, of the UCS-2LE string at `name` looking at no more than
 * `max_bytes` bytes; 0 if no NUL character lies within them.
 */
size_t var_name_size(const uint8_t *name, size_t max_bytes);

void var_index_init(struct var_index *idx);
void var_index_clear(struct var_index *idx);
guint var_index_count(const struct var_index *idx);

/* A new detached entry holding a copy of the name. */
struct var_entry *var_entry_new(const efi_guid_t *guid, const uint8_t *name, uint32_t name_size);

struct var_entry *var_index_lookup(const struct var_index *idx, const efi_guid_t *guid,
				   const uint8_t *name, size_t name_size);
/* Take ownership of `e` (its key must not be present) and put it last. */
void var_index_append(struct var_index *idx, struct var_entry *e);
void var_index_move_to_tail(struct var_index *idx, struct var_entry *e);
/* Remove and free. */
void var_index_remove(struct var_index *idx, struct var_entry *e);
struct var_entry *var_index_first(const struct var_index *idx);
struct var_entry *var_index_next(const struct var_entry *e);

#endif
