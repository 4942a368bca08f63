/* SPDX-License-Identifier: MIT */
/* Groups get (GetVariable) and getnext (GetNextVariableName). */
#include <inttypes.h>
#include <string.h>

#include "bytes.h"
#include "conform.h"
#include "efi_util.h"
#include "mm.h"

#define TV "TestVariable"

/* ---- get ------------------------------------------------------------------------------ */

static int get_null_name(struct cf *cf)
{
	uint8_t buf[16];
	uint64_t size = sizeof(buf);
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_BS, cf_data10, 10));
	CF_EXPECT_ST(emu_client_get_variable(cf->c, NULL, 0, &cf_vendor1, NULL, &size, buf),
		     EFI_INVALID_PARAMETER);
	return CF_PASS;
}

static int get_null_guid(struct cf *cf)
{
	uint8_t buf[16];
	uint64_t size = sizeof(buf);
	size_t ns;
	const uint8_t *n = cf_name(cf, TV, &ns);
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_BS, cf_data10, 10));
	CF_EXPECT_ST(emu_client_get_variable(cf->c, n, ns, NULL, NULL, &size, buf),
		     EFI_INVALID_PARAMETER);
	return CF_PASS;
}

static int get_null_data_size(struct cf *cf)
{
	uint8_t buf[16];
	size_t ns;
	const uint8_t *n = cf_name(cf, TV, &ns);
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_BS, cf_data10, 10));
	CF_EXPECT_ST(emu_client_get_variable(cf->c, n, ns, &cf_vendor1, NULL, NULL, buf),
		     EFI_INVALID_PARAMETER);
	return CF_PASS;
}

static int get_null_data(struct cf *cf)
{
	uint64_t size = 256;
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_BS, cf_data10, 10));
	CF_EXPECT_ST(cf_get(cf, TV, &cf_vendor1, NULL, &size, NULL), EFI_INVALID_PARAMETER);
	return CF_PASS;
}

static int get_all_null(struct cf *cf)
{
	CF_EXPECT_ST(emu_client_get_variable(cf->c, NULL, 0, NULL, NULL, NULL, NULL),
		     EFI_INVALID_PARAMETER);
	return CF_PASS;
}

static int get_deleted(struct cf *cf)
{
	for (size_t i = 0; i < 4; i++) {
		CF_SETUP(cf_set(cf, TV, &cf_vendor1, cf_attr_sets[i], cf_data10, 10));
		CF_SETUP(cf_del(cf, TV, &cf_vendor1));
		if (cf_check_absent(cf, TV, &cf_vendor1) != CF_PASS)
			return cf_fail(cf, " (attributes 0x%x)", cf_attr_sets[i]);
	}
	return CF_PASS;
}

static int get_similar_names(struct cf *cf)
{
	CF_SETUP(cf_set(cf, TV "A", &cf_vendor1, A_BS, cf_data10, 10));
	CF_SETUP(cf_set(cf, "TestVariabl", &cf_vendor1, A_BS, cf_data10, 10));
	return cf_check_absent(cf, TV, &cf_vendor1);
}

static int get_wrong_guid(struct cf *cf)
{
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_NV | A_BS, cf_data10, 10));
	return cf_check_absent(cf, TV, &cf_vendor2);
}

static int get_size_zero(struct cf *cf)
{
	for (int pass = 0; pass < 2; pass++) {
		uint64_t size = 0;
		uint8_t buf[1];
		if (pass == 0)
			CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_BS, cf_data10, 10));
		CF_EXPECT_ST(cf_get(cf, TV, &cf_vendor1, NULL, &size, buf), EFI_BUFFER_TOO_SMALL);
		CF_EXPECT(size == 10, "DataSize after BUFFER_TOO_SMALL: %" PRIu64 ", want 10", size);
	}
	return CF_PASS;
}

static int get_size_minus_one(struct cf *cf)
{
	uint64_t size = 9;
	uint8_t buf[16];
	memset(buf, 0xee, sizeof(buf));
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_NV | A_BS | A_RT, cf_data10, 10));
	CF_EXPECT_ST(cf_get(cf, TV, &cf_vendor1, NULL, &size, buf), EFI_BUFFER_TOO_SMALL);
	CF_EXPECT(size == 10, "DataSize after BUFFER_TOO_SMALL: %" PRIu64 ", want 10", size);
	CF_EXPECT(buf[0] == 0xee, "data written on BUFFER_TOO_SMALL");
	return CF_PASS;
}

