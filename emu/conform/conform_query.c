/* SPDX-License-Identifier: MIT */
/* Groups query (QueryVariableInfo) and payload (GET_PAYLOAD_SIZE and the budget). */
#include <inttypes.h>
#include <string.h>

#include "bytes.h"
#include "conform.h"
#include "efi_util.h"
#include "mm.h"

static int q_refused(struct cf *cf, uint32_t attrs, efi_status_t want)
{
	efi_status_t s = cf_query(cf, attrs, NULL, NULL, NULL);
	if (s != want) {
		char label[64];
		g_snprintf(label, sizeof(label), "QueryVariableInfo(0x%x)", attrs);
		return cf_fail_status(cf, label, s, want);
	}
	return CF_PASS;
}
static int q_zero(struct cf *cf) { return q_refused(cf, 0, EFI_INVALID_PARAMETER); }
static int q_nv(struct cf *cf) { return q_refused(cf, A_NV, EFI_INVALID_PARAMETER); }
static int q_rt(struct cf *cf) { return q_refused(cf, A_RT, EFI_INVALID_PARAMETER); }
static int q_nv_rt(struct cf *cf) { return q_refused(cf, A_NV | A_RT, EFI_INVALID_PARAMETER); }
static int q_aw(struct cf *cf) { return q_refused(cf, A_NV | A_BS | A_RT | A_AW, EFI_UNSUPPORTED); }
static int q_no_mask(struct cf *cf) { return q_refused(cf, A_EA, EFI_UNSUPPORTED); }
static int q_hr_no_nv(struct cf *cf) { return q_refused(cf, A_HR | A_BS | A_RT, EFI_INVALID_PARAMETER); }
static int q_hr(struct cf *cf) { return q_refused(cf, A_NV | A_BS | A_RT | A_HR, EFI_UNSUPPORTED); }

static int q_at(struct cf *cf)
{
	uint64_t max, rem, mv;
	CF_EXPECT_ST(cf_query(cf, A_NV | A_BS | A_RT | A_AT, &max, &rem, &mv), EFI_SUCCESS);
	uint64_t want = CF_MAX_AUTH_VARIABLE_SIZE - CF_VAR_HDR;
	if (rem < CF_VAR_HDR)
		want = 0;
	else if (rem - CF_VAR_HDR < want)
		want = rem - CF_VAR_HDR;
	CF_EXPECT(mv == want, "MaximumVariableSize for AT %" PRIu64 ", want %" PRIu64
		  " (PcdMaxAuthVariableSize - 60, clamped to Remaining - 60)", mv, want);
	return CF_PASS;
}

static int q_nonzero(struct cf *cf)
{
	uint64_t max, rem, mv;
	CF_EXPECT_ST(cf_query(cf, A_BS, &max, &rem, &mv), EFI_SUCCESS);
	CF_EXPECT(max && rem && mv, "BS query: max %" PRIu64 " remaining %" PRIu64 " max var %" PRIu64
		  ", all must be non-zero", max, rem, mv);
	return CF_PASS;
}

static int q_sizes(struct cf *cf)
{
	uint64_t max, rem, mv;
	CF_EXPECT_ST(cf_query(cf, A_NV | A_BS | A_RT, &max, &rem, &mv), EFI_SUCCESS);
	CF_EXPECT(max == cf->nv_storage, "NV MaximumVariableStorageSize %" PRIu64 ", want %" PRIu64
		  " (var-store-size - FV header - store header)", max, cf->nv_storage);
	CF_EXPECT_ST(cf_query(cf, A_BS | A_RT, &max, &rem, &mv), EFI_SUCCESS);
	CF_EXPECT(max == CF_VOLATILE_STORAGE, "volatile MaximumVariableStorageSize %" PRIu64
		  ", want %u (PcdVariableStoreSize - 28)", max, CF_VOLATILE_STORAGE);
	return CF_PASS;
}

