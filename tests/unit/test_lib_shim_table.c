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
#include <stdlib.h>
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

/* Every test: a table of two entries and three descriptors of its own. */
struct fixture {
	struct test_dev devs[2];
	struct shim_fd_table t;
	int a, b, c;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int *fds[] = { &f->a, &f->b, &f->c };

	if (!f)
		return -1;
	f->t = (struct shim_fd_table)SHIM_FD_TABLE_INIT(f->devs);
	for (size_t i = 0; i < 3; i++) {
		*fds[i] = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (*fds[i] < 0)
			return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close(f->a);
	close(f->b);
	close(f->c);
	free(f);
	return 0;
}

static void shim_fd_table_lookup_finds_entry_by_fd(void **state)
{
	struct fixture *f = *state;
	struct test_dev da = dev_for(f->a, 1), db = dev_for(f->b, 2);

	assert_null(shim_fd_table_lookup(&f->t, f->a, SHIM_FD_KEEP_STALE)); /* empty */
	assert_int_equal(shim_fd_table_insert(&f->t, &da), 0);
	assert_int_equal(shim_fd_table_insert(&f->t, &db), 0);
	assert_int_equal(f->t.nused, 2);

	struct test_dev *fa = shim_fd_table_lookup(&f->t, f->a, SHIM_FD_KEEP_STALE);
	struct test_dev *fb = shim_fd_table_lookup(&f->t, f->b, SHIM_FD_DROP_STALE);
	assert_ptr_equal(fa, &f->devs[0]); /* in the caller's storage, stable */
	assert_ptr_equal(fb, &f->devs[1]);
	assert_true(fa->ent.used);
	assert_int_equal(fa->payload, 1);
	assert_int_equal(fb->payload, 2);
	assert_null(shim_fd_table_lookup(&f->t, f->c, SHIM_FD_DROP_STALE));
	assert_null(shim_fd_table_lookup(&f->t, -1, SHIM_FD_DROP_STALE));
}

/* A dup() of ours is another number: not ours, as the shims have always answered. */
static void shim_fd_table_lookup_dup_is_not_ours(void **state)
{
	struct fixture *f = *state;
	struct test_dev da = dev_for(f->a, 7);

	assert_int_equal(shim_fd_table_insert(&f->t, &da), 0);
	int d = dup(f->a);
	assert_true(d >= 0);
	assert_null(shim_fd_table_lookup(&f->t, d, SHIM_FD_KEEP_STALE));
	assert_non_null(shim_fd_table_lookup(&f->t, f->a, SHIM_FD_KEEP_STALE));
	close(d);
}

/* The number closed behind our back and reused (dup2 onto it): KEEP leaves the entry for
 * close() to release, DROP removes it. */
static void shim_fd_table_lookup_stale_kept_or_dropped(void **state)
{
	struct fixture *f = *state;
	struct test_dev da = dev_for(f->a, 3), copy;

	assert_int_equal(shim_fd_table_insert(&f->t, &da), 0);
	assert_int_equal(dup2(f->c, f->a), f->a);
	assert_null(shim_fd_table_lookup(&f->t, f->a, SHIM_FD_KEEP_STALE));
	assert_true(shim_fd_table_get(&f->t, f->a, &copy));
	assert_int_equal(copy.payload, 3);
	assert_int_equal(f->t.nused, 1);

	assert_null(shim_fd_table_lookup(&f->t, f->a, SHIM_FD_DROP_STALE));
	assert_false(shim_fd_table_get(&f->t, f->a, &copy));
	assert_int_equal(f->t.nused, 0);
	assert_false(f->devs[0].ent.used);
}

static void shim_fd_table_insert_full_enfile(void **state)
{
	struct fixture *f = *state;
	struct test_dev da = dev_for(f->a, 1), db = dev_for(f->b, 2), dc = dev_for(f->c, 3);

	assert_int_equal(shim_fd_table_insert(&f->t, &da), 0);
	assert_int_equal(shim_fd_table_insert(&f->t, &db), 0);
	assert_int_equal(shim_fd_table_insert(&f->t, &dc), -ENFILE);
	assert_null(shim_fd_table_lookup(&f->t, f->c, SHIM_FD_KEEP_STALE));

	/* The same number again (a stale entry re-opened) replaces its entry, even when full. */
	da.payload = 11;
	assert_int_equal(shim_fd_table_insert(&f->t, &da), 0);
	assert_int_equal(f->t.nused, 2);
	struct test_dev *fa = shim_fd_table_lookup(&f->t, f->a, SHIM_FD_KEEP_STALE);
	assert_non_null(fa);
	assert_int_equal(fa->payload, 11);
}

static void shim_fd_table_take_copies_and_frees_slot(void **state)
{
	struct fixture *f = *state;
	struct test_dev da = dev_for(f->a, 5), db = dev_for(f->b, 6), dc = dev_for(f->c, 7);
	struct test_dev copy = { 0 };

	assert_int_equal(shim_fd_table_insert(&f->t, &da), 0);
	assert_int_equal(shim_fd_table_insert(&f->t, &db), 0);
	assert_false(shim_fd_table_take(&f->t, f->c, &copy)); /* not ours: untouched */
	assert_int_equal(copy.payload, 0);
	assert_true(shim_fd_table_take(&f->t, f->a, &copy));
	assert_int_equal(copy.ent.fd, f->a);
	assert_int_equal(copy.payload, 5);
	assert_int_equal(f->t.nused, 1);
	assert_int_equal(f->devs[0].payload, 0); /* nothing of it is left behind */
	assert_false(shim_fd_table_take(&f->t, f->a, NULL));

	/* The freed slot serves the next open of a full table. */
	assert_int_equal(shim_fd_table_insert(&f->t, &dc), 0);
	assert_ptr_equal(shim_fd_table_lookup(&f->t, f->c, SHIM_FD_KEEP_STALE), &f->devs[0]);
}

/* The rpmb shim's pattern: copy out, do the I/O unlocked, copy back if still there. */
static void shim_fd_table_get_put_round_trip(void **state)
{
	struct fixture *f = *state;
	struct test_dev da = dev_for(f->a, 1), work;

	assert_int_equal(shim_fd_table_insert(&f->t, &da), 0);
	assert_true(shim_fd_table_get(&f->t, f->a, &work));
	work.payload = 2;
	shim_fd_table_put(&f->t, &work);
	assert_int_equal(f->devs[0].payload, 2);

	/* Closed meanwhile: the write-back does not bring it back. */
	assert_true(shim_fd_table_take(&f->t, f->a, NULL));
	work.payload = 3;
	shim_fd_table_put(&f->t, &work);
	assert_int_equal(f->t.nused, 0);
	assert_false(f->devs[0].ent.used);
	assert_false(shim_fd_table_get(&f->t, f->a, &work));
}

/* A fork()ed child inherits both the descriptors and the table: its lookups succeed. */
static void shim_fd_table_lookup_after_fork(void **state)
{
	struct fixture *f = *state;
	struct test_dev da = dev_for(f->a, 9);

	assert_int_equal(shim_fd_table_insert(&f->t, &da), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct test_dev *e = shim_fd_table_lookup(&f->t, f->a, SHIM_FD_DROP_STALE);
		_exit(e && e->payload == 9 ? 0 : 1);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(shim_fd_table_lookup_finds_entry_by_fd),
		T(shim_fd_table_lookup_dup_is_not_ours),
		T(shim_fd_table_lookup_stale_kept_or_dropped),
		T(shim_fd_table_insert_full_enfile),
		T(shim_fd_table_take_copies_and_frees_slot),
		T(shim_fd_table_get_put_round_trip),
		T(shim_fd_table_lookup_after_fork),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
