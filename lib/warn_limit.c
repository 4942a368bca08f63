/* SPDX-License-Identifier: MIT */
#include "warn_limit.h"

static void flush_unlogged(struct warn_limit *rl)
{
	if (rl->unlogged > 0)
		g_warning("last warning repeated %" G_GUINT64_FORMAT " more time(s): %s",
			  rl->unlogged, rl->last);
	rl->unlogged = 0;
}

void warn_limit_warn(struct warn_limit *rl, const char *text)
{
	unsigned every = rl->every ? rl->every : 1;

	rl->failures++;
	if (rl->last && g_strcmp0(rl->last, text) == 0) {
		rl->repeats++;
		if (rl->repeats % every == 0) {
			g_warning("%s (%" G_GUINT64_FORMAT " times in a row)", text, rl->repeats);
			rl->unlogged = 0;
		} else {
			rl->unlogged++;
		}
		return;
	}
	flush_unlogged(rl);
	g_free(rl->last);
	rl->last = g_strdup(text);
	rl->repeats = 1;
	g_warning("%s", text);
}

void warn_limit_ok(struct warn_limit *rl, const char *what)
{
	if (rl->failures == 0)
		return;
	flush_unlogged(rl);
	g_message("%s worked again after %" G_GUINT64_FORMAT " failure(s)", what, rl->failures);
	g_clear_pointer(&rl->last, g_free);
	rl->repeats = 0;
	rl->failures = 0;
}

void warn_limit_clear(struct warn_limit *rl)
{
	g_clear_pointer(&rl->last, g_free);
	rl->repeats = rl->unlogged = rl->failures = 0;
}
