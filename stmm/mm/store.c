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

#include "bytes.h"
#include "fv.h"
#include "store.h"
#include "store_check.h"

struct store {
	struct store_layout layout;
	struct store_backend backend;
	uint8_t *mirror;      /* the whole region */
	uint8_t *undo;        /* var_store_size bytes: what store_update_bytes overwrote */
	uint8_t *image;       /* var_store_size bytes: the image a reclaim builds */
	uint32_t total;       /* var store + FTW working + FTW spare */
	uint32_t rec_start;   /* first record header */
	uint32_t rec_end;     /* end of the variable store (header + Size) */
	uint32_t free_off;    /* first byte after the last record, <= rec_end */
	uint64_t live_bytes;  /* aligned sizes of the visible records */
	bool ftw_valid;
	bool no_reclaim;      /* store_set_reclaim_enabled(false) */
	uint32_t reclaims;
	struct var_index index;
	bool booting;         /* inside store_open: events go to `boot` */
	struct store_boot_report boot;
};

typedef struct store Store; /* for g_autoptr */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Store, store_free)

#define STATE_OFF ((uint32_t)offsetof(struct authenticated_variable_header, state))
#define VAR_ADDED_IN_TRANSITION ((uint8_t)(VAR_ADDED & VAR_IN_DELETED_TRANSITION))

static int store_load(struct store *s);
static int ftw_recover(struct store *s);

static uint32_t rec_name_size_at(const struct store *s, uint32_t off)
{
	return get_le32(s->mirror + off + offsetof(struct authenticated_variable_header, name_size));
}

static uint32_t rec_data_size_at(const struct store *s, uint32_t off)
{
	return get_le32(s->mirror + off + offsetof(struct authenticated_variable_header, data_size));
}

/* ---- boot report ------------------------------------------------------------------------- */

static struct store_boot_event *boot_event(struct store *s, enum store_boot_event_kind kind)
{
	struct store_boot_event *e;

	if (!s->booting || s->boot.n_events >= STORE_BOOT_MAX_EVENTS)
		return NULL;
	e = &s->boot.events[s->boot.n_events++];
	*e = (struct store_boot_event){ .kind = kind };
	return e;
}

static void boot_event_lost(struct store *s, struct store_boot_event *e, uint32_t from)
{
	uint32_t end = s->layout.var_store_size;

	e->bytes_lost = store_dirty_end(s->mirror, from, end) - from;
	store_count_records_from(s->mirror, from, end, &e->records_lost, &e->variables_lost);
}

static bool bytes_all(const uint8_t *b, size_t len, uint8_t v)
{
	for (size_t i = 0; i < len; i++)
		if (b[i] != v)
			return false;
	return true;
}

/* store_load refused the mirror: say why (the first header problem store_check finds). */
static void boot_note_format(struct store *s)
{
	g_autoptr(GArray) problems = store_problems_new();
	struct store_boot_event *e;

	if (bytes_all(s->mirror, EDK2_FV_HEADER_LENGTH, FV_ERASED_BYTE) ||
	    bytes_all(s->mirror, EDK2_FV_HEADER_LENGTH, 0)) {
		boot_event(s, STORE_BOOT_FORMATTED_EMPTY);
		return;
	}
	e = boot_event(s, STORE_BOOT_FORMATTED);
	if (!e)
		return;
	/* What a store would have held after the headers (OpTeeRpmbFvb's layout). */
	boot_event_lost(s, e, (uint32_t)fv_align(EDK2_FV_HEADER_LENGTH +
						 sizeof(struct variable_store_header)));
	if (store_check(s->mirror, s->total, &s->layout, problems) == 0 && problems->len) {
		const struct store_problem *p = &g_array_index(problems, struct store_problem, 0);
		e->reason = p->code;
		e->offset = p->offset;
		g_strlcpy(e->detail, p->what, sizeof(e->detail));
	} else {
		/* Headers fine one by one but not together (e.g. FvLength vs Size) */
		e->reason = STORE_PROBLEM_STORE_SIZE;
		e->offset = EDK2_FV_HEADER_LENGTH + (uint32_t)offsetof(struct variable_store_header, size);
		g_strlcpy(e->detail, "variable store does not fit the layout", sizeof(e->detail));
	}
}

