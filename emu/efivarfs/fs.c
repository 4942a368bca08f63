/* SPDX-License-Identifier: MIT */
/*
 * The efivarfs operations on libfuse3's low-level API (see efivarfs.h for the semantics).
 * One directory (inode 1) of nodes; a node is a variable name we have handed to the
 * kernel.  Whether it exists is firmware's answer, except while it is "local": created
 * and not yet written, or deleted by a write and waiting for its last close, as the
 * chosen kernel version keeps such files.  Zero cache timeouts everywhere, and direct_io,
 * so every read, stat and lookup asks the store.  Served by one thread.
 */
#define FUSE_USE_VERSION 35
#include <errno.h>
#include <fuse_lowlevel.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "client.h"
#include "efi_util.h"
#include "efivarfs.h"
#include "fs.h"

#define ATTR_MASK 0x7fu /* EFI_VARIABLE_MASK: NV|BS|RT|HR|AW|TBAW|APPEND */
#define QUERY_ATTRS (EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | \
		     EFI_VARIABLE_RUNTIME_ACCESS)

struct node {
	fuse_ino_t ino;
	char *fname;      /* "Name-guid", GUID lowercase: the key */
	char *name_utf8;  /* the Name part */
	uint8_t *name;    /* UCS-2LE with NUL */
	size_t name_size;
	efi_guid_t guid;
	bool immutable;
	bool local;       /* exists without firmware: created or being deleted */
	uint64_t local_size;
	unsigned open_count;
	uint64_t last_size; /* the size last reported, for fstat after a foreign delete */
	bool present;       /* firmware's last answer: it exists (the kernel's dcache entry) */
};

struct efivarfs_fs {
	struct efivarfs_config cfg;
	char *tee_sock;
	struct emu_client *client;
	GHashTable *by_name; /* fname (key lowercased GUID) -> node */
	GHashTable *by_ino;  /* ino -> node */
	fuse_ino_t next_ino;
	bool writable;
};

static void node_free(gpointer p)
{
	struct node *n = p;
	if (!n)
		return;
	g_free(n->fname);
	g_free(n->name_utf8);
	g_free(n->name);
	g_free(n);
}

struct efivarfs_fs *efivarfs_fs_new(const struct efivarfs_config *cfg, struct emu_client *client)
{
	struct efivarfs_fs *fs = g_new0(struct efivarfs_fs, 1);
	fs->cfg = *cfg;
	fs->tee_sock = g_strdup(cfg->tee_sock);
	fs->cfg.tee_sock = fs->tee_sock;
	fs->client = client;
	fs->by_name = g_hash_table_new(g_str_hash, g_str_equal);
	fs->by_ino = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, node_free);
	fs->next_ino = FUSE_ROOT_ID + 1;
	efivarfs_fs_probe(fs);
	return fs;
}

void efivarfs_fs_free(struct efivarfs_fs *fs)
{
	if (!fs)
		return;
	g_hash_table_destroy(fs->by_name);
	g_hash_table_destroy(fs->by_ino);
	emu_client_free(fs->client);
	g_free(fs->tee_sock);
	g_free(fs);
}

bool efivarfs_fs_writable(const struct efivarfs_fs *fs)
{
	return fs->writable;
}

/* The session, reconnecting when it was lost. */
static struct emu_client *client(struct efivarfs_fs *fs)
{
	if (!fs->client && emu_client_open(fs->tee_sock, fs->cfg.timeout_ms, &fs->client) < 0)
		fs->client = NULL;
	return fs->client;
}

/* A transport failure ends the session: the next call reconnects. */
static efi_status_t after_call(struct efivarfs_fs *fs, efi_status_t s)
{
	if (s == EFI_DEVICE_ERROR && fs->client && *emu_client_last_error(fs->client)) {
		emu_client_free(fs->client);
		fs->client = NULL;
	}
	return s;
}

/*
 * S6: writable while the store answers (the kernel's ops notifier flips efivarfs to rw
 * when tee_stmm_efi registers, which it does once StMM works with its RPMB store).
 */
