/* SPDX-License-Identifier: MIT */
/*
 * The U-Boot persona (uboot.h).  Behaviour reproduced from u-boot/u-boot
 * lib/efi_loader/efi_variable_tee.c, efi_var_common.c (efi_var_collect, the runtime
 * Get/GetNext wrappers) and efi_var_mem.c (efi_get_variable_mem,
 * efi_get_next_variable_name_mem); see the comments at each function.
 */
#include "uboot.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bytes.h"
#include "client.h"
#include "efi_util.h"
#include "mm.h"
#include "mmvar.h"
#include "pta_stmm.h"

struct uboot_state {
	bool at_runtime;
	uint8_t *var_buf;          /* efi_var_buf: UBOOT_EFI_VAR_BUF_SIZE bytes */
	size_t runtime_count;
	bool secure_boot;          /* CONFIG_EFI_SECURE_BOOT */
	bool init_done;            /* efi_init_obj_list() ran: its result is kept */
	efi_status_t init_status;
	unsigned secure_state_depth; /* efi_init_secure_state() nesting (PK writes) */
};

/* efi_var_file header and efi_var_entry offsets (U-Boot include/efi_variable.h). */
#define VF_MAGIC   8
#define VF_LENGTH  16
#define VF_CRC32   20
#define VF_VARS    24
#define VE_LENGTH  0
#define VE_ATTR    4
#define VE_TIME    8
#define VE_GUID    16
#define VE_NAME    32

static size_t align8(size_t x)
{
	return (x + 7) & ~(size_t)7;
}

/* Empty store, as efi_var_mem_init() leaves it. */
static void var_buf_init(uint8_t *buf)
{
	memset(buf, 0, UBOOT_EFI_VAR_BUF_SIZE);
	put_le64(buf + VF_MAGIC, UBOOT_EFI_VAR_FILE_MAGIC);
	put_le32(buf + VF_LENGTH, VF_VARS);
}

struct uboot_state *uboot_state_new(bool secure_boot)
{
	struct uboot_state *u = g_new0(struct uboot_state, 1);
	u->var_buf = g_malloc(UBOOT_EFI_VAR_BUF_SIZE);
	u->secure_boot = secure_boot;
	var_buf_init(u->var_buf);
	return u;
}

void uboot_state_free(struct uboot_state *u)
{
	if (!u)
		return;
	g_free(u->var_buf);
	g_free(u);
}

bool uboot_at_runtime(const struct uboot_state *u)
{
	return u && u->at_runtime;
}

size_t uboot_runtime_count(const struct uboot_state *u)
{
	return u ? u->runtime_count : 0;
}

/* ---- transport: optee_mm_communicate() ------------------------------------------------ */

static int close_session(struct emu_teec *t, uint32_t session)
{
	g_autoptr(emu_msg) reply = NULL;
	return emu_teec_call(t->fd, &t->next_id, t->timeout_ms, EMU_MSG_TEE_CLOSE_SESSION_REQ,
			     &session, sizeof(session), -1, EMU_MSG_TEE_CLOSE_SESSION_RSP, &reply,
			     NULL);
}

static int unregister_shm(struct emu_teec *t, uint32_t id)
{
	g_autoptr(emu_msg) reply = NULL;
	return emu_teec_call(t->fd, &t->next_id, t->timeout_ms, EMU_MSG_TEE_UNREGISTER_SHM_REQ, &id,
			     sizeof(id), -1, EMU_MSG_TEE_UNREGISTER_SHM_RSP, &reply, NULL);
}

/* tee_shm_register(comm_buf, buf_size): a memfd of exactly `size` bytes holding buf. */
static int register_shm(struct emu_teec *t, const uint8_t *buf, size_t size, int *ret_fd,
			uint8_t **ret_map, uint32_t *ret_id)
{
	int fd;
	uint8_t *map;
	int r = emu_teec_memfd_map("stmm-emu-uboot-shm", size, &fd, &map);
	if (r < 0)
		return r;
	memcpy(map, buf, size);
	struct emu_tee_register_shm req = { .size = size };
	g_autoptr(emu_msg) reply = NULL;
	struct emu_tee_result res = { .ret = TEE_ERROR_GENERIC };
	r = emu_teec_call(t->fd, &t->next_id, t->timeout_ms, EMU_MSG_TEE_REGISTER_SHM_REQ, &req,
			  sizeof(req), fd, EMU_MSG_TEE_REGISTER_SHM_RSP, &reply, NULL);
	if (r >= 0 && reply->hdr.length >= sizeof(res))
		memcpy(&res, reply->payload, sizeof(res));
	if (r < 0 || res.ret != TEE_SUCCESS) {
		munmap(map, size);
		close(fd);
		return r < 0 ? r : -EIO;
	}
	*ret_fd = fd;
	*ret_map = map;
	*ret_id = res.id;
	return 0;
}

