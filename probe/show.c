#include "commands.h"
#include "log.h"

int
cmd_show(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	log_error("'show' is not available in this build");
	return 1;
}
