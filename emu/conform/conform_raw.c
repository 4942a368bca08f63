/* SPDX-License-Identifier: MIT */
/*
 * Group raw-malformed: malformed MM buffers and what edk2 answers (VariableSmm.c
 * SmmVariableHandler, StandaloneMm CPU driver; mm-variable-protocol.md §2.1), including the
 * requests it drops without writing ReturnStatus (detected by a pre-filled sentinel).
 */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "bytes.h"
#include "conform.h"
#include "efi_util.h"
#include "mm.h"

#define TV "TestVariable"
#define TV_NS 26u

/* Where MessageLength sits in the whole buffer. */
#define MSGLEN_AT offsetof(struct mm_communicate_header, message_length)
/* GET_PAYLOAD_SIZE's payload. */
#define PAYLOAD_SIZE_PAYLOAD sizeof(struct smm_variable_payload_size)

/* Send and expect a status / a drop; frees the buffer. */
static int send_expect(struct cf *cf, struct cf_raw *r, efi_status_t want)
{
	int rc = cf_raw_send(cf, r);
	if (rc == CF_PASS)
		rc = cf_raw_expect(cf, r, want);
	cf_raw_clear(r);
	return rc;
}

static int send_dropped(struct cf *cf, struct cf_raw *r)
{
	int rc = cf_raw_send(cf, r);
	if (rc == CF_PASS)
		rc = cf_raw_expect_dropped(cf, r);
	cf_raw_clear(r);
	return rc;
}

static int send_mm_code(struct cf *cf, struct cf_raw *r, int64_t want)
{
	int rc = cf_raw_send(cf, r);
	if (rc == CF_PASS && (r->tee_ret != 0 || (int32_t)r->mm_code != want))
		rc = cf_fail(cf, "TEE result 0x%08x MM code %" PRId64 ", want TEE_SUCCESS and %" PRId64,
			     r->tee_ret, r->mm_code, want);
	cf_raw_clear(r);
	return rc;
}

/* ---- MM communicate header ----------------------------------------------------------- */

static int r_too_short(struct cf *cf)
{
	struct cf_raw r;
	cf_raw_init(&r, SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE, PAYLOAD_SIZE_PAYLOAD);
	r.len = r.memref = MSGLEN_AT; /* the buffer ends before MessageLength */
	return send_mm_code(cf, &r, -3);
}

static int r_msglen_over(struct cf *cf)
{
	struct cf_raw r;
	cf_raw_init(&r, SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE, PAYLOAD_SIZE_PAYLOAD);
	put_le64(r.buf + MSGLEN_AT, r.len - MM_COMMUNICATE_HEADER_SIZE + 1);
	return send_mm_code(cf, &r, -3);
}

static int r_msglen_max(struct cf *cf)
{
	struct cf_raw r;
	cf_raw_init(&r, SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE, PAYLOAD_SIZE_PAYLOAD);
	put_le64(r.buf + MSGLEN_AT, UINT64_MAX);
	return send_mm_code(cf, &r, -3);
}

static int r_msglen_under_header(struct cf *cf)
{
	struct cf_raw r;
	cf_raw_init(&r, SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE, PAYLOAD_SIZE_PAYLOAD);
	/* MessageLength covers Function only: below SMM_VARIABLE_COMMUNICATE_HEADER. */
	put_le64(r.buf + MSGLEN_AT, offsetof(struct smm_variable_communicate_header, return_status));
	return send_dropped(cf, &r);
}

static int r_msglen_below_fixed(struct cf *cf)
{
	/* A valid GET in a large buffer, but MessageLength says the payload is 20 bytes. */
	struct cf_raw r;
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_BS, cf_data10, 10));
	cf_raw_init(&r, SMM_VARIABLE_FUNCTION_GET_VARIABLE, SMM_VARIABLE_ACCESS_NAME_OFFSET + TV_NS + 16);
	cf_raw_access(&r, &cf_vendor1, 16, TV_NS, 0, TV, NULL, 0);
	put_le64(r.buf + MSGLEN_AT, SMM_VARIABLE_COMMUNICATE_HEADER_SIZE + 20);
	return send_dropped(cf, &r);
}

