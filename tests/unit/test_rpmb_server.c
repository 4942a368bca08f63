/* SPDX-License-Identifier: MIT */
/*
 * The mmc socket: sequence validation (malformed -> EMU_MSG_ERROR, no effect), info,
 * unknown types, and a server that keeps serving others after bad input.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include "bytes.h"
#include "optee_rpmb.h"
#include "rpmb_host.h"
#include "sequence.h"
#include "server.h"

static const uint8_t key[RPMB_KEY_SIZE] = { 0xde, 0xad, 0xbe, 0xef };

struct t {
	struct rpmb_store *store;
	struct rpmb_device *dev;
	int sv[2]; /* [0] client, [1] server side */
};

static int setup(void **state)
{
	struct rpmb_store_create c = { .cid = RPMB_EMU_DEFAULT_CID, .size_mult = 2,
				       .rel_wr_sec_c = 1 };
	struct t *t = g_new0(struct t, 1);
	assert_int_equal(rpmb_store_open_sqlite(":memory:", &c, &t->store, NULL), 0);
	assert_int_equal(rpmb_device_new(t->store, 0, &t->dev), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, t->sv), 0);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;
	close(t->sv[0]);
	close(t->sv[1]);
	rpmb_device_free(t->dev);
	rpmb_store_close(t->store);
	g_free(t);
	return 0;
}

/* ---- building sequences ---------------------------------------------------------------- */

static void put_cmd(GByteArray *b, uint32_t opcode, uint32_t arg, uint32_t blocks,
		    const struct rpmb_frame *frames)
{
	struct emu_mmc_cmd c = { .opcode = opcode, .arg = arg, .blocks = blocks };
	g_byte_array_append(b, (const uint8_t *)&c, sizeof(c));
	if (frames)
		g_byte_array_append(b, (const uint8_t *)frames, blocks * RPMB_FRAME_SIZE);
}

static GByteArray *seq_new(uint32_t num_cmds)
{
	struct emu_mmc_seq h = { .num_cmds = num_cmds };
	GByteArray *b = g_byte_array_new();
	g_byte_array_append(b, (const uint8_t *)&h, sizeof(h));
	return b;
}

/* Pass the message through rpmb_server_handle and return the reply. */
static struct emu_msg *handle(struct t *t, uint16_t type, const void *payload, size_t len)
{
	struct emu_msg msg = { .hdr = { EMU_MSG_MAGIC, EMU_MSG_VERSION, type, 77, (uint32_t)len },
			       .payload = (uint8_t *)payload, .fd = -1 };
	struct emu_msg *reply = NULL;
	assert_int_equal(rpmb_server_handle(t->dev, t->sv[1], &msg, 1), 0);
	assert_int_equal(emu_ipc_recv(t->sv[0], 1000, &reply), 0);
	assert_int_equal(reply->hdr.req_id, 77);
	return reply;
}

static void expect_error(struct t *t, GByteArray *b, int want, const char *text)
{
	g_autoptr(emu_msg) r = handle(t, EMU_MSG_MMC_SEQ_REQ, b->data, b->len);
	struct emu_msg_error e;
	assert_int_equal(r->hdr.type, EMU_MSG_ERROR);
	assert_true(r->hdr.length > sizeof(e));
	memcpy(&e, r->payload, sizeof(e));
	assert_int_equal(e.error, want);
	const char *got = (const char *)r->payload + sizeof(e);
	assert_int_equal(got[r->hdr.length - sizeof(e) - 1], '\0');
	assert_int_equal(strlen(got), r->hdr.length - sizeof(e) - 1); /* one string, no junk */
	if (!strstr(got, text))
		fail_msg("error text '%s' lacks '%s'", got, text);
	g_byte_array_unref(b);
}

static struct rpmb_frame key_frame(void)
{
	struct rpmb_frame f;
	rpmb_frame_init(&f, RPMB_REQ_PROGRAM_KEY, 0, 0, 0, NULL);
	memcpy(f.key_mac, key, sizeof(key));
	return f;
}

/* ---- tests -------------------------------------------------------------------------------- */

