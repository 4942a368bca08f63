/* SPDX-License-Identifier: MIT */
/*
 * A SignedData parsed with its certificates taken from a cache (issue 16).
 *
 * OpenSSL 3.0 decodes every certificate's public key through a freshly built decoder chain
 * when it parses the certificate: ~2/3 of the CPU time of an authenticated SetVariable's
 * signature check went into re-parsing the same signer certificate that every update of a
 * variable carries.  auth_p7cache_load() parses the SignedData with its `certificates`
 * field kept as raw DER, then takes each certificate from stmmd's store of parsed
 * certificates keyed by their DER bytes (cert_cache.h; parsed with d2i_X509 the first time).
 * The result is the PKCS7 that d2i_PKCS7 makes, certificates shared by reference.
 *
 * Anything it does not recognise (BER the template refuses, a certificate that does not
 * parse, no SignedData content) returns NULL: the caller then takes the plain d2i path, so
 * what is accepted or refused does not change.  Either way it leaves the thread's OpenSSL
 * error queue as it found it: the form is told from the first tag before any decode, and
 * the errors of a decode that fails are dropped (nothing reads them, and a queue that
 * grows by a few entries per SetVariable costs each call and is, to libFuzzer's leak
 * check in fuzz_mm, memory kept from one input to the next).
 */
#ifndef STMM_EMU_STMM_AUTH_P7CACHE_H
#define STMM_EMU_STMM_AUTH_P7CACHE_H

#include <openssl/pkcs7.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The SignedData in der[0..size): a ContentInfo of type id-signedData (content_info) or a
 * bare SignedData.  NULL if the fast path does not apply.  Free with PKCS7_free.
 */
PKCS7 *auth_p7cache_load(const uint8_t *der, size_t size, bool content_info);

#endif
