/* SPDX-License-Identifier: MIT */
/*
 * stmmd's store of parsed certificates (stmm/mm/cert_cache.c): one parse per DER, what
 * d2i_X509 refuses refused and not kept, the least recently used certificate replaced at
 * the bound, certificates beyond the size bound parsed but not kept.  The certificates are
 * the DER files of fixtures/keys ($STMM_EMU_KEYS overrides), variants made by changing a
 * byte of the signature value (still DER, still a certificate: a parse does not check
 * signatures).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "cert_cache.h"

static GBytes *fixture_der(const char *name)
{
	const char *keys = getenv("STMM_EMU_KEYS") ? getenv("STMM_EMU_KEYS") : "fixtures/keys";
	g_autofree char *path = g_strdup_printf("%s/%s.der", keys, name);
	g_autofree char *data = NULL;
	gsize size;
	assert_true(g_file_get_contents(path, &data, &size, NULL));
	return g_bytes_new_take(g_steal_pointer(&data), size);
}

static struct cert_cache_stats stats(void)
{
	struct cert_cache_stats s;
	cert_cache_get_stats(&s);
	return s;
}

/* Every test starts from an empty store. */
static int setup_one(void **state)
{
	(void)state;
	cert_cache_clear();
	assert_int_equal(stats().count, 0);
	return 0;
}

static void cert_cache_get_parses_each_der_once(void **state)
{
	(void)state;
	g_autoptr(GBytes) pk = fixture_der("PK");
	g_autoptr(GBytes) kek = fixture_der("KEK");
	gsize n;
	const uint8_t *d = g_bytes_get_data(pk, &n);
	struct cert_cache_stats s0 = stats();

	X509 *a = cert_cache_get(d, n);
	assert_non_null(a);
	/* Equal bytes elsewhere in memory: the same object, no second parse. */
	g_autofree uint8_t *copy = g_memdup2(d, n);
	X509 *b = cert_cache_get(copy, n);
	assert_ptr_equal(a, b);
	X509 *c = cert_cache_get(g_bytes_get_data(kek, NULL), g_bytes_get_size(kek));
	assert_non_null(c);
	assert_ptr_not_equal(a, c);
	struct cert_cache_stats s1 = stats();
	assert_int_equal(s1.parses - s0.parses, 2);
	assert_int_equal(s1.hits - s0.hits, 1);
	assert_int_equal(s1.count, 2);

	/* The parse is d2i_X509's. */
	const unsigned char *p = d;
	X509 *ref = d2i_X509(NULL, &p, (long)n);
	assert_int_equal(X509_cmp(a, ref), 0);
	X509_free(ref);
	/* Each answer is a reference of its own: the store's stays. */
	X509_free(a);
	X509_free(b);
	X509_free(c);
	X509 *again = cert_cache_get(d, n);
	assert_non_null(again);
	assert_non_null(X509_get_subject_name(again));
	X509_free(again);
}

static void cert_cache_get_refuses_what_d2i_refuses(void **state)
{
	(void)state;
	g_autoptr(GBytes) pk = fixture_der("PK");
	gsize n;
	const uint8_t *d = g_bytes_get_data(pk, &n);
	g_autofree uint8_t *longer = g_malloc0(n + 1);
	memcpy(longer, d, n);
	g_autofree uint8_t *broken = g_memdup2(d, n);
	broken[0] = 0x31; /* a SET, not a SEQUENCE */
	struct cert_cache_stats s0 = stats();

	for (int round = 0; round < 2; round++) {
		assert_null(cert_cache_get(d, n - 1));      /* truncated */
		assert_null(cert_cache_get(longer, n + 1)); /* a byte after the certificate */
		assert_null(cert_cache_get(broken, n));
		assert_null(cert_cache_get(d, 0));
		assert_null(cert_cache_get(NULL, 0));
	}
	struct cert_cache_stats s1 = stats();
	/* Nothing kept: each refusal is a parse of its own, answered again the same way. */
	assert_int_equal(s1.count, 0);
	assert_int_equal(s1.hits, s0.hits);
	assert_int_equal(s1.parses - s0.parses, 10);
}

/* PK.der with the last byte of its signature value changed by `i`. */
static uint8_t *variant(const uint8_t *d, size_t n, unsigned i)
{
	uint8_t *v = g_memdup2(d, n);
	v[n - 1] = (uint8_t)(d[n - 1] ^ i);
	return v;
}