static int get_too_small_attributes(struct cf *cf)
{
	for (size_t i = 0; i < 4; i++) {
		uint64_t size = 0;
		uint32_t attrs = 0;
		CF_SETUP(cf_set(cf, TV, &cf_vendor1, cf_attr_sets[i], cf_data10, 10));
		CF_EXPECT_ST(cf_get(cf, TV, &cf_vendor1, &attrs, &size, NULL), EFI_BUFFER_TOO_SMALL);
		CF_EXPECT(attrs == cf_attr_sets[i] && size == 10,
			  "BUFFER_TOO_SMALL: attributes 0x%x size %" PRIu64 ", want 0x%x and 10", attrs,
			  size, cf_attr_sets[i]);
		CF_SETUP(cf_del(cf, TV, &cf_vendor1));
	}
	return CF_PASS;
}

static int get_func_attrs(struct cf *cf)
{
	for (size_t i = 0; i < 4; i++) {
		CF_SETUP(cf_set(cf, TV, &cf_vendor1, cf_attr_sets[i], cf_data10, 10));
		if (cf_check_var(cf, TV, &cf_vendor1, cf_attr_sets[i], cf_data10, 10) != CF_PASS)
			return CF_FAIL;
		CF_SETUP(cf_del(cf, TV, &cf_vendor1));
	}
	return CF_PASS;
}

static int get_func_no_attrs(struct cf *cf)
{
	uint8_t buf[64];
	for (size_t i = 0; i < 4; i++) {
		uint64_t size = sizeof(buf);
		CF_SETUP(cf_set(cf, TV, &cf_vendor1, cf_attr_sets[i], cf_data10, 10));
		CF_EXPECT_ST(cf_get(cf, TV, &cf_vendor1, NULL, &size, buf), EFI_SUCCESS);
		CF_EXPECT(size == 10 && memcmp(buf, cf_data10, 10) == 0, "data read back differs");
		CF_SETUP(cf_del(cf, TV, &cf_vendor1));
	}
	return CF_PASS;
}

static int get_exact_buffer(struct cf *cf)
{
	static const uint8_t v[3] = { 'a', 'b', 'c' };
	uint8_t buf[8];
	uint64_t size = 3;
	memset(buf, 0xee, sizeof(buf));
	CF_SETUP(cf_set(cf, "efi_st_var0", &cf_guid_own, A_BS, v, 3));
	CF_EXPECT_ST(cf_get(cf, "efi_st_var0", &cf_guid_own, NULL, &size, buf), EFI_SUCCESS);
	CF_EXPECT(size == 3 && memcmp(buf, v, 3) == 0, "data differs");
	CF_EXPECT(buf[3] == 0xee, "GetVariable wrote past the 3-byte buffer");
	return CF_PASS;
}

static int get_empty_data(struct cf *cf)
{
	/* An APPEND of nothing to an existing variable keeps it; a 0-byte read of a 1-byte var. */
	uint64_t size = 1;
	uint8_t b = 0;
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_BS, cf_data10, 1));
	CF_EXPECT_ST(cf_get(cf, TV, &cf_vendor1, NULL, &size, &b), EFI_SUCCESS);
	CF_EXPECT(size == 1 && b == 0, "1-byte variable read back wrong");
	return CF_PASS;
}

static int raw_get_too_small(struct cf *cf)
{
	struct cf_raw r;
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_BS | A_RT, cf_data10, 10));
	cf_raw_init(&r, SMM_VARIABLE_FUNCTION_GET_VARIABLE, SMM_VARIABLE_ACCESS_NAME_OFFSET + 26 + 4);
	cf_raw_access(&r, &cf_vendor1, 4, 26, 0, TV, NULL, 0);
	int rc = cf_raw_send(cf, &r);
	if (rc == CF_PASS)
		rc = cf_raw_expect(cf, &r, EFI_BUFFER_TOO_SMALL);
	if (rc == CF_PASS) {
		const uint8_t *p = cf_raw_answer_payload(&r);
		uint64_t ds = get_le64(p + offsetof(struct smm_variable_access, data_size));
		uint32_t at = get_le32(p + offsetof(struct smm_variable_access, attributes));
		if (ds != 10 || at != (A_BS | A_RT))
			rc = cf_fail(cf, "answer DataSize %" PRIu64 " Attributes 0x%x, want 10 and 0x6",
				     ds, at);
	}
	cf_raw_clear(&r);
	return rc;
}

