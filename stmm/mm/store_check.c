/* SPDX-License-Identifier: MIT */
/* Offline validation of an NV store region (see store_check.h). */
#include "store_check.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "bytes.h"
#include "fv.h"

static const char *const code_names[] = {
	[STORE_PROBLEM_FV_SIGNATURE] = "fv-signature",
	[STORE_PROBLEM_FV_REVISION] = "fv-revision",
	[STORE_PROBLEM_FV_HEADER_LENGTH] = "fv-header-length",
	[STORE_PROBLEM_FV_CHECKSUM] = "fv-checksum",
	[STORE_PROBLEM_FV_GUID] = "fv-guid",
	[STORE_PROBLEM_FV_LENGTH] = "fv-length",
	[STORE_PROBLEM_FV_BLOCK_MAP] = "fv-block-map",
	[STORE_PROBLEM_STORE_SIGNATURE] = "store-signature",
	[STORE_PROBLEM_STORE_FORMAT] = "store-format",
	[STORE_PROBLEM_STORE_STATE] = "store-state",
	[STORE_PROBLEM_STORE_SIZE] = "store-size",
	[STORE_PROBLEM_RECORD_START_ID] = "record-start-id",
	[STORE_PROBLEM_RECORD_OVERRUN] = "record-overrun",
	[STORE_PROBLEM_RECORD_STATE] = "record-state",
	[STORE_PROBLEM_RECORD_ATTRIBUTES] = "record-attributes",
	[STORE_PROBLEM_RECORD_NAME] = "record-name",
	[STORE_PROBLEM_RECORD_TAIL] = "record-tail",
	[STORE_PROBLEM_FTW_SIGNATURE] = "ftw-signature",
	[STORE_PROBLEM_FTW_CRC] = "ftw-crc",
	[STORE_PROBLEM_FTW_STATE] = "ftw-state",
	[STORE_PROBLEM_FTW_QUEUE_SIZE] = "ftw-queue-size",
	[STORE_PROBLEM_FTW_WRITE] = "ftw-write",
	[STORE_PROBLEM_FTW_SPARE] = "ftw-spare",
};

const char *store_problem_code_name(enum store_problem_code code)
{
	if ((size_t)code < G_N_ELEMENTS(code_names) && code_names[code])
		return code_names[code];
	return "unknown";
}

static void problem_clear(gpointer p)
{
	g_free(((struct store_problem *)p)->what);
}

GArray *store_problems_new(void)
{
	GArray *a = g_array_new(FALSE, TRUE, sizeof(struct store_problem));

	g_array_set_clear_func(a, problem_clear);
	return a;
}

