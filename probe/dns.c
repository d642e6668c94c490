/*
 * DNS for measurements.
 *
 * Plain resolvers: c-ares on libevent.  c-ares tells us through
 * ARES_OPT_SOCK_STATE_CB which sockets it wants watched; each gets one
 * persistent event that calls ares_process_fd().  One timer, re-armed from
 * ares_timeout() after every call into c-ares, drives retransmissions and
 * timeouts.  The sockets themselves are nightjar's own
 * (ares_set_socket_functions): that is how a record learns which server
 * was really asked and by which transport, why a socket failed (errno,
 * which c-ares reduces to ECONNREFUSED), and what else arrived on a UDP
 * socket after c-ares took the first reply to a query: a censor that
 * races a forged reply ahead of the real one is seen by the second reply
 * to the same question (the query "lingers" for linger_ms, then calls
 * back with every reply).
 *
 * Encrypted resolvers (tls://, https://): probe/dns-dot.c and
 * probe/dns-doh.c carry the messages that ares_create_query() builds.  A
 * HOST given by name is looked up once through the system's resolver
 * (c-ares on the same channel, /etc/hosts first).
 *
 * A query: dns_query -> wait queue -> dns_pump sends (at most
 * DNS_MAX_ACTIVE out) -> the transport's callback -> dns_q_deliver (or,
 * for a UDP reply, dns_linger_start -> timer -> dns_q_deliver).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ares.h>
#include <event2/event.h>

#include "dns-enc.h"
#include "dns.h"
#include "log.h"
#include "tls.h"
#include "url.h"
#include "util.h"
#include "xmalloc.h"

struct dns_sock {
	struct dns_resolver	*r;
	ares_socket_t		 fd;
	int			 type;		/* SOCK_DGRAM, SOCK_STREAM */
	char			 peer[64];	/* "ADDR:PORT" once connected */
	struct event		*ev;
	short			 what;
	struct dns_sock		*next;
};

enum dns_q_state {
	Q_WAIT = 0,	/* in the wait queue */
	Q_SENT,		/* a transport holds it and will call back */
	Q_LINGER,	/* first UDP reply in, listening for more */
	Q_DEFER		/* to be delivered from the loop */
};

struct dns_q {
	struct dns_resolver	*r;
	struct dns_q		*next;		/* wait queue or linger bucket */
	struct dns_q		**lprev;	/* lingering: link to q */
	enum dns_q_state	 state;
	int			 cancelled;
	char			*name;
	int			 qtype;
	dns_cb			 cb;
	void			*arg;
	double			 t0;		/* when sent */
	double			 t_ms;		/* until the first reply */
	int			 sending;	/* inside ares_query() */
	struct event		*timer;		/* linger or deferral */
	int			 first_due;	/* lingering: first call to make */
	int			 first_done;	/* lingering: first call made */

	int			 status;
	char			*failure;
	struct dns_more		*replies;	/* the first one first */
	size_t			 n_replies;
	char			 server[64];
	enum dns_transport	 transport;
	ares_socket_t		 fd;		/* lingering: the socket */
};

enum dns_boot { BOOT_NONE = 0, BOOT_RUNNING, BOOT_DONE };

#define DNS_LINGER_BUCKETS	1024	/* by the low bits of the DNS id */

struct dns_resolver {
	struct event_base	*base;
	enum dns_kind		 kind;
	ares_channel		 channel;
	struct event		*timer;
	struct dns_sock		*socks;
	char			*name;
	long			 timeout_ms;
	long			 linger_ms;
	size_t			 pending;	/* not called back yet */
	size_t			 active;	/* held by a transport */
	struct dns_q		*wait_head;	/* not sent yet */
	struct dns_q		*wait_tail;
	/*
	 * Lingering queries by the DNS id of their first reply: a datagram
	 * finds its query, and a query leaves, without a walk over all of
	 * them (a campaign has thousands lingering at once).
	 */
	struct dns_q		*linger[DNS_LINGER_BUCKETS];
	size_t			 n_lingering;
	int			 freeing;

	/* What the sockets saw during the current call into c-ares. */
	int			 sock_errno;
	char			 sock_err_peer[64];
	char			 rx_peer[64];
	int			 rx_type;
	ares_socket_t		 rx_fd;
	char			 first_server[64]; /* of the server list */

	/* DoT, DoH */
	struct tls_ctx		*tls;
	char			*host;
	int			 port;
	char			*path;
	enum dns_boot		 boot;
	char			 enc_peer[64];
	struct dns_dot		*dot;
	struct dns_doh		*doh;
};

static void	dns_rearm(struct dns_resolver *);
static void	dns_pump(struct dns_resolver *);

