/* SPDX-License-Identifier: MIT */
/* Seed corpora harvested from traces (seeds.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bytes.h"
#include "efi.h"
#include "emu_ipc.h"
#include "emu_trace.h"
#include "mm.h"
#include "optee_rpmb.h"
#include "rpmb_frame.h"
#include "seeds.h"
#include "trace.h"
#include "trace_decode.h"

/* Byte order of every layer: our IPC is host-endian (one machine; x86/arm64: LE), EFI
 * structures are LE (UEFI 2.10 §2.3.1), RPMB frames big-endian (JEDEC JESD84-B51 §6.6.22). */
static const struct {
	const char *name;
	const char *harness; /* tests/fuzz/fuzz_<h>.c, or a note */
	const char *dict;    /* tests/fuzz/dict/<dict>.dict */
	const char *order;
	const char *format;
} layers[SEEDS_LAYER_COUNT] = {
	[SEEDS_MM] = { "mm", "fuzz_mm", "mm", "le",
		       "the whole MM communicate buffer (EFI_MM_COMMUNICATE_HEADER first) of each call, "
		       "as the client built it" },
	[SEEDS_PTA] = { "pta", "own harness (framing of fuzz_ipc)", "ipc", "host(le)",
			"a whole EMU_MSG_TEE_INVOKE_REQ message (emu_msg_hdr + emu_tee_invoke) as stmmd "
			"received it; fuzz_ipc takes the framing but dispatches to rpmbd" },
	[SEEDS_RPC] = { "rpc", "fuzz_supp_rpc", "supp_rpc", "le16 + frames be",
			"u16 LE response size + struct rpmb_req + frames of each OPTEE_RPC_CMD_RPMB "
			"the supplicant was sent" },
	[SEEDS_RPMB] = { "rpmb", "fuzz_rpmb_seq", "rpmb_seq", "host(le) + frames be",
			 "flags byte (1 = re-MAC writes with the harness key) + the EMU_MSG_MMC_SEQ_REQ "
			 "payload rpmbd received" },
	[SEEDS_MMC] = { "mmc", "own harness (framing of fuzz_ipc)", "ipc", "host(le)",
			"a whole EMU_MSG_MMC_CMD_REQ message (single eMMC command) rpmbd received; "
			"fuzz_ipc takes the framing but its dispatch (rpmb_server_handle) refuses "
			"single commands, which rpmbd's server loop serves (rpmb/server.c)" },
	[SEEDS_IPC] = { "ipc", "fuzz_ipc", "ipc", "host(le)",
			"a whole message (emu_msg_hdr + payload) rpmbd received" },
	[SEEDS_AUTH] = { "auth", "fuzz_auth", "auth", "le (PKCS#7 DER)",
			 "the data of a SetVariable with the time-based AT attribute: "
			 "EFI_VARIABLE_AUTHENTICATION_2 + payload" },
	[SEEDS_FV] = { "fv", "fuzz_fv", "fv", "le",
		       "an EDK2 variable store FV as `stmm-emu export` writes it" },
};

struct seed {
	uint64_t size;
	unsigned seen;
	char *what;
	char *origin;
};

struct seeds {
	char *out;
	unsigned mask;
	GHashTable *by_sha1[SEEDS_LAYER_COUNT]; /* sha1 hex -> struct seed */
	GPtrArray *order[SEEDS_LAYER_COUNT];    /* sha1 hex in first-seen order (borrowed) */
	GHashTable *kinds[SEEDS_LAYER_COUNT];   /* kind (what, numbers blanked) -> inputs kept */
	uint64_t bytes[SEEDS_LAYER_COUNT];
	unsigned over[SEEDS_LAYER_COUNT];       /* distinct inputs left out by max_per_kind */
	unsigned max_per_kind;
};

const char *seeds_layer_name(enum seeds_layer l)
{
	return (unsigned)l < SEEDS_LAYER_COUNT ? layers[l].name : "?";
}

