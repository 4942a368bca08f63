/* SPDX-License-Identifier: MIT */
/*
 * The variable service's EDK2 rules beyond a single call: boot phases (READY_TO_BOOT,
 * EXIT_BOOT_SERVICE, the MM EndOfDxe event), VAR_CHECK properties and LOCK_VARIABLE,
 * reclaim from the service's view, HwErr storage, QueryVariableInfo accounting, and
 * malformed / mutated MM buffers (never a crash, the store always equal to a reopen).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "test_stmm_mm.h"

#define NV_BS 0x3u
#define BS_RT 0x6u
#define BS    0x2u
#define HR    0x8u

static const efi_guid_t guid_w =
	EFI_GUID_INIT(0x49b08eba, 0xa56c, 0x4015, 0xb7, 0x03, 0xe7, 0x73, 0xc3, 0x32, 0x62, 0x8b);

static uint64_t event(struct fx *f, uint64_t fn)
{
	return call(f, hdr(f->buf, fn, 0)); /* functions 5 and 6 read no payload */
}

/* Enumerate everything: "name/guidbyte0 ..." (g_free). */
static char *list_all(struct fx *f)
{
	GString *out = g_string_new(NULL);
	uint8_t name[128] = { 0 };
	uint8_t guid[16] = { 0 };

	for (;;) {
		size_t n = hdr(f->buf, SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME, 24 + 128);
		memcpy(f->buf + O_P, guid, 16);
		put_le64(f->buf + O_P + 16, 128);
		memcpy(f->buf + O_P + 24, name, 128);
		if (call(f, n) != EFI_SUCCESS)
			break;
		memcpy(guid, f->buf + O_P, 16);
		memset(name, 0, sizeof(name));
		memcpy(name, f->buf + O_P + 24, get_le64(f->buf + O_P + 16));
		for (size_t i = 0; name[2 * i]; i++)
			g_string_append_c(out, (char)name[2 * i]);
		g_string_append_printf(out, "/%02x ", guid[0]);
	}
	assert_int_equal(status(f->buf), EFI_NOT_FOUND);
	return g_string_free(out, FALSE);
}

static uint64_t get_next_from(struct fx *f, const efi_guid_t *g, const char *name)
{
	size_t n = hdr(f->buf, SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME, 24 + 64);

	memcpy(f->buf + O_P, g->b, 16);
	put_le64(f->buf + O_P + 16, 64);
	put_name(f->buf + O_P + 24, name);
	return call(f, n);
}

/* PROPERTY_SET / PROPERTY_GET (fn 9 / 10). */
static size_t prop_req(uint8_t *b, uint64_t fn, const efi_guid_t *g, const char *name,
		       uint16_t rev, uint16_t prop, uint32_t attrs, uint64_t min, uint64_t max)
{
	size_t ns = 2 * strlen(name) + 2;
	size_t n = hdr(b, fn, 48 + ns);

	memcpy(b + O_P, g->b, 16);
	put_le64(b + O_P + 16, ns);
	put_le16(b + O_P + 24, rev);
	put_le16(b + O_P + 26, prop);
	put_le32(b + O_P + 28, attrs);
	put_le64(b + O_P + 32, min);
	put_le64(b + O_P + 40, max);
	put_name(b + O_P + 48, name);
	return n;
}

static uint64_t prop_set(struct fx *f, const char *name, uint16_t rev, uint16_t prop,
			 uint32_t attrs, uint64_t min, uint64_t max)
{
	return call(f, prop_req(f->buf, SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_SET,
				&guid_v, name, rev, prop, attrs, min, max));
}

static uint64_t lock_var(struct fx *f, const char *name)
{
	size_t ns = 2 * strlen(name) + 2;
	size_t n = hdr(f->buf, SMM_VARIABLE_FUNCTION_LOCK_VARIABLE, 24 + ns);

	memcpy(f->buf + O_P, guid_v.b, 16);
	put_le64(f->buf + O_P + 16, ns);
	put_name(f->buf + O_P + 24, name);
	return call(f, n);
}

/* The open store (RAM) equals what a fresh open of the backend finds. */
static void assert_store_matches_flash(struct fx *f)
{
	struct store_layout l = default_layout();
	struct store_backend be = membackend_ops(f->m);
	struct store *fresh = NULL;
	struct store_stats a, b;
	const struct var_entry *x, *y;

	assert_int_equal(store_open(&l, &be, &fresh), 0);
	store_get_stats(f->store, &a);
	store_get_stats(fresh, &b);
	assert_int_equal(a.used, b.used);
	assert_int_equal(a.free, b.free);
	assert_int_equal(a.live_variables, b.live_variables);
	for (x = store_first(f->store), y = store_first(fresh); x || y;
	     x = store_next(f->store, x), y = store_next(fresh, y)) {
		assert_non_null(x);
		assert_non_null(y);
		assert_int_equal(x->name_size, y->name_size);
		assert_memory_equal(x->name, y->name, x->name_size);
		assert_memory_equal(x->guid.b, y->guid.b, 16);
		assert_int_equal(x->attributes, y->attributes);
		assert_int_equal(x->data_size, y->data_size);
		assert_memory_equal(x->data, y->data, x->data_size);
	}
	store_free(fresh);
}

