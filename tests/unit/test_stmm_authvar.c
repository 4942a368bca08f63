/* SPDX-License-Identifier: MIT */
/*
 * The AuthVariableLib policy over an in-memory variable table, driven by payloads that
 * efitools makes at test time with the keys in fixtures/keys: Secure Boot enrolment and
 * the setup <-> user transitions, who may sign what, replays, appends, signed deletes,
 * private variables bound to their signer, and the OP-TEE StMM quirk.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <openssl/err.h>

#include "authvar.h"
#include "bytes.h"
#include "efi_auth.h"
#include "efi_util.h"
#include "test_efitools.h"

#define NV_BS_RT_AT 0x27u
#define APPEND 0x40u

/* ---- an in-memory variable table ------------------------------------------------------ */
struct var {
	uint32_t attrs;
	GBytes *data;
	struct efi_time ts;
};

static void var_free(gpointer p)
{
	struct var *v = p;
	g_bytes_unref(v->data);
	g_free(v);
}

static GBytes *key_of(const uint8_t *name, size_t size, const efi_guid_t *guid)
{
	GByteArray *k = g_byte_array_new();
	g_byte_array_append(k, guid->b, 16);
	g_byte_array_append(k, name, (guint)size);
	return g_byte_array_free_to_bytes(k);
}

static int t_find(void *ctx, const uint8_t *name, size_t size, const efi_guid_t *guid,
		  struct authvar_var *ret)
{
	g_autoptr(GBytes) k = key_of(name, size, guid);
	struct var *v = g_hash_table_lookup(ctx, k);
	if (!v)
		return -ENOENT;
	ret->attributes = v->attrs;
	ret->data = g_bytes_get_data(v->data, &ret->size);
	ret->time_stamp = v->ts;
	return 0;
}

static efi_status_t t_update(void *ctx, const uint8_t *name, size_t size, const efi_guid_t *guid,
			     uint32_t attrs, const uint8_t *data, size_t data_size,
			     const struct efi_time *ts)
{
	GBytes *k = key_of(name, size, guid);
	if (data_size == 0) {
		g_hash_table_remove(ctx, k);
		g_bytes_unref(k);
		return EFI_SUCCESS;
	}
	struct var *v = g_new0(struct var, 1);
	v->attrs = attrs;
	v->data = g_bytes_new(data, data_size);
	if (ts)
		v->ts = *ts;
	g_hash_table_replace(ctx, k, v);
	return EFI_SUCCESS;
}

struct fixture {
	GHashTable *vars;
	struct authvar *av;
};

static struct authvar *make_av(GHashTable *vars, bool quirk)
{
	struct authvar_ops ops = { .ctx = vars, .find = t_find, .update = t_update };
	struct authvar_config cfg = { .user_physical_presence = quirk, .policy_engine = !quirk };
	struct authvar *av = NULL;
	assert_int_equal(authvar_new(&cfg, &ops, &av), 0);
	assert_int_equal(authvar_init(av), EFI_SUCCESS);
	return av;
}

static int fx_setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);
	f->vars = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
					(GDestroyNotify)g_bytes_unref, var_free);
	f->av = make_av(f->vars, false);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fixture *f = *state;
	authvar_free(f->av);
	g_hash_table_unref(f->vars);
	g_free(f);
	return 0;
}

/* ---- payloads made by efitools ---------------------------------------------------------- */
static int group_setup(void **state)
{
	(void)state;
	static const char *const certs[] = { "PK", "KEK", "KEK2", "db", "other" };
	efitools_group_setup("stmm-authvar-XXXXXX", certs, G_N_ELEMENTS(certs));
	g_autofree char *cmd = g_strdup_printf("sh -c 'cat %s/PK.esl %s/KEK.esl > %s/two.esl; "
					       ": > %s/empty.esl; printf 0123456789 > %s/v1.bin; "
					       "printf ABCDEFGHIJKLMNOP > %s/v2.bin'",
					       tmpdir, tmpdir, tmpdir, tmpdir, tmpdir, tmpdir);
	run(cmd);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	efitools_group_teardown();
	return 0;
}

