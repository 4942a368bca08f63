/* SPDX-License-Identifier: MIT */
/*
 * shim_fd_table (lib/shim/shim_common.h): the fd -> device table both LD_PRELOAD shims keep.
 * Entries are found by number and checked by identity: a dup() is not ours, a number closed
 * behind our back and reused is stale (kept or dropped as the caller asks), a fork()ed child
 * sees the parent's entries; a full table answers -ENFILE, a re-opened number replaces its
 * entry; take/get/put copy whole entries.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "shim/shim_common.h"

struct test_dev {
	struct shim_fd_entry ent;
	int payload;
};

/* An entry for fd (its identity noted), carrying `payload`. */
static struct test_dev dev_for(int fd, int payload)
{
	struct test_dev d = { .ent.fd = fd, .payload = payload };
	assert_int_equal(shim_fd_identify(fd, &d.ent.st_dev, &d.ent.st_ino), 0);
	return d;
}

static int new_socket(void)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	return fd;
}

static void shim_fd_table_lookup_finds_entry_by_fd(void **state)
{
	(void)state;
	struct test_dev devs[4] = { 0 };
	struct shim_fd_table t = SHIM_FD_TABLE_INIT(devs);
	int a = new_socket(), b = new_socket(), other = new_socket();
	struct test_dev da = dev_for(a, 1), db = dev_for(b, 2);

	assert_null(shim_fd_table_lookup(&t, a, SHIM_FD_KEEP_STALE)); /* empty */
	assert_int_equal(shim_fd_table_insert(&t, &da), 0);
	assert_int_equal(shim_fd_table_insert(&t, &db), 0);
	assert_int_equal(t.nused, 2);

	struct test_dev *fa = shim_fd_table_lookup(&t, a, SHIM_FD_KEEP_STALE);
	struct test_dev *fb = shim_fd_table_lookup(&t, b, SHIM_FD_DROP_STALE);
	assert_ptr_equal(fa, &devs[0]); /* in the caller's storage, stable */
	assert_ptr_equal(fb, &devs[1]);
	assert_true(fa->ent.used);
	assert_int_equal(fa->payload, 1);
	assert_int_equal(fb->payload, 2);
	assert_null(shim_fd_table_lookup(&t, other, SHIM_FD_DROP_STALE));
	assert_null(shim_fd_table_lookup(&t, -1, SHIM_FD_DROP_STALE));
	close(a);
	close(b);
	close(other);
}

/* A dup() of ours is another number: not ours, as the shims have always answered. */
static void shim_fd_table_lookup_dup_is_not_ours(void **state)
{
	(void)state;
	struct test_dev devs[2] = { 0 };
	struct shim_fd_table t = SHIM_FD_TABLE_INIT(devs);
	int a = new_socket();
	struct test_dev da = dev_for(a, 7);

	assert_int_equal(shim_fd_table_insert(&t, &da), 0);
	int d = dup(a);
	assert_true(d >= 0);
	assert_null(shim_fd_table_lookup(&t, d, SHIM_FD_KEEP_STALE));
	assert_non_null(shim_fd_table_lookup(&t, a, SHIM_FD_KEEP_STALE));
	close(d);
	close(a);
}

/* The number closed behind our back and reused (dup2 onto it): KEEP leaves the entry for
 * close() to release, DROP removes it. */
static void shim_fd_table_lookup_stale_kept_or_dropped(void **state)
{
	(void)state;
	struct test_dev devs[2] = { 0 };
	struct shim_fd_table t = SHIM_FD_TABLE_INIT(devs);
	int a = new_socket(), other = new_socket();
	struct test_dev da = dev_for(a, 3), copy;

	assert_int_equal(shim_fd_table_insert(&t, &da), 0);
	assert_int_equal(dup2(other, a), a);
	assert_null(shim_fd_table_lookup(&t, a, SHIM_FD_KEEP_STALE));
	assert_true(shim_fd_table_get(&t, a, &copy));
	assert_int_equal(copy.payload, 3);
	assert_int_equal(t.nused, 1);

	assert_null(shim_fd_table_lookup(&t, a, SHIM_FD_DROP_STALE));
	assert_false(shim_fd_table_get(&t, a, &copy));
	assert_int_equal(t.nused, 0);
	assert_false(devs[0].ent.used);
	close(a);
	close(other);
}

