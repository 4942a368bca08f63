/* SPDX-License-Identifier: MIT */
/* The EDK2 FV store: format, parse, edk2 state resolution, block writes, fault injection. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "bytes.h"
#include "efi_util.h"
#include "fv.h"
#include "store.h"
#include "test_skip.h"
#include "test_stmm_membackend.h"

#define OVMF_VARS    "/usr/share/OVMF/OVMF_VARS_4M.fd"
#define OVMF_VARS_MS "/usr/share/OVMF/OVMF_VARS_4M.ms.fd"

static const efi_guid_t guid_a = EFI_GLOBAL_VARIABLE_GUID;
static const efi_guid_t guid_b =
	EFI_GUID_INIT(0x12345678, 0x1234, 0x5678, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x02, 0x03, 0x04);

static void assert_stats_equal(const struct store_stats *a, const struct store_stats *b);
static void assert_ram_matches_flash(struct store *s, struct membackend *m);

/* UCS-2 name from ASCII (g_free). */
static uint8_t *u16(const char *s, uint32_t *ret_size)
{
	size_t n = strlen(s);
	uint8_t *b = g_malloc0(2 * n + 2);

	for (size_t i = 0; i < n; i++)
		b[2 * i] = (uint8_t)s[i];
	*ret_size = (uint32_t)(2 * n + 2);
	return b;
}

static int set_var(struct store *s, const efi_guid_t *g, const char *name, const void *data,
		   uint32_t size)
{
	uint32_t ns;
	g_autofree uint8_t *n = u16(name, &ns);
	struct var_write w = {
		.guid = *g,
		.name = n,
		.name_size = ns,
		.attributes = EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS |
			      EFI_VARIABLE_RUNTIME_ACCESS,
		.data = data,
		.data_size = size,
	};
	return store_set(s, &w);
}

static const struct var_entry *find_var(struct store *s, const efi_guid_t *g, const char *name)
{
	uint32_t ns;
	g_autofree uint8_t *n = u16(name, &ns);

	return store_find(s, g, n, ns);
}

static struct store *open_ok(struct membackend *m)
{
	struct store_layout l = default_layout();
	struct store_backend be = membackend_ops(m);
	struct store *s = NULL;

	assert_int_equal(store_open(&l, &be, &s), 0);
	assert_non_null(s);
	return s;
}

/* ---- format ------------------------------------------------------------------------------ */

static void check_fresh_layout(const uint8_t *img)
{
	const efi_guid_t fs = EFI_SYSTEM_NV_DATA_FV_GUID, vs = EFI_AUTHENTICATED_VARIABLE_GUID;
	static const uint8_t zero[16];

	assert_memory_equal(img, zero, 16);
	assert_memory_equal(img + 16, fs.b, 16);
	assert_int_equal(get_le64(img + 32), DEFAULT_REGION_SIZE);
	assert_memory_equal(img + 40, "_FVH", 4);
	assert_int_equal(get_le32(img + 44), 0x0004feff);
	assert_int_equal(get_le16(img + 48), 0x48);
	assert_int_equal(fv_sum16(img, 0x48), 0);
	assert_int_equal(get_le16(img + 52), 0);
	assert_int_equal(img[54], 0);
	assert_int_equal(img[55], 2);
	assert_int_equal(get_le32(img + 56), DEFAULT_REGION_SIZE / 4096);
	assert_int_equal(get_le32(img + 60), 4096);
	assert_int_equal(get_le64(img + 64), 0);
	assert_memory_equal(img + 72, vs.b, 16);
	assert_int_equal(get_le32(img + 88), 0x4000 - 0x48);
	assert_int_equal(img[92], 0x5a);
	assert_int_equal(img[93], 0xfe);
	assert_int_equal(get_le16(img + 94), 0);
	assert_int_equal(get_le32(img + 96), 0);
	for (size_t i = 100; i < 0x4000; i++)
		assert_int_equal(img[i], 0xff);
	assert_true(fv_ftw_header_valid(img + 0x4000, 0x4000));
	assert_int_equal(get_le64(img + 0x4000 + 24), 0x4000 - 32);
	for (size_t i = 0x4000 + 32; i < DEFAULT_REGION_SIZE; i++)
		assert_int_equal(img[i], 0xff);
}

static void format_on_empty(uint8_t fill)
{
	struct membackend *m = membackend_new(DEFAULT_REGION_SIZE, fill);
	struct store *s = open_ok(m);
	struct store_stats st;

	check_fresh_layout(m->buf);
	/* Erase (with the FTW header) in one write, then the FV + store header block. */
	assert_int_equal(m->writes, 2);
	assert_false(m->misaligned);
	store_get_stats(s, &st);
	assert_int_equal(st.total_size, DEFAULT_REGION_SIZE);
	assert_int_equal(st.variable_space, 0x4000 - 100);
	assert_int_equal(st.used, 0);
	assert_int_equal(st.free, 0x4000 - 100);
	assert_int_equal(st.live_variables, 0);
	assert_int_equal(st.ftw_working_valid, 1);
	assert_null(store_first(s));
	store_free(s);

	/* A formatted store is not formatted again. */
	membackend_reset_counts(m);
	s = open_ok(m);
	assert_int_equal(m->writes, 0);
	store_free(s);
	membackend_free(m);
}

static void store_open_formats_erased(void **state)
{
	(void)state;
	format_on_empty(0xff);
}

static void store_open_formats_zeroed(void **state)
{
	(void)state;
	format_on_empty(0x00);
}

static void store_open_formats_bad_checksum(void **state)
{
	(void)state;
	struct membackend *m = membackend_new(DEFAULT_REGION_SIZE, 0xff);
	struct store *s = open_ok(m);

	assert_int_equal(set_var(s, &guid_a, "Gone", "x", 1), 0);
	store_free(s);
	m->buf[50] ^= 1; /* checksum */
	s = open_ok(m);
	assert_null(find_var(s, &guid_a, "Gone"));
	check_fresh_layout(m->buf);
	store_free(s);
	membackend_free(m);
}

static void store_open_rejects_bad_layout(void **state)
{
	(void)state;
	struct membackend *m = membackend_new(DEFAULT_REGION_SIZE, 0xff);
	struct store_backend be = membackend_ops(m);
	struct store_layout l = default_layout();
	struct store *s = NULL;

	l.var_store_size = 1000;
	assert_int_equal(store_open(&l, &be, &s), -EINVAL);
	l = default_layout();
	l.ftw_spare_size = 0x100; /* total not a multiple of the 4 KiB FV block */
	assert_int_equal(store_open(&l, &be, &s), -EINVAL);
	assert_null(s);
	assert_int_equal(m->writes, 0);
	membackend_free(m);
}

