/* SPDX-License-Identifier: MIT */
/*
 * tee-probe: one raw TEE call against stmmd's tee socket, for system tests.
 *
 *   tee-probe --socket S [--uuid UUID] [--cmd N] [--param-types HEX] [--buf-hex FILE]
 *             [--size N] [--shm-size N] [--seal] [--dump] [--timeout MS]
 *   tee-probe --socket S --status
 *
 * Opens a session to UUID (default PTA_STMM), registers a memfd holding the buffer (hex
 * text from --buf-hex, whitespace ignored; zeros otherwise), invokes `cmd` with
 * params[0] = memref {shm, 0, size}, params[1..3] = 0, and prints key=value lines:
 *   open_ret= open_origin= session=
 *   ret= origin= p0_size= v1a= mm_ret= [efi_status=] [buf=]
 * Exit status 0 when every message went through (whatever the TEE said), 1 otherwise.
 */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "efi_util.h"
#include "ipc.h"
#include "pta_stmm.h"

static int parse_uuid(const char *s, uint8_t out[16])
{
	size_t n = 0;
	for (; *s && n < 32; s++) {
		if (*s == '-')
			continue;
		int v = g_ascii_xdigit_value(*s);
		if (v < 0)
			return -EINVAL;
		out[n / 2] = (uint8_t)(n % 2 ? out[n / 2] | v : v << 4);
		n++;
	}
	return n == 32 && !*s ? 0 : -EINVAL;
}

static int load_hex(const char *path, GByteArray **ret)
{
	g_autofree gchar *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return -ENOENT;
	return hex_decode(text, ret);
}

/* One request on the tee socket; an EMU_MSG_ERROR answer is printed with its text. */
static int call(int fd, uint16_t type, const void *p, size_t len, int pass_fd, uint16_t want,
		int timeout_ms, struct emu_msg **ret)
{
	static uint32_t next_id = 1; /* one connection per run */
	struct iovec iov = { (void *)p, len };
	g_autofree char *text = NULL;
	int r = emu_ipc_call(fd, &next_id, timeout_ms, type, &iov, len ? 1 : 0, pass_fd, want, ret,
			     &text);
	if (text)
		fprintf(stderr, "tee-probe: EMU_MSG_ERROR: %s\n", text);
	return r;
}

static int do_status(int fd, int timeout_ms)
{
	g_autoptr(emu_msg) m = NULL;
	struct emu_ctrl_status st;
	int r = call(fd, EMU_MSG_CTRL_STATUS_REQ, NULL, 0, -1, EMU_MSG_CTRL_STATUS_RSP, timeout_ms, &m);
	if (r < 0 || m->hdr.length != sizeof(st))
		return r < 0 ? r : -EPROTO;
	memcpy(&st, m->payload, sizeof(st));
	printf("flags=0x%x supplicant=%d key_programmed=%d counter_synced=%d store_open=%d\n"
	       "sessions=%u write_counter=%u live_variables=%u\n"
	       "store_total=%" PRIu64 " store_used=%" PRIu64 " store_free=%" PRIu64 "\n"
	       "rpmb_dead=%d fail_attempts=%u fail_errno=%d rpc_fail_errno=%d rpc_pending_ms=%u\n",
	       st.flags, !!(st.flags & EMU_CTRL_STATUS_SUPPLICANT),
	       !!(st.flags & EMU_CTRL_STATUS_KEY_PROGRAMMED),
	       !!(st.flags & EMU_CTRL_STATUS_COUNTER_SYNCED), !!(st.flags & EMU_CTRL_STATUS_STORE_OPEN),
	       st.sessions, st.rpmb_write_counter, st.live_variables, st.store_total, st.store_used,
	       st.store_free, !!(st.flags & EMU_CTRL_STATUS_RPMB_DEAD), st.fail_attempts, st.fail_errno,
	       st.rpc_fail_errno, st.rpc_pending_ms);
	return 0;
}

/* A platform reset of the secure world (EMU_MSG_CTRL_RESET_REQ): StMM reads its store again. */
static int do_reset(int fd, int timeout_ms)
{
	g_autoptr(emu_msg) m = NULL;
	int r = call(fd, EMU_MSG_CTRL_RESET_REQ, NULL, 0, -1, EMU_MSG_CTRL_RESET_RSP, timeout_ms, &m);
	if (r == 0)
		printf("reset=ok\n");
	return r;
}