/* sign-efi-sig-list [opts] -t TS -k KEY -c KEY VAR ESL -> bytes of the .auth */
static GBytes *signed_payload(const char *opts, const char *key, const char *var,
			      const char *esl, const char *ts)
{
	sign(opts, key, var, esl, ts, "out.auth");
	return slurp("out.auth");
}

/*
 * certdb holding one node, built from the layout (edk2 AuthService.c): UINT32 total size, then
 * VendorGuid, CertNodeSize, NameSize (CHAR16s, no NUL), CertDataSize, the name, and
 * SHA-256(signer CN || TBSCertificate of the top-level certificate), here of a self-signed
 * fixture KEY whose subject CN is CN.  The TBSCertificate is read straight from the DER
 * (first element of the outer SEQUENCE), independent of OpenSSL.
 */
static GByteArray *certdb_one_node(const char *var, const efi_guid_t *guid, const char *key,
				   const char *cn)
{
	g_autofree char *der_path = g_strdup_printf("%s/%s.der", keys, key);
	g_autofree gchar *der = NULL;
	gsize der_len = 0;
	assert_true(g_file_get_contents(der_path, &der, &der_len, NULL));
	const uint8_t *d = (const uint8_t *)der;
	assert_true(der_len > 8);
	assert_int_equal(d[0], 0x30); /* Certificate ::= SEQUENCE, 2-byte long form */
	assert_int_equal(d[1], 0x82);
	assert_int_equal(d[4], 0x30); /* tbsCertificate ::= SEQUENCE, 2-byte long form */
	assert_int_equal(d[5], 0x82);
	size_t tbs_len = 4u + get_be16(d + 6);
	assert_true(4 + tbs_len <= der_len);

	g_autoptr(GChecksum) sha = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(sha, (const guchar *)cn, (gssize)strlen(cn));
	g_checksum_update(sha, d + 4, (gssize)tbs_len);
	uint8_t digest[32];
	gsize dlen = sizeof(digest);
	g_checksum_get_digest(sha, digest, &dlen);
	assert_int_equal(dlen, 32);

	size_t name_len = strlen(var);
	uint32_t node = 28 + 2 * (uint32_t)name_len + 32;
	GByteArray *db = g_byte_array_new();
	uint8_t u32[4];
	put_le32(u32, 4 + node);
	g_byte_array_append(db, u32, 4);
	g_byte_array_append(db, guid->b, 16);
	put_le32(u32, node);
	g_byte_array_append(db, u32, 4);
	put_le32(u32, (uint32_t)name_len);
	g_byte_array_append(db, u32, 4);
	put_le32(u32, 32);
	g_byte_array_append(db, u32, 4);
	for (size_t i = 0; i < name_len; i++) {
		const uint8_t c[2] = { (uint8_t)var[i], 0 };
		g_byte_array_append(db, c, 2);
	}
	g_byte_array_append(db, digest, 32);
	return db;
}

static efi_status_t set(struct fixture *f, const char *name, const efi_guid_t *guid,
			uint32_t attrs, GBytes *payload)
{
	g_autofree uint8_t *n = NULL;
	size_t ns;
	assert_int_equal(ucs2_from_utf8(name, &n, &ns), 0);
	gsize size;
	const uint8_t *d = g_bytes_get_data(payload, &size);
	return authvar_process(f->av, n, ns, guid, attrs, d, size);
}

static const struct var *get(struct fixture *f, const char *name, const efi_guid_t *guid)
{
	g_autofree uint8_t *n = NULL;
	size_t ns;
	assert_int_equal(ucs2_from_utf8(name, &n, &ns), 0);
	g_autoptr(GBytes) k = key_of(n, ns, guid);
	return g_hash_table_lookup(f->vars, k);
}

static int u8_of(struct fixture *f, const char *name, const efi_guid_t *guid)
{
	const struct var *v = get(f, name, guid);
	if (!v)
		return -1;
	assert_int_equal(g_bytes_get_size(v->data), 1);
	return ((const uint8_t *)g_bytes_get_data(v->data, NULL))[0];
}

