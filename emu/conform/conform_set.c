/* SPDX-License-Identifier: MIT */
/* Groups set-attributes, set-size, append, delete (SetVariable). */
#include <inttypes.h>
#include <string.h>

#include "bytes.h"
#include "conform.h"
#include "efi_util.h"
#include "mm.h"

#define TV "TestVariable"

static const uint8_t data20[20] = { 20, 19, 18, 17, 16, 15, 14, 13, 12, 11,
				    10, 9,  8,  7,  6,  5,  4,  3,  2,  1 };

/* Set with `attrs` must answer `want` and leave no variable behind. */
static int set_refused(struct cf *cf, uint32_t attrs, efi_status_t want)
{
	efi_status_t s = cf_set(cf, TV, &cf_vendor1, attrs, cf_data10, 10);
	if (s != want) {
		char label[64];
		g_snprintf(label, sizeof(label), "SetVariable(attributes 0x%x)", attrs);
		return cf_fail_status(cf, label, s, want);
	}
	return cf_check_absent(cf, TV, &cf_vendor1);
}

/* ---- set-attributes ------------------------------------------------------------------ */

static int sa_empty_name(struct cf *cf)
{
	for (size_t i = 0; i < 4; i++)
		CF_EXPECT_ST(cf_set(cf, "", &cf_vendor1, cf_attr_sets[i], cf_data10, 10),
			     EFI_INVALID_PARAMETER);
	return CF_PASS;
}
static int sa_rt_only(struct cf *cf) { return set_refused(cf, A_RT, EFI_INVALID_PARAMETER); }
static int sa_nv_rt(struct cf *cf) { return set_refused(cf, A_NV | A_RT, EFI_INVALID_PARAMETER); }
static int sa_nv_only(struct cf *cf) { return set_refused(cf, A_NV, EFI_INVALID_PARAMETER); }
static int sa_reserved_bit(struct cf *cf) { return set_refused(cf, A_NV | A_BS | A_RT | 0x100, EFI_INVALID_PARAMETER); }
static int sa_high_bit(struct cf *cf) { return set_refused(cf, A_BS | 0x80000000u, EFI_INVALID_PARAMETER); }
static int sa_ea(struct cf *cf) { return set_refused(cf, A_NV | A_BS | A_RT | A_EA, EFI_INVALID_PARAMETER); }
static int sa_ea_at(struct cf *cf) { return set_refused(cf, A_NV | A_BS | A_RT | A_AT | A_EA, EFI_INVALID_PARAMETER); }

static int sa_aw(struct cf *cf)
{
	static const uint32_t combos[] = { A_NV | A_BS | A_RT, A_NV | A_BS, A_BS | A_RT, A_BS,
					   A_NV | A_BS | A_RT | A_AT, A_RT, A_NV };
	for (size_t i = 0; i < G_N_ELEMENTS(combos); i++)
		if (set_refused(cf, combos[i] | A_AW, EFI_UNSUPPORTED) != CF_PASS)
			return CF_FAIL;
	return CF_PASS;
}

static int sa_hr_disabled(struct cf *cf)
{
	efi_status_t s = cf_set(cf, "HwErrRec0001", &cf_vendor1, A_NV | A_BS | A_RT | A_HR, cf_data10, 10);
	if (s != EFI_INVALID_PARAMETER)
		return cf_fail_status(cf, "SetVariable(NV|BS|RT|HR)", s, EFI_INVALID_PARAMETER);
	return cf_check_absent(cf, "HwErrRec0001", &cf_vendor1);
}
static int sa_hr_rt(struct cf *cf) { return set_refused(cf, A_HR | A_RT, EFI_INVALID_PARAMETER); }
static int sa_hr_rt_nv(struct cf *cf) { return set_refused(cf, A_HR | A_RT | A_NV, EFI_INVALID_PARAMETER); }