int uboot_mm_communicate(struct emu_teec *t, uint8_t *buf, size_t size,
			 struct emu_tee_invoke_rsp *ret_rsp)
{
	static const uint8_t uuid[TEE_UUID_SIZE] = PTA_STMM_UUID_BYTES;
	struct emu_tee_result res;
	int fd = -1;
	uint8_t *map = NULL;
	uint32_t shm_id = 0;

	/* get_connection(): tee_open_session, then arg.ret checked. */
	int r = emu_teec_open_session(t, uuid, &res);
	if (r < 0 || res.ret != TEE_SUCCESS)
		return -EACCES;
	uint32_t session = res.id;

	r = register_shm(t, buf, size, &fd, &map, &shm_id);
	if (r < 0) {
		(void)close_session(t, session);
		return -ENOBUFS;
	}

	struct emu_tee_invoke req = {
		.session = session,
		.cmd = PTA_STMM_CMD_COMMUNICATE,
		.param_types = PTA_STMM_COMMUNICATE_PARAM_TYPES,
		.params[0] = { .a = shm_id, .b = 0, .c = size },
	};
	struct emu_tee_invoke_rsp rsp;
	r = emu_teec_invoke(t, &req, &rsp);
	/* tee_shm_free() and tee_close_session() whatever the invoke did. */
	(void)unregister_shm(t, shm_id);
	(void)close_session(t, session);
	if (r == 0) {
		memcpy(buf, map, size);
		*ret_rsp = rsp;
	}
	munmap(map, size);
	close(fd);
	return r;
}

/* ---- boot-time services ---------------------------------------------------------------- */

/* u16_strsize(): bytes up to and including the NUL; -EINVAL when there is none. */
static int ucs2_strsize(const uint8_t *name, size_t size, size_t *ret)
{
	for (size_t i = 0; i + 1 < size; i += 2)
		if (!name[i] && !name[i + 1]) {
			*ret = i + 2;
			return 0;
		}
	return -EINVAL;
}

/* efi_get_variable_int(): GET, then with Attributes PROPERTY_GET (READ_ONLY -> bit 31). */
static efi_status_t get_variable_int(struct emu_client *c, const uint8_t *name, size_t name_size,
				     const efi_guid_t *guid, uint32_t *io_attributes,
				     uint64_t *io_data_size, uint8_t *data)
{
	size_t nsz;
	uint64_t max;
	uint32_t attr = 0;

	if (!name || !guid || !io_data_size || ucs2_strsize(name, name_size, &nsz) < 0)
		return EFI_INVALID_PARAMETER;
	/* Without a data buffer U-Boot still sends the GET (and answers INVALID_PARAMETER). */
	g_autofree uint8_t *scratch = NULL;
	uint8_t *dst = data;
	if (!dst) {
		efi_status_t s = emu_client_mm_get_payload_size(c, &max);
		if (s != EFI_SUCCESS)
			return s;
		scratch = g_malloc0(MIN(*io_data_size, max) + 1);
		dst = scratch;
	}
	efi_status_t s = emu_client_mm_get_variable(c, name, nsz, guid,
						    io_attributes ? *io_attributes : 0, &attr,
						    io_data_size, dst);
	if (s != EFI_SUCCESS && s != EFI_BUFFER_TOO_SMALL)
		return s;
	if (io_attributes) {
		struct var_check_variable_property property;
		efi_status_t t = emu_client_mm_get_property(c, name, nsz, guid, &property);
		if (t != EFI_SUCCESS)
			return t;
		*io_attributes = attr;
		if (property.property & VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY)
			*io_attributes |= UBOOT_EFI_VARIABLE_READ_ONLY;
	}
	if (s != EFI_SUCCESS)
		return s;
	return data ? EFI_SUCCESS : EFI_INVALID_PARAMETER;
}

