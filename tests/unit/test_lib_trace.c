/* SPDX-License-Identifier: MIT */
/* The trace recorder and reader (lib/trace.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ipc.h"
#include "trace.h"

struct fixture {
	char *dir;
	char *path;
};

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);
	f->dir = g_dir_make_tmp("trace-XXXXXX", NULL);
	assert_non_null(f->dir);
	f->path = g_build_filename(f->dir, EMU_TRACE_FILE_NAME, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	emu_trace_close();
	(void)unlink(f->path);
	(void)rmdir(f->dir);
	g_free(f->path);
	g_free(f->dir);
	g_free(f);
	return 0;
}

static void write_file(const char *path, const void *data, size_t len)
{
	assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
}

static void trace_off_records_nothing(void **state)
{
	struct fixture *f = *state;
	assert_false(emu_trace_on());
	emu_trace_note("nobody hears this");
	assert_false(g_file_test(f->path, G_FILE_TEST_EXISTS));
}

static void trace_round_trip(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(emu_trace_open(f->path, EMU_TRACE_ROLE_STMMD), 0);
	assert_true(emu_trace_on());

	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	emu_trace_connect(7, EMU_TRACE_ROLE_CLIENT, sv[0]);
	/* A message through lib/ipc.c on the registered fd is recorded both ways. */
	assert_int_equal(emu_ipc_send(sv[1], EMU_MSG_CTRL_STATUS_REQ, 5, NULL, 0), 0);
	g_autoptr(emu_msg) msg = NULL;
	assert_int_equal(emu_ipc_recv(sv[0], 1000, &msg), 0);
	uint32_t word = 0xabcd1234;
	assert_int_equal(emu_ipc_send(sv[0], EMU_MSG_CTRL_STATUS_RSP, 5, &word, sizeof(word)), 0);
	/* Unregistered fd: not recorded. */
	assert_int_equal(emu_ipc_send(sv[1], EMU_MSG_CTRL_STATUS_REQ, 6, NULL, 0), 0);
	uint8_t buf[32];
	memset(buf, 0x5a, sizeof(buf));
	emu_trace_mm(EMU_TRACE_MM_REQ, 7, 3, 9, sizeof(buf), 0, 0, buf);
	emu_trace_note("fault %d fired", 2);
	emu_trace_disconnect(sv[0]);
	close(sv[0]);
	close(sv[1]);
	emu_trace_close();
	assert_false(emu_trace_on());

	g_autoptr(emu_trace_reader) r = NULL;
	g_autofree char *err = NULL;
	assert_int_equal(emu_trace_reader_open(f->path, &r, &err), 0);
	struct emu_trace_rec rec;
	const uint8_t *data;

	assert_int_equal(emu_trace_reader_next(r, &rec, &data), 1);
	assert_int_equal(rec.kind, EMU_TRACE_CONNECT);
	assert_int_equal(rec.conn, 7);
	assert_int_equal(rec.recorder, EMU_TRACE_ROLE_STMMD);
	assert_int_equal(rec.peer_pid, (uint32_t)getpid()); /* SO_PEERCRED of our own pair */
	assert_int_equal(rec.pid, (uint32_t)getpid());
	assert_true(rec.length >= 1 && data[rec.length - 1] == '\0');

	assert_int_equal(emu_trace_reader_next(r, &rec, &data), 1);
	assert_int_equal(rec.kind, EMU_TRACE_MSG_RX);
	assert_int_equal(rec.peer, EMU_TRACE_ROLE_CONTROL); /* a 0x04xx request */
	assert_int_equal(rec.length, sizeof(struct emu_msg_hdr));
	struct emu_msg_hdr h;
	memcpy(&h, data, sizeof(h));
	assert_int_equal(h.type, EMU_MSG_CTRL_STATUS_REQ);
	assert_int_equal(h.req_id, 5);

	assert_int_equal(emu_trace_reader_next(r, &rec, &data), 1);
	assert_int_equal(rec.kind, EMU_TRACE_MSG_TX);
	assert_int_equal(rec.length, sizeof(struct emu_msg_hdr) + 4);
	memcpy(&h, data, sizeof(h));
	assert_int_equal(h.type, EMU_MSG_CTRL_STATUS_RSP);
	assert_int_equal(h.length, 4);
	assert_memory_equal(data + sizeof(h), &word, 4);

	assert_int_equal(emu_trace_reader_next(r, &rec, &data), 1);
	assert_int_equal(rec.kind, EMU_TRACE_MM_REQ);
	assert_int_equal(rec.length, sizeof(struct emu_trace_mm) + sizeof(buf));
	struct emu_trace_mm mm;
	memcpy(&mm, data, sizeof(mm));
	assert_int_equal(mm.session, 3);
	assert_int_equal(mm.req_id, 9);
	assert_int_equal(mm.memref_size, sizeof(buf));
	assert_memory_equal(data + sizeof(mm), buf, sizeof(buf));

	assert_int_equal(emu_trace_reader_next(r, &rec, &data), 1);
	assert_int_equal(rec.kind, EMU_TRACE_NOTE);
	assert_string_equal((const char *)data, "fault 2 fired");

	assert_int_equal(emu_trace_reader_next(r, &rec, &data), 1);
	assert_int_equal(rec.kind, EMU_TRACE_DISCONNECT);
	assert_int_equal(rec.conn, 7);
	assert_int_equal(rec.length, 0);

	assert_int_equal(emu_trace_reader_next(r, &rec, &data), 0);
}