/* ---- §4.1 rules not covered by test_stmm_varsvc.c --------------------------------------- */

static void set_rules_in_edk2_order(void **state)
{
	struct fx *f = *state;

	/* 0x80 is not in the mask: INVALID_PARAMETER before anything else. */
	assert_int_equal(set_var(f, &guid_v, "A", 0x80 | EFI_VARIABLE_RUNTIME_ACCESS, "x", 1),
			 EFI_INVALID_PARAMETER);
	/* Reserved bits beat the RT-without-BS check with AW. */
	assert_int_equal(set_var(f, &guid_v, "A", 0x100 | 0x10 | EFI_VARIABLE_RUNTIME_ACCESS, "x", 1),
			 EFI_INVALID_PARAMETER);
	/* HR without HwErr storage, whatever else is set. */
	assert_int_equal(set_var(f, &guid_v, "A", HR | BS_RT, "x", 1), EFI_INVALID_PARAMETER);
	/* Size limit checked before the attribute mismatch of an existing variable. */
	g_autofree uint8_t *d = g_malloc0(8200);
	assert_int_equal(set_var(f, &guid_v, "A", NV_BS_RT, "x", 1), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "A", BS_RT, d, 8200), EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &guid_v, "A", BS_RT, "y", 1), EFI_INVALID_PARAMETER);
	assert_int_equal(get_var(f, &guid_v, "A", 8), EFI_SUCCESS);
	assert_memory_equal(REPLY_DATA(f->buf, "A"), "x", 1); /* data unchanged */
	/* APPEND alone is not "no attributes": a mismatch.  Attributes 0 deletes, data or not. */
	assert_int_equal(set_var(f, &guid_v, "A", EFI_VARIABLE_APPEND_WRITE, "z", 1),
			 EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &guid_v, "A", 0, "z", 1), EFI_SUCCESS);
	assert_int_equal(get_var(f, &guid_v, "A", 8), EFI_NOT_FOUND);
	/* APPEND of 0 bytes to an absent variable: success, nothing created, nothing written. */
	unsigned w = f->m->writes;
	assert_int_equal(set_var(f, &guid_v, "B", NV_BS_RT | EFI_VARIABLE_APPEND_WRITE, NULL, 0),
			 EFI_SUCCESS);
	assert_int_equal(f->m->writes, w);
	assert_int_equal(get_var(f, &guid_v, "B", 8), EFI_NOT_FOUND);
}

static void get_next_same_name_two_guids_no_duplicates(void **state)
{
	struct fx *f = *state;

	assert_int_equal(set_var(f, &guid_v, "TestVariable", NV_BS, "1", 1), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_w, "TestVariable", NV_BS, "22", 2), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "TestVariable", NV_BS, "3", 1), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "Vol", BS, "v", 1), EFI_SUCCESS);
	g_autofree char *all = list_all(f);
	assert_string_equal(all, "Vol/78 TestVariable/ba TestVariable/78 ");
}

/* ---- phases ---------------------------------------------------------------------------- */

static void ready_to_boot_then_exit_boot_services(void **state)
{
	struct fx *f = *state;

	assert_int_equal(event(f, SMM_VARIABLE_FUNCTION_READY_TO_BOOT), EFI_SUCCESS);
	assert_int_equal(event(f, SMM_VARIABLE_FUNCTION_READY_TO_BOOT), EFI_SUCCESS);
	assert_int_equal(event(f, SMM_VARIABLE_FUNCTION_EXIT_BOOT_SERVICE), EFI_SUCCESS);
	assert_int_equal(event(f, SMM_VARIABLE_FUNCTION_READY_TO_BOOT), EFI_UNSUPPORTED);
	assert_int_equal(event(f, SMM_VARIABLE_FUNCTION_EXIT_BOOT_SERVICE), EFI_SUCCESS);
	/* Any payload is fine for 5/6. */
	size_t n = hdr(f->buf, SMM_VARIABLE_FUNCTION_EXIT_BOOT_SERVICE, 100);
	assert_int_equal(call(f, n), EFI_SUCCESS);
}

