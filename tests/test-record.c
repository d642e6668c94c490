/* Parts of the sample records the unit tests build (see test-record.h). */
#include <string.h>

#include "test-record.h"
#include "xmalloc.h"

struct rec_cert *
sample_tls(struct record *r, const char *subject, const char *issuer,
    struct rec_tcp **tp, struct rec_tls **sp)
{
	struct rec_tcp	*t;
	struct rec_tls	*s;
	struct rec_cert	*c;

	t = record_add_tcp(r);
	t->ip = xstrdup("157.240.1.35");
	t->port = 443;
	t->t_ms = 1.25;
	s = record_add_tls(r);
	s->ip = xstrdup("157.240.1.35");
	s->port = 443;
	s->sni = xstrdup("www.facebook.com");
	s->version = xstrdup("TLSv1.3");
	s->cipher = xstrdup("TLS_AES_128_GCM_SHA256");
	s->t_ms = 9.75;
	c = rec_tls_add_cert(s);
	c->subject = xstrdup(subject);
	c->issuer = xstrdup(issuer);
	memset(c->sha256, 'a', 64);
	memset(c->spki_sha256, 'b', 64);
	c->not_before = xstrdup("2026-01-01T00:00:00Z");
	c->not_after = xstrdup("2027-01-01T00:00:00Z");
	*tp = t;
	*sp = s;
	return c;
}
