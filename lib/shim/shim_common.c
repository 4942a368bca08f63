/* SPDX-License-Identifier: MIT */
#include "shim_common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

bool shim_path_numbered(const char *path, const char *prefix, const char *suffix)
{
	size_t n = strlen(prefix);
	const char *p;

	if (!path || strncmp(path, prefix, n) != 0)
		return false;
	p = path + n;
	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	return strcmp(p, suffix) == 0;
}

int shim_fd_identify(int fd, dev_t *ret_dev, ino_t *ret_ino)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	*ret_dev = st.st_dev;
	*ret_ino = st.st_ino;
	return 0;
}

void shim_debug_line(const char *who, const char *fmt, va_list ap)
{
	char line[512];
	int saved = errno;

	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "%s: %s\n", who, line);
	errno = saved;
}
