/* SPDX-License-Identifier: MIT */
/*
 * Authenticated-variable primitives against payloads made at test time by real tools:
 * efitools (cert-to-efi-sig-list, sign-efi-sig-list) and the openssl CLI, with the keys in
 * fixtures/keys (made by fixtures/make-keys.sh).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "auth.h"
#include "auth_p7cache.h"
#include "bytes.h"
#include "cert_cache.h"
#include "efi_util.h"
#include "test_efitools.h"

#define ATTR_NV_BS_RT_AT 0x27u

static X509 *load_cert(const char *name)
{
	g_autofree char *path = g_strdup_printf("%s/%s.crt", keys, name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

static STACK_OF(X509) *trust(const char *name)
{
	STACK_OF(X509) *s = sk_X509_new_null();
	sk_X509_push(s, load_cert(name));
	return s;
}

static int setup(void **state)
{
	(void)state;
	static const char *const certs[] = { "PK", "KEK" };
	efitools_group_setup("stmm-auth-XXXXXX", certs, G_N_ELEMENTS(certs));
	sign("", "PK", "PK", "PK.esl", "2025-01-02 03:04:05", "PK.auth");
	sign("", "other", "PK", "PK.esl", "2025-01-02 03:04:05", "PK-other.auth");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	efitools_group_teardown();
	return 0;
}

/* Verify a .auth for NAME under GUID with ATTRS against the trusted certificate TRUSTED. */
static efi_status_t verify_auth(GBytes *blob, const char *name, const efi_guid_t *guid,
				uint32_t attrs, const char *trusted)
{
	gsize size;
	const uint8_t *data = g_bytes_get_data(blob, &size);
	struct auth2 a;
	efi_status_t s = auth2_parse(data, size, &a);
	if (s != EFI_SUCCESS)
		return s;
	g_autofree uint8_t *uname = NULL;
	size_t usize;
	assert_int_equal(ucs2_from_utf8(name, &uname, &usize), 0);
	g_autoptr(GByteArray) content = auth2_signed_content(uname, usize, guid, attrs, &a);
	STACK_OF(X509) *t = trust(trusted);
	s = auth_pkcs7_verify(a.cert, a.cert_size, content->data, content->len, t);
	sk_X509_pop_free(t, X509_free);
	return s;
}

/* efitools' PK.auth, parsed (a points into the returned bytes; keep them). */
static GBytes *parse_pk_auth(struct auth2 *a)
{
	GBytes *blob = slurp("PK.auth");
	gsize size;
	const uint8_t *data = g_bytes_get_data(blob, &size);
	assert_int_equal(auth2_parse(data, size, a), EFI_SUCCESS);
	return blob;
}

static void auth2_parse_efitools_pk(void **state)
{
	(void)state;
	struct auth2 a;
	g_autoptr(GBytes) blob = parse_pk_auth(&a);
	g_autoptr(GBytes) esl = slurp("PK.esl");
	const uint8_t *data = g_bytes_get_data(blob, NULL);
	assert_int_equal(a.time_stamp.year, 2025);
	assert_int_equal(a.time_stamp.month, 1);
	assert_int_equal(a.time_stamp.day, 2);
	assert_int_equal(a.time_stamp.hour, 3);
	assert_int_equal(a.time_stamp.minute, 4);
	assert_int_equal(a.time_stamp.second, 5);
	assert_int_equal(a.cert_size, get_le32(data + 16) - 24);
	assert_int_equal(a.payload_size, g_bytes_get_size(esl));
	assert_memory_equal(a.payload, g_bytes_get_data(esl, NULL), a.payload_size);
}

static void auth_pkcs7_verify_efitools_pk_signed_by_pk(void **state)
{
	(void)state;
	efi_guid_t global = EFI_GLOBAL_VARIABLE_GUID;
	g_autoptr(GBytes) blob = slurp("PK.auth");
	assert_int_equal(verify_auth(blob, "PK", &global, ATTR_NV_BS_RT_AT, "PK"), EFI_SUCCESS);
}

