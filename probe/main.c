/*
 * nightjar: a censorship measurement probe.  main() only dispatches to the
 * subcommands.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ares.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "alloc.h"
#include "commands.h"
#include "log.h"

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*summary;
} commands[] = {
	{ "run", cmd_run, "measure on a schedule (or one round), spool, upload" },
	{ "show", cmd_show, "print records as JSON Lines (one record a line)" },
	{ "report", cmd_report, "time-of-day blocking analysis" },
	{ "upload", cmd_upload, "upload the spool once and exit" },
};

static void
usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: nightjar COMMAND [options]\n\ncommands:\n");
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'nightjar COMMAND --help' lists the options of a "
	    "command.\n  --version  print the version\n  --help     "
	    "this text\n");
}

int
main(int argc, char **argv)
{
	size_t	i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		/* The libraries it runs on, for bug reports (as curl -V). */
		printf("nightjar %s\n%s, libevent %s, c-ares %s, %s\n",
		    PACKAGE_VERSION, OpenSSL_version(OPENSSL_VERSION),
		    event_get_version(), ares_version(NULL), alloc_name());
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "nightjar: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
