/* SPDX-License-Identifier: MIT */
/*
 * stmm-emu's own IPC between its processes.  Unix-domain SOCK_SEQPACKET sockets under the
 * state directory, one message per datagram: a 16-byte header then `length` payload bytes.
 * All fields host-endian (every peer runs on the same machine).  Shared memory travels as
 * a file descriptor in SCM_RIGHTS ancillary data.
 *
 * Type ranges: 0x00xx generic, 0x01xx the mmc socket (rpmbd), 0x02xx the tee socket
 * (stmmd clients), 0x03xx supplicant RPC on the tee socket, 0x04xx control.
 */
#ifndef STMM_EMU_EMU_IPC_H
#define STMM_EMU_EMU_IPC_H

#include <stddef.h>
#include <stdint.h>

#define EMU_MSG_MAGIC   0x554d4553u /* "SEMU" as little-endian bytes */
#define EMU_MSG_VERSION 1u

struct emu_msg_hdr {
	uint32_t magic;   /* EMU_MSG_MAGIC */
	uint16_t version; /* EMU_MSG_VERSION */
	uint16_t type;    /* EMU_MSG_* */
	uint32_t req_id;  /* echoed in the reply */
	uint32_t length;  /* payload bytes after this header */
};
_Static_assert(sizeof(struct emu_msg_hdr) == 16, "IPC header is 16 bytes");
_Static_assert(offsetof(struct emu_msg_hdr, magic) == 0, "magic");
_Static_assert(offsetof(struct emu_msg_hdr, version) == 4, "version");
_Static_assert(offsetof(struct emu_msg_hdr, type) == 6, "type");
_Static_assert(offsetof(struct emu_msg_hdr, req_id) == 8, "req_id");
_Static_assert(offsetof(struct emu_msg_hdr, length) == 12, "length");

/*
 * Largest whole message (header + payload).  Fits the default Unix socket send buffer
 * (net.core.wmem_default 212992) so no peer needs to raise SO_SNDBUF.
 */
#define EMU_MSG_MAX_SIZE    (192u * 1024u)
#define EMU_MSG_MAX_PAYLOAD (EMU_MSG_MAX_SIZE - sizeof(struct emu_msg_hdr))

/* ---- generic ---------------------------------------------------------------------- */

/* Any request may be answered with an error: negative errno and a NUL-terminated text. */
#define EMU_MSG_ERROR 0x0001
struct emu_msg_error {
	int32_t error;      /* -errno */
	uint32_t reserved;
	char text[];        /* NUL-terminated, at most EMU_ERROR_TEXT_MAX bytes incl. NUL */
};
#define EMU_ERROR_TEXT_MAX 256u
_Static_assert(offsetof(struct emu_msg_error, text) == 8, "text");
_Static_assert(offsetof(struct emu_msg_error, error) == 0, "error");
_Static_assert(offsetof(struct emu_msg_error, reserved) == 4, "reserved");
_Static_assert(sizeof(struct emu_msg_error) == 8, "emu_msg_error");

/* ---- mmc socket: what a host sends through MMC_IOC_MULTI_CMD on /dev/mmcblkNrpmb --------- */

/* Request: no payload.  Reply EMU_MSG_MMC_INFO_RSP with struct emu_mmc_info. */
#define EMU_MSG_MMC_INFO_REQ 0x0101
#define EMU_MSG_MMC_INFO_RSP 0x0102
struct emu_mmc_info {
	uint8_t cid[16];        /* raw CID as the card sends it (MID first) */
	uint8_t rpmb_size_mult; /* EXT_CSD[168], 128 KiB units */
	uint8_t rel_wr_sec_c;   /* EXT_CSD[222] */
	uint8_t reserved[2];
};
_Static_assert(sizeof(struct emu_mmc_info) == 20, "emu_mmc_info");
_Static_assert(offsetof(struct emu_mmc_info, cid) == 0, "cid");
_Static_assert(offsetof(struct emu_mmc_info, rpmb_size_mult) == 16, "rpmb_size_mult");
_Static_assert(offsetof(struct emu_mmc_info, rel_wr_sec_c) == 17, "rel_wr_sec_c");
_Static_assert(offsetof(struct emu_mmc_info, reserved) == 18, "reserved");

/*
 * EMU_MSG_MMC_SEQ_REQ: one multi-command sequence, executed in order and atomically with
 * respect to every other client of the device (one host controller).
 *
 *   struct emu_mmc_seq  |  num_cmds x ( struct emu_mmc_cmd [ + blocks x 512 data bytes ] )
 *
 * Data follows a command only for MMC_WRITE_MULTIPLE_BLOCK (CMD25).  CMD23 carries the
 * block count (and bit 31 = reliable write) in `arg` and has blocks = 0.  A CMD25/CMD18
 * must follow a CMD23 whose count equals its `blocks`.
 *
 * Reply EMU_MSG_MMC_SEQ_RSP: struct emu_mmc_seq_rsp then the data of every CMD18 in order.
 * A malformed sequence is answered with EMU_MSG_ERROR and has no effect.
 */
