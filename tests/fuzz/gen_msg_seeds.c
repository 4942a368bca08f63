/* SPDX-License-Identifier: MIT */
/*
 * gen_msg_seeds: write the hand-built seed corpora of the dispatch harnesses
 * (fuzz_rpmbd_msg, fuzz_stmmd_msg, fuzz_supp_msg; input format tests/fuzz/fuzz_msgseq.h)
 * into OUTDIR/<harness>/, one input per file named by the SHA-1 of its content.  Each seed
 * is a short conversation as the daemon's peers hold it: messages built from the structs of
 * include/, RPMB sequences by lib/mmc_seq.c (as supplicantd sends them).  Run by
 * tests/fuzz/gen-seeds.sh (make fuzz-seeds).
 *   gen_msg_seeds OUTDIR
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "bytes.h"
#include "emu_ipc.h"
#include "ffa.h"
#include "mmc_seq.h"
#include "optee_rpmb.h"
#include "pta_stmm.h"
#include "rpmb_frame.h"

static const char *outdir;
static unsigned written;
static uint32_t next_req;

/* One seed under construction: records of u8 peer ‖ emu_msg_hdr ‖ payload. */
static GByteArray *cur;

static void begin(void)
{
	cur = g_byte_array_new();
	next_req = 1;
}

static void msg(uint8_t peer, uint16_t type, const void *payload, size_t len)
{
	struct emu_msg_hdr h = { .magic = EMU_MSG_MAGIC, .version = EMU_MSG_VERSION, .type = type,
				 .req_id = next_req++, .length = (uint32_t)len };
	g_byte_array_append(cur, &peer, 1);
	g_byte_array_append(cur, (const uint8_t *)&h, sizeof(h));
	if (len)
		g_byte_array_append(cur, payload, (guint)len);
}

static void end(const char *harness)
{
	g_autofree char *dir = g_build_filename(outdir, harness, NULL);
	g_autofree char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA1, cur->data, cur->len);
	g_autofree char *path = g_build_filename(dir, sum, NULL);
	g_autoptr(GError) err = NULL;

	if (g_mkdir_with_parents(dir, 0755) < 0 ||
	    !g_file_set_contents(path, (const char *)cur->data, cur->len, &err)) {
		fprintf(stderr, "gen_msg_seeds: %s: %s\n", path, err ? err->message : g_strerror(errno));
		exit(1);
	}
	g_byte_array_unref(cur);
	cur = NULL;
	written++;
}

static void fault(uint8_t peer, uint16_t trigger, uint16_t action, uint32_t count,
		  uint32_t repeat, uint32_t rpc_cmd, uint32_t value, uint32_t value2)
{
	struct emu_ctrl_fault f = { .trigger = trigger, .action = action, .count = count,
				    .repeat = repeat, .rpc_cmd = rpc_cmd, .value = value,
				    .value2 = value2 };
	msg(peer, EMU_MSG_CTRL_FAULT_REQ, &f, sizeof(f));
}

/* ---- rpmbd ---------------------------------------------------------------------------- */

enum seq_kind { SEQ_COUNTER, SEQ_KEY, SEQ_WRITE, SEQ_READ, SEQ_RESULT };

