/*
 * c-ares on libevent.  c-ares tells us through ARES_OPT_SOCK_STATE_CB which
 * sockets it wants watched; each gets one persistent event that calls
 * ares_process_fd().  One timer, re-armed from ares_timeout() after every
 * call into c-ares, drives retransmissions and timeouts.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ares.h>
#include <event2/event.h>

#include "dns.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

struct dns_sock {
	struct dns_resolver	*r;
	ares_socket_t		 fd;
	struct event		*ev;
	short			 what;
	struct dns_sock		*next;
};

struct dns_q {
	struct dns_resolver	*r;
	struct dns_q		*next;		/* in the wait queue */
	char			*name;
	int			 qtype;
	dns_cb			 cb;
	void			*arg;
	double			 t0;		/* when sent */
	int			 sending;	/* inside ares_query() */
	int			 status;	/* for a deferred callback */
	int			 cancelled;	/* dns_cancel: no callback */
};

struct dns_resolver {
	struct event_base	*base;
	ares_channel		 channel;
	struct event		*timer;
	struct dns_sock		*socks;
	char			 name[64];
	size_t			 pending;	/* queued or sent */
	size_t			 active;	/* sent */
	struct dns_q		*wait_head;	/* not sent yet */
	struct dns_q		*wait_tail;
};

static void	dns_rearm(struct dns_resolver *);

static void
dns_sock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_sock		*s = arg;
	struct dns_resolver	*r = s->r;

	/* s may be freed by the socket state callback inside. */
	ares_process_fd(r->channel,
	    (what & EV_READ) ? (ares_socket_t)fd : ARES_SOCKET_BAD,
	    (what & EV_WRITE) ? (ares_socket_t)fd : ARES_SOCKET_BAD);
	dns_rearm(r);
}

static void
dns_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_resolver	*r = arg;

	(void)fd;
	(void)what;
	ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_rearm(r);
}

static void
dns_rearm(struct dns_resolver *r)
{
	struct timeval	 tv, *tvp;

	tvp = ares_timeout(r->channel, NULL, &tv);
	if (tvp == NULL) {
		evtimer_del(r->timer);
		return;
	}
	evtimer_add(r->timer, tvp);
}

static void
dns_sock_free(struct dns_sock *s)
{
	event_free(s->ev);
	free(s);
}

static void
dns_sock_state_cb(void *arg, ares_socket_t fd, int readable, int writable)
{
	struct dns_resolver	*r = arg;
	struct dns_sock		*s, **sp;
	short			 what;

	for (sp = &r->socks; (s = *sp) != NULL; sp = &s->next) {
		if (s->fd == fd)
			break;
	}
	if (!readable && !writable) {
		if (s != NULL) {
			*sp = s->next;
			dns_sock_free(s);
		}
		return;
	}
	what = EV_PERSIST | (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0);
	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		s->r = r;
		s->fd = fd;
		s->ev = event_new(r->base, fd, what, dns_sock_cb, s);
		if (s->ev == NULL) {
			log_error("dns: cannot watch a socket");
			abort();
		}
		s->next = r->socks;
		r->socks = s;
	} else if (s->what != what) {
		event_del(s->ev);
		event_assign(s->ev, r->base, fd, what, dns_sock_cb, s);
	} else
		return;
	s->what = what;
	event_add(s->ev, NULL);
}

