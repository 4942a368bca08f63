/* SPDX-License-Identifier: MIT */
/*
 * The SPMC of ffa_spmc.h.  Behaviour from FF-A v1.0 (DEN0077A) as U-Boot's arm-ffa driver
 * relies on it, and from Trusted Services' smm-gateway (mm_communicate_call_ep_receive):
 * ../shared/research/next-wave-anchors.md §4.
 */
#include "ffa_spmc.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"
#include "mm.h"
#include "pta_stmm.h"

struct ffa_membuf {
	gint refs;
	int fd;
	uint8_t *map;
	size_t size;
};

struct ffa_endpoint {
	enum ffa_sp_profile profile;
	struct ffa_membuf *rxtx;  /* TX then RX, pages each */
	uint32_t pages;
	bool rx_full;             /* the caller owns RX (PARTITION_INFO_GET until RX_RELEASE) */
	struct ffa_membuf *mm_buf;
	uint64_t mm_base;
};

struct partition {
	uint8_t uuid[16];
	struct ffa_partition_info info;
};

static const struct partition partitions[] = {
	{ FFA_OPTEE_UUID_OCTETS,
	  { FFA_EMU_OPTEE_ID, 1, FFA_PART_PROP_DIRECT_RECV | FFA_PART_PROP_DIRECT_SEND } },
	{ FFA_MM_SP_UUID_OCTETS,
	  { FFA_EMU_MM_SP_ID, 1, FFA_PART_PROP_DIRECT_RECV | FFA_PART_PROP_DIRECT_SEND } },
};

int ffa_sp_profile_from_name(const char *name, enum ffa_sp_profile *ret)
{
	if (g_strcmp0(name, "smm-gateway") == 0)
		*ret = FFA_SP_SMM_GATEWAY;
	else if (g_strcmp0(name, "edk2") == 0)
		*ret = FFA_SP_EDK2;
	else
		return -EINVAL;
	return 0;
}

const char *ffa_sp_profile_name(enum ffa_sp_profile p)
{
	return p == FFA_SP_EDK2 ? "edk2" : "smm-gateway";
}

/* ---- shared memory -------------------------------------------------------------------- */

/* Map `size` bytes of a memfd whose size is sealed (the client cannot shrink it under us).
 * Takes fd on success. */
static int membuf_new(int fd, uint64_t size, struct ffa_membuf **ret)
{
	struct stat st;

	if (fd < 0 || size == 0 || size > FFA_EMU_MM_BUF_MAX)
		return -EINVAL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < size)
		return -EINVAL;
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (!(seals & F_SEAL_SHRINK) && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0))
		return -EINVAL;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size < size)
		return -EINVAL;
	void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -EINVAL;
	struct ffa_membuf *b = g_new0(struct ffa_membuf, 1);
	b->refs = 1;
	b->fd = fd;
	b->map = map;
	b->size = (size_t)size;
	*ret = b;
	return 0;
}

struct ffa_membuf *ffa_membuf_ref(struct ffa_membuf *b)
{
	if (b)
		g_atomic_int_inc(&b->refs);
	return b;
}

void ffa_membuf_unref(struct ffa_membuf *b)
{
	if (!b || !g_atomic_int_dec_and_test(&b->refs))
		return;
	munmap(b->map, b->size);
	close(b->fd);
	g_free(b);
}

struct ffa_endpoint *ffa_endpoint_new(enum ffa_sp_profile profile)
{
	struct ffa_endpoint *ep = g_new0(struct ffa_endpoint, 1);
	ep->profile = profile;
	return ep;
}

void ffa_endpoint_free(struct ffa_endpoint *ep)
{
	if (!ep)
		return;
	ffa_membuf_unref(ep->rxtx);
	ffa_membuf_unref(ep->mm_buf);
	g_free(ep);
}

int ffa_endpoint_set_mm_buf(struct ffa_endpoint *ep, int fd, uint64_t base, uint64_t size)
{
	if (ep->mm_buf)
		return -EEXIST;
	if (base > UINT64_MAX - size)
		return -EINVAL;
	int r = membuf_new(fd, size, &ep->mm_buf);
	if (r < 0)
		return r;
	ep->mm_base = base;
	return 0;
}