static void store_open_read_error_is_reported(void **state)
{
	(void)state;
	struct membackend *m = membackend_new(DEFAULT_REGION_SIZE, 0xff);
	struct store_backend be = membackend_ops(m);
	struct store_layout l = default_layout();
	struct store *s = NULL;

	l.base_offset = 4096; /* past the end of the backend */
	assert_int_equal(store_open(&l, &be, &s), -EIO);
	assert_null(s);
	membackend_free(m);
}

/* Our headers equal the ones in Debian's OVMF store, byte for byte, for its sizes. */
static void fv_headers_match_ovmf(void **state)
{
	(void)state;
	gsize len = 0;
	g_autofree gchar *img = test_file_or_skip(OVMF_VARS, "ovmf", &len);
	uint8_t hdr[EDK2_FV_HEADER_LENGTH + sizeof(struct variable_store_header)];
	uint8_t ftw[sizeof(struct ftw_working_block_header)];

	assert_int_equal(len, 540672);
	fv_build_fv_header(hdr, 0x84000);
	fv_build_store_header(hdr + EDK2_FV_HEADER_LENGTH, 0x40000 - 0x48);
	assert_memory_equal(hdr, img, sizeof(hdr));
	/* OVMF's FTW working block sits at 0x41000 and is 0x1000 bytes. */
	fv_build_ftw_header(ftw, 0x1000);
	assert_memory_equal(ftw, img + 0x41000, sizeof(ftw));
	assert_int_equal(get_le32(ftw + 16), 0x642caf2c);
	assert_true(fv_ftw_header_valid((const uint8_t *)img + 0x41000, 0x1000));
}

/* ---- persistence and lookups -------------------------------------------------------------- */

static void store_reopen_finds_variables(void **state)
{
	(void)state;
	struct membackend *m = membackend_new(DEFAULT_REGION_SIZE, 0xff);
	struct store *s = open_ok(m);
	static const uint8_t big[600] = { [0] = 1, [599] = 2 };
	struct store_stats before, after;
	const struct var_entry *e;

	assert_int_equal(set_var(s, &guid_a, "One", "\x01", 1), 0);
	assert_int_equal(set_var(s, &guid_b, "One", "\x02\x02", 2), 0);
	assert_int_equal(set_var(s, &guid_a, "Big", big, sizeof(big)), 0);
	assert_int_equal(set_var(s, &guid_a, "One", "\x03\x03\x03", 3), 0); /* update */
	store_get_stats(s, &before);
	store_free(s);

	membackend_reset_counts(m);
	s = open_ok(m);
	assert_int_equal(m->writes, 0);
	store_get_stats(s, &after);
	assert_stats_equal(&before, &after);
	assert_int_equal(after.live_variables, 3);
	/* 60+8+1 -> 72, 60+8+2 -> 72, 60+8+600 -> 668, 60+8+3 -> 72 */
	assert_int_equal(after.used, 72 + 668 + 72);
	assert_int_equal(after.free, 0x4000 - 100 - (72 + 72 + 668 + 72));

	e = find_var(s, &guid_a, "One");
	assert_non_null(e);
	assert_int_equal(e->data_size, 3);
	assert_memory_equal(e->data, "\x03\x03\x03", 3);
	assert_int_equal(e->attributes, 7);
	e = find_var(s, &guid_b, "One");
	assert_non_null(e);
	assert_memory_equal(e->data, "\x02\x02", 2);
	e = find_var(s, &guid_a, "Big");
	assert_non_null(e);
	assert_memory_equal(e->data, big, sizeof(big));
	assert_null(find_var(s, &guid_b, "Big"));

	/* Store order: the updated variable moved to the end. */
	e = store_first(s);
	assert_memory_equal(e->guid.b, guid_b.b, 16);
	e = store_next(s, e);
	assert_int_equal(e->data_size, 600);
	e = store_next(s, e);
	assert_int_equal(e->data_size, 3);
	assert_null(store_next(s, e));
	store_free(s);
	membackend_free(m);
}

static void store_delete_persists(void **state)
{
	(void)state;
	struct membackend *m = membackend_new(DEFAULT_REGION_SIZE, 0xff);
	struct store *s = open_ok(m);
	uint32_t ns;
	g_autofree uint8_t *n = u16("Del", &ns);

	assert_int_equal(set_var(s, &guid_a, "Del", "abc", 3), 0);
	membackend_reset_counts(m);
	assert_int_equal(store_delete(s, &guid_a, n, ns), 0);
	assert_int_equal(m->writes, 1); /* one state byte */
	assert_int_equal(m->blocks_written, 1);
	assert_int_equal(store_delete(s, &guid_a, n, ns), -ENOENT);
	assert_null(find_var(s, &guid_a, "Del"));
	assert_int_equal(m->buf[100 + 2], VAR_DELETED & VAR_ADDED);
	store_free(s);
	s = open_ok(m);
	assert_null(find_var(s, &guid_a, "Del"));
	struct store_stats st;
	store_get_stats(s, &st);
	assert_int_equal(st.used, 0);
	assert_int_equal(st.free, 0x4000 - 100 - 72); /* the record still takes space */
	store_free(s);
	membackend_free(m);
}

static void store_set_rejects_unterminated_name(void **state)
{
	(void)state;
	struct membackend *m = membackend_new(DEFAULT_REGION_SIZE, 0xff);
	struct store *s = open_ok(m);
	struct var_write w = { .guid = guid_a, .name = (const uint8_t *)"A\0B\0", .name_size = 4,
			       .attributes = 7, .data = (const uint8_t *)"x", .data_size = 1 };

	membackend_reset_counts(m);
	assert_int_equal(store_set(s, &w), -EINVAL);
	assert_int_equal(m->writes, 0);
	store_free(s);
	membackend_free(m);
}

/* ---- block writes ------------------------------------------------------------------------ */

