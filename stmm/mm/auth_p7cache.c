/* SPDX-License-Identifier: MIT */
#include "auth_p7cache.h"

#include "cert_cache.h"

#include <glib.h>
#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

/*
 * SignedData (RFC 2315 9.1) as OpenSSL's PKCS7_SIGNED template has it, except that the
 * certificates stay undecoded (ANY keeps a SEQUENCE's whole encoding).
 */
typedef struct {
	ASN1_INTEGER *version;
	STACK_OF(X509_ALGOR) *md_algs;
	PKCS7 *contents;
	STACK_OF(ASN1_TYPE) *cert;
	STACK_OF(X509_CRL) *crl;
	STACK_OF(PKCS7_SIGNER_INFO) *signer_info;
} RAW_SIGNED;

ASN1_SEQUENCE(RAW_SIGNED) = {
	ASN1_SIMPLE(RAW_SIGNED, version, ASN1_INTEGER),
	ASN1_SET_OF(RAW_SIGNED, md_algs, X509_ALGOR),
	ASN1_SIMPLE(RAW_SIGNED, contents, PKCS7),
	ASN1_IMP_SEQUENCE_OF_OPT(RAW_SIGNED, cert, ASN1_ANY, 0),
	ASN1_IMP_SET_OF_OPT(RAW_SIGNED, crl, X509_CRL, 1),
	ASN1_SET_OF(RAW_SIGNED, signer_info, PKCS7_SIGNER_INFO)
} ASN1_SEQUENCE_END(RAW_SIGNED)

/* ContentInfo with the content [0] EXPLICIT read as RAW_SIGNED. */
typedef struct {
	ASN1_OBJECT *type;
	RAW_SIGNED *sign;
} RAW_CONTENT_INFO;

ASN1_SEQUENCE(RAW_CONTENT_INFO) = {
	ASN1_SIMPLE(RAW_CONTENT_INFO, type, ASN1_OBJECT),
	ASN1_EXP_OPT(RAW_CONTENT_INFO, sign, RAW_SIGNED, 0)
} ASN1_SEQUENCE_END(RAW_CONTENT_INFO)

DECLARE_ASN1_FUNCTIONS(RAW_SIGNED)
IMPLEMENT_ASN1_FUNCTIONS(RAW_SIGNED)
DECLARE_ASN1_FUNCTIONS(RAW_CONTENT_INFO)
IMPLEMENT_ASN1_FUNCTIONS(RAW_CONTENT_INFO)

/* The PKCS7 d2i_PKCS7 would make of `raw` (its fields are moved out), or NULL. */
static PKCS7 *assemble(RAW_SIGNED *raw)
{
	STACK_OF(X509) *certs = NULL;
	PKCS7_SIGNED *sd = NULL;
	PKCS7 *p7 = NULL;

	if (raw->cert) {
		certs = sk_X509_new_null();
		if (!certs)
			goto fail;
		for (int i = 0; i < sk_ASN1_TYPE_num(raw->cert); i++) {
			const ASN1_TYPE *t = sk_ASN1_TYPE_value(raw->cert, i);
			if (t->type != V_ASN1_SEQUENCE)
				goto fail;
			X509 *x = cert_cache_get(ASN1_STRING_get0_data(t->value.sequence),
						 (size_t)ASN1_STRING_length(t->value.sequence));
			if (!x)
				goto fail;
			if (!sk_X509_push(certs, x)) {
				X509_free(x);
				goto fail;
			}
		}
	}
	sd = PKCS7_SIGNED_new();
	p7 = PKCS7_new();
	if (!sd || !p7)
		goto fail;
	/* Replace what PKCS7_SIGNED_new() allocated by the parsed fields. */
	ASN1_INTEGER_free(sd->version);
	sd->version = raw->version;
	raw->version = NULL;
	sk_X509_ALGOR_pop_free(sd->md_algs, X509_ALGOR_free);
	sd->md_algs = raw->md_algs;
	raw->md_algs = NULL;
	PKCS7_free(sd->contents);
	sd->contents = raw->contents;
	raw->contents = NULL;
	sk_X509_pop_free(sd->cert, X509_free);
	sd->cert = certs;
	certs = NULL;
	sk_X509_CRL_pop_free(sd->crl, X509_CRL_free);
	sd->crl = raw->crl;
	raw->crl = NULL;
	sk_PKCS7_SIGNER_INFO_pop_free(sd->signer_info, PKCS7_SIGNER_INFO_free);
	sd->signer_info = raw->signer_info;
	raw->signer_info = NULL;
	p7->type = OBJ_nid2obj(NID_pkcs7_signed);
	p7->d.sign = sd;
	return p7;
fail:
	sk_X509_pop_free(certs, X509_free);
	PKCS7_SIGNED_free(sd);
	PKCS7_free(p7);
	return NULL;
}

/*
 * The tag of the first element inside the outer SEQUENCE of der[0..size), or -1.  A
 * ContentInfo starts with its contentType (OBJECT IDENTIFIER), a SignedData with its
 * version (INTEGER): neither template accepts anything else there.
 */
static int first_inner_tag(const uint8_t *der, size_t size)
{
	size_t hdr = 2;

	if (size < 3 || der[0] != (V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED))
		return -1;
	if (der[1] & 0x80)
		hdr += der[1] & 0x7f; /* long form; 0x80 (BER indefinite) adds nothing */
	return hdr < size ? der[hdr] : -1;
}

PKCS7 *auth_p7cache_load(const uint8_t *der, size_t size, bool content_info)
{
	const unsigned char *p = der;
	PKCS7 *p7 = NULL;

	if (size == 0 || size > G_MAXLONG)
		return NULL;
	/*
	 * Not this form: answered without a decode that fails (and each failing decode puts
	 * its errors on OpenSSL's error queue of the thread).
	 */
	if (first_inner_tag(der, size) != (content_info ? V_ASN1_OBJECT : V_ASN1_INTEGER))
		return NULL;
	/* A refusal from here on leaves the thread's error queue as it was. */
	ERR_set_mark();
	if (content_info) {
		RAW_CONTENT_INFO *ci = d2i_RAW_CONTENT_INFO(NULL, &p, (long)size);
		if (ci && (size_t)(p - der) == size && OBJ_obj2nid(ci->type) == NID_pkcs7_signed &&
		    ci->sign)
			p7 = assemble(ci->sign);
		RAW_CONTENT_INFO_free(ci);
	} else {
		RAW_SIGNED *sd = d2i_RAW_SIGNED(NULL, &p, (long)size);
		if (sd && (size_t)(p - der) == size)
			p7 = assemble(sd);
		RAW_SIGNED_free(sd);
	}
	ERR_pop_to_mark();
	return p7;
}