static int raw_get_data_after_name(struct cf *cf)
{
	struct cf_raw r;
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_NV | A_BS | A_RT, cf_data10, 10));
	cf_raw_init(&r, SMM_VARIABLE_FUNCTION_GET_VARIABLE, SMM_VARIABLE_ACCESS_NAME_OFFSET + 26 + 16);
	cf_raw_access(&r, &cf_vendor1, 16, 26, 0, TV, NULL, 0);
	int rc = cf_raw_send(cf, &r);
	if (rc == CF_PASS)
		rc = cf_raw_expect(cf, &r, EFI_SUCCESS);
	if (rc == CF_PASS) {
		const uint8_t *p = cf_raw_answer_payload(&r);
		uint64_t ds = get_le64(p + offsetof(struct smm_variable_access, data_size));
		uint32_t at = get_le32(p + offsetof(struct smm_variable_access, attributes));
		if (ds != 10 || at != (A_NV | A_BS | A_RT) ||
		    memcmp(p + SMM_VARIABLE_ACCESS_NAME_OFFSET + 26, cf_data10, 10) != 0)
			rc = cf_fail(cf, "answer: DataSize %" PRIu64 ", Attributes 0x%x, or data at "
				     "36 + NameSize wrong", ds, at);
	}
	cf_raw_clear(&r);
	return rc;
}

static int raw_get_empty_name(struct cf *cf)
{
	struct cf_raw r;
	cf_raw_init(&r, SMM_VARIABLE_FUNCTION_GET_VARIABLE, SMM_VARIABLE_ACCESS_NAME_OFFSET + 2 + 8);
	cf_raw_access(&r, &cf_vendor1, 8, 2, 0, "", NULL, 0);
	int rc = cf_raw_send(cf, &r);
	if (rc == CF_PASS)
		rc = cf_raw_expect(cf, &r, EFI_NOT_FOUND);
	cf_raw_clear(&r);
	return rc;
}

static const struct cf_case get_cases[] = {
	{ "get.null-name", CF_LIB, "SCT GetVariable_Conf: VariableName NULL -> EFI_INVALID_PARAMETER", get_null_name, NULL },
	{ "get.null-guid", CF_LIB, "SCT GetVariable_Conf: VendorGuid NULL -> EFI_INVALID_PARAMETER", get_null_guid, NULL },
	{ "get.null-data-size", CF_LIB, "SCT GetVariable_Conf: DataSize NULL on an existing variable -> EFI_INVALID_PARAMETER", get_null_data_size, NULL },
	{ "get.null-data", CF_LIB, "SCT GetVariable_Conf: Data NULL with DataSize 256 on a 10-byte variable -> EFI_INVALID_PARAMETER", get_null_data, NULL },
	{ "get.all-null", CF_LIB, "fwts uefirtvariable test 8: every pointer NULL -> EFI_INVALID_PARAMETER", get_all_null, NULL },
	{ "get.deleted", CF_LIB, "SCT GetVariable_Conf: a variable inserted then deleted (BS, NV|BS, BS|RT, NV|BS|RT) -> EFI_NOT_FOUND", get_deleted, NULL },
	{ "get.similar-names", CF_LIB, "SCT GetVariable_Conf: only TestVariableA and TestVariabl exist -> TestVariable EFI_NOT_FOUND", get_similar_names, NULL },
	{ "get.wrong-guid", CF_LIB, "SCT GetVariable_Conf: existing name, other VendorGuid -> EFI_NOT_FOUND", get_wrong_guid, NULL },
	{ "get.size-zero", CF_LIB, "SCT GetVariable_Conf: DataSize 0 -> EFI_BUFFER_TOO_SMALL and DataSize set to 10 (twice)", get_size_zero, NULL },
	{ "get.size-minus-one", CF_LIB, "SCT GetVariable_Conf: DataSize 9 for 10 bytes -> EFI_BUFFER_TOO_SMALL, DataSize 10, no data written", get_size_minus_one, NULL },
	{ "get.too-small-attributes", CF_LIB, "SCT GetVariable_Conf (edk2-test #260, UEFI 2.8): BUFFER_TOO_SMALL also returns the Attributes", get_too_small_attributes, NULL },
	{ "get.func-attributes", CF_LIB, "SCT GetVariable_Func: read back with Attributes: attributes, size and data as written", get_func_attrs, NULL },
	{ "get.func-no-attributes", CF_LIB, "SCT GetVariable_Func: read back without the Attributes pointer", get_func_no_attrs, NULL },
	{ "get.exact-buffer", CF_LIB, "U-Boot efi_selftest_variables: a 3-byte read of a 3-byte variable writes nothing past the buffer", get_exact_buffer, NULL },
	{ "get.one-byte", CF_LIB, "TS SmmVariableServiceTests getVarSize: a 1-byte variable reads back 1 byte", get_empty_data, NULL },
	{ "get.raw-too-small", CF_RAW, "edk2 VariableServiceGetVariable: BUFFER_TOO_SMALL answers DataSize = needed and the Attributes in the MM payload", raw_get_too_small, NULL },
	{ "get.raw-data-after-name", CF_RAW, "edk2 SmmVariableHandler GET: data copied to Name + NameSize, whole payload copied back", raw_get_data_after_name, NULL },
	{ "get.raw-empty-name", CF_RAW, "edk2 VariableServiceGetVariable: empty name L\"\" -> EFI_NOT_FOUND", raw_get_empty_name, NULL },
};
CF_GROUP(cf_group_get, "get", "GetVariable", 0, get_cases);