#define EMU_MSG_MMC_SEQ_REQ 0x0103
#define EMU_MSG_MMC_SEQ_RSP 0x0104
#define EMU_MMC_MAX_CMDS    16u
struct emu_mmc_seq {
	uint32_t num_cmds;
	uint32_t reserved;
};
struct emu_mmc_cmd {
	uint32_t opcode; /* MMC_SET_BLOCK_COUNT, MMC_WRITE_MULTIPLE_BLOCK, MMC_READ_MULTIPLE_BLOCK */
	uint32_t arg;
	uint32_t blocks; /* 512-byte frames carried (CMD25) or requested (CMD18) */
	uint32_t reserved;
};
struct emu_mmc_seq_rsp {
	uint32_t data_len; /* bytes of CMD18 data that follow */
	uint32_t reserved;
};
_Static_assert(sizeof(struct emu_mmc_seq) == 8, "emu_mmc_seq");
_Static_assert(offsetof(struct emu_mmc_seq, num_cmds) == 0, "num_cmds");
_Static_assert(offsetof(struct emu_mmc_seq, reserved) == 4, "reserved");
_Static_assert(sizeof(struct emu_mmc_cmd) == 16, "emu_mmc_cmd");
_Static_assert(offsetof(struct emu_mmc_cmd, opcode) == 0, "opcode");
_Static_assert(offsetof(struct emu_mmc_cmd, arg) == 4, "arg");
_Static_assert(offsetof(struct emu_mmc_cmd, blocks) == 8, "blocks");
_Static_assert(offsetof(struct emu_mmc_cmd, reserved) == 12, "reserved");
_Static_assert(sizeof(struct emu_mmc_seq_rsp) == 8, "emu_mmc_seq_rsp");
_Static_assert(offsetof(struct emu_mmc_seq_rsp, data_len) == 0, "data_len");
_Static_assert(offsetof(struct emu_mmc_seq_rsp, reserved) == 4, "reserved");

/* ---- tee socket (stmmd): what a TEE client does through /dev/tee0 ------------------- */

/* Every tee reply that carries only a result. */
struct emu_tee_result {
	uint32_t ret;    /* TEE_SUCCESS / TEE_ERROR_* (include/pta_stmm.h) */
	uint32_t origin; /* TEE_ORIGIN_* */
	uint32_t id;     /* session id (open) or shm id (register), else 0 */
	uint32_t reserved;
};
_Static_assert(sizeof(struct emu_tee_result) == 16, "emu_tee_result");
_Static_assert(offsetof(struct emu_tee_result, ret) == 0, "ret");
_Static_assert(offsetof(struct emu_tee_result, origin) == 4, "origin");
_Static_assert(offsetof(struct emu_tee_result, id) == 8, "id");
_Static_assert(offsetof(struct emu_tee_result, reserved) == 12, "reserved");

/* Open a session to a TA/PTA by UUID (OP-TEE big-endian octets).  Reply: emu_tee_result. */
#define EMU_MSG_TEE_OPEN_SESSION_REQ  0x0201
#define EMU_MSG_TEE_OPEN_SESSION_RSP  0x0202
struct emu_tee_open_session {
	uint8_t uuid[16];
};
_Static_assert(sizeof(struct emu_tee_open_session) == 16, "emu_tee_open_session");
_Static_assert(offsetof(struct emu_tee_open_session, uuid) == 0, "uuid");
#define EMU_MSG_TEE_CLOSE_SESSION_REQ 0x0203 /* payload: uint32_t session */
#define EMU_MSG_TEE_CLOSE_SESSION_RSP 0x0204
/*
 * Register shared memory: a memfd passed with SCM_RIGHTS, payload the size to map.
 * Reply: emu_tee_result with id = shm id (per connection).
 */
#define EMU_MSG_TEE_REGISTER_SHM_REQ   0x0205
#define EMU_MSG_TEE_REGISTER_SHM_RSP   0x0206
struct emu_tee_register_shm {
	uint64_t size;
};
_Static_assert(sizeof(struct emu_tee_register_shm) == 8, "emu_tee_register_shm");
_Static_assert(offsetof(struct emu_tee_register_shm, size) == 0, "size");
#define EMU_MSG_TEE_UNREGISTER_SHM_REQ 0x0207 /* payload: uint32_t shm id */
#define EMU_MSG_TEE_UNREGISTER_SHM_RSP 0x0208

/* A parameter: memref = {a: shm id, b: offset, c: size}; value = {a, b, c}. */
struct emu_tee_param {
	uint64_t a;
	uint64_t b;
	uint64_t c;
};
_Static_assert(sizeof(struct emu_tee_param) == 24, "emu_tee_param");
_Static_assert(offsetof(struct emu_tee_param, a) == 0, "a");
_Static_assert(offsetof(struct emu_tee_param, b) == 8, "b");
_Static_assert(offsetof(struct emu_tee_param, c) == 16, "c");
#define EMU_MSG_TEE_INVOKE_REQ 0x0209
#define EMU_MSG_TEE_INVOKE_RSP 0x020a
struct emu_tee_invoke {
	uint32_t session;
	uint32_t cmd;
	uint32_t param_types; /* TEE_PARAM_TYPES(...) */
	uint32_t reserved;
	struct emu_tee_param params[4];
};
_Static_assert(sizeof(struct emu_tee_invoke) == 112, "emu_tee_invoke");
_Static_assert(offsetof(struct emu_tee_invoke, session) == 0, "session");
_Static_assert(offsetof(struct emu_tee_invoke, cmd) == 4, "cmd");
_Static_assert(offsetof(struct emu_tee_invoke, param_types) == 8, "param_types");
_Static_assert(offsetof(struct emu_tee_invoke, reserved) == 12, "reserved");
_Static_assert(offsetof(struct emu_tee_invoke, params) == 16, "params");
/* Reply: result plus the parameters as the TEE left them (output sizes, values). */
struct emu_tee_invoke_rsp {
	uint32_t ret;
	uint32_t origin;
	struct emu_tee_param params[4];
};
_Static_assert(sizeof(struct emu_tee_invoke_rsp) == 104, "emu_tee_invoke_rsp");
_Static_assert(offsetof(struct emu_tee_invoke_rsp, ret) == 0, "ret");
_Static_assert(offsetof(struct emu_tee_invoke_rsp, origin) == 4, "origin");
_Static_assert(offsetof(struct emu_tee_invoke_rsp, params) == 8, "params");

