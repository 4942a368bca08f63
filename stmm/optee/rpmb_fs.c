/* SPDX-License-Identifier: MIT */
/*
 * OP-TEE's RPMB file system over the RPMB client: see rpmb_fs.h.  Every rule here is
 * optee_os core/tee/tee_rpmb_fs.c's (function names in comments); the code is our own.
 */
#include "rpmb_fs.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <glib.h>
#include <openssl/crypto.h>

#include "bytes.h"
#include "optee_fs_crypto.h"

#define BLK RPMB_FS_BLOCK_SIZE
#define ENTRY_SIZE ((uint32_t)sizeof(struct rpmb_fat_entry))

struct rpmb_fs {
	struct rpmb_client *client;
	uint8_t ssk[OPTEE_FS_SSK_SIZE];
	bool ready;                /* fs_par set */
	uint32_t fat_start;        /* fs_par->fat_start_address, as the header says */
	uint32_t max_rpmb_address; /* fs_par->max_rpmb_address: max_blk_idx * 256 */
};

struct rpmb_fs_file {
	struct rpmb_fs *fs;
	uint8_t tsk[OPTEE_FS_TSK_SIZE];
	char filename[RPMB_FS_FILENAME_LENGTH];
	struct rpmb_fat_entry fe; /* host order */
	uint32_t fat_address;     /* rpmb_fat_address; 0: none chosen yet */
};

/* ---- FAT entries and the partition header at the edge ------------------------------ */

static void fat_entry_parse(const uint8_t *raw, struct rpmb_fat_entry *ret)
{
	ret->start_address = get_le32(raw + offsetof(struct rpmb_fat_entry, start_address));
	ret->data_size = get_le32(raw + offsetof(struct rpmb_fat_entry, data_size));
	ret->flags = get_le32(raw + offsetof(struct rpmb_fat_entry, flags));
	ret->unused = get_le32(raw + offsetof(struct rpmb_fat_entry, unused));
	memcpy(ret->fek, raw + offsetof(struct rpmb_fat_entry, fek), sizeof(ret->fek));
	memcpy(ret->filename, raw + offsetof(struct rpmb_fat_entry, filename),
	       sizeof(ret->filename));
}

static void fat_entry_put(const struct rpmb_fat_entry *fe, uint8_t raw[BLK])
{
	put_le32(raw + offsetof(struct rpmb_fat_entry, start_address), fe->start_address);
	put_le32(raw + offsetof(struct rpmb_fat_entry, data_size), fe->data_size);
	put_le32(raw + offsetof(struct rpmb_fat_entry, flags), fe->flags);
	put_le32(raw + offsetof(struct rpmb_fat_entry, unused), fe->unused);
	memcpy(raw + offsetof(struct rpmb_fat_entry, fek), fe->fek, sizeof(fe->fek));
	memcpy(raw + offsetof(struct rpmb_fat_entry, filename), fe->filename,
	       sizeof(fe->filename));
}

static bool is_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* ---- byte-addressed RPMB access (tee_rpmb_read / tee_rpmb_write) ------------------- */

/*
 * Read len bytes at byte address addr, whole blocks from the device.  file: decrypt them
 * as its data (each block with its own index); NULL: plain (header and FAT).
 */
static int dev_read(struct rpmb_fs *fs, uint64_t addr, void *buf, size_t len,
		    const struct rpmb_fs_file *file)
{
	uint8_t fek[OPTEE_FS_FEK_SIZE];
	int r = 0;

	if (!len)
		return -EINVAL;
	if (addr > UINT32_MAX || len > UINT32_MAX - addr)
		return -ERANGE;
	uint32_t blk = (uint32_t)(addr / BLK), off = (uint32_t)(addr % BLK);
	size_t nblk = (off + len + BLK - 1) / BLK;
	g_autofree uint8_t *tmp = g_malloc(nblk * BLK);

	r = rpmb_client_read(fs->client, blk, tmp, nblk);
	if (r < 0)
		return r;
	if (file) {
		/* decrypt(): a file whose FEK field is zero was made without encryption. */
		if (is_zero(file->fe.fek, sizeof(file->fe.fek)))
			return -EPERM;
		r = optee_fs_fek_crypt(file->tsk, false, file->fe.fek, fek);
		for (size_t i = 0; r == 0 && i < nblk; i++)
			r = optee_fs_crypt_block_fek(fek, (uint16_t)(blk + i), false,
						     tmp + i * BLK, tmp + i * BLK, BLK);
		OPENSSL_cleanse(fek, sizeof(fek));
		if (r < 0)
			return r;
	}
	memcpy(buf, tmp + off, len);
	return 0;
}

