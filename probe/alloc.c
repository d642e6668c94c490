/*
 * The probe's allocator.  Most of what a campaign allocates is OpenSSL's:
 * an SSL object, its buffers and a certificate chain for each of up to
 * --concurrency connections, made and freed in no particular order.
 * glibc's malloc spends about 15 % of a campaign's CPU on that
 * (malloc_consolidate, unlink_chunk under perf); with jemalloc a target
 * costs about a tenth less CPU (bench/campaign.sh).  configure links it
 * when installed; alloc_name() says which one this binary has.
 */
#include "alloc.h"

#ifdef HAVE_JEMALLOC
#include <stdio.h>
#include <string.h>

#include <jemalloc/jemalloc.h>

const char *
alloc_name(void)
{
	static char	 name[64];
	const char	*v;
	size_t		 len = sizeof v;

	if (name[0] == '\0') {
		if (mallctl("version", &v, &len, NULL, 0) != 0)
			v = "?";
		/* "5.3.0-0-g54eaed1d...": the release is enough. */
		snprintf(name, sizeof name, "jemalloc %.*s", (int)strcspn(v, "-"),
		    v);
	}
	return name;
}

#else

const char *
alloc_name(void)
{
	return "C library malloc";
}

#endif