/* ---- getnext --------------------------------------------------------------------------- */

static int gn_null_args(struct cf *cf, int which)
{
	uint8_t name[64] = { 0 };
	uint64_t size = sizeof(name);
	efi_guid_t g = { { 0 } };
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_BS, cf_data10, 10));
	CF_EXPECT_ST(emu_client_get_next_variable_name(cf->c, which == 0 ? NULL : &size,
						       which == 1 ? NULL : name,
						       which == 2 ? NULL : &g),
		     EFI_INVALID_PARAMETER);
	return CF_PASS;
}
static int gn_null_size(struct cf *cf) { return gn_null_args(cf, 0); }
static int gn_null_name(struct cf *cf) { return gn_null_args(cf, 1); }
static int gn_null_guid(struct cf *cf) { return gn_null_args(cf, 2); }

static int gn_small_sizes(struct cf *cf, uint64_t in, efi_status_t want)
{
	uint8_t name[64] = { 0 };
	efi_guid_t g = { { 0 } };
	uint64_t size = in;
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_BS, cf_data10, 10));
	CF_EXPECT_ST(emu_client_get_next_variable_name(cf->c, &size, name, &g), want);
	if (want == EFI_BUFFER_TOO_SMALL)
		CF_EXPECT(size > 2 && size % 2 == 0, "NameSize after BUFFER_TOO_SMALL: %" PRIu64, size);
	return CF_PASS;
}
static int gn_size0(struct cf *cf) { return gn_small_sizes(cf, 0, EFI_INVALID_PARAMETER); }
static int gn_size1(struct cf *cf) { return gn_small_sizes(cf, 1, EFI_INVALID_PARAMETER); }
static int gn_size2(struct cf *cf) { return gn_small_sizes(cf, 2, EFI_BUFFER_TOO_SMALL); }

struct seen {
	const uint8_t *name;
	size_t ns;
	const efi_guid_t *g;
	unsigned hits, bad_size, total;
	GHashTable *all;
	unsigned dups;
};

static bool seen_cb(void *ud, const efi_guid_t *g, const uint8_t *name, uint64_t ns)
{
	struct seen *s = ud;
	s->total++;
	if (s->name && efi_guid_equal(g, s->g) && ns == s->ns && memcmp(name, s->name, ns) == 0)
		s->hits++;
	/* The returned size is the name's bytes including its NUL. */
	uint64_t len = 0;
	while (len + 1 < ns && get_le16(name + len) != 0)
		len += 2;
	if (len + 2 != ns || get_le16(name + len) != 0)
		s->bad_size++;
	if (s->all) {
		GBytes *key = NULL;
		g_autofree uint8_t *k = g_malloc(16 + ns);
		memcpy(k, g->b, 16);
		memcpy(k + 16, name, ns);
		key = g_bytes_new_take(g_steal_pointer(&k), 16 + ns);
		if (g_hash_table_contains(s->all, key)) {
			s->dups++;
			g_bytes_unref(key);
		} else {
			g_hash_table_add(s->all, key);
		}
	}
	return true;
}