/* ---- supplicant RPC on the tee socket ---------------------------------------------- */

/* The supplicant announces itself; reply emu_tee_result.  At most one at a time. */
#define EMU_MSG_SUPP_REGISTER_REQ 0x0301
#define EMU_MSG_SUPP_REGISTER_RSP 0x0302
/*
 * stmmd -> supplicant: one RPC (OPTEE_RPC_CMD_RPMB ...).  Payload: emu_supp_rpc then
 * in_len bytes of memref[0] (struct rpmb_req + frames).  out_len = size of memref[1].
 */
#define EMU_MSG_SUPP_RPC_REQ 0x0303
#define EMU_MSG_SUPP_RPC_RSP 0x0304
struct emu_supp_rpc {
	uint32_t cmd;     /* OPTEE_RPC_CMD_* */
	uint32_t in_len;
	uint32_t out_len;
	uint32_t reserved;
};
/* supplicant -> stmmd, same req_id: result then out_len bytes of memref[1]. */
struct emu_supp_rpc_rsp {
	uint32_t ret;     /* TEEC result of the RPC as tee-supplicant returns it */
	uint32_t out_len;
};
_Static_assert(sizeof(struct emu_supp_rpc) == 16, "emu_supp_rpc");
_Static_assert(sizeof(struct emu_supp_rpc_rsp) == 8, "emu_supp_rpc_rsp");
_Static_assert(offsetof(struct emu_supp_rpc, cmd) == 0, "cmd");
_Static_assert(offsetof(struct emu_supp_rpc, in_len) == 4, "in_len");
_Static_assert(offsetof(struct emu_supp_rpc, out_len) == 8, "out_len");
_Static_assert(offsetof(struct emu_supp_rpc, reserved) == 12, "reserved");
_Static_assert(offsetof(struct emu_supp_rpc_rsp, ret) == 0, "ret");
_Static_assert(offsetof(struct emu_supp_rpc_rsp, out_len) == 4, "out_len");

/* ---- control ------------------------------------------------------------------------ */
/* 0x04xx: status and fault plans; defined by the daemons that serve them (stmmd, rpmbd). */
#define EMU_MSG_CTRL_STATUS_REQ 0x0401
#define EMU_MSG_CTRL_STATUS_RSP 0x0402

/*
 * stmmd's answer to EMU_MSG_CTRL_STATUS_REQ (no payload).  A snapshot: the secure world
 * updates it after every StMM call, so it never waits for a call in progress.
 */
struct emu_ctrl_status {
	uint32_t flags;              /* EMU_CTRL_STATUS_* */
	uint32_t sessions;           /* open PTA sessions, all clients */
	uint32_t rpmb_write_counter; /* cached write counter (valid with COUNTER_SYNCED) */
	uint32_t live_variables;     /* non-volatile variables in the store */
	uint64_t store_total;        /* bytes of the NV region (store + FTW areas) */
	uint64_t store_used;         /* bytes of live records */
	uint64_t store_free;         /* bytes after the last record */
	/* The RPMB client (OP-TEE's retry and dead-state logic; valid with STMM_SEEN). */
	uint64_t rpmb_dead_since;    /* unix time in µs when the RPMB went dead; 0 = not dead */
	uint64_t rpmb_writes;        /* authenticated block writes since stmmd started */
	uint64_t rpmb_retries;       /* resends among them */
	int64_t fail_time;           /* unix µs of the last failed write attempt; 0 = none */
	int32_t fail_errno;          /* its -errno (-ECOMM dead, -ESTALE counter, -ETIMEDOUT …) */
	uint16_t fail_result;        /* its device result (RPMB_RESULT_*), 0xffff = no response */
	uint16_t fail_address;       /* its block */
	uint32_t fail_write_counter; /* the counter in its frame */
	uint32_t fail_attempts;      /* attempts of that write, 1..10 */
	/* The supplicant RPC (valid with SUPPLICANT or a failure recorded). */
	int64_t rpc_fail_time;       /* unix µs of the last failed RPC; 0 = none */
	int32_t rpc_fail_errno;      /* its -errno */
	uint32_t rpc_pending_ms;     /* how long the RPC now outstanding has waited; 0 = none */
	uint32_t store_boot_events;  /* EMU_CTRL_BOOT_* seen when the store was last read */
	uint32_t reserved;
	int64_t rpc_ok_time;         /* unix µs of the last RPC answered; 0 = none */
	char store_boot_report[128]; /* what StMM dropped or rebuilt at boot, UTF-8, NUL-terminated */
};
#define EMU_CTRL_STATUS_SUPPLICANT     0x1u /* a supplicant is registered */
#define EMU_CTRL_STATUS_KEY_PROGRAMMED 0x2u /* the RPMB key is known to be programmed */
#define EMU_CTRL_STATUS_COUNTER_SYNCED 0x4u /* rpmb_write_counter is in sync */
#define EMU_CTRL_STATUS_STORE_OPEN     0x8u /* StMM booted: store loaded, store_* valid */
#define EMU_CTRL_STATUS_AUTH           0x10u /* authenticated variables on: the next two valid */
#define EMU_CTRL_STATUS_SETUP_MODE     0x20u /* no PK: SetupMode 1 */
#define EMU_CTRL_STATUS_SECURE_BOOT    0x40u /* SecureBoot variable is 1 */
#define EMU_CTRL_STATUS_QUIRK_OPTEE_STMM 0x80u /* stmmd --quirk optee-stmm */
#define EMU_CTRL_STATUS_RPMB_DEAD      0x100u /* OP-TEE's rpmb_dead: NV writes fail until a reset */
#define EMU_CTRL_STATUS_STMM_SEEN      0x200u /* the RPMB client fields are valid */
#define EMU_CTRL_STATUS_LAYOUT_OPTEE_FS 0x400u /* the store is EFI_VARS in OP-TEE's RPMB FS */
/* The build profile's switches (stmm/profile.h); with AUTH for the AuthVariableLib ones.
 * High bits: 0x800 and 0x1000 are EMU_CTRL_STATUS_ROUTE_KERNEL / RPMB_HANDLER below. */