static int
parse_port(const char *s, int *port)
{
	char	*end;
	long	 v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 1 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

int
dns_parse_spec(const char *spec, struct dns_server *srv)
{
	char		 host[INET6_ADDRSTRLEN + 1];
	const char	*p, *colon;
	size_t		 len;

	memset(srv, 0, sizeof *srv);
	srv->family = AF_UNSPEC;
	srv->port = 53;
	if (spec == NULL || *spec == '\0')
		return -1;
	if (strcmp(spec, "system") == 0) {
		snprintf(srv->label, sizeof srv->label, "system");
		return 0;
	}
	if (spec[0] == '[') {
		if ((p = strchr(spec, ']')) == NULL)
			return -1;
		len = (size_t)(p - spec - 1);
		if (len == 0 || len >= sizeof host)
			return -1;
		memcpy(host, spec + 1, len);
		host[len] = '\0';
		if (p[1] == ':') {
			if (parse_port(p + 2, &srv->port) != 0)
				return -1;
		} else if (p[1] != '\0')
			return -1;
		if (inet_pton(AF_INET6, host, srv->addr) != 1)
			return -1;
		srv->family = AF_INET6;
	} else if ((colon = strchr(spec, ':')) != NULL &&
	    strchr(colon + 1, ':') != NULL) {
		/* Two colons or more: a bare IPv6 address. */
		if (inet_pton(AF_INET6, spec, srv->addr) != 1)
			return -1;
		srv->family = AF_INET6;
	} else {
		len = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
		if (len == 0 || len >= sizeof host)
			return -1;
		memcpy(host, spec, len);
		host[len] = '\0';
		if (colon != NULL && parse_port(colon + 1, &srv->port) != 0)
			return -1;
		if (inet_pton(AF_INET, host, srv->addr) != 1)
			return -1;
		srv->family = AF_INET;
	}
	inet_ntop(srv->family, srv->addr, host, sizeof host);
	if (srv->family == AF_INET6)
		snprintf(srv->label, sizeof srv->label, "[%s]:%d", host,
		    srv->port);
	else
		snprintf(srv->label, sizeof srv->label, "%s:%d", host,
		    srv->port);
	return 0;
}

struct dns_resolver *
dns_resolver_new(struct event_base *base, const char *spec, long timeout_ms)
{
	struct dns_resolver		*r;
	struct dns_server		 srv;
	struct ares_options		 opts;
	struct ares_addr_port_node	 node;
	int				 mask, rc;

	if (dns_parse_spec(spec, &srv) != 0) {
		log_error("bad resolver '%s': want 'system', ADDR, ADDR:PORT "
		    "or [IPV6]:PORT", spec != NULL ? spec : "");
		return NULL;
	}
	r = xcalloc(1, sizeof *r);
	r->base = base;
	snprintf(r->name, sizeof r->name, "%s", srv.label);

	/*
	 * Two tries: the first after a third of the timeout, the second
	 * (c-ares doubles it) after the remaining two thirds.  A SERVFAIL or
	 * REFUSED reply is reported as it is (NOCHECKRESP), not retried.
	 */
	memset(&opts, 0, sizeof opts);
	opts.flags = ARES_FLAG_NOCHECKRESP;
	opts.timeout = (int)(timeout_ms / 3 > 50 ? timeout_ms / 3 : 50);
	opts.tries = 2;
	opts.sock_state_cb = dns_sock_state_cb;
	opts.sock_state_cb_data = r;
	opts.socket_receive_buffer_size = 1024 * 1024;
	mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
	    ARES_OPT_SOCK_STATE_CB | ARES_OPT_SOCK_RCVBUF;
	if ((rc = ares_init_options(&r->channel, &opts, mask)) != ARES_SUCCESS) {
		log_error("resolver %s: %s", r->name, ares_strerror(rc));
		free(r);
		return NULL;
	}
	if (srv.family != AF_UNSPEC) {
		memset(&node, 0, sizeof node);
		node.family = srv.family;
		if (srv.family == AF_INET)
			memcpy(&node.addr.addr4, srv.addr, 4);
		else
			memcpy(&node.addr.addr6, srv.addr, 16);
		node.udp_port = node.tcp_port = srv.port;
		if ((rc = ares_set_servers_ports(r->channel, &node)) !=
		    ARES_SUCCESS) {
			log_error("resolver %s: %s", r->name, ares_strerror(rc));
			ares_destroy(r->channel);
			free(r);
			return NULL;
		}
	}
	r->timer = evtimer_new(base, dns_timer_cb, r);
	return r;
}

void
dns_resolver_free(struct dns_resolver *r)
{
	struct dns_sock	*s;
	struct dns_q	*q;

	if (r == NULL)
		return;
	/* Queries never sent are called back as destroyed, like sent ones. */
	while ((q = r->wait_head) != NULL) {
		r->wait_head = q->next;
		r->pending--;
		if (!q->cancelled)
			q->cb(ARES_EDESTRUCTION, NULL, 0, 0, q->arg);
		free(q->name);
		free(q);
	}
	r->wait_tail = NULL;
	/* Calls back sent queries (ARES_EDESTRUCTION), closes sockets. */
	ares_destroy(r->channel);
	while ((s = r->socks) != NULL) {
		r->socks = s->next;
		dns_sock_free(s);
	}
	event_free(r->timer);
	free(r);
}

const char *
dns_resolver_name(const struct dns_resolver *r)
{
	return r->name;
}

size_t
dns_resolver_pending(const struct dns_resolver *r)
{
	return r->pending;
}

static void	dns_pump(struct dns_resolver *);

static void
dns_q_done(struct dns_q *q, int status, const unsigned char *abuf, int alen)
{
	struct dns_resolver	*r = q->r;

	r->pending--;
	r->active--;
	if (!q->cancelled)
		q->cb(status, abuf, alen, util_mono_ms() - q->t0, q->arg);
	free(q->name);
	free(q);
	dns_pump(r);
}

static void
dns_deferred_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_q	*q = arg;

	(void)fd;
	(void)what;
	dns_q_done(q, q->status, NULL, 0);
}

