/* SPDX-License-Identifier: MIT */
/*
 * os_io: the OS's block I/O on the eMMC that also holds the RPMB -- a normal-world client of
 * rpmbd's mmc socket sending single commands (EMU_MSG_MMC_CMD_REQ, include/emu_ipc.h) to the
 * user data area, as Linux's block driver does for /dev/mmcblkN (the kernel selects the
 * user area first: mmc_blk_part_switch()).  Deterministic: a fixed number of operations,
 * each waiting for its answer; with --after-rpmb-requests N the first read is queued in
 * rpmbd and runs right after each of the next N RPMB requests of other clients (scenario
 * S5 without timing).
 *
 * Output: one line per command ("write lba L: status 0x...", "read lba L: status 0x...
 * part P data <first 16 bytes hex>"); --out FILE gets every byte read.
 * Exit status: 0 every command answered status 0, 1 a card status error, 2 usage,
 * 3 socket / protocol error.
 */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"

#define EXIT_STATUS 1
#define EXIT_USAGE 2
#define EXIT_IPC 3
#define TIMEOUT_MS 10000
#define QUEUED_TIMEOUT_MS 120000

static const char description[] =
	"Writes --writes blocks from --lba (block i filled with byte --pattern + i), then reads\n"
	"--reads blocks from --lba, each as one command with the kernel's partition switch to\n"
	"the user area.  --switch-to-rpmb-and-forget first selects RPMB with a raw CMD6 (as a\n"
	"host whose RPMB access does not restore the partition) and then sends the reads and\n"
	"writes raw, without any switch: they land on whatever partition is selected.\n"
	"--after-rpmb-requests N queues the first read in rpmbd to run after each of the next N\n"
	"RPMB requests (CMD25 on the RPMB partition, or whole sequences) of other clients and\n"
	"waits for it (up to 120 s).";

static int sock = -1;
static uint32_t next_id = 1;
static FILE *out_file;

static int call(const struct emu_mmc_single *c, const void *data, int timeout_ms,
		struct emu_mmc_single_rsp *ret_rsp, const uint8_t **ret_data, struct emu_msg **keep)
{
	struct iovec v[2] = { { (void *)c, sizeof(*c) },
			      { (void *)data, data ? (size_t)c->blocks * 512 : 0 } };
	g_autofree char *text = NULL;

	int r = emu_ipc_call(sock, &next_id, timeout_ms, EMU_MSG_MMC_CMD_REQ, v, data ? 2 : 1, -1,
			     EMU_MSG_MMC_CMD_RSP, keep, &text);
	if (r < 0) {
		fprintf(stderr, "os_io: CMD%u failed: %s%s%s\n", c->opcode, g_strerror(-r),
			text ? ": " : "", text ? text : "");
		return r;
	}
	const struct emu_msg *m = *keep;
	if (m->hdr.length < sizeof(*ret_rsp)) {
		fprintf(stderr, "os_io: short reply\n");
		return -EBADMSG;
	}
	memcpy(ret_rsp, m->payload, sizeof(*ret_rsp));
	if (ret_rsp->data_len != m->hdr.length - sizeof(*ret_rsp)) {
		fprintf(stderr, "os_io: reply data_len %u does not match\n", ret_rsp->data_len);
		return -EBADMSG;
	}
	*ret_data = m->payload + sizeof(*ret_rsp);
	return 0;
}

static void print_read(uint32_t lba, const struct emu_mmc_single_rsp *rsp, const uint8_t *d)
{
	g_autofree char *hex = NULL;
	GString *s = g_string_new(NULL);
	for (uint32_t i = 0; i < MIN(rsp->data_len, 16u); i++)
		g_string_append_printf(s, "%02x", d[i]);
	hex = g_string_free(s, FALSE);
	printf("read lba %u: status 0x%08x part %u runs %u data %s\n", lba, rsp->status, rsp->part,
	       rsp->runs, hex);
	if (out_file && rsp->data_len)
		fwrite(d, 1, rsp->data_len, out_file);
}