static int sa_different_attrs(struct cf *cf)
{
	for (size_t i = 0; i < 4; i++)
		for (size_t j = 0; j < 4; j++) {
			if (i == j)
				continue;
			CF_SETUP(cf_set(cf, TV, &cf_vendor1, cf_attr_sets[i], cf_data10, 10));
			efi_status_t s = cf_set(cf, TV, &cf_vendor1, cf_attr_sets[j], data20, 10);
			if (s != EFI_INVALID_PARAMETER)
				return cf_fail_status(cf, "rewrite with other attributes", s,
						      EFI_INVALID_PARAMETER);
			if (cf_check_var(cf, TV, &cf_vendor1, cf_attr_sets[i], cf_data10, 10) != CF_PASS)
				return cf_fail(cf, " (after the refused rewrite 0x%x -> 0x%x)",
					       cf_attr_sets[i], cf_attr_sets[j]);
			CF_SETUP(cf_del(cf, TV, &cf_vendor1));
		}
	return CF_PASS;
}

static int sa_insert_two_guids(struct cf *cf)
{
	for (size_t i = 0; i < 4; i++) {
		CF_SETUP(cf_set(cf, TV, &cf_vendor2, cf_attr_sets[i], data20, 20));
		CF_SETUP(cf_set(cf, TV, &cf_vendor1, cf_attr_sets[i], cf_data10, 10));
		if (cf_check_var(cf, TV, &cf_vendor2, cf_attr_sets[i], data20, 20) != CF_PASS ||
		    cf_check_var(cf, TV, &cf_vendor1, cf_attr_sets[i], cf_data10, 10) != CF_PASS)
			return CF_FAIL;
		CF_SETUP(cf_del(cf, TV, &cf_vendor1));
		CF_SETUP(cf_del(cf, TV, &cf_vendor2));
	}
	return CF_PASS;
}

static int sa_overwrite(struct cf *cf)
{
	for (size_t i = 0; i < 4; i++) {
		uint32_t a = cf_attr_sets[i];
		CF_SETUP(cf_set(cf, TV, &cf_vendor1, a, cf_data10, 10));
		CF_EXPECT_ST(cf_set(cf, TV, &cf_vendor1, a, cf_data10, 10), EFI_SUCCESS);
		if (cf_check_var(cf, TV, &cf_vendor1, a, cf_data10, 10) != CF_PASS)
			return CF_FAIL;
		CF_EXPECT_ST(cf_set(cf, TV, &cf_vendor1, a, data20, 10), EFI_SUCCESS);
		if (cf_check_var(cf, TV, &cf_vendor1, a, data20, 10) != CF_PASS)
			return CF_FAIL;
		CF_EXPECT_ST(cf_set(cf, TV, &cf_vendor1, a, data20, 20), EFI_SUCCESS);
		if (cf_check_var(cf, TV, &cf_vendor1, a, data20, 20) != CF_PASS)
			return CF_FAIL;
		CF_EXPECT_ST(cf_set(cf, TV, &cf_vendor1, a, cf_data10, 3), EFI_SUCCESS);
		if (cf_check_var(cf, TV, &cf_vendor1, a, cf_data10, 3) != CF_PASS)
			return CF_FAIL;
		CF_SETUP(cf_del(cf, TV, &cf_vendor1));
	}
	return CF_PASS;
}

static int sa_similar(struct cf *cf)
{
	static const char *const names[] = { TV "A", "TestVariabl", "Testvar ", "Testva" };
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_NV | A_BS, cf_data10, 10));
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		CF_SETUP(cf_set(cf, names[i], &cf_vendor1, A_BS | A_RT, data20, 1 + i));
	if (cf_check_var(cf, TV, &cf_vendor1, A_NV | A_BS, cf_data10, 10) != CF_PASS)
		return CF_FAIL;
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		if (cf_check_var(cf, names[i], &cf_vendor1, A_BS | A_RT, data20, 1 + i) != CF_PASS)
			return CF_FAIL;
	CF_SETUP(cf_del(cf, TV, &cf_vendor1));
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		if (cf_check_var(cf, names[i], &cf_vendor1, A_BS | A_RT, data20, 1 + i) != CF_PASS)
			return cf_fail(cf, " (after deleting TestVariable)");
	return CF_PASS;
}

