/*
 * Blockpage fingerprints (see fingerprint.h).
 *
 * Each row of an OONI fingerprint CSV becomes one struct fp: where to look
 * (body, header.NAME, dns), how (full, prefix, contains, regexp) and what.
 * Regular expressions are compiled with PCRE2 once, at load time, as
 * byte patterns (bodies are not always UTF-8), with a match limit so that
 * a pattern like "a.*b.*c" cannot take long on a hostile 64 KB body.
 *
 * Most body fingerprints are "contains" strings (some 1,400 of them), so
 * they are not searched one by one: the patterns of at least FP_Q bytes
 * are indexed by a hash of their first FP_Q bytes, and the body is walked
 * once, looking each position's FP_Q bytes up.
 */
#include <sys/stat.h>

#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "csv.h"
#include "fingerprint.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define FP_MAX_FILE	(16 * 1024 * 1024)
#define FP_MAX_ROWS	100000
#define FP_Q		4		/* bytes hashed by the body index */
#define FP_BUCKETS	4096
#define FP_MATCH_LIMIT	200000		/* PCRE2 backtracking steps */
#define FP_NONE		((size_t)-1)

enum fp_loc { FP_BODY = 0, FP_HEADER, FP_DNS };
enum fp_type { FP_FULL = 0, FP_PREFIX, FP_CONTAINS, FP_REGEXP };

struct fp {
	char		*name;
	char		*where;		/* "body", "header.location", "dns" */
	const char	*header;	/* into where, after "header." */
	enum fp_loc	 loc;
	enum fp_type	 type;
	int		 is_fp;		/* scope "fp": a known false positive */
	char		*pattern;
	size_t		 plen;
	pcre2_code	*re;
	unsigned char	 addr[16];	/* dns, full: the address parsed */
	int		 af;		/* 0: not an address */
	size_t		 next;		/* body index chain */
};

struct fingerprint_set {
	struct fp		*v;
	size_t			 n;
	size_t			 n_dns;
	size_t			 head[FP_BUCKETS];
	pcre2_match_context	*mctx;
	pcre2_match_data	*md;	/* matching is single-threaded */
};

static unsigned int
fp_hash(const unsigned char *p)
{
	uint32_t	h;

	h = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
	h *= 2654435761U;
	return h >> 20;			/* 12 bits: FP_BUCKETS */
}

static int
fp_indexed(const struct fp *f)
{
	return f->loc == FP_BODY && f->type == FP_CONTAINS &&
	    f->plen >= FP_Q;
}

/* Rebuild the body index (entries chained in load order). */
static void
fp_index(struct fingerprint_set *fs)
{
	size_t	i, b, *tail[FP_BUCKETS];

	for (b = 0; b < FP_BUCKETS; b++) {
		fs->head[b] = FP_NONE;
		tail[b] = &fs->head[b];
	}
	for (i = 0; i < fs->n; i++) {
		fs->v[i].next = FP_NONE;
		if (!fp_indexed(&fs->v[i]))
			continue;
		b = fp_hash((const unsigned char *)fs->v[i].pattern);
		*tail[b] = i;
		tail[b] = &fs->v[i].next;
	}
}

struct fingerprint_set *
fingerprint_set_new(void)
{
	struct fingerprint_set	*fs;
	size_t			 b;

	fs = xcalloc(1, sizeof *fs);
	for (b = 0; b < FP_BUCKETS; b++)
		fs->head[b] = FP_NONE;
	if ((fs->mctx = pcre2_match_context_create(NULL)) == NULL ||
	    (fs->md = pcre2_match_data_create(1, NULL)) == NULL) {
		log_error("out of memory");
		abort();
	}
	pcre2_set_match_limit(fs->mctx, FP_MATCH_LIMIT);
	pcre2_set_depth_limit(fs->mctx, FP_MATCH_LIMIT);
	return fs;
}