void ffa_mm_call_clear(struct ffa_mm_call *mm)
{
	if (!mm)
		return;
	ffa_membuf_unref(mm->buf);
	memset(mm, 0, sizeof(*mm));
}

/* ---- replies -------------------------------------------------------------------------- */

static enum ffa_spmc_outcome error(struct ffa_regs *out, int32_t code)
{
	memset(out, 0, sizeof(*out));
	out->x[0] = FFA_ERROR;
	out->x[2] = (uint32_t)code; /* w2; an SMC32 result leaves the upper half zero */
	return FFA_SPMC_ANSWERED;
}

static enum ffa_spmc_outcome success32(struct ffa_regs *out, uint32_t w2)
{
	memset(out, 0, sizeof(*out));
	out->x[0] = FFA_SUCCESS_32;
	out->x[2] = w2;
	return FFA_SPMC_ANSWERED;
}

/* ---- the calls ------------------------------------------------------------------------ */

static enum ffa_spmc_outcome do_version(const struct ffa_regs *in, struct ffa_regs *out)
{
	uint32_t w1 = (uint32_t)in->x[1];

	memset(out, 0, sizeof(*out));
	/* Bit 31 must be zero in a version number; a caller with another major is refused. */
	if ((w1 & 0x80000000u) || (w1 >> FFA_VERSION_MAJOR_SHIFT) != 1) {
		out->x[0] = (uint32_t)FFA_RET_NOT_SUPPORTED;
		return FFA_SPMC_ANSWERED;
	}
	out->x[0] = FFA_VERSION_1_0;
	return FFA_SPMC_ANSWERED;
}

static bool supported(uint32_t fid)
{
	switch (fid) {
	case FFA_ERROR: case FFA_SUCCESS_32: case FFA_SUCCESS_64: case FFA_VERSION:
	case FFA_FEATURES: case FFA_RX_RELEASE: case FFA_RXTX_MAP_64: case FFA_RXTX_UNMAP:
	case FFA_PARTITION_INFO_GET: case FFA_ID_GET: case FFA_MSG_SEND_DIRECT_REQ_32:
	case FFA_MSG_SEND_DIRECT_REQ_64: case FFA_MSG_SEND_DIRECT_RESP_32:
	case FFA_MSG_SEND_DIRECT_RESP_64:
		return true;
	default:
		return false;
	}
}

static enum ffa_spmc_outcome do_features(const struct ffa_regs *in, struct ffa_regs *out)
{
	uint32_t fid = (uint32_t)in->x[1];

	if (!supported(fid))
		return error(out, FFA_RET_NOT_SUPPORTED);
	/* RXTX_MAP: w2[1:0] = minimum buffer size and alignment, 4 KiB here. */
	return success32(out, fid == FFA_RXTX_MAP_64 ? FFA_RXTX_MIN_4K : 0);
}

static enum ffa_spmc_outcome do_rxtx_map(struct ffa_endpoint *ep, const struct ffa_regs *in,
					 int *io_fd, struct ffa_regs *out)
{
	uint64_t tx = in->x[1], rx = in->x[2];
	uint32_t pages = (uint32_t)in->x[3] & FFA_RXTX_PAGE_COUNT_MASK;

	if (ep->rxtx)
		return error(out, FFA_RET_DENIED); /* already mapped */
	if (!tx || !rx || tx == rx || (tx | rx) % FFA_PAGE_SIZE || pages == 0 ||
	    pages > FFA_EMU_RXTX_MAX_PAGES || *io_fd < 0)
		return error(out, FFA_RET_INVALID_PARAMETERS);
	int r = membuf_new(*io_fd, 2ull * pages * FFA_PAGE_SIZE, &ep->rxtx);
	if (r < 0)
		return error(out, FFA_RET_INVALID_PARAMETERS);
	*io_fd = -1;
	ep->pages = pages;
	ep->rx_full = false;
	return success32(out, 0);
}