static int r_msglen_shorter_ok(struct cf *cf)
{
	/* MessageLength smaller than the memref: only MessageLength counts. */
	struct cf_raw r;
	cf_raw_init(&r, SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE, 64);
	put_le64(r.buf + MSGLEN_AT, SMM_VARIABLE_COMMUNICATE_HEADER_SIZE + PAYLOAD_SIZE_PAYLOAD);
	int rc = cf_raw_send(cf, &r);
	if (rc == CF_PASS)
		rc = cf_raw_expect(cf, &r, EFI_SUCCESS);
	uint64_t answered = 0;
	if (rc == CF_PASS)
		answered = get_le64(cf_raw_answer_payload(&r) +
				    offsetof(struct smm_variable_payload_size, variable_payload_size));
	if (rc == CF_PASS && answered != cf->payload_size)
		rc = cf_fail(cf, "payload size answered %" PRIu64, answered);
	cf_raw_clear(&r);
	return rc;
}

static int r_payload_over(struct cf *cf)
{
	struct cf_raw r;
	cf_raw_init(&r, SMM_VARIABLE_FUNCTION_GET_VARIABLE, CF_PAYLOAD_SIZE + 1);
	cf_raw_access(&r, &cf_vendor1, 8, TV_NS, 0, TV, NULL, 0);
	return send_dropped(cf, &r);
}

static int r_payload_at(struct cf *cf)
{
	struct cf_raw r;
	cf_raw_init(&r, SMM_VARIABLE_FUNCTION_GET_VARIABLE, CF_PAYLOAD_SIZE);
	cf_raw_access(&r, &cf_guid_own, 8, 20, 0, "NoSuchVar", NULL, 0);
	return send_expect(cf, &r, EFI_NOT_FOUND);
}

static int r_unknown_guid(struct cf *cf)
{
	struct cf_raw r;
	cf_raw_init(&r, SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE, PAYLOAD_SIZE_PAYLOAD);
	memcpy(r.buf + offsetof(struct mm_communicate_header, header_guid), cf_guid_own.b,
	       sizeof(cf_guid_own.b));
	return send_dropped(cf, &r);
}

static int r_unknown_function(struct cf *cf)
{
	static const uint64_t fns[] = { 0, 0x99, 0x8000000000000001ull };
	for (size_t i = 0; i < G_N_ELEMENTS(fns); i++) {
		struct cf_raw r;
		cf_raw_init(&r, fns[i], 32);
		if (send_expect(cf, &r, EFI_UNSUPPORTED) != CF_PASS)
			return cf_fail(cf, " (function 0x%" PRIx64 ")", fns[i]);
	}
	return CF_PASS;
}

/* ---- below a function's fixed part ---------------------------------------------------- */

static int below_fixed(struct cf *cf, uint64_t fn, size_t psize)
{
	struct cf_raw r;
	cf_raw_init(&r, fn, psize);
	memset(cf_raw_payload(&r), 0, psize);
	return send_dropped(cf, &r);
}
/* One byte below each function's fixed part (edk2's OFFSET_OF(Name) or sizeof). */
static int r_get_short(struct cf *cf) { return below_fixed(cf, SMM_VARIABLE_FUNCTION_GET_VARIABLE, offsetof(struct smm_variable_access, name) - 1); }
static int r_set_short(struct cf *cf) { return below_fixed(cf, SMM_VARIABLE_FUNCTION_SET_VARIABLE, offsetof(struct smm_variable_access, name) - 1); }
static int r_getnext_short(struct cf *cf) { return below_fixed(cf, SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME, offsetof(struct smm_variable_get_next_name, name) - 1); }
static int r_query_short(struct cf *cf) { return below_fixed(cf, SMM_VARIABLE_FUNCTION_QUERY_VARIABLE_INFO, sizeof(struct smm_variable_query_info) - 1); }
static int r_payload_short(struct cf *cf) { return below_fixed(cf, SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE, PAYLOAD_SIZE_PAYLOAD - 1); }
static int r_propget_short(struct cf *cf) { return below_fixed(cf, SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET, offsetof(struct smm_variable_var_check_property, name) - 1); }