static efi_status_t init_secure_state(struct emu_client *c, struct uboot_state *u);

/* UCS-2LE of "PK" with its NUL: efi_set_variable_int() compares the name alone, not the GUID. */
static const uint8_t pk_name[] = { 'P', 0, 'K', 0, 0, 0 };

/*
 * efi_set_variable_int(): `attributes` may carry UBOOT_EFI_VARIABLE_READ_ONLY (U-Boot's own
 * writes); ro_check = false lets U-Boot itself write a read-only variable.  In order:
 * parameters and the budget (EFI_INVALID_PARAMETER, no call); PROPERTY_GET; a READ_ONLY
 * property is EFI_WRITE_PROTECTED with ro_check, else cleared with PROPERTY_SET (the rest of
 * the property kept) for the write; the SET; then, when READ_ONLY was asked and the property
 * is not read-only now, PROPERTY_SET {revision 1, READ_ONLY, the attributes, min 1, max the
 * data size}, even after a failed SET.  The SET's failure wins; a successful write of "PK"
 * re-reads the secure-boot state (efi_init_secure_state), whose failure is the call's.
 */
static efi_status_t set_variable_int(struct emu_client *c, struct uboot_state *u,
				     const uint8_t *name, size_t name_size, const efi_guid_t *guid,
				     uint32_t attributes, uint64_t data_size, const uint8_t *data,
				     bool ro_check)
{
	size_t nsz;
	uint64_t max;

	if (!name || name_size < 2 || (!name[0] && !name[1]) || !guid)
		return EFI_INVALID_PARAMETER;
	if (data_size > 0 && !data)
		return EFI_INVALID_PARAMETER;
	if (ucs2_strsize(name, name_size, &nsz) < 0)
		return EFI_INVALID_PARAMETER;
	efi_status_t s = emu_client_mm_get_payload_size(c, &max);
	if (s != EFI_SUCCESS)
		return s;
	if (data_size > max || MMVAR_ACCESS_HEADER_SIZE + nsz + data_size > max)
		return EFI_INVALID_PARAMETER;
	bool ro = attributes & UBOOT_EFI_VARIABLE_READ_ONLY;
	attributes &= UBOOT_EFI_VARIABLE_MASK;

	struct var_check_variable_property prop;
	s = emu_client_mm_get_property(c, name, nsz, guid, &prop);
	if (s != EFI_SUCCESS)
		return s;
	if (prop.property & VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY) {
		if (ro_check)
			return EFI_WRITE_PROTECTED;
		prop.property &= (uint16_t)~VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY;
		s = emu_client_mm_set_property(c, name, nsz, guid, &prop);
		if (s != EFI_SUCCESS)
			return s;
	}
	efi_status_t set = emu_client_mm_set_variable(c, name, nsz, guid, attributes, data_size,
						      data);
	if (ro && !(prop.property & VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY)) {
		prop.revision = VAR_CHECK_VARIABLE_PROPERTY_REVISION;
		prop.property |= VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY;
		prop.attributes = attributes;
		prop.min_size = 1;
		prop.max_size = data_size;
		s = emu_client_mm_set_property(c, name, nsz, guid, &prop);
	}
	if (set != EFI_SUCCESS)
		return set;
	if (nsz == sizeof(pk_name) && memcmp(name, pk_name, nsz) == 0) {
		efi_status_t t = init_secure_state(c, u);
		if (t != EFI_SUCCESS)
			return t;
	}
	return s;
}

/* A variable U-Boot itself writes at boot (global GUID, ro_check false). */
static efi_status_t set_own_var(struct emu_client *c, struct uboot_state *u, const char *name,
				uint32_t attributes, const void *data, size_t size)
{
	static const efi_guid_t global = EFI_GLOBAL_VARIABLE_GUID;
	g_autofree uint8_t *n = NULL;
	size_t nsz;

	if (ucs2_from_utf8(name, &n, &nsz) < 0)
		return EFI_OUT_OF_RESOURCES;
	return set_variable_int(c, u, n, nsz, &global, attributes, size, data, false);
}