static void auth_pkcs7_verify_rejects_other_attrs_name_guid(void **state)
{
	(void)state;
	efi_guid_t global = EFI_GLOBAL_VARIABLE_GUID, sec = EFI_IMAGE_SECURITY_DATABASE_GUID;
	g_autoptr(GBytes) blob = slurp("PK.auth");
	/* APPEND is part of the signed attributes. */
	assert_int_equal(verify_auth(blob, "PK", &global, ATTR_NV_BS_RT_AT | 0x40, "PK"),
			 EFI_SECURITY_VIOLATION);
	assert_int_equal(verify_auth(blob, "KEK", &global, ATTR_NV_BS_RT_AT, "PK"),
			 EFI_SECURITY_VIOLATION);
	assert_int_equal(verify_auth(blob, "PK", &sec, ATTR_NV_BS_RT_AT, "PK"),
			 EFI_SECURITY_VIOLATION);
}

static void auth_pkcs7_verify_rejects_untrusted_signer(void **state)
{
	(void)state;
	efi_guid_t global = EFI_GLOBAL_VARIABLE_GUID;
	g_autoptr(GBytes) blob = slurp("PK-other.auth");
	assert_int_equal(verify_auth(blob, "PK", &global, ATTR_NV_BS_RT_AT, "PK"),
			 EFI_SECURITY_VIOLATION);
	assert_int_equal(verify_auth(blob, "PK", &global, ATTR_NV_BS_RT_AT, "other"), EFI_SUCCESS);
}

/* Trusted Services' flips: one byte of the signature, the certificate, the timestamp. */
static void auth_pkcs7_verify_rejects_flipped_bytes(void **state)
{
	(void)state;
	efi_guid_t global = EFI_GLOBAL_VARIABLE_GUID;
	g_autoptr(GBytes) blob = slurp("PK.auth");
	gsize size;
	const uint8_t *orig = g_bytes_get_data(blob, &size);
	uint32_t dw = get_le32(orig + 16);
	const size_t where[] = {
		16 + dw - 10,   /* inside the RSA signature at the end of the SignedData */
		40 + 200,       /* inside the embedded certificate */
		6,              /* the timestamp's seconds */
		16 + dw + 40,   /* the payload */
	};
	for (size_t i = 0; i < G_N_ELEMENTS(where); i++) {
		g_autofree uint8_t *copy = g_memdup2(orig, size);
		copy[where[i]] ^= 0x01;
		g_autoptr(GBytes) b = g_bytes_new(copy, size);
		assert_int_equal(verify_auth(b, "PK", &global, ATTR_NV_BS_RT_AT, "PK"),
				 EFI_SECURITY_VIOLATION);
	}
}

static void auth2_parse_rejects_bad_descriptors(void **state)
{
	(void)state;
	g_autoptr(GBytes) blob = slurp("PK.auth");
	gsize size;
	const uint8_t *orig = g_bytes_get_data(blob, &size);
	struct auth2 a;
	g_autofree uint8_t *c = g_memdup2(orig, size);

	assert_int_equal(auth2_parse(c, 39, &a), EFI_SECURITY_VIOLATION);
	put_le32(c + 16, 23); /* dwLength below the 24-byte header */
	assert_int_equal(auth2_parse(c, size, &a), EFI_SECURITY_VIOLATION);
	put_le32(c + 16, (uint32_t)size - 15); /* beyond the data */
	assert_int_equal(auth2_parse(c, size, &a), EFI_SECURITY_VIOLATION);
	put_le32(c + 16, (uint32_t)size - 16); /* exactly the data: empty payload is fine */
	assert_int_equal(auth2_parse(c, size, &a), EFI_SUCCESS);
	assert_int_equal(a.payload_size, 0);
	memcpy(c, orig, size);
	c[22] = 0xf0; /* wCertificateType 0x0EF0 */
	assert_int_equal(auth2_parse(c, size, &a), EFI_SECURITY_VIOLATION);
	memcpy(c, orig, size);
	c[24] ^= 1; /* CertType */
	assert_int_equal(auth2_parse(c, size, &a), EFI_SECURITY_VIOLATION);
	const size_t pads[] = { 7, 8, 12, 14, 15 }; /* Pad1, Nanosecond, TimeZone, Daylight, Pad2 */
	for (size_t i = 0; i < G_N_ELEMENTS(pads); i++) {
		memcpy(c, orig, size);
		c[pads[i]] = 1;
		assert_int_equal(auth2_parse(c, size, &a), EFI_SECURITY_VIOLATION);
	}
	memcpy(c, orig, size);
	c[20] = 0x99; /* wRevision is never checked */
	assert_int_equal(auth2_parse(c, size, &a), EFI_SUCCESS);
}

