/* SPDX-License-Identifier: MIT */
/*
 * The normal-world side of the tee socket (include/emu_ipc.h): what a TEE client does
 * through /dev/tee0.  One connection, one session, shared memory as a memfd mapped here
 * and in stmmd, registered once and grown on demand.  All functions return 0 or -errno;
 * TEE results come back in the out-parameters, untouched.
 */
#ifndef STMM_EMU_EMU_TEE_CLIENT_H
#define STMM_EMU_EMU_TEE_CLIENT_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "emu_ipc.h"
#include "ipc.h"

#define TEEC_WUR __attribute__((warn_unused_result))

struct emu_teec {
	int fd;                /* tee socket */
	int timeout_ms;        /* per request; -1 waits forever */
	uint32_t next_id;
	/* shared memory */
	int shm_fd;            /* memfd */
	uint8_t *shm;          /* MAP_SHARED mapping, shm_size bytes */
	size_t shm_size;
	uint32_t shm_id;       /* id the TEE gave it */
	int shm_registered;
};
typedef struct emu_teec emu_teec;

/* Connect to a tee socket.  -ENOENT/-ECONNREFUSED when nobody listens. */
TEEC_WUR int emu_teec_connect(const char *path, int timeout_ms, struct emu_teec **ret_teec);
void emu_teec_free(struct emu_teec *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(emu_teec, emu_teec_free)

/* Open a session to `uuid` (OP-TEE octets).  ret_result.id is the session. */
TEEC_WUR int emu_teec_open_session(struct emu_teec *t, const uint8_t uuid[16],
				   struct emu_tee_result *ret_result);

/*
 * Make sure the shared memory holds at least `size` bytes (a new memfd registered when
 * it has to grow; the old one is unregistered).  t->shm is then usable.
 */
TEEC_WUR int emu_teec_shm_reserve(struct emu_teec *t, size_t size);
/* A memfd of `size` bytes and its MAP_SHARED mapping (what a client registers as shm). */
TEEC_WUR int emu_teec_memfd_map(const char *name, size_t size, int *ret_fd, uint8_t **ret_map);

/* Invoke a command.  The request's memrefs must name t->shm_id. */
TEEC_WUR int emu_teec_invoke(struct emu_teec *t, const struct emu_tee_invoke *req,
			     struct emu_tee_invoke_rsp *ret_rsp);

/*
 * One request/reply on any socket of ours with an optional fd: lib's emu_ipc_call (its
 * deadline, id and error contract) for a payload in one piece.
 */
TEEC_WUR int emu_teec_call(int fd, uint32_t *next_id, int timeout_ms, uint16_t type,
			   const void *payload, size_t len, int pass_fd, uint16_t want_type,
			   struct emu_msg **ret_reply, char **ret_error_text);

#endif
