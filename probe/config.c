/*
 * Options of `run` and `upload`: the command line through getopt_long and
 * `name = value` files (--config), the command line winning.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "dns.h"
#include "log.h"
#include "spool.h"
#include "url.h"
#include "util.h"
#include "xmalloc.h"

#define CONFIG_MAX_LINE		4096
#define CONFIG_MAX_SIZE		(1024 * 1024)

void
strlist_add(struct strlist *l, const char *s)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n++] = xstrdup(s);
}

void
strlist_clear(struct strlist *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
config_init(struct config *c)
{
	memset(c, 0, sizeof *c);
	c->results = xstrdup("./results");
	c->timeout_ms = 5000;
	c->dns_linger_ms = 500;
	c->concurrency = 64;
	c->interval_s = 900;
	c->jitter_s = 60;
	c->control_sni = xstrdup("example.org");
	c->max_spool_mb = 512;
	c->rate = 0;
	c->per_address = 4;
	c->http_max_body = 65536;
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	strlist_clear(&c->targets);
	free(c->results);
	strlist_clear(&c->resolvers);
	free(c->control_resolver);
	free(c->ca_file);
	free(c->interception_cas);
	free(c->schedule);
	strlist_clear(&c->collectors);
	free(c->collector_ca);
	free(c->token_file);
	free(c->probe_id);
	free(c->campaign);
	free(c->control_sni);
	strlist_clear(&c->fingerprints);
	strlist_clear(&c->controls);
	free(c->config_file);
	memset(c, 0, sizeof *c);
}

int
config_in_build_tree(const char *exe, const char *builddir)
{
	size_t	n;

	if (exe == NULL || builddir == NULL || *builddir == '\0')
		return 0;
	n = strlen(builddir);
	while (n > 1 && builddir[n - 1] == '/')
		n--;
	return strncmp(exe, builddir, n) == 0 && exe[n] == '/';
}

/*
 * 1 when this binary runs from its build tree (then it uses the tree's
 * data, even when an installed copy exists), 0 when installed (then only
 * the installed data).  Without /proc: the installed data when it exists.
 */
static int
built_here(void)
{
	static int	 here = -1;
	struct stat	 st;
	char		 exe[4096];
	ssize_t		 n;

	if (here != -1)
		return here;
	if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) > 0) {
		exe[n] = '\0';
		here = config_in_build_tree(exe, NJ_BUILDDIR);
	} else
		here = !(stat(NJ_PKGDATADIR, &st) == 0 && S_ISDIR(st.st_mode));
	return here;
}

const char *
config_datadir(void)
{
	return built_here() ? NJ_SRCDIR : NJ_PKGDATADIR;
}

char *
config_default_ca_file(void)
{
	char	*path;

	xasprintf(&path, "%s/roots.pem", built_here() ? NJ_BUILDDIR :
	    NJ_PKGDATADIR);
	return path;
}

/* --- token files ------------------------------------------------------- */

char *
config_read_token(const char *path)
{
	FILE	*f;
	char	 line[CONFIG_TOKEN_MAX + 2], *p, *tok = NULL;

	if ((f = fopen(path, "r")) == NULL) {
		log_error("--token-file %s: %s", path, strerror(errno));
		return NULL;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		if (strchr(line, '\n') == NULL && !feof(f)) {
			log_error("--token-file %s: line too long", path);
			goto out;
		}
		p = line + strspn(line, " \t\r\n");
		if (*p == '#' || *p == '\0')
			continue;
		p[strcspn(p, " \t\r\n")] = '\0';
		tok = xstrdup(p);
		break;
	}
	if (tok == NULL)
		log_error("--token-file %s: no token in it", path);
out:
	fclose(f);
	return tok;
}

/* --- addresses ------------------------------------------------------------ */

/* https://host[:port][/] or http:// to loopback. */
static int
check_collector(const char *url, char *err, size_t errlen)
{
	struct url_server	 srv;
	const char		*why;

	if ((why = url_server_parse(url, &srv)) != NULL) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	url_server_clear(&srv);
	return 0;
}

/* --- the options ---------------------------------------------------------- */

enum opt_kind { K_STR, K_LIST, K_LONG, K_FLAG, K_COUNT };

struct opt_def {
	const char	*name;
	int		 val;		/* getopt value */
	enum opt_kind	 kind;
	int		 upload;	/* 1: `upload` too; 2: only `upload` */
	long		 min, max;	/* K_LONG */
	const char	*arg;		/* for --help */
	const char	*help;
};

