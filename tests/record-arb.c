/*
 * Records with arbitrary field values, built from a byte string: every
 * string may hold any byte, be empty, NULL or longer than the record's
 * limits; every count may exceed its limit; numbers may be negative,
 * NaN or infinite.  Used by tests/check_record.c (with random bytes) and
 * tests/fuzz/fuzz_record_pack.c (with libFuzzer's): whatever comes out,
 * record_pack() must write a record record_validate() accepts.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "mp.h"
#include "record-arb.h"
#include "xmalloc.h"

struct arb {
	const uint8_t	*p;
	size_t		 n;
	size_t		 i;
};

static uint8_t
u8(struct arb *a)
{
	return a->i < a->n ? a->p[a->i++] : 0;
}

static uint32_t
u32(struct arb *a)
{
	uint32_t	v = 0;
	int		i;

	for (i = 0; i < 4; i++)
		v = v << 8 | u8(a);
	return v;
}

static double
num(struct arb *a)
{
	switch (u8(a) % 8) {
	case 0:
		return NAN;
	case 1:
		return INFINITY;
	case 2:
		return -(double)u32(a) / 16;
	case 3:
		return 0;
	default:
		return (double)u32(a) / 16;
	}
}

/*
 * A string of any bytes (cut at the first NUL, as a C string is), NULL,
 * or one of a few long ones: just at, just over and far over the limit.
 */
static char *
str(struct arb *a)
{
	uint8_t	 k = u8(a);
	size_t	 len, i;
	char	*s;

	if (k == 0)
		return NULL;
	if (k >= 0xfc) {
		static const size_t	longs[] = { REC_MAX_STR,
		    REC_MAX_STR + 1, REC_MAX_STR + 3, 3 * REC_MAX_STR };

		len = longs[k - 0xfc];
		s = xmalloc(len + 1);
		for (i = 0; i < len; i++)	/* multi-byte UTF-8 at the cut */
			s[i] = (i % 3 == 0) ? (char)0xe2 : (i % 3 == 1) ?
			    (char)0x82 : (char)0xac;
		s[len] = '\0';
		return s;
	}
	len = k % 24;
	s = xmalloc(len + 1);
	for (i = 0; i < len; i++)
		s[i] = (char)u8(a);
	s[len] = '\0';
	return s;
}

/* A count, now and then just over the given limit. */
static size_t
count(struct arb *a, size_t small, size_t limit)
{
	uint8_t	k = u8(a);

	if (k == 0xff)
		return limit + 1 + u8(a) % 4;
	return k % (small + 1);
}

static void
answers(struct arb *a, struct rec_answer **out, size_t *n)
{
	size_t	i, want = count(a, 3, REC_MAX_ANSWERS);

	*out = xcalloc(want > 0 ? want : 1, sizeof **out);
	*n = want;
	for (i = 0; i < want; i++) {
		(*out)[i].type = (enum rec_answer_type)(u8(a) % 4);
		(*out)[i].value = str(a);
		(*out)[i].ttl = u32(a);
	}
}

static void
fill_dns(struct arb *a, struct rec_dns *d)
{
	size_t	i, n;

	d->resolver = str(a);
	d->server = str(a);
	d->transport = (enum rec_transport)(u8(a) % 6);
	d->role = (enum rec_role)(u8(a) % 3);
	d->query_type = (int)(int16_t)(u8(a) << 8 | u8(a));
	d->failure = str(a);
	d->rcode = str(a);
	answers(a, &d->answers, &d->n_answers);
	n = count(a, 3, REC_MAX_REPLIES);
	for (i = 0; i < n; i++) {
		struct rec_reply	*rp = rec_dns_add_reply(d);

		rp->t_ms = num(a);
		rp->rcode = str(a);
		answers(a, &rp->answers, &rp->n_answers);
	}
	d->t0_ms = num(a);
	d->t_ms = num(a);
}

static void
fill_tcp(struct arb *a, struct rec_tcp *t)
{
	t->ip = str(a);
	t->port = (int)(int32_t)u32(a);
	t->source = (enum rec_role)(u8(a) % 3);
	t->failure = str(a);
	t->t0_ms = num(a);
	t->t_ms = num(a);
}

static void
fill_hash(struct arb *a, char out[65])
{
	static const char	hex[] = "0123456789abcdefXZ";
	size_t			i, len = u8(a) % 8 == 0 ? u8(a) % 65 : 64;

	for (i = 0; i < len; i++)
		out[i] = hex[u8(a) % (sizeof hex - 1)];
	out[len] = '\0';
}

static void
fill_cert(struct arb *a, struct rec_cert *c)
{
	char	san[24];
	size_t	i, j, n, len;

	c->subject = str(a);
	c->issuer = str(a);
	fill_hash(a, c->sha256);
	fill_hash(a, c->spki_sha256);
	c->not_before = str(a);
	c->not_after = str(a);
	n = count(a, 4, REC_MAX_SAN);
	for (i = 0; i < n; i++) {
		len = u8(a) % sizeof san;	/* any bytes, NUL included */
		for (j = 0; j < len; j++)
			san[j] = (char)u8(a);
		rec_cert_add_san(c, san, len);
	}
	switch (u8(a) % 4) {
	case 0: {
		unsigned char	der[16];

		len = u8(a) % sizeof der;
		for (j = 0; j < len; j++)
			der[j] = u8(a);
		rec_cert_set_der(c, der, len);
		break;
	}
	case 1:
		if (u8(a) == 0xff) {	/* over the limit: flagged, not kept */
			c->der = xcalloc(1, REC_MAX_BIN + 1);
			c->der_len = REC_MAX_BIN + 1;
		}
		break;
	}
}

