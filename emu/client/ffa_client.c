/* SPDX-License-Identifier: MIT */
/*
 * U-Boot's FF-A MM transport (ffa_client.h).  The order of calls, the registers and the
 * error tables follow ../shared/research/next-wave-anchors.md §4.1-4.2.
 */
#include "ffa_client.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib.h>

#include "bytes.h"
#include "mm.h"
#include "tee_client.h"

#define FFA_MAX_PARTITIONS 32u

struct ffa_client {
	struct ffa_client_ops ops;
	struct ffa_client_config cfg;
	bool probed;
	uint16_t own_id;
	uint16_t sp_id;         /* 0 until discovered (U-Boot's mm_sp_id) */
	/* RX/TX: one memfd, TX then RX */
	int rxtx_fd;
	uint8_t *rxtx;
	size_t rxtx_size;
	uint32_t pages;
	/* the MM shared buffer */
	int mm_fd;
	uint8_t *mm;
	bool mm_declared;
	struct ffa_partition_info parts[FFA_MAX_PARTITIONS];
	size_t nparts;
};

int ffa_errno(int32_t e)
{
	switch (e) {
	case FFA_RET_NOT_SUPPORTED: return -EOPNOTSUPP;
	case FFA_RET_INVALID_PARAMETERS: return -EINVAL;
	case FFA_RET_NO_MEMORY: return -ENOMEM;
	case FFA_RET_BUSY: return -EBUSY;
	case FFA_RET_INTERRUPTED: return -EINTR;
	case FFA_RET_DENIED: return -EACCES;
	case FFA_RET_RETRY: return -EAGAIN;
	case FFA_RET_ABORTED: return -ECANCELED;
	default: return -EINVAL;
	}
}

int ffa_client_new(const struct ffa_client_ops *ops, const struct ffa_client_config *cfg,
		   struct ffa_client **ret)
{
	if (!ops || !ops->call || !cfg || cfg->mm_buf_size < MM_COMMUNICATE_HEADER_SIZE ||
	    cfg->mm_buf_size > FFA_EMU_MM_BUF_MAX || cfg->mm_buf_offset >= cfg->mm_buf_size)
		return -EINVAL;
	struct ffa_client *fc = g_new0(struct ffa_client, 1);
	fc->ops = *ops;
	fc->cfg = *cfg;
	fc->rxtx_fd = -1;
	fc->mm_fd = -1;
	int r = emu_teec_memfd_map("stmm-emu-ffa-mm-buf", (size_t)cfg->mm_buf_size, &fc->mm_fd, &fc->mm);
	if (r < 0) {
		g_free(fc);
		return r;
	}
	*ret = fc;
	return 0;
}

void ffa_client_free(struct ffa_client *fc)
{
	if (!fc)
		return;
	if (fc->rxtx) {
		munmap(fc->rxtx, fc->rxtx_size);
		close(fc->rxtx_fd);
	}
	if (fc->mm) {
		munmap(fc->mm, (size_t)fc->cfg.mm_buf_size);
		close(fc->mm_fd);
	}
	g_free(fc);
}

uint16_t ffa_client_sp_id(const struct ffa_client *fc)
{
	return fc->sp_id;
}

uint16_t ffa_client_own_id(const struct ffa_client *fc)
{
	return fc->own_id;
}

size_t ffa_client_partitions(const struct ffa_client *fc, const struct ffa_partition_info **ret)
{
	*ret = fc->parts;
	return fc->nparts;
}

/* One call; an FFA_ERROR reply is its errno, anything but `want` -EPROTO. */
static int invoke(struct ffa_client *fc, const struct ffa_regs *in, int fd, uint32_t want,
		  struct ffa_regs *ret_out)
{
	int r = fc->ops.call(fc->ops.ctx, in, fd, ret_out);
	if (r < 0)
		return r;
	if ((uint32_t)ret_out->x[0] == FFA_ERROR)
		return ffa_errno((int32_t)(uint32_t)ret_out->x[2]);
	return (uint32_t)ret_out->x[0] == want ? 0 : -EPROTO;
}

static int rx_release(struct ffa_client *fc)
{
	struct ffa_regs in = { .x = { FFA_RX_RELEASE } }, out;
	return invoke(fc, &in, -1, FFA_SUCCESS_32, &out);
}

