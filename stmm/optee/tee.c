/* SPDX-License-Identifier: MIT */
/*
 * The tee core (threading: see tee.h).  Wire facts: research/mm-variable-protocol.md §1.8
 * (PTA_STMM: UUID, command 0, param types, EXCESS_DATA with the size rewritten, value[1].a
 * carries StMM's return code).
 *
 * Error origins: failures the OP-TEE core or the TEE driver would report (unknown session,
 * memref outside its shared memory, too many calls queued) carry TEE_ORIGIN_COMMS; an
 * unknown UUID carries TEE_ORIGIN_TEE; what the pseudo-TA itself rejects (command, param
 * types, oversized buffer) carries TEE_ORIGIN_TRUSTED_APP.  If StMM cannot boot (its store
 * is unreachable) an invoke ends with TEE_ERROR_TARGET_DEAD, the code OP-TEE gives when the
 * secure partition panics; booting is retried on the next call.
 */
#include "tee.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "efi_util.h"
#include "fault.h"
#include "ipc.h"
#include "warn_limit.h"
#include "pta_stmm.h"
#include "trace.h"

#define TEE_MAX_CONNS          64u
#define TEE_MAX_SESSIONS       32u        /* per connection */
#define TEE_MAX_SHMS           64u        /* per connection */
#define TEE_MAX_SHM_SIZE       (64u << 20)
#define TEE_MAX_INFLIGHT       8u         /* queued invokes per connection */

static const uint8_t pta_stmm_uuid[TEE_UUID_SIZE] = PTA_STMM_UUID_BYTES;

/* Registered shared memory; referenced by its connection and by running jobs. */
struct tee_shm {
	gint refs;
	uint32_t id;
	int fd;
	void *map;
	size_t size;
	bool sealed; /* F_SEAL_SHRINK held: the mapping cannot lose pages under us */
};

struct tee_conn {
	uint32_t id;
	int fd;
	guint src;
	GHashTable *sessions; /* session id set */
	GHashTable *shms;     /* shm id -> struct tee_shm* (one reference) */
	uint32_t next_shm_id;
	unsigned inflight;
	struct ffa_endpoint *ffa; /* FF-A calls on this connection (tee_ffa), NULL until one */
	bool watched;  /* the main loop reads it (accepted on the socket, not adopted) */
	bool paused;   /* its watch is off while a job runs: the worker reads it (rpc.h) */
};

enum job_kind { JOB_BOOT, JOB_INVOKE, JOB_EXPORT, JOB_RESET, JOB_FFA, JOB_QUIT };

struct job {
	enum job_kind kind;
	struct tee_core *core;
	uint32_t conn_id;
	uint32_t req_id;
	uint32_t session; /* JOB_INVOKE, for the trace */
	struct tee_shm *shm;
	uint64_t offset;
	uint64_t size;
	struct emu_tee_invoke_rsp rsp;
	/* JOB_EXPORT */
	struct emu_ctrl_export_req export_req;
	struct emu_ctrl_export_rsp export_rsp;
	GBytes *export_image;
	int export_r;
	int reset_r;          /* JOB_RESET */
	struct ffa_mm_call ffa_mm; /* JOB_FFA: the door bell */
	struct ffa_regs ffa_out;   /* JOB_FFA: DIRECT_RESP */
};

struct tee_core {
	struct tee_config cfg;
	struct tee_pta_ops pta;
	struct rpc *rpc;
	GMainContext *main_ctx;
	int listen_fd;
	guint listen_src;
	GHashTable *conns; /* conn id -> struct tee_conn* */
	uint32_t next_conn_id;
	uint32_t next_session_id;
	uint32_t nsessions;
	GThread *worker;
	struct warn_limit boot_warn; /* worker thread */
	GAsyncQueue *jobs;
	gint booted;       /* worker sets, anyone reads */
	/* Jobs queued or running: the main thread adds, the worker takes off once a job is
	 * done.  0 means StMM is idle and stays so until the main thread queues again. */
	gint jobs_pending;
	/* Main thread: jobs handed to the worker whose end it has not seen yet (job_reply).
	 * While non-zero the supplicant's and the RPMB handler's connections are not polled
	 * here: the worker reads them for its RPCs (rpc.h). */
	unsigned jobs_out;
	/* What the worker read on those connections for the main thread (rpc_forward_fn):
	 * queued under fwd_lock, taken by one idle source on the main context. */
	GMutex fwd_lock;
	GQueue fwd;
	guint fwd_src;     /* the idle source when posted, 0 otherwise (under fwd_lock) */
	/* The worker's job replies posted on the main context and not yet dispatched (one
	 * reference each, under posted_lock): tee_core_free destroys them, so none runs on
	 * a freed core when the main context is iterated again. */
	GMutex posted_lock;
	GPtrArray *posted;
	bool debug;        /* debug logging on (checked once: g_debug formats even when dropped) */
	/* Private copies of MM buffers (TOCTOU), kept across calls: one per thread. */
	uint8_t *main_buf, *worker_buf;
	size_t main_buf_size, worker_buf_size;
};

/* ---- shared memory -------------------------------------------------------------------- */

static struct tee_shm *shm_ref(struct tee_shm *shm)
{
	g_atomic_int_inc(&shm->refs);
	return shm;
}

static void shm_unref(struct tee_shm *shm)
{
	if (!shm || !g_atomic_int_dec_and_test(&shm->refs))
		return;
	munmap(shm->map, shm->size);
	close(shm->fd);
	g_free(shm);
}

/* Copy between the client's memory and ours.  Unsealed memory goes through the fd: a
 * client that shrinks its memfd then gets an error instead of crashing us with SIGBUS. */
static int shm_copy_in(const struct tee_shm *shm, uint64_t off, void *buf, size_t len)
{
	if (shm->sealed) {
		memcpy(buf, (const uint8_t *)shm->map + off, len);
		return 0;
	}
	ssize_t n = pread(shm->fd, buf, len, (off_t)off);
	return n == (ssize_t)len ? 0 : -EFAULT;
}

static int shm_copy_out(const struct tee_shm *shm, uint64_t off, const void *buf, size_t len)
{
	if (shm->sealed) {
		memcpy((uint8_t *)shm->map + off, buf, len);
		return 0;
	}
	struct stat st;
	if (fstat(shm->fd, &st) < 0 || (uint64_t)st.st_size < off + len)
		return -EFAULT; /* never grow a file the client shrank */
	ssize_t n = pwrite(shm->fd, buf, len, (off_t)off);
	return n == (ssize_t)len ? 0 : -EFAULT;
}

