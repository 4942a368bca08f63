/* SPDX-License-Identifier: MIT */
#include "server.h"

#include <errno.h>
#include <glib-unix.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <string.h>
#include <unistd.h>

#include "debug_gate.h"
#include "fd_watch.h"
#include "efi_util.h"
#include "fault_plan.h"
#include "partition.h"
#include "sequence.h"
#include "trace.h"

#define RPMBD_SEND_TIMEOUT_S 5
/* Clients served at once.  Beyond, a connection is refused with an error rather than let a
 * peer run us out of descriptors (accept() would then fail, and spin, for everybody). */
#define RPMBD_MAX_CLIENTS 64u
/* Commands held back for interleaving (EMU_MMC_CMD_AFTER_RPMB_REQ), all clients. */
#define RPMBD_MAX_QUEUED 16u

struct client {
	struct rpmb_server *srv;
	int fd;
	guint source;
	unsigned id;
};

struct rpmb_server {
	struct rpmb_device *dev;
	int listen_fd;
	guint listen_source;
	GList *clients; /* struct client * */
	unsigned next_id;
	struct mmc_card *card; /* single commands (EMU_MSG_MMC_CMD_REQ); NULL: not served */
	GList *queued;         /* struct queued_cmd *, oldest first */
};

/* One log line and one EMU_MSG_ERROR for a request we refuse. */
static int refuse(int fd, unsigned client_id, uint32_t req_id, int error, const char *fmt, ...)
	G_GNUC_PRINTF(5, 6);
static int refuse(int fd, unsigned client_id, uint32_t req_id, int error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_autofree char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_warning("client %u: request %u refused: %s", client_id, req_id, text);
	return emu_ipc_send_error(fd, req_id, error, "%s", text);
}

static int handle_info(struct rpmb_device *dev, int fd, const struct emu_msg *msg,
		       unsigned client_id)
{
	struct emu_mmc_info info;

	if (msg->hdr.length != 0)
		return refuse(fd, client_id, msg->hdr.req_id, -EINVAL,
			      "MMC_INFO_REQ carries no payload (got %u bytes)", msg->hdr.length);
	rpmb_device_get_info(dev, &info);
	emu_log_hexdump("tx info", &info, sizeof(info));
	return emu_ipc_send(fd, EMU_MSG_MMC_INFO_RSP, msg->hdr.req_id, &info, sizeof(info));
}

static int handle_seq(struct rpmb_device *dev, int fd, const struct emu_msg *msg,
		      unsigned client_id)
{
	struct rpmb_seq seq;
	g_autofree char *why = NULL;

	int r = rpmb_seq_parse(msg->payload, msg->hdr.length, &seq, &why);
	if (r < 0)
		return refuse(fd, client_id, msg->hdr.req_id, r, "malformed MMC sequence: %s", why);
	bool lost = false;
	r = rpmb_fault_run(dev, &seq, &lost); /* rpmb_device_run() with a run-time fault */
	if (r < 0) {
		rpmb_seq_clear(&seq);
		return refuse(fd, client_id, msg->hdr.req_id, r, "the device refused the sequence");
	}
	if (lost) {
		rpmb_seq_clear(&seq);
		return emu_ipc_send_error(fd, msg->hdr.req_id, -EIO, "response lost (fault)");
	}
	struct emu_mmc_seq_rsp rsp = { .data_len = (uint32_t)(seq.out_frames * RPMB_FRAME_SIZE) };
	struct iovec v[2] = { { &rsp, sizeof(rsp) }, { seq.out, rsp.data_len } };
	emu_log_hexdump("tx seq", seq.out, rsp.data_len);
	r = emu_ipc_sendv(fd, EMU_MSG_MMC_SEQ_RSP, msg->hdr.req_id, v, rsp.data_len ? 2 : 1, -1);
	rpmb_seq_clear(&seq);
	return r;
}

