/* SPDX-License-Identifier: MIT */
/*
 * gen_seeds: write the hand-built seed corpora of tests/fuzz into OUTDIR/<harness>/, one
 * input per file named by the SHA-1 of its content (libFuzzer / AFL++ layout).  Every seed
 * is built by the code the emulator itself sends with: MM buffers by emu/client/mmvar.c
 * (mmvar_build, as `stmm-emu var` sends them), RPMB sequences by lib/mmc_seq.c (as
 * supplicantd sends them), FV stores by stmm/mm/fvimage.c (as `stmm-emu export` writes
 * them).  Each AUTH FILE given (EFI_VARIABLE_AUTHENTICATION_2 + signature lists, e.g. from
 * efitools' sign-efi-sig-list) becomes an fuzz_auth seed and the data of an authenticated
 * SetVariable seed for fuzz_mm.  Run by tests/fuzz/gen-seeds.sh (make fuzz-seeds).
 *   gen_seeds OUTDIR [VARNAME=AUTH_FILE...]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "bytes.h"
#include "efi.h"
#include "edk2_store.h"
#include "emu_ipc.h"
#include "fvimage.h"
#include "mm.h"
#include "mmc_seq.h"
#include "mmvar.h"
#include "optee_rpmb.h"
#include "rpmb_frame.h"

#define MAX_PAYLOAD 10228u /* GET_PAYLOAD_SIZE's default answer */

static const char *outdir;
static unsigned written;

static void seed(const char *harness, const void *data, size_t len)
{
	g_autofree char *dir = g_build_filename(outdir, harness, NULL);
	g_autofree char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA1, data, len);
	g_autofree char *path = g_build_filename(dir, sum, NULL);
	g_autoptr(GError) err = NULL;

	if (g_mkdir_with_parents(dir, 0755) < 0 ||
	    !g_file_set_contents(path, data, (gssize)len, &err)) {
		fprintf(stderr, "gen_seeds: %s: %s\n", path, err ? err->message : g_strerror(errno));
		exit(1);
	}
	written++;
}

/* ASCII -> UCS-2LE with its NUL. */
static uint8_t *ucs2(const char *s, size_t *ret_size)
{
	size_t n = strlen(s);
	uint8_t *u = g_malloc0(2 * n + 2);

	for (size_t i = 0; i < n; i++)
		u[2 * i] = (uint8_t)s[i];
	*ret_size = 2 * n + 2;
	return u;
}

static void mm_seed(const struct mmvar_req *req)
{
	g_autofree uint8_t *buf = NULL;
	struct mmvar_layout l;

	if (mmvar_build(req, MAX_PAYLOAD, &buf, &l) < 0) {
		fprintf(stderr, "gen_seeds: mmvar_build failed for function %llu\n",
			(unsigned long long)req->function);
		exit(1);
	}
	seed("mm", buf, l.buf_size);
}

/* A bare MM buffer for functions mmvar does not build: headers + psize zero bytes. */
static void mm_raw(uint64_t fn, size_t psize)
{
	const efi_guid_t g = SMM_VARIABLE_GUID;
	g_autofree uint8_t *b = g_malloc0(40 + psize);

	memcpy(b, g.b, 16);
	put_le64(b + 16, 16 + psize);
	put_le64(b + 24, fn);
	seed("mm", b, 40 + psize);
}

