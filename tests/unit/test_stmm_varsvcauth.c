/* SPDX-License-Identifier: MIT */
/*
 * The variable service with AuthVariableLib hooked in (varsvc_auth.c): MM buffers built
 * byte by byte over an in-memory NV store, exact ReturnStatus values.  The policy itself
 * (signatures, who signs what) is tested in test_stmm_authvar.c with efitools payloads;
 * here: the descriptor pre-check and the size limits in edk2's order, AW refused, the mode
 * variables at boot (and nothing rewritten at the next boot), PK enrolment switching the
 * mode through the real stores, QueryVariableInfo with AT, the VarCheck properties, quirk
 * names.
 */
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

#include "efi_auth.h"
#include "test_stmm_mm.h"
#include "varsvc_auth.h"

#define NV_BS_RT_AT 0x27u
#define AW          0x10u

static const efi_guid_t guid_certdb = EFI_CERT_DB_GUID;

/* The fixture's store and service, AuthVariableLib hooked in. */
static void fx_open_auth(struct fx *f, bool quirk)
{
	struct authvar_config acfg = { .user_physical_presence = quirk, .policy_engine = !quirk };

	fx_open(f);
	assert_int_equal(varsvc_enable_auth(f->svc, &acfg), 0);
}

static int setup(void **state)
{
	struct fx *f = fx_new();

	fx_open_auth(f, false);
	*state = f;
	return 0;
}

/* GetVariable with 4096 bytes of room; *ret_u8 = the first data byte. */
static uint64_t get_var_u8(struct fx *f, const efi_guid_t *g, const char *name,
			   uint64_t *ret_size, uint8_t *ret_u8)
{
	uint64_t st = get_var(f, g, name, 4096);

	if (ret_size)
		*ret_size = REPLY_DATA_SIZE(f->buf);
	if (ret_u8)
		*ret_u8 = *REPLY_DATA(f->buf, name);
	return st;
}

/* An EFI_VARIABLE_AUTHENTICATION_2 with `cert_size` zero bytes of "signature". */
static GByteArray *descriptor(uint16_t year, uint32_t cert_size, const void *payload,
			      size_t payload_size)
{
	GByteArray *a = g_byte_array_new();
	uint8_t d[40] = { 0 };
	const efi_guid_t p7 = EFI_CERT_TYPE_PKCS7_GUID;

	put_le16(d, year);
	d[2] = 1;
	d[3] = 1;
	put_le32(d + 16, 24 + cert_size);
	put_le16(d + 20, WIN_CERT_REVISION);
	put_le16(d + 22, WIN_CERT_TYPE_EFI_GUID);
	memcpy(d + 24, p7.b, 16);
	g_byte_array_append(a, d, sizeof(d));
	g_byte_array_set_size(a, 40 + cert_size);
	memset(a->data + 40, 0, cert_size);
	if (payload_size)
		g_byte_array_append(a, payload, (guint)payload_size);
	return a;
}