void
fingerprint_set_free(struct fingerprint_set *fs)
{
	size_t	i;

	if (fs == NULL)
		return;
	for (i = 0; i < fs->n; i++) {
		free(fs->v[i].name);
		free(fs->v[i].where);
		free(fs->v[i].pattern);
		pcre2_code_free(fs->v[i].re);
	}
	free(fs->v);
	pcre2_match_data_free(fs->md);
	pcre2_match_context_free(fs->mctx);
	free(fs);
}

size_t
fingerprint_set_count(const struct fingerprint_set *fs)
{
	return fs->n;
}

size_t
fingerprint_set_count_dns(const struct fingerprint_set *fs)
{
	return fs->n_dns;
}

static int
fp_parse_addr(const char *s, unsigned char *b)
{
	if (inet_pton(AF_INET, s, b) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, b) == 1)
		return AF_INET6;
	return 0;
}

/* The columns a fingerprint file needs, by header name. */
struct fp_cols {
	int	name, scope, loc, type, pattern;
};

/* One row; NULL or why it is not used. */
static const char *
fp_add_row(struct fingerprint_set *fs, const struct fp_cols *c,
    const struct csv_row *r)
{
	struct fp	 f;
	const char	*loc, *type;
	char		 msg[160];
	static char	 why[200];
	PCRE2_SIZE	 eoff;
	int		 err;

	if ((size_t)c->name >= r->n || (size_t)c->loc >= r->n ||
	    (size_t)c->type >= r->n || (size_t)c->pattern >= r->n)
		return "missing fields";
	memset(&f, 0, sizeof f);
	if (r->len[c->name] == 0)
		return "empty name";
	if (r->len[c->pattern] == 0)
		return "empty pattern";
	if (strlen(r->f[c->pattern]) != r->len[c->pattern])
		return "NUL byte in pattern";
	loc = r->f[c->loc];
	type = r->f[c->type];
	if (strcmp(loc, "body") == 0)
		f.loc = FP_BODY;
	else if (strcmp(loc, "dns") == 0)
		f.loc = FP_DNS;
	else if (strncasecmp(loc, "header.", 7) == 0 && loc[7] != '\0')
		f.loc = FP_HEADER;
	else
		return "unknown location_found";
	if (strcmp(type, "full") == 0)
		f.type = FP_FULL;
	else if (strcmp(type, "prefix") == 0)
		f.type = FP_PREFIX;
	else if (strcmp(type, "contains") == 0)
		f.type = FP_CONTAINS;
	else if (strcmp(type, "regexp") == 0)
		f.type = FP_REGEXP;
	else
		return "unknown pattern_type";
	if (f.type == FP_REGEXP) {
		f.re = pcre2_compile((PCRE2_SPTR)r->f[c->pattern],
		    r->len[c->pattern], 0, &err, &eoff, NULL);
		if (f.re == NULL) {
			pcre2_get_error_message(err, (PCRE2_UCHAR *)msg,
			    sizeof msg);
			snprintf(why, sizeof why, "regexp does not compile "
			    "at offset %zu: %s", (size_t)eoff, msg);
			return why;
		}
		/*
		 * NJ_PCRE2_NO_JIT: the interpreter only (valgrind cannot
		 * follow JIT-compiled code and reports it as uninitialised).
		 */
		if (getenv("NJ_PCRE2_NO_JIT") == NULL)
			(void)pcre2_jit_compile(f.re, PCRE2_JIT_COMPLETE);
	}
	f.name = xstrdup(r->f[c->name]);
	f.where = xstrdup(loc);
	if (f.loc == FP_HEADER)
		f.header = f.where + 7;
	f.is_fp = c->scope >= 0 && (size_t)c->scope < r->n &&
	    strcmp(r->f[c->scope], "fp") == 0;
	f.pattern = xstrdup(r->f[c->pattern]);
	f.plen = r->len[c->pattern];
	if (f.loc == FP_DNS) {
		f.af = fp_parse_addr(f.pattern, f.addr);
		fs->n_dns++;
	}
	fs->v = xreallocarray(fs->v, fs->n + 1, sizeof *fs->v);
	fs->v[fs->n++] = f;
	return NULL;
}