/* PARTITION_INFO_GET with the UUID in w1..w4, descriptors read from RX, then RX_RELEASE. */
static int partition_info_get(struct ffa_client *fc, const uint32_t uuid_w[4],
			      struct ffa_partition_info *ret_parts, size_t max, size_t *ret_count)
{
	struct ffa_regs in = { .x = { FFA_PARTITION_INFO_GET, uuid_w[0], uuid_w[1], uuid_w[2],
				      uuid_w[3] } }, out;
	int r = invoke(fc, &in, -1, FFA_SUCCESS_32, &out);
	if (r < 0)
		return r;
	uint32_t count = (uint32_t)out.x[2];
	const uint8_t *rx = fc->rxtx + (size_t)fc->pages * FFA_PAGE_SIZE;
	if ((size_t)count * sizeof(struct ffa_partition_info) > (size_t)fc->pages * FFA_PAGE_SIZE)
		count = 0; /* more than the RX buffer holds: a broken SPMC */
	size_t n = MIN((size_t)count, max);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *d = rx + i * sizeof(struct ffa_partition_info);
		ret_parts[i].id = get_le16(d);
		ret_parts[i].exec_ctxt = get_le16(d + 2);
		ret_parts[i].properties = get_le32(d + 4);
	}
	r = rx_release(fc);
	if (r < 0)
		return r;
	*ret_count = n;
	return 0;
}

static int do_probe(struct ffa_client *fc)
{
	struct ffa_regs in, out;
	int r;

	/* 1. VERSION: w1 = v1.0; the answer's major must be 1. */
	in = (struct ffa_regs){ .x = { FFA_VERSION, FFA_VERSION_1_0 } };
	if ((r = fc->ops.call(fc->ops.ctx, &in, -1, &out)) < 0)
		return r;
	uint32_t v = (uint32_t)out.x[0];
	if ((int32_t)v == FFA_RET_NOT_SUPPORTED)
		return -EOPNOTSUPP;
	if (((v >> 16) & 0x7fff) != 1)
		return -EPROTONOSUPPORT;

	/* 2. ID_GET */
	in = (struct ffa_regs){ .x = { FFA_ID_GET } };
	if ((r = invoke(fc, &in, -1, FFA_SUCCESS_32, &out)) < 0)
		return r;
	fc->own_id = (uint16_t)out.x[2];

	/* 3. FEATURES(RXTX_MAP_64): the minimum buffer size */
	in = (struct ffa_regs){ .x = { FFA_FEATURES, FFA_RXTX_MAP_64 } };
	if ((r = invoke(fc, &in, -1, FFA_SUCCESS_32, &out)) < 0)
		return r;
	static const size_t min_size[] = { 4096, 65536, 16384 };
	uint32_t code = (uint32_t)out.x[2] & 0x3u;
	if (code > 2)
		return -EINVAL;
	size_t size = min_size[code];

	/* 4. RXTX_MAP_64: x1 = TX, x2 = RX, x3 = pages (our memfd carries TX then RX) */
	fc->pages = (uint32_t)(size / FFA_PAGE_SIZE);
	fc->rxtx_size = 2 * size;
	if ((r = emu_teec_memfd_map("stmm-emu-ffa-rxtx", fc->rxtx_size, &fc->rxtx_fd, &fc->rxtx)) < 0)
		return r;
	uint64_t tx_addr = (uint64_t)(uintptr_t)fc->rxtx, rx_addr = tx_addr + size;
	in = (struct ffa_regs){ .x = { FFA_RXTX_MAP_64, tx_addr, rx_addr, fc->pages } };
	if ((r = invoke(fc, &in, fc->rxtx_fd, FFA_SUCCESS_32, &out)) < 0)
		return r;

	/* 5. PARTITION_INFO_GET(nil): cache every partition */
	static const uint32_t nil[4];
	size_t n = 0;
	if ((r = partition_info_get(fc, nil, fc->parts, FFA_MAX_PARTITIONS, &n)) < 0)
		return r;
	fc->nparts = n;
	return 0;
}

/* ffa_discover_mm_sp_id: the first cached partition the MM SP UUID matches. */
static int discover_mm_sp(struct ffa_client *fc)
{
	static const uint32_t mm_uuid[4] = { FFA_MM_SP_UUID_W1, FFA_MM_SP_UUID_W2,
					     FFA_MM_SP_UUID_W3, FFA_MM_SP_UUID_W4 };
	struct ffa_partition_info found[FFA_MAX_PARTITIONS];
	size_t n = 0;
	int r = partition_info_get(fc, mm_uuid, found, FFA_MAX_PARTITIONS, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < fc->nparts; j++)
			if (found[i].id == fc->parts[j].id) {
				fc->sp_id = found[i].id;
				return 0;
			}
	return -ENODEV;
}

int ffa_client_probe(struct ffa_client *fc)
{
	if (!fc->probed) {
		int r = do_probe(fc);
		if (r < 0)
			return r;
		fc->probed = true;
	}
	if (!fc->sp_id) {
		int r = discover_mm_sp(fc);
		if (r < 0)
			return r;
	}
	if (!fc->mm_declared && fc->ops.declare_mm_buf) {
		int r = fc->ops.declare_mm_buf(fc->ops.ctx, fc->mm_fd, fc->cfg.mm_buf_addr,
					       fc->cfg.mm_buf_size);
		if (r < 0)
			return r;
		fc->mm_declared = true;
	}
	return 0;
}

