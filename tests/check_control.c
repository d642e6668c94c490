/*
 * Unit tests for the vantage's pure parts: the bogon ranges and
 * --control-allow, the request parser, the per-token rate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <msgpack.h>

#include "bogon.h"
#include "control.h"

/* --- bogons ---------------------------------------------------------------- */

static const struct {
	const char	*ip;
	int		 bogon;
} bogons[] = {
	{ "10.0.0.1", 1 },
	{ "10.255.255.255", 1 },
	{ "172.16.0.1", 1 },
	{ "172.31.255.254", 1 },
	{ "172.32.0.1", 0 },
	{ "172.15.255.255", 0 },
	{ "192.168.1.1", 1 },
	{ "192.169.0.1", 0 },
	{ "127.0.0.1", 1 },
	{ "127.255.255.254", 1 },
	{ "169.254.169.254", 1 },	/* cloud metadata */
	{ "169.254.0.1", 1 },
	{ "100.64.0.1", 1 },		/* CGNAT */
	{ "100.127.255.255", 1 },
	{ "100.128.0.1", 0 },
	{ "100.63.255.255", 0 },
	{ "0.0.0.0", 1 },
	{ "0.1.2.3", 1 },
	{ "224.0.0.1", 1 },		/* multicast */
	{ "239.255.255.250", 1 },
	{ "240.0.0.1", 1 },		/* reserved */
	{ "255.255.255.255", 1 },
	{ "192.0.0.8", 1 },
	{ "192.0.2.1", 1 },		/* documentation */
	{ "198.51.100.7", 1 },
	{ "203.0.113.9", 1 },
	{ "198.18.0.1", 1 },		/* benchmarking */
	{ "198.19.255.255", 1 },
	{ "198.20.0.1", 0 },
	{ "93.184.216.34", 0 },
	{ "8.8.8.8", 0 },
	{ "1.1.1.1", 0 },
	{ "157.240.1.35", 0 },
	{ "::", 1 },
	{ "::1", 1 },
	{ "fe80::1", 1 },		/* link-local */
	{ "fc00::1", 1 },		/* unique-local */
	{ "fd12:3456::1", 1 },
	{ "ff02::1", 1 },		/* multicast */
	{ "2001:db8::1", 1 },		/* documentation */
	{ "2001::1", 1 },		/* Teredo */
	{ "2001:4860:4860::8888", 0 },
	{ "2a03:2880:f12f:83:face:b00c:0:25de", 0 },
	{ "::ffff:127.0.0.1", 1 },	/* IPv4-mapped */
	{ "::ffff:10.1.2.3", 1 },
	{ "::ffff:169.254.169.254", 1 },
	{ "::ffff:8.8.8.8", 0 },
	{ "::ffff:7f00:1", 1 },		/* mapped, written in hex */
	{ "::127.0.0.1", 1 },		/* IPv4-compatible */
	{ "64:ff9b::10.0.0.1", 1 },	/* NAT64 */
	{ "64:ff9b::8.8.8.8", 0 },
	{ "2002:c0a8:0101::1", 1 },	/* 6to4 of 192.168.1.1 */
	{ "2002:0808:0808::1", 0 },
	{ "[::1]", 1 },
	{ "[2001:4860:4860::8888]", 0 },
	{ "", 1 },			/* not an address: refused */
	{ "localhost", 1 },
	{ "1.2.3", 1 },
	{ "1.2.3.4.5", 1 },
	{ "01.02.03.04", 1 },
	{ "::ffff:1.2.3.4:80", 1 },
};

START_TEST(test_bogon)
{
	ck_assert_msg(bogon_is(bogons[_i].ip) == bogons[_i].bogon,
	    "%s: want %d", bogons[_i].ip, bogons[_i].bogon);
	ck_assert_int_eq(bogon_refused(bogons[_i].ip, NULL, 0),
	    bogons[_i].bogon);
}
END_TEST