/* tee_rpmb_write_blk: n whole blocks at block blk, encrypted for file (or plain). */
static int dev_write_blocks(struct rpmb_fs *fs, uint32_t blk, uint8_t *data, size_t nblk,
			    const struct rpmb_fs_file *file)
{
	uint8_t fek[OPTEE_FS_FEK_SIZE];
	int r = 0;

	if (file) {
		r = optee_fs_fek_crypt(file->tsk, false, file->fe.fek, fek);
		for (size_t i = 0; r == 0 && i < nblk; i++)
			r = optee_fs_crypt_block_fek(fek, (uint16_t)(blk + i), true,
						     data + i * BLK, data + i * BLK, BLK);
		OPENSSL_cleanse(fek, sizeof(fek));
		if (r < 0)
			return r;
	}
	return rpmb_client_write(fs->client, blk, data, nblk);
}

/* tee_rpmb_write: aligned whole blocks as they are, anything else read-modify-write. */
static int dev_write(struct rpmb_fs *fs, uint64_t addr, const void *buf, size_t len,
		     const struct rpmb_fs_file *file)
{
	int r;

	if (!len)
		return -EINVAL;
	if (addr > UINT32_MAX || len > UINT32_MAX - addr)
		return -ERANGE;
	uint32_t blk = (uint32_t)(addr / BLK), off = (uint32_t)(addr % BLK);
	size_t nblk = (off + len + BLK - 1) / BLK;
	g_autofree uint8_t *tmp = g_malloc(nblk * BLK);

	if (off != 0 || len % BLK != 0) {
		r = dev_read(fs, (uint64_t)blk * BLK, tmp, nblk * BLK, file);
		if (r < 0)
			return r;
	}
	memcpy(tmp + off, buf, len);
	return dev_write_blocks(fs, blk, tmp, nblk, file);
}

/* tee_rpmb_write_is_atomic with rel_wr_blkcnt 1 (RPMB_DRIVER_MULTIPLE_WRITE_FIXED off). */
static bool write_is_atomic(uint32_t addr, size_t len)
{
	return (addr % BLK + len + BLK - 1) / BLK <= 1;
}

/* write_fat_entry */
static int write_fat_entry(struct rpmb_fs *fs, uint32_t fat_address,
			   const struct rpmb_fat_entry *fe)
{
	uint8_t raw[BLK];

	if (fat_address < sizeof(struct rpmb_fs_partition)) /* protect the header */
		return -EINVAL;
	if (fat_address % ENTRY_SIZE)
		return -EINVAL;
	fat_entry_put(fe, raw);
	return dev_write(fs, fat_address, raw, sizeof(raw), NULL);
}

/* ---- setup -------------------------------------------------------------------------- */