static void trace_truncated_record_is_an_error(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(emu_trace_open(f->path, EMU_TRACE_ROLE_RPMBD), 0);
	emu_trace_note("first");
	emu_trace_note("second, cut short");
	emu_trace_close();
	g_autofree char *data = NULL;
	gsize len;
	assert_true(g_file_get_contents(f->path, &data, &len, NULL));

	/* Cut in the data, then in the header of the second record. */
	size_t cuts[] = { len - 3, 16 + 40 + 6 + 20 };
	for (size_t i = 0; i < G_N_ELEMENTS(cuts); i++) {
		g_autoptr(emu_trace_reader) r = NULL;
		assert_int_equal(emu_trace_reader_new(data, cuts[i], &r, NULL), 0);
		struct emu_trace_rec rec;
		const uint8_t *d;
		assert_int_equal(emu_trace_reader_next(r, &rec, &d), 1);
		assert_string_equal((const char *)d, "first");
		assert_int_equal(emu_trace_reader_next(r, &rec, &d), -EBADMSG);
		assert_non_null(strstr(emu_trace_reader_error(r), "record 1 at offset 62 truncated"));
		/* The reader stays on the bad record. */
		assert_int_equal(emu_trace_reader_next(r, &rec, &d), -EBADMSG);
	}
}

static void trace_bad_magic_is_an_error(void **state)
{
	struct fixture *f = *state;
	g_autofree char *err = NULL;
	g_autoptr(emu_trace_reader) r = NULL;

	write_file(f->path, "NOTATRACE-FILE-X-------", 23);
	assert_int_equal(emu_trace_reader_open(f->path, &r, &err), -EBADMSG);
	assert_non_null(strstr(err, "bad magic"));
	/* The recorder refuses to append to it. */
	assert_int_equal(emu_trace_open(f->path, EMU_TRACE_ROLE_STMMD), -EBADMSG);
	assert_false(emu_trace_on());

	/* A record with a bad magic inside a good file. */
	struct {
		struct emu_trace_file_hdr h;
		struct emu_trace_rec rec;
	} img = { .h = { .version = EMU_TRACE_VERSION }, .rec = { .magic = 0x12345678 } };
	memcpy(img.h.magic, EMU_TRACE_FILE_MAGIC, 8);
	assert_int_equal(emu_trace_reader_new(&img, sizeof(img), &r, NULL), 0);
	struct emu_trace_rec rec;
	const uint8_t *d;
	assert_int_equal(emu_trace_reader_next(r, &rec, &d), -EBADMSG);
	assert_non_null(strstr(emu_trace_reader_error(r), "bad magic 0x12345678"));
	emu_trace_reader_free(g_steal_pointer(&r));

	/* An over-long length. */
	img.rec.magic = EMU_TRACE_REC_MAGIC;
	img.rec.length = EMU_TRACE_MAX_DATA + 1;
	assert_int_equal(emu_trace_reader_new(&img, sizeof(img), &r, NULL), 0);
	assert_int_equal(emu_trace_reader_next(r, &rec, &d), -EBADMSG);
	assert_non_null(strstr(emu_trace_reader_error(r), "over the limit"));
	emu_trace_reader_free(g_steal_pointer(&r));

	/* Shorter than the file header. */
	g_autofree char *err2 = NULL;
	assert_int_equal(emu_trace_reader_new("STMMTRC1", 8, &r, &err2), -EBADMSG);
	assert_non_null(strstr(err2, "shorter than its 16-byte header"));
}

#define WRITERS 2
#define PER_WRITER 500

static void trace_two_writers_never_interleave(void **state)
{
	struct fixture *f = *state;
	pid_t pids[WRITERS];

	/* Both create the same new file at once and append concurrently. */
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0) {
			if (emu_trace_open(f->path, (uint8_t)(EMU_TRACE_ROLE_STMMD + w)) < 0)
				_exit(1);
			char big[3000];
			for (int i = 0; i < PER_WRITER; i++) {
				memset(big, 'a' + w, sizeof(big));
				char id[32];
				int idlen = snprintf(id, sizeof(id), "w%d-%d ", w, i);
				memcpy(big, id, (size_t)idlen);
				big[sizeof(big) - 1] = '\0';
				emu_trace_note("%s", big);
			}
			emu_trace_close();
			_exit(0);
		}
	}
	for (int w = 0; w < WRITERS; w++) {
		int status;
		assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}

	g_autoptr(emu_trace_reader) r = NULL;
	assert_int_equal(emu_trace_reader_open(f->path, &r, NULL), 0);
	int next[WRITERS] = { 0 };
	struct emu_trace_rec rec;
	const uint8_t *d;
	int n = 0, ret;
	while ((ret = emu_trace_reader_next(r, &rec, &d)) == 1) {
		int w = rec.recorder - EMU_TRACE_ROLE_STMMD;
		assert_true(w >= 0 && w < WRITERS);
		assert_int_equal(rec.length, 3000);
		char want[32];
		int wl = snprintf(want, sizeof(want), "w%d-%d ", w, next[w]++);
		assert_memory_equal(d, want, (size_t)wl);
		assert_int_equal(strlen((const char *)d), 2999);
		assert_int_equal(d[2998], 'a' + w); /* the tail is this writer's too */
		n++;
	}
	assert_int_equal(ret, 0);
	assert_int_equal(n, WRITERS * PER_WRITER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(trace_off_records_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(trace_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(trace_truncated_record_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(trace_bad_magic_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(trace_two_writers_never_interleave, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
