/*
 * nightjar-collector: receives records from probes and stores them
 * (docs/upload.md, nightjar-collector(1)).  main() parses options and
 * hands over to the server or to export.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "log.h"
#include "server.h"
#include "export.h"
#include "util.h"
#include "xmalloc.h"

#define DEFAULT_MAX_BODY	(8L * 1024 * 1024)

static void
usage(FILE *f)
{
	fprintf(f,
"usage: nightjar-collector --listen ADDR:PORT --db FILE [options]\n"
"       nightjar-collector export --db FILE [--since TIME]\n"
"\n"
"options:\n"
"  --listen ADDR:PORT     address to serve on (IPv6 as [ADDR]:PORT; port 0\n"
"                         picks a free port, printed on stdout)\n"
"  --db FILE|URI          SQLite database (created when missing), or a\n"
"                         PostgreSQL URI postgresql://USER@HOST/DB\n"
"  --tls-cert PEM         certificate chain: serve HTTPS (needs --tls-key)\n"
"  --tls-key PEM          private key of --tls-cert\n"
"  --tokens FILE          bearer tokens, one a line, optionally followed by\n"
"                         the probe id it belongs to; must not be readable\n"
"                         by others\n"
"  --max-body BYTES       largest request body (default 8388608)\n"
"  --timeout SEC          idle timeout of a connection (default 30); a\n"
"                         connection lives at most ten times this long\n"
"  --max-connections N    connections served at once (default 256)\n"
"  --dashboard            serve the dashboard: GET / (probes, hosts, the\n"
"                         time-of-day heatmap, windows) and GET\n"
"                         /v1/measurements?host=&probe_id=&since=&until=\n"
"                         &status= (JSON Lines); a --tokens token is the\n"
"                         basic-auth password\n"
"  --dashboard-public     serve the dashboard without a token\n"
"  --control              be a vantage: serve POST /v1/control, measuring\n"
"                         the targets probes send from this network\n"
"  --control-resolver ADDR[:PORT]\n"
"                         the vantage's resolver (default: system)\n"
"  --control-allow CIDR   let the vantage connect to this private or\n"
"                         reserved range (repeatable; default: none)\n"
"  --control-ports LIST   ports the vantage measures (default 443,80)\n"
"  --control-rate N       targets a minute for each token (default 600)\n"
"  --control-timeout MS   the vantage's deadline of each step (default\n"
"                         5000)\n"
"  --control-ca-file FILE the vantage's reference root store (default:\n"
"                         the bundled Mozilla roots)\n"
"  --asn-db FILE          MaxMind DB of networks (e.g. DB-IP's IP-to-ASN lite):\n"
"                         store probe_asn and probe_network of each upload\n"
"  --country-db FILE      MaxMind DB of countries: store probe_cc\n"
"  --trusted-proxy CIDR   believe the last X-Forwarded-For hop of uploads\n"
"                         from these addresses (repeatable)\n"
"  -v, --verbose          log every request\n"
"  -q, --quiet            log errors only\n"
"  --version              print the version\n"
"  --help                 this text\n"
"\n"
"export options:\n"
"  --db FILE|URI          the collector's database (SQLite or PostgreSQL)\n"
"  --since TIME           only records received at or after TIME\n"
"                         (RFC 3339 or YYYY-MM-DD, UTC)\n");
}

static int
cmd_export(int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "since", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char			*db = NULL;
	int64_t				 since = -1;
	int				 ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			db = optarg;
			break;
		case 's':
			if (util_parse_rfc3339_ms(optarg, &since) == -1) {
				log_error("--since %s: not a time (RFC 3339 "
				    "or YYYY-MM-DD)", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || db == NULL) {
		log_error("export: %s", db == NULL ? "--db is required" :
		    "unexpected argument");
		return 2;
	}
	return export_records(db, since, stdout) == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "db", required_argument, NULL, 'd' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ "tokens", required_argument, NULL, 't' },
		{ "max-body", required_argument, NULL, 'b' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "max-connections", required_argument, NULL, 'm' },
		{ "asn-db", required_argument, NULL, 1001 },
		{ "country-db", required_argument, NULL, 1002 },
		{ "trusted-proxy", required_argument, NULL, 1003 },
		{ "dashboard", no_argument, NULL, 'D' },
		{ "dashboard-public", no_argument, NULL, 'P' },
		{ "control", no_argument, NULL, 'C' },
		{ "control-resolver", required_argument, NULL, 'R' },
		{ "control-allow", required_argument, NULL, 'A' },
		{ "control-ports", required_argument, NULL, 'O' },
		{ "control-rate", required_argument, NULL, 'r' },
		{ "control-timeout", required_argument, NULL, 'o' },
		{ "control-ca-file", required_argument, NULL, 'F' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct server_config		 cfg;
	struct control_config		 ctl;
	const char			**proxies = NULL;
	size_t				 nproxies = 0;
	long				 v;
	int				 ch, verbose = 0, quiet = 0;
	int				 control = 0, control_opts = 0;

	log_set_prog("nightjar-collector");
	if (argc > 1 && strcmp(argv[1], "export") == 0)
		return cmd_export(argc - 1, argv + 1);

	memset(&cfg, 0, sizeof cfg);
	cfg.max_body = DEFAULT_MAX_BODY;
	cfg.timeout_s = 30;
	cfg.max_conns = 256;
	control_config_init(&ctl);
	while ((ch = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			cfg.listen = optarg;
			break;
		case 'd':
			cfg.db = optarg;
			break;
		case 'c':
			cfg.tls_cert = optarg;
			break;
		case 'k':
			cfg.tls_key = optarg;
			break;
		case 't':
			cfg.tokens = optarg;
			break;
		case 'b':
			if (util_parse_long(optarg, 1, 1L << 30, &v) == -1) {
				log_error("--max-body %s: expected 1 to %ld "
				    "bytes", optarg, 1L << 30);
				return 2;
			}
			cfg.max_body = (size_t)v;
			break;
		case 'T':
			if (util_parse_long(optarg, 1, 3600, &v) == -1) {
				log_error("--timeout %s: expected 1 to 3600 "
				    "seconds", optarg);
				return 2;
			}
			cfg.timeout_s = (int)v;
			break;
		case 'm':
			if (util_parse_long(optarg, 1, 100000, &v) == -1) {
				log_error("--max-connections %s: expected 1 "
				    "to 100000", optarg);
				return 2;
			}
			cfg.max_conns = (int)v;
			break;
		case 'D':
			cfg.dashboard = 1;
			break;
		case 'P':
			cfg.dashboard = cfg.dashboard_public = 1;
			break;
		case 'C':
			control = 1;
			break;
		case 'R':
			ctl.resolver = optarg;
			control_opts = 1;
			break;
		case 'A':
			if (ctl.n_allow == sizeof ctl.allow / sizeof ctl.allow[0]) {
				log_error("--control-allow: at most %zu ranges",
				    sizeof ctl.allow / sizeof ctl.allow[0]);
				return 2;
			}
			if (bogon_parse_cidr(optarg,
			    &ctl.allow[ctl.n_allow]) != 0) {
				log_error("--control-allow %s: expected an "
				    "address or ADDR/LEN", optarg);
				return 2;
			}
			ctl.n_allow++;
			control_opts = 1;
			break;
		case 'O':
			if (control_parse_ports(&ctl, optarg) != 0) {
				log_error("--control-ports %s: expected ports "
				    "1-65535 separated by commas", optarg);
				return 2;
			}
			control_opts = 1;
			break;
		case 'r':
			if (util_parse_long(optarg, 1, 1000000, &v) == -1) {
				log_error("--control-rate %s: expected 1 to "
				    "1000000 targets a minute", optarg);
				return 2;
			}
			ctl.rate = v;
			control_opts = 1;
			break;
		case 'o':
			if (util_parse_long(optarg, 10, 600000, &v) == -1) {
				log_error("--control-timeout %s: expected 10 to "
				    "600000 ms", optarg);
				return 2;
			}
			ctl.timeout_ms = v;
			control_opts = 1;
			break;
		case 'F':
			ctl.ca_file = optarg;
			control_opts = 1;
			break;
		case 1001:
			cfg.asn_db = optarg;
			break;
		case 1002:
			cfg.country_db = optarg;
			break;
		case 1003:
			proxies = xreallocarray(proxies, nproxies + 1,
			    sizeof *proxies);
			proxies[nproxies++] = optarg;
			cfg.trusted_proxies = proxies;
			cfg.ntrusted_proxies = nproxies;
			break;
		case 'v':
			verbose++;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'V':
			printf("nightjar-collector %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		log_error("unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (cfg.listen == NULL || cfg.db == NULL) {
		log_error("--listen and --db are required");
		usage(stderr);
		return 2;
	}
	if (cfg.dashboard && !cfg.dashboard_public && cfg.tokens == NULL) {
		log_error("--dashboard needs --tokens (its readers' "
		    "passwords) or --dashboard-public");
		return 2;
	}
	if ((cfg.tls_cert == NULL) != (cfg.tls_key == NULL)) {
		log_error("--tls-cert and --tls-key go together");
		return 2;
	}
	if (control_opts && !control) {
		log_error("the --control-* options need --control");
		return 2;
	}
	if (control)
		cfg.control = &ctl;
	log_set_verbosity(verbose, quiet);
	ch = server_run(&cfg);
	free(proxies);
	return ch;
}