enum {
	O_TARGETS = 256, O_RESULTS, O_RESOLVER, O_CONTROL_RESOLVER, O_CA_FILE,
	O_ICA, O_TIMEOUT, O_CONCURRENCY, O_INTERVAL, O_JITTER, O_SCHEDULE,
	O_COLLECTOR, O_COLLECTOR_CA, O_TOKEN_FILE, O_PROBE_ID, O_CAMPAIGN,
	O_CONTROL_SNI, O_MAX_SPOOL, O_RATE, O_PER_ADDRESS, O_RESUME, O_ONCE,
	O_DNS_LINGER, O_CONFIG, O_REQUEUE, O_FINGERPRINTS, O_HTTP, O_HTTP_MAX_BODY,
	O_KEEP_CERTS, O_CONTROL, O_VERBOSE = 'v', O_QUIET = 'q', O_HELP = 'h'
};

static const struct opt_def defs[] = {
	{ "targets", O_TARGETS, K_LIST, 0, 0, 0, "FILE",
	  "target list, repeatable; names right after it are lists too "
	  "(--targets lists/*.csv) (default: targets/default.txt)" },
	{ "results", O_RESULTS, K_STR, 1, 0, 0, "DIR",
	  "spool directory (default: ./results)" },
	{ "resolver", O_RESOLVER, K_LIST, 0, 0, 0, "ADDR[:PORT]|URL",
	  "resolver the probe uses, repeatable; system = /etc/resolv.conf "
	  "(default), tls://HOST[:PORT] DNS over TLS, "
	  "https://HOST[:PORT]/PATH DNS over HTTPS" },
	{ "control-resolver", O_CONTROL_RESOLVER, K_STR, 0, 0, 0,
	  "ADDR[:PORT]|URL", "resolver believed uncensored, same forms "
	  "(default: none)" },
	{ "dns-linger", O_DNS_LINGER, K_LONG, 0, 0, 600000, "MS",
	  "how long a UDP query listens for more replies after the first "
	  "(default: 500)" },
	{ "ca-file", O_CA_FILE, K_STR, 0, 0, 0, "FILE",
	  "reference root store (default: the bundled Mozilla roots.pem)" },
	{ "interception-cas", O_ICA, K_STR, 0, 0, 0, "DIR",
	  "known interception roots (default: targets/interception-cas)" },
	{ "timeout", O_TIMEOUT, K_LONG, 0, 1, 600000, "MS",
	  "per-step timeout: DNS, connect, handshake each (default: 5000)" },
	{ "concurrency", O_CONCURRENCY, K_LONG, 0, 1, 100000, "N",
	  "targets measured at once (default: 64)" },
	{ "interval", O_INTERVAL, K_LONG, 0, 1, 30 * 86400, "SEC",
	  "time between round starts (default: 900)" },
	{ "jitter", O_JITTER, K_LONG, 0, 0, 86400, "SEC",
	  "random delay added to each round start (default: 60)" },
	{ "schedule", O_SCHEDULE, K_STR, 0, 0, 0, "SPEC",
	  "intervals by local time of day, e.g. '17:00-01:00=5m,*=30m' "
	  "(default: --interval)" },
	{ "collector", O_COLLECTOR, K_LIST, 1, 0, 0, "URL",
	  "https://host:port of the collector, repeatable: tried in order "
	  "(default: keep locally)" },
	{ "collector-ca", O_COLLECTOR_CA, K_STR, 1, 0, 0, "FILE",
	  "CA to verify the collector (default: system store)" },
	{ "token-file", O_TOKEN_FILE, K_STR, 1, 0, 0, "FILE",
	  "bearer token for the collector" },
	{ "probe-id", O_PROBE_ID, K_STR, 0, 0, 0, "ID",
	  "probe identity (default: random, persisted in the results dir)" },
	{ "campaign", O_CAMPAIGN, K_STR, 0, 0, 0, "NAME",
	  "tag written into every record" },
	{ "control-sni", O_CONTROL_SNI, K_STR, 0, 0, 0, "NAME",
	  "benign SNI used to confirm SNI-based blocking (default: "
	  "example.org)" },
	{ "control", O_CONTROL, K_LIST, 0, 0, 0, "URL",
	  "vantage that measures failed targets from outside, repeatable: "
	  "tried in order; none = off (default: every --collector)" },
	{ "http", O_HTTP, K_FLAG, 0, 0, 0, NULL,
	  "also GET / over each completed handshake (default: only http:// "
	  "targets, on port 80)" },
	{ "http-max-body", O_HTTP_MAX_BODY, K_LONG, 0, 0, 64L * 1024 * 1024,
	  "BYTES", "most bytes read of one HTTP body (default: 65536)" },
	{ "keep-certs", O_KEEP_CERTS, K_FLAG, 0, 0, 0, NULL,
	  "keep the DER of every presented certificate (default: only of "
	  "chains the reference store does not trust)" },
	{ "fingerprints", O_FINGERPRINTS, K_LIST, 0, 0, 0, "PATH",
	  "blockpage fingerprints, OONI CSV file or directory of *.csv, "
	  "repeatable (default: targets/fingerprints)" },
	{ "max-spool", O_MAX_SPOOL, K_LONG, 0, 0, 1L << 30, "MB",
	  "disk guard: the oldest uploaded files go first, never a pending "
	  "record; 0 = no limit (default: 512)" },
	{ "rate", O_RATE, K_LONG, 0, 0, 1000000, "N",
	  "targets started per second; 0 = no limit (default)" },
	{ "per-address", O_PER_ADDRESS, K_LONG, 0, 0, 100000, "N",
	  "connections at once to one address; 0 = no limit (default: 4)" },
	{ "resume", O_RESUME, K_FLAG, 0, 0, 0, NULL,
	  "with --once --campaign: skip the targets the campaign already measured" },
	{ "once", O_ONCE, K_FLAG, 0, 0, 0, NULL,
	  "measure one round, then exit" },
	{ "requeue-rejected", O_REQUEUE, K_FLAG, 2, 0, 0, NULL,
	  "first put the batches in DIR/rejected back in the queue" },
	{ "config", O_CONFIG, K_STR, 1, 0, 0, "FILE",
	  "read `name = value` options from FILE (the command line wins)" },
	{ "verbose", O_VERBOSE, K_COUNT, 1, 0, 0, NULL,
	  "-v: more logging (repeat for debug)" },
	{ "quiet", O_QUIET, K_FLAG, 1, 0, 0, NULL,
	  "-q: errors only" },
	{ "help", O_HELP, K_FLAG, 1, 0, 0, NULL, "this text" },
};

