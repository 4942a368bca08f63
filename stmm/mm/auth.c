/* SPDX-License-Identifier: MIT */
#include "auth.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "auth_p7cache.h"
#include "bytes.h"
#include "cert_cache.h"
#include "efi_util.h"

/* EFI_VARIABLE_AUTHENTICATION_2 fields, from the start of the descriptor. */
#define A2_AUTH_INFO    offsetof(struct efi_variable_authentication_2, auth_info)
#define A2_DW_LENGTH    offsetof(struct efi_variable_authentication_2, auth_info.hdr.dw_length)
#define A2_CERT_TYPE_ID                                                                         \
	offsetof(struct efi_variable_authentication_2, auth_info.hdr.w_certificate_type)
#define A2_CERT_TYPE    offsetof(struct efi_variable_authentication_2, auth_info.cert_type)

/* EFI_SIGNATURE_LIST fields, from the start of a list. */
#define SL_TYPE         offsetof(struct efi_signature_list, signature_type)
#define SL_LIST_SIZE    offsetof(struct efi_signature_list, signature_list_size)
#define SL_HEADER_SIZE  offsetof(struct efi_signature_list, signature_header_size)
#define SL_SIG_SIZE     offsetof(struct efi_signature_list, signature_size)
#define SL_HDR          sizeof(struct efi_signature_list)
/* EFI_SIGNATURE_DATA: the signature after its owner GUID. */
#define SD_DATA         offsetof(struct efi_signature_data, signature_data)

efi_status_t auth2_parse(const uint8_t *data, size_t size, struct auth2 *ret_auth)
{
	struct auth2 a;

	if (!data || size < EFI_VARIABLE_AUTHENTICATION_2_CERT_DATA_OFFSET)
		return EFI_SECURITY_VIOLATION;
	uint32_t dw_length = get_le32(data + A2_DW_LENGTH);
	if (dw_length < sizeof(struct win_certificate_uefi_guid) || dw_length > size - A2_AUTH_INFO)
		return EFI_SECURITY_VIOLATION;

	memcpy(&a.time_stamp, data + offsetof(struct efi_variable_authentication_2, time_stamp),
	       sizeof(a.time_stamp));
	if (a.time_stamp.pad1 || a.time_stamp.nanosecond || a.time_stamp.time_zone ||
	    a.time_stamp.daylight || a.time_stamp.pad2)
		return EFI_SECURITY_VIOLATION;

	efi_guid_t cert_type, pkcs7 = EFI_CERT_TYPE_PKCS7_GUID;
	memcpy(&cert_type, data + A2_CERT_TYPE, sizeof(cert_type));
	if (get_le16(data + A2_CERT_TYPE_ID) != WIN_CERT_TYPE_EFI_GUID ||
	    !efi_guid_equal(&cert_type, &pkcs7))
		return EFI_SECURITY_VIOLATION;

	a.cert = data + EFI_VARIABLE_AUTHENTICATION_2_CERT_DATA_OFFSET;
	a.cert_size = dw_length - sizeof(struct win_certificate_uefi_guid);
	a.payload = data + A2_AUTH_INFO + dw_length;
	a.payload_size = size - A2_AUTH_INFO - dw_length;
	*ret_auth = a;
	return EFI_SUCCESS;
}

int efi_time_compare(const struct efi_time *a, const struct efi_time *b)
{
	const int av[] = { a->year, a->month, a->day, a->hour, a->minute, a->second };
	const int bv[] = { b->year, b->month, b->day, b->hour, b->minute, b->second };

	for (size_t i = 0; i < G_N_ELEMENTS(av); i++)
		if (av[i] != bv[i])
			return av[i] < bv[i] ? -1 : 1;
	return 0;
}

