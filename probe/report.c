#include "commands.h"
#include "log.h"

int
cmd_report(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	log_error("'report' is not available in this build");
	return 1;
}
