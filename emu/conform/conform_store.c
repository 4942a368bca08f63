/* SPDX-License-Identifier: MIT */
/* Destructive group store-full (a full store, reclaim) and group stress (repetition). */
#include <inttypes.h>
#include <string.h>

#include "conform.h"
#include "efi_util.h"
#include "mm.h"

#define RTB SMM_VARIABLE_FUNCTION_READY_TO_BOOT
#define EBS SMM_VARIABLE_FUNCTION_EXIT_BOOT_SERVICE

/* Create Fill<i> (attrs, `size` bytes of i) until the store refuses; the count and the status. */
static int fill(struct cf *cf, const char *prefix, uint32_t attrs, size_t size, int limit,
		int *ret_count, efi_status_t *ret_status)
{
	g_autofree uint8_t *d = g_malloc(size);
	int i;
	efi_status_t s = EFI_SUCCESS;
	for (i = 0; i < limit; i++) {
		char n[32];
		g_snprintf(n, sizeof(n), "%s%d", prefix, i);
		memset(d, i & 0xff, size);
		s = cf_set(cf, n, &cf_guid_own, attrs, d, size);
		if (s != EFI_SUCCESS)
			break;
	}
	*ret_count = i;
	*ret_status = s;
	return CF_PASS;
}

static int check_filled(struct cf *cf, const char *prefix, uint32_t attrs, size_t size, int from,
			int to, int skip_mod)
{
	g_autofree uint8_t *d = g_malloc(size);
	for (int i = from; i < to; i++) {
		char n[32];
		if (skip_mod && i % skip_mod == 0)
			continue;
		g_snprintf(n, sizeof(n), "%s%d", prefix, i);
		memset(d, i & 0xff, size);
		if (cf_check_var(cf, n, &cf_guid_own, attrs, d, size) != CF_PASS)
			return CF_FAIL;
	}
	return CF_PASS;
}

static int sf_overflow(struct cf *cf)
{
	uint64_t r0, r1, r2;
	int n;
	efi_status_t s;
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_SETUP(cf_query(cf, A_NV | A_BS, NULL, &r0, NULL));
	fill(cf, "TestVariable_", A_NV | A_BS, 10, 10000, &n, &s);
	CF_EXPECT(s == EFI_OUT_OF_RESOURCES, "filling stopped after %d variables with %s, want "
		  "EFI_OUT_OF_RESOURCES", n, efi_status_name(s) ? efi_status_name(s) : "?");
	CF_EXPECT(n > 50, "only %d 10-byte variables fit", n);
	CF_SETUP(cf_query(cf, A_NV | A_BS, NULL, &r1, NULL));
	CF_EXPECT(r1 < CF_RECORD_SIZE(34, 10), "remaining %" PRIu64 " after the store refused a record "
		  "that needs at most %u", r1, CF_RECORD_SIZE(34, 10));
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	if (check_filled(cf, "TestVariable_", A_NV | A_BS, 10, 0, n, 0) != CF_PASS)
		return cf_fail(cf, " (after the reset)");
	for (int i = 0; i < n; i++) {
		char nm[32];
		g_snprintf(nm, sizeof(nm), "TestVariable_%d", i);
		CF_EXPECT_ST(cf_del(cf, nm, &cf_guid_own), EFI_SUCCESS);
	}
	CF_SETUP(cf_query(cf, A_NV | A_BS, NULL, &r2, NULL));
	CF_EXPECT(r2 == r0, "remaining %" PRIu64 " after deleting everything, %" PRIu64 " before", r2, r0);
	/* And the space is usable again: reclaim at boot time. */
	g_autofree uint8_t *big = g_malloc0(6000);
	CF_EXPECT_ST(cf_set(cf, "AfterOverflow", &cf_guid_own, A_NV | A_BS, big, 6000), EFI_SUCCESS);
	CF_EXPECT_ST(cf_set(cf, "AfterOverflow2", &cf_guid_own, A_NV | A_BS, big, 6000), EFI_SUCCESS);
	return CF_PASS;
}

