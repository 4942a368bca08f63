/* SPDX-License-Identifier: MIT */
/*
 * The trace (include/emu_trace.h): the recorder a daemon uses to append records, and the
 * reader that `stmm-emu trace`, the scenario runner and the fuzzers use.
 *
 * Recording.  emu_trace_open() sets one process-wide file; every emu_trace_* call is a
 * no-op until then (emu_trace_on() is one atomic load, so call sites stay free when off).
 * A record is one writev() on an O_APPEND descriptor: records of several processes and
 * threads never interleave.  The serving end of a socket registers each accepted
 * connection with emu_trace_connect(); lib/ipc.c then records every message sent or
 * received on a registered descriptor (emu_trace_fd_msg), so a daemon's one send path and
 * one receive path are covered whoever calls them.  On the tee socket the peer's role
 * follows what it does: SUPPLICANT once it sends SUPP_REGISTER, CONTROL for 0x04xx
 * requests (on any socket).  Recording failures are ignored (a trace never takes a daemon down).
 */
#ifndef STMM_EMU_TRACE_H
#define STMM_EMU_TRACE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "emu_ipc.h"
#include "emu_trace.h"

/* ---- recorder ------------------------------------------------------------------------ */

/* Open (create) `path` for appending as `role` (EMU_TRACE_ROLE_*); writes the file header if
 * the file is empty.  0, -EBADMSG when the file exists and is not a trace, or -errno. */
__attribute__((warn_unused_result)) int emu_trace_open(const char *path, uint8_t role);
void emu_trace_close(void);
bool emu_trace_on(void);

/* One message (kind EMU_TRACE_MSG_RX / _TX): header and payload pieces. */
void emu_trace_msg(uint16_t kind, uint32_t conn, uint8_t peer_role, uint32_t peer_pid,
		   const struct emu_msg_hdr *hdr, const struct iovec *iov, size_t iovcnt);
/* A connection accepted on `fd`: records CONNECT (peer pid by SO_PEERCRED, its comm) and
 * registers fd so that its messages are recorded.  peer_role UNKNOWN: guessed from comm. */
void emu_trace_connect(uint32_t conn, uint8_t peer_role, int fd);
/* Records DISCONNECT of the connection on fd and forgets fd. */
void emu_trace_disconnect(int fd);
/* lib/ipc.c: a message sent/received on fd; recorded only if fd is registered. */
void emu_trace_fd_msg(int fd, uint16_t kind, const struct emu_msg_hdr *hdr,
		      const struct iovec *iov, size_t iovcnt);
/* The MM buffer around one StMM call (kind EMU_TRACE_MM_REQ / _RSP). */
void emu_trace_mm(uint16_t kind, uint32_t conn, uint32_t session, uint32_t req_id,
		  uint64_t memref_size, uint32_t tee_ret, uint32_t mm_ret, const void *buf);
void emu_trace_note(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* ---- reader -------------------------------------------------------------------------- */

struct emu_trace_reader;
typedef struct emu_trace_reader emu_trace_reader;

/* Read a whole trace file.  0 or -errno / -EBADMSG (not a trace: *ret_error says why). */
__attribute__((warn_unused_result)) int emu_trace_reader_open(const char *path,
							      struct emu_trace_reader **ret_r,
							      char **ret_error);
/* The same over bytes in memory (copied). */
__attribute__((warn_unused_result)) int emu_trace_reader_new(const void *data, size_t len,
							     struct emu_trace_reader **ret_r,
							     char **ret_error);
/*
 * The next record: 1 with *ret_rec and *ret_data (rec.length bytes, valid until the reader
 * is freed), 0 at the end, -EBADMSG on a bad or truncated record (emu_trace_reader_error()
 * says which and where; the reader stays at that record).
 */
__attribute__((warn_unused_result)) int emu_trace_reader_next(struct emu_trace_reader *r,
							      struct emu_trace_rec *ret_rec,
							      const uint8_t **ret_data);
const char *emu_trace_reader_error(const struct emu_trace_reader *r);
void emu_trace_reader_free(struct emu_trace_reader *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(emu_trace_reader, emu_trace_reader_free)

const char *emu_trace_role_name(uint8_t role);
const char *emu_trace_kind_name(uint16_t kind);

#endif
