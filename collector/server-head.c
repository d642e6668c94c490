/*
 * The early 413 (see server-head.h).  A callback on the connection's
 * input buffer sees every byte as it arrives, before evhttp's read
 * callback runs, and follows the requests (a head, then Content-Length
 * bytes of body).  While a head is incomplete the read low watermark is
 * kept above what is buffered, so evhttp does not start on it; once it is
 * complete, a head declaring more than max_body is rewritten in place
 * and the rest of the connection's input dropped.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <openssl/rand.h>

#include "log.h"
#include "server-head.h"
#include "xmalloc.h"

enum { H_HEAD, H_BODY, H_PASS, H_DROP };

/* The marker's value: random, so a client cannot send it itself. */
static char	mark[33];

struct server_head_watch {
	struct bufferevent		*bev;
	struct evbuffer_cb_entry	*cb;
	size_t				 max_body;
	int				 state;
	int				 busy;	/* our own changes */
	uint64_t			 left;	/* H_BODY */
	char				*head;	/* H_HEAD: the head so far */
	size_t				 headlen;
};

/* The end of the line at p (after its LF), or NULL when none in n. */
static const char *
line_end(const char *p, size_t n, size_t *textlen)
{
	const char	*lf = memchr(p, '\n', n);

	if (lf == NULL)
		return NULL;
	*textlen = (size_t)(lf - p);
	if (*textlen > 0 && p[*textlen - 1] == '\r')
		(*textlen)--;
	return lf + 1;
}

/* "Name:" at the start of a header line of len bytes. */
static int
is_header(const char *line, size_t len, const char *name)
{
	size_t	nl = strlen(name);

	return len > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0;
}

