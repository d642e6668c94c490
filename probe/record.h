/*
 * One measurement: one target measured once (CONTRACT "The record").
 *
 * The engine fills a struct record, verdict_decide() reads it, and
 * record_pack() writes it as one msgpack map.  Every string is owned by the
 * record (heap-allocated) and released by record_free(); a NULL string is
 * packed as nil.
 */
#ifndef NJ_RECORD_H
#define NJ_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "util.h"

#define RECORD_SCHEMA	1

enum rec_role { ROLE_PROBE = 0, ROLE_CONTROL };

enum rec_answer_type { ANSWER_A = 0, ANSWER_AAAA, ANSWER_CNAME };

struct rec_answer {
	enum rec_answer_type	 type;
	char			*value;		/* ip or hostname */
	uint32_t		 ttl;
};

struct rec_dns {
	char			*resolver;	/* "system" or "ADDR:PORT" */
	enum rec_role		 role;
	int			 query_type;	/* 1 (A) or 28 (AAAA) */
	char			*failure;	/* df-007 string or NULL */
	char			*rcode;		/* "NOERROR", ... or NULL */
	struct rec_answer	*answers;
	size_t			 n_answers;
	double			 t_ms;
};

struct rec_tcp {
	char			*ip;
	int			 port;
	enum rec_role		 source;	/* whose answer gave the ip */
	char			*failure;
	double			 t_ms;
};

struct rec_cert {
	char			*subject;	/* RFC 2253, UTF-8 */
	char			*issuer;
	char			 sha256[65];	/* hex of the DER */
	char			 spki_sha256[65]; /* hex of i2d_X509_PUBKEY */
	char			*not_before;	/* RFC 3339 */
	char			*not_after;
	char			**san;		/* DNS names and IPs */
	size_t			 n_san;
};

struct rec_tls {
	char			*ip;
	int			 port;
	enum rec_role		 source;	/* extra key "source" */
	char			*sni;		/* NULL for IP-literal targets */
	char			*failure;
	char			*version;
	char			*cipher;
	struct rec_cert		*chain;		/* as presented, leaf first */
	size_t			 n_chain;
	int			 trusted;	/* reference store + hostname */
	int			 trusted_by_system;
	char			*verify_error;
	double			 t_ms;
};

enum verdict_status {
	STATUS_OK = 0,
	STATUS_BLOCKED,
	STATUS_INTERCEPTED,
	STATUS_ANOMALY,
	STATUS_DOWN,
	STATUS_ERROR
};

enum verdict_method {
	METHOD_NONE = 0,
	METHOD_DNS_NXDOMAIN,
	METHOD_DNS_BOGON,
	METHOD_DNS_INCONSISTENT,
	METHOD_DNS_TIMEOUT,
	METHOD_DNS_REFUSED,
	METHOD_DNS_SERVFAIL,
	METHOD_TCP_REFUSED,
	METHOD_TCP_RESET,
	METHOD_TCP_TIMEOUT,
	METHOD_TLS_RESET,
	METHOD_TLS_TIMEOUT,
	METHOD_TLS_EOF,
	METHOD_TLS_SNI,
	METHOD_TLS_MITM
};

struct rec_verdict {
	enum verdict_status	 status;
	enum verdict_method	 method;
	char			*interception_ca;
	char			*detail;
};

struct rec_target {
	char			*input;
	char			*host;
	int			 port;
	char			*category;	/* NULL when none */
};

struct record {
	char			 id[UUID_STRLEN + 1];
	char			 run_id[UUID_STRLEN + 1];
	char			*probe_id;
	char			*campaign;	/* NULL when none */
	int64_t			 start_ms;	/* UTC, ms since the epoch */
	long			 tz_offset;	/* seconds east of UTC */
	double			 runtime_ms;
	struct rec_target	 target;

	struct rec_dns		*dns;
	size_t			 n_dns;
	struct rec_tcp		*tcp;
	size_t			 n_tcp;
	struct rec_tls		*tls;
	size_t			 n_tls;

	struct rec_verdict	 verdict;
};

/* A zeroed record with a fresh id. */
struct record	*record_new(void);
void		 record_free(struct record *);

/* Append a zeroed entry and return it (the arrays grow as needed). */
struct rec_dns	*record_add_dns(struct record *);
struct rec_tcp	*record_add_tcp(struct record *);
struct rec_tls	*record_add_tls(struct record *);
struct rec_answer *rec_dns_add_answer(struct rec_dns *);
struct rec_cert	*rec_tls_add_cert(struct rec_tls *);

/* Write the record as one msgpack map. */
void		 record_pack(const struct record *, msgpack_packer *);

const char	*verdict_status_name(enum verdict_status);
const char	*verdict_method_name(enum verdict_method); /* NULL for NONE */
/* Reverse lookups: 0 or -1. */
int		 verdict_status_parse(const char *, enum verdict_status *);
int		 verdict_method_parse(const char *, enum verdict_method *);

#endif