bool efivarfs_fs_probe(struct efivarfs_fs *fs)
{
	uint64_t max = 0, rem = 0, maxvar = 0;
	struct emu_client *c = client(fs);
	efi_status_t s = c ? after_call(fs, emu_client_query_variable_info(c, QUERY_ATTRS, &max, &rem,
									     &maxvar))
			   : EFI_DEVICE_ERROR;
	fs->writable = s == EFI_SUCCESS;
	return fs->writable;
}

static struct node *node_by_ino(struct efivarfs_fs *fs, fuse_ino_t ino)
{
	gint64 key = (gint64)ino;
	return g_hash_table_lookup(fs->by_ino, &key);
}

static char *key_of(const char *fname)
{
	size_t len = strlen(fname);
	char *k = g_strdup(fname);
	for (size_t i = len - 36; i < len; i++)
		k[i] = g_ascii_tolower(k[i]);
	return k;
}

/* The node for a valid file name (made if new).  NULL: not a valid name (EINVAL). */
static struct node *node_get(struct efivarfs_fs *fs, const char *fname)
{
	if (!efivarfs_valid_name(fname, strlen(fname)))
		return NULL;
	g_autofree char *key = key_of(fname);
	struct node *n = g_hash_table_lookup(fs->by_name, key);
	if (n)
		return n;
	g_autofree uint8_t *name = NULL;
	size_t name_size = 0;
	efi_guid_t guid;
	if (efivarfs_parse_name(key, &name, &name_size, &guid) < 0)
		return NULL;
	n = g_new0(struct node, 1);
	n->ino = fs->next_ino++;
	n->fname = g_steal_pointer(&key);
	n->name_utf8 = g_strndup(n->fname, strlen(n->fname) - 37);
	n->name = g_steal_pointer(&name);
	n->name_size = name_size;
	n->guid = guid;
	n->immutable = !efivarfs_is_removable(n->name_utf8, &guid);
	g_hash_table_insert(fs->by_name, n->fname, n);
	gint64 *ik = g_new(gint64, 1);
	*ik = (gint64)n->ino;
	/* by_ino owns the node; its key lives in the node. */
	g_hash_table_insert(fs->by_ino, ik, n);
	return n;
}

/* GetVariable for the size: 0 and *ret_size, -ENOENT, or another -errno. */
static int var_size(struct efivarfs_fs *fs, struct node *n, uint64_t *ret_size)
{
	struct emu_client *c = client(fs);
	uint64_t size = 0;
	uint32_t attrs = 0;
	uint8_t dummy;

	if (!c)
		return -EIO;
	efi_status_t s = after_call(fs, emu_client_get_variable(c, n->name, n->name_size, &n->guid,
								 &attrs, &size, &dummy));
	if (s == EFI_SUCCESS || s == EFI_BUFFER_TOO_SMALL) {
		*ret_size = size;
		return 0;
	}
	return -efivarfs_status_to_errno(s);
}

/*
 * The file size now: 0 and *ret_size, -ENOENT when the file does not exist.  An open
 * file whose variable went (another client, or a 6.13 deleting write) keeps its last size
 * for fstat (by_path false) but is gone for lookups.  When firmware cannot answer (EIO: a
 * timeout, a busy or restarting stmmd), the last answer stands: efivarfs looks up and
 * stats in its dcache and inodes, which a firmware error does not touch, so a variable
 * seen before is still there, with its size, and one never seen is "no such file".
 */
static int node_size(struct efivarfs_fs *fs, struct node *n, bool by_path, uint64_t *ret_size)
{
	uint64_t size;
	if (n->local) {
		*ret_size = n->local_size;
		return 0;
	}
	int r = var_size(fs, n, &size);
	if (r == -EIO) {
		if (!n->present)
			return by_path ? -ENOENT : r;
		*ret_size = n->last_size;
		return 0;
	}
	if (r == -ENOENT)
		n->present = false;
	if (r == -ENOENT && n->open_count > 0 && !by_path) {
		*ret_size = n->last_size; /* deleted behind our back: the inode lives on */
		return 0;
	}
	if (r < 0)
		return r;
	n->present = true;
	*ret_size = n->last_size = 4 + size;
	return 0;
}

static void fill_stat(fuse_ino_t ino, uint64_t size, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_nlink = 1;
	st->st_mode = S_IFREG | 0644;
	st->st_size = (off_t)size;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)((size + 511) / 512);
}

