/* SPDX-License-Identifier: MIT */
/*
 * `stmm-emu conform --parallel N` (cmd_conform.h): the destructive cases on N scratch
 * stacks at once, each a thread with a stack of its own (started from the stmm-emu.conf of
 * the stack under test, removed afterwards) that takes the next case off a queue and runs
 * it as the serial runner does, between two platform resets; the non-destructive groups
 * run meanwhile on the stack under test, in this thread.  Every group writes its cases and
 * its progress lines into a slot of its own (a destructive one once its last case is
 * done); the slots are printed and merged in the suite's order as soon as all before them
 * are done, so the output, the reports and the exit status are those of a run without
 * --parallel (but the seconds).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_conform.h"
#include "config.h"
#include "efi_util.h"
#include "report.h"
#include "scratch.h"
#include "state.h"

struct slot {
	const struct cf_group *g;
	GArray *results;  /* the group's cases (a report of its own) */
	char *text;       /* its progress lines (open_memstream) */
	size_t text_len;
	bool done;        /* under par.lock */
	/* A destructive group runs case by case, each case a work item of its own (on any
	 * scratch stack: it starts and ends with a platform reset, as in a serial run). */
	GArray **case_results; /* [n_cases] the case's report */
	char **case_text;      /* [n_cases] the progress of its one-case run */
	unsigned items_left;   /* under par.lock */
};

struct item {
	struct slot *s;
	size_t ci;
};

struct par {
	const struct conform_args *a;
	const struct emu_state *st; /* the stack under test: its stmm-emu.conf */
	const char *profile;
	int timeout_ms;
	bool with_keys;             /* the keyed groups run: every worker loads its own keys */
	GMutex lock;
	GCond cond;                 /* a slot is done, or a worker ended */
	GQueue queue;               /* struct item * of the destructive cases not started yet */
	unsigned workers_alive;
	GString *errors;            /* scratch stacks that did not come up */
};

struct worker {
	struct par *p;
	unsigned index;
	GThread *thread;
};

static void run_into(struct slot *s, struct cf *cf)
{
	FILE *f = open_memstream(&s->text, &s->text_len);
	FILE *out = f ? f : stderr; /* no memory for the lines: they go out unordered */

	s->results = emu_report_new();
	conform_run_group(cf, s->g, s->results, out);
	if (f)
		fclose(f);
}

static void skip_into(struct slot *s, int outcome, const char *why)
{
	FILE *f = open_memstream(&s->text, &s->text_len);
	FILE *out = f ? f : stderr;

	s->results = emu_report_new();
	conform_skip_group(s->g, s->results, out, outcome, why);
	if (f)
		fclose(f);
}

/* One case of a destructive group, run as a group of its own (its resets included). */
static void run_case(struct item *it, struct cf *cf)
{
	const struct cf_group *g = it->s->g;
	struct cf_group one = *g;
	size_t len = 0;
	FILE *f = open_memstream(&it->s->case_text[it->ci], &len);

	one.cases = &g->cases[it->ci];
	one.n_cases = 1;
	it->s->case_results[it->ci] = emu_report_new();
	conform_run_group(cf, &one, it->s->case_results[it->ci], f ? f : stderr);
	if (f)
		fclose(f);
}

/*
 * The group's cases in order and its progress as conform_run_group prints it: the counts
 * and seconds of the one-case runs summed (the seconds are the cases' own, resets
 * included, not the group's wall time), then the failures of the counted cases.
 */
static void compose(struct slot *s)
{
	const struct cf_group *g = s->g;
	unsigned pass = 0, fail = 0, skip = 0;
	double seconds = 0;
	FILE *f = open_memstream(&s->text, &s->text_len);
	FILE *out = f ? f : stderr;

	s->results = emu_report_new();
	for (size_t i = 0; i < g->n_cases; i++) {
		unsigned a = 0, b = 0, c = 0;
		double t = 0;
		const char *line = s->case_text[i] ? s->case_text[i] : "";
		const char *sk = strstr(line, "  skipped (PTA-specific)");
		if (sscanf(line + strlen(g->name), " %u passed, %u failed (%lf s)", &a, &b, &t) == 3) {
			pass += a;
			fail += b;
			seconds += t;
		}
		if (sk) {
			while (sk > line && sk[-1] >= '0' && sk[-1] <= '9')
				sk--;
			c = (unsigned)strtoul(sk, NULL, 10);
			skip += c;
		}
		const GArray *r = s->case_results[i];
		for (guint j = 0; r && j < r->len; j++) {
			const struct emu_report_case *k = &g_array_index(r, struct emu_report_case, j);
			emu_report_add(s->results, k->suite, k->id, k->source, k->mode, k->outcome,
				       k->message, k->seconds);
		}
	}
	fprintf(out, "%-15s %3u passed, %3u failed  (%.1f s)%s", g->name, pass, fail, seconds,
		(g->flags & CF_GROUP_DESTRUCTIVE) ? "  [destructive]" : "");
	if (skip)
		fprintf(out, "  %u skipped (PTA-specific)", skip);
	fputc('\n', out);
	for (guint i = s->results->len - (pass + fail + skip); i < s->results->len; i++) {
		const struct emu_report_case *r = &g_array_index(s->results, struct emu_report_case, i);
		if (r->outcome == CF_FAIL)
			fprintf(out, "  FAIL %s: %s\n       (%s)\n", r->id, r->message, r->source);
	}
	if (f)
		fclose(f);
}

