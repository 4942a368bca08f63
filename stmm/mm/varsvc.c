/* SPDX-License-Identifier: MIT */
/*
 * The StMM variable service: one MM communicate buffer in, handled as edk2's
 * VariableSmm.c SmmVariableHandler and Variable.c (VariableServiceGetVariable,
 * ...GetNextVariableName, ...SetVariable, ...QueryVariableInfo) do.  Facts:
 * shared/research/mm-variable-protocol.md §1.8, §2.1-§2.5, §4.1-§4.3.
 *
 * Stores: volatile (RAM, volatile.c) and non-volatile (EDK2 FV on RPMB, store.c); lookups
 * and enumeration go volatile first, then NV, as edk2 does (it also has a HOB store, which
 * StMM on OP-TEE does not fill).
 */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "bytes.h"
#include "efi_util.h"
#include "fv.h"
#include "mm.h"
#include "pta_stmm.h"
#include "store_status.h"
#include "varcheck_uefi.h"
#include "varsvc.h"
#include "varsvc_auth.h"
#include "volatile.h"

/* OFFSET_OF(SMM_VARIABLE_COMMUNICATE_VAR_CHECK_VARIABLE_PROPERTY, Name): payload budget. */
#define PAYLOAD_BUDGET_EXTRA SMM_VARIABLE_VAR_CHECK_PROPERTY_NAME_OFFSET
#define HDR FV_RECORD_HEADER_SIZE /* GetVariableHeaderSize(AuthFormat = TRUE) */

#define ATTR_NV     EFI_VARIABLE_NON_VOLATILE
#define ATTR_BS     EFI_VARIABLE_BOOTSERVICE_ACCESS
#define ATTR_RT     EFI_VARIABLE_RUNTIME_ACCESS
#define ATTR_HR     EFI_VARIABLE_HARDWARE_ERROR_RECORD
#define ATTR_AW     EFI_VARIABLE_AUTHENTICATED_WRITE_ACCESS
#define ATTR_AT     EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS
#define ATTR_APPEND EFI_VARIABLE_APPEND_WRITE
#define ATTR_MASK   EFI_VARIABLE_ATTRIBUTES_MASK

struct varsvc {
	struct varsvc_config cfg;   /* zero sizes already resolved */
	struct store *nv;           /* not owned */
	struct volatile_store *vol;
	uint64_t payload_size;      /* mVariableBufferPayloadSize */
	uint8_t *scratch;           /* private copy of a payload (mVariableBufferPayload) */
	/*
	 * AuthVariableLib (varsvc_auth.c), hooked in at boot by varsvc_enable_auth().  Without
	 * it edk2 answers AT/AW writes with EFI_INVALID_PARAMETER and AT/AW queries with
	 * EFI_UNSUPPORTED (Variable.c).
	 */
	bool auth_supported;
	struct varsvc_auth *auth;
	bool at_runtime;            /* mAtRuntime: after EXIT_BOOT_SERVICE */
	bool end_of_dxe;            /* mEndOfDxe: READY_TO_BOOT or the MM EndOfDxe event */
	GHashTable *checks;         /* set of struct var_check by (GUID, name) (RAM only) */
};

/*
 * What VarCheckLib keeps for a variable: a VAR_CHECK_VARIABLE_PROPERTY set by
 * PROPERTY_SET, and/or a lock-now from LOCK_VARIABLE (edk2 turns that into a
 * VARIABLE_POLICY_TYPE_LOCK_NOW policy).  Both are enforced only after EndOfDxe.
 */
struct var_check {
	efi_guid_t guid;            /* the key: GUID and name (UCS-2LE incl. NUL) */
	uint8_t *name;              /* owned, except in a lookup probe */
	size_t name_size;
	bool has_property;
	struct var_check_variable_property prop; /* host order */
	bool locked;
};

#define ATTR_NV_BS_RT (ATTR_NV | ATTR_BS | ATTR_RT)

/* A visible variable and the store holding it. */
struct found {
	const struct var_entry *e;
	bool is_volatile;
};

void varsvc_config_defaults(struct varsvc_config *cfg)
{
	*cfg = (struct varsvc_config){
		.max_variable_size = STMM_DEFAULT_MAX_VARIABLE_SIZE,
		.max_auth_variable_size = STMM_DEFAULT_MAX_AUTH_VARIABLE_SIZE,
		.max_volatile_variable_size = STMM_DEFAULT_MAX_VARIABLE_SIZE,
		.volatile_store_size = STMM_DEFAULT_VOLATILE_STORE_SIZE,
		.hwerr_storage_size = 0,
		.max_hwerr_variable_size = 0x8000,
		.var_check_uefi = true, /* PlatformStandaloneMmRpmb.dsc: NULL|VarCheckUefiLib */
		.policy_engine = false, /* ... and no VarCheckPolicyLib */
	};
}

/* The VarCheck table hashes (GUID, name) in place: a lookup allocates nothing. */
static guint check_hash(gconstpointer p)
{
	const struct var_check *c = p;

	return efi_var_key_hash(&c->guid, c->name, c->name_size);
}

static gboolean check_equal(gconstpointer a, gconstpointer b)
{
	const struct var_check *x = a, *y = b;

	return efi_var_key_equal(&x->guid, x->name, x->name_size, &y->guid, y->name, y->name_size);
}

static void check_free(gpointer p)
{
	struct var_check *c = p;

	g_free(c->name);
	g_free(c);
}