START_TEST(test_allow)
{
	static const struct {
		const char	*cidr;
		const char	*ip;
		int		 refused;
	} t[] = {
		{ "10.0.0.0/8", "10.9.9.9", 0 },
		{ "10.0.0.0/8", "11.0.0.1", 0 },	/* public anyway */
		{ "10.0.0.0/8", "192.168.0.1", 1 },
		{ "10.0.0.0/8", "::ffff:10.1.1.1", 0 },	/* mapped */
		{ "10.1.0.0/16", "10.2.0.1", 1 },
		{ "192.168.1.0/24", "192.168.1.77", 0 },
		{ "192.168.1.0/25", "192.168.1.200", 1 },
		{ "127.0.0.1", "127.0.0.1", 0 },	/* one address */
		{ "127.0.0.1", "127.0.0.2", 1 },
		{ "127.0.0.1/32", "127.0.0.2", 1 },
		{ "0.0.0.0/0", "169.254.169.254", 0 },	/* everything */
		{ "fd00::/8", "fd12::1", 0 },
		{ "fd00::/8", "fc00::1", 1 },
		{ "::1", "::1", 0 },
		{ "::1/128", "::2", 1 },
		{ "fe80::/10", "fe80::1", 0 },
		{ "fe80::/10", "febf::1", 0 },
		{ "fe80::/10", "fec0::1", 1 },
		{ "10.0.0.0/8", "fd00::1", 1 },		/* other family */
		{ "fd00::/8", "10.0.0.1", 1 },
	};
	struct bogon_cidr	c;
	size_t			i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		ck_assert_int_eq(bogon_parse_cidr(t[i].cidr, &c), 0);
		ck_assert_msg(bogon_refused(t[i].ip, &c, 1) == t[i].refused,
		    "allow %s, %s: want %d", t[i].cidr, t[i].ip,
		    t[i].refused);
	}
}
END_TEST

START_TEST(test_cidr_parse)
{
	static const char *const bad[] = {
		"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1",
		"10.0.0.0/8x", "::/129", "example.org/8", "10.0.0.0/8/8",
		"10.0.0/8", NULL,
	};
	struct bogon_cidr	c;
	size_t			i;

	for (i = 0; bad[i] != NULL; i++)
		ck_assert_msg(bogon_parse_cidr(bad[i], &c) == -1, "%s",
		    bad[i]);
	ck_assert_int_eq(bogon_parse_cidr(NULL, &c), -1);
	ck_assert_int_eq(bogon_parse_cidr("10.0.0.0/8", &c), 0);
	ck_assert_int_eq(c.plen, 8);
	ck_assert_int_eq(bogon_parse_cidr("::/0", &c), 0);
	ck_assert_int_eq(c.plen, 0);
	ck_assert_int_eq(bogon_parse_cidr("2001:db8::1", &c), 0);
	ck_assert_int_eq(c.plen, 128);
}
END_TEST

/* --- requests -------------------------------------------------------------- */

static void
pk_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}

/* A request of n targets "hN.example" on port, with n_addrs addresses. */
static void
make_req(msgpack_sbuffer *sb, size_t n, int port, size_t n_addrs)
{
	msgpack_packer	pk;
	char		name[64], ip[64];
	size_t		i, j;

	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 1);
	pk_str(&pk, "targets");
	msgpack_pack_array(&pk, n);
	for (i = 0; i < n; i++) {
		msgpack_pack_map(&pk, 4);
		snprintf(name, sizeof name, "h%zu.example", i);
		pk_str(&pk, "host");
		pk_str(&pk, name);
		pk_str(&pk, "port");
		msgpack_pack_int(&pk, port);
		pk_str(&pk, "sni");
		pk_str(&pk, name);
		pk_str(&pk, "addrs");
		msgpack_pack_array(&pk, n_addrs);
		for (j = 0; j < n_addrs; j++) {
			snprintf(ip, sizeof ip, "93.184.%zu.%zu", i % 256,
			    j + 1);
			pk_str(&pk, ip);
		}
	}
}

