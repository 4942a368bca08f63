/* SPDX-License-Identifier: MIT */
/*
 * The UEFI variable services as the Linux tee_stmm_efi driver offers them, over the tee
 * socket to stmmd: one session to PTA_STMM, GET_PAYLOAD_SIZE once per session (minus the
 * 2-byte quirk), every request built by mmvar_build() and sent as memref[0] (INOUT, exact
 * buffer size) + value[1] (OUTPUT) to PTA_STMM_CMD_COMMUNICATE.
 *
 * The service functions return an EFI status, exactly what a caller of the Linux driver
 * would see: a local refusal (budget, malformed name) is EFI_INVALID_PARAMETER without a
 * request; a transport failure (socket, timeout, TEE result other than TEE_SUCCESS,
 * including TEE_ERROR_EXCESS_DATA) is EFI_DEVICE_ERROR; otherwise the MM return code is
 * mapped (mmvar_mm_code_to_efi) and, when it is success, the ReturnStatus is returned.
 * emu_client_last_error() tells what went wrong below the EFI status.
 *
 * Names are UCS-2LE bytes with their terminating NUL, as the drivers take them.
 */
#ifndef STMM_EMU_EMU_CLIENT_H
#define STMM_EMU_EMU_CLIENT_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "efi.h"
#include "mm.h"

#define EMU_CLIENT_DEFAULT_TIMEOUT_MS 30000
#define EMU_CLIENT_WUR __attribute__((warn_unused_result))

struct emu_client;
typedef struct emu_client emu_client;

/*
 * Connect to the tee socket and open a session to the StMM PTA.  0 or -errno
 * (-ENOENT/-ECONNREFUSED: nobody listens; -EACCES: the TEE refused the session; the TEE
 * result is in the last error text).
 */
__attribute__((warn_unused_result)) int emu_client_open(const char *tee_socket, int timeout_ms,
							 struct emu_client **ret_client);

/*
 * Whose behaviour the client reproduces on the wire (README "Client personas"):
 *  LINUX  drivers/firmware/efi/stmm/tee_stmm_efi.c: one session for the client's life,
 *         shared memory registered once; what emu_client_open() gives.
 *  UBOOT  lib/efi_loader/efi_variable_tee.c (emu/client/uboot.h): a session and a shm
 *         registration per MM call, PROPERTY_GET around Get/Set, and after
 *         emu_client_exit_boot_services() Get/GetNext served from a snapshot of the
 *         runtime variables taken then, Set/Query EFI_UNSUPPORTED.
 */
enum emu_client_persona {
	EMU_CLIENT_PERSONA_LINUX,
	EMU_CLIENT_PERSONA_UBOOT,
};

/* "linux" | "uboot" (also "u-boot") -> persona; -EINVAL for anything else. */
__attribute__((warn_unused_result)) int emu_client_persona_from_name(const char *name,
								      enum emu_client_persona *ret);
const char *emu_client_persona_name(enum emu_client_persona p);

/*
 * Connect as `persona`.  LINUX: as emu_client_open().  UBOOT: connects only (U-Boot opens
 * a session per call); GET_PAYLOAD_SIZE is the first MM call, made before the first
 * service call as U-Boot's efi_init_obj_list() does at boot.  0 or -errno.
 */
__attribute__((warn_unused_result)) int emu_client_open_persona(const char *tee_socket,
								 int timeout_ms,
								 enum emu_client_persona persona,
								 struct emu_client **ret_client);
enum emu_client_persona emu_client_persona(const struct emu_client *c);

/*
 * How the client reaches StMM (README "Transports"), chosen when it opens from
 * $STMM_EMU_TRANSPORT (the CLI's --transport sets it):
 *  OPTEE  (default) OP-TEE's PTA_STMM over the tee socket: sessions, shm, invoke.
 *  FFA    U-Boot's FF-A MM transport (emu/client/ffa_client.h): probe, MM SP discovery by
 *         UUID, the fixed MM shared buffer ($STMM_EMU_FFA_BUF_SIZE bytes, default
 *         EMU_CLIENT_FFA_DEFAULT_BUF_SIZE; $STMM_EMU_FFA_X3=address for an edk2 SP) and the
 *         door bell.  Either persona; raw mode is -EOPNOTSUPP (it is PTA_STMM's memref).
 */
enum emu_client_transport {
	EMU_CLIENT_TRANSPORT_OPTEE,
	EMU_CLIENT_TRANSPORT_FFA,
};
#define EMU_CLIENT_TRANSPORT_ENV "STMM_EMU_TRANSPORT"
#define EMU_CLIENT_FFA_DEFAULT_BUF_SIZE (32u * 1024u) /* smm-gateway's mm-comm-buffer, 8 pages */
/* "optee" | "ffa" -> transport; -EINVAL otherwise. */
__attribute__((warn_unused_result)) int emu_client_transport_from_name(const char *name,
									enum emu_client_transport *ret);