static void mm_seeds(void)
{
	const efi_guid_t gv = EFI_GLOBAL_VARIABLE_GUID;
	const efi_guid_t own = EFI_GUID_INIT(0x12345678, 0x1234, 0x5678, 0x9a, 0xbc, 0xde, 0xf0,
					     0x01, 0x02, 0x03, 0x04);
	size_t ns;
	g_autofree uint8_t *name = ucs2("FuzzVar", &ns);
	g_autofree uint8_t *boot = NULL;
	size_t bs;
	static const uint8_t data[] = "stmm-emu seed data";
	const uint32_t nv_bs_rt = EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS |
				  EFI_VARIABLE_RUNTIME_ACCESS;

	boot = ucs2("BootOrder", &bs);
	mm_seed(&(struct mmvar_req){ .function = SMM_VARIABLE_FUNCTION_SET_VARIABLE, .guid = own,
				     .name = name, .name_size = ns, .data = data,
				     .data_size = sizeof(data), .attributes = nv_bs_rt });
	mm_seed(&(struct mmvar_req){ .function = SMM_VARIABLE_FUNCTION_SET_VARIABLE, .guid = own,
				     .name = name, .name_size = ns, .data = data,
				     .data_size = 4, .attributes = nv_bs_rt |
				     EFI_VARIABLE_APPEND_WRITE });
	mm_seed(&(struct mmvar_req){ .function = SMM_VARIABLE_FUNCTION_SET_VARIABLE, .guid = own,
				     .name = name, .name_size = ns, .data_size = 0,
				     .attributes = nv_bs_rt }); /* delete */
	mm_seed(&(struct mmvar_req){ .function = SMM_VARIABLE_FUNCTION_SET_VARIABLE, .guid = gv,
				     .name = boot, .name_size = bs, .data = (const uint8_t *)"\0\0",
				     .data_size = 2, .attributes = nv_bs_rt });
	mm_seed(&(struct mmvar_req){ .function = SMM_VARIABLE_FUNCTION_SET_VARIABLE, .guid = own,
				     .name = name, .name_size = ns, .data = data,
				     .data_size = sizeof(data),
				     .attributes = EFI_VARIABLE_BOOTSERVICE_ACCESS }); /* volatile */
	mm_seed(&(struct mmvar_req){ .function = SMM_VARIABLE_FUNCTION_GET_VARIABLE, .guid = own,
				     .name = name, .name_size = ns, .data_size = 64 });
	mm_seed(&(struct mmvar_req){ .function = SMM_VARIABLE_FUNCTION_GET_VARIABLE, .guid = gv,
				     .name = boot, .name_size = bs, .data_size = 0 });
	static const uint8_t empty[2] = { 0 };
	mm_seed(&(struct mmvar_req){ .function = SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME,
				     .name = empty, .name_size = 2,
				     .name_buf_size = MMVAR_LINUX_NAME_BUF_SIZE });
	mm_seed(&(struct mmvar_req){ .function = SMM_VARIABLE_FUNCTION_GET_NEXT_VARIABLE_NAME,
				     .guid = own, .name = name, .name_size = ns,
				     .name_buf_size = 64 });
	mm_seed(&(struct mmvar_req){ .function = SMM_VARIABLE_FUNCTION_QUERY_VARIABLE_INFO,
				     .attributes = nv_bs_rt });
	mm_seed(&(struct mmvar_req){ .function = SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE });
	mm_raw(SMM_VARIABLE_FUNCTION_READY_TO_BOOT, 0);
	mm_raw(SMM_VARIABLE_FUNCTION_EXIT_BOOT_SERVICE, 0);

	/* LOCK_VARIABLE and PROPERTY_GET on FuzzVar: guid, name size, name. */
	uint8_t lock[16 + 8 + 16] = { 0 };
	memcpy(lock, own.b, 16);
	put_le64(lock + 16, ns);
	memcpy(lock + 24, name, ns);
	for (uint64_t fn = SMM_VARIABLE_FUNCTION_LOCK_VARIABLE;
	     fn <= SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET; fn++) {
		const efi_guid_t g = SMM_VARIABLE_GUID;
		uint8_t b[40 + SMM_VARIABLE_VAR_CHECK_PROPERTY_NAME_OFFSET + 16] = { 0 };
		size_t p = fn == SMM_VARIABLE_FUNCTION_LOCK_VARIABLE ?
				   sizeof(lock) :
				   SMM_VARIABLE_VAR_CHECK_PROPERTY_NAME_OFFSET + ns;

		memcpy(b, g.b, 16);
		put_le64(b + 16, 16 + p);
		put_le64(b + 24, fn);
		if (fn == SMM_VARIABLE_FUNCTION_LOCK_VARIABLE) {
			memcpy(b + 40, lock, sizeof(lock));
		} else {
			/* struct smm_variable_var_check_property: guid, name size, a read-only
			 * VAR_CHECK_VARIABLE_PROPERTY (NV|BS|RT, 1..256 bytes), name */
			memcpy(b + 40, own.b, 16);
			put_le64(b + 56, ns);
			put_le16(b + 64, VAR_CHECK_VARIABLE_PROPERTY_REVISION);
			put_le16(b + 66, VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY);
			put_le32(b + 68, nv_bs_rt);
			put_le64(b + 72, 1);
			put_le64(b + 80, 0x100);
			memcpy(b + 40 + SMM_VARIABLE_VAR_CHECK_PROPERTY_NAME_OFFSET, name, ns);
		}
		seed("mm", b, 40 + p);
	}
}