#define N_DEFS	(sizeof defs / sizeof defs[0])

static const struct opt_def *
def_by_val(int val)
{
	size_t	i;

	for (i = 0; i < N_DEFS; i++) {
		if (defs[i].val == val)
			return &defs[i];
	}
	return NULL;
}

static const struct opt_def *
def_by_name(const char *name)
{
	size_t	i;

	for (i = 0; i < N_DEFS; i++) {
		if (strcmp(defs[i].name, name) == 0)
			return &defs[i];
	}
	return NULL;
}

static void
set_str(char **p, const char *v)
{
	free(*p);
	*p = xstrdup(v);
}

static int
parse_bool(const char *v, int *out)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
	    strcmp(v, "1") == 0 || strcasecmp(v, "on") == 0)
		*out = 1;
	else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ||
	    strcmp(v, "0") == 0 || strcasecmp(v, "off") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

/*
 * Apply one option.  from_cli: the first command-line use of a list
 * option replaces what a config file gave.  Returns 0, or -1 with a
 * message in err.
 */
static int
apply(struct config *c, const struct opt_def *d, const char *v, int from_cli,
    unsigned int *cli_lists, char *err, size_t errlen)
{
	struct dns_server srv;
	char		 host[256];
	long		 n;
	int		 b;
	struct strlist	*l = NULL;

	if (d->kind == K_STR && (v == NULL || *v == '\0')) {
		snprintf(err, errlen, "--%s: empty value", d->name);
		return -1;
	}
	switch (d->val) {
	case O_TARGETS:
		l = &c->targets;
		break;
	case O_RESOLVER:
		l = &c->resolvers;
		if (dns_parse_spec(v, &srv) != 0) {
			snprintf(err, errlen, "--resolver %s: want system, "
			    "ADDR[:PORT], tls://HOST[:PORT] or "
			    "https://HOST[:PORT]/PATH", v);
			return -1;
		}
		break;
	case O_FINGERPRINTS:
		l = &c->fingerprints;
		break;
	case O_CONTROL:
		l = &c->controls;
		if (strcmp(v, "none") != 0 &&
		    check_collector(v, host, sizeof host) != 0) {
			snprintf(err, errlen, "--control %s: %s", v, host);
			return -1;
		}
		break;
	case O_COLLECTOR:
		l = &c->collectors;
		if (check_collector(v, host, sizeof host) != 0) {
			snprintf(err, errlen, "--collector %s: %s", v, host);
			return -1;
		}
		break;
	}
	if (l != NULL) {
		if (*v == '\0') {
			snprintf(err, errlen, "--%s: empty value", d->name);
			return -1;
		}
		if (from_cli && !(*cli_lists & (1U << (d->val - O_TARGETS)))) {
			*cli_lists |= 1U << (d->val - O_TARGETS);
			strlist_clear(l);
		}
		strlist_add(l, v);
		return 0;
	}
	if (d->kind == K_LONG) {
		if (util_parse_long(v, d->min, d->max, &n) != 0) {
			snprintf(err, errlen, "--%s %s: want a whole number "
			    "from %ld to %ld", d->name, v, d->min, d->max);
			return -1;
		}
		switch (d->val) {
		case O_TIMEOUT: c->timeout_ms = n; break;
		case O_DNS_LINGER: c->dns_linger_ms = n; break;
		case O_CONCURRENCY: c->concurrency = n; break;
		case O_INTERVAL: c->interval_s = n; break;
		case O_JITTER: c->jitter_s = n; break;
		case O_MAX_SPOOL: c->max_spool_mb = n; break;
		case O_RATE: c->rate = n; break;
		case O_PER_ADDRESS: c->per_address = n; break;
		case O_HTTP_MAX_BODY: c->http_max_body = n; break;
		}
		return 0;
	}
	if (d->kind == K_FLAG || d->kind == K_COUNT) {
		b = 1;
		if (v != NULL && d->kind == K_COUNT &&
		    util_parse_long(v, 0, 3, &n) == 0)
			b = (int)n;
		else if (v != NULL && parse_bool(v, &b) != 0) {
			snprintf(err, errlen, "%s %s: want yes or no", d->name,
			    v);
			return -1;
		}
		switch (d->val) {
		case O_ONCE: c->once = b; break;
		case O_HTTP: c->http = b; break;
		case O_KEEP_CERTS: c->keep_certs = b; break;
		case O_RESUME: c->resume = b; break;
		case O_REQUEUE: c->requeue_rejected = b; break;
		case O_QUIET: c->quiet = b; break;
		case O_VERBOSE:
			if (v == NULL)
				c->verbose++;
			else
				c->verbose = b;
			break;
		}
		return 0;
	}
	switch (d->val) {
	case O_RESULTS: set_str(&c->results, v); break;
	case O_CONTROL_RESOLVER:
		if (strcmp(v, "system") == 0 ||
		    dns_parse_spec(v, &srv) != 0) {
			snprintf(err, errlen, "--control-resolver %s: want "
			    "ADDR[:PORT], tls://HOST[:PORT] or "
			    "https://HOST[:PORT]/PATH", v);
			return -1;
		}
		set_str(&c->control_resolver, v);
		break;
	case O_CA_FILE: set_str(&c->ca_file, v); break;
	case O_ICA: set_str(&c->interception_cas, v); break;
	case O_SCHEDULE: set_str(&c->schedule, v); break;
	case O_COLLECTOR_CA: set_str(&c->collector_ca, v); break;
	case O_TOKEN_FILE: set_str(&c->token_file, v); break;
	case O_PROBE_ID:
		if (!spool_valid_probe_id(v)) {
			snprintf(err, errlen, "--probe-id %s: want 1 to 64 "
			    "letters, digits, '-', '_' or '.'", v);
			return -1;
		}
		set_str(&c->probe_id, v);
		break;
	case O_CAMPAIGN:
		if (strlen(v) > 256) {
			snprintf(err, errlen, "--campaign: longer than 256");
			return -1;
		}
		set_str(&c->campaign, v);
		break;
	case O_CONTROL_SNI:
		if (strlen(v) > 253 || strpbrk(v, " \t/:") != NULL) {
			snprintf(err, errlen, "--control-sni %s: not a host "
			    "name", v);
			return -1;
		}
		set_str(&c->control_sni, v);
		break;
	case O_CONFIG: set_str(&c->config_file, v); break;
	}
	return 0;
}

