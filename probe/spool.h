/*
 * The results directory (docs/upload.md): pending *.msgpack
 * files, sent/, rejected/, probe-id.  Files are written atomically.
 */
#ifndef NJ_SPOOL_H
#define NJ_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

/* Create DIR (and sent/, rejected/) when missing.  0 or -1 (logged). */
int	spool_prepare(const char *dir);

/*
 * The probe id persisted in DIR/probe-id, created (random) on first use.
 * Returns a heap string or NULL (logged).
 */
char	*spool_probe_id(const char *dir);

/* 1 when s is a usable probe id: 1-64 of [A-Za-z0-9._-]. */
int	spool_valid_probe_id(const char *s);

/*
 * Write len bytes (concatenated msgpack maps) to DIR/<name> atomically:
 * a dot-prefixed temporary, fsync, rename, fsync of the directory.
 * When name is NULL a unique "<UTC time>-<random>.msgpack" is chosen.
 */
int	spool_write(const char *dir, const char *name, const char *data,
	    size_t len);

/* Pending (DIR/ *.msgpack) or sent (DIR/sent/ *.msgpack) file paths, sorted. */
struct spool_files {
	char	**path;
	size_t	  n;
};
int	spool_list(const char *dir, int sent, struct spool_files *);
void	spool_files_free(struct spool_files *);

/*
 * Read a whole record file into a heap buffer: a regular,
 * non-empty file of at most 256 MiB that did not change while read.
 * Otherwise warns by name ("...; skipped") and returns -1.
 */
int	spool_slurp(const char *path, char **data, size_t *len);

/*
 * A damaged pending file: write its intact leading records to a new
 * pending file in dir (NAME.intact.msgpack) and move the file into
 * damdir (created when missing), so that it is warned about once.
 * Returns the number of records kept, or -1 when the file was left
 * where it is (unreadable, or intact after all).
 */
long	spool_set_aside(const char *dir, const char *path, const char *damdir);

/*
 * Read a file of concatenated msgpack maps, calling cb for each map with
 * its raw bytes.  A damaged file (truncated, garbage, not maps) is warned
 * about by name and -1 returned; cb is not called for anything in it, so a
 * half-read file never yields partial output.  cb returning non-zero stops.
 * An empty file is also warned about and -1.  raw points into the file's
 * bytes (valid during cb only).
 */
typedef int (*spool_record_cb)(const msgpack_object *, const char *raw,
    size_t rawlen, void *arg);
int	spool_read_file(const char *path, spool_record_cb, void *arg);

/*
 * A record file read once for upload: its bytes, where each record
 * starts, and which records fail record_validate().
 */
struct spool_records {
	char		*data;		/* the file's bytes */
	size_t		 len;
	size_t		*off;		/* record i is data[off[i]..off[i+1]) */
	unsigned char	*bad;		/* 1: record i fails validation */
	size_t		 n;
	size_t		 nbad;
	char		 why[192];	/* "record N: why" of the first bad */
};

/*
 * Read path once: walk each record with the bounded cursor, decode it
 * once and validate it once.  0, or -1 when the file is unreadable or
 * damaged (malformed, or a value that is not a map, as
 * spool_read_file(); warned about by name; nothing kept).
 */
int	spool_records_read(const char *path, struct spool_records *);
void	spool_records_free(struct spool_records *);

/* Records in path (walked, not decoded), or -1 when damaged/unreadable. */
long	spool_count(const char *path);

/*
 * The --max-spool guard over the results directory dir: when pending,
 * sent and rejected files together exceed max_mb MiB, delete the oldest
 * files of dir/sent/ until they fit; pending and rejected records are
 * never deleted, and when they alone exceed the limit an error is logged.
 * max_mb <= 0 disables the guard.  Returns the number of files deleted.
 */
size_t	spool_guard(const char *dir, long max_mb);

#endif
