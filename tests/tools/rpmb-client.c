/* SPDX-License-Identifier: MIT */
/*
 * rpmb-client: a small host for rpmbd's mmc socket, for system tests and by hand.  It
 * builds the same multi-command sequences as tee-supplicant / mmc-utils (include/emu_ipc.h)
 * and checks every response: type, result, nonce echo, MAC (when --key is given) and that
 * a write advances the counter by exactly one.  A write is reported only after its OK
 * result frame has been received.
 *
 * Exit status: 0 success, 1 the device answered with a non-OK result or a check failed,
 * 2 usage, 3 socket / protocol error.
 */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "bytes.h"
#include "efi_util.h"
#include "ipc.h"
#include "mmc_seq.h"
#include "rpmb_host.h"

#define EXIT_RESULT 1
#define EXIT_USAGE 2
#define EXIT_IPC 3
#define TIMEOUT_MS 10000
#define READ_CHUNK 64u
#define RPMBD_CLIENT_MAX_BLOCKS 256u

static char *opt_socket;
static char *opt_key_hex;
static uint8_t key[RPMB_KEY_SIZE];
static bool have_key;
static int sock = -1;

/* ---- sequences ---------------------------------------------------------------------- */

static uint32_t next_id = 1; /* request ids on sock */

/* Send the sequence (consumed); on success ret_frames holds exactly want frames (g_free). */
static int seq_run(struct mmc_seq *s, size_t want, struct rpmb_frame **ret_frames)
{
	g_autoptr(GByteArray) buf = mmc_seq_finish(s);
	g_autoptr(emu_msg) reply = NULL;
	g_autofree char *text = NULL;
	const uint8_t *data;

	struct iovec v = { buf->data, buf->len };
	int r = emu_ipc_call(sock, &next_id, TIMEOUT_MS, EMU_MSG_MMC_SEQ_REQ, &v, 1, -1,
			     EMU_MSG_MMC_SEQ_RSP, &reply, &text);
	if (r < 0) {
		fprintf(stderr, "rpmb-client: sequence failed: %s%s%s\n", g_strerror(-r),
			text ? ": " : "", text ? text : "");
		return r;
	}
	if (mmc_seq_rsp_data(reply->payload, reply->hdr.length, want * RPMB_FRAME_SIZE, &data) < 0) {
		fprintf(stderr, "rpmb-client: reply (%u bytes) does not carry %zu data bytes\n",
			reply->hdr.length, want * RPMB_FRAME_SIZE);
		return -EPROTO;
	}
	*ret_frames = (struct rpmb_frame *)g_memdup2(data, want * RPMB_FRAME_SIZE);
	return 0;
}

/* ---- checks ------------------------------------------------------------------------- */

static int check_response(const struct rpmb_frame *f, size_t n, uint16_t want_type,
			  const uint8_t *nonce, const char *what)
{
	struct rpmb_frame_info info;
	char name[64];

	rpmb_frame_get_info(&f[n - 1], &info);
	if (info.result != RPMB_RESULT_OK) {
		fprintf(stderr, "rpmb-client: %s: %s\n", what,
			rpmb_result_name(info.result, name, sizeof(name)));
		return EXIT_RESULT;
	}
	if (info.req_resp != want_type) {
		fprintf(stderr, "rpmb-client: %s: response type 0x%04x, want 0x%04x\n", what,
			info.req_resp, want_type);
		return EXIT_RESULT;
	}
	if (nonce && memcmp(f[n - 1].nonce, nonce, RPMB_NONCE_SIZE) != 0) {
		fprintf(stderr, "rpmb-client: %s: nonce not echoed\n", what);
		return EXIT_RESULT;
	}
	if (have_key && want_type != RPMB_RESP_PROGRAM_KEY && !rpmb_verify_frames(key, f, n)) {
		fprintf(stderr, "rpmb-client: %s: response MAC does not verify\n", what);
		return EXIT_RESULT;
	}
	return 0;
}

static void random_nonce(uint8_t nonce[RPMB_NONCE_SIZE])
{
	if (getrandom(nonce, RPMB_NONCE_SIZE, 0) != RPMB_NONCE_SIZE)
		for (size_t i = 0; i < RPMB_NONCE_SIZE; i++)
			nonce[i] = (uint8_t)g_random_int();
}

/* ---- operations ----------------------------------------------------------------------- */