static int q_max_var(struct cf *cf)
{
	static const uint32_t sets[] = { A_NV | A_BS | A_RT, A_NV | A_BS, A_BS | A_RT, A_BS };
	for (size_t i = 0; i < G_N_ELEMENTS(sets); i++) {
		uint64_t max, rem, mv;
		CF_EXPECT_ST(cf_query(cf, sets[i], &max, &rem, &mv), EFI_SUCCESS);
		uint64_t want = CF_MAX_VARIABLE_SIZE - CF_VAR_HDR;
		if (rem < CF_VAR_HDR)
			want = 0;
		else if (rem - CF_VAR_HDR < want)
			want = rem - CF_VAR_HDR;
		CF_EXPECT(mv == want, "attributes 0x%x: MaximumVariableSize %" PRIu64 ", want %" PRIu64,
			  sets[i], mv, want);
	}
	return CF_PASS;
}

/* SCT QueryVariableInfo_Func with edk2's accounting on top. */
static int q_func(struct cf *cf)
{
	static const uint8_t d[20] = { 1 };
	size_t ns;
	(void)cf_name(cf, "TestVariable", &ns);
	for (size_t i = 0; i < 4; i++) {
		uint32_t a = cf_attr_sets[i];
		uint64_t m1, r1, m2, r2, m3, r3;
		CF_EXPECT_ST(cf_query(cf, a, &m1, &r1, NULL), EFI_SUCCESS);
		CF_SETUP(cf_set(cf, "TestVariable", &cf_vendor1, a, d, 20));
		CF_EXPECT_ST(cf_query(cf, a, &m2, &r2, NULL), EFI_SUCCESS);
		CF_SETUP(cf_del(cf, "TestVariable", &cf_vendor1));
		CF_EXPECT_ST(cf_query(cf, a, &m3, &r3, NULL), EFI_SUCCESS);
		CF_EXPECT(m1 == m2 && m2 == m3, "0x%x: MaximumVariableStorageSize moved: %" PRIu64
			  " %" PRIu64 " %" PRIu64, a, m1, m2, m3);
		uint64_t rec = CF_RECORD_SIZE(ns, 20);
		CF_EXPECT(r1 - r2 == rec, "0x%x: RemainingVariableStorageSize fell by %" PRId64
			  " after a 20-byte set, want %" PRIu64, a, (int64_t)(r1 - r2), rec);
		CF_EXPECT(r3 == r1, "0x%x: RemainingVariableStorageSize %" PRIu64 " after the delete, "
			  "want %" PRIu64 " again (boot time counts only ADDED records)", a, r3, r1);
	}
	return CF_PASS;
}

static int q_apart(struct cf *cf)
{
	uint64_t nv1, vol1, nv2, vol2, nv3, vol3;
	CF_EXPECT_ST(cf_query(cf, A_NV | A_BS | A_RT, NULL, &nv1, NULL), EFI_SUCCESS);
	CF_EXPECT_ST(cf_query(cf, A_BS | A_RT, NULL, &vol1, NULL), EFI_SUCCESS);
	CF_SETUP(cf_set(cf, "Apart", &cf_guid_own, A_NV | A_BS | A_RT, cf_data10, 10));
	CF_EXPECT_ST(cf_query(cf, A_NV | A_BS | A_RT, NULL, &nv2, NULL), EFI_SUCCESS);
	CF_EXPECT_ST(cf_query(cf, A_BS | A_RT, NULL, &vol2, NULL), EFI_SUCCESS);
	CF_SETUP(cf_set(cf, "ApartV", &cf_guid_own, A_BS | A_RT, cf_data10, 10));
	CF_EXPECT_ST(cf_query(cf, A_NV | A_BS | A_RT, NULL, &nv3, NULL), EFI_SUCCESS);
	CF_EXPECT_ST(cf_query(cf, A_BS | A_RT, NULL, &vol3, NULL), EFI_SUCCESS);
	CF_EXPECT(nv2 < nv1 && vol2 == vol1, "an NV set moved the volatile remaining (%" PRIu64 " -> %"
		  PRIu64 ") or not the NV one", vol1, vol2);
	CF_EXPECT(vol3 < vol2 && nv3 == nv2, "a volatile set moved the NV remaining (%" PRIu64 " -> %"
		  PRIu64 ") or not the volatile one", nv2, nv3);
	return CF_PASS;
}

