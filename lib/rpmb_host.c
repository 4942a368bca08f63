/* SPDX-License-Identifier: MIT */
#include "rpmb_host.h"

#include <errno.h>
#include <glib.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "perf_count.h"

/* The HMAC algorithm object is immutable once fetched; fetch it once per process. */
static EVP_MAC *hmac_algorithm(void)
{
	static EVP_MAC *mac;

	if (g_once_init_enter(&mac)) {
		EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
		g_once_init_leave(&mac, m);
	}
	return mac;
}

/*
 * Keying HMAC-SHA256 costs a context allocation, a digest fetch and two compressions of the
 * padded key; an RPMB device and its host use one key for every frame.  So the context of
 * the last key is kept (one per process, under a lock) and only reset for the next MAC:
 * EVP_MAC_init() with a NULL key restarts with the key already set.  Any other key simply
 * rekeys it.  Counted in perf_count.h's "hmacs" exactly as before: one per MAC computed.
 */
#define HMAC_CACHED_KEY_MAX 64

static struct {
	GMutex lock;
	EVP_MAC_CTX *ctx; /* keyed with key[0..key_len), or NULL */
	uint8_t key[HMAC_CACHED_KEY_MAX];
	size_t key_len;
} hmac_cache;

/* Returns the context, keyed and reset, with hmac_cache.lock held; NULL (unlocked) on error. */
static EVP_MAC_CTX *hmac_begin(const uint8_t *key, size_t key_len)
{
	EVP_MAC *alg = hmac_algorithm();
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_construct_end(),
	};
	/* OpenSSL refuses a NULL key pointer even for an empty key. */
	static const uint8_t empty_key[1];

	if (!alg)
		return NULL;
	emu_perf_count(EMU_PERF_HMAC);
	g_mutex_lock(&hmac_cache.lock);
	if (hmac_cache.ctx && key_len == hmac_cache.key_len &&
	    CRYPTO_memcmp(key, hmac_cache.key, key_len) == 0) {
		if (EVP_MAC_init(hmac_cache.ctx, NULL, 0, NULL))
			return hmac_cache.ctx;
	}
	if (!hmac_cache.ctx)
		hmac_cache.ctx = EVP_MAC_CTX_new(alg);
	hmac_cache.key_len = 0;
	OPENSSL_cleanse(hmac_cache.key, sizeof(hmac_cache.key));
	if (hmac_cache.ctx && EVP_MAC_init(hmac_cache.ctx, key_len ? key : empty_key, key_len,
					   params)) {
		if (key_len <= sizeof(hmac_cache.key)) {
			memcpy(hmac_cache.key, key, key_len);
			hmac_cache.key_len = key_len;
		} else {
			hmac_cache.key_len = SIZE_MAX; /* matches no key: rekeyed next time */
		}
		return hmac_cache.ctx;
	}
	EVP_MAC_CTX_free(hmac_cache.ctx);
	hmac_cache.ctx = NULL;
	g_mutex_unlock(&hmac_cache.lock);
	return NULL;
}

/* Ends what hmac_begin() started and releases the lock. */
static int hmac_end(EVP_MAC_CTX *ctx, const struct iovec *iov, size_t n, uint8_t ret_mac[32])
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	size_t len = 0;
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		if (iov[i].iov_len && !EVP_MAC_update(ctx, iov[i].iov_base, iov[i].iov_len))
			r = -EIO;
	}
	if (r == 0 && (!EVP_MAC_final(ctx, mac, &len, sizeof(mac)) || len != 32))
		r = -EIO;
	if (r == 0)
		memcpy(ret_mac, mac, 32);
	OPENSSL_cleanse(mac, sizeof(mac));
	g_mutex_unlock(&hmac_cache.lock);
	return r;
}