const char *
dns_transport_name(enum dns_transport t)
{
	switch (t) {
	case DNS_T_TCP:
		return "tcp";
	case DNS_T_DOH:
		return "doh";
	case DNS_T_DOT:
		return "dot";
	default:
		return "udp";
	}
}

/* "ADDR:PORT" or "[ADDR]:PORT" of a socket address ("" if none). */
static void
dns_sa_label(const struct sockaddr *sa, char *out, size_t len)
{
	char	 ip[INET6_ADDRSTRLEN];

	out[0] = '\0';
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip);
		snprintf(out, len, "%s:%u", ip, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof ip);
		snprintf(out, len, "[%s]:%u", ip, ntohs(sin6->sin6_port));
	}
}

/* --- c-ares on the loop ----------------------------------------------- */

/* Before each call into c-ares: forget what the sockets saw. */
static void
dns_sock_reset(struct dns_resolver *r)
{
	r->sock_errno = 0;
	r->rx_fd = ARES_SOCKET_BAD;
}

static void
dns_sock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_sock		*s = arg;
	struct dns_resolver	*r = s->r;

	/* s may be freed inside. */
	dns_sock_reset(r);
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
	dns_sock_reset(r);
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

static struct dns_sock *
dns_sock_find(struct dns_resolver *r, ares_socket_t fd, struct dns_sock ***spp)
{
	struct dns_sock	*s, **sp;

	for (sp = &r->socks; (s = *sp) != NULL; sp = &s->next) {
		if (s->fd == fd)
			break;
	}
	if (spp != NULL)
		*spp = sp;
	return s;
}

static void
dns_sock_state_cb(void *arg, ares_socket_t fd, int readable, int writable)
{
	struct dns_resolver	*r = arg;
	struct dns_sock		*s;
	short			 what;

	if ((s = dns_sock_find(r, fd, NULL)) == NULL)
		return;		/* not one of ours: cannot happen */
	if (!readable && !writable) {
		if (s->ev != NULL)
			event_del(s->ev);
		s->what = 0;
		return;
	}
	what = EV_PERSIST | (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0);
	if (s->ev == NULL) {
		s->ev = event_new(r->base, fd, what, dns_sock_cb, s);
		if (s->ev == NULL) {
			log_error("dns: cannot watch a socket");
			abort();
		}
	} else if (s->what != what) {
		event_del(s->ev);
		event_assign(s->ev, r->base, fd, what, dns_sock_cb, s);
	} else
		return;
	s->what = what;
	event_add(s->ev, NULL);
}

static void
dns_sock_errno(struct dns_resolver *r, struct dns_sock *s, int err)
{
	if (err == EAGAIN || err == EWOULDBLOCK || err == EINPROGRESS ||
	    err == EINTR)
		return;
	r->sock_errno = err;
	snprintf(r->sock_err_peer, sizeof r->sock_err_peer, "%s",
	    s != NULL ? s->peer : "");
}

static ares_socket_t
dns_asocket(int domain, int type, int protocol, void *arg)
{
	struct dns_resolver	*r = arg;
	struct dns_sock		*s;
	int			 fd, one = 1, rcvbuf = 1024 * 1024;

	fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
	if (fd == -1) {
		dns_sock_errno(r, NULL, errno);
		return ARES_SOCKET_BAD;
	}
	/* c-ares sets no option on sockets it did not make. */
	if (type == SOCK_DGRAM)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof rcvbuf);
	else
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof one);
	s = xcalloc(1, sizeof *s);
	s->r = r;
	s->fd = fd;
	s->type = type;
	s->next = r->socks;
	r->socks = s;
	return fd;
}

static int
dns_aclose(ares_socket_t fd, void *arg)
{
	struct dns_resolver	*r = arg;
	struct dns_sock		*s, **sp;

	if ((s = dns_sock_find(r, fd, &sp)) != NULL) {
		*sp = s->next;
		if (s->ev != NULL)
			event_free(s->ev);
		free(s);
	}
	return close(fd);
}

static int
dns_aconnect(ares_socket_t fd, const struct sockaddr *sa, ares_socklen_t len,
    void *arg)
{
	struct dns_resolver	*r = arg;
	struct dns_sock		*s = dns_sock_find(r, fd, NULL);
	int			 rc, err;

	if (s != NULL)
		dns_sa_label(sa, s->peer, sizeof s->peer);
	rc = connect(fd, sa, len);
	if (rc == -1) {
		err = errno;
		dns_sock_errno(r, s, err);
		errno = err;
	}
	return rc;
}

static void	dns_linger_feed(struct dns_resolver *, ares_socket_t,
		    const unsigned char *, int);

