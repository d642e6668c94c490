/*
 * libFuzzer target: the report's in-place record reader
 * (report_fields_read, report_read_file), which reads only the fields it
 * needs from record bytes of any origin, and report_sanitize.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "report.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char	*lo, *hi;

static void
check_str(const char *p, size_t len)
{
	if (p != NULL && (p < lo || p > hi || len > (size_t)(hi - p)))
		abort();
}

static void
check_fields(const struct report_fields *f)
{
	size_t	i;

	check_str(f->host, f->hostlen);
	check_str(f->probe, f->probelen);
	check_str(f->start, f->startlen);
	check_str(f->status, f->statuslen);
	check_str(f->method, f->methodlen);
	if (f->ntls > REPORT_MAX_STEPS)
		abort();
	for (i = 0; i < f->ntls; i++)
		check_str(f->tls[i].sni, f->tls[i].snilen);
	(void)report_fields_tls_ms(f);
	if (f->method != NULL)
		(void)rw_method_from(f->method, f->methodlen);
	if (f->status != NULL)
		(void)rw_status_from(f->status, f->statuslen);
}

static int
file_cb(const struct report_fields *f, void *arg)
{
	(void)f;
	(*(size_t *)arg)++;
	return 0;
}

/* 1 when s is valid UTF-8 without control characters. */
static int
printable_utf8(const unsigned char *s)
{
	int	n;

	while (*s != '\0') {
		if (*s < 0x20 || *s == 0x7f)
			return 0;
		if (*s < 0x80) {
			s++;
			continue;
		}
		if (*s >= 0xc2 && *s <= 0xdf)
			n = 1;
		else if (*s >= 0xe0 && *s <= 0xef)
			n = 2;
		else if (*s >= 0xf0 && *s <= 0xf4)
			n = 3;
		else
			return 0;
		for (s++; n > 0; n--, s++)
			if ((*s & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report_fields	 f;
	const char		*p = (const char *)data;
	size_t			 off = 0, used, n = 0;
	char			 path[64], *s;
	int			 fd;

	lo = p;
	hi = p + size;
	while (off < size) {
		memset(&f, 0, sizeof f);
		if (report_fields_read(p + off, size - off, &used, &f) != 0)
			break;
		if (used == 0 || used > size - off)
			abort();
		check_fields(&f);
		off += used;
	}

	fd = memfd_create("fuzz-report", 0);
	if (fd == -1)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	(void)report_read_file(path, file_cb, &n);
	close(fd);

	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	report_sanitize(s);
	if (!printable_utf8((unsigned char *)s))
		abort();
	free(s);
	return 0;
}
