#include "commands.h"
#include "log.h"

int
cmd_upload(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	log_error("'upload' is not available in this build");
	return 1;
}
