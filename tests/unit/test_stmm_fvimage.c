/* SPDX-License-Identifier: MIT */
/*
 * stmm/mm/fvimage.c: parsing real EDK2 variable files (Debian's ovmf / qemu-efi-aarch64),
 * edk2's state rules on crafted stores, every refusal with its offset, and building FVs
 * (OVMF's own layout reproduces its empty files byte for byte).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "bytes.h"
#include "fvimage.h"
#include "store.h"
#include "test_skip.h"
#include "test_stmm_membackend.h"

#define OVMF_4M      "/usr/share/OVMF/OVMF_VARS_4M.fd"
#define OVMF_4M_MS   "/usr/share/OVMF/OVMF_VARS_4M.ms.fd"
#define OVMF_2M      "/usr/share/OVMF/OVMF_VARS.fd"
#define AAVMF_MS     "/usr/share/AAVMF/AAVMF_VARS.ms.fd"

/* The file; without it the test is skipped (a failure under $CI). */
static GBytes *load(const char *path)
{
	gsize len = 0;
	gchar *data = test_file_or_skip(path, "ovmf / qemu-efi-aarch64", &len);

	return g_bytes_new_take(data, len);
}

static char *name_utf8(const struct fv_record_fields *f)
{
	GString *s = g_string_new("");
	for (uint32_t i = 0; i + 1 < f->name_size; i += 2) {
		uint16_t c = get_le16(f->name + i);
		if (c)
			g_string_append_unichar(s, c);
	}
	return g_string_free(s, FALSE);
}

static const struct fv_record_fields *var_at(const struct fvimage *img, guint i)
{
	return &g_array_index(img->vars, struct fv_record_fields, i);
}

static void assert_names(const struct fvimage *img, const char *const *names, guint n)
{
	assert_int_equal(img->vars->len, n);
	for (guint i = 0; i < n; i++) {
		g_autofree char *got = name_utf8(var_at(img, i));
		assert_string_equal(got, names[i]);
	}
}

/* Live variables in store order, as an independent python walk of the files found them. */
static const char *const ms_names[] = {
	"certdb", "MTC", "Attempt 1", "Attempt 2", "Attempt 3", "Attempt 4", "Attempt 5",
	"Attempt 6", "Attempt 7", "InitialAttemptOrder", "Attempt 8", "Boot0000", "Timeout",
	"PlatformLang", "Lang", "VarErrorFlag", "Key0000", "Key0001", "ConOut", "ConIn", "ErrOut",
	"Boot0001", "Boot0002", "MemoryTypeInformation", "db", "dbx", "KEK", "PK",
	"VendorKeysNv", "SecureBootEnable", "CustomMode",
};
static const char *const aavmf_ms_names[] = {
	"certdb", "MTC", "Boot0000", "Timeout", "PlatformLang", "Lang", "VarErrorFlag", "ConIn",
	"ConOut", "ErrOut", "Key0000", "Key0001", "Boot0001", "Boot0002", "MemoryTypeInformation",
	"db", "dbx", "KEK", "PK", "VendorKeysNv", "SecureBootEnable", "CustomMode",
};

static void fvimage_parse_ovmf_ms(void **state)
{
	(void)state;
	g_autoptr(GBytes) b = load(OVMF_4M_MS);
	g_autoptr(fvimage) img = NULL;
	g_autofree char *err = NULL;
	gsize len;

	const uint8_t *buf = g_bytes_get_data(b, &len);
	assert_int_equal(fvimage_parse(buf, len, &img, &err), 0);
	assert_int_equal(img->records, 57);
	assert_int_equal(img->fv_length, 0x84000);
	assert_int_equal(img->store_size, 0x3ffb8);
	assert_names(img, ms_names, G_N_ELEMENTS(ms_names));
	/* PK: authenticated, its header fields kept. */
	const struct fv_record_fields *pk = var_at(img, 27);
	assert_int_equal(pk->attributes, 0x27);
	assert_int_equal(pk->data_size, 1005);
	assert_int_equal(pk->state, VAR_ADDED);
	assert_int_equal(fvimage_bytes_needed((const struct fv_record_fields *)(void *)img->vars->data,
					      img->vars->len), 18624);
}