static int q_raw_in_place(struct cf *cf)
{
	struct cf_raw r;
	cf_raw_init(&r, SMM_VARIABLE_FUNCTION_QUERY_VARIABLE_INFO,
		    sizeof(struct smm_variable_query_info));
	put_le32(cf_raw_payload(&r) + offsetof(struct smm_variable_query_info, attributes),
		 A_NV | A_BS | A_RT);
	int rc = cf_raw_send(cf, &r);
	if (rc == CF_PASS)
		rc = cf_raw_expect(cf, &r, EFI_SUCCESS);
	if (rc == CF_PASS) {
		const uint8_t *p = cf_raw_answer_payload(&r);
		uint64_t max = get_le64(
			p + offsetof(struct smm_variable_query_info, maximum_variable_storage_size));
		uint64_t rem = get_le64(
			p + offsetof(struct smm_variable_query_info, remaining_variable_storage_size));
		uint32_t at = get_le32(p + offsetof(struct smm_variable_query_info, attributes));
		if (max != cf->nv_storage || rem > max || at != (A_NV | A_BS | A_RT))
			rc = cf_fail(cf, "answer: max %" PRIu64 " remaining %" PRIu64 " attributes 0x%x",
				     max, rem, at);
	}
	cf_raw_clear(&r);
	return rc;
}

static const struct cf_case q_cases[] = {
	{ "query.attributes0", CF_LIB, "SCT QueryVariableInfo_Conf: Attributes 0 -> EFI_INVALID_PARAMETER", q_zero, NULL },
	{ "query.nv", CF_LIB, "SCT QueryVariableInfo_Conf: NV (no BS) -> EFI_INVALID_PARAMETER", q_nv, NULL },
	{ "query.rt", CF_LIB, "SCT QueryVariableInfo_Conf: RT (no BS) -> EFI_INVALID_PARAMETER", q_rt, NULL },
	{ "query.nv-rt", CF_LIB, "SCT QueryVariableInfo_Conf: NV|RT (no BS) -> EFI_INVALID_PARAMETER", q_nv_rt, NULL },
	{ "query.authenticated-write", CF_LIB, "SCT AuthVar_Conf / edk2 QueryVariableInfo: AUTHENTICATED_WRITE_ACCESS -> EFI_UNSUPPORTED", q_aw, NULL },
	{ "query.no-mask-bits", CF_LIB, "edk2 QueryVariableInfo: no bit of the attribute mask (0x80) -> EFI_UNSUPPORTED", q_no_mask, NULL },
	{ "query.hr-without-nv", CF_LIB, "edk2 QueryVariableInfo: HR without NV -> EFI_INVALID_PARAMETER", q_hr_no_nv, NULL },
	{ "query.hr-no-storage", CF_LIB, "edk2 QueryVariableInfo: HR with PcdHwErrStorageSize 0 -> EFI_UNSUPPORTED", q_hr, NULL },
	{ "query.time-based", CF_LIB, "edk2 QueryVariableInfo with AuthVariableLib: NV|BS|RT|AT -> EFI_SUCCESS, MaximumVariableSize from PcdMaxAuthVariableSize", q_at, NULL },
	{ "query.bs-non-zero", CF_LIB, "U-Boot efi_selftest_variables: QueryVariableInfo(BS) succeeds with three non-zero outputs", q_nonzero, NULL },
	{ "query.storage-sizes", CF_LIB, "edk2 QueryVariableInfo (OP-TEE RPMB build): NV max storage var-store-size - 0x48 - 28 (16284 by default), volatile 16356", q_sizes, NULL },
	{ "query.max-variable-size", CF_LIB, "edk2 QueryVariableInfo: MaximumVariableSize = PcdMaxVariableSize - 60, clamped to Remaining - 60", q_max_var, NULL },
	{ "query.func", CF_LIB, "SCT QueryVariableInfo_Func (+ edk2 accounting): query/set 20 bytes/query/delete/query; max stable, remaining -record, +record", q_func, NULL },
	{ "query.nv-volatile-apart", CF_LIB, "checklist §5.4 / edk2: NV and volatile storage are accounted separately", q_apart, NULL },
	{ "query.raw-in-place", CF_RAW, "edk2 SmmVariableHandler QUERY: answered in place in the 32-byte payload", q_raw_in_place, NULL },
};
CF_GROUP(cf_group_query, "query", "QueryVariableInfo", 0, q_cases);

