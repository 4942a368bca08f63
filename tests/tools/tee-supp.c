/* SPDX-License-Identifier: MIT */
/*
 * tee-supp: a minimal tee-supplicant written against <linux/tee.h> only.  It does what
 * optee_client's tee-supplicant does for StMM (research/next-wave-anchors.md §2.2): open
 * /dev/teepriv0, TEE_IOC_VERSION (OP-TEE), then a loop of TEE_IOC_SUPPL_RECV with five
 * parameters, parameter 0 META, and TEE_IOC_SUPPL_SEND; RPC SHM_ALLOC as TEE_IOC_SHM_ALLOC
 * + mmap of the returned fd, memrefs resolved only in its own shared memory, RPMB data
 * requests as MMC_IOC_MULTI_CMD on /dev/mmcblk0rpmb (tee-supplicant built with
 * RPMB_EMU=OFF), everything else NOT_SUPPORTED.  Run it under libtee-shim.so and
 * librpmb-shim.so in place of supplicantd (README "Transports").
 *
 * GET_DEV_INFO: tee-supplicant reads the card's CID and EXT_CSD from sysfs; this tool asks
 * rpmbd (EMU_MSG_MMC_INFO_REQ on $RPMB_SHIM_SOCKET) instead -- the one thing it does not do
 * through a device node.
 *
 *   tee-supp [--dev PATH] [-v]        serve until the device fails (exit 1) or SIGTERM
 *   tee-supp [--dev PATH] --open-only open, print "open: ok" or "open: <errno name>", exit
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/mmc/ioctl.h>
#include <linux/tee.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bytes.h"
#include "ipc.h"
#include "optee_rpmb.h"
#include "pta_stmm.h"
#include "rpmb_frame.h"

#define NUM_PARAMS 5 /* RPC_NUM_PARAMS */
#define MAX_SHMS 32
#define MMC_RSP_R1_ADTC ((1 << 0) | (1 << 2) | (1 << 4) | (1 << 5)) /* MMC_RSP_R1 | MMC_CMD_ADTC */

static bool verbose;
static const char *dev_path = "/dev/teepriv0";

struct shm {
	int id;
	int fd;
	uint8_t *map;
	uint64_t size;
};
static struct shm shms[MAX_SHMS];
static int rpmb_fd = -1;

