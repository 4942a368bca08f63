/* SPDX-License-Identifier: MIT */
#include "procscan.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void proc_clear(gpointer p)
{
	struct emu_proc *e = p;
	g_free(e->state_dir);
	g_free(e->socket);
}

/* The value after `opt` in a NUL-separated argv (or --opt=VALUE), NULL when absent. */
static const char *arg_value(const char *buf, gsize len, const char *opt)
{
	size_t ol = strlen(opt);
	for (const char *p = buf; p < buf + len; p += strlen(p) + 1) {
		if (strcmp(p, opt) == 0) {
			const char *n = p + strlen(p) + 1;
			return n < buf + len ? n : NULL;
		}
		if (strncmp(p, opt, ol) == 0 && p[ol] == '=')
			return p + ol + 1;
	}
	return NULL;
}

static bool read_proc(pid_t pid, const char *what, char **ret, gsize *ret_len)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/%s", (int)pid, what);
	return g_file_get_contents(path, ret, ret_len, NULL);
}

static int by_dir(gconstpointer a, gconstpointer b)
{
	const struct emu_proc *x = a, *y = b;
	int c = strcmp(x->state_dir, y->state_dir);
	return c ? c : (int)x->daemon - (int)y->daemon;
}

GArray *emu_procscan(void)
{
	GArray *out = g_array_new(FALSE, TRUE, sizeof(struct emu_proc));
	g_array_set_clear_func(out, proc_clear);
	g_autoptr(GDir) d = g_dir_open("/proc", 0, NULL);
	const char *n;
	uid_t me = getuid();

	while (d && (n = g_dir_read_name(d))) {
		char *end;
		long pid = strtol(n, &end, 10);
		if (*end || pid <= 0 || pid == getpid())
			continue;
		g_autofree char *dir = g_strdup_printf("/proc/%ld", pid);
		struct stat sb;
		if (stat(dir, &sb) < 0 || sb.st_uid != me)
			continue;
		g_autofree char *comm = NULL, *argv = NULL;
		gsize len = 0;
		enum emu_daemon dm;
		if (!read_proc((pid_t)pid, "comm", &comm, NULL) ||
		    emu_daemon_from_name(g_strchomp(comm), &dm) < 0 ||
		    !read_proc((pid_t)pid, "cmdline", &argv, &len) || len == 0) /* a zombie */
			continue;
		const char *state = NULL, *sock = NULL;
		if (dm == EMU_DAEMON_STMMD) {
			state = arg_value(argv, len, "--state");
			sock = arg_value(argv, len, "--socket");
		} else if (dm == EMU_DAEMON_RPMBD) {
			sock = arg_value(argv, len, "--socket");
		} else {
			sock = arg_value(argv, len, "--tee-socket");
		}
		struct emu_proc e = { .pid = (pid_t)pid, .daemon = dm };
		e.socket = g_strdup(sock ? sock : "");
		e.state_dir = state ? g_strdup(state) : sock ? g_path_get_dirname(sock) : g_strdup("");
		e.dir_exists = *e.state_dir && g_file_test(e.state_dir, G_FILE_TEST_IS_DIR);
		g_array_append_val(out, e);
	}
	g_array_sort(out, by_dir);
	return out;
}