/* 0 (shm registered) or a TEE error code. */
static uint32_t shm_register(struct tee_conn *conn, int fd, uint64_t size, uint32_t *ret_id)
{
	struct stat st;

	if (fd < 0 || size == 0 || size > TEE_MAX_SHM_SIZE)
		return TEE_ERROR_BAD_PARAMETERS;
	if (g_hash_table_size(conn->shms) >= TEE_MAX_SHMS)
		return TEE_ERROR_OUT_OF_MEMORY;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < size)
		return TEE_ERROR_BAD_PARAMETERS;
	void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return TEE_ERROR_BAD_PARAMETERS;

	struct tee_shm *shm = g_new0(struct tee_shm, 1);
	shm->refs = 1;
	shm->fd = fd;
	shm->map = map;
	shm->size = size;
	/* Pin the size if the memfd allows sealing (best effort; see shm_copy_in). */
	int seals = fcntl(fd, F_GET_SEALS);
	shm->sealed = (seals >= 0 && (seals & F_SEAL_SHRINK)) ||
		      fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0;
	if (shm->sealed && fstat(fd, &st) == 0 && (uint64_t)st.st_size < size)
		shm->sealed = false; /* shrank between the checks */
	do
		shm->id = ++conn->next_shm_id;
	while (shm->id == 0 || g_hash_table_contains(conn->shms, GUINT_TO_POINTER(shm->id)));
	g_hash_table_insert(conn->shms, GUINT_TO_POINTER(shm->id), shm);
	*ret_id = shm->id;
	return TEE_SUCCESS;
}

/* ---- connections --------------------------------------------------------------------- */

static void remove_source(struct tee_core *core, guint id)
{
	GSource *src = id ? g_main_context_find_source_by_id(core->main_ctx, id) : NULL;
	if (src)
		g_source_destroy(src);
}

/* One thing the worker read for the main thread (rpc_forward_fn's arguments). */
struct fwd_item {
	int fd;
	int r;
	struct emu_msg *msg;
	bool was_supplicant;
};

static void fwd_item_free(gpointer data)
{
	struct fwd_item *it = data;
	emu_msg_free(it->msg);
	g_free(it);
}

/* Drop what the worker forwarded from fd (its connection is going away). */
static void fwd_drop_fd(struct tee_core *core, int fd)
{
	g_mutex_lock(&core->fwd_lock);
	for (GList *l = core->fwd.head; l;) {
		GList *next = l->next;
		struct fwd_item *it = l->data;
		if (it->fd == fd) {
			fwd_item_free(it);
			g_queue_delete_link(&core->fwd, l);
		}
		l = next;
	}
	g_mutex_unlock(&core->fwd_lock);
}

static void conn_destroy(struct tee_core *core, struct tee_conn *conn)
{
	rpc_detach_supplicant(core->rpc, conn->fd); /* the worker has let go of the fd */
	fwd_drop_fd(core, conn->fd);
	emu_trace_disconnect(conn->fd);
	core->nsessions -= g_hash_table_size(conn->sessions);
	remove_source(core, conn->src);
	g_hash_table_destroy(conn->sessions);
	g_hash_table_destroy(conn->shms);
	ffa_endpoint_free(conn->ffa);
	close(conn->fd);
	g_hash_table_remove(core->conns, GUINT_TO_POINTER(conn->id)); /* frees conn */
}

/* A peer that does not read its replies is dropped rather than blocking everybody. */
static int conn_send(struct tee_conn *conn, uint16_t type, uint32_t req_id, const void *p,
		     size_t len)
{
	int r = emu_ipc_send(conn->fd, type, req_id, p, len);
	if (r < 0)
		g_info("connection %u: send of 0x%04x failed: %s", conn->id, type, g_strerror(-r));
	return r;
}

static int send_result(struct tee_conn *conn, uint16_t type, uint32_t req_id, uint32_t ret,
		       uint32_t origin, uint32_t id)
{
	struct emu_tee_result res = { .ret = ret, .origin = origin, .id = id };
	return conn_send(conn, type, req_id, &res, sizeof(res));
}

static int send_error(struct tee_conn *conn, uint32_t req_id, int error, const char *what)
{
	g_debug("connection %u: request %u rejected: %s", conn->id, req_id, what);
	int r = emu_ipc_send_error(conn->fd, req_id, error, "%s", what);
	return r < 0 ? r : 0;
}

/* ---- jobs ----------------------------------------------------------------------------- */

static void jobs_handed(struct tee_core *core);
static void jobs_ended(struct tee_core *core);

static void job_free(gpointer data)
{
	struct job *job = data;
	shm_unref(job->shm);
	ffa_mm_call_clear(&job->ffa_mm);
	if (job->export_image)
		g_bytes_unref(job->export_image);
	g_free(job);
}

/*
 * Main thread: one boot attempt per event that may let StMM boot (a session opens, a
 * supplicant or an RPMB handler registers), unless it is up already.  Never merged with an
 * attempt still queued: whether the worker had taken that one yet is timing, and the
 * number of attempts (each one's RPCs are in the trace) must follow the events alone.  An
 * attempt that finds StMM booted by an earlier one does nothing.
 */
static void queue_boot(struct tee_core *core)
{
	if (g_atomic_int_get(&core->booted))
		return;
	struct job *job = g_new0(struct job, 1);
	job->kind = JOB_BOOT;
	job->core = core;
	jobs_handed(core);
	g_atomic_int_inc(&core->jobs_pending);
	g_async_queue_push(core->jobs, job);
}

/* Main thread: queue a job answering request `req_id` on conn (one in-flight slot).
 * `init` holds the kind and the kind's own fields. */
static void job_enqueue(struct tee_core *core, struct tee_conn *conn, uint32_t req_id,
			const struct job *init)
{
	struct job *job = g_new(struct job, 1);

	*job = *init;
	job->core = core;
	job->conn_id = conn->id;
	job->req_id = req_id;
	conn->inflight++;
	jobs_handed(core);
	g_atomic_int_inc(&core->jobs_pending);
	g_async_queue_push(core->jobs, job);
}

static int answer_invoke(struct tee_conn *conn, struct job *job);
static void conn_watch(struct tee_core *core, struct tee_conn *conn);
static void conn_pause(struct tee_core *core, struct tee_conn *conn);
static bool conn_received(struct tee_core *core, struct tee_conn *conn, int r,
			  struct emu_msg *msg, bool was_supplicant);
static int answer_export(struct tee_conn *conn, struct job *job);
static int answer_reset(struct tee_conn *conn, struct job *job);
static int answer_ffa(struct tee_conn *conn, struct job *job);

/*
 * Main thread: a job has ended (every kind posts this, a boot too).  Answer it on its
 * connection, its in-flight slot given back; nothing when the client has gone meanwhile.
 * A connection that cannot take the answer is dropped.
 */
static gboolean job_reply(gpointer data)
{
	struct job *job = data;
	struct tee_core *core = job->core;
	int r;

	g_mutex_lock(&core->posted_lock);
	(void)g_ptr_array_remove_fast(core->posted, g_main_current_source());
	g_mutex_unlock(&core->posted_lock);
	jobs_ended(core);
	if (job->kind == JOB_BOOT)
		return G_SOURCE_REMOVE;
	struct tee_conn *conn =
		g_hash_table_lookup(core->conns, GUINT_TO_POINTER(job->conn_id));
	if (!conn)
		return G_SOURCE_REMOVE;
	conn->inflight--;
	switch (job->kind) {
	case JOB_INVOKE:
		r = answer_invoke(conn, job);
		break;
	case JOB_EXPORT:
		r = answer_export(conn, job);
		break;
	case JOB_RESET:
		r = answer_reset(conn, job);
		break;
	case JOB_FFA:
		r = answer_ffa(conn, job);
		break;
	default:
		g_assert_not_reached();
	}
	if (r < 0)
		conn_destroy(core, conn);
	return G_SOURCE_REMOVE;
}

