/* SPDX-License-Identifier: MIT */
/*
 * The U-Boot persona of the client (EMU_CLIENT_PERSONA_UBOOT): what U-Boot's
 * lib/efi_loader/efi_variable_tee.c (u-boot/u-boot 6073c36b2c8, 2026-08) does differently
 * from Linux's tee_stmm_efi, reproduced behaviour for behaviour (no U-Boot code copied):
 *
 *  - transport (optee_mm_communicate): a PTA_STMM session per MM call: open session,
 *    register the communication buffer (exactly its size) as shared memory, invoke
 *    PTA_STMM_CMD_COMMUNICATE, free the shm, close the session.  A session that cannot
 *    be opened, or shm that cannot be registered, is EFI_UNSUPPORTED; a failed invoke or a
 *    TEE result other than TEE_SUCCESS is EFI_DEVICE_ERROR;
 *  - init (efi_init_obj_list: efi_init_variables first), before the first service, once per
 *    client (one U-Boot boot), its result kept: GET_PAYLOAD_SIZE (answer below 40 + 0x20
 *    is EFI_DEVICE_ERROR, max_payload = answer - 2, max_buffer = 24 + 16 + max_payload; the
 *    request builder, mmvar.c, trims and refuses the same way), then
 *    efi_init_secure_state(): without CONFIG_EFI_SECURE_BOOT (default) the mode is always
 *    setup; with it ($STMM_EMU_UBOOT_SECURE_BOOT=y) DeployedMode, AuditMode and PK are read
 *    first.  The mode's SecureBoot, SetupMode, AuditMode, DeployedMode, then VendorKeys = 0
 *    are written as U-Boot's own read-only variables (below).  Then efi_init_platform_lang
 *    (PlatformLangCodes "en-US" read-only; PlatformLang "en-US" nv,bs,rt only when absent)
 *    and efi_init_os_indications (OsIndicationsSupported = 0, read-only).  Between the
 *    two, efi_bootmgr_update_media_device_boot_option makes no call here: the emulated
 *    board has no block device, and without one U-Boot returns before any variable (with
 *    media it adds Boot#### for new media and deletes auto-generated ones of absent media:
 *    not reproduced).  Capsule support is not configured (U-Boot's default);
 *  - GetVariable with Attributes (efi_get_variable_int) sends the GET, then
 *    VAR_CHECK_VARIABLE_PROPERTY_GET (EFI_NOT_FOUND there = no property); the boot-time
 *    API (efi_get_variable) masks the attributes with EFI_VARIABLE_MASK (0xff);
 *  - SetVariable (efi_set_variable -> efi_set_variable_int(ro_check = true)): attributes
 *    outside 0xff, an empty name, data_size > 0 without data, or 40 + name + data above the
 *    budget are EFI_INVALID_PARAMETER without a call; then PROPERTY_GET, a READ_ONLY
 *    variable is EFI_WRITE_PROTECTED without a SET; else the SET.  U-Boot's own writes
 *    (ro_check = false, EFI_VARIABLE_READ_ONLY asked) clear a READ_ONLY property with
 *    PROPERTY_SET for the write and set {1, READ_ONLY, attributes, 1, data size} after it.
 *    A successful write of PK runs efi_init_secure_state() again;
 *  - QueryVariableInfo: Attributes 0 or a NULL output is EFI_INVALID_PARAMETER;
 *  - ExitBootServices (efi_variables_boot_exit_notify): SMM_VARIABLE_FUNCTION_EXIT_BOOT_SERVICE
 *    only (never READY_TO_BOOT; its failure is only logged by U-Boot), then
 *    efi_var_collect(EFI_VARIABLE_RUNTIME_ACCESS): GetNextVariableName/GetVariable (with
 *    Attributes, so PROPERTY_GET too) over the MM path into a CONFIG_EFI_VAR_BUF_SIZE
 *    (default 131072) buffer in U-Boot's efi_var_file layout; any failure while collecting
 *    leaves the runtime store empty.  Afterwards:
 *      GetVariable / GetNextVariableName are served from that snapshot (efi_var_mem.c
 *      efi_get_variable_mem / efi_get_next_variable_name_mem, mask RUNTIME_ACCESS), no MM;
 *      SetVariable and QueryVariableInfo are EFI_UNSUPPORTED (efi_set_variable_runtime,
 *      efi_query_variable_info_runtime).  With CONFIG_EFI_MM_COMM_TEE the store is not a
 *      file, so CONFIG_EFI_RT_VOLATILE_STORE (depends on EFI_VARIABLE_FILE_STORE) cannot
 *      apply: this is the typical arm64 board (qemu_arm64 / meta-arm qemuarm64-secureboot
 *      with CONFIG_EFI_MM_COMM_TEE=y).
 *
 * The snapshot is a process-local copy: it goes stale as soon as another client writes
 * (scenario S8), exactly as the OS's view of a U-Boot runtime does.
 */
#ifndef STMM_EMU_EMU_CLIENT_UBOOT_H
#define STMM_EMU_EMU_CLIENT_UBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "efi.h"
#include "tee_client.h"

struct emu_client;

/* U-Boot include/efi_variable.h and include/efi.h. */
#define UBOOT_WUR __attribute__((warn_unused_result))

