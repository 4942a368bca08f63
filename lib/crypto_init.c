/* SPDX-License-Identifier: MIT */
#include "crypto_init.h"

#include <errno.h>
#include <openssl/crypto.h>

int emu_crypto_init(void)
{
	return OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) == 1 ? 0 : -EIO;
}
