/* SPDX-License-Identifier: MIT */
#include "authvar.h"

#include <errno.h>
#include <glib.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <string.h>

#include "auth.h"
#include "bytes.h"
#include "efi_auth.h"
#include "efi_util.h"

#define ATTR_NV EFI_VARIABLE_NON_VOLATILE
#define ATTR_BS EFI_VARIABLE_BOOTSERVICE_ACCESS
#define ATTR_RT EFI_VARIABLE_RUNTIME_ACCESS
#define ATTR_AT EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS
#define ATTR_APPEND EFI_VARIABLE_APPEND_WRITE

/* certdb node header (AUTH_CERT_DB_DATA, include/efi_auth.h) and its fields. */
#define CERTDB_NODE_HEADER  sizeof(struct auth_cert_db_data)
#define CERTDB_GUID         offsetof(struct auth_cert_db_data, vendor_guid)
#define CERTDB_NODE_SIZE    offsetof(struct auth_cert_db_data, cert_node_size)
#define CERTDB_NAME_CHARS   offsetof(struct auth_cert_db_data, name_size)
#define CERTDB_ID_SIZE      offsetof(struct auth_cert_db_data, cert_data_size)
#define CERTDB_LIST_SIZE    AUTH_CERT_DB_LIST_SIZE_BYTES

enum var_kind { KIND_PRIVATE, KIND_PK, KIND_KEK, KIND_DB };
/* Who must have signed: the PK holder, any X.509 in KEK, or the variable's own signer. */
/* Trust anchors: PK's cert, KEK's certs, the signer (private), the new payload's first cert
 * (AuthVarTypePayload: PK in setup mode with PcdRequireSelfSignedPk). */
enum trust { TRUST_PK, TRUST_KEK, TRUST_SIGNER, TRUST_PAYLOAD };

/*
 * The certificates of PK or KEK, parsed once per value: a signed write checks against the
 * same key database many times, and parsing X.509 (OpenSSL 3's key decoders) is most of
 * the cost of a write.  Valid while the variable holds exactly `value`.
 */
struct trust_cache {
	GBytes *value;              /* the variable's data when parsed; NULL = empty */
	STACK_OF(X509) *certs;      /* auth_siglist_certs(value) */
	X509_STORE *store;          /* auth_trust_store_new(certs); NULL if no certificate */
	GBytes *only_der;           /* DER of the single certificate (PK), else NULL */
};

struct authvar {
	struct authvar_config cfg;
	struct authvar_ops ops;
	bool at_runtime;
	enum authvar_mode mode;
	struct trust_cache pk, kek;
};

/* UCS-2LE names of the variables the policy knows, built once. */
struct known_name {
	const char *ascii;
	uint8_t ucs2[40];
	size_t size;
};
static struct known_name N_PK = { .ascii = "PK" }, N_KEK = { .ascii = "KEK" }, N_DB = { .ascii = "db" }, N_DBX = { .ascii = "dbx" },
			 N_DBT = { .ascii = "dbt" }, N_SETUP_MODE = { .ascii = "SetupMode" },
			 N_SECURE_BOOT = { .ascii = "SecureBoot" }, N_SB_ENABLE = { .ascii = "SecureBootEnable" },
			 N_CUSTOM_MODE = { .ascii = "CustomMode" }, N_SIG_SUPPORT = { .ascii = "SignatureSupport" },
			 N_VENDOR_KEYS = { .ascii = "VendorKeys" }, N_VENDOR_KEYS_NV = { .ascii = "VendorKeysNv" },
			 N_CERTDB = { .ascii = "certdb" }, N_CERTDBV = { .ascii = "certdbv" };

static void known_init(struct known_name *k)
{
	size_t n = strlen(k->ascii);
	memset(k->ucs2, 0, sizeof(k->ucs2));
	for (size_t i = 0; i < n; i++)
		k->ucs2[2 * i] = (uint8_t)k->ascii[i];
	k->size = 2 * (n + 1);
}

static void known_names_init(void)
{
	static gsize once;
	if (g_once_init_enter(&once)) {
		struct known_name *all[] = { &N_PK, &N_KEK, &N_DB, &N_DBX, &N_DBT, &N_SETUP_MODE,
					     &N_SECURE_BOOT, &N_SB_ENABLE, &N_CUSTOM_MODE,
					     &N_SIG_SUPPORT, &N_VENDOR_KEYS, &N_VENDOR_KEYS_NV,
					     &N_CERTDB, &N_CERTDBV };
		for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
			known_init(all[i]);
		g_once_init_leave(&once, 1);
	}
}