#define EMU_CTRL_STATUS_VAR_CHECK_UEFI    0x100000u /* VarCheckUefiLib linked */
#define EMU_CTRL_STATUS_POLICY_ENGINE     0x200000u /* VarCheckPolicyLib linked */
#define EMU_CTRL_STATUS_PHYSICAL_PRESENCE 0x400000u /* PcdUserPhysicalPresence TRUE */
#define EMU_CTRL_STATUS_SELF_SIGNED_PK    0x800000u /* PcdRequireSelfSignedPk TRUE */
/* store_boot_events */
#define EMU_CTRL_BOOT_RECORDS_DROPPED  0x1u /* records after a bad one were dropped (EDK2) */
#define EMU_CTRL_BOOT_REFORMATTED      0x2u /* the store was invalid and formatted afresh (EDK2) */
#define EMU_CTRL_BOOT_RECLAIM_FINISHED 0x4u /* an interrupted reclaim was completed */
_Static_assert(sizeof(struct emu_ctrl_status) == 248, "emu_ctrl_status");
_Static_assert(offsetof(struct emu_ctrl_status, flags) == 0, "flags");
_Static_assert(offsetof(struct emu_ctrl_status, sessions) == 4, "sessions");
_Static_assert(offsetof(struct emu_ctrl_status, rpmb_write_counter) == 8, "rpmb_write_counter");
_Static_assert(offsetof(struct emu_ctrl_status, live_variables) == 12, "live_variables");
_Static_assert(offsetof(struct emu_ctrl_status, store_total) == 16, "store_total");
_Static_assert(offsetof(struct emu_ctrl_status, store_used) == 24, "store_used");
_Static_assert(offsetof(struct emu_ctrl_status, store_free) == 32, "store_free");
_Static_assert(offsetof(struct emu_ctrl_status, rpmb_dead_since) == 40, "rpmb_dead_since");
_Static_assert(offsetof(struct emu_ctrl_status, rpmb_writes) == 48, "rpmb_writes");
_Static_assert(offsetof(struct emu_ctrl_status, rpmb_retries) == 56, "rpmb_retries");
_Static_assert(offsetof(struct emu_ctrl_status, fail_time) == 64, "fail_time");
_Static_assert(offsetof(struct emu_ctrl_status, fail_errno) == 72, "fail_errno");
_Static_assert(offsetof(struct emu_ctrl_status, fail_result) == 76, "fail_result");
_Static_assert(offsetof(struct emu_ctrl_status, fail_address) == 78, "fail_address");
_Static_assert(offsetof(struct emu_ctrl_status, fail_write_counter) == 80, "fail_write_counter");
_Static_assert(offsetof(struct emu_ctrl_status, fail_attempts) == 84, "fail_attempts");
_Static_assert(offsetof(struct emu_ctrl_status, rpc_fail_time) == 88, "rpc_fail_time");
_Static_assert(offsetof(struct emu_ctrl_status, rpc_fail_errno) == 96, "rpc_fail_errno");
_Static_assert(offsetof(struct emu_ctrl_status, rpc_pending_ms) == 100, "rpc_pending_ms");
_Static_assert(offsetof(struct emu_ctrl_status, store_boot_events) == 104, "store_boot_events");
_Static_assert(offsetof(struct emu_ctrl_status, reserved) == 108, "reserved");
_Static_assert(offsetof(struct emu_ctrl_status, rpc_ok_time) == 112, "rpc_ok_time");
_Static_assert(offsetof(struct emu_ctrl_status, store_boot_report) == 120, "store_boot_report");

/*
 * EMU_MSG_CTRL_RESET_REQ (no payload): a platform reset of the secure world, as UEFI's
 * ResetSystem looks to StMM: the variable service is rebuilt from the NV store as at boot
 * (store reloaded from RPMB, an interrupted reclaim completed; volatile variables, VAR_CHECK
 * properties and locks gone; phase back to boot time, before EndOfDxe).  Sessions and
 * shared memory stay.  Reply EMU_MSG_CTRL_RESET_RSP with no payload once StMM is back, or
 * EMU_MSG_ERROR (-errno) if it could not boot (the next invoke retries).
 */
#define EMU_MSG_CTRL_RESET_REQ 0x0403
#define EMU_MSG_CTRL_RESET_RSP 0x0404

