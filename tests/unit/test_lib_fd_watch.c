/* SPDX-License-Identifier: MIT */
/*
 * emu_fd_watch_add (lib/fd_watch.h): dispatches like g_unix_fd_add, keeps the descriptor in
 * the poll set while its callback runs (a source that may recurse), and is removed by its
 * id or by returning G_SOURCE_REMOVE; emu_ipc_recv with timeout 0 (the daemons' call from
 * such a callback) receives without waiting, and tells "nothing there" from a closed peer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "fd_watch.h"
#include "ipc.h"

struct seen {
	int calls;
	int received;
	gboolean recursive; /* the dispatching source may recurse */
	gboolean remove_after_one;
};

static gboolean on_readable(int fd, GIOCondition cond, gpointer data)
{
	struct seen *s = data;
	g_autoptr(emu_msg) m = NULL;

	s->calls++;
	s->recursive = g_source_get_can_recurse(g_main_current_source());
	if ((cond & G_IO_IN) && emu_ipc_recv(fd, 0, &m) == 0)
		s->received++;
	return s->remove_after_one ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static void fd_watch_dispatches_without_blocking_the_source(void **state)
{
	(void)state;
	int sv[2];
	struct seen s = { 0 };
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	guint id = emu_fd_watch_add(sv[1], G_IO_IN | G_IO_HUP | G_IO_ERR, on_readable, &s);
	assert_true(id > 0);

	for (int i = 0; i < 3; i++)
		assert_int_equal(emu_ipc_send(sv[0], 0x7001, (uint32_t)i + 1, "x", 1), 0);
	while (s.received < 3)
		g_main_context_iteration(NULL, TRUE);
	assert_int_equal(s.calls, 3);
	assert_true(s.recursive);

	/* Nothing pending: a timeout-0 receive says so at once; a closed peer is a reset. */
	g_autoptr(emu_msg) m = NULL;
	assert_int_equal(emu_ipc_recv(sv[1], 0, &m), -ETIMEDOUT);
	g_source_remove(id);
	close(sv[0]);
	assert_int_equal(emu_ipc_recv(sv[1], 0, &m), -ECONNRESET);
	close(sv[1]);
}

static void fd_watch_removed_by_its_callback(void **state)
{
	(void)state;
	int sv[2];
	struct seen s = { .remove_after_one = TRUE };
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	guint id = emu_fd_watch_add(sv[1], G_IO_IN, on_readable, &s);
	assert_int_equal(emu_ipc_send(sv[0], 0x7001, 1, "x", 1), 0);
	assert_int_equal(emu_ipc_send(sv[0], 0x7001, 2, "y", 1), 0);
	while (s.calls < 1)
		g_main_context_iteration(NULL, TRUE);
	/* The second message is not dispatched: the source is gone. */
	while (g_main_context_iteration(NULL, FALSE))
		;
	assert_int_equal(s.calls, 1);
	assert_null(g_main_context_find_source_by_id(NULL, id));
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fd_watch_dispatches_without_blocking_the_source),
		cmocka_unit_test(fd_watch_removed_by_its_callback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