static int
fp_load_buffer(struct fingerprint_set *fs, const char *path, const char *buf,
    size_t len)
{
	struct csv_row	 h, r;
	struct fp_cols	 c;
	const char	*why;
	size_t		 off = 0, line = 1, start, rows = 0;
	int		 added = 0;

	memset(&h, 0, sizeof h);
	memset(&r, 0, sizeof r);
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		off = 3;		/* UTF-8 byte order mark */
	why = csv_read(buf, len, &off, &line, &h);
	line++;
	c.name = csv_column(&h, "name");
	c.scope = csv_column(&h, "scope");
	c.loc = csv_column(&h, "location_found");
	c.type = csv_column(&h, "pattern_type");
	c.pattern = csv_column(&h, "pattern");
	if (why != NULL || c.name < 0 || c.loc < 0 || c.type < 0 ||
	    c.pattern < 0) {
		log_warn("%s: not a fingerprint file (no name, "
		    "location_found, pattern_type and pattern columns), "
		    "skipped", path);
		csv_row_clear(&h);
		return 0;
	}
	while (off < len) {
		start = line;
		why = csv_read(buf, len, &off, &line, &r);
		line++;
		if (why == NULL && r.n == 1 && r.len[0] == 0)
			continue;	/* blank line */
		if (++rows > FP_MAX_ROWS) {
			log_warn("%s:%zu: more than %d fingerprints, the rest "
			    "is skipped", path, start, FP_MAX_ROWS);
			break;
		}
		if (why == NULL)
			why = fp_add_row(fs, &c, &r);
		if (why != NULL) {
			log_warn("%s:%zu: %s, skipped", path, start, why);
			continue;
		}
		added++;
	}
	csv_row_clear(&r);
	csv_row_clear(&h);
	return added;
}

static int
fp_load_file(struct fingerprint_set *fs, const char *path)
{
	char	*buf, why[128];
	size_t	 len;
	int	 n;

	if (util_read_file(path, FP_MAX_FILE, &buf, &len, why,
	    sizeof why) != 0) {
		log_error("%s: %s", path, why);
		return -1;
	}
	n = fp_load_buffer(fs, path, buf, len);
	free(buf);
	return n;
}

static int
fp_select(const struct dirent *de)
{
	size_t	len = strlen(de->d_name);

	return de->d_name[0] != '.' && len > 4 &&
	    strcmp(de->d_name + len - 4, ".csv") == 0;
}

int
fingerprint_set_load(struct fingerprint_set *fs, const char *path)
{
	struct stat	  sb;
	struct dirent	**names;
	char		 *p;
	int		  count, i, n, total = 0;

	if (stat(path, &sb) != 0) {
		log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		total = fp_load_file(fs, path);
		goto out;
	}
	if ((count = scandir(path, &names, fp_select, alphasort)) < 0) {
		log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < count; i++) {
		xasprintf(&p, "%s/%s", path, names[i]->d_name);
		if ((n = fp_load_file(fs, p)) > 0)
			total += n;
		free(p);
		free(names[i]);
	}
	free(names);
out:
	fp_index(fs);
	return total;
}

/* --- matching ---------------------------------------------------------- */

static int
fp_regexp(const struct fingerprint_set *fs, const struct fp *f,
    const unsigned char *s, size_t len)
{
	return pcre2_match(f->re, (PCRE2_SPTR)s, len, 0, 0, fs->md,
	    fs->mctx) >= 0;
}