/* Worker: hand a finished job to the main thread (job_reply), which frees it. */
static void job_post_reply(struct tee_core *core, struct job *job)
{
	GSource *src = g_idle_source_new();
	g_source_set_callback(src, job_reply, job, job_free);
	g_mutex_lock(&core->posted_lock);
	g_ptr_array_add(core->posted, src); /* its reference */
	g_source_attach(src, core->main_ctx);
	g_mutex_unlock(&core->posted_lock);
}

static int answer_invoke(struct tee_conn *conn, struct job *job)
{
	return conn_send(conn, EMU_MSG_TEE_INVOKE_RSP, job->req_id, &job->rsp, sizeof(job->rsp));
}

static int ensure_booted(struct tee_core *core)
{
	if (g_atomic_int_get(&core->booted))
		return 0;
	int r = core->pta.boot(core->pta.ctx);
	if (r < 0) {
		/* Retried on every request: a wrong key or a missing supplicant must not flood. */
		g_autofree char *text = g_strdup_printf("StMM boot failed: %s (the next request retries)",
							g_strerror(-r));
		warn_limit_warn(&core->boot_warn, text);
		return r;
	}
	warn_limit_ok(&core->boot_warn, "StMM boot");
	g_message("StMM booted: variable store loaded from RPMB");
	g_atomic_int_set(&core->booted, 1);
	return 0;
}

/* A private buffer of at least `size` bytes, kept for the next call (no per-call allocation). */
static uint8_t *mm_buf(uint8_t **buf, size_t *buf_size, size_t size)
{
	if (*buf_size < MAX(size, 1)) {
		g_free(*buf);
		*buf_size = MAX(size, 1);
		*buf = g_malloc(*buf_size);
	}
	return *buf;
}

/*
 * One PTA_STMM communicate on `buf`, the private copy of the request (copied out of shared
 * memory first: the client can change it while StMM parses, TOCTOU); the answer goes back
 * into shared memory and *rsp.  Main thread (mm_call_is_local) or worker.
 */
static void run_communicate(struct tee_core *core, uint32_t conn_id, uint32_t session,
			    uint32_t req_id, struct tee_shm *shm, uint64_t offset, uint8_t *buf,
			    size_t size, struct emu_tee_invoke_rsp *rsp)
{
	if (core->debug)
		emu_log_hexdump("MM request", buf, size);
	emu_trace_mm(EMU_TRACE_MM_REQ, conn_id, session, req_id, size, 0, 0, buf);
	int32_t mm_ret = core->pta.communicate(core->pta.ctx, buf, size);
	if (core->debug)
		emu_log_hexdump("MM response", buf, size);
	emu_trace_mm(EMU_TRACE_MM_RSP, conn_id, session, req_id, size, TEE_SUCCESS,
		     (uint32_t)mm_ret, buf);
	if (shm_copy_out(shm, offset, buf, size) < 0) {
		rsp->ret = TEE_ERROR_BAD_PARAMETERS;
		rsp->origin = TEE_ORIGIN_COMMS;
		return;
	}
	rsp->ret = TEE_SUCCESS;
	rsp->origin = TEE_ORIGIN_TRUSTED_APP;
	/*
	 * StMM's x4 is a 64-bit register holding a signed 32-bit code: OP-TEE copies the
	 * register into value[1].a, so -2 arrives as 0xfffffffffffffffe (sign-extended).
	 */
	rsp->params[1].a = (uint64_t)(int64_t)mm_ret;
	rsp->params[1].b = 0;
	rsp->params[1].c = 0;
}

static void run_invoke(struct tee_core *core, struct job *job)
{
	if (ensure_booted(core) < 0) {
		job->rsp.ret = TEE_ERROR_TARGET_DEAD;
		job->rsp.origin = TEE_ORIGIN_TEE;
		return;
	}
	size_t size = (size_t)job->size;
	uint8_t *buf = mm_buf(&core->worker_buf, &core->worker_buf_size, size);
	if (shm_copy_in(job->shm, job->offset, buf, size) < 0) {
		job->rsp.ret = TEE_ERROR_BAD_PARAMETERS;
		job->rsp.origin = TEE_ORIGIN_COMMS;
		return;
	}
	run_communicate(core, job->conn_id, job->session, job->req_id, job->shm, job->offset, buf,
			size, &job->rsp);
}

/* Worker: build the export image; the chunk is cut on the main thread. */
static void run_export(struct tee_core *core, struct job *job)
{
	if (ensure_booted(core) < 0) {
		job->export_r = -EIO;
		return;
	}
	job->export_r = core->pta.export_fv(core->pta.ctx, &job->export_req, &job->export_image,
					    &job->export_rsp);
}

/* Main thread: one chunk of the export image, or the error. */
static int answer_export(struct tee_conn *conn, struct job *job)
{
	if (job->export_r < 0)
		return send_error(conn, job->req_id, job->export_r,
				  job->export_r == -ENOSPC ? "CTRL_EXPORT: the variables do not fit that layout" :
				  job->export_r == -EINVAL ? "CTRL_EXPORT: invalid layout" :
							     "CTRL_EXPORT: StMM could not boot");
	gsize total = 0;
	const uint8_t *img = g_bytes_get_data(job->export_image, &total);
	struct emu_ctrl_export_rsp rsp = job->export_rsp;
	uint64_t off = MIN(job->export_req.offset, (uint64_t)total);
	uint32_t len = (uint32_t)MIN((uint64_t)job->export_req.max_length, total - off);
	g_autofree uint8_t *payload = g_malloc(sizeof(rsp) + len);

	rsp.offset = off;
	rsp.length = len;
	memcpy(payload, &rsp, sizeof(rsp));
	memcpy(payload + sizeof(rsp), img + off, len);
	return conn_send(conn, EMU_MSG_CTRL_EXPORT_RSP, job->req_id, payload, sizeof(rsp) + len);
}

/* Worker: platform reset; StMM is booted again from its store. */
static void run_reset(struct tee_core *core, struct job *job)
{
	g_atomic_int_set(&core->booted, 0);
	job->reset_r = core->pta.reset(core->pta.ctx);
	if (job->reset_r < 0) {
		g_warning("StMM reset failed: %s", g_strerror(-job->reset_r));
		return;
	}
	g_message("StMM reset: booted again from the variable store");
	g_atomic_int_set(&core->booted, 1);
}

/* Main thread: answer a reset. */
static int answer_reset(struct tee_conn *conn, struct job *job)
{
	if (job->reset_r < 0)
		return send_error(conn, job->req_id, job->reset_r, "CTRL_RESET: StMM could not boot");
	return conn_send(conn, EMU_MSG_CTRL_RESET_RSP, job->req_id, NULL, 0);
}

/* The PTA's MM handler behind the FF-A door bell, traced like an invoke (session 0). */
struct ffa_mm_ctx {
	struct tee_core *core;
	struct job *job;
};

