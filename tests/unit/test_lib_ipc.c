/* SPDX-License-Identifier: MIT */
/*
 * lib/ipc.c's request path (emu_ipc_call) over a socketpair: which reply it takes, its
 * deadline, the ids it uses and how it maps the answers.  The peer's side is either
 * queued before the call (the ids are predictable: emu_ipc_next_id) or a thread.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ipc.h"

#define REQ_TYPE 0x0101
#define RSP_TYPE 0x0102

struct pair {
	int client; /* emu_ipc_call's end */
	int peer;
};

static int setup(void **state)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	struct pair *p = g_new0(struct pair, 1);
	p->client = sv[0];
	p->peer = sv[1];
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pair *p = *state;
	if (p->client >= 0)
		close(p->client);
	if (p->peer >= 0)
		close(p->peer);
	g_free(p);
	return 0;
}

static void queue_reply(int fd, uint16_t type, uint32_t id, const char *text)
{
	assert_int_equal(emu_ipc_send(fd, type, id, text, strlen(text)), 0);
}

/* The request the peer received: its id (type and payload checked). */
static uint32_t take_request(int fd, const char *want_payload)
{
	g_autoptr(emu_msg) m = NULL;
	assert_int_equal(emu_ipc_recv(fd, 1000, &m), 0);
	assert_int_equal(m->hdr.type, REQ_TYPE);
	assert_int_equal(m->hdr.length, strlen(want_payload));
	assert_memory_equal(m->payload, want_payload, strlen(want_payload));
	return m->hdr.req_id;
}

static int call(struct pair *p, uint32_t *next_id, int timeout_ms, struct emu_msg **ret_reply,
		char **ret_text)
{
	struct iovec v = { .iov_base = (void *)"req", .iov_len = 3 };
	return emu_ipc_call(p->client, next_id, timeout_ms, REQ_TYPE, &v, 1, -1, RSP_TYPE,
			    ret_reply, ret_text);
}

static void emu_ipc_call_skips_stale_replies(void **state)
{
	struct pair *p = *state;
	uint32_t next_id = 5;

	/* Late answers to calls 3 and 4 (one of another type, one an error), a framing error
	 * (id 0), then the answer to this call. */
	queue_reply(p->peer, RSP_TYPE, 4, "late");
	queue_reply(p->peer, 0x0777, 3, "other");
	assert_int_equal(emu_ipc_send_error(p->peer, 0, -EBADMSG, "malformed message"), 0);
	assert_int_equal(emu_ipc_send_error(p->peer, 4, -EIO, "late error"), 0);
	queue_reply(p->peer, RSP_TYPE, 5, "mine");

	g_autoptr(emu_msg) reply = NULL;
	g_autofree char *text = NULL;
	assert_int_equal(call(p, &next_id, 1000, &reply, &text), 0);
	assert_non_null(reply);
	assert_null(text);
	assert_int_equal(reply->hdr.req_id, 5);
	assert_int_equal(reply->hdr.length, 4);
	assert_memory_equal(reply->payload, "mine", 4);
	assert_int_equal(next_id, 6);
	assert_int_equal(take_request(p->peer, "req"), 5);

	/* Everything up to the reply was consumed, nothing after it. */
	g_autoptr(emu_msg) none = NULL;
	assert_int_equal(emu_ipc_recv(p->client, 0, &none), -ETIMEDOUT);
}

/* ---- a peer that answers only with stale replies, as fast as it can ---- */

#define STALE_PEER_MAX_US (10 * G_USEC_PER_SEC) /* bounds a broken call: a failure, no hang */

struct stale_peer {
	int fd;
	gint stop;
	uint32_t request_id;
	unsigned sent;
};

static void *stale_peer_main(void *data)
{
	struct stale_peer *sp = data;
	g_autoptr(emu_msg) req = NULL;

	if (emu_ipc_recv(sp->fd, 5000, &req) == 0) {
		sp->request_id = req->hdr.req_id;
		gint64 end = g_get_monotonic_time() + STALE_PEER_MAX_US;
		while (!g_atomic_int_get(&sp->stop) && g_get_monotonic_time() < end) {
			if (emu_ipc_send(sp->fd, RSP_TYPE, req->hdr.req_id - 1, "stale", 5) < 0)
				break;
			sp->sent++;
		}
	}
	close(sp->fd); /* the client's drain ends on the hang-up */
	return NULL;
}