static char *
trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* Options whose value is a file or directory: relative to the config file. */
static int
is_path_option(const char *name)
{
	static const char *const names[] = {
		"targets", "results", "ca-file", "interception-cas",
		"collector-ca", "token-file", "fingerprints", NULL
	};
	size_t	i;

	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(names[i], name) == 0)
			return 1;
	}
	return 0;
}

/*
 * A value as written after '=': a comment after whitespace is dropped;
 * a value in matching double or single quotes is unquoted (then '#'
 * inside is kept).  Returns the value (in place), or NULL with *why set.
 */
static char *
config_value(char *v, const char **why)
{
	char	*end, *hash, q;

	v = trim(v);
	if (*v == '"' || *v == '\'') {
		q = *v;
		if ((end = strchr(v + 1, q)) == NULL) {
			*why = "quote not closed";
			return NULL;
		}
		*end = '\0';
		end = trim(end + 1);
		if (*end != '\0' && *end != '#') {
			*why = "text after the closing quote";
			return NULL;
		}
		return v + 1;
	}
	/* A comment after the value must follow whitespace. */
	for (hash = v; (hash = strchr(hash, '#')) != NULL; hash++) {
		if (hash > v && (hash[-1] == ' ' || hash[-1] == '\t')) {
			*hash = '\0';
			break;
		}
	}
	return trim(v);
}

