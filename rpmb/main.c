/* SPDX-License-Identifier: MIT */
/* rpmbd: the eMMC RPMB device of stmm-emu, a foreground daemon serving the mmc socket. */
#include <errno.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gone_watch.h"
#include "device.h"
#include "efi_util.h"
#include "fault.h"
#include "fault_plan.h"
#include "ipc.h"
#include "optee_rpmb.h"
#include "partition.h"
#include "crypto_init.h"
#include "ready.h"
#include "server.h"
#include "storage.h"
#include "trace.h"
#include "userarea.h"
#include "version.h"

static const char description[] =
	"rpmbd plays the eMMC device: its RPMB partition (one-time authentication key, write\n"
	"counter, 256-byte blocks; HMAC-SHA256 on requests and responses, JEDEC result codes in\n"
	"the JEDEC order of checks), persisted in an SQLite database (one transaction per\n"
	"authenticated write; a lock keeps a second rpmbd away from the same database).\n"
	"\n"
	"Socket protocol (include/emu_ipc.h, \"mmc socket\"; SOCK_SEQPACKET, one message per\n"
	"datagram, 16-byte header):\n"
	"  EMU_MSG_MMC_INFO_REQ  -> EMU_MSG_MMC_INFO_RSP: CID, RPMB_SIZE_MULT, REL_WR_SEC_C\n"
	"  EMU_MSG_MMC_SEQ_REQ   -> EMU_MSG_MMC_SEQ_RSP: one MMC_IOC_MULTI_CMD-like sequence of\n"
	"      CMD23 (count | bit 31 reliable write) followed by CMD25 (count x 512-byte frames)\n"
	"      or CMD18 (count frames read back), run atomically; the reply holds every CMD18's\n"
	"      frames.  A write is CMD23(N|1<<31) CMD25(N), CMD23(1) CMD25(RESULT_READ),\n"
	"      CMD23(1) CMD18(1); a read is CMD23(1) CMD25(request), CMD23(N) CMD18(N).\n"
	"  EMU_MSG_MMC_CMD_REQ   -> EMU_MSG_MMC_CMD_RSP: ONE command (CMD6 SWITCH of EXT_CSD[179],\n"
	"      CMD23, CMD17/18/24/25) as a host without MMC_IOC_MULTI_CMD sends it; the card has\n"
	"      a user data area (--user-blocks, table user_area of the same database) and the\n"
	"      RPMB partition, selected by EXT_CSD[179] bits 2:0.  A command between an RPMB\n"
	"      request and its CMD18 loses the prepared response (GENERAL_FAILURE).\n"
	"  Malformed input is answered with EMU_MSG_ERROR (errno and text) and changes nothing.\n"
	"  EMU_MSG_CTRL_FAULT_REQ / _CLEAR_REQ: arm / clear a run-time fault (power-cut,\n"
	"      drop-response, delay, result, corrupt at the Nth write/read/sequence from now;\n"
	"      see `stmm-emu fault --help`).  A power cut exits with status 75.\n"
	"\n"
	"--size-mult, --rel-wr-sec-c, --cid and --counter-start only apply when the database is\n"
	"created; an existing database keeps the device it describes.  --counter-start N (a test\n"
	"option, not listed above) creates the device with write counter N, e.g. 0xFFFFFFFE.\n"
	"The default --max-write-blocks is REL_WR_SEC_C x 2: REL_WR_SEC_C counts 512-byte\n"
	"sectors and each holds two 256-byte RPMB blocks.  The counter, once at\n"
	"0xFFFFFFFF, has expired: every result carries 0x80 and writes fail (WRITE_FAILURE|0x80).\n"
	"SIGTERM/SIGINT finish the request in flight and exit 0.";

struct options {
	char *db;
	char *socket;
	int size_mult;
	int rel_wr_sec_c;
	char *cid;
	int max_write_blocks;
	gint64 user_blocks;
	char *counter_start;
	gint64 fail_after_writes;
	gint64 lose_response_at_write;
	int ready_fd;
	gboolean verbose;
	char *trace; /* --trace */
	char *durability; /* --durability */
};
typedef struct options Options;

static void options_clear(struct options *o)
{
	g_free(o->db);
	g_free(o->socket);
	g_free(o->cid);
	g_free(o->counter_start);
	g_free(o->trace);
	g_free(o->durability);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Options, options_clear)