static void runtime_hides_boot_service_variables(void **state)
{
	struct fx *f = *state;

	assert_int_equal(set_var(f, &guid_v, "NvBs", NV_BS, "a", 1), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "NvRt", NV_BS_RT, "b", 1), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "VBs", BS, "c", 1), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "VRt", BS_RT, "d", 1), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "NvBs2", NV_BS, "e", 1), EFI_SUCCESS);
	assert_int_equal(event(f, SMM_VARIABLE_FUNCTION_EXIT_BOOT_SERVICE), EFI_SUCCESS);

	assert_int_equal(get_var(f, &guid_v, "NvBs", 8), EFI_NOT_FOUND);
	assert_int_equal(get_var(f, &guid_v, "VBs", 8), EFI_NOT_FOUND);
	assert_int_equal(get_var(f, &guid_v, "NvRt", 8), EFI_SUCCESS);
	assert_int_equal(get_var(f, &guid_v, "VRt", 8), EFI_SUCCESS);
	g_autofree char *all = list_all(f);
	assert_string_equal(all, "VRt/78 NvRt/78 ");
	/* A BS-only name is no way to continue. */
	assert_int_equal(get_next_from(f, &guid_v, "NvBs"), EFI_INVALID_PARAMETER);
	assert_int_equal(get_next_from(f, &guid_v, "VRt"), EFI_SUCCESS);
}

static void runtime_write_rules(void **state)
{
	struct fx *f = *state;
	uint64_t max, rem, maxv, max0, rem0;

	assert_int_equal(set_var(f, &guid_v, "NvBs", NV_BS, "a", 1), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "NvRt", NV_BS_RT, "b", 1), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "VRt", BS_RT, "d", 1), EFI_SUCCESS);
	assert_int_equal(event(f, SMM_VARIABLE_FUNCTION_EXIT_BOOT_SERVICE), EFI_SUCCESS);

	/* Creating: only NV|BS|RT. */
	assert_int_equal(set_var(f, &guid_v, "New", BS, "x", 1), EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &guid_v, "New", NV_BS, "x", 1), EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &guid_v, "New", BS_RT, "x", 1), EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &guid_v, "New", NV_BS_RT, "x", 1), EFI_SUCCESS);
	/* Existing non-RT: WRITE_PROTECTED (even a delete, even with other attributes). */
	assert_int_equal(set_var(f, &guid_v, "NvBs", NV_BS, "z", 1), EFI_WRITE_PROTECTED);
	assert_int_equal(set_var(f, &guid_v, "NvBs", 0, NULL, 0), EFI_WRITE_PROTECTED);
	assert_int_equal(set_var(f, &guid_v, "NvBs", NV_BS_RT, "z", 1), EFI_WRITE_PROTECTED);
	/* Volatile RT: read-only. */
	assert_int_equal(set_var(f, &guid_v, "VRt", BS_RT, "z", 1), EFI_WRITE_PROTECTED);
	assert_int_equal(set_var(f, &guid_v, "VRt", BS_RT, NULL, 0), EFI_WRITE_PROTECTED);
	/* NV|RT: updates and deletes work. */
	assert_int_equal(set_var(f, &guid_v, "NvRt", NV_BS_RT, "bb", 2), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "NvRt", NV_BS_RT | EFI_VARIABLE_APPEND_WRITE, "c", 1),
			 EFI_SUCCESS);
	assert_int_equal(get_var(f, &guid_v, "NvRt", 8), EFI_SUCCESS);
	assert_memory_equal(REPLY_DATA(f->buf, "NvRt"), "bbc", 3);

	/* Query: RT required; deleted records count at runtime (nothing can be reclaimed). */
	assert_int_equal(query(f, NV_BS, &max, &rem, &maxv), EFI_INVALID_PARAMETER);
	assert_int_equal(query(f, BS, &max, &rem, &maxv), EFI_INVALID_PARAMETER);
	assert_int_equal(query(f, NV_BS_RT, &max0, &rem0, &maxv), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "NvRt", NV_BS_RT, NULL, 0), EFI_SUCCESS);
	assert_int_equal(query(f, NV_BS_RT, &max, &rem, &maxv), EFI_SUCCESS);
	assert_int_equal(max, max0);
	assert_int_equal(rem, rem0);
	assert_int_equal(query(f, BS_RT, &max, &rem, &maxv), EFI_SUCCESS);
}

static void runtime_never_reclaims(void **state)
{
	struct fx *f = *state;
	g_autofree uint8_t *d = g_malloc0(8000);

	/* Two big variables, the first deleted: 16284 - 2 x 8068 = 148 bytes left. */
	assert_int_equal(set_var(f, &guid_v, "A", NV_BS_RT, d, 8000), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "B", NV_BS_RT, d, 8000), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "A", NV_BS_RT, NULL, 0), EFI_SUCCESS);
	assert_int_equal(event(f, SMM_VARIABLE_FUNCTION_EXIT_BOOT_SERVICE), EFI_SUCCESS);
	unsigned w = f->m->writes;
	assert_int_equal(set_var(f, &guid_v, "C", NV_BS_RT, d, 4000), EFI_OUT_OF_RESOURCES);
	assert_int_equal(f->m->writes, w);
	/* After a reset (boot time again) the same write reclaims and succeeds. */
	fx_close(f);
	fx_open(f);
	assert_int_equal(set_var(f, &guid_v, "C", NV_BS_RT, d, 4000), EFI_SUCCESS);
	struct store_stats st;
	store_get_stats(f->store, &st);
	assert_int_equal(st.reclaims, 1);
	assert_int_equal(get_var(f, &guid_v, "B", 8000), EFI_SUCCESS);
	assert_store_matches_flash(f);
}