/* ---- payload ----------------------------------------------------------------------------- */

static int p_size(struct cf *cf)
{
	CF_EXPECT(cf->payload_size == CF_PAYLOAD_SIZE, "GET_PAYLOAD_SIZE %" PRIu64 ", want %u "
		  "(max(MaxVariableSize, MaxAuthVariableSize, MaxVolatileVariableSize) + 48 - 60)",
		  cf->payload_size, CF_PAYLOAD_SIZE);
	return CF_PASS;
}

static int p_raw_answer(struct cf *cf)
{
	struct cf_raw r;
	cf_raw_init(&r, SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE, 8);
	int rc = cf_raw_send(cf, &r);
	if (rc == CF_PASS)
		rc = cf_raw_expect(cf, &r, EFI_SUCCESS);
	if (rc == CF_PASS && get_le64(cf_raw_answer_payload(&r)) != cf->payload_size)
		rc = cf_fail(cf, "raw answer %" PRIu64 " differs from the client's",
			     get_le64(cf_raw_answer_payload(&r)));
	cf_raw_clear(&r);
	return rc;
}

static int p_max_variable(struct cf *cf)
{
	/* TS checkMaxVariablePayload: the largest variable the budget carries reads back whole. */
	size_t ns;
	(void)cf_name(cf, "MaxPayload", &ns);
	size_t ds = CF_MAX_VARIABLE_SIZE - CF_VAR_HDR - ns;
	CF_EXPECT(40 + ns + ds <= cf->max_payload, "budget %" PRIu64 " too small for the largest variable",
		  cf->max_payload);
	g_autofree uint8_t *d = g_malloc(ds);
	for (size_t i = 0; i < ds; i++)
		d[i] = (uint8_t)(i * 7);
	CF_EXPECT_ST(cf_set(cf, "MaxPayload", &cf_guid_own, A_BS | A_RT, d, ds), EFI_SUCCESS);
	return cf_check_var(cf, "MaxPayload", &cf_guid_own, A_BS | A_RT, d, ds);
}

static int p_excess(struct cf *cf)
{
	struct cf_raw r;
	cf_raw_init(&r, SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE, 8);
	r.memref = CF_NS_BUF_SIZE + 1;
	int rc = cf_raw_send(cf, &r);
	if (rc == CF_PASS && (r.tee_ret != 0xffff0004u || r.memref_back != CF_NS_BUF_SIZE))
		rc = cf_fail(cf, "TEE result 0x%08x memref size %" PRIu64 ", want TEE_ERROR_EXCESS_DATA "
			     "and %u", r.tee_ret, r.memref_back, CF_NS_BUF_SIZE);
	cf_raw_clear(&r);
	return rc;
}

static const struct cf_case p_cases[] = {
	{ "payload.size", CF_LIB, "edk2 VariableSmm (OP-TEE RPMB build): GET_PAYLOAD_SIZE answers 10228", p_size, NULL },
	{ "payload.raw-answer", CF_RAW, "edk2 SmmVariableHandler GET_PAYLOAD_SIZE: EFI_SUCCESS, size written in place", p_raw_answer, NULL },
	{ "payload.max-variable", CF_LIB, "TS SmmVariableServiceTests checkMaxVariablePayload: the largest variable round-trips within the budget", p_max_variable, NULL },
	{ "payload.excess-data", CF_RAW, "OP-TEE PTA_STMM: memref over the 16 KiB NS buffer -> TEE_ERROR_EXCESS_DATA, size rewritten to 16384", p_excess, NULL },
};
CF_GROUP(cf_group_payload, "payload", "GET_PAYLOAD_SIZE and the buffer budget", 0, p_cases);