/*
 * stmmd: the NV store as a standalone EDK2 variable FV (FV header with block map, store
 * header, the live records only, compacted, erased free space, a valid FTW working block
 * header, erased spare), read in chunks.  Every chunk is built afresh from the store;
 * `generation` (the RPMB write counter when it was built) changes when the store did, so a
 * reader starts again when it differs between chunks.  A layout of all zeros means the
 * running store's own (variable store, FTW working, FTW spare; no gap).  Errors come as
 * EMU_MSG_ERROR: -EINVAL bad request or layout (also one of more than
 * EMU_CTRL_EXPORT_MAX_IMAGE bytes), -ENOSPC the variables do not fit the layout, -EIO StMM
 * could not boot.
 */
#define EMU_MSG_CTRL_EXPORT_REQ 0x0411
#define EMU_MSG_CTRL_EXPORT_RSP 0x0412
#define EMU_CTRL_EXPORT_MAX_CHUNK (128u * 1024u)
/* Largest image a layout may describe (-EINVAL beyond): every chunk builds it whole. */
#define EMU_CTRL_EXPORT_MAX_IMAGE (64u * 1024u * 1024u)
struct emu_ctrl_export_req {
	uint64_t offset;           /* into the image */
	uint32_t max_length;       /* 1..EMU_CTRL_EXPORT_MAX_CHUNK */
	uint32_t var_store_size;   /* FV header + variable store */
	uint32_t gap_size;         /* erased bytes between the store and FTW working (OVMF: 4 KiB) */
	uint32_t ftw_working_size;
	uint32_t ftw_spare_size;
	uint32_t reserved;
};
_Static_assert(sizeof(struct emu_ctrl_export_req) == 32, "emu_ctrl_export_req");
_Static_assert(offsetof(struct emu_ctrl_export_req, offset) == 0, "offset");
_Static_assert(offsetof(struct emu_ctrl_export_req, max_length) == 8, "max_length");
_Static_assert(offsetof(struct emu_ctrl_export_req, var_store_size) == 12, "var_store_size");
_Static_assert(offsetof(struct emu_ctrl_export_req, gap_size) == 16, "gap_size");
_Static_assert(offsetof(struct emu_ctrl_export_req, ftw_working_size) == 20, "ftw_working_size");
_Static_assert(offsetof(struct emu_ctrl_export_req, ftw_spare_size) == 24, "ftw_spare_size");
_Static_assert(offsetof(struct emu_ctrl_export_req, reserved) == 28, "reserved");
/* Reply: this header, then `length` bytes of the image from `offset`. */
struct emu_ctrl_export_rsp {
	uint64_t total;            /* bytes of the whole image (= FvLength) */
	uint64_t offset;
	uint32_t length;
	uint32_t generation;       /* RPMB write counter when the image was built */
	uint32_t live_variables;
	uint32_t reserved;
};
_Static_assert(sizeof(struct emu_ctrl_export_rsp) == 32, "emu_ctrl_export_rsp");
_Static_assert(offsetof(struct emu_ctrl_export_rsp, total) == 0, "total");
_Static_assert(offsetof(struct emu_ctrl_export_rsp, offset) == 8, "offset");
_Static_assert(offsetof(struct emu_ctrl_export_rsp, length) == 16, "length");
_Static_assert(offsetof(struct emu_ctrl_export_rsp, generation) == 20, "generation");
_Static_assert(offsetof(struct emu_ctrl_export_rsp, live_variables) == 24, "live_variables");
_Static_assert(offsetof(struct emu_ctrl_export_rsp, reserved) == 28, "reserved");

/*
 * Faults armed at run time (`stmm-emu fault`).  Each daemon takes EMU_MSG_CTRL_FAULT_REQ on
 * the socket it serves (rpmbd: the mmc socket; stmmd: the tee socket; supplicantd: its
 * control socket, --control-socket).  A fault is keyed on protocol events counted from the
 * moment it is armed, never on time: it fires at the `count`-th event of kind `trigger`
 * (1 = the next one) and then on the `repeat` - 1 events of that kind that follow (repeat 0
 * counts as 1; EMU_FAULT_REPEAT_FOREVER never stops).  Several faults may be armed at once
 * (at most EMU_FAULT_MAX per daemon); on one event the oldest armed fault that is due fires.
 * A fired fault is logged and written to the trace as a note.
 *
 * Reply EMU_MSG_CTRL_FAULT_RSP with struct emu_ctrl_fault_rsp, or EMU_MSG_ERROR: -EINVAL for
 * a trigger/action this daemon does not take or a bad field, -ENOSPC when EMU_FAULT_MAX are
 * armed.  EMU_MSG_CTRL_FAULT_CLEAR_REQ (no payload) disarms every fault; reply
 * EMU_MSG_CTRL_FAULT_CLEAR_RSP (no payload).
 */