static void out_of_resources_only_after_reclaim(void **state)
{
	struct fx *f = *state;
	g_autofree uint8_t *d = g_malloc0(8000);
	uint64_t max, rem, maxv;
	char name[16];

	/* Many updates of one variable: reclaim keeps making room. */
	for (int i = 0; i < 40; i++) {
		memset(d, i, 2000);
		assert_int_equal(set_var(f, &guid_v, "Upd", NV_BS_RT, d, 2000), EFI_SUCCESS);
	}
	assert_int_equal(get_var(f, &guid_v, "Upd", 2000), EFI_SUCCESS);
	assert_int_equal(REPLY_DATA(f->buf, "Upd")[0], 39);
	/* Live data that cannot fit: OUT_OF_RESOURCES, and everything else intact. */
	int i, r = 0;
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "F%d", i);
		r = (int)(set_var(f, &guid_v, name, NV_BS_RT, d, 3000) != EFI_SUCCESS);
		if (r)
			break;
	}
	assert_int_equal(status(f->buf), EFI_OUT_OF_RESOURCES);
	assert_int_equal(i, 4); /* 2068 + 4 x 3068 <= 16284 */
	assert_int_equal(query(f, NV_BS_RT, &max, &rem, &maxv), EFI_SUCCESS);
	assert_int_equal(rem, 16284 - 2068 - 4 * 3068);
	assert_store_matches_flash(f);
}

static void ready_to_boot_reclaims_for_os(void **state)
{
	struct fx *f = *state;
	g_autofree uint8_t *d = g_malloc0(4000);
	struct store_stats st;

	/* 3 x 4064 written, 2 deleted: free = 16284 - 12192 = 4092 < 10240 (MaxAuthVariableSize). */
	assert_int_equal(set_var(f, &guid_v, "A", NV_BS_RT, d, 4000), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "B", NV_BS_RT, d, 4000), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "C", NV_BS_RT, d, 4000), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "A", 0, NULL, 0), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "B", 0, NULL, 0), EFI_SUCCESS);
	assert_int_equal(event(f, SMM_VARIABLE_FUNCTION_READY_TO_BOOT), EFI_SUCCESS);
	store_get_stats(f->store, &st);
	assert_int_equal(st.reclaims, 1);
	assert_int_equal(st.free, 16284 - 4064);
	assert_int_equal(get_var(f, &guid_v, "C", 4000), EFI_SUCCESS);
	/* Enough room now: the next READY_TO_BOOT does not reclaim again. */
	assert_int_equal(event(f, SMM_VARIABLE_FUNCTION_READY_TO_BOOT), EFI_SUCCESS);
	store_get_stats(f->store, &st);
	assert_int_equal(st.reclaims, 1);
	assert_store_matches_flash(f);
}

/* ---- VAR_CHECK properties and LOCK_VARIABLE ----------------------------------------------- */

