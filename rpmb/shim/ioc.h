/* SPDX-License-Identifier: MIT */
/*
 * Translation between Linux's MMC ioctl ABI (<linux/mmc/ioctl.h>, research notes §1.8) and
 * one EMU_MSG_MMC_SEQ_REQ / EMU_MSG_MMC_SEQ_RSP of the mmc socket (include/emu_ipc.h),
 * built and read with lib/mmc_seq.h.  Pure functions: no I/O, no global state; the
 * data_ptr buffers are the caller's.
 *
 * Each struct mmc_ioc_cmd becomes the pair the Linux block driver puts on the bus for an
 * RPMB partition: CMD23 (arg = blocks | write_flag bit 31) then the command itself
 * (CMD25 followed by blocks x 512 data bytes, or CMD18 whose data comes back in the reply).
 */
#ifndef STMM_EMU_SHIM_IOC_H
#define STMM_EMU_SHIM_IOC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h> /* _IOWR, used by linux/mmc/ioctl.h */

#include <linux/mmc/ioctl.h>

#include <glib.h>

#include "emu_ipc.h"

#define SHIM_HIDDEN __attribute__((visibility("hidden")))
#define SHIM_WUR    __attribute__((warn_unused_result))

/* Every ioctl command costs two sequence commands (CMD23 + data command). */
#define SHIM_MAX_IOC_CMDS (EMU_MMC_MAX_CMDS / 2u)
_Static_assert(SHIM_MAX_IOC_CMDS <= MMC_IOC_MAX_CMDS, "within the kernel's limit");

/* R1 card status we report in response[0]: CURRENT_STATE = tran (4), READY_FOR_DATA. */
#define SHIM_R1_TRAN_READY 0x00000900u

/*
 * Check n ioctl commands and serialize them as an EMU_MSG_MMC_SEQ_REQ payload
 * (g_byte_array_unref it).  ret_read_len: CMD18 data bytes the reply must carry.  Returns 0, or
 *   -EINVAL    n is 0 or > SHIM_MAX_IOC_CMDS, opcode not 18/25, blksz != 512,
 *              blocks 0 or > 0xffff, is_acmd set;
 *   -EFAULT    data_ptr is 0;
 *   -EOVERFLOW request or reply would exceed EMU_MSG_MAX_PAYLOAD (the kernel's answer for
 *              a transfer above MMC_IOC_MAX_BYTES).
 * Nothing is returned through ret_* on failure.
 */
SHIM_HIDDEN SHIM_WUR int ioc_build_seq(const struct mmc_ioc_cmd *cmds, size_t n,
				       GByteArray **ret_req, size_t *ret_read_len);

/*
 * Validate an EMU_MSG_MMC_SEQ_RSP payload against the commands it answers, then copy each
 * CMD18's data to its data_ptr and set every command's response[].  -EBADMSG (nothing
 * copied) when the payload is short, long, or data_len is not what the CMD18s asked for.
 */
SHIM_HIDDEN SHIM_WUR int ioc_scatter(struct mmc_ioc_cmd *cmds, size_t n, const uint8_t *rsp,
				       size_t rsp_len);

/*
 * One-line description for debug traces, e.g. "CMD23(0x80000001) CMD25x1[0x0001 result
 * 0x0000] CMD23(0x1) CMD18x1[0x0100 result 0x0005]": the type and result of each
 * transfer's last frame, read from data_ptr.  peek: IOC_PEEK_NONE for commands not
 * validated by ioc_build_seq (data_ptr may be anything), _WRITES for validated ones,
 * _ALL after a successful ioc_scatter.  Returns buf.
 */
enum { IOC_PEEK_NONE, IOC_PEEK_WRITES, IOC_PEEK_ALL };
SHIM_HIDDEN const char *ioc_describe(const struct mmc_ioc_cmd *cmds, size_t n, int peek,
				     char *buf, size_t size);

#endif
