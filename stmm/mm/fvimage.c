/* SPDX-License-Identifier: MIT */
/* Whole EDK2 variable FV images: parse a foreign store, build a compacted one (fvimage.h). */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "bytes.h"
#include "efi_util.h"
#include "fvimage.h"
#include "varindex.h"

#define FVH_OFF(field) ((uint32_t)offsetof(struct efi_firmware_volume_header, field))
#define VSH_OFF(field) ((uint32_t)offsetof(struct variable_store_header, field))
#define VSH_SIZE ((uint32_t)sizeof(struct variable_store_header))
#define VAR_ADDED_IN_TRANSITION ((uint8_t)(VAR_ADDED & VAR_IN_DELETED_TRANSITION))
/* Free space the default layout leaves: one more variable of PcdMaxAuthVariableSize. */
#define FVIMAGE_HEADROOM STMM_DEFAULT_MAX_AUTH_VARIABLE_SIZE

void fvimage_free(struct fvimage *img)
{
	if (!img)
		return;
	if (img->vars)
		g_array_unref(img->vars);
	g_free(img);
}

static int fail(char **ret_error, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char **ret_error, uint64_t off, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_autofree char *what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (ret_error)
		*ret_error = g_strdup_printf("offset 0x%" G_GINT64_MODIFIER "x: %s", off, what);
	return -EINVAL;
}

static const char *guid_str(const uint8_t *p, char buf[EFI_GUID_STRING_SIZE])
{
	efi_guid_t g;

	memcpy(g.b, p, sizeof(g.b));
	return efi_guid_format(&g, buf);
}

/* FV header: everything edk2's FVB drivers check before trusting the volume. */
static int parse_fv_header(const uint8_t *buf, size_t len, uint32_t *ret_hlen,
			   uint64_t *ret_fv_length, char **ret_error)
{
	const efi_guid_t nvdata = EFI_SYSTEM_NV_DATA_FV_GUID;
	char g1[EFI_GUID_STRING_SIZE], g2[EFI_GUID_STRING_SIZE];
	uint32_t sig, hlen, off;
	uint64_t fv_length;

	if (len < EDK2_FV_HEADER_LENGTH)
		return fail(ret_error, 0, "not an EDK2 firmware volume: the file has %zu bytes, "
			    "less than an FV header (%u)", len, EDK2_FV_HEADER_LENGTH);
	sig = get_le32(buf + FVH_OFF(signature));
	if (sig != EFI_FVH_SIGNATURE)
		return fail(ret_error, FVH_OFF(signature),
			    "not an EDK2 firmware volume: signature is 0x%08x, expected 0x%08x (\"_FVH\")",
			    sig, EFI_FVH_SIGNATURE);
	if (buf[FVH_OFF(revision)] != EFI_FVH_REVISION)
		return fail(ret_error, FVH_OFF(revision), "FV header revision is %u, expected %u",
			    buf[FVH_OFF(revision)], EFI_FVH_REVISION);
	hlen = get_le16(buf + FVH_OFF(header_length));
	if (hlen < EDK2_FV_HEADER_LENGTH || (hlen & 1u) || hlen > len)
		return fail(ret_error, FVH_OFF(header_length),
			    "FV HeaderLength %u is invalid (even, at least %u, inside the file)", hlen,
			    EDK2_FV_HEADER_LENGTH);
	uint16_t sum = fv_sum16(buf, hlen);
	if (sum != 0)
		return fail(ret_error, FVH_OFF(checksum),
			    "bad FV header checksum: the %u header bytes sum to 0x%04x, expected 0 "
			    "(Checksum field 0x%04x)", hlen, sum, get_le16(buf + FVH_OFF(checksum)));
	if (memcmp(buf + FVH_OFF(file_system_guid), nvdata.b, 16) != 0)
		return fail(ret_error, FVH_OFF(file_system_guid),
			    "not a variable FV: FileSystemGuid is %s, expected %s (gEfiSystemNvDataFvGuid)",
			    guid_str(buf + FVH_OFF(file_system_guid), g1), efi_guid_format(&nvdata, g2));
	/* The block map: entries until {0, 0}, inside the header. */
	for (off = FVH_OFF(block_map);; off += 8) {
		if (off + 8 > hlen)
			return fail(ret_error, FVH_OFF(block_map),
				    "FV block map has no {0, 0} terminator within HeaderLength %u", hlen);
		uint32_t num = get_le32(buf + off), blen = get_le32(buf + off + 4);
		if (num == 0 && blen == 0)
			break;
		if (num == 0 || blen == 0)
			return fail(ret_error, off, "FV block map entry {%u, %u} is invalid", num, blen);
	}
	fv_length = get_le64(buf + FVH_OFF(fv_length));
	if (fv_length > len)
		return fail(ret_error, FVH_OFF(fv_length),
			    "FvLength 0x%" G_GINT64_MODIFIER "x runs past the end of the file "
			    "(0x%zx bytes): truncated?", fv_length, len);
	if (fv_length < (uint64_t)hlen + VSH_SIZE)
		return fail(ret_error, FVH_OFF(fv_length),
			    "FvLength 0x%" G_GINT64_MODIFIER "x leaves no room for a variable store",
			    fv_length);
	*ret_hlen = hlen;
	*ret_fv_length = fv_length;
	return 0;
}