int rpmb_fs_setup(struct rpmb_fs *fs)
{
	struct rpmb_client_status st;
	uint8_t part[BLK];
	int r;

	if (fs->ready)
		return 0;
	r = rpmb_client_init(fs->client);
	if (r < 0)
		return r;
	rpmb_client_get_status(fs->client, &st);
	if (st.size_blocks == 0)
		return -ERANGE;

	/* One whole block, written back as it is: the counter moves past any request held
	 * back earlier.  Then read again in case such a request was committed instead. */
	r = dev_read(fs, RPMB_FS_STORAGE_START_ADDRESS, part, BLK, NULL);
	if (r == 0)
		r = dev_write(fs, RPMB_FS_STORAGE_START_ADDRESS, part, BLK, NULL);
	if (r == 0)
		r = dev_read(fs, RPMB_FS_STORAGE_START_ADDRESS, part,
			     sizeof(struct rpmb_fs_partition), NULL);
	if (r < 0)
		return r;

	uint32_t magic = get_le32(part + offsetof(struct rpmb_fs_partition, rpmb_fs_magic));
	uint32_t version = get_le32(part + offsetof(struct rpmb_fs_partition, fs_version));
	if (magic == RPMB_FS_MAGIC) {
		if (version != RPMB_FS_VERSION)
			return -EACCES; /* "Wrong software is in use." */
	} else {
		/* "**** Clearing Storage ****": the FAT terminator first, then the header
		 * (write_counter and reserved[] keep what block 0 held). */
		struct rpmb_fat_entry last = { .flags = RPMB_FS_FILE_IS_LAST_ENTRY };
		put_le32(part + offsetof(struct rpmb_fs_partition, rpmb_fs_magic), RPMB_FS_MAGIC);
		put_le32(part + offsetof(struct rpmb_fs_partition, fs_version), RPMB_FS_VERSION);
		put_le32(part + offsetof(struct rpmb_fs_partition, fat_start_address),
			 RPMB_FS_FAT_START_ADDRESS);
		r = write_fat_entry(fs, RPMB_FS_FAT_START_ADDRESS, &last);
		if (r == 0)
			r = dev_write(fs, RPMB_FS_STORAGE_START_ADDRESS, part,
				      sizeof(struct rpmb_fs_partition), NULL);
		if (r < 0)
			return r;
	}
	fs->fat_start = get_le32(part + offsetof(struct rpmb_fs_partition, fat_start_address));
	fs->max_rpmb_address = (st.size_blocks - 1) * BLK;
	fs->ready = true;
	return 0;
}

void rpmb_fs_reset(struct rpmb_fs *fs)
{
	if (fs)
		fs->ready = false;
}

/* ---- the allocation pool (tee_mm, TEE_MM_POOL_HI_ALLOC, 256-byte granularity) ------ */

struct range {
	uint32_t lo, hi; /* blocks [lo, hi) */
};

struct pool {
	uint32_t blocks; /* the pool is blocks [0, blocks) */
	GArray *used;    /* struct range, highest first, disjoint */
};

static void pool_init(struct pool *p, uint32_t size_bytes)
{
	p->blocks = (uint32_t)(((uint64_t)size_bytes + BLK - 1) / BLK);
	p->used = g_array_new(FALSE, FALSE, sizeof(struct range));
}

static void pool_final(struct pool *p)
{
	if (p->used)
		g_array_free(p->used, TRUE);
	p->used = NULL;
}

static void pool_insert(struct pool *p, struct range nr)
{
	guint i = 0;
	while (i < p->used->len && g_array_index(p->used, struct range, i).lo > nr.lo)
		i++;
	g_array_insert_val(p->used, i, nr);
}

/* tee_mm_alloc2: reserve bytes [base, base + size) or fail if any of it is taken. */
static int pool_alloc2(struct pool *p, uint64_t base, uint64_t size)
{
	if (size == 0)
		return 0;
	uint64_t lo = base / BLK, hi = (base + size - 1) / BLK + 1;
	if (hi > p->blocks)
		return -ENOTRECOVERABLE;
	for (guint i = 0; i < p->used->len; i++) {
		const struct range *u = &g_array_index(p->used, struct range, i);
		if (lo < u->hi && u->lo < hi)
			return -ENOTRECOVERABLE;
	}
	pool_insert(p, (struct range){ (uint32_t)lo, (uint32_t)hi });
	return 0;
}

/* tee_mm_alloc: the first gap from the top that holds size bytes; its byte address. */
static int pool_alloc(struct pool *p, uint64_t size, uint32_t *ret_addr)
{
	uint64_t need = (size + BLK - 1) / BLK;
	uint32_t top = p->blocks;

	for (guint i = 0; i <= p->used->len; i++) {
		uint32_t floor = i < p->used->len ? g_array_index(p->used, struct range, i).hi : 0;
		if (top - floor >= need) {
			uint32_t lo = (uint32_t)(top - need);
			pool_insert(p, (struct range){ lo, top });
			*ret_addr = lo * BLK;
			return 0;
		}
		if (i < p->used->len)
			top = g_array_index(p->used, struct range, i).lo;
	}
	return -ENOSPC;
}

