/*
 * pg-raw: the baseline of bench/pg.sh.  Sends batch files (a msgpack
 * array of records each, as uploaded) to PostgreSQL with the very
 * statement the collector uses (INSERT ... SELECT FROM unnest ... ON
 * CONFLICT (id) DO NOTHING, synchronous_commit on), with libpq's blocking
 * calls and no HTTP: what a plain client of the database costs.
 *
 * usage: pg-raw URI BATCHFILE...   (prints "records N")
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "store.h"
#include "xmalloc.h"

static void
done(enum store_rc rc, size_t acc, size_t dup, void *arg)
{
	size_t	*n = arg;

	if (rc != STORE_OK) {
		fprintf(stderr, "pg-raw: insert failed\n");
		exit(1);
	}
	*n += acc + dup;
}

int
main(int argc, char **argv)
{
	struct store	*st;
	struct batch	*b;
	FILE		*f;
	char		*data, err[256];
	long		 len;
	size_t		 n = 0;
	int		 i;

	if (argc < 3)
		return 2;
	if ((st = store_open(argv[1], NULL, 0)) == NULL)
		return 1;
	for (i = 2; i < argc; i++) {
		if ((f = fopen(argv[i], "rb")) == NULL ||
		    fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
		    fseek(f, 0, SEEK_SET) != 0) {
			perror(argv[i]);
			return 1;
		}
		data = xmalloc((size_t)len + 1);
		if (fread(data, 1, (size_t)len, f) != (size_t)len) {
			perror(argv[i]);
			return 1;
		}
		fclose(f);
		if (collector_parse_batch(data, (size_t)len, &b, err,
		    sizeof err) == -1) {
			fprintf(stderr, "pg-raw: %s: %s\n", argv[i], err);
			return 1;
		}
		store_insert(st, b, NULL, done, &n);
		batch_free(b);
		free(data);
	}
	store_free(st);
	printf("records %zu\n", n);
	return 0;
}