START_TEST(test_parse_limits)
{
	struct control_config	 cfg;
	struct control_req	 r;
	msgpack_sbuffer		 sb;
	char			 err[256];

	control_config_init(&cfg);
	make_req(&sb, 100, 443, 16);
	ck_assert_int_eq(control_parse(sb.data, sb.size, &cfg, &r, err,
	    sizeof err), 0);
	ck_assert_uint_eq(r.n, 100);
	ck_assert_uint_eq(r.v[99].n_addrs, 16);
	ck_assert_str_eq(r.v[7].host, "h7.example");
	ck_assert_str_eq(r.v[7].addrs[15], "93.184.7.16");
	ck_assert_int_eq(r.v[0].port, 443);
	control_req_clear(&r);
	msgpack_sbuffer_destroy(&sb);

	make_req(&sb, 101, 443, 1);
	ck_assert_int_eq(control_parse(sb.data, sb.size, &cfg, &r, err,
	    sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "100"));
	msgpack_sbuffer_destroy(&sb);

	make_req(&sb, 1, 443, 17);
	ck_assert_int_eq(control_parse(sb.data, sb.size, &cfg, &r, err,
	    sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "addrs"));
	msgpack_sbuffer_destroy(&sb);

	make_req(&sb, 0, 443, 0);
	ck_assert_int_eq(control_parse(sb.data, sb.size, &cfg, &r, err,
	    sizeof err), -1);
	msgpack_sbuffer_destroy(&sb);

	/* Ports: 443 and 80 by default; others only when listed. */
	make_req(&sb, 2, 80, 0);
	ck_assert_int_eq(control_parse(sb.data, sb.size, &cfg, &r, err,
	    sizeof err), 0);
	control_req_clear(&r);
	msgpack_sbuffer_destroy(&sb);
	make_req(&sb, 2, 22, 0);
	ck_assert_int_eq(control_parse(sb.data, sb.size, &cfg, &r, err,
	    sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "port"));
	ck_assert_int_eq(control_parse_ports(&cfg, "22, 8443"), 0);
	ck_assert_int_eq(control_parse(sb.data, sb.size, &cfg, &r, err,
	    sizeof err), 0);
	control_req_clear(&r);
	msgpack_sbuffer_destroy(&sb);
	make_req(&sb, 2, 443, 0);
	ck_assert_int_eq(control_parse(sb.data, sb.size, &cfg, &r, err,
	    sizeof err), -1);
	msgpack_sbuffer_destroy(&sb);
	ck_assert_int_eq(control_parse_ports(&cfg, "0"), -1);
	ck_assert_int_eq(control_parse_ports(&cfg, "443,x"), -1);
	ck_assert_int_eq(control_parse_ports(&cfg, ""), -1);
	ck_assert_int_eq(control_parse_ports(&cfg, "65536"), -1);
}
END_TEST

/* A request of one target with one more key: bool, int, nil or str. */
static int
parse_one(struct control_config *cfg, int port, const char *key,
    int kind, int64_t val, struct control_req *r)
{
	msgpack_sbuffer	sb;
	msgpack_packer	pk;
	char		err[256];
	int		rv;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 1);
	pk_str(&pk, "targets");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, key != NULL ? 3 : 2);
	pk_str(&pk, "host");
	pk_str(&pk, "h.example");
	pk_str(&pk, "port");
	msgpack_pack_int(&pk, port);
	if (key != NULL) {
		pk_str(&pk, key);
		if (kind == 'b' && val)
			msgpack_pack_true(&pk);
		else if (kind == 'b')
			msgpack_pack_false(&pk);
		else if (kind == 'i')
			msgpack_pack_int64(&pk, val);
		else if (kind == 'n')
			msgpack_pack_nil(&pk);
		else
			pk_str(&pk, "yes");
	}
	rv = control_parse(sb.data, sb.size, cfg, r, err, sizeof err);
	msgpack_sbuffer_destroy(&sb);
	return rv;
}