static void store_set_writes_only_touched_blocks(void **state)
{
	(void)state;
	struct membackend *m = membackend_new(DEFAULT_REGION_SIZE, 0xff);
	struct store *s = open_ok(m);
	static const uint8_t d300[300] = { 0 };

	/* New variable at offset 100, 72 bytes: the record (block 0), then ADDED (block 0). */
	membackend_reset_counts(m);
	assert_int_equal(set_var(s, &guid_a, "Foo", "\x01\x02\x03\x04", 4), 0);
	assert_int_equal(m->writes, 2);
	assert_int_equal(m->blocks_written, 2);
	assert_int_equal(m->buf[100 + 2], VAR_ADDED);

	/*
	 * Update: old IN_DELETED_TRANSITION (block 0), new record at 172..244 (block 0), ADDED
	 * (block 0), old DELETED (block 0).
	 */
	membackend_reset_counts(m);
	assert_int_equal(set_var(s, &guid_a, "Foo", "\x05\x06\x07\x08", 4), 0);
	assert_int_equal(m->writes, 4);
	assert_int_equal(m->blocks_written, 4);
	assert_int_equal(m->buf[100 + 2], VAR_ADDED & VAR_IN_DELETED_TRANSITION & VAR_DELETED);
	assert_int_equal(m->buf[172 + 2], VAR_ADDED);

	/* A record crossing into blocks 1 and 2: 244 + 60 + 8 + 300 = 612. */
	membackend_reset_counts(m);
	assert_int_equal(set_var(s, &guid_a, "Bar", d300, sizeof(d300)), 0);
	assert_int_equal(m->writes, 2);
	assert_int_equal(m->blocks_written, 3 + 1);
	assert_false(m->misaligned);
	store_free(s);
	membackend_free(m);
}

static void store_full_is_enospc(void **state)
{
	(void)state;
	struct membackend *m = membackend_new(DEFAULT_REGION_SIZE, 0xff);
	struct store *s = open_ok(m);
	static const uint8_t d[4000];
	char name[16];
	int r = 0, i;
	struct store_stats st;

	for (i = 0; r == 0; i++) {
		snprintf(name, sizeof(name), "V%d", i);
		r = set_var(s, &guid_a, name, d, sizeof(d));
	}
	assert_int_equal(r, -ENOSPC);
	assert_int_equal(i, 5); /* 4 x 4068 bytes fit in 16284 */
	store_get_stats(s, &st);
	assert_int_equal(st.live_variables, 4);
	/* A new one does not fit even after reclaim: nothing written. */
	membackend_reset_counts(m);
	assert_int_equal(set_var(s, &guid_a, "V9", d, sizeof(d)), -ENOSPC);
	assert_int_equal(m->writes, 0);
	/* Replacing V0 fits once its old copy is reclaimed. */
	store_get_stats(s, &st);
	assert_int_equal(st.reclaims, 0);
	assert_int_equal(set_var(s, &guid_a, "V0", d, 100), 0);
	store_get_stats(s, &st);
	assert_int_equal(st.reclaims, 1);
	assert_int_equal(find_var(s, &guid_a, "V0")->data_size, 100);
	assert_ram_matches_flash(s, m);
	/* Without reclaim (runtime) the store is full. */
	store_set_reclaim_enabled(s, false);
	assert_int_equal(set_var(s, &guid_a, "V1", d, sizeof(d)), -ENOSPC);
	store_free(s);
	membackend_free(m);
}

/* ---- fault injection --------------------------------------------------------------------- */

static void assert_stats_equal(const struct store_stats *a, const struct store_stats *b)
{
	assert_int_equal(a->total_size, b->total_size);
	assert_int_equal(a->variable_space, b->variable_space);
	assert_int_equal(a->used, b->used);
	assert_int_equal(a->free, b->free);
	assert_int_equal(a->live_variables, b->live_variables);
	assert_int_equal(a->region_offset, b->region_offset);
	assert_int_equal(a->ftw_working_valid, b->ftw_working_valid);
}

/* The RAM view of the open store equals what a fresh open of the backend finds. */
static void assert_ram_matches_flash(struct store *s, struct membackend *m)
{
	struct store_stats a, b;
	const struct var_entry *x, *y;
	struct store *fresh;
	unsigned saved_fail = m->fail_at;

	m->fail_at = 0;
	fresh = open_ok(m);
	m->fail_at = saved_fail;
	store_get_stats(s, &a);
	store_get_stats(fresh, &b);
	assert_stats_equal(&a, &b);
	for (x = store_first(s), y = store_first(fresh); x || y;
	     x = store_next(s, x), y = store_next(fresh, y)) {
		assert_non_null(x);
		assert_non_null(y);
		assert_int_equal(x->name_size, y->name_size);
		assert_memory_equal(x->name, y->name, x->name_size);
		assert_memory_equal(x->guid.b, y->guid.b, 16);
		assert_int_equal(x->data_size, y->data_size);
		assert_memory_equal(x->data, y->data, x->data_size);
		assert_int_equal(x->rec_off, y->rec_off);
	}
	store_free(fresh);
}

enum op { OP_CREATE, OP_UPDATE, OP_DELETE };

/* Run `op` with the N-th write failing, for N = 1, 2, ... until it completes. */
static void fail_every_write(enum op op, unsigned expect_writes)
{
	unsigned n;

	for (n = 1;; n++) {
		struct membackend *m = membackend_new(DEFAULT_REGION_SIZE, 0xff);
		struct store *s = open_ok(m);
		uint32_t ns;
		g_autofree uint8_t *name = u16("Var", &ns);
		const struct var_entry *e;
		int r;

		assert_int_equal(set_var(s, &guid_b, "Other", "o", 1), 0);
		if (op != OP_CREATE)
			assert_int_equal(set_var(s, &guid_a, "Var", "old", 3), 0);
		membackend_reset_counts(m);
		m->fail_at = n;
		if (op == OP_DELETE)
			r = store_delete(s, &guid_a, name, ns);
		else
			r = set_var(s, &guid_a, "Var", "new!", 4);
		bool fired = m->attempts >= n;

		assert_ram_matches_flash(s, m);
		e = find_var(s, &guid_a, "Var");
		if (!fired) {
			assert_int_equal(r, 0);
			assert_int_equal(m->writes, expect_writes);
		} else {
			assert_int_equal(r, -EIO);
		}
		/* Old or new value, never anything else. */
		switch (op) {
		case OP_CREATE:
			assert_true(!e || (e->data_size == 4 && memcmp(e->data, "new!", 4) == 0));
			/* Committed exactly when the ADDED write (the 2nd) went through. */
			assert_int_equal(e != NULL, !fired || n > 2);
			break;
		case OP_UPDATE:
			assert_non_null(e);
			if (fired && n <= 3)
				assert_memory_equal(e->data, "old", 3);
			else
				assert_memory_equal(e->data, "new!", 4);
			break;
		case OP_DELETE:
			assert_int_equal(e == NULL, !fired);
			break;
		}
		assert_non_null(find_var(s, &guid_b, "Other"));

		/* The store keeps working: the next change cleans up and persists. */
		m->fail_at = 0;
		assert_int_equal(set_var(s, &guid_a, "Var", "final", 5), 0);
		assert_ram_matches_flash(s, m);
		e = find_var(s, &guid_a, "Var");
		assert_memory_equal(e->data, "final", 5);
		struct store_stats st;
		store_get_stats(s, &st);
		assert_int_equal(st.live_variables, 2);
		assert_int_equal(st.used, 76 + 76); /* "Other" + "Var"; no stale copy counted */
		store_free(s);
		membackend_free(m);
		if (!fired)
			break;
	}
	assert_int_equal(n, expect_writes + 1);
}

