/* SPDX-License-Identifier: MIT */
#include "crypto_init.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

int emu_crypto_init(unsigned warm)
{
	if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, NULL) != 1)
		return -EIO;
	/* Fetched and freed: the library's method store keeps them for the later fetches. */
	if (warm & EMU_CRYPTO_HMAC_SHA256) {
		EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
		int ok = mac && md;
		EVP_MAC_free(mac);
		EVP_MD_free(md);
		if (!ok)
			return -EIO;
	}
	return 0;
}
