/* SPDX-License-Identifier: MIT */
/*
 * Plain replay driver: feeds each file named on the command line, and each regular file
 * of each directory named there, once through LLVMFuzzerTestOneInput.  Built with the
 * normal compiler for `make unit-check` (no clang, no libFuzzer): every committed corpus
 * input and every past crash goes through the same entry point the fuzzer uses.  A missing
 * directory is skipped (a harness may have no regressions yet).  Prints
 * "replay: N passed, 0 failed"; a crash is the failure.
 */
#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path, unsigned *n)
{
	g_autofree char *buf = NULL;
	gsize len = 0;
	g_autoptr(GError) err = NULL;

	if (!g_file_get_contents(path, &buf, &len, &err)) {
		fprintf(stderr, "replay: %s\n", err->message);
		return -EIO;
	}
	/* An exact-size copy, so a read past the input is a read past an allocation. */
	g_autofree uint8_t *copy = g_memdup2(buf, len ? len : 1);
	LLVMFuzzerTestOneInput(copy, len);
	(*n)++;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_path(const char *path, unsigned *n)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return replay_file(path, n);

	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	if (!dir)
		return -EIO;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	for (const char *e; (e = g_dir_read_name(dir));)
		if (e[0] != '.')
			g_ptr_array_add(names, g_build_filename(path, e, NULL));
	g_ptr_array_sort(names, by_name); /* the same order on every run */
	for (guint i = 0; i < names->len; i++) {
		int r = replay_path(g_ptr_array_index(names, i), n);
		if (r < 0)
			return r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned n = 0;
	g_autofree char *self = g_path_get_basename(argv[0]);

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		printf("usage: %s FILE|DIR...\n"
		       "Feed each file (each file of each DIR) once through this harness's\n"
		       "LLVMFuzzerTestOneInput.  A missing path is skipped.\n",
		       argv[0]);
		return argc < 2 ? 2 : 0;
	}
	for (int i = 1; i < argc; i++) {
		int r = replay_path(argv[i], &n);
		if (r < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], g_strerror(-r));
			printf("%s: %u passed, 1 failed\n", self, n);
			return 1;
		}
	}
	printf("%s: %u passed, 0 failed\n", self, n);
	return 0;
}