const char *seeds_layer_harness(enum seeds_layer l)
{
	return (unsigned)l < SEEDS_LAYER_COUNT ? layers[l].harness : "?";
}

int seeds_layers_parse(const char *list, unsigned *ret_mask, GString *err)
{
	g_auto(GStrv) parts = g_strsplit(list, ",", -1);
	unsigned mask = 0;

	for (char **p = parts; *p; p++) {
		const char *w = g_strstrip(*p);
		bool known = false;
		if (!*w)
			continue;
		if (strcmp(w, "all") == 0) {
			mask |= SEEDS_ALL_LAYERS;
			continue;
		}
		for (unsigned l = 0; l < SEEDS_LAYER_COUNT; l++)
			if (strcmp(w, layers[l].name) == 0) {
				mask |= 1u << l;
				known = true;
			}
		if (!known) {
			g_string_printf(err, "unknown layer '%s' (mm, pta, rpc, rpmb, mmc, ipc, auth, fv, all)", w);
			return -EINVAL;
		}
	}
	if (!mask) {
		g_string_assign(err, "no layer given");
		return -EINVAL;
	}
	*ret_mask = mask;
	return 0;
}

static void seed_free(void *p)
{
	struct seed *e = p;

	g_free(e->what);
	g_free(e->origin);
	g_free(e);
}

int seeds_new(const char *out_dir, unsigned mask, struct seeds **ret, GString *err)
{
	g_autoptr(seeds) s = g_new0(struct seeds, 1);

	s->out = g_strdup(out_dir);
	s->mask = mask & SEEDS_ALL_LAYERS;
	for (unsigned l = 0; l < SEEDS_LAYER_COUNT; l++) {
		s->by_sha1[l] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, seed_free);
		s->order[l] = g_ptr_array_new();
		s->kinds[l] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		if (!(s->mask & (1u << l)))
			continue;
		g_autofree char *d = g_build_filename(out_dir, layers[l].name, NULL);
		if (g_mkdir_with_parents(d, 0755) < 0) {
			int e = errno;
			g_string_printf(err, "%s: %s", d, g_strerror(e));
			return -e;
		}
	}
	*ret = g_steal_pointer(&s);
	return 0;
}

void seeds_free(struct seeds *s)
{
	if (!s)
		return;
	for (unsigned l = 0; l < SEEDS_LAYER_COUNT; l++) {
		if (s->order[l])
			g_ptr_array_unref(s->order[l]);
		if (s->by_sha1[l])
			g_hash_table_destroy(s->by_sha1[l]);
		if (s->kinds[l])
			g_hash_table_destroy(s->kinds[l]);
	}
	g_free(s->out);
	g_free(s);
}

void seeds_set_max_per_kind(struct seeds *s, unsigned n)
{
	s->max_per_kind = n;
}

/* The kind of an input: its description with every run of digits as one '#', so that
 * "DATA_WRITE addr 12 wc 345" and "DATA_WRITE addr 7 wc 346" are one kind. */
static char *kind_of(const char *what)
{
	GString *k = g_string_new("");

	for (const char *p = what ? what : ""; *p; p++) {
		if (g_ascii_isdigit(*p)) {
			if (!k->len || k->str[k->len - 1] != '#')
				g_string_append_c(k, '#');
		} else {
			g_string_append_c(k, *p);
		}
	}
	return g_string_free(k, FALSE);
}

