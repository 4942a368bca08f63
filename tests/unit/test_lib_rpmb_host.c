/* SPDX-License-Identifier: MIT */
/* HMAC-SHA256 (RFC 4231 vectors), RPMB frame MAC coverage and frame field layout. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "rpmb_host.h"

/* ---- RFC 4231 §4.2-§4.8: HMAC-SHA-256 test cases 1-7 ----------------------------- */

static void check_hmac(const uint8_t *key, size_t key_len, const void *data, size_t data_len,
		       const uint8_t *want, size_t want_len)
{
	uint8_t mac[32];
	struct iovec v = { (void *)data, data_len };

	assert_int_equal(hmac_sha256(key, key_len, &v, 1, mac), 0);
	assert_memory_equal(mac, want, want_len);

	/* The same message split over several pieces (incl. an empty one) gives the same MAC. */
	if (data_len >= 3) {
		struct iovec parts[3] = { { (void *)data, 1 },
					  { (void *)data, 0 },
					  { (uint8_t *)data + 1, data_len - 1 } };
		uint8_t mac2[32];
		assert_int_equal(hmac_sha256(key, key_len, parts, 3, mac2), 0);
		assert_memory_equal(mac2, mac, 32);
	}
}

static void hmac_sha256_rfc4231_case1(void **state)
{
	(void)state;
	uint8_t key[20];
	static const uint8_t want[32] = {
		0xb0, 0x34, 0x4c, 0x61, 0xd8, 0xdb, 0x38, 0x53, 0x5c, 0xa8, 0xaf,
		0xce, 0xaf, 0x0b, 0xf1, 0x2b, 0x88, 0x1d, 0xc2, 0x00, 0xc9, 0x83,
		0x3d, 0xa7, 0x26, 0xe9, 0x37, 0x6c, 0x2e, 0x32, 0xcf, 0xf7,
	};
	memset(key, 0x0b, sizeof(key));
	check_hmac(key, sizeof(key), "Hi There", 8, want, 32);
}

static void hmac_sha256_rfc4231_case2(void **state)
{
	(void)state;
	static const uint8_t want[32] = {
		0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24,
		0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27,
		0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43,
	};
	const char *data = "what do ya want for nothing?";
	check_hmac((const uint8_t *)"Jefe", 4, data, strlen(data), want, 32);
}

static void hmac_sha256_rfc4231_case3(void **state)
{
	(void)state;
	uint8_t key[20], data[50];
	static const uint8_t want[32] = {
		0x77, 0x3e, 0xa9, 0x1e, 0x36, 0x80, 0x0e, 0x46, 0x85, 0x4d, 0xb8,
		0xeb, 0xd0, 0x91, 0x81, 0xa7, 0x29, 0x59, 0x09, 0x8b, 0x3e, 0xf8,
		0xc1, 0x22, 0xd9, 0x63, 0x55, 0x14, 0xce, 0xd5, 0x65, 0xfe,
	};
	memset(key, 0xaa, sizeof(key));
	memset(data, 0xdd, sizeof(data));
	check_hmac(key, sizeof(key), data, sizeof(data), want, 32);
}

static void hmac_sha256_rfc4231_case4(void **state)
{
	(void)state;
	uint8_t key[25], data[50];
	static const uint8_t want[32] = {
		0x82, 0x55, 0x8a, 0x38, 0x9a, 0x44, 0x3c, 0x0e, 0xa4, 0xcc, 0x81,
		0x98, 0x99, 0xf2, 0x08, 0x3a, 0x85, 0xf0, 0xfa, 0xa3, 0xe5, 0x78,
		0xf8, 0x07, 0x7a, 0x2e, 0x3f, 0xf4, 0x67, 0x29, 0x66, 0x5b,
	};
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i + 1);
	memset(data, 0xcd, sizeof(data));
	check_hmac(key, sizeof(key), data, sizeof(data), want, 32);
}

static void hmac_sha256_rfc4231_case5_truncated(void **state)
{
	(void)state;
	uint8_t key[20];
	/* RFC 4231 gives only the first 128 bits for this case. */
	static const uint8_t want[16] = { 0xa3, 0xb6, 0x16, 0x74, 0x73, 0x10, 0x0e, 0xe0,
					  0x6e, 0x0c, 0x79, 0x6c, 0x29, 0x55, 0x55, 0x2b };
	memset(key, 0x0c, sizeof(key));
	check_hmac(key, sizeof(key), "Test With Truncation", 20, want, 16);
}