#define UBOOT_BS_RT    (EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS)
#define UBOOT_BS_RT_RO (UBOOT_BS_RT | UBOOT_EFI_VARIABLE_READ_ONLY)

/* One of U-Boot's secure-boot state variables (one byte, bs,rt). */
static efi_status_t set_state_var(struct emu_client *c, struct uboot_state *u, const char *name,
				  bool read_only, uint8_t value)
{
	return set_own_var(c, u, name, read_only ? UBOOT_BS_RT_RO : UBOOT_BS_RT, &value, 1);
}

/* efi_set_secure_state(): SecureBoot and SetupMode read-only; AuditMode read-only when
 * audit or setup; DeployedMode read-only when audit, deployed or setup.  Stops at the
 * first failure. */
static efi_status_t set_secure_state(struct emu_client *c, struct uboot_state *u,
				     uint8_t secure_boot, uint8_t setup, uint8_t audit,
				     uint8_t deployed)
{
	efi_status_t s = set_state_var(c, u, "SecureBoot", true, secure_boot);
	if (s == EFI_SUCCESS)
		s = set_state_var(c, u, "SetupMode", true, setup);
	if (s == EFI_SUCCESS)
		s = set_state_var(c, u, "AuditMode", audit || setup, audit);
	if (s == EFI_SUCCESS)
		s = set_state_var(c, u, "DeployedMode", audit || deployed || setup, deployed);
	return s;
}

/* efi_get_variable_int() without Attributes of a global variable U-Boot reads at boot
 * (data NULL: the GET is still sent, as a size probe). */
static efi_status_t get_own_var(struct emu_client *c, const char *name, uint64_t *io_size,
				uint8_t *data)
{
	static const efi_guid_t global = EFI_GLOBAL_VARIABLE_GUID;
	g_autofree uint8_t *n = NULL;
	size_t nsz;

	if (ucs2_from_utf8(name, &n, &nsz) < 0)
		return EFI_OUT_OF_RESOURCES;
	return get_variable_int(c, n, nsz, &global, NULL, io_size, data);
}

/* A one-byte state variable as efi_init_secure_state() reads it (kept only when the GET
 * succeeds). */
static void get_state_var(struct emu_client *c, const char *name, uint8_t *io_value)
{
	uint64_t size = 1;
	uint8_t v;

	if (get_own_var(c, name, &size, &v) == EFI_SUCCESS)
		*io_value = v;
}

/*
 * efi_init_secure_state() (efi_var_common.c), at every init and after every successful
 * write of PK.  Without CONFIG_EFI_SECURE_BOOT (the default; no U-Boot defconfig with
 * CONFIG_EFI_MM_COMM_TEE sets it) nothing is read and the mode is always setup: SecureBoot 0,
 * SetupMode 1, AuditMode 0, DeployedMode 0, whatever StMM's own state is.  With it:
 * DeployedMode and AuditMode are read (one byte each), then PK with no buffer; PK present
 * (EFI_BUFFER_TOO_SMALL) clears setup and audit, absent sets setup and clears deployed.
 * Deployed, audit, setup, user in that order pick the mode (efi_transfer_secure_state; audit
 * first deletes PK).  Then VendorKeys = 0, read-only.
 */