static void property_set_get(void **state)
{
	struct fx *f = *state;
	size_t n;

	n = prop_req(f->buf, SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET, &guid_v, "P", 0,
		     0, 0, 0, 0);
	assert_int_equal(call(f, n), EFI_NOT_FOUND);
	assert_int_equal(prop_set(f, "P", 2, 1, 0, 0, 0), EFI_INVALID_PARAMETER); /* revision */
	assert_int_equal(prop_set(f, "", 1, 1, 0, 0, 0), EFI_INVALID_PARAMETER);
	assert_int_equal(prop_set(f, "P", 1, VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY, NV_BS_RT, 1,
				  0x1234),
			 EFI_SUCCESS);
	n = prop_req(f->buf, SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET, &guid_v, "P", 0,
		     0, 0, 0, 0);
	assert_int_equal(call(f, n), EFI_SUCCESS);
	assert_int_equal(get_le16(f->buf + O_P + 24), 1);
	assert_int_equal(get_le16(f->buf + O_P + 26), 1);
	assert_int_equal(get_le32(f->buf + O_P + 28), NV_BS_RT);
	assert_int_equal(get_le64(f->buf + O_P + 32), 1);
	assert_int_equal(get_le64(f->buf + O_P + 40), 0x1234);
	/* Not another GUID. */
	n = prop_req(f->buf, SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET, &guid_w, "P", 0,
		     0, 0, 0, 0);
	assert_int_equal(call(f, n), EFI_NOT_FOUND);
	/* Before EndOfDxe nothing is enforced (U-Boot relies on it). */
	assert_int_equal(set_var(f, &guid_v, "P", NV_BS_RT, "x", 1), EFI_SUCCESS);
	/* Overwritten by a second set. */
	assert_int_equal(prop_set(f, "P", 1, 0, 0, 2, 4), EFI_SUCCESS);
	n = prop_req(f->buf, SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET, &guid_v, "P", 0,
		     0, 0, 0, 0);
	assert_int_equal(call(f, n), EFI_SUCCESS);
	assert_int_equal(get_le16(f->buf + O_P + 26), 0);
	/* After READY_TO_BOOT (EndOfDxe): no more sets; gets still work. */
	assert_int_equal(event(f, SMM_VARIABLE_FUNCTION_READY_TO_BOOT), EFI_SUCCESS);
	assert_int_equal(prop_set(f, "Q", 1, 0, 0, 0, 0), EFI_ACCESS_DENIED);
	assert_int_equal(prop_set(f, "Q", 7, 0, 0, 0, 0), EFI_ACCESS_DENIED); /* before any check */
	n = prop_req(f->buf, SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET, &guid_v, "P", 0,
		     0, 0, 0, 0);
	assert_int_equal(call(f, n), EFI_SUCCESS);
}

static void property_enforced_after_end_of_dxe(void **state)
{
	struct fx *f = *state;

	assert_int_equal(set_var(f, &guid_v, "Ro", NV_BS_RT, "x", 1), EFI_SUCCESS);
	assert_int_equal(prop_set(f, "Ro", 1, VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY, 0, 0, ~0ull),
			 EFI_SUCCESS);
	assert_int_equal(prop_set(f, "Size", 1, 0, 0, 2, 4), EFI_SUCCESS);
	assert_int_equal(prop_set(f, "Attr", 1, 0, NV_BS, 1, 100), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "Size", NV_BS_RT, "abc", 3), EFI_SUCCESS);
	assert_int_equal(event(f, SMM_VARIABLE_FUNCTION_READY_TO_BOOT), EFI_SUCCESS);

	/* READ_ONLY: every write, deletes included. */
	assert_int_equal(set_var(f, &guid_v, "Ro", NV_BS_RT, "y", 1), EFI_WRITE_PROTECTED);
	assert_int_equal(set_var(f, &guid_v, "Ro", NV_BS_RT, NULL, 0), EFI_WRITE_PROTECTED);
	assert_int_equal(set_var(f, &guid_v, "Ro", 0, NULL, 0), EFI_WRITE_PROTECTED);
	/* Size bounds, but a delete passes. */
	assert_int_equal(set_var(f, &guid_v, "Size", NV_BS_RT, "a", 1), EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &guid_v, "Size", NV_BS_RT, "abcde", 5), EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &guid_v, "Size", NV_BS_RT, "abcd", 4), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "Size", NV_BS_RT, NULL, 0), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "Size", NV_BS_RT, "a", 1), EFI_INVALID_PARAMETER);
	/* Attributes (APPEND_WRITE aside). */
	assert_int_equal(set_var(f, &guid_v, "Attr", NV_BS_RT, "a", 1), EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &guid_v, "Attr", NV_BS | EFI_VARIABLE_APPEND_WRITE, "a", 1),
			 EFI_SUCCESS);
	assert_int_equal(get_var(f, &guid_v, "Ro", 8), EFI_SUCCESS);
}

static void lock_variable_is_lock_now_after_end_of_dxe(void **state)
{
	struct fx *f = *state;

	/* Without VarCheckPolicyLib (the optee-stmm default) the engine is not ready. */
	assert_int_equal(lock_var(f, "L"), EFI_NOT_READY);
	/* With it (the strict profile) LOCK_VARIABLE is a lock-now policy. */
	fx_close(f);
	f->cfg.policy_engine = true;
	fx_open(f);
	assert_int_equal(set_var(f, &guid_v, "L", NV_BS_RT, "x", 1), EFI_SUCCESS);
	assert_int_equal(lock_var(f, "L"), EFI_SUCCESS);
	assert_int_equal(lock_var(f, "Absent"), EFI_SUCCESS);
	assert_int_equal(lock_var(f, ""), EFI_INVALID_PARAMETER);
	/* Still writable before EndOfDxe. */
	assert_int_equal(set_var(f, &guid_v, "L", NV_BS_RT, "y", 1), EFI_SUCCESS);
	/* A lock is not a property. */
	size_t n = prop_req(f->buf, SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET, &guid_v,
			    "L", 0, 0, 0, 0, 0);
	assert_int_equal(call(f, n), EFI_NOT_FOUND);
	assert_int_equal(event(f, SMM_VARIABLE_FUNCTION_READY_TO_BOOT), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "L", NV_BS_RT, "z", 1), EFI_WRITE_PROTECTED);
	assert_int_equal(set_var(f, &guid_v, "L", NV_BS_RT, NULL, 0), EFI_WRITE_PROTECTED);
	assert_int_equal(set_var(f, &guid_v, "Absent", NV_BS_RT, "a", 1), EFI_WRITE_PROTECTED);
	assert_int_equal(get_var(f, &guid_v, "L", 8), EFI_SUCCESS);
	assert_memory_equal(REPLY_DATA(f->buf, "L"), "y", 1);
	assert_int_equal(lock_var(f, "M"), EFI_ACCESS_DENIED);
	/* A reset forgets locks (RAM only). */
	fx_close(f);
	fx_open(f);
	assert_int_equal(event(f, SMM_VARIABLE_FUNCTION_READY_TO_BOOT), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_v, "L", NV_BS_RT, "z", 1), EFI_SUCCESS);
}