int rpmb_server_handle(struct rpmb_device *dev, int fd, const struct emu_msg *msg,
		       unsigned client_id)
{
	emu_debug("client %u: request %u type 0x%04x, %u bytes", client_id, msg->hdr.req_id,
		msg->hdr.type, msg->hdr.length);
	emu_log_hexdump("rx", msg->payload, msg->hdr.length);
	if (msg->fd >= 0)
		return refuse(fd, client_id, msg->hdr.req_id, -EINVAL,
			      "rpmbd takes no file descriptors");

	switch (msg->hdr.type) {
	case EMU_MSG_MMC_INFO_REQ:
		return handle_info(dev, fd, msg, client_id);
	case EMU_MSG_MMC_SEQ_REQ:
		return handle_seq(dev, fd, msg, client_id);
	case EMU_MSG_CTRL_FAULT_REQ:
	case EMU_MSG_CTRL_FAULT_CLEAR_REQ:
		return rpmb_fault_handle(fd, msg);
	default:
		return refuse(fd, client_id, msg->hdr.req_id, -EOPNOTSUPP,
			      "message type 0x%04x is not supported by rpmbd", msg->hdr.type);
	}
}

/* ---- single commands (EMU_MSG_MMC_CMD_REQ, partition.h) --------------------------- */

/* A command held back by EMU_MMC_CMD_AFTER_RPMB_REQ until other clients' RPMB requests. */
struct queued_cmd {
	struct client *owner;
	uint32_t req_id;
	struct emu_mmc_single cmd;
	GBytes *data;       /* CMD24/CMD25 blocks */
	uint32_t remaining; /* runs still to come */
	uint32_t runs;
};

static void queued_free(struct queued_cmd *q)
{
	g_bytes_unref(q->data);
	g_free(q);
}

/* Run one command and answer it on fd. */
static int run_single(struct rpmb_server *srv, int fd, unsigned client_id, uint32_t req_id,
		      const struct emu_mmc_single *cmd, const uint8_t *data, uint32_t runs,
		      bool *ret_rpmb_request, bool *ret_rpmb_write)
{
	struct mmc_card_result res;
	g_autofree uint8_t *out = g_malloc0((size_t)MAX(cmd->blocks, 1u) * RPMB_FRAME_SIZE);

	int r = mmc_card_cmd(srv->card, cmd, data, out, &res);
	*ret_rpmb_request = r == 0 && res.rpmb_request;
	*ret_rpmb_write = r == 0 && res.rpmb_write;
	if (r < 0)
		return refuse(fd, client_id, req_id, r, "CMD%u: user area storage failure: %s",
			      cmd->opcode, g_strerror(-r));
	if (res.lost)
		g_message("client %u: CMD%u reached the card after an RPMB request: its prepared "
			  "response or result is lost", client_id, cmd->opcode);
	emu_debug("client %u: CMD%u arg 0x%08x -> status 0x%08x, partition %u", client_id,
		cmd->opcode, cmd->arg, res.status, mmc_card_part(srv->card));
	struct emu_mmc_single_rsp rsp = { .status = res.status, .data_len = res.data_len,
					  .part = (uint16_t)mmc_card_part(srv->card),
					  .runs = runs };
	struct iovec v[2] = { { &rsp, sizeof(rsp) }, { out, res.data_len } };
	return emu_ipc_sendv(fd, EMU_MSG_MMC_CMD_RSP, req_id, v, res.data_len ? 2 : 1, -1);
}

/* After an RPMB request of client `by`: the queued commands of the others run now. */
static void run_queued(struct rpmb_server *srv, const struct client *by, bool write)
{
	for (GList *l = srv->queued; l;) {
		struct queued_cmd *q = l->data;
		GList *next = l->next;
		if (q->owner == by || ((q->cmd.flags & EMU_MMC_CMD_AFTER_RPMB_WRITE) && !write)) {
			l = next;
			continue;
		}
		q->runs++;
		bool last = --q->remaining == 0;
		g_message("client %u: queued CMD%u runs after an RPMB request of client %u (%u of %u)",
			  q->owner->id, q->cmd.opcode, by->id, q->runs, q->runs + q->remaining);
		if (last) {
			srv->queued = g_list_delete_link(srv->queued, l);
			bool req, wr;
			int r = run_single(srv, q->owner->fd, q->owner->id, q->req_id, &q->cmd,
					   q->data ? g_bytes_get_data(q->data, NULL) : NULL, q->runs,
					   &req, &wr);
			if (r < 0)
				g_warning("client %u: queued command answer: %s", q->owner->id,
					  g_strerror(-r));
			queued_free(q);
		} else {
			struct mmc_card_result res;
			g_autofree uint8_t *out = g_malloc0((size_t)q->cmd.blocks * RPMB_FRAME_SIZE + 1);
			if (mmc_card_cmd(srv->card, &q->cmd,
					 q->data ? g_bytes_get_data(q->data, NULL) : NULL, out, &res) < 0)
				g_warning("client %u: queued CMD%u: user area storage failure",
					  q->owner->id, q->cmd.opcode);
		}
		l = next;
	}
}

