/* SPDX-License-Identifier: MIT */
/*
 * `stmm-emu trace [FILE]`: the trace (include/emu_trace.h) decoded, one line per item
 * (emu/trace_decode.c), or one JSON object per record.  `stmm-emu trace replay FILE`: the
 * clients' MM buffers sent again to the stack of --state, each answer compared with the
 * recorded one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "efi_util.h"
#include "mm.h"
#include "pta_stmm.h"
#include "rpmb_host.h"
#include "rpmbdb.h"
#include "state.h"
#include "trace.h"
#include "trace_decode.h"

/* rpmbd's key from STATE/rpmb.db, read-only; false when there is none. */
static bool key_from_db(const char *db, uint8_t key[RPMB_KEY_SIZE])
{
	g_autoptr(GString) err = g_string_new("");

	return emu_rpmbdb_read_key(db, key, err) == 0;
}

/* Who sent it, who received it. */
static void direction(const struct emu_trace_rec *rec, const char *peer_comm, char *buf, size_t size)
{
	const char *me = emu_trace_role_name(rec->recorder);
	g_autofree char *peer = NULL;
	const char *pr = emu_trace_role_name(rec->peer);
	if (peer_comm && *peer_comm && strcmp(peer_comm, pr))
		peer = g_strdup_printf("%s/%s", peer_comm, pr);
	else
		peer = g_strdup(pr);
	switch (rec->kind) {
	case EMU_TRACE_MSG_TX:
		g_snprintf(buf, size, "%s -> %s", me, peer);
		break;
	case EMU_TRACE_MSG_RX:
	case EMU_TRACE_CONNECT:
	case EMU_TRACE_DISCONNECT:
		g_snprintf(buf, size, "%s -> %s", peer, me);
		break;
	case EMU_TRACE_MM_REQ:
		g_snprintf(buf, size, "%s -> %s/StMM", peer, me);
		break;
	case EMU_TRACE_MM_RSP:
		g_snprintf(buf, size, "%s/StMM -> %s", me, peer);
		break;
	default:
		g_snprintf(buf, size, "%s", me);
		break;
	}
}

static bool layer_wanted(char **layers, const char *layer)
{
	if (!layers)
		return true;
	for (char **l = layers; *l; l++)
		if (!strcmp(g_strstrip(*l), layer))
			return true;
	return false;
}

static char *comm_key(const struct emu_trace_rec *rec)
{
	return g_strdup_printf("%u/%u", rec->pid, rec->conn);
}

struct show_args {
	gboolean json, pids;
	char *layer, *var, *key_hex;
};

