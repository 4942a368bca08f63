/* SPDX-License-Identifier: MIT */
#include "fault.h"
#include "gcov_flush.h"

#include <glib.h>
#include <unistd.h>

struct fault_store {
	struct rpmb_store base;
	struct rpmb_store *inner;
	struct rpmb_fault_plan plan;
	int64_t writes; /* durable writes attempted so far */
};

static struct fault_store *of(struct rpmb_store *s)
{
	return (struct fault_store *)s;
}

static void power_cut(const char *when, int64_t n)
{
	g_message("fault plan: power cut %s durable write %" G_GINT64_FORMAT, when, n);
	gcov_flush_before_exit();
	_exit(RPMBD_EXIT_POWER_CUT);
}

/* Called before a durable write; does not return when the plan cuts the power here. */
static void before_write(struct fault_store *f)
{
	f->writes++;
	if (f->plan.fail_after_writes >= 0 && f->writes > f->plan.fail_after_writes)
		power_cut("before committing", f->writes);
}

static void after_write(struct fault_store *f, int r)
{
	if (r == 0 && f->plan.lose_response_at_write == f->writes)
		power_cut("after committing", f->writes);
}

static int f_load(struct rpmb_store *s, struct rpmb_store_meta *ret_meta)
{
	return rpmb_store_load(of(s)->inner, ret_meta);
}

static int f_program_key(struct rpmb_store *s, const uint8_t key[RPMB_KEY_SIZE])
{
	before_write(of(s));
	int r = rpmb_store_program_key(of(s)->inner, key);
	after_write(of(s), r);
	return r;
}

static int f_read(struct rpmb_store *s, uint16_t address, uint16_t count, uint8_t *ret_data)
{
	return rpmb_store_read(of(s)->inner, address, count, ret_data);
}

static int f_write(struct rpmb_store *s, uint16_t address, uint16_t count, const uint8_t *data,
		   uint32_t new_counter)
{
	before_write(of(s));
	int r = rpmb_store_write(of(s)->inner, address, count, data, new_counter);
	after_write(of(s), r);
	return r;
}

static const char *f_last_error(struct rpmb_store *s)
{
	return rpmb_store_last_error(of(s)->inner);
}

static void f_close(struct rpmb_store *s)
{
	rpmb_store_close(of(s)->inner);
	g_free(s);
}

static const struct rpmb_store_ops fault_ops = {
	.load = f_load,
	.program_key = f_program_key,
	.read = f_read,
	.write = f_write,
	.close = f_close,
	.last_error = f_last_error,
};

int rpmb_store_fault_wrap(struct rpmb_store *inner, const struct rpmb_fault_plan *plan,
			  struct rpmb_store **ret_store)
{
	if (plan->fail_after_writes < 0 && plan->lose_response_at_write < 1) {
		*ret_store = inner;
		return 0;
	}
	struct fault_store *f = g_new0(struct fault_store, 1);
	f->base.ops = &fault_ops;
	f->inner = inner;
	f->plan = *plan;
	*ret_store = &f->base;
	return 0;
}