static ares_ssize_t
dns_arecvfrom(ares_socket_t fd, void *buf, size_t len, int flags,
    struct sockaddr *from, ares_socklen_t *fromlen, void *arg)
{
	struct dns_resolver	*r = arg;
	struct dns_sock		*s = dns_sock_find(r, fd, NULL);
	ssize_t			 n;
	int			 err;

	if (from != NULL)
		n = recvfrom(fd, buf, len, flags, from, fromlen);
	else
		n = recv(fd, buf, len, flags);
	err = errno;
	if (n < 0) {
		dns_sock_errno(r, s, err);
	} else if (s != NULL) {
		r->rx_fd = fd;
		r->rx_type = s->type;
		memcpy(r->rx_peer, s->peer, sizeof r->rx_peer);
		if (s->type == SOCK_DGRAM && r->n_lingering > 0)
			dns_linger_feed(r, fd, buf, (int)n);
	}
	errno = err;
	return n;
}

static ares_ssize_t
dns_asendv(ares_socket_t fd, const struct iovec *iov, int iovcnt, void *arg)
{
	struct dns_resolver	*r = arg;
	struct msghdr		 msg;
	ssize_t			 n;
	int			 err;

	memset(&msg, 0, sizeof msg);
	msg.msg_iov = (struct iovec *)(uintptr_t)iov;
	msg.msg_iovlen = (size_t)iovcnt;
	n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	if (n < 0) {
		err = errno;
		dns_sock_errno(r, dns_sock_find(r, fd, NULL), err);
		errno = err;
	}
	return n;
}

static const struct ares_socket_functions dns_sockfuncs = {
	dns_asocket, dns_aclose, dns_aconnect, dns_arecvfrom, dns_asendv
};

/* --- resolver specs ---------------------------------------------------- */

/* A host name as DNS allows it (letters, digits, '-', '.'), 253 at most. */
static int
valid_hostname(const char *h)
{
	size_t	 n = strlen(h), label = 0;
	const char *p;

	if (n == 0 || n > 253 || h[0] == '.' || h[0] == '-')
		return 0;
	for (p = h; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

/* tls://HOST[:PORT][/] and https://HOST[:PORT][/PATH]. */
static int
dns_parse_url(const char *spec, struct dns_server *srv)
{
	struct url	 u;
	const char	*rest;
	size_t		 len;

	if (strlen(spec) >= sizeof srv->label || strchr(spec, '#') != NULL ||
	    url_parse(spec, strlen(spec), &u) != NULL)
		return -1;
	if (url_scheme_is(&u, "tls")) {
		srv->kind = DNS_DOT;
		srv->port = 853;
	} else if (url_scheme_is(&u, "https")) {
		srv->kind = DNS_DOH;
		srv->port = 443;
	} else
		return -1;
	if (url_host(&u, srv->host, sizeof srv->host) != 0)
		return -1;
	if (u.port >= 0)
		srv->port = u.port;
	if (inet_pton(AF_INET6, srv->host, srv->addr) == 1)
		srv->family = AF_INET6;
	else if (u.bracketed)
		return -1;
	else if (inet_pton(AF_INET, srv->host, srv->addr) == 1)
		srv->family = AF_INET;
	else if (!valid_hostname(srv->host))
		return -1;
	rest = u.path != NULL ? u.path : "";
	len = u.path != NULL ? u.pathlen : 0;
	if (srv->kind == DNS_DOT) {
		if (len > 1 || (len == 1 && *rest != '/'))
			return -1;
	} else {
		if (len == 0) {
			rest = "/dns-query";	/* the usual path */
			len = strlen(rest);
		}
		if (*rest != '/' || len >= sizeof srv->path ||
		    strpbrk(rest, " \t\r\n") != NULL)
			return -1;
		memcpy(srv->path, rest, len);
		srv->path[len] = '\0';
	}
	snprintf(srv->label, sizeof srv->label, "%s", spec);
	return 0;
}

int
dns_parse_spec(const char *spec, struct dns_server *srv)
{
	char		 host[INET6_ADDRSTRLEN + 1];
	struct url	 u;

	memset(srv, 0, sizeof *srv);
	srv->kind = DNS_UDP;
	srv->family = AF_UNSPEC;
	srv->port = 53;
	if (spec == NULL || *spec == '\0')
		return -1;
	if (strcmp(spec, "system") == 0) {
		snprintf(srv->label, sizeof srv->label, "system");
		return 0;
	}
	if (strncasecmp(spec, "tls://", 6) == 0 ||
	    strncasecmp(spec, "https://", 8) == 0)
		return dns_parse_url(spec, srv);
	/* ADDR[:PORT], [V6][:PORT] or a bare IPv6 address. */
	if (url_hostport(spec, strlen(spec), 0, &u) != NULL ||
	    url_host(&u, host, sizeof host) != 0)
		return -1;
	if (u.port >= 0)
		srv->port = u.port;
	if (inet_pton(AF_INET6, host, srv->addr) == 1)
		srv->family = AF_INET6;
	else if (!u.bracketed && inet_pton(AF_INET, host, srv->addr) == 1)
		srv->family = AF_INET;
	else
		return -1;
	inet_ntop(srv->family, srv->addr, host, sizeof host);
	if (srv->family == AF_INET6)
		snprintf(srv->label, sizeof srv->label, "[%s]:%d", host,
		    srv->port);
	else
		snprintf(srv->label, sizeof srv->label, "%s:%d", host,
		    srv->port);
	return 0;
}

/* --- resolvers --------------------------------------------------------- */

/* The first server of the channel's list: the one c-ares asks first. */
static void
dns_first_server(struct dns_resolver *r)
{
	struct ares_addr_port_node	*list = NULL;
	struct sockaddr_storage		 ss;
	struct sockaddr_in		*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6		*sin6 = (struct sockaddr_in6 *)&ss;

	r->first_server[0] = '\0';
	if (ares_get_servers_ports(r->channel, &list) != ARES_SUCCESS ||
	    list == NULL)
		return;
	memset(&ss, 0, sizeof ss);
	if (list->family == AF_INET) {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, &list->addr.addr4, 4);
		sin->sin_port = htons((uint16_t)(list->udp_port != 0 ?
		    list->udp_port : 53));
	} else {
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, &list->addr.addr6, 16);
		sin6->sin6_port = htons((uint16_t)(list->udp_port != 0 ?
		    list->udp_port : 53));
	}
	dns_sa_label((struct sockaddr *)&ss, r->first_server,
	    sizeof r->first_server);
	ares_free_data(list);
}

