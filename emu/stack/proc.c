/* SPDX-License-Identifier: MIT */
/* Is this pid one of our daemons, running: see proc.h. */
#include "proc.h"

#include <errno.h>
#include <glib.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* include/linux/sched.h: set on a task as do_exit() begins. */
#define KERNEL_PF_EXITING 0x00000004UL

void emu_proc_reap_if_child(pid_t pid)
{
	while (waitpid(pid, NULL, WNOHANG) < 0 && errno == EINTR)
		;
}

bool emu_proc_exited_within(int fd, int timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	for (;;) {
		gint64 left = (deadline - g_get_monotonic_time()) / 1000;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, left > 0 ? (int)MIN(left, G_MAXINT) : 0);
		if (n < 0 && errno == EINTR)
			continue;
		return n != 0; /* readable (exited, even as a zombie) or an error */
	}
}

int emu_proc_open(pid_t pid, const char *name)
{
	if (pid <= 0)
		return -1;
	int fd = pidfd_open(pid, 0);
	if (fd < 0)
		return -1;
	if (name) {
		g_autofree char *path = g_strdup_printf("/proc/%d/comm", (int)pid);
		g_autofree char *comm = NULL;
		if (!g_file_get_contents(path, &comm, NULL, NULL) ||
		    strcmp(g_strchomp(comm), name) != 0) {
			close(fd);
			return -1;
		}
	}
	if (emu_proc_exited_within(fd, 0)) {
		close(fd);
		emu_proc_reap_if_child(pid);
		return -1;
	}
	return fd;
}

bool emu_proc_exiting(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
	g_autofree char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return true;
	/* "PID (COMM) STATE PPID PGRP SESSION TTY TPGID FLAGS ...": COMM may hold anything. */
	const char *p = strrchr(text, ')');
	char state = 0;
	unsigned long flags = 0;
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %lu", &state, &flags) != 2)
		return true;
	return state == 'Z' || state == 'X' || state == 'x' || (flags & KERNEL_PF_EXITING) != 0;
}

bool emu_proc_is(pid_t pid, const char *name)
{
	int fd = emu_proc_open(pid, name);

	if (fd < 0)
		return false;
	bool exiting = emu_proc_exiting(pid);
	close(fd);
	return !exiting;
}