static GByteArray *rpmb_seq(enum seq_kind k)
{
	struct rpmb_frame f[2];
	struct rpmb_frame rr = { 0 };
	struct mmc_seq s;

	memset(f, 0, sizeof(f));
	put_be16(rr.req_resp, RPMB_REQ_RESULT_READ);
	mmc_seq_init(&s, 0);
	switch (k) {
	case SEQ_COUNTER:
		put_be16(f[0].req_resp, RPMB_REQ_WRITE_COUNTER);
		memcpy(f[0].nonce, "fuzz-nonce-0123", 16);
		mmc_seq_write(&s, f, 1, false);
		mmc_seq_read(&s, 1);
		break;
	case SEQ_KEY:
		put_be16(f[0].req_resp, RPMB_REQ_PROGRAM_KEY);
		memcpy(f[0].key_mac, "stmm-emu fuzz RPMB key 32 bytes", 32);
		mmc_seq_write(&s, f, 1, true);
		mmc_seq_write(&s, &rr, 1, false);
		mmc_seq_read(&s, 1);
		break;
	case SEQ_WRITE: /* unMACed: the device answers AUTH_FAILURE */
		for (int i = 0; i < 2; i++) {
			put_be16(f[i].req_resp, RPMB_REQ_DATA_WRITE);
			put_be16(f[i].address, 4);
			put_be16(f[i].block_count, 2);
			memset(f[i].data, 0x41 + i, sizeof(f[i].data));
		}
		mmc_seq_write(&s, f, 2, true);
		mmc_seq_write(&s, &rr, 1, false);
		mmc_seq_read(&s, 1);
		break;
	case SEQ_READ:
		put_be16(f[0].req_resp, RPMB_REQ_DATA_READ);
		put_be16(f[0].block_count, 2);
		memcpy(f[0].nonce, "fuzz-nonce-4567", 16);
		mmc_seq_write(&s, f, 1, false);
		mmc_seq_read(&s, 2);
		break;
	case SEQ_RESULT:
		mmc_seq_write(&s, &rr, 1, false);
		mmc_seq_read(&s, 1);
		break;
	}
	return mmc_seq_finish(&s);
}

static void seq_msg(uint8_t peer, enum seq_kind k)
{
	GByteArray *p = rpmb_seq(k);
	msg(peer, EMU_MSG_MMC_SEQ_REQ, p->data, p->len);
	g_byte_array_unref(p);
}

static void single(uint8_t peer, uint32_t opcode, uint32_t arg, uint32_t blocks, uint16_t part,
		   uint16_t flags, uint32_t repeat, uint8_t fill)
{
	struct emu_mmc_single c = { .opcode = opcode, .arg = arg, .blocks = blocks, .part = part,
				    .flags = flags, .repeat = repeat };
	bool write = opcode == MMC_WRITE_BLOCK || opcode == MMC_WRITE_MULTIPLE_BLOCK;
	size_t data = write ? (size_t)blocks * 512 : 0;
	g_autofree uint8_t *b = g_malloc(sizeof(c) + data);

	memcpy(b, &c, sizeof(c));
	memset(b + sizeof(c), fill, data);
	if (write && part == EMU_MMC_PART_RPMB && data) {
		/* an RPMB request frame: the write counter read */
		memset(b + sizeof(c), 0, data);
		put_be16(b + sizeof(c) + offsetof(struct rpmb_frame, req_resp), RPMB_REQ_WRITE_COUNTER);
	}
	msg(peer, EMU_MSG_MMC_CMD_REQ, b, sizeof(c) + data);
}