static int handle_single(struct client *c, const struct emu_msg *msg)
{
	struct rpmb_server *srv = c->srv;
	struct emu_mmc_single cmd;
	g_autofree char *why = NULL;
	bool rpmb_request = false, rpmb_write = false;

	if (!srv->card)
		return refuse(c->fd, c->id, msg->hdr.req_id, -EOPNOTSUPP,
			      "single MMC commands are not served");
	if (msg->hdr.length < sizeof(cmd))
		return refuse(c->fd, c->id, msg->hdr.req_id, -EINVAL,
			      "MMC_CMD_REQ shorter than its %zu-byte command", sizeof(cmd));
	memcpy(&cmd, msg->payload, sizeof(cmd));
	const uint8_t *data = msg->payload + sizeof(cmd);
	size_t data_len = msg->hdr.length - sizeof(cmd);
	int r = mmc_card_check(&cmd, data_len, &why);
	if (r < 0)
		return refuse(c->fd, c->id, msg->hdr.req_id, r, "malformed MMC command: %s", why);
	if (cmd.flags & EMU_MMC_CMD_AFTER_RPMB_REQ) {
		if (g_list_length(srv->queued) >= RPMBD_MAX_QUEUED)
			return refuse(c->fd, c->id, msg->hdr.req_id, -EBUSY,
				      "%u commands queued already", RPMBD_MAX_QUEUED);
		struct queued_cmd *q = g_new0(struct queued_cmd, 1);
		q->owner = c;
		q->req_id = msg->hdr.req_id;
		q->cmd = cmd;
		q->data = data_len ? g_bytes_new(data, data_len) : NULL;
		q->remaining = MAX(cmd.repeat, 1u);
		srv->queued = g_list_append(srv->queued, q);
		g_message("client %u: CMD%u queued to run after the next %u RPMB request(s) of "
			  "other clients", c->id, cmd.opcode, q->remaining);
		return 0;
	}
	r = run_single(srv, c->fd, c->id, msg->hdr.req_id, &cmd, data, 1, &rpmb_request,
		       &rpmb_write);
	if (rpmb_request)
		run_queued(srv, c, rpmb_write);
	return r;
}

void rpmb_server_set_card(struct rpmb_server *srv, struct mmc_card *card)
{
	srv->card = card;
}

/* ---- connections ------------------------------------------------------------------ */

static void client_drop(struct client *c)
{
	g_debug("client %u: disconnected", c->id);
	for (GList *l = c->srv->queued, *next; l; l = next) {
		next = l->next;
		if (((struct queued_cmd *)l->data)->owner == c) {
			queued_free(l->data);
			c->srv->queued = g_list_delete_link(c->srv->queued, l);
		}
	}
	c->srv->clients = g_list_remove(c->srv->clients, c);
	emu_trace_disconnect(c->fd);
	if (c->source)
		g_source_remove(c->source);
	close(c->fd);
	g_free(c);
}

/* One received message of client c (exactly one reply, unless a command was queued).  0, or
 * a -errno that drops the client. */
static int dispatch(struct client *c, const struct emu_msg *msg)
{
	int r;

	if (msg->hdr.type == EMU_MSG_MMC_CMD_REQ && msg->fd < 0)
		return handle_single(c, msg);
	if (msg->hdr.type == EMU_MSG_MMC_SEQ_REQ && c->srv->card) {
		/* An ioctl on /dev/mmcblkNrpmb: the kernel selects RPMB and switches back. */
		(void)mmc_card_select(c->srv->card, EMU_MMC_PART_RPMB);
		r = rpmb_server_handle(c->srv->dev, c->fd, msg, c->id);
		(void)mmc_card_select(c->srv->card, EMU_MMC_PART_USER);
		if (r == 0 && c->srv->queued)
			run_queued(c->srv, c, mmc_seq_has_data_write(msg->payload, msg->hdr.length));
		return r;
	}
	return rpmb_server_handle(c->srv->dev, c->fd, msg, c->id);
}