static int show(const char *path, const char *db, const struct show_args *a)
{
	g_autofree char *err = NULL;
	g_autoptr(emu_trace_reader) r = NULL;
	uint8_t key[RPMB_KEY_SIZE];
	bool have_key = false;

	if (a->key_hex) {
		g_autoptr(GByteArray) k = NULL;
		if (hex_decode(a->key_hex, &k) < 0 || k->len != RPMB_KEY_SIZE) {
			emu_cli_err("trace: --key: need 64 hex digits (32 bytes)");
			return EMU_EXIT_USAGE;
		}
		memcpy(key, k->data, RPMB_KEY_SIZE);
		have_key = true;
	} else if (db) {
		have_key = key_from_db(db, key);
	}
	int ret = emu_trace_reader_open(path, &r, &err);
	if (ret < 0) {
		emu_cli_err("trace: %s: %s", path, err ? err : g_strerror(-ret));
		return EMU_EXIT_USAGE;
	}
	g_auto(GStrv) layers = a->layer ? g_strsplit(a->layer, ",", -1) : NULL;
	g_autoptr(trace_dec) d = trace_dec_new(have_key ? key : NULL);
	g_autoptr(GHashTable) comms = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	struct emu_trace_rec rec;
	const uint8_t *data;
	int64_t t0 = 0;
	uint64_t index = 0;

	while ((ret = emu_trace_reader_next(r, &rec, &data)) == 1) {
		uint64_t idx = index++;
		if (idx == 0)
			t0 = rec.time_us;
		g_autofree char *ck = comm_key(&rec);
		if (rec.kind == EMU_TRACE_CONNECT)
			g_hash_table_replace(comms, g_strdup(ck), g_strndup((const char *)data, rec.length));
		g_autofree char *comm = g_strdup(g_hash_table_lookup(comms, ck));
		g_autoptr(GPtrArray) items = trace_dec_record(d, &rec, data);
		if (rec.kind == EMU_TRACE_DISCONNECT)
			g_hash_table_remove(comms, ck);
		double ms = (double)(rec.time_us - t0) / 1000.0;
		char dir[128];
		direction(&rec, comm, dir, sizeof(dir));

		JsonArray *jitems = a->json ? json_array_new() : NULL;
		guint shown = 0;
		for (guint i = 0; i < items->len; i++) {
			struct trace_item *it = items->pdata[i];
			if (!layer_wanted(layers, it->layer))
				continue;
			if (a->var && (strcmp(it->layer, "mm") || !it->var || strcmp(it->var, a->var)))
				continue;
			shown++;
			if (jitems) {
				json_array_add_object_element(jitems, json_object_ref(it->fields));
				continue;
			}
			if (a->pids)
				printf("%6" PRIu64 " %10.3f %-34s [%u>%u] %-4s %s\n", idx, ms, dir, rec.pid,
				       rec.peer_pid, it->layer, it->text->str);
			else
				printf("%6" PRIu64 " %10.3f %-34s %-4s %s\n", idx, ms, dir, it->layer,
				       it->text->str);
		}
		if (!jitems)
			continue;
		if (!shown) {
			json_array_unref(jitems);
			continue;
		}
		g_autoptr(JsonBuilder) b = json_builder_new();
		json_builder_begin_object(b);
		emu_json_add_int(b, "index", (gint64)idx);
		json_builder_set_member_name(b, "time_ms");
		json_builder_add_double_value(b, ms);
		emu_json_add_int(b, "time_us", rec.time_us);
		emu_json_add_string(b, "kind", emu_trace_kind_name(rec.kind));
		emu_json_add_string(b, "recorder", emu_trace_role_name(rec.recorder));
		emu_json_add_string(b, "peer", emu_trace_role_name(rec.peer));
		if (comm)
			emu_json_add_string(b, "peer_comm", comm);
		emu_json_add_string(b, "direction", dir);
		emu_json_add_int(b, "pid", rec.pid);
		emu_json_add_int(b, "peer_pid", rec.peer_pid);
		emu_json_add_int(b, "conn", rec.conn);
		json_builder_set_member_name(b, "items");
		JsonNode *n = json_node_new(JSON_NODE_ARRAY);
		json_node_take_array(n, jitems);
		json_builder_add_value(b, n);
		json_builder_end_object(b);
		emu_json_print(b, false);
	}
	if (ret < 0) {
		fflush(stdout);
		emu_cli_err("trace: %s: %s", path, emu_trace_reader_error(r));
		return EMU_EXIT_USAGE;
	}
	return EMU_EXIT_OK;
}

/* ---- replay ---------------------------------------------------------------------------- */

struct mm_call {
	struct emu_trace_rec rec;
	struct emu_trace_mm mm;
	const uint8_t *buf;
	size_t len;
};

static bool mm_call_get(const struct emu_trace_rec *rec, const uint8_t *data, struct mm_call *ret)
{
	if (rec->length < sizeof(struct emu_trace_mm))
		return false;
	ret->rec = *rec;
	memcpy(&ret->mm, data, sizeof(ret->mm));
	ret->buf = data + sizeof(ret->mm);
	ret->len = MIN(rec->length - sizeof(ret->mm), (size_t)ret->mm.memref_size);
	return true;
}

