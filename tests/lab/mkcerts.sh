#!/bin/bash
# Generate the test lab's certificates (ECDSA P-256, made at test time).
#
#   mkcerts.sh DIR [NAME...]      make everything for NAMEs (default list below)
#   mkcerts.sh --forge DIR NAME   add one forged leaf for NAME (rogue root)
#   mkcerts.sh --genuine DIR NAME add one genuine leaf for NAME (lab root)
#
# Layout of DIR:
#   lab-root.pem  lab-root.key    "lab public root" (the reference store)
#   lab-int.pem   lab-int.key     intermediate issuing the genuine leaves
#   rogue-root.pem rogue-root.key C=KZ, CN=Qaznet Trust Network
#   genuine/NAME.pem  .key        genuine leaf (lab-int), SAN DNS:NAME
#   genuine/NAME.chain            leaf + intermediate (what a server presents)
#   forged/NAME.pem   .key        forged leaf issued by the rogue root
#   forged/NAME.chain             forged leaf alone
#   special/expired.*             lab-int leaf for every NAME, expired in 2020
#   special/selfsigned.*          self-signed leaf for every NAME
#   special/wrongname.*           lab-int leaf for wrong.lab.test only
#   special/big.*                 lab-int leaf for every NAME, about 64 KB
#   names.txt                     the NAMEs, one a line
# Every .chain is the file a TLS server loads (leaf first).
set -eu

DEFAULT_NAMES="www.facebook.com www.youtube.com www.wordpress.com example.org lab.test"
SUBJ_ROOT="/O=Nightjar Lab/CN=Nightjar Lab Public Root"
SUBJ_INT="/O=Nightjar Lab/CN=Nightjar Lab Issuing CA 1"
SUBJ_ROGUE="/C=KZ/CN=Qaznet Trust Network"

die() { echo "mkcerts.sh: $*" >&2; exit 2; }

# newkey FILE: a P-256 key
newkey() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$1" 2>/dev/null
}

# mkroot BASE SUBJECT
mkroot() {
	newkey "$1.key"
	openssl req -x509 -new -key "$1.key" -out "$1.pem" -subj "$2" \
	    -days 3650 -sha256 \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# sanlist NAME...: "DNS:a,DNS:b"
sanlist() {
	local out="" n
	for n in "$@"; do
		case "$n" in
		*:*|[0-9]*.[0-9]*.[0-9]*.[0-9]*) out="$out,IP:$n" ;;
		*) out="$out,DNS:$n" ;;
		esac
	done
	echo "${out#,}"
}

# leaf OUTBASE CA_BASE CN SAN [extra openssl req args]: leaf signed by CA
leaf() {
	local out="$1" ca="$2" cn="$3" san="$4"
	shift 4
	newkey "$out.key"
	openssl req -x509 -new -key "$out.key" -out "$out.pem" \
	    -subj "/CN=$cn" -days 825 -sha256 \
	    -CA "$ca.pem" -CAkey "$ca.key" \
	    -addext "subjectAltName=$san" \
	    -addext "basicConstraints=critical,CA:FALSE" \
	    -addext "keyUsage=critical,digitalSignature" \
	    -addext "extendedKeyUsage=serverAuth" "$@" 2>/dev/null
}

genuine() {
	local dir="$1" name="$2"
	mkdir -p "$dir/genuine"
	leaf "$dir/genuine/$name" "$dir/lab-int" "$name" "$(sanlist "$name")"
	cat "$dir/genuine/$name.pem" "$dir/lab-int.pem" \
	    > "$dir/genuine/$name.chain"
}

forge() {
	local dir="$1" name="$2" tmp
	mkdir -p "$dir/forged"
	tmp="$dir/forged/.$name.$$"
	leaf "$tmp" "$dir/rogue-root" "$name" "$(sanlist "$name")"
	cp "$tmp.pem" "$tmp.chain"
	# Renamed into place last: a concurrent reader never sees half a file.
	mv "$tmp.key" "$dir/forged/$name.key"
	mv "$tmp.pem" "$dir/forged/$name.pem"
	mv "$tmp.chain" "$dir/forged/$name.chain"
}

