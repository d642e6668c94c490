/*
 * libFuzzer target: the --config file parser (`name = value` lines).  The
 * parser reads a path, so the input is handed over as a memfd.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	 cfg;
	char		 path[64];
	int		 fd;

	fd = memfd_create("fuzz-config", 0);
	if (fd == -1)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

	config_init(&cfg);
	(void)config_load_file(&cfg, path);
	if (cfg.timeout_ms < 0 || cfg.concurrency < 0)
		abort();
	config_free(&cfg);
	close(fd);
	return 0;
}