static bool is_name(const uint8_t *name, size_t size, const struct known_name *k)
{
	return size == k->size && memcmp(name, k->ucs2, size) == 0;
}

static const efi_guid_t guid_global = EFI_GLOBAL_VARIABLE_GUID;
static const efi_guid_t guid_security = EFI_IMAGE_SECURITY_DATABASE_GUID;
static const efi_guid_t guid_sb_enable = EFI_SECURE_BOOT_ENABLE_DISABLE_GUID;
static const efi_guid_t guid_custom = EFI_CUSTOM_MODE_ENABLE_GUID;
static const efi_guid_t guid_vendor_keys_nv = EFI_VENDOR_KEYS_NV_GUID;
static const efi_guid_t guid_certdb = EFI_CERT_DB_GUID;

static enum var_kind kind_of(const uint8_t *name, size_t size, const efi_guid_t *guid)
{
	if (efi_guid_equal(guid, &guid_global)) {
		if (is_name(name, size, &N_PK))
			return KIND_PK;
		if (is_name(name, size, &N_KEK))
			return KIND_KEK;
	} else if (efi_guid_equal(guid, &guid_security)) {
		/* dbr is not special in edk2: a private authenticated variable. */
		if (is_name(name, size, &N_DB) || is_name(name, size, &N_DBX) ||
		    is_name(name, size, &N_DBT))
			return KIND_DB;
	}
	return KIND_PRIVATE;
}

static bool is_mode_switch(const uint8_t *name, size_t size, const efi_guid_t *guid)
{
	return (efi_guid_equal(guid, &guid_custom) && is_name(name, size, &N_CUSTOM_MODE)) ||
	       (efi_guid_equal(guid, &guid_sb_enable) && is_name(name, size, &N_SB_ENABLE));
}

int authvar_new(const struct authvar_config *cfg, const struct authvar_ops *ops,
		struct authvar **ret_av)
{
	if (!ops || !ops->find || !ops->update)
		return -EINVAL;
	known_names_init();
	struct authvar *av = g_new0(struct authvar, 1);
	if (cfg)
		av->cfg = *cfg;
	av->ops = *ops;
	av->mode = AUTHVAR_SETUP_MODE;
	*ret_av = av;
	return 0;
}

static void trust_cache_clear(struct trust_cache *c)
{
	g_clear_pointer(&c->value, g_bytes_unref);
	g_clear_pointer(&c->only_der, g_bytes_unref);
	X509_STORE_free(c->store);
	c->store = NULL;
	sk_X509_pop_free(c->certs, X509_free);
	c->certs = NULL;
}

/* The parsed certificates of `v` (PK or KEK), reparsed only when its value changed. */
static const struct trust_cache *trust_cache_get(struct trust_cache *c,
						 const struct authvar_var *v)
{
	if (c->value && g_bytes_get_size(c->value) == v->size &&
	    memcmp(g_bytes_get_data(c->value, NULL), v->data, v->size) == 0)
		return c;
	trust_cache_clear(c);
	c->value = g_bytes_new(v->data, v->size);
	c->certs = auth_siglist_certs(v->data, v->size);
	c->store = auth_trust_store_new(c->certs);
	if (sk_X509_num(c->certs) == 1) {
		unsigned char *der = NULL;
		int n = i2d_X509(sk_X509_value(c->certs, 0), &der);
		if (n > 0)
			c->only_der = g_bytes_new(der, (gsize)n);
		OPENSSL_free(der);
	}
	return c;
}

void authvar_free(struct authvar *av)
{
	if (!av)
		return;
	trust_cache_clear(&av->pk);
	trust_cache_clear(&av->kek);
	g_free(av);
}

void authvar_set_runtime(struct authvar *av, bool at_runtime)
{
	av->at_runtime = at_runtime;
}

enum authvar_mode authvar_get_mode(const struct authvar *av)
{
	return av->mode;
}

bool authvar_applies(const uint8_t *name, size_t name_size, const efi_guid_t *guid,
		     uint32_t attributes, const struct authvar_var *existing)
{
	known_names_init();
	return (attributes & ATTR_AT) || (existing && (existing->attributes & ATTR_AT)) ||
	       kind_of(name, name_size, guid) != KIND_PRIVATE ||
	       is_mode_switch(name, name_size, guid);
}