static void rpmbd_seeds(void)
{
	const uint32_t to_rpmb = EMU_MMC_SWITCH_ARG(EXT_CSD_PART_CONFIG, EMU_MMC_PART_RPMB);
	const uint32_t to_user = EMU_MMC_SWITCH_ARG(EXT_CSD_PART_CONFIG, EMU_MMC_PART_USER);

	begin(); /* info, then every sequence kind */
	msg(0, EMU_MSG_MMC_INFO_REQ, NULL, 0);
	end("rpmbd_msg");
	for (enum seq_kind k = SEQ_COUNTER; k <= SEQ_RESULT; k++) {
		begin();
		seq_msg(0, k);
		end("rpmbd_msg");
		begin(); /* the same on a keyed device */
		seq_msg(0x80, k);
		end("rpmbd_msg");
	}
	begin(); /* key, counter, read, result on one device */
	seq_msg(0, SEQ_KEY);
	seq_msg(1, SEQ_COUNTER);
	seq_msg(0, SEQ_READ);
	seq_msg(1, SEQ_WRITE);
	end("rpmbd_msg");

	/* single commands on the user area */
	begin();
	single(0, MMC_WRITE_BLOCK, 3, 1, EMU_MMC_PART_USER, 0, 0, 0x5a);
	single(0, MMC_READ_SINGLE_BLOCK, 3, 1, EMU_MMC_PART_USER, 0, 0, 0);
	end("rpmbd_msg");
	begin();
	single(0, MMC_SET_BLOCK_COUNT, 2, 0, EMU_MMC_PART_USER, 0, 0, 0);
	single(0, MMC_WRITE_MULTIPLE_BLOCK, 8, 2, EMU_MMC_PART_USER, 0, 0, 0xa5);
	single(1, MMC_READ_MULTIPLE_BLOCK, 8, 2, EMU_MMC_PART_USER, 0, 0, 0);
	end("rpmbd_msg");
	begin(); /* beyond the area: OUT_OF_RANGE */
	single(0, MMC_READ_MULTIPLE_BLOCK, 63, 2, EMU_MMC_PART_USER, 0, 0, 0);
	single(0, MMC_WRITE_BLOCK, 64, 1, EMU_MMC_PART_KEEP, 0, 0, 1);
	end("rpmbd_msg");
	/* CMD6 by hand, then RPMB by single commands */
	begin();
	single(0, MMC_SWITCH, to_rpmb, 0, EMU_MMC_PART_KEEP, 0, 0, 0);
	single(0, MMC_SET_BLOCK_COUNT, 1, 0, EMU_MMC_PART_KEEP, 0, 0, 0);
	single(0, MMC_WRITE_MULTIPLE_BLOCK, 0, 1, EMU_MMC_PART_RPMB, 0, 0, 0);
	single(0, MMC_SET_BLOCK_COUNT, 1, 0, EMU_MMC_PART_KEEP, 0, 0, 0);
	single(0, MMC_READ_MULTIPLE_BLOCK, 0, 1, EMU_MMC_PART_KEEP, 0, 0, 0);
	single(0, MMC_READ_SINGLE_BLOCK, 0, 1, EMU_MMC_PART_KEEP, 0, 0, 0);
	single(0, MMC_WRITE_BLOCK, 0, 1, EMU_MMC_PART_KEEP, 0, 0, 7);
	single(0, MMC_SWITCH, to_user, 0, EMU_MMC_PART_KEEP, 0, 0, 0);
	end("rpmbd_msg");
	begin(); /* a user-area read between the RPMB request and its response (S5) */
	single(0, MMC_WRITE_MULTIPLE_BLOCK, 0, 1, EMU_MMC_PART_RPMB, 0, 0, 0);
	single(1, MMC_READ_SINGLE_BLOCK, 1, 1, EMU_MMC_PART_USER, 0, 0, 0);
	single(0, MMC_READ_MULTIPLE_BLOCK, 0, 1, EMU_MMC_PART_RPMB, 0, 0, 0);
	end("rpmbd_msg");
	begin(); /* a bad switch: SWITCH_ERROR */
	single(0, MMC_SWITCH, EMU_MMC_SWITCH_ARG(EXT_CSD_PART_CONFIG, 1), 0, EMU_MMC_PART_KEEP, 0, 0, 0);
	single(0, MMC_SWITCH, EMU_MMC_SWITCH_ARG(33, 1), 0, EMU_MMC_PART_KEEP, 0, 0, 0);
	end("rpmbd_msg");
	/* commands queued behind the other client's RPMB requests */
	begin();
	single(1, MMC_READ_SINGLE_BLOCK, 2, 1, EMU_MMC_PART_USER, EMU_MMC_CMD_AFTER_RPMB_REQ, 0, 0);
	seq_msg(0, SEQ_COUNTER);
	end("rpmbd_msg");
	begin();
	single(1, MMC_WRITE_BLOCK, 2, 1, EMU_MMC_PART_USER,
	       EMU_MMC_CMD_AFTER_RPMB_REQ | EMU_MMC_CMD_AFTER_RPMB_WRITE, 2, 0x33);
	seq_msg(0, SEQ_COUNTER);
	seq_msg(0, SEQ_WRITE);
	single(0, MMC_WRITE_MULTIPLE_BLOCK, 0, 1, EMU_MMC_PART_RPMB, 0, 0, 0);
	seq_msg(0, SEQ_WRITE);
	end("rpmbd_msg");
	begin(); /* queued, then its owner leaves (a message that drops it) */
	single(1, MMC_READ_SINGLE_BLOCK, 2, 1, EMU_MMC_PART_USER, EMU_MMC_CMD_AFTER_RPMB_REQ, 3, 0);
	single(0, MMC_WRITE_MULTIPLE_BLOCK, 0, 1, EMU_MMC_PART_RPMB, 0, 0, 0);
	single(0, MMC_READ_MULTIPLE_BLOCK, 0, 1, EMU_MMC_PART_RPMB, 0, 0, 0);
	end("rpmbd_msg");
	/* run-time faults */
	static const uint16_t actions[] = { EMU_FAULT_DROP_RESPONSE, EMU_FAULT_RESULT,
					    EMU_FAULT_CORRUPT };
	static const uint16_t triggers[] = { EMU_FAULT_AT_RPMB_SEQ, EMU_FAULT_AT_RPMB_READ,
					     EMU_FAULT_AT_RPMB_WRITE };
	for (size_t a = 0; a < G_N_ELEMENTS(actions); a++)
		for (size_t t = 0; t < G_N_ELEMENTS(triggers); t++) {
			begin();
			fault(0x80, triggers[t], actions[a], 1, a == 1 ? 2 : 0, 0,
			      actions[a] == EMU_FAULT_RESULT ? RPMB_RESULT_GENERAL_FAILURE : 3, 0);
			seq_msg(1, t == 1 ? SEQ_READ : t == 2 ? SEQ_WRITE : SEQ_COUNTER);
			seq_msg(1, SEQ_READ);
			msg(0, EMU_MSG_CTRL_FAULT_CLEAR_REQ, NULL, 0);
			end("rpmbd_msg");
		}
	begin(); /* a fault on a single-command RPMB request, and too many faults */
	fault(0, EMU_FAULT_AT_RPMB_SEQ, EMU_FAULT_RESULT, 1, EMU_FAULT_REPEAT_FOREVER, 0, 1, 0);
	single(0, MMC_WRITE_MULTIPLE_BLOCK, 0, 1, EMU_MMC_PART_RPMB, 0, 0, 0);
	single(0, MMC_READ_MULTIPLE_BLOCK, 0, 1, EMU_MMC_PART_RPMB, 0, 0, 0);
	for (int i = 0; i < 17; i++)
		fault(1, EMU_FAULT_AT_RPMB_WRITE, EMU_FAULT_CORRUPT, 5, 0, 0, 0, 0);
	end("rpmbd_msg");
	begin(); /* what rpmbd does not serve */
	msg(0, EMU_MSG_CTRL_STATUS_REQ, NULL, 0);
	msg(1, EMU_MSG_TEE_OPEN_SESSION_REQ, "0123456789abcdef", 16);
	msg(0, EMU_MSG_MMC_INFO_REQ, "x", 1);
	msg(1, EMU_MSG_MMC_CMD_REQ, "short", 5);
	end("rpmbd_msg");
}