int main(int argc, char **argv)
{
	g_autofree char *socket_path = NULL, *out_path = NULL;
	gint reads = 0, writes = 0, lba = 0, pattern = 0xa5, after = 0;
	gboolean forget = FALSE, writes_only = FALSE;
	const GOptionEntry entries[] = {
		{ "mmc-socket", 0, 0, G_OPTION_ARG_FILENAME, &socket_path, "rpmbd's mmc socket (required)", "PATH" },
		{ "reads", 0, 0, G_OPTION_ARG_INT, &reads, "Blocks to read (default 0)", "N" },
		{ "writes", 0, 0, G_OPTION_ARG_INT, &writes, "Blocks to write before (default 0)", "N" },
		{ "lba", 0, 0, G_OPTION_ARG_INT, &lba, "First block (default 0)", "L" },
		{ "pattern", 0, 0, G_OPTION_ARG_INT, &pattern, "Fill byte of the first written block (default 0xa5 = 165)", "B" },
		{ "switch-to-rpmb-and-forget", 0, 0, G_OPTION_ARG_NONE, &forget,
		  "Select RPMB with a raw CMD6, then read/write without switching back", NULL },
		{ "after-rpmb-requests", 0, 0, G_OPTION_ARG_INT, &after,
		  "Queue the first read to run after each of the next N RPMB requests of other clients", "N" },
		{ "rpmb-writes-only", 0, 0, G_OPTION_ARG_NONE, &writes_only,
		  "With --after-rpmb-requests: count only RPMB requests carrying a data write", NULL },
		{ "out", 0, 0, G_OPTION_ARG_FILENAME, &out_path, "Write the bytes read to FILE", "FILE" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- OS block I/O on the shared eMMC");
	g_autoptr(GError) err = NULL;
	int rc = 0;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx, description);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || !socket_path || argc > 1 ||
	    reads < 0 || writes < 0 || lba < 0 || after < 0 || pattern < 0 || pattern > 255 ||
	    (after && !reads)) {
		fprintf(stderr, "os_io: %s (see --help)\n",
			err ? err->message : "need --mmc-socket; counts >= 0; --after-rpmb-requests needs --reads");
		return EXIT_USAGE;
	}
	if (out_path && !(out_file = fopen(out_path, "wb"))) {
		fprintf(stderr, "os_io: %s: %s\n", out_path, g_strerror(errno));
		return EXIT_USAGE;
	}
	int r = emu_ipc_connect(socket_path, &sock);
	if (r < 0) {
		fprintf(stderr, "os_io: connect %s: %s\n", socket_path, g_strerror(-r));
		return EXIT_IPC;
	}
	uint16_t part = forget ? EMU_MMC_PART_KEEP : EMU_MMC_PART_USER;
	struct emu_mmc_single_rsp rsp;
	const uint8_t *d;

	if (forget) {
		struct emu_mmc_single c = { .opcode = MMC_SWITCH, .part = EMU_MMC_PART_KEEP,
					    .arg = EMU_MMC_SWITCH_ARG(EXT_CSD_PART_CONFIG, EMU_MMC_PART_RPMB) };
		g_autoptr(emu_msg) m = NULL;
		if (call(&c, NULL, TIMEOUT_MS, &rsp, &d, &m) < 0)
			return EXIT_IPC;
		printf("switch to RPMB: status 0x%08x part %u\n", rsp.status, rsp.part);
		rc |= rsp.status != 0;
	}
	for (int i = 0; i < writes; i++) {
		uint8_t blk[512];
		memset(blk, (pattern + i) & 0xff, sizeof(blk));
		struct emu_mmc_single c = { .opcode = MMC_WRITE_BLOCK, .arg = (uint32_t)(lba + i),
					    .blocks = 1, .part = part };
		g_autoptr(emu_msg) m = NULL;
		if (call(&c, blk, TIMEOUT_MS, &rsp, &d, &m) < 0)
			return EXIT_IPC;
		printf("write lba %d: status 0x%08x part %u\n", lba + i, rsp.status, rsp.part);
		rc |= rsp.status != 0;
	}
	for (int i = 0; i < reads; i++) {
		struct emu_mmc_single c = { .opcode = MMC_READ_SINGLE_BLOCK, .arg = (uint32_t)(lba + i),
					    .blocks = 1, .part = part };
		if (i == 0 && after) {
			c.flags = EMU_MMC_CMD_AFTER_RPMB_REQ |
				  (writes_only ? EMU_MMC_CMD_AFTER_RPMB_WRITE : 0);
			c.repeat = (uint32_t)after;
		}
		g_autoptr(emu_msg) m = NULL;
		if (call(&c, NULL, c.flags ? QUEUED_TIMEOUT_MS : TIMEOUT_MS, &rsp, &d, &m) < 0)
			return EXIT_IPC;
		print_read((uint32_t)(lba + i), &rsp, d);
		rc |= rsp.status != 0;
	}
	fflush(stdout);
	if (out_file && fclose(out_file) != 0) {
		fprintf(stderr, "os_io: %s: %s\n", out_path, g_strerror(errno));
		return EXIT_IPC;
	}
	return rc ? EXIT_STATUS : 0;
}
