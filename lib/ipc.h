/* SPDX-License-Identifier: MIT */
/*
 * Framing for stmm-emu's SOCK_SEQPACKET sockets (include/emu_ipc.h): one message per
 * datagram, header validated on receipt, optional file descriptor via SCM_RIGHTS.
 */
#ifndef STMM_EMU_IPC_H
#define STMM_EMU_IPC_H

#include <errno.h>
#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "emu_ipc.h"

#define EMU_WUR __attribute__((warn_unused_result))

/* A received message.  Free with emu_msg_free (closes a passed fd that nobody took). */
struct emu_msg {
	struct emu_msg_hdr hdr;
	uint8_t *payload; /* hdr.length bytes, NULL when 0 */
	int fd;           /* passed descriptor or -1 */
};
typedef struct emu_msg emu_msg;
void emu_msg_free(struct emu_msg *msg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(emu_msg, emu_msg_free)

/* Bind and listen on `path` (an existing socket file is replaced).  0 or -errno. */
EMU_WUR int emu_ipc_listen(const char *path, int *ret_fd);
/* Connect to `path`.  0 or -errno (-ENOENT/-ECONNREFUSED when nobody listens). */
EMU_WUR int emu_ipc_connect(const char *path, int *ret_fd);

/* Send one message made of `iov` pieces (payload only; the header is added). */
EMU_WUR int emu_ipc_sendv(int fd, uint16_t type, uint32_t req_id, const struct iovec *iov,
			  size_t iovcnt, int pass_fd);
EMU_WUR int emu_ipc_send(int fd, uint16_t type, uint32_t req_id, const void *payload,
			 size_t len);
/* EMU_MSG_ERROR with -errno and a printf-style text. */
int emu_ipc_send_error(int fd, uint32_t req_id, int error, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Receive one message, waiting at most timeout_ms (-1: forever).  Validates magic,
 * version, that `length` matches what arrived and that nothing was truncated.
 * Returns 0, -ETIMEDOUT, -ECONNRESET on an orderly close, -EBADMSG on a malformed (or empty)
 * message (it has been consumed; the socket stays usable), or another -errno.
 */
EMU_WUR int emu_ipc_recv(int fd, int timeout_ms, struct emu_msg **ret_msg);

/*
 * The request id a call uses on one connection: *next_id, 0 skipped (daemons answer a
 * framing error with req_id 0); *next_id is advanced past it.  Ids on a connection thus
 * strictly increase (until they wrap after 2^32 - 1 calls) and are never reused, also
 * after a call that timed out, so its late reply cannot be taken for a later call's.
 */
uint32_t emu_ipc_next_id(uint32_t *next_id);

/*
 * Send a request (payload `iov`, optional descriptor pass_fd, -1 for none) with the id
 * emu_ipc_next_id(next_id) gives, and wait for the reply of that id.  The caller
 * serializes the calls on one connection and keeps *next_id with it (start at 1).
 *
 * The deadline is computed once, before sending: now + timeout_ms (-1: none).  Replies
 * with another id (late answers to calls that timed out, framing errors with id 0) are
 * read and dropped without extending it.  Returns
 *   0            *ret_reply is the reply, of type want_type;
 *   its error    the reply is EMU_MSG_ERROR: its (negative) error code, its text copied
 *                to *ret_error_text if given (g_free; set only for such a reply); an
 *                EMU_MSG_ERROR too short for struct emu_msg_error or with an error >= 0
 *                is -EPROTO;
 *   -EPROTO      the reply is of another type;
 *   -ETIMEDOUT   no reply by the deadline;
 *   -errno       from emu_ipc_sendv / emu_ipc_recv (-ECONNRESET: the peer hung up).
 * See emu_ipc_not_sent() for failures that happened before the request went out.
 */
EMU_WUR int emu_ipc_call(int fd, uint32_t *next_id, int timeout_ms, uint16_t type,
			 const struct iovec *iov, size_t iovcnt, int pass_fd, uint16_t want_type,
			 struct emu_msg **ret_reply, char **ret_error_text);

/*
 * Did emu_ipc_call fail with `r` because the request could not be sent at all (the peer
 * had closed its end: a restarted daemon)?  Then it is safe to send it again on a new
 * connection; after any other failure the peer may have executed the request.
 */
static inline bool emu_ipc_not_sent(int r)
{
	return r == -EPIPE || r == -ENOTCONN || r == -ECONNREFUSED;
}

#endif