static int
parse_length(const char *v, size_t len, uint64_t *out)
{
	uint64_t	n = 0;
	size_t		i = 0;

	while (i < len && (v[i] == ' ' || v[i] == '\t'))
		i++;
	while (len > i && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (i == len || len - i > 19)
		return -1;
	for (; i < len; i++) {
		if (!isdigit((unsigned char)v[i]))
			return -1;
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	*out = n;
	return 0;
}

int
server_head_parse(const char *p, size_t n, struct server_head *h)
{
	const char	*line = p, *next, *end = p + n;
	size_t		 len, nlines = 0;
	int		 last_cl = 0;

	memset(h, 0, sizeof *h);
	while ((next = line_end(line, (size_t)(end - line), &len)) != NULL) {
		if (len == 0) {
			h->len = (size_t)(next - p);
			return 1;
		}
		if (nlines++ > 0) {
			if (line[0] == ' ' || line[0] == '\t') {
				/* A folded line continues the header before. */
				if (last_cl)
					h->bad_length = 1;
			} else if (is_header(line, len, "Content-Length")) {
				if (h->has_length || parse_length(line + 15,
				    len - 15, &h->length) == -1)
					h->bad_length = 1;
				h->has_length = 1;
				last_cl = 1;
				line = next;
				continue;
			} else if (is_header(line, len, "Transfer-Encoding"))
				h->chunked = 1;
		}
		last_cl = 0;
		line = next;
	}
	return 0;
}

void
server_head_rewrite(const char *p, const struct server_head *h,
    struct evbuffer *out)
{
	const char	*line = p, *next, *end = p + h->len;
	size_t		 len, nlines = 0;
	int		 skip = 0;

	while ((next = line_end(line, (size_t)(end - line), &len)) != NULL &&
	    len > 0) {
		if (nlines++ == 0)
			skip = 0;
		else if (line[0] != ' ' && line[0] != '\t')
			skip = is_header(line, len, "Content-Length") ||
			    is_header(line, len, SERVER_HEAD_MARK);
		if (!skip)
			evbuffer_add(out, line, (size_t)(next - line));
		line = next;
	}
	evbuffer_add_printf(out, "Content-Length: 0\r\n%s: %s\r\n\r\n",
	    SERVER_HEAD_MARK, mark);
}

int
server_head_marked(const char *value)
{
	return value != NULL && mark[0] != '\0' && strcmp(value, mark) == 0;
}

static void
mark_init(void)
{
	unsigned char	r[16];
	size_t		i;

	if (mark[0] != '\0')
		return;
	if (RAND_bytes(r, sizeof r) != 1) {
		log_error("no random bytes for the request marker");
		abort();
	}
	for (i = 0; i < sizeof r; i++)
		snprintf(mark + 2 * i, 3, "%02x", r[i]);
}

/* Replace buf[at, end) by the rewritten head. */
static void
replace_tail(struct evbuffer *buf, size_t at, const char *head,
    const struct server_head *h)
{
	struct evbuffer	*keep = evbuffer_new();

	if (keep == NULL) {
		log_error("out of memory");
		abort();
	}
	evbuffer_remove_buffer(buf, keep, at);
	evbuffer_drain(buf, evbuffer_get_length(buf));
	server_head_rewrite(head, h, keep);
	evbuffer_add_buffer(buf, keep);
	evbuffer_free(keep);
}

/* Drop the last n bytes of buf. */
static void
drop_tail(struct evbuffer *buf, size_t n)
{
	size_t	len = evbuffer_get_length(buf);
	struct evbuffer	*keep;

	if (n >= len) {
		evbuffer_drain(buf, len);
		return;
	}
	if ((keep = evbuffer_new()) == NULL) {
		log_error("out of memory");
		abort();
	}
	evbuffer_remove_buffer(buf, keep, len - n);
	evbuffer_drain(buf, evbuffer_get_length(buf));
	evbuffer_add_buffer(buf, keep);
	evbuffer_free(keep);
}

/*
 * A complete head of hl bytes ends at offset end of buf: decide.  Returns
 * the offset where what follows the head starts (end), or SIZE_MAX when
 * the rest of buf was dropped.
 */
static size_t
head_done(struct server_head_watch *w, struct evbuffer *buf, size_t end)
{
	struct server_head	h;

	server_head_parse(w->head, w->headlen, &h);
	w->headlen = 0;
	if (h.chunked || h.bad_length) {
		/* evhttp reads (or refuses) it; not followed further. */
		w->state = H_PASS;
		return end;
	}
	if (h.has_length && h.length > w->max_body) {
		if (end < h.len) {
			/* evhttp has read part of it: its own 413 then. */
			w->state = H_PASS;
			return end;
		}
		log_debug("request declares %llu bytes: 413",
		    (unsigned long long)h.length);
		replace_tail(buf, end - h.len, w->head, &h);
		w->state = H_DROP;
		return SIZE_MAX;
	}
	if (h.has_length && h.length > 0) {
		w->left = h.length;
		w->state = H_BODY;
	}
	return end;
}

static void
head_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct server_head_watch	*w = arg;
	struct server_head		 h;
	struct evbuffer_ptr		 pos;
	size_t				 len, off, n, room;

	if (w->busy || info->n_added == 0)
		return;
	w->busy = 1;
	len = evbuffer_get_length(buf);
	off = info->n_added < len ? len - info->n_added : 0;
	while (off < len) {
		if (w->state == H_PASS)
			break;
		if (w->state == H_DROP) {
			drop_tail(buf, len - off);
			break;
		}
		if (w->state == H_BODY) {
			n = w->left < len - off ? (size_t)w->left : len - off;
			w->left -= n;
			off += n;
			if (w->left == 0)
				w->state = H_HEAD;
			continue;
		}
		/* H_HEAD: copy what came of it, up to the limit. */
		room = SERVER_HEAD_MAX - w->headlen;
		n = len - off < room ? len - off : room;
		if (evbuffer_ptr_set(buf, &pos, off, EVBUFFER_PTR_SET) == -1 ||
		    evbuffer_copyout_from(buf, &pos, w->head + w->headlen,
		    n) != (ev_ssize_t)n) {
			w->state = H_PASS;
			break;
		}
		w->headlen += n;
		off += n;
		if (!server_head_parse(w->head, w->headlen, &h)) {
			if (w->headlen == SERVER_HEAD_MAX)
				w->state = H_PASS;	/* evhttp refuses it */
			continue;
		}
		/* Bytes copied past the head belong to what follows. */
		off -= w->headlen - h.len;
		w->headlen = h.len;
		if ((off = head_done(w, buf, off)) == SIZE_MAX)
			break;
	}
	/* Keep evhttp off an incomplete head. */
	len = evbuffer_get_length(buf);
	bufferevent_setwatermark(w->bev, EV_READ, w->state == H_HEAD &&
	    w->headlen > 0 ? len + 1 : 0, 0);
	w->busy = 0;
}

struct server_head_watch *
server_head_watch(struct bufferevent *bev, size_t max_body)
{
	struct server_head_watch	*w;

	mark_init();
	w = xcalloc(1, sizeof *w);
	w->bev = bev;
	w->max_body = max_body;
	w->state = H_HEAD;
	w->head = xmalloc(SERVER_HEAD_MAX);
	w->cb = evbuffer_add_cb(bufferevent_get_input(bev), head_cb, w);
	if (w->cb == NULL) {
		log_error("out of memory");
		abort();
	}
	return w;
}

void
server_head_unwatch(struct server_head_watch *w, struct bufferevent *bev)
{
	if (w == NULL)
		return;
	if (bev != NULL)
		evbuffer_remove_cb_entry(bufferevent_get_input(bev), w->cb);
	free(w->head);
	free(w);
}