/* ---- stmmd ---------------------------------------------------------------------------- */

#define MEMFD(kib4) ((uint8_t)(0x80 | (((kib4) - 1) << 4))) /* peer bits: memfd of n x 4 KiB */

static void open_session(uint8_t peer, bool pta)
{
	struct emu_tee_open_session o = { .uuid = PTA_STMM_UUID_BYTES };
	if (!pta)
		o.uuid[15] ^= 1;
	msg(peer, EMU_MSG_TEE_OPEN_SESSION_REQ, &o, sizeof(o));
}

static void reg_shm(uint8_t peer, unsigned pages, uint64_t size)
{
	struct emu_tee_register_shm r = { .size = size };
	msg((uint8_t)(peer | MEMFD(pages)), EMU_MSG_TEE_REGISTER_SHM_REQ, &r, sizeof(r));
}

static void u32_msg(uint8_t peer, uint16_t type, uint32_t v)
{
	msg(peer, type, &v, sizeof(v));
}

static void invoke(uint8_t peer, uint32_t session, uint32_t cmd, uint32_t types, uint32_t shm,
		   uint64_t off, uint64_t size)
{
	struct emu_tee_invoke i = { .session = session, .cmd = cmd, .param_types = types };
	i.params[0].a = shm;
	i.params[0].b = off;
	i.params[0].c = size;
	msg(peer, EMU_MSG_TEE_INVOKE_REQ, &i, sizeof(i));
}