static int sa_identical_no_write(struct cf *cf)
{
	uint32_t before, after;
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_NV | A_BS | A_RT, cf_data10, 10));
	if (cf_rpmb_counter(cf, &before) < 0)
		return cf_fail(cf, "RPMB write counter not available (CTRL_STATUS)");
	CF_EXPECT_ST(cf_set(cf, TV, &cf_vendor1, A_NV | A_BS | A_RT, cf_data10, 10), EFI_SUCCESS);
	if (cf_rpmb_counter(cf, &after) < 0)
		return cf_fail(cf, "RPMB write counter not available (CTRL_STATUS)");
	CF_EXPECT(after == before, "an identical rewrite made %u RPMB writes, want 0", after - before);
	return CF_PASS;
}

static int sa_null_data(struct cf *cf)
{
	size_t ns;
	const uint8_t *n = cf_name(cf, TV, &ns);
	CF_EXPECT_ST(emu_client_set_variable(cf->c, n, ns, &cf_vendor1, A_BS, 10, NULL),
		     EFI_INVALID_PARAMETER);
	return cf_check_absent(cf, TV, &cf_vendor1);
}

static int sa_append_not_stored(struct cf *cf)
{
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_NV | A_BS | A_RT | A_APPEND, cf_data10, 10));
	return cf_check_var(cf, TV, &cf_vendor1, A_NV | A_BS | A_RT, cf_data10, 10);
}

static const struct cf_case sa_cases[] = {
	{ "set-attributes.empty-name", CF_LIB, "SCT SetVariable_Conf: VariableName L\"\" -> EFI_INVALID_PARAMETER", sa_empty_name, NULL },
	{ "set-attributes.rt-only", CF_LIB, "SCT SetVariable_Conf: Attributes RT (RT without BS) -> EFI_INVALID_PARAMETER, nothing created", sa_rt_only, NULL },
	{ "set-attributes.nv-rt", CF_LIB, "SCT SetVariable_Conf: Attributes NV|RT (RT without BS) -> EFI_INVALID_PARAMETER", sa_nv_rt, NULL },
	{ "set-attributes.nv-only", CF_LIB, "edk2 VariableServiceSetVariable: Attributes NV alone -> EFI_INVALID_PARAMETER", sa_nv_only, NULL },
	{ "set-attributes.reserved-bit", CF_LIB, "edk2 VariableServiceSetVariable: a bit outside EFI_VARIABLE_ATTRIBUTES_MASK (0x100) -> EFI_INVALID_PARAMETER", sa_reserved_bit, NULL },
	{ "set-attributes.high-bit", CF_LIB, "edk2 VariableServiceSetVariable: bit 31 (U-Boot's private read-only flag) on the wire -> EFI_INVALID_PARAMETER", sa_high_bit, NULL },
	{ "set-attributes.enhanced-auth", CF_LIB, "edk2 VariableServiceSetVariable: ENHANCED_AUTHENTICATED_ACCESS 0x80 is not in the mask -> EFI_INVALID_PARAMETER", sa_ea, NULL },
	{ "set-attributes.enhanced-and-time-based", CF_LIB, "fwts setvariable: 0x80 together with TIME_BASED_AUTHENTICATED -> must fail (edk2 EFI_INVALID_PARAMETER)", sa_ea_at, NULL },
	{ "set-attributes.authenticated-write", CF_LIB, "SCT AuthVar_Conf / fwts: deprecated AUTHENTICATED_WRITE_ACCESS 0x10 OR-ed into any set -> EFI_UNSUPPORTED", sa_aw, NULL },
	{ "set-attributes.hr-disabled", CF_LIB, "edk2 VariableServiceSetVariable: HR with PcdHwErrStorageSize 0 (OP-TEE build) -> EFI_INVALID_PARAMETER", sa_hr_disabled, NULL },
	{ "set-attributes.hr-rt", CF_LIB, "SCT HardwareErrorRecord_Conf: HR|RT (no BS) -> EFI_INVALID_PARAMETER", sa_hr_rt, NULL },
	{ "set-attributes.hr-rt-nv", CF_LIB, "SCT HardwareErrorRecord_Conf: HR|RT|NV (no BS) -> EFI_INVALID_PARAMETER", sa_hr_rt_nv, NULL },
	{ "set-attributes.different-attributes", CF_LIB, "SCT SetVariable_Conf: rewrite with other attributes -> EFI_INVALID_PARAMETER and the data unchanged (all 12 pairs)", sa_different_attrs, NULL },
	{ "set-attributes.insert-two-guids", CF_LIB, "SCT SetVariable_Func Sub1: TestVariable under VENDOR2 (20 bytes) and VENDOR1 (10 bytes) both read back", sa_insert_two_guids, NULL },
	{ "set-attributes.overwrite", CF_LIB, "SCT SetVariable_Func Sub2 / fwts setvariable: same data, other data, other sizes overwrite", sa_overwrite, NULL },
	{ "set-attributes.similar-names", CF_LIB, "SCT SetVariable_Func Sub3 / fwts: TestVariableA, TestVariabl, 'Testvar ', Testva are independent variables", sa_similar, NULL },
	{ "set-attributes.identical-no-write", CF_LIB, "edk2 UpdateVariable: rewriting identical data succeeds without writing the store (RPMB counter unchanged)", sa_identical_no_write, NULL },
	{ "set-attributes.null-data", CF_LIB, "edk2 VariableServiceSetVariable: DataSize != 0 with Data NULL -> EFI_INVALID_PARAMETER", sa_null_data, NULL },
	{ "set-attributes.append-not-stored", CF_LIB, "edk2 UpdateVariable: APPEND_WRITE never appears in the stored attributes", sa_append_not_stored, NULL },
};
CF_GROUP(cf_group_set_attributes, "set-attributes", "SetVariable attribute rules", 0, sa_cases);

