/*
 * The vantage: POST /v1/control (docs/vantage.md).  A collector started
 * with --control measures the targets a probe sends, from its own
 * network, with the probe's own measurement code, and answers what it
 * saw.  It never connects to a bogon address that --control-allow does
 * not cover, only to the allowed ports, and at most --control-rate
 * targets a minute for each token.
 */
#ifndef NJ_CONTROL_H
#define NJ_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>

#include "bogon.h"

#define CONTROL_MAX_TARGETS	100
#define CONTROL_MAX_ADDRS	16
#define CONTROL_MAX_BODY	(256 * 1024)
#define CONTROL_MAX_PORTS	64
#define CONTROL_DEFAULT_RATE	600	/* targets a minute per token */
#define CONTROL_DEFAULT_TIMEOUT	5000	/* ms, each step */

struct control_config {
	const char		*resolver;	/* NULL: system */
	const char		*ca_file;	/* NULL: the bundled roots */
	struct bogon_cidr	 allow[64];	/* --control-allow */
	size_t			 n_allow;
	int			 ports[CONTROL_MAX_PORTS]; /* 0 ports: 443, 80 */
	size_t			 n_ports;
	long			 rate;		/* targets a minute per token */
	long			 timeout_ms;	/* each step, at most */
	size_t			 concurrency;	/* targets measured at once */
	const char		*name;		/* "vantage" in answers */
};

void	control_config_init(struct control_config *);
/* --control-ports "443,80,8443": 0, or -1. */
int	control_parse_ports(struct control_config *, const char *);

struct control;

/* NULL (logged) when the resolver or the root store cannot be set up. */
struct control	*control_new(struct event_base *, const struct control_config *);
/* Drops what is in flight (no reply is sent). */
void		 control_free(struct control *);

/*
 * Serve one request for /v1/control (any method); key names whose rate
 * budget it spends (the bearer token, or the client's address).
 */
void		 control_handle(struct control *, struct evhttp_request *,
		    const char *key);

/* --- pure parts, for tests ----------------------------------------------- */

struct control_target {
	char	 host[256];
	int	 port;
	char	 sni[256];		/* "" when none */
	int	 has_sni;
	int	 is_ip;
	char	 addrs[CONTROL_MAX_ADDRS][46];
	size_t	 n_addrs;
	int	 http;			/* GET / over each handshake */
	int	 http_port;		/* plain GET / there; 0: none */
};

struct control_req {
	struct control_target	*v;
	size_t			 n;
	long			 timeout_ms;	/* 0: not given */
};

/*
 * Parse and check a request body: a msgpack map {"targets": [...]} of 1
 * to CONTROL_MAX_TARGETS targets, each with a host name or IP literal, a
 * port the configuration allows, an optional SNI and at most
 * CONTROL_MAX_ADDRS IP addresses.  0, or -1 with the reason in err.
 */
int	control_parse(const char *body, size_t len, const struct control_config *,
	    struct control_req *, char *err, size_t errlen);
void	control_req_clear(struct control_req *);

/* A token bucket per key: rate targets a minute, as many at once. */
struct control_rate;
struct control_rate *control_rate_new(long per_minute);
void	control_rate_free(struct control_rate *);
/*
 * Take n targets of key's budget at now_ms: 0, or -1 with the seconds to
 * wait before asking again in *retry_after.
 */
int	control_rate_take(struct control_rate *, const char *key, size_t n,
	    double now_ms, long *retry_after);

#endif
