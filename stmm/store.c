/* SPDX-License-Identifier: MIT */
/*
 * The NV variable store: a RAM mirror of the EDK2 variable FV (+ FTW areas) loaded once,
 * indexed by (GUID, name), and changed only through whole 256-byte block writes of the
 * blocks a step touched.  Invariant: after every public call the mirror equals what the
 * backend holds (a failed write is undone in RAM).
 *
 * Record states on load follow edk2 (FindVariableEx): a record is visible if its state is
 * exactly VAR_ADDED, or exactly VAR_ADDED & VAR_IN_DELETED_TRANSITION when no ADDED copy
 * of the same variable exists; the first ADDED copy wins, the last in-transition copy
 * wins.  Anything else (HEADER_VALID_ONLY, DELETED, erased) is skipped; the walk stops at
 * the first header whose StartId is not 0x55AA.
 */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "fv.h"
#include "store.h"

struct store {
	struct store_layout layout;
	struct store_backend backend;
	uint8_t *mirror;      /* the whole region */
	uint32_t total;       /* var store + FTW working + FTW spare */
	uint32_t rec_start;   /* first record header */
	uint32_t rec_end;     /* end of the variable store (header + Size) */
	uint32_t free_off;    /* first byte after the last record, <= rec_end */
	uint64_t live_bytes;  /* aligned sizes of the visible records */
	bool ftw_valid;
	struct var_index index;
};

typedef struct store Store; /* for g_autoptr */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Store, store_free)

#define STATE_OFF ((uint32_t)offsetof(struct authenticated_variable_header, state))
#define VAR_ADDED_IN_TRANSITION ((uint8_t)(VAR_ADDED & VAR_IN_DELETED_TRANSITION))

/* ---- block I/O ----------------------------------------------------------------------- */

/* Write the blocks covering [off, off + len) of the mirror. */
static int store_write_range(struct store *s, uint32_t off, uint32_t len)
{
	uint32_t first = off / STORE_BLOCK_SIZE * STORE_BLOCK_SIZE;
	uint32_t last = (off + len + STORE_BLOCK_SIZE - 1) / STORE_BLOCK_SIZE * STORE_BLOCK_SIZE;
	int r;

	if (len == 0)
		return 0;
	r = s->backend.write(s->backend.ctx, s->layout.base_offset + first, s->mirror + first,
			     last - first);
	if (r > 0)
		r = -EIO;
	return r;
}

/* Put `len` bytes at `off` and write the touched blocks; on failure RAM is restored. */
static int store_update_bytes(struct store *s, uint32_t off, const uint8_t *bytes, uint32_t len)
{
	g_autofree uint8_t *saved = g_memdup2(s->mirror + off, len);
	int r;

	memcpy(s->mirror + off, bytes, len);
	r = store_write_range(s, off, len);
	if (r < 0)
		memcpy(s->mirror + off, saved, len);
	return r;
}

/* Set the state byte of the record at `off` (no write if unchanged). */
static int store_set_state(struct store *s, uint32_t off, uint8_t state)
{
	if (s->mirror[off + STATE_OFF] == state)
		return 0;
	return store_update_bytes(s, off + STATE_OFF, &state, 1);
}

static int store_and_state(struct store *s, uint32_t off, uint8_t mask)
{
	return store_set_state(s, off, (uint8_t)(s->mirror[off + STATE_OFF] & mask));
}

/* Aligned size of the record at `off` (as edk2 counts it: next header - this header). */
static uint32_t store_record_span(const struct store *s, uint32_t off)
{
	struct fv_record rec;

	if (fv_record_parse(s->mirror, off, s->rec_end, &rec) < 0)
		return 0;
	return rec.next_off - off;
}

/* ---- load / format --------------------------------------------------------------------- */

static void entry_fill_from_record(const struct store *s, struct var_entry *e,
				   const struct fv_record *rec)
{
	e->attributes = rec->attributes;
	e->data = s->mirror + rec->data_off;
	e->data_size = rec->data_size;
	e->monotonic_count = rec->monotonic_count;
	e->time_stamp = rec->time_stamp;
	e->pub_key_index = rec->pub_key_index;
	e->rec_off = rec->off;
}