int
config_load_file(struct config *c, const char *path)
{
	const struct opt_def	*d;
	const char		*why = "";
	char			 err[512], *data = NULL, *line, *next;
	char			*name, *val, *eq, *dir = NULL, *full = NULL;
	unsigned int		 lists = 0;
	size_t			 lineno = 0, len = 0, n, i;
	int			 rc = -1;

	if (util_read_file(path, CONFIG_MAX_SIZE, &data, &len, err,
	    sizeof err) != 0) {
		log_error("%s: %s", path, err);
		return -1;
	}
	/* A NUL byte: not a text file (or a damaged one). */
	for (i = 0, n = 1; i < len; i++) {
		if (data[i] == '\0') {
			log_error("%s:%zu: a NUL byte: this is not a text "
			    "configuration file", path, n);
			goto out;
		}
		if (data[i] == '\n')
			n++;
	}
	if ((eq = strrchr(path, '/')) != NULL)
		dir = xstrndup(path, (size_t)(eq - path) + 1);
	line = data;
	if (len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
		line += 3;		/* a UTF-8 byte order mark */
	for (; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strlen(line) > CONFIG_MAX_LINE) {
			log_error("%s:%zu: line longer than %d characters",
			    path, lineno, CONFIG_MAX_LINE);
			goto out;
		}
		name = trim(line);
		if (*name == '\0' || *name == '#')
			continue;
		if ((eq = strchr(name, '=')) == NULL) {
			log_error("%s:%zu: want 'name = value'", path, lineno);
			goto out;
		}
		*eq = '\0';
		name = trim(name);
		if ((val = config_value(eq + 1, &why)) == NULL) {
			log_error("%s:%zu: %s: %s", path, lineno, name, why);
			goto out;
		}
		if (strncmp(name, "--", 2) == 0)
			name += 2;
		if ((d = def_by_name(name)) == NULL || d->val == O_HELP ||
		    d->val == O_CONFIG) {
			log_error("%s:%zu: unknown option '%s'", path, lineno,
			    name);
			goto out;
		}
		if (*val == '\0' && d->kind != K_FLAG && d->kind != K_COUNT) {
			log_error("%s:%zu: %s: empty value", path, lineno, name);
			goto out;
		}
		free(full);
		full = NULL;
		if (dir != NULL && *val != '\0' && *val != '/' &&
		    is_path_option(name)) {
			xasprintf(&full, "%s%s", dir, val);
			val = full;
		}
		if (apply(c, d, *val != '\0' ? val : NULL, 0, &lists, err,
		    sizeof err) != 0) {
			log_error("%s:%zu: %s", path, lineno, err);
			goto out;
		}
	}
	rc = 0;
out:
	free(data);
	free(dir);
	free(full);
	return rc;
}

/* "  LEFT    help text" with the help wrapped at 79 columns. */
static void
usage_line(FILE *f, const char *left, const char *help)
{
	const int	 col = 29, width = 79 - 29;
	const char	*p = help, *brk;
	int		 n;

	if (strlen(left) > (size_t)col - 3)
		fprintf(f, "  %s\n%*s", left, col, "");
	else
		fprintf(f, "  %-*s", col - 2, left);
	while (*p != '\0') {
		n = (int)strlen(p);
		if (n > width) {
			for (brk = p + width; brk > p && *brk != ' '; brk--)
				;
			n = brk > p ? (int)(brk - p) : width;
		}
		fprintf(f, "%.*s\n", n, p);
		p += n;
		while (*p == ' ')
			p++;
		if (*p != '\0')
			fprintf(f, "%*s", col, "");
	}
	if (*help == '\0')
		fputc('\n', f);
}