int seeds_add(struct seeds *s, enum seeds_layer l, const void *data, size_t len, const char *what,
	      const char *origin, GString *err)
{
	if ((unsigned)l >= SEEDS_LAYER_COUNT || !(s->mask & (1u << l)) || len == 0)
		return 0;
	g_autofree char *sha = g_compute_checksum_for_data(G_CHECKSUM_SHA1, data, len);
	struct seed *e = g_hash_table_lookup(s->by_sha1[l], sha);
	if (e) {
		e->seen++;
		return 0;
	}
	g_autofree char *kind = kind_of(what);
	guint kept = GPOINTER_TO_UINT(g_hash_table_lookup(s->kinds[l], kind));
	if (s->max_per_kind && kept >= s->max_per_kind) {
		s->over[l]++;
		return 0;
	}
	g_hash_table_replace(s->kinds[l], g_steal_pointer(&kind), GUINT_TO_POINTER(kept + 1));
	g_autofree char *path = g_build_filename(s->out, layers[l].name, sha, NULL);
	if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		g_autoptr(GError) ge = NULL;
		if (!g_file_set_contents(path, data, (gssize)len, &ge)) {
			g_string_printf(err, "%s", ge->message);
			return -EIO;
		}
	}
	e = g_new0(struct seed, 1);
	e->size = len;
	e->seen = 1;
	e->what = g_strdup(what);
	e->origin = g_strdup(origin);
	char *key = g_steal_pointer(&sha);
	g_hash_table_insert(s->by_sha1[l], key, e);
	g_ptr_array_add(s->order[l], key);
	s->bytes[l] += len;
	return 0;
}

/* ---- harvesting one record --------------------------------------------------------- */

struct harvest {
	struct seeds *s;
	struct trace_dec *dec;
	const char *origin;
	GHashTable *comm; /* "recorder:conn" -> peer comm */
	GString *err;
	int r;
};

/* The decoder's summary of the record (its items, " / " between), or the kind's name. */
static char *describe(struct harvest *h, const struct emu_trace_rec *rec, const uint8_t *data)
{
	g_autoptr(GPtrArray) items = trace_dec_record(h->dec, rec, data);
	g_autoptr(GString) t = g_string_new("");

	for (guint i = 0; items && i < items->len; i++) {
		const struct trace_item *it = g_ptr_array_index(items, i);
		if (t->len)
			g_string_append(t, " / ");
		g_string_append_printf(t, "%s %s", it->layer, it->text->str);
	}
	if (!t->len)
		g_string_assign(t, emu_trace_kind_name(rec->kind));
	for (char *p = t->str; *p; p++)
		if (*p == '\t' || *p == '\n')
			*p = ' ';
	return g_string_free(g_steal_pointer(&t), FALSE);
}

static void add(struct harvest *h, enum seeds_layer l, const void *data, size_t len,
		const char *what, const struct emu_trace_rec *rec, guint64 index)
{
	if (h->r < 0 || !(h->s->mask & (1u << l)))
		return;
	g_autofree char *key = g_strdup_printf("%u:%u", rec->recorder, rec->conn);
	const char *comm = g_hash_table_lookup(h->comm, key);
	g_autofree char *origin = g_strdup_printf("%s record %" G_GUINT64_FORMAT " (%s -> %s, conn %u%s%s)",
						  h->origin, index,
						  emu_trace_role_name(rec->kind == EMU_TRACE_MSG_TX ? rec->recorder : rec->peer),
						  emu_trace_role_name(rec->kind == EMU_TRACE_MSG_TX ? rec->peer : rec->recorder),
						  rec->conn, comm ? ", comm " : "", comm ? comm : "");
	h->r = seeds_add(h->s, l, data, len, what, origin, h->err);
}

/* AT SetVariable: the data of SMM_VARIABLE_COMMUNICATE_ACCESS_VARIABLE (include/mm.h). */
static void harvest_auth(struct harvest *h, const uint8_t *buf, size_t len, const char *what,
			 const struct emu_trace_rec *rec, guint64 index)
{
	struct smm_variable_access a;

	if (len < MM_VARIABLE_PAYLOAD_OFFSET + SMM_VARIABLE_ACCESS_NAME_OFFSET)
		return;
	if (get_le64(buf + MM_COMMUNICATE_HEADER_SIZE) != SMM_VARIABLE_FUNCTION_SET_VARIABLE)
		return;
	const uint8_t *p = buf + MM_VARIABLE_PAYLOAD_OFFSET;
	size_t room = len - MM_VARIABLE_PAYLOAD_OFFSET;
	memcpy(&a, p, SMM_VARIABLE_ACCESS_NAME_OFFSET);
	uint64_t data_size = GUINT64_FROM_LE(a.data_size), name_size = GUINT64_FROM_LE(a.name_size);
	if (!(GUINT32_FROM_LE(a.attributes) & EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS))
		return;
	if (name_size > room - SMM_VARIABLE_ACCESS_NAME_OFFSET ||
	    data_size > room - SMM_VARIABLE_ACCESS_NAME_OFFSET - name_size)
		return;
	add(h, SEEDS_AUTH, p + SMM_VARIABLE_ACCESS_NAME_OFFSET + name_size, (size_t)data_size, what,
	    rec, index);
}