/* $STMM_EMU_TRANSPORT (unset or empty: OPTEE); -EINVAL for an unknown name. */
__attribute__((warn_unused_result)) int emu_client_transport_from_env(enum emu_client_transport *ret);
enum emu_client_transport emu_client_transport(const struct emu_client *c);
/*
 * The U-Boot persona's build: $STMM_EMU_UBOOT_SECURE_BOOT = y|1 is U-Boot with
 * CONFIG_EFI_SECURE_BOOT (efi_init_secure_state reads DeployedMode, AuditMode and PK);
 * unset, empty, n or 0 without it (the default, as every U-Boot defconfig with
 * CONFIG_EFI_MM_COMM_TEE).  -EINVAL for anything else.
 */
#define EMU_CLIENT_UBOOT_SECURE_BOOT_ENV "STMM_EMU_UBOOT_SECURE_BOOT"
__attribute__((warn_unused_result)) int emu_client_uboot_secure_boot_from_env(bool *ret);

/*
 * ExitBootServices as the persona's firmware signals it to StMM.
 *  UBOOT: SMM_VARIABLE_FUNCTION_EXIT_BOOT_SERVICE (never READY_TO_BOOT), then the snapshot
 *         of the runtime variables (GetNext/Get/PROPERTY_GET over MM); from then on the
 *         client is at runtime.  Returns the EXIT_BOOT_SERVICE status (U-Boot only logs
 *         it); the snapshot is taken even when it failed.  A second call: EFI_UNSUPPORTED.
 *  LINUX: Linux itself sends nothing (it starts after ExitBootServices); this is the bare
 *         MM call EXIT_BOOT_SERVICE, as edk2's DXE variable driver would make it for the
 *         firmware before Linux.  No snapshot, nothing changes in the client.
 */