/*
 * CONTENT (a path) holds TEXT; SIG_NAME in tmpdir becomes its CMS signature (SHA-256, DER,
 * no attributes) by the leaf under fixtures' intermediate, the intermediate included.
 */
static void sign_with_inter_leaf(const char *content, const char *text, const char *sig_name)
{
	g_autofree char *sig = g_build_filename(tmpdir, sig_name, NULL);
	assert_true(g_file_set_contents(content, text, (gssize)strlen(text), NULL));
	g_autofree char *cmd = g_strdup_printf(
		"openssl cms -sign -binary -noattr -outform DER -md sha256 -in %s -out %s "
		"-signer %s/inter-leaf.crt -inkey %s/inter-leaf.key -certfile %s/inter.crt",
		content, sig, keys, keys, keys);
	run(cmd);
}

/* A CMS ContentInfo (not bare SignedData) whose chain ends at an intermediate. */
static void auth_pkcs7_verify_content_info_and_partial_chain(void **state)
{
	(void)state;
	g_autofree char *content = g_build_filename(tmpdir, "content.bin", NULL);
	g_autofree char *sha1sig = g_build_filename(tmpdir, "content-sha1.p7", NULL);
	sign_with_inter_leaf(content, "signed bytes", "content.p7");
	g_autofree char *cmd = g_strdup_printf("openssl cms -sign -binary -noattr -outform DER -md sha1 -in %s "
			      "-out %s -signer %s/inter-leaf.crt -inkey %s/inter-leaf.key",
			      content, sha1sig, keys, keys);
	run(cmd);

	g_autoptr(GBytes) p7 = slurp("content.p7");
	g_autoptr(GBytes) p7sha1 = slurp("content-sha1.p7");
	gsize n, n1;
	const uint8_t *d = g_bytes_get_data(p7, &n), *d1 = g_bytes_get_data(p7sha1, &n1);
	const char *anchors[] = { "inter", "ca", "inter-leaf" };
	for (size_t i = 0; i < G_N_ELEMENTS(anchors); i++) {
		STACK_OF(X509) *t = trust(anchors[i]);
		assert_int_equal(auth_pkcs7_verify(d, n, (const uint8_t *)"signed bytes", 12, t),
				 EFI_SUCCESS);
		sk_X509_pop_free(t, X509_free);
	}
	STACK_OF(X509) *t = trust("other");
	assert_int_equal(auth_pkcs7_verify(d, n, (const uint8_t *)"signed bytes", 12, t),
			 EFI_SECURITY_VIOLATION);
	sk_X509_pop_free(t, X509_free);
	t = trust("inter-leaf");
	assert_int_equal(auth_pkcs7_verify(d, n, (const uint8_t *)"signed bytez", 12, t),
			 EFI_SECURITY_VIOLATION);
	/* SHA-1 is not an accepted digest. */
	assert_int_equal(auth_pkcs7_verify(d1, n1, (const uint8_t *)"signed bytes", 12, t),
			 EFI_SECURITY_VIOLATION);
	sk_X509_pop_free(t, X509_free);

	/* The top of the signer's chain inside the SignedData is the intermediate. */
	g_autoptr(GBytes) signer = NULL, top = NULL;
	assert_int_equal(auth_pkcs7_signer(d, n, &signer, &top), 0);
	g_autofree char *inter_der = NULL, *leaf_der = NULL;
	gsize il, ll;
	g_autofree char *ip = g_strdup_printf("%s/inter.der", keys);
	g_autofree char *lp = g_strdup_printf("%s/inter-leaf.der", keys);
	assert_true(g_file_get_contents(ip, &inter_der, &il, NULL));
	assert_true(g_file_get_contents(lp, &leaf_der, &ll, NULL));
	assert_int_equal(g_bytes_get_size(top), il);
	assert_memory_equal(g_bytes_get_data(top, NULL), inter_der, il);
	assert_int_equal(g_bytes_get_size(signer), ll);
	assert_memory_equal(g_bytes_get_data(signer, NULL), leaf_der, ll);
}

