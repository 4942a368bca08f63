/* SPDX-License-Identifier: MIT */
/*
 * The card around the RPMB device (rpmb/partition.c, rpmb/userarea.c): partition selection
 * by EXT_CSD[179], the user data area, single commands, and the prepared RPMB response lost
 * when another command reaches the card between a CMD25 request and its CMD18 (scenario S5).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "bytes.h"
#include "mmc_seq.h"
#include "optee_rpmb.h"
#include "partition.h"
#include "rpmb_host.h"
#include "storage.h"
#include "userarea.h"

static const uint8_t key[RPMB_KEY_SIZE] = { 0x42, 0x13, 0x37, 1, 2, 3, 4, 5, 6, 7, 8 };

struct t {
	struct rpmb_store *store;
	struct rpmb_device *dev;
	struct rpmb_userarea *ua;
	struct mmc_card *card;
};

static int setup(void **state)
{
	struct rpmb_store_create c = { .cid = RPMB_EMU_DEFAULT_CID, .size_mult = 2, .rel_wr_sec_c = 1 };
	struct t *t = g_new0(struct t, 1);
	g_autofree char *err = NULL;

	assert_int_equal(rpmb_store_open_sqlite(":memory:", &c, &t->store, NULL), 0);
	assert_int_equal(rpmb_device_new(t->store, 0, &t->dev), 0);
	assert_int_equal(rpmb_userarea_open(":memory:", 64, &t->ua, &err), 0);
	t->card = mmc_card_new(t->dev, t->ua);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;
	mmc_card_free(t->card);
	rpmb_userarea_free(t->ua);
	rpmb_device_free(t->dev);
	rpmb_store_close(t->store);
	g_free(t);
	return 0;
}

/* One command; returns the status, *out filled for reads. */
static struct mmc_card_result cmd(struct t *t, uint32_t opcode, uint32_t arg, uint32_t blocks,
				  uint16_t part, const void *data, uint8_t *out)
{
	struct emu_mmc_single c = { .opcode = opcode, .arg = arg, .blocks = blocks, .part = part };
	struct mmc_card_result res;
	g_autofree char *why = NULL;
	size_t dlen = (opcode == MMC_WRITE_BLOCK || opcode == MMC_WRITE_MULTIPLE_BLOCK)
			      ? (size_t)blocks * 512 : 0;
	uint8_t scratch[512];

	assert_int_equal(mmc_card_check(&c, dlen, &why), 0);
	assert_int_equal(mmc_card_cmd(t->card, &c, data, out ? out : scratch, &res), 0);
	return res;
}

/* An RPMB request frame of `type` sent as an old tee-supplicant sends it: one CMD25. */
static struct mmc_card_result rpmb_request(struct t *t, uint16_t type, bool reliable)
{
	struct rpmb_frame f;
	rpmb_frame_init(&f, type, 0, 0, 0, NULL);
	if (type == RPMB_REQ_PROGRAM_KEY)
		memcpy(f.key_mac, key, sizeof(key));
	return cmd(t, MMC_WRITE_MULTIPLE_BLOCK, reliable ? MMC_CMD23_RELIABLE_WRITE : 0, 1,
		   EMU_MMC_PART_RPMB, &f, NULL);
}

static uint16_t rpmb_response(struct t *t, uint16_t *ret_type)
{
	struct rpmb_frame f;
	struct mmc_card_result r = cmd(t, MMC_READ_MULTIPLE_BLOCK, 0, 1, EMU_MMC_PART_RPMB, NULL,
				       (uint8_t *)&f);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.data_len, 512);
	if (ret_type)
		*ret_type = get_be16(f.req_resp);
	return get_be16(f.result);
}

static void program_key(struct t *t)
{
	assert_int_equal(rpmb_request(t, RPMB_REQ_PROGRAM_KEY, true).status, 0);
	assert_int_equal(rpmb_request(t, RPMB_REQ_RESULT_READ, false).status, 0);
	assert_int_equal(rpmb_response(t, NULL), RPMB_RESULT_OK);
}

static void card_starts_on_user_area(void **state)
{
	struct t *t = *state;
	assert_int_equal(mmc_card_part(t->card), EMU_MMC_PART_USER);
}