int varsvc_new(const struct varsvc_config *cfg, struct store *nv_store, struct varsvc **ret_svc)
{
	struct varsvc *svc;
	struct varsvc_config c;
	uint32_t max;
	int r;

	if (!cfg || !nv_store || !ret_svc)
		return -EINVAL;
	c = *cfg;
	/* edk2: PcdMaxAuthVariableSize / PcdMaxVolatileVariableSize 0 => PcdMaxVariableSize. */
	if (c.max_auth_variable_size == 0)
		c.max_auth_variable_size = c.max_variable_size;
	if (c.max_volatile_variable_size == 0)
		c.max_volatile_variable_size = c.max_variable_size;
	/* Room for a header and a one-character name; bounded so sizes stay small. */
	if (c.max_variable_size < HDR + 4 || c.max_auth_variable_size < HDR + 4 ||
	    c.max_volatile_variable_size < HDR + 4 || c.max_variable_size > (1u << 24) ||
	    c.max_auth_variable_size > (1u << 24) || c.max_volatile_variable_size > (1u << 24))
		return -EINVAL;
	max = MAX(c.max_variable_size, MAX(c.max_auth_variable_size, c.max_volatile_variable_size));
	if (c.hwerr_storage_size) {
		struct store_stats st;

		/* GetMaxVariableSize counts the HwErr maximum only with HwErr storage. */
		store_get_stats(nv_store, &st);
		if (c.hwerr_storage_size >= st.variable_space || c.max_hwerr_variable_size < HDR + 4 ||
		    c.max_hwerr_variable_size > (1u << 24))
			return -EINVAL;
		max = MAX(max, c.max_hwerr_variable_size);
	}

	svc = g_new0(struct varsvc, 1);
	svc->cfg = c;
	svc->nv = nv_store;
	svc->payload_size = (uint64_t)max + PAYLOAD_BUDGET_EXTRA - HDR;
	r = volatile_store_new(c.volatile_store_size, &svc->vol);
	if (r < 0) {
		g_free(svc);
		return r;
	}
	svc->scratch = g_malloc(svc->payload_size);
	svc->checks = g_hash_table_new_full(check_hash, check_equal, check_free, NULL);
	store_set_reclaim_enabled(nv_store, true); /* boot time */
	*ret_svc = svc;
	return 0;
}

void varsvc_free(struct varsvc *svc)
{
	if (!svc)
		return;
	varsvc_auth_free(svc->auth);
	volatile_store_free(svc->vol);
	if (svc->checks)
		g_hash_table_destroy(svc->checks);
	g_free(svc->scratch);
	g_free(svc);
}

uint64_t varsvc_payload_size(const struct varsvc *svc)
{
	return svc->payload_size;
}

int varsvc_enable_auth(struct varsvc *svc, const struct authvar_config *cfg)
{
	if (!svc || svc->auth)
		return -EINVAL;
	int r = varsvc_auth_new(cfg, svc->nv, svc->vol, &svc->auth);
	if (r < 0)
		return r;
	svc->auth_supported = true;
	return 0;
}

void varsvc_get_phase(const struct varsvc *svc, bool *end_of_dxe, bool *at_runtime)
{
	*end_of_dxe = svc->end_of_dxe;
	*at_runtime = svc->at_runtime;
}

struct varsvc_auth *varsvc_get_auth(struct varsvc *svc)
{
	return svc ? svc->auth : NULL;
}

/* ---- helpers ----------------------------------------------------------------------------- */

static bool find_variable(const struct varsvc *svc, const efi_guid_t *guid, const uint8_t *name,
			  size_t name_size, struct found *ret)
{
	const struct var_entry *e = volatile_find(svc->vol, guid, name, name_size);

	if (e) {
		*ret = (struct found){ e, true };
		return true;
	}
	e = store_find(svc->nv, guid, name, name_size);
	if (e) {
		*ret = (struct found){ e, false };
		return true;
	}
	return false;
}

/* edk2 FindVariable without IgnoreRtCheck: at runtime only RT variables exist. */
static bool visible(const struct varsvc *svc, const struct var_entry *e)
{
	return !svc->at_runtime || (e->attributes & ATTR_RT);
}

/* PcdMax{Auth,,Volatile}VariableSize by attributes (edk2 picks AT/AW, then NV, else volatile). */
static uint64_t max_size_for(const struct varsvc *svc, uint32_t attrs)
{
	if ((attrs & ATTR_HR) && svc->cfg.hwerr_storage_size)
		return svc->cfg.max_hwerr_variable_size;
	if (attrs & (ATTR_AT | ATTR_AW))
		return svc->cfg.max_auth_variable_size;
	if (attrs & ATTR_NV)
		return svc->cfg.max_variable_size;
	return svc->cfg.max_volatile_variable_size;
}

/* ---- GetVariable ------------------------------------------------------------------------ */

/* SmmVariableHandler's checks shared by GET/SET on an ACCESS_VARIABLE payload. */
static efi_status_t access_checks(const uint8_t *p, size_t psize)
{
	uint64_t ds = get_le64(p + offsetof(struct smm_variable_access, data_size));
	uint64_t ns = get_le64(p + offsetof(struct smm_variable_access, name_size));
	const uint64_t fixed = SMM_VARIABLE_ACCESS_NAME_OFFSET;

	if (UINT64_MAX - ds < fixed || UINT64_MAX - ns < fixed + ds)
		return EFI_ACCESS_DENIED; /* InfoSize would overflow */
	if (fixed + ds + ns > psize)
		return EFI_ACCESS_DENIED;
	if (ns < 2 || get_le16(p + fixed + (ns / 2 - 1) * 2) != 0)
		return EFI_ACCESS_DENIED; /* name must end with a NUL CHAR16 */
	return EFI_SUCCESS;
}