static const efi_guid_t global = EFI_GLOBAL_VARIABLE_GUID;
static const efi_guid_t security = EFI_IMAGE_SECURITY_DATABASE_GUID;
static const efi_guid_t sb_enable = EFI_SECURE_BOOT_ENABLE_DISABLE_GUID;
static const efi_guid_t custom = EFI_CUSTOM_MODE_ENABLE_GUID;
static const efi_guid_t certdb = EFI_CERT_DB_GUID;
static const efi_guid_t vendor = EFI_GUID_INIT(0x15edf297, 0xe832, 0x4d30, 0x82, 0x00, 0xa5,
					       0x25, 0xa9, 0x31, 0xe3, 0x3e);

static void enroll_pk(struct fixture *f)
{
	g_autoptr(GBytes) pk = signed_payload("", "PK", "PK", "PK.esl", "2025-01-01 00:00:00");
	assert_int_equal(set(f, "PK", &global, NV_BS_RT_AT, pk), EFI_SUCCESS);
}

static void enroll_kek(struct fixture *f)
{
	g_autoptr(GBytes) kek = signed_payload("", "PK", "KEK", "KEK.esl", "2025-01-01 00:00:01");
	assert_int_equal(set(f, "KEK", &global, NV_BS_RT_AT, kek), EFI_SUCCESS);
}

/* ---- tests ------------------------------------------------------------------------------ */

static void authvar_init_setup_mode_variables(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(authvar_get_mode(f->av), AUTHVAR_SETUP_MODE);
	assert_int_equal(u8_of(f, "SetupMode", &global), 1);
	assert_int_equal(u8_of(f, "SecureBoot", &global), 0);
	assert_int_equal(u8_of(f, "SecureBootEnable", &sb_enable), -1);
	assert_int_equal(u8_of(f, "CustomMode", &custom), 0);
	assert_int_equal(u8_of(f, "VendorKeys", &global), 1);
	const struct var *v = get(f, "SignatureSupport", &global);
	assert_non_null(v);
	assert_int_equal(g_bytes_get_size(v->data), 6 * 16);
	assert_int_equal(v->attrs, EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS);
	v = get(f, "certdb", &certdb);
	assert_non_null(v);
	assert_int_equal(v->attrs, 0x27);
	assert_int_equal(g_bytes_get_size(v->data), 4);
	assert_non_null(get(f, "certdbv", &certdb));
	assert_int_equal(get(f, "SetupMode", &global)->attrs, 0x6);
}

static void authvar_process_pk_enrolment_enters_user_mode(void **state)
{
	struct fixture *f = *state;
	enroll_pk(f);
	assert_int_equal(authvar_get_mode(f->av), AUTHVAR_USER_MODE);
	assert_int_equal(u8_of(f, "SetupMode", &global), 0);
	assert_int_equal(u8_of(f, "SecureBoot", &global), 1);
	assert_int_equal(u8_of(f, "SecureBootEnable", &sb_enable), 1);
	const struct var *pk = get(f, "PK", &global);
	assert_non_null(pk);
	assert_int_equal(pk->attrs, NV_BS_RT_AT);
	assert_int_equal(pk->ts.year, 2025);
	/* A re-init over the same table (a reboot) finds the platform in user mode. */
	struct authvar *again = make_av(f->vars, false);
	assert_int_equal(authvar_get_mode(again), AUTHVAR_USER_MODE);
	assert_int_equal(u8_of(f, "SecureBoot", &global), 1);
	authvar_free(again);
}

static void authvar_process_key_vars_need_nv_and_at(void **state)
{
	struct fixture *f = *state;
	g_autoptr(GBytes) pk = signed_payload("", "PK", "PK", "PK.esl", "2025-01-01 00:00:00");
	assert_int_equal(set(f, "PK", &global, 0x7, pk), EFI_INVALID_PARAMETER);
	assert_int_equal(set(f, "PK", &global, 0x26, pk), EFI_INVALID_PARAMETER);
	assert_int_equal(set(f, "db", &security, 0x7, pk), EFI_INVALID_PARAMETER);
	assert_int_equal(authvar_get_mode(f->av), AUTHVAR_SETUP_MODE);
}