static void
dns_query_cb(void *arg, int status, int timeouts, unsigned char *abuf,
    int alen)
{
	struct dns_q		*q = arg;
	struct timeval		 tv = { 0, 0 };

	(void)timeouts;
	if (q->sending) {
		/* Failed inside ares_query(): call back from the loop. */
		q->status = status;
		if (event_base_once(q->r->base, -1, EV_TIMEOUT,
		    dns_deferred_cb, q, &tv) != 0) {
			log_error("dns: cannot defer a callback");
			abort();
		}
		return;
	}
	dns_q_done(q, status, abuf, alen);
}

/*
 * Send waiting queries while fewer than DNS_MAX_ACTIVE are out: a burst
 * of thousands would overflow socket buffers (ours or the server's) and
 * turn into timeouts that say nothing about the network.
 */
static void
dns_pump(struct dns_resolver *r)
{
	struct dns_q	*q;
	int		 sent = 0;

	while (r->active < DNS_MAX_ACTIVE && (q = r->wait_head) != NULL) {
		if ((r->wait_head = q->next) == NULL)
			r->wait_tail = NULL;
		q->next = NULL;
		r->active++;
		q->t0 = util_mono_ms();
		q->sending = 1;
		ares_query(r->channel, q->name, 1 /* IN */, q->qtype,
		    dns_query_cb, q);
		q->sending = 0;
		sent = 1;
	}
	if (sent)
		dns_rearm(r);
}

struct dns_q *
dns_query(struct dns_resolver *r, const char *name, int qtype, dns_cb cb,
    void *arg)
{
	struct dns_q	*q;

	q = xcalloc(1, sizeof *q);
	q->r = r;
	q->name = xstrdup(name);
	q->qtype = qtype;
	q->cb = cb;
	q->arg = arg;
	r->pending++;
	if (r->wait_tail != NULL)
		r->wait_tail->next = q;
	else
		r->wait_head = q;
	r->wait_tail = q;
	dns_pump(r);
	return q;
}

void
dns_cancel(struct dns_q *q)
{
	struct dns_resolver	*r;
	struct dns_q		*p, **pp;

	if (q == NULL || q->cancelled)
		return;
	r = q->r;
	/* Still waiting in line: unlink and free it now. */
	for (pp = &r->wait_head, p = NULL; *pp != NULL; p = *pp,
	    pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			if (r->wait_tail == q)
				r->wait_tail = p;
			r->pending--;
			free(q->name);
			free(q);
			return;
		}
	}
	/* Sent: c-ares still owns it; freed when it answers or times out. */
	q->cancelled = 1;
}

const char *
dns_rcode_name(int rcode, char *buf, size_t len)
{
	static const char *names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		"REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
		"NOTZONE"
	};

	if (rcode >= 0 && (size_t)rcode < sizeof names / sizeof names[0])
		return names[rcode];
	snprintf(buf, len, "RCODE%d", rcode);
	return buf;
}

static const char *
dns_status_failure(int status)
{
	switch (status) {
	case ARES_ETIMEOUT:
		return "generic_timeout_error";
	case ARES_ECONNREFUSED:
		return "connection_refused";
	case ARES_ENOTFOUND:
		return "dns_nxdomain_error";
	case ARES_ESERVFAIL:
		return "dns_servfail_error";
	case ARES_EREFUSED:
		return "dns_refused_error";
	case ARES_ENODATA:
		return "dns_no_answer";
	case ARES_EDESTRUCTION:
	case ARES_ECANCELLED:
		return "interrupted";
	case ARES_EBADNAME:
		return "dns_bad_name";
	case ARES_EFORMERR:
	case ARES_EBADRESP:
	case ARES_ENOTIMP:
		return "dns_server_misbehaving";
	default:
		return NULL;
	}
}

static void
add_answer(struct rec_dns *d, enum rec_answer_type type, const char *value,
    uint32_t ttl)
{
	struct rec_answer	*a;

	a = rec_dns_add_answer(d);
	a->type = type;
	a->value = xstrdup(value);
	a->ttl = ttl;
}

/*
 * Octets of a name from ares_expand_name() on the wire, where RFC 1035
 * allows 255 at most: every character or escape ("\.", "\DDD") is one
 * octet, a dot stands for the next label's length octet, plus the first
 * length octet and the root label.
 */
static size_t
dns_name_wire_len(const char *s)
{
	size_t	n = 0;

	if (*s == '\0')
		return 1;
	while (*s != '\0') {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '9' &&
		    s[2] != '\0' && s[3] != '\0')
			s += 4;
		else if (s[0] == '\\' && s[1] != '\0')
			s += 2;
		else
			s++;
		n++;
	}
	return n + 2;
}

