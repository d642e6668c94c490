/*
 * libFuzzer target: the --schedule SPEC parser.  Input: 8 bytes of a
 * "last round" time, then the SPEC.  Whatever parses must keep the
 * schedule's promise in a zone with DST: the next start is later than
 * the last one and never later than last + the interval in force.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schedule.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("TZ", "Europe/London", 1);
	tzset();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct schedule		*s;
	struct schedule_slot	 slot;
	char			*spec, *cause = NULL;
	uint64_t		 raw = 0;
	time_t			 last;
	long			 iv;
	int			 i;

	if (size < sizeof raw || size > 4096)
		return 0;
	memcpy(&raw, data, sizeof raw);
	/* Somewhere between 2000 and 2100. */
	last = (time_t)(946684800 + raw % (100ULL * 365 * 86400));
	spec = malloc(size - sizeof raw + 1);
	if (spec == NULL)
		return 0;
	memcpy(spec, data + sizeof raw, size - sizeof raw);
	spec[size - sizeof raw] = '\0';

	s = schedule_parse(spec, 900, &cause);
	if (s == NULL) {
		if (cause == NULL)
			abort();
		free(cause);
		free(spec);
		return 0;
	}
	if (schedule_describe(s) == NULL)
		abort();
	for (i = 0; i < 50; i++) {
		iv = schedule_interval_at(s, last);
		if (iv < 1 || iv > SCHEDULE_MAX_INTERVAL)
			abort();
		schedule_next(s, last, (long)(raw % 61), &slot);
		if (slot.nominal <= last || slot.nominal > last + iv ||
		    slot.start < slot.nominal)
			abort();
		last = slot.nominal;
	}
	schedule_free(s);
	free(spec);
	return 0;
}
