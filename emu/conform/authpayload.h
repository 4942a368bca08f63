/* SPDX-License-Identifier: MIT */
/*
 * Building EFI_VARIABLE_AUTHENTICATION_2 payloads with OpenSSL 3, as efitools'
 * sign-efi-sig-list and sbsigntool make them (mm-variable-protocol.md §3.1, §3.2;
 * clients-conformance.md §1.7): a PKCS#7 SignedData, SHA-256 by default, detached content,
 * no signed attributes, DER; the descriptor (EFI_TIME, WIN_CERTIFICATE_UEFI_GUID with
 * wRevision 0x0200, wCertificateType 0x0EF1, CertType PKCS7) then the payload; and
 * EFI_SIGNATURE_LISTs of one X.509 certificate for PK/KEK/db.  Layouts: include/efi_auth.h.
 *
 * The signed bytes are: name without its NUL (UCS-2LE) ‖ vendor GUID ‖ attributes (u32 LE,
 * as passed to SetVariable, APPEND included) ‖ timestamp ‖ payload.
 */
#ifndef STMM_EMU_EMU_AUTHPAYLOAD_H
#define STMM_EMU_EMU_AUTHPAYLOAD_H

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include "efi.h"
#include "efi_auth.h"

/* A private key and its certificate. */
struct ap_signer;
typedef struct ap_signer ap_signer;

/* Load a PEM private key and a PEM certificate.  0, -ENOENT, or -EINVAL (unparsable). */
__attribute__((warn_unused_result)) int ap_signer_load(const char *key_path,
						       const char *cert_path,
						       struct ap_signer **ret_signer);
void ap_signer_free(struct ap_signer *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ap_signer, ap_signer_free)

/* The DER of the signer's certificate. */
GBytes *ap_signer_cert_der(const struct ap_signer *s);

/* Where the PKCS#7 comes out: OpenSSL's ContentInfo, or the bare SignedData efitools writes. */
enum ap_form {
	AP_FORM_CONTENT_INFO = 0,
	AP_FORM_SIGNED_DATA = 1,
};

/* One authenticated SetVariable. */
struct ap_params {
	const uint8_t *name;      /* UCS-2LE incl. the terminating NUL */
	size_t name_size;         /* bytes, incl. the NUL */
	const efi_guid_t *guid;
	uint32_t attributes;      /* as passed to SetVariable (APPEND included) */
	struct efi_time time_stamp;
	const uint8_t *payload;   /* may be NULL when payload_size is 0 */
	size_t payload_size;
	const struct ap_signer *signer;
	const EVP_MD *md;         /* NULL: SHA-256 */
	enum ap_form form;
};

/* An EFI_TIME with only the date and time set (pads, zone, nanoseconds 0). */
struct efi_time ap_time(unsigned year, unsigned month, unsigned day, unsigned hour,
			unsigned minute, unsigned second);

/* The bytes that are signed for `p` (the signer is not used). */
GByteArray *ap_signed_bytes(const struct ap_params *p);

/*
 * A detached PKCS#7 SignedData over `content`: one signer, its certificate included,
 * digest `md` (NULL = SHA-256), no signed attributes, DER in `form`.  0 or -EINVAL.
 */
__attribute__((warn_unused_result)) int ap_pkcs7_sign(const struct ap_signer *s, const EVP_MD *md,
						      enum ap_form form, const uint8_t *content,
						      size_t content_size, GByteArray **ret_der);

/* Descriptor around a given PKCS#7 blob, then the payload. */
GByteArray *ap_descriptor(const struct efi_time *ts, const uint8_t *p7, size_t p7_size,
			  const uint8_t *payload, size_t payload_size);

/* The whole SetVariable data: ap_signed_bytes → ap_pkcs7_sign → ap_descriptor.  0 or -EINVAL. */
__attribute__((warn_unused_result)) int ap_build(const struct ap_params *p, GByteArray **ret_data);

/* An EFI_SIGNATURE_LIST of one X.509 certificate (EFI_CERT_X509_GUID, header size 0). */
GByteArray *ap_x509_esl(const uint8_t *der, size_t der_size, const efi_guid_t *owner);

/* Offset of the PKCS#7 blob in a descriptor and its size (dwLength - 24). */
#define AP_P7_OFFSET EFI_VARIABLE_AUTHENTICATION_2_CERT_DATA_OFFSET
size_t ap_p7_size(const uint8_t *data, size_t size);

#endif