/* Does f match the bytes s (a body or one header value)? */
static int
fp_test(const struct fingerprint_set *fs, const struct fp *f,
    const unsigned char *s, size_t len)
{
	switch (f->type) {
	case FP_FULL:
		return len == f->plen && memcmp(s, f->pattern, len) == 0;
	case FP_PREFIX:
		return len >= f->plen && memcmp(s, f->pattern, f->plen) == 0;
	case FP_CONTAINS:
		return f->plen <= len && memmem(s, len, f->pattern,
		    f->plen) != NULL;
	case FP_REGEXP:
		return fp_regexp(fs, f, s, len);
	}
	return 0;
}

/*
 * The first body fingerprint (in load order) of scope fp (want_fp) or of
 * another scope that matches body, or FP_NONE.
 */
static size_t
fp_body_first(const struct fingerprint_set *fs, const unsigned char *body,
    size_t len, int want_fp)
{
	const struct fp	*f;
	size_t		 i, pos, best = FP_NONE;

	for (i = 0; i < fs->n; i++) {
		f = &fs->v[i];
		if (f->loc != FP_BODY || f->is_fp != want_fp || fp_indexed(f))
			continue;
		if (fp_test(fs, f, body, len)) {
			best = i;
			break;
		}
	}
	for (pos = 0; pos + FP_Q <= len; pos++) {
		for (i = fs->head[fp_hash(body + pos)]; i != FP_NONE &&
		    i < best; i = fs->v[i].next) {
			f = &fs->v[i];
			if (f->is_fp != want_fp || f->plen > len - pos)
				continue;
			if (memcmp(body + pos, f->pattern, f->plen) == 0) {
				best = i;
				break;
			}
		}
	}
	return best;
}

/* The first header fingerprint matching one of the headers, or FP_NONE. */
static size_t
fp_header_first(const struct fingerprint_set *fs,
    const struct fingerprint_http *h, int want_fp)
{
	const struct fp	*f;
	size_t		 i, j;

	for (i = 0; i < fs->n; i++) {
		f = &fs->v[i];
		if (f->loc != FP_HEADER || f->is_fp != want_fp)
			continue;
		for (j = 0; j < h->n_headers; j++) {
			if (h->header_names[j] == NULL ||
			    h->header_values[j] == NULL ||
			    strcasecmp(h->header_names[j], f->header) != 0)
				continue;
			if (fp_test(fs, f,
			    (const unsigned char *)h->header_values[j],
			    strlen(h->header_values[j])))
				return i;
		}
	}
	return FP_NONE;
}

const char *
fingerprint_match_http(const struct fingerprint_set *fs,
    const struct fingerprint_http *h, const char **where)
{
	const unsigned char	*body;
	size_t			 b, k;

	if (where != NULL)
		*where = NULL;
	if (fs == NULL || h == NULL)
		return NULL;
	body = h->body != NULL ? h->body : (const unsigned char *)"";
	/* A page known to look like a blockpage without being one. */
	if (fp_body_first(fs, body, h->body_len, 1) != FP_NONE ||
	    fp_header_first(fs, h, 1) != FP_NONE)
		return NULL;
	b = fp_body_first(fs, body, h->body_len, 0);
	k = fp_header_first(fs, h, 0);
	if (k < b)
		b = k;
	if (b == FP_NONE)
		return NULL;
	if (where != NULL)
		*where = fs->v[b].where;
	return fs->v[b].name;
}

const char *
fingerprint_match_dns(const struct fingerprint_set *fs, const char *answer)
{
	const struct fp	*f;
	unsigned char	 a[16];
	size_t		 i, len;
	int		 af;

	if (fs == NULL || answer == NULL)
		return NULL;
	af = fp_parse_addr(answer, a);
	len = strlen(answer);
	for (i = 0; i < fs->n; i++) {
		f = &fs->v[i];
		if (f->loc != FP_DNS || f->is_fp)
			continue;
		if (f->type == FP_FULL && af != 0 && f->af == af) {
			if (memcmp(a, f->addr, af == AF_INET ? 4 : 16) == 0)
				return f->name;
			continue;
		}
		if (fp_test(fs, f, (const unsigned char *)answer, len))
			return f->name;
	}
	return NULL;
}