static int parse_store_header(const uint8_t *buf, uint32_t hlen, uint64_t fv_length,
			      uint32_t *ret_size, char **ret_error)
{
	const efi_guid_t auth = EFI_AUTHENTICATED_VARIABLE_GUID, plain = EFI_VARIABLE_GUID;
	const uint8_t *h = buf + hlen;
	char g1[EFI_GUID_STRING_SIZE], g2[EFI_GUID_STRING_SIZE];

	if (memcmp(h + VSH_OFF(signature), plain.b, 16) == 0)
		return fail(ret_error, hlen + VSH_OFF(signature),
			    "the variable store uses the non-authenticated format (signature %s); "
			    "only the authenticated format (%s) is supported",
			    efi_guid_format(&plain, g1), efi_guid_format(&auth, g2));
	if (memcmp(h + VSH_OFF(signature), auth.b, 16) != 0)
		return fail(ret_error, hlen + VSH_OFF(signature),
			    "bad variable store signature %s, expected %s (gEfiAuthenticatedVariableGuid)",
			    guid_str(h + VSH_OFF(signature), g1), efi_guid_format(&auth, g2));
	if (h[VSH_OFF(format)] != VARIABLE_STORE_FORMATTED)
		return fail(ret_error, hlen + VSH_OFF(format),
			    "variable store is not formatted (Format 0x%02x, expected 0x%02x)",
			    h[VSH_OFF(format)], VARIABLE_STORE_FORMATTED);
	if (h[VSH_OFF(state)] != VARIABLE_STORE_HEALTHY)
		return fail(ret_error, hlen + VSH_OFF(state),
			    "variable store is not healthy (State 0x%02x, expected 0x%02x)",
			    h[VSH_OFF(state)], VARIABLE_STORE_HEALTHY);
	uint32_t size = get_le32(h + VSH_OFF(size));
	if (size < VSH_SIZE + FV_RECORD_HEADER_SIZE || (uint64_t)hlen + size > fv_length)
		return fail(ret_error, hlen + VSH_OFF(size),
			    "variable store Size 0x%x does not fit the FV (FvLength 0x%" G_GINT64_MODIFIER
			    "x, store at 0x%x)", size, fv_length, hlen);
	*ret_size = size;
	return 0;
}

/* The key of a variable: GUID then name bytes. */
static GBytes *var_key(const struct fv_record *rec, const uint8_t *buf)
{
	g_autofree uint8_t *k = g_malloc(16 + (size_t)rec->name_size);

	memcpy(k, rec->guid.b, 16);
	memcpy(k + 16, buf + rec->name_off, rec->name_size);
	return g_bytes_new_take(g_steal_pointer(&k), 16 + (size_t)rec->name_size);
}

static gint rec_by_offset(gconstpointer a, gconstpointer b)
{
	const struct fv_record *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

int fvimage_parse(const uint8_t *buf, size_t len, struct fvimage **ret_img, char **ret_error)
{
	uint32_t hlen = 0, size = 0, off, end;
	uint64_t fv_length = 0;
	int r;

	if (!buf || !ret_img)
		return -EINVAL;
	r = parse_fv_header(buf, len, &hlen, &fv_length, ret_error);
	if (r < 0)
		return r;
	r = parse_store_header(buf, hlen, fv_length, &size, ret_error);
	if (r < 0)
		return r;

	g_autoptr(fvimage) img = g_new0(struct fvimage, 1);
	img->fv_length = fv_length;
	img->store_size = size;
	/* Winner per variable: key -> struct fv_record (owned by the table). */
	g_autoptr(GHashTable) live = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
							   (GDestroyNotify)g_bytes_unref, g_free);
	end = hlen + size;
	off = (uint32_t)fv_align(hlen + VSH_SIZE);
	for (;;) {
		struct fv_record rec;

		r = fv_record_parse(buf, off, end, &rec);
		if (r == -ENOENT)
			break;
		if (r < 0) {
			uint32_t ns = get_le32(buf + off + offsetof(struct authenticated_variable_header, name_size));
			uint32_t ds = get_le32(buf + off + offsetof(struct authenticated_variable_header, data_size));
			return fail(ret_error, off,
				    "variable record (NameSize %u, DataSize %u) runs past the end of "
				    "the variable store at 0x%x", ns, ds, end);
		}
		img->records++;
		off = rec.next_off;
		if (rec.state != VAR_ADDED && rec.state != VAR_ADDED_IN_TRANSITION)
			continue;
		if (rec.name_size < 2 || (rec.name_size & 1u) ||
		    var_name_size(buf + rec.name_off, rec.name_size) != rec.name_size)
			return fail(ret_error, rec.off,
				    "live variable record has a name that is not one NUL-terminated "
				    "UCS-2 string (NameSize %u)", rec.name_size);
		g_autoptr(GBytes) key = var_key(&rec, buf);
		struct fv_record *have = g_hash_table_lookup(live, key);
		if (have && have->state == VAR_ADDED)
			continue; /* the first ADDED copy wins */
		/* No copy yet, or an in-transition one: an ADDED copy or a later one wins. */
		g_hash_table_replace(live, g_steal_pointer(&key), g_memdup2(&rec, sizeof(rec)));
	}
	img->end_of_records = MIN(off, end);

	g_autoptr(GList) winners = g_list_sort(g_hash_table_get_values(live), rec_by_offset);
	img->vars = g_array_sized_new(FALSE, TRUE, sizeof(struct fv_record_fields),
				      g_hash_table_size(live));
	for (GList *l = winners; l; l = l->next) {
		const struct fv_record *rec = l->data;
		struct fv_record_fields f = {
			.state = VAR_ADDED,
			.attributes = rec->attributes,
			.monotonic_count = rec->monotonic_count,
			.time_stamp = rec->time_stamp,
			.pub_key_index = rec->pub_key_index,
			.guid = rec->guid,
			.name = buf + rec->name_off,
			.name_size = rec->name_size,
			.data = buf + rec->data_off,
			.data_size = rec->data_size,
		};
		g_array_append_val(img->vars, f);
	}
	*ret_img = g_steal_pointer(&img);
	return 0;
}