int hmac_sha256(const uint8_t *key, size_t key_len, const struct iovec *iov, size_t n,
		uint8_t ret_mac[32])
{
	EVP_MAC_CTX *ctx = hmac_begin(key, key_len);

	if (!ctx)
		return -EIO;
	return hmac_end(ctx, iov, n, ret_mac);
}

int rpmb_mac_frames(const uint8_t key[RPMB_KEY_SIZE], const struct rpmb_frame *frames,
		    size_t n, uint8_t ret_mac[32])
{
	if (n == 0)
		return -EINVAL;
	EVP_MAC_CTX *ctx = hmac_begin(key, RPMB_KEY_SIZE);
	if (!ctx)
		return -EIO;
	for (size_t i = 0; i < n; i++) {
		if (!EVP_MAC_update(ctx, frames[i].data, RPMB_MAC_DATA_SIZE)) {
			g_mutex_unlock(&hmac_cache.lock);
			return -EIO;
		}
	}
	return hmac_end(ctx, NULL, 0, ret_mac);
}

int rpmb_sign_frames(const uint8_t key[RPMB_KEY_SIZE], struct rpmb_frame *frames, size_t n)
{
	uint8_t mac[32];
	int r = rpmb_mac_frames(key, frames, n, mac);

	if (r < 0)
		return r;
	memcpy(frames[n - 1].key_mac, mac, sizeof(mac));
	return 0;
}

bool rpmb_verify_frames(const uint8_t key[RPMB_KEY_SIZE], const struct rpmb_frame *frames,
			size_t n)
{
	uint8_t mac[32];

	if (rpmb_mac_frames(key, frames, n, mac) < 0)
		return false;
	return CRYPTO_memcmp(mac, frames[n - 1].key_mac, sizeof(mac)) == 0;
}

void rpmb_frame_get_info(const struct rpmb_frame *f, struct rpmb_frame_info *ret_info)
{
	ret_info->write_counter = get_be32(f->write_counter);
	ret_info->address = get_be16(f->address);
	ret_info->block_count = get_be16(f->block_count);
	ret_info->result = get_be16(f->result);
	ret_info->req_resp = get_be16(f->req_resp);
}

void rpmb_frame_init(struct rpmb_frame *f, uint16_t req_resp, uint16_t address,
		     uint16_t block_count, uint32_t write_counter, const uint8_t *nonce)
{
	memset(f, 0, sizeof(*f));
	if (nonce)
		memcpy(f->nonce, nonce, sizeof(f->nonce));
	put_be32(f->write_counter, write_counter);
	put_be16(f->address, address);
	put_be16(f->block_count, block_count);
	put_be16(f->req_resp, req_resp);
}

const char *rpmb_result_name(uint16_t result, char *buf, size_t size)
{
	static const char *const names[] = {
		[RPMB_RESULT_OK] = "OK",
		[RPMB_RESULT_GENERAL_FAILURE] = "GENERAL_FAILURE",
		[RPMB_RESULT_AUTH_FAILURE] = "AUTH_FAILURE",
		[RPMB_RESULT_COUNTER_FAILURE] = "COUNTER_FAILURE",
		[RPMB_RESULT_ADDRESS_FAILURE] = "ADDRESS_FAILURE",
		[RPMB_RESULT_WRITE_FAILURE] = "WRITE_FAILURE",
		[RPMB_RESULT_READ_FAILURE] = "READ_FAILURE",
		[RPMB_RESULT_NO_AUTH_KEY] = "NO_AUTH_KEY",
	};
	uint16_t code = result & RPMB_RESULT_MASK;
	const char *expired = (result & RPMB_RESULT_WR_CNT_EXPIRED) ? " | WR_CNT_EXPIRED" : "";

	if (code < G_N_ELEMENTS(names) && (result & ~(RPMB_RESULT_MASK | RPMB_RESULT_WR_CNT_EXPIRED)) == 0)
		snprintf(buf, size, "%s%s", names[code], expired);
	else
		snprintf(buf, size, "result 0x%04x", result);
	return buf;
}
