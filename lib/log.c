#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static enum log_level	 log_level = LOG_WARN;
static const char	*log_prog = "nightjar";

void
log_set_level(enum log_level level)
{
	log_level = level;
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

void
log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	va_list	ap;

	if (level > log_level)
		return;
	fprintf(stderr, "%s: %s: ", log_prog, names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
