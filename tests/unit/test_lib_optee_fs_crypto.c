/* SPDX-License-Identifier: MIT */
/*
 * OP-TEE's secure-storage key hierarchy and RPMB FS block cipher (lib/optee_fs_crypto.c)
 * against known answers made with the openssl CLI from the definitions in optee_os
 * (huk_subkey.c, tee_fs_key_manager.c), each with its command, and against the same
 * definitions written out here with OpenSSL calls.  The code under test never produces an
 * expected value.
 *
 * Inputs of the vectors: HUK = 00 01 .. 0f, StMM's TEE_UUID as in memory
 * (33d532ed e699 0942 9cc02d72cdd998a7), FEK = 00 11 22 .. ff, plaintext block = bytes
 * 00 01 .. ff.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include "optee_fs_crypto.h"
#include "optee_rpmb_fs.h"
#include "test_optee_ref_crypto.h"

static const uint8_t huk[16] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
				 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
static const uint8_t stmm_uuid[16] = OPTEE_STMM_TEE_UUID_MEM;
static const uint8_t fek[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
				 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };

/* printf '\x01\x00\x00\x00' | openssl mac -digest SHA256 -macopt hexkey:000102030405060708090a0b0c0d0e0f HMAC */
static const char ssk_hex[] = "8bee65c960bd92ce9e00636f25a0a391501603b9968ccd9918cae55579690e27";
/* the same with hexkey:00000000000000000000000000000000 (stmmd's default test HUK) */
static const char ssk_zero_huk_hex[] =
	"a3e7181c6eed030fd52f79537c56c4d07da92e56d374ff1dd2043350785b37d8";
/* echo 33d532ede69909429cc02d72cdd998a7 | xxd -r -p | openssl mac -digest SHA256 -macopt hexkey:<ssk> HMAC */
static const char tsk_hex[] = "aed7a29c17096f4137d7dd6338fc7b4912b7f141f79959742208aa47b26f5f19";
/* printf '\x00' | openssl mac -digest SHA256 -macopt hexkey:<ssk> HMAC (no UUID) */
static const char tsk_null_hex[] =
	"9d1acff5f27c27c3d83d35eba756f05623e2415764e7f03f174d8fb77e9e81d3";
/* echo 00112233445566778899aabbccddeeff | xxd -r -p | openssl enc -aes-256-ecb -nopad -K <tsk> | xxd -p */
static const char enc_fek_hex[] = "d1498d8d61b0f969d3fedd1932e7bee8";
/*
 * IV of block b: SHA=$(echo <fek> | xxd -r -p | openssl dgst -sha256 -binary | xxd -p -c 64)
 *   echo <LE16(b)>0000000000000000000000000000 | xxd -r -p |
 *     openssl enc -aes-128-ecb -nopad -K ${SHA:0:32} | xxd -p
 */
static const struct {
	uint16_t blk;
	const char *iv_hex;
} iv_vectors[] = {
	{ 0, "83b8861cd782c9e077bcb4f1c2886edb" },
	{ 1, "e7a529c68e6e5e36c60186d5d41dfd3b" },
	{ 831, "d6156e9f1ec812a39a7ca98d1a166dfe" },
	{ 4660, "44ac44913a513e70127b0d505fe6a0bc" },
};
/*
 * Block 831 of bytes 00..ff:
 *   python3 -c "import sys; sys.stdout.buffer.write(bytes(range(256)))" > pt.bin
 *   openssl enc -aes-128-cbc -nopad -K <fek> -iv d6156e9f1ec812a39a7ca98d1a166dfe -in pt.bin -out ct.bin
 *   xxd -p -l 32 -c 32 ct.bin; xxd -p -s 240 -c 16 ct.bin; openssl dgst -sha256 ct.bin
 */
static const char ct831_head_hex[] =
	"65794d15d226abc3f046ea1e3076e0d4ce61037d1b4f445d2da8dac0d755f056";
static const char ct831_tail_hex[] = "8323f8ea494b5f9b68c25aca8136fb7f";
static const char ct831_sha256_hex[] =
	"aa5144b68646f403885b43565aea3ba55dbcc21a56a0a87197ca16fe318f4041";

