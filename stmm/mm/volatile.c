/* SPDX-License-Identifier: MIT */
/* The volatile variable store (see volatile.h). */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "edk2_store.h"
#include "fv.h"
#include "volatile.h"

struct volatile_store {
	uint64_t capacity;
	uint64_t used;
	struct var_index index;
};

static uint64_t entry_span(const struct var_entry *e)
{
	return fv_align(fv_record_raw_size(e->name_size, e->data_size));
}

int volatile_store_new(uint32_t store_size, struct volatile_store **ret_vs)
{
	struct volatile_store *vs;

	if (!ret_vs || store_size < sizeof(struct variable_store_header))
		return -EINVAL;
	vs = g_new0(struct volatile_store, 1);
	vs->capacity = store_size - sizeof(struct variable_store_header);
	var_index_init(&vs->index);
	*ret_vs = vs;
	return 0;
}

void volatile_store_free(struct volatile_store *vs)
{
	if (!vs)
		return;
	var_index_clear(&vs->index);
	g_free(vs);
}

const struct var_entry *volatile_find(const struct volatile_store *vs, const efi_guid_t *guid,
				      const uint8_t *name, size_t name_size)
{
	return var_index_lookup(&vs->index, guid, name, name_size);
}

const struct var_entry *volatile_first(const struct volatile_store *vs)
{
	return var_index_first(&vs->index);
}

const struct var_entry *volatile_next(const struct volatile_store *vs, const struct var_entry *e)
{
	(void)vs;
	return var_index_next(e);
}

int volatile_set(struct volatile_store *vs, const struct var_write *w)
{
	struct var_entry *e;
	uint64_t others, need;

	if (!w->name || w->name_size < 2 || (w->data_size && !w->data) ||
	    var_name_size(w->name, w->name_size) != w->name_size)
		return -EINVAL;
	e = var_index_lookup(&vs->index, &w->guid, w->name, w->name_size);
	others = vs->used - (e ? entry_span(e) : 0);
	/* edk2 Reclaim(): surviving records + the new one, aligned, must fit the store. */
	need = fv_align(fv_record_raw_size(w->name_size, w->data_size));
	if (need > vs->capacity - others)
		return -ENOSPC;
	/* Copy first: w->data may point at the old value. */
	uint8_t *copy = w->data_size ? g_memdup2(w->data, w->data_size) : NULL;
	if (e) {
		g_free(e->owned_data);
		var_index_move_to_tail(&vs->index, e);
	} else {
		e = var_entry_new(&w->guid, w->name, w->name_size);
		var_index_append(&vs->index, e);
	}
	e->owned_data = copy;
	e->data = e->owned_data;
	e->data_size = w->data_size;
	e->attributes = w->attributes;
	e->monotonic_count = w->monotonic_count;
	e->time_stamp = w->time_stamp;
	e->pub_key_index = w->pub_key_index;
	vs->used = others + need;
	return 0;
}

int volatile_delete(struct volatile_store *vs, const efi_guid_t *guid, const uint8_t *name,
		    size_t name_size)
{
	struct var_entry *e = var_index_lookup(&vs->index, guid, name, name_size);

	if (!e)
		return -ENOENT;
	vs->used -= entry_span(e);
	var_index_remove(&vs->index, e);
	return 0;
}

uint64_t volatile_capacity(const struct volatile_store *vs)
{
	return vs->capacity;
}

uint64_t volatile_used(const struct volatile_store *vs)
{
	return vs->used;
}
