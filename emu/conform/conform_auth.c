/* SPDX-License-Identifier: MIT */
/*
 * Groups auth (private time-based authenticated variables, on the running stack) and
 * secure-boot (PK/KEK/db and the platform mode, destructive: on the scratch stack).
 * Every payload is an EFI_VARIABLE_AUTHENTICATION_2 the runner signs itself
 * (emu/conform/authpayload.c: what efitools' sign-efi-sig-list makes) with the keys of --keys.
 *
 * Sources, restated (shared/research/clients-conformance.md §1.2, §1.5, §1.6;
 * mm-variable-protocol.md §3): UEFI SCT AuthVariableServicesBBTestConformance and
 * ...BBTestFunction, the SCT SecureBoot VariableAttributes/VariableUpdates tests, U-Boot's
 * test/py test_efi_secboot/test_authvar.py, Trusted Services' smm_variable_service_tests
 * (privAuthVarSetAndGet, bootVarAuthentication*, ...SignatureVerifyFailure), and edk2's
 * AuthVariableLib / Variable.c for the exact statuses.
 *
 * Authenticated variables cannot be deleted with attributes 0, so after every case the
 * groups' cleanup deletes what is left with signed empty payloads (timestamp 2099) and, for
 * the secure-boot group, deletes PK (back to setup mode) and then the key databases.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "authpayload.h"
#include "bytes.h"
#include "conform.h"
#include "efi_auth.h"
#include "efi_util.h"
#include "emu_ipc.h"
#include "stack.h"

/* ---- keys -------------------------------------------------------------------------------- */

struct cf_keys {
	ap_signer *pk, *kek, *kek2, *db, *priv1, *priv2, *other;
};

void cf_keys_free(struct cf_keys *k)
{
	if (!k)
		return;
	ap_signer_free(k->pk);
	ap_signer_free(k->kek);
	ap_signer_free(k->kek2);
	ap_signer_free(k->db);
	ap_signer_free(k->priv1);
	ap_signer_free(k->priv2);
	ap_signer_free(k->other);
	g_free(k);
}

int cf_keys_load(const char *dir, struct cf_keys **ret_keys, GString *err)
{
	struct cf_keys *k = g_new0(struct cf_keys, 1);
	struct {
		const char *name;
		ap_signer **slot;
	} want[] = { { "PK", &k->pk },       { "KEK", &k->kek },     { "KEK2", &k->kek2 },
		     { "db", &k->db },       { "priv1", &k->priv1 }, { "priv2", &k->priv2 },
		     { "other", &k->other } };

	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		g_autofree char *key = g_strdup_printf("%s/%s.key", dir, want[i].name);
		g_autofree char *crt = g_strdup_printf("%s/%s.crt", dir, want[i].name);
		int r = ap_signer_load(key, crt, want[i].slot);
		if (r < 0) {
			g_string_printf(err, "%s: %s", r == -ENOENT ? key : crt,
					r == -ENOENT ? "missing (with its .crt)"
						     : "not a PEM key/certificate pair");
			cf_keys_free(k);
			return r;
		}
	}
	*ret_keys = k;
	return 0;
}

/* ---- data ---------------------------------------------------------------------------------- */

/* SCT AuthVariableServicesBBTest: the vendor GUID of L"AuthVarDER". */
static const efi_guid_t sct_guid =
	EFI_GUID_INIT(0x15edf297, 0xe832, 0x4d30, 0x82, 0x00, 0xa5, 0x25, 0xa9, 0x31, 0xe3, 0x3e);
/* Owner GUID of the signature lists (U-Boot's defs.py uses a fixed one the same way). */
static const efi_guid_t owner =
	EFI_GUID_INIT(0x11111111, 0x2222, 0x3333, 0x44, 0x44, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55);
static const efi_guid_t g_global = EFI_GLOBAL_VARIABLE_GUID;
static const efi_guid_t g_security = EFI_IMAGE_SECURITY_DATABASE_GUID;
static const efi_guid_t g_sb_enable = EFI_SECURE_BOOT_ENABLE_DISABLE_GUID;

#define AT4   (A_NV | A_BS | A_RT | A_AT)
#define SCTV  "AuthVarDER"
#define TSV   "TsAuthVar"
static const uint8_t v10[10] = { '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' };
static const uint8_t v16[16] = { 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H',
				 'I', 'J', 'K', 'L', 'M', 'N', 'O', 'P' };