static void hmac_sha256_rfc4231_case6(void **state)
{
	(void)state;
	uint8_t key[131];
	static const uint8_t want[32] = {
		0x60, 0xe4, 0x31, 0x59, 0x1e, 0xe0, 0xb6, 0x7f, 0x0d, 0x8a, 0x26,
		0xaa, 0xcb, 0xf5, 0xb7, 0x7f, 0x8e, 0x0b, 0xc6, 0x21, 0x37, 0x28,
		0xc5, 0x14, 0x05, 0x46, 0x04, 0x0f, 0x0e, 0xe3, 0x7f, 0x54,
	};
	const char *data = "Test Using Larger Than Block-Size Key - Hash Key First";
	memset(key, 0xaa, sizeof(key));
	check_hmac(key, sizeof(key), data, strlen(data), want, 32);
}

static void hmac_sha256_rfc4231_case7(void **state)
{
	(void)state;
	uint8_t key[131];
	static const uint8_t want[32] = {
		0x9b, 0x09, 0xff, 0xa7, 0x1b, 0x94, 0x2f, 0xcb, 0x27, 0x63, 0x5f,
		0xbc, 0xd5, 0xb0, 0xe9, 0x44, 0xbf, 0xdc, 0x63, 0x64, 0x4f, 0x07,
		0x13, 0x93, 0x8a, 0x7f, 0x51, 0x53, 0x5c, 0x3a, 0x35, 0xe2,
	};
	const char *data = "This is a test using a larger than block-size key and a larger "
			   "than block-size data. The key needs to be hashed before being "
			   "used by the HMAC algorithm.";
	memset(key, 0xaa, sizeof(key));
	check_hmac(key, sizeof(key), data, strlen(data), want, 32);
}

/* ---- RPMB MAC coverage: bytes 228..511 of every frame, MAC in the last frame --------- */

static const uint8_t test_key[RPMB_KEY_SIZE] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa,
	0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
	0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
};

static void make_frames(struct rpmb_frame *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rpmb_frame_init(&f[i], RPMB_REQ_DATA_WRITE, 7, (uint16_t)n, 42, NULL);
		for (size_t j = 0; j < sizeof(f[i].data); j++)
			f[i].data[j] = (uint8_t)(i * 31 + j);
	}
}

static void rpmb_mac_frames_matches_hmac_over_bytes_228_to_511(void **state)
{
	(void)state;
	struct rpmb_frame f[2];
	uint8_t mac[32], want[32];
	make_frames(f, 2);
	struct iovec v[2] = { { (uint8_t *)&f[0] + 228, 284 }, { (uint8_t *)&f[1] + 228, 284 } };

	assert_int_equal(hmac_sha256(test_key, sizeof(test_key), v, 2, want), 0);
	assert_int_equal(rpmb_mac_frames(test_key, f, 2, mac), 0);
	assert_memory_equal(mac, want, 32);
	assert_int_equal(rpmb_mac_frames(test_key, f, 0, mac), -EINVAL);
}

/*
 * The keyed context is reused for the same key (lib/rpmb_host.c): every MAC must still be the
 * one of its own key, whatever came before -- alternating keys, a key that is a prefix of
 * the previous one, keys differing only in their last byte, an empty key, one longer than
 * a block.  Checked against OpenSSL's one-shot HMAC().
 */
static void hmac_sha256_right_key_after_any_other(void **state)
{
	(void)state;
	uint8_t k32[32], k32b[32], k131[131];
	memset(k32, 0x5a, sizeof(k32));
	memcpy(k32b, k32, sizeof(k32b));
	k32b[31] ^= 1;
	memset(k131, 0xaa, sizeof(k131));
	const struct { const uint8_t *key; size_t len; } keys[] = {
		{ k32, 32 }, { k32, 32 }, { k32b, 32 }, { k32, 31 }, { k32, 32 },
		{ (const uint8_t *)"", 0 }, { k131, 131 }, { k32, 32 }, { k131, 131 }, { k131, 64 },
	};
	const char *msg = "the same message under every key";
	struct iovec v = { (void *)msg, strlen(msg) };

	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			uint8_t mac[32], want[32];
			unsigned int want_len = 0;
			static const uint8_t zero[1];
			assert_non_null(HMAC(EVP_sha256(), keys[i].len ? keys[i].key : zero,
					     (int)keys[i].len, (const unsigned char *)msg, strlen(msg),
					     want, &want_len));
			assert_int_equal(want_len, 32);
			assert_int_equal(hmac_sha256(keys[i].key, keys[i].len, &v, 1, mac), 0);
			assert_memory_equal(mac, want, 32);
		}
	}
	/* RPMB frames between plain MACs: the frame key, then another key, then frames again. */
	struct rpmb_frame f[1];
	uint8_t a[32], b[32];
	make_frames(f, 1);
	assert_int_equal(rpmb_mac_frames(test_key, f, 1, a), 0);
	assert_int_equal(hmac_sha256(k32, 32, &v, 1, b), 0);
	assert_int_equal(rpmb_mac_frames(test_key, f, 1, b), 0);
	assert_memory_equal(a, b, 32);
}