int main(int argc, char **argv)
{
	g_autofree gchar *sock = NULL, *uuid_s = NULL, *hex = NULL, *types_s = NULL;
	gint cmd = PTA_STMM_CMD_COMMUNICATE, timeout_ms = 30000;
	gint64 size = -1, shm_size = -1;
	gboolean seal = FALSE, dump = FALSE, status = FALSE, reset = FALSE;
	GOptionEntry entries[] = {
		{ "socket", 0, 0, G_OPTION_ARG_FILENAME, &sock, "stmmd tee socket", "PATH" },
		{ "uuid", 0, 0, G_OPTION_ARG_STRING, &uuid_s, "TA UUID (default PTA_STMM)", "UUID" },
		{ "cmd", 0, 0, G_OPTION_ARG_INT, &cmd, "Command id (default 0)", "N" },
		{ "param-types", 0, 0, G_OPTION_ARG_STRING, &types_s, "Param types, hex (default 0x27)", "HEX" },
		{ "buf-hex", 0, 0, G_OPTION_ARG_FILENAME, &hex, "Buffer content as hex text", "FILE" },
		{ "size", 0, 0, G_OPTION_ARG_INT64, &size, "memref size (default: buffer length)", "N" },
		{ "shm-size", 0, 0, G_OPTION_ARG_INT64, &shm_size, "shared memory size (default: max(size, buffer))", "N" },
		{ "seal", 0, 0, G_OPTION_ARG_NONE, &seal, "memfd with MFD_ALLOW_SEALING", NULL },
		{ "dump", 0, 0, G_OPTION_ARG_NONE, &dump, "Print the buffer after the call", NULL },
		{ "status", 0, 0, G_OPTION_ARG_NONE, &status, "Print stmmd's status instead", NULL },
		{ "reset", 0, 0, G_OPTION_ARG_NONE, &reset, "Send a platform reset instead", NULL },
		{ "timeout", 0, 0, G_OPTION_ARG_INT, &timeout_ms, "Reply timeout (default 30000)", "MS" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- one raw call to stmmd");
	g_autoptr(GError) err = NULL;
	g_autoptr(GByteArray) buf = NULL;
	uint8_t uuid[16] = PTA_STMM_UUID_BYTES;
	uint32_t types = PTA_STMM_COMMUNICATE_PARAM_TYPES;
	g_autoptr(emu_msg) m = NULL;
	int fd, r, mfd = -1;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || !sock) {
		fprintf(stderr, "tee-probe: %s\n", err ? err->message : "--socket is required");
		return 2;
	}
	if ((uuid_s && parse_uuid(uuid_s, uuid) < 0) || (hex && load_hex(hex, &buf) < 0)) {
		fprintf(stderr, "tee-probe: bad --uuid or --buf-hex\n");
		return 2;
	}
	if (!buf)
		buf = g_byte_array_new(); /* no --buf-hex: an empty buffer */
	if (types_s)
		types = (uint32_t)g_ascii_strtoull(types_s, NULL, 16);
	if (size < 0)
		size = buf->len;
	if (shm_size < 0)
		shm_size = MAX(size, (gint64)buf->len);
	if ((r = emu_ipc_connect(sock, &fd)) < 0) {
		fprintf(stderr, "tee-probe: connect %s: %s\n", sock, g_strerror(-r));
		return 1;
	}
	if (status || reset) {
		r = status ? do_status(fd, timeout_ms) : do_reset(fd, timeout_ms);
		goto out;
	}

	struct emu_tee_open_session os;
	struct emu_tee_result res;
	memcpy(os.uuid, uuid, 16);
	if ((r = call(fd, EMU_MSG_TEE_OPEN_SESSION_REQ, &os, sizeof(os), -1,
		      EMU_MSG_TEE_OPEN_SESSION_RSP, timeout_ms, &m)) < 0)
		goto out;
	memcpy(&res, m->payload, MIN(sizeof(res), m->hdr.length));
	printf("open_ret=0x%08x open_origin=%u session=%u\n", res.ret, res.origin, res.id);
	if (res.ret != TEE_SUCCESS)
		goto out;
	uint32_t session = res.id;

	mfd = memfd_create("tee-probe", MFD_CLOEXEC | (seal ? MFD_ALLOW_SEALING : 0));
	if (mfd < 0 || ftruncate(mfd, MAX(shm_size, 1)) < 0 ||
	    pwrite(mfd, buf->data, buf->len, 0) != (ssize_t)buf->len) {
		r = -errno;
		goto out;
	}
	struct emu_tee_register_shm reg = { .size = (uint64_t)shm_size };
	g_clear_pointer(&m, emu_msg_free);
	r = call(fd, EMU_MSG_TEE_REGISTER_SHM_REQ, &reg, sizeof(reg), mfd,
		 EMU_MSG_TEE_REGISTER_SHM_RSP, timeout_ms, &m);
	if (r < 0)
		goto out;
	memcpy(&res, m->payload, MIN(sizeof(res), m->hdr.length));
	if (res.ret != TEE_SUCCESS)
		printf("shm_ret=0x%08x\n", res.ret);

	struct emu_tee_invoke inv = { .session = session, .cmd = (uint32_t)cmd, .param_types = types };
	inv.params[0] = (struct emu_tee_param){ .a = res.id, .b = 0, .c = (uint64_t)size };
	struct emu_tee_invoke_rsp ir;
	g_clear_pointer(&m, emu_msg_free);
	if ((r = call(fd, EMU_MSG_TEE_INVOKE_REQ, &inv, sizeof(inv), -1, EMU_MSG_TEE_INVOKE_RSP,
		      timeout_ms, &m)) < 0)
		goto out;
	if (m->hdr.length != sizeof(ir)) {
		r = -EPROTO;
		goto out;
	}
	memcpy(&ir, m->payload, sizeof(ir));
	printf("ret=0x%08x origin=%u p0_size=%" PRIu64 " v1a=0x%016" PRIx64 " mm_ret=%" PRId64 "\n",
	       ir.ret, ir.origin, ir.params[0].c, ir.params[1].a, (int64_t)ir.params[1].a);
	if (ir.ret == TEE_SUCCESS && size >= 40) {
		uint8_t out[40];
		if (pread(mfd, out, sizeof(out), 0) == (ssize_t)sizeof(out)) {
			uint64_t st;
			memcpy(&st, out + 32, sizeof(st));
			printf("efi_status=0x%016" PRIx64 "\n", st);
		}
	}
	if (dump && size > 0) {
		g_autofree uint8_t *out = g_malloc((size_t)size);
		if (pread(mfd, out, (size_t)size, 0) == size) {
			printf("buf=");
			for (gint64 i = 0; i < size; i++)
				printf("%02x", out[i]);
			printf("\n");
		}
	}
out:
	if (mfd >= 0)
		close(mfd);
	if (r < 0)
		fprintf(stderr, "tee-probe: %s\n", g_strerror(-r));
	close(fd);
	return r < 0 ? 1 : 0;
}
