/* SPDX-License-Identifier: MIT */
/* Decoding trace records (emu/trace_decode.c): golden summaries, MAC verdicts, and no
 * crash on any truncation or bit flip of a valid record. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "emu_ipc.h"
#include "ffa.h"
#include "emu_trace.h"
#include "mm.h"
#include "optee_rpmb.h"
#include "rpmb_host.h"
#include "trace_decode.h"

static const uint8_t test_key[RPMB_KEY_SIZE] = {
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
};

/* A record of kind `kind` whose data is `data` (len bytes). */
static GByteArray *rec_new(uint16_t kind, uint8_t recorder, const void *data, size_t len,
			   struct emu_trace_rec *ret_rec)
{
	*ret_rec = (struct emu_trace_rec){ .magic = EMU_TRACE_REC_MAGIC, .length = (uint32_t)len,
					   .pid = 100, .kind = kind, .recorder = recorder,
					   .peer = EMU_TRACE_ROLE_CLIENT, .conn = 1 };
	GByteArray *b = g_byte_array_new();
	g_byte_array_append(b, data, (guint)len);
	return b;
}

/* A whole IPC message (header + payload) as recorded. */
static GByteArray *msg_new(uint16_t type, uint32_t req_id, const void *payload, size_t len)
{
	struct emu_msg_hdr h = { .magic = EMU_MSG_MAGIC, .version = EMU_MSG_VERSION, .type = type,
				 .req_id = req_id, .length = (uint32_t)len };
	GByteArray *b = g_byte_array_new();
	g_byte_array_append(b, (const guint8 *)&h, sizeof(h));
	if (len)
		g_byte_array_append(b, payload, (guint)len);
	return b;
}

/* A SetVariable(HelloWorld, global, NV|BS|RT, "hello") MM buffer behind emu_trace_mm. */
static GByteArray *mm_set_hello(bool rsp, uint64_t status)
{
	static const char name[] = "HelloWorld";
	uint8_t buf[256] = { 0 };
	efi_guid_t hg = SMM_VARIABLE_GUID, vg = EFI_GLOBAL_VARIABLE_GUID;
	uint64_t fn = SMM_VARIABLE_FUNCTION_SET_VARIABLE, dsz = 5, nsz = sizeof(name) * 2;
	uint32_t attrs = 7;
	size_t off = MM_VARIABLE_PAYLOAD_OFFSET;
	memcpy(buf, &hg, 16);
	uint64_t ml = SMM_VARIABLE_COMMUNICATE_HEADER_SIZE + 36 + nsz + dsz;
	memcpy(buf + 16, &ml, 8);
	memcpy(buf + 24, &fn, 8);
	memcpy(buf + 32, &status, 8);
	memcpy(buf + off, &vg, 16);
	memcpy(buf + off + 16, &dsz, 8);
	memcpy(buf + off + 24, &nsz, 8);
	memcpy(buf + off + 32, &attrs, 4);
	for (size_t i = 0; i < sizeof(name); i++)
		buf[off + 36 + 2 * i] = (uint8_t)name[i];
	memcpy(buf + off + 36 + nsz, "hello", 5);
	struct emu_trace_mm mm = { .session = 1, .req_id = 4, .memref_size = 128,
				   .mm_ret = rsp ? 0 : 0 };
	GByteArray *b = g_byte_array_new();
	g_byte_array_append(b, (const guint8 *)&mm, sizeof(mm));
	g_byte_array_append(b, buf, 128);
	return b;
}

static const char *item_text(GPtrArray *items, guint i)
{
	assert_true(i < items->len);
	return ((struct trace_item *)items->pdata[i])->text->str;
}