/* ---- the FAT (read_fat with fat_entry_dir_*, no cache) ------------------------------ */

static bool name_matches(const struct rpmb_fs_file *file, const struct rpmb_fat_entry *fe)
{
	/* strcmp(fh->filename, fe->filename), bounded by the handle's own NUL. */
	return memcmp(file->filename, fe->filename, strlen(file->filename) + 1) == 0;
}

/*
 * Walk the FAT, RPMB_FS_RD_ENTRIES entries per device read, up to the terminator.  Find
 * the file's active entry (the first one of its name).  With a pool (a write): reserve
 * every active file's data, choose the first free entry when the file has none (the
 * terminator's: the FAT grows, a new terminator written after it), reserve the FAT.
 */
static int read_fat(struct rpmb_fs_file *file, struct pool *p)
{
	struct rpmb_fs *fs = file->fs;
	uint8_t raw[RPMB_FS_RD_ENTRIES * BLK];
	uint32_t idx, nbuf, total = 0, fat_address = 0;
	bool found = false, expand = false;
	int r;

	r = rpmb_fs_setup(fs);
	if (r < 0)
		return r;
	/* fat_entry_dir_init reads at the header's FAT address; get_next labels entries
	 * (and reads further) from RPMB_FS_FAT_START_ADDRESS. */
	r = dev_read(fs, fs->fat_start, raw, sizeof(raw), NULL);
	if (r < 0)
		return r;
	idx = 0;
	nbuf = RPMB_FS_RD_ENTRIES;
	for (;;) {
		struct rpmb_fat_entry fe;
		uint32_t addr = RPMB_FS_FAT_START_ADDRESS + total * ENTRY_SIZE;

		if (addr < RPMB_FS_FAT_START_ADDRESS) /* wrapped: no terminator anywhere */
			return -ENOTRECOVERABLE;
		if (idx >= nbuf) {
			r = dev_read(fs, addr, raw, sizeof(raw), NULL);
			if (r < 0)
				return r;
			idx = 0;
		}
		fat_entry_parse(raw + idx * ENTRY_SIZE, &fe);
		idx++;
		total++;
		fat_address = addr;

		if (!found && (fe.flags & RPMB_FS_FILE_IS_ACTIVE) && name_matches(file, &fe)) {
			found = true;
			file->fat_address = addr;
			file->fe = fe;
			if (!p)
				break;
		}
		if (p) {
			if ((fe.flags & RPMB_FS_FILE_IS_ACTIVE) && fe.data_size > 0) {
				r = pool_alloc2(p, fe.start_address, fe.data_size);
				if (r < 0)
					return r;
			}
			if (!(fe.flags & RPMB_FS_FILE_IS_ACTIVE) && file->fat_address == 0) {
				file->fat_address = addr;
				file->fe = fe;
			}
			if ((fe.flags & RPMB_FS_FILE_IS_LAST_ENTRY) && file->fat_address == addr)
				expand = true;
		}
		if (fe.flags & RPMB_FS_FILE_IS_LAST_ENTRY)
			break;
	}

	if (p) {
		uint64_t fat_end = (uint64_t)fat_address + ENTRY_SIZE + (expand ? ENTRY_SIZE : 0);
		r = pool_alloc2(p, RPMB_FS_STORAGE_START_ADDRESS, fat_end);
		if (r < 0)
			return r;
		if (expand) {
			struct rpmb_fat_entry last = { .flags = RPMB_FS_FILE_IS_LAST_ENTRY };
			r = write_fat_entry(fs, (uint32_t)(fat_end - ENTRY_SIZE), &last);
			if (r < 0)
				return r;
		}
	}
	return file->fat_address ? 0 : -ENOENT;
}

static int remove_file(struct rpmb_fs_file *file);

/* ---- files -------------------------------------------------------------------------- */

int rpmb_fs_new(struct rpmb_client *client, const uint8_t huk[OPTEE_HUK_SIZE],
		struct rpmb_fs **ret_fs)
{
	g_autofree struct rpmb_fs *fs = g_new0(struct rpmb_fs, 1);
	int r;

