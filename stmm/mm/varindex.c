/* SPDX-License-Identifier: MIT */
/* Index of live variables by (GUID, name) plus store order (see varindex.h). */
#include <string.h>

#include "varindex.h"

#include "efi_util.h"

size_t var_name_size(const uint8_t *name, size_t max_bytes)
{
	for (size_t i = 0; i + 1 < max_bytes; i += 2)
		if (name[i] == 0 && name[i + 1] == 0)
			return i + 2;
	return 0;
}

/* FNV-1a over GUID and name bytes. */
static guint entry_hash(gconstpointer p)
{
	const struct var_entry *e = p;

	return efi_var_key_hash(&e->guid, e->name, e->name_size);
}

static gboolean entry_equal(gconstpointer a, gconstpointer b)
{
	const struct var_entry *x = a, *y = b;

	return efi_var_key_equal(&x->guid, x->name, x->name_size, &y->guid, y->name, y->name_size);
}

static void entry_free(gpointer p)
{
	struct var_entry *e = p;

	if (!e)
		return;
	g_free(e->name);
	g_free(e->owned_data);
	g_free(e);
}

void var_index_init(struct var_index *idx)
{
	idx->by_key = g_hash_table_new_full(entry_hash, entry_equal, entry_free, NULL);
	g_queue_init(&idx->order);
}

void var_index_clear(struct var_index *idx)
{
	if (!idx->by_key)
		return;
	g_queue_init(&idx->order); /* links live inside the entries */
	g_clear_pointer(&idx->by_key, g_hash_table_destroy);
}

guint var_index_count(const struct var_index *idx)
{
	return g_hash_table_size(idx->by_key);
}

struct var_entry *var_entry_new(const efi_guid_t *guid, const uint8_t *name, uint32_t name_size)
{
	struct var_entry *e = g_new0(struct var_entry, 1);

	e->guid = *guid;
	e->name = g_memdup2(name, name_size);
	e->name_size = name_size;
	e->link.data = e;
	return e;
}

struct var_entry *var_index_lookup(const struct var_index *idx, const efi_guid_t *guid,
				   const uint8_t *name, size_t name_size)
{
	struct var_entry key = {
		.guid = *guid,
		.name = (uint8_t *)name, /* only read */
		.name_size = (uint32_t)name_size,
	};

	if (name_size > UINT32_MAX)
		return NULL;
	return g_hash_table_lookup(idx->by_key, &key);
}

void var_index_append(struct var_index *idx, struct var_entry *e)
{
	g_hash_table_add(idx->by_key, e);
	g_queue_push_tail_link(&idx->order, &e->link);
}

void var_index_move_to_tail(struct var_index *idx, struct var_entry *e)
{
	g_queue_unlink(&idx->order, &e->link);
	g_queue_push_tail_link(&idx->order, &e->link);
}

void var_index_remove(struct var_index *idx, struct var_entry *e)
{
	g_queue_unlink(&idx->order, &e->link);
	g_hash_table_remove(idx->by_key, e); /* frees e */
}

struct var_entry *var_index_first(const struct var_index *idx)
{
	return idx->order.head ? idx->order.head->data : NULL;
}

struct var_entry *var_index_next(const struct var_entry *e)
{
	return e->link.next ? e->link.next->data : NULL;
}