/* ---- set-size -------------------------------------------------------------------------- */

/* Name + data exactly at the limit passes, one byte more is refused (limit counts both). */
static int size_limit(struct cf *cf, uint32_t attrs, uint32_t max)
{
	size_t ns;
	(void)cf_name(cf, "SizeLimit", &ns);
	size_t ds = max - CF_VAR_HDR - ns;
	g_autofree uint8_t *d = g_malloc(ds + 1);
	memset(d, 0x5a, ds + 1);
	efi_status_t s = cf_set(cf, "SizeLimit", &cf_guid_own, attrs, d, ds + 1);
	if (s != EFI_INVALID_PARAMETER)
		return cf_fail_status(cf, "name + data one byte over the limit", s, EFI_INVALID_PARAMETER);
	if (cf_check_absent(cf, "SizeLimit", &cf_guid_own) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_set(cf, "SizeLimit", &cf_guid_own, attrs, d, ds), EFI_SUCCESS);
	return cf_check_var(cf, "SizeLimit", &cf_guid_own, attrs, d, ds);
}
static int ss_nv_limit(struct cf *cf) { return size_limit(cf, A_NV | A_BS | A_RT, CF_MAX_VARIABLE_SIZE); }
static int ss_volatile_limit(struct cf *cf) { return size_limit(cf, A_BS | A_RT, CF_MAX_VARIABLE_SIZE); }

static int ss_size_max(struct cf *cf)
{
	static const uint8_t d[16];
	for (size_t i = 0; i < 4; i++)
		CF_EXPECT_ST(cf_set(cf, TV, &cf_vendor1, cf_attr_sets[i], d, UINT64_MAX),
			     EFI_INVALID_PARAMETER);
	return cf_check_absent(cf, TV, &cf_vendor1);
}