static void fvimage_parse_aavmf_ms(void **state)
{
	(void)state;
	g_autoptr(GBytes) b = load(AAVMF_MS);
	g_autoptr(fvimage) img = NULL;
	g_autofree char *err = NULL;
	gsize len;

	const uint8_t *buf = g_bytes_get_data(b, &len);
	assert_int_equal(len, 64u << 20); /* the flash image; the FV is its first 768 KiB */
	assert_int_equal(fvimage_parse(buf, len, &img, &err), 0);
	assert_int_equal(img->records, 29);
	assert_int_equal(img->fv_length, 0xc0000);
	assert_names(img, aavmf_ms_names, G_N_ELEMENTS(aavmf_ms_names));
}

/* An empty store in OVMF's layout is OVMF's empty file, byte for byte. */
static void ovmf_empty(const char *path, uint64_t fv_size)
{
	g_autoptr(GBytes) b = load(path);
	g_autofree uint8_t *out = NULL;
	g_autoptr(fvimage) img = NULL;
	g_autofree char *err = NULL;
	struct fvimage_layout l;
	size_t out_len = 0;
	gsize len;

	const uint8_t *buf = g_bytes_get_data(b, &len);
	assert_int_equal(fvimage_parse(buf, len, &img, &err), 0);
	assert_int_equal(img->records, 0);
	assert_int_equal(img->vars->len, 0);
	assert_int_equal(fvimage_ovmf_layout(fv_size, &l), 0);
	assert_int_equal(fvimage_build(&l, NULL, 0, &out, &out_len), 0);
	assert_int_equal(out_len, len);
	assert_memory_equal(out, buf, len);
}

static void fvimage_build_ovmf_4m_layout_is_ovmf(void **state)
{
	(void)state;
	ovmf_empty(OVMF_4M, 0x84000);
}

static void fvimage_build_ovmf_2m_layout_is_ovmf(void **state)
{
	(void)state;
	ovmf_empty(OVMF_2M, 0x20000);
}

/* Parse -> build -> parse gives the same variables; building twice the same bytes. */
static void fvimage_build_roundtrip(void **state)
{
	(void)state;
	g_autoptr(GBytes) b = load(OVMF_4M_MS);
	g_autoptr(fvimage) img = NULL, img2 = NULL;
	g_autofree uint8_t *out = NULL, *out2 = NULL;
	g_autofree char *err = NULL;
	struct fvimage_layout l;
	size_t n1 = 0, n2 = 0;
	gsize len;

	const uint8_t *buf = g_bytes_get_data(b, &len);
	assert_int_equal(fvimage_parse(buf, len, &img, &err), 0);
	const struct fv_record_fields *v = (const void *)img->vars->data;
	fvimage_default_layout(fvimage_bytes_needed(v, img->vars->len), &l);
	assert_int_equal(l.var_store_size, 32768);
	assert_int_equal(l.ftw_spare_size, 32768);
	assert_int_equal(l.ftw_working_size, 16384);
	assert_int_equal(fvimage_build(&l, v, img->vars->len, &out, &n1), 0);
	assert_int_equal(n1, 81920);
	assert_int_equal(fvimage_parse(out, n1, &img2, &err), 0);
	assert_int_equal(img2->records, 31);
	assert_names(img2, ms_names, G_N_ELEMENTS(ms_names));
	for (guint i = 0; i < img->vars->len; i++) {
		const struct fv_record_fields *a = var_at(img, i), *c = var_at(img2, i);
		assert_int_equal(a->attributes, c->attributes);
		assert_int_equal(a->monotonic_count, c->monotonic_count);
		assert_int_equal(a->pub_key_index, c->pub_key_index);
		assert_memory_equal(&a->time_stamp, &c->time_stamp, sizeof(a->time_stamp));
		assert_int_equal(a->data_size, c->data_size);
		assert_memory_equal(a->data, c->data, a->data_size);
	}
	v = (const void *)img2->vars->data;
	assert_int_equal(fvimage_build(&l, v, img2->vars->len, &out2, &n2), 0);
	assert_int_equal(n1, n2);
	assert_memory_equal(out, out2, n1);

	/* The emulator's store opens it and sees the same 31 variables. */
	struct membackend *m = membackend_new(n1, 0);
	memcpy(m->buf, out, n1);
	struct store_backend ops = membackend_ops(m);
	const struct store_layout sl = { 0, l.var_store_size, l.ftw_working_size, l.ftw_spare_size };
	struct store *s = NULL;
	struct store_stats st;
	assert_int_equal(store_open(&sl, &ops, &s), 0);
	store_get_stats(s, &st);
	assert_int_equal(st.live_variables, 31);
	assert_int_equal(m->writes, 0); /* valid as built: nothing formatted or scrubbed */
	store_free(s);
	membackend_free(m);

	/* Too small a store: ENOSPC, nothing built. */
	l.var_store_size = 16384;
	l.ftw_spare_size = 16384;
	g_autofree uint8_t *none = NULL;
	size_t nn = 0;
	assert_int_equal(fvimage_build(&l, v, img2->vars->len, &none, &nn), -ENOSPC);
	assert_null(none);
}

