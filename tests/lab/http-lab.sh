# HTTP servers and the SNI shaper of tests/lab/httpd.py for lab tests;
# source after tests/lab/lab.sh, call after lab_start (the certificates).
#
#   http_start NAME SERVER...   start one httpd.py with these servers
#                               (NAME,KIND,ADDR,PORT[,k=v...]); its state
#                               is $LAB_DIR/NAME.state, every event goes
#                               to $LAB_DIR/http.log
#   http_port SERVER            the port a server listens on

http_start() {
	local group="$1" pid
	shift
	python3 "$LAB_LIB/httpd.py" --certs "$LAB_CERTS" \
	    --state "$LAB_DIR/$group.state" --log "$LAB_DIR/http.log" "$@" \
	    2> "$LAB_DIR/$group.err" &
	pid=$!
	LAB_PIDS="$LAB_PIDS $pid"
	_lab_wait "$LAB_DIR/$group.state" "$pid" "$group"
}

http_port() {
	cat "$LAB_DIR"/*.state 2>/dev/null |
	    awk '$1 == n { print $3; f = 1 } END { exit !f }' n="$1" ||
	    lab_fail "http_port: no server $1"
}