static void harvest_msg(struct harvest *h, const struct emu_trace_rec *rec, const uint8_t *data,
			guint64 index)
{
	struct emu_msg_hdr hdr;

	if (rec->length < sizeof(hdr))
		return;
	memcpy(&hdr, data, sizeof(hdr));
	const uint8_t *payload = data + sizeof(hdr);
	size_t plen = rec->length - sizeof(hdr);
	bool rpmbd_rx = rec->recorder == EMU_TRACE_ROLE_RPMBD && rec->kind == EMU_TRACE_MSG_RX;
	bool stmmd_rx = rec->recorder == EMU_TRACE_ROLE_STMMD && rec->kind == EMU_TRACE_MSG_RX;
	bool stmmd_tx = rec->recorder == EMU_TRACE_ROLE_STMMD && rec->kind == EMU_TRACE_MSG_TX;

	if (!rpmbd_rx && !(stmmd_rx && hdr.type == EMU_MSG_TEE_INVOKE_REQ) &&
	    !(stmmd_tx && hdr.type == EMU_MSG_SUPP_RPC_REQ))
		return;
	g_autofree char *what = describe(h, rec, data);
	if (rpmbd_rx) {
		add(h, SEEDS_IPC, data, rec->length, what, rec, index);
		if (hdr.type == EMU_MSG_MMC_CMD_REQ)
			add(h, SEEDS_MMC, data, rec->length, what, rec, index);
		if (hdr.type == EMU_MSG_MMC_SEQ_REQ && plen >= sizeof(struct emu_mmc_seq)) {
			/* fuzz_rpmb_seq: flag bit 0 re-MACs CMD25 frames with the harness's key, so
			 * a recorded write reaches the paths behind the MAC check there too. */
			bool writes = false;
			size_t off = sizeof(struct emu_mmc_seq);
			while (off + sizeof(struct emu_mmc_cmd) <= plen) {
				struct emu_mmc_cmd c;
				memcpy(&c, payload + off, sizeof(c));
				off += sizeof(c);
				if (c.opcode == MMC_WRITE_MULTIPLE_BLOCK) {
					writes = true;
					if (c.blocks > (plen - off) / RPMB_FRAME_SIZE)
						break;
					off += (size_t)c.blocks * RPMB_FRAME_SIZE;
				}
			}
			g_autofree uint8_t *in = g_malloc(plen + 1);
			in[0] = writes ? 1 : 0;
			memcpy(in + 1, payload, plen);
			add(h, SEEDS_RPMB, in, plen + 1, what, rec, index);
		}
	} else if (stmmd_rx) {
		add(h, SEEDS_PTA, data, rec->length, what, rec, index);
	} else if (plen >= sizeof(struct emu_supp_rpc)) {
		struct emu_supp_rpc rpc;
		memcpy(&rpc, payload, sizeof(rpc));
		/* fuzz_supp_rpc takes the legacy route's request only (rpmb_process_request). */
		if (rpc.cmd != OPTEE_RPC_CMD_RPMB || rpc.in_len > plen - sizeof(rpc))
			return;
		g_autofree uint8_t *in = g_malloc((size_t)rpc.in_len + 2);
		put_le16(in, rpc.out_len > 0xffff ? 0xffff : (uint16_t)rpc.out_len);
		memcpy(in + 2, payload + sizeof(rpc), rpc.in_len);
		add(h, SEEDS_RPC, in, (size_t)rpc.in_len + 2, what, rec, index);
	}
}

