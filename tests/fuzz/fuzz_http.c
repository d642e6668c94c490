/*
 * libFuzzer target: the HTTP response reader (http-parse.c) over bytes a
 * censor's HTTP box or a hostile server chooses, then <title> extraction
 * and blockpage matching (the shipped fingerprints) on what was read.
 * The first byte picks the largest body kept and how the bytes are split
 * into reads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprint.h"
#include "http-parse.h"
#include "log.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct fingerprint_set	*fs;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_ERROR);
	fs = fingerprint_set_new();
	fingerprint_set_load(fs, NJ_SRCDIR "/targets/fingerprints");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t	 maxes[] = { 0, 1, 16, 1024, 65536 };
	const struct http_response *r;
	struct fingerprint_http	 h;
	struct http_parse	*p;
	enum http_parse_rc	 rc = HTTP_PARSE_MORE;
	size_t			 off = 1, step, n, used;
	char			*title;

	if (size < 1)
		return 0;
	step = (size_t)(data[0] >> 3) + 1;
	p = http_parse_new(maxes[data[0] % 5]);
	while (off < size && rc == HTTP_PARSE_MORE) {
		n = size - off < step ? size - off : step;
		rc = http_parse_feed(p, data + off, n, &used);
		if (used > n)
			abort();
		off += used;
		if (rc == HTTP_PARSE_MORE && used != n)
			abort();
	}
	if (rc == HTTP_PARSE_MORE)
		rc = http_parse_eof(p);
	r = http_parse_response(p);
	if (rc == HTTP_PARSE_ERROR && r->error == NULL)
		abort();
	title = http_title(r->body, r->body_len);
	free(title);
	memset(&h, 0, sizeof h);
	h.body = r->body;
	h.body_len = r->body_len;
	h.header_names = (const char * const *)r->names;
	h.header_values = (const char * const *)r->values;
	h.n_headers = r->n_headers;
	(void)fingerprint_match_http(fs, &h, NULL);
	http_parse_free(p);
	return 0;
}
