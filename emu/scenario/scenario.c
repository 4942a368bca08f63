/* SPDX-License-Identifier: MIT */
/* The scenario file reader (scenario.h has the format). */
#include <errno.h>
#include <string.h>

#include "efi_util.h"
#include "scenario.h"

/* Longest scenario file and line the reader takes. */
#define SCEN_MAX_FILE (1u << 20)
#define SCEN_MAX_LINE 8192u

struct verb_info {
	const char *name;
	enum scen_verb verb;
	int min_args, max_args;   /* -1 = no upper bound */
	unsigned expects;         /* bit per scen_expect_kind allowed */
};

#define X(k) (1u << (k))
#define EXIT_LIKE (X(SCEN_EXPECT_NONE) | X(SCEN_EXPECT_EXIT))
#define EFI_LIKE (X(SCEN_EXPECT_NONE) | X(SCEN_EXPECT_EFI))
static const struct verb_info verbs[] = {
	{ "up", SCEN_UP, 0, -1, EXIT_LIKE },
	{ "down", SCEN_DOWN, 0, 0, EXIT_LIKE },
	{ "reset", SCEN_RESET, 0, 0, EXIT_LIKE },
	{ "start", SCEN_START, 0, 0, EXIT_LIKE },
	{ "kill", SCEN_KILL, 1, 2, X(SCEN_EXPECT_NONE) },
	{ "fault", SCEN_FAULT, 1, -1, EXIT_LIKE },
	{ "cli", SCEN_CLI, 1, -1,
	  EXIT_LIKE | X(SCEN_EXPECT_JSON) | X(SCEN_EXPECT_CONTAINS) | X(SCEN_EXPECT_LACKS) },
	{ "exec", SCEN_EXEC, 1, -1,
	  EXIT_LIKE | X(SCEN_EXPECT_CONTAINS) | X(SCEN_EXPECT_LACKS) },
	{ "spawn", SCEN_SPAWN, 2, -1, X(SCEN_EXPECT_NONE) },
	{ "reap", SCEN_REAP, 1, 1, EXIT_LIKE | X(SCEN_EXPECT_CONTAINS) | X(SCEN_EXPECT_LACKS) },
	{ "wait-log", SCEN_WAIT_LOG, 2, 3, X(SCEN_EXPECT_NONE) },
	{ "client", SCEN_CLIENT, 1, 2, X(SCEN_EXPECT_NONE) | X(SCEN_EXPECT_EXIT) },
	{ "close", SCEN_CLOSE, 1, 1, X(SCEN_EXPECT_NONE) },
	{ "set", SCEN_SET, 5, 5, EFI_LIKE },
	{ "get", SCEN_GET, 3, 3, EFI_LIKE },
	{ "delete", SCEN_DELETE, 3, 3, EFI_LIKE },
	{ "query", SCEN_QUERY, 2, 2, EFI_LIKE },
	{ "event", SCEN_EVENT, 2, 2, EFI_LIKE },
	{ "status", SCEN_STATUS, 0, 0, X(SCEN_EXPECT_JSON) },
	{ "wait", SCEN_WAIT, 3, 4, X(SCEN_EXPECT_NONE) },
	{ "trace", SCEN_TRACE, 0, 0, X(SCEN_EXPECT_CONTAINS) | X(SCEN_EXPECT_LACKS) },
};

static const char *const op_names[] = { "=", "!=", "<", "<=", ">", ">=" };

const char *scen_verb_name(enum scen_verb v)
{
	for (size_t i = 0; i < G_N_ELEMENTS(verbs); i++)
		if (verbs[i].verb == v)
			return verbs[i].name;
	return "?";
}

const char *scen_op_name(enum scen_op op)
{
	return (size_t)op < G_N_ELEMENTS(op_names) ? op_names[op] : "?";
}

gboolean scen_op_holds(enum scen_op op, int cmp)
{
	switch (op) {
	case SCEN_OP_EQ: return cmp == 0;
	case SCEN_OP_NE: return cmp != 0;
	case SCEN_OP_LT: return cmp < 0;
	case SCEN_OP_LE: return cmp <= 0;
	case SCEN_OP_GT: return cmp > 0;
	case SCEN_OP_GE: return cmp >= 0;
	}
	return FALSE;
}

static int parse_op(const char *s, enum scen_op *ret)
{
	for (size_t i = 0; i < G_N_ELEMENTS(op_names); i++)
		if (strcmp(s, op_names[i]) == 0) {
			*ret = (enum scen_op)i;
			return 0;
		}
	return -EINVAL;
}

static void step_free(gpointer p)
{
	struct scen_step *st = p;

	if (!st)
		return;
	g_strfreev(st->argv);
	g_free(st->expect.value);
	g_free(st->expect.path);
	g_free(st->text);
	g_free(st);
}

