#!/bin/bash
# scale.sh N... : how loading grows with the zone count, dnsd beside Knot DNS.
# For each N: a genzones.py corpus of N mail domains; dnsd: `dnsctl zone add` of all
# zones (one batch transaction, and the per-zone command for N <= 1000), then the time
# from dnsd's start until the last zone answers and dnsd's peak RSS; knotd: the time
# from its start until the last zone answers, and its peak RSS.  Unsigned zones.
# usage: bench/scale.sh 1000 10000 100000     (needs knot, knot-dnsutils, python3)
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${top_builddir:-$(pwd)}
D=$top/dnsd/dnsd C=$top/tools/dnsctl
w=$(mktemp -d -t scale.XXXXXX)
trap 'pkill -f "$w/" 2>/dev/null; sleep 0.3; rm -rf $w' EXIT
since() { echo "$(date +%s.%N) - $1" | bc; }
hwm() { awk '/VmHWM/{printf "%.1f", $2/1024}' /proc/$1/status; }
# start_wait PORT NAME LOG CMD... : start CMD (output to LOG), print "SECONDS PID" once NAME
# answers on PORT (50 ms probes; the prober is ready before the server starts)
start_wait() {
	/usr/bin/python3 - "$@" <<'PY'
import subprocess, sys, time, dns.message, dns.query, dns.rcode
port, name, log, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
q = dns.message.make_query(name, "SOA")
t0 = time.time()
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(log, "w"), start_new_session=True)
while time.time() - t0 < 600 and p.poll() is None:
    try:
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=0.05)
        if r.rcode() == dns.rcode.NOERROR and r.answer:
            print("%.3f %d" % (time.time() - t0, p.pid)); sys.exit(0)
    except Exception:
        pass
    time.sleep(0.005)
print("fail %d" % p.pid)
PY
}
printf '%-8s %-10s %12s %12s %10s %12s %10s\n' zones server add_s add1_s load_s rss_MB
for n in "$@"; do
	c=$w/c$n; python3 "$here/genzones.py" $c --zones $n --queries 10 >/dev/null
	# genzones.py writes 2001:db8::<i+1 in hex>, not an address past 65535 zones: split it
	[ $n -gt 65535 ] && find $c/zones -name '*.zone' -print0 | xargs -0 sed -i -E 's/2001:db8::([0-9a-f]+)([0-9a-f]{4})$/2001:db8::\1:\2/'
	last=$(tail -1 $c/zones.list)
	# dnsd
	S=$w/s$n; mkdir -m 700 $S
	sed "s|\(.*\)|\1 $c/zones/\1.zone|" $c/zones.list > $w/batch
	t0=$(date +%s.%N); $C -D $S zone add --batch $w/batch --dnssec off >/dev/null || { echo "$n: dnsctl zone add --batch failed"; continue; }; add=$(since $t0)
	add1=-
	if [ $n -le 1000 ]; then
		S1=$w/one$n; mkdir -m 700 $S1; t0=$(date +%s.%N)
		for d in $(cat $c/zones.list); do $C -D $S1 zone add $d --file $c/zones/$d.zone --dnssec off >/dev/null; done
		add1=$(since $t0); rm -rf $S1
	fi
	read -r l dp < <(start_wait 5397 $last $w/dnsd.log $D -D $S -l 127.0.0.1@5397 -f)
	r=$(hwm $dp); kill $dp; while kill -0 $dp 2>/dev/null; do sleep 0.1; done
	printf '%-8s %-10s %12s %12s %10s %12s\n' $n dnsd "$add" "$add1" "$l" "$r"
	# knot
	mkdir -p $w/k$n/db
	{ printf '%s\n' "server:" "  rundir: $w/k$n" "  listen: 127.0.0.1@5398" "database:" "  storage: $w/k$n/db" \
		"log:" "  - target: stderr" "    any: error" "template:" "  - id: default" "    storage: $c/zones" \
		'    file: "%s.zone"' "    zonefile-sync: -1" "    journal-content: none" "zone:"
	  sed 's/^/  - domain: /' $c/zones.list; } > $w/k$n/knot.conf
	read -r l kp < <(start_wait 5398 $last $w/knot.log knotd -c $w/k$n/knot.conf)
	r=$(hwm $kp); kill $kp; while kill -0 $kp 2>/dev/null; do sleep 0.1; done
	printf '%-8s %-10s %12s %12s %10s %12s\n' $n knot - - "$l" "$r"
	rm -rf $c $S $w/k$n
done