static int find(struct authvar *av, const struct known_name *k, const efi_guid_t *guid,
		struct authvar_var *ret)
{
	return av->ops.find(av->ops.ctx, k->ucs2, k->size, guid, ret);
}

static efi_status_t put_u8(struct authvar *av, const struct known_name *k, const efi_guid_t *g,
			   uint32_t attrs, uint8_t v)
{
	return av->ops.update(av->ops.ctx, k->ucs2, k->size, g, attrs, &v, 1, NULL);
}

/* UserPhysicalPresent(): PlatformSecureLibNull returns PcdUserPhysicalPresence. */
static bool user_physical_present(const struct authvar *av)
{
	return av->cfg.user_physical_presence;
}

/* Is edk2's variable-policy engine running?  Not linked into OP-TEE's StMM build. */
static bool variable_policy_enabled(const struct authvar *av)
{
	return av->cfg.policy_engine;
}

static bool custom_mode_on(struct authvar *av)
{
	struct authvar_var v;
	return find(av, &N_CUSTOM_MODE, &guid_custom, &v) == 0 && v.size == 1 && v.data[0] == 1;
}

/* UpdatePlatformMode: SetupMode, SecureBoot and SecureBootEnable follow the PK. */
static efi_status_t update_platform_mode(struct authvar *av, enum authvar_mode mode)
{
	efi_status_t s;

	av->mode = mode;
	s = put_u8(av, &N_SETUP_MODE, &guid_global, ATTR_BS | ATTR_RT, mode == AUTHVAR_SETUP_MODE);
	if (s != EFI_SUCCESS || av->at_runtime)
		return s;
	struct authvar_var v;
	if (find(av, &N_SECURE_BOOT, &guid_global, &v) == 0) {
		s = put_u8(av, &N_SECURE_BOOT, &guid_global, ATTR_BS | ATTR_RT,
			   mode == AUTHVAR_USER_MODE);
		if (s != EFI_SUCCESS)
			return s;
	}
	if (mode == AUTHVAR_USER_MODE)
		return put_u8(av, &N_SB_ENABLE, &guid_sb_enable, ATTR_NV | ATTR_BS, 1);
	if (find(av, &N_SB_ENABLE, &guid_sb_enable, &v) == 0)
		return av->ops.update(av->ops.ctx, N_SB_ENABLE.ucs2, N_SB_ENABLE.size,
				      &guid_sb_enable, ATTR_NV | ATTR_BS, NULL, 0, NULL);
	return EFI_SUCCESS;
}

efi_status_t authvar_init(struct authvar *av)
{
	/* SHA1, SHA256, SHA384, SHA512, RSA2048, X509 — the types this service can check. */
	static const efi_guid_t support[] = { EFI_CERT_SHA1_GUID,    EFI_CERT_SHA256_GUID,
					      EFI_CERT_SHA384_GUID,  EFI_CERT_SHA512_GUID,
					      EFI_CERT_RSA2048_GUID, EFI_CERT_X509_GUID };
	struct authvar_var v;
	efi_status_t s;
	uint8_t empty_db[CERTDB_LIST_SIZE]; /* a certdb without nodes: its CertDbListSize only */

	bool have_pk = find(av, &N_PK, &guid_global, &v) == 0;
	av->mode = have_pk ? AUTHVAR_USER_MODE : AUTHVAR_SETUP_MODE;
	s = put_u8(av, &N_SETUP_MODE, &guid_global, ATTR_BS | ATTR_RT, !have_pk);
	if (s == EFI_SUCCESS)
		s = av->ops.update(av->ops.ctx, N_SIG_SUPPORT.ucs2, N_SIG_SUPPORT.size, &guid_global,
				   ATTR_BS | ATTR_RT, (const uint8_t *)support, sizeof(support),
				   NULL);
	if (s != EFI_SUCCESS)
		return s;

	bool sb_enable_exists = find(av, &N_SB_ENABLE, &guid_sb_enable, &v) == 0;
	uint8_t sb_enable = sb_enable_exists && v.size == 1 ? v.data[0] : 0;
	if (!sb_enable_exists && have_pk) {
		sb_enable = 1;
		s = put_u8(av, &N_SB_ENABLE, &guid_sb_enable, ATTR_NV | ATTR_BS, 1);
		if (s != EFI_SUCCESS)
			return s;
	}
	s = put_u8(av, &N_SECURE_BOOT, &guid_global, ATTR_BS | ATTR_RT, have_pk && sb_enable == 1);
	if (s == EFI_SUCCESS)
		s = put_u8(av, &N_CUSTOM_MODE, &guid_custom, ATTR_NV | ATTR_BS, 0);
	if (s != EFI_SUCCESS)
		return s;

	put_le32(empty_db, sizeof(empty_db));
	if (find(av, &N_CERTDB, &guid_certdb, &v) != 0) {
		s = av->ops.update(av->ops.ctx, N_CERTDB.ucs2, N_CERTDB.size, &guid_certdb,
				   ATTR_NV | ATTR_BS | ATTR_RT | ATTR_AT, empty_db, sizeof(empty_db),
				   NULL);
		if (s != EFI_SUCCESS)
			return s;
	}
	s = av->ops.update(av->ops.ctx, N_CERTDBV.ucs2, N_CERTDBV.size, &guid_certdb,
			   ATTR_BS | ATTR_RT | ATTR_AT, empty_db, sizeof(empty_db), NULL);
	if (s != EFI_SUCCESS)
		return s;

	uint8_t vendor_keys = 1; /* VENDOR_KEYS_VALID */
	if (find(av, &N_VENDOR_KEYS_NV, &guid_vendor_keys_nv, &v) == 0 && v.size == 1) {
		vendor_keys = v.data[0];
	} else {
		s = put_u8(av, &N_VENDOR_KEYS_NV, &guid_vendor_keys_nv,
			   ATTR_NV | ATTR_BS | ATTR_AT, vendor_keys);
		if (s != EFI_SUCCESS)
			return s;
	}
	return put_u8(av, &N_VENDOR_KEYS, &guid_global, ATTR_BS | ATTR_RT, vendor_keys);
}