static int op_read_counter(uint32_t *ret_counter)
{
	struct rpmb_frame req;
	g_autofree struct rpmb_frame *rsp = NULL;
	uint8_t nonce[RPMB_NONCE_SIZE];
	struct mmc_seq s;

	random_nonce(nonce);
	rpmb_frame_init(&req, RPMB_REQ_WRITE_COUNTER, 0, 0, 0, nonce);
	mmc_seq_init(&s, 0);
	mmc_seq_write(&s, &req, 1, false);
	mmc_seq_read(&s, 1);
	if (seq_run(&s, 1, &rsp) < 0)
		return EXIT_IPC;
	int r = check_response(rsp, 1, RPMB_RESP_WRITE_COUNTER, nonce, "read counter");
	if (r)
		return r;
	*ret_counter = get_be32(rsp->write_counter);
	return 0;
}

/* Write-type request + RESULT_READ + CMD18, in one sequence. */
static int write_with_result(const struct rpmb_frame *f, uint16_t n, uint16_t want_type,
			     struct rpmb_frame *ret_result)
{
	struct rpmb_frame rr;
	g_autofree struct rpmb_frame *rsp = NULL;
	struct mmc_seq s;

	rpmb_frame_init(&rr, RPMB_REQ_RESULT_READ, 0, 0, 0, NULL);
	mmc_seq_init(&s, 0);
	mmc_seq_write(&s, f, n, true);
	mmc_seq_write(&s, &rr, 1, false);
	mmc_seq_read(&s, 1);
	if (seq_run(&s, 1, &rsp) < 0)
		return EXIT_IPC;
	*ret_result = rsp[0];
	return check_response(rsp, 1, want_type, NULL,
			      want_type == RPMB_RESP_PROGRAM_KEY ? "program key" : "write");
}

static int op_write_key(void)
{
	struct rpmb_frame f, result;

	rpmb_frame_init(&f, RPMB_REQ_PROGRAM_KEY, 0, 0, 0, NULL);
	memcpy(f.key_mac, key, RPMB_KEY_SIZE);
	return write_with_result(&f, 1, RPMB_RESP_PROGRAM_KEY, &result);
}

/* Write n blocks at address with counter `counter`; checks the counter advanced by one. */
static int op_write(uint16_t address, const uint8_t *data, uint16_t n, uint32_t counter)
{
	g_autofree struct rpmb_frame *f = g_new0(struct rpmb_frame, n);
	struct rpmb_frame result;

	for (uint16_t i = 0; i < n; i++) {
		rpmb_frame_init(&f[i], RPMB_REQ_DATA_WRITE, address, n, counter, NULL);
		memcpy(f[i].data, data + (size_t)i * RPMB_DATA_SIZE, RPMB_DATA_SIZE);
	}
	if (rpmb_sign_frames(key, f, n) < 0)
		return EXIT_IPC;
	int r = write_with_result(f, n, RPMB_RESP_DATA_WRITE, &result);
	if (r)
		return r;
	struct rpmb_frame_info info;
	rpmb_frame_get_info(&result, &info);
	if (info.write_counter != counter + 1 || info.address != address) {
		fprintf(stderr, "rpmb-client: write result counter %u address %u, want %u / %u\n",
			info.write_counter, info.address, counter + 1, address);
		return EXIT_RESULT;
	}
	return 0;
}

static int op_read(uint16_t address, uint16_t n, uint8_t *ret_data)
{
	struct rpmb_frame req;
	g_autofree struct rpmb_frame *rsp = NULL;
	uint8_t nonce[RPMB_NONCE_SIZE];
	struct mmc_seq s;

	random_nonce(nonce);
	rpmb_frame_init(&req, RPMB_REQ_DATA_READ, address, 0, 0, nonce);
	mmc_seq_init(&s, 0);
	mmc_seq_write(&s, &req, 1, false);
	mmc_seq_read(&s, n);
	if (seq_run(&s, n, &rsp) < 0)
		return EXIT_IPC;
	int r = check_response(rsp, n, RPMB_RESP_DATA_READ, nonce, "read");
	if (r)
		return r;
	for (uint16_t i = 0; i < n; i++)
		memcpy(ret_data + (size_t)i * RPMB_DATA_SIZE, rsp[i].data, RPMB_DATA_SIZE);
	return 0;
}

/* ---- the stream used by the kill -9 test ----------------------------------------------- */

static void stream_pattern(uint32_t i, uint8_t out[RPMB_DATA_SIZE])
{
	char line[32];
	int len = snprintf(line, sizeof(line), "write %08x\n", i);
	for (size_t j = 0; j < RPMB_DATA_SIZE; j++)
		out[j] = (uint8_t)line[j % (size_t)len];
}

