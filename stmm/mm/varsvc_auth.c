/* SPDX-License-Identifier: MIT */
/* The variable service's glue to AuthVariableLib (see varsvc_auth.h). */
#include "varsvc_auth.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

#include "bytes.h"
#include "efi_auth.h"
#include "efi_util.h"
#include "store_status.h"

#define ATTR_NV     EFI_VARIABLE_NON_VOLATILE
#define ATTR_BS     EFI_VARIABLE_BOOTSERVICE_ACCESS
#define ATTR_RT     EFI_VARIABLE_RUNTIME_ACCESS
#define ATTR_AW     EFI_VARIABLE_AUTHENTICATED_WRITE_ACCESS
#define ATTR_AT     EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS

/*
 * AUTHINFO_SIZE of the counter-based EFI_VARIABLE_AUTHENTICATION: MonotonicCount (8) +
 * WIN_CERTIFICATE_UEFI_GUID header (24) + EFI_CERT_BLOCK_RSA_2048_SHA256 (16 + 256 + 256).
 */
#define AW_AUTHINFO_SIZE 560u

struct varsvc_auth {
	struct store *nv;             /* not owned */
	struct volatile_store *vol;   /* not owned */
	struct authvar *av;
	struct authvar_config cfg;
};

/* ---- quirks ------------------------------------------------------------------------------ */

const char *varsvc_auth_quirk_names(void)
{
	return "optee-stmm";
}