static int gn_end(struct cf *cf)
{
	struct seen s = { 0 };
	s.g = &cf_vendor1;
	s.name = cf_name(cf, TV, &s.ns);
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_NV | A_BS | A_RT, cf_data10, 10));
	CF_EXPECT_ST(cf_walk(cf, seen_cb, &s, NULL), EFI_NOT_FOUND);
	CF_EXPECT(s.hits == 1, "TestVariable seen %u times in the walk, want 1", s.hits);
	return CF_PASS;
}

static int gn_returned_size(struct cf *cf)
{
	struct seen s = { 0 };
	CF_SETUP(cf_set(cf, "Testvar", &cf_vendor1, A_NV | A_BS | A_RT, cf_data10, 10));
	CF_SETUP(cf_set(cf, "a", &cf_vendor1, A_BS, cf_data10, 10));
	CF_EXPECT_ST(cf_walk(cf, seen_cb, &s, NULL), EFI_NOT_FOUND);
	CF_EXPECT(s.bad_size == 0, "%u names answered with NameSize != StrSize(name)", s.bad_size);
	return CF_PASS;
}

static int gn_unique(struct cf *cf)
{
	struct seen s = { 0 };
	s.all = g_hash_table_new_full(g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref, NULL);
	for (int i = 0; i < 8; i++) {
		char n[32];
		g_snprintf(n, sizeof(n), "Unique%d", i);
		CF_SETUP(cf_set(cf, n, &cf_guid_own, (i & 1) ? A_NV | A_BS : A_BS | A_RT, cf_data10, 10));
	}
	efi_status_t st = cf_walk(cf, seen_cb, &s, NULL);
	unsigned dups = s.dups;
	g_hash_table_destroy(s.all);
	CF_EXPECT_ST(st, EFI_NOT_FOUND);
	CF_EXPECT(dups == 0, "%u (name, GUID) pairs enumerated more than once", dups);
	return CF_PASS;
}

static int gn_two_guids(struct cf *cf)
{
	struct seen a = { 0 }, b = { 0 };
	CF_SETUP(cf_set(cf, TV, &cf_vendor2, A_NV | A_BS, cf_data10, 10));
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_NV | A_BS, cf_data10, 10));
	a.g = &cf_vendor1;
	b.g = &cf_vendor2;
	a.name = b.name = cf_name(cf, TV, &a.ns);
	b.ns = a.ns;
	CF_EXPECT_ST(cf_walk(cf, seen_cb, &a, NULL), EFI_NOT_FOUND);
	CF_EXPECT_ST(cf_walk(cf, seen_cb, &b, NULL), EFI_NOT_FOUND);
	CF_EXPECT(a.hits == 1 && b.hits == 1, "TestVariable listed %u times under VENDOR1 and %u under "
		  "VENDOR2, want 1 and 1", a.hits, b.hits);
	return CF_PASS;
}

/* Walk until TestVariable/VENDOR1 comes back; the state to continue from is in name/g. */
static int walk_to(struct cf *cf, uint8_t *name, size_t cap, efi_guid_t *g)
{
	size_t ns;
	const uint8_t *want = cf_name(cf, TV, &ns);
	memset(name, 0, cap);
	memset(g, 0, sizeof(*g));
	for (int i = 0; i < 10000; i++) {
		uint64_t size = cap;
		efi_status_t s = emu_client_get_next_variable_name(cf->c, &size, name, g);
		if (s != EFI_SUCCESS)
			return cf_fail_status(cf, "walking to TestVariable", s, EFI_SUCCESS);
		if (efi_guid_equal(g, &cf_vendor1) && size == ns && memcmp(name, want, ns) == 0)
			return CF_PASS;
	}
	return cf_fail(cf, "TestVariable never enumerated");
}

static int gn_not_terminated(struct cf *cf)
{
	uint8_t name[64];
	efi_guid_t g;
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_BS, cf_data10, 10));
	if (walk_to(cf, name, sizeof(name), &g) != CF_PASS)
		return CF_FAIL;
	uint64_t size = 8;
	CF_EXPECT_ST(emu_client_get_next_variable_name(cf->c, &size, name, &g), EFI_INVALID_PARAMETER);
	return CF_PASS;
}