	if (!client)
		return -EINVAL;
	fs->client = client;
	r = optee_fs_derive_ssk(huk, fs->ssk);
	if (r < 0)
		return r;
	*ret_fs = g_steal_pointer(&fs);
	return 0;
}

void rpmb_fs_free(struct rpmb_fs *fs)
{
	if (!fs)
		return;
	OPENSSL_cleanse(fs->ssk, sizeof(fs->ssk));
	g_free(fs);
}

int rpmb_fs_file_name(const uint8_t uuid_mem[16], const void *obj_id, size_t obj_id_len,
		      char ret_name[RPMB_FS_FILENAME_LENGTH])
{
	static const char digits[] = "0123456789ABCDEF";
	const uint8_t *id = obj_id;
	size_t pos = 0;

	if (!obj_id || obj_id_len == 0 || obj_id_len > RPMB_FS_OBJ_ID_MAX)
		return -EINVAL;
	/* 1 + 32 + 1 + 2 * 64 + NUL = 163 <= 224. */
	memset(ret_name, 0, RPMB_FS_FILENAME_LENGTH);
	ret_name[pos++] = '/';
	for (size_t i = 0; i < 16; i++) {
		ret_name[pos++] = digits[uuid_mem[i] >> 4];
		ret_name[pos++] = digits[uuid_mem[i] & 0xf];
	}
	ret_name[pos++] = '/';
	for (size_t i = 0; i < obj_id_len; i++) {
		ret_name[pos++] = digits[id[i] >> 4];
		ret_name[pos++] = digits[id[i] & 0xf];
	}
	return 0;
}

static int file_new(struct rpmb_fs *fs, const uint8_t uuid_mem[16], const void *obj_id,
		    size_t obj_id_len, struct rpmb_fs_file **ret_file)
{
	g_autofree struct rpmb_fs_file *file = g_new0(struct rpmb_fs_file, 1);
	int r;

	file->fs = fs;
	r = rpmb_fs_file_name(uuid_mem, obj_id, obj_id_len, file->filename);
	if (r == 0)
		r = optee_fs_derive_tsk(fs->ssk, uuid_mem, file->tsk);
	if (r < 0)
		return r;
	*ret_file = g_steal_pointer(&file);
	return 0;
}

void rpmb_fs_close(struct rpmb_fs_file *file)
{
	if (!file)
		return;
	OPENSSL_cleanse(file->tsk, sizeof(file->tsk));
	g_free(file);
}

int rpmb_fs_open(struct rpmb_fs *fs, const uint8_t uuid_mem[16], const void *obj_id,
		 size_t obj_id_len, struct rpmb_fs_file **ret_file, size_t *ret_size)
{
	g_autoptr(rpmb_fs_file) file = NULL;
	int r = file_new(fs, uuid_mem, obj_id, obj_id_len, &file);

	if (r == 0)
		r = read_fat(file, NULL);
	if (r < 0)
		return r;
	if (ret_size)
		*ret_size = file->fe.data_size;
	*ret_file = g_steal_pointer(&file);
	return 0;
}

int rpmb_fs_create(struct rpmb_fs *fs, const uint8_t uuid_mem[16], const void *obj_id,
		   size_t obj_id_len, struct rpmb_fs_file **ret_file)
{
	g_autoptr(rpmb_fs_file) file = NULL;
	struct pool p = { 0 };
	int r = file_new(fs, uuid_mem, obj_id, obj_id_len, &file);

	if (r == 0)
		r = rpmb_fs_setup(fs);
	if (r == 0) {
		pool_init(&p, fs->max_rpmb_address);
		r = read_fat(file, &p);
		pool_final(&p);
	}
	if (r == 0 && !(file->fe.flags & RPMB_FS_FILE_IS_ACTIVE)) {
		memset(&file->fe, 0, sizeof(file->fe));
		memcpy(file->fe.filename, file->filename, strlen(file->filename));
		file->fe.flags = RPMB_FS_FILE_IS_ACTIVE; /* start address and size 0 */
		r = optee_fs_generate_fek(file->tsk, file->fe.fek);
		if (r == 0)
			r = write_fat_entry(fs, file->fat_address, &file->fe);
	}
	if (r < 0) {
		/*
		 * rpmb_fs_create's error path: clear whatever entry was chosen (its result is
		 * not looked at).  As in OP-TEE, an entry chosen before the failure is cleared
		 * even if it was the terminator (a FAT reservation failing after the walk).
		 */
		if (file) {
			int rr = remove_file(file);
			(void)rr;
		}
		return r;
	}
	*ret_file = g_steal_pointer(&file);
	return 0;
}