static efi_status_t init_secure_state(struct emu_client *c, struct uboot_state *u)
{
	uint8_t deployed = 0, audit = 0, setup = 1;
	efi_status_t s;

	/* The audit transition deletes PK, which comes back here: on U-Boot that recursion
	 * has no end when the delete succeeds.  Bounded here, and said. */
	if (u->secure_state_depth >= 4) {
		emu_client_set_error(c, "U-Boot's efi_init_secure_state() recursed %u times "
					"(audit mode with a deletable PK): stopped here",
				     u->secure_state_depth);
		return EFI_DEVICE_ERROR;
	}
	if (u->secure_boot) {
		get_state_var(c, "DeployedMode", &deployed);
		get_state_var(c, "AuditMode", &audit);
		uint64_t size = 0;
		if (get_own_var(c, "PK", &size, NULL) == EFI_BUFFER_TOO_SMALL) {
			setup = 0;
			audit = 0;
		} else {
			setup = 1;
			deployed = 0;
		}
	}
	u->secure_state_depth++;
	if (deployed) {
		s = set_secure_state(c, u, 1, 0, 0, 1);
	} else if (audit) {
		s = set_own_var(c, u, "PK", UBOOT_BS_RT, NULL, 0); /* delete */
		if (s == EFI_SUCCESS)
			s = set_secure_state(c, u, 0, 1, 1, 0);
	} else if (setup) {
		s = set_secure_state(c, u, 0, 1, 0, 0);
	} else {
		s = set_secure_state(c, u, 1, 0, 0, 0);
	}
	u->secure_state_depth--;
	if (s != EFI_SUCCESS)
		return s; /* U-Boot prints "ERROR: Secure state transition failed" */
	return set_state_var(c, u, "VendorKeys", true, 0);
}

/* CONFIG_EFI_PLATFORM_LANG_CODES default, with its NUL (sizeof the string). */
static const char platform_lang_codes[] = "en-US";

/*
 * efi_init_platform_lang(): PlatformLangCodes (bs,rt, read-only) = the codes; then
 * PlatformLang read with no buffer, and only when it is absent (anything but
 * EFI_BUFFER_TOO_SMALL) written (nv,bs,rt) with the first code: an NV write on a board's
 * first boot, none later.
 */
static efi_status_t init_platform_lang(struct emu_client *c, struct uboot_state *u)
{
	uint64_t size = 0;

	efi_status_t s = set_own_var(c, u, "PlatformLangCodes", UBOOT_BS_RT_RO,
				     platform_lang_codes, sizeof(platform_lang_codes));
	if (s != EFI_SUCCESS)
		return s;
	if (get_own_var(c, "PlatformLang", &size, NULL) == EFI_BUFFER_TOO_SMALL)
		return EFI_SUCCESS;
	/* the first of the ';'-separated codes: the default has only one */
	return set_own_var(c, u, "PlatformLang", EFI_VARIABLE_NON_VOLATILE | UBOOT_BS_RT,
			   platform_lang_codes, sizeof(platform_lang_codes));
}

/* efi_init_os_indications(): OsIndicationsSupported (bs,rt, read-only) = 0 as a UINT64, no
 * capsule support being configured. */
static efi_status_t init_os_indications(struct emu_client *c, struct uboot_state *u)
{
	uint8_t supported[8] = { 0 };
	return set_own_var(c, u, "OsIndicationsSupported", UBOOT_BS_RT_RO, supported,
			   sizeof(supported));
}

efi_status_t uboot_init_obj_list(struct emu_client *c, struct uboot_state *u)
{
	uint64_t max;
	const char *step = "efi_init_variables";

	if (u->init_done)
		return u->init_status;
	u->init_done = true;
	efi_status_t s = emu_client_mm_get_payload_size(c, &max);
	if (s == EFI_SUCCESS)
		s = init_secure_state(c, u);
	if (s == EFI_SUCCESS) {
		step = "efi_init_platform_lang";
		s = init_platform_lang(c, u);
	}
	if (s == EFI_SUCCESS) {
		step = "efi_init_os_indications";
		s = init_os_indications(c, u);
	}
	u->init_status = s;
	if (s != EFI_SUCCESS) {
		char buf[64];
		g_autofree char *why = g_strdup(emu_client_last_error(c));
		emu_client_set_error(c, "U-Boot's UEFI sub-system did not initialise "
					"(%s: %s%s%s); every call answers it", step,
				     efi_status_str(s, buf, sizeof(buf)), *why ? ": " : "", why);
	}
	return s;
}

/* ---- the snapshot ------------------------------------------------------------------------ */