static int32_t ffa_mm_handler_traced(void *ctx, uint8_t *buf, size_t size)
{
	struct ffa_mm_ctx *m = ctx;
	emu_log_hexdump("MM request (FF-A)", buf, size);
	emu_trace_mm(EMU_TRACE_MM_REQ, m->job->conn_id, 0, m->job->req_id, size, 0, 0, buf);
	int32_t mm_ret = m->core->pta.communicate(m->core->pta.ctx, buf, size);
	emu_log_hexdump("MM response (FF-A)", buf, size);
	emu_trace_mm(EMU_TRACE_MM_RSP, m->job->conn_id, 0, m->job->req_id, size, TEE_SUCCESS,
		     (uint32_t)mm_ret, buf);
	return mm_ret;
}

/* Worker: an FF-A door bell to the MM SP (the same handler as PTA_STMM's). */
static void run_ffa(struct tee_core *core, struct job *job)
{
	struct ffa_mm_ctx m = { core, job };
	bool up = ensure_booted(core) == 0;
	ffa_spmc_mm_run(&job->ffa_mm, up ? ffa_mm_handler_traced : NULL, &m, &job->ffa_out);
}

static int answer_ffa(struct tee_conn *conn, struct job *job)
{
	return conn_send(conn, EMU_MSG_FFA_RSP, job->req_id, &job->ffa_out, sizeof(job->ffa_out));
}

static void run_job_kind(struct tee_core *core, struct job *job);

/* Worker: run one job.  False for JOB_QUIT (freed). */
static bool run_job(struct tee_core *core, struct job *job)
{
	if (job->kind != JOB_QUIT) {
		run_job_kind(core, job);
		g_atomic_int_dec_and_test(&core->jobs_pending);
		return true;
	}
	job_free(job);
	return false;
}

static void run_job_kind(struct tee_core *core, struct job *job)
{
	switch (job->kind) {
	case JOB_QUIT:
		g_assert_not_reached();
	case JOB_BOOT:
		(void)ensure_booted(core);
		job_post_reply(core, job);
		break;
	case JOB_RESET:
		run_reset(core, job);
		job_post_reply(core, job);
		break;
	case JOB_INVOKE:
		run_invoke(core, job);
		job_post_reply(core, job);
		break;
	case JOB_EXPORT:
		run_export(core, job);
		job_post_reply(core, job);
		break;
	case JOB_FFA:
		run_ffa(core, job);
		job_post_reply(core, job);
		break;
	}
}

static gpointer worker_main(gpointer data)
{
	struct tee_core *core = data;

	while (run_job(core, g_async_queue_pop(core->jobs)))
		;
	return NULL;
}

unsigned tee_core_run_jobs(struct tee_core *core)
{
	struct job *job;
	unsigned n = 0;

	while ((job = g_async_queue_try_pop(core->jobs))) {
		n++;
		if (!run_job(core, job))
			break;
	}
	return n;
}

/* ---- request handlers (main thread) -------------------------------------------------- */

static int handle_open_session(struct tee_core *core, struct tee_conn *conn,
			       const struct emu_msg *msg)
{
	struct emu_tee_open_session req;
	if (msg->hdr.length != sizeof(req))
		return send_error(conn, msg->hdr.req_id, -EINVAL, "OPEN_SESSION: bad payload size");
	memcpy(&req, msg->payload, sizeof(req));

	if (memcmp(req.uuid, pta_stmm_uuid, TEE_UUID_SIZE) != 0)
		return send_result(conn, EMU_MSG_TEE_OPEN_SESSION_RSP, msg->hdr.req_id,
				   TEE_ERROR_ITEM_NOT_FOUND, TEE_ORIGIN_TEE, 0);
	if (g_hash_table_size(conn->sessions) >= TEE_MAX_SESSIONS)
		return send_result(conn, EMU_MSG_TEE_OPEN_SESSION_RSP, msg->hdr.req_id,
				   TEE_ERROR_OUT_OF_MEMORY, TEE_ORIGIN_TEE, 0);
	uint32_t id;
	do
		id = ++core->next_session_id;
	while (id == 0);
	g_hash_table_add(conn->sessions, GUINT_TO_POINTER(id));
	core->nsessions++;
	queue_boot(core); /* OP-TEE starts StMM when its first session opens */
	return send_result(conn, EMU_MSG_TEE_OPEN_SESSION_RSP, msg->hdr.req_id, TEE_SUCCESS,
			   TEE_ORIGIN_TEE, id);
}

static int handle_close_session(struct tee_core *core, struct tee_conn *conn,
				const struct emu_msg *msg)
{
	uint32_t id;
	if (msg->hdr.length != sizeof(id))
		return send_error(conn, msg->hdr.req_id, -EINVAL, "CLOSE_SESSION: bad payload size");
	memcpy(&id, msg->payload, sizeof(id));
	if (!g_hash_table_remove(conn->sessions, GUINT_TO_POINTER(id)))
		return send_result(conn, EMU_MSG_TEE_CLOSE_SESSION_RSP, msg->hdr.req_id,
				   TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_COMMS, 0);
	core->nsessions--;
	return send_result(conn, EMU_MSG_TEE_CLOSE_SESSION_RSP, msg->hdr.req_id, TEE_SUCCESS,
			   TEE_ORIGIN_TEE, 0);
}

static int handle_register_shm(struct tee_conn *conn, struct emu_msg *msg)
{
	struct emu_tee_register_shm req;
	if (msg->hdr.length != sizeof(req))
		return send_error(conn, msg->hdr.req_id, -EINVAL, "REGISTER_SHM: bad payload size");
	memcpy(&req, msg->payload, sizeof(req));

	uint32_t id = 0;
	uint32_t ret = shm_register(conn, msg->fd, req.size, &id);
	if (ret == TEE_SUCCESS)
		msg->fd = -1; /* the shm owns it now */
	return send_result(conn, EMU_MSG_TEE_REGISTER_SHM_RSP, msg->hdr.req_id, ret,
			   TEE_ORIGIN_COMMS, id);
}

static int handle_unregister_shm(struct tee_conn *conn, const struct emu_msg *msg)
{
	uint32_t id;
	if (msg->hdr.length != sizeof(id))
		return send_error(conn, msg->hdr.req_id, -EINVAL, "UNREGISTER_SHM: bad payload size");
	memcpy(&id, msg->payload, sizeof(id));
	uint32_t ret = g_hash_table_remove(conn->shms, GUINT_TO_POINTER(id)) ?
			       TEE_SUCCESS : TEE_ERROR_BAD_PARAMETERS;
	return send_result(conn, EMU_MSG_TEE_UNREGISTER_SHM_RSP, msg->hdr.req_id, ret,
			   TEE_ORIGIN_COMMS, 0);
}

/* Is every memref parameter inside its registered memory?  (The TEE driver's check.) */
static bool memrefs_valid(struct tee_conn *conn, const struct emu_tee_invoke *req)
{
	for (unsigned i = 0; i < TEE_NUM_PARAMS; i++) {
		uint32_t t = TEE_PARAM_TYPE_GET(req->param_types, i);
		if (t == TEE_PARAM_TYPE_NONE || (t >= TEE_PARAM_TYPE_VALUE_INPUT &&
						 t <= TEE_PARAM_TYPE_VALUE_INOUT))
			continue;
		if (t < TEE_PARAM_TYPE_MEMREF_INPUT || t > TEE_PARAM_TYPE_MEMREF_INOUT)
			return false;
		const struct emu_tee_param *p = &req->params[i];
		struct tee_shm *shm = p->a <= UINT32_MAX ?
			g_hash_table_lookup(conn->shms, GUINT_TO_POINTER((uint32_t)p->a)) : NULL;
		if (!shm || p->b > shm->size || p->c > shm->size - p->b)
			return false;
	}
	return true;
}