int rpmb_fs_read(struct rpmb_fs_file *file, size_t pos, void *buf, size_t *len)
{
	size_t size = *len;
	int r;

	if (!size)
		return 0;
	r = read_fat(file, NULL);
	if (r < 0)
		return r;
	if (pos >= file->fe.data_size) {
		*len = 0;
		return 0;
	}
	size = MIN(size, file->fe.data_size - pos);
	r = dev_read(file->fs, (uint64_t)file->fe.start_address + pos, buf, size, file);
	if (r < 0)
		return r;
	*len = size;
	return 0;
}

/*
 * update_write_helper: the file's new image, old data overlaid with the new bytes (zeros
 * where neither reaches), written to new_addr in TMP_BLOCK_SIZE chunks.
 */
static int copy_update(struct rpmb_fs_file *file, size_t pos, const uint8_t *buf, size_t size,
		       uint32_t new_addr, size_t new_size)
{
	uint32_t old_addr = file->fe.start_address;
	size_t old_size = file->fe.data_size;
	g_autofree uint8_t *chunk = g_malloc(RPMB_FS_TMP_BLOCK_SIZE);
	const uint8_t *rem = buf;
	size_t rem_size = size;
	int r = 0;

	for (size_t off = 0; off < new_size; off += RPMB_FS_TMP_BLOCK_SIZE) {
		size_t n = MIN(RPMB_FS_TMP_BLOCK_SIZE, new_size - off);

		memset(chunk, 0, n);
		if (off < old_size) {
			r = dev_read(file->fs, (uint64_t)old_addr + off, chunk,
				     MIN(n, old_size - off), file);
			if (r < 0)
				return r;
		}
		if (off + RPMB_FS_TMP_BLOCK_SIZE > pos && off < pos + size) {
			size_t skip = off < pos ? pos - off : 0;
			size_t c = MIN(RPMB_FS_TMP_BLOCK_SIZE - skip, rem_size);
			memcpy(chunk + skip, rem, c);
			rem += c;
			rem_size -= c;
		}
		r = dev_write(file->fs, (uint64_t)new_addr + off, chunk, n, file);
		if (r < 0)
			return r;
	}
	return 0;
}

/* rpmb_fs_write_primitive */
int rpmb_fs_write(struct rpmb_fs_file *file, size_t pos, const void *buf, size_t len)
{
	struct rpmb_fs *fs = file->fs;
	struct pool p = { 0 };
	size_t end;
	int r;

	if (!len)
		return 0;
	r = rpmb_fs_setup(fs);
	if (r < 0)
		return r;
	pool_init(&p, fs->max_rpmb_address);
	r = read_fat(file, &p);
	if (r < 0)
		goto out;
	if (file->fe.flags & RPMB_FS_FILE_IS_LAST_ENTRY) { /* OP-TEE panics */
		r = -ENOTRECOVERABLE;
		goto out;
	}
	if (__builtin_add_overflow(pos, len, &end) ||
	    (uint64_t)file->fe.start_address + pos > UINT32_MAX) {
		r = -EINVAL;
		goto out;
	}
	uint32_t start = (uint32_t)(file->fe.start_address + pos);

	if (end <= file->fe.data_size && write_is_atomic(start, len)) {
		r = dev_write(fs, start, buf, len, file); /* in place */
	} else {
		size_t new_size = MAX(end, (size_t)file->fe.data_size);
		uint32_t new_addr;

		r = pool_alloc(&p, new_size, &new_addr);
		if (r == 0)
			r = copy_update(file, pos, buf, len, new_addr, new_size);
		if (r == 0) {
			struct rpmb_fat_entry fe = file->fe;
			fe.data_size = (uint32_t)new_size; /* < partition size: fits */
			fe.start_address = new_addr;
			r = write_fat_entry(fs, file->fat_address, &fe);
			if (r == 0)
				file->fe = fe;
		}
	}
out:
	pool_final(&p);
	return r;
}