static void authvar_process_pk_holds_one_signature(void **state)
{
	struct fixture *f = *state;
	g_autoptr(GBytes) two = signed_payload("", "PK", "PK", "two.esl", "2025-01-01 00:00:00");
	assert_int_equal(set(f, "PK", &global, NV_BS_RT_AT, two), EFI_INVALID_PARAMETER);
	assert_null(get(f, "PK", &global));
}

static void authvar_process_kek_must_be_signed_by_pk(void **state)
{
	struct fixture *f = *state;
	enroll_pk(f);
	g_autoptr(GBytes) bad = signed_payload("", "other", "KEK", "KEK.esl", "2025-01-01 00:00:01");
	assert_int_equal(set(f, "KEK", &global, NV_BS_RT_AT, bad), EFI_SECURITY_VIOLATION);
	g_autoptr(GBytes) by_kek = signed_payload("", "KEK", "KEK", "KEK.esl", "2025-01-01 00:00:01");
	assert_int_equal(set(f, "KEK", &global, NV_BS_RT_AT, by_kek), EFI_SECURITY_VIOLATION);
	assert_null(get(f, "KEK", &global));
	enroll_kek(f);
	assert_non_null(get(f, "KEK", &global));
}

static void authvar_process_replay_and_older_timestamp_refused(void **state)
{
	struct fixture *f = *state;
	enroll_pk(f);
	enroll_kek(f);
	g_autoptr(GBytes) same = signed_payload("", "PK", "KEK", "KEK.esl", "2025-01-01 00:00:01");
	assert_int_equal(set(f, "KEK", &global, NV_BS_RT_AT, same), EFI_SECURITY_VIOLATION);
	g_autoptr(GBytes) older = signed_payload("", "PK", "KEK", "KEK2.esl", "2024-12-31 23:59:59");
	assert_int_equal(set(f, "KEK", &global, NV_BS_RT_AT, older), EFI_SECURITY_VIOLATION);
	g_autoptr(GBytes) newer = signed_payload("", "PK", "KEK", "KEK2.esl", "2025-01-01 00:00:02");
	assert_int_equal(set(f, "KEK", &global, NV_BS_RT_AT, newer), EFI_SUCCESS);
}

static void authvar_process_db_signed_by_kek_or_pk(void **state)
{
	struct fixture *f = *state;
	enroll_pk(f);
	/* No KEK yet: a db update not signed by PK ends with the failed KEK lookup. */
	g_autoptr(GBytes) early = signed_payload("", "KEK", "db", "db.esl", "2025-01-02 00:00:00");
	assert_int_equal(set(f, "db", &security, NV_BS_RT_AT, early), EFI_NOT_FOUND);
	enroll_kek(f);
	assert_int_equal(set(f, "db", &security, NV_BS_RT_AT, early), EFI_SUCCESS);
	g_autoptr(GBytes) by_pk = signed_payload("", "PK", "db", "two.esl", "2025-01-03 00:00:00");
	assert_int_equal(set(f, "db", &security, NV_BS_RT_AT, by_pk), EFI_SUCCESS);
	g_autoptr(GBytes) by_other = signed_payload("", "other", "db", "db.esl", "2025-01-04 00:00:00");
	assert_int_equal(set(f, "db", &security, NV_BS_RT_AT, by_other), EFI_SECURITY_VIOLATION);
	g_autoptr(GBytes) dbx = signed_payload("", "KEK", "dbx", "other.esl", "2025-01-04 00:00:00");
	assert_int_equal(set(f, "dbx", &security, NV_BS_RT_AT, dbx), EFI_SUCCESS);
}