static int sf_reclaim(struct cf *cf)
{
	int n;
	efi_status_t s;
	uint64_t max, rem;
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	fill(cf, "Big", A_NV | A_BS | A_RT, 1000, 100, &n, &s);
	CF_EXPECT(s == EFI_OUT_OF_RESOURCES, "filling with 1000-byte variables ended with %s",
		  efi_status_name(s) ? efi_status_name(s) : "?");
	for (int i = 0; i < n; i += 2) {
		char nm[32];
		g_snprintf(nm, sizeof(nm), "Big%d", i);
		CF_SETUP(cf_del(cf, nm, &cf_guid_own));
	}
	g_autofree uint8_t *d = g_malloc(2500);
	memset(d, 0xab, 2500);
	CF_EXPECT_ST(cf_set(cf, "AfterReclaim", &cf_guid_own, A_NV | A_BS | A_RT, d, 2500), EFI_SUCCESS);
	if (cf_check_var(cf, "AfterReclaim", &cf_guid_own, A_NV | A_BS | A_RT, d, 2500) != CF_PASS)
		return CF_FAIL;
	if (check_filled(cf, "Big", A_NV | A_BS | A_RT, 1000, 0, n, 2) != CF_PASS)
		return cf_fail(cf, " (a variable lost by the reclaim)");
	CF_SETUP(cf_query(cf, A_NV | A_BS | A_RT, &max, &rem, NULL));
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	if (check_filled(cf, "Big", A_NV | A_BS | A_RT, 1000, 0, n, 2) != CF_PASS ||
	    cf_check_var(cf, "AfterReclaim", &cf_guid_own, A_NV | A_BS | A_RT, d, 2500) != CF_PASS)
		return cf_fail(cf, " (after a reset following the reclaim)");
	return CF_PASS;
}

static int sf_update_full(struct cf *cf)
{
	int n;
	efi_status_t s;
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	fill(cf, "Upd", A_NV | A_BS, 500, 100, &n, &s);
	CF_EXPECT(s == EFI_OUT_OF_RESOURCES && n > 2, "filling ended with %s after %d",
		  efi_status_name(s) ? efi_status_name(s) : "?", n);
	g_autofree uint8_t *d = g_malloc(500);
	memset(d, 0xcd, 500);
	CF_EXPECT_ST(cf_set(cf, "Upd1", &cf_guid_own, A_NV | A_BS, d, 500), EFI_SUCCESS);
	if (cf_check_var(cf, "Upd1", &cf_guid_own, A_NV | A_BS, d, 500) != CF_PASS)
		return CF_FAIL;
	if (check_filled(cf, "Upd", A_NV | A_BS, 500, 2, n, 0) != CF_PASS ||
	    check_filled(cf, "Upd", A_NV | A_BS, 500, 0, 1, 0) != CF_PASS)
		return CF_FAIL;
	return CF_PASS;
}

static int sf_runtime_no_reclaim(struct cf *cf)
{
	int n;
	efi_status_t s;
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	fill(cf, "Rt", A_NV | A_BS | A_RT, 500, 100, &n, &s);
	CF_EXPECT(s == EFI_OUT_OF_RESOURCES && n > 2, "filling ended with %s after %d",
		  efi_status_name(s) ? efi_status_name(s) : "?", n);
	CF_EXPECT_ST(cf_event(cf, RTB), EFI_SUCCESS);
	CF_EXPECT_ST(cf_event(cf, EBS), EFI_SUCCESS);
	CF_SETUP(cf_del(cf, "Rt0", &cf_guid_own));
	g_autofree uint8_t *d = g_malloc0(500);
	CF_EXPECT_ST(cf_set(cf, "RtNewOne", &cf_guid_own, A_NV | A_BS | A_RT, d, 500), EFI_OUT_OF_RESOURCES);
	if (cf_check_absent(cf, "RtNewOne", &cf_guid_own) != CF_PASS)
		return CF_FAIL;
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_set(cf, "RtNewOne", &cf_guid_own, A_NV | A_BS | A_RT, d, 500), EFI_SUCCESS);
	return CF_PASS;
}

static int sf_rtb_reclaims(struct cf *cf)
{
	uint64_t r_boot, r_rt;
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	g_autofree uint8_t *d = g_malloc0(7000);
	CF_SETUP(cf_set(cf, "Garbage", &cf_guid_own, A_NV | A_BS | A_RT, d, 7000));
	CF_SETUP(cf_del(cf, "Garbage", &cf_guid_own));
	CF_SETUP(cf_query(cf, A_NV | A_BS | A_RT, NULL, &r_boot, NULL));
	CF_EXPECT_ST(cf_event(cf, RTB), EFI_SUCCESS);
	CF_EXPECT_ST(cf_event(cf, EBS), EFI_SUCCESS);
	CF_SETUP(cf_query(cf, A_NV | A_BS | A_RT, NULL, &r_rt, NULL));
	CF_EXPECT(r_rt == r_boot, "runtime remaining %" PRIu64 ", boot-time %" PRIu64 ": READY_TO_BOOT "
		  "did not reclaim although less than PcdMaxAuthVariableSize was free", r_rt, r_boot);
	return CF_PASS;
}

