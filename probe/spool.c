/*
 * The results directory: atomic record files, the probe id, listings, and
 * a reader that refuses a damaged file as a whole.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "log.h"
#include "mp.h"
#include "record.h"
#include "spool.h"
#include "util.h"
#include "xmalloc.h"

#define SPOOL_MAX_FILE	(256UL * 1024 * 1024)	/* larger: not ours */
#define PROBE_ID_MAX	64

static int
mkdir_p(const char *dir)
{
	char		*p, *s;
	struct stat	 st;
	int		 rc = -1;

	s = xstrdup(dir);
	for (p = s + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (p[-1] != '/') {
			char	c = *p;

			*p = '\0';
			if (mkdir(s, 0755) != 0 && errno != EEXIST) {
				log_error("%s: %s", s, strerror(errno));
				goto out;
			}
			*p = c;
		}
		if (*p == '\0')
			break;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		log_error("%s: not a directory", dir);
		goto out;
	}
	rc = 0;
out:
	free(s);
	return rc;
}

int
spool_prepare(const char *dir)
{
	char	*sub;
	int	 rc;

	if (dir == NULL || *dir == '\0') {
		log_error("empty results directory name");
		return -1;
	}
	if (mkdir_p(dir) != 0)
		return -1;
	xasprintf(&sub, "%s/sent", dir);
	rc = mkdir_p(sub);
	free(sub);
	if (rc != 0)
		return -1;
	xasprintf(&sub, "%s/rejected", dir);
	rc = mkdir_p(sub);
	free(sub);
	return rc;
}

