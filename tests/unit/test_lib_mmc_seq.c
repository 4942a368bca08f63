/* SPDX-License-Identifier: MIT */
/*
 * lib/mmc_seq.c: the EMU_MSG_MMC_SEQ_REQ payloads it builds (compared field by field with
 * include/emu_ipc.h's layout, written out here independently) and the bounds of
 * mmc_seq_rsp_data.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mmc_seq.h"

/* Little-endian u32 at byte offset off of the payload. */
static uint32_t u32_at(const GByteArray *b, size_t off)
{
	assert_true(off + 4 <= b->len);
	return (uint32_t)b->data[off] | (uint32_t)b->data[off + 1] << 8 |
	       (uint32_t)b->data[off + 2] << 16 | (uint32_t)b->data[off + 3] << 24;
}

/* The command at byte offset off: opcode, arg, blocks, reserved 0. */
static void assert_cmd(const GByteArray *b, size_t off, uint32_t opcode, uint32_t arg,
		       uint32_t blocks)
{
	assert_int_equal(u32_at(b, off), opcode);
	assert_int_equal(u32_at(b, off + 4), arg);
	assert_int_equal(u32_at(b, off + 8), blocks);
	assert_int_equal(u32_at(b, off + 12), 0);
}

static void mmc_seq_write_sequence_as_the_supplicant_sends_it(void **state)
{
	(void)state;
	uint8_t frames[2 * RPMB_FRAME_SIZE], rr[RPMB_FRAME_SIZE];
	memset(frames, 0xa5, sizeof(frames));
	memset(rr, 0x5a, sizeof(rr));

	struct mmc_seq s;
	mmc_seq_init(&s, 0);
	mmc_seq_write(&s, frames, 2, true);
	mmc_seq_write(&s, rr, 1, false);
	mmc_seq_read(&s, 1);
	g_autoptr(GByteArray) b = mmc_seq_finish(&s);
	assert_null(s.buf);

	/* 8 header + 6 x 16 commands + 3 x 512 frames. */
	static const struct {
		uint32_t opcode, arg, blocks;
	} want[] = {
		{ 23, 0x80000002u, 0 }, { 25, 0, 2 }, { 23, 1, 0 },
		{ 25, 0, 1 },           { 23, 1, 0 }, { 18, 0, 1 },
	};
	const uint8_t *data[G_N_ELEMENTS(want)] = { [1] = frames, [3] = rr };
	assert_int_equal(b->len, 8 + 6 * 16 + 3 * RPMB_FRAME_SIZE);
	assert_int_equal(u32_at(b, 0), 6);
	assert_int_equal(u32_at(b, 4), 0);
	size_t off = 8;
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		assert_cmd(b, off, want[i].opcode, want[i].arg, want[i].blocks);
		off += 16;
		if (data[i]) {
			assert_memory_equal(b->data + off, data[i], want[i].blocks * RPMB_FRAME_SIZE);
			off += want[i].blocks * RPMB_FRAME_SIZE;
		}
	}
	assert_int_equal(off, b->len);
}

static void mmc_seq_xfer_keeps_arg_and_reliable_read(void **state)
{
	(void)state;
	struct mmc_seq s;
	mmc_seq_init(&s, 4096);
	/* A read never carries data, even when frames are given; the reliable bit goes to CMD23. */
	uint8_t junk[RPMB_FRAME_SIZE] = { 0 };
	mmc_seq_xfer(&s, MMC_READ_MULTIPLE_BLOCK, 0x1234, 3, true, junk);
	g_autoptr(GByteArray) b = mmc_seq_finish(&s);
	assert_int_equal(b->len, 8 + 2 * 16);
	assert_int_equal(u32_at(b, 0), 2);
	assert_cmd(b, 8, 23, 0x80000003u, 0);
	assert_cmd(b, 24, 18, 0x1234, 3);
}

static void mmc_seq_add_appends_verbatim(void **state)
{
	(void)state;
	struct mmc_seq s;
	mmc_seq_init(&s, 0);
	struct emu_mmc_cmd c = { .opcode = 99, .arg = 1, .blocks = 2, .reserved = 3 };
	mmc_seq_add(&s, &c, "xyz", 3);
	assert_int_equal(s.num_cmds, 1);
	g_autoptr(GByteArray) b = mmc_seq_finish(&s);
	assert_int_equal(b->len, 8 + 16 + 3);
	assert_int_equal(u32_at(b, 0), 1);
	assert_int_equal(u32_at(b, 20), 3);
	assert_memory_equal(b->data + 24, "xyz", 3);
}

static void mmc_seq_clear_frees_an_unfinished_sequence(void **state)
{
	(void)state;
	struct mmc_seq s;
	mmc_seq_init(&s, 0);
	mmc_seq_read(&s, 1);
	mmc_seq_clear(&s);
	assert_null(s.buf);
	assert_int_equal(s.num_cmds, 0);
	mmc_seq_clear(&s); /* twice is fine */
}

static void mmc_seq_rsp_data_checks_lengths(void **state)
{
	(void)state;
	uint8_t rsp[8 + 2 * RPMB_FRAME_SIZE] = { 0 };
	const uint8_t *data = NULL;
	struct emu_mmc_seq_rsp h = { .data_len = 2 * RPMB_FRAME_SIZE };
	memcpy(rsp, &h, sizeof(h));

	assert_int_equal(mmc_seq_rsp_data(rsp, sizeof(rsp), 2 * RPMB_FRAME_SIZE, &data), 0);
	assert_ptr_equal(data, rsp + 8);

	data = NULL;
	/* Not what was asked for, a payload shorter or longer than data_len, a short header. */
	assert_int_equal(mmc_seq_rsp_data(rsp, sizeof(rsp), RPMB_FRAME_SIZE, &data), -EBADMSG);
	assert_int_equal(mmc_seq_rsp_data(rsp, sizeof(rsp) - 1, 2 * RPMB_FRAME_SIZE, &data),
			 -EBADMSG);
	h.data_len = 3 * RPMB_FRAME_SIZE;
	memcpy(rsp, &h, sizeof(h));
	assert_int_equal(mmc_seq_rsp_data(rsp, sizeof(rsp), 3 * RPMB_FRAME_SIZE, &data), -EBADMSG);
	assert_int_equal(mmc_seq_rsp_data(rsp, 7, 0, &data), -EBADMSG);
	assert_null(data);

	/* No CMD18: an empty reply. */
	h.data_len = 0;
	memcpy(rsp, &h, sizeof(h));
	assert_int_equal(mmc_seq_rsp_data(rsp, 8, 0, &data), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mmc_seq_write_sequence_as_the_supplicant_sends_it),
		cmocka_unit_test(mmc_seq_xfer_keeps_arg_and_reliable_read),
		cmocka_unit_test(mmc_seq_add_appends_verbatim),
		cmocka_unit_test(mmc_seq_clear_frees_an_unfinished_sequence),
		cmocka_unit_test(mmc_seq_rsp_data_checks_lengths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