static void rpmb_mac_frames_ignores_stuff_and_earlier_key_mac(void **state)
{
	(void)state;
	struct rpmb_frame f[3];
	uint8_t mac[32], mac2[32];
	make_frames(f, 3);
	assert_int_equal(rpmb_mac_frames(test_key, f, 3, mac), 0);

	for (size_t i = 0; i < 3; i++) {
		f[i].stuff[0] ^= 0xff;
		f[i].stuff[195] ^= 0x01;
	}
	f[0].key_mac[0] ^= 0x80;
	f[1].key_mac[31] ^= 0x01;
	f[2].key_mac[5] ^= 0x10; /* the last frame's MAC field is not MACed either */
	assert_int_equal(rpmb_mac_frames(test_key, f, 3, mac2), 0);
	assert_memory_equal(mac2, mac, 32);
}

static void rpmb_mac_frames_covers_byte_228_and_511(void **state)
{
	(void)state;
	struct rpmb_frame f[2];
	uint8_t mac[32], mac2[32];
	make_frames(f, 2);
	assert_int_equal(rpmb_mac_frames(test_key, f, 2, mac), 0);

	((uint8_t *)&f[0])[228] ^= 0x01;
	assert_int_equal(rpmb_mac_frames(test_key, f, 2, mac2), 0);
	assert_memory_not_equal(mac2, mac, 32);
	((uint8_t *)&f[0])[228] ^= 0x01;

	((uint8_t *)&f[1])[511] ^= 0x01;
	assert_int_equal(rpmb_mac_frames(test_key, f, 2, mac2), 0);
	assert_memory_not_equal(mac2, mac, 32);
	((uint8_t *)&f[1])[511] ^= 0x01;

	/* Frame order matters: the MAC is over the concatenation in order. */
	struct rpmb_frame swapped[2] = { f[1], f[0] };
	assert_int_equal(rpmb_mac_frames(test_key, swapped, 2, mac2), 0);
	assert_memory_not_equal(mac2, mac, 32);
}

static void rpmb_sign_frames_puts_mac_in_last_frame_only(void **state)
{
	(void)state;
	struct rpmb_frame f[3];
	uint8_t mac[32], zero[32] = { 0 };
	make_frames(f, 3);
	assert_int_equal(rpmb_mac_frames(test_key, f, 3, mac), 0);
	assert_int_equal(rpmb_sign_frames(test_key, f, 3), 0);
	assert_memory_equal(f[2].key_mac, mac, 32);
	assert_memory_equal(f[0].key_mac, zero, 32);
	assert_memory_equal(f[1].key_mac, zero, 32);
	assert_true(rpmb_verify_frames(test_key, f, 3));
}

static void rpmb_verify_frames_rejects_tampering(void **state)
{
	(void)state;
	struct rpmb_frame f[2];
	uint8_t other_key[RPMB_KEY_SIZE];
	make_frames(f, 2);
	assert_int_equal(rpmb_sign_frames(test_key, f, 2), 0);
	assert_true(rpmb_verify_frames(test_key, f, 2));

	memcpy(other_key, test_key, sizeof(other_key));
	other_key[0] ^= 1;
	assert_false(rpmb_verify_frames(other_key, f, 2));

	f[1].key_mac[31] ^= 1;
	assert_false(rpmb_verify_frames(test_key, f, 2));
	f[1].key_mac[31] ^= 1;
	f[0].data[100] ^= 1;
	assert_false(rpmb_verify_frames(test_key, f, 2));
	f[0].data[100] ^= 1;
	assert_false(rpmb_verify_frames(test_key, f, 1)); /* MAC of 2 frames, not of 1 */
	assert_false(rpmb_verify_frames(test_key, f, 0));
}

/* ---- frame fields: offsets and big-endian byte order ------------------------------ */