/*
 * Main thread: answer a valid invoke right here, without the hand-off to the worker and
 * back, when that cannot change what anybody observes: StMM is booted and idle (no job
 * queued or running, and none can start: only this thread queues), this connection has no
 * answer outstanding (its replies stay in order), and the request only reads StMM's memory
 * (the PTA's mm_call_is_local: no RPMB access, so no RPC to the supplicant that this thread
 * would have to route while it waits).  Everything else runs on the worker.  True when
 * answered (*rsp filled); the request has then run exactly as the worker would run it.
 */
static bool invoke_here(struct tee_core *core, struct tee_conn *conn, uint32_t req_id,
			const struct emu_tee_invoke *req, struct tee_shm *shm,
			struct emu_tee_invoke_rsp *rsp)
{
	if (!core->pta.mm_call_is_local || conn->inflight ||
	    g_atomic_int_get(&core->jobs_pending) || !g_atomic_int_get(&core->booted))
		return false;
	size_t size = (size_t)req->params[0].c;
	uint8_t *buf = mm_buf(&core->main_buf, &core->main_buf_size, size);
	if (shm_copy_in(shm, req->params[0].b, buf, size) < 0) {
		rsp->ret = TEE_ERROR_BAD_PARAMETERS;
		rsp->origin = TEE_ORIGIN_COMMS;
		return true;
	}
	if (!core->pta.mm_call_is_local(core->pta.ctx, buf, size))
		return false; /* the worker copies it again: it runs what it reads then */
	run_communicate(core, conn->id, req->session, req_id, shm, req->params[0].b, buf, size, rsp);
	return true;
}

static int handle_invoke(struct tee_core *core, struct tee_conn *conn, const struct emu_msg *msg)
{
	struct emu_tee_invoke req;
	struct emu_tee_invoke_rsp rsp = { 0 };

	if (msg->hdr.length != sizeof(req))
		return send_error(conn, msg->hdr.req_id, -EINVAL, "INVOKE: bad payload size");
	memcpy(&req, msg->payload, sizeof(req));
	memcpy(rsp.params, req.params, sizeof(rsp.params));

	if (!g_hash_table_contains(conn->sessions, GUINT_TO_POINTER(req.session))) {
		rsp.ret = TEE_ERROR_BAD_PARAMETERS;
		rsp.origin = TEE_ORIGIN_COMMS;
	} else if (!memrefs_valid(conn, &req)) {
		rsp.ret = TEE_ERROR_BAD_PARAMETERS;
		rsp.origin = TEE_ORIGIN_COMMS;
	} else if (req.cmd != PTA_STMM_CMD_COMMUNICATE ||
		   req.param_types != PTA_STMM_COMMUNICATE_PARAM_TYPES) {
		rsp.ret = TEE_ERROR_BAD_PARAMETERS;
		rsp.origin = TEE_ORIGIN_TRUSTED_APP;
	} else if (req.params[0].c > core->cfg.ns_buf_size) {
		rsp.ret = TEE_ERROR_EXCESS_DATA;
		rsp.origin = TEE_ORIGIN_TRUSTED_APP;
		rsp.params[0].c = core->cfg.ns_buf_size;
	} else if (conn->inflight >= TEE_MAX_INFLIGHT) {
		rsp.ret = TEE_ERROR_BUSY;
		rsp.origin = TEE_ORIGIN_COMMS;
	} else if (stmm_fault_mm_call(&rsp.ret, &rsp.origin)) {
		/* a run-time fault answered the MM call (stmm/optee/fault.h) */
	} else {
		struct tee_shm *shm =
			g_hash_table_lookup(conn->shms, GUINT_TO_POINTER((uint32_t)req.params[0].a));
		if (invoke_here(core, conn, msg->hdr.req_id, &req, shm, &rsp))
			return conn_send(conn, EMU_MSG_TEE_INVOKE_RSP, msg->hdr.req_id, &rsp,
					 sizeof(rsp));
		struct job init = {
			.kind = JOB_INVOKE,
			.session = req.session,
			.shm = shm_ref(shm),
			.offset = req.params[0].b,
			.size = req.params[0].c,
			.rsp = rsp,
		};
		job_enqueue(core, conn, msg->hdr.req_id, &init);
		return 0;
	}
	return conn_send(conn, EMU_MSG_TEE_INVOKE_RSP, msg->hdr.req_id, &rsp, sizeof(rsp));
}

static int handle_supp_register(struct tee_core *core, struct tee_conn *conn,
				const struct emu_msg *msg)
{
	if (msg->hdr.length != 0)
		return send_error(conn, msg->hdr.req_id, -EINVAL, "SUPP_REGISTER: bad payload size");
	/*
	 * The answer goes out before the attach: a worker already waiting for a supplicant
	 * sends its RPC the moment the fd is attached, and that request must not reach the
	 * supplicant ahead of its REGISTER_RSP.  Only this thread attaches, so the slot
	 * checked free here is still free below.
	 */
	if (rpc_supplicant_attached(core->rpc) || rpc_is_rpmb_handler(core->rpc, conn->fd))
		return send_result(conn, EMU_MSG_SUPP_REGISTER_RSP, msg->hdr.req_id, TEE_ERROR_BUSY,
				   TEE_ORIGIN_COMMS, 0);
	int r = send_result(conn, EMU_MSG_SUPP_REGISTER_RSP, msg->hdr.req_id, TEE_SUCCESS,
			    TEE_ORIGIN_TEE, 0);
	if (r < 0 || rpc_attach_supplicant(core->rpc, conn->fd) < 0)
		return r < 0 ? r : -EBUSY;
	g_message("supplicant registered (connection %u)", conn->id);
	queue_boot(core);
	if (core->jobs_out)
		conn_pause(core, conn); /* the running job's RPCs read it from now on */
	return r;
}

/* The kernel route's RPMB handler (EMU_MSG_SUPP_REGISTER_RPMB_REQ; README "The kernel RPMB route"). */
static int handle_rpmb_register(struct tee_core *core, struct tee_conn *conn,
				const struct emu_msg *msg)
{
	if (msg->hdr.length != 0)
		return send_error(conn, msg->hdr.req_id, -EINVAL, "SUPP_REGISTER_RPMB: bad payload size");
	/* The answer before the attach, as for the supplicant (handle_supp_register). */
	if (rpc_rpmb_handler_attached(core->rpc) || rpc_is_supplicant(core->rpc, conn->fd))
		return send_result(conn, EMU_MSG_SUPP_REGISTER_RPMB_RSP, msg->hdr.req_id,
				   TEE_ERROR_BUSY, TEE_ORIGIN_COMMS, 0);
	int r = send_result(conn, EMU_MSG_SUPP_REGISTER_RPMB_RSP, msg->hdr.req_id, TEE_SUCCESS,
			    TEE_ORIGIN_TEE, 0);
	if (r < 0 || rpc_attach_rpmb_handler(core->rpc, conn->fd) < 0)
		return r < 0 ? r : -EBUSY;
	g_message("in-kernel RPMB handler registered (connection %u)", conn->id);
	queue_boot(core);
	if (core->jobs_out)
		conn_pause(core, conn);
	return r;
}