static void user_write_read_roundtrip(void **state)
{
	struct t *t = *state;
	uint8_t in[2 * 512], out[2 * 512];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(cmd(t, MMC_WRITE_MULTIPLE_BLOCK, 10, 2, EMU_MMC_PART_KEEP, in, NULL).status, 0);
	struct mmc_card_result r = cmd(t, MMC_READ_MULTIPLE_BLOCK, 10, 2, EMU_MMC_PART_KEEP, NULL, out);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.data_len, sizeof(out));
	assert_memory_equal(in, out, sizeof(in));
	/* single block, and a never-written block reads as zeros */
	r = cmd(t, MMC_READ_SINGLE_BLOCK, 11, 1, EMU_MMC_PART_USER, NULL, out);
	assert_memory_equal(in + 512, out, 512);
	uint8_t zero[512] = { 0 };
	r = cmd(t, MMC_READ_SINGLE_BLOCK, 12, 1, EMU_MMC_PART_USER, NULL, out);
	assert_memory_equal(zero, out, 512);
}

static void user_beyond_area_out_of_range(void **state)
{
	struct t *t = *state;
	uint8_t buf[2 * 512] = { 1 };

	assert_int_equal(cmd(t, MMC_READ_SINGLE_BLOCK, 64, 1, EMU_MMC_PART_USER, NULL, buf).status,
			 EMU_MMC_R1_OUT_OF_RANGE);
	assert_int_equal(cmd(t, MMC_WRITE_MULTIPLE_BLOCK, 63, 2, EMU_MMC_PART_USER, buf, NULL).status,
			 EMU_MMC_R1_OUT_OF_RANGE);
	/* nothing written at 63 */
	cmd(t, MMC_READ_SINGLE_BLOCK, 63, 1, EMU_MMC_PART_USER, NULL, buf);
	assert_int_equal(buf[0], 0);
}