static void store_create_fails_at_every_write(void **state)
{
	(void)state;
	fail_every_write(OP_CREATE, 2);
}

static void store_update_fails_at_every_write(void **state)
{
	(void)state;
	fail_every_write(OP_UPDATE, 4);
}

static void store_delete_fails_at_every_write(void **state)
{
	(void)state;
	fail_every_write(OP_DELETE, 1);
}

static void store_format_fails_at_every_write(void **state)
{
	(void)state;
	for (unsigned n = 1; n <= 2; n++) {
		struct membackend *m = membackend_new(DEFAULT_REGION_SIZE, 0x00);
		struct store_backend be = membackend_ops(m);
		struct store_layout l = default_layout();
		struct store *s = NULL;

		m->fail_at = n;
		assert_int_equal(store_open(&l, &be, &s), -EIO);
		assert_null(s);
		/* Whatever landed, the next open formats and works. */
		m->fail_at = 0;
		s = open_ok(m);
		check_fresh_layout(m->buf);
		store_free(s);
		membackend_free(m);
	}
}

/* ---- edk2 state resolution on crafted records --------------------------------------------- */

static uint32_t put_record(uint8_t *img, uint32_t off, uint8_t state, const efi_guid_t *g,
			   const char *name, const char *data)
{
	uint32_t ns;
	g_autofree uint8_t *n = u16(name, &ns);
	struct fv_record_fields f = {
		.state = state,
		.attributes = 7,
		.guid = *g,
		.name = n,
		.name_size = ns,
		.data = (const uint8_t *)data,
		.data_size = (uint32_t)strlen(data),
	};

	fv_record_build(img + off, &f);
	return (uint32_t)fv_align(off + fv_record_raw_size(ns, f.data_size));
}

static void store_resolves_edk2_states(void **state)
{
	(void)state;
	struct membackend *m = membackend_new(DEFAULT_REGION_SIZE, 0xff);
	struct store *s = open_ok(m);
	const uint8_t idt = VAR_ADDED & VAR_IN_DELETED_TRANSITION;
	uint32_t off = 100, c_old, end_mark;
	const struct var_entry *e;
	struct store_stats st;

	store_free(s);
	off = put_record(m->buf, off, VAR_ADDED, &guid_a, "A", "a1");
	off = put_record(m->buf, off, idt, &guid_a, "B", "b-old");        /* no ADDED copy: live */
	c_old = off;
	off = put_record(m->buf, off, idt, &guid_a, "C", "c-old");        /* hidden by the next */
	off = put_record(m->buf, off, VAR_ADDED, &guid_a, "C", "c-new");
	off = put_record(m->buf, off, VAR_HEADER_VALID_ONLY, &guid_a, "D", "d"); /* torn */
	off = put_record(m->buf, off, VAR_ADDED & VAR_IN_DELETED_TRANSITION & VAR_DELETED,
			 &guid_a, "E", "e");
	off = put_record(m->buf, off, VAR_ADDED & VAR_DELETED, &guid_a, "F", "f");
	off = put_record(m->buf, off, 0xff, &guid_a, "G", "g");          /* header only */
	off = put_record(m->buf, off, VAR_ADDED, &guid_b, "A", "a-b");
	end_mark = off;
	m->buf[off] = 0x00; /* StartId != 0x55AA: the walk stops here ... */
	put_record(m->buf, off + 4, VAR_ADDED, &guid_a, "H", "h"); /* ... so H is leftover */

	membackend_reset_counts(m);
	s = open_ok(m);
	/* The non-erased tail (bytes 724..793: blocks 2 and 3) is erased, as edk2 would reclaim. */
	assert_int_equal(end_mark, 724);
	assert_int_equal(m->writes, 2);
	assert_int_equal(m->buf[end_mark], 0xff);
	assert_int_equal(m->buf[end_mark + 4], 0xff);

	e = find_var(s, &guid_a, "A");
	assert_non_null(e);
	assert_memory_equal(e->data, "a1", 2);
	e = find_var(s, &guid_a, "B");
	assert_non_null(e);
	assert_memory_equal(e->data, "b-old", 5);
	e = find_var(s, &guid_a, "C");
	assert_non_null(e);
	assert_memory_equal(e->data, "c-new", 5);
	assert_int_equal(e->stale_off, c_old);
	assert_null(find_var(s, &guid_a, "D"));
	assert_null(find_var(s, &guid_a, "E"));
	assert_null(find_var(s, &guid_a, "F"));
	assert_null(find_var(s, &guid_a, "G"));
	assert_null(find_var(s, &guid_a, "H"));
	assert_non_null(find_var(s, &guid_b, "A"));
	store_get_stats(s, &st);
	assert_int_equal(st.live_variables, 4);
	assert_int_equal(st.region_offset, end_mark);

	/* Order: A, B, C (at its ADDED copy), A under the other GUID. */
	e = store_first(s);
	assert_memory_equal(e->name, "A\0\0", 4);
	e = store_next(s, e);
	assert_memory_equal(e->name, "B\0\0", 4);
	e = store_next(s, e);
	assert_memory_equal(e->name, "C\0\0", 4);
	e = store_next(s, e);
	assert_memory_equal(e->guid.b, guid_b.b, 16);
	assert_null(store_next(s, e));

	/* Updating C also deletes its stale in-transition copy (edk2 InDeletedTransitionPtr). */
	membackend_reset_counts(m);
	assert_int_equal(set_var(s, &guid_a, "C", "c3", 2), 0);
	assert_int_equal(m->writes, 5);
	assert_int_equal(m->buf[c_old + 2], idt & VAR_DELETED);
	/* Updating B (an in-transition copy) skips the no-op transition write. */
	membackend_reset_counts(m);
	assert_int_equal(set_var(s, &guid_a, "B", "b2", 2), 0);
	assert_int_equal(m->writes, 3);
	assert_ram_matches_flash(s, m);
	store_free(s);
	membackend_free(m);
}