/* ---- certdb: signer identities of private authenticated variables ------------------- */

static const struct known_name *certdb_for(uint32_t attributes)
{
	return (attributes & ATTR_NV) ? &N_CERTDB : &N_CERTDBV;
}

/* Find the node of (name, guid); its offset and size, or -ENOENT / -EBADMSG. */
static int certdb_find_node(const uint8_t *db, size_t db_size, const uint8_t *name,
			    size_t name_size, const efi_guid_t *guid, size_t *ret_off,
			    size_t *ret_size)
{
	if (db_size < CERTDB_LIST_SIZE || get_le32(db) != db_size)
		return -EBADMSG;
	for (size_t off = CERTDB_LIST_SIZE; off < db_size;) {
		if (db_size - off < CERTDB_NODE_HEADER)
			return -EBADMSG;
		const uint8_t *n = db + off;
		uint32_t node = get_le32(n + CERTDB_NODE_SIZE), nchars = get_le32(n + CERTDB_NAME_CHARS),
			 cert = get_le32(n + CERTDB_ID_SIZE);
		if (node < CERTDB_NODE_HEADER || node > db_size - off ||
		    (uint64_t)nchars * 2 + cert + CERTDB_NODE_HEADER != node)
			return -EBADMSG;
		if (memcmp(n + CERTDB_GUID, guid->b, sizeof(guid->b)) == 0 &&
		    (size_t)nchars * 2 == name_size - 2 &&
		    memcmp(n + CERTDB_NODE_HEADER, name, name_size - 2) == 0) {
			*ret_off = off;
			*ret_size = node;
			return 0;
		}
		off += node;
	}
	return -ENOENT;
}

static efi_status_t certdb_store(struct authvar *av, const struct known_name *k,
				 const GByteArray *db)
{
	return av->ops.update(av->ops.ctx, k->ucs2, k->size, &guid_certdb,
			      (k == &N_CERTDB ? ATTR_NV : 0) | ATTR_BS | ATTR_RT | ATTR_AT, db->data,
			      db->len, NULL);
}

static GByteArray *certdb_load(struct authvar *av, const struct known_name *k)
{
	struct authvar_var v;
	GByteArray *db = g_byte_array_new();
	if (find(av, k, &guid_certdb, &v) == 0 && v.size >= CERTDB_LIST_SIZE)
		g_byte_array_append(db, v.data, (guint)v.size);
	else
		g_byte_array_set_size(db, CERTDB_LIST_SIZE);
	put_le32(db->data, db->len);
	return db;
}