static void stmmd_seeds(void)
{
	const uint32_t comm = PTA_STMM_COMMUNICATE_PARAM_TYPES;

	begin(); /* the client's whole life: session, memory, an MM call, teardown */
	open_session(0, true);
	reg_shm(0, 4, 16384);
	invoke(0, 1, PTA_STMM_CMD_COMMUNICATE, comm, 1, 0, 4096);
	u32_msg(0, EMU_MSG_TEE_UNREGISTER_SHM_REQ, 1);
	u32_msg(0, EMU_MSG_TEE_CLOSE_SESSION_REQ, 1);
	end("stmmd_msg");
	begin(); /* two clients, each its session and memory */
	open_session(0, true);
	open_session(1, true);
	reg_shm(0, 1, 4096);
	reg_shm(1, 2, 8192);
	invoke(1, 2, PTA_STMM_CMD_COMMUNICATE, comm, 1, 4096, 4096);
	invoke(0, 2, PTA_STMM_CMD_COMMUNICATE, comm, 1, 0, 4096); /* not its session */
	invoke(0, 1, PTA_STMM_CMD_COMMUNICATE, comm, 1, 0, 0);
	msg(0, EMU_MSG_CTRL_STATUS_REQ, NULL, 0);
	end("stmmd_msg");
	begin(); /* PTA_STMM's checks */
	open_session(0, false);
	open_session(0, true);
	reg_shm(0, 8, 32768);
	invoke(0, 1, 1, comm, 1, 0, 4096);                        /* unknown command */
	invoke(0, 1, PTA_STMM_CMD_COMMUNICATE, 0x77, 1, 0, 4096); /* param types */
	invoke(0, 1, PTA_STMM_CMD_COMMUNICATE, comm, 1, 0, 32768); /* > ns_buf_size */
	invoke(0, 1, PTA_STMM_CMD_COMMUNICATE, comm, 1, 32000, 4096); /* outside the shm */
	invoke(0, 1, PTA_STMM_CMD_COMMUNICATE, comm, 2, 0, 16);        /* unknown shm */
	end("stmmd_msg");
	begin(); /* registration edge cases */
	reg_shm(0, 1, 8192);   /* larger than the memfd */
	reg_shm(0, 1, 0);
	msg(0, EMU_MSG_TEE_REGISTER_SHM_REQ, "\0\x10\0\0\0\0\0\0", 8); /* no fd */
	u32_msg(0, EMU_MSG_TEE_UNREGISTER_SHM_REQ, 7);
	u32_msg(0, EMU_MSG_TEE_CLOSE_SESSION_REQ, 9);
	msg(MEMFD(1), EMU_MSG_CTRL_STATUS_REQ, NULL, 0); /* an fd nobody takes */
	end("stmmd_msg");
	begin(); /* invokes queued past the in-flight limit */
	open_session(0, true);
	reg_shm(0, 1, 4096);
	for (int i = 0; i < 10; i++)
		invoke(0, 1, PTA_STMM_CMD_COMMUNICATE, comm, 1, 0, 64);
	end("stmmd_msg");
	begin(); /* the supplicant and the kernel RPMB handler register; stray RPC replies */
	msg(2, EMU_MSG_SUPP_REGISTER_REQ, NULL, 0);
	msg(1, EMU_MSG_SUPP_REGISTER_REQ, NULL, 0);
	msg(1, EMU_MSG_SUPP_REGISTER_RPMB_REQ, NULL, 0);
	msg(0, EMU_MSG_SUPP_REGISTER_RPMB_REQ, NULL, 0);
	struct emu_supp_rpc_rsp rr = { .ret = 0, .out_len = 4 };
	uint8_t rb[sizeof(rr) + 4] = { 0 };
	memcpy(rb, &rr, sizeof(rr));
	msg(2, EMU_MSG_SUPP_RPC_RSP, rb, sizeof(rb));
	msg(1, EMU_MSG_SUPP_RPC_RSP, rb, 3);
	msg(0, EMU_MSG_SUPP_RPC_RSP, rb, sizeof(rb));
	msg(0, EMU_MSG_CTRL_STATUS_REQ, NULL, 0);
	end("stmmd_msg");
	begin(); /* control: export chunks, reset */
	struct emu_ctrl_export_req x = { .max_length = 4096, .var_store_size = 8192,
					 .gap_size = 4096, .ftw_working_size = 4096,
					 .ftw_spare_size = 8192 };
	msg(2, EMU_MSG_CTRL_EXPORT_REQ, &x, sizeof(x));
	x.offset = 6000;
	msg(2, EMU_MSG_CTRL_EXPORT_REQ, &x, sizeof(x));
	x.max_length = 0;
	msg(2, EMU_MSG_CTRL_EXPORT_REQ, &x, sizeof(x));
	x.max_length = 16;
	x.var_store_size = 1u << 21;
	msg(2, EMU_MSG_CTRL_EXPORT_REQ, &x, sizeof(x));
	msg(2, EMU_MSG_CTRL_RESET_REQ, NULL, 0);
	msg(2, EMU_MSG_CTRL_RESET_REQ, "x", 1);
	end("stmmd_msg");
	begin(); /* a boot that fails (the stub's 0xbb), then a reset */
	open_session(0, true);
	reg_shm(0, 1, 4096);
	invoke(0, 1, PTA_STMM_CMD_COMMUNICATE, comm, 1, 0, 4096);
	msg(0, EMU_MSG_CTRL_RESET_REQ, NULL, 0);
	invoke(0, 1, PTA_STMM_CMD_COMMUNICATE, comm, 1, 0, 4096);
	end("stmmd_msg");
	begin(); /* run-time faults on MM calls */
	fault(2, EMU_FAULT_AT_MM_CALL, EMU_FAULT_STMM_TEE_ERROR, 1, 2, 0, 0xffff0000u, 0);
	open_session(0, true);
	reg_shm(0, 1, 4096);
	invoke(0, 1, PTA_STMM_CMD_COMMUNICATE, comm, 1, 0, 128);
	invoke(0, 1, PTA_STMM_CMD_COMMUNICATE, comm, 1, 0, 128);
	invoke(0, 1, PTA_STMM_CMD_COMMUNICATE, comm, 1, 0, 128);
	fault(2, EMU_FAULT_AT_RPMB_SEQ, EMU_FAULT_POWER_CUT, 1, 0, 0, 0, 0); /* not stmmd's */
	msg(2, EMU_MSG_CTRL_FAULT_CLEAR_REQ, NULL, 0);
	end("stmmd_msg");
	begin(); /* sizes and types stmmd refuses */
	msg(0, EMU_MSG_TEE_OPEN_SESSION_REQ, "short", 5);
	msg(0, EMU_MSG_TEE_INVOKE_REQ, "short", 5);
	msg(0, EMU_MSG_TEE_CLOSE_SESSION_REQ, NULL, 0);
	msg(0, EMU_MSG_SUPP_REGISTER_REQ, "x", 1);
	msg(0, EMU_MSG_CTRL_STATUS_REQ, "x", 1);
	msg(0, EMU_MSG_MMC_INFO_REQ, NULL, 0);
	msg(0, EMU_MSG_ERROR, NULL, 0);
	end("stmmd_msg");
}