static void store_stops_at_oversized_record(void **state)
{
	(void)state;
	struct membackend *m = membackend_new(DEFAULT_REGION_SIZE, 0xff);
	struct store *s = open_ok(m);
	uint32_t off;

	store_free(s);
	off = put_record(m->buf, 100, VAR_ADDED, &guid_a, "A", "a");
	put_record(m->buf, off, VAR_ADDED, &guid_a, "Torn", "t");
	put_le32(m->buf + off + 40, 0x7fffffff); /* DataSize runs past the store */
	s = open_ok(m);
	assert_non_null(find_var(s, &guid_a, "A"));
	assert_null(find_var(s, &guid_a, "Torn"));
	/* The torn record is erased and its space reused. */
	assert_int_equal(set_var(s, &guid_a, "New", "n", 1), 0);
	struct store_stats st;
	store_get_stats(s, &st);
	assert_int_equal(st.region_offset, off + 72);
	assert_ram_matches_flash(s, m);
	store_free(s);
	membackend_free(m);
}

/* ---- the boot report: what store_open did to a damaged store --------------------------------- */

/*
 * A, B, C with 4-byte names and data: records of 68 bytes at 100, 168 and 236; the store
 * ends at 304.
 */
#define ABC_A 100u
#define ABC_B 168u
#define ABC_C 236u
#define ABC_END 304u

static struct membackend *abc_fixture(void)
{
	struct membackend *m = membackend_new(DEFAULT_REGION_SIZE, 0xff);
	struct store *s = open_ok(m);
	struct store_stats st;

	assert_int_equal(set_var(s, &guid_a, "A", "aaaa", 4), 0);
	assert_int_equal(set_var(s, &guid_a, "B", "bbbb", 4), 0);
	assert_int_equal(set_var(s, &guid_a, "C", "cccc", 4), 0);
	store_get_stats(s, &st);
	assert_int_equal(st.region_offset, ABC_END);
	assert_int_equal(get_le16(m->buf + ABC_B), 0x55aa);
	assert_int_equal(get_le16(m->buf + ABC_C), 0x55aa);
	store_free(s);
	return m;
}

static const struct store_boot_event *one_event(struct store *s, enum store_boot_event_kind kind)
{
	const struct store_boot_report *rep = store_get_boot_report(s);

	assert_int_equal(rep->n_events, 1);
	assert_int_equal(rep->events[0].kind, kind);
	return &rep->events[0];
}

static void assert_message_has(const struct store_boot_event *e, const char *part)
{
	g_autofree char *msg = store_boot_event_message(e);

	if (!strstr(msg, part))
		fail_msg("boot message '%s' lacks '%s'", msg, part);
}

static void assert_clean_reopen(struct membackend *m)
{
	struct store *s;

	membackend_reset_counts(m);
	s = open_ok(m);
	assert_int_equal(store_get_boot_report(s)->n_events, 0);
	assert_int_equal(m->writes, 0);
	store_free(s);
}

static void store_boot_report_clean_store(void **state)
{
	(void)state;
	struct membackend *m = abc_fixture();

	assert_clean_reopen(m);
	membackend_free(m);
}

static void store_boot_report_formats_empty(void **state)
{
	(void)state;
	struct membackend *m = membackend_new(DEFAULT_REGION_SIZE, 0xff);
	struct store *s = open_ok(m);
	const struct store_boot_event *e = one_event(s, STORE_BOOT_FORMATTED_EMPTY);

	assert_false(store_boot_event_is_damage(e));
	store_free(s);
	membackend_free(m);
}

static void store_boot_report_start_id_flip(void **state)
{
	(void)state;
	struct membackend *m = abc_fixture();
	const struct store_boot_event *e;
	struct store *s;

	m->buf[ABC_B] ^= 0x01; /* StartId 0x55ab */
	s = open_ok(m);
	e = one_event(s, STORE_BOOT_RECORDS_DROPPED);
	assert_true(store_boot_event_is_damage(e));
	assert_int_equal(e->reason, STORE_PROBLEM_RECORD_START_ID);
	assert_int_equal(e->offset, ABC_B);
	assert_int_equal(e->bytes_lost, ABC_END - ABC_B);
	assert_int_equal(e->records_lost, 2);
	assert_int_equal(e->variables_lost, 2);
	assert_string_equal(e->detail, "variable record StartId 0x55ab (want 0x55aa)");
	assert_message_has(e, "offset 0xa8: variable record StartId 0x55ab");
	assert_message_has(e, "2 variables dropped (2 records, 136 bytes erased)");
	/* edk2's behaviour, unchanged: A survives, B and every later record are gone and erased. */
	assert_non_null(find_var(s, &guid_a, "A"));
	assert_null(find_var(s, &guid_a, "B"));
	assert_null(find_var(s, &guid_a, "C"));
	for (uint32_t i = ABC_B; i < STMM_DEFAULT_VARIABLE_STORE_SIZE; i++)
		assert_int_equal(m->buf[i], 0xff);
	assert_ram_matches_flash(s, m);
	store_free(s);
	assert_clean_reopen(m);
	membackend_free(m);
}

static void store_boot_report_record_size_flip(void **state)
{
	(void)state;
	struct membackend *m = abc_fixture();
	const struct store_boot_event *e;
	struct store *s;

	m->buf[ABC_B + 43] ^= 0x40; /* DataSize 4 -> 0x40000004: past the store */
	s = open_ok(m);
	e = one_event(s, STORE_BOOT_RECORDS_DROPPED);
	assert_int_equal(e->reason, STORE_PROBLEM_RECORD_OVERRUN);
	assert_int_equal(e->offset, ABC_B);
	assert_int_equal(e->bytes_lost, ABC_END - ABC_B);
	/* B's header no longer says where it ends; C is still recognisable after it. */
	assert_int_equal(e->records_lost, 1);
	assert_int_equal(e->variables_lost, 1);
	assert_string_equal(e->detail, "variable record (NameSize 4, DataSize 1073741828) runs "
				       "past the end of the variable store");
	assert_non_null(find_var(s, &guid_a, "A"));
	assert_null(find_var(s, &guid_a, "B"));
	assert_null(find_var(s, &guid_a, "C"));
	store_free(s);
	assert_clean_reopen(m);
	membackend_free(m);
}

static void store_boot_report_fv_header_flip(void **state)
{
	(void)state;
	struct membackend *m = abc_fixture();
	const struct store_boot_event *e;
	struct store *s;

	m->buf[40] ^= 0x20; /* "_FVH" -> "_fVH" */
	s = open_ok(m);
	e = one_event(s, STORE_BOOT_FORMATTED);
	assert_true(store_boot_event_is_damage(e));
	assert_int_equal(e->reason, STORE_PROBLEM_FV_SIGNATURE);
	assert_int_equal(e->offset, 40);
	assert_int_equal(e->bytes_lost, ABC_END - ABC_A);
	assert_int_equal(e->records_lost, 3);
	assert_int_equal(e->variables_lost, 3);
	assert_message_has(e, "offset 0x28: bad FV signature");
	assert_message_has(e, "reformatted; 3 variables lost (3 records, 204 bytes)");
	/* edk2's behaviour: a fresh store. */
	check_fresh_layout(m->buf);
	assert_null(find_var(s, &guid_a, "A"));
	store_free(s);
	assert_clean_reopen(m);
	membackend_free(m);
}

