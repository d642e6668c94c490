/*
 * One measurement: one target measured once (docs/record.md).
 *
 * This header is the one definition of the record: the struct the probe
 * fills, the vocabularies (status, method, role, transport), the size
 * limits, the packer and the validator.  The packer (record_pack) and the
 * validator (record_validate, lib/record-schema.c) are driven by the same
 * limits and names, so a record the probe packs always validates.
 *
 * Every string is owned by the record (heap-allocated) and released by
 * record_free(); a NULL string is packed as nil (or "" where the key
 * requires a string).  Values that do not fit are never cut silently:
 * a string over REC_MAX_STR is truncated and "<key>_truncated": true is
 * added beside it; an array over its limit keeps its first entries and
 * gets "<key>_truncated": true; SANs are escaped (cert.c,
 * record_escape()).
 */
#ifndef NJ_RECORD_H
#define NJ_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "util.h"

#define RECORD_SCHEMA	1

/* --- size limits (packer clamps, validator refuses beyond) --------------- */
#define REC_MAX_STR	65536	/* bytes of one string */
#define REC_MAX_BIN	(1024 * 1024)	/* bytes of one certificate's DER */
#define REC_MAX_STEPS	1024	/* entries of dns, tcp, tls, http */
#define REC_MAX_ANSWERS	256	/* answers of one DNS reply */
#define REC_MAX_REPLIES	32	/* replies kept for one UDP query */
#define REC_MAX_CHAIN	32	/* certificates of one chain */
#define REC_MAX_SAN	256	/* SANs of one certificate */
#define REC_MAX_SAMPLES	4096	/* samples of one HTTP download */

/* --- vocabularies --------------------------------------------------------- */

enum rec_role { ROLE_PROBE = 0, ROLE_CONTROL, ROLE_COUNT };

enum rec_transport {
	TRANSPORT_UDP = 0,
	TRANSPORT_TCP,
	TRANSPORT_DOH,
	TRANSPORT_DOT,
	TRANSPORT_COUNT
};

enum rec_answer_type { ANSWER_A = 0, ANSWER_AAAA, ANSWER_CNAME };

/* New values go at the end: readers count by index. */
enum verdict_status {
	STATUS_OK = 0,
	STATUS_BLOCKED,
	STATUS_INTERCEPTED,
	STATUS_ANOMALY,
	STATUS_DOWN,
	STATUS_ERROR,
	STATUS_THROTTLED,
	STATUS_COUNT
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
	METHOD_TLS_MITM,
	METHOD_DNS_INJECTION,
	METHOD_DNS_BLOCKPAGE,
	METHOD_TLS_THROTTLED,
	METHOD_HTTP_BLOCKPAGE,
	METHOD_HTTP_RESET,
	METHOD_HTTP_TIMEOUT,
	METHOD_HTTP_THROTTLED,
	METHOD_COUNT
};

/* --- the record ----------------------------------------------------------- */

struct rec_answer {
	enum rec_answer_type	 type;
	char			*value;		/* ip or hostname ("." = root) */
	uint32_t		 ttl;
};

/* One reply to one UDP query (kept when more than one came). */
struct rec_reply {
	double			 t_ms;		/* since the query was sent */
	char			*rcode;
	struct rec_answer	*answers;
	size_t			 n_answers;
};

struct rec_dns {
	char			*resolver;	/* as given: "system", "ADDR:PORT", URL */
	char			*server;	/* "ADDR:PORT" really asked; NULL = unknown */
	enum rec_transport	 transport;
	enum rec_role		 role;
	int			 query_type;	/* 1 (A) or 28 (AAAA) */
	char			*failure;	/* df-007 string or NULL */
	char			*rcode;		/* "NOERROR", ... or NULL */
	struct rec_answer	*answers;
	size_t			 n_answers;
	struct rec_reply	*replies;	/* packed only when n_replies > 1 */
	size_t			 n_replies;
	double			 t0_ms;		/* start, ms since start_time */
	double			 t_ms;
};

struct rec_tcp {
	char			*ip;
	int			 port;
	enum rec_role		 source;	/* whose answer gave the ip */
	char			*failure;
	double			 t0_ms;
	double			 t_ms;
};

struct rec_cert {
	char			*subject;	/* RFC 2253, UTF-8 */
	char			*issuer;
	char			 sha256[65];	/* hex of the DER */
	char			 spki_sha256[65]; /* hex of i2d_X509_PUBKEY */
	char			*not_before;	/* RFC 3339 */
	char			*not_after;
	char			**san;		/* DNS names and IPs, escaped */
	size_t			 n_san;
	int			 san_truncated;	/* the certificate had more */
	unsigned char		*der;		/* NULL: not kept */
	size_t			 der_len;
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
	/*
	 * Another target whose handshake to this address and port had
	 * failed earlier in the round, after the address's control-SNI
	 * baseline worked: a residual block it set off may explain this
	 * failure.  NULL (key absent): none.
	 */
	char			*residual_of;
	double			 t0_ms;
	double			 t_ms;
};