static void harvest_record(struct harvest *h, const struct emu_trace_rec *rec,
			   const uint8_t *data, guint64 index)
{
	switch (rec->kind) {
	case EMU_TRACE_CONNECT: {
		g_autofree char *key = g_strdup_printf("%u:%u", rec->recorder, rec->conn);
		g_autofree char *comm = g_strndup((const char *)data, rec->length);
		g_hash_table_replace(h->comm, g_steal_pointer(&key), g_steal_pointer(&comm));
		break;
	}
	case EMU_TRACE_MSG_RX:
	case EMU_TRACE_MSG_TX:
		harvest_msg(h, rec, data, index);
		break;
	case EMU_TRACE_MM_REQ: {
		struct emu_trace_mm mm;
		if (rec->length < sizeof(mm))
			break;
		memcpy(&mm, data, sizeof(mm));
		size_t blen = rec->length - sizeof(mm);
		if (mm.memref_size < blen)
			blen = (size_t)mm.memref_size;
		g_autofree char *what = describe(h, rec, data);
		add(h, SEEDS_MM, data + sizeof(mm), blen, what, rec, index);
		harvest_auth(h, data + sizeof(mm), blen, what, rec, index);
		break;
	}
	default:
		/* The decoder keeps state across records (RPC requests awaiting replies). */
		g_ptr_array_unref(trace_dec_record(h->dec, rec, data));
		break;
	}
}

/*
 * The records of one piece of a trace (file header + whole records).  0 at its end, 1 when
 * it ends in a bad or truncated record (a warning in err: what came before is kept), or
 * -errno.
 */
static int harvest_piece(struct harvest *h, const void *data, size_t len, guint64 *index,
			 GString *err)
{
	g_autoptr(emu_trace_reader) r = NULL;
	g_autofree char *why = NULL;
	struct emu_trace_rec rec;
	const uint8_t *rdata;
	int n;

	n = emu_trace_reader_new(data, len, &r, &why);
	if (n < 0) {
		g_string_printf(err, "%s: %s", h->origin, why ? why : g_strerror(-n));
		return n;
	}
	while (h->r == 0 && (n = emu_trace_reader_next(r, &rec, &rdata)) == 1)
		harvest_record(h, &rec, rdata, (*index)++);
	if (h->r < 0)
		return h->r;
	if (n < 0) { /* a trace cut short (a daemon killed mid-write): keep what came before */
		g_string_printf(err, "%s: %s (kept the %" G_GUINT64_FORMAT " records before)",
				h->origin, emu_trace_reader_error(r), *index);
		return 1;
	}
	return 0;
}

static void harvest_init(struct harvest *h, struct seeds *s, const char *origin, GString *err)
{
	*h = (struct harvest){ .s = s, .dec = trace_dec_new(NULL), .origin = origin, .err = err,
			       .comm = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free) };
}

static void harvest_clear(struct harvest *h)
{
	trace_dec_free(h->dec);
	g_hash_table_destroy(h->comm);
}

/* Pieces of about this size: a whole conformance trace is hundreds of MiB. */
#define PIECE_BYTES (8u * 1024u * 1024u)

/*
 * The file in pieces of whole records, each behind a copy of the file header, so that
 * memory stays bounded; the reader (lib/trace.c) checks every record of every piece.
 * Record boundaries come from each header's length; a bad one ends the piece there and
 * the reader says what is wrong with it.
 */