static efi_status_t svc_get_variable(struct varsvc *svc, uint8_t *p)
{
	efi_guid_t guid;
	uint64_t ds = get_le64(p + offsetof(struct smm_variable_access, data_size));
	uint64_t ns = get_le64(p + offsetof(struct smm_variable_access, name_size));
	const uint8_t *name = p + SMM_VARIABLE_ACCESS_NAME_OFFSET;
	size_t nsz = var_name_size(name, ns);
	struct found f;
	efi_status_t st;

	memcpy(guid.b, p, 16);
	if (nsz <= 2)
		return EFI_NOT_FOUND; /* empty name */
	if (!find_variable(svc, &guid, name, nsz, &f) || !visible(svc, f.e))
		return EFI_NOT_FOUND;
	if (ds >= f.e->data_size) {
		if (f.e->data_size)
			memcpy(p + SMM_VARIABLE_ACCESS_NAME_OFFSET + ns, f.e->data, f.e->data_size);
		st = EFI_SUCCESS;
	} else {
		st = EFI_BUFFER_TOO_SMALL;
	}
	put_le64(p + offsetof(struct smm_variable_access, data_size), f.e->data_size);
	put_le32(p + offsetof(struct smm_variable_access, attributes), f.e->attributes);
	return st;
}

/* ---- GetNextVariableName ---------------------------------------------------------------- */

static efi_status_t get_next_checks(const uint8_t *p, size_t psize)
{
	uint64_t ns = get_le64(p + offsetof(struct smm_variable_get_next_name, name_size));
	const uint64_t fixed = SMM_VARIABLE_GET_NEXT_NAME_OFFSET;
	size_t nb;

	if (UINT64_MAX - ns < fixed || fixed + ns > psize)
		return EFI_ACCESS_DENIED;
	/* The whole name buffer, not just NameSize bytes, must end with a NUL CHAR16. */
	nb = psize - fixed;
	if (nb < 2 || get_le16(p + fixed + (nb / 2 - 1) * 2) != 0)
		return EFI_ACCESS_DENIED;
	return EFI_SUCCESS;
}

static efi_status_t svc_get_next(struct varsvc *svc, uint8_t *p)
{
	uint64_t ns = get_le64(p + offsetof(struct smm_variable_get_next_name, name_size));
	uint8_t *name = p + SMM_VARIABLE_GET_NEXT_NAME_OFFSET;
	const struct var_entry *e = NULL, *next;
	bool in_volatile = false;
	efi_guid_t guid;
	size_t nsz;

	/* A NUL must lie within the first NameSize/2 characters. */
	nsz = var_name_size(name, ns / 2 * 2);
	if (nsz == 0)
		return EFI_INVALID_PARAMETER;
	memcpy(guid.b, p, 16);
	if (nsz == 2) {
		in_volatile = true;
		next = volatile_first(svc->vol);
	} else if ((e = volatile_find(svc->vol, &guid, name, nsz)) && visible(svc, e)) {
		in_volatile = true;
		next = volatile_next(svc->vol, e);
	} else if (!e && (e = store_find(svc->nv, &guid, name, nsz)) && visible(svc, e)) {
		next = store_next(svc->nv, e);
	} else {
		return EFI_INVALID_PARAMETER; /* not a variable: no way to continue */
	}
	/* Volatile store first, then NV; at runtime variables without RT are skipped. */
	for (;;) {
		if (!next && in_volatile) {
			in_volatile = false;
			next = store_first(svc->nv);
		}
		if (!next)
			return EFI_NOT_FOUND;
		if (visible(svc, next))
			break;
		next = in_volatile ? volatile_next(svc->vol, next) : store_next(svc->nv, next);
	}
	put_le64(p + offsetof(struct smm_variable_get_next_name, name_size), next->name_size);
	if (next->name_size > ns)
		return EFI_BUFFER_TOO_SMALL;
	memcpy(name, next->name, next->name_size);
	memcpy(p, next->guid.b, 16);
	return EFI_SUCCESS;
}

/* ---- SetVariable ------------------------------------------------------------------------ */

static bool hwerr_quota_ok(const struct varsvc *svc, const struct var_entry *old,
			   const struct var_write *w);