static void auth_seed(const char *var, const char *path)
{
	const efi_guid_t gv = EFI_GLOBAL_VARIABLE_GUID;
	const efi_guid_t gdb = EFI_IMAGE_SECURITY_DATABASE_GUID;
	g_autofree char *data = NULL;
	gsize len;
	size_t ns;

	if (!g_file_get_contents(path, &data, &len, NULL)) {
		fprintf(stderr, "gen_seeds: cannot read %s\n", path);
		exit(1);
	}
	g_autofree uint8_t *name = ucs2(var, &ns);
	bool is_db = !strcmp(var, "db") || !strcmp(var, "dbx");
	seed("auth", data, len);
	mm_seed(&(struct mmvar_req){
		.function = SMM_VARIABLE_FUNCTION_SET_VARIABLE, .guid = is_db ? gdb : gv,
		.name = name, .name_size = ns, .data = (const uint8_t *)data, .data_size = len,
		.attributes = EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS |
			      EFI_VARIABLE_RUNTIME_ACCESS |
			      EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS });
}

/* fuzz_rpmb_seq: flags byte + payload; fuzz_ipc: message header + the same payload. */
static void seq_seed(GByteArray *payload, uint8_t flags)
{
	g_autofree uint8_t *a = g_malloc(1 + payload->len);
	g_autofree uint8_t *m = g_malloc(sizeof(struct emu_msg_hdr) + payload->len);

	a[0] = flags;
	memcpy(a + 1, payload->data, payload->len);
	seed("rpmb_seq", a, 1 + payload->len);
	put_le32(m, EMU_MSG_MAGIC);
	put_le16(m + 4, EMU_MSG_VERSION);
	put_le16(m + 6, EMU_MSG_MMC_SEQ_REQ);
	put_le32(m + 8, 7);
	put_le32(m + 12, payload->len);
	memcpy(m + 16, payload->data, payload->len);
	seed("ipc", m, 16 + payload->len);
	g_byte_array_unref(payload);
}

/* fuzz_supp_rpc: u16 LE response size + struct rpmb_req + frames. */
static void supp_seed(uint16_t cmd, uint16_t rsp_size, const struct rpmb_frame *f, size_t n)
{
	size_t len = 2 + RPMB_REQ_HEADER_SIZE + n * RPMB_FRAME_SIZE;
	g_autofree uint8_t *b = g_malloc0(len);

	put_le16(b, rsp_size);
	put_le16(b + 2, cmd);
	put_le16(b + 6, cmd == RPMB_CMD_DATA_REQ && n ? get_be16(f[0].block_count) : 0);
	if (n)
		memcpy(b + 8, f, n * RPMB_FRAME_SIZE);
	seed("supp_rpc", b, len);
}

