/* SPDX-License-Identifier: MIT */
/*
 * OP-TEE's secure-storage key hierarchy and RPMB FS data cipher (optee_os
 * core/kernel/huk_subkey.c, core/tee/tee_fs_key_manager.c; rpmb-and-supplicant.md §2.9):
 *
 *   SSK = HMAC-SHA256(HUK, LE32(HUK_SUBKEY_SSK = 1))                    32 bytes
 *   TSK = HMAC-SHA256(SSK, TEE_UUID of the TA/SP as in memory)          32 bytes
 *         (no UUID: HMAC-SHA256(SSK, one 0x00 byte))
 *   encrypted FEK = AES-256-ECB(key TSK, FEK)                           16 bytes
 *   IV(block)     = AES-128-ECB(key SHA-256(FEK)[0..15], LE16(block) || 14 zero bytes)
 *   data          = AES-128-CBC(key FEK, IV(block)), no padding, per 256-byte RPMB block,
 *                   block = the absolute RPMB block index the data is written to
 *
 * The default huk_subkey_derive (CFG_CORE_HUK_SUBKEY_COMPAT off).  OpenSSL 3 EVP; all
 * functions return 0, -EINVAL for a bad size, or -EIO when OpenSSL fails.  Key material
 * on the stack is cleansed.
 */
#ifndef STMM_EMU_OPTEE_FS_CRYPTO_H
#define STMM_EMU_OPTEE_FS_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OPTEE_FS_HUK_SIZE 16u
#define OPTEE_FS_SSK_SIZE 32u /* TEE_FS_KM_SSK_SIZE */
#define OPTEE_FS_TSK_SIZE 32u /* TEE_FS_KM_TSK_SIZE */
#define OPTEE_FS_FEK_SIZE 16u /* TEE_FS_KM_FEK_SIZE */
#define OPTEE_FS_UUID_SIZE 16u
#define OPTEE_FS_SUBKEY_MAX 32u /* HUK_SUBKEY_MAX_LEN */

/* huk_subkey_derive: HMAC-SHA256(huk, LE32(usage) || const_data), truncated to len <= 32. */
__attribute__((warn_unused_result)) int
optee_huk_subkey_derive(const uint8_t huk[OPTEE_FS_HUK_SIZE], uint32_t usage,
			const void *const_data, size_t const_len, uint8_t *ret_subkey,
			size_t subkey_len);

/* tee_fs_init_key_manager: the SSK. */
__attribute__((warn_unused_result)) int optee_fs_derive_ssk(const uint8_t huk[OPTEE_FS_HUK_SIZE],
							     uint8_t ret_ssk[OPTEE_FS_SSK_SIZE]);

/* The TSK of a TA/SP: uuid_mem is its TEE_UUID's 16 bytes as in memory, or NULL. */
__attribute__((warn_unused_result)) int
optee_fs_derive_tsk(const uint8_t ssk[OPTEE_FS_SSK_SIZE], const uint8_t *uuid_mem,
		    uint8_t ret_tsk[OPTEE_FS_TSK_SIZE]);

/* tee_fs_fek_crypt: AES-256-ECB of one 16-byte key with the TSK. */
__attribute__((warn_unused_result)) int
optee_fs_fek_crypt(const uint8_t tsk[OPTEE_FS_TSK_SIZE], bool encrypt,
		   const uint8_t in[OPTEE_FS_FEK_SIZE], uint8_t out[OPTEE_FS_FEK_SIZE]);

/*
 * tee_fs_generate_fek + rpmb_fs's generate_fek: a random FEK, encrypted with the TSK,
 * drawn again while the ENCRYPTED value is all zero (a zero FEK field means "created
 * without encryption" to tee_rpmb_fs).
 */
__attribute__((warn_unused_result)) int
optee_fs_generate_fek(const uint8_t tsk[OPTEE_FS_TSK_SIZE],
		      uint8_t ret_encrypted_fek[OPTEE_FS_FEK_SIZE]);

/* essiv(): the CBC IV of RPMB block blk_idx for a (plain) FEK. */
__attribute__((warn_unused_result)) int optee_fs_essiv(const uint8_t fek[OPTEE_FS_FEK_SIZE],
							uint16_t blk_idx, uint8_t ret_iv[16]);

/*
 * tee_fs_crypt_block: decrypt the FEK with the TSK, then AES-128-CBC(FEK, essiv(blk_idx))
 * over size bytes (a multiple of 16; tee_rpmb_fs always passes 256).  in and out may be
 * the same buffer.
 */
__attribute__((warn_unused_result)) int
optee_fs_crypt_block(const uint8_t tsk[OPTEE_FS_TSK_SIZE],
		     const uint8_t encrypted_fek[OPTEE_FS_FEK_SIZE], uint16_t blk_idx,
		     bool encrypt, const uint8_t *in, uint8_t *out, size_t size);

/*
 * Fetch, once per process, the ciphers and the digest the functions here use (they are kept
 * for the process's life; each function also fetches on its first use).  A daemon calls it
 * before it reports ready, so that OpenSSL's first fetch is not paid by its first request.
 * 0, or -EIO when OpenSSL cannot provide one of them.
 */
__attribute__((warn_unused_result)) int optee_fs_crypto_fetch(void);

/* The same with an already decrypted FEK (what a caller doing many blocks uses). */
__attribute__((warn_unused_result)) int
optee_fs_crypt_block_fek(const uint8_t fek[OPTEE_FS_FEK_SIZE], uint16_t blk_idx, bool encrypt,
			 const uint8_t *in, uint8_t *out, size_t size);

#endif
