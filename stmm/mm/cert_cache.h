/* SPDX-License-Identifier: MIT */
/*
 * The parsed X.509 certificates of stmmd, kept by their exact DER bytes (issue 16).
 *
 * OpenSSL 3.0 decodes a certificate's public key through a freshly built decoder chain on
 * every d2i_X509: most of the CPU of an authenticated write went into parsing, again, the
 * signer certificate each payload carries and the PK/KEK certificates it is checked
 * against -- often the very same bytes.  One process-wide store serves both the SignedData
 * parse (auth_p7cache.c) and the EFI_SIGNATURE_LIST checks and trust lists (auth.c), so a
 * certificate is parsed once whichever path meets it first.
 *
 * A parse is a pure function of the bytes, so an answer from the store is the answer a
 * fresh d2i_X509 gives: what is accepted or refused does not depend on it.  Rules about the
 * certificate (RSA only, ...) belong to the callers.  Bytes that do not parse are not kept.
 *
 * Memory is bounded: at most CERT_CACHE_MAX_CERTS certificates of at most
 * CERT_CACHE_MAX_DER bytes of DER each (a larger one is parsed and returned, not kept), the
 * least recently used one replaced when full: at most 32 x 16 KiB of DER plus their parsed
 * forms.  Safe to call from any thread.
 */
#ifndef STMM_EMU_STMM_CERT_CACHE_H
#define STMM_EMU_STMM_CERT_CACHE_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#define CERT_CACHE_MAX_CERTS 32
#define CERT_CACHE_MAX_DER (16 * 1024)

/*
 * The certificate der[0..size) encodes exactly (d2i_X509 consuming every byte), with a new
 * reference for the caller (X509_free it), or NULL if the bytes are not one certificate.
 */
X509 *cert_cache_get(const uint8_t *der, size_t size);

/* What the store did so far (for tests and the bench). */
struct cert_cache_stats {
	uint64_t parses; /* d2i_X509 calls made */
	uint64_t hits;   /* answers from the store */
	unsigned count;  /* certificates held now */
};
void cert_cache_get_stats(struct cert_cache_stats *ret_stats);

/* Drop every certificate (their holders keep their own references). */
void cert_cache_clear(void);

#endif
