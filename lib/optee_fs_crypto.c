/* SPDX-License-Identifier: MIT */
/* OP-TEE's secure-storage keys and RPMB FS block cipher: see optee_fs_crypto.h. */
#include "optee_fs_crypto.h"

#include <errno.h>
#include <string.h>

#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "bytes.h"
#include "rpmb_host.h"

int optee_huk_subkey_derive(const uint8_t huk[OPTEE_FS_HUK_SIZE], uint32_t usage,
			    const void *const_data, size_t const_len, uint8_t *ret_subkey,
			    size_t subkey_len)
{
	uint8_t usage_le[4];
	uint8_t mac[32];

	if (subkey_len > OPTEE_FS_SUBKEY_MAX || (!const_data && const_len))
		return -EINVAL;
	put_le32(usage_le, usage); /* mac_usage(): the enum's 4 bytes as in memory */
	struct iovec iov[2] = {
		{ .iov_base = usage_le, .iov_len = sizeof(usage_le) },
		{ .iov_base = (void *)const_data, .iov_len = const_len },
	};
	int r = hmac_sha256(huk, OPTEE_FS_HUK_SIZE, iov, 2, mac);
	if (r == 0)
		memcpy(ret_subkey, mac, subkey_len);
	OPENSSL_cleanse(mac, sizeof(mac));
	return r;
}

int optee_fs_derive_ssk(const uint8_t huk[OPTEE_FS_HUK_SIZE], uint8_t ret_ssk[OPTEE_FS_SSK_SIZE])
{
	return optee_huk_subkey_derive(huk, 1u /* HUK_SUBKEY_SSK */, NULL, 0, ret_ssk,
				       OPTEE_FS_SSK_SIZE);
}

int optee_fs_derive_tsk(const uint8_t ssk[OPTEE_FS_SSK_SIZE], const uint8_t *uuid_mem,
			uint8_t ret_tsk[OPTEE_FS_TSK_SIZE])
{
	/* Without a UUID: one zero byte, a length no UUID can have. */
	static const uint8_t dummy[1] = { 0 };
	struct iovec iov = {
		.iov_base = (void *)(uuid_mem ? uuid_mem : dummy),
		.iov_len = uuid_mem ? OPTEE_FS_UUID_SIZE : sizeof(dummy),
	};
	return hmac_sha256(ssk, OPTEE_FS_SSK_SIZE, &iov, 1, ret_tsk);
}

/*
 * The algorithms of OP-TEE's secure storage, fetched once per process and kept: given a
 * legacy EVP_CIPHER or EVP_MD, OpenSSL 3 looks the algorithm up by name in its method store
 * at every use -- three lookups per RPMB block (ESSIV digest, ESSIV cipher, block cipher),
 * the largest user-space cost of StMM's worker per request.  NULL when OpenSSL cannot
 * provide one (then every call fails with -EIO).
 */
enum { ALG_AES_128_ECB, ALG_AES_128_CBC, ALG_AES_256_ECB, ALG_SHA_256, ALG_COUNT };
static const char *const alg_names[ALG_COUNT] = { "AES-128-ECB", "AES-128-CBC", "AES-256-ECB",
						  "SHA2-256" };

static gpointer fetch_alg(gpointer which)
{
	unsigned i = GPOINTER_TO_UINT(which);
	if (i == ALG_SHA_256)
		return EVP_MD_fetch(NULL, alg_names[i], NULL);
	return EVP_CIPHER_fetch(NULL, alg_names[i], NULL);
}

static gpointer alg(unsigned which)
{
	static GOnce once[ALG_COUNT] = { G_ONCE_INIT, G_ONCE_INIT, G_ONCE_INIT, G_ONCE_INIT };
	return g_once(&once[which], fetch_alg, GUINT_TO_POINTER(which));
}

int optee_fs_crypto_fetch(void)
{
	for (unsigned i = 0; i < ALG_COUNT; i++)
		if (!alg(i))
			return -EIO;
	return 0;
}