int varsvc_auth_parse_quirks(const char *list, struct authvar_config *cfg, char **ret_bad)
{
	if (!list || !cfg)
		return -EINVAL;
	g_auto(GStrv) parts = g_strsplit(list, ",", -1);
	for (char **p = parts; *p; p++) {
		const char *w = g_strstrip(*p);
		bool found = false;
		if (!*w)
			continue;
		/* The old spelling of the optee-stmm profile's AuthVariableLib switches. */
		if (strcmp(w, "optee-stmm") == 0) {
			cfg->user_physical_presence = true;
			cfg->policy_engine = false;
			cfg->require_self_signed_pk = false;
			found = true;
		}
		if (!found) {
			if (ret_bad)
				*ret_bad = g_strdup(w);
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- authvar_ops over the volatile and the NV store --------------------------------------- */

static const struct var_entry *lookup(const struct varsvc_auth *va, const efi_guid_t *guid,
				      const uint8_t *name, size_t name_size, bool *ret_volatile)
{
	const struct var_entry *e = volatile_find(va->vol, guid, name, name_size);
	if (e) {
		*ret_volatile = true;
		return e;
	}
	*ret_volatile = false;
	return store_find(va->nv, guid, name, name_size);
}

static int ops_find(void *ctx, const uint8_t *name, size_t name_size, const efi_guid_t *guid,
		    struct authvar_var *ret_var)
{
	bool is_vol;
	const struct var_entry *e = lookup(ctx, guid, name, name_size, &is_vol);
	if (!e)
		return -ENOENT;
	*ret_var = (struct authvar_var){
		.attributes = e->attributes,
		.data = e->data,
		.size = e->data_size,
		.time_stamp = e->time_stamp,
	};
	return 0;
}

/* Write as the policy asks: no checks; identical content is not written again (edk2). */
static efi_status_t ops_update(void *ctx, const uint8_t *name, size_t name_size,
			       const efi_guid_t *guid, uint32_t attributes, const uint8_t *data,
			       size_t data_size, const struct efi_time *time_stamp)
{
	struct varsvc_auth *va = ctx;
	bool is_vol;
	const struct var_entry *e = lookup(va, guid, name, name_size, &is_vol);
	int r;

	if (name_size < 4 || name_size > UINT32_MAX || data_size > UINT32_MAX)
		return EFI_INVALID_PARAMETER;
	if (data_size == 0) {
		if (!e)
			return EFI_SUCCESS;
		r = is_vol ? volatile_delete(va->vol, guid, name, name_size)
			   : store_delete(va->nv, guid, name, name_size);
		return store_err_to_efi_status(r);
	}
	struct var_write w = {
		.guid = *guid,
		.name = name,
		.name_size = (uint32_t)name_size,
		.attributes = attributes,
		.data = data,
		.data_size = (uint32_t)data_size,
	};
	if (time_stamp)
		w.time_stamp = *time_stamp;
	bool to_vol = !(attributes & ATTR_NV);
	if (e && is_vol == to_vol && e->attributes == attributes && e->data_size == data_size &&
	    memcmp(e->data, data, data_size) == 0 &&
	    memcmp(&e->time_stamp, &w.time_stamp, sizeof(w.time_stamp)) == 0)
		return EFI_SUCCESS;
	r = to_vol ? volatile_set(va->vol, &w) : store_set(va->nv, &w);
	if (r == 0 && e && is_vol != to_vol) /* moved between stores: drop the old copy */
		r = is_vol ? volatile_delete(va->vol, guid, name, name_size)
			   : store_delete(va->nv, guid, name, name_size);
	return store_err_to_efi_status(r);
}

int varsvc_auth_new(const struct authvar_config *cfg, struct store *nv,
		    struct volatile_store *vol, struct varsvc_auth **ret_auth)
{
	if (!nv || !vol || !ret_auth)
		return -EINVAL;
	struct varsvc_auth *va = g_new0(struct varsvc_auth, 1);
	struct authvar_ops ops = { .ctx = va, .find = ops_find, .update = ops_update };
	va->nv = nv;
	va->vol = vol;
	if (cfg)
		va->cfg = *cfg;
	int r = authvar_new(cfg, &ops, &va->av);
	if (r < 0) {
		g_free(va);
		return r;
	}
	if (authvar_init(va->av) != EFI_SUCCESS) {
		varsvc_auth_free(va);
		return -EIO;
	}
	*ret_auth = va;
	return 0;
}

void varsvc_auth_free(struct varsvc_auth *va)
{
	if (!va)
		return;
	authvar_free(va->av);
	g_free(va);
}

/* ---- SetVariable ------------------------------------------------------------------------- */

efi_status_t varsvc_auth_precheck(uint32_t attributes, const uint8_t *data, uint64_t data_size,
				  uint64_t *ret_payload_size)
{
	if ((attributes & (ATTR_AW | ATTR_AT)) == (ATTR_AW | ATTR_AT))
		return EFI_UNSUPPORTED;
	if (attributes & ATTR_AW) {
		if (data_size != AW_AUTHINFO_SIZE)
			return EFI_UNSUPPORTED;
		*ret_payload_size = 0;
		return EFI_SUCCESS;
	}
	if (attributes & ATTR_AT) {
		if (data_size < EFI_VARIABLE_AUTHENTICATION_2_CERT_DATA_OFFSET)
			return EFI_SECURITY_VIOLATION;
		const uint64_t auth_info = offsetof(struct efi_variable_authentication_2, auth_info);
		uint32_t dw_length = get_le32(
			data + offsetof(struct efi_variable_authentication_2, auth_info.hdr.dw_length));
		if (dw_length > data_size - auth_info ||
		    dw_length < sizeof(struct win_certificate_uefi_guid))
			return EFI_SECURITY_VIOLATION;
		*ret_payload_size = data_size - auth_info - dw_length;
		return EFI_SUCCESS;
	}
	*ret_payload_size = data_size;
	return EFI_SUCCESS;
}

bool varsvc_auth_process(struct varsvc_auth *va, bool at_runtime, const efi_guid_t *guid,
			 const uint8_t *name, size_t name_size, uint32_t attributes,
			 const uint8_t *data, uint64_t data_size, bool exists,
			 uint32_t existing_attributes, efi_status_t *ret_status)
{
	struct authvar_var existing = { .attributes = existing_attributes };

	/* Counter-based writes got this far only as a legacy delete: not supported. */
	if (attributes & ATTR_AW) {
		*ret_status = EFI_UNSUPPORTED;
		return true;
	}
	if (!authvar_applies(name, name_size, guid, attributes, exists ? &existing : NULL))
		return false;
	authvar_set_runtime(va->av, at_runtime);
	*ret_status = authvar_process(va->av, name, name_size, guid, attributes, data,
				      (size_t)data_size);
	return true;
}

/* ---- VarCheck properties AuthVariableLib registers ---------------------------------------- */

static bool name_is(const uint8_t *name, size_t name_size, const char *ascii)
{
	size_t n = strlen(ascii);
	if (name_size != 2 * (n + 1))
		return false;
	for (size_t i = 0; i <= n; i++)
		if (get_le16(name + 2 * i) != (uint16_t)(i < n ? ascii[i] : 0))
			return false;
	return true;
}

int varsvc_auth_property(const efi_guid_t *guid, const uint8_t *name, size_t name_size,
			 struct var_check_variable_property *ret_prop)
{
	static const struct {
		efi_guid_t guid;
		const char *name;
		uint16_t property;
		uint32_t attributes;
		uint64_t min_size, max_size;
	} table[] = {
		{ EFI_SECURE_BOOT_ENABLE_DISABLE_GUID, "SecureBootEnable", 0, ATTR_NV | ATTR_BS, 1, 1 },
		{ EFI_CUSTOM_MODE_ENABLE_GUID, "CustomMode", 0, ATTR_NV | ATTR_BS, 1, 1 },
		{ EFI_VENDOR_KEYS_NV_GUID, "VendorKeysNv", VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY,
		  ATTR_NV | ATTR_BS | ATTR_AT, 1, 1 },
		{ EFI_CERT_DB_GUID, "certdb", VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY,
		  ATTR_NV | ATTR_BS | ATTR_RT | ATTR_AT, 4, UINT64_MAX },
		{ EFI_CERT_DB_GUID, "certdbv", VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY,
		  ATTR_BS | ATTR_RT | ATTR_AT, 4, UINT64_MAX },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(table); i++)
		if (efi_guid_equal(guid, &table[i].guid) && name_is(name, name_size, table[i].name)) {
			*ret_prop = (struct var_check_variable_property){
				.revision = VAR_CHECK_VARIABLE_PROPERTY_REVISION,
				.property = table[i].property,
				.attributes = table[i].attributes,
				.min_size = table[i].min_size,
				.max_size = table[i].max_size,
			};
			return 0;
		}
	return -ENOENT;
}

efi_status_t varsvc_auth_property_get(uint8_t *p)
{
	struct var_check_variable_property prop;
	const size_t prop_off = offsetof(struct smm_variable_var_check_property, variable_property);
	uint64_t ns = get_le64(p + offsetof(struct smm_variable_var_check_property, name_size));
	efi_guid_t guid;

	memcpy(guid.b, p, 16);
	if (varsvc_auth_property(&guid, p + SMM_VARIABLE_VAR_CHECK_PROPERTY_NAME_OFFSET,
				 var_name_size(p + SMM_VARIABLE_VAR_CHECK_PROPERTY_NAME_OFFSET, ns),
				 &prop) < 0)
		return EFI_NOT_FOUND;
	put_le16(p + prop_off + offsetof(struct var_check_variable_property, revision), prop.revision);
	put_le16(p + prop_off + offsetof(struct var_check_variable_property, property), prop.property);
	put_le32(p + prop_off + offsetof(struct var_check_variable_property, attributes),
		 prop.attributes);
	put_le64(p + prop_off + offsetof(struct var_check_variable_property, min_size), prop.min_size);
	put_le64(p + prop_off + offsetof(struct var_check_variable_property, max_size), prop.max_size);
	return EFI_SUCCESS;
}

/* ---- status ------------------------------------------------------------------------------ */

void varsvc_auth_get_status(struct varsvc_auth *va, struct varsvc_auth_status *ret)
{
	static const efi_guid_t global = EFI_GLOBAL_VARIABLE_GUID;
	static const uint8_t secure_boot[] = { 'S', 0, 'e', 0, 'c', 0, 'u', 0, 'r', 0, 'e', 0,
					       'B', 0, 'o', 0, 'o', 0, 't', 0, 0,   0 };
	static const uint8_t setup_mode[] = { 'S', 0, 'e', 0, 't', 0, 'u', 0, 'p', 0, 'M', 0,
					      'o', 0, 'd', 0, 'e', 0, 0,   0 };
	struct authvar_var v, sm;

	*ret = (struct varsvc_auth_status){
		.setup_mode = authvar_get_mode(va->av) == AUTHVAR_SETUP_MODE,
		.secure_boot = ops_find(va, secure_boot, sizeof(secure_boot), &global, &v) == 0 &&
			       v.size == 1 && v.data[0] == 1,
		.setup_mode_var = ops_find(va, setup_mode, sizeof(setup_mode), &global, &sm) == 0 &&
				  sm.size == 1 && sm.data[0] == 1,
		.quirk_optee_stmm = va->cfg.user_physical_presence && !va->cfg.policy_engine,
		.user_physical_presence = va->cfg.user_physical_presence,
		.policy_engine = va->cfg.policy_engine,
		.require_self_signed_pk = va->cfg.require_self_signed_pk,
	};
}