static int ss_raw_size_max(struct cf *cf)
{
	struct cf_raw r;
	cf_raw_init(&r, SMM_VARIABLE_FUNCTION_SET_VARIABLE, SMM_VARIABLE_ACCESS_NAME_OFFSET + 26 + 10);
	cf_raw_access(&r, &cf_vendor1, UINT64_MAX, 26, A_NV | A_BS | A_RT, TV, cf_data10, 10);
	int rc = cf_raw_send(cf, &r);
	if (rc == CF_PASS)
		rc = cf_raw_expect(cf, &r, EFI_ACCESS_DENIED);
	cf_raw_clear(&r);
	return rc == CF_PASS ? cf_check_absent(cf, TV, &cf_vendor1) : rc;
}

static int ss_budget(struct cf *cf)
{
	size_t ns;
	(void)cf_name(cf, "Budget", &ns);
	uint64_t ds = cf->max_payload - 40 - ns + 1;
	g_autofree uint8_t *d = g_malloc0(ds);
	CF_EXPECT_ST(cf_set(cf, "Budget", &cf_guid_own, A_BS, d, ds), EFI_INVALID_PARAMETER);
	CF_EXPECT(strstr(emu_client_last_error(cf->c), "before sending") != NULL,
		  "the client sent a request larger than its budget (%s)", emu_client_last_error(cf->c));
	return CF_PASS;
}

static int ss_raw_at_budget(struct cf *cf)
{
	/* A SET filling the whole payload reaches StMM and is answered by the size rule. */
	size_t psize = CF_PAYLOAD_SIZE;
	uint64_t ds = psize - SMM_VARIABLE_ACCESS_NAME_OFFSET - 26;
	g_autofree uint8_t *d = g_malloc0(ds);
	struct cf_raw r;
	cf_raw_init(&r, SMM_VARIABLE_FUNCTION_SET_VARIABLE, psize);
	cf_raw_access(&r, &cf_vendor1, ds, 26, A_BS | A_RT, TV, d, ds);
	int rc = cf_raw_send(cf, &r);
	if (rc == CF_PASS)
		rc = cf_raw_expect(cf, &r, EFI_INVALID_PARAMETER);
	cf_raw_clear(&r);
	return rc;
}

static int ss_query_max_fits(struct cf *cf)
{
	uint64_t max_var = 0;
	CF_SETUP(cf_query(cf, A_BS | A_RT, NULL, NULL, &max_var));
	size_t ns;
	(void)cf_name(cf, "QMax", &ns);
	CF_EXPECT(max_var > ns, "MaximumVariableSize %" PRIu64 " too small", max_var);
	g_autofree uint8_t *d = g_malloc0(max_var - ns + 1);
	CF_EXPECT_ST(cf_set(cf, "QMax", &cf_guid_own, A_BS | A_RT, d, max_var - ns), EFI_SUCCESS);
	CF_SETUP(cf_del(cf, "QMax", &cf_guid_own));
	CF_EXPECT_ST(cf_set(cf, "QMax", &cf_guid_own, A_BS | A_RT, d, max_var - ns + 1),
		     EFI_INVALID_PARAMETER);
	return CF_PASS;
}

static const struct cf_case ss_cases[] = {
	{ "set-size.nv-limit", CF_LIB, "edk2 VariableServiceSetVariable: NV name+data <= PcdMaxVariableSize (0x2000) - 60 succeeds, one more -> EFI_INVALID_PARAMETER", ss_nv_limit, NULL },
	{ "set-size.volatile-limit", CF_LIB, "edk2 VariableServiceSetVariable: volatile name+data <= PcdMaxVolatileVariableSize - 60 succeeds, one more -> EFI_INVALID_PARAMETER", ss_volatile_limit, NULL },
	{ "set-size.size-max", CF_LIB, "SCT SetVariable_Conf 'too large variable': DataSize (UINTN)-1 -> EFI_INVALID_PARAMETER", ss_size_max, NULL },
	{ "set-size.raw-size-max", CF_RAW, "TS SmmVariableAttackTests / edk2 SmmVariableHandler: SET DataSize SIZE_MAX -> InfoSize overflow -> EFI_ACCESS_DENIED", ss_raw_size_max, NULL },
	{ "set-size.client-budget", CF_LIB, "Linux tee_stmm_efi / U-Boot: 40 + name + data over the payload budget -> EFI_INVALID_PARAMETER without a request", ss_budget, NULL },
	{ "set-size.raw-at-payload", CF_RAW, "edk2 SmmVariableHandler: a SET of exactly GET_PAYLOAD_SIZE bytes is handled (not dropped): EFI_INVALID_PARAMETER by the size limit", ss_raw_at_budget, NULL },
	{ "set-size.query-max-fits", CF_LIB, "edk2 QueryVariableInfo: MaximumVariableSize (name + data) fits, one byte more -> EFI_INVALID_PARAMETER", ss_query_max_fits, NULL },
};
CF_GROUP(cf_group_set_size, "set-size", "SetVariable size limits", 0, ss_cases);

