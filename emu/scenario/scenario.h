/* SPDX-License-Identifier: MIT */
/*
 * Scenario files (`stmm-emu scenario FILE…`): a field bug as a script of steps and
 * expectations, run on a fresh private stack.  This is the reader: text → steps, every
 * verb, argument count and expectation checked before anything runs, so a typo is a
 * "FILE:LINE: …" error, not a half-run scenario.  The runner is emu/scenario_run.c.
 *
 * The format, line by line (the README's "Reproducing field bugs" has examples):
 *
 *   # comment                       (a line whose first non-blank character is #)
 *   name: TEXT                      what the scenario shows (also `source:` — where the
 *   source: TEXT                    behaviour comes from — and `pins:` — what it pins,
 *   pins: TEXT                      the fix or the workaround included); repeatable
 *   VERB ARG… [expect EXPECTATION…] one step; words split as a POSIX shell does
 *                                   ("…" and '…' quote, \ escapes); a line ending in \
 *                                   continues on the next
 *
 * Verbs (client NAME is a TEE client opened by `client`):
 *   up [UP-OPTION…]                 start the stack (`stmm-emu up` options); a scenario
 *                                   without one starts with a plain `up`
 *   down | reset                    stop the stack / platform reset (`stmm-emu reset`)
 *   start                           start whatever daemon is not running (`stmm-emu up`)
 *   kill DAEMON [SIGNAL]            rpmbd|stmmd|supplicantd, KILL by default; returns when
 *                                   the process is gone
 *   fault ARG…                      `stmm-emu fault ARG…` (arm a fault at a protocol event)
 *   cli ARG…                        any `stmm-emu ARG…` on the scenario's state
 *   exec PROG ARG…                  one of our daemons (rpmbd, stmmd, supplicantd) run by
 *                                   hand, "{state}" in an ARG replaced by the state
 *                                   directory; it must exit within 10 s (a second
 *                                   supplicant, a daemon's refusal); also tools/os_io,
 *                                   the OS block-I/O client `make check` builds
 *   spawn NAME PROG ARG…            the same, in the background (it may wait for protocol
 *                                   events the next steps cause)
 *   reap NAME                       wait (10 s at most) for it to exit (expect exit N,
 *                                   contains TEXT)
 *   wait-log DAEMON TEXT [MS]       poll STATE/DAEMON.log until it has TEXT (10000 ms)
 *   client NAME [linux|uboot]       open a session as that driver would (persona)
 *   close NAME                      close the session (unbind the driver)
 *   set NAME VAR GUID ATTRS VALUE   SetVariable          (expect STATUS)
 *   get NAME VAR GUID               GetVariable          (expect STATUS [VALUE])
 *   delete NAME VAR GUID            SetVariable, size 0  (expect STATUS)
 *   query NAME ATTRS                QueryVariableInfo    (expect STATUS)
 *   event NAME ready-to-boot|exit-boot-services          (expect STATUS)
 *   status                          `stmm-emu status --json` (expect PATH OP VALUE)
 *   wait PATH OP VALUE [MS]         poll status until true (default bound 10000 ms)
 *   trace                           the decoded trace (expect contains|lacks TEXT)
 *
 * GUID: global, security, or the text form.  ATTRS: nv,bs,rt,at,append… or a number.
 * VALUE: "text" (its bytes), hex:0a0b…, repeat:N:XX (N bytes 0xXX), file:PATH (relative to
 * the scenario file), empty.
 * Expectations:
 *   STATUS [VALUE]                  an EFI status name (EFI_SUCCESS, NOT_FOUND …)
 *   PATH OP VALUE                   a dotted path into a JSON document (status, or cli
 *                                   --json output), OP one of = != < <= > >=, VALUE a
 *                                   number, true/false/null or text
 *   exit N                          (cli, exec, reap, up, reset, fault, down, start) exit status
 *   contains TEXT | lacks TEXT      (trace, cli, exec, reap) the output has / has not TEXT
 * A step without `expect` must simply succeed (exit 0; for client calls: any status).
 */
#ifndef STMM_EMU_SCENARIO_H
#define STMM_EMU_SCENARIO_H

#include <glib.h>
#include <stdint.h>

enum scen_verb {
	SCEN_UP, SCEN_DOWN, SCEN_RESET, SCEN_START, SCEN_KILL, SCEN_FAULT, SCEN_CLI,
	SCEN_CLIENT, SCEN_CLOSE, SCEN_SET, SCEN_GET, SCEN_DELETE, SCEN_QUERY, SCEN_EVENT,
	SCEN_STATUS, SCEN_WAIT, SCEN_TRACE, SCEN_EXEC, SCEN_SPAWN, SCEN_REAP, SCEN_WAIT_LOG,
};

enum scen_expect_kind {
	SCEN_EXPECT_NONE,    /* just succeed */
	SCEN_EXPECT_EFI,     /* efi status (+ optional value) */
	SCEN_EXPECT_JSON,    /* path op value */
	SCEN_EXPECT_EXIT,    /* exit status */
	SCEN_EXPECT_CONTAINS,
	SCEN_EXPECT_LACKS,
};

enum scen_op { SCEN_OP_EQ, SCEN_OP_NE, SCEN_OP_LT, SCEN_OP_LE, SCEN_OP_GT, SCEN_OP_GE };

struct scen_expect {
	enum scen_expect_kind kind;
	uint64_t efi_status;  /* EFI */
	char *value;          /* EFI: optional VALUE text (NULL = not checked); JSON: the value;
			       * CONTAINS/LACKS: the text */
	char *path;           /* JSON */
	enum scen_op op;      /* JSON */
	int exit_status;      /* EXIT */
};

struct scen_step {
	unsigned line;        /* 1-based line of its first physical line */
	enum scen_verb verb;
	char **argv;          /* the words after the verb (NULL-terminated, may be empty) */
	struct scen_expect expect;
	char *text;           /* the step as written (for reports) */
};

typedef struct scenario scenario;
struct scenario {
	char *path;
	char *name;           /* name: lines joined ("" if none) */
	char *source;         /* source: lines joined */
	char *pins;           /* pins: lines joined */
	GPtrArray *steps;     /* struct scen_step * */
};

/* Parse the text of `path` (used in messages only).  0, or -EINVAL with "PATH:LINE: why". */
__attribute__((warn_unused_result)) int scenario_parse(const char *path, const char *text,
						       size_t len, struct scenario **ret,
						       GString *err);
/* Read and parse a file.  0, -errno with the reason in err. */
__attribute__((warn_unused_result)) int scenario_load(const char *path, struct scenario **ret,
						      GString *err);
void scenario_free(struct scenario *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(scenario, scenario_free)

const char *scen_verb_name(enum scen_verb v);
/* OP applied to a comparison result (<0, 0, >0). */
gboolean scen_op_holds(enum scen_op op, int cmp);
const char *scen_op_name(enum scen_op op);

#endif