/* An EFI_SIGNATURE_LIST holding one X.509 certificate from fixtures/keys. */
static GByteArray *x509_esl(const char *key)
{
	const char *dir = getenv("STMM_EMU_KEYS") ? getenv("STMM_EMU_KEYS") : "fixtures/keys";
	g_autofree char *path = g_strdup_printf("%s/%s.der", dir, key);
	g_autofree char *der = NULL;
	gsize len;
	const efi_guid_t x509 = EFI_CERT_X509_GUID;
	uint8_t h[28 + 16] = { 0 };

	assert_true(g_file_get_contents(path, &der, &len, NULL));
	memcpy(h, x509.b, 16);
	put_le32(h + 16, (uint32_t)(28 + 16 + len));
	put_le32(h + 20, 0);
	put_le32(h + 24, (uint32_t)(16 + len));
	memset(h + 28, 0x11, 16); /* SignatureOwner */
	GByteArray *a = g_byte_array_new();
	g_byte_array_append(a, h, sizeof(h));
	g_byte_array_append(a, (const uint8_t *)der, (guint)len);
	return a;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void varsvcauth_enable_creates_mode_variables(void **state)
{
	struct fx *f = *state;
	uint64_t size;
	uint8_t v;

	assert_int_equal(get_var_u8(f, &guid_g, "SetupMode", &size, &v), EFI_SUCCESS);
	assert_int_equal(size, 1);
	assert_int_equal(v, 1);
	assert_int_equal(get_var_u8(f, &guid_g, "SecureBoot", &size, &v), EFI_SUCCESS);
	assert_int_equal(v, 0);
	assert_int_equal(get_var_u8(f, &guid_g, "SignatureSupport", &size, NULL), EFI_SUCCESS);
	assert_int_equal(size, 6 * 16);
	assert_int_equal(get_var_u8(f, &guid_certdb, "certdb", &size, NULL), EFI_SUCCESS);
	assert_int_equal(get_le32(f->buf + O_P + 32), NV_BS_RT_AT);
	assert_int_equal(size, 4);
	assert_non_null(store_find(f->store, &guid_certdb, (const uint8_t *)"c\0e\0r\0t\0d\0b\0\0", 14));

	struct varsvc_auth_status st;
	varsvc_auth_get_status(varsvc_get_auth(f->svc), &st);
	assert_true(st.setup_mode);
	assert_false(st.secure_boot);
	assert_false(st.quirk_optee_stmm);
	/* Once per service. */
	assert_int_equal(varsvc_enable_auth(f->svc, NULL), -EINVAL);
}

static void varsvcauth_reboot_writes_nothing(void **state)
{
	struct fx *f = *state;
	struct store_stats a, b;

	store_get_stats(f->store, &a);
	fx_close(f);
	membackend_reset_counts(f->m);
	fx_open_auth(f, false);
	store_get_stats(f->store, &b);
	assert_int_equal(a.region_offset, b.region_offset);
	assert_int_equal(a.live_variables, b.live_variables);
}

static void varsvcauth_set_descriptor_precheck(void **state)
{
	struct fx *f = *state;
	g_autoptr(GByteArray) d = descriptor(2025, 0, NULL, 0);

	/* DataSize < 40 */
	assert_int_equal(set_var(f, &guid_v, "AuthV", NV_BS_RT_AT, d->data, 39),
			 EFI_SECURITY_VIOLATION);
	/* dwLength < 24 */
	put_le32(d->data + 16, 23);
	assert_int_equal(set_var(f, &guid_v, "AuthV", NV_BS_RT_AT, d->data, d->len),
			 EFI_SECURITY_VIOLATION);
	/* dwLength beyond the data */
	put_le32(d->data + 16, 25);
	assert_int_equal(set_var(f, &guid_v, "AuthV", NV_BS_RT_AT, d->data, d->len),
			 EFI_SECURITY_VIOLATION);
	/* Well-formed but unsigned: the policy refuses it. */
	put_le32(d->data + 16, 24);
	assert_int_equal(set_var(f, &guid_v, "AuthV", NV_BS_RT_AT, d->data, d->len),
			 EFI_SECURITY_VIOLATION);
}

static void varsvcauth_set_aw_unsupported(void **state)
{
	struct fx *f = *state;
	uint8_t data[560] = { 0 };

	assert_int_equal(set_var(f, &guid_v, "V", NV_BS_RT_AT | AW, data, sizeof(data)),
			 EFI_UNSUPPORTED);
	assert_int_equal(set_var(f, &guid_v, "V", NV_BS_RT | AW, data, 100), EFI_UNSUPPORTED);
	assert_int_equal(set_var(f, &guid_v, "V", NV_BS_RT | AW, data, sizeof(data)),
			 EFI_UNSUPPORTED);
}

/*
 * The AT size limit counts the payload, not the descriptor: MaxAuthVariableSize - 60 - name.
 * (With the defaults the MM payload budget is hit first: MaxAuthVariableSize 0x1000 here.)
 */
static void varsvcauth_set_size_limit_counts_payload(void **state)
{
	struct fx *f = *state;
	const size_t name = 2 * 5 + 2; /* "AuthV" */
	const size_t limit = 0x1000 - 60 - name;
	g_autofree uint8_t *big = g_malloc0(limit + 1);
	struct varsvc_config cfg;

	varsvc_free(f->svc);
	varsvc_config_defaults(&cfg);
	cfg.max_auth_variable_size = 0x1000;
	assert_int_equal(varsvc_new(&cfg, f->store, &f->svc), 0);
	assert_int_equal(varsvc_enable_auth(f->svc, NULL), 0);

	/* A large signature, a small payload: past the size check, refused by the policy. */
	g_autoptr(GByteArray) sig = descriptor(2025, 6000, "x", 1);
	assert_int_equal(set_var(f, &guid_v, "AuthV", NV_BS_RT_AT, sig->data, sig->len),
			 EFI_SECURITY_VIOLATION);
	g_autoptr(GByteArray) over = descriptor(2025, 0, big, limit + 1);
	assert_int_equal(set_var(f, &guid_v, "AuthV", NV_BS_RT_AT, over->data, over->len),
			 EFI_INVALID_PARAMETER);
	g_autoptr(GByteArray) at = descriptor(2025, 0, big, limit);
	assert_int_equal(set_var(f, &guid_v, "AuthV", NV_BS_RT_AT, at->data, at->len),
			 EFI_SECURITY_VIOLATION);
}

static void varsvcauth_set_existing_at_variable(void **state)
{
	struct fx *f = *state;
	uint8_t one = 1;

	/* attributes 0 on an authenticated variable: only a signed write may delete it */
	assert_int_equal(set_var(f, &guid_certdb, "certdb", 0, NULL, 0), EFI_WRITE_PROTECTED);
	/* other attributes: edk2's mismatch check comes first */
	assert_int_equal(set_var(f, &guid_certdb, "certdb", NV_BS_RT, &one, 1),
			 EFI_INVALID_PARAMETER);
	/* Secure Boot keys need NV and AT */
	assert_int_equal(set_var(f, &guid_g, "PK", NV_BS_RT, &one, 1), EFI_INVALID_PARAMETER);
	/* A plain variable is still plain. */
	assert_int_equal(set_var(f, &guid_v, "Plain", NV_BS_RT, &one, 1), EFI_SUCCESS);
}

static void varsvcauth_pk_enrol_switches_mode(void **state)
{
	struct fx *f = *state;
	g_autoptr(GByteArray) esl = x509_esl("PK");
	g_autoptr(GByteArray) pk = descriptor(2025, 0, esl->data, esl->len);
	uint64_t size;
	uint8_t v;

	/* Setup mode: no signature needed, only the signature-list format. */
	assert_int_equal(set_var(f, &guid_g, "PK", NV_BS_RT_AT, pk->data, pk->len), EFI_SUCCESS);
	assert_int_equal(get_var_u8(f, &guid_g, "PK", &size, NULL), EFI_SUCCESS);
	assert_int_equal(size, esl->len); /* the descriptor is not stored */
	assert_memory_equal(f->buf + O_P + 36 + 6, esl->data, esl->len);
	assert_int_equal(get_var_u8(f, &guid_g, "SetupMode", NULL, &v), EFI_SUCCESS);
	assert_int_equal(v, 0);
	assert_int_equal(get_var_u8(f, &guid_g, "SecureBoot", NULL, &v), EFI_SUCCESS);
	assert_int_equal(v, 1);

	/* The mode is recomputed from the NV store at the next boot. */
	fx_close(f);
	fx_open_auth(f, false);
	struct varsvc_auth_status st;
	varsvc_auth_get_status(varsvc_get_auth(f->svc), &st);
	assert_false(st.setup_mode);
	assert_true(st.secure_boot);
	/* User mode: an unsigned PK update is refused. */
	g_autoptr(GByteArray) again = descriptor(2026, 0, esl->data, esl->len);
	assert_int_equal(set_var(f, &guid_g, "PK", NV_BS_RT_AT, again->data, again->len),
			 EFI_SECURITY_VIOLATION);
}

static void varsvcauth_quirk_unsigned_delete(void **state)
{
	struct fx *f = *state;
	g_autoptr(GByteArray) del = descriptor(2030, 0, NULL, 0);

	/* certdb exists; spec-strict it cannot be deleted unsigned, with the quirk it can. */
	assert_int_equal(set_var(f, &guid_certdb, "certdb", NV_BS_RT_AT, del->data, del->len),
			 EFI_SECURITY_VIOLATION);
	fx_close(f);
	fx_open_auth(f, true);
	struct varsvc_auth_status st;
	varsvc_auth_get_status(varsvc_get_auth(f->svc), &st);
	assert_true(st.quirk_optee_stmm);
	assert_int_equal(set_var(f, &guid_certdb, "certdb", NV_BS_RT_AT, del->data, del->len),
			 EFI_SUCCESS);
	assert_int_equal(get_var_u8(f, &guid_certdb, "certdb", NULL, NULL), EFI_NOT_FOUND);
}

static void varsvcauth_query_at_answered(void **state)
{
	struct fx *f = *state;
	size_t n = hdr(f->buf, SMM_VARIABLE_FUNCTION_QUERY_VARIABLE_INFO, 32);

	put_le32(f->buf + O_P + 24, NV_BS_RT_AT);
	assert_int_equal(varsvc_communicate(f->svc, f->buf, n), ARM_SPM_MM_RET_SUCCESS);
	assert_int_equal(get_le64(f->buf + O_STATUS), EFI_SUCCESS);
	assert_int_equal(get_le64(f->buf + O_P + 16), 0x2800 - 60); /* MaximumVariableSize */
	n = hdr(f->buf, SMM_VARIABLE_FUNCTION_QUERY_VARIABLE_INFO, 32);
	put_le32(f->buf + O_P + 24, NV_BS_RT | AW);
	assert_int_equal(varsvc_communicate(f->svc, f->buf, n), ARM_SPM_MM_RET_SUCCESS);
	assert_int_equal(get_le64(f->buf + O_STATUS), EFI_UNSUPPORTED);
}

static uint64_t property_get(struct fx *f, const efi_guid_t *g, const char *name)
{
	size_t nl = strlen(name), ns = 2 * nl + 2;
	size_t n = hdr(f->buf, SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET, 48 + ns);
	memcpy(f->buf + O_P, g->b, 16);
	put_le64(f->buf + O_P + 16, ns);
	for (size_t i = 0; i < nl; i++)
		f->buf[O_P + 48 + 2 * i] = (uint8_t)name[i];
	assert_int_equal(varsvc_communicate(f->svc, f->buf, n), ARM_SPM_MM_RET_SUCCESS);
	return get_le64(f->buf + O_STATUS);
}

static void varsvcauth_property_get(void **state)
{
	struct fx *f = *state;
	const efi_guid_t custom = EFI_CUSTOM_MODE_ENABLE_GUID;

	assert_int_equal(property_get(f, &guid_certdb, "certdb"), EFI_SUCCESS);
	assert_int_equal(get_le16(f->buf + O_P + 24), VAR_CHECK_VARIABLE_PROPERTY_REVISION);
	assert_int_equal(get_le16(f->buf + O_P + 26), VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY);
	assert_int_equal(get_le32(f->buf + O_P + 28), NV_BS_RT_AT);
	assert_int_equal(get_le64(f->buf + O_P + 32), 4);
	assert_int_equal(property_get(f, &custom, "CustomMode"), EFI_SUCCESS);
	assert_int_equal(get_le16(f->buf + O_P + 26), 0);
	assert_int_equal(get_le64(f->buf + O_P + 32), 1);
	assert_int_equal(get_le64(f->buf + O_P + 40), 1);
	/* SetupMode's property is VarCheckUefiLib's (linked in the default profile). */
	assert_int_equal(property_get(f, &guid_g, "SetupMode"), EFI_SUCCESS);
	assert_int_equal(get_le16(f->buf + O_P + 26), VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY);
	assert_int_equal(property_get(f, &guid_g, "NotAUefiName"), EFI_NOT_FOUND);
	assert_int_equal(property_get(f, &guid_v, "certdb"), EFI_NOT_FOUND);
}

static void varsvcauth_parse_quirks(void **state)
{
	(void)state;
	struct authvar_config cfg = { 0 };
	char *bad = NULL;

	assert_int_equal(varsvc_auth_parse_quirks(" optee-stmm ,", &cfg, &bad), 0);
	assert_true(cfg.user_physical_presence);
	cfg.user_physical_presence = false;
	assert_int_equal(varsvc_auth_parse_quirks("optee-stmm,nope", &cfg, &bad), -EINVAL);
	assert_string_equal(bad, "nope");
	g_free(bad);
	assert_int_equal(varsvc_auth_parse_quirks("", &cfg, NULL), 0);
	assert_int_equal(varsvc_auth_parse_quirks(NULL, &cfg, NULL), -EINVAL);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(varsvcauth_enable_creates_mode_variables),
		T(varsvcauth_reboot_writes_nothing),
		T(varsvcauth_set_descriptor_precheck),
		T(varsvcauth_set_aw_unsupported),
		T(varsvcauth_set_size_limit_counts_payload),
		T(varsvcauth_set_existing_at_variable),
		T(varsvcauth_pk_enrol_switches_mode),
		T(varsvcauth_quirk_unsigned_delete),
		T(varsvcauth_query_at_answered),
		T(varsvcauth_property_get),
		cmocka_unit_test(varsvcauth_parse_quirks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