static void emu_ipc_call_stale_stream_does_not_extend_deadline(void **state)
{
	struct pair *p = *state;
	const int timeout_ms = 200;
	const gint64 slack_us = 1500 * 1000; /* scheduling on a loaded machine */
	struct stale_peer sp = { .fd = p->peer };
	pthread_t thread;
	uint32_t next_id = 1;

	p->peer = -1; /* the thread closes it */
	assert_int_equal(pthread_create(&thread, NULL, stale_peer_main, &sp), 0);

	g_autoptr(emu_msg) reply = NULL;
	gint64 t0 = g_get_monotonic_time();
	int r = call(p, &next_id, timeout_ms, &reply, NULL);
	gint64 elapsed = g_get_monotonic_time() - t0;

	/* Stop the peer; drain what it sent so that a blocked send returns. */
	g_atomic_int_set(&sp.stop, 1);
	for (;;) {
		g_autoptr(emu_msg) m = NULL;
		if (emu_ipc_recv(p->client, 5000, &m) < 0)
			break;
	}
	assert_int_equal(pthread_join(thread, NULL), 0);

	assert_int_equal(r, -ETIMEDOUT);
	assert_null(reply);
	assert_int_equal(sp.request_id, 1);
	assert_true(sp.sent > 1); /* the stream was running during the call */
	assert_true(elapsed >= (gint64)timeout_ms * 1000);
	assert_true(elapsed < (gint64)timeout_ms * 1000 + slack_us);
}

static void emu_ipc_call_times_out_on_silence(void **state)
{
	struct pair *p = *state;
	uint32_t next_id = 1;
	g_autoptr(emu_msg) reply = NULL;

	gint64 t0 = g_get_monotonic_time();
	assert_int_equal(call(p, &next_id, 50, &reply, NULL), -ETIMEDOUT);
	assert_true(g_get_monotonic_time() - t0 >= 50 * 1000);
	assert_null(reply);
	assert_int_equal(take_request(p->peer, "req"), 1);
}

static void emu_ipc_call_ids_increase_and_differ_after_timeout(void **state)
{
	struct pair *p = *state;
	uint32_t next_id = 1;

	g_autoptr(emu_msg) r1 = NULL;
	assert_int_equal(call(p, &next_id, 20, &r1, NULL), -ETIMEDOUT);
	uint32_t id1 = take_request(p->peer, "req");

	/* The timed-out call's answer arrives late, before the next call's. */
	queue_reply(p->peer, RSP_TYPE, id1, "late");
	queue_reply(p->peer, RSP_TYPE, next_id, "fresh");
	g_autoptr(emu_msg) r2 = NULL;
	assert_int_equal(call(p, &next_id, 1000, &r2, NULL), 0);
	uint32_t id2 = take_request(p->peer, "req");
	assert_true(id2 > id1);
	assert_int_equal(r2->hdr.req_id, id2);
	assert_memory_equal(r2->payload, "fresh", 5);

	queue_reply(p->peer, RSP_TYPE, next_id, "third");
	g_autoptr(emu_msg) r3 = NULL;
	assert_int_equal(call(p, &next_id, 1000, &r3, NULL), 0);
	uint32_t id3 = take_request(p->peer, "req");
	assert_true(id3 > id2);
	assert_int_equal(next_id, id3 + 1);
}

static void emu_ipc_next_id_never_gives_zero(void **state)
{
	(void)state;
	uint32_t next_id = 0;
	assert_int_equal(emu_ipc_next_id(&next_id), 1);
	assert_int_equal(emu_ipc_next_id(&next_id), 2);
	next_id = UINT32_MAX;
	assert_int_equal(emu_ipc_next_id(&next_id), UINT32_MAX);
	assert_int_equal(emu_ipc_next_id(&next_id), 1); /* wrapped: 0 skipped */
	assert_int_equal(next_id, 2);
}

static void emu_ipc_call_maps_error_reply(void **state)
{
	struct pair *p = *state;
	uint32_t next_id = 1;

	assert_int_equal(emu_ipc_send_error(p->peer, 1, -ENOSPC, "store full (%d)", 7), 0);
	g_autoptr(emu_msg) reply = NULL;
	g_autofree char *text = NULL;
	assert_int_equal(call(p, &next_id, 1000, &reply, &text), -ENOSPC);
	assert_null(reply);
	assert_string_equal(text, "store full (7)");

	/* Without a text pointer: the code alone. */
	assert_int_equal(emu_ipc_send_error(p->peer, 2, -EBUSY, "busy"), 0);
	assert_int_equal(call(p, &next_id, 1000, &reply, NULL), -EBUSY);
	assert_null(reply);
}

static void emu_ipc_call_bad_error_reply_is_eproto(void **state)
{
	struct pair *p = *state;
	uint32_t next_id = 1;
	g_autoptr(emu_msg) reply = NULL;

	/* Too short for struct emu_msg_error: no text either. */
	assert_int_equal(emu_ipc_send(p->peer, EMU_MSG_ERROR, 1, "ab", 2), 0);
	g_autofree char *text = NULL;
	assert_int_equal(call(p, &next_id, 1000, &reply, &text), -EPROTO);
	assert_null(text);
	assert_null(reply);

	/* An "error" that is not negative. */
	struct emu_msg_error e = { .error = 5 };
	assert_int_equal(emu_ipc_send(p->peer, EMU_MSG_ERROR, 2, &e, sizeof(e)), 0);
	g_autofree char *text2 = NULL;
	assert_int_equal(call(p, &next_id, 1000, &reply, &text2), -EPROTO);
	assert_null(reply);
}