void scenario_free(struct scenario *s)
{
	if (!s)
		return;
	g_free(s->path);
	g_free(s->name);
	g_free(s->source);
	g_free(s->pins);
	if (s->steps)
		g_ptr_array_unref(s->steps);
	g_free(s);
}

/* The expectation words (after `expect`) of a step of kind `vi`.  0 or -EINVAL + why. */
static int parse_expect(const struct verb_info *vi, char **w, int n, struct scen_expect *ex,
			GString *why)
{
	if (n == 0) {
		g_string_assign(why, "`expect` with nothing after it");
		return -EINVAL;
	}
	if (strcmp(w[0], "exit") == 0 && (vi->expects & X(SCEN_EXPECT_EXIT))) {
		char *end;
		long v = n == 2 ? strtol(w[1], &end, 10) : -1;
		if (n != 2 || *end || v < 0 || v > 255) {
			g_string_assign(why, "expect exit N: N is an exit status 0..255");
			return -EINVAL;
		}
		ex->kind = SCEN_EXPECT_EXIT;
		ex->exit_status = (int)v;
		return 0;
	}
	if ((strcmp(w[0], "contains") == 0 || strcmp(w[0], "lacks") == 0) &&
	    (vi->expects & (X(SCEN_EXPECT_CONTAINS) | X(SCEN_EXPECT_LACKS)))) {
		if (n != 2 || !*w[1]) {
			g_string_printf(why, "expect %s TEXT: one (quoted) non-empty text", w[0]);
			return -EINVAL;
		}
		ex->kind = w[0][0] == 'c' ? SCEN_EXPECT_CONTAINS : SCEN_EXPECT_LACKS;
		ex->value = g_strdup(w[1]);
		return 0;
	}
	if (vi->expects & X(SCEN_EXPECT_EFI)) {
		efi_status_t s;
		if (n > 2 || efi_status_from_name(w[0], &s) < 0) {
			g_string_printf(why, "expect STATUS [VALUE]: '%s' is not an EFI status name", w[0]);
			return -EINVAL;
		}
		ex->kind = SCEN_EXPECT_EFI;
		ex->efi_status = s;
		ex->value = n == 2 ? g_strdup(w[1]) : NULL;
		return 0;
	}
	if (vi->expects & X(SCEN_EXPECT_JSON)) {
		if (n != 3 || parse_op(w[1], &ex->op) < 0 || !*w[0]) {
			g_string_assign(why, "expect PATH OP VALUE, OP one of = != < <= > >=");
			return -EINVAL;
		}
		ex->kind = SCEN_EXPECT_JSON;
		ex->path = g_strdup(w[0]);
		ex->value = g_strdup(w[2]);
		return 0;
	}
	g_string_printf(why, "`%s` takes no expectation '%s'", vi->name, w[0]);
	return -EINVAL;
}

/* One logical line (comments and blanks already skipped). */
static int parse_step(struct scenario *s, const char *line, unsigned lineno, GString *why)
{
	g_auto(GStrv) w = NULL;
	g_autoptr(GError) e = NULL;
	int n;

	if (!g_shell_parse_argv(line, &n, &w, &e)) {
		g_string_printf(why, "cannot split the line: %s", e->message);
		return -EINVAL;
	}
	const struct verb_info *vi = NULL;
	for (size_t i = 0; i < G_N_ELEMENTS(verbs); i++)
		if (strcmp(w[0], verbs[i].name) == 0)
			vi = &verbs[i];
	if (!vi) {
		g_string_printf(why, "unknown step '%s' (see `stmm-emu scenario --help`)", w[0]);
		return -EINVAL;
	}
	int ex_at = n;
	for (int i = 1; i < n; i++)
		if (strcmp(w[i], "expect") == 0 && vi->verb != SCEN_CLI && vi->verb != SCEN_FAULT &&
		    vi->verb != SCEN_UP && vi->verb != SCEN_EXEC && vi->verb != SCEN_SPAWN) {
			ex_at = i;
			break;
		}
	/* cli/fault/up pass words through: only a last `expect` clause counts. */
	if (ex_at == n && (vi->verb == SCEN_CLI || vi->verb == SCEN_FAULT || vi->verb == SCEN_UP ||
			   vi->verb == SCEN_EXEC))
		for (int i = n - 1; i >= 1; i--)
			if (strcmp(w[i], "expect") == 0) {
				ex_at = i;
				break;
			}
	int nargs = ex_at - 1;
	if (nargs < vi->min_args || (vi->max_args >= 0 && nargs > vi->max_args)) {
		if (vi->max_args < 0)
			g_string_printf(why, "`%s` takes at least %d argument(s)", vi->name, vi->min_args);
		else if (vi->min_args == vi->max_args)
			g_string_printf(why, "`%s` takes %d argument(s), not %d", vi->name, vi->min_args, nargs);
		else
			g_string_printf(why, "`%s` takes %d to %d arguments, not %d", vi->name,
					vi->min_args, vi->max_args, nargs);
		return -EINVAL;
	}
	struct scen_step *st = g_new0(struct scen_step, 1);
	st->line = lineno;
	st->verb = vi->verb;
	st->text = g_strdup(line);
	st->argv = g_new0(char *, (size_t)nargs + 1);
	for (int i = 0; i < nargs; i++)
		st->argv[i] = g_strdup(w[1 + i]);
	g_ptr_array_add(s->steps, st);
	if (ex_at < n) {
		if (parse_expect(vi, w + ex_at + 1, n - ex_at - 1, &st->expect, why) < 0)
			return -EINVAL;
	} else if (!(vi->expects & X(SCEN_EXPECT_NONE))) {
		g_string_printf(why, "`%s` needs an `expect …`", vi->name);
		return -EINVAL;
	}
	if (vi->verb == SCEN_WAIT && parse_op(st->argv[1], &st->expect.op) < 0) {
		g_string_assign(why, "wait PATH OP VALUE [MS]: OP one of = != < <= > >=");
		return -EINVAL;
	}
	return 0;
}