#define UBOOT_EFI_VARIABLE_READ_ONLY 0x80000000u
#define UBOOT_EFI_VARIABLE_MASK      0x000000ffu
#define UBOOT_EFI_VAR_BUF_SIZE       131072u    /* CONFIG_EFI_VAR_BUF_SIZE default */
#define UBOOT_EFI_VAR_FILE_MAGIC     0x0161566966456255ull /* "UbEfiVa", version 1 */

/* The persona's state: the runtime variable store and whether ExitBootServices ran. */
struct uboot_state;
/* secure_boot: U-Boot built with CONFIG_EFI_SECURE_BOOT (efi_init_secure_state reads). */
struct uboot_state *uboot_state_new(bool secure_boot);
void uboot_state_free(struct uboot_state *u);
bool uboot_at_runtime(const struct uboot_state *u);
/* Variables in the runtime store (0 before ExitBootServices or when collecting failed). */
size_t uboot_runtime_count(const struct uboot_state *u);

/*
 * One MM call as optee_mm_communicate() makes it: session, shm of `size` bytes holding
 * `buf`, invoke, shm freed, session closed.  On 0 the TEE's answer is in ret_rsp and, when
 * the invoke answered, the shared buffer is copied back into `buf`.  -EACCES: no session
 * (EFI_UNSUPPORTED); -ENOBUFS: shm not registered (EFI_UNSUPPORTED); other -errno: the
 * invoke failed (EFI_DEVICE_ERROR).
 */
__attribute__((warn_unused_result)) int uboot_mm_communicate(struct emu_teec *t, uint8_t *buf,
							      size_t size,
							      struct emu_tee_invoke_rsp *ret_rsp);

/*
 * The variable half of efi_init_obj_list(), once per client (one U-Boot boot):
 * efi_init_variables (GET_PAYLOAD_SIZE, efi_init_secure_state), efi_init_platform_lang,
 * efi_init_os_indications.  Every service runs it first; its result is kept, so after a
 * failure every service answers it again.
 */
UBOOT_WUR efi_status_t uboot_init_obj_list(struct emu_client *c, struct uboot_state *u);

/* The persona's variable services; see the file comment.  Called by client.c. */
UBOOT_WUR efi_status_t uboot_get_variable(struct emu_client *c, struct uboot_state *u, const uint8_t *name,
				size_t name_size, const efi_guid_t *guid, uint32_t *ret_attributes,
				uint64_t *io_data_size, uint8_t *data);
UBOOT_WUR efi_status_t uboot_get_next_variable_name(struct emu_client *c, struct uboot_state *u,
					  uint64_t *io_name_size, uint8_t *name, efi_guid_t *io_guid);
UBOOT_WUR efi_status_t uboot_set_variable(struct emu_client *c, struct uboot_state *u, const uint8_t *name,
				size_t name_size, const efi_guid_t *guid, uint32_t attributes,
				uint64_t data_size, const uint8_t *data);
UBOOT_WUR efi_status_t uboot_query_variable_info(struct emu_client *c, struct uboot_state *u,
				       uint32_t attributes, uint64_t *ret_max_storage,
				       uint64_t *ret_remaining, uint64_t *ret_max_variable_size);
/* ExitBootServices: the EXIT_BOOT_SERVICE call's status; the snapshot is taken either way. */
UBOOT_WUR efi_status_t uboot_exit_boot_services(struct emu_client *c, struct uboot_state *u);

/*
 * The snapshot machinery on its own (pure; unit-tested with fake services).
 *
 * efi_var_collect(): walk GetNextVariableName from L"" and GetVariable every name (with
 * Attributes; the name and data buffers are what is left of a `buf_size` buffer) into a
 * new buffer in U-Boot's efi_var_file layout (little-endian):
 *   file:  u64 reserved, u64 magic, u32 length (whole file), u32 crc32 (0 here: nothing
 *          reads it at runtime), entries;
 *   entry: u32 length (data bytes), u32 attr, u64 time, 16 bytes GUID, UCS-2 name with its
 *          NUL, data; each entry starts 8-byte aligned.
 * Only variables with (attr & mask) == mask are kept.  EFI_BUFFER_TOO_SMALL when the buffer
 * fills up; any other failure of the services is returned as is.
 */
struct uboot_collect_ops {
	void *ctx;
	efi_status_t (*get_next)(void *ctx, uint64_t *io_name_size, uint8_t *name,
				 efi_guid_t *io_guid);
	/* *io_attributes: in what goes into the request, out the attributes. */
	efi_status_t (*get)(void *ctx, const uint8_t *name, size_t name_size,
			    const efi_guid_t *guid, uint32_t *io_attributes,
			    uint64_t *io_data_size, uint8_t *data);
};
UBOOT_WUR efi_status_t uboot_var_collect(const struct uboot_collect_ops *ops, uint32_t mask, size_t buf_size,
			       uint8_t **ret_buf, size_t *ret_len);

/* efi_get_variable_mem() on a store built by uboot_var_collect (buf of buf_size bytes). */
UBOOT_WUR efi_status_t uboot_var_get_mem(const uint8_t *buf, size_t buf_size, const uint8_t *name,
			       size_t name_size, const efi_guid_t *guid, uint32_t *ret_attributes,
			       uint64_t *io_data_size, uint8_t *data, uint32_t mask);
/* efi_get_next_variable_name_mem() on such a store. */
UBOOT_WUR efi_status_t uboot_var_get_next_mem(const uint8_t *buf, size_t buf_size, uint64_t *io_name_size,
				    uint8_t *name, efi_guid_t *io_guid, uint32_t mask);

#endif