static int handle_supp_reply(struct tee_core *core, struct tee_conn *conn,
			     const struct emu_msg *msg)
{
	if (!rpc_is_supplicant(core->rpc, conn->fd) && !rpc_is_rpmb_handler(core->rpc, conn->fd))
		return send_error(conn, msg->hdr.req_id, -EPERM, "SUPP_RPC_RSP from a non-supplicant");
	int r = rpc_handle_reply_from(core->rpc, conn->fd, msg);
	if (r == -ESRCH)
		g_debug("supplicant reply %u matches no outstanding call; dropped", msg->hdr.req_id);
	else if (r < 0)
		return send_error(conn, msg->hdr.req_id, r, "SUPP_RPC_RSP: malformed");
	return 0;
}

static int handle_status(struct tee_core *core, struct tee_conn *conn, const struct emu_msg *msg)
{
	struct emu_ctrl_status st = { 0 };
	if (msg->hdr.length != 0)
		return send_error(conn, msg->hdr.req_id, -EINVAL, "CTRL_STATUS: bad payload size");
	core->pta.get_status(core->pta.ctx, &st);
	if (rpc_supplicant_attached(core->rpc))
		st.flags |= EMU_CTRL_STATUS_SUPPLICANT;
	if (rpc_rpmb_handler_attached(core->rpc))
		st.flags |= EMU_CTRL_STATUS_RPMB_HANDLER;
	struct rpc_health h;
	rpc_get_health(core->rpc, &h);
	st.rpc_pending_ms = h.pending_ms;
	st.rpc_fail_time = h.fail_time;
	st.rpc_fail_errno = h.fail_errno;
	st.rpc_ok_time = h.ok_time;
	st.sessions = core->nsessions;
	return conn_send(conn, EMU_MSG_CTRL_STATUS_RSP, msg->hdr.req_id, &st, sizeof(st));
}

/* Queue an export chunk on the worker (it needs the store). */
static int handle_export(struct tee_core *core, struct tee_conn *conn, const struct emu_msg *msg)
{
	struct emu_ctrl_export_req req;

	if (msg->hdr.length != sizeof(req))
		return send_error(conn, msg->hdr.req_id, -EINVAL, "CTRL_EXPORT: bad payload size");
	memcpy(&req, msg->payload, sizeof(req));
	if (!core->pta.export_fv)
		return send_error(conn, msg->hdr.req_id, -EOPNOTSUPP, "CTRL_EXPORT: not supported");
	if (req.max_length == 0 || req.max_length > EMU_CTRL_EXPORT_MAX_CHUNK || req.reserved)
		return send_error(conn, msg->hdr.req_id, -EINVAL, "CTRL_EXPORT: bad max_length");
	if (conn->inflight >= TEE_MAX_INFLIGHT)
		return send_error(conn, msg->hdr.req_id, -EBUSY, "CTRL_EXPORT: too many calls queued");
	job_enqueue(core, conn, msg->hdr.req_id, &(struct job){ .kind = JOB_EXPORT, .export_req = req });
	return 0;
}

/* Queue a platform reset on the worker, behind the calls already queued. */
static int handle_reset(struct tee_core *core, struct tee_conn *conn, const struct emu_msg *msg)
{
	if (msg->hdr.length != 0)
		return send_error(conn, msg->hdr.req_id, -EINVAL, "CTRL_RESET: bad payload size");
	if (!core->pta.reset)
		return send_error(conn, msg->hdr.req_id, -EOPNOTSUPP, "CTRL_RESET: not supported");
	if (conn->inflight >= TEE_MAX_INFLIGHT)
		return send_error(conn, msg->hdr.req_id, -EBUSY, "CTRL_RESET: too many calls queued");
	job_enqueue(core, conn, msg->hdr.req_id, &(struct job){ .kind = JOB_RESET });
	return 0;
}

/* Validate and answer one message; exactly one reply unless the call was queued.  A
 * negative return means the connection is unusable. */
/* ---- FF-A (ffa_spmc.h) ----------------------------------------------------------------- */

static struct ffa_endpoint *conn_ffa(struct tee_core *core, struct tee_conn *conn)
{
	if (!conn->ffa)
		conn->ffa = ffa_endpoint_new(core->cfg.ffa_profile);
	return conn->ffa;
}

static int handle_ffa(struct tee_core *core, struct tee_conn *conn, struct emu_msg *msg)
{
	struct ffa_regs in, out;
	struct job init = { .kind = JOB_FFA };

	if (msg->hdr.length != sizeof(in))
		return send_error(conn, msg->hdr.req_id, -EINVAL, "FFA: bad payload size");
	memcpy(&in, msg->payload, sizeof(in));
	if (ffa_spmc_call(conn_ffa(core, conn), &in, &msg->fd, &out, &init.ffa_mm) ==
	    FFA_SPMC_ANSWERED)
		return conn_send(conn, EMU_MSG_FFA_RSP, msg->hdr.req_id, &out, sizeof(out));
	if (conn->inflight >= TEE_MAX_INFLIGHT) {
		/* The SP is busy with this endpoint's earlier door bells. */
		ffa_mm_call_clear(&init.ffa_mm);
		memset(&out, 0, sizeof(out));
		out.x[0] = FFA_ERROR;
		out.x[2] = (uint32_t)FFA_RET_BUSY;
		return conn_send(conn, EMU_MSG_FFA_RSP, msg->hdr.req_id, &out, sizeof(out));
	}
	job_enqueue(core, conn, msg->hdr.req_id, &init);
	return 0;
}

static int handle_ffa_mm_buf(struct tee_core *core, struct tee_conn *conn, struct emu_msg *msg)
{
	struct emu_ffa_mm_buf req;

	if (msg->hdr.length != sizeof(req))
		return send_error(conn, msg->hdr.req_id, -EINVAL, "FFA_MM_BUF: bad payload size");
	memcpy(&req, msg->payload, sizeof(req));
	int r = ffa_endpoint_set_mm_buf(conn_ffa(core, conn), msg->fd, req.base, req.size);
	if (r < 0)
		return send_error(conn, msg->hdr.req_id, r,
				  r == -EEXIST ? "FFA_MM_BUF: already declared" :
						 "FFA_MM_BUF: bad size or memory");
	msg->fd = -1; /* the endpoint owns it now */
	return conn_send(conn, EMU_MSG_FFA_MM_BUF_RSP, msg->hdr.req_id, NULL, 0);
}