static efi_status_t update_variable(struct varsvc *svc, const struct found *f, bool exists,
				    const efi_guid_t *guid, const uint8_t *name, size_t nsz,
				    uint32_t attrs, const uint8_t *data, uint64_t ds)
{
	g_autofree uint8_t *merged = NULL;
	struct var_write w = {
		.guid = *guid,
		.name = name,
		.name_size = (uint32_t)nsz,
		.attributes = attrs & ~ATTR_APPEND, /* APPEND_WRITE is never stored */
		.data = data,
		.data_size = (uint32_t)ds,
	};
	int r;

	if (!exists) {
		if (ds == 0 && (attrs & ATTR_APPEND))
			return EFI_SUCCESS;
		if (ds == 0 || (attrs & (ATTR_BS | ATTR_RT)) == 0)
			return EFI_NOT_FOUND; /* deleting what is not there */
		/* Only NV|RT variables can be created at runtime. */
		if (svc->at_runtime && (!(attrs & ATTR_RT) || !(attrs & ATTR_NV)))
			return EFI_INVALID_PARAMETER;
		if ((attrs & ATTR_NV) && !hwerr_quota_ok(svc, NULL, &w))
			return EFI_OUT_OF_RESOURCES;
		r = (attrs & ATTR_NV) ? store_set(svc->nv, &w) : volatile_set(svc->vol, &w);
		return store_err_to_efi_status(r);
	}
	if (svc->at_runtime) {
		/* Volatile variables are read-only at runtime; only NV|RT ones change. */
		if (f->is_volatile)
			return EFI_WRITE_PROTECTED;
		if (!(f->e->attributes & ATTR_NV) || !(f->e->attributes & ATTR_RT))
			return EFI_INVALID_PARAMETER;
	}

	/* Delete: no data without APPEND_WRITE, or no access attributes at all. */
	if ((!(attrs & ATTR_APPEND) && ds == 0) || (attrs & (ATTR_BS | ATTR_RT)) == 0) {
		r = f->is_volatile ? volatile_delete(svc->vol, guid, name, nsz)
				   : store_delete(svc->nv, guid, name, nsz);
		return store_err_to_efi_status(r);
	}
	/* Same data again: nothing to write. */
	if (!(attrs & ATTR_APPEND) && f->e->data_size == ds &&
	    (ds == 0 || memcmp(f->e->data, data, ds) == 0))
		return EFI_SUCCESS;
	if (attrs & ATTR_APPEND) {
		uint64_t data_offset = HDR + f->e->name_size; /* GetVariableDataOffset */
		uint64_t max = max_size_for(svc, attrs);

		if (data_offset > max || f->e->data_size + ds > max - data_offset)
			return EFI_INVALID_PARAMETER;
		/* edk2 rewrites the same bytes for an empty append; no observable difference. */
		if (ds == 0)
			return EFI_SUCCESS;
		merged = g_malloc(f->e->data_size + ds);
		memcpy(merged, f->e->data, f->e->data_size);
		memcpy(merged + f->e->data_size, data, ds);
		w.data = merged;
		w.data_size = (uint32_t)(f->e->data_size + ds);
	}
	if (!f->is_volatile && !hwerr_quota_ok(svc, f->e, &w))
		return EFI_OUT_OF_RESOURCES;
	r = f->is_volatile ? volatile_set(svc->vol, &w) : store_set(svc->nv, &w);
	return store_err_to_efi_status(r);
}

/* Live bytes of HR records and of the others in the NV store (aligned record sizes). */
static void nv_usage(const struct varsvc *svc, uint64_t *ret_hr, uint64_t *ret_common)
{
	uint64_t hr = 0, all = 0;

	for (const struct var_entry *e = store_first(svc->nv); e; e = store_next(svc->nv, e)) {
		uint64_t span = fv_align(fv_record_raw_size(e->name_size, e->data_size));

		all += span;
		if (e->attributes & ATTR_HR)
			hr += span;
	}
	*ret_hr = hr;
	*ret_common = all - hr;
}

/*
 * With PcdHwErrStorageSize set, HR records have their own quota and the others
 * CommonVariableSpace = store space - HwErr space (edk2 UpdateVariable, after reclaim).
 * Without it the NV store's own space check applies.  `old` = the copy being replaced.
 */
static bool hwerr_quota_ok(const struct varsvc *svc, const struct var_entry *old,
			   const struct var_write *w)
{
	uint64_t hr, common, need = fv_align(fv_record_raw_size(w->name_size, w->data_size));
	struct store_stats st;

	if (svc->cfg.hwerr_storage_size == 0)
		return true;
	nv_usage(svc, &hr, &common);
	if (old) {
		uint64_t span = fv_align(fv_record_raw_size(old->name_size, old->data_size));
		if (old->attributes & ATTR_HR)
			hr -= span;
		else
			common -= span;
	}
	store_get_stats(svc->nv, &st);
	if (w->attributes & ATTR_HR)
		return hr + need <= svc->cfg.hwerr_storage_size;
	return common + need <= st.variable_space - svc->cfg.hwerr_storage_size;
}

/* The VarCheck entry for a variable, or NULL. */
static struct var_check *check_lookup(const struct varsvc *svc, const efi_guid_t *guid,
				      const uint8_t *name, size_t nsz)
{
	const struct var_check probe = { .guid = *guid, .name = (uint8_t *)name, .name_size = nsz };

	return g_hash_table_lookup(svc->checks, &probe);
}

static struct var_check *check_get_or_add(struct varsvc *svc, const efi_guid_t *guid,
					  const uint8_t *name, size_t nsz)
{
	struct var_check *c = check_lookup(svc, guid, name, nsz);

	if (c)
		return c;
	c = g_new0(struct var_check, 1);
	c->guid = *guid;
	c->name = g_memdup2(name, nsz);
	c->name_size = nsz;
	g_hash_table_add(svc->checks, c);
	return c;
}

/* The property VarCheckLib has for a variable (PROPERTY_SET first, AuthVariableLib's next). */
static bool property_lookup(const struct varsvc *svc, const efi_guid_t *guid,
			    const uint8_t *name, size_t nsz, struct var_check_variable_property *ret)
{
	const struct var_check *c = check_lookup(svc, guid, name, nsz);

	if (c && c->has_property) {
		*ret = c->prop;
		return true;
	}
	if (svc->auth && varsvc_auth_property(guid, name, nsz, ret) == 0)
		return true;
	return svc->cfg.var_check_uefi && varcheck_uefi_property(guid, name, nsz, ret);
}

/*
 * VarCheckLibSetVariableCheck for a request from the normal world (untrusted), after
 * EndOfDxe only: READ_ONLY -> EFI_WRITE_PROTECTED; unless it is a delete (attributes 0 or
 * DataSize 0), property attributes other than the request's (APPEND_WRITE aside) or a
 * DataSize outside [MinSize, MaxSize] -> EFI_INVALID_PARAMETER; then the handlers in the
 * order the libraries register them: VarCheckUefiLib's SetVariableCheckHandlerUefiDefined
 * (varcheck_uefi.c) when linked, then VarCheckPolicyLib's ValidateSetVariable when linked
 * (a LOCK_VARIABLE lock, VariablePolicy LOCK_NOW) -> EFI_WRITE_PROTECTED.
 */