static void ffa(uint8_t peer, uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3, uint64_t x4)
{
	struct ffa_regs r = { .x = { x0, x1, x2, x3, x4 } };
	msg(peer, EMU_MSG_FFA_REQ, &r, sizeof(r));
}

/* FF-A on the tee socket, as U-Boot's FF-A MM transport talks to the SPMC. */
static void stmmd_ffa_seeds(void)
{
	struct emu_ffa_mm_buf b = { .base = FFA_EMU_MM_BUF_ADDR, .size = 16384 };
	const uint64_t sp = FFA_ENDPOINTS(FFA_EMU_NS_ID, FFA_EMU_MM_SP_ID);

	begin(); /* discovery, the MM buffer, a door bell */
	ffa(0, FFA_VERSION, FFA_VERSION_1_0, 0, 0, 0);
	ffa(0, FFA_ID_GET, 0, 0, 0, 0);
	ffa(0, FFA_FEATURES, FFA_RXTX_MAP_64, 0, 0, 0);
	ffa(MEMFD(2), FFA_RXTX_MAP_64, 0x10000, 0x11000, 1, 0);
	ffa(0, FFA_PARTITION_INFO_GET, FFA_MM_SP_UUID_W1, FFA_MM_SP_UUID_W2, FFA_MM_SP_UUID_W3,
	    FFA_MM_SP_UUID_W4);
	ffa(0, FFA_RX_RELEASE, 0, 0, 0, 0);
	msg(MEMFD(4), EMU_MSG_FFA_MM_BUF_REQ, &b, sizeof(b));
	ffa(0, FFA_MSG_SEND_DIRECT_REQ_64, sp, 0, 0, 0);
	ffa(0, FFA_MSG_SEND_DIRECT_REQ_32, sp, 0, 0, 0);
	ffa(0, FFA_RXTX_UNMAP, 0, 0, 0, 0);
	end("stmmd_msg");
	begin(); /* what the SPMC refuses */
	ffa(0, FFA_MSG_SEND_DIRECT_REQ_64, FFA_ENDPOINTS(FFA_EMU_NS_ID, 0x1234), 0, 0, 0);
	ffa(0, FFA_MSG_SEND_DIRECT_REQ_64, sp, 0, 0, 0); /* no MM buffer yet */
	msg(0, EMU_MSG_FFA_MM_BUF_REQ, &b, sizeof(b));   /* no fd */
	msg(MEMFD(1), EMU_MSG_FFA_MM_BUF_REQ, &b, sizeof(b));
	msg(MEMFD(1), EMU_MSG_FFA_MM_BUF_REQ, &b, sizeof(b)); /* twice */
	ffa(0, FFA_RXTX_MAP_64, 0x10001, 0x11000, 1, 0); /* unaligned, no fd */
	ffa(0, 0x84000099u, 0, 0, 0, 0);
	msg(0, EMU_MSG_FFA_REQ, "short", 5);
	end("stmmd_msg");
}