static void store_boot_report_fv_checksum_flip(void **state)
{
	(void)state;
	struct membackend *m = abc_fixture();
	const struct store_boot_event *e;
	struct store *s;

	m->buf[50] ^= 1;
	s = open_ok(m);
	e = one_event(s, STORE_BOOT_FORMATTED);
	assert_int_equal(e->reason, STORE_PROBLEM_FV_CHECKSUM);
	assert_int_equal(e->offset, 50);
	check_fresh_layout(m->buf);
	store_free(s);
	membackend_free(m);
}

static void store_boot_report_store_signature_flip(void **state)
{
	(void)state;
	struct membackend *m = abc_fixture();
	const struct store_boot_event *e;
	struct store *s;

	m->buf[72] ^= 0x01;
	s = open_ok(m);
	e = one_event(s, STORE_BOOT_FORMATTED);
	assert_int_equal(e->reason, STORE_PROBLEM_STORE_SIGNATURE);
	assert_int_equal(e->offset, 72);
	assert_int_equal(e->variables_lost, 3);
	assert_string_equal(e->detail, "bad variable store signature");
	check_fresh_layout(m->buf);
	store_free(s);
	assert_clean_reopen(m);
	membackend_free(m);
}

static void store_boot_report_tail_leftovers(void **state)
{
	(void)state;
	struct membackend *m = abc_fixture();
	const struct store_boot_event *e;
	struct store *s;

	m->buf[ABC_END + 300] = 0x00; /* a block of an interrupted write, header block lost */
	m->buf[ABC_END + 301] = 0x12;
	s = open_ok(m);
	e = one_event(s, STORE_BOOT_TAIL_ERASED);
	assert_false(store_boot_event_is_damage(e));
	assert_int_equal(e->offset, ABC_END + 300);
	assert_int_equal(e->bytes_lost, 2);
	assert_non_null(find_var(s, &guid_a, "C"));
	assert_int_equal(m->buf[ABC_END + 300], 0xff);
	store_free(s);
	assert_clean_reopen(m);
	membackend_free(m);
}

/* ---- real EDK2 stores (Debian's ovmf package) ---------------------------------------------- */

static void walk(const uint8_t *img, uint32_t *ret_records, uint32_t *ret_added,
		 uint32_t *ret_end)
{
	struct fv_info info;
	uint32_t size, off, n = 0, added = 0;
	struct fv_record rec;

	assert_int_equal(fv_check_fv_header(img, 0x40000, &info), 0);
	assert_int_equal(info.fv_length, 0x84000);
	assert_int_equal(info.header_length, 0x48);
	assert_int_equal(fv_check_store_header(img + 0x48, 0x40000 - 0x48, &size), 0);
	assert_int_equal(size, 0x3ffb8);
	for (off = 100; fv_record_parse(img, off, 0x40000, &rec) == 0; off = rec.next_off) {
		n++;
		added += rec.state == VAR_ADDED;
	}
	*ret_records = n;
	*ret_added = added;
	*ret_end = off;
}

static void ovmf_vars_parse(void **state)
{
	(void)state;
	gsize len;
	g_autofree gchar *img = test_file_or_skip(OVMF_VARS, "ovmf", &len);
	uint32_t n, added, end;

	assert_int_equal(len, 540672);
	walk((const uint8_t *)img, &n, &added, &end);
	/* Debian's plain OVMF_VARS_4M.fd is an empty, formatted store. */
	assert_int_equal(n, 0);
	assert_int_equal(end, 100);
}

static const struct var_entry *find_ascii(struct store *s, const efi_guid_t *g, const char *n)
{
	return find_var(s, g, n);
}

static void ovmf_ms_vars_parse_and_open(void **state)
{
	(void)state;
	gsize len;
	g_autofree gchar *img = test_file_or_skip(OVMF_VARS_MS, "ovmf", &len);
	const efi_guid_t global = EFI_GLOBAL_VARIABLE_GUID, imgsec = EFI_IMAGE_SECURITY_DATABASE_GUID;
	const efi_guid_t x509 = EFI_CERT_X509_GUID;
	uint32_t n, added, end, count = 0;
	const struct var_entry *e, *last = NULL;
	struct store *s = NULL;

	assert_int_equal(len, 540672);
	walk((const uint8_t *)img, &n, &added, &end);
	/* Observed: 57 records, 31 ADDED, 25 ADDED|IN_DELETED|DELETED (0x3c), 1 0x3d. */
	assert_int_equal(n, 57);
	assert_int_equal(added, 31);
	assert_int_equal(end, 0x5998);

	/* The same bytes opened as a store: OVMF's FV is var store 0x40000 + 0x44000 more. */
	struct membackend *m = membackend_new(len, 0xff);
	memcpy(m->buf, img, len);
	struct store_layout l = { 0, 0x40000, 0x2000, 0x42000 };
	struct store_backend be = membackend_ops(m);
	assert_int_equal(store_open(&l, &be, &s), 0);
	assert_int_equal(m->writes, 0); /* valid store: nothing formatted, nothing scrubbed */
	assert_memory_equal(m->buf, img, len);

	for (e = store_first(s); e; e = store_next(s, e)) {
		count++;
		last = e;
	}
	assert_int_equal(count, 31);
	e = store_first(s);
	assert_memory_equal(e->name, "c\0e\0r\0t\0d\0b\0\0", 14);
	assert_memory_equal(last->name, "C\0u\0s\0t\0o\0m\0M\0o\0d\0e\0\0", 22);

	e = find_ascii(s, &global, "PK");
	assert_non_null(e);
	assert_int_equal(e->attributes, 0x27);
	assert_int_equal(e->data_size, 1005);
	assert_memory_equal(e->data, x509.b, 16); /* EFI_SIGNATURE_LIST of type X509 */
	assert_non_null(e = find_ascii(s, &global, "KEK"));
	assert_int_equal(e->data_size, 2565);
	assert_non_null(e = find_ascii(s, &imgsec, "db"));
	assert_int_equal(e->data_size, 3143);
	assert_non_null(e = find_ascii(s, &imgsec, "dbx"));
	assert_int_equal(e->data_size, 76);
	assert_non_null(e = find_ascii(s, &global, "Timeout"));
	assert_int_equal(e->attributes, 7);
	assert_int_equal(e->data_size, 2);
	assert_memory_equal(e->data, "\0\0", 2);
	assert_null(find_ascii(s, &global, "db")); /* wrong GUID */

	struct store_stats st;
	store_get_stats(s, &st);
	assert_int_equal(st.live_variables, 31);
	assert_int_equal(st.region_offset, 0x5998);
	assert_int_equal(st.variable_space, 0x40000 - 100);
	assert_int_equal(st.ftw_working_valid, 0); /* OVMF's working block is at 0x41000 */
	store_free(s);
	membackend_free(m);
}