/* 0 = identity matches, -ENOENT = no binding, -EPERM = another signer. */
static int certdb_check(struct authvar *av, const uint8_t *name, size_t name_size,
			const efi_guid_t *guid, uint32_t attributes, GBytes *identity)
{
	g_autoptr(GByteArray) db = certdb_load(av, certdb_for(attributes));
	size_t off, size;
	int r = certdb_find_node(db->data, db->len, name, name_size, guid, &off, &size);
	if (r < 0)
		return r == -ENOENT ? -ENOENT : -EPERM;
	size_t id_off = off + CERTDB_NODE_HEADER + name_size - 2;
	size_t id_size = get_le32(db->data + off + CERTDB_ID_SIZE);
	if (id_size != g_bytes_get_size(identity) ||
	    memcmp(db->data + id_off, g_bytes_get_data(identity, NULL), id_size) != 0)
		return -EPERM;
	return 0;
}

static efi_status_t certdb_delete(struct authvar *av, const uint8_t *name, size_t name_size,
				  const efi_guid_t *guid, uint32_t attributes)
{
	const struct known_name *k = certdb_for(attributes);
	g_autoptr(GByteArray) db = certdb_load(av, k);
	size_t off, size;
	if (certdb_find_node(db->data, db->len, name, name_size, guid, &off, &size) < 0)
		return EFI_SUCCESS;
	g_byte_array_remove_range(db, (guint)off, (guint)size);
	put_le32(db->data, db->len);
	return certdb_store(av, k, db);
}

static efi_status_t certdb_insert(struct authvar *av, const uint8_t *name, size_t name_size,
				  const efi_guid_t *guid, uint32_t attributes, GBytes *identity)
{
	const struct known_name *k = certdb_for(attributes);
	g_autoptr(GByteArray) db = certdb_load(av, k);
	size_t off, size, id_size = g_bytes_get_size(identity);
	uint8_t hdr[CERTDB_NODE_HEADER];

	if (certdb_find_node(db->data, db->len, name, name_size, guid, &off, &size) == 0)
		g_byte_array_remove_range(db, (guint)off, (guint)size);
	memcpy(hdr + CERTDB_GUID, guid->b, sizeof(guid->b));
	put_le32(hdr + CERTDB_NODE_SIZE, (uint32_t)(CERTDB_NODE_HEADER + name_size - 2 + id_size));
	put_le32(hdr + CERTDB_NAME_CHARS, (uint32_t)(name_size / 2 - 1));
	put_le32(hdr + CERTDB_ID_SIZE, (uint32_t)id_size);
	g_byte_array_append(db, hdr, sizeof(hdr));
	g_byte_array_append(db, name, (guint)(name_size - 2));
	g_byte_array_append(db, g_bytes_get_data(identity, NULL), (guint)id_size);
	put_le32(db->data, db->len);
	return certdb_store(av, k, db);
}

/* ---- applying a verified write ---------------------------------------------------------- */

/*
 * Store the payload: delete on an empty non-append payload, append (with duplicate
 * signatures filtered for the key databases) or replace; the timestamp only moves forward.
 */
static efi_status_t apply(struct authvar *av, enum var_kind kind, const uint8_t *name,
			  size_t name_size, const efi_guid_t *guid, uint32_t attributes,
			  const struct auth2 *a, const struct authvar_var *existing)
{
	uint32_t stored_attrs = attributes & ~ATTR_APPEND;

	if (!(attributes & ATTR_APPEND)) {
		if (a->payload_size == 0 && !existing)
			return EFI_NOT_FOUND;
		return av->ops.update(av->ops.ctx, name, name_size, guid, stored_attrs,
				      a->payload_size ? a->payload : NULL, a->payload_size,
				      a->payload_size ? &a->time_stamp : NULL);
	}
	if (!existing) {
		if (a->payload_size == 0)
			return EFI_SUCCESS; /* append of nothing to nothing */
		return av->ops.update(av->ops.ctx, name, name_size, guid, stored_attrs, a->payload,
				      a->payload_size, &a->time_stamp);
	}
	g_autoptr(GByteArray) add = NULL;
	if (kind == KIND_KEK || kind == KIND_DB)
		add = auth_filter_signature_lists(existing->data, existing->size, a->payload,
						  a->payload_size);
	else
		add = g_byte_array_new_take(g_memdup2(a->payload, a->payload_size), a->payload_size);
	if (add->len == 0)
		return EFI_SUCCESS;
	g_autoptr(GByteArray) all = g_byte_array_sized_new((guint)(existing->size + add->len));
	g_byte_array_append(all, existing->data, (guint)existing->size);
	g_byte_array_append(all, add->data, add->len);
	const struct efi_time *ts = efi_time_compare(&a->time_stamp, &existing->time_stamp) > 0
					    ? &a->time_stamp
					    : &existing->time_stamp;
	return av->ops.update(av->ops.ctx, name, name_size, guid, stored_attrs, all->data, all->len,
			      ts);
}