static void
config_usage(FILE *f, int upload_only)
{
	char	left[64];
	size_t	i;

	if (upload_only)
		fprintf(f, "usage: nightjar upload [options]\n\n"
		    "Upload the pending spool once and exit (0 when nothing "
		    "is left pending,\n1 otherwise).\n\n");
	else
		fprintf(f, "usage: nightjar run [--once] [options]\n\n"
		    "Measure the targets on a schedule (or one round with "
		    "--once), spool the\nrecords, upload them when a collector "
		    "is set.\n\n");
	fprintf(f, "options (also `name = value` lines in --config FILE):\n");
	for (i = 0; i < N_DEFS; i++) {
		const struct opt_def	*d = &defs[i];

		if ((upload_only && !d->upload) ||
		    (!upload_only && d->upload == 2))
			continue;
		if (d->val == O_VERBOSE || d->val == O_QUIET ||
		    d->val == O_HELP)
			snprintf(left, sizeof left, "-%c, --%s", d->val,
			    d->name);
		else
			snprintf(left, sizeof left, "--%s%s%s", d->name,
			    d->arg != NULL ? " " : "",
			    d->arg != NULL ? d->arg : "");
		usage_line(f, left, d->help);
	}
}

int
config_parse_args(struct config *c, int argc, char **argv, int upload_only)
{
	struct option		 lopts[N_DEFS + 1];
	const struct opt_def	*d;
	const char		*cmd = upload_only ? "upload" : "run";
	char			 err[512], *file = NULL;
	unsigned int		 lists = 0;
	size_t			 i;
	int			 ch, rc = -1, after_targets = 0;

	for (i = 0; i < N_DEFS; i++) {
		lopts[i].name = defs[i].name;
		lopts[i].has_arg = defs[i].kind == K_FLAG ||
		    defs[i].kind == K_COUNT ? no_argument : required_argument;
		lopts[i].flag = NULL;
		lopts[i].val = defs[i].val;
	}
	memset(&lopts[N_DEFS], 0, sizeof lopts[N_DEFS]);

	/* First pass: --help and --config only, quietly. */
	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "-vqh", lopts, NULL)) != -1) {
		if (ch == O_HELP) {
			config_usage(stdout, upload_only);
			return 1;
		}
		if (ch == O_CONFIG) {
			free(file);
			file = xstrdup(optarg);
		}
	}
	if (file != NULL) {
		if (config_load_file(c, file) != 0) {
			free(file);
			return -1;
		}
		set_str(&c->config_file, file);
		free(file);
	}

	/* Second pass: everything, the command line over the file. */
	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "-:vqh", lopts, NULL)) != -1) {
		/*
		 * Names right after --targets are lists too, so that a
		 * shell glob after --targets takes every file it names.
		 */
		if (ch == 1 && after_targets && !upload_only) {
			strlist_add(&c->targets, optarg);
			continue;
		}
		if (ch == 1) {
			log_error("unexpected argument '%s'", optarg);
			goto usage;
		}
		after_targets = ch == O_TARGETS;
		if (ch == '?' || ch == ':') {
			if (ch == ':')
				log_error("'%s' needs a value",
				    argv[optind - 1]);
			else
				log_error("unknown option '%s'",
				    argv[optind - 1]);
			goto usage;
		}
		d = def_by_val(ch);
		if (d == NULL)
			goto usage;
		if (upload_only && !d->upload) {
			log_error("--%s is an option of 'run', not of "
			    "'upload'", d->name);
			goto usage;
		}
		if (!upload_only && d->upload == 2) {
			log_error("--%s is an option of 'upload', not of "
			    "'run'", d->name);
			goto usage;
		}
		if (d->val == O_CONFIG)
			continue;
		if (apply(c, d, optarg, 1, &lists, err, sizeof err) != 0) {
			log_error("%s", err);
			goto out;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument '%s'", argv[optind]);
		goto usage;
	}
	if (c->quiet || c->verbose > 0)
		log_set_verbosity(c->verbose, c->quiet);
	rc = 0;
	goto out;
usage:
	fprintf(stderr, "'nightjar %s --help' lists the options\n", cmd);
out:
	opterr = 1;
	return rc;
}
