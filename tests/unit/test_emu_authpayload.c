/* SPDX-License-Identifier: MIT */
/*
 * emu/conform/authpayload against efitools and the openssl CLI, independent of stmm/mm/auth.c:
 *   - the signed bytes and the descriptor, byte by byte from the layout
 *     (mm-variable-protocol.md §3.1, §3.2);
 *   - an EFI_SIGNATURE_LIST equal to cert-to-efi-sig-list's;
 *   - a whole payload equal to sign-efi-sig-list's with the same -t timestamp (bare
 *     SignedData; RSA PKCS#1 v1.5 is deterministic, so even the signature matches), for PK,
 *     db, a private variable and an APPEND;
 *   - our ContentInfo PKCS#7 verified by `openssl cms -verify` over the signed bytes (and
 *     refused for one flipped byte of content), for SHA-256 and SHA-384.
 * Tests that need efitools or openssl are skipped when the tool is not installed (with the
 * reason printed), and fail when the CI environment variable is set.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "authpayload.h"
#include "bytes.h"
#include "efi.h"
#include "efi_auth.h"
#include "test_skip.h"

static const efi_guid_t owner =
	EFI_GUID_INIT(0x11111111, 0x2222, 0x3333, 0x44, 0x44, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55);
static const efi_guid_t priv_guid =
	EFI_GUID_INIT(0x15edf297, 0xe832, 0x4d30, 0x82, 0x00, 0xa5, 0x25, 0xa9, 0x31, 0xe3, 0x3e);
#define PRIV_GUID_TEXT "15edf297-e832-4d30-8200-a525a931e33e"
#define OWNER_TEXT     "11111111-2222-3333-4444-555555555555"

#define AT_ATTRS                                                                            \
	(EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS |                       \
	 EFI_VARIABLE_RUNTIME_ACCESS | EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS)

struct fx {
	char *keys; /* fixtures/keys */
	char *tmp;  /* scratch directory */
};

static char *keys_dir(void)
{
	const char *env = g_getenv("STMM_EMU_KEYS");
	if (env && *env)
		return g_strdup(env);
	g_autofree char *here = g_path_get_dirname(__FILE__);
	return g_build_filename(here, "..", "..", "fixtures", "keys", NULL);
}

static int fx_setup(void **state)
{
	struct fx *f = g_new0(struct fx, 1);
	f->keys = keys_dir();
	f->tmp = g_dir_make_tmp("test-authpayload.XXXXXX", NULL);
	assert_non_null(f->tmp);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	GDir *d = g_dir_open(f->tmp, 0, NULL);
	const char *n;
	while (d && (n = g_dir_read_name(d))) {
		g_autofree char *p = g_build_filename(f->tmp, n, NULL);
		(void)g_unlink(p);
	}
	if (d)
		g_dir_close(d);
	(void)g_rmdir(f->tmp);
	g_free(f->keys);
	g_free(f->tmp);
	g_free(f);
	return 0;
}

static char *path_in(const char *dir, const char *name)
{
	return g_build_filename(dir, name, NULL);
}

static struct ap_signer *load(const struct fx *f, const char *who)
{
	g_autofree char *k = g_strdup_printf("%s/%s.key", f->keys, who);
	g_autofree char *c = g_strdup_printf("%s/%s.crt", f->keys, who);
	struct ap_signer *s = NULL;
	assert_int_equal(ap_signer_load(k, c, &s), 0);
	return s;
}

/* Run argv; true on exit status 0.  stderr is printed when `quiet` is false. */
static bool run_q(const char *const *argv, bool quiet)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *out = NULL, *errout = NULL;
	int status = 0;
	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &errout,
			  &status, &err)) {
		print_error("%s: %s\n", argv[0], err->message);
		return false;
	}
	if (!g_spawn_check_wait_status(status, NULL)) {
		if (!quiet)
			print_message("%s failed: %s\n", argv[0], errout ? errout : "");
		return false;
	}
	return true;
}

static bool run(const char *const *argv)
{
	return run_q(argv, false);
}