EMU_CLIENT_WUR efi_status_t emu_client_exit_boot_services(struct emu_client *c);
/* UBOOT persona after ExitBootServices. */
bool emu_client_at_runtime(const struct emu_client *c);
/* UBOOT persona: variables in the runtime snapshot (0 otherwise). */
size_t emu_client_runtime_variables(const struct emu_client *c);
void emu_client_free(struct emu_client *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(emu_client, emu_client_free)

/* What the last call failed on below the EFI status ("" when nothing failed). */
const char *emu_client_last_error(const struct emu_client *c);
/* MM communicate round trips this client has made so far (what `make bench` divides by). */
uint64_t emu_client_mm_round_trips(const struct emu_client *c);

/*
 * GET_PAYLOAD_SIZE, once per session (cached afterwards).  ret_max_payload is the
 * budget the client uses: the answer minus MM_CLIENT_PAYLOAD_QUIRK.  An answer below
 * 40 + 0x20 is EFI_DEVICE_ERROR, as in Linux.  The U-Boot persona runs its whole
 * efi_init_obj_list() first (uboot.h), as U-Boot does before any variable service.
 */
EMU_CLIENT_WUR efi_status_t emu_client_get_payload_size(struct emu_client *c, uint64_t *ret_max_payload);
/* The bare GET_PAYLOAD_SIZE (cached), without the persona's initialisation. */
EMU_CLIENT_WUR efi_status_t emu_client_mm_get_payload_size(struct emu_client *c,
							    uint64_t *ret_max_payload);

/*
 * GetVariable.  *io_data_size: in the size of `data`, out the size answered on
 * EFI_SUCCESS and EFI_BUFFER_TOO_SMALL.  ret_attributes (optional) is set on both too.
 */
EMU_CLIENT_WUR efi_status_t emu_client_get_variable(struct emu_client *c, const uint8_t *name, size_t name_size,
				     const efi_guid_t *guid, uint32_t *ret_attributes,
				     uint64_t *io_data_size, uint8_t *data);

/*
 * GetNextVariableName.  `name` is a buffer of *io_name_size bytes holding the previous
 * name (L"" to start); io_guid the previous GUID.  On success both are replaced; on
 * EFI_SUCCESS and EFI_BUFFER_TOO_SMALL *io_name_size is the size answered.
 */
EMU_CLIENT_WUR efi_status_t emu_client_get_next_variable_name(struct emu_client *c, uint64_t *io_name_size,
					       uint8_t *name, efi_guid_t *io_guid);

EMU_CLIENT_WUR efi_status_t emu_client_set_variable(struct emu_client *c, const uint8_t *name, size_t name_size,
				     const efi_guid_t *guid, uint32_t attributes,
				     uint64_t data_size, const uint8_t *data);

EMU_CLIENT_WUR efi_status_t emu_client_query_variable_info(struct emu_client *c, uint32_t attributes,
					    uint64_t *ret_max_storage, uint64_t *ret_remaining,
					    uint64_t *ret_max_variable_size);

/*
 * Any variable-service function through the normal path (as edk2's DXE client sends
 * READY_TO_BOOT, EXIT_BOOT_SERVICE, LOCK_VARIABLE, VAR_CHECK_VARIABLE_PROPERTY_SET/GET):
 * header + `payload_size` bytes of `payload` (may be NULL when 0), MessageLength = 16 +
 * payload_size, the same budget, transport and MM-code mapping as the calls above.  When
 * the variable service answered, its payload is copied back into `payload` and its
 * ReturnStatus returned.  UBOOT persona at runtime: EFI_UNSUPPORTED, nothing sent.
 */
EMU_CLIENT_WUR efi_status_t emu_client_call(struct emu_client *c, uint64_t function, uint8_t *payload,
				     size_t payload_size);

/*
 * The MM path alone, without the persona's logic (what the Linux driver sends for each
 * service; the U-Boot persona builds on these).  emu_client_mm_get_variable sends
 * `attributes` in the request's Attributes field (Linux: 0; U-Boot: the caller's *attributes).
 */
EMU_CLIENT_WUR efi_status_t emu_client_mm_get_variable(struct emu_client *c, const uint8_t *name,
							size_t name_size, const efi_guid_t *guid,
							uint32_t attributes, uint32_t *ret_attributes,
							uint64_t *io_data_size, uint8_t *data);
EMU_CLIENT_WUR efi_status_t emu_client_mm_get_next_variable_name(struct emu_client *c,
								  uint64_t *io_name_size,
								  uint8_t *name, efi_guid_t *io_guid);
EMU_CLIENT_WUR efi_status_t emu_client_mm_set_variable(struct emu_client *c, const uint8_t *name,
							size_t name_size, const efi_guid_t *guid,
							uint32_t attributes, uint64_t data_size,
							const uint8_t *data);
EMU_CLIENT_WUR efi_status_t emu_client_mm_query_variable_info(struct emu_client *c,
							       uint32_t attributes,
							       uint64_t *ret_max_storage,
							       uint64_t *ret_remaining,
							       uint64_t *ret_max_variable_size);
EMU_CLIENT_WUR efi_status_t emu_client_mm_call(struct emu_client *c, uint64_t function,
						uint8_t *payload, size_t payload_size);
/*
 * VAR_CHECK_VARIABLE_PROPERTY_GET as both drivers send it (get_property_int): the whole
 * property; EFI_NOT_FOUND is EFI_SUCCESS with an all-zero property, as both treat it.
 */
EMU_CLIENT_WUR efi_status_t emu_client_mm_get_property(struct emu_client *c, const uint8_t *name,
							size_t name_size, const efi_guid_t *guid,
							struct var_check_variable_property *ret);
/* VAR_CHECK_VARIABLE_PROPERTY_SET as U-Boot's set_property_int sends it (48 + name bytes
 * above the budget: EFI_INVALID_PARAMETER without a call). */
EMU_CLIENT_WUR efi_status_t emu_client_mm_set_property(struct emu_client *c, const uint8_t *name,
							size_t name_size, const efi_guid_t *guid,
							const struct var_check_variable_property *prop);
/* Set the text emu_client_last_error() returns (for the persona modules). */
void emu_client_set_error(struct emu_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Raw mode: any bytes as the MM buffer, any memref size. */
struct emu_client_raw_result {
	uint32_t tee_ret;      /* TEE_SUCCESS / TEE_ERROR_* of the invoke */
	uint32_t tee_origin;
	uint64_t mm_code;      /* value[1].a as it came back */
	uint64_t memref_size;  /* memref[0] size as it came back (EXCESS_DATA: the max) */
	uint8_t *answer;       /* the shared buffer after the call (g_free) */
	size_t answer_size;    /* bytes of answer: the memref size sent */
};
void emu_client_raw_result_clear(struct emu_client_raw_result *r);

/*
 * Send `len` bytes as the MM buffer with memref[0].size = memref_size (the shared memory
 * is at least max(len, memref_size) bytes, zero past `len`).  0 or -errno for a transport
 * failure; the TEE's answer, whatever it is, is in ret_result.
 */
__attribute__((warn_unused_result)) int emu_client_raw(struct emu_client *c, const uint8_t *buf,
							size_t len, uint64_t memref_size,
							struct emu_client_raw_result *ret_result);

#endif
