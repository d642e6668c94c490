/*
 * Hardening unit tests: rounds measured through engine_new/round_start on
 * one event_base must not leak file descriptors, whatever the targets do
 * (refused, silent, closed at once, unresolvable).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "config.h"
#include "engine.h"
#include "log.h"
#include "targets.h"

static int
count_fds(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	d = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;		/* the directory's own */
}

/* A loopback TCP socket on a free port: listening (backlog) or not. */
static int
tcp_socket(int listening, int *port)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	if (listening)
		ck_assert_int_eq(listen(fd, 64), 0);
	return fd;
}

static int
udp_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd, port;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);		/* now nobody answers there */
	return port;
}

static void
close_at_once(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	(void)l;
	(void)sa;
	(void)salen;
	(void)arg;
	evutil_closesocket(fd);
}

static void
round_done(struct round *r, void *arg)
{
	(void)r;
	*(int *)arg = 1;
}

static void
one_round(struct event_base *base, struct engine *e,
    const struct targets *t)
{
	const struct round_stats	*st;
	struct round			*r;
	int				 done = 0;

	r = round_start(e, t, round_done, &done);
	ck_assert_ptr_nonnull(r);
	while (!done)
		ck_assert_int_ne(event_base_loop(base, EVLOOP_ONCE), -1);
	st = round_get_stats(r);
	ck_assert_uint_eq(st->n_targets, t->n);
	ck_assert_uint_eq(st->n_done, t->n);
	ck_assert_uint_eq(st->n_written, t->n);
	round_free(r);
}

START_TEST(rounds_keep_fds)
{
	struct event_base	*base;
	struct evconnlistener	*closer;
	struct engine		*e;
	struct config		 cfg;
	struct targets		 t;
	char			 dir[] = "/tmp/nj-fds.XXXXXX", buf[512];
	char			 resolver[64];
	int			 refused_fd, silent_fd, closer_fd;
	int			 refused, silent, closing, fd0, fd1, fd2, fd3;

	signal(SIGPIPE, SIG_IGN);	/* as cmd_run and the daemon do */
	log_set_level(getenv("NJ_DEBUG") ? LOG_DEBUG : LOG_ERROR);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	base = event_base_new();
	ck_assert_ptr_nonnull(base);

	refused_fd = tcp_socket(0, &refused);	/* bound, not listening */
	silent_fd = tcp_socket(1, &silent);	/* never accepts, never speaks */
	closer_fd = tcp_socket(1, &closing);
	evutil_make_socket_nonblocking(closer_fd);
	closer = evconnlistener_new(base, close_at_once, NULL,
	    LEV_OPT_CLOSE_ON_FREE, -1, closer_fd);
	ck_assert_ptr_nonnull(closer);

	memset(&t, 0, sizeof t);
	snprintf(buf, sizeof buf,
	    "127.0.0.1:%d\n127.0.0.1:%d\n127.0.0.1:%d\n[::1]:%d\n"
	    "nowhere.lab.test:%d\n", refused, silent, closing, refused,
	    refused);
	ck_assert_int_eq(targets_load_buffer(&t, "fd-test", buf, strlen(buf)),
	    5);

	config_init(&cfg);
	free(cfg.results);
	cfg.results = strdup(dir);
	cfg.timeout_ms = 300;
	cfg.concurrency = 4;
	snprintf(resolver, sizeof resolver, "127.0.0.1:%d", udp_port());
	strlist_add(&cfg.resolvers, resolver);
	cfg.interception_cas = strdup(NJ_SRCDIR "/targets/interception-cas");

	fd0 = count_fds();
	e = engine_new(base, &cfg);
	ck_assert_ptr_nonnull(e);
	one_round(base, e, &t);
	fd1 = count_fds();
	one_round(base, e, &t);
	fd2 = count_fds();
	one_round(base, e, &t);
	fd3 = count_fds();
	engine_free(e);
	fprintf(stderr, "open fds: %d before the engine, %d %d %d after each "
	    "round, %d after engine_free\n", fd0, fd1, fd2, fd3, count_fds());
	/* The engine's own sockets (resolvers) may stay open across rounds. */
	ck_assert_int_eq(fd2, fd1);
	ck_assert_int_eq(fd3, fd1);
	ck_assert_int_eq(count_fds(), fd0);

	evconnlistener_free(closer);
	close(refused_fd);
	close(silent_fd);
	event_base_free(base);
	targets_free(&t);
	config_free(&cfg);
	snprintf(buf, sizeof buf, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(buf), 0);
}
END_TEST

static Suite *
hardening_suite(void)
{
	Suite	*s = suite_create("hardening");
	TCase	*tc;

	tc = tcase_create("fds");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, rounds_keep_fds);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(hardening_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
