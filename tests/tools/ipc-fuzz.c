/* SPDX-License-Identifier: MIT */
/*
 * ipc-fuzz: throws malformed and hostile traffic at one stmm-emu daemon socket and checks
 * after every burst that the daemon still answers a valid request.  For system tests
 * (tests/system/daemons_fuzz.sh); bounded and reproducible: a fixed --seed, --count cases.
 *
 *   ipc-fuzz --socket S --mode mmc|tee|tee-supp|supp-peer [--seed N] [--count N]
 *
 *   mmc       S is rpmbd's mmc socket.  Framing garbage, every known/unknown type with
 *             random payloads, passed fds, sequences with num_cmds huge, commands not
 *             matching their data, CMD23 counts 0/65535, frames of random request types
 *             (never PROGRAM_KEY: the device key is one-time), too many clients.
 *   tee       S is stmmd's tee socket (with its supplicant attached).  The same framing
 *             cases, plus: fds that are no memfd (pipe, /dev/null, directory, socket),
 *             memfds smaller than claimed or shrunk after registering, unregister twice,
 *             unknown session/shm ids, memref offset+size overflow, random MM buffers
 *             (never ReadyToBoot/ExitBootServices/EndOfDxe), export layouts of every size,
 *             disconnect before the reply, SUPP_REGISTER while a supplicant is attached,
 *             SUPP_RPC_RSP from a non-supplicant.
 *   tee-supp  S is the tee socket of an stmmd with NO supplicant: ipc-fuzz registers as
 *             the supplicant and answers stmmd's RPCs with garbage (unknown req ids,
 *             out_len lying or oversized, short replies, error codes, random frames,
 *             passed fds, silence) while a second connection keeps invoking.
 *   supp-peer ipc-fuzz listens on S as a fake stmmd; a supplicantd started with
 *             --tee-socket S registers, then gets random SUPP_RPC_REQs (in_len/out_len
 *             lying, random rpmb_req headers, random frame counts) and framing garbage.
 *             Every SUPP_RPC_REQ must be answered with a SUPP_RPC_RSP of its id.
 *
 * A daemon must answer every request (EMU_MSG_ERROR counts), a framing error with an
 * EMU_MSG_ERROR of req_id 0, and never drop a connection for what it carried.  Prints
 * one line per failure and a summary; exit 0 when nothing failed, 1 otherwise, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipc.h"
#include "mmc_seq.h"
#include "mm.h"
#include "optee_rpmb.h"
#include "pta_stmm.h"
#include "rpmb_frame.h"

#define REPLY_TIMEOUT_MS 10000 /* an invoke may wait behind an RPC; generous, never hit */
#define BURST 16               /* cases between two liveness checks */
#define MAX_EXPECT 64

enum mode { MODE_MMC, MODE_TEE, MODE_TEE_SUPP, MODE_SUPP_PEER };

struct fuzz {
	const char *sock;
	enum mode mode;
	GRand *rng;
	uint32_t next_id;
	unsigned cases, checks, failures, skipped;
	const char *cur; /* name of the running case */
};

static void failf(struct fuzz *f, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void failf(struct fuzz *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_autofree char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	printf("FAIL [%s]: %s\n", f->cur ? f->cur : "-", text);
	fflush(stdout);
	f->failures++;
}

static uint32_t rnd(struct fuzz *f, uint32_t n) /* 0..n-1 */
{
	return n ? (uint32_t)g_rand_int_range(f->rng, 0, (gint32)MIN(n, (uint32_t)G_MAXINT32)) : 0;
}

static void rnd_bytes(struct fuzz *f, void *p, size_t n)
{
	uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)g_rand_int(f->rng);
}

/* Ids never repeat within a run, whatever the connection (0 is never used: it is what a
 * daemon answers framing errors with). */
static uint32_t new_id(struct fuzz *f)
{
	return emu_ipc_next_id(&f->next_id);
}

/* ---- raw sending ----------------------------------------------------------------------- */

/* One datagram of exactly these bytes, with up to 4 descriptors.  0 or -errno. */
static int send_raw(int fd, const void *buf, size_t len, const int *fds, size_t nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} ctrl;
	struct iovec v = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &v, .msg_iovlen = 1 };

	if (nfds > 4)
		return -E2BIG;
	if (nfds) {
		memset(&ctrl, 0, sizeof(ctrl));
		mh.msg_control = ctrl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	ssize_t n;
	for (int waited = 0;;) {
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0 || errno == EINTR)
			if (n >= 0)
				break;
		if (n < 0 && errno == EAGAIN && waited < 5000) {
			/* The daemon has not read the previous ones yet: bounded wait for room. */
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			(void)poll(&p, 1, 100);
			waited += 100;
			continue;
		}
		if (n < 0 && errno != EINTR)
			return -errno;
	}
	return (size_t)n == len ? 0 : -EIO;
}

/* A message whose header says `claimed` payload bytes while `len` follow. */
static int send_msg(int fd, uint16_t type, uint32_t id, const void *p, size_t len,
		    uint32_t claimed, int pass_fd)
{
	g_autofree uint8_t *buf = g_malloc(sizeof(struct emu_msg_hdr) + len);
	struct emu_msg_hdr h = { .magic = EMU_MSG_MAGIC, .version = EMU_MSG_VERSION, .type = type,
				 .req_id = id, .length = claimed };
	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + sizeof(h), p, len);
	return send_raw(fd, buf, sizeof(h) + len, &pass_fd, pass_fd >= 0 ? 1 : 0);
}

static int send_ok(int fd, uint16_t type, uint32_t id, const void *p, size_t len, int pass_fd)
{
	return send_msg(fd, type, id, p, len, (uint32_t)len, pass_fd);
}

/* ---- what we wait for ------------------------------------------------------------------ */

enum want { WANT_ANY, WANT_ERROR, WANT_TYPE };

struct expect {
	uint32_t id;     /* 0: a framing error */
	enum want want;
	uint16_t type;   /* WANT_TYPE */
	bool got;
	struct emu_msg *msg; /* the reply, kept when keep is set */
	bool keep;
};

struct conn {
	int fd;
	size_t n;
	struct expect ex[MAX_EXPECT];
	unsigned extra; /* replies nobody waited for */
};

static void conn_reset(struct conn *c)
{
	for (size_t i = 0; i < c->n; i++)
		emu_msg_free(c->ex[i].msg);
	c->n = 0;
	c->extra = 0;
}

