/*
 * nightjar show [--pending] [PATH...]: print records as JSON Lines in
 * start_time order.  A directory means its pending *.msgpack and (without
 * --pending) sent/ *.msgpack; a damaged or foreign file is warned about by
 * name and nothing of it is printed; a record that fails validation in an
 * otherwise good file is named and skipped, the others are printed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/*
 * show streams: the output is every good record in (start_time, read
 * order) order, but no more than a few files' worth is ever held.
 *
 * Pass 1 reads each file once (the whole file is checked, bad records
 * named) and keeps only its time range and which records were bad.  The
 * merge then takes files in order of their first start_time: a file
 * joins when its earliest record is due, with a sorted index of its
 * records (start_ms, offset, length: no record bytes), and leaves when
 * its last record is printed.  Records are read back one at a time with
 * pread() from the file, held open while it is in the merge.  Spools are
 * written in time order, so only files whose time ranges overlap are in
 * the merge together: memory follows the overlap, not the spool's size.
 */
struct show_entry {
	int64_t		 start_ms;
	uint64_t	 off;
	uint32_t	 len;
	uint32_t	 idx;		/* in its file: ties keep read order */
};

struct show_file {
	char		*path;
	size_t		 order;		/* read order of the file */
	uint64_t	 size;		/* as pass 1 read it */
	int64_t		 min_ms;
	size_t		 n_good;
	size_t		*bad;		/* indices of bad records, sorted */
	size_t		 n_bad;
	/* In the merge: */
	int		 fd;
	struct show_entry *v;
	size_t		 n;
	size_t		 next;
};

struct show {
	struct show_file	*f;
	size_t			 n;
	size_t			 cap;
	/* The file being read by pass 1. */
	struct show_file	*cur;
	size_t			 file_n;
	size_t			 file_bad;	/* records that failed */
	char			 why[SHOW_MAX_WHY][160];
	/* The merge: a min-heap of files by their next record. */
	struct show_file	**heap;
	size_t			 n_heap;
};

/*
 * The one place a record is looked into: its validity and start time
 * (ms since the epoch).  0, or -1 with err set.
 */
static int
show_record_start(const msgpack_object *o, int64_t *start_ms)
{
	char	t[64];

	if (mp_get_str(o, "start_time", t, sizeof t) != 0)
		return -1;
	if (util_parse_rfc3339_ms(t, start_ms) != 0)
		*start_ms = 0;
	return 0;
}

static int
show_record_key(const msgpack_object *o, int64_t *start_ms, char *err,
    size_t errlen)
{
	if (record_validate(o, err, errlen) != 0)
		return -1;
	if (show_record_start(o, start_ms) != 0) {
		snprintf(err, errlen, "no start_time");
		return -1;
	}
	return 0;
}

static int
show_check_cb(const msgpack_object *o, const char *raw, size_t rawlen,
    void *arg)
{
	struct show		*s = arg;
	struct show_file	*f = s->cur;
	char			 err[128];
	int64_t			 ms;

	(void)raw;
	f->size += rawlen;
	s->file_n++;
	/* A bad record costs only itself: the others of its file stay. */
	if (show_record_key(o, &ms, err, sizeof err) != 0) {
		if (s->file_bad < SHOW_MAX_WHY)
			snprintf(s->why[s->file_bad], sizeof s->why[0],
			    "record %zu: %s", s->file_n, err);
		s->file_bad++;
		f->bad = xreallocarray(f->bad, f->n_bad + 1, sizeof *f->bad);
		f->bad[f->n_bad++] = s->file_n - 1;
		return 0;
	}
	if (f->n_good == 0 || ms < f->min_ms)
		f->min_ms = ms;
	f->n_good++;
	return 0;
}

static void
show_file_clear(struct show_file *f)
{
	if (f->fd != -1)
		close(f->fd);
	f->fd = -1;
	free(f->v);
	f->v = NULL;
	free(f->bad);
	f->bad = NULL;
	free(f->path);
	f->path = NULL;
}

/* Pass 1 over one file: checked, its bad records named, its range kept. */
static void
show_file(struct show *s, const char *path)
{
	struct show_file	*f;
	size_t			 i;

	if (s->n == s->cap) {
		s->cap = s->cap == 0 ? 64 : s->cap * 2;
		s->f = xreallocarray(s->f, s->cap, sizeof *s->f);
	}
	f = &s->f[s->n];
	memset(f, 0, sizeof *f);
	f->fd = -1;
	f->path = xstrdup(path);
	f->order = s->n;
	s->cur = f;
	s->file_n = 0;
	s->file_bad = 0;
	if (spool_read_file(path, show_check_cb, s) != 0) {
		show_file_clear(f);	/* warned */
		return;
	}
	if (s->file_bad == s->file_n) {
		log_warn("%s: not a nightjar record file (%s); skipped", path,
		    s->why[0]);
		show_file_clear(f);
		return;
	}
	for (i = 0; i < s->file_bad && i < SHOW_MAX_WHY; i++)
		log_warn("%s: %s; skipped", path, s->why[i]);
	if (s->file_bad > SHOW_MAX_WHY)
		log_warn("%s: %zu more bad records skipped", path,
		    s->file_bad - SHOW_MAX_WHY);
	s->n++;
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
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Files by their first start_time, then read order. */
static int
cmp_file(const void *a, const void *b)
{
	const struct show_file	*x = a, *y = b;

	if (x->min_ms != y->min_ms)
		return x->min_ms < y->min_ms ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Does file a's next record come before file b's? */
static int
show_before(const struct show_file *a, const struct show_file *b)
{
	const struct show_entry	*x = &a->v[a->next], *y = &b->v[b->next];

	if (x->start_ms != y->start_ms)
		return x->start_ms < y->start_ms;
	return a->order < b->order;
}

static void
heap_down(struct show *s, size_t i)
{
	struct show_file	*t;
	size_t			 c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= s->n_heap)
			break;
		if (c + 1 < s->n_heap && show_before(s->heap[c + 1], s->heap[c]))
			c++;
		if (!show_before(s->heap[c], s->heap[i]))
			break;
		t = s->heap[c];
		s->heap[c] = s->heap[i];
		s->heap[i] = t;
		i = c;
	}
}

