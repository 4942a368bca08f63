/* SPDX-License-Identifier: MIT */
/*
 * The FF-A MM transport as U-Boot drives it (drivers/firmware/arm-ffa/arm-ffa-uclass.c
 * ffa_do_probe, lib/efi_loader/efi_variable_tee.c ffa_mm_communicate / ffa_notify_mm_sp):
 *
 *   probe      VERSION(v1.0), ID_GET, FEATURES(RXTX_MAP_64), RXTX_MAP_64 (TX, RX, pages),
 *              PARTITION_INFO_GET(nil UUID) + RX_RELEASE: every partition cached;
 *   discovery  PARTITION_INFO_GET(MM SP UUID) + RX_RELEASE, the first id matched against
 *              the cache;
 *   door bell  the MM buffer copied into the fixed shared buffer, MSG_SEND_DIRECT_REQ_64
 *              w1 = own << 16 | sp, x3 = CONFIG_FFA_SHARED_MM_BUF_OFFSET, read back
 *              MessageLength + 24 bytes.
 *
 * Size rules and errors as U-Boot's: a buffer whose MessageLength + 24 is not its size or
 * exceeds the shared buffer is EFI_INVALID_PARAMETER without a call; an answer longer than
 * the caller's buffer EFI_OUT_OF_RESOURCES; MM codes and FF-A errors go through U-Boot's
 * errno tables (ffa_client_mm_status).
 *
 * The calls go through `ops`, so a unit test can check the registers against U-Boot's.
 */
#ifndef STMM_EMU_EMU_FFA_CLIENT_H
#define STMM_EMU_EMU_FFA_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "efi.h"
#include "ffa.h"

#define FFA_CLIENT_WUR __attribute__((warn_unused_result))

struct ffa_client_ops {
	void *ctx;
	/* One SMC: 0 (ret_out = the SPMC's registers) or -errno of the transport.  fd -1 or
	 * the RX/TX memfd (RXTX_MAP). */
	int (*call)(void *ctx, const struct ffa_regs *in, int fd, struct ffa_regs *ret_out);
	/* The board's MM carveout: a memfd the SP sees at `base`.  0 or -errno. */
	int (*declare_mm_buf)(void *ctx, int fd, uint64_t base, uint64_t size);
};

struct ffa_client_config {
	uint64_t mm_buf_size;   /* CONFIG_FFA_SHARED_MM_BUF_SIZE */
	uint64_t mm_buf_addr;   /* CONFIG_FFA_SHARED_MM_BUF_ADDR */
	uint64_t mm_buf_offset; /* CONFIG_FFA_SHARED_MM_BUF_OFFSET: what U-Boot puts in x3 */
	bool x3_address;        /* deviation: x3 = address + offset (an edk2 StMM target) */
};
/* U-Boot corstone1000_defconfig: 4 KiB at 0x02000000, offset 0. */
#define FFA_CLIENT_DEFAULT_MM_BUF_SIZE 4096u

struct ffa_client;
FFA_CLIENT_WUR int ffa_client_new(const struct ffa_client_ops *ops,
				  const struct ffa_client_config *cfg,
				  struct ffa_client **ret);
void ffa_client_free(struct ffa_client *fc);

/*
 * ffa_do_probe and the MM SP discovery: 0, or U-Boot's errno (FF-A error mapped with
 * ffa_errno, -EPROTONOSUPPORT wrong version, -ENODEV no MM SP, -EPROTO a reply that is
 * not SUCCESS).  Idempotent once it succeeded.
 */
FFA_CLIENT_WUR int ffa_client_probe(struct ffa_client *fc);
uint16_t ffa_client_sp_id(const struct ffa_client *fc);
uint16_t ffa_client_own_id(const struct ffa_client *fc);
/* Partitions the probe cached (nil UUID) and their descriptors. */
size_t ffa_client_partitions(const struct ffa_client *fc, const struct ffa_partition_info **ret);

/* FFA_ERROR code (w2) -> U-Boot's errno (EOPNOTSUPP, EINVAL, ...). */
int ffa_errno(int32_t ffa_error);

/*
 * U-Boot's ffa_mm_communicate: `size` bytes of `comm_buf` (an MM communicate header and
 * its message) through the shared buffer; on EFI_SUCCESS comm_buf holds the answer.
 * ret_what (optional) tells what failed below the EFI status (static text).
 */
efi_status_t ffa_client_mm_communicate(struct ffa_client *fc, uint8_t *comm_buf, size_t size,
				       const char **ret_what);

#endif