/* The size of the DER SEQUENCE at P (two-byte long form, as every PKCS#7 blob here has). */
static size_t der_seq_size(const uint8_t *p)
{
	assert_int_equal(p[0], 0x30);
	assert_int_equal(p[1], 0x82);
	return 4u + get_be16(p + 2);
}

static GBytes *slurp(const char *path)
{
	gchar *data = NULL;
	gsize len = 0;
	assert_true(g_file_get_contents(path, &data, &len, NULL));
	return g_bytes_new_take(data, len);
}

static void spit(const char *path, const void *data, size_t len)
{
	assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
}

static const uint8_t *ucs2(const char *ascii, size_t *ret_size)
{
	static uint8_t buf[128];
	size_t n = strlen(ascii);
	g_assert(2 * n + 2 <= sizeof(buf));
	memset(buf, 0, sizeof(buf));
	for (size_t i = 0; i < n; i++)
		buf[2 * i] = (uint8_t)ascii[i];
	*ret_size = 2 * n + 2;
	return buf;
}

/* ---- layout ----------------------------------------------------------------------------- */

static void ap_signed_bytes_layout(void **state)
{
	(void)state;
	static const efi_guid_t g = EFI_GLOBAL_VARIABLE_GUID;
	const uint8_t payload[3] = { 0xaa, 0xbb, 0xcc };
	size_t ns;
	const uint8_t *n = ucs2("KEK", &ns);
	struct ap_params p = { .name = n, .name_size = ns, .guid = &g,
			       .attributes = AT_ATTRS | EFI_VARIABLE_APPEND_WRITE,
			       .time_stamp = ap_time(2025, 1, 2, 3, 4, 5), .payload = payload,
			       .payload_size = sizeof(payload) };
	const uint8_t want[] = {
		'K', 0, 'E', 0, 'K', 0,                         /* no NUL */
		0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11, /* 8be4df61-93ca-11d2- */
		0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c, /* aa0d-00e098032b8c */
		0x67, 0x00, 0x00, 0x00,                         /* NV|BS|RT|AT|APPEND */
		0xe9, 0x07, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 2025-01-02 03:04:05 */
		0xaa, 0xbb, 0xcc,
	};
	g_autoptr(GByteArray) b = ap_signed_bytes(&p);
	assert_int_equal(b->len, sizeof(want));
	assert_memory_equal(b->data, want, sizeof(want));
}

static void ap_descriptor_layout(void **state)
{
	(void)state;
	const uint8_t p7[5] = { 0x30, 3, 1, 2, 3 };
	const uint8_t payload[2] = { 'h', 'i' };
	struct efi_time ts = ap_time(2030, 12, 31, 23, 59, 58);
	g_autoptr(GByteArray) d = ap_descriptor(&ts, p7, sizeof(p7), payload, sizeof(payload));
	const uint8_t want[] = {
		0xee, 0x07, 12, 31, 23, 59, 58, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		29, 0, 0, 0,  /* dwLength = 24 + 5 */
		0x00, 0x02,   /* wRevision 0x0200 */
		0xf1, 0x0e,   /* WIN_CERT_TYPE_EFI_GUID */
		0x9d, 0xd2, 0xaf, 0x4a, 0xdf, 0x68, 0xee, 0x49, /* EFI_CERT_TYPE_PKCS7_GUID */
		0x8a, 0xa9, 0x34, 0x7d, 0x37, 0x56, 0x65, 0xa7,
		0x30, 3, 1, 2, 3,
		'h', 'i',
	};
	assert_int_equal(d->len, sizeof(want));
	assert_memory_equal(d->data, want, sizeof(want));
	assert_int_equal(ap_p7_size(d->data, d->len), 5);
	assert_int_equal(ap_p7_size(d->data, 39), 0);
}

static void ap_signer_load_missing_and_mismatched(void **state)
{
	struct fx *f = *state;
	struct ap_signer *s = NULL;
	g_autofree char *k = g_strdup_printf("%s/PK.key", f->keys);
	g_autofree char *c = g_strdup_printf("%s/KEK.crt", f->keys);
	g_autofree char *none = g_strdup_printf("%s/none.key", f->keys);
	assert_int_equal(ap_signer_load(none, c, &s), -ENOENT);
	assert_int_equal(ap_signer_load(k, c, &s), -EINVAL);
	assert_null(s);
	ap_signer_free(NULL);
}