GByteArray *auth2_signed_content(const uint8_t *name, size_t name_size, const efi_guid_t *guid,
				 uint32_t attributes, const struct auth2 *auth)
{
	uint8_t attr[sizeof(uint32_t)];
	GByteArray *b = g_byte_array_sized_new((guint)(name_size + sizeof(guid->b) + sizeof(attr) +
						       sizeof(auth->time_stamp) +
						       auth->payload_size));

	g_byte_array_append(b, name, (guint)(name_size >= 2 ? name_size - 2 : 0));
	g_byte_array_append(b, guid->b, sizeof(guid->b));
	put_le32(attr, attributes);
	g_byte_array_append(b, attr, sizeof(attr));
	g_byte_array_append(b, (const uint8_t *)&auth->time_stamp, sizeof(auth->time_stamp));
	g_byte_array_append(b, auth->payload, (guint)auth->payload_size);
	return b;
}

/*
 * Accept a ContentInfo-wrapped or a bare SignedData, as edk2's WrapPkcs7Data does; the bare
 * form is decoded as SignedData and put into a ContentInfo of type id-signedData.
 */
PKCS7 *auth_pkcs7_load(const uint8_t *der, size_t size)
{
	const unsigned char *p = der;
	PKCS7 *p7;

	if (size == 0 || size > 16 * 1024 * 1024)
		return NULL;
	/* Certificates from the cache when the input is plain DER (auth_p7cache.h). */
	p7 = auth_p7cache_load(der, size, true);
	if (!p7)
		p7 = auth_p7cache_load(der, size, false);
	if (p7)
		return p7;
	p7 = d2i_PKCS7(NULL, &p, (long)size);
	if (p7 && (size_t)(p - der) == size && PKCS7_type_is_signed(p7))
		return p7;
	PKCS7_free(p7);

	p = der;
	PKCS7_SIGNED *sd = d2i_PKCS7_SIGNED(NULL, &p, (long)size);
	if (!sd || (size_t)(p - der) != size)
		goto fail;
	p7 = PKCS7_new();
	if (!p7)
		goto fail;
	/* ContentInfo { contentType id-signedData, content [0] EXPLICIT SignedData } */
	p7->type = OBJ_nid2obj(NID_pkcs7_signed);
	p7->d.sign = sd;
	return p7;
fail:
	PKCS7_SIGNED_free(sd);
	return NULL;
}

/* The digest of the SignedData: every digestAlgorithm must be SHA-256/384/512. */
static const EVP_MD *pkcs7_digest(PKCS7 *p7)
{
	STACK_OF(X509_ALGOR) *algs = p7->d.sign ? p7->d.sign->md_algs : NULL;
	const EVP_MD *md = NULL;

	if (!algs || sk_X509_ALGOR_num(algs) < 1)
		return NULL;
	for (int i = 0; i < sk_X509_ALGOR_num(algs); i++) {
		const ASN1_OBJECT *obj;
		X509_ALGOR_get0(&obj, NULL, NULL, sk_X509_ALGOR_value(algs, i));
		switch (OBJ_obj2nid(obj)) {
		case NID_sha256:
			md = md ? md : EVP_sha256();
			break;
		case NID_sha384:
			md = md ? md : EVP_sha384();
			break;
		case NID_sha512:
			md = md ? md : EVP_sha512();
			break;
		default:
			return NULL;
		}
	}
	return md;
}

X509_STORE *auth_trust_store_new(STACK_OF(X509) *trusted)
{
	X509_STORE *store;

	if (!trusted || sk_X509_num(trusted) == 0)
		return NULL;
	store = X509_STORE_new();
	if (!store)
		return NULL;
	for (int i = 0; i < sk_X509_num(trusted); i++)
		if (X509_STORE_add_cert(store, sk_X509_value(trusted, i)) != 1) {
			X509_STORE_free(store);
			return NULL;
		}
	X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME);
	X509_STORE_set_purpose(store, X509_PURPOSE_ANY);
	return store;
}