static int dispatch(struct tee_core *core, struct tee_conn *conn, struct emu_msg *msg)
{
	if (core->debug)
			g_debug("connection %u: message 0x%04x id %u, %u bytes%s", conn->id, msg->hdr.type,
			msg->hdr.req_id, msg->hdr.length, msg->fd >= 0 ? " + fd" : "");
	switch (msg->hdr.type) {
	case EMU_MSG_TEE_OPEN_SESSION_REQ:
		return handle_open_session(core, conn, msg);
	case EMU_MSG_TEE_CLOSE_SESSION_REQ:
		return handle_close_session(core, conn, msg);
	case EMU_MSG_TEE_REGISTER_SHM_REQ:
		return handle_register_shm(conn, msg);
	case EMU_MSG_TEE_UNREGISTER_SHM_REQ:
		return handle_unregister_shm(conn, msg);
	case EMU_MSG_TEE_INVOKE_REQ:
		return handle_invoke(core, conn, msg);
	case EMU_MSG_SUPP_REGISTER_REQ:
		return handle_supp_register(core, conn, msg);
	case EMU_MSG_SUPP_REGISTER_RPMB_REQ:
		return handle_rpmb_register(core, conn, msg);
	case EMU_MSG_SUPP_RPC_RSP:
		return handle_supp_reply(core, conn, msg);
	case EMU_MSG_CTRL_STATUS_REQ:
		return handle_status(core, conn, msg);
	case EMU_MSG_CTRL_EXPORT_REQ:
		return handle_export(core, conn, msg);
	case EMU_MSG_CTRL_RESET_REQ:
		return handle_reset(core, conn, msg);
	case EMU_MSG_CTRL_FAULT_REQ:
	case EMU_MSG_CTRL_FAULT_CLEAR_REQ:
		return stmm_fault_handle(conn->fd, msg);
	case EMU_MSG_FFA_REQ:
		return handle_ffa(core, conn, msg);
	case EMU_MSG_FFA_MM_BUF_REQ:
		return handle_ffa_mm_buf(core, conn, msg);
	default:
		return send_error(conn, msg->hdr.req_id, -EOPNOTSUPP, "message type not supported");
	}
}

/*
 * One message received on conn (`r` as emu_ipc_recv returned it; `msg` stays the
 * caller's), by the main loop's reader or by the worker (fwd_idle).  False when the
 * connection was closed (`was_supplicant`: it was the supplicant's, for the log).
 */
static bool conn_received(struct tee_core *core, struct tee_conn *conn, int r,
			  struct emu_msg *msg, bool was_supplicant)
{
	if (r == -EBADMSG) {
		(void)send_error(conn, 0, -EBADMSG, "malformed message");
		return true;
	}
	if (r == 0)
		r = dispatch(core, conn, msg);
	if (r >= 0)
		return true;
	if (r != -ECONNRESET)
		g_debug("connection %u closed: %s", conn->id, g_strerror(-r));
	if (was_supplicant)
		g_message("supplicant disconnected");
	conn_destroy(core, conn);
	return false;
}

/* Data for a connection's watch: the core and the connection id (not the pointer, which
 * conn_destroy may free). */
struct conn_watch {
	struct tee_core *core;
	uint32_t conn_id;
};

static gboolean conn_event(gint fd, GIOCondition cond, gpointer data)
{
	struct conn_watch *w = data;
	struct tee_core *core = w->core;
	struct tee_conn *conn = g_hash_table_lookup(core->conns, GUINT_TO_POINTER(w->conn_id));
	(void)cond;

	if (!conn)
		return G_SOURCE_REMOVE;
	g_autoptr(emu_msg) msg = NULL;
	int r = emu_ipc_recv(fd, 0, &msg);
	if (r == -ETIMEDOUT || r == -EAGAIN)
		return G_SOURCE_CONTINUE;
	if (conn_received(core, conn, r, msg, rpc_is_supplicant(core->rpc, conn->fd)))
		return G_SOURCE_CONTINUE;
	return G_SOURCE_REMOVE; /* conn_received removed it */
}

/*
 * Main thread: a job is handed to the worker / has ended.  From the first job handed out
 * to the end of the last one the supplicant's and the RPMB handler's connections are not
 * polled here: the worker reads their replies itself (rpc.h); what else it reads comes
 * back through fwd_idle.  The watches are this thread's sources, paused and resumed here.
 */
static bool conn_is_rpc_peer(struct tee_core *core, struct tee_conn *conn)
{
	return rpc_is_supplicant(core->rpc, conn->fd) || rpc_is_rpmb_handler(core->rpc, conn->fd);
}

static void conn_pause(struct tee_core *core, struct tee_conn *conn)
{
	if (!conn->watched || conn->paused)
		return;
	remove_source(core, conn->src);
	conn->src = 0;
	conn->paused = true;
}

static void jobs_handed(struct tee_core *core)
{
	if (core->jobs_out++ > 0)
		return;
	GHashTableIter it;
	gpointer key, value;
	g_hash_table_iter_init(&it, core->conns);
	while (g_hash_table_iter_next(&it, &key, &value))
		if (conn_is_rpc_peer(core, value))
			conn_pause(core, value);
}

static void jobs_ended(struct tee_core *core)
{
	g_assert(core->jobs_out > 0);
	if (--core->jobs_out > 0)
		return;
	GHashTableIter it;
	gpointer key, value;
	g_hash_table_iter_init(&it, core->conns);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		struct tee_conn *conn = value;
		if (conn->paused) {
			conn->paused = false;
			conn_watch(core, conn);
		}
	}
}

static struct tee_conn *conn_by_fd(struct tee_core *core, int fd)
{
	GHashTableIter it;
	gpointer key, value;
	g_hash_table_iter_init(&it, core->conns);
	while (g_hash_table_iter_next(&it, &key, &value))
		if (((struct tee_conn *)value)->fd == fd)
			return value;
	return NULL;
}

/* Main thread: what the worker read for us, handled as conn_event handles what it reads. */
static gboolean fwd_idle(gpointer data)
{
	struct tee_core *core = data;
	GQueue items = G_QUEUE_INIT;

	g_mutex_lock(&core->fwd_lock);
	items = core->fwd;
	g_queue_init(&core->fwd);
	core->fwd_src = 0;
	g_mutex_unlock(&core->fwd_lock);
	struct fwd_item *it;
	while ((it = g_queue_pop_head(&items))) {
		struct tee_conn *conn = conn_by_fd(core, it->fd);
		if (conn)
			conn_received(core, conn, it->r, it->msg, it->was_supplicant);
		fwd_item_free(it);
	}
	return G_SOURCE_REMOVE;
}

/* Worker (rpc_forward_fn): queue it for fwd_idle and wake the main context once. */
static void fwd_from_worker(void *ctx, int fd, int r, struct emu_msg *msg, bool was_supplicant)
{
	struct tee_core *core = ctx;
	struct fwd_item *it = g_new(struct fwd_item, 1);

	*it = (struct fwd_item){ .fd = fd, .r = r, .msg = msg, .was_supplicant = was_supplicant };
	g_mutex_lock(&core->fwd_lock);
	g_queue_push_tail(&core->fwd, it);
	if (!core->fwd_src) {
		GSource *src = g_idle_source_new();
		g_source_set_callback(src, fwd_idle, core, NULL);
		core->fwd_src = g_source_attach(src, core->main_ctx);
		g_source_unref(src);
	}
	g_mutex_unlock(&core->fwd_lock);
}