/* After the record walk: what made it stop before the end, if anything was there. */
static void boot_note_tail(struct store *s)
{
	uint32_t off = s->free_off, dirty, room;
	struct store_boot_event *e;
	struct fv_record rec;
	uint16_t sid;
	int r;

	if (off >= s->rec_end || (dirty = store_dirty_end(s->mirror, off, s->rec_end)) == off)
		return;
	room = s->rec_end - off;
	sid = room >= 2 ? get_le16(s->mirror + off) : 0xffffu;
	r = fv_record_parse(s->mirror, off, s->rec_end, &rec);
	if (r == -EBADMSG || (sid != 0xffffu && room >= FV_RECORD_HEADER_SIZE)) {
		e = boot_event(s, STORE_BOOT_RECORDS_DROPPED);
		if (!e)
			return;
		e->offset = off;
		boot_event_lost(s, e, off);
		if (r == -EBADMSG) {
			e->reason = STORE_PROBLEM_RECORD_OVERRUN;
			g_snprintf(e->detail, sizeof(e->detail),
				   "variable record (NameSize %u, DataSize %u) runs past the end of "
				   "the variable store", rec_name_size_at(s, off), rec_data_size_at(s, off));
		} else {
			e->reason = STORE_PROBLEM_RECORD_START_ID;
			g_snprintf(e->detail, sizeof(e->detail),
				   "variable record StartId 0x%04x (want 0x55aa)", sid);
		}
		return;
	}
	e = boot_event(s, STORE_BOOT_TAIL_ERASED);
	if (!e)
		return;
	while (s->mirror[off] == FV_ERASED_BYTE)
		off++;
	e->offset = off;
	e->bytes_lost = dirty - off;
	g_snprintf(e->detail, sizeof(e->detail), "non-erased bytes after the last record");
}

const struct store_boot_report *store_get_boot_report(const struct store *s)
{
	return &s->boot;
}

bool store_boot_event_is_damage(const struct store_boot_event *e)
{
	return e->kind == STORE_BOOT_FORMATTED || e->kind == STORE_BOOT_RECORDS_DROPPED;
}

char *store_boot_event_message(const struct store_boot_event *e)
{
	switch (e->kind) {
	case STORE_BOOT_FORMATTED_EMPTY:
		return g_strdup("no variable store yet (FV header erased): formatted a new one");
	case STORE_BOOT_FORMATTED:
		return g_strdup_printf("offset 0x%x: %s: variable store reformatted; %u variables "
				       "lost (%u records, %u bytes)", e->offset, e->detail,
				       e->variables_lost, e->records_lost, e->bytes_lost);
	case STORE_BOOT_RECORDS_DROPPED:
		return g_strdup_printf("offset 0x%x: %s: the store ends there; %u variables dropped "
				       "(%u records, %u bytes erased)", e->offset, e->detail,
				       e->variables_lost, e->records_lost, e->bytes_lost);
	case STORE_BOOT_TAIL_ERASED:
		return g_strdup_printf("offset 0x%x: %u bytes left after the last record by an "
				       "interrupted write: erased", e->offset, e->bytes_lost);
	case STORE_BOOT_RECLAIM_COMPLETED:
		return g_strdup_printf("offset 0x%x: an interrupted reclaim was completed from the "
				       "FTW spare area", e->offset);
	case STORE_BOOT_RECLAIM_ABORTED:
		return g_strdup_printf("offset 0x%x: a pending FTW write without a complete spare "
				       "copy was aborted (variable store untouched)", e->offset);
	}
	return g_strdup_printf("unknown store event %d", (int)e->kind);
}

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
	int r;

	g_assert(len <= s->layout.var_store_size);
	memcpy(s->undo, s->mirror + off, len);
	memcpy(s->mirror + off, bytes, len);
	r = store_write_range(s, off, len);
	if (r < 0)
		memcpy(s->mirror + off, s->undo, len);
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