/* Is `x` (DER-encoded) byte for byte `der`? */
static bool x509_der_equal(X509 *x, GBytes *der)
{
	unsigned char *buf = NULL;
	int n = der ? i2d_X509(x, &buf) : -1;
	bool same = n > 0 && (gsize)n == g_bytes_get_size(der) &&
		    memcmp(buf, g_bytes_get_data(der, NULL), (size_t)n) == 0;

	OPENSSL_free(buf);
	return same;
}

/*
 * VerifyTimeBasedPayload's signature check: the SignedData of `a`, parsed once, must be
 * signed over the serialization by whom `trust` names.  For TRUST_SIGNER the certdb
 * identity of the signer is returned in *ret_identity.
 */
static efi_status_t verify_signature(struct authvar *av, enum trust trust, const uint8_t *name,
				     size_t name_size, const efi_guid_t *guid,
				     uint32_t attributes, const struct auth2 *a,
				     GBytes **ret_identity)
{
	efi_status_t s = EFI_SECURITY_VIOLATION;
	X509_STORE *own = NULL, *store = NULL;
	PKCS7 *p7 = NULL;
	GByteArray *content = NULL;
	X509 *signer, *top;
	struct authvar_var v;

	switch (trust) {
	case TRUST_PK: {
		/* The signer must be the certificate held in PK. */
		if (find(av, &N_PK, &guid_global, &v) != 0)
			goto out;
		const struct trust_cache *pk = trust_cache_get(&av->pk, &v);
		if (!pk->only_der || !(p7 = auth_pkcs7_load(a->cert, a->cert_size)) ||
		    auth_pkcs7_signer_p7(p7, &signer, NULL) < 0 ||
		    !x509_der_equal(signer, pk->only_der))
			goto out;
		store = pk->store;
		break;
	}
	case TRUST_KEK:
		if (find(av, &N_KEK, &guid_global, &v) != 0) {
			s = EFI_NOT_FOUND; /* edk2 returns the failed KEK lookup */
			goto out;
		}
		store = trust_cache_get(&av->kek, &v)->store;
		if (!store)
			goto out; /* no certificate to trust: nothing can verify */
		p7 = auth_pkcs7_load(a->cert, a->cert_size);
		break;
	case TRUST_PAYLOAD: {
		/* PcdRequireSelfSignedPk: the first certificate of the new PK's first list. */
		STACK_OF(X509) *certs = auth_siglist_certs(a->payload, a->payload_size);
		while (certs && sk_X509_num(certs) > 1)
			X509_free(sk_X509_pop(certs));
		if (certs && sk_X509_num(certs) == 1)
			store = own = auth_trust_store_new(certs);
		sk_X509_pop_free(certs, X509_free); /* the store holds its own reference */
		if (!store)
			goto out;
		p7 = auth_pkcs7_load(a->cert, a->cert_size);
		break;
	}
	case TRUST_SIGNER: {
		/* Trusted: the top of the signer's own chain inside the SignedData. */
		STACK_OF(X509) *one = sk_X509_new_null();
		p7 = auth_pkcs7_load(a->cert, a->cert_size);
		if (auth_pkcs7_signer_p7(p7, &signer, &top) == 0 && one && sk_X509_push(one, top))
			store = own = auth_trust_store_new(one);
		sk_X509_free(one); /* the store holds its own reference */
		if (!store)
			goto out;
		break;
	}
	}
	content = auth2_signed_content(name, name_size, guid, attributes, a);
	s = auth_pkcs7_verify_p7(p7, content->data, content->len, store);
	/* After verifying: the identity re-encodes the top certificate's TBS. */
	if (s == EFI_SUCCESS && trust == TRUST_SIGNER && ret_identity &&
	    auth_signer_identity_p7(p7, ret_identity) < 0)
		s = EFI_SECURITY_VIOLATION;
out:
	if (content)
		g_byte_array_unref(content);
	X509_STORE_free(own);
	PKCS7_free(p7);
	return s;
}