efi_status_t auth_pkcs7_verify_p7(PKCS7 *p7, const uint8_t *content, size_t content_size,
				  X509_STORE *trust)
{
	efi_status_t status = EFI_SECURITY_VIOLATION;
	BIO *in;

	if (!p7 || !pkcs7_digest(p7) || !trust)
		return status;
	in = BIO_new_mem_buf(content, (int)content_size);
	if (!in)
		return status;
	if (PKCS7_verify(p7, NULL, trust, in, NULL, PKCS7_BINARY) == 1)
		status = EFI_SUCCESS;
	else
		g_debug("PKCS#7 verification failed");
	BIO_free(in);
	return status;
}

efi_status_t auth_pkcs7_verify(const uint8_t *p7der, size_t p7_size, const uint8_t *content,
			       size_t content_size, STACK_OF(X509) *trusted)
{
	efi_status_t status = EFI_SECURITY_VIOLATION;
	X509_STORE *store = NULL;
	PKCS7 *p7 = auth_pkcs7_load(p7der, p7_size);

	if (p7 && pkcs7_digest(p7) && (store = auth_trust_store_new(trusted)))
		status = auth_pkcs7_verify_p7(p7, content, content_size, store);
	X509_STORE_free(store);
	PKCS7_free(p7);
	return status;
}

static GBytes *x509_der(X509 *x)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	if (n <= 0)
		return NULL;
	GBytes *b = g_bytes_new(der, (gsize)n);
	OPENSSL_free(der);
	return b;
}

/* The signer and, walking issuers inside the SignedData, the top of its chain. */
static int pkcs7_signer_certs(PKCS7 *p7, X509 **ret_signer, X509 **ret_top)
{
	STACK_OF(X509) *signers = PKCS7_get0_signers(p7, NULL, 0);
	if (!signers || sk_X509_num(signers) != 1) {
		sk_X509_free(signers);
		return -EINVAL;
	}
	X509 *signer = sk_X509_value(signers, 0), *top = signer;
	sk_X509_free(signers);

	STACK_OF(X509) *certs = p7->d.sign->cert;
	for (int depth = 0; depth < 8; depth++) {
		X509 *issuer = NULL;
		for (int i = 0; certs && i < sk_X509_num(certs); i++) {
			X509 *c = sk_X509_value(certs, i);
			if (c != top && X509_check_issued(c, top) == X509_V_OK)
				issuer = c;
		}
		if (!issuer)
			break;
		top = issuer;
	}
	*ret_signer = signer;
	*ret_top = top;
	return 0;
}

int auth_pkcs7_signer_p7(PKCS7 *p7, X509 **ret_signer, X509 **ret_top)
{
	X509 *signer, *top;

	if (!p7 || pkcs7_signer_certs(p7, &signer, &top) < 0)
		return -EINVAL;
	if (ret_signer)
		*ret_signer = signer;
	if (ret_top)
		*ret_top = top;
	return 0;
}

int auth_pkcs7_signer(const uint8_t *p7der, size_t p7_size, GBytes **ret_signer, GBytes **ret_top)
{
	PKCS7 *p7 = auth_pkcs7_load(p7der, p7_size);
	X509 *signer, *top;
	int r = -EINVAL;

	if (p7 && pkcs7_signer_certs(p7, &signer, &top) == 0) {
		g_autoptr(GBytes) s = x509_der(signer);
		g_autoptr(GBytes) t = x509_der(top);
		if (s && t) {
			if (ret_signer)
				*ret_signer = g_steal_pointer(&s);
			if (ret_top)
				*ret_top = g_steal_pointer(&t);
			r = 0;
		}
	}
	PKCS7_free(p7);
	return r;
}

