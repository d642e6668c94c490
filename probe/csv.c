/*
 * RFC 4180 records from memory (see csv.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"
#include "xmalloc.h"

void
csv_row_clear(struct csv_row *r)
{
	size_t	i;

	for (i = 0; i < r->n; i++)
		free(r->f[i]);
	r->n = 0;
}

const char *
csv_read(const char *buf, size_t len, size_t *off, size_t *lineno,
    struct csv_row *r)
{
	char		*field;
	size_t		 i = *off, fl;
	const char	*why = NULL;
	int		 quoted;
	char		 c;

	csv_row_clear(r);
	field = xmalloc(CSV_MAX_FIELD);
	for (;;) {
		fl = 0;
		quoted = 0;
		if (i < len && buf[i] == '"') {
			quoted = 1;
			i++;
		}
		for (;;) {
			if (i >= len) {
				if (quoted && why == NULL)
					why = "unterminated quoted field";
				break;
			}
			c = buf[i];
			if (quoted) {
				if (c == '"') {
					if (i + 1 < len && buf[i + 1] == '"') {
						i += 2;
						if (fl < CSV_MAX_FIELD)
							field[fl++] = '"';
						continue;
					}
					i++;
					quoted = 0;
					if (i < len && buf[i] != ',' &&
					    buf[i] != '\n' && buf[i] != '\r' &&
					    why == NULL)
						why = "text after a closing quote";
					continue;
				}
				if (c == '\n')
					(*lineno)++;
			} else if (c == ',' || c == '\n')
				break;
			else if (c == '"' && why == NULL)
				why = "quote inside an unquoted field";
			if (c == '\0' && why == NULL)
				why = "NUL byte";
			if (fl < CSV_MAX_FIELD)
				field[fl++] = c;
			else if (why == NULL)
				why = "field too long";
			i++;
		}
		if (!quoted) {
			while (fl > 0 && field[fl - 1] == '\r')
				fl--;
		}
		if (r->n < CSV_MAX_FIELDS) {
			/* All fl bytes, NULs included: len[] must match. */
			r->f[r->n] = xmalloc(fl + 1);
			memcpy(r->f[r->n], field, fl);
			r->f[r->n][fl] = '\0';
			r->len[r->n] = fl;
			r->n++;
		} else if (why == NULL)
			why = "too many fields";
		if (i >= len)
			break;
		if (buf[i] == '\n') {
			i++;
			break;
		}
		i++;		/* ',' */
	}
	free(field);
	*off = i;
	return why;
}

int
csv_column(const struct csv_row *h, const char *name)
{
	const char	*f;
	size_t		 i, n, k = strlen(name);

	for (i = 0; i < h->n; i++) {
		f = h->f[i];
		n = h->len[i];
		while (n > 0 && (*f == ' ' || *f == '\t')) {
			f++;
			n--;
		}
		while (n > 0 && (f[n - 1] == ' ' || f[n - 1] == '\t'))
			n--;
		if (n == k && strncasecmp(f, name, k) == 0)
			return (int)i;
	}
	return -1;
}