static void
fill_tls(struct arb *a, struct rec_tls *t)
{
	size_t	i, n;

	t->ip = str(a);
	t->port = (int)(int32_t)u32(a);
	t->source = (enum rec_role)(u8(a) % 3);
	t->sni = str(a);
	t->failure = str(a);
	t->version = str(a);
	t->cipher = str(a);
	n = count(a, 3, REC_MAX_CHAIN);
	for (i = 0; i < n; i++)
		fill_cert(a, rec_tls_add_cert(t));
	t->trusted = u8(a) % 3;
	t->trusted_by_system = u8(a) % 3;
	t->verify_error = str(a);
	t->t0_ms = num(a);
	t->t_ms = num(a);
}

static void
fill_http(struct arb *a, struct rec_http *h)
{
	size_t	i, n;

	h->url = str(a);
	h->ip = str(a);
	h->sni = str(a);
	h->failure = str(a);
	h->status = (int)(int32_t)u32(a) % 2000;
	h->server = str(a);
	h->location = str(a);
	h->content_type = str(a);
	h->body_length = (uint64_t)u32(a) << 32 | u32(a);
	fill_hash(a, h->body_sha256);
	h->title = str(a);
	h->truncated = u8(a) % 3;
	n = count(a, 5, REC_MAX_SAMPLES);
	for (i = 0; i < n; i++) {
		struct rec_sample	*s = rec_http_add_sample(h);

		s->t_ms = num(a);
		s->bytes = u32(a);
	}
	h->t0_ms = num(a);
	h->t_ms = num(a);
}

struct record *
arb_record(const uint8_t *data, size_t size)
{
	struct arb	 a = { data, size, 0 };
	struct record	*r = record_new();
	size_t		 i, n;
	uint8_t		 k;

	k = u8(&a);
	if (k & 1)
		util_uuid4(r->run_id);
	else if (k & 2)
		memcpy(r->run_id, "not-a-uuid", 11);
	if (k & 4)
		memset(r->id, 'Z', 8);	/* a damaged id */
	r->probe_id = str(&a);
	r->campaign = str(&a);
	r->start_ms = (int64_t)((uint64_t)u32(&a) << 32 | u32(&a));
	r->tz_offset = (long)(int32_t)u32(&a);
	r->runtime_ms = num(&a);
	r->target.input = str(&a);
	r->target.host = str(&a);
	r->target.port = (int)(int32_t)u32(&a);
	r->target.category = str(&a);

	n = count(&a, 3, REC_MAX_STEPS);
	for (i = 0; i < n; i++)
		fill_dns(&a, record_add_dns(r));
	n = count(&a, 3, REC_MAX_STEPS);
	for (i = 0; i < n; i++)
		fill_tcp(&a, record_add_tcp(r));
	n = count(&a, 2, REC_MAX_STEPS);
	for (i = 0; i < n; i++)
		fill_tls(&a, record_add_tls(r));
	n = count(&a, 2, REC_MAX_STEPS);
	for (i = 0; i < n; i++)
		fill_http(&a, record_add_http(r));

	if (u8(&a) % 2) {
		struct rec_control	*c = record_control(r);

		c->url = str(&a);
		c->failure = str(&a);
		c->has_time = u8(&a) % 2;
		c->time_ms = (int64_t)((uint64_t)u32(&a) << 32 | u32(&a));
		c->clock_skew_ms = num(&a);
		c->t_ms = num(&a);
		n = count(&a, 2, REC_MAX_STEPS);
		for (i = 0; i < n; i++)
			fill_dns(&a, rec_control_add_dns(c));
		n = count(&a, 2, REC_MAX_STEPS);
		for (i = 0; i < n; i++)
			fill_tcp(&a, rec_control_add_tcp(c));
		n = count(&a, 2, REC_MAX_STEPS);
		for (i = 0; i < n; i++)
			fill_tls(&a, rec_control_add_tls(c));
		n = count(&a, 2, REC_MAX_STEPS);
		for (i = 0; i < n; i++)
			fill_http(&a, rec_control_add_http(c));
	}

	r->verdict.status = (enum verdict_status)(u8(&a) % (STATUS_COUNT + 2));
	r->verdict.method = (enum verdict_method)(u8(&a) % (METHOD_COUNT + 2));
	r->verdict.interception_ca = str(&a);
	r->verdict.blockpage = str(&a);
	r->verdict.detail = str(&a);
	return r;
}

int
arb_check(const struct record *r, char *err, size_t errlen)
{
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	msgpack_unpacked	 u;
	struct batch		*b = NULL;
	size_t			 used = 0;
	int			 rc = -1;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 1);
	record_pack(r, &pk);
	msgpack_unpacked_init(&u);
	/* As show, report and upload read it ... */
	if (mp_unpack_one(&u, sb.data + 1, sb.size - 1, &used) != 0 ||
	    used != sb.size - 1) {
		snprintf(err, errlen, "packed bytes do not scan as one object");
		goto out;
	}
	if (record_validate(&u.data, err, errlen) != 0)
		goto out;
	/* ... and as the collector does. */
	if (collector_parse_batch(sb.data, sb.size, &b, err, errlen) != 0)
		goto out;
	rc = 0;
out:
	batch_free(b);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	return rc;
}