int auth_signer_identity_p7(PKCS7 *p7, GBytes **ret_digest)
{
	unsigned char *tbs = NULL;
	X509 *signer, *top;
	int r = -EINVAL;

	const EVP_MD *md = p7 ? pkcs7_digest(p7) : NULL;
	if (!md || pkcs7_signer_certs(p7, &signer, &top) < 0)
		return r;
	char cn[256];
	int cn_len = X509_NAME_get_text_by_NID(X509_get_subject_name(signer), NID_commonName, cn,
					       sizeof(cn));
	int tbs_len = i2d_re_X509_tbs(top, &tbs);
	if (cn_len < 0 || tbs_len <= 0)
		goto out;
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx && EVP_DigestInit_ex(ctx, md, NULL) == 1 &&
	    EVP_DigestUpdate(ctx, cn, (size_t)cn_len) == 1 &&
	    EVP_DigestUpdate(ctx, tbs, (size_t)tbs_len) == 1 &&
	    EVP_DigestFinal_ex(ctx, digest, &dlen) == 1) {
		*ret_digest = g_bytes_new(digest, dlen);
		r = 0;
	}
	EVP_MD_CTX_free(ctx);
out:
	OPENSSL_free(tbs);
	return r;
}

int auth_signer_identity(const uint8_t *p7der, size_t p7_size, GBytes **ret_digest)
{
	PKCS7 *p7 = auth_pkcs7_load(p7der, p7_size);
	int r = auth_signer_identity_p7(p7, ret_digest);

	PKCS7_free(p7);
	return r;
}

/* Fixed SignatureSize - 16 per type (0 = variable: X.509). */
static bool siglist_type_size(const efi_guid_t *type, uint32_t *ret_size)
{
	static const struct {
		efi_guid_t guid;
		uint32_t size;
	} types[] = {
		{ EFI_CERT_SHA256_GUID, 32 },        { EFI_CERT_RSA2048_GUID, 256 },
		{ EFI_CERT_RSA2048_SHA256_GUID, 256 }, { EFI_CERT_SHA1_GUID, 20 },
		{ EFI_CERT_RSA2048_SHA1_GUID, 256 }, { EFI_CERT_X509_GUID, 0 },
		{ EFI_CERT_SHA224_GUID, 28 },        { EFI_CERT_SHA384_GUID, 48 },
		{ EFI_CERT_SHA512_GUID, 64 },        { EFI_CERT_X509_SHA256_GUID, 48 },
		{ EFI_CERT_X509_SHA384_GUID, 64 },   { EFI_CERT_X509_SHA512_GUID, 80 },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(types); i++)
		if (efi_guid_equal(type, &types[i].guid)) {
			*ret_size = types[i].size;
			return true;
		}
	return false;
}

static bool is_x509_type(const uint8_t *list)
{
	efi_guid_t t, x509 = EFI_CERT_X509_GUID;
	memcpy(&t, list + SL_TYPE, sizeof(t));
	return efi_guid_equal(&t, &x509);
}

/*
 * An X.509 entry of a signature list: a certificate (exactly its bytes) with an RSA key,
 * as edk2's CheckSignatureListFormat asks of RsaGetPublicKeyFromX509.  The parse comes
 * from stmmd's certificate store (cert_cache.h); the RSA rule is applied here, on every
 * call.  A new reference, or NULL.
 */
static X509 *parse_rsa_cert(const uint8_t *der, size_t size)
{
	X509 *x = cert_cache_get(der, size);
	if (!x)
		return NULL;
	EVP_PKEY *k = X509_get0_pubkey(x);
	if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
		X509_free(x);
		return NULL;
	}
	return x;
}