static void root_stat(struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = FUSE_ROOT_ID;
	st->st_mode = S_IFDIR | 0755;
	st->st_nlink = 2;
}

static void fill_entry(struct node *n, uint64_t size, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = n->ino;
	e->attr_timeout = 0;
	e->entry_timeout = 0;
	fill_stat(n->ino, size, &e->attr);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *fname)
{
	struct efivarfs_fs *fs = fuse_req_userdata(req);
	struct fuse_entry_param e;
	uint64_t size;

	if (parent != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	struct node *n = node_get(fs, fname);
	if (!n) {
		fuse_reply_err(req, EINVAL); /* efivarfs_d_hash refuses invalid names */
		return;
	}
	if (efivarfs_guid_hidden(&n->guid)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	int r = node_size(fs, n, true, &size); /* never EIO: the dcache's answer */
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	fill_entry(n, size, &e);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct efivarfs_fs *fs = fuse_req_userdata(req);
	struct stat st;
	uint64_t size;
	(void)fi;

	if (ino == FUSE_ROOT_ID) {
		root_stat(&st);
		fuse_reply_attr(req, &st, 0);
		return;
	}
	struct node *n = node_by_ino(fs, ino);
	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	int r = node_size(fs, n, false, &size);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	fill_stat(ino, size, &st);
	fuse_reply_attr(req, &st, 0);
}

/* efivarfs_setattr: everything but the size is taken; the size is ignored. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	(void)attr;
	(void)to_set;
	op_getattr(req, ino, fi);
}

static bool wants_write(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY;
}

/* EROFS while the store is not writable (re-probed first, S6). */
static int check_writable(struct efivarfs_fs *fs)
{
	if (!fs->writable && !efivarfs_fs_probe(fs))
		return -EROFS;
	return 0;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct efivarfs_fs *fs = fuse_req_userdata(req);
	struct node *n = node_by_ino(fs, ino);

	if (!n) {
		fuse_reply_err(req, ino == FUSE_ROOT_ID ? EISDIR : ENOENT);
		return;
	}
	if (wants_write(fi->flags)) {
		int r = check_writable(fs);
		if (r < 0) {
			fuse_reply_err(req, -r);
			return;
		}
		if (n->immutable) {
			fuse_reply_err(req, EPERM); /* the VFS's IS_IMMUTABLE check */
			return;
		}
	}
	fi->direct_io = 1;
	fi->keep_cache = 0;
	n->open_count++;
	if (fuse_reply_open(req, fi) != 0)
		n->open_count--;
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *fname, mode_t mode,
		      struct fuse_file_info *fi)
{
	struct efivarfs_fs *fs = fuse_req_userdata(req);
	struct fuse_entry_param e;
	uint64_t size = 0;
	(void)mode;

	if (parent != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	struct node *n = node_get(fs, fname);
	if (!n) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (efivarfs_guid_hidden(&n->guid)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	int r = check_writable(fs);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	r = node_size(fs, n, true, &size);
	if (r == 0) {
		/* It exists (another client made it since our lookup): a plain open. */
		if (fi->flags & O_EXCL) {
			fuse_reply_err(req, EEXIST);
			return;
		}
		if (n->immutable && wants_write(fi->flags)) {
			fuse_reply_err(req, EPERM);
			return;
		}
	} else if (r == -ENOENT) {
		/* efivarfs_create: an inode, no firmware call until the first write. */
		n->local = true;
		n->local_size = 0;
		n->immutable = !efivarfs_is_removable(n->name_utf8, &n->guid);
		size = 0;
	} else {
		fuse_reply_err(req, -r);
		return;
	}
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fill_entry(n, size, &e);
	n->open_count++;
	if (fuse_reply_create(req, &e, fi) != 0)
		n->open_count--;
}

/* After the last close: drop a file the kernel version would drop then. */
static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct efivarfs_fs *fs = fuse_req_userdata(req);
	struct node *n = node_by_ino(fs, ino);
	(void)fi;

	if (n && n->open_count > 0 && --n->open_count == 0 && n->local) {
		uint64_t marker = fs->cfg.kernel == EFIVARFS_KERNEL_6_14 ? 1 : 0;
		if (fs->cfg.kernel != EFIVARFS_KERNEL_6_13 && n->local_size == marker)
			n->local = false; /* firmware has none: gone */
	}
	fuse_reply_err(req, 0);
}

/* GetVariable into a new buffer (attributes || data).  0, or -errno (-ENOENT: none). */
static int var_read(struct efivarfs_fs *fs, struct node *n, GByteArray **ret)
{
	uint64_t size = 0;
	uint32_t attrs = 0;
	int r = var_size(fs, n, &size);

	for (int tries = 0; r == 0 && tries < 4; tries++) {
		struct emu_client *c = client(fs);
		if (!c)
			return -EIO;
		g_autoptr(GByteArray) b = g_byte_array_sized_new((guint)(size + 4));
		g_byte_array_set_size(b, (guint)(size + 4));
		uint64_t got = size;
		efi_status_t s = after_call(fs, emu_client_get_variable(c, n->name, n->name_size,
									 &n->guid, &attrs, &got,
									 b->data + 4));
		if (s == EFI_BUFFER_TOO_SMALL) {
			size = got;
			continue;
		}
		if (s != EFI_SUCCESS)
			return -efivarfs_status_to_errno(s);
		b->data[0] = (uint8_t)attrs;
		b->data[1] = (uint8_t)(attrs >> 8);
		b->data[2] = (uint8_t)(attrs >> 16);
		b->data[3] = (uint8_t)(attrs >> 24);
		g_byte_array_set_size(b, (guint)(got + 4));
		n->last_size = got + 4;
		*ret = g_steal_pointer(&b);
		return 0;
	}
	return r < 0 ? r : -EIO;
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct efivarfs_fs *fs = fuse_req_userdata(req);
	struct node *n = node_by_ino(fs, ino);
	g_autoptr(GByteArray) b = NULL;
	(void)fi;

	if (!n || n->local) {
		fuse_reply_buf(req, NULL, 0); /* not in firmware (yet): EOF */
		return;
	}
	int r = var_read(fs, n, &b);
	if (r == -ENOENT) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	if (off < 0 || (uint64_t)off >= b->len) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	size_t avail = b->len - (size_t)off;
	fuse_reply_buf(req, (const char *)b->data + off, MIN(size, avail));
}

/* A write that deleted the variable, as the kernel version handles it. */
static void deleted_by_write(struct efivarfs_fs *fs, struct node *n)
{
	switch (fs->cfg.kernel) {
	case EFIVARFS_KERNEL_6_13:
		n->local = false; /* dropped at once */
		break;
	case EFIVARFS_KERNEL_6_14_RC1:
		n->local = true;
		n->local_size = 0;
		break;
	case EFIVARFS_KERNEL_6_14:
		n->local = true;
		n->local_size = 1;
		break;
	}
	if (n->open_count == 0)
		n->local = false;
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct efivarfs_fs *fs = fuse_req_userdata(req);
	struct node *n = node_by_ino(fs, ino);
	const uint8_t *p = (const uint8_t *)buf;
	uint64_t now = 0;
	(void)off; /* efivarfs ignores the offset: every write is a whole SetVariable */
	(void)fi;

	if (!n) {
		fuse_reply_err(req, EIO);
		return;
	}
	if (size < 4) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	uint32_t attrs = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			 (uint32_t)p[3] << 24;
	if (attrs & ~ATTR_MASK) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (!efivarfs_validate(n->name_utf8, &n->guid, p + 4, size - 4)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (!fs->writable) {
		fuse_reply_err(req, EROFS);
		return;
	}
	struct emu_client *c = client(fs);
	efi_status_t s = c ? after_call(fs, emu_client_set_variable(c, n->name, n->name_size, &n->guid,
								     attrs, size - 4, p + 4))
			   : EFI_DEVICE_ERROR;
	if (s != EFI_SUCCESS) {
		if (s == EFI_DEVICE_ERROR)
			(void)efivarfs_fs_probe(fs); /* S6: no working store, read-only */
		fuse_reply_err(req, s == EFI_NOT_FOUND ? EIO : efivarfs_status_to_errno(s));
		return;
	}
	int r = var_size(fs, n, &now);
	if (r == -ENOENT) {
		n->present = false;
		deleted_by_write(fs, n);
	} else if (r == 0) {
		n->local = false;
		n->present = true;
		n->last_size = 4 + now;
	} else {
		/* Firmware took the write; the size comes with its next answer. */
		n->local = false;
		n->present = size > 4;
	}
	fuse_reply_write(req, size);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *fname)
{
	struct efivarfs_fs *fs = fuse_req_userdata(req);
	struct node *n = parent == FUSE_ROOT_ID ? node_get(fs, fname) : NULL;

	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (n->immutable) {
		fuse_reply_err(req, EPERM);
		return;
	}
	int r = check_writable(fs);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	struct emu_client *c = client(fs);
	efi_status_t s = c ? after_call(fs, emu_client_set_variable(c, n->name, n->name_size, &n->guid,
								     0, 0, NULL))
			   : EFI_DEVICE_ERROR;
	if (s != EFI_SUCCESS) {
		fuse_reply_err(req, EINVAL); /* efivarfs_unlink: any failure */
		return;
	}
	n->local = false;
	n->present = false;
	fuse_reply_err(req, 0);
}

/* The listing, built at opendir and served by offset. */
struct dir_list {
	GPtrArray *names; /* char* */
	GArray *inos;     /* fuse_ino_t */
};

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct efivarfs_fs *fs = fuse_req_userdata(req);
	struct emu_client *c = client(fs);
	uint64_t cap = 1024;
	g_autofree uint8_t *name = g_malloc0(cap);
	efi_guid_t guid = { { 0 } };

	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	struct dir_list *dl = g_new0(struct dir_list, 1);
	dl->names = g_ptr_array_new_with_free_func(g_free);
	dl->inos = g_array_new(FALSE, FALSE, sizeof(fuse_ino_t));
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	while (c) {
		uint64_t size = cap;
		efi_status_t s = after_call(fs, emu_client_get_next_variable_name(c, &size, name, &guid));
		if (s == EFI_BUFFER_TOO_SMALL && size > cap) {
			name = g_realloc(name, size);
			memset(name + cap, 0, size - cap);
			cap = size;
			continue;
		}
		if (s != EFI_SUCCESS)
			break;
		g_autofree char *fname = efivarfs_file_name(name, size, &guid);
		if (!fname || efivarfs_guid_hidden(&guid) || !efivarfs_valid_name(fname, strlen(fname)))
			continue;
		struct node *n = node_get(fs, fname);
		if (!n || g_hash_table_contains(seen, n->fname))
			continue;
		g_hash_table_add(seen, n->fname);
		n->present = true;
		g_ptr_array_add(dl->names, g_strdup(n->fname));
		g_array_append_val(dl->inos, n->ino);
		c = client(fs);
	}
	/* Files created and not (yet) in firmware are listed too. */
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, fs->by_name);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct node *n = v;
		if (n->local && !g_hash_table_contains(seen, n->fname)) {
			g_ptr_array_add(dl->names, g_strdup(n->fname));
			g_array_append_val(dl->inos, n->ino);
		}
	}
	fi->fh = (uint64_t)(uintptr_t)dl;
	fi->cache_readdir = 0;
	fi->keep_cache = 0;
	if (fuse_reply_open(req, fi) != 0) {
		g_ptr_array_unref(dl->names);
		g_array_unref(dl->inos);
		g_free(dl);
	}
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct dir_list *dl = (struct dir_list *)(uintptr_t)fi->fh;
	g_autofree char *buf = g_malloc(size);
	size_t used = 0;
	struct stat st;

	memset(&st, 0, sizeof(st));
	/* Entries: 0 ".", 1 "..", then the names; offsets are the next entry's index. */
	for (off_t i = off; i < (off_t)dl->names->len + 2; i++) {
		const char *nm;
		if (i == 0) {
			nm = ".";
			st.st_ino = ino;
			st.st_mode = S_IFDIR;
		} else if (i == 1) {
			nm = "..";
			st.st_ino = FUSE_ROOT_ID;
			st.st_mode = S_IFDIR;
		} else {
			nm = g_ptr_array_index(dl->names, (guint)(i - 2));
			st.st_ino = g_array_index(dl->inos, fuse_ino_t, (guint)(i - 2));
			st.st_mode = S_IFREG;
		}
		size_t need = fuse_add_direntry(req, buf + used, size - used, nm, &st, i + 1);
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dir_list *dl = (struct dir_list *)(uintptr_t)fi->fh;
	(void)ino;
	if (dl) {
		g_ptr_array_unref(dl->names);
		g_array_unref(dl->inos);
		g_free(dl);
	}
	fuse_reply_err(req, 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct efivarfs_fs *fs = fuse_req_userdata(req);
	struct emu_client *c = client(fs);
	uint64_t max = 0, rem = 0, maxvar = 0;
	struct statvfs sv;
	(void)ino;

	memset(&sv, 0, sizeof(sv));
	efi_status_t s = c ? after_call(fs, emu_client_query_variable_info(c, QUERY_ATTRS, &max, &rem,
									     &maxvar))
			   : EFI_DEVICE_ERROR;
	fs->writable = s == EFI_SUCCESS;
	sv.f_bsize = 1;
	sv.f_frsize = 1;
	if (s == EFI_SUCCESS) { /* else sizes 0, as the kernel since d86ff3333cb1's fix */
		sv.f_blocks = max;
		sv.f_bfree = rem;
		sv.f_bavail = rem;
	}
	sv.f_namemax = 255;
	fuse_reply_statfs(req, &sv);
}

static void op_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
		     struct fuse_file_info *fi, unsigned flags, const void *in_buf,
		     size_t in_bufsz, size_t out_bufsz)
{
	struct efivarfs_fs *fs = fuse_req_userdata(req);
	struct node *n = node_by_ino(fs, ino);
	(void)arg;
	(void)fi;
	(void)flags;

	if (!n) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	if (cmd == (unsigned int)FS_IOC_GETFLAGS) {
		uint32_t v = n->immutable ? FS_IMMUTABLE_FL : 0;
		if (out_bufsz < sizeof(v)) {
			fuse_reply_err(req, EINVAL);
			return;
		}
		fuse_reply_ioctl(req, 0, &v, sizeof(v));
		return;
	}
	if (cmd == (unsigned int)FS_IOC_SETFLAGS) {
		uint32_t v;
		if (in_bufsz < sizeof(v)) {
			fuse_reply_err(req, EINVAL);
			return;
		}
		memcpy(&v, in_buf, sizeof(v));
		if (v & ~(uint32_t)FS_IMMUTABLE_FL) {
			fuse_reply_err(req, EOPNOTSUPP);
			return;
		}
		n->immutable = (v & FS_IMMUTABLE_FL) != 0;
		fuse_reply_ioctl(req, 0, NULL, 0);
		return;
	}
	if (cmd == (unsigned int)FS_IOC_FSGETXATTR) {
		/* How the VFS reads the old flags before a SETFLAGS (fuse_fileattr_get). */
		struct fsxattr x;
		memset(&x, 0, sizeof(x));
		x.fsx_xflags = n->immutable ? FS_XFLAG_IMMUTABLE : 0;
		if (out_bufsz < sizeof(x)) {
			fuse_reply_err(req, EINVAL);
			return;
		}
		fuse_reply_ioctl(req, 0, &x, sizeof(x));
		return;
	}
	/* efivarfs takes only FS_IMMUTABLE_FL through SETFLAGS; fsx changes are refused. */
	fuse_reply_err(req, cmd == (unsigned int)FS_IOC_FSSETXATTR ? EOPNOTSUPP : ENOTTY);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	/* Nodes stay for the mount's life: their immutable flag is the inode's. */
	(void)ino;
	(void)nlookup;
	fuse_reply_none(req);
}

const struct fuse_lowlevel_ops efivarfs_fs_ops = {
	.lookup = op_lookup,
	.forget = op_forget,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.open = op_open,
	.create = op_create,
	.read = op_read,
	.write = op_write,
	.release = op_release,
	.unlink = op_unlink,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.releasedir = op_releasedir,
	.statfs = op_statfs,
	.ioctl = op_ioctl,
};