/* ---- against efitools ---------------------------------------------------------------------- */

static void ap_x509_esl_matches_cert_to_efi_sig_list(void **state)
{
	struct fx *f = *state;
	test_tool_or_skip("cert-to-efi-sig-list", "efitools");
	g_autofree char *crt = g_strdup_printf("%s/db.crt", f->keys);
	g_autofree char *out = path_in(f->tmp, "db.esl");
	const char *argv[] = { "cert-to-efi-sig-list", "-g", OWNER_TEXT, crt, out, NULL };
	assert_true(run(argv));
	g_autoptr(GBytes) want = slurp(out);
	g_autoptr(ap_signer) s = load(f, "db");
	g_autoptr(GBytes) der = ap_signer_cert_der(s);
	g_autoptr(GByteArray) esl =
		ap_x509_esl(g_bytes_get_data(der, NULL), g_bytes_get_size(der), &owner);
	assert_int_equal(esl->len, g_bytes_get_size(want));
	assert_memory_equal(esl->data, g_bytes_get_data(want, NULL), esl->len);
	assert_int_equal(get_le32(esl->data + 16), esl->len);
	assert_int_equal(get_le32(esl->data + 24), 16 + g_bytes_get_size(der));
}

/*
 * sign-efi-sig-list VAR over `payload` with -t `ts_text` (and -g / -a), then the same in C
 * (bare SignedData, efitools' form): descriptor fields, payload and the PKCS#7 blob compared.
 */
static void cross_check(struct fx *f, const char *who, const char *var, const efi_guid_t *guid,
			const char *guid_text, bool append, const uint8_t *payload,
			size_t payload_size)
{
	test_tool_or_skip("sign-efi-sig-list", "efitools");
	g_autofree char *key = g_strdup_printf("%s/%s.key", f->keys, who);
	g_autofree char *crt = g_strdup_printf("%s/%s.crt", f->keys, who);
	g_autofree char *in = path_in(f->tmp, "in.bin");
	g_autofree char *out = path_in(f->tmp, "out.auth");
	spit(in, payload, payload_size);
	const char *argv[16];
	size_t i = 0;
	argv[i++] = "sign-efi-sig-list";
	if (append)
		argv[i++] = "-a";
	if (guid_text) {
		argv[i++] = "-g";
		argv[i++] = guid_text;
	}
	argv[i++] = "-t";
	argv[i++] = "2025-01-02 03:04:05";
	argv[i++] = "-k";
	argv[i++] = key;
	argv[i++] = "-c";
	argv[i++] = crt;
	argv[i++] = var;
	argv[i++] = in;
	argv[i++] = out;
	argv[i] = NULL;
	assert_true(run(argv));
	g_autoptr(GBytes) ref_b = slurp(out);
	const uint8_t *ref = g_bytes_get_data(ref_b, NULL);
	size_t ref_len = g_bytes_get_size(ref_b);

	g_autoptr(ap_signer) s = load(f, who);
	size_t ns;
	const uint8_t *n = ucs2(var, &ns);
	struct ap_params p = {
		.name = n, .name_size = ns, .guid = guid,
		.attributes = AT_ATTRS | (append ? EFI_VARIABLE_APPEND_WRITE : 0),
		.time_stamp = ap_time(2025, 1, 2, 3, 4, 5), .payload = payload,
		.payload_size = payload_size, .signer = s, .form = AP_FORM_SIGNED_DATA,
	};
	g_autoptr(GByteArray) ours = NULL;
	assert_int_equal(ap_build(&p, &ours), 0);

	/* Descriptor: timestamp, wRevision, wCertificateType, CertType. */
	assert_true(ref_len >= AP_P7_OFFSET + 4);
	assert_memory_equal(ours->data, ref, 16);
	assert_memory_equal(ours->data + 20, ref + 20, 20);
	/* The payload after the certificate. */
	size_t ref_p7 = ap_p7_size(ref, ref_len), our_p7 = ap_p7_size(ours->data, ours->len);
	assert_int_equal(ref_p7, der_seq_size(ref + AP_P7_OFFSET));
	assert_int_equal(our_p7, der_seq_size(ours->data + AP_P7_OFFSET));
	assert_int_equal(ref_len - AP_P7_OFFSET - ref_p7, payload_size);
	assert_int_equal(ours->len - AP_P7_OFFSET - our_p7, payload_size);
	assert_memory_equal(ours->data + AP_P7_OFFSET + our_p7, payload, payload_size);
	assert_memory_equal(ref + AP_P7_OFFSET + ref_p7, payload, payload_size);
	/* Same signed bytes, same key, no signed attributes: the very same SignedData. */
	assert_int_equal(our_p7, ref_p7);
	assert_memory_equal(ours->data + AP_P7_OFFSET, ref + AP_P7_OFFSET, our_p7);
	assert_int_equal(ours->len, ref_len);
}