static int cmd_write_stream(uint32_t nblocks, uint64_t max)
{
	uint32_t counter;
	uint8_t data[RPMB_DATA_SIZE];
	int r = op_read_counter(&counter);

	if (r)
		return r;
	for (uint64_t done = 0; max == 0 || done < max; done++) {
		stream_pattern(counter, data);
		r = op_write((uint16_t)(counter % nblocks), data, 1, counter);
		if (r)
			return r;
		/* Acknowledged only now that the OK result frame has arrived. */
		printf("ACK %u\n", counter);
		fflush(stdout);
		counter++;
	}
	return 0;
}

static int cmd_verify_stream(uint32_t nblocks)
{
	uint32_t counter;
	g_autofree uint8_t *data = g_malloc((size_t)nblocks * RPMB_DATA_SIZE);
	uint8_t want[RPMB_DATA_SIZE];
	int r = op_read_counter(&counter);

	if (r)
		return r;
	for (uint32_t a = 0; a < nblocks; a += READ_CHUNK) {
		uint16_t n = (uint16_t)MIN(READ_CHUNK, nblocks - a);
		r = op_read((uint16_t)a, n, data + (size_t)a * RPMB_DATA_SIZE);
		if (r)
			return r;
	}
	for (uint32_t a = 0; a < nblocks; a++) {
		/* The last write i < counter with i % nblocks == a, if any. */
		memset(want, 0, sizeof(want));
		if (counter > a)
			stream_pattern(a + (counter - 1 - a) / nblocks * nblocks, want);
		if (memcmp(data + (size_t)a * RPMB_DATA_SIZE, want, sizeof(want)) != 0) {
			fprintf(stderr, "rpmb-client: block %u does not hold the last of %u writes\n",
				a, counter);
			return EXIT_RESULT;
		}
	}
	printf("verified %u writes over %u blocks\n", counter, nblocks);
	return 0;
}

/* ---- command line ----------------------------------------------------------------------- */

static bool parse_u32(const char *s, uint32_t max, uint32_t *ret)
{
	char *end = NULL;
	errno = 0;
	guint64 v = g_ascii_strtoull(s, &end, 0);
	if (errno || end == s || *end || v > max)
		return false;
	*ret = (uint32_t)v;
	return true;
}

static void print_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static const char summary[] =
	"Commands:\n"
	"  info                      CID, RPMB_SIZE_MULT, REL_WR_SEC_C\n"
	"  write-key                 program --key (one-time)\n"
	"  read-counter              print the write counter (MAC checked with --key)\n"
	"  write-block ADDR DATA     one authenticated write at ADDR; DATA is hex or @FILE (raw),\n"
	"                            zero-padded to whole 256-byte blocks (one or more)\n"
	"  read-block ADDR [COUNT]   print COUNT blocks as hex, one line each (--out FILE: raw)\n"
	"  write-stream NBLOCKS [N]  writes i = counter, counter+1, ...: block i % NBLOCKS gets a\n"
	"                            pattern of i; prints \"ACK i\" after each OK result\n"
	"  verify-stream NBLOCKS     check blocks 0..NBLOCKS-1 against the stream and counter\n"
	"Exit status: 0 ok, 1 device result not OK / check failed, 2 usage, 3 socket error.";