static void store_index_record(struct store *s, const struct fv_record *rec)
{
	bool in_transition = rec->state != VAR_ADDED;
	size_t nsz = var_name_size(s->mirror + rec->name_off, rec->name_size);
	struct var_entry *e;

	/* A record without a NUL-terminated name cannot be addressed (edk2 asserts). */
	if (nsz < 2)
		return;
	e = var_index_lookup(&s->index, &rec->guid, s->mirror + rec->name_off, nsz);
	if (!e) {
		e = var_entry_new(&rec->guid, s->mirror + rec->name_off, (uint32_t)nsz);
		entry_fill_from_record(s, e, rec);
		var_index_append(&s->index, e);
		s->live_bytes += rec->next_off - rec->off;
		return;
	}
	bool e_in_transition = s->mirror[e->rec_off + STATE_OFF] != VAR_ADDED;
	if (!in_transition && !e_in_transition)
		return; /* two ADDED copies: edk2 finds the first one */
	if (in_transition && !e_in_transition) {
		if (!e->stale_off)
			e->stale_off = rec->off;
		return;
	}
	/* ADDED after an in-transition copy, or a later in-transition copy: this one wins. */
	e->stale_off = e->rec_off;
	s->live_bytes -= store_record_span(s, e->rec_off);
	entry_fill_from_record(s, e, rec);
	var_index_move_to_tail(&s->index, e);
	s->live_bytes += rec->next_off - rec->off;
}

static void store_build_index(struct store *s)
{
	uint32_t off = s->rec_start;
	struct fv_record rec;

	while (off < s->rec_end && fv_record_parse(s->mirror, off, s->rec_end, &rec) == 0) {
		if (rec.state == VAR_ADDED || rec.state == VAR_ADDED_IN_TRANSITION)
			store_index_record(s, &rec);
		off = rec.next_off;
	}
	s->free_off = MIN(off, s->rec_end);
}

/* Validate the FV and store headers and index the records.  -EINVAL if not a valid store. */
static int store_load(struct store *s)
{
	uint32_t vsize = s->layout.var_store_size, size;
	struct fv_info info;

	if (fv_check_fv_header(s->mirror, vsize, &info) < 0 || info.fv_length != s->total)
		return -EINVAL;
	if (fv_check_store_header(s->mirror + info.header_length, vsize - info.header_length,
				  &size) < 0 ||
	    info.header_length + size != vsize)
		return -EINVAL;
	s->rec_start = (uint32_t)fv_align(info.header_length + sizeof(struct variable_store_header));
	s->rec_end = vsize;
	if (s->rec_start + FV_RECORD_HEADER_SIZE > s->rec_end)
		return -EINVAL;
	s->ftw_valid = fv_ftw_header_valid(s->mirror + vsize, s->layout.ftw_working_size);
	var_index_clear(&s->index);
	var_index_init(&s->index);
	s->live_bytes = 0;
	store_build_index(s);
	return 0;
}

/*
 * Format as OpTeeRpmbFvb does: the whole region erased, then the FV header and the variable
 * store header.  The FTW working block header (which edk2's FTW driver would write on its
 * first start) goes out with the erase, so a valid FV header implies it.
 */
static int store_format(struct store *s)
{
	uint8_t *m = s->mirror;
	int r;

	memset(m, FV_ERASED_BYTE, s->total);
	fv_build_ftw_header(m + s->layout.var_store_size, s->layout.ftw_working_size);
	r = store_write_range(s, 0, s->total);
	if (r < 0)
		return r;
	fv_build_fv_header(m, s->total);
	fv_build_store_header(m + EDK2_FV_HEADER_LENGTH,
			      s->layout.var_store_size - EDK2_FV_HEADER_LENGTH);
	return store_write_range(s, 0, EDK2_FV_HEADER_LENGTH + sizeof(struct variable_store_header));
}