static void mm_set_variable_golden(void **state)
{
	(void)state;
	g_autoptr(trace_dec) d = trace_dec_new(NULL);
	struct emu_trace_rec rec;
	g_autoptr(GByteArray) req = mm_set_hello(false, 0);
	g_autoptr(GByteArray) r1 = rec_new(EMU_TRACE_MM_REQ, EMU_TRACE_ROLE_STMMD, req->data, req->len, &rec);
	g_autoptr(GPtrArray) items = trace_dec_record(d, &rec, r1->data);
	assert_int_equal(items->len, 1);
	assert_string_equal(item_text(items, 0),
			    "MM_REQ SET_VARIABLE HelloWorld EFI_GLOBAL_VARIABLE attrs NV|BS|RT DataSize 5");
	struct trace_item *it = items->pdata[0];
	assert_string_equal(it->layer, "mm");
	assert_string_equal(it->var, "HelloWorld");
	assert_string_equal(json_object_get_string_member(it->fields, "header_guid_name"),
			    "gEfiSmmVariableProtocolGuid");
	assert_string_equal(json_object_get_string_member(it->fields, "data"), "68656c6c6f");

	g_autoptr(GByteArray) rsp = mm_set_hello(true, EFI_NOT_FOUND);
	g_autoptr(GByteArray) r2 = rec_new(EMU_TRACE_MM_RSP, EMU_TRACE_ROLE_STMMD, rsp->data, rsp->len, &rec);
	g_autoptr(GPtrArray) items2 = trace_dec_record(d, &rec, r2->data);
	assert_string_equal(item_text(items2, 0),
			    "MM_RSP SET_VARIABLE HelloWorld EFI_GLOBAL_VARIABLE attrs NV|BS|RT DataSize 5 "
			    "-> EFI_NOT_FOUND mm SUCCESS tee SUCCESS");
}

/* An OPTEE_RPC_CMD_RPMB DATA_REQ carrying one signed DATA_WRITE frame. */
static GByteArray *rpc_write(bool tamper)
{
	struct rpmb_frame f;
	rpmb_frame_init(&f, RPMB_REQ_DATA_WRITE, 5, 1, 7, NULL);
	memset(f.data, 0xab, sizeof(f.data));
	assert_int_equal(rpmb_sign_frames(test_key, &f, 1), 0);
	if (tamper)
		f.data[3] ^= 1;
	struct emu_supp_rpc rpc = { .cmd = OPTEE_RPC_CMD_RPMB,
				    .in_len = RPMB_REQ_HEADER_SIZE + RPMB_FRAME_SIZE,
				    .out_len = RPMB_FRAME_SIZE };
	uint16_t req[3] = { RPMB_CMD_DATA_REQ, 0, 0 };
	g_autoptr(GByteArray) p = g_byte_array_new();
	g_byte_array_append(p, (const guint8 *)&rpc, sizeof(rpc));
	g_byte_array_append(p, (const guint8 *)req, sizeof(req));
	g_byte_array_append(p, (const guint8 *)&f, sizeof(f));
	return msg_new(EMU_MSG_SUPP_RPC_REQ, 9, p->data, p->len);
}

static void rpc_rpmb_frames_mac(void **state)
{
	(void)state;
	struct emu_trace_rec rec;
	const bool tamper[] = { false, true, false };
	const char *want[] = { "DATA_WRITE addr 5 blocks 1 wc 7 mac ok",
			       "DATA_WRITE addr 5 blocks 1 wc 7 mac BAD",
			       "DATA_WRITE addr 5 blocks 1 wc 7 mac: not checked" };
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		g_autoptr(trace_dec) d = trace_dec_new(i < 2 ? test_key : NULL);
		g_autoptr(GByteArray) m = rpc_write(tamper[i]);
		g_autoptr(GByteArray) r = rec_new(EMU_TRACE_MSG_TX, EMU_TRACE_ROLE_STMMD, m->data, m->len, &rec);
		g_autoptr(GPtrArray) items = trace_dec_record(d, &rec, r->data);
		assert_int_equal(items->len, 2);
		assert_string_equal(item_text(items, 0),
				    "RPC RPMB in 518 out 512 rpmb_req DATA_REQ dev 0 block_count 0 frames 1");
		assert_string_equal(((struct trace_item *)items->pdata[1])->layer, "rpmb");
		assert_string_equal(item_text(items, 1), want[i]);

		/* The reply is matched to its request by id: its frames are decoded too. */
		struct rpmb_frame f;
		rpmb_frame_init(&f, RPMB_RESP_DATA_WRITE, 5, 0, 8, NULL);
		assert_int_equal(rpmb_sign_frames(test_key, &f, 1), 0);
		struct emu_supp_rpc_rsp rr = { .ret = 0, .out_len = RPMB_FRAME_SIZE };
		g_autoptr(GByteArray) p = g_byte_array_new();
		g_byte_array_append(p, (const guint8 *)&rr, sizeof(rr));
		g_byte_array_append(p, (const guint8 *)&f, sizeof(f));
		g_autoptr(GByteArray) m2 = msg_new(EMU_MSG_SUPP_RPC_RSP, 9, p->data, p->len);
		g_autoptr(GByteArray) r2 = rec_new(EMU_TRACE_MSG_RX, EMU_TRACE_ROLE_STMMD, m2->data, m2->len, &rec);
		g_autoptr(GPtrArray) items2 = trace_dec_record(d, &rec, r2->data);
		assert_int_equal(items2->len, 2);
		assert_string_equal(item_text(items2, 0), "RPC_RSP RPMB TEEC_SUCCESS out 512");
		assert_non_null(strstr(item_text(items2, 1), "DATA_WRITE_RESP addr 5 blocks 0 wc 8 result OK"));
	}
}