/* bytes received so far, t_ms after the request was sent */
struct rec_sample {
	double			 t_ms;
	uint64_t		 bytes;
};

struct rec_http {
	char			*url;
	char			*ip;
	char			*sni;		/* NULL for plain HTTP */
	char			*failure;
	int			 status;	/* 0: no response (packed nil) */
	char			*server;	/* headers; NULL when absent */
	char			*location;
	char			*content_type;
	uint64_t		 body_length;
	char			 body_sha256[65]; /* "" when no body (nil) */
	char			*title;		/* NULL when none */
	int			 truncated;	/* body over --http-max-body */
	char			*blockpage;	/* fingerprint it matched, NULL */
	struct rec_sample	*samples;
	size_t			 n_samples;
	double			 t0_ms;
	double			 t_ms;
};

/* What a vantage saw of the same target (key "control"). */
struct rec_control {
	char			*url;		/* the vantage asked */
	char			*failure;	/* why it could not answer */
	int64_t			 time_ms;	/* vantage clock (UTC ms) ... */
	int			 has_time;	/* ... when it said one */
	double			 clock_skew_ms;	/* probe minus vantage */
	struct rec_dns		*dns;
	size_t			 n_dns;
	struct rec_tcp		*tcp;
	size_t			 n_tcp;
	struct rec_tls		*tls;
	size_t			 n_tls;
	struct rec_http		*http;
	size_t			 n_http;
	double			 t_ms;
};

struct rec_verdict {
	enum verdict_status	 status;
	enum verdict_method	 method;
	char			*interception_ca;
	char			*blockpage;	/* fingerprint name or NULL */
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
	struct rec_http		*http;
	size_t			 n_http;

	struct rec_control	*control;	/* NULL: no vantage asked (nil) */

	struct rec_verdict	 verdict;
};

/* A zeroed record with a fresh id. */
struct record	*record_new(void);
void		 record_free(struct record *);

/* Append a zeroed entry and return it (the arrays grow as needed). */
struct rec_dns	*record_add_dns(struct record *);
struct rec_tcp	*record_add_tcp(struct record *);
struct rec_tls	*record_add_tls(struct record *);
struct rec_http	*record_add_http(struct record *);
struct rec_answer *rec_dns_add_answer(struct rec_dns *);
struct rec_reply *rec_dns_add_reply(struct rec_dns *);
struct rec_answer *rec_reply_add_answer(struct rec_reply *);
struct rec_cert	*rec_tls_add_cert(struct rec_tls *);
/* Append a SAN (len bytes, any bytes: escaped with record_escape()). */
void		 rec_cert_add_san(struct rec_cert *, const char *, size_t);
/* Keep a copy of the certificate's DER. */
void		 rec_cert_set_der(struct rec_cert *, const unsigned char *,
		     size_t);
/* Fill a zeroed d with copies of everything s holds. */
void		 rec_cert_copy(struct rec_cert *d, const struct rec_cert *s);
void		 rec_cert_clear(struct rec_cert *);
struct rec_sample *rec_http_add_sample(struct rec_http *);

/* The record's control map, created zeroed on first call. */
struct rec_control *record_control(struct record *);
struct rec_dns	*rec_control_add_dns(struct rec_control *);
struct rec_tcp	*rec_control_add_tcp(struct rec_control *);
struct rec_tls	*rec_control_add_tls(struct rec_control *);
struct rec_http	*rec_control_add_http(struct rec_control *);

/* Write the record as one msgpack map; it always passes record_validate. */
void		 record_pack(const struct record *, msgpack_packer *);

/*
 * len bytes as a printable string: '\\' becomes "\\\\", a control byte
 * (NUL included) or DEL becomes "\\xHH"; other bytes are kept.  Always
 * NUL-terminated, never shorter than the input says.
 */
char		*record_escape(const char *, size_t);

/*
 * Check a decoded record against the schema (lib/record-schema.c): every
 * required key exactly once with its type, optional keys typed when
 * present, vocabularies and size limits.  0, or -1 with a reason
 * ("tls[0].port: bad value") in err.
 */
int		 record_validate(const msgpack_object *, char *err,
		     size_t errlen);

/* Names of the vocabularies. */
const char	*verdict_status_name(enum verdict_status);
const char	*verdict_method_name(enum verdict_method); /* NULL for NONE */
const char	*rec_role_name(enum rec_role);
const char	*rec_transport_name(enum rec_transport);
/* Reverse lookups: 0 or -1. */
int		 verdict_status_parse(const char *, enum verdict_status *);
int		 verdict_method_parse(const char *, enum verdict_method *);
/* Same over len bytes: the value, or -1 when unknown. */
int		 verdict_status_lookup(const char *, size_t);
int		 verdict_method_lookup(const char *, size_t);

/* NULL-terminated lists for the schema. */
extern const char *const rec_status_names[];
extern const char *const rec_method_names[];	/* without METHOD_NONE */
extern const char *const rec_role_names[];
extern const char *const rec_transport_names[];

#endif