/* "http" and "http_port": what the probe fetched, the vantage fetches. */
START_TEST(test_parse_http)
{
	static const struct {
		int		 port;
		const char	*key;
		int		 kind;
		int64_t		 val;
		int		 rv, http, http_port;
	} c[] = {
		{ 443, NULL, 0, 0, 0, 0, 0 },
		{ 80, NULL, 0, 0, 0, 0, 80 },		/* port 80: plain */
		{ 443, "http", 'b', 1, 0, 1, 0 },
		{ 443, "http", 'b', 0, 0, 0, 0 },
		{ 443, "http", 'n', 0, 0, 0, 0 },
		{ 443, "http", 's', 0, -1, 0, 0 },
		{ 443, "http", 'i', 1, -1, 0, 0 },
		{ 443, "http_port", 'i', 80, 0, 0, 80 },
		{ 80, "http_port", 'i', 80, 0, 0, 80 },
		{ 443, "http_port", 'i', 8080, -1, 0, 0 },	/* not allowed */
		{ 443, "http_port", 'i', 0, -1, 0, 0 },
		{ 443, "http_port", 'i', 70000, -1, 0, 0 },
		{ 443, "http_port", 's', 0, -1, 0, 0 },
		{ 443, "http_port", 'n', 0, 0, 0, 0 },
	};
	struct control_config	 cfg;
	struct control_req	 r;
	size_t			 i;

	control_config_init(&cfg);
	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		ck_assert_msg(parse_one(&cfg, c[i].port, c[i].key, c[i].kind,
		    c[i].val, &r) == c[i].rv, "case %zu", i);
		if (c[i].rv != 0) {
			control_req_clear(&r);
			continue;
		}
		ck_assert_msg(r.v[0].http == c[i].http, "case %zu http", i);
		ck_assert_msg(r.v[0].http_port == c[i].http_port,
		    "case %zu http_port %d", i, r.v[0].http_port);
		control_req_clear(&r);
	}
	ck_assert_int_eq(control_parse_ports(&cfg, "443,8080"), 0);
	ck_assert_int_eq(parse_one(&cfg, 443, "http_port", 'i', 8080, &r), 0);
	ck_assert_int_eq(r.v[0].http_port, 8080);
	control_req_clear(&r);
}
END_TEST

/* Hand-written bodies, each refused with a reason. */
START_TEST(test_parse_bad)
{
	static const struct {
		const char	*hex;	/* the body */
		const char	*why;	/* in the error */
	} t[] = {
		{ "", "msgpack" },
		{ "c1", "msgpack" },			/* never used */
		{ "90", "map" },			/* [] */
		{ "81a774617267657473c0", "targets" },	/* targets: nil */
		{ "81a77461726765747391c0", "not a map" },
		/* {"targets": [{"port": 443}]} */
		{ "81a7746172676574739181a4706f7274cd01bb", "host" },
		/* host "a b" */
		{ "81a7746172676574739182a4686f7374a361206" "2a4706f7274cd01bb",
		    "host" },
		/* host "x", port 0 */
		{ "81a7746172676574739182a4686f7374a178a4706f727400", "port" },
		/* host "x", port 443, addrs ["nope"] */
		{ "81a7746172676574739183a4686f7374a178a4706f7274cd01bb"
		    "a56164647273" "91a46e6f7065", "addrs[0]" },
		/* host "x", port 443, sni "y" (not the host) */
		{ "81a7746172676574739183a4686f7374a178a4706f7274cd01bb"
		    "a3736e69a179", "sni" },
		/* trailing bytes after the map */
		{ "81a77461726765747391" "82a4686f7374a178a4706f7274cd01bb" "00",
		    "one msgpack" },
		/* a host with a NUL byte */
		{ "81a7746172676574739182a4686f7374a3610062a4706f7274cd01bb",
		    "host" },
		{ NULL, NULL },
	};
	struct control_config	 cfg;
	struct control_req	 r;
	unsigned char		 body[256];
	char			 err[256];
	size_t			 i, n;
	unsigned int		 b;

	control_config_init(&cfg);
	for (i = 0; t[i].hex != NULL; i++) {
		for (n = 0; t[i].hex[2 * n] != '\0'; n++) {
			ck_assert(sscanf(t[i].hex + 2 * n, "%2x", &b) == 1);
			body[n] = (unsigned char)b;
		}
		err[0] = '\0';
		ck_assert_msg(control_parse((const char *)body, n, &cfg, &r,
		    err, sizeof err) == -1, "case %zu accepted", i);
		ck_assert_msg(strstr(err, t[i].why) != NULL,
		    "case %zu: '%s' lacks '%s'", i, err, t[i].why);
		ck_assert_ptr_null(r.v);
	}
}
END_TEST