static const uint8_t w16[16] = { 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h',
				 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p' };

#define K (cf->keys)
/* 2025-MM-DD hh:00:00 */
#define T(m, d, h) ap_time(2025, (m), (d), (h), 0, 0)

/* One signed SetVariable, kept until the case ends. */
struct blob {
	uint8_t *d;
	size_t n;
};

struct req {
	const ap_signer *s;
	const char *name;
	const efi_guid_t *g;
	uint32_t attrs; /* signed and passed */
	struct efi_time ts;
	const void *data;
	size_t size;
	enum ap_form form;
	const EVP_MD *md;
};

static int mk(struct cf *cf, const struct req *r, struct blob *ret)
{
	size_t ns;
	const uint8_t *n = cf_name(cf, r->name, &ns);
	struct ap_params p = { .name = n, .name_size = ns, .guid = r->g, .attributes = r->attrs,
			       .time_stamp = r->ts, .payload = r->data, .payload_size = r->size,
			       .signer = r->s, .md = r->md, .form = r->form };
	GByteArray *b = NULL;
	if (ap_build(&p, &b) < 0)
		return cf_fail(cf, "signing %s failed (OpenSSL)", r->name);
	ret->n = b->len;
	ret->d = g_byte_array_free(b, FALSE);
	g_ptr_array_add(cf->keep, ret->d);
	return CF_PASS;
}

#define MK(out, ...)                                                                        \
	do {                                                                                \
		const struct req r_ = { __VA_ARGS__ };                                      \
		if (mk(cf, &r_, &(out)) != CF_PASS)                                         \
			return CF_FAIL;                                                     \
	} while (0)

/* A copy of a blob (to tamper with), kept until the case ends. */
static struct blob dup_blob(struct cf *cf, struct blob b)
{
	struct blob c = { g_memdup2(b.d, b.n), b.n };
	g_ptr_array_add(cf->keep, c.d);
	return c;
}

/* An EFI_SIGNATURE_LIST with the signer's certificate, kept until the case ends. */
static struct blob esl_of(struct cf *cf, const ap_signer *s)
{
	g_autoptr(GBytes) der = ap_signer_cert_der(s);
	GByteArray *e = ap_x509_esl(g_bytes_get_data(der, NULL), g_bytes_get_size(der), &owner);
	struct blob b = { .n = e->len };
	b.d = g_byte_array_free(e, FALSE);
	g_ptr_array_add(cf->keep, b.d);
	return b;
}

/* A descriptor with no signature at all (dwLength 24) and no payload. */
static struct blob unsigned_empty(struct cf *cf, struct efi_time ts)
{
	GByteArray *e = ap_descriptor(&ts, NULL, 0, NULL, 0);
	struct blob b = { .n = e->len };
	b.d = g_byte_array_free(e, FALSE);
	g_ptr_array_add(cf->keep, b.d);
	return b;
}

static efi_status_t put(struct cf *cf, const char *name, const efi_guid_t *g, uint32_t attrs,
			struct blob b)
{
	return cf_set(cf, name, g, attrs, b.d, b.n);
}

#define EXPECT_PUT(name, g, attrs, b, want, what)                                           \
	do {                                                                                \
		efi_status_t s_ = put(cf, (name), (g), (attrs), (b));                       \
		if (s_ != (want))                                                           \
			return cf_fail_status(cf, (what), s_, (want));                      \
	} while (0)

/* Whether stmmd runs with the optee-stmm quirk (physical presence always asserted). */
static bool quirk_optee_stmm(struct cf *cf)
{
	struct emu_ctrl_status cs;
	return emu_stack_ctrl_status(cf->st, cf->timeout_ms, &cs) == 0 &&
	       (cs.flags & EMU_CTRL_STATUS_QUIRK_OPTEE_STMM);
}

/* The offset of `needle` in `hay`, or -1. */
static long find_bytes(const uint8_t *hay, size_t n, const uint8_t *needle, size_t m)
{
	for (size_t i = 0; m && i + m <= n; i++)
		if (memcmp(hay + i, needle, m) == 0)
			return (long)i;
	return -1;
}

static int check_u8(struct cf *cf, const char *name, const efi_guid_t *g, uint32_t attrs,
		    uint8_t value)
{
	return cf_check_var(cf, name, g, attrs, &value, 1);
}

/* ---- cleanup: signed deletes ----------------------------------------------------------- */

struct found {
	efi_guid_t g;
	char name[64];
};

static bool collect_auth_cb(void *ud, const efi_guid_t *g, const uint8_t *name, uint64_t size)
{
	GArray *v = ud;
	if (!efi_guid_equal(g, &sct_guid) && !efi_guid_equal(g, &cf_guid_own))
		return true;
	struct found f = { .g = *g };
	size_t n = size / 2;
	if (n >= sizeof(f.name))
		return true;
	for (size_t i = 0; i < n; i++)
		f.name[i] = (char)name[2 * i];
	g_array_append_val(v, f);
	return true;
}

/* Delete with a signed empty payload, trying each signer; true when gone. */
static bool signed_delete(struct cf *cf, const char *name, const efi_guid_t *g, uint32_t attrs)
{
	ap_signer *signers[] = { K->priv1, K->priv2, K->other, K->pk, K->kek, K->kek2, K->db };
	const EVP_MD *mds[] = { EVP_sha256(), EVP_sha384(), EVP_sha512() };
	for (size_t m = 0; m < G_N_ELEMENTS(mds); m++)
		for (size_t i = 0; i < G_N_ELEMENTS(signers); i++) {
			struct blob b;
			const struct req r = { .s = signers[i], .name = name, .g = g,
					       .attrs = attrs, .md = mds[m],
					       .ts = ap_time(2099, 12, 31, 0, 0, 0) };
			if (mk(cf, &r, &b) != CF_PASS)
				return false;
			if (put(cf, name, g, attrs, b) == EFI_SUCCESS)
				return true;
		}
	return false;
}

static void auth_cleanup(struct cf *cf)
{
	g_autoptr(GArray) v = g_array_new(FALSE, FALSE, sizeof(struct found));
	(void)cf_walk(cf, collect_auth_cb, v, NULL);
	for (guint i = 0; i < v->len; i++) {
		struct found *f = &g_array_index(v, struct found, i);
		uint32_t attrs = 0;
		uint64_t size = 0;
		efi_status_t s = cf_get(cf, f->name, &f->g, &attrs, &size, NULL);
		if ((s == EFI_SUCCESS || s == EFI_BUFFER_TOO_SMALL) && (attrs & A_AT))
			(void)signed_delete(cf, f->name, &f->g, attrs);
	}
	g_string_truncate(cf->why, 0);
}

static void secure_boot_cleanup(struct cf *cf)
{
	static const char *const dbs[] = { "db", "dbx", "dbt" };
	uint64_t size = 0;

	auth_cleanup(cf);
	if (cf_get(cf, "PK", &g_global, NULL, &size, NULL) != EFI_NOT_FOUND)
		(void)signed_delete(cf, "PK", &g_global, AT4);
	/* Setup mode now: no signature is checked, an empty payload deletes. */
	struct blob e = unsigned_empty(cf, ap_time(2099, 12, 31, 0, 0, 0));
	(void)put(cf, "KEK", &g_global, AT4, e);
	for (size_t i = 0; i < G_N_ELEMENTS(dbs); i++)
		(void)put(cf, dbs[i], &g_security, AT4, e);
	g_string_truncate(cf->why, 0);
}

/* ==== auth: private time-based authenticated variables ====================================== */

/* SCT conformance: a create whose signature covers other data -> EFI_SECURITY_VIOLATION. */
static int au_sct_invalid_create(struct cf *cf)
{
	struct blob b;
	MK(b, .s = K->priv1, .name = SCTV, .g = &sct_guid, .attrs = AT4, .ts = T(5, 1, 10),
	   .data = v16, .size = 16);
	/* The same descriptor in front of another payload: the signature no longer matches. */
	size_t p7 = ap_p7_size(b.d, b.n);
	struct blob bad = dup_blob(cf, b);
	memcpy(bad.d + AP_P7_OFFSET + p7, w16, 16);
	EXPECT_PUT(SCTV, &sct_guid, AT4, bad, EFI_SECURITY_VIOLATION, "invalid create");
	return cf_check_absent(cf, SCTV, &sct_guid);
}

/* SCT conformance: AW (0x10) with 11 attribute sets, valid or invalid payload -> UNSUPPORTED. */
static int au_sct_aw(struct cf *cf)
{
	static const uint32_t combos[11] = {
		A_BS, A_NV | A_BS, A_BS | A_RT, A_NV | A_BS | A_RT, A_BS | A_AT, A_NV | A_BS | A_AT,
		A_BS | A_RT | A_AT, AT4, A_NV | A_BS | A_RT | A_APPEND, AT4 | A_APPEND,
		A_BS | A_RT | A_AT | A_APPEND,
	};
	for (size_t i = 0; i < G_N_ELEMENTS(combos); i++) {
		uint32_t a = combos[i] | A_AW;
		struct blob good, bad;
		MK(good, .s = K->priv1, .name = SCTV, .g = &sct_guid, .attrs = a, .ts = T(5, 1, 10),
		   .data = v10, .size = 10);
		bad = dup_blob(cf, good);
		bad.d[bad.n - 1] ^= 1;
		char what[64];
		g_snprintf(what, sizeof(what), "SetVariable(0x%x, valid payload)", a);
		EXPECT_PUT(SCTV, &sct_guid, a, good, EFI_UNSUPPORTED, what);
		g_snprintf(what, sizeof(what), "SetVariable(0x%x, invalid payload)", a);
		EXPECT_PUT(SCTV, &sct_guid, a, bad, EFI_UNSUPPORTED, what);
		if (cf_check_absent(cf, SCTV, &sct_guid) != CF_PASS)
			return CF_FAIL;
		efi_status_t s = cf_query(cf, a, NULL, NULL, NULL);
		if (s != EFI_UNSUPPORTED) {
			g_snprintf(what, sizeof(what), "QueryVariableInfo(0x%x)", a);
			return cf_fail_status(cf, what, s, EFI_UNSUPPORTED);
		}
	}
	return CF_PASS;
}

/* The SCT function flow's first step: create with key 0, 10 bytes "0123456789". */
static int sct_create(struct cf *cf, struct blob *ret)
{
	MK(*ret, .s = K->priv1, .name = SCTV, .g = &sct_guid, .attrs = AT4, .ts = T(5, 1, 10),
	   .data = v10, .size = 10);
	EXPECT_PUT(SCTV, &sct_guid, AT4, *ret, EFI_SUCCESS, "create (key 0)");
	return cf_check_var(cf, SCTV, &sct_guid, AT4, v10, 10);
}

static int au_sct_create(struct cf *cf)
{
	struct blob c;
	if (sct_create(cf, &c) != CF_PASS)
		return CF_FAIL;
	bool listed;
	if (cf_listed(cf, SCTV, &sct_guid, &listed) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT(listed, "%s not enumerated by GetNextVariableName", SCTV);
	return CF_PASS;
}

static int au_sct_replay(struct cf *cf)
{
	struct blob c;
	if (sct_create(cf, &c) != CF_PASS)
		return CF_FAIL;
	EXPECT_PUT(SCTV, &sct_guid, AT4, c, EFI_SECURITY_VIOLATION, "the same blob again");
	return cf_check_var(cf, SCTV, &sct_guid, AT4, v10, 10);
}

static int au_sct_tampered(struct cf *cf)
{
	struct blob c, u;
	if (sct_create(cf, &c) != CF_PASS)
		return CF_FAIL;
	MK(u, .s = K->priv1, .name = SCTV, .g = &sct_guid, .attrs = AT4, .ts = T(5, 2, 10),
	   .data = v16, .size = 16);
	struct blob t = dup_blob(cf, u);
	t.d[t.n - 1] ^= 0x20; /* one payload byte after signing */
	EXPECT_PUT(SCTV, &sct_guid, AT4, t, EFI_SECURITY_VIOLATION, "tampered payload");
	return cf_check_var(cf, SCTV, &sct_guid, AT4, v10, 10);
}

static int au_sct_newer(struct cf *cf)
{
	struct blob c, u;
	if (sct_create(cf, &c) != CF_PASS)
		return CF_FAIL;
	MK(u, .s = K->priv1, .name = SCTV, .g = &sct_guid, .attrs = AT4, .ts = T(5, 2, 10),
	   .data = v16, .size = 16);
	EXPECT_PUT(SCTV, &sct_guid, AT4, u, EFI_SUCCESS, "same key, newer timestamp");
	return cf_check_var(cf, SCTV, &sct_guid, AT4, v16, 16);
}

static int au_sct_older(struct cf *cf)
{
	struct blob c, u, o;
	if (sct_create(cf, &c) != CF_PASS)
		return CF_FAIL;
	MK(u, .s = K->priv1, .name = SCTV, .g = &sct_guid, .attrs = AT4, .ts = T(5, 3, 10),
	   .data = v16, .size = 16);
	EXPECT_PUT(SCTV, &sct_guid, AT4, u, EFI_SUCCESS, "newer update");
	MK(o, .s = K->priv1, .name = SCTV, .g = &sct_guid, .attrs = AT4, .ts = T(5, 2, 10),
	   .data = w16, .size = 16);
	EXPECT_PUT(SCTV, &sct_guid, AT4, o, EFI_SECURITY_VIOLATION, "older timestamp");
	return cf_check_var(cf, SCTV, &sct_guid, AT4, v16, 16);
}

static int au_sct_other_key(struct cf *cf)
{
	struct blob c, o;
	if (sct_create(cf, &c) != CF_PASS)
		return CF_FAIL;
	MK(o, .s = K->priv2, .name = SCTV, .g = &sct_guid, .attrs = AT4, .ts = T(5, 2, 10),
	   .data = v16, .size = 16);
	EXPECT_PUT(SCTV, &sct_guid, AT4, o, EFI_SECURITY_VIOLATION, "key 1 on key 0's variable");
	return cf_check_var(cf, SCTV, &sct_guid, AT4, v10, 10);
}

static int au_sct_append(struct cf *cf)
{
	struct blob c, u, a;
	uint8_t both[32];
	if (sct_create(cf, &c) != CF_PASS)
		return CF_FAIL;
	MK(u, .s = K->priv1, .name = SCTV, .g = &sct_guid, .attrs = AT4, .ts = T(5, 2, 10),
	   .data = v16, .size = 16);
	EXPECT_PUT(SCTV, &sct_guid, AT4, u, EFI_SUCCESS, "update to 16 bytes");
	MK(a, .s = K->priv1, .name = SCTV, .g = &sct_guid, .attrs = AT4 | A_APPEND,
	   .ts = T(5, 3, 10), .data = w16, .size = 16);
	EXPECT_PUT(SCTV, &sct_guid, AT4 | A_APPEND, a, EFI_SUCCESS, "APPEND_WRITE (key 0)");
	memcpy(both, v16, 16);
	memcpy(both + 16, w16, 16);
	return cf_check_var(cf, SCTV, &sct_guid, AT4, both, 32);
}

static int au_sct_delete(struct cf *cf)
{
	struct blob c, d;
	if (sct_create(cf, &c) != CF_PASS)
		return CF_FAIL;
	MK(d, .s = K->priv1, .name = SCTV, .g = &sct_guid, .attrs = AT4, .ts = T(5, 2, 10));
	EXPECT_PUT(SCTV, &sct_guid, AT4, d, EFI_SUCCESS, "signed empty payload");
	if (cf_check_absent(cf, SCTV, &sct_guid) != CF_PASS)
		return CF_FAIL;
	bool listed;
	if (cf_listed(cf, SCTV, &sct_guid, &listed) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT(!listed, "%s still enumerated after the delete", SCTV);
	return CF_PASS;
}

static int au_sct_recreate(struct cf *cf)
{
	struct blob c, d, k1, k1u, k0;
	if (sct_create(cf, &c) != CF_PASS)
		return CF_FAIL;
	MK(d, .s = K->priv1, .name = SCTV, .g = &sct_guid, .attrs = AT4, .ts = T(5, 2, 10));
	EXPECT_PUT(SCTV, &sct_guid, AT4, d, EFI_SUCCESS, "signed delete (key 0)");
	/* An older timestamp than the deleted variable's: nothing of it remains. */
	MK(k1, .s = K->priv2, .name = SCTV, .g = &sct_guid, .attrs = AT4, .ts = T(4, 1, 10),
	   .data = v16, .size = 16);
	EXPECT_PUT(SCTV, &sct_guid, AT4, k1, EFI_SUCCESS, "re-create with key 1");
	MK(k1u, .s = K->priv2, .name = SCTV, .g = &sct_guid, .attrs = AT4, .ts = T(4, 2, 10),
	   .data = w16, .size = 16);
	EXPECT_PUT(SCTV, &sct_guid, AT4, k1u, EFI_SUCCESS, "update with key 1");
	MK(k0, .s = K->priv1, .name = SCTV, .g = &sct_guid, .attrs = AT4, .ts = T(6, 1, 10),
	   .data = v10, .size = 10);
	EXPECT_PUT(SCTV, &sct_guid, AT4, k0, EFI_SECURITY_VIOLATION, "key 0 after key 1 took over");
	return cf_check_var(cf, SCTV, &sct_guid, AT4, w16, 16);
}

/* ---- Trusted Services: one byte flipped (SignatureVerifyFailure) ---------------------------- */

enum flip { FLIP_SIGNATURE, FLIP_CERTIFICATE, FLIP_TIMESTAMP };

static int ts_flip(struct cf *cf, enum flip what)
{
	static const char *const label[] = { "signature", "certificate", "timestamp" };
	struct blob b;
	MK(b, .s = K->priv1, .name = TSV, .g = &cf_guid_own, .attrs = AT4, .ts = T(6, 1, 12),
	   .data = v16, .size = 16);
	size_t p7 = ap_p7_size(b.d, b.n);
	struct blob f = dup_blob(cf, b);
	size_t at = 0;
	switch (what) {
	case FLIP_SIGNATURE:
		/* SignerInfo.encryptedDigest is the last field of the SignedData. */
		at = AP_P7_OFFSET + p7 - 1;
		break;
	case FLIP_CERTIFICATE: {
		g_autoptr(GBytes) der = ap_signer_cert_der(K->priv1);
		long off = find_bytes(b.d + AP_P7_OFFSET, p7, g_bytes_get_data(der, NULL),
				      g_bytes_get_size(der));
		CF_EXPECT(off >= 0, "signer certificate not found in the SignedData");
		/* Inside the public key: the certificate still parses, the key is another. */
		at = AP_P7_OFFSET + (size_t)off + g_bytes_get_size(der) / 2;
		break;
	}
	case FLIP_TIMESTAMP:
		at = 5; /* Minute */
		break;
	}
	f.d[at] ^= 0x01;
	char w[96];
	g_snprintf(w, sizeof(w), "one byte of the %s flipped (offset %zu)", label[what], at);
	EXPECT_PUT(TSV, &cf_guid_own, AT4, f, EFI_SECURITY_VIOLATION, w);
	if (cf_check_absent(cf, TSV, &cf_guid_own) != CF_PASS)
		return CF_FAIL;
	EXPECT_PUT(TSV, &cf_guid_own, AT4, b, EFI_SUCCESS, "the unflipped original");
	return cf_check_var(cf, TSV, &cf_guid_own, AT4, v16, 16);
}

static int au_ts_flip_sig(struct cf *cf) { return ts_flip(cf, FLIP_SIGNATURE); }
static int au_ts_flip_cert(struct cf *cf) { return ts_flip(cf, FLIP_CERTIFICATE); }
static int au_ts_flip_time(struct cf *cf) { return ts_flip(cf, FLIP_TIMESTAMP); }

/* TS privAuthVarSetAndGet: equal timestamp refused, APPEND with it accepted, old delete refused. */
static int au_ts_same_timestamp(struct cf *cf)
{
	struct blob c, same, app, del;
	uint8_t both[26];
	MK(c, .s = K->priv1, .name = TSV, .g = &cf_guid_own, .attrs = AT4, .ts = T(6, 1, 12),
	   .data = v10, .size = 10);
	EXPECT_PUT(TSV, &cf_guid_own, AT4, c, EFI_SUCCESS, "create");
	MK(same, .s = K->priv1, .name = TSV, .g = &cf_guid_own, .attrs = AT4, .ts = T(6, 1, 12),
	   .data = v16, .size = 16);
	EXPECT_PUT(TSV, &cf_guid_own, AT4, same, EFI_SECURITY_VIOLATION, "overwrite, equal timestamp");
	MK(app, .s = K->priv1, .name = TSV, .g = &cf_guid_own, .attrs = AT4 | A_APPEND,
	   .ts = T(6, 1, 12), .data = v16, .size = 16);
	EXPECT_PUT(TSV, &cf_guid_own, AT4 | A_APPEND, app, EFI_SUCCESS, "APPEND, equal timestamp");
	memcpy(both, v10, 10);
	memcpy(both + 10, v16, 16);
	if (cf_check_var(cf, TSV, &cf_guid_own, AT4, both, 26) != CF_PASS)
		return CF_FAIL;
	MK(del, .s = K->priv1, .name = TSV, .g = &cf_guid_own, .attrs = AT4, .ts = T(5, 1, 12));
	/* With the optee-stmm quirk (physical presence) edk2 deletes without any check. */
	efi_status_t want = quirk_optee_stmm(cf) ? EFI_SUCCESS : EFI_SECURITY_VIOLATION;
	EXPECT_PUT(TSV, &cf_guid_own, AT4, del, want, "signed delete with an older timestamp");
	if (want == EFI_SUCCESS)
		return CF_PASS;
	return cf_check_var(cf, TSV, &cf_guid_own, AT4, both, 26);
}

/* A volatile (BS|RT|AT) private variable: bound to its signer through certdbv. */
static int au_volatile(struct cf *cf)
{
	const uint32_t a = A_BS | A_RT | A_AT;
	struct blob c, o, u, d;
	MK(c, .s = K->priv2, .name = TSV, .g = &cf_guid_own, .attrs = a, .ts = T(7, 1, 0),
	   .data = v10, .size = 10);
	EXPECT_PUT(TSV, &cf_guid_own, a, c, EFI_SUCCESS, "create BS|RT|AT");
	if (cf_check_var(cf, TSV, &cf_guid_own, a, v10, 10) != CF_PASS)
		return CF_FAIL;
	MK(o, .s = K->priv1, .name = TSV, .g = &cf_guid_own, .attrs = a, .ts = T(7, 2, 0),
	   .data = v16, .size = 16);
	EXPECT_PUT(TSV, &cf_guid_own, a, o, EFI_SECURITY_VIOLATION, "another key");
	MK(u, .s = K->priv2, .name = TSV, .g = &cf_guid_own, .attrs = a, .ts = T(7, 3, 0),
	   .data = v16, .size = 16);
	EXPECT_PUT(TSV, &cf_guid_own, a, u, EFI_SUCCESS, "the creator's key, newer");
	MK(d, .s = K->priv2, .name = TSV, .g = &cf_guid_own, .attrs = a, .ts = T(7, 4, 0));
	EXPECT_PUT(TSV, &cf_guid_own, a, d, EFI_SUCCESS, "signed delete");
	return cf_check_absent(cf, TSV, &cf_guid_own);
}

/* EFI_VARIABLE_AUTHENTICATION_2 fields, from the start of the descriptor. */
#define A2(field) offsetof(struct efi_variable_authentication_2, field)
#define A2_TIME(field) (A2(time_stamp) + offsetof(struct efi_time, field))

/* edk2 descriptor checks (Variable.c pre-check, VerifyTimeBasedPayload steps 1 and 3). */
static int au_descriptor(struct cf *cf)
{
	static const efi_guid_t x509 = EFI_CERT_X509_GUID;
	struct blob b;
	MK(b, .s = K->priv1, .name = TSV, .g = &cf_guid_own, .attrs = AT4, .ts = T(8, 1, 0),
	   .data = v10, .size = 10);
	struct {
		const char *what;
		size_t off, len; /* bytes to overwrite */
		uint32_t value;
		size_t cut;      /* DataSize instead of the whole blob (0: all) */
	} muts[] = {
		{ "DataSize 39", 0, 0, 0, A2(auth_info.cert_data) - 1 },
		{ "dwLength 23", A2(auth_info.hdr.dw_length), 4,
		  sizeof(struct win_certificate_uefi_guid) - 1, 0 },
		{ "dwLength beyond the data", A2(auth_info.hdr.dw_length), 4, 0x100000, 0 },
		{ "wCertificateType 0x0002", A2(auth_info.hdr.w_certificate_type), 2,
		  WIN_CERT_TYPE_PKCS_SIGNED_DATA, 0 },
		{ "wCertificateType 0x0EF0", A2(auth_info.hdr.w_certificate_type), 2,
		  WIN_CERT_TYPE_EFI_PKCS115, 0 },
		{ "CertType X509 (not PKCS7)", A2(auth_info.cert_type), 0, 0, 0 },
		{ "TimeStamp.Pad1 1", A2_TIME(pad1), 1, 1, 0 },
		{ "TimeStamp.Nanosecond 1", A2_TIME(nanosecond), 4, 1, 0 },
		{ "TimeStamp.TimeZone 60", A2_TIME(time_zone), 2, 60, 0 },
		{ "TimeStamp.Daylight 1", A2_TIME(daylight), 1, 1, 0 },
		{ "TimeStamp.Pad2 1", A2_TIME(pad2), 1, 1, 0 },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(muts); i++) {
		struct blob m = dup_blob(cf, b);
		if (muts[i].len == 1)
			m.d[muts[i].off] = (uint8_t)muts[i].value;
		else if (muts[i].len == 2)
			put_le16(m.d + muts[i].off, (uint16_t)muts[i].value);
		else if (muts[i].len == 4)
			put_le32(m.d + muts[i].off, muts[i].value);
		else if (muts[i].off == A2(auth_info.cert_type))
			memcpy(m.d + A2(auth_info.cert_type), x509.b, sizeof(x509.b));
		if (muts[i].cut)
			m.n = muts[i].cut;
		EXPECT_PUT(TSV, &cf_guid_own, AT4, m, EFI_SECURITY_VIOLATION, muts[i].what);
		if (cf_check_absent(cf, TSV, &cf_guid_own) != CF_PASS)
			return CF_FAIL;
	}
	return CF_PASS;
}

/* edk2 never checks wRevision (nor does U-Boot). */
static int au_wrevision(struct cf *cf)
{
	struct blob b;
	MK(b, .s = K->priv1, .name = TSV, .g = &cf_guid_own, .attrs = AT4, .ts = T(8, 1, 0),
	   .data = v10, .size = 10);
	put_le16(b.d + A2(auth_info.hdr.w_revision), 0x0100);
	EXPECT_PUT(TSV, &cf_guid_own, AT4, b, EFI_SUCCESS, "wRevision 0x0100");
	return cf_check_var(cf, TSV, &cf_guid_own, AT4, v10, 10);
}

/* efitools writes a bare SignedData, OpenSSL a ContentInfo: edk2's WrapPkcs7Data takes both. */
static int au_bare_signed_data(struct cf *cf)
{
	struct blob bare, ci;
	MK(bare, .s = K->priv1, .name = TSV, .g = &cf_guid_own, .attrs = AT4, .ts = T(8, 1, 0),
	   .data = v10, .size = 10, .form = AP_FORM_SIGNED_DATA);
	CF_EXPECT(bare.d[AP_P7_OFFSET] == 0x30 && bare.d[AP_P7_OFFSET + 4] == 0x02,
		  "not a bare SignedData (SEQUENCE { INTEGER version ...)");
	EXPECT_PUT(TSV, &cf_guid_own, AT4, bare, EFI_SUCCESS, "create, bare SignedData");
	MK(ci, .s = K->priv1, .name = TSV, .g = &cf_guid_own, .attrs = AT4, .ts = T(8, 2, 0),
	   .data = v16, .size = 16, .form = AP_FORM_CONTENT_INFO);
	EXPECT_PUT(TSV, &cf_guid_own, AT4, ci, EFI_SUCCESS, "update, ContentInfo");
	return cf_check_var(cf, TSV, &cf_guid_own, AT4, v16, 16);
}

/*
 * edk2 FindHashAlgorithmIndex: SHA-256/384/512 only.  The certdb identity is hashed with the
 * SignedData's algorithm (research §3.6), so each variable keeps one algorithm here.
 */
static int au_digest(struct cf *cf)
{
	struct blob s1, c384, u384, d384, c512;
	MK(s1, .s = K->priv1, .name = TSV, .g = &cf_guid_own, .attrs = AT4, .ts = T(8, 1, 0),
	   .data = v10, .size = 10, .md = EVP_sha1());
	EXPECT_PUT(TSV, &cf_guid_own, AT4, s1, EFI_SECURITY_VIOLATION, "SHA-1 SignedData");
	if (cf_check_absent(cf, TSV, &cf_guid_own) != CF_PASS)
		return CF_FAIL;
	MK(c384, .s = K->priv1, .name = TSV, .g = &cf_guid_own, .attrs = AT4, .ts = T(8, 2, 0),
	   .data = v10, .size = 10, .md = EVP_sha384());
	EXPECT_PUT(TSV, &cf_guid_own, AT4, c384, EFI_SUCCESS, "create, SHA-384 SignedData");
	MK(u384, .s = K->priv1, .name = TSV, .g = &cf_guid_own, .attrs = AT4, .ts = T(8, 3, 0),
	   .data = v16, .size = 16, .md = EVP_sha384());
	EXPECT_PUT(TSV, &cf_guid_own, AT4, u384, EFI_SUCCESS, "update, SHA-384 SignedData");
	if (cf_check_var(cf, TSV, &cf_guid_own, AT4, v16, 16) != CF_PASS)
		return CF_FAIL;
	MK(d384, .s = K->priv1, .name = TSV, .g = &cf_guid_own, .attrs = AT4, .ts = T(8, 4, 0),
	   .md = EVP_sha384());
	EXPECT_PUT(TSV, &cf_guid_own, AT4, d384, EFI_SUCCESS, "signed delete, SHA-384");
	MK(c512, .s = K->priv1, .name = TSV, .g = &cf_guid_own, .attrs = AT4, .ts = T(8, 5, 0),
	   .data = v10, .size = 10, .md = EVP_sha512());
	EXPECT_PUT(TSV, &cf_guid_own, AT4, c512, EFI_SUCCESS, "create, SHA-512 SignedData");
	return cf_check_var(cf, TSV, &cf_guid_own, AT4, v10, 10);
}

/* edk2 ProcessVariable / Variable.c: plain writes to an AT variable. */
static int au_unsigned_writes(struct cf *cf)
{
	struct blob c;
	MK(c, .s = K->priv1, .name = TSV, .g = &cf_guid_own, .attrs = AT4, .ts = T(8, 1, 0),
	   .data = v10, .size = 10);
	EXPECT_PUT(TSV, &cf_guid_own, AT4, c, EFI_SUCCESS, "create");
	CF_EXPECT_ST(cf_del(cf, TSV, &cf_guid_own), EFI_WRITE_PROTECTED);
	CF_EXPECT_ST(cf_set(cf, TSV, &cf_guid_own, A_NV | A_BS | A_RT, v16, 16),
		     EFI_INVALID_PARAMETER);
	struct blob m;
	MK(m, .s = K->priv1, .name = TSV, .g = &cf_guid_own, .attrs = A_BS | A_RT | A_AT,
	   .ts = T(8, 2, 0), .data = v16, .size = 16);
	EXPECT_PUT(TSV, &cf_guid_own, A_BS | A_RT | A_AT, m, EFI_INVALID_PARAMETER,
		   "signed, attributes differ from the variable's");
	return cf_check_var(cf, TSV, &cf_guid_own, AT4, v10, 10);
}

/* Signed bytes carry the attributes as passed: APPEND signed without 0x40 is refused. */
static int au_append_attrs_signed(struct cf *cf)
{
	struct blob c, a;
	MK(c, .s = K->priv1, .name = TSV, .g = &cf_guid_own, .attrs = AT4, .ts = T(8, 1, 0),
	   .data = v10, .size = 10);
	EXPECT_PUT(TSV, &cf_guid_own, AT4, c, EFI_SUCCESS, "create");
	MK(a, .s = K->priv1, .name = TSV, .g = &cf_guid_own, .attrs = AT4, .ts = T(8, 2, 0),
	   .data = v16, .size = 16);
	EXPECT_PUT(TSV, &cf_guid_own, AT4 | A_APPEND, a, EFI_SECURITY_VIOLATION,
		   "APPEND passed, signed without 0x40");
	return cf_check_var(cf, TSV, &cf_guid_own, AT4, v10, 10);
}

/*
 * edk2 Variable.c / U-Boot efi_selftest: APPEND of nothing to nothing succeeds and creates
 * nothing; no signer is bound either, so another key may then create the variable.
 */
static int au_append_empty_absent(struct cf *cf)
{
	struct blob a, c, d;
	MK(a, .s = K->priv1, .name = TSV, .g = &cf_guid_own, .attrs = AT4 | A_APPEND,
	   .ts = T(8, 1, 0));
	EXPECT_PUT(TSV, &cf_guid_own, AT4 | A_APPEND, a, EFI_SUCCESS, "empty APPEND, no variable");
	if (cf_check_absent(cf, TSV, &cf_guid_own) != CF_PASS)
		return CF_FAIL;
	MK(c, .s = K->priv2, .name = TSV, .g = &cf_guid_own, .attrs = AT4, .ts = T(8, 2, 0),
	   .data = v10, .size = 10);
	EXPECT_PUT(TSV, &cf_guid_own, AT4, c, EFI_SUCCESS, "create by another key afterwards");
	MK(d, .s = K->priv2, .name = TSV, .g = &cf_guid_own, .attrs = AT4, .ts = T(8, 3, 0));
	EXPECT_PUT(TSV, &cf_guid_own, AT4, d, EFI_SUCCESS, "signed delete");
	return cf_check_absent(cf, TSV, &cf_guid_own);
}

#define SCT_CONF "UEFI SCT AuthVariableServicesBBTestConformance"
#define SCT_FUNC "UEFI SCT AuthVariableServicesBBTestFunction"
#define TS_SVC   "TS smm_variable_service_tests"

static const struct cf_case au_cases[] = {
	{ "auth.sct-invalid-create", CF_LIB, SCT_CONF ": create with an invalid signature -> EFI_SECURITY_VIOLATION, nothing created", au_sct_invalid_create, NULL },
	{ "auth.sct-aw-unsupported", CF_LIB, SCT_CONF ": 11 attribute sets | AUTHENTICATED_WRITE_ACCESS (0x10), valid or invalid payload -> EFI_UNSUPPORTED; QueryVariableInfo -> EFI_UNSUPPORTED", au_sct_aw, NULL },
	{ "auth.sct-create", CF_LIB, SCT_FUNC ": create NV|BS|RT|AT signed by key 0 -> EFI_SUCCESS, reads back the 10 bytes, enumerated", au_sct_create, NULL },
	{ "auth.sct-replay", CF_LIB, SCT_FUNC ": the same authenticated blob again -> EFI_SECURITY_VIOLATION, value unchanged", au_sct_replay, NULL },
	{ "auth.sct-tampered", CF_LIB, SCT_FUNC ": payload changed after signing -> EFI_SECURITY_VIOLATION", au_sct_tampered, NULL },
	{ "auth.sct-newer-same-key", CF_LIB, SCT_FUNC ": same key, newer timestamp -> EFI_SUCCESS, 16 bytes read back", au_sct_newer, NULL },
	{ "auth.sct-older-timestamp", CF_LIB, SCT_FUNC ": older timestamp -> EFI_SECURITY_VIOLATION", au_sct_older, NULL },
	{ "auth.sct-other-key", CF_LIB, SCT_FUNC ": another key on an existing variable -> EFI_SECURITY_VIOLATION (edk2 certdb)", au_sct_other_key, NULL },
	{ "auth.sct-append", CF_LIB, SCT_FUNC ": APPEND_WRITE signed by the owner -> EFI_SUCCESS, size 16 -> 32", au_sct_append, NULL },
	{ "auth.sct-signed-delete", CF_LIB, SCT_FUNC ": signed empty payload -> EFI_SUCCESS, then EFI_NOT_FOUND and not enumerated", au_sct_delete, NULL },
	{ "auth.sct-recreate-other-key", CF_LIB, SCT_FUNC ": after the delete another key creates and owns it; the first key -> EFI_SECURITY_VIOLATION", au_sct_recreate, NULL },
	{ "auth.ts-flip-signature", CF_LIB, TS_SVC " SignatureVerifyFailure: one byte of the signature flipped -> EFI_SECURITY_VIOLATION; the original -> EFI_SUCCESS", au_ts_flip_sig, NULL },
	{ "auth.ts-flip-certificate", CF_LIB, TS_SVC " SignatureVerifyFailure: one byte of the certificate (public key) flipped -> EFI_SECURITY_VIOLATION; the original -> EFI_SUCCESS", au_ts_flip_cert, NULL },
	{ "auth.ts-flip-timestamp", CF_LIB, TS_SVC " SignatureVerifyFailure: one byte of the timestamp flipped -> EFI_SECURITY_VIOLATION; the original -> EFI_SUCCESS", au_ts_flip_time, NULL },
	{ "auth.ts-same-timestamp", CF_LIB, TS_SVC " privAuthVarSetAndGet: equal timestamp -> EFI_SECURITY_VIOLATION, APPEND with it -> EFI_SUCCESS, delete with an older one -> EFI_SECURITY_VIOLATION", au_ts_same_timestamp, NULL },
	{ "auth.volatile-private", CF_LIB, "edk2 AuthService.c (certdbv): BS|RT|AT variable bound to its signer; another key -> EFI_SECURITY_VIOLATION; signed delete", au_volatile, NULL },
	{ "auth.descriptor-malformed", CF_LIB, "edk2 Variable.c pre-check + VerifyTimeBasedPayload: short data, dwLength, wCertificateType, CertType, non-zero pad/zone/ns -> EFI_SECURITY_VIOLATION", au_descriptor, NULL },
	{ "auth.wrevision-ignored", CF_LIB, "edk2 (and U-Boot) never check WIN_CERTIFICATE.wRevision: 0x0100 accepted", au_wrevision, NULL },
	{ "auth.bare-signed-data", CF_LIB, "edk2 WrapPkcs7Data: bare SignedData (efitools) and ContentInfo (OpenSSL) both accepted", au_bare_signed_data, NULL },
	{ "auth.digest-algorithms", CF_LIB, "edk2 FindHashAlgorithmIndex: SHA-1 -> EFI_SECURITY_VIOLATION; SHA-384 (create, update, delete) and SHA-512 accepted", au_digest, NULL },
	{ "auth.unsigned-writes", CF_LIB, "edk2 ProcessVariable / Variable.c: attributes 0 -> EFI_WRITE_PROTECTED; without AT or other attributes -> EFI_INVALID_PARAMETER", au_unsigned_writes, NULL },
	{ "auth.append-attrs-signed", CF_LIB, "UEFI 2.10 8.2 / edk2: the signed Attributes include APPEND_WRITE; signed without it -> EFI_SECURITY_VIOLATION", au_append_attrs_signed, NULL },
	{ "auth.append-empty-absent", CF_LIB, "edk2 Variable.c (as U-Boot efi_selftest_variables): empty APPEND to an absent AT variable -> EFI_SUCCESS, not created, no signer bound", au_append_empty_absent, NULL },
};

const struct cf_group cf_group_auth = {
	.name = "auth",
	.title = "private time-based authenticated variables",
	.flags = CF_GROUP_NEEDS_KEYS,
	.cases = au_cases,
	.n_cases = G_N_ELEMENTS(au_cases),
	.cleanup = auth_cleanup,
};

/* ==== secure-boot: PK, KEK, db and the platform mode ========================================= */

/* SetupMode / SecureBoot values, both BS|RT (AuthVariableLibInitialize). */
static int check_mode(struct cf *cf, uint8_t setup_mode, uint8_t secure_boot)
{
	if (check_u8(cf, "SetupMode", &g_global, A_BS | A_RT, setup_mode) != CF_PASS ||
	    check_u8(cf, "SecureBoot", &g_global, A_BS | A_RT, secure_boot) != CF_PASS)
		return CF_FAIL;
	return CF_PASS;
}

/* PK signed by itself, then (optionally) KEK signed by PK. */
static int enroll(struct cf *cf, bool kek)
{
	struct blob pk_esl = esl_of(cf, K->pk), pk, k;
	if (check_mode(cf, 1, 0) != CF_PASS)
		return cf_fail(cf, " (not in setup mode at the start)");
	MK(pk, .s = K->pk, .name = "PK", .g = &g_global, .attrs = AT4, .ts = T(1, 1, 0),
	   .data = pk_esl.d, .size = pk_esl.n);
	EXPECT_PUT("PK", &g_global, AT4, pk, EFI_SUCCESS, "enroll PK");
	if (!kek)
		return CF_PASS;
	struct blob kek_esl = esl_of(cf, K->kek);
	MK(k, .s = K->pk, .name = "KEK", .g = &g_global, .attrs = AT4, .ts = T(1, 2, 0),
	   .data = kek_esl.d, .size = kek_esl.n);
	EXPECT_PUT("KEK", &g_global, AT4, k, EFI_SUCCESS, "KEK signed by PK");
	return CF_PASS;
}

static int sb_initial(struct cf *cf)
{
	if (check_mode(cf, 1, 0) != CF_PASS)
		return CF_FAIL;
	return cf_check_absent(cf, "PK", &g_global);
}

static int sb_pk_without_at(struct cf *cf)
{
	struct blob esl = esl_of(cf, K->pk), pk;
	MK(pk, .s = K->pk, .name = "PK", .g = &g_global, .attrs = A_NV | A_BS | A_RT,
	   .ts = T(1, 1, 0), .data = esl.d, .size = esl.n);
	EXPECT_PUT("PK", &g_global, A_NV | A_BS | A_RT, pk, EFI_INVALID_PARAMETER, "PK without AT");
	CF_EXPECT_ST(cf_set(cf, "PK", &g_global, A_NV | A_BS | A_RT, esl.d, esl.n),
		     EFI_INVALID_PARAMETER);
	if (cf_check_absent(cf, "PK", &g_global) != CF_PASS)
		return CF_FAIL;
	return check_mode(cf, 1, 0);
}

static int sb_enroll_pk(struct cf *cf)
{
	if (enroll(cf, false) != CF_PASS)
		return CF_FAIL;
	if (check_mode(cf, 0, 1) != CF_PASS)
		return CF_FAIL;
	struct blob esl = esl_of(cf, K->pk);
	if (cf_check_var(cf, "PK", &g_global, AT4, esl.d, esl.n) != CF_PASS)
		return CF_FAIL;
	return check_u8(cf, "SecureBootEnable", &g_sb_enable, A_NV | A_BS, 1);
}

static int sb_pk_two_certs(struct cf *cf)
{
	struct blob a = esl_of(cf, K->pk), b = esl_of(cf, K->kek2), pk;
	g_autofree uint8_t *two = g_malloc(a.n + b.n);
	memcpy(two, a.d, a.n);
	memcpy(two + a.n, b.d, b.n);
	MK(pk, .s = K->pk, .name = "PK", .g = &g_global, .attrs = AT4, .ts = T(1, 1, 0),
	   .data = two, .size = a.n + b.n);
	EXPECT_PUT("PK", &g_global, AT4, pk, EFI_INVALID_PARAMETER, "PK with two certificates");
	if (cf_check_absent(cf, "PK", &g_global) != CF_PASS)
		return CF_FAIL;
	return check_mode(cf, 1, 0);
}

static int sb_setup_mode_unsigned(struct cf *cf)
{
	struct blob kek_esl = esl_of(cf, K->kek), db_esl = esl_of(cf, K->db), k, d;
	MK(k, .s = K->other, .name = "KEK", .g = &g_global, .attrs = AT4, .ts = T(1, 2, 0),
	   .data = kek_esl.d, .size = kek_esl.n);
	EXPECT_PUT("KEK", &g_global, AT4, k, EFI_SUCCESS, "setup mode: KEK signed by anyone");
	MK(d, .s = K->other, .name = "db", .g = &g_security, .attrs = AT4, .ts = T(1, 3, 0),
	   .data = db_esl.d, .size = db_esl.n);
	EXPECT_PUT("db", &g_security, AT4, d, EFI_SUCCESS, "setup mode: db signed by anyone");
	if (cf_check_var(cf, "db", &g_security, AT4, db_esl.d, db_esl.n) != CF_PASS)
		return CF_FAIL;
	return check_mode(cf, 1, 0);
}

static int sb_kek(struct cf *cf)
{
	struct blob kek_esl = esl_of(cf, K->kek), by_kek, ok;
	if (enroll(cf, false) != CF_PASS)
		return CF_FAIL;
	MK(by_kek, .s = K->kek, .name = "KEK", .g = &g_global, .attrs = AT4, .ts = T(1, 2, 0),
	   .data = kek_esl.d, .size = kek_esl.n);
	EXPECT_PUT("KEK", &g_global, AT4, by_kek, EFI_SECURITY_VIOLATION, "KEK signed by KEK");
	MK(ok, .s = K->pk, .name = "KEK", .g = &g_global, .attrs = AT4, .ts = T(1, 2, 0),
	   .data = kek_esl.d, .size = kek_esl.n);
	EXPECT_PUT("KEK", &g_global, AT4, ok, EFI_SUCCESS, "KEK signed by PK");
	EXPECT_PUT("KEK", &g_global, AT4, ok, EFI_SECURITY_VIOLATION, "KEK replayed");
	return cf_check_var(cf, "KEK", &g_global, AT4, kek_esl.d, kek_esl.n);
}

static int sb_db_by_kek(struct cf *cf)
{
	struct blob db_esl = esl_of(cf, K->db), dbx_esl = esl_of(cf, K->other), d, x;
	if (enroll(cf, true) != CF_PASS)
		return CF_FAIL;
	MK(d, .s = K->kek, .name = "db", .g = &g_security, .attrs = AT4, .ts = T(1, 3, 0),
	   .data = db_esl.d, .size = db_esl.n);
	EXPECT_PUT("db", &g_security, AT4, d, EFI_SUCCESS, "db signed by KEK");
	MK(x, .s = K->kek, .name = "dbx", .g = &g_security, .attrs = AT4, .ts = T(1, 3, 0),
	   .data = dbx_esl.d, .size = dbx_esl.n);
	EXPECT_PUT("dbx", &g_security, AT4, x, EFI_SUCCESS, "dbx signed by KEK");
	if (cf_check_var(cf, "db", &g_security, AT4, db_esl.d, db_esl.n) != CF_PASS)
		return CF_FAIL;
	return cf_check_var(cf, "dbx", &g_security, AT4, dbx_esl.d, dbx_esl.n);
}

static int sb_db_by_pk(struct cf *cf)
{
	struct blob db_esl = esl_of(cf, K->db), d;
	if (enroll(cf, true) != CF_PASS)
		return CF_FAIL;
	MK(d, .s = K->pk, .name = "db", .g = &g_security, .attrs = AT4, .ts = T(1, 3, 0),
	   .data = db_esl.d, .size = db_esl.n);
	EXPECT_PUT("db", &g_security, AT4, d, EFI_SUCCESS, "db signed by PK");
	return cf_check_var(cf, "db", &g_security, AT4, db_esl.d, db_esl.n);
}

static int sb_db_other(struct cf *cf)
{
	struct blob db_esl = esl_of(cf, K->db), o, k2;
	if (enroll(cf, true) != CF_PASS)
		return CF_FAIL;
	MK(o, .s = K->other, .name = "db", .g = &g_security, .attrs = AT4, .ts = T(1, 3, 0),
	   .data = db_esl.d, .size = db_esl.n);
	EXPECT_PUT("db", &g_security, AT4, o, EFI_SECURITY_VIOLATION, "db signed by an untrusted key");
	MK(k2, .s = K->kek2, .name = "db", .g = &g_security, .attrs = AT4, .ts = T(1, 3, 0),
	   .data = db_esl.d, .size = db_esl.n);
	EXPECT_PUT("db", &g_security, AT4, k2, EFI_SECURITY_VIOLATION, "db signed by a key not in KEK");
	return cf_check_absent(cf, "db", &g_security);
}

static int sb_second_kek(struct cf *cf)
{
	struct blob kek2_esl = esl_of(cf, K->kek2), db_esl = esl_of(cf, K->db), a, d;
	if (enroll(cf, true) != CF_PASS)
		return CF_FAIL;
	MK(a, .s = K->pk, .name = "KEK", .g = &g_global, .attrs = AT4 | A_APPEND,
	   .ts = T(1, 3, 0), .data = kek2_esl.d, .size = kek2_esl.n);
	EXPECT_PUT("KEK", &g_global, AT4 | A_APPEND, a, EFI_SUCCESS, "KEK APPEND signed by PK");
	MK(d, .s = K->kek2, .name = "db", .g = &g_security, .attrs = AT4, .ts = T(1, 4, 0),
	   .data = db_esl.d, .size = db_esl.n);
	EXPECT_PUT("db", &g_security, AT4, d, EFI_SUCCESS, "db signed by the second KEK");
	return cf_check_var(cf, "db", &g_security, AT4, db_esl.d, db_esl.n);
}

static int sb_db_before_kek(struct cf *cf)
{
	struct blob db_esl = esl_of(cf, K->db), d;
	if (enroll(cf, false) != CF_PASS)
		return CF_FAIL;
	MK(d, .s = K->kek, .name = "db", .g = &g_security, .attrs = AT4, .ts = T(1, 3, 0),
	   .data = db_esl.d, .size = db_esl.n);
	EXPECT_PUT("db", &g_security, AT4, d, EFI_NOT_FOUND, "user mode, no KEK: db not signed by PK");
	return cf_check_absent(cf, "db", &g_security);
}

static int sb_unsigned_updates(struct cf *cf)
{
	struct blob db_esl = esl_of(cf, K->db), d, d2;
	if (enroll(cf, true) != CF_PASS)
		return CF_FAIL;
	MK(d, .s = K->kek, .name = "db", .g = &g_security, .attrs = AT4, .ts = T(1, 3, 0),
	   .data = db_esl.d, .size = db_esl.n);
	EXPECT_PUT("db", &g_security, AT4, d, EFI_SUCCESS, "db signed by KEK");
	MK(d2, .s = K->kek, .name = "db", .g = &g_security, .attrs = A_NV | A_BS | A_RT,
	   .ts = T(1, 4, 0), .data = db_esl.d, .size = db_esl.n);
	EXPECT_PUT("db", &g_security, A_NV | A_BS | A_RT, d2, EFI_INVALID_PARAMETER,
		   "db update without AT");
	/* A raw signature list as data: its GUID read as a timestamp has non-zero pads. */
	CF_EXPECT_ST(cf_set(cf, "db", &g_security, AT4, db_esl.d, db_esl.n), EFI_SECURITY_VIOLATION);
	return cf_check_var(cf, "db", &g_security, AT4, db_esl.d, db_esl.n);
}

static int sb_db_append(struct cf *cf)
{
	struct blob db_esl = esl_of(cf, K->db), db2_esl = esl_of(cf, K->kek2), d, a, a2;
	if (enroll(cf, true) != CF_PASS)
		return CF_FAIL;
	MK(d, .s = K->kek, .name = "db", .g = &g_security, .attrs = AT4, .ts = T(1, 3, 0),
	   .data = db_esl.d, .size = db_esl.n);
	EXPECT_PUT("db", &g_security, AT4, d, EFI_SUCCESS, "db signed by KEK");
	MK(a, .s = K->kek, .name = "db", .g = &g_security, .attrs = AT4 | A_APPEND,
	   .ts = T(1, 4, 0), .data = db2_esl.d, .size = db2_esl.n);
	EXPECT_PUT("db", &g_security, AT4 | A_APPEND, a, EFI_SUCCESS, "db APPEND signed by KEK");
	g_autofree uint8_t *both = g_malloc(db_esl.n + db2_esl.n);
	memcpy(both, db_esl.d, db_esl.n);
	memcpy(both + db_esl.n, db2_esl.d, db2_esl.n);
	if (cf_check_var(cf, "db", &g_security, AT4, both, db_esl.n + db2_esl.n) != CF_PASS)
		return CF_FAIL;
	/* The same certificate again, and an older timestamp: APPEND has no time check. */
	MK(a2, .s = K->kek, .name = "db", .g = &g_security, .attrs = AT4 | A_APPEND,
	   .ts = T(1, 2, 0), .data = db2_esl.d, .size = db2_esl.n);
	EXPECT_PUT("db", &g_security, AT4 | A_APPEND, a2, EFI_SUCCESS, "db APPEND of a duplicate");
	return cf_check_var(cf, "db", &g_security, AT4, both, db_esl.n + db2_esl.n);
}

static int sb_unsigned_delete(struct cf *cf)
{
	struct blob db_esl = esl_of(cf, K->db), d;
	if (enroll(cf, true) != CF_PASS)
		return CF_FAIL;
	MK(d, .s = K->kek, .name = "db", .g = &g_security, .attrs = AT4, .ts = T(1, 3, 0),
	   .data = db_esl.d, .size = db_esl.n);
	EXPECT_PUT("db", &g_security, AT4, d, EFI_SUCCESS, "db signed by KEK");
	CF_EXPECT_ST(cf_del(cf, "db", &g_security), EFI_INVALID_PARAMETER);
	CF_EXPECT_ST(cf_set(cf, "db", &g_security, A_NV | A_BS | A_RT, NULL, 0),
		     EFI_INVALID_PARAMETER);
	CF_EXPECT_ST(cf_set(cf, "db", &g_security, AT4, NULL, 0), EFI_SECURITY_VIOLATION);
	/*
	 * Profile optee-stmm: no VarCheckPolicyLib and PcdUserPhysicalPresence TRUE, so the
	 * unsigned empty payload deletes (authvar.c verify_and_update, as AuthService.c);
	 * strict: EFI_SECURITY_VIOLATION.
	 */
	bool pp = quirk_optee_stmm(cf);
	EXPECT_PUT("db", &g_security, AT4, unsigned_empty(cf, T(2, 1, 0)),
		   pp ? EFI_SUCCESS : EFI_SECURITY_VIOLATION, "unsigned empty descriptor");
	if (pp)
		return CF_PASS;
	return cf_check_var(cf, "db", &g_security, AT4, db_esl.d, db_esl.n);
}

static int sb_pk_null_unsigned(struct cf *cf)
{
	if (enroll(cf, false) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_set(cf, "PK", &g_global, AT4, NULL, 0), EFI_SECURITY_VIOLATION);
	/* As sb_unsigned_delete: on optee-stmm the PK goes and the platform is in setup mode. */
	bool pp = quirk_optee_stmm(cf);
	EXPECT_PUT("PK", &g_global, AT4, unsigned_empty(cf, T(2, 1, 0)),
		   pp ? EFI_SUCCESS : EFI_SECURITY_VIOLATION, "PK: unsigned empty descriptor");
	return pp ? check_mode(cf, 1, 0) : check_mode(cf, 0, 1);
}

static int sb_pk_change(struct cf *cf)
{
	struct blob pk2_esl = esl_of(cf, K->kek2), o, ok, old;
	if (enroll(cf, false) != CF_PASS)
		return CF_FAIL;
	MK(o, .s = K->other, .name = "PK", .g = &g_global, .attrs = AT4, .ts = T(2, 1, 0),
	   .data = pk2_esl.d, .size = pk2_esl.n);
	EXPECT_PUT("PK", &g_global, AT4, o, EFI_SECURITY_VIOLATION, "new PK signed by another key");
	MK(ok, .s = K->pk, .name = "PK", .g = &g_global, .attrs = AT4, .ts = T(2, 1, 0),
	   .data = pk2_esl.d, .size = pk2_esl.n);
	EXPECT_PUT("PK", &g_global, AT4, ok, EFI_SUCCESS, "new PK signed by the current PK");
	if (cf_check_var(cf, "PK", &g_global, AT4, pk2_esl.d, pk2_esl.n) != CF_PASS)
		return CF_FAIL;
	struct blob pk_esl = esl_of(cf, K->pk);
	MK(old, .s = K->pk, .name = "PK", .g = &g_global, .attrs = AT4, .ts = T(2, 2, 0),
	   .data = pk_esl.d, .size = pk_esl.n);
	EXPECT_PUT("PK", &g_global, AT4, old, EFI_SECURITY_VIOLATION, "the old PK signs no more");
	return check_mode(cf, 0, 1);
}

static int sb_pk_delete(struct cf *cf)
{
	struct blob db_esl = esl_of(cf, K->db), kek_esl = esl_of(cf, K->kek), d, del;
	if (enroll(cf, true) != CF_PASS)
		return CF_FAIL;
	MK(d, .s = K->kek, .name = "db", .g = &g_security, .attrs = AT4, .ts = T(1, 3, 0),
	   .data = db_esl.d, .size = db_esl.n);
	EXPECT_PUT("db", &g_security, AT4, d, EFI_SUCCESS, "db signed by KEK");
	MK(del, .s = K->pk, .name = "PK", .g = &g_global, .attrs = AT4, .ts = T(3, 1, 0));
	EXPECT_PUT("PK", &g_global, AT4, del, EFI_SUCCESS, "PK: signed empty payload");
	if (cf_check_absent(cf, "PK", &g_global) != CF_PASS || check_mode(cf, 1, 0) != CF_PASS ||
	    cf_check_absent(cf, "SecureBootEnable", &g_sb_enable) != CF_PASS)
		return CF_FAIL;
	if (cf_check_var(cf, "KEK", &g_global, AT4, kek_esl.d, kek_esl.n) != CF_PASS)
		return CF_FAIL;
	return cf_check_var(cf, "db", &g_security, AT4, db_esl.d, db_esl.n);
}

static int sb_mode_after_reset(struct cf *cf)
{
	if (enroll(cf, true) != CF_PASS)
		return CF_FAIL;
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	if (check_mode(cf, 0, 1) != CF_PASS)
		return CF_FAIL;
	struct blob kek_esl = esl_of(cf, K->kek), k;
	MK(k, .s = K->pk, .name = "KEK", .g = &g_global, .attrs = AT4, .ts = T(1, 2, 0),
	   .data = kek_esl.d, .size = kek_esl.n);
	EXPECT_PUT("KEK", &g_global, AT4, k, EFI_SECURITY_VIOLATION, "KEK replayed after the reset");
	return CF_PASS;
}

static int sb_attributes(struct cf *cf)
{
	struct blob db_esl = esl_of(cf, K->db), dbx_esl = esl_of(cf, K->other), d, x;
	if (enroll(cf, true) != CF_PASS)
		return CF_FAIL;
	MK(d, .s = K->kek, .name = "db", .g = &g_security, .attrs = AT4, .ts = T(1, 3, 0),
	   .data = db_esl.d, .size = db_esl.n);
	EXPECT_PUT("db", &g_security, AT4, d, EFI_SUCCESS, "db signed by KEK");
	MK(x, .s = K->kek, .name = "dbx", .g = &g_security, .attrs = AT4, .ts = T(1, 3, 0),
	   .data = dbx_esl.d, .size = dbx_esl.n);
	EXPECT_PUT("dbx", &g_security, AT4, x, EFI_SUCCESS, "dbx signed by KEK");
	if (check_mode(cf, 0, 1) != CF_PASS)
		return CF_FAIL;
	struct {
		const char *name;
		const efi_guid_t *g;
	} keys[] = { { "PK", &g_global }, { "KEK", &g_global }, { "db", &g_security },
		     { "dbx", &g_security } };
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		uint32_t attrs = 0;
		uint64_t size = 0;
		efi_status_t s = cf_get(cf, keys[i].name, keys[i].g, &attrs, &size, NULL);
		if (s != EFI_BUFFER_TOO_SMALL)
			return cf_fail_status(cf, keys[i].name, s, EFI_BUFFER_TOO_SMALL);
		CF_EXPECT(attrs == AT4, "%s: attributes 0x%x, want NV|BS|RT|AT (0x27)", keys[i].name,
			  attrs);
	}
	return CF_PASS;
}

#define UBOOT "U-Boot test_authvar.py"
#define SCT_SB "UEFI SCT SecureBoot"
#define TS_SB  "TS smm_variable_service_tests"

static const struct cf_case sb_cases[] = {
	{ "secure-boot.initial-setup-mode", CF_LIB, UBOOT ": initially SetupMode 1, SecureBoot 0 (both BS|RT, edk2 AuthVariableLibInitialize), no PK", sb_initial, NULL },
	{ "secure-boot.pk-without-at", CF_LIB, UBOOT ": PK without the AT attribute -> refused (edk2: EFI_INVALID_PARAMETER), still setup mode", sb_pk_without_at, NULL },
	{ "secure-boot.enroll-pk", CF_LIB, UBOOT ": PK enrolled in setup mode -> SetupMode 0, SecureBoot 1; PK reads back its signature list; SecureBootEnable 1 (edk2 UpdatePlatformMode)", sb_enroll_pk, NULL },
	{ "secure-boot.pk-two-certs", CF_LIB, "edk2 CheckSignatureListFormat: PK holding two certificates -> EFI_INVALID_PARAMETER", sb_pk_two_certs, NULL },
	{ "secure-boot.setup-mode-unsigned", CF_LIB, TS_SB " bootVarAuthenticationDisabled / edk2 setup mode: KEK and db accepted whoever signed them", sb_setup_mode_unsigned, NULL },
	{ "secure-boot.kek-signed-by-pk", CF_LIB, UBOOT " / " SCT_SB " VariableUpdates: KEK signed by KEK -> EFI_SECURITY_VIOLATION; by PK -> EFI_SUCCESS; replay -> EFI_SECURITY_VIOLATION", sb_kek, NULL },
	{ "secure-boot.db-signed-by-kek", CF_LIB, UBOOT ": db and dbx signed by KEK -> EFI_SUCCESS, read back", sb_db_by_kek, NULL },
	{ "secure-boot.db-signed-by-pk", CF_LIB, TS_SB " bootVarAuthentication: db signed by PK -> EFI_SUCCESS (edk2 ProcessVarWithPk)", sb_db_by_pk, NULL },
	{ "secure-boot.db-other-key", CF_LIB, UBOOT " / " SCT_SB " VariableUpdates: db signed by a key neither PK nor in KEK -> EFI_SECURITY_VIOLATION", sb_db_other, NULL },
	{ "secure-boot.db-second-kek", CF_LIB, SCT_SB " VariableUpdates: KEK APPEND signed by PK, then db signed by the second KEK -> EFI_SUCCESS", sb_second_kek, NULL },
	{ "secure-boot.db-before-kek", CF_LIB, UBOOT " (db before KEK fails): edk2 answers EFI_NOT_FOUND (the failed KEK lookup)", sb_db_before_kek, NULL },
	{ "secure-boot.unsigned-updates", CF_LIB, UBOOT ": update without AT -> EFI_INVALID_PARAMETER; a raw unsigned .esl -> EFI_SECURITY_VIOLATION", sb_unsigned_updates, NULL },
	{ "secure-boot.db-append", CF_LIB, UBOOT " (db1.auth append) / edk2 FilterSignatureList: APPEND adds, a duplicate leaves db unchanged", sb_db_append, NULL },
	{ "secure-boot.unsigned-delete", CF_LIB, UBOOT ": unauthenticated db delete fails: attributes 0 / no AT -> EFI_INVALID_PARAMETER, AT without descriptor or unsigned -> EFI_SECURITY_VIOLATION", sb_unsigned_delete, NULL },
	{ "secure-boot.pk-null-unsigned", CF_LIB, UBOOT ": PK_null.esl unsigned -> EFI_SECURITY_VIOLATION, still user mode", sb_pk_null_unsigned, NULL },
	{ "secure-boot.pk-change", CF_LIB, TS_SB " ChangePK: new PK signed by another key -> EFI_SECURITY_VIOLATION; by the current PK -> EFI_SUCCESS; the old PK no longer signs", sb_pk_change, NULL },
	{ "secure-boot.pk-delete", CF_LIB, UBOOT " (PK_null.auth): signed empty PK -> EFI_SUCCESS, SetupMode 1, SecureBoot 0, SecureBootEnable gone; KEK and db kept", sb_pk_delete, NULL },
	{ "secure-boot.mode-after-reset", CF_LIB, "edk2 AuthVariableLibInitialize: after a reset the mode is recomputed from PK (user mode); KEK replay still refused", sb_mode_after_reset, NULL },
	{ "secure-boot.attributes", CF_LIB, SCT_SB " VariableAttributes: SecureBoot, SetupMode BS|RT; PK, KEK, db, dbx NV|BS|RT|AT (user mode)", sb_attributes, NULL },
};

const struct cf_group cf_group_secure_boot = {
	.name = "secure-boot",
	.title = "Secure Boot keys and the platform mode",
	.flags = CF_GROUP_DESTRUCTIVE | CF_GROUP_NEEDS_KEYS,
	.cases = sb_cases,
	.n_cases = G_N_ELEMENTS(sb_cases),
	.cleanup = secure_boot_cleanup,
};