/* Walk the answer section for CNAME records; -1 on a malformed reply. */
static int
dns_cnames(struct rec_dns *d, const unsigned char *abuf, int alen)
{
	const unsigned char	*p, *end = abuf + alen;
	unsigned int		 qd, an, i, type, klass, rdlen;
	uint32_t		 ttl;
	char			*name;
	long			 enclen;
	size_t			 n = 0;

	qd = (abuf[4] << 8) | abuf[5];
	an = (abuf[6] << 8) | abuf[7];
	p = abuf + 12;
	for (i = 0; i < qd; i++) {
		if (ares_expand_name(p, abuf, alen, &name, &enclen) !=
		    ARES_SUCCESS)
			return -1;
		ares_free_string(name);
		if (enclen <= 0 || end - p < enclen + 4)
			return -1;
		p += enclen + 4;
	}
	for (i = 0; i < an; i++) {
		if (p >= end || ares_expand_name(p, abuf, alen, &name,
		    &enclen) != ARES_SUCCESS)
			return -1;
		ares_free_string(name);
		if (enclen <= 0 || end - p < enclen + 10)
			return -1;
		p += enclen;
		type = (p[0] << 8) | p[1];
		klass = (p[2] << 8) | p[3];
		ttl = ((uint32_t)p[4] << 24) | ((uint32_t)p[5] << 16) |
		    ((uint32_t)p[6] << 8) | p[7];
		rdlen = (p[8] << 8) | p[9];
		p += 10;
		if ((size_t)(end - p) < rdlen)
			return -1;
		if (type == 5 && klass == 1 && n < DNS_MAX_CNAMES) {
			if (ares_expand_name(p, abuf, alen, &name, &enclen) !=
			    ARES_SUCCESS)
				return -1;
			if (dns_name_wire_len(name) > 255) {
				ares_free_string(name);
				return -1;
			}
			add_answer(d, ANSWER_CNAME, name, ttl);
			ares_free_string(name);
			n++;
		}
		p += rdlen;
	}
	return 0;
}

void
dns_fill(struct rec_dns *d, int status, const unsigned char *abuf, int alen)
{
	struct ares_addrttl	 a4[DNS_MAX_ADDRS];
	struct ares_addr6ttl	 a6[DNS_MAX_ADDRS];
	char			 ip[INET6_ADDRSTRLEN], rbuf[16];
	const char		*failure = NULL;
	int			 rcode, n, i, rc;

	if (abuf != NULL && alen < 12) {
		d->failure = xstrdup("dns_server_misbehaving");
		return;
	}
	if (abuf == NULL) {
		if ((failure = dns_status_failure(status)) != NULL)
			d->failure = xstrdup(failure);
		else
			xasprintf(&d->failure, "unknown_failure: %s",
			    ares_strerror(status));
		return;
	}

	rcode = abuf[3] & 0x0f;
	d->rcode = xstrdup(dns_rcode_name(rcode, rbuf, sizeof rbuf));
	if (dns_cnames(d, abuf, alen) != 0) {
		d->failure = xstrdup("dns_server_misbehaving");
		return;
	}
	switch (rcode) {
	case 0:
		break;
	case 2:
		d->failure = xstrdup("dns_servfail_error");
		return;
	case 3:
		d->failure = xstrdup("dns_nxdomain_error");
		return;
	case 5:
		d->failure = xstrdup("dns_refused_error");
		return;
	default:
		d->failure = xstrdup("dns_server_misbehaving");
		return;
	}

	n = DNS_MAX_ADDRS;
	if (d->query_type == DNS_TYPE_AAAA)
		rc = ares_parse_aaaa_reply(abuf, alen, NULL, a6, &n);
	else
		rc = ares_parse_a_reply(abuf, alen, NULL, a4, &n);
	if (rc == ARES_ENODATA || (rc == ARES_SUCCESS && n == 0)) {
		d->failure = xstrdup("dns_no_answer");
		return;
	}
	if (rc != ARES_SUCCESS) {
		d->failure = xstrdup("dns_server_misbehaving");
		return;
	}
	for (i = 0; i < n && i < DNS_MAX_ADDRS; i++) {
		if (d->query_type == DNS_TYPE_AAAA) {
			inet_ntop(AF_INET6, &a6[i].ip6addr, ip, sizeof ip);
			add_answer(d, ANSWER_AAAA, ip,
			    a6[i].ttl < 0 ? 0 : (uint32_t)a6[i].ttl);
		} else {
			inet_ntop(AF_INET, &a4[i].ipaddr, ip, sizeof ip);
			add_answer(d, ANSWER_A, ip,
			    a4[i].ttl < 0 ? 0 : (uint32_t)a4[i].ttl);
		}
	}
}
