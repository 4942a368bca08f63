/* SPDX-License-Identifier: MIT */
/* store_check: the offline validator finds each kind of damage at its offset. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "bytes.h"
#include "fv.h"
#include "store.h"
#include "store_check.h"
#include "test_stmm_membackend.h"

/* Records of A, B, C (4-byte names and data, 68 bytes each) at 100, 168, 236. */
#define REC_B 168u

static void set4(struct store *s, const char *name, const char *data)
{
	uint8_t n[4] = { (uint8_t)name[0], 0, 0, 0 };
	const efi_guid_t g = EFI_GLOBAL_VARIABLE_GUID;
	struct var_write w = {
		.guid = g,
		.name = n,
		.name_size = 4,
		.attributes = EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS |
			      EFI_VARIABLE_RUNTIME_ACCESS,
		.data = (const uint8_t *)data,
		.data_size = 4,
	};

	assert_int_equal(store_set(s, &w), 0);
}

/* A store as stmmd leaves it: A, B, C set, then C updated (an old DELETED copy). */
static struct membackend *fixture(void)
{
	struct membackend *m = membackend_new(DEFAULT_REGION_SIZE, 0xff);
	struct store_layout l = default_layout();
	struct store_backend be = membackend_ops(m);
	struct store *s = NULL;

	assert_int_equal(store_open(&l, &be, &s), 0);
	set4(s, "A", "aaaa");
	set4(s, "B", "bbbb");
	set4(s, "C", "cccc");
	set4(s, "C", "CCCC");
	store_free(s);
	return m;
}

static GArray *check(const struct membackend *m)
{
	struct store_layout l = default_layout();
	GArray *p = store_problems_new();

	assert_int_equal(store_check(m->buf, m->size, &l, p), 0);
	return p;
}

static void expect(GArray *p, guint i, uint32_t off, enum store_problem_code code)
{
	assert_true(i < p->len);
	const struct store_problem *pr = &g_array_index(p, struct store_problem, i);
	if (pr->offset != off || pr->code != code)
		fail_msg("problem %u: offset 0x%x %s (%s), want 0x%x %s", i, pr->offset,
			 store_problem_code_name(pr->code), pr->what, off,
			 store_problem_code_name(code));
}

static void store_check_clean_store(void **state)
{
	(void)state;
	struct membackend *m = fixture();
	g_autoptr(GArray) p = check(m);

	assert_int_equal(p->len, 0);
	membackend_free(m);
}

static void store_check_after_reclaim_is_clean(void **state)
{
	(void)state;
	struct membackend *m = fixture();
	struct store_layout l = default_layout();
	struct store_backend be = membackend_ops(m);
	struct store *s = NULL;

	assert_int_equal(store_open(&l, &be, &s), 0);
	assert_int_equal(store_reclaim(s, NULL), 0);
	store_free(s);
	g_autoptr(GArray) p = check(m);
	assert_int_equal(p->len, 0);
	membackend_free(m);
}

static void store_check_rejects_bad_layout(void **state)
{
	(void)state;
	struct membackend *m = fixture();
	struct store_layout l = default_layout();
	g_autoptr(GArray) p = store_problems_new();

	assert_int_equal(store_check(m->buf, m->size - 256, &l, p), -EINVAL);
	l.var_store_size = 100;
	assert_int_equal(store_check(m->buf, m->size, &l, p), -EINVAL);
	assert_int_equal(p->len, 0);
	membackend_free(m);
}

static void store_check_erased_region(void **state)
{
	(void)state;
	struct membackend *m = membackend_new(DEFAULT_REGION_SIZE, 0xff);
	g_autoptr(GArray) p = check(m);

	expect(p, 0, 0, STORE_PROBLEM_FV_SIGNATURE);
	expect(p, 1, 0x4000, STORE_PROBLEM_FTW_SIGNATURE);
	assert_int_equal(p->len, 2);
	membackend_free(m);
}

static void store_check_fv_signature(void **state)
{
	(void)state;
	struct membackend *m = fixture();

	m->buf[40] ^= 0x20;
	g_autoptr(GArray) p = check(m);
	expect(p, 0, 40, STORE_PROBLEM_FV_SIGNATURE);
	expect(p, 1, 50, STORE_PROBLEM_FV_CHECKSUM); /* the sum no longer matches either */
	assert_int_equal(p->len, 2);
	membackend_free(m);
}