static int parse_options(int *argc, char ***argv, struct options *o, struct rpmb_store_create *c)
{
	gboolean version = FALSE;
	const GOptionEntry entries[] = {
		{ "db", 0, 0, G_OPTION_ARG_FILENAME, &o->db,
		  "SQLite database of the device (default ./rpmb.db; created if missing)", "PATH" },
		{ "socket", 0, 0, G_OPTION_ARG_FILENAME, &o->socket,
		  "Unix socket to listen on (default ./rpmb.sock; replaced if present)", "PATH" },
		{ "size-mult", 0, 0, G_OPTION_ARG_INT, &o->size_mult,
		  "RPMB size in 128 KiB units, 1-128 (EXT_CSD[168]; new database only; default 2)",
		  "N" },
		{ "rel-wr-sec-c", 0, 0, G_OPTION_ARG_INT, &o->rel_wr_sec_c,
		  "Reliable write sector count, 1-255 (EXT_CSD[222]; new database only; default 1)",
		  "N" },
		{ "cid", 0, 0, G_OPTION_ARG_STRING, &o->cid,
		  "CID as 32 hex digits (new database only; default OP-TEE's RPMB_EMU test CID "
		  "fe014e4d4d4330344742c8f6552a6115)", "HEX32" },
		{ "max-write-blocks", 0, 0, G_OPTION_ARG_INT, &o->max_write_blocks,
		  "Most 256-byte blocks one authenticated write may carry, 1-256 (default "
		  "REL_WR_SEC_C x 2; larger writes get GENERAL_FAILURE)", "N" },
		{ "user-blocks", 0, 0, G_OPTION_ARG_INT64, &o->user_blocks,
		  "Size of the card's user data area in 512-byte blocks, 1-16777216 (default 2048; "
		  "its blocks live in the same database)", "N" },
		{ "counter-start", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &o->counter_start,
		  "Write counter of a new database (test option, e.g. 0xFFFFFFFE)", "N" },
		{ "fail-after-writes", 0, 0, G_OPTION_ARG_INT64, &o->fail_after_writes,
		  "Fault plan: commit N durable writes (counted from this start), then lose power at "
		  "the next one (it is not "
		  "committed; rpmbd exits with status 75 without answering)", "N" },
		{ "lose-response-at-write", 0, 0, G_OPTION_ARG_INT64, &o->lose_response_at_write,
		  "Fault plan: commit the N-th durable write since this start, then lose power before "
		  "answering it "
		  "(exit status 75)", "N" },
		{ "trace", 0, 0, G_OPTION_ARG_FILENAME, &o->trace,
		  "Append every message on the mmc socket to the trace FILE (include/emu_trace.h; "
		  "`stmm-emu trace` reads it)", "FILE" },
		{ "durability", 0, 0, G_OPTION_ARG_STRING, &o->durability,
		  "What an acknowledged write survives: full (default: on disk before the answer, "
		  "survives host power loss; SQLite synchronous=FULL) or process (survives kill -9 "
		  "of any daemon, not a host power loss; synchronous=NORMAL, WAL)", "full|process" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &o->verbose,
		  "Debug log, with hex dumps of every request and response", NULL },
		{ "ready-fd", 0, 0, G_OPTION_ARG_INT, &o->ready_fd,
		  "Write READY=1 and a newline to descriptor FD once listening, then close it "
		  "(how `stmm-emu up` waits)", "FD" },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- the eMMC RPMB device of stmm-emu");
	g_autoptr(GError) error = NULL;
	static const uint8_t default_cid[16] = RPMB_EMU_DEFAULT_CID;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx, description);
	if (!g_option_context_parse(ctx, argc, argv, &error)) {
		g_printerr("rpmbd: %s\n", error->message);
		return -EINVAL;
	}
	if (version) {
		fputs(STMM_EMU_VERSION_LINE("rpmbd"), stdout);
		exit(0); /* answered here, as GOption answers --help */
	}
	if (*argc > 1) {
		g_printerr("rpmbd: unexpected argument '%s' (see --help)\n", (*argv)[1]);
		return -EINVAL;
	}
	if (emu_ready_fd_check(o->ready_fd) < 0) {
		g_printerr("rpmbd: --ready-fd %d is not an open descriptor\n", o->ready_fd);
		return -EINVAL;
	}
	/* -1 = not given. */
	if ((o->size_mult != -1 && (o->size_mult < 1 || o->size_mult > (int)RPMB_SIZE_MULT_MAX)) ||
	    (o->rel_wr_sec_c != -1 && (o->rel_wr_sec_c < 1 || o->rel_wr_sec_c > 255)) ||
	    (o->max_write_blocks != -1 &&
	     (o->max_write_blocks < 1 || o->max_write_blocks > (int)RPMBD_WRITE_BLOCKS_LIMIT))) {
		g_printerr("rpmbd: --size-mult must be 1-128, --rel-wr-sec-c 1-255, "
			   "--max-write-blocks 1-%u\n", RPMBD_WRITE_BLOCKS_LIMIT);
		return -EINVAL;
	}
	if (o->user_blocks != -1 && (o->user_blocks < 1 || o->user_blocks > RPMB_USERAREA_MAX_BLOCKS)) {
		g_printerr("rpmbd: --user-blocks must be 1-%u\n", RPMB_USERAREA_MAX_BLOCKS);
		return -EINVAL;
	}
	memcpy(c->cid, default_cid, sizeof(c->cid));
	if (o->cid) {
		g_autoptr(GByteArray) cid = NULL;
		bool ok = hex_decode(o->cid, &cid) == 0 && cid->len == sizeof(c->cid);
		if (ok)
			memcpy(c->cid, cid->data, sizeof(c->cid));
		else {
			g_printerr("rpmbd: --cid wants 32 hex digits, got '%s'\n", o->cid);
			return -EINVAL;
		}
	}
	c->size_mult = (uint8_t)(o->size_mult != -1 ? o->size_mult : 2);
	c->rel_wr_sec_c = (uint8_t)(o->rel_wr_sec_c != -1 ? o->rel_wr_sec_c : 1);
	if (o->counter_start) {
		guint64 v;
		char *end = NULL;
		errno = 0;
		v = g_ascii_strtoull(o->counter_start, &end, 0);
		if (errno || !end || *end || end == o->counter_start || v > RPMB_WRITE_COUNTER_MAX) {
			g_printerr("rpmbd: --counter-start wants 0..0xFFFFFFFF, got '%s'\n",
				   o->counter_start);
			return -EINVAL;
		}
		c->counter_start = (uint32_t)v;
	}
	return 0;
}