/* The ReturnStatus of a variable-service buffer, if it is one. */
static bool mm_status(const uint8_t *b, size_t len, efi_status_t *ret)
{
	efi_guid_t g, var = SMM_VARIABLE_GUID;
	if (len < MM_VARIABLE_PAYLOAD_OFFSET)
		return false;
	memcpy(&g, b, sizeof(g));
	if (!efi_guid_equal(&g, &var))
		return false;
	memcpy(ret, b + 32, sizeof(*ret));
	return true;
}

static const char *status_text(bool have, efi_status_t s, char *buf, size_t size)
{
	if (!have)
		return "-";
	const char *n = efi_status_name(s);
	return n ? n : efi_status_str(s, buf, size);
}

static int replay(const char *path, const char *state, int timeout)
{
	g_autofree char *err = NULL;
	g_autoptr(emu_trace_reader) r = NULL;
	int ret = emu_trace_reader_open(path, &r, &err);
	if (ret < 0) {
		emu_cli_err("trace replay: %s: %s", path, err ? err : g_strerror(-ret));
		return EMU_EXIT_USAGE;
	}
	/* Pair every client MM_REQ with its MM_RSP (same recorder, connection, request). */
	g_autoptr(GArray) reqs = g_array_new(FALSE, FALSE, sizeof(struct mm_call));
	g_autoptr(GArray) rsps = g_array_new(FALSE, FALSE, sizeof(struct mm_call));
	struct emu_trace_rec rec;
	const uint8_t *data;
	while ((ret = emu_trace_reader_next(r, &rec, &data)) == 1) {
		struct mm_call c;
		if ((rec.kind != EMU_TRACE_MM_REQ && rec.kind != EMU_TRACE_MM_RSP) ||
		    rec.peer == EMU_TRACE_ROLE_SUPPLICANT || !mm_call_get(&rec, data, &c))
			continue;
		g_array_append_val(rec.kind == EMU_TRACE_MM_REQ ? reqs : rsps, c);
	}
	if (ret < 0) {
		emu_cli_err("trace replay: %s: %s", path, emu_trace_reader_error(r));
		return EMU_EXIT_USAGE;
	}
	g_autoptr(emu_client) c = NULL;
	ret = emu_cli_open_client(state, timeout, "trace replay", &c);
	if (ret)
		return ret;
	g_autoptr(trace_dec) d = trace_dec_new(NULL);
	unsigned differ = 0, n = 0;
	for (guint i = 0; i < reqs->len; i++) {
		const struct mm_call *q = &g_array_index(reqs, struct mm_call, i);
		const struct mm_call *p = NULL;
		for (guint j = 0; j < rsps->len && !p; j++) {
			const struct mm_call *x = &g_array_index(rsps, struct mm_call, j);
			if (x->rec.pid == q->rec.pid && x->rec.conn == q->rec.conn &&
			    x->mm.req_id == q->mm.req_id && x->rec.time_us >= q->rec.time_us)
				p = x;
		}
		/* What the call was, for the report. */
		g_autoptr(GPtrArray) items = trace_dec_record(d, &q->rec, q->buf - sizeof(q->mm));
		const char *what = items->len ? ((struct trace_item *)items->pdata[0])->text->str : "?";
		if (!p) {
			printf("%3u %s: no recorded answer (skipped)\n", n++, what);
			continue;
		}
		struct emu_client_raw_result res;
		if (emu_client_raw(c, q->buf, q->len, q->mm.memref_size, &res) < 0) {
			emu_cli_err("trace replay: %s", emu_client_last_error(c));
			return EMU_EXIT_STACK;
		}
		efi_status_t want_s = 0, got_s = 0;
		bool want_has = mm_status(p->buf, p->len, &want_s);
		bool got_has = res.tee_ret == TEE_SUCCESS && mm_status(res.answer, res.answer_size, &got_s);
		int32_t want_mm = (int32_t)p->mm.mm_ret, got_mm = (int32_t)(int64_t)res.mm_code;
		bool same = res.tee_ret == p->mm.tee_ret && got_mm == want_mm &&
			    want_has == got_has && want_s == got_s;
		char b1[64], b2[64];
		printf("%3u %s: %s (recorded mm %s %s, now mm %s %s)\n", n++, what,
		       same ? "match" : "DIFFER", trace_mm_ret_name(want_mm),
		       status_text(want_has, want_s, b1, sizeof(b1)),
		       res.tee_ret == TEE_SUCCESS ? trace_mm_ret_name(got_mm) : trace_tee_result_name(res.tee_ret),
		       status_text(got_has, got_s, b2, sizeof(b2)));
		differ += !same;
		emu_client_raw_result_clear(&res);
	}
	printf("replay: %u calls, %u match, %u differ\n", n, n - differ, differ);
	return differ ? EMU_EXIT_EFI : EMU_EXIT_OK;
}