/* cross_check with the payload an EFI_SIGNATURE_LIST of CERT's certificate, signed by WHO. */
static void cross_check_cert_esl(struct fx *f, const char *who, const char *var,
				 const efi_guid_t *guid, const char *cert)
{
	test_tool_or_skip("sign-efi-sig-list", "efitools"); /* before anything is allocated */
	g_autoptr(ap_signer) s = load(f, cert);
	g_autoptr(GBytes) der = ap_signer_cert_der(s);
	g_autoptr(GByteArray) esl =
		ap_x509_esl(g_bytes_get_data(der, NULL), g_bytes_get_size(der), &owner);
	cross_check(f, who, var, guid, NULL, false, esl->data, esl->len);
}

static void ap_build_matches_sign_efi_sig_list_pk(void **state)
{
	static const efi_guid_t global = EFI_GLOBAL_VARIABLE_GUID;
	cross_check_cert_esl(*state, "PK", "PK", &global, "PK");
}

static void ap_build_matches_sign_efi_sig_list_db(void **state)
{
	static const efi_guid_t security = EFI_IMAGE_SECURITY_DATABASE_GUID;
	cross_check_cert_esl(*state, "KEK", "db", &security, "db");
}

static void ap_build_matches_sign_efi_sig_list_private(void **state)
{
	static const uint8_t v[] = "0123456789";
	cross_check(*state, "priv1", "AuthVarDER", &priv_guid, PRIV_GUID_TEXT, false, v, 10);
}

static void ap_build_matches_sign_efi_sig_list_append(void **state)
{
	static const uint8_t v[] = "appended";
	cross_check(*state, "priv1", "AuthVarDER", &priv_guid, PRIV_GUID_TEXT, true, v, 8);
}

static void ap_build_matches_sign_efi_sig_list_delete(void **state)
{
	cross_check(*state, "priv2", "AuthVarDER", &priv_guid, PRIV_GUID_TEXT, false, NULL, 0);
}

/* ---- against the openssl CLI --------------------------------------------------------------- */