static void auth_signer_identity_binds_signer_not_timestamp(void **state)
{
	(void)state;
	g_autofree char *data = g_build_filename(tmpdir, "var.bin", NULL);
	assert_true(g_file_set_contents(data, "0123456789", 10, NULL));
	const char *g = "-g 15EDF297-E832-4D30-8200-A525A931E33E";
	sign(g, "priv1", "AuthVarDER", "var.bin", "2025-01-01 00:00:00", "a1.auth");
	sign(g, "priv1", "AuthVarDER", "var.bin", "2025-06-01 00:00:00", "a2.auth");
	sign(g, "priv2", "AuthVarDER", "var.bin", "2025-06-01 00:00:00", "b1.auth");
	GBytes *ids[3];
	const char *files[] = { "a1.auth", "a2.auth", "b1.auth" };
	for (int i = 0; i < 3; i++) {
		g_autoptr(GBytes) blob = slurp(files[i]);
		gsize size;
		const uint8_t *d = g_bytes_get_data(blob, &size);
		struct auth2 a;
		assert_int_equal(auth2_parse(d, size, &a), EFI_SUCCESS);
		assert_int_equal(auth_signer_identity(a.cert, a.cert_size, &ids[i]), 0);
		assert_int_equal(g_bytes_get_size(ids[i]), 32); /* SHA-256 SignedData */
	}
	assert_true(g_bytes_equal(ids[0], ids[1]));
	assert_false(g_bytes_equal(ids[0], ids[2]));
	for (int i = 0; i < 3; i++)
		g_bytes_unref(ids[i]);
}

static void auth_check_signature_lists_rules(void **state)
{
	(void)state;
	g_autoptr(GBytes) pk = slurp("PK.esl");
	g_autoptr(GBytes) kek = slurp("KEK.esl");
	gsize n;
	const uint8_t *d = g_bytes_get_data(pk, &n);
	assert_int_equal(auth_check_signature_lists(d, n, true), EFI_SUCCESS);
	assert_int_equal(auth_check_signature_lists(d, 0, true), EFI_SUCCESS);

	/* Two certificates: fine for KEK, not for PK. */
	g_autoptr(GByteArray) two = g_byte_array_new();
	g_byte_array_append(two, d, (guint)n);
	g_byte_array_append(two, g_bytes_get_data(kek, NULL), (guint)g_bytes_get_size(kek));
	assert_int_equal(auth_check_signature_lists(two->data, two->len, false), EFI_SUCCESS);
	assert_int_equal(auth_check_signature_lists(two->data, two->len, true),
			 EFI_INVALID_PARAMETER);
	STACK_OF(X509) *certs = auth_siglist_certs(two->data, two->len);
	assert_int_equal(sk_X509_num(certs), 2);
	sk_X509_pop_free(certs, X509_free);

	g_autofree uint8_t *c = g_memdup2(d, n);
	assert_int_equal(auth_check_signature_lists(c, n - 1, false), EFI_INVALID_PARAMETER);
	put_le32(c + 20, 4); /* SignatureHeaderSize must be 0 */
	assert_int_equal(auth_check_signature_lists(c, n, false), EFI_INVALID_PARAMETER);
	memcpy(c, d, n);
	c[28 + 16 + 4] ^= 0xff; /* break the certificate's DER */
	assert_int_equal(auth_check_signature_lists(c, n, false), EFI_INVALID_PARAMETER);

	/* A SHA-256 list: entries of 16 + 32 bytes, anything else is refused. */
	uint8_t sha[28 + 48] = { 0 };
	efi_guid_t t = EFI_CERT_SHA256_GUID;
	memcpy(sha, t.b, 16);
	put_le32(sha + 16, sizeof(sha));
	put_le32(sha + 24, 48);
	assert_int_equal(auth_check_signature_lists(sha, sizeof(sha), false), EFI_SUCCESS);
	put_le32(sha + 24, 47);
	assert_int_equal(auth_check_signature_lists(sha, sizeof(sha), false), EFI_INVALID_PARAMETER);
}