static int sf_volatile(struct cf *cf)
{
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	g_autofree uint8_t *d = g_malloc0(7000);
	CF_SETUP(cf_set(cf, "Vol1", &cf_guid_own, A_BS | A_RT, d, 7000));
	CF_SETUP(cf_set(cf, "Vol2", &cf_guid_own, A_BS | A_RT, d, 7000));
	CF_EXPECT_ST(cf_set(cf, "Vol3", &cf_guid_own, A_BS | A_RT, d, 7000), EFI_OUT_OF_RESOURCES);
	CF_SETUP(cf_del(cf, "Vol1", &cf_guid_own));
	CF_EXPECT_ST(cf_set(cf, "Vol3", &cf_guid_own, A_BS | A_RT, d, 7000), EFI_SUCCESS);
	return cf_check_var(cf, "Vol2", &cf_guid_own, A_BS | A_RT, d, 7000);
}

static const struct cf_case sf_cases[] = {
	{ "store-full.overflow", CF_LIB, "SCT Overflow_Stress: TestVariable_N (NV|BS, 10 bytes) until the store is full -> EFI_OUT_OF_RESOURCES; all kept over a reset, all deletable, space reusable", sf_overflow, NULL },
	{ "store-full.reclaim", CF_LIB, "edk2 Reclaim at boot time: a write that fits only after compaction succeeds and no variable is lost (also after a reset)", sf_reclaim, NULL },
	{ "store-full.update-in-full-store", CF_LIB, "edk2 Reclaim(UpdatingVariable): in a full store an update of the same size succeeds (old copy dropped)", sf_update_full, NULL },
	{ "store-full.runtime-no-reclaim", CF_LIB, "edk2 UpdateVariable at runtime: no reclaim -> EFI_OUT_OF_RESOURCES; after a reset the write fits", sf_runtime_no_reclaim, NULL },
	{ "store-full.ready-to-boot-reclaims", CF_LIB, "edk2 ReclaimForOS: READY_TO_BOOT reclaims when less than the max variable size is free", sf_rtb_reclaims, NULL },
	{ "store-full.volatile", CF_LIB, "edk2 volatile store (PcdVariableStoreSize 0x4000): full -> EFI_OUT_OF_RESOURCES, reclaimed after a delete", sf_volatile, NULL },
};
CF_GROUP(cf_group_store_full, "store-full", "a full store and reclaim", CF_GROUP_DESTRUCTIVE, sf_cases);

/* ---- stress ------------------------------------------------------------------------------- */

static int st_get(struct cf *cf, int times)
{
	CF_SETUP(cf_set(cf, "TestVariable", &cf_vendor1, A_BS | A_RT, cf_data10, 10));
	for (int i = 0; i < times; i++)
		if (cf_check_var(cf, "TestVariable", &cf_vendor1, A_BS | A_RT, cf_data10, 10) != CF_PASS)
			return cf_fail(cf, " (iteration %d)", i);
	return CF_PASS;
}
static int st_sct_get(struct cf *cf) { return st_get(cf, 50); }
static int st_fwts_get(struct cf *cf) { return st_get(cf, 1024); }

static int st_getnext(struct cf *cf, int times)
{
	unsigned first = 0;
	CF_SETUP(cf_set(cf, "TestVariable", &cf_vendor1, A_BS | A_RT, cf_data10, 10));
	for (int i = 0; i < times; i++) {
		unsigned count;
		CF_EXPECT_ST(cf_walk(cf, NULL, NULL, &count), EFI_NOT_FOUND);
		if (i == 0)
			first = count;
		CF_EXPECT(count == first, "walk %d listed %u variables, the first %u", i, count, first);
	}
	return CF_PASS;
}
static int st_sct_getnext(struct cf *cf) { return st_getnext(cf, 50); }

static int st_fwts_getnext(struct cf *cf)
{
	uint8_t name[512] = { 0 };
	efi_guid_t g = { { 0 } };
	CF_SETUP(cf_set(cf, "TestVariable", &cf_vendor1, A_BS | A_RT, cf_data10, 10));
	for (int i = 0; i < 1024; i++) {
		uint64_t size = sizeof(name);
		efi_status_t s = emu_client_get_next_variable_name(cf->c, &size, name, &g);
		if (s == EFI_NOT_FOUND) {
			memset(name, 0, sizeof(name));
			continue;
		}
		if (s != EFI_SUCCESS)
			return cf_fail_status(cf, "GetNextVariableName", s, EFI_SUCCESS);
	}
	return CF_PASS;
}

