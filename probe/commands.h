/* The subcommands of nightjar; each returns the process exit status. */
#ifndef NJ_COMMANDS_H
#define NJ_COMMANDS_H

int	cmd_run(int, char **);		/* run.c */
int	cmd_show(int, char **);		/* show.c */
int	cmd_report(int, char **);	/* report.c */
int	cmd_upload(int, char **);	/* upload.c */

#endif