static gpointer worker_main(gpointer data)
{
	struct worker *w = data;
	struct par *p = w->p;
	struct emu_state scratch = { 0 };
	g_autoptr(GString) err = g_string_new("");
	g_autoptr(GString) why = g_string_new("");
	g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func(g_free);
	struct cf cf = { .st = &scratch, .timeout_ms = p->timeout_ms, .why = why,
			 .reset_wait_ms = 20000, .keep = keep, .profile = p->profile };

	if (p->with_keys)
		cf.keys = conform_find_keys(p->a, err); /* found once already: the same keys */
	g_string_truncate(err, 0);
	int r = conform_scratch_up(&scratch, p->profile, p->st, err);
	if (r >= 0)
		r = conform_open_session(&cf, err);
	if (r < 0) {
		g_mutex_lock(&p->lock);
		g_string_append_printf(p->errors, "%sscratch stack %u: %s", p->errors->len ? "; " : "",
				       w->index, err->str);
		g_mutex_unlock(&p->lock);
	}
	while (r >= 0) {
		g_mutex_lock(&p->lock);
		struct item *it = g_queue_pop_head(&p->queue);
		g_mutex_unlock(&p->lock);
		if (!it)
			break;
		run_case(it, &cf);
		g_mutex_lock(&p->lock);
		if (--it->s->items_left == 0) {
			compose(it->s);
			it->s->done = true;
			g_cond_broadcast(&p->cond);
		}
		g_mutex_unlock(&p->lock);
	}
	g_clear_pointer(&cf.c, emu_client_free);
	conform_scratch_down(&scratch, p->a->keep_scratch);
	cf_keys_free(cf.keys);
	g_mutex_lock(&p->lock);
	p->workers_alive--;
	g_cond_broadcast(&p->cond);
	g_mutex_unlock(&p->lock);
	return NULL;
}

/* Print and merge the slots from *next on that are done, in order.  Called with p->lock. */
static void flush_done(struct slot *slots, size_t n, size_t *next, GArray *results, FILE *progress)
{
	while (*next < n && slots[*next].done) {
		struct slot *s = &slots[*next];
		if (s->text_len)
			fwrite(s->text, 1, s->text_len, progress);
		fflush(progress);
		for (guint i = 0; s->results && i < s->results->len; i++) {
			const struct emu_report_case *c =
				&g_array_index(s->results, struct emu_report_case, i);
			emu_report_add(results, c->suite, c->id, c->source, c->mode, c->outcome,
				       c->message, c->seconds);
		}
		(*next)++;
	}
}