/*
 * The signature-list checks answer as a fresh parse once their certificates are in stmmd's
 * store (cert_cache.h): hits, a byte changed, more certificates than the store holds.
 */
static void auth_check_signature_lists_answers_as_a_parse(void **state)
{
	(void)state;
	g_autoptr(GBytes) pk = slurp("PK.esl");
	g_autoptr(GBytes) kek = slurp("KEK.esl");
	gsize n;
	const uint8_t *d = g_bytes_get_data(pk, &n);
	g_autofree uint8_t *bad = g_memdup2(d, n);
	bad[28 + 16 + 4] ^= 0xff; /* same length, broken DER */
	const unsigned char *p = d + 28 + 16;
	X509 *ref = d2i_X509(NULL, &p, (long)(n - 28 - 16));
	assert_non_null(ref);

	for (int round = 0; round < 2; round++) {
		assert_int_equal(auth_check_signature_lists(d, n, true), EFI_SUCCESS);
		assert_int_equal(auth_check_signature_lists(bad, n, true), EFI_INVALID_PARAMETER);
		STACK_OF(X509) *a = auth_siglist_certs(d, n);
		assert_int_equal(sk_X509_num(a), 1);
		assert_int_equal(X509_cmp(sk_X509_value(a, 0), ref), 0);
		sk_X509_pop_free(a, X509_free);
		STACK_OF(X509) *none = auth_siglist_certs(bad, n);
		assert_int_equal(sk_X509_num(none), 0);
		sk_X509_pop_free(none, X509_free);
	}
	/* Push PK out with KEK certificates of varied DER (a changed signature byte is still DER). */
	const uint8_t *k = g_bytes_get_data(kek, NULL);
	gsize kn = g_bytes_get_size(kek);
	g_autofree uint8_t *kv = g_memdup2(k, kn);
	for (unsigned i = 0; i < CERT_CACHE_MAX_CERTS + 8; i++) {
		kv[kn - 1] = (uint8_t)(k[kn - 1] ^ i); /* last signature byte: parses, differs */
		assert_int_equal(auth_check_signature_lists(kv, kn, false), EFI_SUCCESS);
	}
	assert_int_equal(auth_check_signature_lists(d, n, true), EFI_SUCCESS);
	assert_int_equal(auth_check_signature_lists(bad, n, true), EFI_INVALID_PARAMETER);
	X509_free(ref);
}

/*
 * One parse of PK's certificate serves both paths, in either order: the signer certificate
 * of PK.auth's SignedData (the payload's signature check) and the certificate of PK.esl
 * (the trust list, and the payload's format check when PK is enrolled) are one object.
 */
static void auth_cert_parsed_once_across_signature_and_trust_list(void **state)
{
	(void)state;
	struct auth2 a;
	g_autoptr(GBytes) blob = parse_pk_auth(&a);
	g_autoptr(GBytes) esl = slurp("PK.esl");
	gsize n;
	const uint8_t *d = g_bytes_get_data(esl, &n);

	for (int signature_first = 1; signature_first >= 0; signature_first--) {
		cert_cache_clear();
		struct cert_cache_stats s0, s1;
		cert_cache_get_stats(&s0);
		PKCS7 *p7 = NULL;
		STACK_OF(X509) *trusted = NULL;
		if (!signature_first)
			trusted = auth_siglist_certs(d, n);
		p7 = auth_pkcs7_load(a.cert, a.cert_size);
		if (signature_first)
			trusted = auth_siglist_certs(d, n);
		assert_non_null(p7);
		assert_int_equal(sk_X509_num(trusted), 1);
		X509 *signer, *top;
		assert_int_equal(auth_pkcs7_signer_p7(p7, &signer, &top), 0);
		assert_ptr_equal(signer, sk_X509_value(trusted, 0));
		assert_int_equal(auth_check_signature_lists(d, n, true), EFI_SUCCESS);
		cert_cache_get_stats(&s1);
		assert_int_equal(s1.parses - s0.parses, 1);
		assert_int_equal(s1.hits - s0.hits, 2);
		PKCS7_free(p7);
		sk_X509_pop_free(trusted, X509_free);
	}
}