int emu_cmd_trace(int argc, char **argv)
{
	g_autofree char *state = NULL;
	struct show_args a = { 0 };
	int timeout = 0;
	GOptionEntry entries[] = {
		{ "state", 's', 0, G_OPTION_ARG_FILENAME, &state, EMU_STATE_HELP, "DIR" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &a.json, "one JSON object per record, every decoded field", NULL },
		{ "layer", 'l', 0, G_OPTION_ARG_STRING, &a.layer, "only these layers (comma list of tee,mm,rpc,rpmb,mmc,note)", "LIST" },
		{ "var", 0, 0, G_OPTION_ARG_STRING, &a.var, "only the MM calls naming variable NAME", "NAME" },
		{ "pids", 0, 0, G_OPTION_ARG_NONE, &a.pids, "show the recorder's and the peer's pid", NULL },
		{ "key", 0, 0, G_OPTION_ARG_STRING, &a.key_hex, "RPMB key (64 hex digits) to verify frame MACs with (default: STATE/rpmb.db's)", "HEX" },
		{ "timeout", 't', 0, G_OPTION_ARG_INT, &timeout, "replay: per request (default $STMM_EMU_TIMEOUT_MS or 30000)", "MS" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("[FILE] | replay FILE - read the trace");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx,
		"Without FILE: STATE/trace.bin (`stmm-emu up --trace` records it).  One line per\n"
		"decoded item: record index, ms since the first record, who -> whom, layer\n"
		"(tee, mm, rpc, rpmb, mmc, note) and what it says.  RPMB frame MACs are verified when\n"
		"the key is known (--key, or STATE/rpmb.db), else \"mac: not checked\".\n\n"
		"replay FILE: send the clients' MM buffers of FILE again, in order, to the stack of\n"
		"--state (start a fresh one first) and compare each MM return code and EFI\n"
		"ReturnStatus with the recorded answer.  Exit 1 if any differs.\n\n"
		"Exit status: 0 success; 1 replay differs; 2 usage, unreadable or corrupt trace;\n"
		"3 the stack is not up (replay).");
	g_autofree char *layer = NULL, *var = NULL, *key = NULL;
	if (!emu_cli_parse(ctx, &argc, &argv))
		return EMU_EXIT_USAGE;
	layer = a.layer;
	var = a.var;
	key = a.key_hex;
	struct emu_state st;
	emu_state_init(&st, state);
	int r;
	if (argc >= 2 && !strcmp(argv[1], "replay")) {
		if (argc != 3) {
			emu_cli_err("trace replay: need exactly one FILE");
			r = EMU_EXIT_USAGE;
		} else {
			r = replay(argv[2], state, timeout);
		}
	} else if (argc > 2) {
		emu_cli_err("trace: one FILE at most (see --help)");
		r = EMU_EXIT_USAGE;
	} else {
		g_autofree char *def = emu_state_path(&st, EMU_TRACE_FILE_NAME);
		/* The state's key only for the state's own trace (or with an explicit --state). */
		r = show(argc == 2 ? argv[1] : def, argc < 2 || state ? st.rpmb_db : NULL, &a);
	}
	emu_state_clear(&st);
	return r;
}