int conform_run_parallel(const struct conform_args *a, GArray *results, double *ret_seconds)
{
	struct emu_state st = { 0 };
	struct par p = { .a = a };
	g_autoptr(GString) err = g_string_new("");
	g_autoptr(GString) why = g_string_new("");
	g_autoptr(GString) no_keys = g_string_new("");
	g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func(g_free);
	FILE *progress = a->tap || a->json ? stderr : stdout;
	struct cf_keys *keys = NULL;
	bool need_keys = false, need_live = false;
	unsigned n_dest = 0;
	int rc = EMU_EXIT_OK;
	gint64 t0 = g_get_monotonic_time();

	for (size_t gi = 0; gi < conform_n_groups; gi++)
		if (conform_group_selected(a, conform_groups[gi]) &&
		    (conform_groups[gi]->flags & CF_GROUP_NEEDS_KEYS))
			need_keys = true;
	if (need_keys) {
		keys = conform_find_keys(a, no_keys);
		if (!keys && a->require_auth)
			emu_cli_err("conform: --require-auth: %s", no_keys->str);
	}
	/* The slots: every selected group, in the suite's order. */
	struct slot *slots = g_new0(struct slot, conform_n_groups);
	size_t n = 0;
	for (size_t gi = 0; gi < conform_n_groups; gi++) {
		const struct cf_group *g = conform_groups[gi];
		if (!conform_group_selected(a, g))
			continue;
		slots[n].g = g;
		if ((g->flags & CF_GROUP_NEEDS_KEYS) && !keys)
			; /* reported skipped (or failed), never run */
		else if (g->flags & CF_GROUP_DESTRUCTIVE)
			n_dest += (unsigned)g->n_cases;
		else
			need_live = true;
		n++;
	}

	emu_state_init(&st, a->state);
	char profile[CONFORM_PROFILE_SIZE];
	conform_stack_profile(&st, profile);
	struct cf live = { .st = &st, .timeout_ms = emu_cli_timeout_ms(a->timeout_ms), .why = why,
			   .reset_wait_ms = 20000, .keep = keep, .keys = keys, .profile = profile };
	if (need_live) {
		if (conform_open_session(&live, err) < 0) {
			emu_cli_err("conform: %s", err->str);
			rc = EMU_EXIT_STACK;
			goto out;
		}
		g_autofree char *pl = emu_payload_text(live.max_payload);
		fprintf(progress, "stmm-emu conform: stack %s, profile %s, max payload %s\n", st.dir,
			profile, pl);
	}

	/* The workers: no more stacks than destructive cases. */
	unsigned n_workers = (unsigned)a->parallel < n_dest ? (unsigned)a->parallel : n_dest;
	p.st = &st;
	p.profile = profile;
	p.timeout_ms = live.timeout_ms;
	p.with_keys = keys != NULL;
	p.errors = g_string_new("");
	g_mutex_init(&p.lock);
	g_cond_init(&p.cond);
	g_queue_init(&p.queue);
	size_t n_items = 0;
	for (size_t i = 0; i < n; i++)
		if ((slots[i].g->flags & CF_GROUP_DESTRUCTIVE) &&
		    !((slots[i].g->flags & CF_GROUP_NEEDS_KEYS) && !keys))
			n_items += slots[i].g->n_cases;
	struct item *items = g_new0(struct item, n_items ? n_items : 1);
	n_items = 0;
	for (size_t i = 0; i < n; i++) {
		const struct cf_group *g = slots[i].g;
		if (!(g->flags & CF_GROUP_DESTRUCTIVE) || ((g->flags & CF_GROUP_NEEDS_KEYS) && !keys))
			continue;
		slots[i].case_results = g_new0(GArray *, g->n_cases);
		slots[i].case_text = g_new0(char *, g->n_cases);
		slots[i].items_left = (unsigned)g->n_cases;
		for (size_t ci = 0; ci < g->n_cases; ci++) {
			items[n_items] = (struct item){ .s = &slots[i], .ci = ci };
			g_queue_push_tail(&p.queue, &items[n_items++]);
		}
		if (!g->n_cases) {
			compose(&slots[i]); /* its line, "0 passed" */
			slots[i].done = true;
		}
	}
	struct worker *workers = g_new0(struct worker, n_workers ? n_workers : 1);
	if (n_workers) {
		g_autofree char *conf = g_build_filename(st.dir, EMU_CONFIG_FILE, NULL);
		fprintf(progress, "stmm-emu conform: destructive groups on %u scratch stacks at once "
			"(profile %s, started as %s says)\n", n_workers, profile, conf);
		fflush(progress);
	}
	p.workers_alive = n_workers;
	for (unsigned i = 0; i < n_workers; i++) {
		workers[i] = (struct worker){ .p = &p, .index = i };
		workers[i].thread = g_thread_new("conform-scratch", worker_main, &workers[i]);
	}

	/* Meanwhile, the rest here, printing what is done in order. */
	size_t next = 0;
	for (size_t i = 0; i < n; i++) {
		struct slot *s = &slots[i];
		const struct cf_group *g = s->g;
		bool ran = true;
		if ((g->flags & CF_GROUP_NEEDS_KEYS) && !keys)
			skip_into(s, a->require_auth ? CF_FAIL : CF_SKIP, no_keys->str);
		else if (!(g->flags & CF_GROUP_DESTRUCTIVE))
			run_into(s, &live);
		else
			ran = false;
		g_mutex_lock(&p.lock);
		if (ran)
			s->done = true;
		flush_done(slots, n, &next, results, progress);
		g_mutex_unlock(&p.lock);
	}
	g_mutex_lock(&p.lock);
	for (;;) {
		flush_done(slots, n, &next, results, progress);
		if (next == n || p.workers_alive == 0)
			break;
		g_cond_wait(&p.cond, &p.lock);
	}
	g_mutex_unlock(&p.lock);
	for (unsigned i = 0; i < n_workers; i++)
		g_thread_join(workers[i].thread);
	g_free(workers);
	if (p.errors->len) {
		emu_cli_err("conform: %s", p.errors->str);
		rc = EMU_EXIT_STACK;
	}
	/* Groups no scratch stack was left to run: failed, with the reason. */
	for (size_t i = next; i < n; i++) {
		if (!slots[i].done)
			skip_into(&slots[i], CF_FAIL, "no scratch stack came up to run it");
		slots[i].done = true;
	}
	flush_done(slots, n, &next, results, progress);
	g_queue_clear(&p.queue);
	g_free(items);
	g_mutex_clear(&p.lock);
	g_cond_clear(&p.cond);
	g_string_free(p.errors, TRUE);
out:
	for (size_t i = 0; i < n; i++) {
		if (slots[i].results)
			g_array_unref(slots[i].results);
		free(slots[i].text);
		for (size_t ci = 0; slots[i].case_results && ci < slots[i].g->n_cases; ci++) {
			if (slots[i].case_results[ci])
				g_array_unref(slots[i].case_results[ci]);
			free(slots[i].case_text[ci]);
		}
		g_free(slots[i].case_results);
		g_free(slots[i].case_text);
	}
	g_free(slots);
	g_clear_pointer(&live.c, emu_client_free);
	emu_state_clear(&st);
	cf_keys_free(keys);
	*ret_seconds = (double)(g_get_monotonic_time() - t0) / 1e6;
	return rc;
}