static void
dns_enc_start(struct dns_resolver *r, const struct sockaddr *sa,
    socklen_t salen)
{
	dns_sa_label(sa, r->enc_peer, sizeof r->enc_peer);
	if (r->kind == DNS_DOT)
		r->dot = dns_dot_new(r->base, r->tls, r->host, sa, salen,
		    r->timeout_ms);
	else
		r->doh = dns_doh_new(r->base, r->tls, r->host, r->port,
		    r->path, sa, salen, r->timeout_ms);
	r->boot = BOOT_DONE;
}

struct dns_resolver *
dns_resolver_new(struct event_base *base, const char *spec,
    const struct dns_opts *o)
{
	struct dns_resolver		*r;
	struct dns_server		 srv;
	struct ares_options		 opts;
	struct ares_addr_port_node	 node;
	struct sockaddr_storage		 ss;
	socklen_t			 sslen;
	int				 mask, rc;

	if (dns_parse_spec(spec, &srv) != 0) {
		log_error("bad resolver '%s': want 'system', ADDR, ADDR:PORT, "
		    "[IPV6]:PORT, tls://HOST[:PORT] or "
		    "https://HOST[:PORT]/PATH", spec != NULL ? spec : "");
		return NULL;
	}
	if (srv.kind != DNS_UDP && o->tls == NULL) {
		log_error("resolver %s: no reference root store", spec);
		return NULL;
	}
	r = xcalloc(1, sizeof *r);
	r->base = base;
	r->kind = srv.kind;
	r->name = xstrdup(srv.label);
	r->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 5000;
	r->linger_ms = o->linger_ms > 0 ? o->linger_ms : 0;
	r->rx_fd = ARES_SOCKET_BAD;

	/*
	 * Two tries: the first after a third of the timeout, the second
	 * (c-ares doubles it) after the remaining two thirds.  A SERVFAIL or
	 * REFUSED reply is reported as it is (NOCHECKRESP), not retried.
	 * Sockets stay open between queries (STAYOPEN): replies that come
	 * after the first to a query are read from them while it lingers.
	 */
	memset(&opts, 0, sizeof opts);
	opts.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_STAYOPEN;
	opts.timeout = (int)(r->timeout_ms / 3 > 50 ? r->timeout_ms / 3 : 50);
	opts.tries = 2;
	opts.sock_state_cb = dns_sock_state_cb;
	opts.sock_state_cb_data = r;
	mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
	    ARES_OPT_SOCK_STATE_CB;
	if ((rc = ares_init_options(&r->channel, &opts, mask)) != ARES_SUCCESS) {
		log_error("resolver %s: %s", r->name, ares_strerror(rc));
		free(r->name);
		free(r);
		return NULL;
	}
	ares_set_socket_functions(r->channel, &dns_sockfuncs, r);
	r->timer = evtimer_new(base, dns_timer_cb, r);
	if (srv.kind == DNS_UDP && srv.family != AF_UNSPEC) {
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
			dns_resolver_free(r);
			return NULL;
		}
	}
	dns_first_server(r);
	if (srv.kind != DNS_UDP) {
		r->tls = o->tls;
		r->host = xstrdup(srv.host);
		r->port = srv.port;
		r->path = xstrdup(srv.path);
		if (srv.family != AF_UNSPEC) {
			memset(&ss, 0, sizeof ss);
			if (srv.family == AF_INET) {
				struct sockaddr_in *sin = (void *)&ss;

				sin->sin_family = AF_INET;
				memcpy(&sin->sin_addr, srv.addr, 4);
				sin->sin_port = htons((uint16_t)srv.port);
				sslen = sizeof *sin;
			} else {
				struct sockaddr_in6 *sin6 = (void *)&ss;

				sin6->sin6_family = AF_INET6;
				memcpy(&sin6->sin6_addr, srv.addr, 16);
				sin6->sin6_port = htons((uint16_t)srv.port);
				sslen = sizeof *sin6;
			}
			dns_enc_start(r, (struct sockaddr *)&ss, sslen);
		}
	}
	return r;
}

