/* SPDX-License-Identifier: MIT */
/*
 * The emulated /dev/teeN and /dev/teeprivN of one process (libtee-shim.so, README
 * "Transports"): which descriptors are ours, their link to stmmd's tee socket, and the
 * <linux/tee.h> ioctls on them as Linux's OP-TEE driver serves them.
 *
 * An opened device is a real descriptor: an AF_UNIX SOCK_SEQPACKET socket connected to
 * stmmd, so close(), dup(), fork() and O_CLOEXEC behave; stmmd sees a close as EOF (for
 * the supplicant: optee_supp_release, every RPC in flight fails).  /dev/teeN speaks
 * stmmd's client messages (EMU_MSG_TEE_*), /dev/teeprivN registers as the supplicant
 * (EMU_MSG_SUPP_REGISTER_REQ) when it is opened; a second one fails with EBUSY.
 *
 * Environment: TEE_SHIM_SOCKET  stmmd's tee socket (default $STMM_EMU_STATE/tee.sock);
 *              TEE_SHIM_DEBUG   set: one "tee-shim:" line on stderr per failure.
 */
#ifndef STMM_EMU_TEESHIM_TEEDEV_H
#define STMM_EMU_TEESHIM_TEEDEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "shim/shim_common.h"

#define TEESHIM_HIDDEN __attribute__((visibility("hidden")))
#define TEESHIM_MAX_SHMS 64u

/* Shared memory allocated on one descriptor (TEE_IOC_SHM_ALLOC). */
struct teeshim_shm {
	int32_t id;      /* 0: slot free; unique in the process, as the kernel's idr per device */
	uint32_t remote_id; /* stmmd's id on this link (client side) */
	uint64_t size;   /* page-rounded */
	int fd;          /* our own duplicate (supplicant side only), else -1 */
	void *map;       /* our mapping of it (supplicant side, once used), else NULL */
};

/* Supplicant side: the one RPC delivered by SUPPL_RECV and not yet answered. */
struct teeshim_rpc {
	bool active;
	bool synthetic;      /* our own OPTEE_RPC_CMD_SHM_ALLOC, answered locally */
	uint32_t id;         /* request id handed out in the META parameter */
	uint32_t stmmd_id;   /* req_id of stmmd's EMU_MSG_SUPP_RPC_REQ */
	uint32_t cmd;
	uint32_t in_len;
	uint32_t out_len;
	uint32_t num_params; /* without the META one */
};

struct teeshim_dev {
	struct shim_fd_entry ent; /* fd: the socket connected to stmmd (teedev.c's table) */
	bool supp;              /* /dev/teeprivN */
	uint32_t next_id;       /* request ids on the link (lib/ipc.h), io_lock */
	struct teeshim_shm shms[TEESHIM_MAX_SHMS];
	/* supplicant side (state under state_lock) */
	int32_t rpc_shm;        /* shm id the supplicant gave for RPC payloads, 0 = none */
	bool alloc_tried;       /* a synthetic SHM_ALLOC was answered */
	struct teeshim_rpc rpc;
	uint32_t next_rpc_id;
};

/* Does `path` name a TEE device we emulate ("/dev/tee<digits>" or "/dev/teepriv<digits>")? */
TEESHIM_HIDDEN bool teeshim_path_match(const char *path);
/* Open one (open(2) flags; O_CLOEXEC honoured).  A descriptor, or -1 with errno set. */
TEESHIM_HIDDEN int teeshim_open(const char *path, int flags);
/* Is fd one of ours, still the socket we handed out? */
TEESHIM_HIDDEN bool teeshim_owns(int fd);
/* Stop tracking fd (before it is closed).  No-op for other descriptors. */
TEESHIM_HIDDEN void teeshim_forget(int fd);
/* ioctl(2) on one of ours: 0 (or a new fd for SHM_ALLOC), or -1 with errno set. */
TEESHIM_HIDDEN int teeshim_ioctl(int fd, unsigned long request, void *arg);

/* For supp.c: a shm of dev by id (NULL if none), the debug line. */
TEESHIM_HIDDEN struct teeshim_shm *teeshim_shm_find(struct teeshim_dev *dev, int64_t id);
TEESHIM_HIDDEN void teeshim_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Shared ioctl(2) argument checks: buf_data of arg_size + 32 x num_params, <= 1024. */
TEESHIM_HIDDEN int teeshim_buf_check(uint64_t buf_len, uint64_t arg_size, uint32_t num_params);

#endif