static void auth_filter_signature_lists_drops_duplicates(void **state)
{
	(void)state;
	g_autoptr(GBytes) pk = slurp("PK.esl");
	g_autoptr(GBytes) kek = slurp("KEK.esl");
	gsize pn, kn;
	const uint8_t *p = g_bytes_get_data(pk, &pn), *k = g_bytes_get_data(kek, &kn);
	g_autoptr(GByteArray) add = g_byte_array_new();
	g_byte_array_append(add, p, (guint)pn);
	g_byte_array_append(add, k, (guint)kn);

	g_autoptr(GByteArray) out = auth_filter_signature_lists(p, pn, add->data, add->len);
	assert_int_equal(out->len, kn);
	assert_memory_equal(out->data, k, kn);
	g_autoptr(GByteArray) none = auth_filter_signature_lists(add->data, add->len, p, (guint)pn);
	assert_int_equal(none->len, 0);
}

/* i2d of a PKCS7's SignedData (g_free). */
static uint8_t *signed_data_der(PKCS7 *p7, int *ret_len)
{
	unsigned char *der = NULL;
	*ret_len = i2d_PKCS7_SIGNED(p7->d.sign, &der);
	assert_true(*ret_len > 0);
	uint8_t *copy = g_memdup2(der, (gsize)*ret_len);
	OPENSSL_free(der);
	return copy;
}

/*
 * The certificate-cache parse (auth_p7cache.h) makes what d2i makes: the same SignedData
 * re-encoded byte for byte, for efitools' payload and for a CMS ContentInfo with a chain;
 * a second parse shares the cached certificate; the bytes it does not take stay NULL.
 */
static void auth_p7cache_parses_as_d2i(void **state)
{
	(void)state;
	g_autofree char *content = g_build_filename(tmpdir, "p7cache.bin", NULL);
	sign_with_inter_leaf(content, "cached", "p7cache.p7");
	struct auth2 a;
	g_autoptr(GBytes) pk = parse_pk_auth(&a);
	g_autoptr(GBytes) cms = slurp("p7cache.p7");
	gsize cms_size;
	const uint8_t *cms_data = g_bytes_get_data(cms, &cms_size);
	const struct { const uint8_t *der; size_t size; } inputs[] = {
		{ a.cert, a.cert_size },
		{ cms_data, cms_size },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(inputs); i++) {
		const uint8_t *der = inputs[i].der;
		size_t size = inputs[i].size;
		PKCS7 *fast = auth_p7cache_load(der, size, true);
		if (!fast)
			fast = auth_p7cache_load(der, size, false);
		assert_non_null(fast);
		/* The reference: OpenSSL's own parse of the same bytes. */
		const unsigned char *p = der;
		PKCS7 *ref = d2i_PKCS7(NULL, &p, (long)size);
		PKCS7_SIGNED *ref_sd = NULL;
		if (!ref) {
			p = der;
			ref_sd = d2i_PKCS7_SIGNED(NULL, &p, (long)size);
			assert_non_null(ref_sd);
		}
		int fl, rl;
		g_autofree uint8_t *f = signed_data_der(fast, &fl);
		unsigned char *r = NULL;
		rl = i2d_PKCS7_SIGNED(ref ? ref->d.sign : ref_sd, &r);
		assert_int_equal(fl, rl);
		assert_memory_equal(f, r, (size_t)rl);
		OPENSSL_free(r);
		assert_true(sk_X509_num(fast->d.sign->cert) >= 1);

		/* Parsed again: the very same certificate object, from the cache. */
		PKCS7 *again = auth_p7cache_load(der, size, ref != NULL);
		assert_non_null(again);
		assert_ptr_equal(sk_X509_value(again->d.sign->cert, 0),
				 sk_X509_value(fast->d.sign->cert, 0));
		PKCS7_free(again);
		PKCS7_free(fast);
		PKCS7_free(ref);
		PKCS7_SIGNED_free(ref_sd);
	}
	/* Truncated or trailing bytes: not taken (the d2i path then decides). */
	assert_null(auth_p7cache_load(cms_data, cms_size - 1, true));
	assert_null(auth_p7cache_load(cms_data, cms_size - 1, false));
	g_autofree uint8_t *longer = g_malloc0(cms_size + 1);
	memcpy(longer, cms_data, cms_size);
	assert_null(auth_p7cache_load(longer, cms_size + 1, true));
}