/* ---- append ------------------------------------------------------------------------------ */

static int ap_existing(struct cf *cf)
{
	static const uint8_t a[8] = "01234567", b[7] = "abcdefg";
	static const uint8_t ab[15] = "01234567abcdefg";
	for (size_t i = 0; i < 4; i++) {
		CF_SETUP(cf_set(cf, "efi_st_var1", &cf_guid_own, cf_attr_sets[i], a, 8));
		CF_EXPECT_ST(cf_set(cf, "efi_st_var1", &cf_guid_own, cf_attr_sets[i] | A_APPEND, b, 7),
			     EFI_SUCCESS);
		if (cf_check_var(cf, "efi_st_var1", &cf_guid_own, cf_attr_sets[i], ab, 15) != CF_PASS)
			return CF_FAIL;
		CF_SETUP(cf_del(cf, "efi_st_var1", &cf_guid_own));
	}
	return CF_PASS;
}

static int ap_empty_absent(struct cf *cf)
{
	for (size_t i = 0; i < 4; i++) {
		CF_EXPECT_ST(cf_set(cf, "efi_none", &cf_guid_own, cf_attr_sets[i] | A_APPEND, NULL, 0),
			     EFI_SUCCESS);
		if (cf_check_absent(cf, "efi_none", &cf_guid_own) != CF_PASS)
			return CF_FAIL;
	}
	return CF_PASS;
}

static int ap_creates(struct cf *cf)
{
	static const uint8_t d[15] = "0123456789abcde";
	CF_EXPECT_ST(cf_set(cf, "efi_st_var2", &cf_guid_own, A_NV | A_BS | A_RT | A_APPEND, d, 15),
		     EFI_SUCCESS);
	return cf_check_var(cf, "efi_st_var2", &cf_guid_own, A_NV | A_BS | A_RT, d, 15);
}

static int ap_empty_existing(struct cf *cf)
{
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_NV | A_BS, cf_data10, 10));
	CF_EXPECT_ST(cf_set(cf, TV, &cf_vendor1, A_NV | A_BS | A_APPEND, NULL, 0), EFI_SUCCESS);
	return cf_check_var(cf, TV, &cf_vendor1, A_NV | A_BS, cf_data10, 10);
}

static int ap_other_attrs(struct cf *cf)
{
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_NV | A_BS, cf_data10, 10));
	CF_EXPECT_ST(cf_set(cf, TV, &cf_vendor1, A_NV | A_BS | A_RT | A_APPEND, cf_data10, 4),
		     EFI_INVALID_PARAMETER);
	return cf_check_var(cf, TV, &cf_vendor1, A_NV | A_BS, cf_data10, 10);
}