static gboolean on_client(int fd, GIOCondition cond, gpointer user_data)
{
	struct client *c = user_data;
	g_autoptr(emu_msg) msg = NULL;

	if (!(cond & G_IO_IN)) {
		c->source = 0; /* returning G_SOURCE_REMOVE removes it */
		client_drop(c);
		return G_SOURCE_REMOVE;
	}
	int r = emu_ipc_recv(fd, 0, &msg);
	if (r == -ETIMEDOUT || r == -EAGAIN || r == -EINTR)
		return G_SOURCE_CONTINUE;
	if (r == -EBADMSG) {
		/* Consumed; the socket stays usable.  No trustworthy req_id: answer with 0. */
		r = refuse(fd, c->id, 0, -EBADMSG,
			   "malformed message (bad magic/version, length mismatch or truncated)");
	} else if (r == 0) {
		r = dispatch(c, msg);
	} else if (r != -ECONNRESET) {
		g_warning("client %u: receive failed: %s", c->id, g_strerror(-r));
	}
	if (r < 0) {
		if (r != -ECONNRESET && r != -EPIPE)
			g_warning("client %u: dropped: %s", c->id, g_strerror(-r));
		c->source = 0;
		client_drop(c);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static struct client *client_add(struct rpmb_server *srv, int cfd)
{
	struct client *c = g_new0(struct client, 1);
	c->srv = srv;
	c->fd = cfd;
	c->id = ++srv->next_id;
	srv->clients = g_list_prepend(srv->clients, c);
	g_debug("client %u: connected", c->id);
	emu_trace_connect(c->id, EMU_TRACE_ROLE_UNKNOWN, cfd);
	return c;
}

unsigned rpmb_server_adopt(struct rpmb_server *srv, int fd)
{
	return client_add(srv, fd)->id;
}

int rpmb_server_dispatch(struct rpmb_server *srv, unsigned client_id, const struct emu_msg *msg)
{
	for (GList *l = srv->clients; l; l = l->next) {
		struct client *c = l->data;
		if (c->id != client_id)
			continue;
		int r = dispatch(c, msg);
		if (r < 0)
			client_drop(c);
		return r;
	}
	return -ENOENT;
}

static gboolean on_listen(int fd, GIOCondition cond, gpointer user_data)
{
	struct rpmb_server *srv = user_data;
	(void)cond;

	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (cfd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			g_warning("accept failed: %s", g_strerror(errno));
		return G_SOURCE_CONTINUE;
	}
	if (g_list_length(srv->clients) >= RPMBD_MAX_CLIENTS) {
		g_warning("too many clients (%u), refusing one", RPMBD_MAX_CLIENTS);
		(void)emu_ipc_send_error(cfd, 0, -EBUSY, "too many clients (%u)", RPMBD_MAX_CLIENTS);
		close(cfd);
		return G_SOURCE_CONTINUE;
	}
	/* A client that stops reading must not stall the device for everyone: bounded send. */
	struct timeval tv = { .tv_sec = RPMBD_SEND_TIMEOUT_S };
	if (setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		g_debug("SO_SNDTIMEO: %s", g_strerror(errno));
	struct client *c = client_add(srv, cfd);
	c->source = emu_fd_watch_add(cfd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_client, c);
	return G_SOURCE_CONTINUE;
}

int rpmb_server_new(struct rpmb_device *dev, int listen_fd, struct rpmb_server **ret_server)
{
	struct rpmb_server *srv = g_new0(struct rpmb_server, 1);

	srv->dev = dev;
	srv->listen_fd = listen_fd;
	if (listen_fd >= 0)
		srv->listen_source = emu_fd_watch_add(listen_fd, G_IO_IN, on_listen, srv);
	*ret_server = srv;
	return 0;
}

void rpmb_server_free(struct rpmb_server *srv)
{
	if (!srv)
		return;
	while (srv->clients)
		client_drop(srv->clients->data);
	if (srv->listen_source)
		g_source_remove(srv->listen_source);
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	g_free(srv);
}