static efi_status_t var_check(const struct varsvc *svc, const efi_guid_t *guid,
			      const uint8_t *name, size_t nsz, uint32_t attrs,
			      const uint8_t *payload, uint64_t ds)
{
	struct var_check_variable_property prop;
	const struct var_check *c;
	bool has_prop;

	if (!svc->end_of_dxe)
		return EFI_SUCCESS;
	has_prop = property_lookup(svc, guid, name, nsz, &prop);
	if (has_prop) {
		if (prop.property & VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY)
			return EFI_WRITE_PROTECTED;
		if (attrs != 0 && ds != 0) {
			if (prop.attributes != 0 && (attrs & ~ATTR_APPEND) != prop.attributes)
				return EFI_INVALID_PARAMETER;
			if (ds < prop.min_size || ds > prop.max_size)
				return EFI_INVALID_PARAMETER;
		}
	}
	if (svc->cfg.var_check_uefi) {
		efi_status_t st = varcheck_uefi_check(guid, name, nsz, attrs, payload, ds, has_prop);
		if (st != EFI_SUCCESS)
			return st;
	}
	c = check_lookup(svc, guid, name, nsz);
	if (c && c->locked)
		return EFI_WRITE_PROTECTED;
	return EFI_SUCCESS;
}

/* VariableServiceSetVariable without AuthVariableLib; `nsz` = StrSize(name). */
static efi_status_t set_variable(struct varsvc *svc, const efi_guid_t *guid, const uint8_t *name,
				 size_t nsz, uint32_t attrs, const uint8_t *data, uint64_t ds)
{
	struct found f = { 0 };
	uint64_t payload_size = ds;
	efi_status_t st;
	bool exists;

	if (nsz <= 2)
		return EFI_INVALID_PARAMETER; /* empty name */
	if (attrs & ~(ATTR_MASK | ATTR_AW))
		return EFI_INVALID_PARAMETER; /* reserved bits */
	if ((attrs & (ATTR_RT | ATTR_BS)) == ATTR_RT)
		return (attrs & ATTR_AW) ? EFI_UNSUPPORTED : EFI_INVALID_PARAMETER;
	if ((attrs & ATTR_MASK) == ATTR_NV)
		return (attrs & ATTR_AW) ? EFI_UNSUPPORTED : EFI_INVALID_PARAMETER;
	if (attrs & (ATTR_AT | ATTR_AW)) {
		if (!svc->auth_supported)
			return EFI_INVALID_PARAMETER;
	} else if ((attrs & ATTR_HR) && svc->cfg.hwerr_storage_size == 0) {
		return EFI_INVALID_PARAMETER; /* PcdHwErrStorageSize is 0 */
	}
	/* A hardware error record is NV|BS|RT (UEFI 2.10 §8.2.8; U-Boot, VarCheckUefiLib). */
	if ((attrs & ATTR_HR) && (attrs & ATTR_NV_BS_RT) != ATTR_NV_BS_RT)
		return EFI_INVALID_PARAMETER;
	/* AW/AT descriptor pre-check; the limits count the payload without the descriptor. */
	st = varsvc_auth_precheck(attrs, data, ds, &payload_size);
	if (st != EFI_SUCCESS)
		return st;
	if (UINT64_MAX - payload_size < nsz)
		return EFI_INVALID_PARAMETER;
	if (nsz + payload_size > max_size_for(svc, attrs) - HDR)
		return EFI_INVALID_PARAMETER;
	st = var_check(svc, guid, name, nsz, attrs, data + (ds - payload_size), payload_size);
	if (st != EFI_SUCCESS)
		return st;

	exists = find_variable(svc, guid, name, nsz, &f); /* IgnoreRtCheck */
	if (exists && svc->at_runtime && !(f.e->attributes & ATTR_RT))
		return EFI_WRITE_PROTECTED;
	if (exists && attrs != 0 && (attrs & ~ATTR_APPEND) != f.e->attributes)
		return EFI_INVALID_PARAMETER; /* rewritten with different attributes */
	if (svc->auth && varsvc_auth_process(svc->auth, svc->at_runtime, guid, name, nsz, attrs,
					     data, ds, exists, exists ? f.e->attributes : 0, &st))
		return st;
	return update_variable(svc, &f, exists, guid, name, nsz, attrs, data, ds);
}

static efi_status_t svc_set_variable(struct varsvc *svc, const uint8_t *p)
{
	efi_guid_t guid;
	uint64_t ds = get_le64(p + offsetof(struct smm_variable_access, data_size));
	uint64_t ns = get_le64(p + offsetof(struct smm_variable_access, name_size));
	uint32_t attrs = get_le32(p + offsetof(struct smm_variable_access, attributes));
	const uint8_t *name = p + SMM_VARIABLE_ACCESS_NAME_OFFSET;

	memcpy(guid.b, p, 16);
	return set_variable(svc, &guid, name, var_name_size(name, ns), attrs, name + ns, ds);
}

/* ---- QueryVariableInfo ------------------------------------------------------------------ */