static void append_meta(char **field, const char *text)
{
	char *old = *field;

	*field = old && *old ? g_strconcat(old, " ", text, NULL) : g_strdup(text);
	g_free(old);
}

static bool meta_line(struct scenario *s, const char *line)
{
	static const char *const keys[] = { "name:", "source:", "pins:" };
	char **fields[] = { &s->name, &s->source, &s->pins };

	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
		if (g_str_has_prefix(line, keys[i])) {
			g_autofree char *v = g_strstrip(g_strdup(line + strlen(keys[i])));
			append_meta(fields[i], v);
			return true;
		}
	return false;
}

int scenario_parse(const char *path, const char *text, size_t len, struct scenario **ret,
		   GString *err)
{
	g_autoptr(scenario) s = g_new0(struct scenario, 1);
	g_autoptr(GString) why = g_string_new("");
	g_autoptr(GString) logical = g_string_new("");
	unsigned lineno = 0, first = 0;

	s->path = g_strdup(path);
	s->steps = g_ptr_array_new_with_free_func(step_free);
	if (len > SCEN_MAX_FILE || memchr(text, '\0', len)) {
		g_string_printf(err, "%s: not a scenario file (larger than %u bytes or binary)", path,
				SCEN_MAX_FILE);
		return -EINVAL;
	}
	if (!g_utf8_validate(text, (gssize)len, NULL)) {
		g_string_printf(err, "%s: not valid UTF-8", path);
		return -EINVAL;
	}
	for (size_t pos = 0; pos < len || logical->len;) {
		const char *nl = pos < len ? memchr(text + pos, '\n', len - pos) : NULL;
		size_t end = nl ? (size_t)(nl - text) : len;
		g_autofree char *line = g_strndup(text + pos, end - pos);
		bool at_eof = pos >= len;

		pos = nl ? end + 1 : len;
		if (!at_eof) {
			lineno++;
			if (strlen(line) > SCEN_MAX_LINE) {
				g_string_printf(err, "%s:%u: line longer than %u bytes", path, lineno,
						SCEN_MAX_LINE);
				return -EINVAL;
			}
			g_strchomp(line);
			if (!logical->len) {
				const char *t = line + strspn(line, " \t");
				if (!*t || *t == '#')
					continue;
				first = lineno;
			}
			size_t l = strlen(line);
			if (l && line[l - 1] == '\\' && (l < 2 || line[l - 2] != '\\')) {
				line[l - 1] = ' ';
				g_string_append(logical, line);
				if (pos < len)
					continue;
			} else {
				g_string_append(logical, line);
			}
		}
		if (logical->len > SCEN_MAX_LINE) {
			g_string_printf(err, "%s:%u: step longer than %u bytes", path, first, SCEN_MAX_LINE);
			return -EINVAL;
		}
		g_autofree char *stmt = g_strstrip(g_strdup(logical->str));
		g_string_truncate(logical, 0);
		if (!*stmt)
			continue;
		if (meta_line(s, stmt))
			continue;
		if (parse_step(s, stmt, first, why) < 0) {
			g_string_printf(err, "%s:%u: %s", path, first, why->str);
			return -EINVAL;
		}
	}
	if (!s->name)
		s->name = g_strdup("");
	if (!s->source)
		s->source = g_strdup("");
	if (!s->pins)
		s->pins = g_strdup("");
	if (!s->steps->len) {
		g_string_printf(err, "%s: no steps", path);
		return -EINVAL;
	}
	*ret = g_steal_pointer(&s);
	return 0;
}

int scenario_load(const char *path, struct scenario **ret, GString *err)
{
	g_autofree char *text = NULL;
	g_autoptr(GError) e = NULL;
	gsize len;

	if (!g_file_get_contents(path, &text, &len, &e)) {
		g_string_printf(err, "%s", e->message);
		return e->code == G_FILE_ERROR_NOENT ? -ENOENT : -EIO;
	}
	return scenario_parse(path, text, len, ret, err);
}