bool store_layout_valid(const struct store_layout *l)
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
	    !store_layout_valid(layout))
		return -EINVAL;
	s = g_new0(struct store, 1);
	s->layout = *layout;
	s->backend = *backend;
	s->total = layout->var_store_size + layout->ftw_working_size + layout->ftw_spare_size;
	s->mirror = g_malloc(s->total);
	s->undo = g_malloc(layout->var_store_size);
	s->image = g_malloc(layout->var_store_size);
	var_index_init(&s->index);
	s->booting = true;

	r = backend->read(backend->ctx, layout->base_offset, s->mirror, s->total);
	if (r < 0)
		return r;
	r = ftw_recover(s);
	if (r < 0)
		return r;
	if (store_load(s) < 0) {
		boot_note_format(s);
		g_debug("no valid variable FV at offset %" G_GUINT64_FORMAT ": formatting %u bytes",
			layout->base_offset, s->total);
		r = store_format(s);
		if (r < 0)
			return r > 0 ? -EIO : r;
		r = store_load(s);
		if (r < 0)
			return r; /* cannot happen: we just wrote a valid store */
	}
	boot_note_tail(s);
	r = store_scrub_tail(s);
	if (r < 0)
		return r;
	s->booting = false;
	*ret_store = g_steal_pointer(&s);
	return 0;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	var_index_clear(&s->index);
	g_free(s->image);
	g_free(s->undo);
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
		.reclaims = s->reclaims,
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
	/* edk2 checks the unaligned size against the store end, then reclaims with the new one. */
	if (raw > s->rec_end - s->free_off)
		return s->no_reclaim ? -ENOSPC : store_reclaim(s, w);
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

	/*
	 * 2. The new record, HEADER_VALID_ONLY: ignored by readers, but its space is used.  It is
	 * built in place after the last record (w->data may lie in the mirror, but only before
	 * free_off); on a failed write the erased bytes come back.
	 */
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
	memcpy(s->undo, s->mirror + new_off, (size_t)raw);
	fv_record_build(s->mirror + new_off, &f);
	r = store_write_range(s, new_off, (uint32_t)raw);
	if (r < 0) {
		memcpy(s->mirror + new_off, s->undo, (size_t)raw);
		return r;
	}
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

/* ---- reclaim through the FTW spare and working areas ---------------------------------------- */

/* Offsets (in the region) of the FTW pieces. */
#define FTW_HDR_SIZE ((uint32_t)sizeof(struct ftw_working_block_header))
#define FTW_WH_SIZE  ((uint32_t)sizeof(struct ftw_write_header))
#define FTW_WR_SIZE  ((uint32_t)sizeof(struct ftw_write_record))

static uint32_t ftw_working_off(const struct store *s)
{
	return s->layout.var_store_size;
}

static uint32_t ftw_spare_off(const struct store *s)
{
	return s->layout.var_store_size + s->layout.ftw_working_size;
}

static uint32_t ftw_write_header_off(const struct store *s)
{
	return ftw_working_off(s) + FTW_HDR_SIZE;
}

static uint32_t ftw_record_off(const struct store *s)
{
	return ftw_write_header_off(s) + FTW_WH_SIZE;
}

/* The FV header length the record's Offset carries (the store header follows it). */
static uint16_t ftw_fv_header_length(const struct store *s)
{
	struct fv_info info;

	if (fv_check_fv_header(s->mirror, s->layout.var_store_size, &info) < 0)
		return EDK2_FV_HEADER_LENGTH;
	return info.header_length;
}

/* Write the first block of the working area (header, write header, record) as it is in RAM. */
static int ftw_write_queue_block(struct store *s)
{
	return store_write_range(s, ftw_working_off(s), STORE_BLOCK_SIZE);
}

/* Clear status bits (flash style: set = 0) of the write header and/or the record. */
static void ftw_set_bits(struct store *s, uint8_t header_bits, uint8_t record_bits)
{
	s->mirror[ftw_write_header_off(s)] &= (uint8_t)~header_bits;
	s->mirror[ftw_record_off(s)] &= (uint8_t)~record_bits;
}

/*
 * Is the write in the queue one of ours, for this layout?  A foreign or torn entry is
 * treated as a write whose spare copy never completed: the variable store is left alone.
 */
static bool ftw_entry_is_ours(const struct store *s)
{
	const efi_guid_t caller = STMM_EMU_FTW_CALLER_GUID;
	const uint8_t *h = s->mirror + ftw_write_header_off(s);
	const uint8_t *rec = s->mirror + ftw_record_off(s);
	uint16_t hlen = ftw_fv_header_length(s);

	return memcmp(h + offsetof(struct ftw_write_header, caller_id), caller.b, 16) == 0 &&
	       get_le64(h + offsetof(struct ftw_write_header, number_of_writes)) == 1 &&
	       get_le64(h + offsetof(struct ftw_write_header, private_data_size)) == 0 &&
	       get_le64(rec + offsetof(struct ftw_write_record, lba)) == 0 &&
	       get_le64(rec + offsetof(struct ftw_write_record, offset)) == hlen &&
	       get_le64(rec + offsetof(struct ftw_write_record, length)) ==
		       s->layout.var_store_size - hlen &&
	       (int64_t)get_le64(rec + offsetof(struct ftw_write_record, relative_offset)) ==
		       -(int64_t)ftw_spare_off(s);
}