static efi_status_t svc_query(struct varsvc *svc, uint8_t *p)
{
	uint32_t attrs = get_le32(p + offsetof(struct smm_variable_query_info, attributes));
	uint64_t max_storage, used, remaining, max_var;

	if (attrs == 0)
		return EFI_INVALID_PARAMETER;
	if (attrs & ATTR_AW)
		return EFI_UNSUPPORTED;
	if ((attrs & ATTR_MASK) == 0)
		return EFI_UNSUPPORTED;
	if ((attrs & ATTR_MASK) == ATTR_NV)
		return EFI_INVALID_PARAMETER;
	if ((attrs & (ATTR_RT | ATTR_BS)) == ATTR_RT)
		return EFI_INVALID_PARAMETER;
	if (svc->at_runtime && !(attrs & ATTR_RT))
		return EFI_INVALID_PARAMETER;
	if ((attrs & (ATTR_NV | ATTR_HR)) == ATTR_HR)
		return EFI_INVALID_PARAMETER;
	if (attrs & (ATTR_AT | ATTR_AW)) {
		if (!svc->auth_supported)
			return EFI_UNSUPPORTED;
	} else if ((attrs & ATTR_HR) && svc->cfg.hwerr_storage_size == 0) {
		return EFI_UNSUPPORTED; /* PcdHwErrStorageSize is 0 */
	}

	if (attrs & ATTR_NV) {
		struct store_stats st;
		uint64_t hr, common;

		store_get_stats(svc->nv, &st);
		nv_usage(svc, &hr, &common);
		if (attrs & ATTR_HR) {
			max_storage = svc->cfg.hwerr_storage_size;
			used = hr;
		} else {
			/* CommonVariableSpace (= CommonRuntimeVariableSpace: no boot-time reserve). */
			max_storage = st.variable_space - svc->cfg.hwerr_storage_size;
			/*
			 * Boot time: visible records only (the rest is reclaimable).  Runtime: every
			 * record written, as nothing can be reclaimed before the next boot.
			 */
			used = svc->at_runtime ? st.variable_space - st.free - hr : common;
		}
	} else {
		max_storage = volatile_capacity(svc->vol);
		used = volatile_used(svc->vol);
	}
	max_var = max_size_for(svc, attrs) - HDR;
	remaining = max_storage > used ? max_storage - used : 0;
	if (remaining < HDR)
		max_var = 0;
	else if (remaining - HDR < max_var)
		max_var = remaining - HDR;
	put_le64(p + offsetof(struct smm_variable_query_info, maximum_variable_storage_size),
		 max_storage);
	put_le64(p + offsetof(struct smm_variable_query_info, remaining_variable_storage_size),
		 remaining);
	put_le64(p + offsetof(struct smm_variable_query_info, maximum_variable_size), max_var);
	return EFI_SUCCESS;
}

/* ---- VAR_CHECK_VARIABLE_PROPERTY_GET ----------------------------------------------------- */

/*
 * No variable has a property yet (VarCheck properties are a later issue), so a well-formed
 * request answers EFI_NOT_FOUND, which Linux and U-Boot treat as "no property" after every
 * GetVariable (an EFI_UNSUPPORTED here would fail their GetVariable).
 */
static efi_status_t property_get_checks(const uint8_t *p, size_t psize)
{
	uint64_t ns = get_le64(p + offsetof(struct smm_variable_var_check_property, name_size));
	const uint64_t fixed = SMM_VARIABLE_VAR_CHECK_PROPERTY_NAME_OFFSET;

	if (UINT64_MAX - ns < fixed || fixed + ns > psize)
		return EFI_ACCESS_DENIED;
	if (ns < 2 || get_le16(p + fixed + (ns / 2 - 1) * 2) != 0)
		return EFI_ACCESS_DENIED;
	return EFI_SUCCESS;
}

#define PROP_OFF(field)                                                                     \
	(offsetof(struct smm_variable_var_check_property, variable_property) +             \
	 offsetof(struct var_check_variable_property, field))

/* VarCheckVariablePropertyGet: one set by PROPERTY_SET, else EFI_NOT_FOUND. */
static efi_status_t svc_property_get(const struct varsvc *svc, uint8_t *p)
{
	uint64_t ns = get_le64(p + offsetof(struct smm_variable_var_check_property, name_size));
	const uint8_t *name = p + SMM_VARIABLE_VAR_CHECK_PROPERTY_NAME_OFFSET;
	size_t nsz = var_name_size(name, ns);
	struct var_check_variable_property prop;
	const struct var_check *c;
	efi_guid_t guid;

	if (get_le16(name) == 0)
		return EFI_INVALID_PARAMETER; /* empty name */
	memcpy(guid.b, p, 16);
	c = check_lookup(svc, &guid, name, nsz);
	if (c && c->has_property)
		prop = c->prop;
	else if (!svc->cfg.var_check_uefi || !varcheck_uefi_property(&guid, name, nsz, &prop))
		return EFI_NOT_FOUND; /* AuthVariableLib's are looked up next */
	put_le16(p + PROP_OFF(revision), prop.revision);
	put_le16(p + PROP_OFF(property), prop.property);
	put_le32(p + PROP_OFF(attributes), prop.attributes);
	put_le64(p + PROP_OFF(min_size), prop.min_size);
	put_le64(p + PROP_OFF(max_size), prop.max_size);
	return EFI_SUCCESS;
}