static void	dns_q_deliver(struct dns_q *);

static size_t
dns_linger_bucket(const unsigned char *msg)
{
	return (((size_t)msg[0] << 8) | msg[1]) % DNS_LINGER_BUCKETS;
}

static void
dns_linger_unlink(struct dns_q *q)
{
	if (q->lprev == NULL)
		return;
	if ((*q->lprev = q->next) != NULL)
		q->next->lprev = q->lprev;
	q->next = NULL;
	q->lprev = NULL;
	q->r->n_lingering--;
}

void
dns_resolver_free(struct dns_resolver *r)
{
	struct dns_sock	*s;
	struct dns_q	*q;
	size_t		 i;

	if (r == NULL)
		return;
	r->freeing = 1;
	/* Queries never sent are called back as destroyed, like sent ones. */
	while ((q = r->wait_head) != NULL) {
		r->wait_head = q->next;
		q->next = NULL;
		q->status = ARES_EDESTRUCTION;
		dns_q_deliver(q);
	}
	r->wait_tail = NULL;
	/* Lingering ones have their answer: it is given now. */
	for (i = 0; i < DNS_LINGER_BUCKETS; i++) {
		while ((q = r->linger[i]) != NULL) {
			dns_linger_unlink(q);
			dns_q_deliver(q);
		}
	}
	/* The others are called back ("interrupted"), sockets closed. */
	dns_dot_free(r->dot);
	dns_doh_free(r->doh);
	ares_destroy(r->channel);
	while ((s = r->socks) != NULL) {
		r->socks = s->next;
		if (s->ev != NULL)
			event_free(s->ev);
		close(s->fd);
		free(s);
	}
	event_free(r->timer);
	free(r->name);
	free(r->host);
	free(r->path);
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

/* --- queries ----------------------------------------------------------- */

static void
dns_q_free(struct dns_q *q)
{
	size_t	i;

	for (i = 0; i < q->n_replies; i++)
		free(q->replies[i].buf);
	free(q->replies);
	if (q->timer != NULL)
		event_free(q->timer);
	free(q->failure);
	free(q->name);
	free(q);
}

static void
dns_q_keep_reply(struct dns_q *q, const unsigned char *abuf, int alen,
    double t_ms)
{
	struct dns_more	*m;

	if (q->n_replies >= DNS_MAX_REPLIES)
		return;
	/* Room for one more at a time: most queries get one reply. */
	if ((q->n_replies & (q->n_replies - 1)) == 0)
		q->replies = xreallocarray(q->replies, q->n_replies > 0 ?
		    2 * q->n_replies : 1, sizeof *q->replies);
	m = &q->replies[q->n_replies++];
	m->len = alen;
	m->buf = xmalloc(alen > 0 ? (size_t)alen : 1);
	memcpy(m->buf, abuf, (size_t)alen);
	m->t_ms = t_ms;
}

/*
 * Call back unless cancelled.  more: the first reply of a lingering query
 * (q lives on, a last call follows); otherwise the last call, and q is
 * freed (it is in no list).
 */
static void
dns_q_call(struct dns_q *q, int more)
{
	struct dns_resolver	*r = q->r;
	struct dns_reply	 rep;

	if (!q->cancelled) {
		if (!more)
			r->pending--;
		memset(&rep, 0, sizeof rep);
		rep.more = more;
		rep.status = q->status;
		rep.failure = q->failure;
		if (q->n_replies > 0) {
			rep.abuf = q->replies[0].buf;
			rep.alen = q->replies[0].len;
		}
		if (q->n_replies > 1 && !more) {
			rep.replies = q->replies;
			rep.n_replies = q->n_replies;
		}
		rep.server = q->server[0] != '\0' ? q->server : NULL;
		rep.transport = q->transport;
		rep.t0 = q->t0;
		rep.t_ms = q->t_ms;
		q->cb(&rep, q->arg);
	}
	if (!more)
		dns_q_free(q);
}

static void
dns_q_deliver(struct dns_q *q)
{
	dns_q_call(q, 0);
}

static void
dns_q_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_q		*q = arg;
	struct dns_resolver	*r = q->r;

	(void)fd;
	(void)what;
	if (q->state == Q_LINGER && q->first_due) {
		/* The answer now; the lingering goes on for later replies. */
		struct timeval	tv;
		double		left = (double)r->linger_ms -
				    (util_mono_ms() - q->t0 - q->t_ms);

		q->first_due = 0;
		q->first_done = 1;
		left = left < 1 ? 1 : left;
		tv.tv_sec = (long)left / 1000;
		tv.tv_usec = ((long)left % 1000) * 1000;
		evtimer_add(q->timer, &tv);
		dns_q_call(q, 1);
		return;
	}
	if (q->state == Q_LINGER)
		dns_linger_unlink(q);
	dns_q_deliver(q);
	dns_pump(r);
}