/* rpmb_fs_remove_internal: find the entry again and clear it. */
static int remove_file(struct rpmb_fs_file *file)
{
	int r = read_fat(file, NULL);
	if (r < 0)
		return r;
	memset(&file->fe, 0, sizeof(file->fe));
	return write_fat_entry(file->fs, file->fat_address, &file->fe);
}

int rpmb_fs_remove(struct rpmb_fs *fs, const uint8_t uuid_mem[16], const void *obj_id,
		   size_t obj_id_len)
{
	g_autoptr(rpmb_fs_file) file = NULL;
	int r = file_new(fs, uuid_mem, obj_id, obj_id_len, &file);

	return r < 0 ? r : remove_file(file);
}

void rpmb_fs_file_get_info(const struct rpmb_fs_file *file, struct rpmb_fs_file_info *ret_info)
{
	*ret_info = (struct rpmb_fs_file_info){
		.fat_address = file->fat_address,
		.start_address = file->fe.start_address,
		.data_size = file->fe.data_size,
	};
}

/* ---- StMM's storage service (stmm_sp.c) --------------------------------------------- */

static const uint8_t stmm_uuid[16] = OPTEE_STMM_TEE_UUID_MEM;
#define STMM_OBJ_ID_LEN (sizeof(OPTEE_STMM_OBJ_ID) - 1)

/* sec_storage_obj_read */
int rpmb_fs_stmm_read(struct rpmb_fs *fs, uint64_t offset, void *buf, size_t len)
{
	g_autoptr(rpmb_fs_file) file = NULL;
	size_t got = len;
	int r;

	if (offset > SIZE_MAX)
		return -EINVAL;
	r = rpmb_fs_open(fs, stmm_uuid, OPTEE_STMM_OBJ_ID, STMM_OBJ_ID_LEN, &file, NULL);
	if (r < 0)
		return r;
	r = rpmb_fs_read(file, (size_t)offset, buf, &got);
	/*
	 * stmm_sp.c removes the object when the read itself answers
	 * TEE_ERROR_CORRUPT_OBJECT, which the RPMB FS never does; a short read becomes
	 * TEE_ERROR_CORRUPT_OBJECT after the fact and the object is kept.
	 */
	if (r == 0 && got != len)
		r = -EUCLEAN;
	return r;
}

int rpmb_fs_stmm_size(struct rpmb_fs *fs, size_t *ret_size)
{
	g_autoptr(rpmb_fs_file) file = NULL;
	return rpmb_fs_open(fs, stmm_uuid, OPTEE_STMM_OBJ_ID, STMM_OBJ_ID_LEN, &file, ret_size);
}

/* sec_storage_obj_write */
int rpmb_fs_stmm_write(struct rpmb_fs *fs, uint64_t offset, const void *buf, size_t len)
{
	g_autoptr(rpmb_fs_file) file = NULL;
	int r;

	if (offset > SIZE_MAX)
		return -EINVAL;
	r = rpmb_fs_open(fs, stmm_uuid, OPTEE_STMM_OBJ_ID, STMM_OBJ_ID_LEN, &file, NULL);
	if (r == -ENOENT)
		r = rpmb_fs_create(fs, stmm_uuid, OPTEE_STMM_OBJ_ID, STMM_OBJ_ID_LEN, &file);
	if (r == 0)
		r = rpmb_fs_write(file, (size_t)offset, buf, len);
	return r;
}

static int backend_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	return rpmb_fs_stmm_read(ctx, off, buf, len);
}

static int backend_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
	return rpmb_fs_stmm_write(ctx, off, buf, len);
}

void rpmb_fs_store_backend(struct rpmb_fs *fs, struct store_backend *ret_backend)
{
	*ret_backend = (struct store_backend){
		.ctx = fs,
		.read = backend_read,
		.write = backend_write,
	};
}