/* ---- crafted stores: edk2's state rules -------------------------------------------- */

static const uint8_t nm_a[] = { 'A', 0, 0, 0 }, nm_b[] = { 'B', 0, 0, 0 };

static struct fv_record_fields rec(const uint8_t *name, uint8_t value)
{
	static uint8_t data[256];
	data[value] = value;
	return (struct fv_record_fields){
		.state = VAR_ADDED, .attributes = 7, .monotonic_count = value,
		.guid = EFI_GLOBAL_VARIABLE_GUID, .name = name, .name_size = 4,
		.data = &data[value], .data_size = 1,
	};
}

/* Records A1 A2 B3 B4 A5 at known offsets (each 60 + 4 + 1 -> 68 bytes). */
#define REC_OFF(i) (100u + 68u * (i))
static uint8_t *crafted(size_t *ret_len)
{
	const struct fv_record_fields v[] = { rec(nm_a, 1), rec(nm_a, 2), rec(nm_b, 3),
					      rec(nm_b, 4), rec(nm_a, 5) };
	struct fvimage_layout l;
	uint8_t *out = NULL;

	fvimage_default_layout(1000, &l);
	assert_int_equal(fvimage_build(&l, v, G_N_ELEMENTS(v), &out, ret_len), 0);
	return out;
}

static void set_state(uint8_t *img, unsigned i, uint8_t st)
{
	img[REC_OFF(i) + offsetof(struct authenticated_variable_header, state)] = st;
}

static uint8_t value_of(const struct fvimage *img, guint i)
{
	return var_at(img, i)->data[0];
}

static void fvimage_parse_edk2_states(void **state)
{
	(void)state;
	size_t len;
	g_autofree uint8_t *img = crafted(&len);
	g_autofree char *err = NULL;
	const uint8_t in_transition = VAR_ADDED & VAR_IN_DELETED_TRANSITION;

	/* A1 deleted, A2 in transition with A5 ADDED: A5 wins.  B3 in transition, B4 header
	 * only: B3 is visible (no ADDED twin). */
	set_state(img, 0, VAR_ADDED & VAR_DELETED & VAR_IN_DELETED_TRANSITION);
	set_state(img, 1, in_transition);
	set_state(img, 2, in_transition);
	set_state(img, 3, VAR_HEADER_VALID_ONLY);
	{
		g_autoptr(fvimage) p = NULL;
		assert_int_equal(fvimage_parse(img, len, &p, &err), 0);
		assert_int_equal(p->records, 5);
		assert_int_equal(p->vars->len, 2);
		assert_int_equal(value_of(p, 0), 3); /* store order: B3 (0x...) before A5 */
		assert_int_equal(value_of(p, 1), 5);
		assert_int_equal(var_at(p, 0)->state, VAR_ADDED); /* written back as ADDED */
	}
	/* Two ADDED copies: the first wins (edk2 FindVariable stops there). */
	set_state(img, 1, VAR_ADDED);
	{
		g_autoptr(fvimage) p = NULL;
		assert_int_equal(fvimage_parse(img, len, &p, &err), 0);
		assert_int_equal(value_of(p, 0), 2);
	}
	/* Only in-transition copies: the last one wins. */
	set_state(img, 1, in_transition);
	set_state(img, 4, in_transition);
	{
		g_autoptr(fvimage) p = NULL;
		assert_int_equal(fvimage_parse(img, len, &p, &err), 0);
		assert_int_equal(p->vars->len, 2);
		assert_int_equal(value_of(p, 1), 5);
	}
	/* A StartId that is not 0x55AA ends the walk. */
	put_le16(img + REC_OFF(2), 0xffff);
	{
		g_autoptr(fvimage) p = NULL;
		assert_int_equal(fvimage_parse(img, len, &p, &err), 0);
		assert_int_equal(p->records, 2);
		assert_int_equal(p->vars->len, 1);
	}
}

/* ---- refusals ------------------------------------------------------------------------ */