static void bad_messages_are_undecodable(void **state)
{
	(void)state;
	g_autoptr(trace_dec) d = trace_dec_new(NULL);
	struct emu_trace_rec rec;
	g_autoptr(GByteArray) m = msg_new(EMU_MSG_TEE_INVOKE_REQ, 1, NULL, 0);
	m->data[0] ^= 0xff; /* bad magic */
	g_autoptr(GByteArray) r = rec_new(EMU_TRACE_MSG_RX, EMU_TRACE_ROLE_STMMD, m->data, m->len, &rec);
	g_autoptr(GPtrArray) items = trace_dec_record(d, &rec, r->data);
	assert_int_equal(items->len, 1);
	assert_non_null(strstr(item_text(items, 0), "undecodable: message header"));

	g_autoptr(GByteArray) r2 = rec_new(EMU_TRACE_MM_REQ, EMU_TRACE_ROLE_STMMD, "abc", 3, &rec);
	g_autoptr(GPtrArray) items2 = trace_dec_record(d, &rec, r2->data);
	assert_non_null(strstr(item_text(items2, 0), "undecodable: MM record of 3 bytes"));

	rec.kind = 0x77;
	g_autoptr(GPtrArray) items3 = trace_dec_record(d, &rec, r2->data);
	assert_non_null(strstr(item_text(items3, 0), "undecodable: record kind 0x0077 unknown"));
}

/* FF-A register messages by name: the MM UUID, the door bell, its answer, an error. */
static const char *ffa_text(uint16_t type, const struct ffa_regs *r, const char *want_layer)
{
	static char out[256];
	g_autoptr(trace_dec) d = trace_dec_new(NULL);
	struct emu_trace_rec rec;
	g_autoptr(GByteArray) m = msg_new(type, 3, r, sizeof(*r));
	g_autoptr(GByteArray) b = rec_new(EMU_TRACE_MSG_RX, EMU_TRACE_ROLE_STMMD, m->data, m->len, &rec);
	g_autoptr(GPtrArray) items = trace_dec_record(d, &rec, b->data);
	assert_int_equal(items->len, 1);
	assert_string_equal(((struct trace_item *)items->pdata[0])->layer, want_layer);
	g_strlcpy(out, item_text(items, 0), sizeof(out));
	return out;
}