static void server_info_reports_device(void **state)
{
	struct t *t = *state;
	static const uint8_t cid[16] = RPMB_EMU_DEFAULT_CID;
	g_autoptr(emu_msg) r = handle(t, EMU_MSG_MMC_INFO_REQ, NULL, 0);
	struct emu_mmc_info info;
	assert_int_equal(r->hdr.type, EMU_MSG_MMC_INFO_RSP);
	assert_int_equal(r->hdr.length, sizeof(info));
	memcpy(&info, r->payload, sizeof(info));
	assert_memory_equal(info.cid, cid, 16);
	assert_int_equal(info.rpmb_size_mult, 2);
	assert_int_equal(info.rel_wr_sec_c, 1);
}

static void server_info_with_payload_einval(void **state)
{
	struct t *t = *state;
	g_autoptr(emu_msg) r = handle(t, EMU_MSG_MMC_INFO_REQ, "x", 1);
	assert_int_equal(r->hdr.type, EMU_MSG_ERROR);
}

static void server_unknown_type_eopnotsupp(void **state)
{
	struct t *t = *state;
	g_autoptr(emu_msg) r = handle(t, 0x0299, NULL, 0);
	struct emu_msg_error e;
	assert_int_equal(r->hdr.type, EMU_MSG_ERROR);
	memcpy(&e, r->payload, sizeof(e));
	assert_int_equal(e.error, -EOPNOTSUPP);
}

static void server_key_write_sequence_returns_result_frame(void **state)
{
	struct t *t = *state;
	struct rpmb_frame kf = key_frame(), rr;
	rpmb_frame_init(&rr, RPMB_REQ_RESULT_READ, 0, 0, 0, NULL);
	g_autoptr(GByteArray) b = seq_new(6);
	put_cmd(b, MMC_SET_BLOCK_COUNT, 1 | MMC_CMD23_RELIABLE_WRITE, 0, NULL);
	put_cmd(b, MMC_WRITE_MULTIPLE_BLOCK, 0, 1, &kf);
	put_cmd(b, MMC_SET_BLOCK_COUNT, 1, 0, NULL);
	put_cmd(b, MMC_WRITE_MULTIPLE_BLOCK, 0, 1, &rr);
	put_cmd(b, MMC_SET_BLOCK_COUNT, 1, 0, NULL);
	put_cmd(b, MMC_READ_MULTIPLE_BLOCK, 0, 1, NULL);
	g_autoptr(emu_msg) r = handle(t, EMU_MSG_MMC_SEQ_REQ, b->data, b->len);
	struct emu_mmc_seq_rsp rsp;
	struct rpmb_frame out;
	assert_int_equal(r->hdr.type, EMU_MSG_MMC_SEQ_RSP);
	assert_int_equal(r->hdr.length, sizeof(rsp) + RPMB_FRAME_SIZE);
	memcpy(&rsp, r->payload, sizeof(rsp));
	assert_int_equal(rsp.data_len, RPMB_FRAME_SIZE);
	memcpy(&out, r->payload + sizeof(rsp), sizeof(out));
	assert_int_equal(get_be16(out.req_resp), RPMB_RESP_PROGRAM_KEY);
	assert_int_equal(get_be16(out.result), RPMB_RESULT_OK);
}

static void server_two_reads_in_one_sequence_concatenated(void **state)
{
	struct t *t = *state;
	struct rpmb_frame kf = key_frame(), req;
	uint8_t nonce[16] = { 9 };
	g_autoptr(GByteArray) k = seq_new(2);
	put_cmd(k, MMC_SET_BLOCK_COUNT, 1 | MMC_CMD23_RELIABLE_WRITE, 0, NULL);
	put_cmd(k, MMC_WRITE_MULTIPLE_BLOCK, 0, 1, &kf);
	g_autoptr(emu_msg) r1 = handle(t, EMU_MSG_MMC_SEQ_REQ, k->data, k->len);
	assert_int_equal(r1->hdr.type, EMU_MSG_MMC_SEQ_RSP);
	assert_int_equal(r1->hdr.length, sizeof(struct emu_mmc_seq_rsp)); /* no CMD18: no data */

	rpmb_frame_init(&req, RPMB_REQ_DATA_READ, 5, 0, 0, nonce);
	g_autoptr(GByteArray) b = seq_new(8);
	for (int i = 0; i < 2; i++) {
		put_cmd(b, MMC_SET_BLOCK_COUNT, 1, 0, NULL);
		put_cmd(b, MMC_WRITE_MULTIPLE_BLOCK, 0, 1, &req);
		put_cmd(b, MMC_SET_BLOCK_COUNT, (uint32_t)(2 + i), 0, NULL);
		put_cmd(b, MMC_READ_MULTIPLE_BLOCK, 0, (uint32_t)(2 + i), NULL);
	}
	g_autoptr(emu_msg) r = handle(t, EMU_MSG_MMC_SEQ_REQ, b->data, b->len);
	assert_int_equal(r->hdr.type, EMU_MSG_MMC_SEQ_RSP);
	assert_int_equal(r->hdr.length, sizeof(struct emu_mmc_seq_rsp) + 5 * RPMB_FRAME_SIZE);
	const struct rpmb_frame *out =
		(const struct rpmb_frame *)(r->payload + sizeof(struct emu_mmc_seq_rsp));
	assert_int_equal(get_be16(out[1].block_count), 2);
	assert_true(rpmb_verify_frames(key, out, 2));
	assert_int_equal(get_be16(out[4].block_count), 3);
	assert_true(rpmb_verify_frames(key, out + 2, 3));
}