static void expect_refusal(const uint8_t *buf, size_t len, const char *want)
{
	g_autoptr(fvimage) p = NULL;
	g_autofree char *err = NULL;

	assert_int_equal(fvimage_parse(buf, len, &p, &err), -EINVAL);
	assert_null(p);
	assert_non_null(err);
	if (!strstr(err, want))
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static void fvimage_parse_refusals(void **state)
{
	(void)state;
	size_t len;
	g_autofree uint8_t *good = crafted(&len);
	g_autofree uint8_t *b = g_memdup2(good, len);
	uint8_t zero[128] = { 0 };

	expect_refusal(good, 40, "offset 0x0: not an EDK2 firmware volume");
	expect_refusal(zero, sizeof(zero), "offset 0x28: not an EDK2 firmware volume");
	expect_refusal(good, len - 1, "offset 0x20: FvLength 0x");
	b[50] ^= 1;
	expect_refusal(b, len, "offset 0x32: bad FV header checksum");
	memcpy(b, good, len);
	b[16] ^= 1; /* FileSystemGuid; fix the checksum so only the GUID is wrong */
	put_le16(b + 50, 0);
	put_le16(b + 50, (uint16_t)(0u - fv_sum16(b, EDK2_FV_HEADER_LENGTH)));
	expect_refusal(b, len, "offset 0x10: not a variable FV");
	memcpy(b, good, len);
	b[0x48] ^= 0xff;
	expect_refusal(b, len, "offset 0x48: bad variable store signature");
	memcpy(b, good, len);
	const efi_guid_t plain = EFI_VARIABLE_GUID;
	memcpy(b + 0x48, plain.b, 16);
	expect_refusal(b, len, "offset 0x48: the variable store uses the non-authenticated format");
	memcpy(b, good, len);
	b[0x48 + 20] = 0;
	expect_refusal(b, len, "offset 0x5c: variable store is not formatted");
	memcpy(b, good, len);
	b[0x48 + 21] = 0xff;
	expect_refusal(b, len, "offset 0x5d: variable store is not healthy");
	memcpy(b, good, len);
	put_le32(b + 0x48 + 16, 0x100000);
	expect_refusal(b, len, "offset 0x58: variable store Size");
	memcpy(b, good, len);
	put_le32(b + REC_OFF(3) + offsetof(struct authenticated_variable_header, data_size), 0x0fffffff);
	expect_refusal(b, len, "offset 0x130: variable record (NameSize 4, DataSize 268435455) runs past");
	memcpy(b, good, len);
	b[REC_OFF(2) + 60 + 2] = 'x'; /* the name loses its NUL */
	expect_refusal(b, len, "offset 0xec: live variable record has a name");
	/* The same damage in a deleted record is history: accepted. */
	b[REC_OFF(2) + offsetof(struct authenticated_variable_header, state)] = VAR_ADDED & VAR_DELETED;
	g_autoptr(fvimage) p = NULL;
	g_autofree char *err = NULL;
	assert_int_equal(fvimage_parse(b, len, &p, &err), 0);
	assert_int_equal(p->vars->len, 2);
}

static void fvimage_layouts(void **state)
{
	(void)state;
	struct fvimage_layout l;

	fvimage_default_layout(100, &l);
	assert_int_equal(l.var_store_size, 16384);
	assert_int_equal(l.ftw_spare_size, 16384);
	assert_int_equal(l.gap_size, 0);
	fvimage_default_layout(16384 - 10240 + 1, &l);
	assert_int_equal(l.var_store_size, 20480);
	assert_int_equal(fvimage_ovmf_layout(0x84000, &l), 0);
	assert_int_equal(l.var_store_size, 0x40000);
	assert_int_equal(l.gap_size, 0x1000);
	assert_int_equal(l.ftw_working_size, 0x1000);
	assert_int_equal(l.ftw_spare_size, 0x42000);
	assert_int_equal(fvimage_ovmf_layout(0x84001, &l), -EINVAL);
	assert_int_equal(fvimage_ovmf_layout(0x4000, &l), -EINVAL);
	l = (struct fvimage_layout){ 16384, 0, 16384, 16384 + 256 };
	assert_false(fvimage_layout_valid(&l));
	g_autofree uint8_t *out = NULL;
	size_t n = 0;
	assert_int_equal(fvimage_build(&l, NULL, 0, &out, &n), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fvimage_parse_ovmf_ms),
		cmocka_unit_test(fvimage_parse_aavmf_ms),
		cmocka_unit_test(fvimage_build_ovmf_4m_layout_is_ovmf),
		cmocka_unit_test(fvimage_build_ovmf_2m_layout_is_ovmf),
		cmocka_unit_test(fvimage_build_roundtrip),
		cmocka_unit_test(fvimage_parse_edk2_states),
		cmocka_unit_test(fvimage_parse_refusals),
		cmocka_unit_test(fvimage_layouts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