#define EMU_MSG_CTRL_FAULT_REQ       0x0421
#define EMU_MSG_CTRL_FAULT_RSP       0x0422
#define EMU_MSG_CTRL_FAULT_CLEAR_REQ 0x0423
#define EMU_MSG_CTRL_FAULT_CLEAR_RSP 0x0424
#define EMU_FAULT_MAX                16u
#define EMU_FAULT_REPEAT_FOREVER     0xFFFFFFFFu
#define EMU_FAULT_ANY_RPC            0xFFFFFFFFu
struct emu_ctrl_fault {
	uint16_t trigger;  /* EMU_FAULT_AT_*: the events counted */
	uint16_t action;   /* EMU_FAULT_*: what happens at the chosen event */
	uint32_t count;    /* fire at the count-th event from now, >= 1 */
	uint32_t repeat;   /* consecutive events it fires on, 0 = 1 */
	uint32_t rpc_cmd;  /* EMU_FAULT_AT_RPC: OPTEE_RPC_CMD_* matched, EMU_FAULT_ANY_RPC = any */
	uint32_t value;    /* action argument (below) */
	uint32_t value2;   /* second argument (below) */
	uint32_t reserved[2];
};
_Static_assert(sizeof(struct emu_ctrl_fault) == 32, "emu_ctrl_fault");
_Static_assert(offsetof(struct emu_ctrl_fault, trigger) == 0, "trigger");
_Static_assert(offsetof(struct emu_ctrl_fault, action) == 2, "action");
_Static_assert(offsetof(struct emu_ctrl_fault, count) == 4, "count");
_Static_assert(offsetof(struct emu_ctrl_fault, repeat) == 8, "repeat");
_Static_assert(offsetof(struct emu_ctrl_fault, rpc_cmd) == 12, "rpc_cmd");
_Static_assert(offsetof(struct emu_ctrl_fault, value) == 16, "value");
_Static_assert(offsetof(struct emu_ctrl_fault, value2) == 20, "value2");
_Static_assert(offsetof(struct emu_ctrl_fault, reserved) == 24, "reserved");
/* trigger */
#define EMU_FAULT_AT_RPMB_WRITE 0x0001 /* rpmbd: a sequence with an authenticated data write */
#define EMU_FAULT_AT_RPMB_READ  0x0002 /* rpmbd: a sequence with an authenticated data read */
#define EMU_FAULT_AT_RPMB_SEQ   0x0003 /* rpmbd: any RPMB sequence */
#define EMU_FAULT_AT_RPC        0x0010 /* supplicantd: an RPC of kind rpc_cmd */
#define EMU_FAULT_AT_MM_CALL    0x0020 /* stmmd: a PTA_STMM_CMD_COMMUNICATE invoke */
/* action, rpmbd (EMU_FAULT_AT_RPMB_*) */
#define EMU_FAULT_POWER_CUT     0x0001 /* power lost before the sequence commits: rpmbd exits
					* RPMBD_EXIT_POWER_CUT, nothing written, no answer */
#define EMU_FAULT_DROP_RESPONSE 0x0002 /* the sequence runs and commits, then its response is
					* lost: the host's transfer fails (EMU_MSG_ERROR -EIO) */
#define EMU_FAULT_DELAY         0x0003 /* answer value milliseconds late (past the RPC timeout) */
#define EMU_FAULT_RESULT        0x0004 /* not executed; every response frame answers result
					* `value` (RPMB_RESULT_*), MACed as the device would */
#define EMU_FAULT_CORRUPT       0x0005 /* executed; response byte `value` XOR `value2` (0 = 0xff) */
/* action, supplicantd (EMU_FAULT_AT_RPC) */
#define EMU_FAULT_SUPP_EXIT     0x0011 /* exit before answering (as a killed tee-supplicant) */
#define EMU_FAULT_SUPP_STALL    0x0012 /* stop answering anything from then on, stay connected */
#define EMU_FAULT_SUPP_DROP     0x0013 /* take the request and never answer it; serve the next */
#define EMU_FAULT_SUPP_ERROR    0x0014 /* answer TEEC result `value` without touching the device */
/* action, stmmd (EMU_FAULT_AT_MM_CALL) */
#define EMU_FAULT_STMM_CRASH    0x0021 /* the secure world dies: stmmd aborts before StMM runs */
#define EMU_FAULT_STMM_TEE_ERROR 0x0022 /* the invoke answers TEE result `value`, StMM not run */
struct emu_ctrl_fault_rsp {
	uint32_t id;       /* the fault's number in this daemon, for logs and the trace */
	uint32_t armed;    /* faults armed now, this one included */
};
_Static_assert(sizeof(struct emu_ctrl_fault_rsp) == 8, "emu_ctrl_fault_rsp");
_Static_assert(offsetof(struct emu_ctrl_fault_rsp, id) == 0, "id");
_Static_assert(offsetof(struct emu_ctrl_fault_rsp, armed) == 4, "armed");

