/* SPDX-License-Identifier: MIT */
/*
 * The client ioctls (see teedev.h).  Kernel behaviour followed (drivers/tee/tee_core.c,
 * drivers/tee/optee/; research/next-wave-anchors.md §2.1): argument buffers of exactly
 * sizeof(arg) + 32 x num_params bytes, at most TEE_MAX_ARG_SIZE, else EINVAL; unknown
 * attribute bits EINVAL; a memref must name shared memory of the same descriptor and lie
 * inside it, else EINVAL; the ioctl returns 0 when the TEE answered an error (it is in
 * `ret`/`ret_origin`); only `b` (size) of an output memref is written back.
 *
 * VERSION advertises OP-TEE without TEE_GEN_CAP_REG_MEM, so libteec and tee-supplicant
 * take the SHM_ALLOC + mmap path: SHM_ALLOC returns a memfd (page-rounded, no CLOEXEC, as
 * the kernel's anon inode) of which stmmd holds a duplicate, so the program's own mapping
 * shares pages with the secure world.  A shm lives until its descriptor is closed (the
 * kernel frees it at the last munmap; the shim does not see munmap).
 */
#include "teedev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/tee.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipc.h"
#include "pta_stmm.h"
#include "shim/shim_common.h"
#include "supp.h"

#define TEESHIM_MAX_DEVS   16
#define TEESHIM_TIMEOUT_MS 120000 /* an invoke may wait for RPMB retries */

_Static_assert(offsetof(struct teeshim_dev, ent) == 0, "a shim_fd_table entry starts with its header");

/* table's lock is never held across I/O (lib/shim/shim_common.h).  An ioctl works on its
 * entry in place, without that lock: entries are static, so the pointer stays valid. */
static pthread_mutex_t io_lock = PTHREAD_MUTEX_INITIALIZER; /* client calls on any link */
static struct teeshim_dev devs[TEESHIM_MAX_DEVS];
static struct shim_fd_table table = SHIM_FD_TABLE_INIT(devs);

void teeshim_debug(const char *fmt, ...)
{
	va_list ap;

	if (!getenv("TEE_SHIM_DEBUG"))
		return;
	va_start(ap, fmt);
	shim_debug_line("tee-shim", fmt, ap);
	va_end(ap);
}

bool teeshim_path_match(const char *path)
{
	return shim_path_numbered(path, "/dev/tee", "") ||
	       shim_path_numbered(path, "/dev/teepriv", "");
}

/* One request/reply with stmmd; reply of type want_type and exactly want_len bytes. */
static int call(struct teeshim_dev *dev, uint16_t type, const void *p, size_t len, int pass_fd,
		uint16_t want_type, void *ret_reply, size_t want_len)
{
	struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
	g_autoptr(emu_msg) reply = NULL;
	int r = emu_ipc_call(dev->ent.fd, &dev->next_id, TEESHIM_TIMEOUT_MS, type, &iov, len ? 1 : 0,
			     pass_fd, want_type, &reply, NULL);
	if (r < 0)
		return r;
	if (reply->hdr.length != want_len)
		return -EPROTO;
	memcpy(ret_reply, reply->payload, want_len);
	return 0;
}

static int socket_path(char *buf, size_t size)
{
	const char *sock = getenv("TEE_SHIM_SOCKET");
	const char *state = getenv("STMM_EMU_STATE");
	int n;

	if (sock && *sock)
		n = snprintf(buf, size, "%s", sock);
	else if (state && *state)
		n = snprintf(buf, size, "%s/tee.sock", state);
	else
		return -ENOENT;
	return n > 0 && (size_t)n < size ? 0 : -ENAMETOOLONG;
}