/* IP literals, brackets, nil SNI, upper-case SNI, timeout_ms. */
START_TEST(test_parse_forms)
{
	/* {"targets": [{"host": "[2001:db8::1]", "port": 443, "sni": nil},
	 *  {"host": "Example.org", "port": 80, "sni": "example.ORG"}],
	 *  "timeout_ms": 1500} */
	static const char hex[] =
	    "82a7746172676574739283a4686f7374ad5b323030313a6462383a3a315d"
	    "a4706f7274cd01bba3736e69c0"
	    "83a4686f7374ab4578616d706c652e6f7267a4706f727450"
	    "a3736e69ab6578616d706c652e4f5247"
	    "aa74696d656f75745f6d73cd05dc";
	struct control_config	 cfg;
	struct control_req	 r;
	unsigned char		 body[256];
	char			 err[256];
	size_t			 n;
	unsigned int		 b;

	for (n = 0; hex[2 * n] != '\0'; n++) {
		ck_assert(sscanf(hex + 2 * n, "%2x", &b) == 1);
		body[n] = (unsigned char)b;
	}
	control_config_init(&cfg);
	ck_assert_msg(control_parse((const char *)body, n, &cfg, &r, err,
	    sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_str_eq(r.v[0].host, "2001:db8::1");
	ck_assert_int_eq(r.v[0].is_ip, 1);
	ck_assert_int_eq(r.v[0].has_sni, 0);
	ck_assert_int_eq(r.v[1].is_ip, 0);
	ck_assert_int_eq(r.v[1].port, 80);
	ck_assert_int_eq(r.v[1].has_sni, 1);
	ck_assert_int_eq(r.timeout_ms, 1500);
	control_req_clear(&r);
}
END_TEST

/* --- rate ------------------------------------------------------------------ */

START_TEST(test_rate)
{
	struct control_rate	*r;
	long			 ra;

	r = control_rate_new(600);	/* 10 a second, 600 at once */
	ck_assert_int_eq(control_rate_take(r, "a", 100, 0, &ra), 0);
	ck_assert_int_eq(ra, 0);
	ck_assert_int_eq(control_rate_take(r, "a", 500, 0, &ra), 0);
	/* Empty: 100 more take 10 s. */
	ck_assert_int_eq(control_rate_take(r, "a", 100, 0, &ra), -1);
	ck_assert_int_eq(ra, 10);
	/* Another token has its own budget. */
	ck_assert_int_eq(control_rate_take(r, "b", 100, 0, &ra), 0);
	/* 5 s later, 50 are back. */
	ck_assert_int_eq(control_rate_take(r, "a", 51, 5000, &ra), -1);
	ck_assert_int_eq(ra, 1);
	ck_assert_int_eq(control_rate_take(r, "a", 50, 5000, &ra), 0);
	/* Never more than the minute's worth, however long it waited. */
	ck_assert_int_eq(control_rate_take(r, "a", 601, 1e9, &ra), -1);
	ck_assert_int_eq(ra, 60);
	ck_assert_int_eq(control_rate_take(r, "a", 600, 1e9, &ra), 0);
	control_rate_free(r);
	control_rate_free(NULL);

	/* Many keys: memory stays bounded, each key still limited. */
	r = control_rate_new(1);
	{
		char	key[32];
		int	i;

		for (i = 0; i < 10000; i++) {
			snprintf(key, sizeof key, "k%d", i);
			ck_assert_int_eq(control_rate_take(r, key, 1, 0, &ra),
			    0);
		}
		ck_assert_int_eq(control_rate_take(r, "k9999", 1, 0, &ra), -1);
		ck_assert_int_eq(ra, 60);
	}
	control_rate_free(r);
}
END_TEST

static Suite *
control_suite(void)
{
	Suite	*s = suite_create("control");
	TCase	*tc = tcase_create("bogon");

	tcase_add_loop_test(tc, test_bogon, 0, sizeof bogons / sizeof bogons[0]);
	tcase_add_test(tc, test_allow);
	tcase_add_test(tc, test_cidr_parse);
	suite_add_tcase(s, tc);
	tc = tcase_create("request");
	tcase_add_test(tc, test_parse_limits);
	tcase_add_test(tc, test_parse_bad);
	tcase_add_test(tc, test_parse_http);
	tcase_add_test(tc, test_parse_forms);
	tcase_add_test(tc, test_rate);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(control_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