/* VarCheckVariablePropertySet (the payload is checked as for PROPERTY_GET). */
static efi_status_t svc_property_set(struct varsvc *svc, const uint8_t *p)
{
	uint64_t ns = get_le64(p + offsetof(struct smm_variable_var_check_property, name_size));
	const uint8_t *name = p + SMM_VARIABLE_VAR_CHECK_PROPERTY_NAME_OFFSET;
	size_t nsz = var_name_size(name, ns);
	struct var_check *c;
	efi_guid_t guid;

	if (get_le16(name) == 0)
		return EFI_INVALID_PARAMETER;
	if (get_le16(p + PROP_OFF(revision)) != VAR_CHECK_VARIABLE_PROPERTY_REVISION)
		return EFI_INVALID_PARAMETER;
	memcpy(guid.b, p, 16);
	c = check_get_or_add(svc, &guid, name, nsz);
	c->has_property = true;
	c->prop = (struct var_check_variable_property){
		.revision = get_le16(p + PROP_OFF(revision)),
		.property = get_le16(p + PROP_OFF(property)),
		.attributes = get_le32(p + PROP_OFF(attributes)),
		.min_size = get_le64(p + PROP_OFF(min_size)),
		.max_size = get_le64(p + PROP_OFF(max_size)),
	};
	return EFI_SUCCESS;
}

/* VariableLockRequestToLock: a lock-now, enforced after EndOfDxe (payload as GET_NEXT). */
static efi_status_t svc_lock_variable(struct varsvc *svc, const uint8_t *p)
{
	uint64_t ns = get_le64(p + offsetof(struct smm_variable_get_next_name, name_size));
	const uint8_t *name = p + SMM_VARIABLE_GET_NEXT_NAME_OFFSET;
	size_t nsz = var_name_size(name, ns);
	efi_guid_t guid;

	if (get_le16(name) == 0)
		return EFI_INVALID_PARAMETER;
	memcpy(guid.b, p, 16);
	check_get_or_add(svc, &guid, name, nsz)->locked = true;
	return EFI_SUCCESS;
}

/* LOCK_VARIABLE's buffer: GUID, NameSize, a NUL-terminated name inside the payload. */
static efi_status_t lock_checks(const uint8_t *p, size_t psize)
{
	uint64_t ns = get_le64(p + offsetof(struct smm_variable_get_next_name, name_size));
	const uint64_t fixed = SMM_VARIABLE_GET_NEXT_NAME_OFFSET;

	if (psize < fixed || UINT64_MAX - ns < fixed || fixed + ns > psize)
		return EFI_ACCESS_DENIED;
	if (ns < 2 || get_le16(p + fixed + (ns / 2 - 1) * 2) != 0)
		return EFI_ACCESS_DENIED;
	return EFI_SUCCESS;
}

/* ---- phases ------------------------------------------------------------------------------ */

/* SmmEndOfDxeCallback / the first READY_TO_BOOT: VarCheck starts enforcing. */
static void enter_end_of_dxe(struct varsvc *svc)
{
	svc->end_of_dxe = true;
}

/*
 * ReclaimForOS: reclaim when the space left after the last record is below the largest
 * variable (PcdMaxVariableSize or PcdMaxAuthVariableSize; with HwErr storage, edk2 also
 * looks at the HwErr space).  A failure leaves the store as it was.
 */
static void reclaim_for_os(struct varsvc *svc)
{
	struct store_stats st;
	uint64_t hr, common;

	store_get_stats(svc->nv, &st);
	nv_usage(svc, &hr, &common);
	if (st.free < svc->cfg.max_variable_size || st.free < svc->cfg.max_auth_variable_size ||
	    (svc->cfg.hwerr_storage_size &&
	     svc->cfg.hwerr_storage_size - MIN(hr, svc->cfg.hwerr_storage_size) <
		     svc->cfg.max_hwerr_variable_size)) {
		int r = store_reclaim(svc->nv, NULL);
		if (r < 0)
			g_debug("ReclaimForOS: %s", g_strerror(-r));
	}
}

static efi_status_t svc_ready_to_boot(struct varsvc *svc)
{
	if (svc->at_runtime)
		return EFI_UNSUPPORTED;
	if (!svc->end_of_dxe)
		enter_end_of_dxe(svc);
	reclaim_for_os(svc);
	return EFI_SUCCESS;
}

static efi_status_t svc_exit_boot_services(struct varsvc *svc)
{
	svc->at_runtime = true;
	store_set_reclaim_enabled(svc->nv, false); /* never at runtime */
	return EFI_SUCCESS;
}

/* ---- dispatch --------------------------------------------------------------------------- */

/*
 * SmmVariableHandler: `comm` is the MM message (SMM_VARIABLE_COMMUNICATE_HEADER + payload),
 * comm_size = MessageLength.  Requests edk2 drops silently return without touching
 * ReturnStatus.
 */
