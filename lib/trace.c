/* SPDX-License-Identifier: MIT */
#include "trace.h"
#include "fault_count.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- recorder ------------------------------------------------------------------------ */

static gint trace_fd = -1; /* atomic: -1 = off */
static uint8_t trace_role;

/* Registered connections: fd -> struct watched.  Under watch_lock (two threads record). */
struct watched {
	uint32_t conn;
	uint32_t pid;
	uint8_t role;
};
static GMutex watch_lock;
static GHashTable *watches;

bool emu_trace_on(void)
{
	return g_atomic_int_get(&trace_fd) >= 0;
}

/*
 * Two processes may open the same new file at once: the header is written under an
 * exclusive flock by whoever finds the file empty, and everybody checks it under the same
 * lock, so no record can precede the header.
 */
static int check_or_write_header(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size == 0) {
		struct emu_trace_file_hdr h = { .version = EMU_TRACE_VERSION };
		memcpy(h.magic, EMU_TRACE_FILE_MAGIC, sizeof(h.magic));
		ssize_t n = write(fd, &h, sizeof(h));
		if (n < 0)
			return -errno;
		return n == (ssize_t)sizeof(h) ? 0 : -EIO;
	}
	struct emu_trace_file_hdr h;
	ssize_t n = pread(fd, &h, sizeof(h), 0);
	if (n < 0)
		return -errno;
	if (n != (ssize_t)sizeof(h) || memcmp(h.magic, EMU_TRACE_FILE_MAGIC, sizeof(h.magic)) ||
	    h.version != EMU_TRACE_VERSION)
		return -EBADMSG;
	return 0;
}