/* ---- ACCESS_VARIABLE (GET / SET) sizes ------------------------------------------------- */

static int access_case(struct cf *cf, uint64_t fn, uint64_t ds, uint64_t ns, size_t data_len,
		       const char *name, efi_status_t want)
{
	struct cf_raw r;
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_BS | A_RT, cf_data10, 10));
	cf_raw_init(&r, fn, SMM_VARIABLE_ACCESS_NAME_OFFSET + TV_NS + 16);
	cf_raw_access(&r, &cf_vendor1, ds, ns, A_BS | A_RT, name, cf_data10, data_len);
	if (send_expect(cf, &r, want) != CF_PASS)
		return CF_FAIL;
	/* Whatever was malformed, the variable is untouched. */
	return cf_check_var(cf, TV, &cf_vendor1, A_BS | A_RT, cf_data10, 10);
}
#define GET SMM_VARIABLE_FUNCTION_GET_VARIABLE
#define SET SMM_VARIABLE_FUNCTION_SET_VARIABLE
static int r_get_ns0(struct cf *cf) { return access_case(cf, GET, 8, 0, 0, TV, EFI_ACCESS_DENIED); }
static int r_get_ns_odd(struct cf *cf) { return access_case(cf, GET, 8, TV_NS - 1, 0, TV, EFI_ACCESS_DENIED); }
static int r_get_ns_max(struct cf *cf) { return access_case(cf, GET, 8, UINT64_MAX, 0, TV, EFI_ACCESS_DENIED); }
static int r_get_ns_beyond(struct cf *cf) { return access_case(cf, GET, 8, TV_NS + 64, 0, TV, EFI_ACCESS_DENIED); }
static int r_get_no_nul(struct cf *cf) { return access_case(cf, GET, 8, TV_NS - 2, 0, TV, EFI_ACCESS_DENIED); }
static int r_get_ds_max(struct cf *cf) { return access_case(cf, GET, UINT64_MAX, TV_NS, 0, TV, EFI_ACCESS_DENIED); }
static int r_get_ds_beyond(struct cf *cf) { return access_case(cf, GET, 17, TV_NS, 0, TV, EFI_ACCESS_DENIED); }
static int r_get_both_max(struct cf *cf) { return access_case(cf, GET, UINT64_MAX - 8, UINT64_MAX - 8, 0, TV, EFI_ACCESS_DENIED); }
static int r_set_ns0(struct cf *cf) { return access_case(cf, SET, 4, 0, 4, TV, EFI_ACCESS_DENIED); }
static int r_set_ns_odd(struct cf *cf) { return access_case(cf, SET, 4, TV_NS - 1, 4, TV, EFI_ACCESS_DENIED); }
static int r_set_ns_max(struct cf *cf) { return access_case(cf, SET, 4, UINT64_MAX, 4, TV, EFI_ACCESS_DENIED); }
static int r_set_no_nul(struct cf *cf) { return access_case(cf, SET, 4, TV_NS - 2, 4, TV, EFI_ACCESS_DENIED); }
static int r_set_ds_max(struct cf *cf) { return access_case(cf, SET, UINT64_MAX, TV_NS, 4, TV, EFI_ACCESS_DENIED); }
static int r_set_ds_beyond(struct cf *cf) { return access_case(cf, SET, 17, TV_NS, 10, TV, EFI_ACCESS_DENIED); }
static int r_set_ds_wrap(struct cf *cf) { return access_case(cf, SET, UINT64_MAX - 30, 64, 4, TV, EFI_ACCESS_DENIED); }