efi_status_t auth_check_signature_lists(const uint8_t *data, size_t size, bool is_pk)
{
	size_t off = 0, count = 0;

	while (off < size) {
		if (size - off < sizeof(struct efi_signature_list))
			return EFI_INVALID_PARAMETER;
		const uint8_t *l = data + off;
		efi_guid_t type;
		memcpy(&type, l + SL_TYPE, sizeof(type));
		uint32_t list_size = get_le32(l + SL_LIST_SIZE),
			 hdr_size = get_le32(l + SL_HEADER_SIZE), sig_size = get_le32(l + SL_SIG_SIZE),
			 fixed;
		if (!siglist_type_size(&type, &fixed) || hdr_size != 0 || list_size < SL_HDR ||
		    list_size > size - off || sig_size <= SD_DATA)
			return EFI_INVALID_PARAMETER;
		if (fixed && sig_size - SD_DATA != fixed)
			return EFI_INVALID_PARAMETER;
		size_t body = list_size - SL_HDR;
		if (body == 0 || body % sig_size)
			return EFI_INVALID_PARAMETER;
		for (size_t s = 0; s < body; s += sig_size) {
			if (!fixed) {
				X509 *x = parse_rsa_cert(l + SL_HDR + s + SD_DATA, sig_size - SD_DATA);
				if (!x)
					return EFI_INVALID_PARAMETER;
				X509_free(x);
			}
			count++;
		}
		off += list_size;
	}
	if (is_pk && count > 1)
		return EFI_INVALID_PARAMETER;
	return EFI_SUCCESS;
}

STACK_OF(X509) *auth_siglist_certs(const uint8_t *data, size_t size)
{
	STACK_OF(X509) *out = sk_X509_new_null();

	for (size_t off = 0; out && size - off >= sizeof(struct efi_signature_list);) {
		const uint8_t *l = data + off;
		uint32_t list_size = get_le32(l + SL_LIST_SIZE), sig_size = get_le32(l + SL_SIG_SIZE);
		if (list_size < SL_HDR || list_size > size - off)
			break;
		if (is_x509_type(l) && sig_size > SD_DATA)
			for (size_t s = SL_HDR + get_le32(l + SL_HEADER_SIZE); s + sig_size <= list_size;
			     s += sig_size) {
				X509 *x = parse_rsa_cert(l + s + SD_DATA, sig_size - SD_DATA);
				if (x && !sk_X509_push(out, x))
					X509_free(x);
			}
		off += list_size;
	}
	return out;
}

static bool siglist_contains(const uint8_t *lists, size_t size, const uint8_t *type,
			     uint32_t sig_size, const uint8_t *sig)
{
	for (size_t off = 0; size - off >= sizeof(struct efi_signature_list);) {
		const uint8_t *l = lists + off;
		uint32_t list_size = get_le32(l + SL_LIST_SIZE), ss = get_le32(l + SL_SIG_SIZE);
		if (list_size < SL_HDR || list_size > size - off)
			return false;
		if (ss == sig_size && memcmp(l + SL_TYPE, type + SL_TYPE, sizeof(efi_guid_t)) == 0)
			for (size_t s = SL_HDR + get_le32(l + SL_HEADER_SIZE); s + ss <= list_size;
			     s += ss)
				if (memcmp(l + s, sig, ss) == 0)
					return true;
		off += list_size;
	}
	return false;
}

GByteArray *auth_filter_signature_lists(const uint8_t *existing, size_t existing_size,
					const uint8_t *add, size_t add_size)
{
	GByteArray *out = g_byte_array_new();

	for (size_t off = 0; add_size - off >= sizeof(struct efi_signature_list);) {
		const uint8_t *l = add + off;
		uint32_t list_size = get_le32(l + SL_LIST_SIZE), hdr = get_le32(l + SL_HEADER_SIZE),
			 ss = get_le32(l + SL_SIG_SIZE);
		if (list_size < SL_HDR || list_size > add_size - off || ss == 0 ||
		    hdr > list_size - SL_HDR)
			break;
		guint start = out->len;
		g_byte_array_append(out, l, (guint)(SL_HDR + hdr));
		for (size_t s = SL_HDR + hdr; s + ss <= list_size; s += ss)
			if (!siglist_contains(existing, existing_size, l, ss, l + s))
				g_byte_array_append(out, l + s, ss);
		if (out->len == start + SL_HDR + hdr)
			g_byte_array_set_size(out, start); /* nothing new in this list */
		else
			put_le32(out->data + start + SL_LIST_SIZE, out->len - start);
		off += list_size;
	}
	return out;
}