/*
 * ---- mmc socket: single commands (a host without MMC_IOC_MULTI_CMD) ----------------------
 *
 * EMU_MSG_MMC_CMD_REQ: ONE command to the card, as an MMC_IOC_CMD ioctl or the block driver
 * puts it on the bus; other clients' commands may reach the card in between (one host
 * controller shared by the OS's block I/O and the RPMB, scenario S5).
 *
 *   struct emu_mmc_single [ + blocks x 512 data bytes for CMD24/CMD25 ]
 *
 * opcode: MMC_SWITCH (6: arg as JEDEC CMD6, only WRITE_BYTE of EXT_CSD[179]
 * PARTITION_CONFIG is taken), MMC_SET_BLOCK_COUNT (23: arg as in a sequence, blocks 0),
 * MMC_READ_SINGLE_BLOCK (17) / MMC_WRITE_BLOCK (24) with blocks 1, MMC_READ_MULTIPLE_BLOCK
 * (18) / MMC_WRITE_MULTIPLE_BLOCK (25) with blocks >= 1.  On the user area `arg` is the
 * 512-byte block address; on the RPMB partition a CMD25/CMD18 needs the count of a CMD23
 * (a preceding CMD23 message, or the implicit one of `blocks` | (arg & bit 31 reliable)
 * that Linux's __mmc_blk_ioctl_cmd() sends for an RPMB ioctl).
 * part: the partition the host's kernel selects first (mmc_blk_part_switch(): a CMD6 only
 * when another one is selected), EMU_MMC_PART_KEEP for a raw command on whatever is
 * selected.  flags EMU_MMC_CMD_AFTER_RPMB_REQ (test hook, deterministic interleaving): the
 * command is queued and runs right after each of the next `repeat` (0 = 1) RPMB requests
 * (a CMD25 on the RPMB partition, or a whole EMU_MSG_MMC_SEQ_REQ) of another client, where
 * a real bus would let it in; the reply comes after the last run.  With
 * EMU_MMC_CMD_AFTER_RPMB_WRITE as well, only requests carrying an authenticated data write
 * (a DATA_WRITE frame) count.
 *
 * Reply EMU_MSG_MMC_CMD_RSP: struct emu_mmc_single_rsp then data_len bytes (CMD17/CMD18).
 * A malformed command is answered with EMU_MSG_ERROR and has no effect.
 */
#define EMU_MSG_MMC_CMD_REQ 0x0105
#define EMU_MSG_MMC_CMD_RSP 0x0106
#define MMC_SWITCH             6
#define MMC_READ_SINGLE_BLOCK  17
#define MMC_WRITE_BLOCK        24
/* CMD6 argument (JEDEC; Linux include/linux/mmc/mmc.h): access << 24 | index << 16 | value << 8 | cmd set */
#define MMC_SWITCH_MODE_WRITE_BYTE 0x03u
#define EXT_CSD_PART_CONFIG        179u
#define EXT_CSD_PART_CONFIG_ACC_MASK 0x7u
#define EMU_MMC_PART_USER          0u
#define EMU_MMC_PART_RPMB          3u /* EXT_CSD_PART_CONFIG_ACC_RPMB */
#define EMU_MMC_PART_KEEP          0xFFFFu
#define EMU_MMC_SWITCH_ARG(index, value) \
	((MMC_SWITCH_MODE_WRITE_BYTE << 24) | ((uint32_t)(index) << 16) | ((uint32_t)(value) << 8))
#define EMU_MMC_CMD_AFTER_RPMB_REQ   0x0001u
#define EMU_MMC_CMD_AFTER_RPMB_WRITE 0x0002u
struct emu_mmc_single {
	uint32_t opcode;
	uint32_t arg;
	uint32_t blocks;   /* 512-byte blocks carried (CMD24/25) or requested (CMD17/18) */
	uint16_t part;     /* EMU_MMC_PART_USER / _RPMB selected first, or EMU_MMC_PART_KEEP */
	uint16_t flags;    /* EMU_MMC_CMD_* */
	uint32_t repeat;   /* with EMU_MMC_CMD_AFTER_RPMB_REQ: runs, 0 = 1 */
	uint32_t reserved;
};
_Static_assert(sizeof(struct emu_mmc_single) == 24, "emu_mmc_single");
_Static_assert(offsetof(struct emu_mmc_single, opcode) == 0, "opcode");
_Static_assert(offsetof(struct emu_mmc_single, arg) == 4, "arg");
_Static_assert(offsetof(struct emu_mmc_single, blocks) == 8, "blocks");
_Static_assert(offsetof(struct emu_mmc_single, part) == 12, "part");
_Static_assert(offsetof(struct emu_mmc_single, flags) == 14, "flags");
_Static_assert(offsetof(struct emu_mmc_single, repeat) == 16, "repeat");
_Static_assert(offsetof(struct emu_mmc_single, reserved) == 20, "reserved");
struct emu_mmc_single_rsp {
	uint32_t status;   /* R1 card status error bits (EMU_MMC_R1_*), 0 = none */
	uint32_t data_len; /* bytes that follow */
	uint16_t part;     /* EXT_CSD[179] access bits after the command */
	uint16_t reserved;
	uint32_t runs;     /* times the command ran (EMU_MMC_CMD_AFTER_RPMB_REQ), else 1 */
};
#define EMU_MMC_R1_OUT_OF_RANGE     (1u << 31)
#define EMU_MMC_R1_ILLEGAL_COMMAND  (1u << 22)
#define EMU_MMC_R1_SWITCH_ERROR     (1u << 7)
_Static_assert(sizeof(struct emu_mmc_single_rsp) == 16, "emu_mmc_single_rsp");
_Static_assert(offsetof(struct emu_mmc_single_rsp, status) == 0, "status");
_Static_assert(offsetof(struct emu_mmc_single_rsp, data_len) == 4, "data_len");
_Static_assert(offsetof(struct emu_mmc_single_rsp, part) == 8, "part");
_Static_assert(offsetof(struct emu_mmc_single_rsp, reserved) == 10, "reserved");
_Static_assert(offsetof(struct emu_mmc_single_rsp, runs) == 12, "runs");
/* ---- the kernel RPMB route (issue 11 §2, S4) ------------------------------------------ */
/*
 * A normal-world peer registers as the kernel's in-kernel RPMB handler (Linux
 * drivers/tee/optee/rpc.c with optee->in_kernel_rpmb_routing): stmmd then sends it
 * OPTEE_RPC_CMD_RPMB_PROBE_RESET (22), _PROBE_NEXT (23) and _FRAMES (24) as ordinary
 * EMU_MSG_SUPP_RPC_REQ messages on that connection; legacy OPTEE_RPC_CMD_RPMB (1) still
 * goes to the registered supplicant (Linux never handles it in the kernel).  Without a
 * registered handler 22-24 go to the supplicant, as Linux forwards them when it does not
 * route RPMB itself.  No payload; reply emu_tee_result (TEE_ERROR_BUSY: one is registered).
 */
