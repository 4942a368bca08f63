/* SPDX-License-Identifier: MIT */
/* JUnit XML and TAP 13 for the CLI's test runners (report.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

static void case_clear(gpointer p)
{
	struct emu_report_case *c = p;

	g_free(c->suite);
	g_free(c->id);
	g_free(c->source);
	g_free(c->mode);
	g_free(c->message);
}

GArray *emu_report_new(void)
{
	GArray *a = g_array_new(FALSE, TRUE, sizeof(struct emu_report_case));

	g_array_set_clear_func(a, case_clear);
	return a;
}

void emu_report_add(GArray *report, const char *suite, const char *id, const char *source,
		    const char *mode, int outcome, const char *message, double seconds)
{
	struct emu_report_case c = {
		.suite = g_strdup(suite), .id = g_strdup(id), .source = g_strdup(source ? source : ""),
		.mode = g_strdup(mode), .outcome = outcome, .message = g_strdup(message ? message : ""),
		.seconds = seconds,
	};
	g_array_append_val(report, c);
}

unsigned emu_report_count(const GArray *report, int outcome)
{
	unsigned n = 0;

	for (guint i = 0; i < report->len; i++)
		n += g_array_index(report, struct emu_report_case, i).outcome == outcome;
	return n;
}

/*
 * Text for an XML 1.0 attribute or element: valid UTF-8, control characters other than
 * tab and newline as spaces (XML 1.0 has no reference for them; g_markup_escape_text
 * would write &#x1;), then GLib's markup escaping.
 */
static void xml_escape(GString *out, const char *s)
{
	g_autofree char *text = g_utf8_make_valid(s, -1);

	for (char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t')
			*p = ' ';
	g_autofree char *escaped = g_markup_escape_text(text, -1);
	g_string_append(out, escaped);
}

static void junit_case(GString *x, const char *class_prefix, const struct emu_report_case *r)
{
	g_string_append_printf(x, "    <testcase classname=\"%s.", class_prefix);
	xml_escape(x, r->suite);
	g_string_append(x, "\" name=\"");
	xml_escape(x, r->id);
	g_string_append_printf(x, "\" time=\"%.3f\">\n      <properties><property "
			       "name=\"source\" value=\"", r->seconds);
	xml_escape(x, r->source);
	g_string_append(x, "\"/>");
	if (r->mode) {
		g_string_append(x, "<property name=\"mode\" value=\"");
		xml_escape(x, r->mode);
		g_string_append(x, "\"/>");
	}
	g_string_append(x, "</properties>\n");
	if (r->outcome == EMU_REPORT_SKIP) {
		g_string_append(x, "      <skipped message=\"");
		xml_escape(x, r->message);
		g_string_append(x, "\"/>\n");
	} else if (r->outcome != EMU_REPORT_PASS) {
		g_string_append(x, "      <failure message=\"");
		xml_escape(x, r->message);
		g_string_append(x, "\" type=\"assertion\">");
		xml_escape(x, r->source);
		g_string_append(x, "\n");
		xml_escape(x, r->message);
		g_string_append(x, "</failure>\n");
	}
	g_string_append(x, "    </testcase>\n");
}

int emu_report_write_junit(const GArray *report, const char *path, const char *title,
			   const char *class_prefix, double total_seconds, GString *err)
{
	g_autoptr(GString) x = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");

	g_string_append(x, "<testsuites name=\"");
	xml_escape(x, title);
	g_string_append_printf(x, "\" tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"%u\" "
			       "time=\"%.3f\">\n", report->len,
			       emu_report_count(report, EMU_REPORT_FAIL),
			       emu_report_count(report, EMU_REPORT_SKIP), total_seconds);
	for (guint first = 0; first < report->len;) {
		const char *suite = g_array_index(report, struct emu_report_case, first).suite;
		guint end = first;
		unsigned f = 0, sk = 0;
		double t = 0;

		while (end < report->len &&
		       strcmp(g_array_index(report, struct emu_report_case, end).suite, suite) == 0) {
			const struct emu_report_case *r =
				&g_array_index(report, struct emu_report_case, end);
			f += r->outcome == EMU_REPORT_FAIL;
			sk += r->outcome == EMU_REPORT_SKIP;
			t += r->seconds;
			end++;
		}
		g_string_append(x, "  <testsuite name=\"");
		xml_escape(x, suite);
		g_string_append_printf(x, "\" tests=\"%u\" failures=\"%u\" errors=\"0\" "
				       "skipped=\"%u\" time=\"%.3f\">\n", end - first, f, sk, t);
		for (guint i = first; i < end; i++)
			junit_case(x, class_prefix, &g_array_index(report, struct emu_report_case, i));
		g_string_append(x, "  </testsuite>\n");
		first = end;
	}
	g_string_append(x, "</testsuites>\n");
	g_autoptr(GError) e = NULL;
	if (!g_file_set_contents(path, x->str, (gssize)x->len, &e)) {
		g_string_assign(err, e->message);
		return -EIO;
	}
	return 0;
}

void emu_report_print_tap(const GArray *report)
{
	printf("TAP version 13\n1..%u\n", report->len);
	for (guint i = 0; i < report->len; i++) {
		const struct emu_report_case *r = &g_array_index(report, struct emu_report_case, i);
		if (r->outcome == EMU_REPORT_SKIP) {
			g_autofree char *m = g_strescape(r->message, NULL);
			printf("ok %u - %s # SKIP %s\n", i + 1, r->id, m);
			continue;
		}
		printf("%s %u - %s # %s\n", r->outcome == EMU_REPORT_PASS ? "ok" : "not ok", i + 1,
		       r->id, r->source);
		if (r->outcome != EMU_REPORT_PASS) {
			g_autofree char *m = g_strescape(r->message, NULL);
			printf("  ---\n  message: \"%s\"\n  ...\n", m);
		}
	}
	fflush(stdout);
}