static int ap_over_max(struct cf *cf)
{
	size_t ns;
	(void)cf_name(cf, "Grow", &ns);
	size_t room = CF_MAX_VARIABLE_SIZE - CF_VAR_HDR - ns; /* data bytes that still fit */
	g_autofree uint8_t *d = g_malloc0(room);
	CF_SETUP(cf_set(cf, "Grow", &cf_guid_own, A_NV | A_BS, d, room - 10));
	CF_EXPECT_ST(cf_set(cf, "Grow", &cf_guid_own, A_NV | A_BS | A_APPEND, d, 11),
		     EFI_INVALID_PARAMETER);
	uint64_t size = 0;
	CF_EXPECT_ST(cf_get(cf, "Grow", &cf_guid_own, NULL, &size, NULL), EFI_BUFFER_TOO_SMALL);
	CF_EXPECT(size == room - 10, "size after the refused append %" PRIu64 ", want %zu", size, room - 10);
	CF_EXPECT_ST(cf_set(cf, "Grow", &cf_guid_own, A_NV | A_BS | A_APPEND, d, 10), EFI_SUCCESS);
	return CF_PASS;
}

static int ap_repeated(struct cf *cf)
{
	uint8_t all[50];
	for (int i = 0; i < 50; i++)
		all[i] = (uint8_t)i;
	for (int i = 0; i < 10; i++)
		CF_EXPECT_ST(cf_set(cf, "Appended", &cf_guid_own, A_BS | A_RT | A_APPEND, all + 5 * i, 5),
			     EFI_SUCCESS);
	return cf_check_var(cf, "Appended", &cf_guid_own, A_BS | A_RT, all, 50);
}

static const struct cf_case ap_cases[] = {
	{ "append.existing", CF_LIB, "U-Boot efi_selftest_variables: 8 bytes then APPEND 7 -> 15 bytes, concatenated (all four attribute sets)", ap_existing, NULL },
	{ "append.empty-absent", CF_LIB, "U-Boot efi_selftest / edk2 UpdateVariable: APPEND of 0 bytes to an absent variable -> EFI_SUCCESS, nothing created", ap_empty_absent, NULL },
	{ "append.creates", CF_LIB, "U-Boot efi_selftest: APPEND of 15 bytes to an absent variable creates it", ap_creates, NULL },
	{ "append.empty-existing", CF_LIB, "edk2 UpdateVariable: APPEND of 0 bytes keeps an existing variable unchanged (not a delete)", ap_empty_existing, NULL },
	{ "append.other-attributes", CF_LIB, "edk2 VariableServiceSetVariable: APPEND with attributes other than the variable's -> EFI_INVALID_PARAMETER, data unchanged", ap_other_attrs, NULL },
	{ "append.over-max", CF_LIB, "edk2 UpdateVariable: an append growing past PcdMaxVariableSize - DataOffset -> EFI_INVALID_PARAMETER, data unchanged", ap_over_max, NULL },
	{ "append.repeated", CF_LIB, "UEFI 2.10 SetVariable APPEND_WRITE: ten 5-byte appends to a volatile variable give the 50 bytes in order", ap_repeated, NULL },
};
CF_GROUP(cf_group_append, "append", "SetVariable APPEND_WRITE", 0, ap_cases);

/* ---- delete ------------------------------------------------------------------------------ */

static int de_size0(struct cf *cf)
{
	for (size_t i = 0; i < 4; i++) {
		CF_SETUP(cf_set(cf, TV, &cf_vendor1, cf_attr_sets[i], cf_data10, 10));
		CF_EXPECT_ST(cf_set(cf, TV, &cf_vendor1, cf_attr_sets[i], NULL, 0), EFI_SUCCESS);
		if (cf_check_absent(cf, TV, &cf_vendor1) != CF_PASS)
			return CF_FAIL;
		CF_EXPECT_ST(cf_set(cf, TV, &cf_vendor1, cf_attr_sets[i], NULL, 0), EFI_NOT_FOUND);
	}
	return CF_PASS;
}

static int de_attrs0(struct cf *cf)
{
	for (size_t i = 0; i < 4; i++) {
		CF_SETUP(cf_set(cf, TV, &cf_vendor1, cf_attr_sets[i], cf_data10, 10));
		CF_EXPECT_ST(cf_set(cf, TV, &cf_vendor1, 0, cf_data10, 10), EFI_SUCCESS);
		if (cf_check_absent(cf, TV, &cf_vendor1) != CF_PASS)
			return CF_FAIL;
	}
	return CF_PASS;
}

