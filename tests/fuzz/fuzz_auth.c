/* SPDX-License-Identifier: MIT */
/*
 * fuzz_auth: the authenticated-variable parsers of stmm/mm/auth.c on one input:
 *   - as the data of a time-based authenticated SetVariable: auth2_parse (the
 *     EFI_VARIABLE_AUTHENTICATION_2 descriptor), then for a parsed one the signed
 *     serialization, PKCS#7 verification (against an empty trust list: every path up to
 *     the signer check is parsing), signer extraction and the certdb identity;
 *   - as a run of EFI_SIGNATURE_LISTs: auth_check_signature_lists (as for PK and as for
 *     db), and for well-formed ones the X.509 extraction and the APPEND_WRITE filter
 *     against itself and against nothing.
 *   - the descriptor's payload (what follows the PKCS#7) also goes through the
 *     signature-list checks, as it would for PK/KEK/db.
 */
#include <openssl/x509.h>
#include <string.h>

#include "auth.h"
#include "efi.h"
#include "fuzz.h"

static void siglists(const uint8_t *data, size_t size)
{
	bool ok_pk = auth_check_signature_lists(data, size, true) == EFI_SUCCESS;
	bool ok_db = auth_check_signature_lists(data, size, false) == EFI_SUCCESS;

	if (ok_pk && !ok_db)
		abort(); /* PK's rule is the stricter one */
	if (!ok_db)
		return;
	STACK_OF(X509) *certs = auth_siglist_certs(data, size);
	sk_X509_pop_free(certs, X509_free);
	GByteArray *f = auth_filter_signature_lists(data, size, data, size);
	if (f)
		g_byte_array_unref(f);
	f = auth_filter_signature_lists(NULL, 0, data, size);
	if (f)
		g_byte_array_unref(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t name[] = { 'd', 0, 'b', 0, 0, 0 };
	static const efi_guid_t guid = EFI_GLOBAL_VARIABLE_GUID;
	static STACK_OF(X509) *trusted;
	struct auth2 a;

	fuzz_quiet();
	if (!trusted)
		trusted = sk_X509_new_null();

	siglists(data, size);
	if (auth2_parse(data, size, &a) != EFI_SUCCESS)
		return 0;
	if (a.cert < data || a.cert_size > size || a.cert + a.cert_size > data + size ||
	    a.payload < data || a.payload + a.payload_size > data + size)
		abort(); /* the descriptor's views must stay inside the input */

	GByteArray *content = auth2_signed_content(name, sizeof(name), &guid, 0x27, &a);
	if (content) {
		(void)auth_pkcs7_verify(a.cert, a.cert_size, content->data, content->len, trusted);
		g_byte_array_unref(content);
	}
	GBytes *signer = NULL, *top = NULL, *digest = NULL;
	if (auth_pkcs7_signer(a.cert, a.cert_size, &signer, &top) == 0) {
		g_bytes_unref(signer);
		g_bytes_unref(top);
	}
	if (auth_signer_identity(a.cert, a.cert_size, &digest) == 0)
		g_bytes_unref(digest);
	siglists(a.payload, a.payload_size);
	return 0;
}