efi_status_t uboot_var_collect(const struct uboot_collect_ops *ops, uint32_t mask, size_t buf_size,
			       uint8_t **ret_buf, size_t *ret_len)
{
	g_autofree uint8_t *buf = g_malloc0(buf_size);
	size_t var = VF_VARS, old_var = var, old_name_len = 2;

	for (;;) {
		if (buf_size <= var + VE_NAME + old_name_len)
			return EFI_BUFFER_TOO_SMALL;
		uint64_t name_len = buf_size - (var + VE_NAME);
		memmove(buf + var + VE_NAME, buf + old_var + VE_NAME, old_name_len);
		memmove(buf + var + VE_GUID, buf + old_var + VE_GUID, 16);
		efi_guid_t guid;
		memcpy(guid.b, buf + var + VE_GUID, 16);
		efi_status_t s = ops->get_next(ops->ctx, &name_len, buf + var + VE_NAME, &guid);
		if (s == EFI_NOT_FOUND)
			break;
		if (s != EFI_SUCCESS)
			return s;
		memcpy(buf + var + VE_GUID, guid.b, 16);
		if (name_len > buf_size - (var + VE_NAME))
			return EFI_DEVICE_ERROR; /* the service claims more than it had room for */
		old_name_len = (size_t)name_len;
		old_var = var;

		size_t data = var + VE_NAME + old_name_len;
		uint64_t data_len = buf_size - data;
		uint32_t attr = get_le32(buf + var + VE_ATTR);
		s = ops->get(ops->ctx, buf + var + VE_NAME, old_name_len, &guid, &attr, &data_len,
			     buf + data);
		if (s != EFI_SUCCESS)
			return s;
		if (data_len > buf_size - data)
			return EFI_DEVICE_ERROR;
		put_le32(buf + var + VE_ATTR, attr);
		if ((attr & mask) == mask) {
			put_le32(buf + var + VE_LENGTH, (uint32_t)data_len);
			var = align8(data + (size_t)data_len);
			if (var > buf_size)
				return EFI_BUFFER_TOO_SMALL;
		}
	}
	put_le64(buf + 0, 0);
	put_le64(buf + VF_MAGIC, UBOOT_EFI_VAR_FILE_MAGIC);
	put_le32(buf + VF_LENGTH, (uint32_t)var);
	put_le32(buf + VF_CRC32, 0);
	*ret_len = var;
	*ret_buf = g_steal_pointer(&buf);
	return EFI_SUCCESS;
}

/* A store's entries: name length (bytes incl. NUL) or 0 when the entry is malformed. */
static size_t entry_name_size(const uint8_t *buf, size_t end, size_t var)
{
	for (size_t i = var + VE_NAME; i + 1 < end; i += 2)
		if (!buf[i] && !buf[i + 1])
			return i + 2 - (var + VE_NAME);
	return 0;
}

static size_t store_end(const uint8_t *buf, size_t buf_size)
{
	size_t len = get_le32(buf + VF_LENGTH);
	return len > buf_size ? buf_size : len;
}

/* Entry after `var`, or 0 at the end. */
static size_t entry_next(const uint8_t *buf, size_t end, size_t var)
{
	size_t nsz = entry_name_size(buf, end, var);
	if (!nsz)
		return 0;
	size_t next = align8(var + VE_NAME + nsz + get_le32(buf + var + VE_LENGTH));
	return next < end ? next : 0;
}

/*
 * efi_var_mem_find(): the entry named (guid, name) or 0; *ret_next the entry after it
 * (name L"": the first entry), 0 at the end.
 */
static size_t mem_find(const uint8_t *buf, size_t buf_size, const efi_guid_t *guid,
		       const uint8_t *name, size_t nsz, size_t *ret_next)
{
	size_t end = store_end(buf, buf_size);
	size_t first = VF_VARS < end ? VF_VARS : 0;

	*ret_next = 0;
	if (nsz == 2) {
		*ret_next = first;
		return 0;
	}
	for (size_t var = first; var; var = entry_next(buf, end, var)) {
		size_t vn = entry_name_size(buf, end, var);
		if (vn == nsz && memcmp(buf + var + VE_GUID, guid->b, 16) == 0 &&
		    memcmp(buf + var + VE_NAME, name, nsz) == 0) {
			*ret_next = entry_next(buf, end, var);
			return var;
		}
	}
	return 0;
}