static int r_set_empty_name(struct cf *cf)
{
	struct cf_raw r;
	cf_raw_init(&r, SET, SMM_VARIABLE_ACCESS_NAME_OFFSET + 2 + 4);
	cf_raw_access(&r, &cf_vendor1, 4, 2, A_BS, "", cf_data10, 4);
	return send_expect(cf, &r, EFI_INVALID_PARAMETER);
}

static int r_set_no_copy_back(struct cf *cf)
{
	struct cf_raw r;
	cf_raw_init(&r, SET, SMM_VARIABLE_ACCESS_NAME_OFFSET + TV_NS + 10);
	cf_raw_access(&r, &cf_vendor1, 10, TV_NS, A_BS | A_RT, TV, cf_data10, 10);
	int rc = cf_raw_send(cf, &r);
	if (rc == CF_PASS)
		rc = cf_raw_expect(cf, &r, EFI_SUCCESS);
	if (rc == CF_PASS && memcmp(cf_raw_answer_payload(&r), cf_raw_payload(&r), r.len - MM_VARIABLE_PAYLOAD_OFFSET) != 0)
		rc = cf_fail(cf, "SET changed its payload in the answer");
	cf_raw_clear(&r);
	return rc == CF_PASS ? cf_check_var(cf, TV, &cf_vendor1, A_BS | A_RT, cf_data10, 10) : rc;
}

static int r_name_odd_with_nul(struct cf *cf)
{
	/* NameSize 27: the CHAR16 at index 27/2-1 = 12 is the NUL, so edk2 accepts it. */
	struct cf_raw r;
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_BS | A_RT, cf_data10, 10));
	cf_raw_init(&r, GET, SMM_VARIABLE_ACCESS_NAME_OFFSET + TV_NS + 1 + 16);
	cf_raw_access(&r, &cf_vendor1, 16, TV_NS + 1, 0, TV, NULL, 0);
	int rc = cf_raw_send(cf, &r);
	if (rc == CF_PASS)
		rc = cf_raw_expect(cf, &r, EFI_SUCCESS);
	if (rc == CF_PASS &&
	    memcmp(cf_raw_answer_payload(&r) + SMM_VARIABLE_ACCESS_NAME_OFFSET + TV_NS + 1, cf_data10, 10) != 0)
		rc = cf_fail(cf, "data not at 36 + NameSize (27)");
	cf_raw_clear(&r);
	return rc;
}

/* ---- GET_NEXT sizes ----------------------------------------------------------------------- */

static int getnext_case(struct cf *cf, uint64_t ns, bool spoil_tail, efi_status_t want)
{
	struct cf_raw r;
	CF_SETUP(cf_set(cf, TV, &cf_vendor1, A_BS, cf_data10, 10));
	cf_raw_init(&r, SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME, SMM_VARIABLE_GET_NEXT_NAME_OFFSET + 64);
	cf_raw_get_next(&r, &cf_vendor1, ns, "");
	if (spoil_tail)
		put_le16(cf_raw_payload(&r) + r.len - MM_VARIABLE_PAYLOAD_OFFSET - 2, 'x');
	return send_expect(cf, &r, want);
}
static int r_gn_ns_max(struct cf *cf) { return getnext_case(cf, UINT64_MAX, false, EFI_ACCESS_DENIED); }
static int r_gn_ns_beyond(struct cf *cf) { return getnext_case(cf, 66, false, EFI_ACCESS_DENIED); }
static int r_gn_tail(struct cf *cf) { return getnext_case(cf, 64, true, EFI_ACCESS_DENIED); }
static int r_gn_ns0(struct cf *cf) { return getnext_case(cf, 0, false, EFI_INVALID_PARAMETER); }
static int r_gn_ns_odd(struct cf *cf) { return getnext_case(cf, 1, false, EFI_INVALID_PARAMETER); }