uint64_t fvimage_bytes_needed(const struct fv_record_fields *vars, size_t n)
{
	uint64_t need = fv_align(EDK2_FV_HEADER_LENGTH + VSH_SIZE);

	for (size_t i = 0; i < n; i++)
		need += fv_align(fv_record_raw_size(vars[i].name_size, vars[i].data_size));
	return need;
}

static uint32_t round_up(uint64_t n, uint32_t to)
{
	return (uint32_t)((n + to - 1) / to * to);
}

void fvimage_default_layout(uint64_t needed, struct fvimage_layout *ret_layout)
{
	uint64_t want = MIN(needed + FVIMAGE_HEADROOM, (uint64_t)UINT32_MAX / 4);
	uint32_t v = MAX(STMM_DEFAULT_VARIABLE_STORE_SIZE, round_up(want, STMM_FV_BLOCK_SIZE));

	*ret_layout = (struct fvimage_layout){
		.var_store_size = v,
		.gap_size = 0,
		.ftw_working_size = STMM_DEFAULT_FTW_WORKING_SIZE,
		.ftw_spare_size = MAX(v, STMM_DEFAULT_FTW_SPARE_SIZE),
	};
}

int fvimage_ovmf_layout(uint64_t fv_size, struct fvimage_layout *ret_layout)
{
	const uint32_t k4 = STMM_FV_BLOCK_SIZE;

	if (fv_size % (2 * k4) || fv_size < 8 * k4 || fv_size > UINT32_MAX / 2)
		return -EINVAL;
	*ret_layout = (struct fvimage_layout){
		.var_store_size = (uint32_t)(fv_size / 2 - 2 * k4),
		.gap_size = k4,
		.ftw_working_size = k4,
		.ftw_spare_size = (uint32_t)(fv_size / 2),
	};
	return 0;
}

bool fvimage_layout_valid(const struct fvimage_layout *l)
{
	uint64_t total = fvimage_layout_total(l);

	return l->var_store_size % 256 == 0 && l->gap_size % 256 == 0 &&
	       l->ftw_working_size % 256 == 0 && l->ftw_spare_size % 256 == 0 &&
	       l->var_store_size >= fv_align(EDK2_FV_HEADER_LENGTH + VSH_SIZE) + FV_RECORD_HEADER_SIZE &&
	       l->ftw_working_size >= sizeof(struct ftw_working_block_header) &&
	       total % STMM_FV_BLOCK_SIZE == 0 && total <= UINT32_MAX / 2;
}

int fvimage_build(const struct fvimage_layout *l, const struct fv_record_fields *vars, size_t n,
		  uint8_t **ret_buf, size_t *ret_len)
{
	if (!l || !ret_buf || !ret_len || (n && !vars) || !fvimage_layout_valid(l))
		return -EINVAL;
	if (fvimage_bytes_needed(vars, n) > l->var_store_size)
		return -ENOSPC;

	size_t total = (size_t)fvimage_layout_total(l);
	g_autofree uint8_t *img = g_malloc(total);
	uint64_t off = fv_align(EDK2_FV_HEADER_LENGTH + VSH_SIZE);

	memset(img, FV_ERASED_BYTE, total);
	fv_build_fv_header(img, total);
	fv_build_store_header(img + EDK2_FV_HEADER_LENGTH, l->var_store_size - EDK2_FV_HEADER_LENGTH);
	for (size_t i = 0; i < n; i++) {
		struct fv_record_fields f = vars[i];

		f.state = VAR_ADDED;
		fv_record_build(img + off, &f);
		off = fv_align(off + fv_record_raw_size(f.name_size, f.data_size));
	}
	fv_build_ftw_header(img + l->var_store_size + l->gap_size, l->ftw_working_size);
	*ret_buf = g_steal_pointer(&img);
	*ret_len = total;
	return 0;
}