static void
heap_push(struct show *s, struct show_file *f)
{
	struct show_file	*t;
	size_t			 i = s->n_heap++, p;

	s->heap[i] = f;
	while (i > 0) {
		p = (i - 1) / 2;
		if (!show_before(s->heap[i], s->heap[p]))
			break;
		t = s->heap[p];
		s->heap[p] = s->heap[i];
		s->heap[i] = t;
		i = p;
	}
}

/*
 * A file joins the merge: read again (it must be as pass 1 saw it), its
 * good records indexed and sorted, the file kept open for pread().
 * -1 (warned) when it changed or went away meanwhile.
 */
static int
show_join(struct show_file *f)
{
	msgpack_unpacked	 u;
	struct stat		 st;
	char			*data = NULL;
	size_t			 len = 0, off, used, i, b = 0;
	int64_t			 ms;
	int			 rc = -1;

	msgpack_unpacked_init(&u);
	if ((f->fd = open(f->path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(f->fd, &st) != 0 || (uint64_t)st.st_size != f->size ||
	    spool_slurp(f->path, &data, &len) != 0 || len != f->size) {
		log_warn("%s: changed or moved while shown; skipped", f->path);
		goto out;
	}
	f->v = xreallocarray(NULL, f->n_good > 0 ? f->n_good : 1,
	    sizeof *f->v);
	for (off = 0, i = 0; off < len; off += used, i++) {
		if (mp_unpack_one(&u, data + off, len - off, &used) != 0)
			break;
		if (b < f->n_bad && f->bad[b] == i) {
			b++;
			continue;
		}
		if (f->n >= f->n_good || show_record_start(&u.data, &ms) != 0)
			break;
		f->v[f->n].start_ms = ms;
		f->v[f->n].off = off;
		f->v[f->n].len = (uint32_t)used;
		f->v[f->n].idx = (uint32_t)i;
		f->n++;
	}
	if (off != len || f->n != f->n_good) {
		log_warn("%s: changed while shown; skipped", f->path);
		goto out;
	}
	qsort(f->v, f->n, sizeof *f->v, cmp_entry);
	rc = 0;
out:
	msgpack_unpacked_destroy(&u);
	free(data);
	return rc;
}

/* Print one record (table, OONI or JSON line); -1 when stdout fails. */
static int
show_print(const msgpack_object *o, struct show_ooni *ooni, int table,
    struct buf *line)
{
	line->len = 0;
	if (table)
		show_table_line(o, line);	/* with '\n' */
	else {
		if (ooni != NULL)
			show_ooni_record(ooni, o, line);
		else
			mp_to_json(o, line);
		buf_add(line, "\n", 1);
	}
	return fwrite(line->data, 1, line->len, stdout) == line->len ? 0 : -1;
}

/* The merge: every good record, in order, one at a time. */
static void
show_merge(struct show *s, struct show_ooni *ooni, int table)
{
	struct show_file	*f;
	struct buf		 raw = { NULL, 0, 0 }, line = { NULL, 0, 0 };
	msgpack_unpacked	 u;
	const struct show_entry	*e;
	size_t			 next = 0, used;
	ssize_t			 got;

	if (s->n > 1)
		qsort(s->f, s->n, sizeof *s->f, cmp_file);
	s->heap = xreallocarray(NULL, s->n > 0 ? s->n : 1, sizeof *s->heap);
	msgpack_unpacked_init(&u);
	for (;;) {
		/* Every file whose first record is due joins. */
		while (next < s->n && (s->n_heap == 0 || s->f[next].min_ms <=
		    s->heap[0]->v[s->heap[0]->next].start_ms)) {
			f = &s->f[next++];
			if (show_join(f) == 0 && f->n > 0)
				heap_push(s, f);
			else
				show_file_clear(f);
		}
		if (s->n_heap == 0)
			break;
		f = s->heap[0];
		e = &f->v[f->next++];
		if (raw.cap < e->len) {
			raw.data = xrealloc(raw.data, e->len);
			raw.cap = e->len;
		}
		got = pread(f->fd, raw.data, e->len, (off_t)e->off);
		if (got == (ssize_t)e->len && mp_unpack_one(&u, raw.data,
		    e->len, &used) == 0 && show_print(&u.data, ooni, table,
		    &line) != 0)
			break;		/* stdout: said by the caller */
		if (f->next == f->n) {
			show_file_clear(f);
			s->heap[0] = s->heap[--s->n_heap];
		}
		if (s->n_heap > 0)
			heap_down(s, 0);
	}
	msgpack_unpacked_destroy(&u);
	buf_free(&raw);
	buf_free(&line);
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
	char				**paths;
	size_t				 i, npaths;
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

	if (table) {
		show_table_header(&line);
		fwrite(line.data, 1, line.len, stdout);
	}
	show_merge(&s, ooni, table);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error("stdout: %s", strerror(errno));
		rc = 1;
	}
	show_ooni_free(ooni);
	buf_free(&line);
	for (i = 0; i < s.n; i++)
		show_file_clear(&s.f[i]);
	free(s.f);
	free(s.heap);
	return rc;
}