static void rpmb_seeds(void)
{
	struct rpmb_frame f[4];
	struct rpmb_frame rr = { 0 };
	struct mmc_seq s;

	put_be16(rr.req_resp, RPMB_REQ_RESULT_READ);

	/* write counter read: CMD25 (1 frame) + CMD18 (1) */
	memset(f, 0, sizeof(f));
	put_be16(f[0].req_resp, RPMB_REQ_WRITE_COUNTER);
	memcpy(f[0].nonce, "fuzz-nonce-0123", 16);
	mmc_seq_init(&s, 0);
	mmc_seq_write(&s, f, 1, false);
	mmc_seq_read(&s, 1);
	seq_seed(mmc_seq_finish(&s), 0);
	supp_seed(RPMB_CMD_DATA_REQ, RPMB_FRAME_SIZE, f, 1);

	/* program key: reliable CMD25 + result read */
	memset(f, 0, sizeof(f));
	put_be16(f[0].req_resp, RPMB_REQ_PROGRAM_KEY);
	memcpy(f[0].key_mac, "stmm-emu fuzz RPMB key 32 bytes", 32);
	mmc_seq_init(&s, 0);
	mmc_seq_write(&s, f, 1, true);
	mmc_seq_write(&s, &rr, 1, false);
	mmc_seq_read(&s, 1);
	seq_seed(mmc_seq_finish(&s), 0);
	supp_seed(RPMB_CMD_DATA_REQ, RPMB_FRAME_SIZE, f, 1);

	/* data write of 2 blocks at 4 (flag 1: the harness MACs it) + result read */
	memset(f, 0, sizeof(f));
	for (int i = 0; i < 2; i++) {
		put_be16(f[i].req_resp, RPMB_REQ_DATA_WRITE);
		put_be16(f[i].address, 4);
		put_be16(f[i].block_count, 2);
		memset(f[i].data, 0x41 + i, sizeof(f[i].data));
	}
	mmc_seq_init(&s, 0);
	mmc_seq_write(&s, f, 2, true);
	mmc_seq_write(&s, &rr, 1, false);
	mmc_seq_read(&s, 1);
	seq_seed(mmc_seq_finish(&s), 1);
	supp_seed(RPMB_CMD_DATA_REQ, RPMB_FRAME_SIZE, f, 2);

	/* data read of 4 blocks at 0 */
	memset(f, 0, sizeof(f));
	put_be16(f[0].req_resp, RPMB_REQ_DATA_READ);
	put_be16(f[0].block_count, 4);
	memcpy(f[0].nonce, "fuzz-nonce-4567", 16);
	mmc_seq_init(&s, 0);
	mmc_seq_write(&s, f, 1, false);
	mmc_seq_read(&s, 4);
	seq_seed(mmc_seq_finish(&s), 0);
	supp_seed(RPMB_CMD_DATA_REQ, 4 * RPMB_FRAME_SIZE, f, 1);

	/* a lone result read */
	mmc_seq_init(&s, 0);
	mmc_seq_write(&s, &rr, 1, false);
	mmc_seq_read(&s, 1);
	seq_seed(mmc_seq_finish(&s), 0);

	/* GET_DEV_INFO, and rpmbd's MMC_INFO request */
	supp_seed(RPMB_CMD_GET_DEV_INFO, sizeof(struct rpmb_dev_info), NULL, 0);
	uint8_t m[16];
	put_le32(m, EMU_MSG_MAGIC);
	put_le16(m + 4, EMU_MSG_VERSION);
	put_le16(m + 6, EMU_MSG_MMC_INFO_REQ);
	put_le32(m + 8, 1);
	put_le32(m + 12, 0);
	seed("ipc", m, sizeof(m));
}

static void fv_seeds(void)
{
	const efi_guid_t own = EFI_GUID_INIT(0x12345678, 0x1234, 0x5678, 0x9a, 0xbc, 0xde, 0xf0,
					     0x01, 0x02, 0x03, 0x04);
	size_t n1, n2;
	g_autofree uint8_t *a = ucs2("FuzzVar", &n1);
	g_autofree uint8_t *b = ucs2("Timeout", &n2);
	const struct fv_record_fields vars[] = {
		{ .state = VAR_ADDED, .attributes = 7, .guid = own, .name = a, .name_size = n1,
		  .data = (const uint8_t *)"seed", .data_size = 4 },
		{ .state = VAR_ADDED, .attributes = 7, .guid = EFI_GLOBAL_VARIABLE_GUID, .name = b,
		  .name_size = n2, .data = (const uint8_t *)"\5\0", .data_size = 2 },
	};
	for (size_t n = 0; n <= G_N_ELEMENTS(vars); n += 2) {
		struct fvimage_layout l;
		g_autofree uint8_t *img = NULL;
		size_t len;

		fvimage_default_layout(fvimage_bytes_needed(vars, n), &l);
		if (fvimage_build(&l, vars, n, &img, &len) < 0)
			exit(1);
		seed("fv", img, len);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help")) {
		printf("usage: %s OUTDIR [VARNAME=AUTH_FILE...]\n"
		       "Write the fuzz seed corpora into OUTDIR/<harness>/<sha1>.\n", argv[0]);
		return argc < 2 ? 2 : 0;
	}
	outdir = argv[1];
	mm_seeds();
	rpmb_seeds();
	fv_seeds();
	for (int i = 2; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq) {
			fprintf(stderr, "gen_seeds: %s: expected VARNAME=AUTH_FILE\n", argv[i]);
			return 2;
		}
		*eq = 0;
		auth_seed(argv[i], eq + 1);
	}
	printf("gen_seeds: %u seeds in %s\n", written, outdir);
	return 0;
}