static void cert_cache_replaces_least_recently_used_at_bound(void **state)
{
	(void)state;
	g_autoptr(GBytes) pk = fixture_der("PK");
	gsize n;
	const uint8_t *d = g_bytes_get_data(pk, &n);
	uint8_t *v[CERT_CACHE_MAX_CERTS + 1];
	X509 *held[CERT_CACHE_MAX_CERTS + 1];

	for (unsigned i = 0; i <= CERT_CACHE_MAX_CERTS; i++)
		v[i] = variant(d, n, i);
	for (unsigned i = 0; i < CERT_CACHE_MAX_CERTS; i++) {
		held[i] = cert_cache_get(v[i], n);
		assert_non_null(held[i]);
	}
	assert_int_equal(stats().count, CERT_CACHE_MAX_CERTS);
	/* v[0] used again: v[1] is now the least recently used. */
	X509 *x = cert_cache_get(v[0], n);
	assert_ptr_equal(x, held[0]);
	X509_free(x);

	struct cert_cache_stats s0 = stats();
	held[CERT_CACHE_MAX_CERTS] = cert_cache_get(v[CERT_CACHE_MAX_CERTS], n);
	assert_non_null(held[CERT_CACHE_MAX_CERTS]);
	assert_int_equal(stats().count, CERT_CACHE_MAX_CERTS);
	/* v[0] and v[2..] are still there ... */
	for (unsigned i = 0; i <= CERT_CACHE_MAX_CERTS; i++) {
		if (i == 1)
			continue;
		x = cert_cache_get(v[i], n);
		assert_ptr_equal(x, held[i]);
		X509_free(x);
	}
	struct cert_cache_stats s1 = stats();
	assert_int_equal(s1.parses - s0.parses, 1);
	/* ... v[1] went: parsed again, a new object (the old one lives on in its holder). */
	x = cert_cache_get(v[1], n);
	assert_non_null(x);
	assert_ptr_not_equal(x, held[1]);
	assert_int_equal(X509_cmp(x, held[1]), 0);
	assert_int_equal(stats().parses - s1.parses, 1);
	assert_int_equal(stats().count, CERT_CACHE_MAX_CERTS);
	X509_free(x);

	for (unsigned i = 0; i <= CERT_CACHE_MAX_CERTS; i++) {
		X509_free(held[i]);
		g_free(v[i]);
	}
}

/* A self-signed P-256 certificate with a comment of `comment_len` bytes, as DER. */
static GBytes *make_cert(size_t comment_len)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	assert_non_null(key);
	assert_non_null(x);
	assert_true(X509_set_version(x, X509_VERSION_3));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), 1));
	X509_NAME *name = X509_get_subject_name(x);
	assert_true(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					       (const unsigned char *)"big", -1, -1, 0));
	assert_true(X509_set_issuer_name(x, name));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	assert_true(X509_set_pubkey(x, key));
	g_autofree char *comment = g_strnfill(comment_len, 'c');
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_netscape_comment, comment);
	assert_non_null(ext);
	assert_true(X509_add_ext(x, ext, -1));
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);
	assert_true(len > 0);
	GBytes *out = g_bytes_new(der, (gsize)len);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(key);
	return out;
}

static void cert_cache_parses_large_certificates_without_keeping_them(void **state)
{
	(void)state;
	g_autoptr(GBytes) big = make_cert(CERT_CACHE_MAX_DER);
	g_autoptr(GBytes) small = make_cert(100);
	gsize bn, sn;
	const uint8_t *b = g_bytes_get_data(big, &bn), *s = g_bytes_get_data(small, &sn);
	assert_true(bn > CERT_CACHE_MAX_DER);
	assert_true(sn <= CERT_CACHE_MAX_DER);
	struct cert_cache_stats s0 = stats();

	X509 *x1 = cert_cache_get(b, bn), *x2 = cert_cache_get(b, bn);
	assert_non_null(x1);
	assert_non_null(x2);
	assert_ptr_not_equal(x1, x2);
	assert_int_equal(stats().count, 0);
	assert_int_equal(stats().parses - s0.parses, 2);
	X509 *y1 = cert_cache_get(s, sn), *y2 = cert_cache_get(s, sn);
	assert_ptr_equal(y1, y2);
	assert_int_equal(stats().count, 1);
	X509_free(x1);
	X509_free(x2);
	X509_free(y1);
	X509_free(y2);
}

static void cert_cache_clear_leaves_holders_their_references(void **state)
{
	(void)state;
	g_autoptr(GBytes) pk = fixture_der("PK");
	gsize n;
	const uint8_t *d = g_bytes_get_data(pk, &n);
	X509 *x = cert_cache_get(d, n);
	assert_non_null(x);
	cert_cache_clear();
	assert_int_equal(stats().count, 0);
	assert_non_null(X509_get_subject_name(x)); /* still alive (ASan would tell) */
	X509 *y = cert_cache_get(d, n);
	assert_ptr_not_equal(x, y);
	assert_int_equal(X509_cmp(x, y), 0);
	X509_free(x);
	X509_free(y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(cert_cache_get_parses_each_der_once, setup_one),
		cmocka_unit_test_setup(cert_cache_get_refuses_what_d2i_refuses, setup_one),
		cmocka_unit_test_setup(cert_cache_replaces_least_recently_used_at_bound, setup_one),
		cmocka_unit_test_setup(cert_cache_parses_large_certificates_without_keeping_them,
				       setup_one),
		cmocka_unit_test_setup(cert_cache_clear_leaves_holders_their_references, setup_one),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	cert_cache_clear();
	return r;
}