/* ---- supplicantd ---------------------------------------------------------------------- */

static void rpc(uint8_t peer, uint32_t cmd, const void *in, uint32_t in_len, uint32_t out_len)
{
	struct emu_supp_rpc r = { .cmd = cmd, .in_len = in_len, .out_len = out_len };
	g_autofree uint8_t *b = g_malloc0(sizeof(r) + in_len);

	memcpy(b, &r, sizeof(r));
	if (in_len)
		memcpy(b + sizeof(r), in, in_len);
	msg(peer, EMU_MSG_SUPP_RPC_REQ, b, sizeof(r) + in_len);
}

static void rpmb_rpc(uint8_t peer, uint16_t cmd, uint16_t req_resp, uint32_t out_len)
{
	uint8_t b[RPMB_REQ_HEADER_SIZE + RPMB_FRAME_SIZE] = { 0 };
	struct rpmb_frame f = { 0 };

	put_le16(b, cmd);
	put_le16(b + 4, cmd == RPMB_CMD_DATA_REQ ? 1 : 0);
	put_be16(f.req_resp, req_resp);
	memcpy(b + RPMB_REQ_HEADER_SIZE, &f, sizeof(f));
	rpc(peer, OPTEE_RPC_CMD_RPMB, b, cmd == RPMB_CMD_DATA_REQ ? sizeof(b) : RPMB_REQ_HEADER_SIZE,
	    out_len);
}