static void mm_end_of_dxe_event(void **state)
{
	struct fx *f = *state;
	const efi_guid_t eod = EFI_END_OF_DXE_EVENT_GROUP_GUID;
	uint8_t b[24 + 8];

	memset(b, 0x5a, sizeof(b));
	memcpy(b, eod.b, 16);
	put_le64(b + 16, 8);
	uint8_t copy[sizeof(b)];
	memcpy(copy, b, sizeof(b));
	assert_int_equal(varsvc_communicate(f->svc, b, sizeof(b)), ARM_SPM_MM_RET_SUCCESS);
	assert_memory_equal(b, copy, sizeof(b));
	assert_int_equal(prop_set(f, "P", 1, 0, 0, 0, 0), EFI_ACCESS_DENIED);
	assert_int_equal(lock_var(f, "P"), EFI_ACCESS_DENIED);
	/* READY_TO_BOOT still works (and reclaims if needed). */
	assert_int_equal(event(f, SMM_VARIABLE_FUNCTION_READY_TO_BOOT), EFI_SUCCESS);
}

/* ---- HwErr storage ---------------------------------------------------------------------- */

static void hwerr_records_with_storage(void **state)
{
	struct fx *f = *state;
	uint64_t max, rem, maxv;
	g_autofree uint8_t *d = g_malloc0(2000);
	const efi_guid_t hwg = EFI_GUID_INIT(0x414e6bdd, 0xe47b, 0x47cc, 0xb2, 0x44, 0xbb, 0x61,
					     0x02, 0x0c, 0xf5, 0x16);

	fx_close(f);
	f->cfg.hwerr_storage_size = 0x1000;
	f->cfg.max_hwerr_variable_size = 0x800;
	fx_open(f);
	assert_int_equal(set_var(f, &hwg, "HwErrRec0000", HR | BS_RT, "x", 1),
			 EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &hwg, "HwErrRec0000", HR | NV_BS, "x", 1),
			 EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &hwg, "HwErrRec0000", HR | NV_BS_RT, d, 0x800 - 60 - 26 + 1),
			 EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &hwg, "HwErrRec0000", HR | NV_BS_RT, d, 0x800 - 60 - 26),
			 EFI_SUCCESS);
	assert_int_equal(set_var(f, &hwg, "HwErrRec0001", HR | NV_BS_RT, d, 1500), EFI_SUCCESS);
	/* 2048 + 1588 used of 4096: another 1500 does not fit the quota. */
	assert_int_equal(set_var(f, &hwg, "HwErrRec0002", HR | NV_BS_RT, d, 1500),
			 EFI_OUT_OF_RESOURCES);
	assert_int_equal(query(f, HR | NV_BS_RT, &max, &rem, &maxv), EFI_SUCCESS);
	assert_int_equal(max, 0x1000);
	assert_int_equal(rem, 0x1000 - 2048 - 1588);
	assert_int_equal(maxv, rem - 60);
	assert_int_equal(query(f, NV_BS_RT, &max, &rem, &maxv), EFI_SUCCESS);
	assert_int_equal(max, 16284 - 0x1000);
	assert_int_equal(rem, 16284 - 0x1000);
	assert_int_equal(query(f, HR | BS_RT, &max, &rem, &maxv), EFI_INVALID_PARAMETER);
	/* Delete. */
	assert_int_equal(set_var(f, &hwg, "HwErrRec0000", HR | NV_BS_RT, NULL, 0), EFI_SUCCESS);
	assert_int_equal(get_var(f, &hwg, "HwErrRec0000", 8), EFI_NOT_FOUND);
	/* GET_PAYLOAD_SIZE keeps counting the largest of the maxima. */
	size_t n = hdr(f->buf, SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE, 8);
	assert_int_equal(call(f, n), EFI_SUCCESS);
	assert_int_equal(get_le64(f->buf + O_P), 10228);
}