/* ---- PROPERTY_GET sizes ------------------------------------------------------------------ */

static int propget_case(struct cf *cf, uint64_t ns, const char *name, efi_status_t want)
{
	struct cf_raw r;
	size_t psize = SMM_VARIABLE_VAR_CHECK_PROPERTY_NAME_OFFSET + 32;
	cf_raw_init(&r, SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET, psize);
	uint8_t *p = cf_raw_payload(&r);
	memcpy(p + offsetof(struct smm_variable_var_check_property, guid), cf_guid_own.b,
	       sizeof(cf_guid_own.b));
	put_le64(p + offsetof(struct smm_variable_var_check_property, name_size), ns);
	for (size_t i = 0; name[i]; i++)
		p[SMM_VARIABLE_VAR_CHECK_PROPERTY_NAME_OFFSET + 2 * i] = (uint8_t)name[i];
	return send_expect(cf, &r, want);
}
static int r_pg_ns_max(struct cf *cf) { return propget_case(cf, UINT64_MAX, "NoProp", EFI_ACCESS_DENIED); }
static int r_pg_ns_beyond(struct cf *cf) { return propget_case(cf, 34, "NoProp", EFI_ACCESS_DENIED); }
static int r_pg_no_nul(struct cf *cf) { return propget_case(cf, 12, "NoProp", EFI_ACCESS_DENIED); }
static int r_pg_ns0(struct cf *cf) { return propget_case(cf, 0, "NoProp", EFI_ACCESS_DENIED); }
static int r_pg_empty(struct cf *cf) { return propget_case(cf, 2, "", EFI_INVALID_PARAMETER); }
static int r_pg_absent(struct cf *cf) { return propget_case(cf, 14, "NoProp", EFI_NOT_FOUND); }