/* Deliver q from the loop (its transport is done with it). */
static void
dns_q_defer(struct dns_q *q)
{
	struct timeval	 tv = { 0, 0 };

	q->state = Q_DEFER;
	evtimer_add(q->timer, &tv);
}

/*
 * Question of a message: the name (heap, c-ares string) and type; 0 or
 * -1 when there is not exactly one well-formed question.
 */
static int
dns_question(const unsigned char *abuf, int alen, char **name, int *qtype)
{
	long	 enclen;

	*name = NULL;
	if (alen < 12 || abuf[4] != 0 || abuf[5] != 1)
		return -1;
	if (ares_expand_name(abuf + 12, abuf, alen, name, &enclen) !=
	    ARES_SUCCESS)
		return -1;
	if (enclen <= 0 || enclen > alen - 12 - 4) {
		ares_free_string(*name);
		*name = NULL;
		return -1;
	}
	*qtype = (abuf[12 + enclen] << 8) | abuf[12 + enclen + 1];
	return 0;
}

/* 1 when a reply's question is q's. */
static int
dns_q_matches(const struct dns_q *q, const unsigned char *abuf, int alen)
{
	char	*name;
	size_t	 n;
	int	 qtype, ok;

	if (dns_question(abuf, alen, &name, &qtype) != 0)
		return 0;
	n = strlen(q->name);
	if (n > 0 && q->name[n - 1] == '.')
		n--;
	ok = qtype == q->qtype && strlen(name) == n &&
	    strncasecmp(name, q->name, n) == 0;
	ares_free_string(name);
	return ok;
}

/* A datagram on fd: another reply to a lingering query? */
static void
dns_linger_feed(struct dns_resolver *r, ares_socket_t fd,
    const unsigned char *buf, int len)
{
	struct dns_q	*q;

	if (len < 12 || !(buf[2] & 0x80))
		return;
	for (q = r->linger[dns_linger_bucket(buf)]; q != NULL; q = q->next) {
		if (q->fd != fd || q->replies[0].buf[0] != buf[0] ||
		    q->replies[0].buf[1] != buf[1])
			continue;
		if (!dns_q_matches(q, buf, len))
			continue;
		dns_q_keep_reply(q, buf, len, util_mono_ms() - q->t0);
		return;
	}
}

/*
 * The first reply to a UDP query is in: listen linger_ms for more on its
 * socket.  The first reply is given at once (from the loop, with more
 * set), the later ones when the lingering ends.
 */
static void
dns_linger_start(struct dns_q *q)
{
	struct dns_resolver	*r = q->r;
	struct timeval		 tv = { 0, 0 };
	struct dns_q		**head;

	q->state = Q_LINGER;
	q->fd = r->rx_fd;
	head = &r->linger[dns_linger_bucket(q->replies[0].buf)];
	if ((q->next = *head) != NULL)
		q->next->lprev = &q->next;
	*head = q;
	q->lprev = head;
	r->n_lingering++;
	q->first_due = 1;
	evtimer_add(q->timer, &tv);
}

