/* SPDX-License-Identifier: MIT */
/*
 * Test reports the CLI writes for a CI: JUnit XML (`--junit FILE`) and TAP 13 (`--tap`),
 * the same for `conform` and `scenario`.  A report is a GArray of struct emu_report_case in
 * run order; cases of one suite are consecutive.
 */
#ifndef STMM_EMU_EMU_REPORT_H
#define STMM_EMU_EMU_REPORT_H

#include <glib.h>

#define EMU_REPORT_PASS 0
#define EMU_REPORT_FAIL (-1)
#define EMU_REPORT_SKIP 1

struct emu_report_case {
	char *suite;   /* JUnit testsuite: a conformance group, a scenario file */
	char *id;      /* the case */
	char *source;  /* what the behaviour is checked against */
	char *mode;    /* an extra "mode" property, or NULL */
	int outcome;   /* EMU_REPORT_* */
	char *message; /* why it failed or was skipped */
	double seconds;
};

/* An empty report (g_array_unref frees the cases too). */
GArray *emu_report_new(void);
/* Append a case; strings are copied (mode and message may be NULL). */
void emu_report_add(GArray *report, const char *suite, const char *id, const char *source,
		    const char *mode, int outcome, const char *message, double seconds);
unsigned emu_report_count(const GArray *report, int outcome);

/*
 * JUnit XML to `path`: <testsuites name="TITLE"> with one <testsuite> per suite and
 * testcase classname "PREFIX.SUITE".  0, or -EIO with the reason in err.
 */
__attribute__((warn_unused_result)) int emu_report_write_junit(const GArray *report,
							       const char *path, const char *title,
							       const char *class_prefix,
							       double total_seconds, GString *err);
/* TAP version 13 on stdout. */
void emu_report_print_tap(const GArray *report);

#endif