static uint32_t rpc_shm_alloc(int fd, struct tee_ioctl_param *p, uint32_t n)
{
	if (n != 1 || (p[0].attr & TEE_IOCTL_PARAM_ATTR_TYPE_MASK) < TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT ||
	    (p[0].attr & TEE_IOCTL_PARAM_ATTR_TYPE_MASK) > TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT)
		return TEE_ERROR_BAD_PARAMETERS;
	for (int i = 0; i < MAX_SHMS; i++) {
		if (shms[i].map)
			continue;
		struct tee_ioctl_shm_alloc_data data = { .size = p[0].b };
		int sfd = ioctl(fd, TEE_IOC_SHM_ALLOC, &data);
		if (sfd < 0)
			return TEE_ERROR_OUT_OF_MEMORY;
		void *map = mmap(NULL, data.size, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
		if (map == MAP_FAILED) {
			close(sfd);
			return TEE_ERROR_OUT_OF_MEMORY;
		}
		shms[i] = (struct shm){ .id = data.id, .fd = sfd, .map = map, .size = data.size };
		p[0].c = (uint64_t)data.id;
		return TEE_SUCCESS;
	}
	return TEE_ERROR_OUT_OF_MEMORY;
}

static uint32_t rpc_shm_free(struct tee_ioctl_param *p, uint32_t n)
{
	for (int i = 0; n == 1 && i < MAX_SHMS; i++) {
		if (shms[i].map && (uint64_t)shms[i].id == p[0].b) {
			close(shms[i].fd);
			munmap(shms[i].map, shms[i].size);
			shms[i] = (struct shm){ 0 };
			return TEE_SUCCESS;
		}
	}
	return TEE_ERROR_BAD_PARAMETERS;
}

/* get_param(): a memref in our own shm, else NULL. */
static uint8_t *memref(const struct tee_ioctl_param *p, uint32_t n, uint32_t idx, size_t *ret_size)
{
	uint64_t t = idx < n ? p[idx].attr & TEE_IOCTL_PARAM_ATTR_TYPE_MASK : 0;
	if (t < TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT || t > TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT)
		return NULL;
	for (int i = 0; i < MAX_SHMS; i++)
		if (shms[i].map && (uint64_t)shms[i].id == p[idx].c && p[idx].a <= shms[i].size &&
		    p[idx].b <= shms[i].size - p[idx].a) {
			*ret_size = p[idx].b;
			return shms[i].map + p[idx].a;
		}
	return NULL;
}

static void ioc_set(struct mmc_ioc_cmd *c, bool write, bool reliable, uint32_t blocks, void *buf)
{
	memset(c, 0, sizeof(*c));
	c->opcode = write ? 25 : 18; /* MMC_WRITE_MULTIPLE_BLOCK / MMC_READ_MULTIPLE_BLOCK */
	c->write_flag = write ? 1 : 0;
	if (reliable)
		c->write_flag |= (int)(1u << 31);
	c->flags = MMC_RSP_R1_ADTC;
	c->blksz = RPMB_FRAME_SIZE;
	c->blocks = blocks;
	mmc_ioc_cmd_set_data((*c), buf);
}

/* The device's sysfs facts (see the head comment). */
static uint32_t dev_info(uint8_t *rsp, size_t rsp_size)
{
	struct rpmb_dev_info info = { .ret_code = RPMB_CMD_GET_DEV_INFO_RET_ERROR };
	const char *sock = getenv("RPMB_SHIM_SOCKET");
	int fd = -1;
	uint32_t next_id = 1;
	g_autoptr(emu_msg) reply = NULL;

	if (rsp_size != sizeof(info))
		return TEE_ERROR_BAD_PARAMETERS;
	if (sock && emu_ipc_connect(sock, &fd) == 0 &&
	    emu_ipc_call(fd, &next_id, 10000, EMU_MSG_MMC_INFO_REQ, NULL, 0, -1,
			 EMU_MSG_MMC_INFO_RSP, &reply, NULL) == 0 &&
	    reply->hdr.length == sizeof(struct emu_mmc_info)) {
		struct emu_mmc_info mi;
		memcpy(&mi, reply->payload, sizeof(mi));
		memcpy(info.cid, mi.cid, sizeof(info.cid));
		info.rpmb_size_mult = mi.rpmb_size_mult;
		info.rel_wr_sec_c = mi.rel_wr_sec_c;
		info.ret_code = RPMB_CMD_GET_DEV_INFO_RET_OK;
	}
	if (fd >= 0)
		close(fd);
	memcpy(rsp, &info, sizeof(info));
	return TEE_SUCCESS;
}

/* rpmb_process_request() of tee-supplicant, non-emulated: one MMC_IOC_MULTI_CMD. */
static uint32_t rpc_rpmb(struct tee_ioctl_param *p, uint32_t n)
{
	size_t req_size = 0, rsp_size = 0;
	uint8_t *req = memref(p, n, 0, &req_size);
	uint8_t *rsp = memref(p, n, 1, &rsp_size);
	struct rpmb_req hdr;

	if (!req || !rsp || req_size < RPMB_REQ_HEADER_SIZE)
		return TEE_ERROR_BAD_PARAMETERS;
	memcpy(&hdr, req, sizeof(hdr));
	if (hdr.cmd == RPMB_CMD_GET_DEV_INFO)
		return dev_info(rsp, rsp_size);
	if (hdr.cmd != RPMB_CMD_DATA_REQ)
		return TEE_ERROR_BAD_PARAMETERS;
	uint8_t *frames = req + RPMB_REQ_HEADER_SIZE;
	size_t nreq = (req_size - RPMB_REQ_HEADER_SIZE) / RPMB_FRAME_SIZE;
	size_t nrsp = rsp_size / RPMB_FRAME_SIZE;
	if (!nreq || nreq * RPMB_FRAME_SIZE != req_size - RPMB_REQ_HEADER_SIZE || !nrsp)
		return TEE_ERROR_BAD_PARAMETERS;
	if (rpmb_fd < 0) {
		char path[32];
		snprintf(path, sizeof(path), "/dev/mmcblk%urpmb", (unsigned)hdr.dev_id);
		rpmb_fd = open(path, O_RDWR | O_CLOEXEC);
		if (rpmb_fd < 0)
			return TEE_ERROR_GENERIC;
	}
	uint16_t type = get_be16(((struct rpmb_frame *)frames)->req_resp);
	struct {
		struct mmc_ioc_multi_cmd m;
		struct mmc_ioc_cmd c[3];
	} mc;
	memset(&mc, 0, sizeof(mc));
	switch (type) {
	case RPMB_REQ_PROGRAM_KEY:
	case RPMB_REQ_DATA_WRITE:
		if (nrsp != 1)
			return TEE_ERROR_BAD_PARAMETERS;
		ioc_set(&mc.c[0], true, true, (uint32_t)nreq, frames);
		memset(rsp, 0, RPMB_FRAME_SIZE);
		put_be16(((struct rpmb_frame *)rsp)->req_resp, RPMB_REQ_RESULT_READ);
		ioc_set(&mc.c[1], true, false, 1, rsp);
		ioc_set(&mc.c[2], false, false, 1, rsp);
		mc.m.num_of_cmds = 3;
		break;
	case RPMB_REQ_WRITE_COUNTER:
	case RPMB_REQ_DATA_READ:
		if (nreq != 1 || (type == RPMB_REQ_WRITE_COUNTER && nrsp != 1))
			return TEE_ERROR_BAD_PARAMETERS;
		ioc_set(&mc.c[0], true, false, 1, frames);
		ioc_set(&mc.c[1], false, false, (uint32_t)nrsp, rsp);
		mc.m.num_of_cmds = 2;
		break;
	default:
		return TEE_ERROR_BAD_PARAMETERS;
	}
	if (ioctl(rpmb_fd, MMC_IOC_MULTI_CMD, &mc) < 0) {
		if (verbose)
			fprintf(stderr, "tee-supp: MMC_IOC_MULTI_CMD: %s\n", strerror(errno));
		return TEE_ERROR_GENERIC;
	}
	return TEE_SUCCESS;
}

int main(int argc, char **argv)
{
	bool open_only = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dev") == 0 && i + 1 < argc)
			dev_path = argv[++i];
		else if (strcmp(argv[i], "--open-only") == 0)
			open_only = true;
		else if (strcmp(argv[i], "-v") == 0)
			verbose = true;
		else {
			fprintf(stderr, "usage: tee-supp [--dev PATH] [--open-only] [-v]\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	int fd = open(dev_path, O_RDWR);
	if (open_only) {
		printf("open: %s\n", fd >= 0 ? "ok" : errno == EBUSY ? "EBUSY" : strerror(errno));
		return fd >= 0 ? 0 : 1;
	}
	struct tee_ioctl_version_data ver;
	if (fd < 0 || ioctl(fd, TEE_IOC_VERSION, &ver) < 0 || ver.impl_id != TEE_IMPL_ID_OPTEE) {
		fprintf(stderr, "tee-supp: %s: not an OP-TEE device (%s)\n", dev_path, strerror(errno));
		return 1;
	}
	printf("tee-supp: serving %s (gen_caps 0x%x)\n", dev_path, ver.gen_caps);
	for (;;) {
		union {
			struct tee_iocl_supp_recv_arg r;
			struct tee_iocl_supp_send_arg s;
			uint8_t raw[8 + NUM_PARAMS * sizeof(struct tee_ioctl_param)];
		} u;
		memset(&u, 0, sizeof(u));
		u.r.num_params = NUM_PARAMS;
		u.r.params[0].attr = TEE_IOCTL_PARAM_ATTR_META;
		struct tee_ioctl_buf_data buf = { .buf_ptr = (uintptr_t)&u, .buf_len = sizeof(u) };
		if (ioctl(fd, TEE_IOC_SUPPL_RECV, &buf) < 0) {
			fprintf(stderr, "tee-supp: SUPPL_RECV: %s\n", strerror(errno));
			return 1;
		}
		uint32_t func = u.r.func, n = u.r.num_params;
		struct tee_ioctl_param *p = u.r.params;
		uint32_t nm = n && (p[0].attr & TEE_IOCTL_PARAM_ATTR_META) ? 1 : 0;
		uint32_t ret;
		switch (func) {
		case OPTEE_RPC_CMD_SHM_ALLOC:
			ret = rpc_shm_alloc(fd, p + nm, n - nm);
			break;
		case OPTEE_RPC_CMD_SHM_FREE:
			ret = rpc_shm_free(p + nm, n - nm);
			break;
		case OPTEE_RPC_CMD_RPMB:
			ret = rpc_rpmb(p + nm, n - nm);
			break;
		default:
			ret = TEE_ERROR_NOT_SUPPORTED;
			break;
		}
		if (verbose)
			printf("RPC cmd %u params %u -> 0x%08x\n", func, n - nm, ret);
		u.s.ret = ret;
		u.s.num_params = n;
		buf.buf_len = 8 + n * sizeof(struct tee_ioctl_param);
		if (ioctl(fd, TEE_IOC_SUPPL_SEND, &buf) < 0) {
			fprintf(stderr, "tee-supp: SUPPL_SEND: %s\n", strerror(errno));
			return 1;
		}
	}
}