/* ---- reclaim through the FTW areas --------------------------------------------------------- */

#define RECLAIM_VARS 4

static void fill_value(uint8_t *d, uint32_t size, uint8_t tag)
{
	for (uint32_t i = 0; i < size; i++)
		d[i] = (uint8_t)(tag + i * 7);
}

/*
 * A store whose free space is too small for a 3500-byte update of K1, but that reclaim
 * makes room for: K0..K3 of 2800 bytes, K1 and K2 updated twice (deleted copies), plus a
 * volatile-looking tail of small variables.
 */
static struct membackend *reclaim_fixture(void)
{
	struct membackend *m = membackend_new(DEFAULT_REGION_SIZE, 0xff);
	struct store *s = open_ok(m);
	static uint8_t d[2800];
	char name[16];

	for (int i = 0; i < RECLAIM_VARS; i++) {
		snprintf(name, sizeof(name), "K%d", i);
		fill_value(d, sizeof(d), (uint8_t)i);
		assert_int_equal(set_var(s, &guid_a, name, d, sizeof(d)), 0);
	}
	fill_value(d, sizeof(d), 0x11);
	assert_int_equal(set_var(s, &guid_a, "K1", d, 1000), 0);
	assert_int_equal(set_var(s, &guid_a, "K2", d, 1200), 0);
	fill_value(d, sizeof(d), 0x21);
	assert_int_equal(set_var(s, &guid_a, "K1", d, 900), 0);
	assert_int_equal(set_var(s, &guid_b, "Small", "s", 1), 0);
	store_free(s);
	return m;
}

static void assert_k_values(struct store *s, bool k1_new_allowed, bool k1_old_allowed)
{
	static uint8_t d[3500];
	const struct var_entry *e;

	fill_value(d, 2800, 0);
	e = find_var(s, &guid_a, "K0");
	assert_non_null(e);
	assert_int_equal(e->data_size, 2800);
	assert_memory_equal(e->data, d, 2800);
	fill_value(d, 2800, 0x11);
	e = find_var(s, &guid_a, "K2");
	assert_non_null(e);
	assert_int_equal(e->data_size, 1200);
	assert_memory_equal(e->data, d, 1200);
	fill_value(d, 2800, 3);
	e = find_var(s, &guid_a, "K3");
	assert_non_null(e);
	assert_memory_equal(e->data, d, 2800);
	assert_non_null(find_var(s, &guid_b, "Small"));
	e = find_var(s, &guid_a, "K1");
	assert_non_null(e);
	if (e->data_size == 900) {
		assert_true(k1_old_allowed);
		fill_value(d, 900, 0x21);
		assert_memory_equal(e->data, d, 900);
	} else {
		assert_true(k1_new_allowed);
		assert_int_equal(e->data_size, 3500);
		fill_value(d, 3500, 0x31);
		assert_memory_equal(e->data, d, 3500);
	}
	struct store_stats st;
	store_get_stats(s, &st);
	assert_int_equal(st.live_variables, RECLAIM_VARS + 1);
}

static int set_k1_new(struct store *s)
{
	static uint8_t d[3500];

	fill_value(d, sizeof(d), 0x31);
	return set_var(s, &guid_a, "K1", d, sizeof(d));
}

static void store_reclaim_compacts_through_ftw(void **state)
{
	(void)state;
	struct membackend *m = reclaim_fixture();
	struct store *s = open_ok(m);
	struct store_stats before, after;
	const uint8_t *w = m->buf + 0x4000;

	store_get_stats(s, &before);
	assert_true(before.free < fv_record_raw_size(6, 3500));
	membackend_reset_counts(m);
	assert_int_equal(set_k1_new(s), 0);
	store_get_stats(s, &after);
	assert_int_equal(after.reclaims, 1);
	/* 5 writes: queue block, spare, SpareComplete, store, Complete. */
	assert_int_equal(m->writes, 5);
	assert_false(m->misaligned);
	/* Only live records remain, in store order (K2 moved when updated); K1 merged last. */
	assert_int_equal(after.used, after.variable_space - after.free);
	assert_k_values(s, true, false);
	const struct var_entry *e = store_first(s);
	assert_memory_equal(e->name, "K\0" "0\0", 4);
	e = store_next(s, e);
	assert_memory_equal(e->name, "K\0" "3\0", 4);
	e = store_next(s, e);
	assert_memory_equal(e->name, "K\0" "2\0", 4);
	e = store_next(s, e);
	assert_memory_equal(e->name, "S\0", 2);
	e = store_next(s, e);
	assert_memory_equal(e->name, "K\0" "1\0", 4);
	/* The working area: valid header, our write, every status bit of it set. */
	const efi_guid_t caller = STMM_EMU_FTW_CALLER_GUID;
	assert_true(fv_ftw_header_valid(w, 0x4000));
	assert_int_equal(w[32], 0xff & ~0x07);
	assert_memory_equal(w + 32 + 4, caller.b, 16);
	assert_int_equal(get_le64(w + 32 + 24), 1);
	assert_int_equal(get_le64(w + 32 + 32), 0);
	assert_int_equal(w[72], 0xff & ~0x06);
	assert_int_equal(get_le64(w + 72 + 8), 0);
	assert_int_equal(get_le64(w + 72 + 16), 0x48);
	assert_int_equal(get_le64(w + 72 + 24), 0x4000 - 0x48);
	assert_int_equal((int64_t)get_le64(w + 72 + 32), -0x8000);
	/* The spare area holds the same image as the store. */
	assert_memory_equal(m->buf + 0x8000, m->buf, 0x4000);
	assert_ram_matches_flash(s, m);
	store_free(s);
	/* A reopen finds nothing pending. */
	membackend_reset_counts(m);
	s = open_ok(m);
	assert_int_equal(m->writes, 0);
	assert_k_values(s, true, false);
	store_free(s);
	membackend_free(m);
}

/*
 * Power cut at every block write of a reclaim-triggering update: the reopened store is
 * valid, every other variable is intact, K1 is old or new (new if the call succeeded), and
 * a second reopen writes nothing.
 */
