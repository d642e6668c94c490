/*
 * store-query: the store's queries from the command line, for tests and
 * benches.  Prints one line per row, fields separated by '|', NULL as
 * "-", then "done OK|UNAVAILABLE|ERROR".  A cell ends with its
 * handshake times and its download costs, each sorted and separated by
 * ','.
 *
 * usage: store-query URI records|probes|hosts|cells [--host H]
 *        [--probe ID] [--network N] [--status S] [--since MS]
 *        [--until MS] [--hour H [--hour-end E]] [--limit N]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define S(x)	((x) != NULL ? (x) : "-")

static int
rec_row(const struct store_record *r, void *arg)
{
	(void)arg;
	printf("%s|%s|%s|%s|%s|%zu\n", S(r->id), S(r->probe_id),
	    S(r->probe_asn), S(r->probe_network), S(r->probe_cc), r->rawlen);
	return 0;
}

static int
probe_row(const struct store_probe *p, void *arg)
{
	(void)arg;
	printf("%s|%s|%s|%s|%lld\n", S(p->probe_id), S(p->probe_asn),
	    S(p->probe_network), S(p->probe_cc), (long long)p->records);
	return 0;
}

static int
host_row(const struct store_host *h, void *arg)
{
	(void)arg;
	printf("%s|%s|%s|%s|%lld|%lld\n", S(h->host), S(h->status),
	    S(h->method), S(h->start_time), (long long)h->records,
	    (long long)h->failed);
	return 0;
}

static int
dbl_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorted: the backends list them in any order. */
static void
print_list(const double *list, size_t n)
{
	double	*v;
	size_t	 i;

	if (n == 0)
		return;
	if ((v = malloc(n * sizeof *v)) == NULL)
		return;
	memcpy(v, list, n * sizeof *v);
	qsort(v, n, sizeof *v, dbl_cmp);
	for (i = 0; i < n; i++)
		printf("%s%g", i ? "," : "", v[i]);
	free(v);
}

static int
cell_row(const struct store_cell *c, void *arg)
{
	(void)arg;
	printf("%s|%s|%d|%s|%s|%lld|", S(c->host), S(c->day), c->hour,
	    S(c->status), S(c->method), (long long)c->n);
	print_list(c->tls, c->ntls);
	printf("|");
	print_list(c->dl, c->ndl);
	printf("\n");
	return 0;
}

static void
done(enum store_rc rc, void *arg)
{
	*(enum store_rc *)arg = rc;
}

int
main(int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "probe", required_argument, NULL, 'p' },
		{ "network", required_argument, NULL, 'n' },
		{ "status", required_argument, NULL, 's' },
		{ "since", required_argument, NULL, 'a' },
		{ "until", required_argument, NULL, 'b' },
		{ "hour", required_argument, NULL, 'h' },
		{ "hour-end", required_argument, NULL, 'e' },
		{ "limit", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	struct store_filter	 f;
	struct store		*st;
	enum store_rc		 rc = STORE_ERROR;
	const char		*what;
	int			 ch;

	store_filter_init(&f);
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'H': f.host = optarg; break;
		case 'p': f.probe_id = optarg; break;
		case 'n': f.network = optarg; break;
		case 's': f.status = optarg; break;
		case 'a': f.since_ms = strtoll(optarg, NULL, 10); break;
		case 'b': f.until_ms = strtoll(optarg, NULL, 10); break;
		case 'h': f.hour = atoi(optarg); break;
		case 'e': f.hour_end = atoi(optarg); break;
		case 'l': f.limit = (size_t)strtoul(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (argc - optind != 2)
		return 2;
	if ((st = store_open(argv[optind], NULL, 1)) == NULL)
		return 1;
	what = argv[optind + 1];
	if (strcmp(what, "records") == 0)
		store_records(st, &f, rec_row, done, &rc);
	else if (strcmp(what, "probes") == 0)
		store_probes(st, &f, probe_row, done, &rc);
	else if (strcmp(what, "hosts") == 0)
		store_hosts(st, &f, host_row, done, &rc);
	else if (strcmp(what, "cells") == 0)
		store_cells(st, &f, cell_row, done, &rc);
	else
		return 2;
	store_free(st);
	printf("done %s\n", rc == STORE_OK ? "OK" : rc == STORE_UNAVAILABLE ?
	    "UNAVAILABLE" : "ERROR");
	return rc == STORE_OK ? 0 : 1;
}