static void switch_selects_partition(void **state)
{
	struct t *t = *state;
	struct mmc_card_result r;

	r = cmd(t, MMC_SWITCH, EMU_MMC_SWITCH_ARG(EXT_CSD_PART_CONFIG, 3), 0, EMU_MMC_PART_KEEP, NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(mmc_card_part(t->card), EMU_MMC_PART_RPMB);
	/* another EXT_CSD byte, or a boot partition: SWITCH_ERROR, selection unchanged */
	r = cmd(t, MMC_SWITCH, EMU_MMC_SWITCH_ARG(162, 1), 0, EMU_MMC_PART_KEEP, NULL, NULL);
	assert_int_equal(r.status, EMU_MMC_R1_SWITCH_ERROR);
	r = cmd(t, MMC_SWITCH, EMU_MMC_SWITCH_ARG(EXT_CSD_PART_CONFIG, 1), 0, EMU_MMC_PART_KEEP, NULL, NULL);
	assert_int_equal(r.status, EMU_MMC_R1_SWITCH_ERROR);
	assert_int_equal(mmc_card_part(t->card), EMU_MMC_PART_RPMB);
	r = cmd(t, MMC_SWITCH, EMU_MMC_SWITCH_ARG(EXT_CSD_PART_CONFIG, 0), 0, EMU_MMC_PART_KEEP, NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(mmc_card_part(t->card), EMU_MMC_PART_USER);
}

static void rpmb_single_commands_work_uninterrupted(void **state)
{
	struct t *t = *state;
	uint16_t type;

	program_key(t);
	assert_int_equal(mmc_card_part(t->card), EMU_MMC_PART_RPMB);
	struct mmc_card_result r = rpmb_request(t, RPMB_REQ_WRITE_COUNTER, false);
	assert_true(r.rpmb_request);
	assert_false(r.rpmb_write); /* a counter read, not a data write */
	assert_false(r.lost);
	assert_int_equal(rpmb_response(t, &type), RPMB_RESULT_OK);
	assert_int_equal(type, RPMB_RESP_WRITE_COUNTER);
}

static void user_read_between_request_and_response_loses_it(void **state)
{
	struct t *t = *state;
	uint8_t buf[512];
	uint16_t type;

	program_key(t);
	assert_int_equal(rpmb_request(t, RPMB_REQ_WRITE_COUNTER, false).status, 0);
	/* the OS's block read: its kernel switches to the user area, then CMD17 */
	struct mmc_card_result r = cmd(t, MMC_READ_SINGLE_BLOCK, 0, 1, EMU_MMC_PART_USER, NULL, buf);
	assert_int_equal(r.status, 0);
	assert_true(r.lost);
	assert_int_equal(rpmb_response(t, &type), RPMB_RESULT_GENERAL_FAILURE);
	assert_int_equal(type, 0);
}

static void switch_between_request_and_response_loses_it(void **state)
{
	struct t *t = *state;

	program_key(t);
	assert_int_equal(rpmb_request(t, RPMB_REQ_WRITE_COUNTER, false).status, 0);
	/* even a CMD6 that re-selects RPMB reaches the card */
	struct mmc_card_result r = cmd(t, MMC_SWITCH, EMU_MMC_SWITCH_ARG(EXT_CSD_PART_CONFIG, 3), 0,
				       EMU_MMC_PART_KEEP, NULL, NULL);
	assert_true(r.lost);
	assert_int_equal(rpmb_response(t, NULL), RPMB_RESULT_GENERAL_FAILURE);
}

static void write_result_lost_to_interleaved_write(void **state)
{
	struct t *t = *state;
	uint8_t blk[512] = { 0xaa };

	/* key programmed, but its result read comes after an OS write: GENERAL_FAILURE */
	assert_int_equal(rpmb_request(t, RPMB_REQ_PROGRAM_KEY, true).status, 0);
	assert_true(cmd(t, MMC_WRITE_BLOCK, 3, 1, EMU_MMC_PART_USER, blk, NULL).lost);
	assert_int_equal(rpmb_request(t, RPMB_REQ_RESULT_READ, false).status, 0);
	assert_int_equal(rpmb_response(t, NULL), RPMB_RESULT_GENERAL_FAILURE);
	bool key_set;
	rpmb_device_get_state(t->dev, &key_set, NULL);
	assert_true(key_set); /* the write itself happened */
}

/* A DATA_WRITE request is flagged (the hook EMU_MMC_CMD_AFTER_RPMB_WRITE counts those). */
static void data_write_request_flagged(void **state)
{
	struct t *t = *state;
	struct rpmb_frame f;

	program_key(t);
	rpmb_frame_init(&f, RPMB_REQ_DATA_WRITE, 0, 1, 0, NULL);
	assert_int_equal(rpmb_sign_frames(key, &f, 1), 0);
	struct mmc_card_result r = cmd(t, MMC_WRITE_MULTIPLE_BLOCK, MMC_CMD23_RELIABLE_WRITE, 1,
				       EMU_MMC_PART_RPMB, &f, NULL);
	assert_true(r.rpmb_request);
	assert_true(r.rpmb_write);
	assert_int_equal(rpmb_request(t, RPMB_REQ_RESULT_READ, false).status, 0);
	assert_int_equal(rpmb_response(t, NULL), RPMB_RESULT_OK);
	uint32_t counter;
	rpmb_device_get_state(t->dev, NULL, &counter);
	assert_int_equal(counter, 1);
}

static void sequence_with_data_write_detected(void **state)
{
	(void)state;
	struct rpmb_frame f;
	struct mmc_seq s;

	rpmb_frame_init(&f, RPMB_REQ_DATA_WRITE, 0, 1, 0, NULL);
	mmc_seq_init(&s, 0);
	mmc_seq_write(&s, &f, 1, true);
	mmc_seq_read(&s, 1);
	g_autoptr(GByteArray) w = mmc_seq_finish(&s);
	assert_true(mmc_seq_has_data_write(w->data, w->len));
	rpmb_frame_init(&f, RPMB_REQ_WRITE_COUNTER, 0, 0, 0, NULL);
	mmc_seq_init(&s, 0);
	mmc_seq_write(&s, &f, 1, false);
	mmc_seq_read(&s, 1);
	g_autoptr(GByteArray) c = mmc_seq_finish(&s);
	assert_false(mmc_seq_has_data_write(c->data, c->len));
	assert_false(mmc_seq_has_data_write(c->data, 3)); /* malformed */
}

static void forgotten_switch_back_reads_rpmb(void **state)
{
	struct t *t = *state;
	uint8_t data[512], out[512];

	memset(data, 0x5a, sizeof(data));
	assert_int_equal(cmd(t, MMC_WRITE_BLOCK, 0, 1, EMU_MMC_PART_USER, data, NULL).status, 0);
	program_key(t); /* leaves RPMB selected, as the kernel does */
	/* a raw read with no switch back: CMD17 lands on the RPMB partition */
	struct mmc_card_result r = cmd(t, MMC_READ_SINGLE_BLOCK, 0, 1, EMU_MMC_PART_KEEP, NULL, out);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.data_len, 512);
	assert_memory_not_equal(out, data, 512);
	assert_int_equal(get_be16(out + offsetof(struct rpmb_frame, result)),
			 RPMB_RESULT_GENERAL_FAILURE);
	assert_int_equal(get_be16(out + offsetof(struct rpmb_frame, req_resp)), 0);
	/* a write there is refused and writes nothing */
	assert_int_equal(cmd(t, MMC_WRITE_BLOCK, 0, 1, EMU_MMC_PART_KEEP, data, NULL).status,
			 EMU_MMC_R1_ILLEGAL_COMMAND);
	/* with the kernel's switch the user data is there */
	cmd(t, MMC_READ_SINGLE_BLOCK, 0, 1, EMU_MMC_PART_USER, NULL, out);
	assert_memory_equal(out, data, 512);
}

static void cmd23_count_must_match(void **state)
{
	struct t *t = *state;
	struct rpmb_frame f;

	rpmb_frame_init(&f, RPMB_REQ_WRITE_COUNTER, 0, 0, 0, NULL);
	assert_int_equal(cmd(t, MMC_SET_BLOCK_COUNT, 2, 0, EMU_MMC_PART_RPMB, NULL, NULL).status, 0);
	assert_int_equal(cmd(t, MMC_WRITE_MULTIPLE_BLOCK, 0, 1, EMU_MMC_PART_KEEP, &f, NULL).status,
			 EMU_MMC_R1_ILLEGAL_COMMAND);
	/* an explicit CMD23(1) then CMD25 is the same as the implicit one */
	program_key(t);
	assert_int_equal(cmd(t, MMC_SET_BLOCK_COUNT, 1, 0, EMU_MMC_PART_RPMB, NULL, NULL).status, 0);
	assert_int_equal(cmd(t, MMC_WRITE_MULTIPLE_BLOCK, 0, 1, EMU_MMC_PART_KEEP, &f, NULL).status, 0);
	assert_int_equal(rpmb_response(t, NULL), RPMB_RESULT_OK);
}

static void check_refuses_malformed(void **state)
{
	(void)state;
	g_autofree char *why = NULL;
	struct emu_mmc_single c = { .opcode = 8, .part = EMU_MMC_PART_KEEP };

	assert_int_equal(mmc_card_check(&c, 0, &why), -EINVAL);
	g_clear_pointer(&why, g_free);
	c = (struct emu_mmc_single){ .opcode = MMC_WRITE_BLOCK, .blocks = 1, .part = 0 };
	assert_int_equal(mmc_card_check(&c, 511, &why), -EINVAL);
	g_clear_pointer(&why, g_free);
	c = (struct emu_mmc_single){ .opcode = MMC_READ_SINGLE_BLOCK, .blocks = 2, .part = 0 };
	assert_int_equal(mmc_card_check(&c, 0, &why), -EINVAL);
	g_clear_pointer(&why, g_free);
	c = (struct emu_mmc_single){ .opcode = MMC_READ_SINGLE_BLOCK, .blocks = 1, .part = 1 };
	assert_int_equal(mmc_card_check(&c, 0, &why), -EINVAL);
	g_clear_pointer(&why, g_free);
	c = (struct emu_mmc_single){ .opcode = MMC_SET_BLOCK_COUNT, .arg = 0x40000001, .part = 3 };
	assert_int_equal(mmc_card_check(&c, 0, &why), -EINVAL);
	g_clear_pointer(&why, g_free);
	c = (struct emu_mmc_single){ .opcode = MMC_READ_MULTIPLE_BLOCK, .blocks = 1000, .part = 0 };
	assert_int_equal(mmc_card_check(&c, 0, &why), -EMSGSIZE);
	g_clear_pointer(&why, g_free);
	c = (struct emu_mmc_single){ .opcode = MMC_READ_SINGLE_BLOCK, .blocks = 1, .part = 0,
				     .repeat = 2 };
	assert_int_equal(mmc_card_check(&c, 0, &why), -EINVAL);
}

static void kernel_select_switches_only_when_needed(void **state)
{
	struct t *t = *state;

	assert_false(mmc_card_select(t->card, EMU_MMC_PART_USER));
	assert_true(mmc_card_select(t->card, EMU_MMC_PART_RPMB));
	assert_int_equal(mmc_card_part(t->card), EMU_MMC_PART_RPMB);
	assert_false(mmc_card_select(t->card, EMU_MMC_PART_RPMB));
	assert_true(mmc_card_select(t->card, EMU_MMC_PART_USER));
	assert_int_equal(mmc_card_part(t->card), EMU_MMC_PART_USER);
}

/* The user area persists in the RPMB database, whose schema version is untouched. */
static void userarea_persists_beside_rpmb_tables(void **state)
{
	(void)state;
	g_autofree char *dir = g_dir_make_tmp("partition-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "rpmb.db", NULL);
	struct rpmb_store_create c = { .cid = RPMB_EMU_DEFAULT_CID, .size_mult = 2, .rel_wr_sec_c = 1 };
	struct rpmb_store *store = NULL;
	struct rpmb_userarea *ua = NULL;
	g_autofree char *err = NULL;
	uint8_t in[512], out[512];

	assert_non_null(dir);
	memset(in, 0xc3, sizeof(in));
	assert_int_equal(rpmb_store_open_sqlite(path, &c, &store, NULL), 0);
	assert_int_equal(rpmb_userarea_open(path, 8, &ua, &err), 0);
	assert_int_equal(rpmb_userarea_write(ua, 7, 1, in), 0);
	assert_int_equal(rpmb_userarea_write(ua, 8, 1, in), -ERANGE);
	rpmb_userarea_free(ua);
	rpmb_store_close(store);

	assert_int_equal(rpmb_store_open_sqlite(path, &c, &store, NULL), 0); /* still version 2 */
	assert_int_equal(rpmb_userarea_open(path, 8, &ua, &err), 0);
	assert_int_equal(rpmb_userarea_read(ua, 7, 1, out), 0);
	assert_memory_equal(in, out, sizeof(in));
	rpmb_userarea_free(ua);
	rpmb_store_close(store);

	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), RPMB_STORE_SCHEMA_VERSION);
	sqlite3_finalize(st);
	sqlite3_close(db);

	g_autofree char *cmdline = g_strdup_printf("rm -rf '%s'", dir);
	assert_int_equal(system(cmdline), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(card_starts_on_user_area, setup, teardown),
		cmocka_unit_test_setup_teardown(user_write_read_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(user_beyond_area_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(switch_selects_partition, setup, teardown),
		cmocka_unit_test_setup_teardown(rpmb_single_commands_work_uninterrupted, setup, teardown),
		cmocka_unit_test_setup_teardown(user_read_between_request_and_response_loses_it, setup,
						teardown),
		cmocka_unit_test_setup_teardown(switch_between_request_and_response_loses_it, setup,
						teardown),
		cmocka_unit_test_setup_teardown(write_result_lost_to_interleaved_write, setup, teardown),
		cmocka_unit_test_setup_teardown(data_write_request_flagged, setup, teardown),
		cmocka_unit_test(sequence_with_data_write_detected),
		cmocka_unit_test_setup_teardown(forgotten_switch_back_reads_rpmb, setup, teardown),
		cmocka_unit_test_setup_teardown(cmd23_count_must_match, setup, teardown),
		cmocka_unit_test(check_refuses_malformed),
		cmocka_unit_test_setup_teardown(kernel_select_switches_only_when_needed, setup,
						teardown),
		cmocka_unit_test(userarea_persists_beside_rpmb_tables),
	};
	g_log_set_writer_func(g_log_writer_default, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
