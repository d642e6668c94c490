#include <sys/stat.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static enum log_level	 log_level = LOG_WARN;
static const char	*log_prog = "nightjar";
static int		 log_stamp = -1;	/* -1: not decided yet */

void
log_set_level(enum log_level level)
{
	log_level = level;
}

void
log_set_verbosity(int verbose, int quiet)
{
	if (quiet)
		log_level = LOG_ERROR;
	else if (verbose >= 2)
		log_level = LOG_DEBUG;
	else if (verbose == 1)
		log_level = LOG_INFO;
	else
		log_level = LOG_WARN;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

void
log_set_prog(const char *prog)
{
	log_prog = prog;
}

int
log_is_journal(const char *journal_stream, unsigned long long dev,
    unsigned long long ino)
{
	unsigned long long	jdev, jino;
	char			c;

	/* systemd sets JOURNAL_STREAM=DEV:INODE of the stream it reads. */
	if (journal_stream == NULL ||
	    sscanf(journal_stream, "%llu:%llu%c", &jdev, &jino, &c) != 2)
		return 0;
	return jdev == dev && jino == ino;
}

/* Timestamps unless the journal (which stamps every line) reads stderr. */
static int
log_wants_stamp(void)
{
	struct stat	st;

	if (fstat(STDERR_FILENO, &st) != 0)
		return 1;
	return !log_is_journal(getenv("JOURNAL_STREAM"),
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	struct timespec	ts;
	struct tm	tm;
	char		stamp[40];
	va_list		ap;

	if (level > log_level)
		return;
	if (log_stamp == -1)
		log_stamp = log_wants_stamp();
	if (log_stamp && clock_gettime(CLOCK_REALTIME, &ts) == 0 &&
	    localtime_r(&ts.tv_sec, &tm) != NULL &&
	    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm) > 0)
		fprintf(stderr, "%s.%03ld ", stamp, ts.tv_nsec / 1000000);
	fprintf(stderr, "%s: %s: ", log_prog, names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