int seeds_add_trace(struct seeds *s, const char *path, const char *origin, GString *err)
{
	g_autoptr(GString) w = g_string_new("");
	struct emu_trace_file_hdr fh;
	struct harvest h;
	guint64 index = 0;
	int r = 0;

	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		g_string_printf(err, "%s: %s", path, g_strerror(e));
		return -e;
	}
	size_t got = fread(&fh, 1, sizeof(fh), f);
	g_autoptr(GByteArray) piece = g_byte_array_new();
	g_byte_array_append(piece, (const uint8_t *)&fh, (guint)got);
	harvest_init(&h, s, origin, w);
	bool end = got < sizeof(fh);
	while (r == 0) {
		while (!end && piece->len < PIECE_BYTES) {
			struct emu_trace_rec rec;
			size_t n = fread(&rec, 1, sizeof(rec), f);
			g_byte_array_append(piece, (const uint8_t *)&rec, (guint)n);
			if (n < sizeof(rec) || rec.magic != EMU_TRACE_REC_MAGIC ||
			    rec.length > EMU_TRACE_MAX_DATA) {
				end = true; /* EOF, or a bad header the reader reports */
				break;
			}
			guint at = piece->len;
			g_byte_array_set_size(piece, at + rec.length);
			n = fread(piece->data + at, 1, rec.length, f);
			if (n < rec.length) {
				g_byte_array_set_size(piece, at + (guint)n);
				end = true;
			}
		}
		if (ferror(f)) {
			int e = errno ? errno : EIO;
			g_string_printf(w, "%s: %s", path, g_strerror(e));
			r = -e;
			break;
		}
		r = harvest_piece(&h, piece->data, piece->len, &index, w);
		if (r != 0 || end)
			break;
		g_byte_array_set_size(piece, sizeof(fh)); /* the file header stays */
	}
	fclose(f);
	harvest_clear(&h);
	g_string_assign(err, w->str);
	return r < 0 ? r : 0;
}

int seeds_add_trace_data(struct seeds *s, const void *data, size_t len, const char *origin,
			 GString *err)
{
	struct harvest h;
	guint64 index = 0;

	harvest_init(&h, s, origin, err);
	int r = harvest_piece(&h, data, len, &index, err);
	harvest_clear(&h);
	return r < 0 ? r : 0;
}

/* ---- manifest and dictionaries ---------------------------------------------------------- */

/* Tokens for a layer whose harness has no dictionary in dict_dir (libFuzzer -dict format). */
static const char *generated_dict(enum seeds_layer l)
{
	switch (l) {
	case SEEDS_MM:
	case SEEDS_AUTH:
		return "guid_SMM_VARIABLE_GUID=\"\\x33\\xd5\\x32\\xed\\xe6\\x99\\x09\\x42\\x9c\\xc0\\x2d\\x72\\xcd\\xd9\\x98\\xa7\"\n"
		       "guid_EFI_CERT_TYPE_PKCS7_GUID=\"\\x9d\\xd2\\xaf\\x4a\\xdf\\x68\\xee\\x49\\x8a\\xa9\\x34\\x7d\\x37\\x56\\x65\\xa7\"\n"
		       "fn_set_variable=\"\\x03\\x00\\x00\\x00\\x00\\x00\\x00\\x00\"\n";
	case SEEDS_FV:
		return "fv_signature=\"_FVH\"\n";
	default:
		return "magic=\"SEMU\"\nversion=\"\\x01\\x00\"\n"
		       "cmd23=\"\\x17\\x00\\x00\\x00\"\ncmd25=\"\\x19\\x00\\x00\\x00\"\ncmd18=\"\\x12\\x00\\x00\\x00\"\n";
	}
}

/* The tee socket's tokens, added to ipc.dict for the pta layer (include/emu_ipc.h, pta_stmm.h). */
static const char pta_extra[] =
	"\n# pta: the tee socket's INVOKE (stmm-emu seeds)\n"
	"type_tee_invoke_req=\"\\x09\\x02\"\n"
	"type_tee_open_session_req=\"\\x01\\x02\"\n"
	"pta_stmm_cmd_communicate=\"\\x00\\x00\\x00\\x00\"\n"
	"param_types_inout_valout=\"\\x27\\x00\\x00\\x00\"\n";