static int gn_mutated_name(struct cf *cf)
{
	uint8_t name[64];
	efi_guid_t g;
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_BS, cf_data10, 10));
	if (walk_to(cf, name, sizeof(name), &g) != CF_PASS)
		return CF_FAIL;
	name[16] = 'e'; /* VariableName[8] = L'e' */
	uint64_t size = sizeof(name);
	CF_EXPECT_ST(emu_client_get_next_variable_name(cf->c, &size, name, &g), EFI_INVALID_PARAMETER);
	return CF_PASS;
}

static int gn_swapped_guid(struct cf *cf)
{
	uint8_t name[64];
	efi_guid_t g;
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_BS, cf_data10, 10));
	if (walk_to(cf, name, sizeof(name), &g) != CF_PASS)
		return CF_FAIL;
	g = cf_vendor2;
	uint64_t size = sizeof(name);
	CF_EXPECT_ST(emu_client_get_next_variable_name(cf->c, &size, name, &g), EFI_INVALID_PARAMETER);
	return CF_PASS;
}

static int gn_too_small_retry(struct cf *cf)
{
	uint8_t name[256] = { 0 };
	efi_guid_t g = { { 0 } };
	const char *longname = "ALongerVariableNameForBufferTests";
	uint64_t cur = 2; /* the size of the name in the buffer (L"" to start) */
	bool seen = false;
	size_t lns;
	const uint8_t *ln = cf_name(cf, longname, &lns);

	CF_SETUP(cf_set(cf, longname, &cf_guid_own, A_BS, cf_data10, 10));
	/* Each step offers exactly the room of the current name: a longer next name must come
	 * back as BUFFER_TOO_SMALL with its size, and the retry with that size succeed. */
	for (int i = 0; i < 10000; i++) {
		uint64_t size = cur;
		efi_status_t s = emu_client_get_next_variable_name(cf->c, &size, name, &g);
		if (s == EFI_NOT_FOUND)
			break;
		if (s == EFI_BUFFER_TOO_SMALL) {
			CF_EXPECT(size > cur && size <= sizeof(name), "needed size %" PRIu64 " for a "
				  "%" PRIu64 "-byte buffer", size, cur);
			uint64_t again = size;
			CF_EXPECT_ST(emu_client_get_next_variable_name(cf->c, &again, name, &g),
				     EFI_SUCCESS);
			CF_EXPECT(again == size, "retry answered %" PRIu64 " bytes, TOO_SMALL said %" PRIu64,
				  again, size);
			size = again;
		} else if (s != EFI_SUCCESS) {
			return cf_fail_status(cf, "walk with just-fitting buffers", s, EFI_SUCCESS);
		}
		cur = size;
		if (efi_guid_equal(&g, &cf_guid_own) && size == lns && memcmp(name, ln, lns) == 0)
			seen = true;
	}
	CF_EXPECT(seen, "the long name was never enumerated");
	return CF_PASS;
}

static int gn_unknown_start(struct cf *cf)
{
	uint8_t name[64] = { 0 };
	size_t ns;
	const uint8_t *n = cf_name(cf, "NoSuchVariableHere", &ns);
	memcpy(name, n, ns);
	efi_guid_t g = cf_guid_own;
	uint64_t size = sizeof(name);
	CF_EXPECT_ST(emu_client_get_next_variable_name(cf->c, &size, name, &g), EFI_INVALID_PARAMETER);
	return CF_PASS;
}

static int gn_raw_not_terminated(struct cf *cf)
{
	struct cf_raw r;
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_BS, cf_data10, 10));
	cf_raw_init(&r, SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME, SMM_VARIABLE_GET_NEXT_NAME_OFFSET + 64);
	cf_raw_get_next(&r, &cf_vendor1, 8, TV);
	int rc = cf_raw_send(cf, &r);
	if (rc == CF_PASS)
		rc = cf_raw_expect(cf, &r, EFI_INVALID_PARAMETER);
	cf_raw_clear(&r);
	return rc;
}