static void rpmb_frame_init_writes_big_endian_fields(void **state)
{
	(void)state;
	struct rpmb_frame f;
	uint8_t nonce[16];
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)(0xa0 + i);
	memset(&f, 0xee, sizeof(f));
	rpmb_frame_init(&f, 0x0304, 0x1234, 0x5678, 0x9abcdef0, nonce);
	const uint8_t *b = (const uint8_t *)&f;

	for (size_t i = 0; i < 484; i++)
		assert_int_equal(b[i], 0); /* stuff, key/MAC and data zeroed */
	assert_memory_equal(b + 484, nonce, 16);
	static const uint8_t trailer[12] = { 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34,
					     0x56, 0x78, 0x00, 0x00, 0x03, 0x04 };
	assert_memory_equal(b + 500, trailer, sizeof(trailer));

	rpmb_frame_init(&f, RPMB_REQ_WRITE_COUNTER, 0, 0, 0, NULL);
	for (size_t i = 484; i < 510; i++)
		assert_int_equal(b[i], 0);
	assert_int_equal(b[510], 0x00);
	assert_int_equal(b[511], 0x02);
}

static void rpmb_frame_get_info_reads_big_endian_fields(void **state)
{
	(void)state;
	struct rpmb_frame f;
	struct rpmb_frame_info info;
	uint8_t *b = (uint8_t *)&f;
	memset(&f, 0, sizeof(f));
	b[500] = 0x01; b[501] = 0x02; b[502] = 0x03; b[503] = 0x04; /* write counter */
	b[504] = 0x03; b[505] = 0xff;                               /* address */
	b[506] = 0x00; b[507] = 0x02;                               /* block count */
	b[508] = 0x00; b[509] = 0x84;                               /* result */
	b[510] = 0x04; b[511] = 0x00;                               /* response type */
	rpmb_frame_get_info(&f, &info);
	assert_int_equal(info.write_counter, 0x01020304);
	assert_int_equal(info.address, 0x03ff);
	assert_int_equal(info.block_count, 2);
	assert_int_equal(info.result, RPMB_RESULT_ADDRESS_FAILURE | RPMB_RESULT_WR_CNT_EXPIRED);
	assert_int_equal(info.req_resp, RPMB_RESP_DATA_READ);
}

static void rpmb_result_name_names_codes_and_expiry(void **state)
{
	(void)state;
	char buf[64];
	assert_string_equal(rpmb_result_name(RPMB_RESULT_OK, buf, sizeof(buf)), "OK");
	assert_string_equal(rpmb_result_name(RPMB_RESULT_NO_AUTH_KEY, buf, sizeof(buf)),
			    "NO_AUTH_KEY");
	assert_string_equal(rpmb_result_name(RPMB_RESULT_WRITE_FAILURE | RPMB_RESULT_WR_CNT_EXPIRED,
					     buf, sizeof(buf)),
			    "WRITE_FAILURE | WR_CNT_EXPIRED");
	assert_string_equal(rpmb_result_name(0x0009, buf, sizeof(buf)), "result 0x0009");
	assert_string_equal(rpmb_result_name(0x0100, buf, sizeof(buf)), "result 0x0100");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hmac_sha256_rfc4231_case1),
		cmocka_unit_test(hmac_sha256_rfc4231_case2),
		cmocka_unit_test(hmac_sha256_rfc4231_case3),
		cmocka_unit_test(hmac_sha256_rfc4231_case4),
		cmocka_unit_test(hmac_sha256_rfc4231_case5_truncated),
		cmocka_unit_test(hmac_sha256_rfc4231_case6),
		cmocka_unit_test(hmac_sha256_rfc4231_case7),
		cmocka_unit_test(rpmb_mac_frames_matches_hmac_over_bytes_228_to_511),
		cmocka_unit_test(rpmb_mac_frames_ignores_stuff_and_earlier_key_mac),
		cmocka_unit_test(rpmb_mac_frames_covers_byte_228_and_511),
		cmocka_unit_test(rpmb_sign_frames_puts_mac_in_last_frame_only),
		cmocka_unit_test(rpmb_verify_frames_rejects_tampering),
		cmocka_unit_test(rpmb_frame_init_writes_big_endian_fields),
		cmocka_unit_test(rpmb_frame_get_info_reads_big_endian_fields),
		cmocka_unit_test(rpmb_result_name_names_codes_and_expiry),
		cmocka_unit_test(hmac_sha256_right_key_after_any_other),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
