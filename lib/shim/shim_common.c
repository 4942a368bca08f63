/* SPDX-License-Identifier: MIT */
#include "shim_common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

bool shim_path_numbered(const char *path, const char *prefix, const char *suffix)
{
	size_t n = strlen(prefix);
	const char *p;

	if (!path || strncmp(path, prefix, n) != 0)
		return false;
	p = path + n;
	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	return strcmp(p, suffix) == 0;
}

int shim_fd_identify(int fd, dev_t *ret_dev, ino_t *ret_ino)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	*ret_dev = st.st_dev;
	*ret_ino = st.st_ino;
	return 0;
}

/* ---- the fd -> device table ---------------------------------------------------------- */

static struct shim_fd_entry *slot_at(const struct shim_fd_table *t, size_t i)
{
	return (struct shim_fd_entry *)((char *)t->entries + i * t->entry_size);
}

/* Caller holds t->lock. */
static struct shim_fd_entry *find_unlocked(const struct shim_fd_table *t, int fd)
{
	for (size_t i = 0; i < t->cap; i++) {
		struct shim_fd_entry *e = slot_at(t, i);
		if (e->used && e->fd == fd)
			return e;
	}
	return NULL;
}

/* Nothing to find: no entry in use (one atomic load) or not a descriptor. */
static bool table_idle(struct shim_fd_table *t, int fd)
{
	return fd < 0 || __atomic_load_n(&t->nused, __ATOMIC_ACQUIRE) == 0;
}

/* Caller holds t->lock. */
static void remove_unlocked(struct shim_fd_table *t, struct shim_fd_entry *e)
{
	memset(e, 0, t->entry_size);
	__atomic_sub_fetch(&t->nused, 1, __ATOMIC_RELEASE);
}

int shim_fd_table_insert(struct shim_fd_table *t, const void *entry)
{
	const struct shim_fd_entry *in = entry;
	int r = -ENFILE;

	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->cap; i++) {
		struct shim_fd_entry *e = slot_at(t, i);
		/* A stale entry for this number (closed behind our back) is replaced. */
		if (!e->used || e->fd == in->fd) {
			if (!e->used)
				__atomic_add_fetch(&t->nused, 1, __ATOMIC_RELEASE);
			memcpy(e, entry, t->entry_size);
			e->used = true;
			r = 0;
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

void *shim_fd_table_lookup(struct shim_fd_table *t, int fd, enum shim_fd_stale stale)
{
	dev_t sdev = 0;
	ino_t sino = 0;

	if (table_idle(t, fd))
		return NULL;
	pthread_mutex_lock(&t->lock);
	struct shim_fd_entry *e = find_unlocked(t, fd);
	if (e && (shim_fd_identify(fd, &sdev, &sino) < 0 || sdev != e->st_dev ||
		  sino != e->st_ino)) {
		if (stale == SHIM_FD_DROP_STALE)
			remove_unlocked(t, e);
		e = NULL;
	}
	pthread_mutex_unlock(&t->lock);
	return e;
}

bool shim_fd_table_get(struct shim_fd_table *t, int fd, void *ret_entry)
{
	if (table_idle(t, fd))
		return false;
	pthread_mutex_lock(&t->lock);
	struct shim_fd_entry *e = find_unlocked(t, fd);
	if (e)
		memcpy(ret_entry, e, t->entry_size);
	pthread_mutex_unlock(&t->lock);
	return e != NULL;
}

void shim_fd_table_put(struct shim_fd_table *t, const void *entry)
{
	const struct shim_fd_entry *in = entry;

	if (table_idle(t, in->fd))
		return;
	pthread_mutex_lock(&t->lock);
	struct shim_fd_entry *e = find_unlocked(t, in->fd);
	if (e) {
		memcpy(e, entry, t->entry_size);
		e->used = true;
	}
	pthread_mutex_unlock(&t->lock);
}

bool shim_fd_table_take(struct shim_fd_table *t, int fd, void *ret_entry)
{
	if (table_idle(t, fd))
		return false;
	pthread_mutex_lock(&t->lock);
	struct shim_fd_entry *e = find_unlocked(t, fd);
	if (e) {
		if (ret_entry)
			memcpy(ret_entry, e, t->entry_size);
		remove_unlocked(t, e);
	}
	pthread_mutex_unlock(&t->lock);
	return e != NULL;
}

void shim_debug_line(const char *who, const char *fmt, va_list ap)
{
	char line[512];
	int saved = errno;

	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "%s: %s\n", who, line);
	errno = saved;
}