/*
 * The certificate-cache parse leaves the thread's OpenSSL error queue as it found it: the
 * usual payload (efitools' bare SignedData) is not first decoded as a ContentInfo that
 * fails, and bytes it refuses leave no errors behind; an error already queued stays.
 */
static void auth_p7cache_leaves_error_queue_alone(void **state)
{
	(void)state;
	g_autoptr(GBytes) pk = slurp("PK.auth");
	gsize pk_size;
	const uint8_t *pk_data = g_bytes_get_data(pk, &pk_size);
	struct auth2 a;
	assert_int_equal(auth2_parse(pk_data, pk_size, &a), EFI_SUCCESS);
	assert_int_equal(a.cert[0], 0x30);

	ERR_clear_error();
	assert_null(auth_p7cache_load(a.cert, a.cert_size, true)); /* not a ContentInfo */
	assert_int_equal(ERR_peek_error(), 0);
	PKCS7 *p7 = auth_pkcs7_load(a.cert, a.cert_size);
	assert_non_null(p7);
	PKCS7_free(p7);
	assert_int_equal(ERR_peek_error(), 0);

	/* Refused after a decode began (truncated): the caller's own error is all that is left. */
	ERR_raise(ERR_LIB_USER, 42);
	unsigned long mine = ERR_peek_last_error();
	assert_null(auth_p7cache_load(a.cert, a.cert_size - 1, false));
	g_autofree uint8_t *bad = g_memdup2(a.cert, a.cert_size);
	bad[a.cert_size / 2] ^= 0xff;
	PKCS7_free(auth_p7cache_load(bad, a.cert_size, false));
	assert_int_equal(ERR_peek_last_error(), mine);
	assert_int_equal(ERR_get_error(), mine);
	assert_int_equal(ERR_get_error(), 0);
}

static void efi_time_compare_ignores_nanoseconds(void **state)
{
	(void)state;
	struct efi_time a = { .year = 2025, .month = 1, .day = 2, .hour = 3, .minute = 4, .second = 5 };
	struct efi_time b = a;
	b.nanosecond = 7;
	assert_int_equal(efi_time_compare(&a, &b), 0);
	b.second = 6;
	assert_int_equal(efi_time_compare(&a, &b), -1);
	b = a;
	b.year = 2024;
	b.month = 12;
	assert_int_equal(efi_time_compare(&a, &b), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(auth2_parse_efitools_pk),
		cmocka_unit_test(auth_pkcs7_verify_efitools_pk_signed_by_pk),
		cmocka_unit_test(auth_pkcs7_verify_rejects_other_attrs_name_guid),
		cmocka_unit_test(auth_pkcs7_verify_rejects_untrusted_signer),
		cmocka_unit_test(auth_pkcs7_verify_rejects_flipped_bytes),
		cmocka_unit_test(auth2_parse_rejects_bad_descriptors),
		cmocka_unit_test(auth_pkcs7_verify_content_info_and_partial_chain),
		cmocka_unit_test(auth_signer_identity_binds_signer_not_timestamp),
		cmocka_unit_test(auth_check_signature_lists_rules),
		cmocka_unit_test(auth_check_signature_lists_answers_as_a_parse),
		cmocka_unit_test(auth_cert_parsed_once_across_signature_and_trust_list),
		cmocka_unit_test(auth_filter_signature_lists_drops_duplicates),
		cmocka_unit_test(efi_time_compare_ignores_nanoseconds),
		cmocka_unit_test(auth_p7cache_parses_as_d2i),
		cmocka_unit_test(auth_p7cache_leaves_error_queue_alone),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