static void verify_with_openssl(struct fx *f, const EVP_MD *md, const char *md_name)
{
	test_tool_or_skip("openssl", "openssl");
	static const uint8_t v[] = "some value";
	g_autoptr(ap_signer) s = load(f, "priv2");
	size_t ns;
	const uint8_t *n = ucs2("Verified", &ns);
	struct ap_params p = { .name = n, .name_size = ns, .guid = &priv_guid,
			       .attributes = AT_ATTRS, .time_stamp = ap_time(2026, 2, 3, 4, 5, 6),
			       .payload = v, .payload_size = 10, .signer = s, .md = md,
			       .form = AP_FORM_CONTENT_INFO };
	g_autoptr(GByteArray) content = ap_signed_bytes(&p);
	g_autoptr(GByteArray) data = NULL;
	assert_int_equal(ap_build(&p, &data), 0);
	size_t p7 = ap_p7_size(data->data, data->len);
	assert_int_equal(p7, der_seq_size(data->data + AP_P7_OFFSET));
	assert_int_equal(p7, data->len - AP_P7_OFFSET - 10);
	/* ContentInfo: SEQUENCE { OID 1.2.840.113549.1.7.2, [0] ... } */
	static const uint8_t signed_data_oid[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
						   0x0d, 0x01, 0x07, 0x02 };
	assert_memory_equal(data->data + AP_P7_OFFSET + 4, signed_data_oid, sizeof(signed_data_oid));

	g_autofree char *sig = path_in(f->tmp, "sig.der");
	g_autofree char *bundle = path_in(f->tmp, "bundle.bin");
	g_autofree char *bad = path_in(f->tmp, "bad.bin");
	g_autofree char *crt = g_strdup_printf("%s/priv2.crt", f->keys);
	spit(sig, data->data + AP_P7_OFFSET, p7);
	spit(bundle, content->data, content->len);
	content->data[content->len - 1] ^= 1;
	spit(bad, content->data, content->len);
	const char *ok_argv[] = { "openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in",
				  sig, "-content", bundle, "-CAfile", crt, "-purpose", "any",
				  "-out", "/dev/null", NULL };
	assert_true(run(ok_argv));
	const char *bad_argv[] = { "openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in",
				   sig, "-content", bad, "-CAfile", crt, "-purpose", "any",
				   "-out", "/dev/null", NULL };
	assert_false(run_q(bad_argv, true));
	/* The digest algorithm named in the SignedData. */
	const char *print_argv[] = { "openssl", "cms", "-cmsout", "-print", "-inform", "DER",
				     "-in", sig, NULL };
	g_autofree char *out = NULL;
	int status = 0;
	assert_true(g_spawn_sync(NULL, (char **)print_argv, NULL, G_SPAWN_SEARCH_PATH |
				 G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status, NULL));
	assert_non_null(strstr(out, md_name));
	/* No signed attributes (efitools / sbsigntool form). */
	assert_non_null(strstr(out, "signedAttrs:\n          <ABSENT>"));
}

static void ap_pkcs7_sha256_verifies_with_openssl(void **state)
{
	verify_with_openssl(*state, NULL, "sha256");
}

static void ap_pkcs7_sha384_verifies_with_openssl(void **state)
{
	verify_with_openssl(*state, EVP_sha384(), "sha384");
}

/* The bare SignedData is exactly the [0] content of the ContentInfo form. */
static void ap_pkcs7_bare_is_inner_content(void **state)
{
	struct fx *f = *state;
	static const uint8_t content[] = "signed bytes";
	g_autoptr(ap_signer) s = load(f, "priv1");
	g_autoptr(GByteArray) ci = NULL, bare = NULL;
	assert_int_equal(ap_pkcs7_sign(s, NULL, AP_FORM_CONTENT_INFO, content, 12, &ci), 0);
	assert_int_equal(ap_pkcs7_sign(s, NULL, AP_FORM_SIGNED_DATA, content, 12, &bare), 0);
	/* ContentInfo ::= SEQUENCE { OID signedData (11 bytes), [0] EXPLICIT SignedData }, both
	 * headers in the two-byte long form. */
	static const uint8_t signed_data_oid[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
						   0x0d, 0x01, 0x07, 0x02 };
	assert_int_equal(ci->len, 4 + sizeof(signed_data_oid) + 4 + bare->len);
	assert_int_equal(der_seq_size(ci->data), ci->len);
	assert_memory_equal(ci->data + 4, signed_data_oid, sizeof(signed_data_oid));
	assert_int_equal(ci->data[15], 0xa0);
	assert_int_equal(ci->data[16], 0x82);
	assert_int_equal(get_be16(ci->data + 17), bare->len);
	assert_int_equal(der_seq_size(bare->data), bare->len);
	assert_memory_equal(ci->data + ci->len - bare->len, bare->data, bare->len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ap_signed_bytes_layout),
		cmocka_unit_test(ap_descriptor_layout),
		cmocka_unit_test_setup_teardown(ap_signer_load_missing_and_mismatched, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(ap_x509_esl_matches_cert_to_efi_sig_list, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(ap_build_matches_sign_efi_sig_list_pk, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(ap_build_matches_sign_efi_sig_list_db, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(ap_build_matches_sign_efi_sig_list_private, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(ap_build_matches_sign_efi_sig_list_append, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(ap_build_matches_sign_efi_sig_list_delete, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(ap_pkcs7_sha256_verifies_with_openssl, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(ap_pkcs7_sha384_verifies_with_openssl, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(ap_pkcs7_bare_is_inner_content, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