efi_status_t uboot_var_get_mem(const uint8_t *buf, size_t buf_size, const uint8_t *name,
			       size_t name_size, const efi_guid_t *guid, uint32_t *ret_attributes,
			       uint64_t *io_data_size, uint8_t *data, uint32_t mask)
{
	size_t nsz, next;

	if (!name || !guid || !io_data_size || ucs2_strsize(name, name_size, &nsz) < 0)
		return EFI_INVALID_PARAMETER;
	size_t var = nsz == 2 ? 0 : mem_find(buf, buf_size, guid, name, nsz, &next);
	if (!var)
		return EFI_NOT_FOUND;
	uint32_t attr = get_le32(buf + var + VE_ATTR);
	/* The runtime store may hold BS-only variables: filtered here. */
	if (mask && (attr & mask) != mask)
		return EFI_NOT_FOUND;
	if (ret_attributes)
		*ret_attributes = attr;
	uint64_t old = *io_data_size, len = get_le32(buf + var + VE_LENGTH);
	*io_data_size = len;
	if (old < len)
		return EFI_BUFFER_TOO_SMALL;
	if (!data)
		return EFI_INVALID_PARAMETER;
	memcpy(data, buf + var + VE_NAME + nsz, (size_t)len);
	return EFI_SUCCESS;
}

efi_status_t uboot_var_get_next_mem(const uint8_t *buf, size_t buf_size, uint64_t *io_name_size,
				    uint8_t *name, efi_guid_t *io_guid, uint32_t mask)
{
	if (!io_name_size || !name || !io_guid)
		return EFI_INVALID_PARAMETER;
	size_t end = store_end(buf, buf_size);
	for (;;) {
		size_t nsz, next;
		/* u16_strnlen(name, size / 2) == size / 2: no NUL inside the buffer. */
		if (ucs2_strsize(name, (size_t)(*io_name_size & ~1ull), &nsz) < 0)
			return EFI_INVALID_PARAMETER;
		if (!mem_find(buf, buf_size, io_guid, name, nsz, &next) && nsz != 2)
			return EFI_INVALID_PARAMETER;
		if (!next)
			return EFI_NOT_FOUND;
		size_t vn = entry_name_size(buf, end, next);
		uint64_t old = *io_name_size;
		*io_name_size = vn;
		if (old < vn)
			return EFI_BUFFER_TOO_SMALL;
		memcpy(name, buf + next + VE_NAME, vn);
		memcpy(io_guid->b, buf + next + VE_GUID, 16);
		uint32_t attr = get_le32(buf + next + VE_ATTR);
		if (!mask || (attr & mask) == mask)
			return EFI_SUCCESS;
		*io_name_size = old;   /* skip it, as U-Boot does */
	}
}

/* ---- the persona's services ---------------------------------------------------------------- */

efi_status_t uboot_get_variable(struct emu_client *c, struct uboot_state *u, const uint8_t *name,
				size_t name_size, const efi_guid_t *guid, uint32_t *ret_attributes,
				uint64_t *io_data_size, uint8_t *data)
{
	uint32_t attr = 0;
	efi_status_t s = uboot_init_obj_list(c, u);

	if (s != EFI_SUCCESS)
		return s;
	if (u->at_runtime)
		/* efi_get_variable_runtime() */
		s = uboot_var_get_mem(u->var_buf, UBOOT_EFI_VAR_BUF_SIZE, name, name_size, guid,
				      ret_attributes ? &attr : NULL, io_data_size, data,
				      EFI_VARIABLE_RUNTIME_ACCESS);
	else
		/* efi_get_variable(): the caller's attributes start at 0 here */
		s = get_variable_int(c, name, name_size, guid, ret_attributes ? &attr : NULL,
				     io_data_size, data);
	/* Both remove EFI_VARIABLE_READ_ONLY. */
	if (ret_attributes && (s == EFI_SUCCESS || s == EFI_BUFFER_TOO_SMALL))
		*ret_attributes = attr & UBOOT_EFI_VARIABLE_MASK;
	return s;
}

efi_status_t uboot_get_next_variable_name(struct emu_client *c, struct uboot_state *u,
					  uint64_t *io_name_size, uint8_t *name, efi_guid_t *io_guid)
{
	efi_status_t s = uboot_init_obj_list(c, u);
	if (s != EFI_SUCCESS)
		return s;
	if (u->at_runtime)
		return uboot_var_get_next_mem(u->var_buf, UBOOT_EFI_VAR_BUF_SIZE, io_name_size, name,
					      io_guid, EFI_VARIABLE_RUNTIME_ACCESS);
	return emu_client_mm_get_next_variable_name(c, io_name_size, name, io_guid);
}