static void
dns_query_cb(void *arg, int status, int timeouts, unsigned char *abuf,
    int alen)
{
	struct dns_q		*q = arg;
	struct dns_resolver	*r = q->r;

	(void)timeouts;
	r->active--;
	q->t_ms = util_mono_ms() - q->t0;
	q->status = status;
	if (abuf != NULL) {
		/* A reply (with NODATA, NXDOMAIN... statuses too). */
		dns_q_keep_reply(q, abuf, alen, q->t_ms);
		if (r->rx_fd != ARES_SOCKET_BAD) {
			memcpy(q->server, r->rx_peer, sizeof q->server);
			q->transport = r->rx_type == SOCK_STREAM ? DNS_T_TCP :
			    DNS_T_UDP;
		}
		if (q->transport == DNS_T_UDP && r->linger_ms > 0 &&
		    !r->freeing && !q->cancelled && alen >= 2) {
			dns_linger_start(q);
			return;
		}
	} else {
		if (status == ARES_ECONNREFUSED && r->sock_errno != 0) {
			/* c-ares says "refused" for every socket error. */
			q->failure = tls_errno_failure(r->sock_errno);
			memcpy(q->server, r->sock_err_peer, sizeof q->server);
		}
		if (q->server[0] == '\0')
			memcpy(q->server, r->first_server, sizeof q->server);
	}
	if (r->freeing) {
		dns_q_deliver(q);
		return;
	}
	/* Always from the loop: q may have failed inside ares_query(). */
	dns_q_defer(q);
}

static void
dns_enc_reply_cb(void *arg, const char *failure, const unsigned char *abuf,
    int alen)
{
	struct dns_q		*q = arg;
	struct dns_resolver	*r = q->r;

	r->active--;
	q->t_ms = util_mono_ms() - q->t0;
	q->transport = r->kind == DNS_DOT ? DNS_T_DOT : DNS_T_DOH;
	memcpy(q->server, r->enc_peer, sizeof q->server);
	if (failure != NULL)
		q->failure = xstrdup(failure);
	else if (!dns_q_matches(q, abuf, alen))
		q->failure = xstrdup("dns_server_misbehaving");
	else {
		q->status = ARES_SUCCESS;
		dns_q_keep_reply(q, abuf, alen, q->t_ms);
	}
	if (r->freeing) {
		dns_q_deliver(q);
		return;
	}
	/* Transports call back from the loop: no need to defer. */
	dns_q_deliver(q);
	dns_pump(r);
}

/* Fail every waiting query (the encrypted resolver's HOST is unknown). */
static void
dns_fail_waiting(struct dns_resolver *r, const char *failure)
{
	struct dns_q	*q;

	while ((q = r->wait_head) != NULL) {
		if ((r->wait_head = q->next) == NULL)
			r->wait_tail = NULL;
		q->next = NULL;
		q->failure = xstrdup(failure);
		q->transport = r->kind == DNS_DOT ? DNS_T_DOT : DNS_T_DOH;
		q->t0 = util_mono_ms();
		dns_q_defer(q);
	}
}