static const struct cf_case raw_cases[] = {
	{ "raw-malformed.mm-too-short", CF_RAW, "edk2 StandaloneMm ValidateMmCommBufferAddr: buffer below the 24-byte header -> MM DENIED (-3)", r_too_short, NULL },
	{ "raw-malformed.message-length-over", CF_RAW, "edk2 StandaloneMm: MessageLength + 24 beyond the buffer -> MM DENIED (-3)", r_msglen_over, NULL },
	{ "raw-malformed.message-length-max", CF_RAW, "edk2 StandaloneMm: MessageLength SIZE_MAX -> MM DENIED (-3), no overflow", r_msglen_max, NULL },
	{ "raw-malformed.message-length-under-header", CF_RAW, "edk2 SmmVariableHandler: MessageLength < 16 -> dropped silently, ReturnStatus untouched", r_msglen_under_header, NULL },
	{ "raw-malformed.message-length-below-fixed", CF_RAW, "edk2 SmmVariableHandler: MessageLength giving a GET payload below 36 in a larger buffer -> dropped", r_msglen_below_fixed, NULL },
	{ "raw-malformed.message-length-shorter", CF_RAW, "edk2 StandaloneMm: MessageLength smaller than the memref is what counts (GET_PAYLOAD_SIZE answered)", r_msglen_shorter_ok, NULL },
	{ "raw-malformed.payload-over-budget", CF_RAW, "edk2 SmmVariableHandler: payload > mVariableBufferPayloadSize (10229) -> dropped silently", r_payload_over, NULL },
	{ "raw-malformed.payload-at-budget", CF_RAW, "edk2 SmmVariableHandler: payload == mVariableBufferPayloadSize is handled (EFI_NOT_FOUND)", r_payload_at, NULL },
	{ "raw-malformed.unknown-header-guid", CF_RAW, "edk2 MmiManage: no handler for the HeaderGuid -> MM success, buffer untouched", r_unknown_guid, NULL },
	{ "raw-malformed.unknown-function", CF_RAW, "edk2 SmmVariableHandler default: functions 0, 0x99, 2^63+1 -> EFI_UNSUPPORTED", r_unknown_function, NULL },
	{ "raw-malformed.get-below-fixed", CF_RAW, "edk2 SmmVariableHandler: GET payload 35 < OFFSET_OF(Name) -> dropped", r_get_short, NULL },
	{ "raw-malformed.set-below-fixed", CF_RAW, "edk2 SmmVariableHandler: SET payload 35 < OFFSET_OF(Name) -> dropped", r_set_short, NULL },
	{ "raw-malformed.getnext-below-fixed", CF_RAW, "edk2 SmmVariableHandler: GET_NEXT payload 23 < 24 -> dropped", r_getnext_short, NULL },
	{ "raw-malformed.query-below-fixed", CF_RAW, "edk2 SmmVariableHandler: QUERY payload 31 < 32 -> dropped", r_query_short, NULL },
	{ "raw-malformed.payload-size-below-fixed", CF_RAW, "edk2 SmmVariableHandler: GET_PAYLOAD_SIZE payload 7 < 8 -> dropped", r_payload_short, NULL },
	{ "raw-malformed.property-get-below-fixed", CF_RAW, "edk2 SmmVariableHandler: PROPERTY_GET payload 47 < 48 -> dropped", r_propget_short, NULL },
	{ "raw-malformed.get-name-size-0", CF_RAW, "edk2 SmmVariableHandler / TS attack tests: GET NameSize 0 -> EFI_ACCESS_DENIED", r_get_ns0, NULL },
	{ "raw-malformed.get-name-size-odd", CF_RAW, "edk2 SmmVariableHandler: GET NameSize 25 (CHAR16 at 11 not NUL) -> EFI_ACCESS_DENIED", r_get_ns_odd, NULL },
	{ "raw-malformed.get-name-size-max", CF_RAW, "TS SmmVariableAttackTests: GET NameSize SIZE_MAX -> EFI_ACCESS_DENIED (edk2 overflow check)", r_get_ns_max, NULL },
	{ "raw-malformed.get-name-size-beyond", CF_RAW, "TS SmmVariableAttackTests: GET NameSize beyond the payload -> EFI_ACCESS_DENIED", r_get_ns_beyond, NULL },
	{ "raw-malformed.get-no-nul", CF_RAW, "edk2 SmmVariableHandler: GET name not NUL-terminated within NameSize -> EFI_ACCESS_DENIED", r_get_no_nul, NULL },
	{ "raw-malformed.get-data-size-max", CF_RAW, "TS SmmVariableAttackTests: GET DataSize SIZE_MAX -> EFI_ACCESS_DENIED", r_get_ds_max, NULL },
	{ "raw-malformed.get-data-size-beyond", CF_RAW, "edk2 SmmVariableHandler: 36 + DataSize + NameSize beyond the payload -> EFI_ACCESS_DENIED", r_get_ds_beyond, NULL },
	{ "raw-malformed.get-sizes-wrap", CF_RAW, "edk2 SmmVariableHandler: DataSize + NameSize wrapping around -> EFI_ACCESS_DENIED", r_get_both_max, NULL },
	{ "raw-malformed.set-name-size-0", CF_RAW, "edk2 SmmVariableHandler / TS attack tests: SET NameSize 0 -> EFI_ACCESS_DENIED, nothing changed", r_set_ns0, NULL },
	{ "raw-malformed.set-name-size-odd", CF_RAW, "edk2 SmmVariableHandler: SET NameSize 25 (no NUL at its last CHAR16) -> EFI_ACCESS_DENIED", r_set_ns_odd, NULL },
	{ "raw-malformed.set-name-size-max", CF_RAW, "TS SmmVariableAttackTests: SET NameSize SIZE_MAX -> EFI_ACCESS_DENIED", r_set_ns_max, NULL },
	{ "raw-malformed.set-no-nul", CF_RAW, "edk2 SmmVariableHandler: SET name without NUL -> EFI_ACCESS_DENIED", r_set_no_nul, NULL },
	{ "raw-malformed.set-data-size-max", CF_RAW, "TS SmmVariableAttackTests: SET DataSize SIZE_MAX -> EFI_ACCESS_DENIED", r_set_ds_max, NULL },
	{ "raw-malformed.set-data-size-beyond", CF_RAW, "TS provider / edk2: SET DataSize beyond the payload -> EFI_ACCESS_DENIED", r_set_ds_beyond, NULL },
	{ "raw-malformed.set-sizes-wrap", CF_RAW, "edk2 SmmVariableHandler: SET InfoSize overflow -> EFI_ACCESS_DENIED", r_set_ds_wrap, NULL },
	{ "raw-malformed.set-empty-name", CF_RAW, "edk2 VariableServiceSetVariable: NameSize 2 (L\"\") -> EFI_INVALID_PARAMETER", r_set_empty_name, NULL },
	{ "raw-malformed.set-no-copy-back", CF_RAW, "edk2 SmmVariableHandler SET: nothing is copied back into the payload", r_set_no_copy_back, NULL },
	{ "raw-malformed.odd-name-size-with-nul", CF_RAW, "edk2 SmmVariableHandler: NameSize 27 with the NUL at CHAR16 12 is accepted; data at 36 + 27", r_name_odd_with_nul, NULL },
	{ "raw-malformed.getnext-name-size-max", CF_RAW, "TS SmmVariableAttackTests: GET_NEXT NameSize SIZE_MAX -> EFI_ACCESS_DENIED", r_gn_ns_max, NULL },
	{ "raw-malformed.getnext-name-size-beyond", CF_RAW, "edk2 SmmVariableHandler: GET_NEXT 24 + NameSize beyond the payload -> EFI_ACCESS_DENIED", r_gn_ns_beyond, NULL },
	{ "raw-malformed.getnext-area-not-terminated", CF_RAW, "edk2 SmmVariableHandler: GET_NEXT name area not ending in a NUL CHAR16 -> EFI_ACCESS_DENIED", r_gn_tail, NULL },
	{ "raw-malformed.getnext-name-size-0", CF_RAW, "edk2 VariableServiceGetNextVariableName: NameSize 0 -> EFI_INVALID_PARAMETER", r_gn_ns0, NULL },
	{ "raw-malformed.getnext-name-size-1", CF_RAW, "edk2 VariableServiceGetNextVariableName: NameSize 1 (no whole CHAR16) -> EFI_INVALID_PARAMETER", r_gn_ns_odd, NULL },
	{ "raw-malformed.property-get-name-size-max", CF_RAW, "TS SmmVariableAttackTests: PROPERTY_GET NameSize SIZE_MAX -> EFI_ACCESS_DENIED", r_pg_ns_max, NULL },
	{ "raw-malformed.property-get-name-size-beyond", CF_RAW, "edk2 SmmVariableHandler: PROPERTY_GET 48 + NameSize beyond the payload -> EFI_ACCESS_DENIED", r_pg_ns_beyond, NULL },
	{ "raw-malformed.property-get-no-nul", CF_RAW, "edk2 SmmVariableHandler: PROPERTY_GET name without NUL -> EFI_ACCESS_DENIED", r_pg_no_nul, NULL },
	{ "raw-malformed.property-get-name-size-0", CF_RAW, "edk2 SmmVariableHandler: PROPERTY_GET NameSize 0 -> EFI_ACCESS_DENIED", r_pg_ns0, NULL },
	{ "raw-malformed.property-get-empty-name", CF_RAW, "edk2 VarCheckVariablePropertyGet: empty name -> EFI_INVALID_PARAMETER", r_pg_empty, NULL },
	{ "raw-malformed.property-get-absent", CF_RAW, "edk2 VarCheckVariablePropertyGet: no property -> EFI_NOT_FOUND", r_pg_absent, NULL },
};
CF_GROUP(cf_group_raw_malformed, "raw-malformed", "malformed MM buffers", 0, raw_cases);