static void store_check_fv_length_and_guid(void **state)
{
	(void)state;
	struct membackend *m = fixture();
	uint16_t sum;

	put_le64(m->buf + 32, 0x10000);
	m->buf[16] ^= 1;
	/* keep the checksum right so only what changed is reported */
	put_le16(m->buf + 50, 0);
	sum = fv_sum16(m->buf, 72);
	put_le16(m->buf + 50, (uint16_t)(0u - sum));
	g_autoptr(GArray) p = check(m);
	expect(p, 0, 16, STORE_PROBLEM_FV_GUID);
	expect(p, 1, 32, STORE_PROBLEM_FV_LENGTH);
	expect(p, 2, 56, STORE_PROBLEM_FV_BLOCK_MAP);
	assert_int_equal(p->len, 3);
	membackend_free(m);
}

static void store_check_store_header(void **state)
{
	(void)state;
	struct membackend *m = fixture();

	m->buf[72] ^= 1;    /* signature */
	m->buf[92] = 0x5b;  /* format */
	g_autoptr(GArray) p = check(m);
	expect(p, 0, 72, STORE_PROBLEM_STORE_SIGNATURE);
	expect(p, 1, 92, STORE_PROBLEM_STORE_FORMAT);
	assert_int_equal(p->len, 2);
	membackend_free(m);
}

static void store_check_record_start_id(void **state)
{
	(void)state;
	struct membackend *m = fixture();

	m->buf[REC_B + 1] = 0x54;
	g_autoptr(GArray) p = check(m);
	expect(p, 0, REC_B, STORE_PROBLEM_RECORD_START_ID);
	assert_int_equal(p->len, 1);
	/* 3 records (B, old C, new C), 2 of them live, in 204 bytes. */
	assert_non_null(strstr(g_array_index(p, struct store_problem, 0).what,
			       "204 bytes with 3 records (2 live)"));
	membackend_free(m);
}

static void store_check_record_fields(void **state)
{
	(void)state;
	struct membackend *m = fixture();

	m->buf[REC_B + 2] = 0x55;                      /* state */
	put_le32(m->buf + REC_B + 4, 0x1007);          /* attributes: reserved bit */
	m->buf[REC_B + 60 + 2] = 'x';                  /* name "Bx" without a NUL */
	g_autoptr(GArray) p = check(m);
	expect(p, 0, REC_B + 2, STORE_PROBLEM_RECORD_STATE);
	expect(p, 1, REC_B + 4, STORE_PROBLEM_RECORD_ATTRIBUTES);
	expect(p, 2, REC_B + 60, STORE_PROBLEM_RECORD_NAME);
	assert_int_equal(p->len, 3);
	membackend_free(m);
}

static void store_check_record_overrun_and_tail(void **state)
{
	(void)state;
	struct membackend *m = fixture();

	m->buf[0x3000] = 0;
	{
		g_autoptr(GArray) p = check(m);
		expect(p, 0, 0x3000, STORE_PROBLEM_RECORD_TAIL);
		assert_int_equal(p->len, 1);
	}
	put_le32(m->buf + REC_B + 40, 0x4000);
	{
		g_autoptr(GArray) p = check(m);
		expect(p, 0, REC_B, STORE_PROBLEM_RECORD_OVERRUN);
		assert_int_equal(p->len, 1);
	}
	membackend_free(m);
}

static void store_check_ftw_header(void **state)
{
	(void)state;
	struct membackend *m = fixture();

	m->buf[0x4000 + 16] ^= 1; /* CRC */
	{
		g_autoptr(GArray) p = check(m);
		expect(p, 0, 0x4010, STORE_PROBLEM_FTW_CRC);
		assert_int_equal(p->len, 1);
	}
	m->buf[0x4000 + 16] ^= 1;
	m->buf[0x4000 + 20] = 0xff; /* WorkingBlockValid not set */
	{
		g_autoptr(GArray) p = check(m);
		expect(p, 0, 0x4014, STORE_PROBLEM_FTW_STATE);
		assert_int_equal(p->len, 1);
	}
	m->buf[0x4000 + 20] = 0xfe;
	m->buf[0x4000 + 3] ^= 1;
	{
		g_autoptr(GArray) p = check(m);
		expect(p, 0, 0x4000, STORE_PROBLEM_FTW_SIGNATURE);
		assert_int_equal(p->len, 1);
	}
	membackend_free(m);
}