static void ffa_calls_golden(void **state)
{
	(void)state;
	struct ffa_regs r = { .x = { FFA_PARTITION_INFO_GET, 0x33d532ed, 0x0942e699, 0x722dc09c,
				     0xa798d9cd } };
	assert_string_equal(ffa_text(EMU_MSG_FFA_REQ, &r, "tee"),
			    "FFA FFA_PARTITION_INFO_GET uuid 33d532ed 0942e699 722dc09c a798d9cd (MM SP)");
	r = (struct ffa_regs){ .x = { FFA_MSG_SEND_DIRECT_REQ_64, 0x00008002, 0, 0 } };
	assert_string_equal(ffa_text(EMU_MSG_FFA_REQ, &r, "tee"),
			    "FFA FFA_MSG_SEND_DIRECT_REQ_64 0x0000 -> 0x8002 x3 0x0 (MM buffer)");
	r = (struct ffa_regs){ .x = { FFA_MSG_SEND_DIRECT_RESP_64, 0x80020000, 0, (uint64_t)-2 } };
	assert_string_equal(ffa_text(EMU_MSG_FFA_RSP, &r, "tee"),
			    "FFA_RSP FFA_MSG_SEND_DIRECT_RESP_64 0x8002 -> 0x0000 mm INVALID_PARAMS");
	r = (struct ffa_regs){ .x = { FFA_ERROR, 0, 0xfffffffcu } };
	assert_string_equal(ffa_text(EMU_MSG_FFA_RSP, &r, "tee"), "FFA_RSP FFA_ERROR BUSY");
	r = (struct ffa_regs){ .x = { 0x00010000 } };
	assert_string_equal(ffa_text(EMU_MSG_FFA_RSP, &r, "tee"), "FFA_RSP version 1.0");
	g_autoptr(trace_dec) d = trace_dec_new(NULL);
	struct emu_trace_rec rec;
	g_autoptr(GByteArray) m = msg_new(EMU_MSG_FFA_REQ, 3, &r, 10);
	g_autoptr(GByteArray) b = rec_new(EMU_TRACE_MSG_RX, EMU_TRACE_ROLE_STMMD, m->data, m->len, &rec);
	g_autoptr(GPtrArray) items = trace_dec_record(d, &rec, b->data);
	assert_string_equal(item_text(items, 0), "FFA (short)");
}

/* Every prefix and random bit flips of valid records decode to something, never crash. */
static void mutations_never_crash(void **state)
{
	(void)state;
	g_autoptr(trace_dec) d = trace_dec_new(test_key);
	g_autoptr(GRand) rnd = g_rand_new_with_seed(11);
	g_autoptr(GByteArray) mm = mm_set_hello(true, 0);
	g_autoptr(GByteArray) rpc = rpc_write(false);
	struct emu_mmc_cmd cmds[2] = { { .opcode = 23, .arg = 0x80000001u }, { .opcode = 25, .blocks = 1 } };
	struct emu_mmc_seq seq = { .num_cmds = 2 };
	g_autoptr(GByteArray) sp = g_byte_array_new();
	g_byte_array_append(sp, (const guint8 *)&seq, sizeof(seq));
	g_byte_array_append(sp, (const guint8 *)cmds, sizeof(cmds));
	uint8_t frame[RPMB_FRAME_SIZE] = { 0 };
	g_byte_array_append(sp, frame, sizeof(frame));
	g_autoptr(GByteArray) mmc = msg_new(EMU_MSG_MMC_SEQ_REQ, 3, sp->data, sp->len);
	struct { uint16_t kind; GByteArray *data; } seeds[] = {
		{ EMU_TRACE_MM_RSP, mm }, { EMU_TRACE_MSG_TX, rpc }, { EMU_TRACE_MSG_RX, mmc },
	};
	for (size_t s = 0; s < G_N_ELEMENTS(seeds); s++) {
		GByteArray *src = seeds[s].data;
		for (guint cut = 0; cut <= src->len; cut++) {
			struct emu_trace_rec rec;
			g_autofree uint8_t *copy = g_memdup2(src->data, cut ? cut : 1);
			g_autoptr(GByteArray) r = rec_new(seeds[s].kind, EMU_TRACE_ROLE_STMMD, copy, cut, &rec);
			g_autoptr(GPtrArray) items = trace_dec_record(d, &rec, r->data);
			assert_true(items->len >= 1);
		}
		for (int n = 0; n < 2000; n++) {
			struct emu_trace_rec rec;
			g_autoptr(GByteArray) r = rec_new(seeds[s].kind, EMU_TRACE_ROLE_STMMD, src->data, src->len, &rec);
			for (int k = 0; k < 4; k++) {
				guint at = (guint)g_rand_int_range(rnd, 0, (gint32)r->len);
				r->data[at] ^= (uint8_t)(1u << g_rand_int_range(rnd, 0, 8));
			}
			g_autoptr(GPtrArray) items = trace_dec_record(d, &rec, r->data);
			assert_true(items->len >= 1);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mm_set_variable_golden),
		cmocka_unit_test(rpc_rpmb_frames_mac),
		cmocka_unit_test(bad_messages_are_undecodable),
		cmocka_unit_test(mutations_never_crash),
		cmocka_unit_test(ffa_calls_golden),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