static void authvar_process_db_append_drops_duplicates(void **state)
{
	struct fixture *f = *state;
	enroll_pk(f);
	enroll_kek(f);
	g_autoptr(GBytes) db = signed_payload("", "KEK", "db", "db.esl", "2025-02-01 00:00:00");
	assert_int_equal(set(f, "db", &security, NV_BS_RT_AT, db), EFI_SUCCESS);
	gsize db_esl = g_bytes_get_size(get(f, "db", &security)->data);

	/* APPEND is signed too: the same blob without the bit does not verify. */
	g_autoptr(GBytes) app = signed_payload("-a", "KEK", "db", "other.esl", "2025-01-01 00:00:00");
	assert_int_equal(set(f, "db", &security, NV_BS_RT_AT, app), EFI_SECURITY_VIOLATION);
	/* Older timestamp is fine for an append; the stored timestamp stays. */
	assert_int_equal(set(f, "db", &security, NV_BS_RT_AT | APPEND, app), EFI_SUCCESS);
	const struct var *v = get(f, "db", &security);
	gsize after = g_bytes_get_size(v->data);
	/* db.esl then other.esl, each list whole (no certificate of other.esl was in db). */
	g_autoptr(GBytes) db_bytes = slurp("db.esl"), other_bytes = slurp("other.esl");
	assert_int_equal(db_esl, g_bytes_get_size(db_bytes));
	assert_int_equal(after, db_esl + g_bytes_get_size(other_bytes));
	assert_memory_equal(g_bytes_get_data(v->data, NULL), g_bytes_get_data(db_bytes, NULL), db_esl);
	assert_memory_equal((const uint8_t *)g_bytes_get_data(v->data, NULL) + db_esl,
			    g_bytes_get_data(other_bytes, NULL), g_bytes_get_size(other_bytes));
	assert_int_equal(v->ts.month, 2);
	assert_int_equal(v->attrs, NV_BS_RT_AT);
	/* Appending what is already there changes nothing. */
	g_autoptr(GBytes) dup = signed_payload("-a", "KEK", "db", "db.esl", "2025-03-01 00:00:00");
	assert_int_equal(set(f, "db", &security, NV_BS_RT_AT | APPEND, dup), EFI_SUCCESS);
	assert_int_equal(g_bytes_get_size(get(f, "db", &security)->data), after);
}

static void authvar_process_signed_pk_delete_returns_to_setup_mode(void **state)
{
	struct fixture *f = *state;
	enroll_pk(f);
	g_autoptr(GBytes) unsigned_del = signed_payload("", "other", "PK", "empty.esl",
							"2025-01-05 00:00:00");
	assert_int_equal(set(f, "PK", &global, NV_BS_RT_AT, unsigned_del), EFI_SECURITY_VIOLATION);
	assert_int_equal(authvar_get_mode(f->av), AUTHVAR_USER_MODE);
	g_autoptr(GBytes) del = signed_payload("", "PK", "PK", "empty.esl", "2025-01-05 00:00:00");
	assert_int_equal(set(f, "PK", &global, NV_BS_RT_AT, del), EFI_SUCCESS);
	assert_null(get(f, "PK", &global));
	assert_int_equal(authvar_get_mode(f->av), AUTHVAR_SETUP_MODE);
	assert_int_equal(u8_of(f, "SetupMode", &global), 1);
	assert_int_equal(u8_of(f, "SecureBoot", &global), 0);
	assert_int_equal(u8_of(f, "SecureBootEnable", &sb_enable), -1);
}