static enum ffa_spmc_outcome do_rxtx_unmap(struct ffa_endpoint *ep, const struct ffa_regs *in,
					   struct ffa_regs *out)
{
	/* w1[31:16] = the endpoint whose buffers go; only our own. */
	if (!ep->rxtx || FFA_SENDER(in->x[1]) != FFA_EMU_NS_ID)
		return error(out, FFA_RET_INVALID_PARAMETERS);
	g_clear_pointer(&ep->rxtx, ffa_membuf_unref);
	ep->pages = 0;
	ep->rx_full = false;
	return success32(out, 0);
}

static enum ffa_spmc_outcome do_rx_release(struct ffa_endpoint *ep, struct ffa_regs *out)
{
	if (!ep->rxtx || !ep->rx_full)
		return error(out, FFA_RET_DENIED);
	ep->rx_full = false;
	return success32(out, 0);
}

static enum ffa_spmc_outcome do_partition_info_get(struct ffa_endpoint *ep,
						   const struct ffa_regs *in,
						   struct ffa_regs *out)
{
	uint8_t uuid[16];
	static const uint8_t nil[16];

	for (unsigned i = 0; i < 4; i++)
		put_le32(uuid + 4 * i, (uint32_t)in->x[1 + i]);
	if (!ep->rxtx)
		return error(out, FFA_RET_DENIED);
	if (ep->rx_full)
		return error(out, FFA_RET_BUSY);

	uint8_t *rx = ep->rxtx->map + (size_t)ep->pages * FFA_PAGE_SIZE;
	size_t room = (size_t)ep->pages * FFA_PAGE_SIZE / sizeof(struct ffa_partition_info);
	uint32_t count = 0;
	for (size_t i = 0; i < G_N_ELEMENTS(partitions); i++) {
		if (memcmp(uuid, nil, 16) != 0 && memcmp(uuid, partitions[i].uuid, 16) != 0)
			continue;
		if (count == room)
			return error(out, FFA_RET_NO_MEMORY);
		uint8_t *d = rx + count * sizeof(struct ffa_partition_info);
		put_le16(d, partitions[i].info.id);
		put_le16(d + 2, partitions[i].info.exec_ctxt);
		put_le32(d + 4, partitions[i].info.properties);
		count++;
	}
	if (count == 0)
		return error(out, FFA_RET_INVALID_PARAMETERS);
	ep->rx_full = true;
	return success32(out, count);
}

static enum ffa_spmc_outcome do_direct_req(struct ffa_endpoint *ep, const struct ffa_regs *in,
					   struct ffa_regs *out, struct ffa_mm_call *ret_mm)
{
	bool smc32 = (uint32_t)in->x[0] == FFA_MSG_SEND_DIRECT_REQ_32;
	uint16_t sender = FFA_SENDER(in->x[1]), receiver = FFA_RECEIVER(in->x[1]);

	if (sender != FFA_EMU_NS_ID)
		return error(out, FFA_RET_INVALID_PARAMETERS);
	if (receiver == FFA_EMU_OPTEE_ID)
		return error(out, FFA_RET_NOT_SUPPORTED); /* OP-TEE's own FF-A ABI: not emulated */
	if (receiver != FFA_EMU_MM_SP_ID)
		return error(out, FFA_RET_INVALID_PARAMETERS);

	if (smc32 && ep->profile == FFA_SP_SMM_GATEWAY) {
		/* smm-gateway's sp_main: a 32-bit request is answered at once with -1. */
		memset(out, 0, sizeof(*out));
		out->x[0] = FFA_MSG_SEND_DIRECT_RESP_32;
		out->x[1] = FFA_ENDPOINTS(receiver, sender);
		out->x[3] = (uint32_t)FFA_MM_RET_NOT_SUPPORTED;
		return FFA_SPMC_ANSWERED;
	}
	uint64_t x3 = smc32 ? (uint32_t)in->x[3] : in->x[3];
	memset(ret_mm, 0, sizeof(*ret_mm));
	ret_mm->buf = ffa_membuf_ref(ep->mm_buf);
	ret_mm->caller = sender;
	ret_mm->sp = receiver;
	ret_mm->smc32 = smc32;
	ret_mm->profile = ep->profile;
	if (ep->profile == FFA_SP_EDK2) {
		/* edk2 StMM: x3 is a physical address that must lie in the buffer. */
		ret_mm->out_of_range = !ep->mm_buf || x3 < ep->mm_base ||
				       x3 - ep->mm_base >= ep->mm_buf->size;
		ret_mm->offset = ret_mm->out_of_range ? 0 : x3 - ep->mm_base;
	} else {
		ret_mm->offset = x3;
	}
	return FFA_SPMC_MM_CALL;
}