/* ---- QueryVariableInfo accounting (SCT QueryVariableInfo_Func) ------------------------------ */

static void query_storage_stable_remaining_moves(void **state)
{
	struct fx *f = *state;
	const uint32_t classes[] = { NV_BS, BS_RT, NV_BS_RT, BS };
	uint8_t d[20] = { 0 };

	for (size_t i = 0; i < G_N_ELEMENTS(classes); i++) {
		uint64_t max1, rem1, mv1, max2, rem2, mv2, max3, rem3, mv3, omax, orem, omv;
		const uint32_t other = (classes[i] & 1) ? BS_RT : NV_BS_RT;

		assert_int_equal(query(f, classes[i], &max1, &rem1, &mv1), EFI_SUCCESS);
		assert_int_equal(query(f, other, &omax, &orem, &omv), EFI_SUCCESS);
		assert_int_equal(set_var(f, &guid_v, "TestVariable", classes[i], d, 20), EFI_SUCCESS);
		assert_int_equal(query(f, classes[i], &max2, &rem2, &mv2), EFI_SUCCESS);
		assert_int_equal(max2, max1);
		assert_int_equal(rem2, rem1 - 108); /* 60 + 26 + 20 -> 108 */
		/* The other store is not affected. */
		uint64_t omax2, orem2;
		assert_int_equal(query(f, other, &omax2, &orem2, &omv), EFI_SUCCESS);
		assert_int_equal(orem2, orem);
		assert_int_equal(set_var(f, &guid_v, "TestVariable", classes[i], NULL, 0),
				 EFI_SUCCESS);
		assert_int_equal(query(f, classes[i], &max3, &rem3, &mv3), EFI_SUCCESS);
		assert_int_equal(max3, max1);
		assert_int_equal(rem3, rem1);
	}
}

/* ---- malformed buffers ------------------------------------------------------------------- */

static const uint64_t odd_sizes[] = { 0, 1, 2, 3, 7, 35, 36, 37, 47, 48, 0x7fffffffffffffffULL,
				      0x8000000000000000ULL, UINT64_MAX, UINT64_MAX - 1,
				      UINT64_MAX - 35, UINT64_MAX - 47, 10228, 10229, 20000 };

/*
 * Every function id with every combination of odd sizes in the DataSize / NameSize words
 * and payload lengths below, at and above each fixed part: the call answers, touches no
 * memory beyond the buffer (ASan), and the store stays equal to a reopen.  Checks per
 * function are asserted by test_stmm_varsvc.c; here only the families of answers.
 */
static void malformed_buffers_never_crash(void **state)
{
	struct fx *f = *state;
	const size_t psizes[] = { 0, 1, 8, 23, 24, 25, 31, 32, 35, 36, 37, 38, 47, 48, 49, 50, 64,
				  300, 10228 };
	const uint64_t fns[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0, UINT64_MAX };
	unsigned calls = 0;

	assert_int_equal(set_var(f, &guid_v, "Keep", NV_BS_RT, "k", 1), EFI_SUCCESS);
	for (size_t fi = 0; fi < G_N_ELEMENTS(fns); fi++) {
		if (fns[fi] == 5 || fns[fi] == 6)
			continue; /* phases: covered above, they would end boot time */
		for (size_t pi = 0; pi < G_N_ELEMENTS(psizes); pi++) {
			for (size_t a = 0; a < G_N_ELEMENTS(odd_sizes); a++) {
				for (size_t b = 0; b < G_N_ELEMENTS(odd_sizes); b += 3) {
					size_t ps = psizes[pi], n = hdr(f->buf, fns[fi], ps);
					uint64_t st;

					/* Name "K" at every name offset, so NUL checks pass sometimes. */
					if (ps >= 26)
						f->buf[O_P + 24] = 'K';
					if (ps >= 38)
						f->buf[O_P + 36] = 'K';
					if (ps >= 16 + 8)
						put_le64(f->buf + O_P + 16, odd_sizes[a]);
					if (ps >= 24 + 8)
						put_le64(f->buf + O_P + 24, odd_sizes[b]);
					if (ps >= 36)
						put_le32(f->buf + O_P + 32, (uint32_t)(a * 7 + b));
					assert_int_equal(varsvc_communicate(f->svc, f->buf, n),
							 ARM_SPM_MM_RET_SUCCESS);
					st = status(f->buf);
					/* Dropped (sentinel) or a defined EFI status. */
					assert_true(st == SENTINEL || st == EFI_SUCCESS ||
						    (st & EFI_ERROR_BIT));
					calls++;
				}
			}
		}
	}
	/* Every combination ran: 14 function ids x 19 payload sizes x 19 x 7 size words. */
	assert_int_equal(calls, (G_N_ELEMENTS(fns) - 2) * G_N_ELEMENTS(psizes) *
					G_N_ELEMENTS(odd_sizes) * ((G_N_ELEMENTS(odd_sizes) + 2) / 3));
	/* MessageLength not matching the buffer: denied at the MM level. */
	size_t n = hdr(f->buf, SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE, 8);
	for (uint64_t ml = 16 + 8 + 1; ml < 16 + 8 + 300; ml += 37) {
		put_le64(f->buf + O_MSGLEN, ml);
		assert_int_equal(varsvc_communicate(f->svc, f->buf, n), ARM_SPM_MM_RET_DENIED);
	}
	assert_int_equal(get_var(f, &guid_v, "Keep", 8), EFI_SUCCESS);
	assert_store_matches_flash(f);
}