static void seq_cmd25_count_not_matching_cmd23_einval(void **state)
{
	struct t *t = *state;
	struct rpmb_frame kf[2] = { key_frame(), key_frame() };
	GByteArray *b = seq_new(2);
	put_cmd(b, MMC_SET_BLOCK_COUNT, 1 | MMC_CMD23_RELIABLE_WRITE, 0, NULL);
	put_cmd(b, MMC_WRITE_MULTIPLE_BLOCK, 0, 2, kf);
	expect_error(t, b, -EINVAL, "frame count not matching the command");
	/* It had no effect: no key was programmed. */
	bool key_set;
	rpmb_device_get_state(t->dev, &key_set, NULL);
	assert_false(key_set);
}

static void seq_cmd18_without_cmd23_einval(void **state)
{
	struct t *t = *state;
	GByteArray *b = seq_new(1);
	put_cmd(b, MMC_READ_MULTIPLE_BLOCK, 0, 1, NULL);
	expect_error(t, b, -EINVAL, "frame count not matching the command");
}

static void seq_malformed_einval(void **state)
{
	struct t *t = *state;
	struct rpmb_frame kf = key_frame();
	GByteArray *b;

	b = g_byte_array_new();
	g_byte_array_append(b, (const uint8_t *)"abc", 3);
	expect_error(t, b, -EINVAL, "shorter than its");

	b = seq_new(0);
	expect_error(t, b, -EINVAL, "num_cmds 0");

	b = seq_new(EMU_MMC_MAX_CMDS + 1);
	expect_error(t, b, -EINVAL, "num_cmds 17");

	b = seq_new(2); /* says 2, carries 1 */
	put_cmd(b, MMC_SET_BLOCK_COUNT, 1, 0, NULL);
	expect_error(t, b, -EINVAL, "truncated");

	b = seq_new(1);
	put_cmd(b, 24, 0, 1, NULL);
	expect_error(t, b, -EINVAL, "opcode 24 not supported");

	b = seq_new(1);
	put_cmd(b, MMC_SET_BLOCK_COUNT, 1, 0, NULL);
	expect_error(t, b, -EINVAL, "ends with a CMD23");

	b = seq_new(2);
	put_cmd(b, MMC_SET_BLOCK_COUNT, 1, 0, NULL);
	put_cmd(b, MMC_SET_BLOCK_COUNT, 1, 0, NULL);
	expect_error(t, b, -EINVAL, "CMD23 follows a CMD23");

	b = seq_new(1);
	put_cmd(b, MMC_SET_BLOCK_COUNT, 0x40000001, 0, NULL);
	expect_error(t, b, -EINVAL, "unsupported bits");

	b = seq_new(1);
	put_cmd(b, MMC_SET_BLOCK_COUNT, 0, 0, NULL);
	expect_error(t, b, -EINVAL, "block count 0");

	b = seq_new(2); /* CMD25 announcing a frame it does not carry */
	put_cmd(b, MMC_SET_BLOCK_COUNT, 1, 0, NULL);
	put_cmd(b, MMC_WRITE_MULTIPLE_BLOCK, 0, 1, NULL);
	expect_error(t, b, -EINVAL, "only 0 data bytes");

	b = seq_new(2);
	put_cmd(b, MMC_SET_BLOCK_COUNT, 1, 0, NULL);
	put_cmd(b, MMC_WRITE_MULTIPLE_BLOCK, 0, 1, &kf);
	g_byte_array_append(b, (const uint8_t *)"zz", 2);
	expect_error(t, b, -EINVAL, "2 bytes after the last command");

	b = seq_new(2);
	put_cmd(b, MMC_SET_BLOCK_COUNT, 0xFFFF, 0, NULL);
	put_cmd(b, MMC_READ_MULTIPLE_BLOCK, 0, 0xFFFF, NULL);
	expect_error(t, b, -EMSGSIZE, "do not fit one reply");

	b = seq_new(1);
	put_cmd(b, MMC_SET_BLOCK_COUNT, 1, 0, NULL);
	((struct emu_mmc_cmd *)(b->data + sizeof(struct emu_mmc_seq)))->reserved = 1;
	expect_error(t, b, -EINVAL, "reserved");
}