/* One EVP cipher pass without padding over len bytes (a multiple of 16). */
static int cipher(unsigned which, const uint8_t *key, const uint8_t *iv, bool encrypt,
		  const uint8_t *in, uint8_t *out, size_t len)
{
	const EVP_CIPHER *c = alg(which);
	EVP_CIPHER_CTX *ctx;
	int outl = 0, finl = 0;
	int r = -EIO;

	if (len % 16 || len > INT32_MAX)
		return -EINVAL;
	if (!c)
		return -EIO;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -EIO;
	if (EVP_CipherInit_ex(ctx, c, NULL, key, iv, encrypt ? 1 : 0) &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	    EVP_CipherUpdate(ctx, out, &outl, in, (int)len) &&
	    EVP_CipherFinal_ex(ctx, out + outl, &finl) && (size_t)(outl + finl) == len)
		r = 0;
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

int optee_fs_fek_crypt(const uint8_t tsk[OPTEE_FS_TSK_SIZE], bool encrypt,
		       const uint8_t in[OPTEE_FS_FEK_SIZE], uint8_t out[OPTEE_FS_FEK_SIZE])
{
	/* TEE_FS_KM_ENC_FEK_ALG is AES-ECB; the key is the whole 32-byte TSK: AES-256. */
	uint8_t tmp[OPTEE_FS_FEK_SIZE];
	int r = cipher(ALG_AES_256_ECB, tsk, NULL, encrypt, in, tmp, sizeof(tmp));
	if (r == 0)
		memcpy(out, tmp, sizeof(tmp));
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return r;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

int optee_fs_generate_fek(const uint8_t tsk[OPTEE_FS_TSK_SIZE],
			  uint8_t ret_encrypted_fek[OPTEE_FS_FEK_SIZE])
{
	uint8_t fek[OPTEE_FS_FEK_SIZE];
	uint8_t enc[OPTEE_FS_FEK_SIZE];
	int r;

	do {
		if (RAND_priv_bytes(fek, sizeof(fek)) != 1) {
			r = -EIO;
			break;
		}
		r = optee_fs_fek_crypt(tsk, true, fek, enc);
	} while (r == 0 && all_zero(enc, sizeof(enc)));
	if (r == 0)
		memcpy(ret_encrypted_fek, enc, sizeof(enc));
	OPENSSL_cleanse(fek, sizeof(fek));
	return r;
}

int optee_fs_essiv(const uint8_t fek[OPTEE_FS_FEK_SIZE], uint16_t blk_idx, uint8_t ret_iv[16])
{
	uint8_t sha[32];
	uint8_t pad_blkid[16] = { 0 };
	unsigned int len = 0;
	int r;

	const EVP_MD *md = alg(ALG_SHA_256);
	if (!md || !EVP_Digest(fek, OPTEE_FS_FEK_SIZE, sha, &len, md, NULL) || len != 32)
		return -EIO;
	put_le16(pad_blkid, blk_idx);
	/* The ESSIV key is the first 16 bytes of the hash: AES-128. */
	r = cipher(ALG_AES_128_ECB, sha, NULL, true, pad_blkid, ret_iv, sizeof(pad_blkid));
	OPENSSL_cleanse(sha, sizeof(sha));
	return r;
}

int optee_fs_crypt_block_fek(const uint8_t fek[OPTEE_FS_FEK_SIZE], uint16_t blk_idx, bool encrypt,
			     const uint8_t *in, uint8_t *out, size_t size)
{
	uint8_t iv[16];
	int r = optee_fs_essiv(fek, blk_idx, iv);
	if (r == 0)
		r = cipher(ALG_AES_128_CBC, fek, iv, encrypt, in, out, size);
	OPENSSL_cleanse(iv, sizeof(iv));
	return r;
}

int optee_fs_crypt_block(const uint8_t tsk[OPTEE_FS_TSK_SIZE],
			 const uint8_t encrypted_fek[OPTEE_FS_FEK_SIZE], uint16_t blk_idx,
			 bool encrypt, const uint8_t *in, uint8_t *out, size_t size)
{
	uint8_t fek[OPTEE_FS_FEK_SIZE];
	int r = optee_fs_fek_crypt(tsk, false, encrypted_fek, fek);
	if (r == 0)
		r = optee_fs_crypt_block_fek(fek, blk_idx, encrypt, in, out, size);
	OPENSSL_cleanse(fek, sizeof(fek));
	return r;
}