efi_status_t uboot_set_variable(struct emu_client *c, struct uboot_state *u, const uint8_t *name,
				size_t name_size, const efi_guid_t *guid, uint32_t attributes,
				uint64_t data_size, const uint8_t *data)
{
	efi_status_t s = uboot_init_obj_list(c, u);
	if (s != EFI_SUCCESS)
		return s;
	if (u->at_runtime)
		return EFI_UNSUPPORTED;   /* efi_set_variable_runtime() */
	/* efi_set_variable(): EFI_VARIABLE_READ_ONLY or unknown bits */
	if (attributes & ~UBOOT_EFI_VARIABLE_MASK)
		return EFI_INVALID_PARAMETER;
	return set_variable_int(c, u, name, name_size, guid, attributes, data_size, data, true);
}

efi_status_t uboot_query_variable_info(struct emu_client *c, struct uboot_state *u,
				       uint32_t attributes, uint64_t *ret_max_storage,
				       uint64_t *ret_remaining, uint64_t *ret_max_variable_size)
{
	efi_status_t s = uboot_init_obj_list(c, u);
	if (s != EFI_SUCCESS)
		return s;
	if (u->at_runtime)
		return EFI_UNSUPPORTED;   /* efi_query_variable_info_runtime() */
	if (!ret_max_storage || !ret_remaining || !ret_max_variable_size || !attributes)
		return EFI_INVALID_PARAMETER;
	return emu_client_mm_query_variable_info(c, attributes, ret_max_storage, ret_remaining,
						 ret_max_variable_size);
}

static efi_status_t collect_get_next(void *ctx, uint64_t *io_name_size, uint8_t *name,
				     efi_guid_t *io_guid)
{
	return emu_client_mm_get_next_variable_name(ctx, io_name_size, name, io_guid);
}

static efi_status_t collect_get(void *ctx, const uint8_t *name, size_t name_size,
				const efi_guid_t *guid, uint32_t *io_attributes,
				uint64_t *io_data_size, uint8_t *data)
{
	return get_variable_int(ctx, name, name_size, guid, io_attributes, io_data_size, data);
}

efi_status_t uboot_exit_boot_services(struct emu_client *c, struct uboot_state *u)
{
	efi_status_t init = uboot_init_obj_list(c, u);
	if (init != EFI_SUCCESS)
		return init;
	if (u->at_runtime)
		return EFI_UNSUPPORTED;   /* ExitBootServices happens once per boot */
	efi_status_t s = emu_client_mm_call(c, SMM_VARIABLE_FUNCTION_EXIT_BOOT_SERVICE, NULL, 0);
	g_autofree char *ebs_error = g_strdup(emu_client_last_error(c));

	const struct uboot_collect_ops ops = { .ctx = c, .get_next = collect_get_next,
					       .get = collect_get };
	g_autofree uint8_t *snap = NULL;
	size_t len = 0;
	efi_status_t cs = uboot_var_collect(&ops, EFI_VARIABLE_RUNTIME_ACCESS,
					    UBOOT_EFI_VAR_BUF_SIZE, &snap, &len);
	if (cs == EFI_SUCCESS) {
		/* efi_var_buf_update() */
		memcpy(u->var_buf, snap, UBOOT_EFI_VAR_BUF_SIZE);
		size_t n = 0, end = store_end(u->var_buf, UBOOT_EFI_VAR_BUF_SIZE);
		for (size_t v = VF_VARS < end ? VF_VARS : 0; v; v = entry_next(u->var_buf, end, v))
			n++;
		u->runtime_count = n;
	}
	u->at_runtime = true;
	char sbuf[64];
	if (s != EFI_SUCCESS)
		emu_client_set_error(c, "EXIT_BOOT_SERVICE failed: %s", *ebs_error ? ebs_error : "");
	else if (cs != EFI_SUCCESS)
		emu_client_set_error(c, "runtime variables not collected (%s): none available",
				     efi_status_str(cs, sbuf, sizeof(sbuf)));
	else
		emu_client_set_error(c, "%s", "");
	return s;
}
