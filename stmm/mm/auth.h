/* SPDX-License-Identifier: MIT */
/*
 * Authenticated-variable primitives, as edk2's AuthVariableLib applies them
 * (mm-variable-protocol.md §3): the EFI_VARIABLE_AUTHENTICATION_2 descriptor, the signed
 * serialization, PKCS#7 verification with OpenSSL 3, signer identities for certdb, and
 * EFI_SIGNATURE_LIST format checks.  No variable-store policy lives here.
 */
#ifndef STMM_EMU_STMM_AUTH_H
#define STMM_EMU_STMM_AUTH_H

#include <glib.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "efi.h"
#include "efi_auth.h"

/* A parsed descriptor; pointers alias the caller's buffer. */
struct auth2 {
	struct efi_time time_stamp;
	const uint8_t *cert;   /* DER PKCS#7 SignedData (bare or ContentInfo) */
	size_t cert_size;
	const uint8_t *payload; /* the new variable value */
	size_t payload_size;
};

/*
 * edk2's descriptor pre-checks (VariableServiceSetVariable) and VerifyTimeBasedPayload
 * steps 1 and 3: size < 40, dwLength < 24 or beyond the data, non-zero pad fields,
 * wCertificateType != 0x0EF1, CertType != PKCS7 → EFI_SECURITY_VIOLATION.
 */
efi_status_t auth2_parse(const uint8_t *data, size_t size, struct auth2 *ret_auth);

/* Compare as edk2 does: Year, Month, Day, Hour, Minute, Second; Nanosecond ignored. */
int efi_time_compare(const struct efi_time *a, const struct efi_time *b);

/*
 * The bytes that were signed: name without its NUL (UCS-2LE) ‖ vendor GUID ‖ attributes
 * (u32 LE, as passed, APPEND included) ‖ timestamp ‖ payload.  `name` is UCS-2LE of
 * `name_size` bytes including the terminating NUL.
 */
GByteArray *auth2_signed_content(const uint8_t *name, size_t name_size, const efi_guid_t *guid,
				 uint32_t attributes, const struct auth2 *auth);

/*
 * Verify a PKCS#7 SignedData over detached `content` against any of `trusted` (partial
 * chains allowed, no time check, any key usage).  Digest algorithms other than
 * SHA-256/384/512 are refused.  EFI_SUCCESS or EFI_SECURITY_VIOLATION.
 */
efi_status_t auth_pkcs7_verify(const uint8_t *p7, size_t p7_size, const uint8_t *content,
			       size_t content_size, STACK_OF(X509) *trusted);

/*
 * The same steps on a SignedData parsed once (a write needs its signer, its identity and
 * its verification: one parse, not three).  auth_pkcs7_load accepts what the DER
 * functions accept (bare or ContentInfo) and returns NULL otherwise; free with PKCS7_free.
 */
PKCS7 *auth_pkcs7_load(const uint8_t *der, size_t size);
/*
 * A trust store of `trusted` with the verification flags above, reusable for any number of
 * auth_pkcs7_verify_p7 calls (NULL if `trusted` is empty or on allocation failure).
 */
X509_STORE *auth_trust_store_new(STACK_OF(X509) *trusted);
efi_status_t auth_pkcs7_verify_p7(PKCS7 *p7, const uint8_t *content, size_t content_size,
				  X509_STORE *trust);
/* The signer and top-level certificates, owned by `p7`.  0 or -EINVAL. */
__attribute__((warn_unused_result)) int auth_pkcs7_signer_p7(PKCS7 *p7, X509 **ret_signer,
							     X509 **ret_top);
/* auth_signer_identity on a parsed SignedData (re-encodes the top certificate's TBS). */
__attribute__((warn_unused_result)) int auth_signer_identity_p7(PKCS7 *p7, GBytes **ret_digest);

/*
 * The signer certificate (DER) of a SignedData with exactly one signer, and the
 * top-level certificate of its stack (edk2 Pkcs7GetSigners: the last one).  0 or -EINVAL.
 */
__attribute__((warn_unused_result)) int auth_pkcs7_signer(const uint8_t *p7, size_t p7_size,
							  GBytes **ret_signer, GBytes **ret_top);

/*
 * certdb identity of a private authenticated variable: Hash(CN of signer ‖ tbsCertificate
 * of the top-level cert), with the SignedData's digest.  0 or -EINVAL.
 */
__attribute__((warn_unused_result)) int auth_signer_identity(const uint8_t *p7, size_t p7_size,
							     GBytes **ret_digest);

/*
 * CheckSignatureListFormat: known types with their fixed sizes, X.509 entries that parse
 * as RSA certificates, SignatureHeaderSize 0, lists tiling the data exactly, at most one
 * signature for PK.  EFI_SUCCESS or EFI_INVALID_PARAMETER.  Certificates are parsed through
 * stmmd's certificate store (cert_cache.h): the same bytes met in a key payload, a trust
 * list or a SignedData are parsed once.
 */
efi_status_t auth_check_signature_lists(const uint8_t *data, size_t size, bool is_pk);

/* Every X.509 certificate in a run of signature lists (assumed well-formed). */
STACK_OF(X509) *auth_siglist_certs(const uint8_t *data, size_t size);

/*
 * APPEND_WRITE to KEK/db/dbx/dbt: drop from `add` every EFI_SIGNATURE_DATA already in
 * `existing` (same type, size, owner and bytes) and rebuild the list headers.
 */
GByteArray *auth_filter_signature_lists(const uint8_t *existing, size_t existing_size,
					const uint8_t *add, size_t add_size);

#endif
