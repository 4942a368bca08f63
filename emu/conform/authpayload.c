/* SPDX-License-Identifier: MIT */
/* EFI_VARIABLE_AUTHENTICATION_2 payloads made with OpenSSL 3 (see authpayload.h). */
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "authpayload.h"
#include "bytes.h"
#include "efi_auth.h"

struct ap_signer {
	EVP_PKEY *key;
	X509 *cert;
};

void ap_signer_free(struct ap_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->key);
	X509_free(s->cert);
	g_free(s);
}

int ap_signer_load(const char *key_path, const char *cert_path, struct ap_signer **ret_signer)
{
	FILE *kf = NULL, *cf = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int r = -ENOENT;

	kf = fopen(key_path, "r");
	if (!kf)
		goto out;
	cf = fopen(cert_path, "r");
	if (!cf)
		goto out;
	r = -EINVAL;
	key = PEM_read_PrivateKey(kf, NULL, NULL, NULL);
	cert = PEM_read_X509(cf, NULL, NULL, NULL);
	if (!key || !cert || X509_check_private_key(cert, key) != 1)
		goto out;
	struct ap_signer *s = g_new0(struct ap_signer, 1);
	s->key = g_steal_pointer(&key);
	s->cert = g_steal_pointer(&cert);
	*ret_signer = s;
	r = 0;
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	if (cf)
		fclose(cf);
	if (kf)
		fclose(kf);
	return r;
}

GBytes *ap_signer_cert_der(const struct ap_signer *s)
{
	unsigned char *der = NULL;
	int n = i2d_X509(s->cert, &der);
	if (n <= 0)
		return g_bytes_new(NULL, 0);
	GBytes *b = g_bytes_new(der, (gsize)n);
	OPENSSL_free(der);
	return b;
}

struct efi_time ap_time(unsigned year, unsigned month, unsigned day, unsigned hour,
			unsigned minute, unsigned second)
{
	struct efi_time t = { 0 };

	t.year = (uint16_t)year;
	t.month = (uint8_t)month;
	t.day = (uint8_t)day;
	t.hour = (uint8_t)hour;
	t.minute = (uint8_t)minute;
	t.second = (uint8_t)second;
	return t;
}

/* EFI_TIME in its wire layout (little endian). */
static void put_time(uint8_t out[sizeof(struct efi_time)], const struct efi_time *t)
{
	put_le16(out + offsetof(struct efi_time, year), t->year);
	out[offsetof(struct efi_time, month)] = t->month;
	out[offsetof(struct efi_time, day)] = t->day;
	out[offsetof(struct efi_time, hour)] = t->hour;
	out[offsetof(struct efi_time, minute)] = t->minute;
	out[offsetof(struct efi_time, second)] = t->second;
	out[offsetof(struct efi_time, pad1)] = t->pad1;
	put_le32(out + offsetof(struct efi_time, nanosecond), t->nanosecond);
	put_le16(out + offsetof(struct efi_time, time_zone), (uint16_t)t->time_zone);
	out[offsetof(struct efi_time, daylight)] = t->daylight;
	out[offsetof(struct efi_time, pad2)] = t->pad2;
}

/* EFI_VARIABLE_AUTHENTICATION_2 fields, from the start of the descriptor. */
#define A2(field) offsetof(struct efi_variable_authentication_2, field)
/* EFI_SIGNATURE_LIST fields, from the start of a list. */
#define SL(field) offsetof(struct efi_signature_list, field)
/* EFI_SIGNATURE_DATA: the signature after its owner GUID. */
#define SD_DATA offsetof(struct efi_signature_data, signature_data)

GByteArray *ap_signed_bytes(const struct ap_params *p)
{
	GByteArray *b = g_byte_array_new();
	uint8_t a[sizeof(uint32_t)], ts[sizeof(struct efi_time)];
	size_t name_bytes = p->name_size >= 2 ? p->name_size - 2 : 0;

	g_byte_array_append(b, p->name, (guint)name_bytes);
	g_byte_array_append(b, p->guid->b, sizeof(p->guid->b));
	put_le32(a, p->attributes);
	g_byte_array_append(b, a, sizeof(a));
	put_time(ts, &p->time_stamp);
	g_byte_array_append(b, ts, sizeof(ts));
	if (p->payload_size)
		g_byte_array_append(b, p->payload, (guint)p->payload_size);
	return b;
}