static struct tee_conn *conn_add(struct tee_core *core, int cfd)
{
	struct tee_conn *conn = g_new0(struct tee_conn, 1);
	do
		conn->id = ++core->next_conn_id;
	while (conn->id == 0 || g_hash_table_contains(core->conns, GUINT_TO_POINTER(conn->id)));
	conn->fd = cfd;
	conn->sessions = g_hash_table_new(g_direct_hash, g_direct_equal);
	conn->shms = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					   (GDestroyNotify)shm_unref);
	g_hash_table_insert(core->conns, GUINT_TO_POINTER(conn->id), conn);

	g_debug("connection %u accepted", conn->id);
	emu_trace_connect(conn->id, EMU_TRACE_ROLE_CLIENT, cfd);
	return conn;
}

uint32_t tee_core_adopt(struct tee_core *core, int fd)
{
	return conn_add(core, fd)->id;
}

int tee_core_dispatch(struct tee_core *core, uint32_t conn_id, struct emu_msg *msg)
{
	struct tee_conn *conn = g_hash_table_lookup(core->conns, GUINT_TO_POINTER(conn_id));

	if (!conn)
		return -ENOENT;
	int r = dispatch(core, conn, msg);
	if (r < 0)
		conn_destroy(core, conn);
	return r;
}

/*
 * GLib blocks a source that cannot recurse around each dispatch: it takes its fd out of
 * the poll set and puts it back, each time waking the context through its eventfd -- two
 * write()s and a read() per message.  Nothing here iterates the main context from inside a
 * callback, so a callback cannot re-enter and the blocking buys nothing.
 */
static void source_no_block(GSource *src)
{
	g_source_set_can_recurse(src, TRUE);
}

/* Main thread: read conn's messages from the main loop (conn_event). */
static void conn_watch(struct tee_core *core, struct tee_conn *conn)
{
	struct conn_watch *w = g_new0(struct conn_watch, 1);
	w->core = core;
	w->conn_id = conn->id;
	GSource *src = g_unix_fd_source_new(conn->fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
	g_source_set_callback(src, (GSourceFunc)(void (*)(void))conn_event, w, g_free);
	source_no_block(src);
	conn->src = g_source_attach(src, core->main_ctx);
	g_source_unref(src);
}

static gboolean listen_event(gint fd, GIOCondition cond, gpointer data)
{
	struct tee_core *core = data;
	(void)cond;

	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			g_warning("accept on the tee socket: %s", g_strerror(errno));
		return G_SOURCE_CONTINUE;
	}
	if (g_hash_table_size(core->conns) >= TEE_MAX_CONNS) {
		g_warning("tee socket: too many connections, refusing one");
		(void)emu_ipc_send_error(cfd, 0, -EBUSY, "too many connections (%u)", TEE_MAX_CONNS);
		close(cfd);
		return G_SOURCE_CONTINUE;
	}
	struct tee_conn *conn = conn_add(core, cfd);
	conn->watched = true;
	conn_watch(core, conn);
	return G_SOURCE_CONTINUE;
}

/* ---- lifecycle ------------------------------------------------------------------------ */

int tee_core_new(const struct tee_config *cfg, const struct tee_pta_ops *pta, struct rpc *rpc,
		 GMainContext *main_ctx, struct tee_core **ret_core)
{
	if (!cfg || !pta || !pta->boot || !pta->communicate || !pta->get_status || !rpc ||
	    cfg->ns_buf_size == 0)
		return -EINVAL;
	struct tee_core *core = g_new0(struct tee_core, 1);
	core->cfg = *cfg;
	core->pta = *pta;
	core->boot_warn = (struct warn_limit)WARN_LIMIT_INIT(WARN_LIMIT_EVERY);
	core->rpc = rpc;
	core->main_ctx = main_ctx ? g_main_context_ref(main_ctx) : g_main_context_ref_thread_default();
	core->listen_fd = -1;
	core->conns = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	core->jobs = g_async_queue_new();
	g_mutex_init(&core->fwd_lock);
	g_mutex_init(&core->posted_lock);
	core->posted = g_ptr_array_new_with_free_func((GDestroyNotify)g_source_unref);
	g_queue_init(&core->fwd);
	rpc_set_forward(rpc, fwd_from_worker, core);
	core->debug = !g_log_writer_default_would_drop(G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN);
	*ret_core = core;
	return 0;
}

int tee_core_listen(struct tee_core *core, const char *path)
{
	int r = emu_ipc_listen(path, &core->listen_fd);
	if (r < 0)
		return r;
	if (fcntl(core->listen_fd, F_SETFL, O_NONBLOCK) < 0)
		return -errno;
	GSource *src = g_unix_fd_source_new(core->listen_fd, G_IO_IN);
	g_source_set_callback(src, (GSourceFunc)(void (*)(void))listen_event, core, NULL);
	source_no_block(src);
	core->listen_src = g_source_attach(src, core->main_ctx);
	g_source_unref(src);
	return 0;
}

int tee_core_start(struct tee_core *core)
{
	GError *err = NULL;
	core->worker = g_thread_try_new("stmm", worker_main, core, &err);
	if (!core->worker) {
		g_error_free(err);
		return -EAGAIN;
	}
	return 0;
}

void tee_core_stop(struct tee_core *core)
{
	if (!core)
		return;
	if (core->worker) {
		struct job *quit = g_new0(struct job, 1);
		quit->kind = JOB_QUIT;
		/* Jump the queue: pending invokes would only wait for a supplicant. */
		g_async_queue_push_front(core->jobs, quit);
		rpc_shutdown(core->rpc);
		g_thread_join(core->worker);
		core->worker = NULL;
	}
	GHashTableIter it;
	gpointer key, value;
	GPtrArray *all = g_ptr_array_new();
	g_hash_table_iter_init(&it, core->conns);
	while (g_hash_table_iter_next(&it, &key, &value))
		g_ptr_array_add(all, value);
	for (guint i = 0; i < all->len; i++)
		conn_destroy(core, all->pdata[i]);
	g_ptr_array_free(all, TRUE);
	remove_source(core, core->listen_src);
	core->listen_src = 0;
	if (core->listen_fd >= 0) {
		close(core->listen_fd);
		core->listen_fd = -1;
	}
}

void tee_core_free(struct tee_core *core)
{
	if (!core)
		return;
	tee_core_stop(core);
	struct job *job;
	while ((job = g_async_queue_try_pop(core->jobs)))
		job_free(job);
	/* Replies the worker posted that the main loop has not run: their jobs go with them. */
	for (guint i = 0; i < core->posted->len; i++)
		g_source_destroy(g_ptr_array_index(core->posted, i));
	g_ptr_array_free(core->posted, TRUE);
	g_mutex_clear(&core->posted_lock);
	g_async_queue_unref(core->jobs);
	rpc_set_forward(core->rpc, NULL, NULL);
	remove_source(core, core->fwd_src);
	g_queue_clear_full(&core->fwd, fwd_item_free);
	g_mutex_clear(&core->fwd_lock);
	g_hash_table_destroy(core->conns);
	g_main_context_unref(core->main_ctx);
	warn_limit_clear(&core->boot_warn);
	g_free(core->main_buf);
	g_free(core->worker_buf);
	g_free(core);
}