static void supp_seeds(void)
{
	struct rpmb_frame f = { 0 };

	put_be16(f.req_resp, RPMB_REQ_WRITE_COUNTER);
	begin(); /* legacy RPMB RPCs on the supplicant's connection */
	rpmb_rpc(0, RPMB_CMD_GET_DEV_INFO, 0, sizeof(struct rpmb_dev_info));
	rpmb_rpc(0, RPMB_CMD_DATA_REQ, RPMB_REQ_WRITE_COUNTER, RPMB_FRAME_SIZE);
	rpmb_rpc(0, RPMB_CMD_DATA_REQ, RPMB_REQ_DATA_READ, 2 * RPMB_FRAME_SIZE);
	end("supp_msg");
	begin(); /* the kernel route: probe, then frames */
	rpc(1, OPTEE_RPC_CMD_RPMB_PROBE_RESET, NULL, 0, sizeof(struct emu_supp_rpc_value));
	rpc(1, OPTEE_RPC_CMD_RPMB_PROBE_NEXT, NULL, 0, sizeof(struct emu_supp_rpc_value) + 16);
	rpc(1, OPTEE_RPC_CMD_RPMB_PROBE_NEXT, NULL, 0, sizeof(struct emu_supp_rpc_value) + 16);
	rpc(1, OPTEE_RPC_CMD_RPMB_FRAMES, &f, sizeof(f), RPMB_FRAME_SIZE);
	end("supp_msg");
	begin(); /* each RPC on the other connection: NOT_SUPPORTED */
	rpc(0, OPTEE_RPC_CMD_RPMB_PROBE_RESET, NULL, 0, sizeof(struct emu_supp_rpc_value));
	rpc(0, OPTEE_RPC_CMD_RPMB_FRAMES, &f, sizeof(f), RPMB_FRAME_SIZE);
	rpmb_rpc(1, RPMB_CMD_DATA_REQ, RPMB_REQ_WRITE_COUNTER, RPMB_FRAME_SIZE);
	rpc(0, OPTEE_RPC_CMD_SHM_ALLOC, NULL, 0, 0);
	end("supp_msg");
	begin(); /* malformed RPCs and other messages from stmmd */
	rpc(0, OPTEE_RPC_CMD_RPMB, NULL, 0, 0xffffffffu);
	msg(0, EMU_MSG_SUPP_RPC_REQ, "short", 5);
	msg(0, EMU_MSG_ERROR, NULL, 0);
	msg(1, EMU_MSG_TEE_INVOKE_RSP, NULL, 0);
	end("supp_msg");
	/* faults, armed on the control socket, firing on the RPCs */
	static const uint16_t actions[] = { EMU_FAULT_SUPP_ERROR, EMU_FAULT_SUPP_DROP,
					    EMU_FAULT_SUPP_STALL };
	for (size_t a = 0; a < G_N_ELEMENTS(actions); a++) {
		begin();
		fault(2, EMU_FAULT_AT_RPC, actions[a], 1, 0, EMU_FAULT_ANY_RPC, 0xffff000c, 0);
		rpmb_rpc(0, RPMB_CMD_DATA_REQ, RPMB_REQ_WRITE_COUNTER, RPMB_FRAME_SIZE);
		rpmb_rpc(0, RPMB_CMD_DATA_REQ, RPMB_REQ_WRITE_COUNTER, RPMB_FRAME_SIZE);
		end("supp_msg");
		begin();
		fault(2, EMU_FAULT_AT_RPC, actions[a], 2, 2, OPTEE_RPC_CMD_RPMB_FRAMES, 0xffff0006, 0);
		rpc(1, OPTEE_RPC_CMD_RPMB_FRAMES, &f, sizeof(f), RPMB_FRAME_SIZE);
		rpc(1, OPTEE_RPC_CMD_RPMB_FRAMES, &f, sizeof(f), RPMB_FRAME_SIZE);
		rpc(1, OPTEE_RPC_CMD_RPMB_FRAMES, &f, sizeof(f), RPMB_FRAME_SIZE);
		msg(2, EMU_MSG_CTRL_FAULT_CLEAR_REQ, NULL, 0);
		end("supp_msg");
	}
	begin(); /* faults the supplicant refuses, and other control messages */
	fault(2, EMU_FAULT_AT_RPMB_SEQ, EMU_FAULT_RESULT, 1, 0, 0, 0, 0);
	fault(2, EMU_FAULT_AT_RPC, EMU_FAULT_SUPP_ERROR, 0, 0, 1, 0, 0);
	msg(2, EMU_MSG_CTRL_FAULT_CLEAR_REQ, "x", 1);
	msg(2, EMU_MSG_CTRL_STATUS_REQ, NULL, 0);
	for (int i = 0; i < 17; i++)
		fault(2, EMU_FAULT_AT_RPC, EMU_FAULT_SUPP_ERROR, 100, 0, EMU_FAULT_ANY_RPC, 0xffff0000, 0);
	end("supp_msg");
}

int main(int argc, char **argv)
{
	if (argc != 2 || !strcmp(argv[1], "--help")) {
		printf("usage: %s OUTDIR\n"
		       "Write the dispatch harnesses' seed corpora into OUTDIR/<harness>/<sha1>.\n",
		       argv[0]);
		return argc != 2 ? 2 : 0;
	}
	outdir = argv[1];
	rpmbd_seeds();
	stmmd_seeds();
	stmmd_ffa_seeds();
	supp_seeds();
	printf("gen_msg_seeds: %u seeds in %s\n", written, outdir);
	return 0;
}