/*
 * FTW start-up (edk2 FtwRestart / FtwAbort on the last write): a pending write whose spare
 * copy is complete is flushed spare -> variable store and marked done; one whose spare copy
 * is not is marked done (aborted) — the variable store was never touched.
 */
static int ftw_recover(struct store *s)
{
	const uint32_t wsize = s->layout.ftw_working_size, vsize = s->layout.var_store_size;
	struct store_boot_event *e;
	uint8_t hst, rst;
	int r;

	if (wsize < STORE_BLOCK_SIZE || FTW_HDR_SIZE + FTW_WH_SIZE + FTW_WR_SIZE > STORE_BLOCK_SIZE ||
	    !fv_ftw_header_valid(s->mirror + ftw_working_off(s), wsize))
		return 0;
	hst = s->mirror[ftw_write_header_off(s)];
	rst = s->mirror[ftw_record_off(s)];
	if ((hst & FTW_HEADER_ALLOCATED) || !(hst & FTW_WRITES_COMPLETED))
		return 0; /* no write, or the last one is complete */
	if (!(rst & FTW_RECORD_SPARE_COMPLETED) && (hst & FTW_WRITES_ALLOCATED) == 0 &&
	    s->layout.ftw_spare_size >= vsize && ftw_entry_is_ours(s)) {
		if (rst & FTW_RECORD_DEST_COMPLETED) {
			g_debug("FTW: completing an interrupted reclaim from the spare area");
			memcpy(s->mirror, s->mirror + ftw_spare_off(s), vsize);
			r = store_write_range(s, 0, vsize);
			if (r < 0)
				return r;
			s->reclaims++;
			if ((e = boot_event(s, STORE_BOOT_RECLAIM_COMPLETED)))
				e->offset = ftw_write_header_off(s);
		}
		ftw_set_bits(s, FTW_WRITES_COMPLETED, FTW_RECORD_DEST_COMPLETED);
	} else {
		g_debug("FTW: aborting a write whose spare copy was not complete");
		ftw_set_bits(s, FTW_WRITES_COMPLETED, 0);
		if ((e = boot_event(s, STORE_BOOT_RECLAIM_ABORTED)))
			e->offset = ftw_write_header_off(s);
	}
	return ftw_write_queue_block(s);
}

/* After a failed write: RAM = what the backend holds, as a restart would see it. */
static int store_reload(struct store *s)
{
	g_autofree uint8_t *img = g_malloc(s->total);
	int r = s->backend.read(s->backend.ctx, s->layout.base_offset, img, s->total);

	if (r < 0)
		return r;
	memcpy(s->mirror, img, s->total);
	r = ftw_recover(s);
	if (r < 0)
		return r;
	return store_load(s);
}

/* Append the record at `off` (its aligned span) to the image at *pos, state ADDED. */
static bool image_append_record(const struct store *s, uint8_t *img, uint32_t *pos, uint32_t off)
{
	uint32_t span = store_record_span(s, off);

	if (span == 0 || span > s->rec_end - *pos)
		return false;
	memcpy(img + *pos, s->mirror + off, span);
	img[*pos + STATE_OFF] = VAR_ADDED;
	*pos += span;
	return true;
}

static bool entry_is(const struct var_entry *e, const struct var_write *w)
{
	return w && e->name_size == w->name_size && memcmp(e->guid.b, w->guid.b, 16) == 0 &&
	       memcmp(e->name, w->name, w->name_size) == 0;
}