static void store_check_ftw_pending_writes(void **state)
{
	(void)state;
	struct membackend *m = fixture();
	uint8_t *w = m->buf + 0x4000;
	const efi_guid_t ours = STMM_EMU_FTW_CALLER_GUID;

	/* Ours, allocated, spare complete, but the spare holds no store. */
	w[32] = 0xfc;
	memcpy(w + 36, ours.b, 16);
	put_le64(w + 56, 1);
	put_le64(w + 64, 0);
	w[72] = 0xfd;
	put_le64(w + 80, 0);
	put_le64(w + 88, 0x48);
	put_le64(w + 96, 0x4000 - 0x48);
	put_le64(w + 104, (uint64_t)-(int64_t)0x8000);
	{
		g_autoptr(GArray) p = check(m);
		expect(p, 0, 0x8000, STORE_PROBLEM_FTW_SPARE);
		assert_int_equal(p->len, 1);
	}
	/* With the store copied to the spare, a pending write is what stmmd finishes: clean. */
	memcpy(m->buf + 0x8000, m->buf, 0x4000);
	{
		g_autoptr(GArray) p = check(m);
		assert_int_equal(p->len, 0);
	}
	/* A record that does not describe our reclaim. */
	put_le64(w + 96, 0x100);
	{
		g_autoptr(GArray) p = check(m);
		expect(p, 0, 0x4020, STORE_PROBLEM_FTW_WRITE);
		assert_int_equal(p->len, 1);
	}
	membackend_free(m);
}

/* The check predicts what store_open does: damage it reports, store_open acts on. */
static void store_check_agrees_with_store_open(void **state)
{
	(void)state;
	const uint32_t flips[] = { 40, 50, 72, 92, 93, REC_B, REC_B + 1, REC_B + 43 };

	for (size_t i = 0; i < G_N_ELEMENTS(flips); i++) {
		struct membackend *m = fixture();
		struct store_layout l = default_layout();
		struct store_backend be = membackend_ops(m);
		struct store *s = NULL;

		m->buf[flips[i]] ^= 0x40;
		g_autoptr(GArray) p = check(m);
		assert_true(p->len > 0);
		assert_int_equal(store_open(&l, &be, &s), 0);
		const struct store_boot_report *rep = store_get_boot_report(s);
		assert_int_equal(rep->n_events, 1);
		assert_true(store_boot_event_is_damage(&rep->events[0]));
		expect(p, 0, rep->events[0].offset, rep->events[0].reason);
		store_free(s);
		/* ... and leaves a clean store. */
		g_autoptr(GArray) after = check(m);
		assert_int_equal(after->len, 0);
		membackend_free(m);
	}
}

static void store_check_main_exit_status(void **state)
{
	(void)state;
	struct membackend *m = fixture();
	g_autofree char *dir = g_dir_make_tmp("storecheck-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "region", NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *out, *err = fopen("/dev/null", "w");

	assert_non_null(dir);
	assert_true(g_file_set_contents(path, (const char *)m->buf, (gssize)m->size, NULL));
	out = open_memstream(&buf, &len);
	assert_int_equal(store_check_main(path, 0x4000, 0x4000, 0x4000, out, err), 0);
	fclose(out);
	assert_int_equal(len, 0);
	free(buf);

	m->buf[REC_B] ^= 1;
	assert_true(g_file_set_contents(path, (const char *)m->buf, (gssize)m->size, NULL));
	out = open_memstream(&buf, &len);
	assert_int_equal(store_check_main(path, 0x4000, 0x4000, 0x4000, out, err), 1);
	fclose(out);
	assert_true(g_str_has_prefix(buf, "offset 0xa8: record-start-id: variable record StartId 0x55ab"));
	free(buf);

	out = open_memstream(&buf, &len);
	assert_int_equal(store_check_main(path, 0x4000, 0x4000, 0x2000, out, err), 2); /* size */
	assert_int_equal(store_check_main(path, 0x4000, 0x4000, 100, out, err), 2);    /* layout */
	fclose(out);
	free(buf);
	fclose(err);
	g_unlink(path);
	g_rmdir(dir);
	membackend_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(store_check_clean_store),
		cmocka_unit_test(store_check_after_reclaim_is_clean),
		cmocka_unit_test(store_check_rejects_bad_layout),
		cmocka_unit_test(store_check_erased_region),
		cmocka_unit_test(store_check_fv_signature),
		cmocka_unit_test(store_check_fv_length_and_guid),
		cmocka_unit_test(store_check_store_header),
		cmocka_unit_test(store_check_record_start_id),
		cmocka_unit_test(store_check_record_fields),
		cmocka_unit_test(store_check_record_overrun_and_tail),
		cmocka_unit_test(store_check_ftw_header),
		cmocka_unit_test(store_check_ftw_pending_writes),
		cmocka_unit_test(store_check_agrees_with_store_open),
		cmocka_unit_test(store_check_main_exit_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