/* Valid requests of each function, randomly mutated (fixed seed, bounded). */
static void mutated_buffers_keep_store_consistent(void **state)
{
	struct fx *f = *state;
	GRand *rnd = g_rand_new_with_seed(0x53544d4du);
	g_autofree uint8_t *d = g_malloc0(600);
	unsigned succeeded = 0;

	for (int iter = 0; iter < 20000; iter++) {
		size_t n;
		char name[16];

		snprintf(name, sizeof(name), "M%u", g_rand_int_range(rnd, 0, 12));
		switch (g_rand_int_range(rnd, 0, 6)) {
		case 0:
		case 1:
			n = access_req(f->buf, SMM_VARIABLE_FUNCTION_SET_VARIABLE, &guid_v, name,
				       g_rand_boolean(rnd) ? NV_BS_RT : BS_RT, d,
				       g_rand_int_range(rnd, 0, 600));
			break;
		case 2:
			n = access_req(f->buf, SMM_VARIABLE_FUNCTION_GET_VARIABLE, &guid_v, name, 0,
				       NULL, g_rand_int_range(rnd, 0, 700));
			break;
		case 3:
			n = hdr(f->buf, SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME, 24 + 64);
			memcpy(f->buf + O_P, guid_v.b, 16);
			put_le64(f->buf + O_P + 16, 64);
			put_name(f->buf + O_P + 24, name);
			break;
		case 4:
			n = hdr(f->buf, SMM_VARIABLE_FUNCTION_QUERY_VARIABLE_INFO, 32);
			put_le32(f->buf + O_P + 24, g_rand_int_range(rnd, 0, 0x100));
			break;
		default:
			n = prop_req(f->buf,
				     g_rand_boolean(rnd) ? SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_SET
							 : SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET,
				     &guid_v, name, 1, 0, 0, 0, 1000);
			break;
		}
		/* 1..8 mutations: random bytes, often in the size words. */
		int k = g_rand_int_range(rnd, 1, 9);
		for (int j = 0; j < k; j++) {
			size_t at = g_rand_boolean(rnd) ? 16 + (size_t)g_rand_int_range(rnd, 0, 48)
							: (size_t)g_rand_int_range(rnd, 0, (gint32)n);
			if (at < n && at != O_STATUS)
				f->buf[at] = (uint8_t)g_rand_int(rnd);
		}
		/* Sometimes a truncated or padded buffer. */
		size_t sz = n;
		if (g_rand_int_range(rnd, 0, 8) == 0)
			sz = (size_t)g_rand_int_range(rnd, 0, (gint32)n + 1);
		int32_t ret = varsvc_communicate(f->svc, f->buf, sz);
		assert_true(ret == ARM_SPM_MM_RET_SUCCESS || ret == ARM_SPM_MM_RET_DENIED);
		succeeded += ret == ARM_SPM_MM_RET_SUCCESS && sz >= 40 && status(f->buf) == EFI_SUCCESS;
		if (iter % 2000 == 1999)
			assert_store_matches_flash(f);
	}
	print_message("%u of 20000 mutated requests succeeded\n", succeeded);
	assert_true(succeeded > 100);
	assert_store_matches_flash(f);
	g_rand_free(rnd);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(set_rules_in_edk2_order),
		T(get_next_same_name_two_guids_no_duplicates),
		T(ready_to_boot_then_exit_boot_services),
		T(runtime_hides_boot_service_variables),
		T(runtime_write_rules),
		T(runtime_never_reclaims),
		T(out_of_resources_only_after_reclaim),
		T(ready_to_boot_reclaims_for_os),
		T(property_set_get),
		T(property_enforced_after_end_of_dxe),
		T(lock_variable_is_lock_now_after_end_of_dxe),
		T(mm_end_of_dxe_event),
		T(hwerr_records_with_storage),
		T(query_storage_stable_remaining_moves),
		T(malformed_buffers_never_crash),
		T(mutated_buffers_keep_store_consistent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
