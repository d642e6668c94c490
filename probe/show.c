/*
 * nightjar show [--pending] [PATH...]: print records as JSON Lines in
 * start_time order.  A directory means its pending *.msgpack and (without
 * --pending) sent/ *.msgpack; a damaged or foreign file is warned about by
 * name and nothing of it is printed; a record that fails validation in an
 * otherwise good file is named and skipped, the others are printed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "log.h"
#include "mp.h"
#include "record.h"
#include "show-ooni.h"
#include "show-table.h"
#include "spool.h"
#include "util.h"
#include "xmalloc.h"

#define SHOW_MAX_WHY	4	/* bad records of one file named on stderr */

struct show_entry {
	int64_t		 start_ms;
	size_t		 seq;		/* read order, for a stable sort */
	size_t		 off;		/* raw bytes in show.raw */
	size_t		 len;
};

struct show {
	struct buf		 raw;		/* every kept record's msgpack */
	struct show_entry	*v;
	size_t			 n;
	size_t			 cap;
	/* The file being read. */
	const char		*path;
	size_t			 file_n;
	size_t			 file_bad;	/* records that failed */
	char			 why[SHOW_MAX_WHY][160];
};

static int
show_cb(const msgpack_object *o, const char *raw, size_t rawlen, void *arg)
{
	struct show		*s = arg;
	struct show_entry	*e;
	char			 t[64], err[128];

	s->file_n++;
	/* A bad record costs only itself: the others of its file stay. */
	if (record_validate(o, err, sizeof err) != 0 ||
	    mp_get_str(o, "start_time", t, sizeof t) != 0) {
		if (s->file_bad < SHOW_MAX_WHY)
			snprintf(s->why[s->file_bad], sizeof s->why[0],
			    "record %zu: %s", s->file_n, err);
		s->file_bad++;
		return 0;
	}
	if (s->n == s->cap) {
		s->cap = s->cap == 0 ? 256 : s->cap * 2;
		s->v = xreallocarray(s->v, s->cap, sizeof *s->v);
	}
	e = &s->v[s->n];
	if (util_parse_rfc3339_ms(t, &e->start_ms) != 0)
		e->start_ms = 0;
	e->seq = s->n;
	e->off = s->raw.len;
	e->len = rawlen;
	buf_add(&s->raw, raw, rawlen);
	s->n++;
	return 0;
}

static void
show_file(struct show *s, const char *path)
{
	size_t	i;

	s->path = path;
	s->file_n = 0;
	s->file_bad = 0;
	if (spool_read_file(path, show_cb, s) != 0)
		return;		/* warned */
	if (s->file_bad == 0)
		return;
	if (s->file_bad == s->file_n) {
		log_warn("%s: not a nightjar record file (%s); skipped", path,
		    s->why[0]);
		return;
	}
	for (i = 0; i < s->file_bad && i < SHOW_MAX_WHY; i++)
		log_warn("%s: %s; skipped", path, s->why[i]);
	if (s->file_bad > SHOW_MAX_WHY)
		log_warn("%s: %zu more bad records skipped", path,
		    s->file_bad - SHOW_MAX_WHY);
}

static int
show_dir(struct show *s, const char *dir, int pending)
{
	struct spool_files	f;
	size_t			i;
	int			sent;

	for (sent = 0; sent <= (pending ? 0 : 1); sent++) {
		if (spool_list(dir, sent, &f) != 0)
			return -1;
		for (i = 0; i < f.n; i++)
			show_file(s, f.path[i]);
		spool_files_free(&f);
	}
	return 0;
}

static int
cmp_entry(const void *a, const void *b)
{
	const struct show_entry	*x = a, *y = b;

	if (x->start_ms != y->start_ms)
		return x->start_ms < y->start_ms ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: nightjar show [--pending] [--format json|ooni|table] "
	    "[PATH...]\n"
	    "\n"
	    "Print records as JSON Lines (one record a line) in start_time "
	    "order.\n"
	    "PATH is a record file or a results directory (its *.msgpack and "
	    "sent/*.msgpack);\n"
	    "the default is ./results.\n"
	    "\n"
	    "  --pending   only records not yet uploaded (DIR/*.msgpack)\n"
	    "  --format F  json (the records as they are, the default) or "
	    "ooni (one OONI\n"
	    "              measurement a line: OONI's data formats df-000, "
	    "-001, -002,\n"
	    "              -005 and -006) or table (one line a record for "
	    "people:\n"
	    "              local time, target, status, method, detail)\n"
	    "  -v, -q      more or less logging\n"
	    "  -h, --help  this text\n");
}

int
cmd_show(int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "pending", no_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static char			*defpath[] = { "./results", NULL };
	struct show			 s;
	struct stat			 st;
	struct buf			 line = { NULL, 0, 0 };
	msgpack_unpacked		 u;
	char				**paths;
	size_t				 i, npaths, used;
	struct show_ooni		*ooni = NULL;
	int				 c, pending = 0, rc = 0, table = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hvq", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pending = 1;
			break;
		case 'f':
			table = strcmp(optarg, "table") == 0;
			if (strcmp(optarg, "ooni") == 0) {
				if (ooni == NULL)
					ooni = show_ooni_new();
			} else if (strcmp(optarg, "json") == 0 || table) {
				show_ooni_free(ooni);
				ooni = NULL;
			} else {
				log_error("--format: '%s' is not json, ooni "
				    "or table", optarg);
				show_ooni_free(ooni);
				return 2;
			}
			break;
		case 'v':
			log_set_level(LOG_DEBUG);
			break;
		case 'q':
			log_set_level(LOG_ERROR);
			break;
		case 'h':
			show_ooni_free(ooni);
			usage(stdout);
			return 0;
		default:
			show_ooni_free(ooni);
			if (c == ':')
				log_error("'%s' needs a value",
				    argv[optind - 1]);
			else
				log_error("unknown option '%s'",
				    argv[optind - 1]);
			fprintf(stderr, "'nightjar show --help' lists the "
			    "options\n");
			return 2;
		}
	}
	paths = argv + optind;
	npaths = (size_t)(argc - optind);
	if (npaths == 0) {
		paths = defpath;
		npaths = 1;
	}

	memset(&s, 0, sizeof s);
	for (i = 0; i < npaths; i++) {
		if (stat(paths[i], &st) != 0) {
			log_error("%s: %s", paths[i], strerror(errno));
			rc = 2;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (show_dir(&s, paths[i], pending) != 0)
				rc = 2;
		} else
			show_file(&s, paths[i]);
	}

	if (s.n > 1)
		qsort(s.v, s.n, sizeof *s.v, cmp_entry);
	msgpack_unpacked_init(&u);
	if (table) {
		show_table_header(&line);
		fwrite(line.data, 1, line.len, stdout);
	}
	for (i = 0; i < s.n; i++) {
		if (mp_unpack_one(&u, s.raw.data + s.v[i].off, s.v[i].len,
		    &used) != 0)
			continue;	/* cannot happen: read once already */
		line.len = 0;
		if (table)
			show_table_line(&u.data, &line);	/* with '\n' */
		else {
			if (ooni != NULL)
				show_ooni_record(ooni, &u.data, &line);
			else
				mp_to_json(&u.data, &line);
			buf_add(&line, "\n", 1);
		}
		if (fwrite(line.data, 1, line.len, stdout) != line.len)
			break;
	}
	msgpack_unpacked_destroy(&u);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error("stdout: %s", strerror(errno));
		rc = 1;
	}
	show_ooni_free(ooni);
	buf_free(&line);
	buf_free(&s.raw);
	free(s.v);
	return rc;
}