static int st_set_same(struct cf *cf, int times)
{
	uint32_t c0, c1;
	CF_SETUP(cf_set(cf, "TestVariable", &cf_vendor1, A_NV | A_BS | A_RT, cf_data10, 10));
	if (cf_rpmb_counter(cf, &c0) < 0)
		return cf_fail(cf, "RPMB counter not available");
	for (int i = 0; i < times; i++)
		CF_EXPECT_ST(cf_set(cf, "TestVariable", &cf_vendor1, A_NV | A_BS | A_RT, cf_data10, 10),
			     EFI_SUCCESS);
	if (cf_rpmb_counter(cf, &c1) < 0)
		return cf_fail(cf, "RPMB counter not available");
	CF_EXPECT(c0 == c1, "%d identical writes made %u RPMB writes", times, c1 - c0);
	return cf_check_var(cf, "TestVariable", &cf_vendor1, A_NV | A_BS | A_RT, cf_data10, 10);
}
static int st_sct_set_same(struct cf *cf) { return st_set_same(cf, 50); }

static int st_set_diff(struct cf *cf, int times, uint32_t attrs)
{
	uint8_t d[10];
	for (int i = 0; i < times; i++) {
		memset(d, i, sizeof(d));
		CF_EXPECT_ST(cf_set(cf, "TestVariable", &cf_vendor1, attrs, d, 10), EFI_SUCCESS);
		if (cf_check_var(cf, "TestVariable", &cf_vendor1, attrs, d, 10) != CF_PASS)
			return cf_fail(cf, " (iteration %d)", i);
	}
	return CF_PASS;
}
static int st_sct_set_diff(struct cf *cf) { return st_set_diff(cf, 50, A_NV | A_BS | A_RT); }
static int st_fwts_set(struct cf *cf)
{
	if (st_set_same(cf, 40) != CF_PASS)
		return CF_FAIL;
	return st_set_diff(cf, 40, A_NV | A_BS | A_RT);
}

static int st_fwts_names(struct cf *cf)
{
	char n[64];
	for (int len = 1; len <= 40; len++) {
		memset(n, 'a', (size_t)len);
		n[len] = '\0';
		CF_EXPECT_ST(cf_set(cf, n, &cf_guid_own, A_NV | A_BS | A_RT, cf_data10, (size_t)(len % 10) + 1),
			     EFI_SUCCESS);
		if (cf_check_var(cf, n, &cf_guid_own, A_NV | A_BS | A_RT, cf_data10, (size_t)(len % 10) + 1) != CF_PASS)
			return CF_FAIL;
		CF_EXPECT_ST(cf_del(cf, n, &cf_guid_own), EFI_SUCCESS);
	}
	return CF_PASS;
}

static int st_fwts_query(struct cf *cf)
{
	uint64_t m0, r0, v0;
	CF_SETUP(cf_query(cf, A_NV | A_BS | A_RT, &m0, &r0, &v0));
	for (int i = 0; i < 1024; i++) {
		uint64_t m, r, v;
		CF_EXPECT_ST(cf_query(cf, A_NV | A_BS | A_RT, &m, &r, &v), EFI_SUCCESS);
		CF_EXPECT(m == m0 && r == r0 && v == v0, "query %d answered differently with nothing written", i);
	}
	return CF_PASS;
}

static const struct cf_case st_cases[] = {
	{ "stress.sct-get", CF_LIB, "SCT Multiple_Stress: GetVariable x50", st_sct_get, NULL },
	{ "stress.sct-getnext", CF_LIB, "SCT Multiple_Stress: GetNextVariableName x50 (whole walks, same count)", st_sct_getnext, NULL },
	{ "stress.sct-set-same", CF_LIB, "SCT Multiple_Stress: SetVariable same data x50 (and no RPMB write)", st_sct_set_same, NULL },
	{ "stress.sct-set-different", CF_LIB, "SCT Multiple_Stress: SetVariable different data x50, each read back", st_sct_set_diff, NULL },
	{ "stress.fwts-get", CF_LIB, "fwts uefirtvariable test 5: GetVariable x1024 (default --uefi-get-var-multiple)", st_fwts_get, NULL },
	{ "stress.fwts-getnext", CF_LIB, "fwts uefirtvariable test 5: GetNextVariableName x1024", st_fwts_getnext, NULL },
	{ "stress.fwts-set", CF_LIB, "fwts uefirtvariable test 6: SetVariable same and different data x40", st_fwts_set, NULL },
	{ "stress.fwts-names", CF_LIB, "fwts uefirtvariable test 6: names 'a' .. 40 x 'a' created, read, deleted", st_fwts_names, NULL },
	{ "stress.fwts-query", CF_LIB, "fwts uefirtvariable test 7: QueryVariableInfo x1024, stable answers", st_fwts_query, NULL },
};
CF_GROUP(cf_group_stress, "stress", "SCT and fwts stress", 0, st_cases);
