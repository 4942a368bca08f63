/* SPDX-License-Identifier: MIT */
/*
 * OP-TEE's secure-storage crypto written out independently of lib/optee_fs_crypto.c, from
 * the definitions in optee_os tee_fs_key_manager.c / huk_subkey.c, for the tests that
 * check it (test_lib_optee_fs_crypto.c) and the bytes the RPMB FS leaves on the device
 * (test_stmm_rpmb_fs.c).  Plain OpenSSL 3 calls, every step asserted.  Header-only so each
 * test stays one translation unit; include after <cmocka.h>.
 */
#ifndef STMM_EMU_TEST_OPTEE_REF_CRYPTO_H
#define STMM_EMU_TEST_OPTEE_REF_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* HMAC-SHA256(key, msg). */
static inline void ref_hmac(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t len,
			    uint8_t out[32])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
				OSSL_PARAM_construct_end() };
	size_t outl = 0;
	assert_non_null(ctx);
	assert_int_equal(EVP_MAC_init(ctx, key, key_len, params), 1);
	assert_int_equal(EVP_MAC_update(ctx, msg, len), 1);
	assert_int_equal(EVP_MAC_final(ctx, out, &outl, 32), 1);
	assert_int_equal(outl, 32);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
}

/* One unpadded cipher pass (enc 1: encrypt, 0: decrypt). */
static inline void ref_cipher(const EVP_CIPHER *alg, const uint8_t *key, const uint8_t *iv,
			      int enc, const uint8_t *in, uint8_t *out, int len)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0;
	assert_non_null(ctx);
	assert_int_equal(EVP_CipherInit_ex(ctx, alg, NULL, key, iv, enc), 1);
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	assert_int_equal(EVP_CipherUpdate(ctx, out, &l1, in, len), 1);
	assert_int_equal(EVP_CipherFinal_ex(ctx, out + l1, &l2), 1);
	assert_int_equal(l1 + l2, len);
	EVP_CIPHER_CTX_free(ctx);
}

/* essiv(): AES-128-ECB(key SHA-256(fek)[0..15], LE16(blk) || 14 zero bytes). */
static inline void ref_essiv(const uint8_t fek[16], uint16_t blk, uint8_t iv[16])
{
	uint8_t sha[32];
	uint8_t pad[16] = { (uint8_t)(blk & 0xff), (uint8_t)(blk >> 8) };
	assert_int_equal(EVP_Digest(fek, 16, sha, NULL, EVP_sha256(), NULL), 1);
	ref_cipher(EVP_aes_128_ecb(), sha, NULL, 1, pad, iv, 16);
}

#endif
