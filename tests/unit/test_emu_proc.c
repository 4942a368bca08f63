/* SPDX-License-Identifier: MIT */
/*
 * emu_proc_*: whether a pid is one of our daemons, running (emu/stack/proc.h).  The case a
 * user saw go wrong: `status` right after rpmbd's power cut called it alive, because its
 * descriptors were closed (the peers saw the hang-up) before its last thread was gone and
 * its pidfd readable.  A process whose main thread has exited while another thread still
 * runs is held in that state here, deterministically.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>

#include "proc.h"

static char *own_comm(void)
{
	char *comm = NULL;
	assert_true(g_file_get_contents("/proc/self/comm", &comm, NULL, NULL));
	return g_strchomp(comm);
}

static void test_self_runs_under_its_name_only(void **state)
{
	(void)state;
	g_autofree char *comm = own_comm();

	assert_true(emu_proc_running(getpid()));
	assert_true(emu_proc_is(getpid(), comm));
	assert_false(emu_proc_is(getpid(), "not-our-daemon"));
	assert_false(emu_proc_exiting(getpid()));
	assert_false(emu_proc_running(0));
	assert_false(emu_proc_running(-1));
}

/* Block until the pidfd says the child has exited (bounded: 10 s). */
static void wait_exited(pid_t pid)
{
	int fd = pidfd_open(pid, 0);
	assert_true(fd >= 0);
	assert_true(emu_proc_exited_within(fd, 10000));
	close(fd);
}

static void test_zombie_is_dead_and_reaped(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	wait_exited(pid); /* a zombie now: nobody has waited for it */
	assert_true(emu_proc_exiting(pid));
	assert_false(emu_proc_running(pid));
	/* emu_proc_open reaped our child: nothing is left to wait for. */
	errno = 0;
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

struct held {
	pthread_t main_thread;
	int ready_w, release_r;
};

static void *outlive_main(void *arg)
{
	struct held *h = arg;
	char c = 0;

	pthread_join(h->main_thread, NULL); /* the main thread is past do_exit's start */
	if (write(h->ready_w, "r", 1) != 1)
		_exit(2);
	if (read(h->release_r, &c, 1) < 0)
		_exit(3);
	_exit(0);
}

static void test_exiting_process_is_not_running(void **state)
{
	(void)state;
	int ready[2], release[2];
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(release), 0);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static struct held h;
		pthread_t t;
		close(ready[0]); /* so that a parent that failed early frees this child */
		close(release[1]);
		h.main_thread = pthread_self();
		h.ready_w = ready[1];
		h.release_r = release[0];
		if (pthread_create(&t, NULL, outlive_main, &h) != 0)
			_exit(4);
		pthread_exit(NULL);
	}
	close(ready[1]);
	close(release[0]);
	char c = 0;
	assert_int_equal(read(ready[0], &c, 1), 1);

	/* The window: its pidfd is not readable (a thread still runs)... */
	int fd = pidfd_open(pid, 0);
	assert_true(fd >= 0);
	assert_false(emu_proc_exited_within(fd, 0));
	/* ...yet it is exiting, and not called running. */
	assert_true(emu_proc_exiting(pid));
	assert_false(emu_proc_running(pid));

	assert_int_equal(write(release[1], "x", 1), 1);
	assert_true(emu_proc_exited_within(fd, 10000));
	close(fd);
	int status = -1;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(ready[0]);
	close(release[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self_runs_under_its_name_only),
		cmocka_unit_test(test_zombie_is_dead_and_reaped),
		cmocka_unit_test(test_exiting_process_is_not_running),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