int ap_pkcs7_sign(const struct ap_signer *s, const EVP_MD *md, enum ap_form form,
		  const uint8_t *content, size_t content_size, GByteArray **ret_der)
{
	const int flags = PKCS7_BINARY | PKCS7_DETACHED | PKCS7_NOATTR;
	PKCS7 *p7 = NULL;
	BIO *in = NULL;
	unsigned char *der = NULL;
	int n = -1, r = -EINVAL;

	in = BIO_new_mem_buf(content_size ? content : (const void *)"", (int)content_size);
	if (!in)
		goto out;
	p7 = PKCS7_sign(NULL, NULL, NULL, NULL, flags | PKCS7_PARTIAL);
	if (!p7)
		goto out;
	if (!PKCS7_sign_add_signer(p7, s->cert, s->key, md ? md : EVP_sha256(), flags))
		goto out;
	if (PKCS7_final(p7, in, flags) != 1)
		goto out;
	if (form == AP_FORM_SIGNED_DATA)
		n = i2d_PKCS7_SIGNED(p7->d.sign, &der);
	else
		n = i2d_PKCS7(p7, &der);
	if (n <= 0)
		goto out;
	*ret_der = g_byte_array_new_take(g_memdup2(der, (gsize)n), (gsize)n);
	r = 0;
out:
	OPENSSL_free(der);
	PKCS7_free(p7);
	BIO_free(in);
	return r;
}

GByteArray *ap_descriptor(const struct efi_time *ts, const uint8_t *p7, size_t p7_size,
			  const uint8_t *payload, size_t payload_size)
{
	static const efi_guid_t pkcs7_guid = EFI_CERT_TYPE_PKCS7_GUID;
	uint8_t hdr[AP_P7_OFFSET];

	put_time(hdr + A2(time_stamp), ts);
	put_le32(hdr + A2(auth_info.hdr.dw_length),
		 (uint32_t)(sizeof(struct win_certificate_uefi_guid) + p7_size));
	put_le16(hdr + A2(auth_info.hdr.w_revision), WIN_CERT_REVISION);
	put_le16(hdr + A2(auth_info.hdr.w_certificate_type), WIN_CERT_TYPE_EFI_GUID);
	memcpy(hdr + A2(auth_info.cert_type), pkcs7_guid.b, sizeof(pkcs7_guid.b));

	GByteArray *b = g_byte_array_sized_new((guint)(sizeof(hdr) + p7_size + payload_size));
	g_byte_array_append(b, hdr, sizeof(hdr));
	g_byte_array_append(b, p7, (guint)p7_size);
	if (payload_size)
		g_byte_array_append(b, payload, (guint)payload_size);
	return b;
}

int ap_build(const struct ap_params *p, GByteArray **ret_data)
{
	g_autoptr(GByteArray) content = ap_signed_bytes(p);
	g_autoptr(GByteArray) p7 = NULL;

	if (!p->signer)
		return -EINVAL;
	int r = ap_pkcs7_sign(p->signer, p->md, p->form, content->data, content->len, &p7);
	if (r < 0)
		return r;
	*ret_data = ap_descriptor(&p->time_stamp, p7->data, p7->len, p->payload, p->payload_size);
	return 0;
}

GByteArray *ap_x509_esl(const uint8_t *der, size_t der_size, const efi_guid_t *owner)
{
	static const efi_guid_t x509_guid = EFI_CERT_X509_GUID;
	uint8_t hdr[sizeof(struct efi_signature_list)];

	memcpy(hdr + SL(signature_type), x509_guid.b, sizeof(x509_guid.b));
	put_le32(hdr + SL(signature_list_size), (uint32_t)(sizeof(hdr) + SD_DATA + der_size));
	put_le32(hdr + SL(signature_header_size), 0);
	put_le32(hdr + SL(signature_size), (uint32_t)(SD_DATA + der_size));
	GByteArray *b = g_byte_array_sized_new((guint)(sizeof(hdr) + SD_DATA + der_size));
	g_byte_array_append(b, hdr, sizeof(hdr));
	g_byte_array_append(b, owner->b, sizeof(owner->b)); /* SignatureOwner */
	g_byte_array_append(b, der, (guint)der_size);
	return b;
}

size_t ap_p7_size(const uint8_t *data, size_t size)
{
	if (size < AP_P7_OFFSET)
		return 0;
	const uint32_t fixed = sizeof(struct win_certificate_uefi_guid);
	uint32_t dw = get_le32(data + A2(auth_info.hdr.dw_length));
	if (dw < fixed || dw - fixed > size - AP_P7_OFFSET)
		return 0;
	return dw - fixed;
}