/*
 * Bytes after the last record must be erased, or a later append would be followed by
 * leftovers that parse as records.  edk2 reclaims in that case; we erase the dirty blocks.
 */
static int store_scrub_tail(struct store *s)
{
	for (uint32_t b = s->free_off / STORE_BLOCK_SIZE * STORE_BLOCK_SIZE; b < s->rec_end;
	     b += STORE_BLOCK_SIZE) {
		uint32_t from = MAX(b, s->free_off), to = MIN(b + STORE_BLOCK_SIZE, s->rec_end);
		bool dirty = false;

		for (uint32_t i = from; i < to && !dirty; i++)
			dirty = s->mirror[i] != FV_ERASED_BYTE;
		if (!dirty)
			continue;
		g_debug("erasing leftovers after the last record at 0x%x", from);
		memset(s->mirror + from, FV_ERASED_BYTE, to - from);
		int r = store_write_range(s, from, to - from);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool layout_valid(const struct store_layout *l)
{
	uint64_t total = (uint64_t)l->var_store_size + l->ftw_working_size + l->ftw_spare_size;

	return l->base_offset % STORE_BLOCK_SIZE == 0 && l->var_store_size % STORE_BLOCK_SIZE == 0 &&
	       l->ftw_working_size % STORE_BLOCK_SIZE == 0 &&
	       l->ftw_spare_size % STORE_BLOCK_SIZE == 0 &&
	       l->var_store_size >= EDK2_FV_HEADER_LENGTH + sizeof(struct variable_store_header) +
					    FV_RECORD_HEADER_SIZE &&
	       l->ftw_working_size >= sizeof(struct ftw_working_block_header) &&
	       total % STMM_FV_BLOCK_SIZE == 0 && total <= UINT32_MAX / 2;
}

int store_open(const struct store_layout *layout, const struct store_backend *backend,
	       struct store **ret_store)
{
	g_autoptr(Store) s = NULL;
	int r;

	if (!layout || !backend || !backend->read || !backend->write || !ret_store ||
	    !layout_valid(layout))
		return -EINVAL;
	s = g_new0(struct store, 1);
	s->layout = *layout;
	s->backend = *backend;
	s->total = layout->var_store_size + layout->ftw_working_size + layout->ftw_spare_size;
	s->mirror = g_malloc(s->total);
	var_index_init(&s->index);

	r = backend->read(backend->ctx, layout->base_offset, s->mirror, s->total);
	if (r < 0)
		return r;
	if (store_load(s) < 0) {
		g_debug("no valid variable FV at offset %" G_GUINT64_FORMAT ": formatting %u bytes",
			layout->base_offset, s->total);
		r = store_format(s);
		if (r < 0)
			return r > 0 ? -EIO : r;
		r = store_load(s);
		if (r < 0)
			return r; /* cannot happen: we just wrote a valid store */
	}
	r = store_scrub_tail(s);
	if (r < 0)
		return r;
	*ret_store = g_steal_pointer(&s);
	return 0;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	var_index_clear(&s->index);
	g_free(s->mirror);
	g_free(s);
}

void store_get_stats(const struct store *s, struct store_stats *ret_stats)
{
	*ret_stats = (struct store_stats){
		.total_size = s->total,
		.variable_space = s->rec_end - s->rec_start,
		.used = s->live_bytes,
		.free = s->rec_end - s->free_off,
		.live_variables = var_index_count(&s->index),
		.region_offset = s->free_off,
		.ftw_working_valid = s->ftw_valid,
	};
}

/* ---- lookups ----------------------------------------------------------------------------- */

const struct var_entry *store_find(const struct store *s, const efi_guid_t *guid,
				   const uint8_t *name, size_t name_size)
{
	return var_index_lookup(&s->index, guid, name, name_size);
}

const struct var_entry *store_first(const struct store *s)
{
	return var_index_first(&s->index);
}

const struct var_entry *store_next(const struct store *s, const struct var_entry *e)
{
	(void)s;
	return var_index_next(e);
}

/* ---- changes ----------------------------------------------------------------------------- */

int store_set(struct store *s, const struct var_write *w)
{
	struct var_entry *e;
	uint64_t raw;
	uint32_t new_off, old_off = 0, prev_stale = 0;
	int r;

	if (!w->name || w->name_size < 2 || (w->data_size && !w->data) ||
	    var_name_size(w->name, w->name_size) != w->name_size)
		return -EINVAL;
	raw = fv_record_raw_size(w->name_size, w->data_size);
	/* edk2 checks the unaligned size against the store end; reclaim would go here. */
	if (raw > s->rec_end - s->free_off)
		return -ENOSPC;
	e = var_index_lookup(&s->index, &w->guid, w->name, w->name_size);
	new_off = s->free_off;

	/* 1. The visible copy goes IN_DELETED_TRANSITION: still visible while no ADDED copy. */
	if (e) {
		old_off = e->rec_off;
		prev_stale = e->stale_off;
		r = store_and_state(s, old_off, VAR_IN_DELETED_TRANSITION);
		if (r < 0)
			return r;
	}

	/* 2. The new record, HEADER_VALID_ONLY: ignored by readers, but its space is used. */
	g_autofree uint8_t *rec = g_malloc((size_t)raw);
	const struct fv_record_fields f = {
		.state = VAR_HEADER_VALID_ONLY,
		.attributes = w->attributes,
		.monotonic_count = w->monotonic_count,
		.time_stamp = w->time_stamp,
		.pub_key_index = w->pub_key_index,
		.guid = w->guid,
		.name = w->name,
		.name_size = w->name_size,
		.data = w->data,
		.data_size = w->data_size,
	};
	fv_record_build(rec, &f);
	r = store_update_bytes(s, new_off, rec, (uint32_t)raw);
	if (r < 0)
		return r;
	s->free_off = (uint32_t)MIN(fv_align(new_off + raw), s->rec_end);

	/* 3. ADDED: the commit point. */
	r = store_set_state(s, new_off, VAR_ADDED);
	if (r < 0)
		return r;

	if (e) {
		s->live_bytes -= store_record_span(s, old_off);
		var_index_move_to_tail(&s->index, e);
	} else {
		e = var_entry_new(&w->guid, w->name, w->name_size);
		var_index_append(&s->index, e);
	}
	e->attributes = w->attributes;
	e->data = s->mirror + new_off + FV_RECORD_HEADER_SIZE + w->name_size;
	e->data_size = w->data_size;
	e->monotonic_count = w->monotonic_count;
	e->time_stamp = w->time_stamp;
	e->pub_key_index = w->pub_key_index;
	e->rec_off = new_off;
	e->stale_off = old_off;
	s->live_bytes += fv_align(raw);

	/*
	 * 4. Old copies DELETED (an older in-transition copy first, as edk2 does).  A failure
	 * here leaves the new value committed and the old copy hidden; it is retried on the
	 * next change of this variable.
	 */
	if (prev_stale) {
		r = store_and_state(s, prev_stale, VAR_DELETED);
		if (r < 0)
			return r;
	}
	if (old_off) {
		r = store_and_state(s, old_off, VAR_DELETED);
		if (r < 0)
			return r;
	}
	e->stale_off = 0;
	return 0;
}

int store_delete(struct store *s, const efi_guid_t *guid, const uint8_t *name, size_t name_size)
{
	struct var_entry *e = var_index_lookup(&s->index, guid, name, name_size);
	int r;

	if (!e)
		return -ENOENT;
	if (e->stale_off) {
		r = store_and_state(s, e->stale_off, VAR_DELETED);
		if (r < 0)
			return r;
		e->stale_off = 0;
	}
	r = store_and_state(s, e->rec_off, VAR_DELETED);
	if (r < 0)
		return r;
	s->live_bytes -= store_record_span(s, e->rec_off);
	var_index_remove(&s->index, e);
	return 0;
}
