/* SPDX-License-Identifier: MIT */
/*
 * stmm-emu rpmb inspect | image: a board's RPMB partition as OP-TEE's RPMB file system sees
 * it (partition header, FAT, files decrypted with the HUK: lib/optee_rpmb_image.h), and the
 * image a state's device would hold.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cli.h"
#include "efi_util.h"
#include "optee_fs_crypto.h"
#include "optee_rpmb_image.h"
#include "rpmb_frame.h"
#include "rpmbdb.h"
#include "state.h"

/* Largest partition: RPMB_SIZE_MULT 128 x 128 KiB. */
#define RPMB_IMAGE_MAX (128u * RPMB_BLOCKS_PER_MULT * RPMB_DATA_SIZE)

/* A raw image (256-byte blocks from block 0) or rpmbd's database. */
static int load_image(const char *path, uint8_t **ret, size_t *ret_len, GString *err)
{
	g_autoptr(GError) e = NULL;
	gchar *data = NULL;
	gsize len = 0;
	static const char sqlite_magic[16] = "SQLite format 3";

	if (!g_file_get_contents(path, &data, &len, &e)) {
		g_string_append(err, e->message);
		return -EIO;
	}
	if (len >= sizeof(sqlite_magic) && !memcmp(data, sqlite_magic, sizeof(sqlite_magic))) {
		g_free(data);
		return emu_rpmbdb_read_image(path, ret, ret_len, err);
	}
	if (len == 0 || len % RPMB_DATA_SIZE || len > RPMB_IMAGE_MAX) {
		g_string_append_printf(err, "%s: %zu bytes: not a partition image of 256-byte blocks "
				       "(up to %u bytes) nor an rpmbd database", path, (size_t)len,
				       RPMB_IMAGE_MAX);
		g_free(data);
		return -EINVAL;
	}
	*ret = (uint8_t *)data;
	*ret_len = len;
	return 0;
}

static int load_huk(const char *path, uint8_t huk[OPTEE_HUK_SIZE], GString *err)
{
	g_autofree gchar *data = NULL;
	gsize len = 0;

	memset(huk, 0, OPTEE_HUK_SIZE); /* the all-zero test HUK stmmd uses by default */
	if (!path)
		return 0;
	if (!g_file_get_contents(path, &data, &len, NULL) || len != OPTEE_HUK_SIZE) {
		g_string_append_printf(err, "--huk %s: need a file of exactly %u bytes", path,
				       OPTEE_HUK_SIZE);
		return -EINVAL;
	}
	memcpy(huk, data, OPTEE_HUK_SIZE);
	return 0;
}

static void print_fat(const uint8_t *img, size_t len, GArray *files)
{
	printf("partition:  %zu bytes (%zu blocks), OP-TEE RPMB FS version %u, FAT at byte %u\n", len,
	       len / RPMB_DATA_SIZE, RPMB_FS_VERSION,
	       img[12] | img[13] << 8 | img[14] << 16 | (unsigned)img[15] << 24);
	for (guint i = 0; i < files->len; i++) {
		const struct optee_rpmb_file *f = &g_array_index(files, struct optee_rpmb_file, i);
		if (!(f->flags & RPMB_FS_FILE_IS_ACTIVE)) {
			printf("FAT block %-5u free entry\n", f->fat_address / RPMB_DATA_SIZE);
			continue;
		}
		printf("FAT block %-5u %s: %u bytes at byte %u (blocks %u..%u)%s\n",
		       f->fat_address / RPMB_DATA_SIZE, f->name, f->data_size, f->start_address,
		       f->start_address / RPMB_DATA_SIZE,
		       (f->start_address + f->data_size + RPMB_DATA_SIZE - 1) / RPMB_DATA_SIZE - 1,
		       strcmp(f->name, RPMB_FS_STMM_FILENAME) ? "" : "  = StMM's EFI_VARS");
	}
}

