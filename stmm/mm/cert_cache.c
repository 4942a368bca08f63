/* SPDX-License-Identifier: MIT */
#include "cert_cache.h"

#include <glib.h>

/* One certificate: its DER (the table's key) and its parse, linked in recency order. */
struct entry {
	GBytes *der;
	X509 *x; /* the store's reference */
	GList link;
};

static struct {
	GMutex lock;
	GHashTable *by_der; /* GBytes (entry->der, borrowed) -> struct entry (owned) */
	GQueue recent;      /* entry links, most recently used first */
	uint64_t parses, hits;
} cache;

static void entry_free(gpointer p)
{
	struct entry *e = p;

	g_bytes_unref(e->der);
	X509_free(e->x);
	g_free(e);
}

static X509 *parse(const uint8_t *der, size_t size)
{
	const unsigned char *p = der;
	X509 *x;

	if (size == 0 || size > G_MAXLONG)
		return NULL;
	x = d2i_X509(NULL, &p, (long)size);
	if (x && (size_t)(p - der) != size) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

/* Keep `x` (one reference taken) for `der`; the least recently used goes when full. */
static void insert_unlocked(const uint8_t *der, size_t size, X509 *x)
{
	if (size > CERT_CACHE_MAX_DER || !X509_up_ref(x))
		return;
	if (g_hash_table_size(cache.by_der) >= CERT_CACHE_MAX_CERTS) {
		GList *old = g_queue_peek_tail_link(&cache.recent);
		struct entry *e = old->data;
		g_queue_unlink(&cache.recent, old);
		g_hash_table_remove(cache.by_der, e->der);
	}
	struct entry *e = g_new0(struct entry, 1);
	e->der = g_bytes_new(der, size);
	e->x = x;
	e->link.data = e;
	g_queue_push_head_link(&cache.recent, &e->link);
	g_hash_table_insert(cache.by_der, e->der, e);
}

X509 *cert_cache_get(const uint8_t *der, size_t size)
{
	g_autoptr(GBytes) key = g_bytes_new_static(der, size);
	X509 *x = NULL;

	g_mutex_lock(&cache.lock);
	if (!cache.by_der)
		cache.by_der = g_hash_table_new_full(g_bytes_hash, g_bytes_equal, NULL, entry_free);
	struct entry *e = g_hash_table_lookup(cache.by_der, key);
	if (e) {
		cache.hits++;
		g_queue_unlink(&cache.recent, &e->link);
		g_queue_push_head_link(&cache.recent, &e->link);
		x = X509_up_ref(e->x) ? e->x : NULL;
	} else {
		/* Parsed under the lock: two threads never parse the same bytes twice. */
		cache.parses++;
		x = parse(der, size);
		if (x)
			insert_unlocked(der, size, x);
	}
	g_mutex_unlock(&cache.lock);
	return x;
}

void cert_cache_get_stats(struct cert_cache_stats *ret_stats)
{
	g_mutex_lock(&cache.lock);
	ret_stats->parses = cache.parses;
	ret_stats->hits = cache.hits;
	ret_stats->count = cache.by_der ? g_hash_table_size(cache.by_der) : 0;
	g_mutex_unlock(&cache.lock);
}

void cert_cache_clear(void)
{
	g_mutex_lock(&cache.lock);
	g_queue_init(&cache.recent);
	if (cache.by_der)
		g_hash_table_remove_all(cache.by_der);
	g_mutex_unlock(&cache.lock);
}