/* ---- the loop: bad input from one client, the other is still served ------------------------- */

struct loop_client {
	int fd;
	GMainLoop *loop;
	struct emu_msg *reply;
};

static gboolean on_reply(int fd, GIOCondition cond, gpointer data)
{
	struct loop_client *c = data;
	(void)cond;
	assert_int_equal(emu_ipc_recv(fd, 0, &c->reply), 0);
	g_main_loop_quit(c->loop);
	return G_SOURCE_REMOVE;
}

static struct emu_msg *loop_wait(GMainLoop *loop, int fd)
{
	struct loop_client c = { fd, loop, NULL };
	g_unix_fd_add(fd, G_IO_IN, on_reply, &c);
	g_main_loop_run(loop);
	return c.reply;
}

static void server_keeps_serving_after_bad_input(void **state)
{
	struct t *t = *state;
	g_autofree char *dir = g_dir_make_tmp("rpmb-server-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "s", NULL);
	int lfd, a, b;
	assert_int_equal(emu_ipc_listen(path, &lfd), 0);
	struct rpmb_server *srv = NULL;
	assert_int_equal(rpmb_server_new(t->dev, lfd, &srv), 0);
	GMainLoop *loop = g_main_loop_new(NULL, FALSE);
	assert_int_equal(emu_ipc_connect(path, &a), 0);
	assert_int_equal(emu_ipc_connect(path, &b), 0);

	/* a: a datagram without a valid header. */
	assert_int_equal(write(a, "garbage", 7), 7);
	g_autoptr(emu_msg) r1 = loop_wait(loop, a);
	assert_int_equal(r1->hdr.type, EMU_MSG_ERROR);
	/* b is served. */
	assert_int_equal(emu_ipc_send(b, EMU_MSG_MMC_INFO_REQ, 5, NULL, 0), 0);
	g_autoptr(emu_msg) r2 = loop_wait(loop, b);
	assert_int_equal(r2->hdr.type, EMU_MSG_MMC_INFO_RSP);
	assert_int_equal(r2->hdr.req_id, 5);
	/* and so is a, still connected. */
	assert_int_equal(emu_ipc_send(a, EMU_MSG_MMC_INFO_REQ, 6, NULL, 0), 0);
	g_autoptr(emu_msg) r3 = loop_wait(loop, a);
	assert_int_equal(r3->hdr.type, EMU_MSG_MMC_INFO_RSP);

	close(a);
	close(b);
	rpmb_server_free(srv);
	g_main_loop_unref(loop);
	g_unlink(path);
	g_rmdir(dir);
}

/* Refusals are logged as warnings by design; keep the test output readable. */
static GLogWriterOutput quiet_refusals(GLogLevelFlags level, const GLogField *fields,
				       gsize n_fields, gpointer data)
{
	if (level & G_LOG_LEVEL_WARNING)
		return G_LOG_WRITER_HANDLED;
	return g_log_writer_default(level, fields, n_fields, data);
}

int main(void)
{
	g_log_set_writer_func(quiet_refusals, NULL, NULL);
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(server_info_reports_device),
		T(server_info_with_payload_einval),
		T(server_unknown_type_eopnotsupp),
		T(server_key_write_sequence_returns_result_frame),
		T(server_two_reads_in_one_sequence_concatenated),
		T(seq_cmd25_count_not_matching_cmd23_einval),
		T(seq_cmd18_without_cmd23_einval),
		T(seq_malformed_einval),
		T(server_keeps_serving_after_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