static void authvar_process_private_variable_bound_to_signer(void **state)
{
	struct fixture *f = *state;
	g_autoptr(GBytes) c1 = signed_payload("-g 15EDF297-E832-4D30-8200-A525A931E33E", "priv1",
					      "AuthVarDER", "v1.bin", "2025-01-01 00:00:00");
	assert_int_equal(set(f, "AuthVarDER", &vendor, NV_BS_RT_AT, c1), EFI_SUCCESS);
	assert_int_equal(g_bytes_get_size(get(f, "AuthVarDER", &vendor)->data), 10);
	{
		g_autoptr(GByteArray) want = certdb_one_node("AuthVarDER", &vendor, "priv1",
							     "stmm-emu private signer 1");
		GBytes *got = get(f, "certdb", &certdb)->data;
		assert_int_equal(g_bytes_get_size(got), want->len);
		assert_int_equal(want->len, 84);
		assert_memory_equal(g_bytes_get_data(got, NULL), want->data, want->len);
	}
	/* Replay. */
	assert_int_equal(set(f, "AuthVarDER", &vendor, NV_BS_RT_AT, c1), EFI_SECURITY_VIOLATION);
	/* Another key, newer timestamp. */
	g_autoptr(GBytes) k2 = signed_payload("", "priv2", "AuthVarDER", "v2.bin",
					      "2025-01-02 00:00:00");
	/* sign-efi-sig-list needs -g for the vendor GUID of a private variable. */
	g_autoptr(GBytes) k2g = signed_payload("-g 15EDF297-E832-4D30-8200-A525A931E33E", "priv2",
					       "AuthVarDER", "v2.bin", "2025-01-02 00:00:00");
	assert_int_equal(set(f, "AuthVarDER", &vendor, NV_BS_RT_AT, k2g), EFI_SECURITY_VIOLATION);
	assert_int_equal(set(f, "AuthVarDER", &vendor, NV_BS_RT_AT, k2), EFI_SECURITY_VIOLATION);
	/* Same key, newer: accepted. */
	g_autoptr(GBytes) m1 = signed_payload("-g 15EDF297-E832-4D30-8200-A525A931E33E", "priv1",
					      "AuthVarDER", "v2.bin", "2025-01-03 00:00:00");
	assert_int_equal(set(f, "AuthVarDER", &vendor, NV_BS_RT_AT, m1), EFI_SUCCESS);
	assert_int_equal(g_bytes_get_size(get(f, "AuthVarDER", &vendor)->data), 16);
	/* attributes 0 on an authenticated variable. */
	assert_int_equal(set(f, "AuthVarDER", &vendor, 0, m1), EFI_WRITE_PROTECTED);
	/* Signed delete, then another signer may create it. */
	g_autoptr(GBytes) d1 = signed_payload("-g 15EDF297-E832-4D30-8200-A525A931E33E", "priv1",
					      "AuthVarDER", "empty.esl", "2025-01-04 00:00:00");
	assert_int_equal(set(f, "AuthVarDER", &vendor, NV_BS_RT_AT, d1), EFI_SUCCESS);
	assert_null(get(f, "AuthVarDER", &vendor));
	assert_int_equal(g_bytes_get_size(get(f, "certdb", &certdb)->data), 4);
	g_autoptr(GBytes) c2 = signed_payload("-g 15EDF297-E832-4D30-8200-A525A931E33E", "priv2",
					      "AuthVarDER", "v1.bin", "2025-01-05 00:00:00");
	assert_int_equal(set(f, "AuthVarDER", &vendor, NV_BS_RT_AT, c2), EFI_SUCCESS);
}

static void authvar_process_empty_append_to_absent_binds_nothing(void **state)
{
	struct fixture *f = *state;
	g_autoptr(GBytes) app = signed_payload("-a -g 15EDF297-E832-4D30-8200-A525A931E33E", "priv1",
					       "AuthVarDER", "empty.esl", "2025-01-01 00:00:00");
	assert_int_equal(set(f, "AuthVarDER", &vendor, NV_BS_RT_AT | APPEND, app), EFI_SUCCESS);
	assert_null(get(f, "AuthVarDER", &vendor));
	assert_int_equal(g_bytes_get_size(get(f, "certdb", &certdb)->data), 4);
}

/* A well-formed descriptor with no signature at all and an empty payload. */
static GBytes *unsigned_delete(uint16_t year)
{
	uint8_t d[40] = { 0 };
	put_le16(d, year);
	d[2] = 1;
	d[3] = 1;
	put_le32(d + 16, 24);
	put_le16(d + 20, WIN_CERT_REVISION);
	put_le16(d + 22, WIN_CERT_TYPE_EFI_GUID);
	efi_guid_t p7 = EFI_CERT_TYPE_PKCS7_GUID;
	memcpy(d + 24, p7.b, 16);
	return g_bytes_new(d, sizeof(d));
}