static void conn_close(struct conn *c)
{
	conn_reset(c);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int conn_open(struct fuzz *f, struct conn *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	int r = emu_ipc_connect(f->sock, &c->fd);
	if (r < 0)
		failf(f, "connect %s: %s", f->sock, g_strerror(-r));
	return r;
}

static struct expect *expect(struct conn *c, uint32_t id, enum want want, uint16_t type)
{
	if (c->n >= MAX_EXPECT)
		return NULL;
	struct expect *e = &c->ex[c->n++];
	*e = (struct expect){ .id = id, .want = want, .type = type };
	return e;
}

/* Send (the header telling the truth) and expect a reply of that id. */
static struct expect *request(struct fuzz *f, struct conn *c, uint16_t type, const void *p,
			      size_t len, int pass_fd, enum want want, uint16_t rsp_type)
{
	uint32_t id = new_id(f);
	int r = send_ok(c->fd, type, id, p, len, pass_fd);
	if (r < 0) {
		failf(f, "send of 0x%04x (%zu bytes): %s", type, len, g_strerror(-r));
		return NULL;
	}
	return expect(c, id, want, rsp_type);
}

/* Read replies until every expectation is met.  false (and a failure) on silence or a
 * dropped connection. */
static bool collect(struct fuzz *f, struct conn *c, int timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	for (;;) {
		bool all = true;
		for (size_t i = 0; i < c->n; i++)
			all &= c->ex[i].got;
		if (all)
			return true;
		gint64 left = (deadline - g_get_monotonic_time()) / 1000;
		emu_msg *m = NULL;
		int r = emu_ipc_recv(c->fd, (int)MAX(left, 0), &m);
		if (r < 0) {
			for (size_t i = 0; i < c->n; i++)
				if (!c->ex[i].got)
					failf(f, "no reply to request %u (%s): %s", c->ex[i].id,
					      c->ex[i].want == WANT_ERROR ? "EMU_MSG_ERROR expected" :
									  "any reply expected",
					      r == -ETIMEDOUT ? "silence" :
					      r == -ECONNRESET ? "connection dropped" : g_strerror(-r));
			return false;
		}
		struct expect *hit = NULL;
		for (size_t i = 0; i < c->n && !hit; i++)
			if (!c->ex[i].got && c->ex[i].id == m->hdr.req_id)
				hit = &c->ex[i];
		if (!hit) {
			c->extra++;
			emu_msg_free(m);
			continue;
		}
		hit->got = true;
		if (hit->want == WANT_ERROR && m->hdr.type != EMU_MSG_ERROR)
			failf(f, "request %u: EMU_MSG_ERROR expected, got type 0x%04x", hit->id,
			      m->hdr.type);
		if (hit->want == WANT_TYPE && m->hdr.type != hit->type)
			failf(f, "request %u: type 0x%04x expected, got 0x%04x", hit->id, hit->type,
			      m->hdr.type);
		if (hit->keep)
			hit->msg = m;
		else
			emu_msg_free(m);
	}
}

/* The emu_tee_result of a kept reply, or a failure. */
static bool tee_result(struct fuzz *f, const struct expect *e, struct emu_tee_result *ret)
{
	if (!e || !e->msg || e->msg->hdr.length != sizeof(*ret) || e->msg->hdr.type == EMU_MSG_ERROR) {
		failf(f, "request %u: no emu_tee_result", e ? e->id : 0);
		return false;
	}
	memcpy(ret, e->msg->payload, sizeof(*ret));
	return true;
}

static int32_t error_code(const struct expect *e)
{
	struct emu_msg_error err;
	if (!e || !e->msg || e->msg->hdr.type != EMU_MSG_ERROR || e->msg->hdr.length < sizeof(err))
		return 0;
	memcpy(&err, e->msg->payload, sizeof(err));
	return err.error;
}

/* One request and its reply, through lib's emu_ipc_call (for a batch of requests in
 * flight: request() + collect()).  true with the reply, of type rsp_type; else a failure. */
static bool call(struct fuzz *f, struct conn *c, uint16_t type, const void *p, size_t len,
		 int pass_fd, uint16_t rsp_type, struct emu_msg **ret_reply)
{
	struct iovec v = { .iov_base = (void *)p, .iov_len = len };
	g_autofree char *text = NULL;
	int r = emu_ipc_call(c->fd, &f->next_id, REPLY_TIMEOUT_MS, type, &v, len ? 1 : 0, pass_fd,
			     rsp_type, ret_reply, &text);
	if (r < 0)
		failf(f, "request 0x%04x: %s%s%s", type,
		      r == -ETIMEDOUT ? "silence" :
		      r == -ECONNRESET ? "connection dropped" : g_strerror(-r),
		      text ? ": " : "", text ? text : "");
	return r == 0;
}

/* call() for a reply that carries a struct emu_tee_result. */
static bool call_result(struct fuzz *f, struct conn *c, uint16_t type, const void *p, size_t len,
			int pass_fd, uint16_t rsp_type, struct emu_tee_result *ret)
{
	g_autoptr(emu_msg) m = NULL;
	if (!call(f, c, type, p, len, pass_fd, rsp_type, &m))
		return false;
	if (m->hdr.length != sizeof(*ret)) {
		failf(f, "reply 0x%04x: no emu_tee_result", rsp_type);
		return false;
	}
	memcpy(ret, m->payload, sizeof(*ret));
	return true;
}

/* ---- framing cases (every socket) ------------------------------------------------------ */

static const uint16_t known_types[] = {
	EMU_MSG_ERROR,
	EMU_MSG_MMC_INFO_REQ, EMU_MSG_MMC_INFO_RSP, EMU_MSG_MMC_SEQ_REQ, EMU_MSG_MMC_SEQ_RSP,
	EMU_MSG_TEE_OPEN_SESSION_REQ, EMU_MSG_TEE_OPEN_SESSION_RSP, EMU_MSG_TEE_CLOSE_SESSION_REQ,
	EMU_MSG_TEE_CLOSE_SESSION_RSP, EMU_MSG_TEE_REGISTER_SHM_REQ, EMU_MSG_TEE_REGISTER_SHM_RSP,
	EMU_MSG_TEE_UNREGISTER_SHM_REQ, EMU_MSG_TEE_UNREGISTER_SHM_RSP, EMU_MSG_TEE_INVOKE_REQ,
	EMU_MSG_TEE_INVOKE_RSP, EMU_MSG_SUPP_REGISTER_REQ, EMU_MSG_SUPP_REGISTER_RSP,
	EMU_MSG_SUPP_RPC_REQ, EMU_MSG_SUPP_RPC_RSP, EMU_MSG_CTRL_STATUS_REQ,
	EMU_MSG_CTRL_STATUS_RSP, EMU_MSG_CTRL_RESET_REQ, EMU_MSG_CTRL_RESET_RSP,
	EMU_MSG_CTRL_EXPORT_REQ, EMU_MSG_CTRL_EXPORT_RSP,
};

static size_t rnd_len(struct fuzz *f)
{
	static const size_t natural[] = { 0, 1, 3, 4, 7, 8, 15, 16, 17, 23, 24, 31, 32, 33,
					  104, 111, 112, 113, 520, 528 };
	switch (rnd(f, 4)) {
	case 0:
	case 1:
		return natural[rnd(f, G_N_ELEMENTS(natural))];
	case 2:
		return rnd(f, 4096);
	default:
		return rnd(f, (uint32_t)EMU_MSG_MAX_PAYLOAD + 1);
	}
}

/*
 * Types a fuzz case may send with a random payload on this socket.  Not on the tee socket:
 * SUPP_REGISTER (an idle stack has a supplicant: BUSY, covered by its own case) is fine,
 * but CTRL_RESET is only sent with a wrong size (a valid one reboots StMM: its own case).
 */
static uint16_t rnd_type(struct fuzz *f)
{
	if (rnd(f, 3) == 0)
		return (uint16_t)g_rand_int(f->rng);
	return known_types[rnd(f, G_N_ELEMENTS(known_types))];
}

/* Valid header, known or unknown type, random payload: some reply every time. */
static void case_types(struct fuzz *f)
{
	struct conn c;
	if (conn_open(f, &c) < 0)
		return;
	unsigned n = 1 + rnd(f, 6);
	for (unsigned i = 0; i < n; i++) {
		uint16_t type = rnd_type(f);
		size_t len = rnd_len(f);
		/* A SUPP_RPC_RSP with nothing outstanding is dropped by design when it comes from
		 * the supplicant; from anybody else it is refused.  A valid CTRL_RESET is fine. */
		if (type == EMU_MSG_CTRL_RESET_REQ && len == 0)
			len = 1;
		g_autofree uint8_t *p = g_malloc(MAX(len, 1));
		rnd_bytes(f, p, len);
		(void)request(f, &c, type, p, len, -1, WANT_ANY, 0);
	}
	(void)collect(f, &c, REPLY_TIMEOUT_MS);
	conn_close(&c);
}

static int odd_fd(struct fuzz *f);

/* Framing errors; each must come back as EMU_MSG_ERROR id 0 and leave the socket usable. */
static void case_framing(struct fuzz *f, uint16_t probe_type, const void *probe, size_t probe_len)
{
	struct conn c;
	if (conn_open(f, &c) < 0)
		return;
	unsigned n = 1 + rnd(f, 5);
	for (unsigned i = 0; i < n; i++) {
		uint8_t buf[512];
		size_t len = 16 + rnd(f, sizeof(buf) - 16);
		uint16_t type = rnd_type(f);
		int r;

		rnd_bytes(f, buf, sizeof(buf));
		switch (rnd(f, 6)) {
		case 0: /* the length field lies: bigger */
			r = send_msg(c.fd, type, new_id(f), buf, len - 16,
				     (uint32_t)(len - 16 + 1 + rnd(f, 100000)), -1);
			break;
		case 1: /* smaller (incl. a wrapped-around huge one) */
			r = send_msg(c.fd, type, new_id(f), buf, len - 16,
				     len > 16 && rnd(f, 2) ? (uint32_t)rnd(f, (uint32_t)(len - 16)) :
							     0xffffffffu, -1);
			break;
		case 2: { /* bad magic or version */
			struct emu_msg_hdr h = { .magic = EMU_MSG_MAGIC, .version = EMU_MSG_VERSION,
						 .type = type, .req_id = new_id(f), .length = 0 };
			if (rnd(f, 2))
				h.magic ^= 1u << rnd(f, 32);
			else
				h.version = (uint16_t)(rnd(f, 2) ? 0 : 2 + rnd(f, 1000));
			r = send_raw(c.fd, &h, sizeof(h), NULL, 0);
			break;
		}
		case 3: { /* zero-length datagram (once taken for a hang-up), maybe with an fd */
			int pass = rnd(f, 2) ? odd_fd(f) : -1;
			r = send_raw(c.fd, buf, 0, &pass, pass >= 0 ? 1 : 0);
			if (pass >= 0)
				close(pass);
			break;
		}
		case 4: /* shorter than a header */
			r = send_raw(c.fd, buf, 1 + rnd(f, 15), NULL, 0);
			break;
		default: /* random bytes */
			if (rnd(f, 2))
				memcpy(buf, &(uint32_t){ EMU_MSG_MAGIC }, 4);
			r = send_raw(c.fd, buf, 1 + rnd(f, sizeof(buf)), NULL, 0);
			break;
		}
		if (r < 0)
			failf(f, "send: %s", g_strerror(-r));
		else
			expect(&c, 0, WANT_ERROR, 0);
	}
	/* Still usable after all that: a valid request on the same connection. */
	(void)request(f, &c, probe_type, probe, probe_len, -1, WANT_ANY, 0);
	(void)collect(f, &c, REPLY_TIMEOUT_MS);
	if (c.n && c.ex[c.n - 1].got && c.extra)
		failf(f, "%u unexpected replies", c.extra);
	conn_close(&c);
}

/* Datagrams of the largest size allowed, and larger ones (truncated on receipt). */
static void case_big(struct fuzz *f, uint16_t probe_type, const void *probe, size_t probe_len)
{
	struct conn c;
	if (conn_open(f, &c) < 0)
		return;
	int sndbuf = 1 << 20;
	(void)setsockopt(c.fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	g_autofree uint8_t *p = g_malloc(EMU_MSG_MAX_PAYLOAD + 4096);
	rnd_bytes(f, p, EMU_MSG_MAX_PAYLOAD + 4096);
	uint16_t type = rnd_type(f);
	if (type == EMU_MSG_CTRL_RESET_REQ)
		type = EMU_MSG_CTRL_STATUS_REQ;
	(void)request(f, &c, type, p, EMU_MSG_MAX_PAYLOAD, -1, WANT_ANY, 0);
	size_t over = EMU_MSG_MAX_PAYLOAD + 1 + rnd(f, 4000);
	int r = send_ok(c.fd, type, new_id(f), p, over, -1);
	if (r == 0)
		expect(&c, 0, WANT_ERROR, 0);
	else if (r == -EMSGSIZE || r == -ENOBUFS || r == -EAGAIN)
		f->skipped++; /* the kernel would not carry it: nothing reached the daemon */
	else
		failf(f, "send of %zu bytes: %s", over, g_strerror(-r));
	(void)request(f, &c, probe_type, probe, probe_len, -1, WANT_ANY, 0);
	(void)collect(f, &c, REPLY_TIMEOUT_MS);
	conn_close(&c);
}

/* Descriptors where none belongs (or more than one): refused, none kept open. */
static int odd_fd(struct fuzz *f)
{
	int p[2];
	switch (rnd(f, 4)) {
	case 0:
		if (pipe2(p, O_CLOEXEC) < 0)
			return -1;
		close(p[1]);
		return p[0];
	case 1:
		return open("/dev/null", O_RDWR | O_CLOEXEC);
	case 2:
		return open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	default:
		return socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	}
}

/* A client that sends and goes away before the reply; a crowd of clients. */
static void case_disconnect(struct fuzz *f, uint16_t type, const void *p, size_t len)
{
	struct conn c;
	if (conn_open(f, &c) < 0)
		return;
	(void)send_ok(c.fd, type, new_id(f), p, len, -1);
	if (rnd(f, 2))
		(void)shutdown(c.fd, SHUT_RDWR);
	conn_close(&c);
}

static void case_crowd(struct fuzz *f, unsigned n)
{
	int fds[100];
	unsigned opened = 0;
	n = MIN(n, G_N_ELEMENTS(fds));
	for (unsigned i = 0; i < n; i++)
		if (emu_ipc_connect(f->sock, &fds[opened]) == 0)
			opened++;
	/* Beyond the daemon's limit (64, one taken by the supplicant): a clear -EBUSY, then
	 * the hang-up -- not silence, not an unbounded number of descriptors. */
	if (opened == n && n > 64) {
		emu_msg *m = NULL;
		int r = emu_ipc_recv(fds[opened - 1], 5000, &m);
		struct expect e = { .msg = m };
		if (r < 0 || m->hdr.type != EMU_MSG_ERROR || error_code(&e) != -EBUSY)
			failf(f, "connection #%u: no EMU_MSG_ERROR -EBUSY (%s)", opened,
			      r < 0 ? g_strerror(-r) : "another reply");
		emu_msg_free(m);
	}
	/* Every one half-sends something; the daemon must not hold on to them. */
	for (unsigned i = 0; i < opened; i++) {
		uint8_t junk[8];
		rnd_bytes(f, junk, sizeof(junk));
		(void)send_raw(fds[i], junk, 1 + rnd(f, sizeof(junk)), NULL, 0);
	}
	for (unsigned i = 0; i < opened; i++)
		close(fds[i]);
	/* The daemon sees those hang-ups in its own time; until then it may be at its limit of
	 * connections and refuse the next case's.  Wait (bounded) until it takes one again. */
	for (int tries = 0; tries < 100; tries++) {
		int fd;
		g_autoptr(emu_msg) m = NULL;
		if (emu_ipc_connect(f->sock, &fd) < 0)
			break;
		uint16_t type = f->mode == MODE_MMC ? EMU_MSG_MMC_INFO_REQ : EMU_MSG_CTRL_STATUS_REQ;
		uint16_t want = f->mode == MODE_MMC ? EMU_MSG_MMC_INFO_RSP : EMU_MSG_CTRL_STATUS_RSP;
		int r = emu_ipc_call(fd, &f->next_id, 2000, type, NULL, 0, -1, want, &m, NULL);
		close(fd);
		/* Taken: answered (or a slow daemon, which the liveness checks judge).  Refused at
		 * the limit shows as -EBUSY, or -- when the daemon's refusal and hang-up come
		 * before our request is out -- as -EPIPE / -ECONNRESET: try again. */
		if (r == 0 || r == -ETIMEDOUT)
			break;
		g_usleep(20000);
	}
}

/* ---- mmc socket ------------------------------------------------------------------------ */

static bool mmc_alive(struct fuzz *f)
{
	int fd;
	g_autoptr(emu_msg) m = NULL;
	int r = emu_ipc_connect(f->sock, &fd);
	if (r == 0) {
		r = emu_ipc_call(fd, &f->next_id, 5000, EMU_MSG_MMC_INFO_REQ, NULL, 0, -1,
				 EMU_MSG_MMC_INFO_RSP, &m, NULL);
		close(fd);
	}
	if (r == 0 && m->hdr.length != sizeof(struct emu_mmc_info))
		r = -EPROTO;
	f->checks++;
	if (r < 0)
		failf(f, "rpmbd does not answer INFO_REQ any more: %s", g_strerror(-r));
	return r == 0;
}

/* One command as given, reserved field included (lib/mmc_seq.h builds the sequence). */
static void seq_cmd(struct mmc_seq *s, uint32_t opcode, uint32_t arg, uint32_t blocks,
		    uint32_t reserved)
{
	struct emu_mmc_cmd c = { .opcode = opcode, .arg = arg, .blocks = blocks, .reserved = reserved };
	mmc_seq_add(s, &c, NULL, 0);
}

/* n random frames of type req_type (-1: random, never PROGRAM_KEY); g_free. */
static struct rpmb_frame *rnd_frames(struct fuzz *f, uint32_t n, int req_type)
{
	struct rpmb_frame *frames = g_new(struct rpmb_frame, MAX(n, 1));
	for (uint32_t i = 0; i < n; i++) {
		struct rpmb_frame *fr = &frames[i];
		rnd_bytes(f, fr, sizeof(*fr));
		uint16_t t = req_type >= 0 ? (uint16_t)req_type : (uint16_t)g_rand_int(f->rng);
		if (t == RPMB_REQ_PROGRAM_KEY)
			t = 0x0101; /* never try to program the one-time key */
		fr->req_resp[0] = (uint8_t)(t >> 8);
		fr->req_resp[1] = (uint8_t)t;
		if (rnd(f, 2)) { /* a plausible address and count */
			fr->address[0] = 0;
			fr->address[1] = (uint8_t)rnd(f, 8);
			fr->block_count[0] = 0;
			fr->block_count[1] = (uint8_t)rnd(f, 3);
		}
	}
	return frames;
}

/* Append n random frames after the last command, whatever it says. */
static void seq_frames(struct fuzz *f, struct mmc_seq *s, uint32_t n, int req_type)
{
	g_autofree struct rpmb_frame *frames = rnd_frames(f, n, req_type);
	g_byte_array_append(s->buf, (const guint8 *)frames, n * RPMB_FRAME_SIZE);
}

/* The payload of s (consumed) with its header's num_cmds (0: the commands added) and
 * reserved field as given. */
static GByteArray *seq_finish(struct mmc_seq *s, uint32_t num_cmds, uint32_t reserved)
{
	struct emu_mmc_seq hdr = { .num_cmds = num_cmds ? num_cmds : s->num_cmds,
				   .reserved = reserved };
	GByteArray *b = mmc_seq_finish(s);
	memcpy(b->data, &hdr, sizeof(hdr));
	return b;
}

/* Structurally wrong sequences: EMU_MSG_ERROR each. */
static void case_mmc_bad_seq(struct fuzz *f)
{
	struct conn c;
	if (conn_open(f, &c) < 0)
		return;
	for (unsigned k = 0; k < 4; k++) {
		struct mmc_seq s;
		mmc_seq_init(&s, 0);
		uint32_t claimed = 0, hdr_reserved = 0;
		switch (rnd(f, 10)) {
		case 0: /* num_cmds huge, few present */
			seq_cmd(&s, MMC_SET_BLOCK_COUNT, 1, 0, 0);
			seq_cmd(&s, MMC_READ_MULTIPLE_BLOCK, 0, 1, 0);
			claimed = rnd(f, 2) ? 0xffffffffu : EMU_MMC_MAX_CMDS + 1 + rnd(f, 1000);
			break;
		case 1: /* num_cmds 0 or more than present */
			seq_cmd(&s, MMC_SET_BLOCK_COUNT, 1, 0, 0);
			claimed = rnd(f, 2) ? 0 : 3;
			break;
		case 2: { /* CMD25 whose data does not match its count */
			uint32_t n = 1 + rnd(f, 4);
			seq_cmd(&s, MMC_SET_BLOCK_COUNT, n, 0, 0);
			seq_cmd(&s, MMC_WRITE_MULTIPLE_BLOCK, 0, n, 0);
			seq_frames(f, &s, rnd(f, 2) ? n - 1 : 0, -1);
			if (rnd(f, 2))
				g_byte_array_append(s.buf, (const guint8 *)"x", 1);
			break;
		}
		case 3: /* CMD23 count 0 */
			seq_cmd(&s, MMC_SET_BLOCK_COUNT, rnd(f, 2) ? 0 : MMC_CMD23_RELIABLE_WRITE, 0, 0);
			seq_cmd(&s, MMC_READ_MULTIPLE_BLOCK, 0, 0, 0);
			break;
		case 4: /* CMD23 count 65535 then a CMD25 of 65535 frames that are not there */
			seq_cmd(&s, MMC_SET_BLOCK_COUNT, 0xffff | (rnd(f, 2) ? MMC_CMD23_RELIABLE_WRITE : 0), 0, 0);
			seq_cmd(&s, MMC_WRITE_MULTIPLE_BLOCK, 0, 0xffff, 0);
			seq_frames(f, &s, 1 + rnd(f, 3), RPMB_REQ_DATA_WRITE);
			break;
		case 5: /* CMD23 count 65535 then a CMD18 of 65535 frames: no reply that big */
			seq_cmd(&s, MMC_SET_BLOCK_COUNT, 0xffff, 0, 0);
			seq_cmd(&s, MMC_READ_MULTIPLE_BLOCK, 0, 0xffff, 0);
			break;
		case 6: /* data command without CMD23, or with another count */
			if (rnd(f, 2))
				seq_cmd(&s, MMC_SET_BLOCK_COUNT, 2, 0, 0);
			seq_cmd(&s, MMC_READ_MULTIPLE_BLOCK, 0, 1, 0);
			break;
		case 7: /* unknown opcodes, reserved bits, CMD23 with data */
			seq_cmd(&s, rnd(f, 2) ? g_rand_int(f->rng) : MMC_SET_BLOCK_COUNT,
				1 | (rnd(f, 2) ? 0x10000u << rnd(f, 15) : 0), rnd(f, 2), rnd(f, 2));
			seq_cmd(&s, MMC_READ_MULTIPLE_BLOCK, 0, 1, 0);
			if (s.buf->len > 8 && ((struct emu_mmc_cmd *)(void *)(s.buf->data + 8))->opcode ==
						      MMC_SET_BLOCK_COUNT &&
			    ((struct emu_mmc_cmd *)(void *)(s.buf->data + 8))->arg == 1 &&
			    ((struct emu_mmc_cmd *)(void *)(s.buf->data + 8))->blocks == 0 &&
			    ((struct emu_mmc_cmd *)(void *)(s.buf->data + 8))->reserved == 0)
				seq_cmd(&s, 0, 0, 0, 0); /* would be valid: spoil it */
			break;
		case 8: /* a sequence ending in CMD23, or two CMD23 in a row */
			seq_cmd(&s, MMC_SET_BLOCK_COUNT, 1, 0, 0);
			if (rnd(f, 2))
				seq_cmd(&s, MMC_SET_BLOCK_COUNT, 1, 0, 0);
			break;
		default: /* header reserved field, or 17 commands */
			if (rnd(f, 2)) {
				hdr_reserved = 1 + rnd(f, 100);
				seq_cmd(&s, MMC_SET_BLOCK_COUNT, 1, 0, 0);
				seq_cmd(&s, MMC_READ_MULTIPLE_BLOCK, 0, 1, 0);
			} else {
				for (unsigned i = 0; i < 17; i++)
					seq_cmd(&s, i % 2 ? MMC_READ_MULTIPLE_BLOCK : MMC_SET_BLOCK_COUNT,
						i % 2 ? 0 : 1, i % 2, 0);
			}
			break;
		}
		g_autoptr(GByteArray) b = seq_finish(&s, claimed, hdr_reserved);
		(void)request(f, &c, EMU_MSG_MMC_SEQ_REQ, b->data, b->len, -1, WANT_ERROR, 0);
	}
	(void)collect(f, &c, REPLY_TIMEOUT_MS);
	conn_close(&c);
}

/* Well-formed sequences carrying frames of random request types: a SEQ_RSP each. */
static void case_mmc_frames(struct fuzz *f)
{
	struct conn c;
	if (conn_open(f, &c) < 0)
		return;
	for (unsigned k = 0; k < 3; k++) {
		struct mmc_seq s;
		mmc_seq_init(&s, 0);
		unsigned xfers = 1 + rnd(f, 4);
		for (unsigned i = 0; i < xfers; i++) {
			static const int types[] = { -1, RPMB_REQ_WRITE_COUNTER, RPMB_REQ_DATA_WRITE,
						     RPMB_REQ_DATA_READ, RPMB_REQ_RESULT_READ,
						     RPMB_REQ_CONF_WRITE, RPMB_REQ_CONF_READ, 0 };
			uint32_t n = rnd(f, 4) ? 1 : 1 + rnd(f, 3);
			bool reliable = rnd(f, 2) != 0;
			if (rnd(f, 3) != 0) {
				g_autofree struct rpmb_frame *frames =
					rnd_frames(f, n, types[rnd(f, G_N_ELEMENTS(types))]);
				mmc_seq_write(&s, frames, n, reliable);
			} else {
				mmc_seq_xfer(&s, MMC_READ_MULTIPLE_BLOCK, 0, n, reliable, NULL);
			}
		}
		g_autoptr(GByteArray) b = mmc_seq_finish(&s);
		(void)request(f, &c, EMU_MSG_MMC_SEQ_REQ, b->data, b->len, -1, WANT_TYPE,
			      EMU_MSG_MMC_SEQ_RSP);
	}
	(void)collect(f, &c, REPLY_TIMEOUT_MS);
	conn_close(&c);
}

static void case_mmc_fd(struct fuzz *f)
{
	struct conn c;
	if (conn_open(f, &c) < 0)
		return;
	int fd = rnd(f, 2) ? odd_fd(f) : memfd_create("ipc-fuzz", MFD_CLOEXEC);
	if (fd >= 0) {
		(void)request(f, &c, EMU_MSG_MMC_INFO_REQ, NULL, 0, fd, WANT_ERROR, 0);
		close(fd);
	}
	(void)request(f, &c, EMU_MSG_MMC_INFO_REQ, NULL, 0, -1, WANT_TYPE, EMU_MSG_MMC_INFO_RSP);
	(void)collect(f, &c, REPLY_TIMEOUT_MS);
	conn_close(&c);
}

static void run_mmc_case(struct fuzz *f, unsigned i)
{
	static const char *names[] = { "types", "framing", "big", "bad-seq", "frames", "fd",
				       "disconnect", "crowd" };
	unsigned k = i % G_N_ELEMENTS(names);
	f->cur = names[k];
	switch (k) {
	case 0: case_types(f); break;
	case 1: case_framing(f, EMU_MSG_MMC_INFO_REQ, NULL, 0); break;
	case 2: case_big(f, EMU_MSG_MMC_INFO_REQ, NULL, 0); break;
	case 3: case_mmc_bad_seq(f); break;
	case 4: case_mmc_frames(f); break;
	case 5: case_mmc_fd(f); break;
	case 6: {
		/* A read sequence, then gone. */
		struct mmc_seq s;
		g_autofree struct rpmb_frame *req = rnd_frames(f, 1, RPMB_REQ_WRITE_COUNTER);
		mmc_seq_init(&s, 0);
		mmc_seq_write(&s, req, 1, false);
		mmc_seq_read(&s, 1);
		g_autoptr(GByteArray) b = mmc_seq_finish(&s);
		case_disconnect(f, EMU_MSG_MMC_SEQ_REQ, b->data, b->len);
		break;
	}
	default: case_crowd(f, 80); break;
	}
}

/* ---- tee socket ------------------------------------------------------------------------ */

static const uint8_t pta_uuid[16] = PTA_STMM_UUID_BYTES;
/* The golden GET_PAYLOAD_SIZE request (tests/system/emu_roundtrip.sh). */
static const uint8_t gps_request[48] = {
	0x33, 0xd5, 0x32, 0xed, 0xe6, 0x99, 0x09, 0x42, 0x9c, 0xc0, 0x2d, 0x72, 0xcd, 0xd9, 0x98, 0xa7,
	0x18, 0, 0, 0, 0, 0, 0, 0, 0x0b, 0, 0, 0, 0, 0, 0, 0,
};

/* A memfd of `size` bytes holding `init` (len bytes). */
static int make_memfd(size_t size, const void *init, size_t len, bool sealing)
{
	int fd = memfd_create("ipc-fuzz", MFD_CLOEXEC | (sealing ? MFD_ALLOW_SEALING : 0));
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0 || (len && pwrite(fd, init, len, 0) != (ssize_t)len)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* On one connection: a session and a registered memfd.  false on failure. */
struct tee_ctx {
	struct conn c;
	uint32_t session;
	uint32_t shm;
	int mfd;
	size_t shm_size;
};

static bool tee_setup(struct fuzz *f, struct tee_ctx *t, size_t shm_size, bool sealing)
{
	struct emu_tee_result res;
	struct emu_tee_open_session os;

	t->mfd = -1;
	if (conn_open(f, &t->c) < 0)
		return false;
	memcpy(os.uuid, pta_uuid, 16);
	if (!call_result(f, &t->c, EMU_MSG_TEE_OPEN_SESSION_REQ, &os, sizeof(os), -1,
			 EMU_MSG_TEE_OPEN_SESSION_RSP, &res))
		return false;
	if (res.ret != TEE_SUCCESS) {
		failf(f, "open session: 0x%08x", res.ret);
		return false;
	}
	t->session = res.id;

	t->shm_size = shm_size;
	t->mfd = make_memfd(shm_size, NULL, 0, sealing);
	struct emu_tee_register_shm reg = { .size = shm_size };
	if (!call_result(f, &t->c, EMU_MSG_TEE_REGISTER_SHM_REQ, &reg, sizeof(reg), t->mfd,
			 EMU_MSG_TEE_REGISTER_SHM_RSP, &res))
		return false;
	if (res.ret != TEE_SUCCESS) {
		failf(f, "register shm: 0x%08x", res.ret);
		return false;
	}
	t->shm = res.id;
	return true;
}

static void tee_teardown(struct tee_ctx *t)
{
	conn_close(&t->c);
	if (t->mfd >= 0)
		close(t->mfd);
	t->mfd = -1;
}

static struct emu_tee_invoke communicate(uint32_t session, uint32_t shm, uint64_t off, uint64_t size)
{
	struct emu_tee_invoke inv = { .session = session, .cmd = PTA_STMM_CMD_COMMUNICATE,
				      .param_types = PTA_STMM_COMMUNICATE_PARAM_TYPES };
	inv.params[0] = (struct emu_tee_param){ .a = shm, .b = off, .c = size };
	return inv;
}

/* Invoke and wait: true with *ret_rsp, or a failure. */
static bool invoke(struct fuzz *f, struct tee_ctx *t, const struct emu_tee_invoke *inv,
		   struct emu_tee_invoke_rsp *ret_rsp)
{
	g_autoptr(emu_msg) m = NULL;
	if (!call(f, &t->c, EMU_MSG_TEE_INVOKE_REQ, inv, sizeof(*inv), -1, EMU_MSG_TEE_INVOKE_RSP,
		  &m))
		return false;
	if (m->hdr.length != sizeof(*ret_rsp)) {
		failf(f, "invoke: malformed reply");
		return false;
	}
	memcpy(ret_rsp, m->payload, sizeof(*ret_rsp));
	return true;
}

static bool tee_alive(struct fuzz *f)
{
	const char *saved = f->cur;
	struct tee_ctx t;
	struct emu_tee_invoke_rsp rsp;
	bool ok = false;

	f->cur = "liveness";
	f->checks++;
	int fd;
	g_autoptr(emu_msg) m = NULL;
	int r = emu_ipc_connect(f->sock, &fd);
	if (r == 0) {
		r = emu_ipc_call(fd, &f->next_id, 5000, EMU_MSG_CTRL_STATUS_REQ, NULL, 0, -1,
				 EMU_MSG_CTRL_STATUS_RSP, &m, NULL);
		close(fd);
	}
	if (r < 0 || m->hdr.length != sizeof(struct emu_ctrl_status)) {
		failf(f, "stmmd does not answer CTRL_STATUS any more: %s",
		      g_strerror(r < 0 ? -r : EPROTO));
		f->cur = saved;
		return false;
	}
	if (f->mode == MODE_TEE_SUPP) { /* no supplicant: StMM cannot answer; status it is */
		f->cur = saved;
		return true;
	}
	if (tee_setup(f, &t, 4096, false)) {
		(void)pwrite(t.mfd, gps_request, sizeof(gps_request), 0);
		struct emu_tee_invoke inv = communicate(t.session, t.shm, 0, sizeof(gps_request));
		if (invoke(f, &t, &inv, &rsp)) {
			uint8_t out[48];
			uint64_t st = ~0ull, payload = 0;
			if (pread(t.mfd, out, sizeof(out), 0) == (ssize_t)sizeof(out)) {
				memcpy(&st, out + 32, 8);
				memcpy(&payload, out + 40, 8);
			}
			ok = rsp.ret == TEE_SUCCESS && rsp.params[1].a == 0 && st == 0 && payload > 0;
			if (!ok)
				failf(f, "GET_PAYLOAD_SIZE: ret 0x%08x mm_ret %" PRId64 " efi 0x%" PRIx64,
				      rsp.ret, (int64_t)rsp.params[1].a, st);
		}
	}
	tee_teardown(&t);
	f->cur = saved;
	return ok;
}

/* REGISTER_SHM with what is no usable memfd; then an invoke naming what came back. */
static void case_tee_bad_shm(struct fuzz *f)
{
	struct tee_ctx t;
	struct emu_tee_result res;
	struct emu_tee_invoke_rsp rsp;

	if (!tee_setup(f, &t, 4096, false))
		goto out;
	for (unsigned k = 0; k < 3; k++) {
		int fds[2] = { -1, -1 };
		size_t nfds = 1;
		uint64_t claim = 1 + rnd(f, 65536);
		switch (rnd(f, 6)) {
		case 0:
		case 1:
			fds[0] = odd_fd(f);
			break;
		case 2: /* smaller than claimed */
			fds[0] = make_memfd(claim / 2, NULL, 0, rnd(f, 2));
			break;
		case 3: /* size 0 or huge */
			fds[0] = make_memfd(4096, NULL, 0, false);
			claim = rnd(f, 2) ? 0 : (rnd(f, 2) ? UINT64_MAX : (1ull << 40));
			break;
		case 4: /* none at all */
			nfds = 0;
			break;
		default: /* two: the second must not leak */
			fds[0] = odd_fd(f);
			fds[1] = make_memfd(claim, NULL, 0, false);
			nfds = 2;
			break;
		}
		uint32_t id = new_id(f);
		struct emu_tee_register_shm reg = { .size = claim };
		struct emu_msg_hdr h = { .magic = EMU_MSG_MAGIC, .version = EMU_MSG_VERSION,
					 .type = EMU_MSG_TEE_REGISTER_SHM_REQ, .req_id = id,
					 .length = sizeof(reg) };
		uint8_t buf[sizeof(h) + sizeof(reg)];
		memcpy(buf, &h, sizeof(h));
		memcpy(buf + sizeof(h), &reg, sizeof(reg));
		size_t n = 0;
		int pass[2];
		for (size_t i = 0; i < nfds; i++)
			if (fds[i] >= 0)
				pass[n++] = fds[i];
		int r = send_raw(t.c.fd, buf, sizeof(buf), pass, n);
		for (size_t i = 0; i < 2; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		if (r < 0) {
			failf(f, "send: %s", g_strerror(-r));
			continue;
		}
		struct expect *e = expect(&t.c, id, WANT_TYPE, EMU_MSG_TEE_REGISTER_SHM_RSP);
		e->keep = true;
		if (!collect(f, &t.c, REPLY_TIMEOUT_MS) || !tee_result(f, e, &res))
			goto out;
		conn_reset(&t.c);
		/* Whatever came back, an invoke on it must not reach StMM with bad memory. */
		struct emu_tee_invoke inv = communicate(t.session, res.id, 0, sizeof(gps_request));
		if (res.ret == TEE_SUCCESS)
			continue; /* two fds: the first was usable after all (never here) */
		if (!invoke(f, &t, &inv, &rsp))
			goto out;
		if (rsp.ret != TEE_ERROR_BAD_PARAMETERS)
			failf(f, "invoke on refused shm: 0x%08x", rsp.ret);
	}
out:
	tee_teardown(&t);
}

/* Memory that shrinks under stmmd after registering: an error, not a SIGBUS. */
static void case_tee_shrink(struct fuzz *f)
{
	struct tee_ctx t;
	struct emu_tee_invoke_rsp rsp;
	bool sealing = rnd(f, 2);

	if (tee_setup(f, &t, 8192, sealing)) {
		(void)pwrite(t.mfd, gps_request, sizeof(gps_request), 4096);
		int tr = ftruncate(t.mfd, rnd(f, 2) ? 0 : 4100);
		struct emu_tee_invoke inv = communicate(t.session, t.shm, 4096, sizeof(gps_request));
		if (invoke(f, &t, &inv, &rsp) && tr == 0 && rsp.ret != TEE_ERROR_BAD_PARAMETERS)
			failf(f, "invoke on shrunk memory: 0x%08x", rsp.ret);
		if (tr < 0 && !sealing)
			failf(f, "ftruncate of an unsealed memfd: %s", g_strerror(errno));
	}
	tee_teardown(&t);
}

/* Unregister twice, unknown ids, overflowing memrefs, wrong param types. */
static void case_tee_ids(struct fuzz *f)
{
	struct tee_ctx t;
	struct emu_tee_invoke_rsp rsp;
	struct emu_tee_result res;

	if (!tee_setup(f, &t, 4096, rnd(f, 2)))
		goto out;
	for (unsigned k = 0; k < 4; k++) {
		struct emu_tee_invoke inv = communicate(t.session, t.shm, 0, sizeof(gps_request));
		switch (rnd(f, 6)) {
		case 0:
			inv.session = t.session + 1 + rnd(f, 1000);
			break;
		case 1:
			inv.params[0].a = rnd(f, 2) ? t.shm + 1 + rnd(f, 100) : (1ull << 32) | t.shm;
			break;
		case 2: /* offset + size wraps around */
			inv.params[0].b = UINT64_MAX - rnd(f, 64);
			inv.params[0].c = 64 + rnd(f, 4096);
			break;
		case 3: /* inside the numbers, outside the memory */
			inv.params[0].b = rnd(f, 2) ? 4096 : 4000;
			inv.params[0].c = rnd(f, 2) ? 97 : UINT64_MAX;
			break;
		case 4: /* memref types on other params, naming nothing */
			inv.param_types = (uint32_t)g_rand_int(f->rng);
			for (unsigned i = 1; i < 4; i++)
				inv.params[i] = (struct emu_tee_param){ g_rand_int(f->rng),
									UINT64_MAX, UINT64_MAX };
			break;
		default:
			inv.cmd = 1 + rnd(f, 100);
			break;
		}
		if (!invoke(f, &t, &inv, &rsp))
			goto out;
		if (rsp.ret == TEE_SUCCESS)
			failf(f, "hostile invoke succeeded");
	}
	/* Unregister twice: the second is BAD_PARAMETERS. */
	for (unsigned k = 0; k < 2; k++) {
		if (!call_result(f, &t.c, EMU_MSG_TEE_UNREGISTER_SHM_REQ, &t.shm, sizeof(t.shm), -1,
				 EMU_MSG_TEE_UNREGISTER_SHM_RSP, &res))
			goto out;
		if (res.ret != (k ? TEE_ERROR_BAD_PARAMETERS : TEE_SUCCESS))
			failf(f, "unregister #%u: 0x%08x", k + 1, res.ret);
	}
	/* ... and an invoke on the unregistered id, and a session closed twice. */
	struct emu_tee_invoke inv = communicate(t.session, t.shm, 0, 48);
	if (invoke(f, &t, &inv, &rsp) && rsp.ret != TEE_ERROR_BAD_PARAMETERS)
		failf(f, "invoke on an unregistered shm: 0x%08x", rsp.ret);
	for (unsigned k = 0; k < 2; k++) {
		if (!call_result(f, &t.c, EMU_MSG_TEE_CLOSE_SESSION_REQ, &t.session,
				 sizeof(t.session), -1, EMU_MSG_TEE_CLOSE_SESSION_RSP, &res))
			goto out;
		if (res.ret != (k ? TEE_ERROR_BAD_PARAMETERS : TEE_SUCCESS))
			failf(f, "close session #%u: 0x%08x", k + 1, res.ret);
	}
out:
	tee_teardown(&t);
}

/* Random MM buffers through a valid invoke: StMM answers every one. */
static void case_tee_mm(struct fuzz *f)
{
	static const uint64_t fns[] = { 0x01, 0x02, 0x03, 0x04, 0x07, 0x08, 0x09, 0x0a, 0x0b,
					0x0c, 0x0d, 0x0e, 0x0f, 0x1234, UINT64_MAX };
	struct tee_ctx t;
	struct emu_tee_invoke_rsp rsp;
	const size_t shm = PTA_STMM_NS_COMM_BUF_SIZE + 4096;

	if (!tee_setup(f, &t, shm, rnd(f, 2)))
		goto out;
	for (unsigned k = 0; k < 4; k++) {
		size_t size = rnd(f, 3) ? rnd(f, 600) : rnd(f, PTA_STMM_NS_COMM_BUF_SIZE + 1);
		g_autofree uint8_t *buf = g_malloc0(MAX(size, 64));
		rnd_bytes(f, buf, size);
		if (rnd(f, 8))
			memcpy(buf, gps_request, MIN(size, 16)); /* the variable GUID */
		if (size >= 24) {
			uint64_t ml = size - 24;
			switch (rnd(f, 4)) {
			case 0: ml = g_rand_int(f->rng); break;
			case 1: ml = rnd(f, (uint32_t)ml + 8); break;
			default: break;
			}
			memcpy(buf + 16, &ml, 8);
		}
		if (size >= 32) {
			uint64_t fn = fns[rnd(f, G_N_ELEMENTS(fns))];
			memcpy(buf + 24, &fn, 8);
		}
		if (size >= 72 && rnd(f, 2)) {
			/* SMM_VARIABLE_ACCESS-shaped: name/data sizes near the truth.  A SetVariable
			 * never stores anything: data_size 0 deletes a (random, absent) name. */
			uint64_t fn, ds = rnd(f, 3) ? rnd(f, 64) : UINT64_MAX - rnd(f, 4);
			uint64_t ns = rnd(f, 3) ? 2 * (1 + rnd(f, 8)) : UINT64_MAX - rnd(f, 4);
			memcpy(&fn, buf + 24, 8);
			if (fn == SMM_VARIABLE_FUNCTION_SET_VARIABLE)
				ds = 0;
			memcpy(buf + 40 + 16, &ds, 8);
			memcpy(buf + 40 + 24, &ns, 8);
		}
		(void)pwrite(t.mfd, buf, size, 0);
		uint64_t off = rnd(f, 4) ? 0 : rnd(f, 4096);
		struct emu_tee_invoke inv = communicate(t.session, t.shm, off, size);
		if (!invoke(f, &t, &inv, &rsp))
			goto out;
		if (rsp.ret != TEE_SUCCESS && rsp.ret != TEE_ERROR_BAD_PARAMETERS &&
		    rsp.ret != TEE_ERROR_EXCESS_DATA)
			failf(f, "MM buffer of %zu bytes: 0x%08x", size, rsp.ret);
	}
out:
	tee_teardown(&t);
}

/* Export with layouts of every size, and a chunk past the end. */
static void case_tee_export(struct fuzz *f)
{
	struct conn c;
	if (conn_open(f, &c) < 0)
		return;
	struct expect *big = NULL;
	for (unsigned k = 0; k < 3; k++) {
		struct emu_ctrl_export_req req = { .max_length = 1 + rnd(f, EMU_CTRL_EXPORT_MAX_CHUNK) };
		switch (rnd(f, 5)) {
		case 0: /* the running store's layout */
			req.offset = rnd(f, 2) ? rnd(f, 100000) : UINT64_MAX - rnd(f, 10);
			break;
		case 1: /* random */
			req.var_store_size = g_rand_int(f->rng);
			req.gap_size = g_rand_int(f->rng);
			req.ftw_working_size = g_rand_int(f->rng);
			req.ftw_spare_size = g_rand_int(f->rng);
			break;
		case 2: /* a valid-looking layout of ~2 GiB: must be refused, not built */
			req.var_store_size = 0x7ff00000u;
			req.ftw_working_size = 0x40000u;
			req.ftw_spare_size = 0x40000u;
			req.max_length = 4096;
			break;
		case 3: /* bad max_length / reserved */
			req.max_length = rnd(f, 2) ? 0 : EMU_CTRL_EXPORT_MAX_CHUNK + 1 + rnd(f, 1000);
			req.reserved = rnd(f, 2);
			break;
		default: /* OVMF's */
			req.var_store_size = 0x40000;
			req.gap_size = 0x1000;
			req.ftw_working_size = 0x1000 * (1 + rnd(f, 2));
			req.ftw_spare_size = 0x40000 + rnd(f, 2) * 0x1000;
			break;
		}
		struct expect *e = request(f, &c, EMU_MSG_CTRL_EXPORT_REQ, &req, sizeof(req), -1,
					   WANT_ANY, 0);
		if (e && req.var_store_size == 0x7ff00000u && req.gap_size == 0 && !big) {
			e->keep = true;
			big = e;
		}
	}
	if (collect(f, &c, REPLY_TIMEOUT_MS) && big && error_code(big) != -EINVAL)
		failf(f, "an export layout of 2 GiB was not refused with -EINVAL (type 0x%04x)",
		      big->msg ? big->msg->hdr.type : 0);
	conn_close(&c);
}

/* SUPP_REGISTER while a supplicant is attached, twice; SUPP_RPC_RSP from a non-supplicant. */
static void case_tee_supp(struct fuzz *f)
{
	struct conn c;
	struct emu_tee_result res;
	if (conn_open(f, &c) < 0)
		return;
	for (unsigned k = 0; k < 2; k++) {
		if (!call_result(f, &c, EMU_MSG_SUPP_REGISTER_REQ, NULL, 0, -1,
				 EMU_MSG_SUPP_REGISTER_RSP, &res))
			goto out;
		if (res.ret != TEE_ERROR_BUSY)
			failf(f, "SUPP_REGISTER #%u with a supplicant attached: 0x%08x", k + 1, res.ret);
	}
	for (unsigned k = 0; k < 3; k++) {
		uint8_t p[64];
		struct emu_supp_rpc_rsp rr = { .ret = rnd(f, 2) ? TEE_SUCCESS : g_rand_int(f->rng),
					       .out_len = rnd(f, 2) ? 56 : g_rand_int(f->rng) };
		rnd_bytes(f, p, sizeof(p));
		memcpy(p, &rr, sizeof(rr));
		(void)request(f, &c, EMU_MSG_SUPP_RPC_RSP, p, sizeof(p), -1, WANT_ERROR, 0);
	}
	(void)collect(f, &c, REPLY_TIMEOUT_MS);
out:
	conn_close(&c);
}

/* Requests whose client is gone before the answer (invoke, export, reset, status). */
static void case_tee_disconnect(struct fuzz *f)
{
	struct tee_ctx t;
	if (!tee_setup(f, &t, 4096, false)) {
		tee_teardown(&t);
		return;
	}
	(void)pwrite(t.mfd, gps_request, sizeof(gps_request), 0);
	unsigned n = 1 + rnd(f, 10); /* beyond the 8 queued per connection: BUSY for some */
	for (unsigned i = 0; i < n; i++) {
		struct emu_tee_invoke inv = communicate(t.session, t.shm, 0, sizeof(gps_request));
		(void)send_ok(t.c.fd, EMU_MSG_TEE_INVOKE_REQ, new_id(f), &inv, sizeof(inv), -1);
	}
	if (rnd(f, 2)) {
		struct emu_ctrl_export_req req = { .max_length = 4096 };
		(void)send_ok(t.c.fd, EMU_MSG_CTRL_EXPORT_REQ, new_id(f), &req, sizeof(req), -1);
	}
	if (rnd(f, 4) == 0)
		(void)send_ok(t.c.fd, EMU_MSG_CTRL_RESET_REQ, new_id(f), NULL, 0, -1);
	(void)send_ok(t.c.fd, EMU_MSG_CTRL_STATUS_REQ, new_id(f), NULL, 0, -1);
	if (rnd(f, 2))
		(void)shutdown(t.c.fd, SHUT_RDWR);
	tee_teardown(&t);
}

static void run_tee_case(struct fuzz *f, unsigned i)
{
	static const char *names[] = { "types", "framing", "big", "bad-shm", "shrink", "ids", "mm",
				       "export", "supp", "disconnect", "crowd" };
	unsigned k = i % G_N_ELEMENTS(names);
	f->cur = names[k];
	switch (k) {
	case 0: case_types(f); break;
	case 1: case_framing(f, EMU_MSG_CTRL_STATUS_REQ, NULL, 0); break;
	case 2: case_big(f, EMU_MSG_CTRL_STATUS_REQ, NULL, 0); break;
	case 3: case_tee_bad_shm(f); break;
	case 4: case_tee_shrink(f); break;
	case 5: case_tee_ids(f); break;
	case 6: case_tee_mm(f); break;
	case 7: case_tee_export(f); break;
	case 8: case_tee_supp(f); break;
	case 9: case_tee_disconnect(f); break;
	default: case_crowd(f, 70); break; /* stmmd serves 64 connections */
	}
}

/* ---- tee-supp: we are stmmd's supplicant, and a bad one -------------------------------- */

static void run_tee_supp(struct fuzz *f, unsigned count)
{
	struct conn supp, other;
	struct emu_tee_result res;
	struct tee_ctx t = { .mfd = -1 };
	bool invoking = false;

	f->cur = "supp-register";
	if (conn_open(f, &supp) < 0)
		return;
	if (!call_result(f, &supp, EMU_MSG_SUPP_REGISTER_REQ, NULL, 0, -1, EMU_MSG_SUPP_REGISTER_RSP,
			 &res))
		goto out;
	if (res.ret != TEE_SUCCESS) {
		failf(f, "SUPP_REGISTER: 0x%08x (is a supplicant attached?)", res.ret);
		goto out;
	}
	/* Registering again, on this and on another connection: BUSY. */
	if (call_result(f, &supp, EMU_MSG_SUPP_REGISTER_REQ, NULL, 0, -1, EMU_MSG_SUPP_REGISTER_RSP,
			&res) && res.ret != TEE_ERROR_BUSY)
		failf(f, "second SUPP_REGISTER: 0x%08x", res.ret);
	if (conn_open(f, &other) == 0) {
		if (call_result(f, &other, EMU_MSG_SUPP_REGISTER_REQ, NULL, 0, -1,
				EMU_MSG_SUPP_REGISTER_RSP, &res) && res.ret != TEE_ERROR_BUSY)
			failf(f, "SUPP_REGISTER from another connection: 0x%08x", res.ret);
		conn_close(&other);
	}

	/* A client whose invokes make StMM (re)boot, i.e. call us. */
	f->cur = "supp-client";
	if (!tee_setup(f, &t, 4096, false))
		goto out;
	(void)pwrite(t.mfd, gps_request, sizeof(gps_request), 0);

	for (unsigned i = 0, rounds = 0; i < count && rounds < 4 * count + 8; rounds++) {
		f->cur = "supp-rpc";
		if (!invoking) {
			struct emu_tee_invoke inv = communicate(t.session, t.shm, 0, sizeof(gps_request));
			if (send_ok(t.c.fd, EMU_MSG_TEE_INVOKE_REQ, new_id(f), &inv, sizeof(inv), -1) == 0)
				invoking = true;
		}
		/* Wait for stmmd's next RPC, or for our client's answer (then invoke again). */
		struct pollfd p[2] = { { .fd = supp.fd, .events = POLLIN }, { .fd = t.c.fd, .events = POLLIN } };
		if (poll(p, 2, 3000) <= 0)
			continue;
		emu_msg *m = NULL;
		if (p[1].revents) {
			if (emu_ipc_recv(t.c.fd, 0, &m) == 0 && m->hdr.type == EMU_MSG_TEE_INVOKE_RSP)
				invoking = false;
			emu_msg_free(m);
			m = NULL;
		}
		if (!p[0].revents)
			continue;
		int r = emu_ipc_recv(supp.fd, 0, &m);
		if (r < 0) {
			failf(f, "stmmd dropped its supplicant: %s", g_strerror(-r));
			break;
		}
		if (m->hdr.type != EMU_MSG_SUPP_RPC_REQ) {
			emu_msg_free(m); /* e.g. the EMU_MSG_ERROR for our last bad reply */
			continue;
		}
		i++;
		f->cases++;
		struct emu_supp_rpc rq = { 0 };
		if (m->hdr.length >= sizeof(rq))
			memcpy(&rq, m->payload, sizeof(rq));
		uint32_t id = m->hdr.req_id;
		emu_msg_free(m);

		uint8_t buf[2048];
		struct emu_supp_rpc_rsp rr = { .ret = TEE_SUCCESS, .out_len = rq.out_len };
		size_t body = MIN((size_t)rq.out_len, sizeof(buf) - sizeof(rr));
		rnd_bytes(f, buf, sizeof(buf));
		int pass = -1;
		switch (rnd(f, 9)) {
		case 0: /* unknown req id */
			id += 1 + rnd(f, 1000);
			break;
		case 1: /* out_len lies, oversized */
			rr.out_len = rnd(f, 2) ? 0xffffffffu : rq.out_len + 1 + rnd(f, 100);
			break;
		case 2: /* out_len not what was asked (and honest about its payload) */
			body = rnd(f, (uint32_t)body + 1);
			rr.out_len = (uint32_t)body;
			if (body == rq.out_len)
				body = rr.out_len = 0;
			break;
		case 3: /* error code */
			rr.ret = rnd(f, 2) ? TEE_ERROR_GENERIC : g_rand_int(f->rng);
			if (rr.ret == TEE_SUCCESS)
				rr.ret = TEE_ERROR_BAD_PARAMETERS;
			rr.out_len = 0;
			body = 0;
			break;
		case 4: /* shorter than its header */
			body = 0;
			rr.out_len = 0;
			break;
		case 5: /* with a descriptor */
			pass = make_memfd(4096, NULL, 0, false);
			break;
		case 6: /* silence: stmmd times out */
			continue;
		case 7: /* a reply of another type */
			(void)send_ok(supp.fd, rnd_type(f), id, buf, rnd(f, 64), -1);
			continue;
		default: /* right size, random frames */
			break;
		}
		memcpy(buf, &rr, sizeof(rr));
		size_t len = sizeof(rr) + body;
		if (rnd(f, 9) == 4)
			len = rnd(f, sizeof(rr));
		r = send_ok(supp.fd, EMU_MSG_SUPP_RPC_RSP, id, buf, MIN(len, sizeof(buf)), pass);
		if (pass >= 0)
			close(pass);
		if (r < 0) {
			failf(f, "send to stmmd: %s", g_strerror(-r));
			break;
		}
		if (i % BURST == 0 && !tee_alive(f))
			break;
	}
out:
	tee_teardown(&t);
	conn_close(&supp);
	/* Our leaving mid-call must not hurt either. */
	if (!f->failures)
		(void)tee_alive(f);
}

/* ---- supp-peer: we are stmmd to a supplicantd ----------------------------------------- */

static void run_supp_peer(struct fuzz *f, unsigned count)
{
	int lfd = -1, fd = -1, r;
	f->cur = "supp-peer";
	if ((r = emu_ipc_listen(f->sock, &lfd)) < 0) {
		failf(f, "listen on %s: %s", f->sock, g_strerror(-r));
		return;
	}
	printf("listening on %s\n", f->sock);
	fflush(stdout);
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	if (poll(&p, 1, 10000) != 1 || (fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		failf(f, "no supplicant connected within 10 s");
		goto out;
	}
	g_autoptr(emu_msg) reg = NULL;
	if ((r = emu_ipc_recv(fd, 5000, &reg)) < 0 || reg->hdr.type != EMU_MSG_SUPP_REGISTER_REQ) {
		failf(f, "no SUPP_REGISTER_REQ: %s", r < 0 ? g_strerror(-r) : "another type");
		goto out;
	}
	struct emu_tee_result ok = { .ret = TEE_SUCCESS, .origin = TEE_ORIGIN_TEE };
	(void)send_ok(fd, EMU_MSG_SUPP_REGISTER_RSP, reg->hdr.req_id, &ok, sizeof(ok), -1);

	struct conn c = { .fd = fd };
	for (unsigned i = 0; i < count; i++) {
		f->cases++;
		uint8_t buf[4096];
		struct emu_supp_rpc rq = { .cmd = rnd(f, 4) ? OPTEE_RPC_CMD_RPMB : g_rand_int(f->rng) };
		struct rpmb_req hdr = { .cmd = (uint16_t)(rnd(f, 3) ? RPMB_CMD_DATA_REQ :
							 rnd(f, 2) ? RPMB_CMD_GET_DEV_INFO : g_rand_int(f->rng)),
					.dev_id = (uint16_t)(rnd(f, 8) ? 0 : g_rand_int(f->rng)) };
		size_t frames = rnd(f, 4) ? 1 + rnd(f, 3) : rnd(f, 7);
		size_t in = RPMB_REQ_HEADER_SIZE + frames * RPMB_FRAME_SIZE;
		if (in > sizeof(buf) - sizeof(rq))
			in = sizeof(buf) - sizeof(rq);
		if (rnd(f, 5) == 0)
			in = rnd(f, (uint32_t)in + 1);
		rq.in_len = (uint32_t)in;
		rq.out_len = hdr.cmd == RPMB_CMD_GET_DEV_INFO && rnd(f, 2) ? sizeof(struct rpmb_dev_info) :
			     rnd(f, 4) ? RPMB_FRAME_SIZE * (uint32_t)rnd(f, 4) :
			     rnd(f, 2) ? g_rand_int(f->rng) : rnd(f, 2000);
		rnd_bytes(f, buf, sizeof(buf));
		memcpy(buf, &rq, sizeof(rq));
		memcpy(buf + sizeof(rq), &hdr, MIN(in, sizeof(hdr)));
		for (size_t k = 0; k < frames; k++) {
			size_t at = sizeof(rq) + RPMB_REQ_HEADER_SIZE + k * RPMB_FRAME_SIZE + 510;
			if (at + 2 <= sizeof(rq) + in) {
				static const uint16_t t[] = { RPMB_REQ_WRITE_COUNTER, RPMB_REQ_DATA_WRITE,
							      RPMB_REQ_DATA_READ, RPMB_REQ_RESULT_READ, 0x0707 };
				uint16_t v = t[k == 0 || rnd(f, 2) ? rnd(f, G_N_ELEMENTS(t)) : 0];
				buf[at] = (uint8_t)(v >> 8); /* never PROGRAM_KEY */
				buf[at + 1] = (uint8_t)v;
			}
		}
		size_t len = sizeof(rq) + in;
		switch (rnd(f, 8)) {
		case 0: /* in_len lies */
			rq.in_len += 1 + rnd(f, 100);
			memcpy(buf, &rq, sizeof(rq));
			break;
		case 1: /* shorter than emu_supp_rpc */
			len = rnd(f, sizeof(rq));
			break;
		default:
			break;
		}
		/* Every request gets its SUPP_RPC_RSP, whatever it held. */
		(void)request(f, &c, EMU_MSG_SUPP_RPC_REQ, buf, len, -1, WANT_TYPE, EMU_MSG_SUPP_RPC_RSP);
		if (rnd(f, 6) == 0) {
			/* Framing garbage and unknown types: an error, never silence or a hang-up. */
			uint8_t junk[20];
			rnd_bytes(f, junk, sizeof(junk));
			if (send_raw(fd, junk, rnd(f, sizeof(junk)), NULL, 0) == 0)
				expect(&c, 0, WANT_ERROR, 0);
			(void)request(f, &c, (uint16_t)(0x0500 + rnd(f, 0x100)), junk, 8, -1, WANT_ERROR, 0);
		}
		if (!collect(f, &c, REPLY_TIMEOUT_MS))
			break;
		conn_reset(&c);
	}
	conn_reset(&c);
out:
	if (fd >= 0)
		close(fd);
	close(lfd);
	(void)unlink(f->sock);
}

/* ---- main ------------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	g_autofree gchar *sock = NULL, *mode_s = NULL;
	gint64 seed = 1;
	gint count = 64;
	GOptionEntry entries[] = {
		{ "socket", 0, 0, G_OPTION_ARG_FILENAME, &sock, "Daemon socket (supp-peer: to listen on)", "PATH" },
		{ "mode", 0, 0, G_OPTION_ARG_STRING, &mode_s, "mmc, tee, tee-supp or supp-peer", "MODE" },
		{ "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Random seed (default 1)", "N" },
		{ "count", 0, 0, G_OPTION_ARG_INT, &count, "Fuzz cases (default 64)", "N" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- fuzz one stmm-emu daemon socket");
	g_autoptr(GError) err = NULL;
	struct fuzz f = { 0 };

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || !sock || !mode_s || count < 0 ||
	    count > 100000) {
		fprintf(stderr, "ipc-fuzz: %s\n", err ? err->message : "need --socket, --mode, --count 0..100000");
		return 2;
	}
	if (!strcmp(mode_s, "mmc"))
		f.mode = MODE_MMC;
	else if (!strcmp(mode_s, "tee"))
		f.mode = MODE_TEE;
	else if (!strcmp(mode_s, "tee-supp"))
		f.mode = MODE_TEE_SUPP;
	else if (!strcmp(mode_s, "supp-peer"))
		f.mode = MODE_SUPP_PEER;
	else {
		fprintf(stderr, "ipc-fuzz: unknown --mode '%s'\n", mode_s);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	f.sock = sock;
	f.rng = g_rand_new_with_seed((guint32)seed);

	if (f.mode == MODE_TEE_SUPP) {
		run_tee_supp(&f, (unsigned)count);
	} else if (f.mode == MODE_SUPP_PEER) {
		run_supp_peer(&f, (unsigned)count);
	} else {
		bool (*alive)(struct fuzz *) = f.mode == MODE_MMC ? mmc_alive : tee_alive;
		if (alive(&f)) {
			for (unsigned i = 0; i < (unsigned)count; i++) {
				if (f.mode == MODE_MMC)
					run_mmc_case(&f, i + (unsigned)seed);
				else
					run_tee_case(&f, i + (unsigned)seed);
				f.cases++;
				if (((i + 1) % BURST == 0 || i + 1 == (unsigned)count) && !alive(&f))
					break; /* dead or deaf: nothing more to learn */
			}
		}
	}
	printf("ipc-fuzz %s seed %" G_GINT64_FORMAT ": %u cases, %u liveness checks, %u skipped, "
	       "%u failures\n", mode_s, seed, f.cases, f.checks, f.skipped, f.failures);
	g_rand_free(f.rng);
	return f.failures ? 1 : 0;
}