int main(int argc, char **argv)
{
	g_autofree char *opt_out = NULL;
	const GOptionEntry entries[] = {
		{ "socket", 's', 0, G_OPTION_ARG_FILENAME, &opt_socket,
		  "rpmbd socket (default ./rpmb.sock)", "PATH" },
		{ "key", 'k', 0, G_OPTION_ARG_STRING, &opt_key_hex,
		  "authentication key, 64 hex digits", "HEX" },
		{ "out", 'o', 0, G_OPTION_ARG_FILENAME, &opt_out, "read-block: write raw data here",
		  "FILE" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("COMMAND [ARGS] - talk to rpmbd");
	g_autoptr(GError) error = NULL;
	int r;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx, summary);
	if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc < 2) {
		fprintf(stderr, "rpmb-client: %s (see --help)\n",
			error ? error->message : "no command");
		return EXIT_USAGE;
	}
	if (opt_key_hex) {
		g_autoptr(GByteArray) k = NULL;
		if (hex_decode(opt_key_hex, &k) < 0 || k->len != RPMB_KEY_SIZE) {
			fprintf(stderr, "rpmb-client: --key wants 64 hex digits\n");
			return EXIT_USAGE;
		}
		memcpy(key, k->data, RPMB_KEY_SIZE);
		have_key = true;
	}
	const char *cmd = argv[1];
	bool needs_key = !strcmp(cmd, "write-key") || !strcmp(cmd, "write-block") ||
			 !strcmp(cmd, "write-stream");
	if (needs_key && !have_key) {
		fprintf(stderr, "rpmb-client: %s needs --key\n", cmd);
		return EXIT_USAGE;
	}
	r = emu_ipc_connect(opt_socket ? opt_socket : "./rpmb.sock", &sock);
	if (r < 0) {
		fprintf(stderr, "rpmb-client: cannot connect: %s\n", g_strerror(-r));
		return EXIT_IPC;
	}

	uint32_t a = 0, n = 1, counter;
	if (!strcmp(cmd, "info") && argc == 2) {
		g_autoptr(emu_msg) reply = NULL;
		struct emu_mmc_info info;
		r = emu_ipc_call(sock, &next_id, TIMEOUT_MS, EMU_MSG_MMC_INFO_REQ, NULL, 0, -1,
				 EMU_MSG_MMC_INFO_RSP, &reply, NULL);
		if (r < 0 || reply->hdr.length != sizeof(info))
			return EXIT_IPC;
		memcpy(&info, reply->payload, sizeof(info));
		printf("cid ");
		print_hex(info.cid, sizeof(info.cid));
		printf("rpmb_size_mult %u\nrel_wr_sec_c %u\n", info.rpmb_size_mult, info.rel_wr_sec_c);
		return 0;
	}
	if (!strcmp(cmd, "write-key") && argc == 2)
		return op_write_key();
	if (!strcmp(cmd, "read-counter") && argc == 2) {
		r = op_read_counter(&counter);
		if (r == 0)
			printf("%u\n", counter);
		return r;
	}
	if (!strcmp(cmd, "write-block") && argc == 4 && parse_u32(argv[2], 0xffff, &a)) {
		g_autoptr(GByteArray) data = NULL;
		if (argv[3][0] == '@') {
			data = g_byte_array_new();
			g_autofree char *contents = NULL;
			gsize len;
			if (!g_file_get_contents(argv[3] + 1, &contents, &len, &error)) {
				fprintf(stderr, "rpmb-client: %s\n", error->message);
				return EXIT_USAGE;
			}
			g_byte_array_append(data, (const uint8_t *)contents, (guint)len);
		} else if (hex_decode(argv[3], &data) < 0) {
			fprintf(stderr, "rpmb-client: DATA is not hex\n");
			return EXIT_USAGE;
		}
		guint blocks = MAX(1u, (data->len + RPMB_DATA_SIZE - 1) / RPMB_DATA_SIZE);
		if (blocks > RPMBD_CLIENT_MAX_BLOCKS) {
			fprintf(stderr, "rpmb-client: at most %u blocks per write\n",
				RPMBD_CLIENT_MAX_BLOCKS);
			return EXIT_USAGE;
		}
		guint used = data->len;
		g_byte_array_set_size(data, blocks * RPMB_DATA_SIZE);
		memset(data->data + used, 0, data->len - used);
		r = op_read_counter(&counter);
		if (r == 0)
			r = op_write((uint16_t)a, data->data, (uint16_t)blocks, counter);
		if (r == 0)
			printf("ok counter %u\n", counter + 1);
		return r;
	}
	if (!strcmp(cmd, "read-block") && (argc == 3 || argc == 4) &&
	    parse_u32(argv[2], 0xffff, &a) && (argc == 3 || parse_u32(argv[3], 256, &n)) && n) {
		g_autofree uint8_t *data = g_malloc((size_t)n * RPMB_DATA_SIZE);
		r = op_read((uint16_t)a, (uint16_t)n, data);
		if (r)
			return r;
		if (opt_out) {
			if (!g_file_set_contents(opt_out, (const char *)data, (gssize)n * RPMB_DATA_SIZE,
						 &error)) {
				fprintf(stderr, "rpmb-client: %s\n", error->message);
				return EXIT_USAGE;
			}
			return 0;
		}
		for (uint32_t i = 0; i < n; i++)
			print_hex(data + (size_t)i * RPMB_DATA_SIZE, RPMB_DATA_SIZE);
		return 0;
	}
	uint32_t max = 0;
	if (!strcmp(cmd, "write-stream") && (argc == 3 || argc == 4) &&
	    parse_u32(argv[2], 65536, &n) && n && (argc == 3 || parse_u32(argv[3], UINT32_MAX, &max)))
		return cmd_write_stream(n, max);
	if (!strcmp(cmd, "verify-stream") && argc == 3 && parse_u32(argv[2], 65536, &n) && n)
		return cmd_verify_stream(n);
	fprintf(stderr, "rpmb-client: bad command line (see --help)\n");
	return EXIT_USAGE;
}