static void add(GArray *problems, uint32_t off, enum store_problem_code code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add(GArray *problems, uint32_t off, enum store_problem_code code, const char *fmt, ...)
{
	struct store_problem p = { .offset = off, .code = code };
	va_list ap;

	va_start(ap, fmt);
	p.what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_array_append_val(problems, p);
}

static bool all_bytes(const uint8_t *b, size_t len, uint8_t v)
{
	for (size_t i = 0; i < len; i++)
		if (b[i] != v)
			return false;
	return true;
}

uint32_t store_dirty_end(const uint8_t *region, uint32_t from, uint32_t to)
{
	for (uint32_t i = to; i > from; i--)
		if (region[i - 1] != FV_ERASED_BYTE)
			return i;
	return from;
}

bool store_record_state_valid(uint8_t state)
{
	/* Reachable from erased by ANDing HEADER_VALID_ONLY, ADDED, IN_DELETED_TRANSITION and
	 * DELETED: bits 2-5 always set, bit 6 cleared only together with bit 7 (ADDED). */
	return (state & 0x3cu) == 0x3cu && !((state & 0x40u) == 0 && (state & 0x80u) != 0);
}

static bool state_live(uint8_t state)
{
	return state == VAR_ADDED || state == (uint8_t)(VAR_ADDED & VAR_IN_DELETED_TRANSITION);
}

void store_count_records_from(const uint8_t *region, uint32_t off, uint32_t end,
			      uint32_t *ret_records, uint32_t *ret_live)
{
	uint32_t records = 0, live = 0;
	bool first = true;

	off = (uint32_t)fv_align(off);
	while (off < end && end - off >= FV_RECORD_HEADER_SIZE) {
		const uint8_t *h = region + off;
		uint16_t sid = get_le16(h + offsetof(struct authenticated_variable_header, start_id));
		uint32_t ns = get_le32(h + offsetof(struct authenticated_variable_header, name_size));
		uint32_t ds = get_le32(h + offsetof(struct authenticated_variable_header, data_size));
		uint8_t st = h[offsetof(struct authenticated_variable_header, state)];
		uint64_t raw = fv_record_raw_size(ns, ds);

		/* The first header counts whatever its StartId says: it is the damaged one. */
		if ((first || sid == VARIABLE_DATA) && ns >= 2 && raw <= end - off &&
		    store_record_state_valid(st)) {
			records++;
			if (state_live(st))
				live++;
			off = (uint32_t)fv_align(off + raw);
		} else {
			off += VARIABLE_HEADER_ALIGNMENT;
		}
		first = false;
	}
	*ret_records = records;
	*ret_live = live;
}

/* ---- FV header and variable store header --------------------------------------------------- */

#define FVH(field) ((uint32_t)offsetof(struct efi_firmware_volume_header, field))
#define VSH(field) ((uint32_t)offsetof(struct variable_store_header, field))
#define AVH(field) ((uint32_t)offsetof(struct authenticated_variable_header, field))
#define FTWH(field) ((uint32_t)offsetof(struct ftw_working_block_header, field))

/*
 * The FV header; returns the header length to use for what follows (72 if unusable), or 0
 * when there is no header at all (nothing more to say about the variable store).
 */
static uint16_t check_fv_header(const uint8_t *m, uint32_t vsize, uint64_t total, GArray *p)
{
	const efi_guid_t fs = EFI_SYSTEM_NV_DATA_FV_GUID;
	uint16_t hlen = get_le16(m + FVH(header_length));
	uint64_t fvlen = get_le64(m + FVH(fv_length));
	bool hlen_ok;

	if (all_bytes(m, EDK2_FV_HEADER_LENGTH, FV_ERASED_BYTE) ||
	    all_bytes(m, EDK2_FV_HEADER_LENGTH, 0)) {
		add(p, 0, STORE_PROBLEM_FV_SIGNATURE, "no FV header (the region is %s): no store",
		    m[0] ? "erased" : "zeroed");
		return 0;
	}
	if (get_le32(m + FVH(signature)) != EFI_FVH_SIGNATURE)
		add(p, FVH(signature), STORE_PROBLEM_FV_SIGNATURE, "bad FV signature 0x%08x (want _FVH)",
		    get_le32(m + FVH(signature)));
	if (m[FVH(revision)] != EFI_FVH_REVISION)
		add(p, FVH(revision), STORE_PROBLEM_FV_REVISION, "bad FV revision %u (want %u)",
		    m[FVH(revision)], EFI_FVH_REVISION);
	hlen_ok = hlen >= EDK2_FV_HEADER_LENGTH && (hlen & 1u) == 0 &&
		  hlen + sizeof(struct variable_store_header) <= vsize;
	if (!hlen_ok)
		add(p, FVH(header_length), STORE_PROBLEM_FV_HEADER_LENGTH, "bad FV HeaderLength %u",
		    hlen);
	else if (fv_sum16(m, hlen) != 0)
		add(p, FVH(checksum), STORE_PROBLEM_FV_CHECKSUM,
		    "bad FV header checksum (the header's 16-bit sum is 0x%04x, not 0)",
		    fv_sum16(m, hlen));
	if (memcmp(m + FVH(file_system_guid), fs.b, 16) != 0)
		add(p, FVH(file_system_guid), STORE_PROBLEM_FV_GUID,
		    "FileSystemGuid is not gEfiSystemNvDataFvGuid");
	if (fvlen != total)
		add(p, FVH(fv_length), STORE_PROBLEM_FV_LENGTH,
		    "FvLength 0x%" PRIx64 " is not the region's 0x%" PRIx64, fvlen, total);
	if (hlen_ok) {
		/* Block map: entries until {0, 0}, covering FvLength. */
		uint64_t covered = 0;
		uint32_t e = FVH(block_map);
		bool terminated = false;

		for (; e + 8 <= hlen; e += 8) {
			uint32_t n = get_le32(m + e), l = get_le32(m + e + 4);
			if (n == 0 && l == 0) {
				terminated = true;
				break;
			}
			covered += (uint64_t)n * l;
		}
		if (!terminated)
			add(p, FVH(block_map), STORE_PROBLEM_FV_BLOCK_MAP,
			    "FV block map has no {0, 0} terminator within HeaderLength");
		else if (covered != fvlen)
			add(p, FVH(block_map), STORE_PROBLEM_FV_BLOCK_MAP,
			    "FV block map covers 0x%" PRIx64 " bytes, FvLength is 0x%" PRIx64, covered,
			    fvlen);
	}
	return hlen_ok ? hlen : EDK2_FV_HEADER_LENGTH;
}

static void check_store_header(const uint8_t *m, uint32_t hoff, uint32_t vsize, GArray *p)
{
	const efi_guid_t auth = EFI_AUTHENTICATED_VARIABLE_GUID, plain = EFI_VARIABLE_GUID;
	const uint8_t *h = m + hoff;
	uint32_t size = get_le32(h + VSH(size));

	if (memcmp(h + VSH(signature), plain.b, 16) == 0)
		add(p, hoff, STORE_PROBLEM_STORE_SIGNATURE,
		    "variable store is not in the authenticated format (gEfiVariableGuid)");
	else if (memcmp(h + VSH(signature), auth.b, 16) != 0)
		add(p, hoff, STORE_PROBLEM_STORE_SIGNATURE, "bad variable store signature");
	if (h[VSH(format)] != VARIABLE_STORE_FORMATTED)
		add(p, hoff + VSH(format), STORE_PROBLEM_STORE_FORMAT,
		    "variable store Format 0x%02x (want 0x%02x)", h[VSH(format)],
		    VARIABLE_STORE_FORMATTED);
	if (h[VSH(state)] != VARIABLE_STORE_HEALTHY)
		add(p, hoff + VSH(state), STORE_PROBLEM_STORE_STATE,
		    "variable store State 0x%02x (want 0x%02x, healthy)", h[VSH(state)],
		    VARIABLE_STORE_HEALTHY);
	if (size != vsize - hoff)
		add(p, hoff + VSH(size), STORE_PROBLEM_STORE_SIZE,
		    "variable store Size 0x%x; the layout gives 0x%x", size, vsize - hoff);
}

/* ---- records ------------------------------------------------------------------------------- */

static void check_record_fields(const uint8_t *m, const struct fv_record *rec, GArray *p)
{
	const uint32_t known = EFI_VARIABLE_ATTRIBUTES_MASK | EFI_VARIABLE_AUTHENTICATED_WRITE_ACCESS |
			       EFI_VARIABLE_ENHANCED_AUTHENTICATED_ACCESS;
	uint32_t a = rec->attributes;

	if (!store_record_state_valid(rec->state))
		add(p, rec->off + AVH(state), STORE_PROBLEM_RECORD_STATE,
		    "variable record State 0x%02x is no state edk2 writes", rec->state);
	if (a & ~known)
		add(p, rec->off + AVH(attributes), STORE_PROBLEM_RECORD_ATTRIBUTES,
		    "variable record Attributes 0x%08x: reserved bits set", a);
	else if (!(a & EFI_VARIABLE_NON_VOLATILE))
		add(p, rec->off + AVH(attributes), STORE_PROBLEM_RECORD_ATTRIBUTES,
		    "variable record Attributes 0x%08x: not NON_VOLATILE in the NV store", a);
	else if ((a & EFI_VARIABLE_RUNTIME_ACCESS) && !(a & EFI_VARIABLE_BOOTSERVICE_ACCESS))
		add(p, rec->off + AVH(attributes), STORE_PROBLEM_RECORD_ATTRIBUTES,
		    "variable record Attributes 0x%08x: RUNTIME_ACCESS without BOOTSERVICE_ACCESS", a);
	if (rec->name_size < 2 || (rec->name_size & 1u))
		add(p, rec->off + AVH(name_size), STORE_PROBLEM_RECORD_NAME,
		    "variable record NameSize %u is not a UCS-2 name", rec->name_size);
	else if (var_name_size(m + rec->name_off, rec->name_size) != rec->name_size)
		add(p, rec->name_off, STORE_PROBLEM_RECORD_NAME,
		    "variable record name (NameSize %u) is not a NUL-terminated UCS-2 string",
		    rec->name_size);
}

static void check_records(const uint8_t *m, uint32_t rec_start, uint32_t rec_end, GArray *p)
{
	uint32_t off = rec_start;
	struct fv_record rec;

	while (off < rec_end) {
		uint32_t dirty, records, live;
		uint16_t sid = rec_end - off >= 2 ? get_le16(m + off) : 0xffffu;
		int r = sid == 0xffffu ? -ENOENT : fv_record_parse(m, off, rec_end, &rec);

		if (r == 0) {
			check_record_fields(m, &rec, p);
			off = rec.next_off;
			continue;
		}
		dirty = store_dirty_end(m, off, rec_end);
		store_count_records_from(m, off, rec_end, &records, &live);
		if (r == -EBADMSG) {
			add(p, off, STORE_PROBLEM_RECORD_OVERRUN,
			    "variable record (NameSize %u, DataSize %u) runs past the end of the "
			    "variable store: it and the %u bytes after it are dropped at boot",
			    get_le32(m + off + AVH(name_size)), get_le32(m + off + AVH(data_size)),
			    dirty - off);
		} else if (sid != 0xffffu && rec_end - off >= FV_RECORD_HEADER_SIZE) {
			add(p, off, STORE_PROBLEM_RECORD_START_ID,
			    "variable record StartId 0x%04x (want 0x55aa): the store ends here; %u "
			    "bytes with %u records (%u live) after it are dropped at boot",
			    sid, dirty - off, records, live);
		} else if (dirty > off) {
			uint32_t first = off;
			while (m[first] == FV_ERASED_BYTE)
				first++;
			add(p, first, STORE_PROBLEM_RECORD_TAIL,
			    "%u non-erased bytes after the last record (at 0x%x), erased at boot",
			    dirty - first, off);
		}
		break;
	}
}

/* ---- FTW ----------------------------------------------------------------------------------- */

static void check_ftw(const uint8_t *m, const struct store_layout *l, GArray *p)
{
	const efi_guid_t sig = EDKII_WORKING_BLOCK_SIGNATURE_GUID, ours = STMM_EMU_FTW_CALLER_GUID;
	const uint32_t w = l->var_store_size, spare = w + l->ftw_working_size;
	const uint32_t wh = w + (uint32_t)sizeof(struct ftw_working_block_header);
	const uint32_t wr = wh + (uint32_t)sizeof(struct ftw_write_header);
	uint8_t state = m[w + FTWH(state)], hst, rst;
	uint8_t tmp[sizeof(struct ftw_working_block_header)];
	guint header_problems;

	if (l->ftw_spare_size < l->var_store_size)
		add(p, spare, STORE_PROBLEM_FTW_SPARE,
		    "FTW spare area (%u bytes) is smaller than the variable store (%u): no reclaim",
		    l->ftw_spare_size, l->var_store_size);
	if (memcmp(m + w + FTWH(signature), sig.b, 16) != 0) {
		add(p, w, STORE_PROBLEM_FTW_SIGNATURE, "bad FTW working block signature");
		return;
	}
	header_problems = p->len;
	memcpy(tmp, m + w, sizeof(tmp));
	memset(tmp + FTWH(crc), FV_ERASED_BYTE, 4);
	tmp[FTWH(state)] = FV_ERASED_BYTE;
	if (fv_crc32(tmp, sizeof(tmp)) != get_le32(m + w + FTWH(crc)))
		add(p, w + FTWH(crc), STORE_PROBLEM_FTW_CRC,
		    "bad FTW working block header CRC 0x%08x (computed 0x%08x)",
		    get_le32(m + w + FTWH(crc)), fv_crc32(tmp, sizeof(tmp)));
	if ((state & FTW_WORKING_BLOCK_VALID_BIT) || !(state & FTW_WORKING_BLOCK_INVALID_BIT))
		add(p, w + FTWH(state), STORE_PROBLEM_FTW_STATE,
		    "FTW working block state 0x%02x: WorkingBlockValid %s, WorkingBlockInvalid %s",
		    state, state & FTW_WORKING_BLOCK_VALID_BIT ? "clear" : "set",
		    state & FTW_WORKING_BLOCK_INVALID_BIT ? "clear" : "set");
	if (get_le64(m + w + FTWH(write_queue_size)) !=
	    l->ftw_working_size - sizeof(struct ftw_working_block_header))
		add(p, w + FTWH(write_queue_size), STORE_PROBLEM_FTW_QUEUE_SIZE,
		    "FTW WriteQueueSize 0x%" PRIx64 " (the working area gives 0x%zx)",
		    get_le64(m + w + FTWH(write_queue_size)),
		    (size_t)l->ftw_working_size - sizeof(struct ftw_working_block_header));
	if (p->len != header_problems)
		return; /* a broken header: the queue means nothing (stmmd ignores it) */
	if (l->ftw_working_size < STORE_BLOCK_SIZE)
		return;

	hst = m[wh];
	rst = m[wr];
	if (hst & FTW_HEADER_ALLOCATED)
		return; /* empty queue */
	if (memcmp(m + wh + offsetof(struct ftw_write_header, caller_id), ours.b, 16) != 0) {
		if (!(hst & FTW_WRITES_COMPLETED))
			return; /* someone's finished write */
		add(p, wh, STORE_PROBLEM_FTW_WRITE,
		    "pending FTW write of another caller: stmmd aborts it at boot");
		return;
	}
	if (!(hst & FTW_WRITES_COMPLETED))
		return; /* our write, finished */
	{
		uint16_t hlen = get_le16(m + FVH(header_length));
		bool consistent =
			!(hst & FTW_WRITES_ALLOCATED) &&
			get_le64(m + wh + offsetof(struct ftw_write_header, number_of_writes)) == 1 &&
			get_le64(m + wh + offsetof(struct ftw_write_header, private_data_size)) == 0 &&
			get_le64(m + wr + offsetof(struct ftw_write_record, lba)) == 0 &&
			get_le64(m + wr + offsetof(struct ftw_write_record, offset)) == hlen &&
			get_le64(m + wr + offsetof(struct ftw_write_record, length)) ==
				(uint64_t)l->var_store_size - hlen &&
			(int64_t)get_le64(m + wr + offsetof(struct ftw_write_record, relative_offset)) ==
				-(int64_t)spare;
		struct fv_info info;
		uint32_t size;

		if (!consistent) {
			add(p, wh, STORE_PROBLEM_FTW_WRITE,
			    "pending FTW write whose header or record does not describe this "
			    "store's reclaim: stmmd aborts it at boot");
			return;
		}
		if ((rst & FTW_RECORD_SPARE_COMPLETED) == 0 &&
		    (fv_check_fv_header(m + spare, l->var_store_size, &info) < 0 ||
		     fv_check_store_header(m + spare + info.header_length,
					   l->var_store_size - info.header_length, &size) < 0))
			add(p, spare, STORE_PROBLEM_FTW_SPARE,
			    "the FTW spare area is marked complete but holds no valid variable store: "
			    "finishing the pending reclaim would destroy the store");
	}
}

int store_check(const uint8_t *region, size_t len, const struct store_layout *layout,
		GArray *problems)
{
	struct store_layout l;
	uint64_t total;
	uint16_t hlen;
	guint before;

	if (!region || !layout || !problems)
		return -EINVAL;
	l = *layout;
	l.base_offset = 0;
	if (!store_layout_valid(&l))
		return -EINVAL;
	total = (uint64_t)l.var_store_size + l.ftw_working_size + l.ftw_spare_size;
	if (len != total)
		return -EINVAL;
	before = problems->len;
	hlen = check_fv_header(region, l.var_store_size, total, problems);
	if (hlen)
		check_store_header(region, hlen, l.var_store_size, problems);
	/* Records only mean something in a store that store_open would keep. */
	if (hlen && problems->len == before)
		check_records(region,
			      (uint32_t)fv_align(hlen + sizeof(struct variable_store_header)),
			      l.var_store_size, problems);
	check_ftw(region, &l, problems);
	return 0;
}

int store_check_main(const char *path, int64_t var_store_size, int64_t ftw_working_size,
		     int64_t ftw_spare_size, FILE *out, FILE *err)
{
	const int64_t sizes[] = { var_store_size, ftw_working_size, ftw_spare_size };
	g_autoptr(GError) gerr = NULL;
	g_autoptr(GArray) problems = store_problems_new();
	g_autofree gchar *data = NULL;
	struct store_layout l;
	gsize len = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++)
		if (sizes[i] <= 0 || sizes[i] > 16 * 1024 * 1024) {
			fprintf(err, "stmmd: --check-store: store sizes are 1 byte .. 16 MiB\n");
			return 2;
		}
	l = (struct store_layout){ 0, (uint32_t)var_store_size, (uint32_t)ftw_working_size,
				   (uint32_t)ftw_spare_size };
	if (!store_layout_valid(&l)) {
		fprintf(err, "stmmd: --check-store: layout %u + %u + %u is not usable (multiples of "
			"256, total a multiple of 4096)\n", l.var_store_size, l.ftw_working_size,
			l.ftw_spare_size);
		return 2;
	}
	if (!g_file_get_contents(path, &data, &len, &gerr)) {
		fprintf(err, "stmmd: --check-store: %s\n", gerr->message);
		return 2;
	}
	uint64_t total = (uint64_t)l.var_store_size + l.ftw_working_size + l.ftw_spare_size;
	if (len != total) {
		fprintf(err, "stmmd: --check-store %s: %zu bytes; the layout needs %" PRIu64 "\n",
			path, (size_t)len, total);
		return 2;
	}
	if (store_check((const uint8_t *)data, len, &l, problems) < 0) {
		fprintf(err, "stmmd: --check-store: layout not usable\n");
		return 2;
	}
	for (guint i = 0; i < problems->len; i++) {
		const struct store_problem *pr = &g_array_index(problems, struct store_problem, i);
		fprintf(out, "offset 0x%x: %s: %s\n", pr->offset, store_problem_code_name(pr->code),
			pr->what);
	}
	if (fflush(out) != 0)
		return 2;
	return problems->len ? 1 : 0;
}