enum ffa_spmc_outcome ffa_spmc_call(struct ffa_endpoint *ep, const struct ffa_regs *in,
				    int *io_fd, struct ffa_regs *ret_out,
				    struct ffa_mm_call *ret_mm)
{
	uint64_t x0 = in->x[0];

	/* SMC32 ids carry no upper half; a 64-bit x0 that is not a function id is refused. */
	if (x0 > UINT32_MAX)
		return error(ret_out, FFA_RET_NOT_SUPPORTED);
	switch ((uint32_t)x0) {
	case FFA_VERSION:
		return do_version(in, ret_out);
	case FFA_ID_GET:
		return success32(ret_out, FFA_EMU_NS_ID);
	case FFA_FEATURES:
		return do_features(in, ret_out);
	case FFA_RXTX_MAP_64:
		return do_rxtx_map(ep, in, io_fd, ret_out);
	case FFA_RXTX_UNMAP:
		return do_rxtx_unmap(ep, in, ret_out);
	case FFA_RX_RELEASE:
		return do_rx_release(ep, ret_out);
	case FFA_PARTITION_INFO_GET:
		return do_partition_info_get(ep, in, ret_out);
	case FFA_MSG_SEND_DIRECT_REQ_32:
	case FFA_MSG_SEND_DIRECT_REQ_64:
		return do_direct_req(ep, in, ret_out, ret_mm);
	default:
		return error(ret_out, FFA_RET_NOT_SUPPORTED);
	}
}

/* ---- the door bell, on the worker ----------------------------------------------------- */

static void direct_resp(const struct ffa_mm_call *mm, int32_t code, struct ffa_regs *out)
{
	memset(out, 0, sizeof(*out));
	out->x[0] = mm->smc32 ? FFA_MSG_SEND_DIRECT_RESP_32 : FFA_MSG_SEND_DIRECT_RESP_64;
	out->x[1] = FFA_ENDPOINTS(mm->sp, mm->caller);
	/* A signed code in a 64-bit register (w3 for a 32-bit response). */
	out->x[3] = mm->smc32 ? (uint32_t)code : (uint64_t)(int64_t)code;
}

void ffa_spmc_mm_run(const struct ffa_mm_call *mm, ffa_mm_handler handler, void *ctx,
		     struct ffa_regs *ret_out)
{
	const struct ffa_membuf *b = mm->buf;

	/* offset + 24 and offset + 24 + MessageLength must fit the buffer (smm-gateway). */
	if (!b || mm->out_of_range || mm->offset > b->size ||
	    b->size - mm->offset < MM_COMMUNICATE_HEADER_SIZE) {
		direct_resp(mm, ARM_SPM_MM_RET_INVALID_PARAMS, ret_out);
		return;
	}
	uint8_t *hdr = b->map + mm->offset;
	size_t room = b->size - (size_t)mm->offset - MM_COMMUNICATE_HEADER_SIZE;
	uint64_t msg_len = get_le64(hdr + 16);
	if (msg_len > room) {
		direct_resp(mm, ARM_SPM_MM_RET_INVALID_PARAMS, ret_out);
		return;
	}
	if (!handler) {
		direct_resp(mm, ARM_SPM_MM_RET_NOT_SUPPORTED, ret_out);
		return;
	}
	/* Copy first: the normal world may change the buffer while StMM parses it. */
	size_t size = MM_COMMUNICATE_HEADER_SIZE + (size_t)msg_len;
	g_autofree uint8_t *buf = g_memdup2(hdr, size);
	int32_t code = handler(ctx, buf, size);
	/*
	 * smm-gateway writes the response length into MessageLength; this handler answers in
	 * place in the request's bytes, so the response is as long as the request.
	 */
	if (mm->profile == FFA_SP_SMM_GATEWAY)
		put_le64(buf + 16, msg_len);
	memcpy(hdr, buf, size);
	direct_resp(mm, code, ret_out);
}