static int de_absent(struct cf *cf)
{
	CF_EXPECT_ST(cf_set(cf, "NeverWritten", &cf_guid_own, 0, cf_data10, 10), EFI_NOT_FOUND);
	CF_EXPECT_ST(cf_set(cf, "NeverWritten", &cf_guid_own, A_NV | A_BS, NULL, 0), EFI_NOT_FOUND);
	return CF_PASS;
}

static int de_no_access(struct cf *cf)
{
	/* NV alone on an existing variable: no BS/RT means delete, after the attribute check. */
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_NV | A_BS, cf_data10, 10));
	CF_EXPECT_ST(cf_set(cf, TV, &cf_vendor1, A_NV, cf_data10, 10), EFI_INVALID_PARAMETER);
	return cf_check_var(cf, TV, &cf_vendor1, A_NV | A_BS, cf_data10, 10);
}

static int de_wrong_attrs(struct cf *cf)
{
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_NV | A_BS | A_RT, cf_data10, 10));
	CF_EXPECT_ST(cf_set(cf, TV, &cf_vendor1, A_BS | A_RT, NULL, 0), EFI_INVALID_PARAMETER);
	return cf_check_var(cf, TV, &cf_vendor1, A_NV | A_BS | A_RT, cf_data10, 10);
}

static int de_other_guid_kept(struct cf *cf)
{
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_NV | A_BS, cf_data10, 10));
	CF_SETUP(cf_set(cf, TV, &cf_vendor2, A_NV | A_BS, data20, 20));
	CF_SETUP(cf_del(cf, TV, &cf_vendor1));
	if (cf_check_absent(cf, TV, &cf_vendor1) != CF_PASS)
		return CF_FAIL;
	return cf_check_var(cf, TV, &cf_vendor2, A_NV | A_BS, data20, 20);
}

static int de_not_listed(struct cf *cf)
{
	bool listed = true;
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_NV | A_BS | A_RT, cf_data10, 10));
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_NV | A_BS | A_RT, data20, 20)); /* a stale copy */
	CF_SETUP(cf_del(cf, TV, &cf_vendor1));
	if (cf_listed(cf, TV, &cf_vendor1, &listed) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT(!listed, "a deleted variable is still enumerated");
	return CF_PASS;
}

static const struct cf_case de_cases[] = {
	{ "delete.size0", CF_LIB, "SCT SetVariable_Conf 'DataSize is 0' / Func Sub4: delete -> EFI_SUCCESS, again -> EFI_NOT_FOUND", de_size0, NULL },
	{ "delete.attributes0", CF_LIB, "SCT SetVariable_Func Sub5 / fwts: Attributes 0 with DataSize 10 -> EFI_SUCCESS and the variable gone", de_attrs0, NULL },
	{ "delete.absent", CF_LIB, "edk2 UpdateVariable: deleting a variable that does not exist -> EFI_NOT_FOUND", de_absent, NULL },
	{ "delete.nv-only", CF_LIB, "edk2 VariableServiceSetVariable: NV alone is refused (EFI_INVALID_PARAMETER) before the no-access delete rule", de_no_access, NULL },
	{ "delete.wrong-attributes", CF_LIB, "edk2 VariableServiceSetVariable: size-0 delete with other non-zero attributes -> EFI_INVALID_PARAMETER, kept", de_wrong_attrs, NULL },
	{ "delete.other-guid-kept", CF_LIB, "SCT SetVariable_Func Sub1/Sub4: deleting under VENDOR1 leaves the VENDOR2 variable", de_other_guid_kept, NULL },
	{ "delete.not-listed", CF_LIB, "edk2 GetNextVariableName: an updated then deleted variable is not enumerated (no stale copy)", de_not_listed, NULL },
};
CF_GROUP(cf_group_delete, "delete", "SetVariable delete", 0, de_cases);
