/* nightjar-collector: receives records from probes and stores them. */
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("nightjar-collector %s\n", PACKAGE_VERSION);
		return 0;
	}
	printf("usage: nightjar-collector --listen ADDR:PORT --db FILE "
	    "[--tls-cert PEM --tls-key PEM] [--tokens FILE] "
	    "[--max-body BYTES]\n"
	    "       nightjar-collector export --db FILE [--since TIME]\n");
	return argc > 1 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
}