int emu_trace_open(const char *path, uint8_t role)
{
	int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int r = 0;
	if (flock(fd, LOCK_EX) < 0)
		r = -errno;
	if (r == 0) {
		r = check_or_write_header(fd);
		(void)flock(fd, LOCK_UN);
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	emu_trace_close();
	trace_role = role;
	g_atomic_int_set(&trace_fd, fd);
	return 0;
}

void emu_trace_close(void)
{
	int fd = g_atomic_int_get(&trace_fd);
	g_atomic_int_set(&trace_fd, -1);
	if (fd >= 0)
		close(fd);
	g_mutex_lock(&watch_lock);
	g_clear_pointer(&watches, g_hash_table_destroy);
	g_mutex_unlock(&watch_lock);
}

/* One record: header + pieces, one writev. */
static void write_rec(uint16_t kind, uint32_t conn, uint8_t peer, uint32_t peer_pid,
		      const struct iovec *iov, size_t iovcnt)
{
	int fd = g_atomic_int_get(&trace_fd);
	if (fd < 0)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct emu_trace_rec rec = {
		.magic = EMU_TRACE_REC_MAGIC,
		.time_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000,
		.pid = (uint32_t)getpid(),
		.peer_pid = peer_pid,
		.kind = kind,
		.recorder = trace_role,
		.peer = peer,
		.conn = conn,
	};
	struct iovec v[12];
	size_t n = 1, total = 0;
	v[0].iov_base = &rec;
	v[0].iov_len = sizeof(rec);
	for (size_t i = 0; i < iovcnt && n < G_N_ELEMENTS(v); i++) {
		size_t len = MIN(iov[i].iov_len, EMU_TRACE_MAX_DATA - total);
		if (!len)
			continue;
		v[n].iov_base = iov[i].iov_base;
		v[n++].iov_len = len;
		total += len;
	}
	rec.length = (uint32_t)total;
	ssize_t w;
	do
		w = writev(fd, v, (int)n);
	while (w < 0 && errno == EINTR);
	(void)w; /* a lost record must not take the daemon down */
}

void emu_trace_msg(uint16_t kind, uint32_t conn, uint8_t peer_role, uint32_t peer_pid,
		   const struct emu_msg_hdr *hdr, const struct iovec *iov, size_t iovcnt)
{
	if (!emu_trace_on())
		return;
	struct iovec v[10];
	size_t n = 0;
	v[n].iov_base = (void *)hdr;
	v[n++].iov_len = sizeof(*hdr);
	for (size_t i = 0; i < iovcnt && n < G_N_ELEMENTS(v); i++)
		v[n++] = iov[i];
	write_rec(kind, conn, peer_role, peer_pid, v, n);
}

static void read_comm(uint32_t pid, char *buf, size_t size)
{
	g_autofree char *path = g_strdup_printf("/proc/%u/comm", pid);
	g_autofree char *text = NULL;
	buf[0] = '\0';
	if (pid && g_file_get_contents(path, &text, NULL, NULL)) {
		g_strchomp(text);
		g_strlcpy(buf, text, size);
	}
}

void emu_trace_connect(uint32_t conn, uint8_t peer_role, int fd)
{
	if (!emu_trace_on())
		return;
	struct ucred cred = { 0 };
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		cred.pid = 0;
	char comm[64];
	read_comm((uint32_t)cred.pid, comm, sizeof(comm));
	if (peer_role == EMU_TRACE_ROLE_UNKNOWN && strcmp(comm, "supplicantd") == 0)
		peer_role = EMU_TRACE_ROLE_SUPPLICANT;

	struct watched *w = g_new0(struct watched, 1);
	w->conn = conn;
	w->pid = (uint32_t)cred.pid;
	w->role = peer_role;
	g_mutex_lock(&watch_lock);
	if (!watches)
		watches = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	g_hash_table_insert(watches, GINT_TO_POINTER(fd), w);
	g_mutex_unlock(&watch_lock);

	struct iovec v = { comm, strlen(comm) + 1 };
	write_rec(EMU_TRACE_CONNECT, conn, peer_role, (uint32_t)cred.pid, &v, 1);
}

static bool lookup(int fd, struct watched *ret)
{
	bool found = false;
	g_mutex_lock(&watch_lock);
	struct watched *w = watches ? g_hash_table_lookup(watches, GINT_TO_POINTER(fd)) : NULL;
	if (w) {
		*ret = *w;
		found = true;
	}
	g_mutex_unlock(&watch_lock);
	return found;
}

void emu_trace_disconnect(int fd)
{
	if (!emu_trace_on())
		return;
	struct watched w;
	if (!lookup(fd, &w))
		return;
	g_mutex_lock(&watch_lock);
	g_hash_table_remove(watches, GINT_TO_POINTER(fd));
	g_mutex_unlock(&watch_lock);
	write_rec(EMU_TRACE_DISCONNECT, w.conn, w.role, w.pid, NULL, 0);
}

void emu_trace_fd_msg(int fd, uint16_t kind, const struct emu_msg_hdr *hdr,
		      const struct iovec *iov, size_t iovcnt)
{
	if (!emu_trace_on())
		return;
	struct watched w;
	g_mutex_lock(&watch_lock);
	struct watched *p = watches ? g_hash_table_lookup(watches, GINT_TO_POINTER(fd)) : NULL;
	if (p && kind == EMU_TRACE_MSG_RX) {
		/* The peer's role as its requests show it (tee socket). */
		if (hdr->type == EMU_MSG_SUPP_REGISTER_REQ)
			p->role = EMU_TRACE_ROLE_SUPPLICANT;
		else if ((hdr->type & 0xff00) == 0x0400 &&
			 (p->role == EMU_TRACE_ROLE_CLIENT || p->role == EMU_TRACE_ROLE_UNKNOWN))
			p->role = EMU_TRACE_ROLE_CONTROL;
	}
	if (p)
		w = *p;
	g_mutex_unlock(&watch_lock);
	if (p)
		emu_trace_msg(kind, w.conn, w.role, w.pid, hdr, iov, iovcnt);
}

void emu_trace_mm(uint16_t kind, uint32_t conn, uint32_t session, uint32_t req_id,
		  uint64_t memref_size, uint32_t tee_ret, uint32_t mm_ret, const void *buf)
{
	if (!emu_trace_on())
		return;
	struct emu_trace_mm mm = { .session = session, .req_id = req_id,
				   .memref_size = memref_size, .tee_ret = tee_ret,
				   .mm_ret = mm_ret };
	struct iovec v[2] = { { &mm, sizeof(mm) }, { (void *)buf, buf ? memref_size : 0 } };
	write_rec(kind, conn, EMU_TRACE_ROLE_CLIENT, 0, v, 2);
}

/* lib/fault_count.c's hook (weak there): a fired fault becomes a note in the trace. */
void fault_fired_note(const char *text)
{
	emu_trace_note("%s", text);
}

void emu_trace_note(const char *fmt, ...)
{
	if (!emu_trace_on())
		return;
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	struct iovec v = { text, strlen(text) + 1 };
	write_rec(EMU_TRACE_NOTE, 0, EMU_TRACE_ROLE_UNKNOWN, 0, &v, 1);
}

/* ---- reader -------------------------------------------------------------------------- */

struct emu_trace_reader {
	uint8_t *data;
	size_t len;
	size_t off;
	uint64_t index;
	char *error;
};

static int reader_fail(struct emu_trace_reader *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static int reader_fail(struct emu_trace_reader *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_free(r->error);
	r->error = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

int emu_trace_reader_new(const void *data, size_t len, struct emu_trace_reader **ret_r,
			 char **ret_error)
{
	struct emu_trace_file_hdr h;

	if (len < sizeof(h) || memcmp(data, EMU_TRACE_FILE_MAGIC, sizeof(h.magic)) != 0) {
		if (ret_error)
			*ret_error = g_strdup(len < sizeof(h) ? "not a trace file: shorter than its 16-byte header"
							      : "not a trace file: bad magic (want STMMTRC1)");
		return -EBADMSG;
	}
	memcpy(&h, data, sizeof(h));
	if (h.version != EMU_TRACE_VERSION) {
		if (ret_error)
			*ret_error = g_strdup_printf("trace version %u not supported (want %u)",
						     h.version, EMU_TRACE_VERSION);
		return -EBADMSG;
	}
	struct emu_trace_reader *r = g_new0(struct emu_trace_reader, 1);
	r->data = g_memdup2(data, len);
	r->len = len;
	r->off = sizeof(h);
	*ret_r = r;
	return 0;
}

int emu_trace_reader_open(const char *path, struct emu_trace_reader **ret_r, char **ret_error)
{
	g_autofree char *data = NULL;
	gsize len = 0;
	g_autoptr(GError) err = NULL;

	if (!g_file_get_contents(path, &data, &len, &err)) {
		if (ret_error)
			*ret_error = g_strdup(err->message);
		return err->domain == G_FILE_ERROR && err->code == G_FILE_ERROR_NOENT ? -ENOENT : -EIO;
	}
	return emu_trace_reader_new(data, len, ret_r, ret_error);
}

int emu_trace_reader_next(struct emu_trace_reader *r, struct emu_trace_rec *ret_rec,
			  const uint8_t **ret_data)
{
	struct emu_trace_rec rec;
	size_t left = r->len - r->off;

	if (left == 0)
		return 0;
	if (left < sizeof(rec))
		return reader_fail(r, "record %" G_GUINT64_FORMAT " at offset %zu truncated: %zu of its 40 header bytes",
				   r->index, r->off, left);
	memcpy(&rec, r->data + r->off, sizeof(rec));
	if (rec.magic != EMU_TRACE_REC_MAGIC)
		return reader_fail(r, "record %" G_GUINT64_FORMAT " at offset %zu: bad magic 0x%08x",
				   r->index, r->off, rec.magic);
	if (rec.length > EMU_TRACE_MAX_DATA)
		return reader_fail(r, "record %" G_GUINT64_FORMAT " at offset %zu: length %u over the limit %u",
				   r->index, r->off, rec.length, EMU_TRACE_MAX_DATA);
	if (rec.length > left - sizeof(rec))
		return reader_fail(r, "record %" G_GUINT64_FORMAT " at offset %zu truncated: %u data bytes announced, %zu present",
				   r->index, r->off, rec.length, left - sizeof(rec));
	*ret_rec = rec;
	*ret_data = r->data + r->off + sizeof(rec);
	r->off += sizeof(rec) + rec.length;
	r->index++;
	return 1;
}

const char *emu_trace_reader_error(const struct emu_trace_reader *r)
{
	return r && r->error ? r->error : "no error";
}

void emu_trace_reader_free(struct emu_trace_reader *r)
{
	if (!r)
		return;
	g_free(r->data);
	g_free(r->error);
	g_free(r);
}

const char *emu_trace_role_name(uint8_t role)
{
	switch (role) {
	case EMU_TRACE_ROLE_CLIENT: return "client";
	case EMU_TRACE_ROLE_SUPPLICANT: return "supplicantd";
	case EMU_TRACE_ROLE_STMMD: return "stmmd";
	case EMU_TRACE_ROLE_RPMBD: return "rpmbd";
	case EMU_TRACE_ROLE_CONTROL: return "control";
	case EMU_TRACE_ROLE_OS_IO: return "os-io";
	case EMU_TRACE_ROLE_RELAY: return "relay";
	default: return "unknown";
	}
}

const char *emu_trace_kind_name(uint16_t kind)
{
	switch (kind) {
	case EMU_TRACE_MSG_RX: return "RX";
	case EMU_TRACE_MSG_TX: return "TX";
	case EMU_TRACE_CONNECT: return "CONNECT";
	case EMU_TRACE_DISCONNECT: return "DISCONNECT";
	case EMU_TRACE_MM_REQ: return "MM_REQ";
	case EMU_TRACE_MM_RSP: return "MM_RSP";
	case EMU_TRACE_NOTE: return "NOTE";
	default: return "?";
	}
}