static void unhex(const char *hex, uint8_t *out, size_t n)
{
	assert_int_equal(strlen(hex), 2 * n);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void assert_hex(const uint8_t *got, const char *hex, size_t n)
{
	uint8_t want[64];
	assert_true(n <= sizeof(want));
	unhex(hex, want, n);
	assert_memory_equal(got, want, n);
}

/* ---- tests -------------------------------------------------------------------------- */

static void ssk_known_answer(void **state)
{
	(void)state;
	uint8_t ssk[32], ref[32];
	static const uint8_t zero_huk[16] = { 0 };
	static const uint8_t usage_le[4] = { 0x01, 0x00, 0x00, 0x00 };

	assert_int_equal(optee_fs_derive_ssk(huk, ssk), 0);
	assert_hex(ssk, ssk_hex, 32);
	ref_hmac(huk, 16, usage_le, 4, ref);
	assert_memory_equal(ssk, ref, 32);
	assert_int_equal(optee_fs_derive_ssk(zero_huk, ssk), 0);
	assert_hex(ssk, ssk_zero_huk_hex, 32);
}

static void subkey_appends_const_data(void **state)
{
	(void)state;
	/* The RPMB key is huk_subkey_derive(0, CID'): usage word 0 then the data. */
	static const uint8_t data[5] = { 'a', 'b', 'c', 'd', 'e' };
	uint8_t msg[9] = { 0x00, 0x00, 0x00, 0x00, 'a', 'b', 'c', 'd', 'e' };
	uint8_t got[32], ref[32];

	assert_int_equal(optee_huk_subkey_derive(huk, OPTEE_HUK_SUBKEY_SSK - 1, data, 5, got, 32), 0);
	ref_hmac(huk, 16, msg, sizeof(msg), ref);
	assert_memory_equal(got, ref, 32);
	/* Truncated subkeys are the prefix; more than 32 bytes is refused. */
	assert_int_equal(optee_huk_subkey_derive(huk, 0, data, 5, got, 16), 0);
	assert_memory_equal(got, ref, 16);
	assert_int_equal(optee_huk_subkey_derive(huk, 0, data, 5, got, 33), -EINVAL);
	assert_int_equal(optee_huk_subkey_derive(huk, 0, NULL, 5, got, 32), -EINVAL);
}

static void tsk_known_answer(void **state)
{
	(void)state;
	uint8_t ssk[32], tsk[32], ref[32];
	static const uint8_t zero = 0;

	unhex(ssk_hex, ssk, 32);
	assert_int_equal(optee_fs_derive_tsk(ssk, stmm_uuid, tsk), 0);
	assert_hex(tsk, tsk_hex, 32);
	ref_hmac(ssk, 32, stmm_uuid, 16, ref);
	assert_memory_equal(tsk, ref, 32);

	assert_int_equal(optee_fs_derive_tsk(ssk, NULL, tsk), 0);
	assert_hex(tsk, tsk_null_hex, 32);
	ref_hmac(ssk, 32, &zero, 1, ref);
	assert_memory_equal(tsk, ref, 32);
}

static void fek_crypt_known_answer(void **state)
{
	(void)state;
	uint8_t tsk[32], enc[16], dec[16], ref[16];

	unhex(tsk_hex, tsk, 32);
	assert_int_equal(optee_fs_fek_crypt(tsk, true, fek, enc), 0);
	assert_hex(enc, enc_fek_hex, 16);
	ref_cipher(EVP_aes_256_ecb(), tsk, NULL, 1, fek, ref, 16);
	assert_memory_equal(enc, ref, 16);
	assert_int_equal(optee_fs_fek_crypt(tsk, false, enc, dec), 0);
	assert_memory_equal(dec, fek, 16);
	/* In place works too. */
	memcpy(dec, fek, 16);
	assert_int_equal(optee_fs_fek_crypt(tsk, true, dec, dec), 0);
	assert_memory_equal(dec, enc, 16);
}

static void essiv_known_answer(void **state)
{
	(void)state;
	uint8_t iv[16], ref[16];

	for (size_t i = 0; i < sizeof(iv_vectors) / sizeof(iv_vectors[0]); i++) {
		assert_int_equal(optee_fs_essiv(fek, iv_vectors[i].blk, iv), 0);
		assert_hex(iv, iv_vectors[i].iv_hex, 16);
		ref_essiv(fek, iv_vectors[i].blk, ref);
		assert_memory_equal(iv, ref, 16);
	}
}

static void crypt_block_known_answer(void **state)
{
	(void)state;
	uint8_t tsk[32], enc_fek[16], pt[256], ct[256], ref[256], iv[16], sha[32];

	for (int i = 0; i < 256; i++)
		pt[i] = (uint8_t)i;
	unhex(tsk_hex, tsk, 32);
	unhex(enc_fek_hex, enc_fek, 16);

	assert_int_equal(optee_fs_crypt_block(tsk, enc_fek, 831, true, pt, ct, sizeof(pt)), 0);
	assert_hex(ct, ct831_head_hex, 32);
	assert_hex(ct + 240, ct831_tail_hex, 16);
	assert_int_equal(EVP_Digest(ct, sizeof(ct), sha, NULL, EVP_sha256(), NULL), 1);
	assert_hex(sha, ct831_sha256_hex, 32);

	ref_essiv(fek, 831, iv);
	ref_cipher(EVP_aes_128_cbc(), fek, iv, 1, pt, ref, 256);
	assert_memory_equal(ct, ref, 256);

	/* With the plain FEK: the same bytes. */
	assert_int_equal(optee_fs_crypt_block_fek(fek, 831, true, pt, ref, sizeof(pt)), 0);
	assert_memory_equal(ct, ref, 256);
}

static void crypt_block_round_trip(void **state)
{
	(void)state;
	uint8_t tsk[32], enc_fek[16], pt[256], buf[256], other[256];

	for (int i = 0; i < 256; i++)
		pt[i] = (uint8_t)(i * 13 + 5);
	unhex(tsk_hex, tsk, 32);
	unhex(enc_fek_hex, enc_fek, 16);
	memcpy(buf, pt, sizeof(buf));
	assert_int_equal(optee_fs_crypt_block(tsk, enc_fek, 1000, true, buf, buf, 256), 0);
	assert_memory_not_equal(buf, pt, 256);
	/* The block index is part of the key stream: another index gives other bytes. */
	assert_int_equal(optee_fs_crypt_block(tsk, enc_fek, 1001, true, pt, other, 256), 0);
	assert_memory_not_equal(buf, other, 256);
	assert_int_equal(optee_fs_crypt_block(tsk, enc_fek, 1000, false, buf, buf, 256), 0);
	assert_memory_equal(buf, pt, 256);
	/* Not a multiple of the AES block: refused. */
	assert_int_equal(optee_fs_crypt_block(tsk, enc_fek, 1, true, pt, buf, 100), -EINVAL);
}

static void generate_fek_nonzero_and_random(void **state)
{
	(void)state;
	uint8_t tsk[32], a[16], b[16], plain[16], ref[16];
	static const uint8_t zero[16] = { 0 };

	unhex(tsk_hex, tsk, 32);
	assert_int_equal(optee_fs_generate_fek(tsk, a), 0);
	assert_int_equal(optee_fs_generate_fek(tsk, b), 0);
	assert_memory_not_equal(a, zero, 16);
	assert_memory_not_equal(a, b, 16);
	/* What comes out is encrypted: decrypting it independently gives a FEK that differs. */
	ref_cipher(EVP_aes_256_ecb(), tsk, NULL, 0, a, plain, 16);
	assert_memory_not_equal(plain, a, 16);
	ref_cipher(EVP_aes_256_ecb(), tsk, NULL, 1, plain, ref, 16);
	assert_memory_equal(ref, a, 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ssk_known_answer),
		cmocka_unit_test(subkey_appends_const_data),
		cmocka_unit_test(tsk_known_answer),
		cmocka_unit_test(fek_crypt_known_answer),
		cmocka_unit_test(essiv_known_answer),
		cmocka_unit_test(crypt_block_known_answer),
		cmocka_unit_test(crypt_block_round_trip),
		cmocka_unit_test(generate_fek_nonzero_and_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