int
spool_valid_probe_id(const char *s)
{
	size_t	n = 0;

	for (; s[n] != '\0'; n++) {
		char	c = s[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return n > 0 && n <= PROBE_ID_MAX;
}

static int
write_all(int fd, const char *data, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(fd, data, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Write a dot-prefixed temporary in dir and fsync it; return its path
 * (heap) or NULL (logged).
 */
static char *
write_temp(const char *dir, const char *name, const char *data, size_t len)
{
	char		*tmp;
	unsigned char	 r[4];
	char		 hex[9];
	int		 fd, saved;

	if (RAND_bytes(r, sizeof r) != 1)
		memset(r, 0, sizeof r);
	util_hex(r, sizeof r, hex);
	xasprintf(&tmp, "%s/.%s.%ld.%s.tmp", dir, name, (long)getpid(), hex);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1) {
		log_error("%s: %s", tmp, strerror(errno));
		free(tmp);
		return NULL;
	}
	if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		saved = errno;
		close(fd);
		unlink(tmp);
		log_error("%s: %s", tmp, strerror(saved));
		free(tmp);
		return NULL;
	}
	if (close(fd) != 0) {
		saved = errno;
		unlink(tmp);
		log_error("%s: %s", tmp, strerror(saved));
		free(tmp);
		return NULL;
	}
	return tmp;
}

static int
valid_name(const char *name)
{
	return *name != '\0' && *name != '.' && strchr(name, '/') == NULL &&
	    strlen(name) < 200;
}

int
spool_write(const char *dir, const char *name, const char *data, size_t len)
{
	char		 gen[96], ts[32], hex[9], *path = NULL, *tmp = NULL;
	unsigned char	 r[4];
	int64_t		 now;
	size_t		 i, j;
	int		 rc = -1;

	if (name == NULL) {
		now = util_now_ms();
		util_format_rfc3339_ms(now, ts);
		/* 2026-11-25T18:00:03.123Z -> 20261125T180003.123Z */
		for (i = j = 0; ts[i] != '\0'; i++) {
			if (ts[i] != '-' && ts[i] != ':')
				ts[j++] = ts[i];
		}
		ts[j] = '\0';
		if (RAND_bytes(r, sizeof r) != 1) {
			log_error("no randomness available");
			return -1;
		}
		util_hex(r, sizeof r, hex);
		snprintf(gen, sizeof gen, "%s-%s.msgpack", ts, hex);
		name = gen;
	}
	if (!valid_name(name)) {
		log_error("%s: bad spool file name", name);
		return -1;
	}
	xasprintf(&path, "%s/%s", dir, name);
	if ((tmp = write_temp(dir, name, data, len)) == NULL)
		goto out;
	if (rename(tmp, path) != 0) {
		log_error("%s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (util_fsync_dir(dir) != 0) {
		log_error("%s: fsync: %s", dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	free(path);
	return rc;
}

/* Read a small text file whole; NULL when missing (errno set). */
static char *
read_small(const char *path, size_t max, size_t *lenp)
{
	char	*buf;
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	buf = xmalloc(max + 1);
	for (;;) {
		n = read(fd, buf + len, max + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len > max)
			break;
	}
	close(fd);
	if (n == -1) {
		free(buf);
		return NULL;
	}
	buf[len > max ? max : len] = '\0';
	*lenp = len;
	return buf;
}

char *
spool_probe_id(const char *dir)
{
	char		*path, *tmp = NULL, *buf = NULL, *id = NULL;
	char		 uuid[UUID_STRLEN + 2];
	size_t		 len;
	int		 tries;

	xasprintf(&path, "%s/probe-id", dir);
	for (tries = 0; tries < 2; tries++) {
		if ((buf = read_small(path, PROBE_ID_MAX + 2, &len)) != NULL) {
			buf[strcspn(buf, "\r\n")] = '\0';
			if (len > PROBE_ID_MAX + 1 ||
			    !spool_valid_probe_id(buf)) {
				log_error("%s: not a valid probe id (letters, "
				    "digits, '-', '_', '.'; at most %d)", path,
				    PROBE_ID_MAX);
				goto out;
			}
			id = buf;
			buf = NULL;
			goto out;
		}
		if (errno != ENOENT) {
			log_error("%s: %s", path, strerror(errno));
			goto out;
		}
		/* Create it; link() so a concurrent creator wins cleanly. */
		util_uuid4(uuid);
		strcat(uuid, "\n");
		if ((tmp = write_temp(dir, "probe-id", uuid,
		    strlen(uuid))) == NULL)
			goto out;
		if (link(tmp, path) != 0 && errno != EEXIST) {
			log_error("%s: %s", path, strerror(errno));
			unlink(tmp);
			goto out;
		}
		unlink(tmp);
		free(tmp);
		tmp = NULL;
		util_fsync_dir(dir);
	}
	log_error("%s: cannot create", path);
out:
	free(tmp);
	free(buf);
	free(path);
	return id;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
spool_list(const char *dir, int sent, struct spool_files *out)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		*sub, *path;
	size_t		 n;

	out->path = NULL;
	out->n = 0;
	if (sent)
		xasprintf(&sub, "%s/sent", dir);
	else
		sub = xstrdup(dir);
	if ((d = opendir(sub)) == NULL) {
		if (sent && errno == ENOENT) {
			free(sub);
			return 0;
		}
		log_error("%s: %s", sub, strerror(errno));
		free(sub);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		n = strlen(de->d_name);
		if (n <= 8 || strcmp(de->d_name + n - 8, ".msgpack") != 0)
			continue;
		xasprintf(&path, "%s/%s", sub, de->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		out->path = xreallocarray(out->path, out->n + 1,
		    sizeof *out->path);
		out->path[out->n++] = path;
	}
	closedir(d);
	free(sub);
	if (out->n > 0)
		qsort(out->path, out->n, sizeof *out->path, cmp_str);
	return 0;
}

void
spool_files_free(struct spool_files *f)
{
	size_t	i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++)
		free(f->path[i]);
	free(f->path);
	f->path = NULL;
	f->n = 0;
}

static int
is_map_header(unsigned char c)
{
	return (c >= 0x80 && c <= 0x8f) || c == 0xde || c == 0xdf;
}

int
spool_slurp(const char *path, char **datap, size_t *lenp)
{
	struct stat	 st;
	char		*data = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd = -1, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("%s: %s; skipped", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		log_warn("%s: not a regular file; skipped", path);
		goto out;
	}
	if ((uint64_t)st.st_size > SPOOL_MAX_FILE) {
		log_warn("%s: larger than %lu bytes, not a record file; "
		    "skipped", path, SPOOL_MAX_FILE);
		goto out;
	}
	data = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size + 1) {
		n = read(fd, data + len, (size_t)st.st_size + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn("%s: %s; skipped", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > (size_t)st.st_size) {
		log_warn("%s: changed while reading; skipped", path);
		goto out;
	}
	if (len == 0) {
		log_warn("%s: empty file; skipped", path);
		goto out;
	}

	*datap = data;
	*lenp = len;
	data = NULL;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	free(data);
	return rc;
}

int
spool_read_file(const char *path, spool_record_cb cb, void *arg)
{
	msgpack_unpacked	 u;
	struct mp_cursor	 c;
	char			*data = NULL;
	const char		*why = NULL;
	size_t			 len = 0, start;
	int			 rc = -1;

	msgpack_unpacked_init(&u);
	if (spool_slurp(path, &data, &len) != 0)
		goto out;

	/* First the whole file's structure, so a damaged one yields nothing. */
	mp_cursor_init(&c, data, len, NULL);
	while (!mp_cursor_end(&c)) {
		if (!is_map_header(c.p[c.pos])) {
			why = "not a msgpack map";
			break;
		}
		if (mp_cursor_skip(&c) != 0) {
			why = c.err;
			break;
		}
	}
	if (why != NULL) {
		log_warn("%s: damaged (%s at byte %zu); skipped", path, why,
		    c.pos);
		goto out;
	}
	/* Then each record decoded once. */
	mp_cursor_init(&c, data, len, NULL);
	while (!mp_cursor_end(&c)) {
		start = c.pos;
		if (mp_cursor_unpack(&c, &u) != 0) {
			log_warn("%s: damaged (%s); skipped the rest", path,
			    c.err);
			goto out;
		}
		if (cb(&u.data, data + start, c.pos - start, arg) != 0)
			break;
	}
	rc = 0;
out:
	msgpack_unpacked_destroy(&u);
	free(data);
	return rc;
}

int
spool_records_read(const char *path, struct spool_records *r)
{
	msgpack_unpacked	 u;
	struct mp_cursor	 c;
	char			 why[128];
	size_t			 start;
	int			 rc = -1;

	memset(r, 0, sizeof *r);
	msgpack_unpacked_init(&u);
	if (spool_slurp(path, &r->data, &r->len) != 0)
		goto out;
	mp_cursor_init(&c, r->data, r->len, NULL);
	while (!mp_cursor_end(&c)) {
		start = c.pos;
		/* As spool_read_file: a value that is not a map is damage. */
		if (!is_map_header(c.p[c.pos])) {
			log_warn("%s: damaged (not a msgpack map at byte %zu); "
			    "skipped", path, c.pos);
			goto out;
		}
		if (mp_cursor_unpack(&c, &u) != 0) {
			log_warn("%s: damaged (%s); skipped", path, c.err);
			goto out;
		}
		r->off = xreallocarray(r->off, r->n + 2, sizeof *r->off);
		r->bad = xreallocarray(r->bad, r->n + 1, sizeof *r->bad);
		r->off[r->n] = start;
		r->off[r->n + 1] = c.pos;
		why[0] = '\0';
		r->bad[r->n] = record_validate(&u.data, why, sizeof why) != 0;
		if (r->bad[r->n] && r->nbad++ == 0)
			snprintf(r->why, sizeof r->why, "record %zu: %s",
			    r->n + 1, why[0] != '\0' ? why : "invalid");
		r->n++;
	}
	rc = 0;
out:
	msgpack_unpacked_destroy(&u);
	if (rc != 0)
		spool_records_free(r);
	return rc;
}

void
spool_records_free(struct spool_records *r)
{
	free(r->data);
	free(r->off);
	free(r->bad);
	memset(r, 0, sizeof *r);
}

long
spool_count(const char *path)
{
	struct mp_cursor	 c;
	char			*data = NULL;
	size_t			 len = 0;
	long			 n = 0;

	if (spool_slurp(path, &data, &len) != 0)
		return -1;
	mp_cursor_init(&c, data, len, NULL);
	while (!mp_cursor_end(&c)) {
		if (mp_cursor_skip(&c) != 0) {
			n = -1;
			break;
		}
		n++;
	}
	free(data);
	return n;
}

long
spool_set_aside(const char *dir, const char *path, const char *damdir)
{
	msgpack_unpacked	 u;
	struct stat		 st;
	const char		*base;
	char			*data = NULL, *stem = NULL, *name = NULL;
	char			*to = NULL;
	size_t			 len = 0, off = 0, used;
	ssize_t			 n;
	long			 kept = 0, rv = -1;
	int			 fd;

	msgpack_unpacked_init(&u);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		goto out;		/* unreadable, not damaged: leave it */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		goto out;
	}
	if ((uint64_t)st.st_size <= SPOOL_MAX_FILE) {
		data = xmalloc((size_t)st.st_size + 1);
		while (len < (size_t)st.st_size) {
			n = read(fd, data + len, (size_t)st.st_size - len);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += (size_t)n;
		}
		/* The intact records before the damage. */
		while (off < len && is_map_header((unsigned char)data[off]) &&
		    mp_unpack_one(&u, data + off, len - off, &used) == 0) {
			off += used;
			kept++;
		}
	}
	close(fd);
	if (off == len && len > 0)
		goto out;		/* not damaged after all */
	base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	if (kept > 0) {
		stem = xstrdup(base);
		if (strlen(stem) > 8 &&
		    strcmp(stem + strlen(stem) - 8, ".msgpack") == 0)
			stem[strlen(stem) - 8] = '\0';
		xasprintf(&name, "%s.intact.msgpack", stem);
		if (spool_write(dir, name, data, off) != 0)
			goto out;
	}
	if (mkdir(damdir, 0755) != 0 && errno != EEXIST) {
		log_error("%s: %s", damdir, strerror(errno));
		goto out;
	}
	xasprintf(&to, "%s/%s", damdir, base);
	if (rename(path, to) != 0) {
		log_error("%s: cannot move to %s: %s", path, damdir,
		    strerror(errno));
		if (name != NULL) {	/* keep one copy of the records */
			free(to);
			xasprintf(&to, "%s/%s", dir, name);
			unlink(to);
		}
		goto out;
	}
	util_fsync_dir(damdir);
	util_fsync_dir(dir);
	if (kept > 0)
		log_warn("%s: damaged; moved to %s, its %ld intact records "
		    "kept in %s", path, damdir, kept, name);
	else
		log_warn("%s: damaged, no intact record; moved to %s", path,
		    damdir);
	rv = kept;
out:
	msgpack_unpacked_destroy(&u);
	free(data);
	free(stem);
	free(name);
	free(to);
	return rv;
}

/* --- the --max-spool disk guard ------------------------------------------------------- */

struct spool_entry {
	char	*path;
	off_t	 size;
	time_t	 mtime;
};

static int
cmp_entry(const void *a, const void *b)
{
	const struct spool_entry	*x = a, *y = b;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* Total size of the regular files in dir (not recursive). */
static off_t
dir_bytes(const char *dir)
{
	DIR		*dp;
	struct dirent	*de;
	struct stat	 st;
	char		*path;
	off_t		 total = 0;

	if ((dp = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		xasprintf(&path, "%s/%s", dir, de->d_name);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			total += st.st_size;
		free(path);
	}
	closedir(dp);
	return total;
}

size_t
spool_guard(const char *dir, long max_mb)
{
	struct spool_files	 pending, sent;
	struct spool_entry	*e = NULL;
	struct stat		 st;
	char			*rejdir;
	off_t			 limit, kept = 0, total;
	size_t			 i, n = 0, dropped = 0;

	if (max_mb <= 0)
		return 0;
	limit = (off_t)max_mb * 1024 * 1024;
	if (spool_list(dir, 0, &pending) != 0)
		return 0;
	if (spool_list(dir, 1, &sent) != 0) {
		spool_files_free(&pending);
		return 0;
	}
	for (i = 0; i < pending.n; i++) {
		if (stat(pending.path[i], &st) == 0)
			kept += st.st_size;
	}
	xasprintf(&rejdir, "%s/rejected", dir);
	kept += dir_bytes(rejdir);
	free(rejdir);
	xasprintf(&rejdir, "%s/damaged", dir);
	kept += dir_bytes(rejdir);
	free(rejdir);

	total = kept;
	e = xcalloc(sent.n + 1, sizeof *e);
	for (i = 0; i < sent.n; i++) {
		if (stat(sent.path[i], &st) != 0)
			continue;
		e[n].path = sent.path[i];
		e[n].size = st.st_size;
		e[n].mtime = st.st_mtime;
		total += st.st_size;
		n++;
	}
	if (n > 0)
		qsort(e, n, sizeof *e, cmp_entry);
	for (i = 0; i < n && total > limit; i++) {
		if (unlink(e[i].path) != 0) {
			log_warn("--max-spool: %s: %s", e[i].path,
			    strerror(errno));
			continue;
		}
		log_debug("--max-spool: deleted %s", e[i].path);
		total -= e[i].size;
		dropped++;
	}
	if (dropped > 0)
		log_info("--max-spool: deleted the %zu oldest uploaded files "
		    "in %s/sent to stay under %ld MB", dropped, dir, max_mb);
	if (kept > limit)
		log_error("--max-spool: %.1f MB of records in %s are not "
		    "uploaded, over the %ld MB limit; nothing pending is "
		    "deleted: upload them ('nightjar upload') or raise "
		    "--max-spool", (double)kept / (1024 * 1024), dir, max_mb);
	free(e);
	spool_files_free(&pending);
	spool_files_free(&sent);
	return dropped;
}