int teeshim_open(const char *path, int flags)
{
	struct teeshim_dev d = { .next_id = 1, .next_rpc_id = 1 };
	char sock[4096];
	int r = socket_path(sock, sizeof(sock));

	d.ent.fd = -1;
	if (r < 0) {
		fprintf(stderr, "tee-shim: cannot open %s: neither TEE_SHIM_SOCKET nor STMM_EMU_STATE "
				"is set (stmmd's tee socket)\n", path);
		errno = -r;
		return -1;
	}
	d.supp = strncmp(path, "/dev/teepriv", 12) == 0;
	for (size_t i = 0; i < TEESHIM_MAX_SHMS; i++)
		d.shms[i].fd = -1;
	d.ent.fd = socket(AF_UNIX, SOCK_SEQPACKET | ((flags & O_CLOEXEC) ? SOCK_CLOEXEC : 0), 0);
	if (d.ent.fd < 0)
		return -1;
	struct sockaddr_un_path { sa_family_t f; char p[108]; } sa = { .f = AF_UNIX };
	if (strlen(sock) >= sizeof(sa.p)) {
		r = -ENAMETOOLONG;
		goto fail;
	}
	memcpy(sa.p, sock, strlen(sock) + 1);
	if (connect(d.ent.fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = errno == ECONNREFUSED ? -ENOENT : -errno; /* no stmmd: no device */
		goto fail;
	}
	r = shim_fd_identify(d.ent.fd, &d.ent.st_dev, &d.ent.st_ino);
	if (r < 0)
		goto fail;
	if (d.supp) {
		/* optee_open(): one supplicant context at a time, EBUSY for the next. */
		struct emu_tee_result res;
		r = call(&d, EMU_MSG_SUPP_REGISTER_REQ, NULL, 0, -1, EMU_MSG_SUPP_REGISTER_RSP, &res,
			 sizeof(res));
		if (r == 0 && res.ret == TEE_ERROR_BUSY)
			r = -EBUSY;
		else if (r == 0 && res.ret != TEE_SUCCESS)
			r = -EIO;
		if (r < 0)
			goto fail;
	}

	r = shim_fd_table_insert(&table, &d);
	if (r < 0)
		goto fail;
	teeshim_debug("open %s -> fd %d (stmmd at %s)", path, d.ent.fd, sock);
	return d.ent.fd;
fail:
	close(d.ent.fd);
	teeshim_debug("open %s: %s", path, strerror(-r));
	errno = -r;
	return -1;
}

/*
 * fd's device if fd is still the socket we handed out.  A stale entry (the number closed
 * behind our back, e.g. by a raw syscall, and reused) is kept: its shared memory is released
 * when that number is closed (teeshim_forget).
 */
static struct teeshim_dev *lookup(int fd)
{
	return shim_fd_table_lookup(&table, fd, SHIM_FD_KEEP_STALE);
}

bool teeshim_owns(int fd)
{
	return lookup(fd) != NULL;
}

void teeshim_forget(int fd)
{
	struct teeshim_dev copy;

	if (!shim_fd_table_take(&table, fd, &copy))
		return;
	for (size_t i = 0; i < TEESHIM_MAX_SHMS; i++) {
		if (copy.shms[i].map)
			munmap(copy.shms[i].map, copy.shms[i].size);
		if (copy.shms[i].fd >= 0 && copy.shms[i].id)
			close(copy.shms[i].fd);
	}
}

struct teeshim_shm *teeshim_shm_find(struct teeshim_dev *dev, int64_t id)
{
	if (id <= 0)
		return NULL;
	for (size_t i = 0; i < TEESHIM_MAX_SHMS; i++)
		if (dev->shms[i].id == id)
			return &dev->shms[i];
	return NULL;
}

int teeshim_buf_check(uint64_t buf_len, uint64_t arg_size, uint32_t num_params)
{
	if (buf_len > TEE_MAX_ARG_SIZE || buf_len < arg_size)
		return -EINVAL;
	if (arg_size + (uint64_t)num_params * sizeof(struct tee_ioctl_param) != buf_len)
		return -EINVAL;
	return 0;
}

/* ---- ioctls ------------------------------------------------------------------------- */

static int do_version(struct teeshim_dev *dev, struct tee_ioctl_version_data *v)
{
	/* optee_get_version() without dynamic shm; tee_core adds PRIVILEGED for teepriv. */
	v->impl_id = TEE_IMPL_ID_OPTEE;
	v->impl_caps = TEE_OPTEE_CAP_TZ;
	v->gen_caps = dev->supp ? TEE_GEN_CAP_PRIVILEGED : TEE_GEN_CAP_GP | TEE_GEN_CAP_MEMREF_NULL;
	return 0;
}

/* A new fd, or -errno. */
static int do_shm_alloc(struct teeshim_dev *dev, struct tee_ioctl_shm_alloc_data *data)
{
	long page = sysconf(_SC_PAGESIZE);
	struct teeshim_shm *slot = NULL;

	if (data->flags != 0)
		return -EINVAL;
	if (data->size == 0 || data->size > (64u << 20))
		return -ENOMEM; /* the pool has no room (stmmd takes at most 64 MiB) */
	uint64_t size = (data->size + (uint64_t)page - 1) & ~((uint64_t)page - 1);
	for (size_t i = 0; i < TEESHIM_MAX_SHMS && !slot; i++)
		if (!dev->shms[i].id)
			slot = &dev->shms[i];
	if (!slot)
		return -ENOMEM;
	int mfd = memfd_create("tee_shm", MFD_ALLOW_SEALING);
	if (mfd < 0)
		return -errno;
	if (ftruncate(mfd, (off_t)size) < 0) {
		int r = -errno;
		close(mfd);
		return r;
	}
	static int32_t next_shm_id;
	int32_t id = 0;
	do
		id = __atomic_add_fetch(&next_shm_id, 1, __ATOMIC_RELAXED) & 0x7fffffff;
	while (id == 0 || teeshim_shm_find(dev, id));
	slot->remote_id = 0;
	if (dev->supp) {
		/* The supplicant's own buffers: only the shim reads them (supp.c). */
		int keep = fcntl(mfd, F_DUPFD_CLOEXEC, 0);
		if (keep < 0) {
			close(mfd);
			return -ENOMEM;
		}
		slot->fd = keep;
	} else {
		struct emu_tee_register_shm req = { .size = size };
		struct emu_tee_result res;
		pthread_mutex_lock(&io_lock);
		int r = call(dev, EMU_MSG_TEE_REGISTER_SHM_REQ, &req, sizeof(req), mfd,
			     EMU_MSG_TEE_REGISTER_SHM_RSP, &res, sizeof(res));
		pthread_mutex_unlock(&io_lock);
		if (r < 0 || res.ret != TEE_SUCCESS || res.id == 0) {
			close(mfd);
			teeshim_debug("SHM_ALLOC: stmmd refused: %s / 0x%08x", r < 0 ? strerror(-r) : "",
				      r < 0 ? 0 : res.ret);
			return -ENOMEM;
		}
		slot->remote_id = res.id;
		slot->fd = -1;
	}
	slot->id = id;
	slot->size = size;
	slot->map = NULL;
	data->id = id;
	data->size = size;
	data->flags = 0;
	return mfd;
}

static bool attr_known(uint64_t attr)
{
	if (attr & ~(uint64_t)(TEE_IOCTL_PARAM_ATTR_TYPE_MASK | TEE_IOCTL_PARAM_ATTR_META))
		return false;
	switch (attr & TEE_IOCTL_PARAM_ATTR_TYPE_MASK) {
	case TEE_IOCTL_PARAM_ATTR_TYPE_NONE:
	case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT:
	case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT:
	case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT:
	case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT:
	case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT:
	case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT:
		return true;
	default:
		return false;
	}
}

static bool is_memref(uint64_t type)
{
	return type >= TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT &&
	       type <= TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT;
}

/*
 * params_from_user(): ioctl params -> stmmd's four.  -EINVAL as the kernel; *ret_tee set
 * to a TEE error (origin COMMS) for what OP-TEE would refuse (a fifth parameter in use).
 */
static int params_to_emu(struct teeshim_dev *dev, const struct tee_ioctl_param *p, uint32_t n,
			 struct emu_tee_param out[TEE_NUM_PARAMS], uint32_t *ret_types,
			 uint32_t *ret_tee)
{
	uint32_t types = 0;

	*ret_tee = TEE_SUCCESS;
	memset(out, 0, sizeof(struct emu_tee_param) * TEE_NUM_PARAMS);
	for (uint32_t i = 0; i < n; i++) {
		if (!attr_known(p[i].attr))
			return -EINVAL;
		uint64_t type = p[i].attr & TEE_IOCTL_PARAM_ATTR_TYPE_MASK;
		uint32_t remote = 0;
		if (is_memref(type) && p[i].c != UINT64_MAX) {
			struct teeshim_shm *shm = teeshim_shm_find(dev, (int64_t)p[i].c);
			if (!shm || p[i].a > shm->size || p[i].b > shm->size - p[i].a)
				return -EINVAL;
			remote = shm->remote_id;
		}
		if (i >= TEE_NUM_PARAMS) {
			if (type != TEE_IOCTL_PARAM_ATTR_TYPE_NONE)
				*ret_tee = TEE_ERROR_BAD_PARAMETERS;
			continue;
		}
		types |= (uint32_t)type << (i * 4);
		if (is_memref(type)) {
			/* A NULL memref (c = -1) names no shm: stmmd refuses id 0 like a bad one. */
			out[i].a = remote;
			out[i].b = p[i].a;
			out[i].c = p[i].b;
		} else {
			out[i].a = p[i].a;
			out[i].b = p[i].b;
			out[i].c = p[i].c;
		}
	}
	*ret_types = types;
	return 0;
}

/* params_to_user(): values of outputs, the size of output memrefs. */
static void params_from_emu(struct tee_ioctl_param *p, uint32_t n,
			    const struct emu_tee_param in[TEE_NUM_PARAMS])
{
	for (uint32_t i = 0; i < n && i < TEE_NUM_PARAMS; i++) {
		switch (p[i].attr & TEE_IOCTL_PARAM_ATTR_TYPE_MASK) {
		case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT:
		case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT:
			p[i].a = in[i].a;
			p[i].b = in[i].b;
			p[i].c = in[i].c;
			break;
		case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT:
		case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT:
			p[i].b = in[i].c;
			break;
		default:
			break;
		}
	}
}

static int do_open_session(struct teeshim_dev *dev, struct tee_ioctl_buf_data *buf)
{
	struct tee_ioctl_open_session_arg *arg = (void *)(uintptr_t)buf->buf_ptr;
	struct emu_tee_param ep[TEE_NUM_PARAMS];
	uint32_t types, tee;

	if (buf->buf_len < sizeof(*arg) ||
	    teeshim_buf_check(buf->buf_len, sizeof(*arg), arg->num_params) < 0)
		return -EINVAL;
	if (arg->clnt_login >= TEE_IOCTL_LOGIN_REE_KERNEL_MIN &&
	    arg->clnt_login <= TEE_IOCTL_LOGIN_REE_KERNEL_MAX)
		return -EPERM;
	int r = params_to_emu(dev, arg->params, arg->num_params, ep, &types, &tee);
	if (r < 0)
		return r;

	struct emu_tee_open_session req;
	struct emu_tee_result res = { .ret = TEE_SUCCESS };
	memcpy(req.uuid, arg->uuid, sizeof(req.uuid));
	pthread_mutex_lock(&io_lock);
	r = call(dev, EMU_MSG_TEE_OPEN_SESSION_REQ, &req, sizeof(req), -1,
		 EMU_MSG_TEE_OPEN_SESSION_RSP, &res, sizeof(res));
	pthread_mutex_unlock(&io_lock);
	if (r < 0) {
		teeshim_debug("OPEN_SESSION: stmmd: %s", strerror(-r));
		res.ret = TEE_ERROR_COMMUNICATION;
		res.origin = TEE_ORIGIN_COMMS;
		res.id = 0;
	}
	arg->session = res.ret == TEE_SUCCESS ? res.id : 0;
	arg->ret = res.ret;
	arg->ret_origin = res.origin;
	return 0;
}

static int do_invoke(struct teeshim_dev *dev, struct tee_ioctl_buf_data *buf)
{
	struct tee_ioctl_invoke_arg *arg = (void *)(uintptr_t)buf->buf_ptr;
	struct emu_tee_invoke req = { 0 };
	struct emu_tee_invoke_rsp rsp = { 0 };
	uint32_t tee;

	if (buf->buf_len < sizeof(*arg) ||
	    teeshim_buf_check(buf->buf_len, sizeof(*arg), arg->num_params) < 0)
		return -EINVAL;
	int r = params_to_emu(dev, arg->params, arg->num_params, req.params, &req.param_types, &tee);
	if (r < 0)
		return r;
	if (tee != TEE_SUCCESS) {
		arg->ret = tee;
		arg->ret_origin = TEE_ORIGIN_COMMS;
		return 0;
	}
	req.session = arg->session;
	req.cmd = arg->func;
	pthread_mutex_lock(&io_lock);
	r = call(dev, EMU_MSG_TEE_INVOKE_REQ, &req, sizeof(req), -1, EMU_MSG_TEE_INVOKE_RSP, &rsp,
		 sizeof(rsp));
	pthread_mutex_unlock(&io_lock);
	if (r < 0) {
		teeshim_debug("INVOKE: stmmd: %s", strerror(-r));
		arg->ret = TEE_ERROR_COMMUNICATION;
		arg->ret_origin = TEE_ORIGIN_COMMS;
		return 0;
	}
	arg->ret = rsp.ret;
	arg->ret_origin = rsp.origin;
	params_from_emu(arg->params, arg->num_params, rsp.params);
	return 0;
}

static int do_close_session(struct teeshim_dev *dev, const struct tee_ioctl_close_session_arg *a)
{
	struct emu_tee_result res;
	uint32_t session = a->session;

	pthread_mutex_lock(&io_lock);
	int r = call(dev, EMU_MSG_TEE_CLOSE_SESSION_REQ, &session, sizeof(session), -1,
		     EMU_MSG_TEE_CLOSE_SESSION_RSP, &res, sizeof(res));
	pthread_mutex_unlock(&io_lock);
	if (r < 0)
		return -EIO;
	return res.ret == TEE_SUCCESS ? 0 : -EINVAL; /* optee_close_session(): unknown -> EINVAL */
}

int teeshim_ioctl(int fd, unsigned long request, void *arg)
{
	struct teeshim_dev *dev = lookup(fd);
	int r;

	if (!dev) {
		errno = EBADF;
		return -1;
	}
	if (!arg) {
		errno = EFAULT;
		return -1;
	}
	switch (request) {
	case TEE_IOC_VERSION:
		r = do_version(dev, arg);
		break;
	case TEE_IOC_SHM_ALLOC:
		r = do_shm_alloc(dev, arg);
		break;
	/* The supplicant device has no session ops; the client device no supplicant ops. */
	case TEE_IOC_OPEN_SESSION:
		r = dev->supp ? -EINVAL : do_open_session(dev, arg);
		break;
	case TEE_IOC_INVOKE:
		r = dev->supp ? -EINVAL : do_invoke(dev, arg);
		break;
	case TEE_IOC_CANCEL:
		r = dev->supp ? -EINVAL : 0; /* optee_cancel_req(): nothing runs long enough */
		break;
	case TEE_IOC_CLOSE_SESSION:
		r = dev->supp ? -EINVAL : do_close_session(dev, arg);
		break;
	case TEE_IOC_SUPPL_RECV:
		r = dev->supp ? teeshim_supp_recv(dev, arg) : -EINVAL;
		break;
	case TEE_IOC_SUPPL_SEND:
		r = dev->supp ? teeshim_supp_send(dev, arg) : -EINVAL;
		break;
	default:
		r = -EINVAL; /* SHM_REGISTER too: gen_caps has no REG_MEM */
		break;
	}
	if (r < 0) {
		teeshim_debug("ioctl 0x%lx on fd %d: %s", request, fd, strerror(-r));
		errno = -r;
		return -1;
	}
	return r;
}