/*
 * ffa_notify_mm_sp: the door bell.  0 or U-Boot's errno: the MM code in x3 mapped
 * (0 ok, -1 EINVAL, -2 EPERM, -3 EACCES, -5 EBUSY, other EACCES), an FF-A error its errno.
 */
static int notify_mm_sp(struct ffa_client *fc)
{
	uint64_t x3 = fc->cfg.mm_buf_offset;
	if (fc->cfg.x3_address)
		x3 += fc->cfg.mm_buf_addr;
	struct ffa_regs in = { .x = { FFA_MSG_SEND_DIRECT_REQ_64,
				      FFA_ENDPOINTS(fc->own_id, fc->sp_id), 0, x3 } }, out;
	int r;

	for (;;) {
		if ((r = fc->ops.call(fc->ops.ctx, &in, -1, &out)) < 0)
			return r;
		uint32_t f = (uint32_t)out.x[0];
		if (f == FFA_INTERRUPT) {
			/* Resume the SP with FFA_RUN, w1 echoed. */
			in = (struct ffa_regs){ .x = { FFA_RUN, out.x[1] } };
			continue;
		}
		if (f == FFA_ERROR)
			return ffa_errno((int32_t)(uint32_t)out.x[2]);
		if (f == FFA_SUCCESS_32 || f == FFA_SUCCESS_64) {
			/* "sent, no response": x3 keeps what was sent */
			out.x[3] = x3;
			break;
		}
		if (f != FFA_MSG_SEND_DIRECT_RESP_64 && f != FFA_MSG_SEND_DIRECT_RESP_32)
			return -EPROTO;
		break;
	}
	switch ((int32_t)(uint32_t)out.x[3]) {
	case FFA_MM_RET_SUCCESS: return 0;
	case FFA_MM_RET_NOT_SUPPORTED: return -EINVAL;
	case FFA_MM_RET_INVALID_PARAMETERS: return -EPERM;
	case FFA_MM_RET_DENIED: return -EACCES;
	case FFA_MM_RET_NO_MEMORY: return -EBUSY;
	default: return -EACCES;
	}
}

efi_status_t ffa_client_mm_communicate(struct ffa_client *fc, uint8_t *comm_buf, size_t size,
				       const char **ret_what)
{
	const char *dummy;
	if (!ret_what)
		ret_what = &dummy;
	*ret_what = "";

	if (!comm_buf || size < MM_COMMUNICATE_HEADER_SIZE) {
		*ret_what = "no MM buffer";
		return EFI_INVALID_PARAMETER;
	}
	uint64_t tx = get_le64(comm_buf + 16) + MM_COMMUNICATE_HEADER_SIZE;
	if (tx != size) {
		*ret_what = "MessageLength + 24 is not the buffer size";
		return EFI_INVALID_PARAMETER;
	}
	if (tx > fc->cfg.mm_buf_size - fc->cfg.mm_buf_offset) {
		*ret_what = "message larger than CONFIG_FFA_SHARED_MM_BUF_SIZE";
		return EFI_INVALID_PARAMETER;
	}
	if (ffa_client_probe(fc) < 0) {
		*ret_what = "FF-A: no MM partition (probe or discovery failed)";
		return EFI_UNSUPPORTED;
	}
	uint8_t *shared = fc->mm + fc->cfg.mm_buf_offset;
	memcpy(shared, comm_buf, size);
	int r = notify_mm_sp(fc);
	switch (r) {
	case 0: {
		uint64_t rx = get_le64(shared + 16) + MM_COMMUNICATE_HEADER_SIZE;
		if (rx < MM_COMMUNICATE_HEADER_SIZE || rx > size) {
			*ret_what = "answer longer than the caller's buffer";
			return EFI_OUT_OF_RESOURCES;
		}
		memcpy(comm_buf, shared, (size_t)rx);
		return EFI_SUCCESS;
	}
	case -EINVAL:
		*ret_what = "MM SP: NOT_SUPPORTED or FF-A INVALID_PARAMETERS";
		return EFI_DEVICE_ERROR;
	case -EPERM:
		*ret_what = "MM SP: INVALID_PARAMETER";
		return EFI_INVALID_PARAMETER;
	case -EACCES:
		*ret_what = "MM SP: DENIED";
		return EFI_ACCESS_DENIED;
	case -EBUSY:
		*ret_what = "MM SP: NO_MEMORY or FF-A BUSY";
		return EFI_OUT_OF_RESOURCES;
	default:
		*ret_what = "FF-A door bell failed";
		return EFI_ACCESS_DENIED;
	}
}