/* The compacted variable-store image (var_store_size bytes), or -ENOSPC. */
static int reclaim_build_image(const struct store *s, const struct var_write *merge, uint8_t *img)
{
	uint32_t pos = s->rec_start;

	memset(img, FV_ERASED_BYTE, s->layout.var_store_size);
	memcpy(img, s->mirror, s->rec_start); /* FV header, store header (and its padding) */
	/* edk2 Reclaim: every ADDED record first, then lone in-transition copies promoted. */
	for (int pass = 0; pass < 2; pass++) {
		const uint8_t want = pass == 0 ? VAR_ADDED : VAR_ADDED_IN_TRANSITION;

		for (struct var_entry *e = var_index_first(&s->index); e; e = var_index_next(e)) {
			if (s->mirror[e->rec_off + STATE_OFF] != want || entry_is(e, merge))
				continue;
			if (!image_append_record(s, img, &pos, e->rec_off))
				return -ENOSPC;
		}
	}
	if (merge) {
		uint64_t raw = fv_record_raw_size(merge->name_size, merge->data_size);
		const struct fv_record_fields f = {
			.state = VAR_ADDED,
			.attributes = merge->attributes,
			.monotonic_count = merge->monotonic_count,
			.time_stamp = merge->time_stamp,
			.pub_key_index = merge->pub_key_index,
			.guid = merge->guid,
			.name = merge->name,
			.name_size = merge->name_size,
			.data = merge->data,
			.data_size = merge->data_size,
		};

		if (fv_align(raw) > s->rec_end - pos)
			return -ENOSPC;
		fv_record_build(img + pos, &f);
	}
	return 0;
}

int store_reclaim(struct store *s, const struct var_write *merge)
{
	const uint32_t vsize = s->layout.var_store_size, woff = ftw_working_off(s);
	const uint16_t hlen = ftw_fv_header_length(s);
	const efi_guid_t caller = STMM_EMU_FTW_CALLER_GUID;
	uint8_t *img = s ? s->image : NULL, *h, *rec;
	int r;

	if (!s)
		return -EINVAL;
	if (merge && (!merge->name || merge->name_size < 2 || (merge->data_size && !merge->data) ||
		      var_name_size(merge->name, merge->name_size) != merge->name_size))
		return -EINVAL;
	if (s->layout.ftw_spare_size < vsize || s->layout.ftw_working_size < STORE_BLOCK_SIZE)
		return -ENOSPC; /* no room to stage the image: edk2's FTW would refuse too */
	r = reclaim_build_image(s, merge, img);
	if (r < 0)
		return r;

	/* 1. The write, allocated, in the first block of the working area. */
	memset(s->mirror + woff, FV_ERASED_BYTE, STORE_BLOCK_SIZE);
	fv_build_ftw_header(s->mirror + woff, s->layout.ftw_working_size);
	h = s->mirror + ftw_write_header_off(s);
	memcpy(h + offsetof(struct ftw_write_header, caller_id), caller.b, 16);
	put_le64(h + offsetof(struct ftw_write_header, number_of_writes), 1);
	put_le64(h + offsetof(struct ftw_write_header, private_data_size), 0);
	h[0] = (uint8_t)~(FTW_HEADER_ALLOCATED | FTW_WRITES_ALLOCATED);
	rec = s->mirror + ftw_record_off(s);
	put_le64(rec + offsetof(struct ftw_write_record, lba), 0);
	put_le64(rec + offsetof(struct ftw_write_record, offset), hlen);
	put_le64(rec + offsetof(struct ftw_write_record, length), vsize - hlen);
	put_le64(rec + offsetof(struct ftw_write_record, relative_offset),
		 (uint64_t)-(int64_t)ftw_spare_off(s));
	r = ftw_write_queue_block(s);
	/* 2. The image into the spare area. */
	if (r == 0) {
		memcpy(s->mirror + ftw_spare_off(s), img, vsize);
		r = store_write_range(s, ftw_spare_off(s), vsize);
	}
	/* 3. SpareComplete: from here on a restart finishes the job. */
	if (r == 0) {
		ftw_set_bits(s, 0, FTW_RECORD_SPARE_COMPLETED);
		r = ftw_write_queue_block(s);
	}
	/* 4. Spare -> variable store. */
	if (r == 0) {
		memcpy(s->mirror, img, vsize);
		r = store_write_range(s, 0, vsize);
	}
	/* 5. Done. */
	if (r == 0) {
		ftw_set_bits(s, FTW_WRITES_COMPLETED, FTW_RECORD_DEST_COMPLETED);
		r = ftw_write_queue_block(s);
	}
	if (r < 0) {
		int r2 = store_reload(s);
		if (r2 < 0) {
			/* The mirror holds one whole image (old, or new from step 4): index it. */
			g_debug("reload after a failed reclaim: %s", g_strerror(-r2));
			(void)store_load(s);
		}
		return r > 0 ? -EIO : r;
	}
	s->reclaims++;
	return store_load(s);
}

void store_set_reclaim_enabled(struct store *s, bool enabled)
{
	s->no_reclaim = !enabled;
}