static void varsvc_handle(struct varsvc *svc, uint8_t *comm, size_t comm_size)
{
	uint8_t *payload = comm + SMM_VARIABLE_COMMUNICATE_HEADER_SIZE;
	uint8_t *scratch = svc->scratch;
	efi_status_t st;
	uint64_t fn;
	size_t psize;

	if (comm_size < SMM_VARIABLE_COMMUNICATE_HEADER_SIZE)
		return;
	psize = comm_size - SMM_VARIABLE_COMMUNICATE_HEADER_SIZE;
	if (psize > svc->payload_size)
		return;
	fn = get_le64(comm + offsetof(struct smm_variable_communicate_header, function));

	switch (fn) {
	case SMM_VARIABLE_FUNCTION_GET_VARIABLE:
		if (psize < SMM_VARIABLE_ACCESS_NAME_OFFSET)
			return;
		memcpy(scratch, payload, psize);
		st = access_checks(scratch, psize);
		if (st == EFI_SUCCESS) {
			st = svc_get_variable(svc, scratch);
			memcpy(payload, scratch, psize);
		}
		break;
	case SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME:
		if (psize < SMM_VARIABLE_GET_NEXT_NAME_OFFSET)
			return;
		memcpy(scratch, payload, psize);
		st = get_next_checks(scratch, psize);
		if (st == EFI_SUCCESS) {
			st = svc_get_next(svc, scratch);
			memcpy(payload, scratch, psize);
		}
		break;
	case SMM_VARIABLE_FUNCTION_SET_VARIABLE:
		if (psize < SMM_VARIABLE_ACCESS_NAME_OFFSET)
			return;
		memcpy(scratch, payload, psize);
		st = access_checks(scratch, psize);
		if (st == EFI_SUCCESS)
			st = svc_set_variable(svc, scratch);
		break;
	case SMM_VARIABLE_FUNCTION_QUERY_VARIABLE_INFO:
		if (psize < sizeof(struct smm_variable_query_info))
			return;
		st = svc_query(svc, payload);
		break;
	case SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE:
		if (psize < sizeof(struct smm_variable_payload_size))
			return;
		put_le64(payload, svc->payload_size);
		st = EFI_SUCCESS;
		break;
	case SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET:
		if (psize < SMM_VARIABLE_VAR_CHECK_PROPERTY_NAME_OFFSET)
			return;
		memcpy(scratch, payload, psize);
		st = property_get_checks(scratch, psize);
		if (st == EFI_SUCCESS) {
			st = svc_property_get(svc, scratch);
			if (st == EFI_NOT_FOUND && svc->auth)
				st = varsvc_auth_property_get(scratch); /* AuthVariableLib's own */
			memcpy(payload, scratch, psize);
		}
		break;
	case SMM_VARIABLE_FUNCTION_READY_TO_BOOT:
		st = svc_ready_to_boot(svc); /* no payload read */
		break;
	case SMM_VARIABLE_FUNCTION_EXIT_BOOT_SERVICE:
		st = svc_exit_boot_services(svc);
		break;
	case SMM_VARIABLE_FUNCTION_LOCK_VARIABLE:
		if (svc->end_of_dxe) {
			st = EFI_ACCESS_DENIED;
			break;
		}
		memcpy(scratch, payload, psize);
		st = lock_checks(scratch, psize);
		/*
		 * Without VarCheckPolicyLib nothing runs InitVariablePolicyLib, so
		 * VariableLockRequestToLock's RegisterVariablePolicy answers EFI_NOT_READY
		 * (VariablePolicyLib.c RegisterVariablePolicy; VarCheckPolicyLib.c:457).
		 */
		if (st == EFI_SUCCESS)
			st = svc->cfg.policy_engine ? svc_lock_variable(svc, scratch) : EFI_NOT_READY;
		break;
	case SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_SET:
		if (svc->end_of_dxe) {
			st = EFI_ACCESS_DENIED;
			break;
		}
		memcpy(scratch, payload, psize);
		st = psize < SMM_VARIABLE_VAR_CHECK_PROPERTY_NAME_OFFSET
			     ? EFI_ACCESS_DENIED
			     : property_get_checks(scratch, psize);
		if (st == EFI_SUCCESS)
			st = svc_property_set(svc, scratch);
		break;
	default:
		st = EFI_UNSUPPORTED;
		break;
	}
	put_le64(comm + offsetof(struct smm_variable_communicate_header, return_status), st);
}

bool varsvc_call_is_read_only(const uint8_t *buf, size_t size)
{
	const efi_guid_t var_guid = SMM_VARIABLE_GUID;

	if (!buf || size < MM_VARIABLE_PAYLOAD_OFFSET || memcmp(buf, var_guid.b, sizeof(var_guid.b)))
		return false;
	switch (get_le64(buf + MM_COMMUNICATE_HEADER_SIZE +
			 offsetof(struct smm_variable_communicate_header, function))) {
	case SMM_VARIABLE_FUNCTION_GET_VARIABLE:
	case SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME:
	case SMM_VARIABLE_FUNCTION_QUERY_VARIABLE_INFO:
	case SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET:
	case SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE:
		return true;
	default:
		return false;
	}
}

int32_t varsvc_communicate(struct varsvc *svc, uint8_t *buf, size_t size)
{
	const efi_guid_t var_guid = SMM_VARIABLE_GUID;
	const efi_guid_t end_of_dxe_guid = EFI_END_OF_DXE_EVENT_GROUP_GUID;
	uint64_t msg_len;

	/* ValidateMmCommBufferAddr: header and MessageLength must fit -> EFI_ACCESS_DENIED. */
	if (!svc || !buf || size < MM_COMMUNICATE_HEADER_SIZE)
		return ARM_SPM_MM_RET_DENIED;
	msg_len = get_le64(buf + offsetof(struct mm_communicate_header, message_length));
	if (msg_len > size - MM_COMMUNICATE_HEADER_SIZE)
		return ARM_SPM_MM_RET_DENIED;
	/*
	 * The MM core's EndOfDxe MMI installs gEfiMmEndOfDxeProtocolGuid, on which the variable
	 * driver enters EndOfDxe; the buffer is not written.
	 */
	if (memcmp(buf, end_of_dxe_guid.b, sizeof(end_of_dxe_guid.b)) == 0) {
		enter_end_of_dxe(svc);
		return ARM_SPM_MM_RET_SUCCESS;
	}
	/* No handler for another GUID: MmiManage finds none, the CPU driver still succeeds. */
	if (memcmp(buf, var_guid.b, sizeof(var_guid.b)) != 0)
		return ARM_SPM_MM_RET_SUCCESS;
	varsvc_handle(svc, buf + MM_COMMUNICATE_HEADER_SIZE, (size_t)msg_len);
	return ARM_SPM_MM_RET_SUCCESS;
}
