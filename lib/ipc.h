/* SPDX-License-Identifier: MIT */
/*
 * Framing for stmm-emu's SOCK_SEQPACKET sockets (include/emu_ipc.h): one message per
 * datagram, header validated on receipt, optional file descriptor via SCM_RIGHTS.
 */
#ifndef STMM_EMU_IPC_H
#define STMM_EMU_IPC_H

#include <glib.h>
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
 * Send a request and wait for its reply (same req_id).  An EMU_MSG_ERROR reply becomes
 * its error code (text copied to ret_error_text if given, g_free).  A reply of another
 * type than `want_type` is -EPROTO.
 */
EMU_WUR int emu_ipc_call(int fd, uint16_t type, const struct iovec *iov, size_t iovcnt,
			 uint16_t want_type, int timeout_ms, struct emu_msg **ret_reply,
			 char **ret_error_text);

#endif