static void authvar_quirk_optee_stmm_accepts_unsigned_delete(void **state)
{
	struct fixture *f = *state;
	g_autoptr(GBytes) c1 = signed_payload("-g 15EDF297-E832-4D30-8200-A525A931E33E", "priv1",
					      "AuthVarDER", "v1.bin", "2025-01-01 00:00:00");
	g_autoptr(GBytes) del = unsigned_delete(2026);

	/* Spec-strict: refused. */
	assert_int_equal(set(f, "AuthVarDER", &vendor, NV_BS_RT_AT, c1), EFI_SUCCESS);
	assert_int_equal(set(f, "AuthVarDER", &vendor, NV_BS_RT_AT, del), EFI_SECURITY_VIOLATION);
	assert_non_null(get(f, "AuthVarDER", &vendor));
	g_autoptr(GBytes) one = g_bytes_new("\x01", 1);
	assert_int_equal(set(f, "CustomMode", &custom, 0x3, one), EFI_SECURITY_VIOLATION);

	/* OP-TEE's StMM build: physical presence asserted, no variable policy. */
	authvar_free(f->av);
	f->av = make_av(f->vars, true);
	assert_int_equal(set(f, "AuthVarDER", &vendor, NV_BS_RT_AT, del), EFI_SUCCESS);
	assert_null(get(f, "AuthVarDER", &vendor));
	assert_int_equal(set(f, "CustomMode", &custom, 0x3, one), EFI_SUCCESS);
	assert_int_equal(u8_of(f, "CustomMode", &custom), 1);
}

static void authvar_process_rejects_malformed_descriptor(void **state)
{
	struct fixture *f = *state;
	g_autoptr(GBytes) tiny = g_bytes_new("\x00\x01", 2);
	assert_int_equal(set(f, "PK", &global, NV_BS_RT_AT, tiny), EFI_SECURITY_VIOLATION);
	assert_int_equal(set(f, "AuthVarDER", &vendor, NV_BS_RT_AT, tiny), EFI_SECURITY_VIOLATION);
}

/*
 * A refused SetVariable (a signature that does not verify) leaves no OpenSSL error behind
 * for the next request; what the caller had queued before stays.
 */
static void authvar_process_leaves_no_openssl_errors(void **state)
{
	struct fixture *f = *state;
	enroll_pk(f);
	g_autoptr(GBytes) bad = signed_payload("", "other", "KEK", "KEK.esl", "2025-01-01 00:00:01");
	ERR_clear_error();
	assert_int_equal(set(f, "KEK", &global, NV_BS_RT_AT, bad), EFI_SECURITY_VIOLATION);
	assert_int_equal(ERR_peek_error(), 0);
	ERR_raise(ERR_LIB_USER, 42);
	unsigned long mine = ERR_peek_last_error();
	assert_int_equal(set(f, "KEK", &global, NV_BS_RT_AT, bad), EFI_SECURITY_VIOLATION);
	assert_int_equal(ERR_get_error(), mine);
	assert_int_equal(ERR_get_error(), 0);
	enroll_kek(f);
	assert_int_equal(ERR_peek_error(), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(authvar_init_setup_mode_variables),
		T(authvar_process_pk_enrolment_enters_user_mode),
		T(authvar_process_key_vars_need_nv_and_at),
		T(authvar_process_pk_holds_one_signature),
		T(authvar_process_kek_must_be_signed_by_pk),
		T(authvar_process_replay_and_older_timestamp_refused),
		T(authvar_process_db_signed_by_kek_or_pk),
		T(authvar_process_db_append_drops_duplicates),
		T(authvar_process_signed_pk_delete_returns_to_setup_mode),
		T(authvar_process_private_variable_bound_to_signer),
		T(authvar_process_empty_append_to_absent_binds_nothing),
		T(authvar_quirk_optee_stmm_accepts_unsigned_delete),
		T(authvar_process_rejects_malformed_descriptor),
		T(authvar_process_leaves_no_openssl_errors),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