static void shim_fd_table_insert_full_enfile(void **state)
{
	(void)state;
	struct test_dev devs[2] = { 0 };
	struct shim_fd_table t = SHIM_FD_TABLE_INIT(devs);
	int a = new_socket(), b = new_socket(), c = new_socket();
	struct test_dev da = dev_for(a, 1), db = dev_for(b, 2), dc = dev_for(c, 3);

	assert_int_equal(shim_fd_table_insert(&t, &da), 0);
	assert_int_equal(shim_fd_table_insert(&t, &db), 0);
	assert_int_equal(shim_fd_table_insert(&t, &dc), -ENFILE);
	assert_null(shim_fd_table_lookup(&t, c, SHIM_FD_KEEP_STALE));

	/* The same number again (a stale entry re-opened) replaces its entry, even when full. */
	da.payload = 11;
	assert_int_equal(shim_fd_table_insert(&t, &da), 0);
	assert_int_equal(t.nused, 2);
	struct test_dev *fa = shim_fd_table_lookup(&t, a, SHIM_FD_KEEP_STALE);
	assert_non_null(fa);
	assert_int_equal(fa->payload, 11);
	close(a);
	close(b);
	close(c);
}

static void shim_fd_table_take_copies_and_frees_slot(void **state)
{
	(void)state;
	struct test_dev devs[1] = { 0 };
	struct shim_fd_table t = SHIM_FD_TABLE_INIT(devs);
	int a = new_socket(), b = new_socket();
	struct test_dev da = dev_for(a, 5), db = dev_for(b, 6), copy = { 0 };

	assert_int_equal(shim_fd_table_insert(&t, &da), 0);
	assert_false(shim_fd_table_take(&t, b, &copy)); /* not ours: untouched */
	assert_int_equal(copy.payload, 0);
	assert_true(shim_fd_table_take(&t, a, &copy));
	assert_int_equal(copy.ent.fd, a);
	assert_int_equal(copy.payload, 5);
	assert_int_equal(t.nused, 0);
	assert_int_equal(devs[0].payload, 0); /* nothing of it is left behind */
	assert_false(shim_fd_table_take(&t, a, NULL));

	/* The slot serves the next open. */
	assert_int_equal(shim_fd_table_insert(&t, &db), 0);
	assert_true(shim_fd_table_take(&t, b, NULL));
	close(a);
	close(b);
}

/* The rpmb shim's pattern: copy out, do the I/O unlocked, copy back if still there. */
static void shim_fd_table_get_put_round_trip(void **state)
{
	(void)state;
	struct test_dev devs[2] = { 0 };
	struct shim_fd_table t = SHIM_FD_TABLE_INIT(devs);
	int a = new_socket();
	struct test_dev da = dev_for(a, 1), work;

	assert_int_equal(shim_fd_table_insert(&t, &da), 0);
	assert_true(shim_fd_table_get(&t, a, &work));
	work.payload = 2;
	shim_fd_table_put(&t, &work);
	assert_int_equal(devs[0].payload, 2);

	/* Closed meanwhile: the write-back does not bring it back. */
	assert_true(shim_fd_table_take(&t, a, NULL));
	work.payload = 3;
	shim_fd_table_put(&t, &work);
	assert_int_equal(t.nused, 0);
	assert_false(devs[0].ent.used);
	assert_false(shim_fd_table_get(&t, a, &work));
	close(a);
}

/* A fork()ed child inherits both the descriptors and the table: its lookups succeed. */
static void shim_fd_table_lookup_after_fork(void **state)
{
	(void)state;
	static struct test_dev devs[2];
	static struct shim_fd_table t = SHIM_FD_TABLE_INIT(devs);
	int a = new_socket();
	struct test_dev da = dev_for(a, 9);

	assert_int_equal(shim_fd_table_insert(&t, &da), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct test_dev *f = shim_fd_table_lookup(&t, a, SHIM_FD_DROP_STALE);
		_exit(f && f->payload == 9 ? 0 : 1);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(shim_fd_table_take(&t, a, NULL));
	close(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shim_fd_table_lookup_finds_entry_by_fd),
		cmocka_unit_test(shim_fd_table_lookup_dup_is_not_ours),
		cmocka_unit_test(shim_fd_table_lookup_stale_kept_or_dropped),
		cmocka_unit_test(shim_fd_table_insert_full_enfile),
		cmocka_unit_test(shim_fd_table_take_copies_and_frees_slot),
		cmocka_unit_test(shim_fd_table_get_put_round_trip),
		cmocka_unit_test(shim_fd_table_lookup_after_fork),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
