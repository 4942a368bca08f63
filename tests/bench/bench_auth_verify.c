/* SPDX-License-Identifier: MIT */
/*
 * CPU time of stmmd's signature check alone, per authenticated SetVariable (issue 16): the
 * steps stmm/mm/authvar.c's verify_signature() takes for a private time-based variable
 * (TRUST_SIGNER), on the presigned payloads of `make bench` (run.sh: RSA-2048, SHA-256):
 *
 *   auth2_parse -> auth_pkcs7_load -> auth_pkcs7_signer_p7 -> auth_trust_store_new(top)
 *   -> auth2_signed_content -> auth_pkcs7_verify_p7 -> auth_signer_identity_p7
 *
 * in this one process, no IPC and no store: what is left of an authenticated SetVariable's
 * CPU time besides this is the variable service and the RPMB writes.  Every payload must
 * verify (a failure exits 1), so the figure cannot come from a short cut.
 *
 *   bench_auth_verify --auth-dir DIR --auth-guid GUID [--name BenchAuthVar] [--rounds N]
 *                     [--json FILE]
 */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../../stmm/mm/auth.h"
#include "efi.h"
#include "efi_util.h"

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The TRUST_SIGNER check of one EFI_VARIABLE_AUTHENTICATION_2 payload.  0 or -EPERM. */
static int verify_one(const uint8_t *name, size_t name_size, const efi_guid_t *guid,
		      uint32_t attrs, const uint8_t *data, size_t size)
{
	struct auth2 a;
	X509 *signer, *top;
	X509_STORE *store = NULL;
	GByteArray *content = NULL;
	g_autoptr(GBytes) identity = NULL;
	int r = -EPERM;

	if (auth2_parse(data, size, &a) != EFI_SUCCESS)
		return r;
	PKCS7 *p7 = auth_pkcs7_load(a.cert, a.cert_size);
	STACK_OF(X509) *one = sk_X509_new_null();
	if (p7 && auth_pkcs7_signer_p7(p7, &signer, &top) == 0 && one && sk_X509_push(one, top))
		store = auth_trust_store_new(one);
	sk_X509_free(one);
	if (store) {
		content = auth2_signed_content(name, name_size, guid, attrs, &a);
		if (auth_pkcs7_verify_p7(p7, content->data, content->len, store) == EFI_SUCCESS &&
		    auth_signer_identity_p7(p7, &identity) == 0)
			r = 0;
	}
	if (content)
		g_byte_array_unref(content);
	X509_STORE_free(store);
	PKCS7_free(p7);
	return r;
}

int main(int argc, char **argv)
{
	g_autofree char *dir = NULL, *guid_text = NULL, *name_text = NULL, *json = NULL;
	gint rounds = 3;
	GOptionEntry entries[] = {
		{ "auth-dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "presigned .auth payloads", "DIR" },
		{ "auth-guid", 0, 0, G_OPTION_ARG_STRING, &guid_text, "their vendor GUID", "GUID" },
		{ "name", 0, 0, G_OPTION_ARG_STRING, &name_text, "variable name (BenchAuthVar)",
		  "NAME" },
		{ "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "passes over the payloads (3)", "N" },
		{ "json", 0, 0, G_OPTION_ARG_FILENAME, &json, "write the figure to FILE", "FILE" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- CPU per signature check");
	g_autoptr(GError) error = NULL;
	efi_guid_t guid;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		fprintf(stderr, "bench_auth_verify: %s\n", error->message);
		return 2;
	}
	if (!dir || !guid_text || efi_guid_parse(guid_text, &guid) < 0 || rounds < 1) {
		fprintf(stderr, "bench_auth_verify: needs --auth-dir and --auth-guid\n");
		return 2;
	}
	g_autofree uint8_t *name = NULL;
	size_t name_size;
	if (ucs2_from_utf8(name_text ? name_text : "BenchAuthVar", &name, &name_size) < 0)
		return 2;

	g_autoptr(GPtrArray) payloads = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	g_autoptr(GDir) d = g_dir_open(dir, 0, &error);
	if (!d) {
		fprintf(stderr, "bench_auth_verify: %s\n", error->message);
		return 2;
	}
	for (const char *n; (n = g_dir_read_name(d));) {
		g_autofree char *path = g_build_filename(dir, n, NULL);
		char *data;
		gsize len;
		if (g_str_has_suffix(n, ".auth") && g_file_get_contents(path, &data, &len, NULL))
			g_ptr_array_add(payloads, g_bytes_new_take(data, len));
	}
	if (payloads->len == 0) {
		fprintf(stderr, "bench_auth_verify: no .auth files in %s\n", dir);
		return 2;
	}

	const uint32_t attrs = EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS |
			       EFI_VARIABLE_RUNTIME_ACCESS |
			       EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS;
	/* One untimed pass: OpenSSL's first-use set-up is not part of a steady-state check. */
	gsize size;
	const uint8_t *first = g_bytes_get_data(payloads->pdata[0], &size);
	if (verify_one(name, name_size, &guid, attrs, first, size) < 0) {
		fprintf(stderr, "bench_auth_verify: the first payload does not verify\n");
		return 1;
	}
	uint64_t n = 0;
	double c0 = cpu_s(), t0 = now_s();
	for (gint round = 0; round < rounds; round++) {
		for (guint i = 0; i < payloads->len; i++, n++) {
			const uint8_t *data = g_bytes_get_data(payloads->pdata[i], &size);
			if (verify_one(name, name_size, &guid, attrs, data, size) < 0) {
				fprintf(stderr, "bench_auth_verify: payload %u does not verify\n", i);
				return 1;
			}
		}
	}
	double cpu_us = (cpu_s() - c0) * 1e6 / (double)n, us = (now_s() - t0) * 1e6 / (double)n;
	printf("signature check alone (stmmd's verify path, in-process): %.1f us CPU per "
	       "SetVariable (%" PRIu64 " checks, %.1f us wall)\n",
	       cpu_us, n, us);
	if (json) {
		g_autofree char *text = g_strdup_printf(
			"{ \"checks\": %" PRIu64 ", \"cpu_us\": %.1f, \"latency_us\": %.1f }\n", n,
			cpu_us, us);
		if (!g_file_set_contents(json, text, -1, &error)) {
			fprintf(stderr, "bench_auth_verify: %s\n", error->message);
			return 1;
		}
	}
	return 0;
}
