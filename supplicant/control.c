/* SPDX-License-Identifier: MIT */
/* The control socket of supplicantd and its fault table (see control.h). */
#include "control.h"

#include <errno.h>
#include <glib-unix.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fd_watch.h"
#include "fault_count.h"
#include "ipc.h"

#define CONTROL_MAX_CLIENTS 8u

static struct fault_table faults; /* one supplicant per process */

struct supp_control {
	char *path;
	int listen_fd;
	guint listen_src;
	GList *clients; /* struct ctl_client * */
};

struct ctl_client {
	struct supp_control *ctl;
	int fd;
	guint src;
};

static void client_drop(struct ctl_client *c)
{
	c->ctl->clients = g_list_remove(c->ctl->clients, c);
	if (c->src)
		g_source_remove(c->src);
	close(c->fd);
	g_free(c);
}

int supp_control_handle(int fd, const struct emu_msg *msg)
{
	if (msg->hdr.type == EMU_MSG_CTRL_FAULT_REQ || msg->hdr.type == EMU_MSG_CTRL_FAULT_CLEAR_REQ)
		return fault_ctrl_handle(&faults, FAULT_DAEMON_SUPPLICANTD, fd, msg);
	return emu_ipc_send_error(fd, msg->hdr.req_id, -EOPNOTSUPP,
				  "message type 0x%04x is not supported on the control socket",
				  msg->hdr.type);
}

static gboolean on_client(gint fd, GIOCondition cond, gpointer data)
{
	struct ctl_client *c = data;
	g_autoptr(emu_msg) msg = NULL;
	int r = -ECONNRESET;

	if (cond & G_IO_IN)
		r = emu_ipc_recv(fd, 0, &msg);
	if (r == -ETIMEDOUT || r == -EAGAIN || r == -EINTR)
		return G_SOURCE_CONTINUE;
	if (r == -EBADMSG)
		r = emu_ipc_send_error(fd, 0, -EBADMSG, "malformed message");
	else if (r == 0)
		r = supp_control_handle(fd, msg);
	if (r < 0) {
		c->src = 0;
		client_drop(c);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_listen(gint fd, GIOCondition cond, gpointer data)
{
	struct supp_control *ctl = data;
	(void)cond;

	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (cfd < 0)
		return G_SOURCE_CONTINUE;
	if (g_list_length(ctl->clients) >= CONTROL_MAX_CLIENTS) {
		(void)emu_ipc_send_error(cfd, 0, -EBUSY, "too many control clients");
		close(cfd);
		return G_SOURCE_CONTINUE;
	}
	struct ctl_client *c = g_new0(struct ctl_client, 1);
	c->ctl = ctl;
	c->fd = cfd;
	c->src = emu_fd_watch_add(cfd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_client, c);
	ctl->clients = g_list_prepend(ctl->clients, c);
	return G_SOURCE_CONTINUE;
}

int supp_control_new(const char *path, struct supp_control **ret)
{
	int fd;
	int r = emu_ipc_listen(path, &fd);
	if (r < 0)
		return r;
	struct supp_control *ctl = g_new0(struct supp_control, 1);
	ctl->path = g_strdup(path);
	ctl->listen_fd = fd;
	ctl->listen_src = emu_fd_watch_add(fd, G_IO_IN, on_listen, ctl);
	*ret = ctl;
	return 0;
}

void supp_control_free(struct supp_control *ctl)
{
	if (!ctl)
		return;
	while (ctl->clients)
		client_drop(ctl->clients->data);
	if (ctl->listen_src)
		g_source_remove(ctl->listen_src);
	close(ctl->listen_fd);
	unlink(ctl->path);
	g_free(ctl->path);
	g_free(ctl);
}

enum supp_fault supp_control_rpc_event(uint32_t rpc_cmd, uint32_t *ret_teec)
{
	static const uint16_t trigger[] = { EMU_FAULT_AT_RPC };
	struct fault_fired ff;

	if (!fault_table_event(&faults, trigger, 1, rpc_cmd, &ff))
		return SUPP_FAULT_NONE;
	g_autofree char *event = g_strdup_printf("RPC (cmd %u)", rpc_cmd);
	fault_log_fired(&ff, event);
	switch (ff.f.action) {
	case EMU_FAULT_SUPP_EXIT:
		g_message("fault #%u: supplicantd exits before answering", ff.id);
		exit(EXIT_FAILURE);
	case EMU_FAULT_SUPP_STALL:
		return SUPP_FAULT_STALL;
	case EMU_FAULT_SUPP_DROP:
		return SUPP_FAULT_DROP;
	default:
		*ret_teec = ff.f.value;
		return SUPP_FAULT_ERROR;
	}
}