static int write_dict(const struct seeds *s, enum seeds_layer l, const char *dict_dir, GString *err)
{
	g_autofree char *dst = g_strdup_printf("%s/%s.dict", s->out, layers[l].name);
	g_autofree char *src_name = g_strdup_printf("%s.dict", layers[l].dict);
	g_autofree char *src = dict_dir ? g_build_filename(dict_dir, src_name, NULL) : NULL;
	g_autofree char *contents = NULL;
	g_autoptr(GError) ge = NULL;
	gsize len = 0;
	g_autoptr(GString) out = g_string_new("");

	if (src && g_file_get_contents(src, &contents, &len, NULL))
		g_string_append_len(out, contents, (gssize)len);
	else
		g_string_printf(out, "# %s: generated by stmm-emu seeds (no tests/fuzz/dict/%s found)\n%s",
				layers[l].name, src_name, generated_dict(l));
	if (l == SEEDS_PTA)
		g_string_append(out, pta_extra);
	if (!g_file_set_contents(dst, out->str, (gssize)out->len, &ge)) {
		g_string_printf(err, "%s", ge->message);
		return -EIO;
	}
	return 0;
}

static int write_manifest(const struct seeds *s, enum seeds_layer l, GString *err)
{
	g_autofree char *dst = g_strdup_printf("%s/%s.manifest", s->out, layers[l].name);
	g_autoptr(GString) out = g_string_new("");
	g_autoptr(GError) ge = NULL;

	g_string_append_printf(out,
			       "# %s corpus for %s: %s.\n"
			       "# One line per input, tab-separated: file (sha1 of the content), size, "
			       "byte order, what it is (decoded), where it was first seen, times seen.\n",
			       layers[l].name, layers[l].harness, layers[l].format);
	for (guint i = 0; i < s->order[l]->len; i++) {
		const char *sha = g_ptr_array_index(s->order[l], i);
		const struct seed *e = g_hash_table_lookup(s->by_sha1[l], sha);
		g_string_append_printf(out, "%s\t%" PRIu64 "\t%s\t%s\t%s\t%u\n", sha, e->size,
				       layers[l].order, e->what, e->origin, e->seen);
	}
	if (!g_file_set_contents(dst, out->str, (gssize)out->len, &ge)) {
		g_string_printf(err, "%s", ge->message);
		return -EIO;
	}
	return 0;
}

int seeds_finish(struct seeds *s, const char *dict_dir, GString *err)
{
	for (unsigned l = 0; l < SEEDS_LAYER_COUNT; l++) {
		if (!(s->mask & (1u << l)))
			continue;
		int r = write_manifest(s, l, err);
		if (r == 0)
			r = write_dict(s, l, dict_dir, err);
		if (r < 0)
			return r;
	}
	return 0;
}

void seeds_count(const struct seeds *s, enum seeds_layer l, unsigned *ret_files,
		 uint64_t *ret_bytes)
{
	*ret_files = (unsigned)l < SEEDS_LAYER_COUNT ? s->order[l]->len : 0;
	*ret_bytes = (unsigned)l < SEEDS_LAYER_COUNT ? s->bytes[l] : 0;
}

void seeds_print_summary(const struct seeds *s, FILE *f)
{
	unsigned total_files = 0;
	uint64_t total_bytes = 0;

	fprintf(f, "%-6s %7s %12s %8s  %s\n", "layer", "files", "bytes", "left out", "harness");
	for (unsigned l = 0; l < SEEDS_LAYER_COUNT; l++) {
		if (!(s->mask & (1u << l)))
			continue;
		fprintf(f, "%-6s %7u %12" PRIu64 " %8u  %s\n", layers[l].name, s->order[l]->len,
			s->bytes[l], s->over[l], layers[l].harness);
		total_files += s->order[l]->len;
		total_bytes += s->bytes[l];
	}
	fprintf(f, "%-6s %7u %12" PRIu64 " %8s  in %s\n", "total", total_files, total_bytes, "", s->out);
}