/* VerifyTimeBasedPayload + the update, for one kind of variable. */
static efi_status_t verify_and_update(struct authvar *av, enum var_kind kind, enum trust trust,
				      const uint8_t *name,
				      size_t name_size, const efi_guid_t *guid,
				      uint32_t attributes, const uint8_t *data, size_t data_size)
{
	struct authvar_var existing_v, *existing = NULL;
	struct auth2 a;
	efi_status_t s = auth2_parse(data, data_size, &a);
	if (s != EFI_SUCCESS)
		return s;

	if (av->ops.find(av->ops.ctx, name, name_size, guid, &existing_v) == 0)
		existing = &existing_v;
	if (existing && !(attributes & ATTR_APPEND) &&
	    efi_time_compare(&a.time_stamp, &existing->time_stamp) <= 0)
		return EFI_SECURITY_VIOLATION;

	g_autoptr(GBytes) identity = NULL;
	bool skip = a.payload_size == 0 && !(attributes & ATTR_APPEND) &&
		    !variable_policy_enabled(av);
	if (!skip) {
		s = verify_signature(av, trust, name, name_size, guid, attributes, &a,
				     kind == KIND_PRIVATE ? &identity : NULL);
		if (s != EFI_SUCCESS)
			return s;
		if (kind != KIND_PRIVATE) {
			s = auth_check_signature_lists(a.payload, a.payload_size, kind == KIND_PK);
			if (s != EFI_SUCCESS)
				return s;
		}
	}

	if (kind == KIND_PRIVATE && identity && existing &&
	    certdb_check(av, name, name_size, guid, existing->attributes, identity) == -EPERM)
		return EFI_SECURITY_VIOLATION;

	bool deleting = existing && a.payload_size == 0 && !(attributes & ATTR_APPEND);
	s = apply(av, kind, name, name_size, guid, attributes, &a, existing);
	if (s != EFI_SUCCESS || kind != KIND_PRIVATE)
		return s;
	if (deleting)
		return certdb_delete(av, name, name_size, guid, attributes);
	/* edk2 binds the signer only when a variable is created (no old one, a payload). */
	if (identity && !existing && a.payload_size)
		return certdb_insert(av, name, name_size, guid, attributes, identity);
	return EFI_SUCCESS;
}

/* ProcessVarWithPk: PK and KEK always, db/dbx/dbt first. */
static efi_status_t process_with_pk(struct authvar *av, enum var_kind kind, const uint8_t *name,
				    size_t name_size, const efi_guid_t *guid, uint32_t attributes,
				    const uint8_t *data, size_t data_size)
{
	if (!(attributes & ATTR_NV) || !(attributes & ATTR_AT))
		return EFI_INVALID_PARAMETER;

	bool custom = custom_mode_on(av) && user_physical_present(av);
	bool self_signed = av->cfg.require_self_signed_pk && kind == KIND_PK;
	if ((av->mode == AUTHVAR_SETUP_MODE && !self_signed) || custom) {
		/* No signature or timestamp check: the payload's format only. */
		struct auth2 a;
		const size_t auth_info = offsetof(struct efi_variable_authentication_2, auth_info);
		if (data_size < EFI_VARIABLE_AUTHENTICATION_2_CERT_DATA_OFFSET)
			return EFI_SECURITY_VIOLATION;
		uint32_t dw_length = get_le32(
			data + offsetof(struct efi_variable_authentication_2, auth_info.hdr.dw_length));
		if (dw_length < sizeof(struct win_certificate_uefi_guid) ||
		    dw_length > data_size - auth_info)
			return EFI_SECURITY_VIOLATION;
		memcpy(&a.time_stamp,
		       data + offsetof(struct efi_variable_authentication_2, time_stamp),
		       sizeof(a.time_stamp));
		a.payload = data + auth_info + dw_length;
		a.payload_size = data_size - auth_info - dw_length;
		efi_status_t s = auth_check_signature_lists(a.payload, a.payload_size,
							     kind == KIND_PK);
		if (s != EFI_SUCCESS)
			return s;
		struct authvar_var ev;
		bool exists = av->ops.find(av->ops.ctx, name, name_size, guid, &ev) == 0;
		s = apply(av, kind, name, name_size, guid, attributes, &a, exists ? &ev : NULL);
		if (s != EFI_SUCCESS)
			return s;
		if (av->mode != AUTHVAR_SETUP_MODE || self_signed) {
			/* Keys changed through CustomMode: VendorKeys become "modified". */
			s = put_u8(av, &N_VENDOR_KEYS_NV, &guid_vendor_keys_nv,
				   ATTR_NV | ATTR_BS | ATTR_AT, 0);
			if (s == EFI_SUCCESS)
				s = put_u8(av, &N_VENDOR_KEYS, &guid_global, ATTR_BS | ATTR_RT, 0);
			if (s != EFI_SUCCESS)
				return s;
		}
		if (kind == KIND_PK && av->mode == AUTHVAR_SETUP_MODE && a.payload_size)
			return update_platform_mode(av, AUTHVAR_USER_MODE);
		return EFI_SUCCESS;
	}

	if (av->mode == AUTHVAR_SETUP_MODE) {
		/* PcdRequireSelfSignedPk: verified against the new PK itself (566cdfc675). */
		efi_status_t s = verify_and_update(av, kind, TRUST_PAYLOAD, name, name_size, guid,
						   attributes, data, data_size);
		struct authvar_var v;
		if (s == EFI_SUCCESS && av->ops.find(av->ops.ctx, name, name_size, guid, &v) == 0)
			return update_platform_mode(av, AUTHVAR_USER_MODE);
		return s;
	}
	efi_status_t s = verify_and_update(av, kind, TRUST_PK, name, name_size, guid, attributes,
					   data, data_size);
	if (s == EFI_SUCCESS && kind == KIND_PK) {
		struct authvar_var v;
		if (av->ops.find(av->ops.ctx, name, name_size, guid, &v) != 0)
			return update_platform_mode(av, AUTHVAR_SETUP_MODE);
	}
	return s;
}