static void store_reclaim_survives_power_cut_at_every_block(void **state)
{
	(void)state;
	struct membackend *golden = reclaim_fixture();
	unsigned total, n, completed = 0, aborted = 0;

	/* How many blocks does the whole operation write? */
	{
		struct membackend *m = membackend_new(DEFAULT_REGION_SIZE, 0xff);
		memcpy(m->buf, golden->buf, DEFAULT_REGION_SIZE);
		struct store *s = open_ok(m);
		membackend_reset_counts(m);
		assert_int_equal(set_k1_new(s), 0);
		total = m->blocks_written;
		store_free(s);
		membackend_free(m);
	}
	assert_int_equal(total, 1 + 64 + 1 + 64 + 1);

	for (n = 1; n <= total; n++) {
		struct membackend *m = membackend_new(DEFAULT_REGION_SIZE, 0xff);
		struct store *s;
		int r;

		memcpy(m->buf, golden->buf, DEFAULT_REGION_SIZE);
		s = open_ok(m);
		membackend_reset_counts(m);
		m->fail_at_block = n;
		r = set_k1_new(s);
		assert_int_equal(r, -EIO);
		/* Power is gone: no RAM state survives. */
		store_free(s);

		membackend_reset_counts(m);
		s = open_ok(m);
		struct store_stats st;
		store_get_stats(s, &st);
		const struct store_boot_report *rep = store_get_boot_report(s);
		if (st.reclaims) { /* completed from the spare area at open */
			completed++;
			assert_int_equal(rep->n_events, 1);
			assert_int_equal(rep->events[0].kind, STORE_BOOT_RECLAIM_COMPLETED);
			assert_int_equal(rep->events[0].offset, 0x4000 + 32);
		} else if (m->writes) {
			aborted++;
			assert_int_equal(rep->n_events, 1);
			assert_int_equal(rep->events[0].kind, STORE_BOOT_RECLAIM_ABORTED);
			assert_int_equal(rep->events[0].offset, 0x4000 + 32);
		} else {
			assert_int_equal(rep->n_events, 0);
		}
		assert_k_values(s, n > 1 + 64 + 1, n <= 1 + 64 + 1);
		store_free(s);

		/* Nothing left pending; the store works on. */
		membackend_reset_counts(m);
		s = open_ok(m);
		assert_int_equal(m->writes, 0);
		assert_int_equal(set_var(s, &guid_b, "After", "a", 1), 0);
		assert_ram_matches_flash(s, m);
		store_free(s);
		membackend_free(m);
	}
	/* Cut after SpareComplete: completed at open (64 store blocks + the Complete block). */
	assert_int_equal(completed, 64 + 1);
	/* Cut after the queue block but before SpareComplete: aborted at open. */
	assert_int_equal(aborted, 64 + 1);
	membackend_free(golden);
}

/* A failed write during reclaim (no power cut): RAM shows what the backend holds. */
static void store_reclaim_write_error_keeps_ram_in_sync(void **state)
{
	(void)state;
	struct membackend *golden = reclaim_fixture();

	for (unsigned n = 1; n <= 5; n++) {
		struct membackend *m = membackend_new(DEFAULT_REGION_SIZE, 0xff);
		struct store *s;

		memcpy(m->buf, golden->buf, DEFAULT_REGION_SIZE);
		s = open_ok(m);
		membackend_reset_counts(m);
		m->fail_at = n;
		assert_int_equal(set_k1_new(s), -EIO);
		m->fail_at = 0;
		assert_k_values(s, n >= 4, n < 4);
		assert_ram_matches_flash(s, m);
		store_free(s);
		membackend_free(m);
	}
	membackend_free(golden);
}

/* A pending write that is not ours (or a torn queue block) never touches the store. */
static void store_open_ignores_foreign_ftw_write(void **state)
{
	(void)state;
	struct membackend *m = reclaim_fixture();
	struct store *s = open_ok(m);
	uint8_t *w = m->buf + 0x4000;

	store_free(s);
	/* Allocated, spare complete, not done — but another CallerId. */
	memset(w + 32, 0xff, 80);
	w[32] = 0xfc;
	memset(w + 36, 0x42, 16);
	put_le64(w + 56, 1);
	put_le64(w + 64, 0);
	w[72] = 0xff & ~0x02;
	memset(m->buf + 0x8000, 0x00, 0x4000); /* a spare that would destroy the store */
	membackend_reset_counts(m);
	s = open_ok(m);
	assert_int_equal(m->writes, 1); /* marked complete (aborted) */
	assert_int_equal(w[32] & 0x04, 0);
	assert_k_values(s, false, true);
	store_free(s);
	membackend_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(store_open_formats_erased),
		cmocka_unit_test(store_open_formats_zeroed),
		cmocka_unit_test(store_open_formats_bad_checksum),
		cmocka_unit_test(store_open_rejects_bad_layout),
		cmocka_unit_test(store_open_read_error_is_reported),
		cmocka_unit_test(fv_headers_match_ovmf),
		cmocka_unit_test(store_reopen_finds_variables),
		cmocka_unit_test(store_delete_persists),
		cmocka_unit_test(store_set_rejects_unterminated_name),
		cmocka_unit_test(store_set_writes_only_touched_blocks),
		cmocka_unit_test(store_full_is_enospc),
		cmocka_unit_test(store_create_fails_at_every_write),
		cmocka_unit_test(store_update_fails_at_every_write),
		cmocka_unit_test(store_delete_fails_at_every_write),
		cmocka_unit_test(store_format_fails_at_every_write),
		cmocka_unit_test(store_resolves_edk2_states),
		cmocka_unit_test(store_stops_at_oversized_record),
		cmocka_unit_test(store_reclaim_compacts_through_ftw),
		cmocka_unit_test(store_reclaim_survives_power_cut_at_every_block),
		cmocka_unit_test(store_reclaim_write_error_keeps_ram_in_sync),
		cmocka_unit_test(store_open_ignores_foreign_ftw_write),
		cmocka_unit_test(store_boot_report_clean_store),
		cmocka_unit_test(store_boot_report_formats_empty),
		cmocka_unit_test(store_boot_report_start_id_flip),
		cmocka_unit_test(store_boot_report_record_size_flip),
		cmocka_unit_test(store_boot_report_fv_header_flip),
		cmocka_unit_test(store_boot_report_fv_checksum_flip),
		cmocka_unit_test(store_boot_report_store_signature_flip),
		cmocka_unit_test(store_boot_report_tail_leftovers),
		cmocka_unit_test(ovmf_vars_parse),
		cmocka_unit_test(ovmf_ms_vars_parse_and_open),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