static void emu_ipc_call_wrong_reply_type_is_eproto(void **state)
{
	struct pair *p = *state;
	uint32_t next_id = 1;
	g_autoptr(emu_msg) reply = NULL;
	g_autofree char *text = NULL;

	queue_reply(p->peer, RSP_TYPE + 2, 1, "what");
	assert_int_equal(call(p, &next_id, 1000, &reply, &text), -EPROTO);
	assert_null(reply);
	assert_null(text);
	assert_int_equal(next_id, 2);
}

static void emu_ipc_call_peer_gone(void **state)
{
	struct pair *p = *state;
	uint32_t next_id = 1;
	g_autoptr(emu_msg) reply = NULL;

	/* Gone before the request: not sent, safe to send again elsewhere. */
	close(p->peer);
	p->peer = -1;
	int r = call(p, &next_id, 1000, &reply, NULL);
	assert_true(emu_ipc_not_sent(r));
	assert_null(reply);
}

static void emu_ipc_call_peer_hangs_up_after_request(void **state)
{
	struct pair *p = *state;
	uint32_t next_id = 1;
	g_autoptr(emu_msg) reply = NULL;

	/* The request went out (it is queued at the peer), then the peer closes unread:
	 * the outcome is unknown, which must not look like "not sent". */
	assert_int_equal(shutdown(p->peer, SHUT_WR), 0);
	int r = call(p, &next_id, 1000, &reply, NULL);
	assert_int_equal(r, -ECONNRESET);
	assert_false(emu_ipc_not_sent(r));
	assert_int_equal(take_request(p->peer, "req"), 1);
}

static void emu_ipc_listen_path_appears_listening(void **state)
{
	(void)state;
	g_autofree char *dir = g_dir_make_tmp("test_lib_ipc.XXXXXX", NULL);
	assert_non_null(dir);
	g_autofree char *path = g_build_filename(dir, "x.sock", NULL);
	int lfd, cfd;

	assert_int_equal(emu_ipc_listen(path, &lfd), 0);
	/* Only the socket itself, under its name, and it takes connections. */
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	assert_non_null(d);
	assert_string_equal(g_dir_read_name(d), "x.sock");
	assert_null(g_dir_read_name(d));
	assert_int_equal(emu_ipc_connect(path, &cfd), 0);
	close(cfd);
	/* Listening again replaces it. */
	int lfd2;
	assert_int_equal(emu_ipc_listen(path, &lfd2), 0);
	assert_int_equal(emu_ipc_connect(path, &cfd), 0);
	close(cfd);
	close(lfd);
	close(lfd2);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* A path longer than sun_path (issue 15 #4) is bound and reached through its directory. */
static void emu_ipc_long_path_works(void **state)
{
	(void)state;
	g_autofree char *dir = g_dir_make_tmp("test_lib_ipc.XXXXXX", NULL);
	assert_non_null(dir);
	g_autofree char *deep = g_strdup_printf("%s/%0150d", dir, 0);
	assert_int_equal(mkdir(deep, 0700), 0);
	g_autofree char *path = g_build_filename(deep, "x.sock", NULL);
	assert_true(strlen(path) > 108);
	int lfd, cfd, afd;

	assert_int_equal(emu_ipc_listen(path, &lfd), 0);
	assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
	assert_int_equal(emu_ipc_connect(path, &cfd), 0);
	afd = accept(lfd, NULL, NULL);
	assert_true(afd >= 0);
	assert_int_equal(emu_ipc_send(cfd, EMU_MSG_ERROR, 1, "x", 1), 0);
	char b[64];
	assert_true(recv(afd, b, sizeof(b), 0) > 0);
	close(afd);
	close(cfd);
	close(lfd);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(deep), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(emu_ipc_call_skips_stale_replies, setup, teardown),
		cmocka_unit_test_setup_teardown(emu_ipc_call_stale_stream_does_not_extend_deadline,
						setup, teardown),
		cmocka_unit_test_setup_teardown(emu_ipc_call_times_out_on_silence, setup, teardown),
		cmocka_unit_test_setup_teardown(emu_ipc_call_ids_increase_and_differ_after_timeout,
						setup, teardown),
		cmocka_unit_test(emu_ipc_next_id_never_gives_zero),
		cmocka_unit_test_setup_teardown(emu_ipc_call_maps_error_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(emu_ipc_call_bad_error_reply_is_eproto, setup,
						teardown),
		cmocka_unit_test_setup_teardown(emu_ipc_call_wrong_reply_type_is_eproto, setup,
						teardown),
		cmocka_unit_test_setup_teardown(emu_ipc_call_peer_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(emu_ipc_call_peer_hangs_up_after_request, setup,
						teardown),
		cmocka_unit_test(emu_ipc_listen_path_appears_listening),
		cmocka_unit_test(emu_ipc_long_path_works),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
