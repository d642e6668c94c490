#!/usr/bin/perl
# mkmmdb.pl DIR: write DIR/asn.mmdb and DIR/country.mmdb, small MaxMind DB
# files shaped like DB-IP's lite databases, for the collector's tests.
#   127.0.0.0/8     AS64500 "Loopback Net"   KZ
#   198.51.100.0/24 AS64501 "Forwarded Net"  DE
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my $dir = shift or die "usage: mkmmdb.pl DIR\n";
my %types = (
	autonomous_system_number       => 'uint32',
	autonomous_system_organization => 'utf8_string',
	country                        => 'map',
	iso_code                       => 'utf8_string',
);
my @nets = (
	[ '127.0.0.0/8',     64500, 'Loopback Net',  'KZ' ],
	[ '198.51.100.0/24', 64501, 'Forwarded Net', 'DE' ],
);

sub tree {
	my ($type) = @_;
	return MaxMind::DB::Writer::Tree->new(
		ip_version               => 6,
		record_size              => 24,
		database_type            => $type,
		languages                => ['en'],
		description              => { en => 'nightjar test data' },
		map_key_type_callback    => sub { $types{ $_[0] } },
		remove_reserved_networks => 0,
	);
}

my $asn = tree('DBIP-ASN-Lite (compat=GeoLite2-ASN)');
my $cc = tree('DBIP-Country-Lite');
for my $n (@nets) {
	$asn->insert_network($n->[0], {
		autonomous_system_number       => $n->[1],
		autonomous_system_organization => $n->[2],
	});
	$cc->insert_network($n->[0], { country => { iso_code => $n->[3] } });
}
for ([ $asn, 'asn' ], [ $cc, 'country' ]) {
	open(my $fh, '>:raw', "$dir/$_->[1].mmdb") or die "$dir: $!\n";
	$_->[0]->write_tree($fh);
	close($fh) or die "$dir: $!\n";
}
