/* SPDX-License-Identifier: MIT */
/*
 * The trace file (`stmm-emu up --trace`, and every scenario): every message that crosses a
 * process boundary, in order, in one file of the state directory (EMU_TRACE_FILE_NAME).
 *
 * Who records: the serving end of each socket records both directions on it — stmmd the tee
 * socket (clients and the supplicant), rpmbd the mmc socket (supplicantd, the shim, OS I/O).
 * So each message is recorded exactly once, whoever the peer is (our CLI, an unmodified
 * tool through a shim), and a received request is recorded before whatever it causes.
 * stmmd also records the MM communicate buffer as StMM sees it before and after each call
 * (it travels in shared memory, not in a message).
 *
 * Every process appends with O_APPEND, one write per record, so records of several
 * processes never interleave within a record.  All fields host-endian (one machine); the
 * bytes of a recorded message are exactly what went over the socket.
 *
 *   struct emu_trace_file_hdr | records ( struct emu_trace_rec | length data bytes )*
 */
#ifndef STMM_EMU_EMU_TRACE_H
#define STMM_EMU_EMU_TRACE_H

#include <stddef.h>
#include <stdint.h>

#define EMU_TRACE_FILE_NAME "trace.bin"
#define EMU_TRACE_VERSION   1u

struct emu_trace_file_hdr {
	uint8_t magic[8]; /* EMU_TRACE_FILE_MAGIC */
	uint32_t version; /* EMU_TRACE_VERSION */
	uint32_t reserved;
};
#define EMU_TRACE_FILE_MAGIC "STMMTRC1" /* 8 bytes, no NUL */
_Static_assert(sizeof(struct emu_trace_file_hdr) == 16, "emu_trace_file_hdr");
_Static_assert(offsetof(struct emu_trace_file_hdr, magic) == 0, "magic");
_Static_assert(offsetof(struct emu_trace_file_hdr, version) == 8, "version");
_Static_assert(offsetof(struct emu_trace_file_hdr, reserved) == 12, "reserved");

/* Largest data of one record (a whole IPC message fits). */
#define EMU_TRACE_MAX_DATA (256u * 1024u)

struct emu_trace_rec {
	uint32_t magic;    /* EMU_TRACE_REC_MAGIC */
	uint32_t length;   /* data bytes after this header, <= EMU_TRACE_MAX_DATA */
	int64_t time_us;   /* CLOCK_REALTIME, microseconds */
	uint32_t pid;      /* the recording process */
	uint32_t peer_pid; /* the other end (SO_PEERCRED), 0 = unknown or none */
	uint16_t kind;     /* EMU_TRACE_* */
	uint8_t recorder;  /* EMU_TRACE_ROLE_* of the recording process */
	uint8_t peer;      /* EMU_TRACE_ROLE_* of the other end, as best known */
	uint32_t conn;     /* the recorder's number for the connection (0 = none) */
	uint32_t reserved;
};
#define EMU_TRACE_REC_MAGIC 0x43525445u /* "ETRC" as little-endian bytes */
_Static_assert(sizeof(struct emu_trace_rec) == 40, "emu_trace_rec");
_Static_assert(offsetof(struct emu_trace_rec, magic) == 0, "magic");
_Static_assert(offsetof(struct emu_trace_rec, length) == 4, "length");
_Static_assert(offsetof(struct emu_trace_rec, time_us) == 8, "time_us");
_Static_assert(offsetof(struct emu_trace_rec, pid) == 16, "pid");
_Static_assert(offsetof(struct emu_trace_rec, peer_pid) == 20, "peer_pid");
_Static_assert(offsetof(struct emu_trace_rec, kind) == 24, "kind");
_Static_assert(offsetof(struct emu_trace_rec, recorder) == 26, "recorder");
_Static_assert(offsetof(struct emu_trace_rec, peer) == 27, "peer");
_Static_assert(offsetof(struct emu_trace_rec, conn) == 28, "conn");
_Static_assert(offsetof(struct emu_trace_rec, reserved) == 32, "reserved");

/* kind */
#define EMU_TRACE_MSG_RX     0x0001 /* data: the whole message (emu_msg_hdr + payload) received from peer */
#define EMU_TRACE_MSG_TX     0x0002 /* data: the whole message sent to peer */
#define EMU_TRACE_CONNECT    0x0003 /* data: the peer's process name (/proc/PID/comm), NUL-terminated */
#define EMU_TRACE_DISCONNECT 0x0004 /* no data */
#define EMU_TRACE_MM_REQ     0x0005 /* data: struct emu_trace_mm + the MM buffer before StMM runs */
#define EMU_TRACE_MM_RSP     0x0006 /* data: struct emu_trace_mm + the MM buffer StMM answered */
#define EMU_TRACE_NOTE       0x0007 /* data: UTF-8 text, NUL-terminated (fault fired, start, dead…) */

/* role */
#define EMU_TRACE_ROLE_UNKNOWN    0
#define EMU_TRACE_ROLE_CLIENT     1 /* a normal-world TEE client (stmm-emu, a shim user) */
#define EMU_TRACE_ROLE_SUPPLICANT 2 /* supplicantd (tee-supplicant) */
#define EMU_TRACE_ROLE_STMMD      3 /* OP-TEE + StMM */
#define EMU_TRACE_ROLE_RPMBD      4 /* the eMMC */
#define EMU_TRACE_ROLE_CONTROL    5 /* stmm-emu's supervisor / control requests */
#define EMU_TRACE_ROLE_OS_IO      6 /* OS block I/O on the shared controller */
#define EMU_TRACE_ROLE_RELAY      7 /* the kernel RPMB route's relay */

/* EMU_TRACE_MM_REQ / _RSP data header. */
struct emu_trace_mm {
	uint32_t session;     /* PTA session */
	uint32_t req_id;      /* the invoke's message id on its connection */
	uint64_t memref_size; /* memref[0].size (bytes of the buffer that follow) */
	uint32_t tee_ret;     /* _RSP: the invoke's TEE result; _REQ: 0 */
	uint32_t mm_ret;      /* _RSP: ARM_SPM_MM_RET_* (value[1].a); _REQ: 0 */
};
_Static_assert(sizeof(struct emu_trace_mm) == 24, "emu_trace_mm");
_Static_assert(offsetof(struct emu_trace_mm, session) == 0, "session");
_Static_assert(offsetof(struct emu_trace_mm, req_id) == 4, "req_id");
_Static_assert(offsetof(struct emu_trace_mm, memref_size) == 8, "memref_size");
_Static_assert(offsetof(struct emu_trace_mm, tee_ret) == 16, "tee_ret");
_Static_assert(offsetof(struct emu_trace_mm, mm_ret) == 20, "mm_ret");

#endif