static void
dns_boot_cb(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct dns_resolver	*r = arg;
	const char		*f;
	char			*s;

	(void)timeouts;
	if (r->freeing) {
		ares_freeaddrinfo(res);
		return;
	}
	if (status == ARES_SUCCESS && res != NULL && res->nodes != NULL) {
		struct ares_addrinfo_node *n = res->nodes, *v4;
		struct sockaddr_storage ss;

		/* IPv4 first: IPv6 is the more often broken on a probe's way. */
		for (v4 = res->nodes; v4 != NULL; v4 = v4->ai_next) {
			if (v4->ai_family == AF_INET) {
				n = v4;
				break;
			}
		}

		memset(&ss, 0, sizeof ss);
		memcpy(&ss, n->ai_addr, n->ai_addrlen < sizeof ss ?
		    n->ai_addrlen : sizeof ss);
		if (ss.ss_family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_port =
			    htons((uint16_t)r->port);
		else
			((struct sockaddr_in6 *)&ss)->sin6_port =
			    htons((uint16_t)r->port);
		dns_enc_start(r, (struct sockaddr *)&ss, n->ai_addrlen);
		ares_freeaddrinfo(res);
		dns_pump(r);
		return;
	}
	ares_freeaddrinfo(res);
	r->boot = BOOT_NONE;	/* the next query tries again */
	if (status == ARES_ECONNREFUSED && r->sock_errno != 0) {
		s = tls_errno_failure(r->sock_errno);
		log_warn("resolver %s: cannot look up %s: %s", r->name,
		    r->host, s);
		dns_fail_waiting(r, s);
		free(s);
		return;
	}
	if ((f = dns_status_failure(status)) == NULL)
		f = "unknown_failure: cannot look up the resolver";
	log_warn("resolver %s: cannot look up %s: %s", r->name, r->host, f);
	dns_fail_waiting(r, f);
}

static void
dns_boot(struct dns_resolver *r)
{
	struct ares_addrinfo_hints	 hints;

	if (r->boot != BOOT_NONE)
		return;
	r->boot = BOOT_RUNNING;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	dns_sock_reset(r);
	ares_getaddrinfo(r->channel, r->host, NULL, &hints, dns_boot_cb, r);
	dns_rearm(r);
}

/* Hand q to the encrypted transport, with a message c-ares built. */
static void
dns_enc_send(struct dns_resolver *r, struct dns_q *q)
{
	unsigned char	*buf = NULL;
	const char	*f;
	int		 len = 0, rc;

	rc = ares_create_query(q->name, 1 /* IN */, q->qtype, 0, 1, &buf,
	    &len, 0);
	if (rc != ARES_SUCCESS) {
		f = dns_status_failure(rc);
		q->failure = xstrdup(f != NULL ? f :
		    "unknown_failure: cannot build the query");
		q->transport = r->kind == DNS_DOT ? DNS_T_DOT : DNS_T_DOH;
		dns_q_defer(q);
		return;
	}
	r->active++;
	q->state = Q_SENT;
	if (r->dot != NULL)
		dns_dot_send(r->dot, buf, len, dns_enc_reply_cb, q);
	else
		dns_doh_send(r->doh, buf, len, dns_enc_reply_cb, q);
	ares_free_string(buf);
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

	if (r->freeing)
		return;
	if (r->kind != DNS_UDP && r->boot != BOOT_DONE) {
		if (r->wait_head != NULL)
			dns_boot(r);
		return;
	}
	while (r->active < DNS_MAX_ACTIVE && (q = r->wait_head) != NULL) {
		if ((r->wait_head = q->next) == NULL)
			r->wait_tail = NULL;
		q->next = NULL;
		q->t0 = util_mono_ms();
		if (r->kind != DNS_UDP) {
			dns_enc_send(r, q);
			continue;
		}
		r->active++;
		q->state = Q_SENT;
		q->sending = 1;
		dns_sock_reset(r);
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
	q->fd = ARES_SOCKET_BAD;
	q->state = Q_WAIT;
	q->transport = r->kind == DNS_DOT ? DNS_T_DOT :
	    r->kind == DNS_DOH ? DNS_T_DOH : DNS_T_UDP;
	q->timer = evtimer_new(r->base, dns_q_timer_cb, q);
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
	struct dns_q		**qp, *prev = NULL;

	if (q == NULL || q->cancelled)
		return;
	r = q->r;
	r->pending--;
	q->cancelled = 1;
	switch (q->state) {
	case Q_WAIT:
		for (qp = &r->wait_head; *qp != NULL; qp = &(*qp)->next) {
			if (*qp == q) {
				*qp = q->next;
				break;
			}
			prev = *qp;
		}
		if (r->wait_tail == q)
			r->wait_tail = prev;
		dns_q_free(q);
		break;
	case Q_LINGER:
		dns_linger_unlink(q);
		dns_q_free(q);
		break;
	case Q_DEFER:
		dns_q_free(q);
		break;
	case Q_SENT:
		/* The transport calls back; q is freed then, silently. */
		break;
	}
}

int
dns_linger_end(struct dns_q *q)
{
	if (q == NULL || q->cancelled || q->state != Q_LINGER ||
	    !q->first_done)
		return -1;
	dns_linger_unlink(q);
	dns_q_deliver(q);
	return 0;
}

/* --- replies ----------------------------------------------------------- */

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

const char *
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
		/* Never sent: no resolver said anything about it. */
		return "unknown_failure: invalid domain name";
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

/*
 * Walk the answer section for CNAME records; -1 on a malformed reply.
 * Addresses and their TTLs come from ares_parse_a_reply() and
 * ares_parse_aaaa_reply(), names from ares_expand_name(); only the record
 * framing is read here: the hostent of c-ares 1.18 gives the owner names
 * of a CNAME chain but not its last target, and no TTL.
 */
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

void
dns_fill_reply(struct rec_reply *rp, int qtype, const unsigned char *buf,
    int len, double t_ms)
{
	struct rec_dns		 tmp;
	struct rec_answer	*a;
	size_t			 i;

	memset(&tmp, 0, sizeof tmp);
	tmp.query_type = qtype;
	dns_fill(&tmp, ARES_SUCCESS, buf, len);
	rp->t_ms = t_ms;
	rp->rcode = tmp.rcode;
	for (i = 0; i < tmp.n_answers; i++) {
		a = rec_reply_add_answer(rp);
		*a = tmp.answers[i];
	}
	free(tmp.answers);
	free(tmp.failure);
}

enum rec_transport
dns_rec_transport(enum dns_transport t)
{
	switch (t) {
	case DNS_T_TCP:
		return TRANSPORT_TCP;
	case DNS_T_DOH:
		return TRANSPORT_DOH;
	case DNS_T_DOT:
		return TRANSPORT_DOT;
	default:
		return TRANSPORT_UDP;
	}
}
