/* Logging to stderr with levels: -q shows errors only, -v adds debug. */
#ifndef NJ_LOG_H
#define NJ_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

void	log_set_level(enum log_level);
/* -q: errors only; -v: also info; -vv: also debug; neither: warnings. */
void	log_set_verbosity(int verbose, int quiet);
enum log_level log_get_level(void);
void	log_set_prog(const char *);
/*
 * Log lines start with the local time, unless stderr is the systemd
 * journal (it stamps lines itself): 1 when JOURNAL_STREAM ("DEV:INODE")
 * names the stream with this device and inode.  Pure, for tests.
 */
int	log_is_journal(const char *journal_stream, unsigned long long dev,
	    unsigned long long ino);
void	log_msg(enum log_level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#define log_error(...)	log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