/* The device of an existing database wins over creation options; say so if they differ. */
static void warn_ignored_options(const struct options *o, const struct rpmb_store_create *c,
				 const struct rpmb_device *dev, const char *db)
{
	struct emu_mmc_info info;

	rpmb_device_get_info(dev, &info);
	if ((o->size_mult != -1 && info.rpmb_size_mult != o->size_mult) ||
	    (o->rel_wr_sec_c != -1 && info.rel_wr_sec_c != o->rel_wr_sec_c) ||
	    (o->cid && memcmp(info.cid, c->cid, sizeof(info.cid)) != 0))
		g_warning("%s already describes a device (size-mult %u, rel-wr-sec-c %u): "
			  "--size-mult/--rel-wr-sec-c/--cid ignored",
			  db, info.rpmb_size_mult, info.rel_wr_sec_c);
}

static gboolean on_signal(gpointer loop)
{
	g_message("signal received, stopping");
	g_main_loop_quit(loop);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	g_auto(Options) o = { .size_mult = -1, .rel_wr_sec_c = -1, .max_write_blocks = -1,
			      .user_blocks = -1,
			      .fail_after_writes = -1, .lose_response_at_write = -1,
			      .ready_fd = -1 };
	struct rpmb_store_create create = { 0 };
	g_autofree char *error = NULL;
	g_autoptr(rpmb_store) store = NULL;
	g_autoptr(rpmb_device) dev = NULL;
	g_autoptr(rpmb_server) srv = NULL;
	g_autoptr(rpmb_userarea) ua = NULL;
	g_autoptr(mmc_card) card = NULL;
	int fd = -1, r;
	bool key_set;
	uint32_t counter;

	/* Options. */
	if (parse_options(&argc, &argv, &o, &create) < 0)
		return 2;
	if (emu_crypto_init(EMU_CRYPTO_HMAC_SHA256) < 0) {
		g_printerr("rpmbd: OpenSSL initialisation failed\n");
		return EXIT_FAILURE;
	}
	/* Logging. */
	g_log_writer_default_set_use_stderr(TRUE); /* stdout stays free; the log is stderr */
	if (o.verbose)
		g_log_set_debug_enabled(TRUE);
	if (o.trace && (r = emu_trace_open(o.trace, EMU_TRACE_ROLE_RPMBD)) < 0) {
		g_printerr("rpmbd: --trace %s: %s\n", o.trace, g_strerror(-r));
		return 2;
	}
	const char *db = o.db ? o.db : "./rpmb.db";
	const char *sock = o.socket ? o.socket : "./rpmb.sock";

	/* Storage: the SQLite store, the fault plan around it, the device on top. */
	enum rpmb_durability durability = RPMB_DURABILITY_FULL;
	if (o.durability && rpmb_durability_from_name(o.durability, &durability) < 0) {
		g_printerr("rpmbd: --durability %s: want full or process\n", o.durability);
		return 2;
	}
	r = rpmb_store_open_sqlite(db, &create, &store, &error);
	if (r < 0) {
		g_printerr("rpmbd: %s\n", error ? error : g_strerror(-r));
		return 1;
	}
	r = rpmb_store_sqlite_set_durability(store, durability);
	if (r < 0) {
		g_printerr("rpmbd: --durability %s: %s\n", o.durability, g_strerror(-r));
		return 1;
	}
	struct rpmb_fault_plan plan = { .fail_after_writes = o.fail_after_writes,
					.lose_response_at_write = o.lose_response_at_write };
	r = rpmb_store_fault_wrap(g_steal_pointer(&store), &plan, &store);
	if (r < 0) {
		g_printerr("rpmbd: cannot apply the fault plan: %s\n", g_strerror(-r));
		return 1;
	}
	r = rpmb_device_new(store, o.max_write_blocks == -1 ? 0 : (unsigned)o.max_write_blocks,
			    &dev);
	if (r < 0) {
		g_printerr("rpmbd: cannot start the device from %s: %s\n", db, g_strerror(-r));
		return 1;
	}
	rpmb_fault_set_store(store); /* run-time faults (`stmm-emu fault rpmbd`) MAC with its key */
	/* The card around it: user data area and partition selection. */
	r = rpmb_userarea_open(db, o.user_blocks == -1 ? RPMB_USERAREA_DEFAULT_BLOCKS
						       : (uint32_t)o.user_blocks, &ua, &error);
	if (r < 0) {
		g_printerr("rpmbd: user data area: %s\n", error ? error : g_strerror(-r));
		return 1;
	}
	card = mmc_card_new(dev, ua);
	/* Socket. */
	r = emu_ipc_listen(sock, &fd);
	if (r < 0) {
		g_printerr("rpmbd: cannot listen on %s: %s\n", sock, g_strerror(-r));
		return 1;
	}
	r = rpmb_server_new(dev, fd, &srv);
	if (r < 0) {
		close(fd);
		g_printerr("rpmbd: cannot serve %s: %s\n", sock, g_strerror(-r));
		return 1;
	}
	rpmb_server_set_card(srv, card);

	/* Signals. */
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	signal(SIGPIPE, SIG_IGN);
	guint sigterm = g_unix_signal_add(SIGTERM, on_signal, loop);
	guint sigint = g_unix_signal_add(SIGINT, on_signal, loop);
	bool sock_gone = false;
	guint gone = emu_gone_watch_add(sock, loop, &sock_gone); /* rm -rf of the state directory */

	/* Readiness. */
	warn_ignored_options(&o, &create, dev, db);
	rpmb_device_get_state(dev, &key_set, &counter);
	g_message("ready on %s: db %s, %u blocks, max write %u blocks, key %s, counter %u", sock,
		  db, rpmb_device_total_blocks(dev), rpmb_device_max_write_blocks(dev),
		  key_set ? "programmed" : "not programmed", counter);
	if ((r = emu_ready_notify(o.ready_fd)) < 0)
		g_warning("--ready-fd %d: %s", o.ready_fd, g_strerror(-r));
	/* Loop, then teardown in reverse. */
	g_main_loop_run(loop);
	if (sock_gone)
		g_message(EMU_GONE_WATCH_LOG, sock);
	else
		g_source_remove(gone);
	g_source_remove(sigint);
	g_source_remove(sigterm);
	g_clear_pointer(&srv, rpmb_server_free);
	(void)unlink(sock);
	return 0;
}
