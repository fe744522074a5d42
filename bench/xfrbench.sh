#!/bin/bash
# xfrbench.sh [RECORDS] : AXFR throughput of one large zone, dnsd beside knotd as primary.
# The same unsigned zone of RECORDS (default 1,000,000) A records is served by
# dnsd and by knotd; one client (a plain TCP reader that parses only the message
# framing and the header) pulls it 3 times from each: median seconds, MB/s and
# records/s. Needs knot and /usr/bin/python3.
set -u
top=${top_builddir:-$(pwd)}
D=$top/dnsd/dnsd C=$top/tools/dnsctl
n=${1:-1000000}
w=$(mktemp -d -t xfrbench.XXXXXX)
trap 'pkill -f "$w/" 2>/dev/null; sleep 0.3; rm -rf $w' EXIT
p1=$((20000 + RANDOM % 20000)) p2=$((p1 + 1))
/usr/bin/python3 - "$w/big.zone" "$n" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write("$ORIGIN big.test.\n$TTL 300\n@ SOA ns1 h 1 3600 900 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\n")
    for i in range(n - 3):
        f.write("h%d A 10.%d.%d.%d\n" % (i, (i >> 16) & 255, (i >> 8) & 255, i & 255))
PY
"$C" -D $w/st zone add big.test --file $w/big.zone --dnssec off >/dev/null
printf 'allow-transfer 127.0.0.1\n' > $w/dnsd.conf
"$D" -c $w/dnsd.conf -D $w/st -l 127.0.0.1@$p1 -f > $w/dnsd.log 2>&1 &
mkdir -p $w/knot
cat > $w/knot.conf <<EOF
server:
    listen: 127.0.0.1@$p2
    rundir: $w/knot
database:
    storage: $w/knot
acl:
  - id: all
    address: 127.0.0.1
    action: transfer
zone:
  - domain: big.test
    file: $w/big.zone
    acl: all
    journal-content: none
EOF
knotd -c $w/knot.conf > $w/knot.log 2>&1 &
for p in $p1 $p2; do
	for i in $(seq 600); do
		kdig @127.0.0.1 -p $p +short SOA big.test 2>/dev/null | grep -q . && break
		sleep 0.2
	done
done
pull() { # PORT -> seconds bytes messages records
	/usr/bin/python3 - "$1" "$n" <<'PY'
import socket, struct, sys, time
port = int(sys.argv[1])
q = b"\x12\x34\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03big\x04test\x00\x00\xfc\x00\x01"
t0 = time.time()
s = socket.create_connection(("127.0.0.1", port))
s.sendall(struct.pack("!H", len(q)) + q)
buf, total, msgs, soas, an = b"", 0, 0, 0, 0
def need(k):
    global buf
    while len(buf) < k:
        c = s.recv(1 << 20)
        if not c: raise EOFError
        buf += c
while True:
    need(2); l = struct.unpack("!H", buf[:2])[0]
    need(2 + l); m = buf[2:2 + l]; buf = buf[2 + l:]
    msgs += 1; total += l; an += struct.unpack("!H", m[6:8])[0]
    # every record and the SOA again: the transfer is complete (RFC 5936 2.2)
    if an >= int(sys.argv[2]) + 1:
        break
print("%.3f %d %d %d" % (time.time() - t0, total, msgs, an))
PY
}
printf '%-6s %8s %10s %9s %12s\n' server seconds MB msgs records/s
for name in dnsd:$p1 knotd:$p2; do
	port=${name#*:}
	res=()
	for r in 1 2 3; do res+=("$(pull $port)"); done
	med=$(printf '%s\n' "${res[@]}" | sort -n | sed -n 2p)
	read -r sec bytes msgs an <<< "$med"
	printf '%-6s %8.2f %10.1f %9d %12.0f\n' "${name%%:*}" "$sec" "$(echo "$bytes/1048576" | bc -l)" \
		"$msgs" "$(echo "$an/$sec" | bc -l)"
done
echo "dnsd peak RSS $(awk '/VmHWM/{printf "%.0f MB", $2/1024}' /proc/$(pgrep -f "$w/st -l")/status)," \
	"knotd $(awk '/VmHWM/{printf "%.0f MB", $2/1024}' /proc/$(pgrep -f "$w/knot.conf")/status)"