static efi_status_t process(struct authvar *av, const uint8_t *name, size_t name_size,
			    const efi_guid_t *guid, uint32_t attributes, const uint8_t *data,
			    size_t data_size)
{
	enum var_kind kind = kind_of(name, name_size, guid);
	struct authvar_var existing;
	bool exists = av->ops.find(av->ops.ctx, name, name_size, guid, &existing) == 0;

	if (is_mode_switch(name, name_size, guid)) {
		if (!user_physical_present(av))
			return EFI_SECURITY_VIOLATION;
		if (data_size != 1 || data[0] > 1)
			return EFI_INVALID_PARAMETER;
		return av->ops.update(av->ops.ctx, name, name_size, guid, attributes, data, 1, NULL);
	}

	if (kind == KIND_PK || kind == KIND_KEK)
		return process_with_pk(av, kind, name, name_size, guid, attributes, data, data_size);
	if (kind == KIND_DB) {
		efi_status_t s = process_with_pk(av, kind, name, name_size, guid, attributes, data,
						 data_size);
		if (s == EFI_SUCCESS || s == EFI_INVALID_PARAMETER || av->mode == AUTHVAR_SETUP_MODE)
			return s;
		return verify_and_update(av, KIND_DB, TRUST_KEK, name, name_size, guid, attributes,
					 data, data_size);
	}

	/* ProcessVariable: private variables. */
	if (exists && (existing.attributes & ATTR_AT) && !(attributes & ATTR_AT)) {
		if (attributes == 0)
			return EFI_WRITE_PROTECTED;
		return EFI_INVALID_PARAMETER;
	}
	if (!(attributes & ATTR_AT))
		return EFI_INVALID_PARAMETER; /* not ours: caller routed a plain write here */
	if (exists && data_size >= EFI_VARIABLE_AUTHENTICATION_2_CERT_DATA_OFFSET &&
	    !(attributes & ATTR_APPEND) && user_physical_present(av)) {
		/* IsDeleteAuthVariable with physical presence: no signature needed. */
		struct auth2 a;
		if (auth2_parse(data, data_size, &a) == EFI_SUCCESS && a.payload_size == 0) {
			efi_status_t s = av->ops.update(av->ops.ctx, name, name_size, guid,
							attributes, NULL, 0, NULL);
			if (s != EFI_SUCCESS)
				return s;
			return certdb_delete(av, name, name_size, guid, attributes);
		}
	}
	return verify_and_update(av, KIND_PRIVATE, TRUST_SIGNER, name, name_size, guid, attributes,
				 data, data_size);
}

/*
 * What OpenSSL puts on the thread's error queue while one SetVariable is checked (a
 * signature that does not verify, a certificate that does not parse) is dropped when it is
 * answered: nothing reads the queue, the status says what failed, and a queue left to fill
 * up carries one request's errors into the next (and, in fuzz_mm, looks to libFuzzer like
 * memory kept from one input to the next: a leak check of the whole heap each time).
 */
efi_status_t authvar_process(struct authvar *av, const uint8_t *name, size_t name_size,
			     const efi_guid_t *guid, uint32_t attributes, const uint8_t *data,
			     size_t data_size)
{
	ERR_set_mark();
	efi_status_t s = process(av, name, name_size, guid, attributes, data, data_size);
	ERR_pop_to_mark();
	return s;
}