static int gn_raw_too_small(struct cf *cf)
{
	struct cf_raw r;
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_BS, cf_data10, 10));
	cf_raw_init(&r, SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME, SMM_VARIABLE_GET_NEXT_NAME_OFFSET + 64);
	cf_raw_get_next(&r, &cf_vendor1, 2, "");
	int rc = cf_raw_send(cf, &r);
	if (rc == CF_PASS)
		rc = cf_raw_expect(cf, &r, EFI_BUFFER_TOO_SMALL);
	if (rc == CF_PASS) {
		uint64_t need = get_le64(cf_raw_answer_payload(&r) +
					 offsetof(struct smm_variable_get_next_name, name_size));
		if (need <= 2 || need % 2)
			rc = cf_fail(cf, "NameSize answered %" PRIu64 ", want the first name's size", need);
	}
	cf_raw_clear(&r);
	return rc;
}

static const struct cf_case getnext_cases[] = {
	{ "getnext.null-size", CF_LIB, "SCT GetNextVariableName_Conf / fwts test 2: VariableNameSize NULL -> EFI_INVALID_PARAMETER", gn_null_size, NULL },
	{ "getnext.null-name", CF_LIB, "SCT GetNextVariableName_Conf / fwts test 2: VariableName NULL -> EFI_INVALID_PARAMETER", gn_null_name, NULL },
	{ "getnext.null-guid", CF_LIB, "SCT GetNextVariableName_Conf / fwts test 2: VendorGuid NULL -> EFI_INVALID_PARAMETER", gn_null_guid, NULL },
	{ "getnext.size0", CF_LIB, "fwts test 2 / edk2 Variable.c: VariableNameSize 0 with L\"\" -> EFI_INVALID_PARAMETER (no NUL within the size)", gn_size0, NULL },
	{ "getnext.size1", CF_LIB, "fwts test 2 / U-Boot efi_selftest: VariableNameSize 1 with L\"\" -> EFI_INVALID_PARAMETER", gn_size1, NULL },
	{ "getnext.size2", CF_LIB, "SCT GetNextVariableName_Conf / fwts: VariableNameSize 2 with L\"\" -> EFI_BUFFER_TOO_SMALL, size updated", gn_size2, NULL },
	{ "getnext.end", CF_LIB, "SCT GetNextVariableName_Conf: after the whole list EFI_NOT_FOUND, TestVariable seen once", gn_end, NULL },
	{ "getnext.returned-size", CF_LIB, "fwts test 2: returned VariableNameSize equals the name's bytes incl. its NUL", gn_returned_size, NULL },
	{ "getnext.unique", CF_LIB, "fwts test 2: every (name, GUID) enumerated once", gn_unique, NULL },
	{ "getnext.two-guids", CF_LIB, "SCT SetVariable_Func Sub1 / checklist §5.2: the same name under two GUIDs is listed twice", gn_two_guids, NULL },
	{ "getnext.not-terminated", CF_LIB, "SCT GetNextVariableName_Conf (ff6aba0b): VariableNameSize 8 for TestVariable -> EFI_INVALID_PARAMETER", gn_not_terminated, NULL },
	{ "getnext.mutated-name", CF_LIB, "SCT GetNextVariableName_Conf (ff6aba0b): VariableName[8]='e' (no such variable) -> EFI_INVALID_PARAMETER", gn_mutated_name, NULL },
	{ "getnext.swapped-guid", CF_LIB, "SCT GetNextVariableName_Conf (ff6aba0b): GUID swapped to VENDOR2 -> EFI_INVALID_PARAMETER", gn_swapped_guid, NULL },
	{ "getnext.unknown-start", CF_LIB, "edk2 VariableServiceGetNextVariableName: a name/GUID that is no variable -> EFI_INVALID_PARAMETER", gn_unknown_start, NULL },
	{ "getnext.too-small-retry", CF_LIB, "edk2 Variable.c / §5.2: BUFFER_TOO_SMALL gives the needed size and the retry with it succeeds", gn_too_small_retry, NULL },
	{ "getnext.raw-not-terminated", CF_RAW, "edk2 VariableServiceGetNextVariableName: NUL not within NameSize (8) -> EFI_INVALID_PARAMETER", gn_raw_not_terminated, NULL },
	{ "getnext.raw-too-small", CF_RAW, "edk2 VariableServiceGetNextVariableName: NameSize 2 -> EFI_BUFFER_TOO_SMALL with the needed NameSize in the payload", gn_raw_too_small, NULL },
};
CF_GROUP(cf_group_getnext, "getnext", "GetNextVariableName", 0, getnext_cases);
