/* SPDX-License-Identifier: MIT */
/*
 * An SPMC with two secure partitions, as the normal world meets it over FF-A v1.0
 * (include/ffa.h): OP-TEE (FFA_EMU_OPTEE_ID) and the MM SP (FFA_EMU_MM_SP_ID).  It answers
 * VERSION, ID_GET, FEATURES, RXTX_MAP/UNMAP, PARTITION_INFO_GET, RX_RELEASE and takes
 * MSG_SEND_DIRECT_REQ to the MM SP as an MM communicate door bell.  Everything malformed is
 * an FFA_ERROR.  No I/O and no threads: stmmd's tee core (tee.c) feeds it the calls of one
 * connection (an ffa_endpoint) on its main thread and runs the door bell's MM call on the
 * StMM worker with ffa_spmc_mm_run().
 *
 * The profile says what the MM SP is:
 *  SMM_GATEWAY  Trusted Services' smm-gateway (what U-Boot's door bell targets): x3 = offset
 *               into the MM shared buffer, a 32-bit request answered at once with
 *               RESP_32 w3 = -1, MessageLength rewritten with the response length.
 *  EDK2         edk2 StandaloneMm: x3 = physical address inside the shared buffer, 32-bit
 *               requests taken like 64-bit ones, MessageLength left as sent.
 */
#ifndef STMM_EMU_STMM_FFA_SPMC_H
#define STMM_EMU_STMM_FFA_SPMC_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ffa.h"

#define FFA_SPMC_WUR __attribute__((warn_unused_result))

enum ffa_sp_profile {
	FFA_SP_SMM_GATEWAY,
	FFA_SP_EDK2,
};

/* "smm-gateway" | "edk2" -> profile; -EINVAL otherwise. */
FFA_SPMC_WUR int ffa_sp_profile_from_name(const char *name, enum ffa_sp_profile *ret);
const char *ffa_sp_profile_name(enum ffa_sp_profile p);

/* A shared mapping of a client's memfd, referenced by its endpoint and by running MM calls. */
struct ffa_membuf;
struct ffa_membuf *ffa_membuf_ref(struct ffa_membuf *b);
void ffa_membuf_unref(struct ffa_membuf *b);

/* One normal-world endpoint (one connection). */
struct ffa_endpoint;
typedef struct ffa_endpoint ffa_endpoint;
struct ffa_endpoint *ffa_endpoint_new(enum ffa_sp_profile profile);
void ffa_endpoint_free(struct ffa_endpoint *ep);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ffa_endpoint, ffa_endpoint_free)

/* EMU_MSG_FFA_MM_BUF_REQ: take `fd` (owned on success) as the MM shared buffer.
 * 0, -EINVAL (size, fd) or -EEXIST (already declared). */
FFA_SPMC_WUR int ffa_endpoint_set_mm_buf(struct ffa_endpoint *ep, int fd, uint64_t base,
					 uint64_t size);

/* A door bell to run on the StMM worker. */
struct ffa_mm_call {
	struct ffa_membuf *buf;  /* one reference (NULL: no shared buffer declared) */
	uint64_t offset;         /* of the MM header in buf (may be out of range: checked at run) */
	bool out_of_range;       /* EDK2: x3 not inside the buffer */
	uint16_t caller;
	uint16_t sp;
	bool smc32;
	enum ffa_sp_profile profile;
};
void ffa_mm_call_clear(struct ffa_mm_call *mm);

enum ffa_spmc_outcome {
	FFA_SPMC_ANSWERED, /* *ret_out is the reply */
	FFA_SPMC_MM_CALL,  /* *ret_mm is a door bell: ffa_spmc_mm_run() builds the reply */
};

/*
 * One FF-A call from `ep`.  *io_fd: an fd that came with the call (RXTX_MAP takes it and
 * sets -1), else -1.
 */
enum ffa_spmc_outcome ffa_spmc_call(struct ffa_endpoint *ep, const struct ffa_regs *in,
				    int *io_fd, struct ffa_regs *ret_out,
				    struct ffa_mm_call *ret_mm);

/* The MM handler behind the SP (the one PTA_STMM uses): ARM_SPM_MM_RET_* */
typedef int32_t (*ffa_mm_handler)(void *ctx, uint8_t *buf, size_t size);

/*
 * Worker: run a door bell.  Checks the header and MessageLength against the buffer (x3 =
 * -2 when they do not fit), copies the message out (the normal world may change the buffer
 * meanwhile), calls `handler`, copies the answer back and builds DIRECT_RESP with x3 = the
 * MM return code.  handler NULL: the SP is not running (x3 = -1, NOT_SUPPORTED).
 */
void ffa_spmc_mm_run(const struct ffa_mm_call *mm, ffa_mm_handler handler, void *ctx,
		     struct ffa_regs *ret_out);


#endif