#define EMU_MSG_SUPP_REGISTER_RPMB_REQ 0x0305
#define EMU_MSG_SUPP_REGISTER_RPMB_RSP 0x0306
/*
 * An RPC's value[0] OUTPUT parameter (OP-TEE's struct thread_param value a, b, c).  For
 * PROBE_RESET and PROBE_NEXT the reply's out bytes start with it and memref[1] follows:
 *   PROBE_RESET: emu_supp_rpc.out_len = 24; value a = OPTEE_RPC_SHM_TYPE_* for later buffers.
 *   PROBE_NEXT:  out_len = 24 + 16; a = OPTEE_RPC_RPMB_* device type, b = EXT_CSD[168]
 *                RPMB size mult, c = EXT_CSD[222] rel. write sector count; then the raw CID.
 *                TEE_ERROR_ITEM_NOT_FOUND (no out bytes): no more devices.
 *   FRAMES:      in = raw request frames (no struct rpmb_req), out = response frames.
 */
struct emu_supp_rpc_value {
	uint64_t a;
	uint64_t b;
	uint64_t c;
};
_Static_assert(sizeof(struct emu_supp_rpc_value) == 24, "emu_supp_rpc_value");
_Static_assert(offsetof(struct emu_supp_rpc_value, a) == 0, "a");
_Static_assert(offsetof(struct emu_supp_rpc_value, b) == 8, "b");
_Static_assert(offsetof(struct emu_supp_rpc_value, c) == 16, "c");
#define EMU_SUPP_RPMB_PROBE_NEXT_OUT_LEN 40u /* value + 16-byte eMMC CID */
/* linux include/linux/tee_core.h / optee_rpc_cmd.h */
#define OPTEE_RPC_SHM_TYPE_APPL   0
#define OPTEE_RPC_SHM_TYPE_KERNEL 1
#define OPTEE_RPC_RPMB_EMMC 0
#define OPTEE_RPC_RPMB_UFS  1
#define OPTEE_RPC_RPMB_NVME 2

/* emu_ctrl_status.flags: RPMB goes the kernel route (PROBE/FRAMES), not legacy RPC 1. */
#define EMU_CTRL_STATUS_ROUTE_KERNEL 0x800u
/* emu_ctrl_status.flags: an in-kernel RPMB handler is registered. */
#define EMU_CTRL_STATUS_RPMB_HANDLER 0x1000u
/* emu_ctrl_status.flags: the boot phase StMM is in (edk2 mEndOfDxe: READY_TO_BOOT or EndOfDxe
 * signalled; mAtRuntime: EXIT_BOOT_SERVICE signalled).  `stmm-emu status` "boot phase". */
#define EMU_CTRL_STATUS_END_OF_DXE   0x2000u
#define EMU_CTRL_STATUS_AT_RUNTIME   0x4000u
/* emu_ctrl_status.flags (with EMU_CTRL_STATUS_AUTH): the SetupMode *variable* reads 1.  It
 * can differ from EMU_CTRL_STATUS_SETUP_MODE (AuthVariableLib's own mode) when a client
 * rewrote it, as U-Boot's efi_init_secure_state does at every boot. */
#define EMU_CTRL_STATUS_SETUP_MODE_VAR 0x8000u

/* ---- FF-A on the tee socket (include/ffa.h) ------------------------------------------- */
/*
 * One FF-A call (an SMC to the SPMC): payload struct ffa_regs (x0..x7), reply
 * EMU_MSG_FFA_RSP with the registers the SPMC returned.  FFA_RXTX_MAP carries a memfd
 * (SCM_RIGHTS) of 2 x page-count x 4 KiB: TX at 0, RX right after it; x1/x2 are the
 * caller's addresses of TX and RX, checked for alignment only.  Any malformed call is an
 * FFA_ERROR reply; EMU_MSG_ERROR only for a payload that is not 64 bytes.
 */
#define EMU_MSG_FFA_REQ 0x0211
#define EMU_MSG_FFA_RSP 0x0212
/*
 * The board's MM shared buffer (the carveout in the MM SP's manifest, "mm-comm-buffer"),
 * which FF-A itself never shares: a memfd of `size` bytes that the SP sees at physical
 * address `base`.  Once per connection, before the first door bell.  Reply
 * EMU_MSG_FFA_MM_BUF_RSP (no payload) or EMU_MSG_ERROR (-EINVAL size 0 or above
 * FFA_EMU_MM_BUF_MAX or no fd, -EEXIST already declared).
 */
#define EMU_MSG_FFA_MM_BUF_REQ 0x0213
#define EMU_MSG_FFA_MM_BUF_RSP 0x0214
struct emu_ffa_mm_buf {
	uint64_t base;
	uint64_t size;
};
_Static_assert(sizeof(struct emu_ffa_mm_buf) == 16, "emu_ffa_mm_buf");
_Static_assert(offsetof(struct emu_ffa_mm_buf, base) == 0, "base");
_Static_assert(offsetof(struct emu_ffa_mm_buf, size) == 8, "size");

#endif