# expired OUTBASE CN SAN: lab-int leaf valid in January 2020 only
expired() {
	local out="$1" cn="$2" san="$3" ca="$dir/.ca"
	mkdir -p "$ca"
	: > "$ca/index.txt"
	echo 01 > "$ca/serial"
	cat > "$ca/ca.cnf" <<EOF
[ca]
default_ca = lab
[lab]
database = $ca/index.txt
new_certs_dir = $ca
serial = $ca/serial
default_md = sha256
policy = pol
unique_subject = no
[pol]
commonName = supplied
[ext]
subjectAltName = $san
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
EOF
	newkey "$out.key"
	openssl req -new -key "$out.key" -subj "/CN=$cn" -out "$ca/req.csr"
	openssl ca -batch -notext -config "$ca/ca.cnf" -extensions ext \
	    -cert "$dir/lab-int.pem" -keyfile "$dir/lab-int.key" \
	    -startdate 20200101000000Z -enddate 20200201000000Z \
	    -in "$ca/req.csr" -out "$out.pem" 2>/dev/null
	rm -rf "$ca"
}

# big OUTBASE SAN: a leaf padded with SANs to about 64 KB of DER
big() {
	local out="$1" san="$2" pad ext="$dir/.big.ext"
	pad=$(seq -f ',DNS:pad-%g.big.lab.test' 1 2880 | tr -d '\n')
	newkey "$out.key"
	openssl req -new -key "$out.key" -subj "/CN=big.lab.test" \
	    -out "$dir/.big.csr"
	printf 'subjectAltName=%s%s\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n' \
	    "$san" "$pad" > "$ext"
	openssl x509 -req -in "$dir/.big.csr" -CA "$dir/lab-int.pem" \
	    -CAkey "$dir/lab-int.key" -CAcreateserial -days 825 -sha256 \
	    -extfile "$ext" -out "$out.pem" 2>/dev/null
	rm -f "$ext" "$dir/.big.csr" "$dir/lab-int.srl"
}

case "${1:-}" in
--forge|--genuine)
	[ $# -eq 3 ] || die "usage: mkcerts.sh $1 DIR NAME"
	case "$3" in
	*/*|.*|"") die "bad name: $3" ;;
	esac
	if [ "$1" = --forge ]; then forge "$2" "$3"; else genuine "$2" "$3"; fi
	exit 0
	;;
-*|"")
	die "usage: mkcerts.sh DIR [NAME...] | --forge DIR NAME | --genuine DIR NAME"
	;;
esac

dir="$1"
shift
[ $# -gt 0 ] || set -- $DEFAULT_NAMES
mkdir -p "$dir/genuine" "$dir/forged" "$dir/special"
printf '%s\n' "$@" > "$dir/names.txt"

mkroot "$dir/lab-root" "$SUBJ_ROOT" &
mkroot "$dir/rogue-root" "$SUBJ_ROGUE" &
wait
newkey "$dir/lab-int.key"
openssl req -x509 -new -key "$dir/lab-int.key" -out "$dir/lab-int.pem" \
    -subj "$SUBJ_INT" -days 3650 -sha256 \
    -CA "$dir/lab-root.pem" -CAkey "$dir/lab-root.key" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

allsan=$(sanlist "$@")
pids=""
for n in "$@"; do
	genuine "$dir" "$n" & pids="$pids $!"
	forge "$dir" "$n" & pids="$pids $!"
done
(
	s="$dir/special"
	expired "$s/expired" "$1" "$allsan"
	cat "$s/expired.pem" "$dir/lab-int.pem" > "$s/expired.chain"
) & pids="$pids $!"
(
	s="$dir/special"
	newkey "$s/selfsigned.key"
	openssl req -x509 -new -key "$s/selfsigned.key" \
	    -out "$s/selfsigned.pem" -subj "/CN=$1" -days 825 -sha256 \
	    -addext "subjectAltName=$allsan" 2>/dev/null
	cp "$s/selfsigned.pem" "$s/selfsigned.chain"
	leaf "$s/wrongname" "$dir/lab-int" wrong.lab.test DNS:wrong.lab.test
	cat "$s/wrongname.pem" "$dir/lab-int.pem" > "$s/wrongname.chain"
) & pids="$pids $!"
(
	s="$dir/special"
	big "$s/big" "$allsan"
	cat "$s/big.pem" "$dir/lab-int.pem" > "$s/big.chain"
) & pids="$pids $!"
rc=0
for p in $pids; do
	wait "$p" || rc=1
done
[ $rc -eq 0 ] || die "certificate generation failed in $dir"
for f in "$dir"/genuine/*.pem "$dir"/forged/*.pem "$dir"/special/*.pem; do
	[ -s "$f" ] || die "missing $f"
done