/*
 * OP-TEE's RPMB key: huk_subkey_derive(HUK_SUBKEY_RPMB = 0, CID with PRV (byte 9) and CRC
 * (byte 15) zeroed), tee_rpmb_key_gen.
 */
static int print_rpmb_key(const uint8_t huk[OPTEE_HUK_SIZE], const char *cid_hex)
{
	g_autoptr(GByteArray) cid = NULL;
	uint8_t key[32];

	if (emu_hex_arg("rpmb inspect: --cid", cid_hex, &cid) < 0)
		return -EINVAL;
	if (cid->len != 16) {
		emu_cli_err("rpmb inspect: --cid: 16 bytes as 32 hex digits");
		return -EINVAL;
	}
	cid->data[9] = 0;
	cid->data[15] = 0;
	if (optee_huk_subkey_derive(huk, 0, cid->data, 16, key, sizeof(key)) < 0) {
		emu_cli_err("rpmb inspect: key derivation failed");
		return -EIO;
	}
	printf("rpmb key:   ");
	for (size_t i = 0; i < sizeof(key); i++)
		printf("%02x", key[i]);
	printf("  (HMAC-SHA256(HUK, LE32 0 || CID with bytes 9 and 15 zeroed))\n");
	return 0;
}

static int cmd_inspect(int argc, char **argv)
{
	g_autofree char *huk_path = NULL, *extract = NULL, *out = NULL, *cid_hex = NULL;
	GOptionEntry entries[] = {
		{ "huk", 0, 0, G_OPTION_ARG_FILENAME, &huk_path, "16-byte hardware unique key (default: the all-zero test HUK)", "FILE" },
		{ "extract", 0, 0, G_OPTION_ARG_STRING, &extract, "decrypt this file (its FAT name, or EFI_VARS for StMM's)", "NAME" },
		{ "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "where --extract writes (an EDK2 variable file for EFI_VARS)", "FILE" },
		{ "cid", 0, 0, G_OPTION_ARG_STRING, &cid_hex, "the eMMC's CID (32 hex digits): also print the RPMB key OP-TEE derives from it and the HUK (for `mmc rpmb` on that device)", "HEX" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("IMAGE - OP-TEE's RPMB file system in a partition image");
	g_autoptr(GString) err = g_string_new("");
	g_autofree uint8_t *img = NULL;
	g_autoptr(GArray) files = NULL;
	uint8_t huk[OPTEE_HUK_SIZE];
	size_t len = 0;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(
		ctx, "IMAGE is a raw RPMB partition (256-byte blocks from block 0, as `mmc rpmb\n"
		     "read-block` dumps it) or an rpmbd database (STATE/rpmb.db).  Prints the\n"
		     "partition header and the FAT; --extract EFI_VARS -o OUT.fd writes StMM's\n"
		     "store decrypted, which `stmm-emu import` loads.  Exit status 0, 1 no RPMB\n"
		     "file system or no such file, 2 usage, 4 a damaged image (the block is named).");
	if (!emu_cli_parse(ctx, &argc, &argv))
		return EMU_EXIT_USAGE;
	if (argc != 2 || (extract && !out) || (out && !extract)) {
		emu_cli_err("rpmb inspect: one IMAGE, and --extract goes with --out");
		return EMU_EXIT_USAGE;
	}
	if (load_huk(huk_path, huk, err) < 0) {
		emu_cli_err("rpmb inspect: %s", err->str);
		return EMU_EXIT_USAGE;
	}
	int r = load_image(argv[1], &img, &len, err);
	if (r < 0) {
		emu_cli_err("rpmb inspect: %s", err->str);
		return EMU_EXIT_IMPORT;
	}
	r = optee_rpmb_image_list(img, len, &files, err);
	if (r == -ENODATA) {
		emu_cli_err("rpmb inspect: %s: %s%s", argv[1], err->str,
			    len > 0x2c && !memcmp(img + 0x28, "_FVH", 4) ?
				    " (block 0 holds an EDK2 firmware volume: a store in the raw layout)" : "");
		return EMU_EXIT_EFI;
	}
	if (r < 0) {
		emu_cli_err("rpmb inspect: %s: %s", argv[1], err->str);
		return EMU_EXIT_IMPORT;
	}
	print_fat(img, len, files);
	if (cid_hex && print_rpmb_key(huk, cid_hex) < 0)
		return EMU_EXIT_USAGE;
	if (!extract)
		return EMU_EXIT_OK;
	g_autoptr(GBytes) data = NULL;
	const char *name = strcmp(extract, "EFI_VARS") ? extract : RPMB_FS_STMM_FILENAME;
	r = optee_rpmb_image_read_file(img, len, huk, name, &data, err);
	if (r < 0) {
		emu_cli_err("rpmb inspect: %s: %s", argv[1], err->str);
		return r == -ENOENT ? EMU_EXIT_EFI : EMU_EXIT_IMPORT;
	}
	g_autoptr(GError) e = NULL;
	gsize n;
	const char *bytes = g_bytes_get_data(data, &n);
	if (!g_file_set_contents(out, bytes, (gssize)n, &e)) {
		emu_cli_err("rpmb inspect: %s", e->message);
		return EMU_EXIT_STACK;
	}
	printf("extracted %s: %zu bytes to %s\n", name, (size_t)n, out);
	return EMU_EXIT_OK;
}

static int cmd_image(int argc, char **argv)
{
	g_autofree char *state = NULL;
	GOptionEntry entries[] = {
		{ "state", 's', 0, G_OPTION_ARG_FILENAME, &state, EMU_STATE_HELP, "DIR" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("OUT - the RPMB partition a board would hold");
	g_autoptr(GString) err = g_string_new("");
	g_autofree uint8_t *img = NULL;
	g_autoptr(GError) e = NULL;
	struct emu_state st;
	size_t len = 0;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(
		ctx, "Writes the state's whole RPMB partition (from rpmb.db, read-only: the stack\n"
		     "may run) as raw 256-byte blocks from block 0: what `mmc rpmb read-block`\n"
		     "would dump from a board.  Exit status 0, 2 usage, 3 no device or a file error.");
	if (!emu_cli_parse(ctx, &argc, &argv))
		return EMU_EXIT_USAGE;
	if (argc != 2) {
		emu_cli_err("rpmb image: one OUT file");
		return EMU_EXIT_USAGE;
	}
	emu_state_init(&st, state);
	int r = emu_rpmbdb_read_image(st.rpmb_db, &img, &len, err);
	emu_state_clear(&st);
	if (r < 0) {
		emu_cli_err("rpmb image: %s", err->str);
		return EMU_EXIT_STACK;
	}
	if (!g_file_set_contents(argv[1], (const char *)img, (gssize)len, &e)) {
		emu_cli_err("rpmb image: %s", e->message);
		return EMU_EXIT_STACK;
	}
	printf("%s: %zu bytes (%zu blocks)\n", argv[1], len, len / RPMB_DATA_SIZE);
	return EMU_EXIT_OK;
}

static void rpmb_usage(FILE *f)
{
	fprintf(f, "Usage: stmm-emu rpmb inspect IMAGE [--huk FILE] [--extract NAME -o OUT]\n"
		   "       stmm-emu rpmb image [--state DIR] OUT\n\n"
		   "  inspect  OP-TEE's RPMB file system in a partition image or rpmbd database\n"
		   "  image    write the state's RPMB partition as a raw image\n");
}

int emu_cmd_rpmb(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))) {
		rpmb_usage(stdout);
		return EMU_EXIT_OK;
	}
	if (argc >= 2 && !strcmp(argv[1], "inspect")) {
		g_set_prgname("stmm-emu rpmb inspect");
		return cmd_inspect(argc - 1, argv + 1);
	}
	if (argc >= 2 && !strcmp(argv[1], "image")) {
		g_set_prgname("stmm-emu rpmb image");
		return cmd_image(argc - 1, argv + 1);
	}
	rpmb_usage(stderr);
	return EMU_EXIT_USAGE;
}
