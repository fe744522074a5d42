#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Build the seed corpora of the fuzzers (tests/fuzz/corpus/{engine,zone}/).

Usage: /usr/bin/python3 tests/fuzz/mkcorpus.py [OUTDIR]   (default: tests/fuzz/corpus)

engine/: real queries (dnspython) against the zones of the engine fuzzer,
each behind the 16-octet control prefix fuzz_engine.c reads (transport, EDNS,
engine configuration, cookie).  zone/: small master files for apex fuzz.test.
Output is deterministic: file names are the SHA-1 of the content, and old
seeds are removed first, so running it twice changes nothing.
"""
import hashlib
import os
import struct
import sys

import dns.edns
import dns.flags
import dns.message
import dns.opcode
import dns.rdataclass
import dns.rdatatype

# control byte of the prefix (see fuzz_engine.c)
TCP, OPT, DO, COOKIE, SCOOKIE, NSID = 0x01, 0x02, 0x10, 0x20, 0x40, 0x80


def conf(n):
    return (n & 3) << 2


def prefix(flags=0, bufsize=1232, version=0, client=b"\x01" * 8, age=0):
    ver = 0 if version == 0 else 0xF0 | (version & 0xF)
    return (bytes([flags]) + struct.pack("!HB", bufsize, ver) + client +
            struct.pack("!i", age))


def query(name, rdtype, qid=0x1234, rd=False, opcode=0, rdclass="IN"):
    q = dns.message.make_query(name, rdtype, rdclass)
    q.id = qid
    q.flags = dns.flags.RD if rd else 0
    q.set_opcode(opcode)
    return q.to_wire()


def edns_query(name, rdtype, payload=1232, options=(), version=0, do=False):
    q = dns.message.make_query(name, rdtype, use_edns=version, payload=payload,
                               options=list(options), want_dnssec=do)
    q.id = 0xBEEF
    q.flags = 0
    return q.to_wire()


def engine_seeds():
    names = [
        ("example.test", "SOA"), ("example.test", "ANY"), ("www.example.test", "A"),
        ("WwW.ExAmPlE.TeSt", "AAAA"), ("nope.example.test", "A"), ("host.example.test", "TXT"),
        ("example.test", "MX"), ("_sip._tcp.example.test", "SRV"), ("sip.example.test", "NAPTR"),
        ("x.wild.example.test", "MX"), ("a.b.wild.example.test", "TXT"),
        ("foo.wcname.example.test", "A"), ("c1.example.test", "A"), ("loop1.example.test", "A"),
        ("a.b.dname.example.test", "A"), ("x.dname-long.example.test", "A"),
        ("big-txt.example.test", "TXT"), ("huge-txt.example.test", "TXT"),
        ("x.sub.example.test", "A"), ("big.example.test", "NS"), ("huge-ns.example.test", "A"),
        ("child.example.test", "DS"), ("www.child.example.test", "A"),
        ("1.2.0.192.in-addr.arpa", "PTR"), ("alias.target.test", "A"), ("example.org", "A"),
        ("b.c.example.test", "A"), ("www.example.test", "AXFR"), ("www.example.test", "IXFR"),
        ("x.w.edge.test", "MX"), ("x.w.edge.test", "PTR"), ("a.wl.edge.test", "A"),
        ("c00.edge.test", "A"), ("q.d1.edge.test", "A"), ("q.d2.edge.test", "A"),
        ("x.d5.edge.test", "MX"), ("a.d7.edge.test", "A"), ("many.edge.test", "NS"),
        ("x.many.edge.test", "A"), ("mxbig.edge.test", "MX"), ("extmx.edge.test", "MX"),
        ("long.edge.test", "A"), ("self2.edge.test", "MX"), ("cd.edge.test", "A"),
    ]
    seeds = []
    for i, (n, t) in enumerate(names):
        # one transport/EDNS variant per name, in turn
        pre = [prefix(), prefix(OPT | conf(i) | (DO if i % 2 else 0)),
               prefix(TCP | OPT | conf(i + 1), bufsize=4096)][i % 3]
        seeds.append(pre + query(n, t, qid=i))
    # EDNS in the message itself, with options
    seeds.append(prefix() + edns_query("www.example.test", "A",
                                       options=[dns.edns.GenericOption(3, b"")]))
    seeds.append(prefix() + edns_query("www.example.test", "A", version=1))
    seeds.append(prefix() + edns_query("www.example.test", "A", payload=100))
    seeds.append(prefix() + edns_query("www.example.test", "A",
                                       options=[dns.edns.GenericOption(10, b"\x11" * 8)]))
    seeds.append(prefix(TCP) + edns_query("www.example.test", "A",
                                          options=[dns.edns.GenericOption(11, b"")]))
    seeds.append(prefix(OPT | COOKIE | conf(1)) + query("www.example.test", "A"))
    seeds.append(prefix(OPT | COOKIE | SCOOKIE | conf(2), age=100) + query("example.test", "SOA"))
    seeds.append(prefix(OPT | COOKIE | SCOOKIE | NSID | conf(1), age=4000) + query("example.test", "NS"))
    seeds.append(prefix(TCP | OPT | NSID | conf(2)) + query("example.test", "SOA"))
    seeds.append(prefix(OPT, version=3) + query("example.test", "SOA"))
    seeds.append(prefix(TCP) + edns_query("www.example.test", "A",
                                          options=[dns.edns.GenericOption(11, b"\x00\x64")]))
    # DNAME results longer than 255 octets: YXDOMAIN (RFC 6672 2.2)
    seeds.append(prefix() + query("a" * 63 + "." + "b" * 60 + ".dname-long.example.test", "A"))
    seeds.append(prefix(OPT) + query(".".join(["c" * 63] * 3) + ".q.d1.edge.test", "A"))
    # the 255-octet name of the edge zone
    seeds.append(prefix(TCP) + query(".".join(["a" * 63] * 3 + ["a" * 51]) + ".edge.test", "A"))
    # odd headers and classes
    seeds.append(prefix() + query("www.example.test", "A", opcode=dns.opcode.NOTIFY))
    seeds.append(prefix() + query("www.example.test", "A", opcode=dns.opcode.UPDATE))
    seeds.append(prefix() + query("www.example.test", "A", rdclass="CH"))
    seeds.append(prefix() + query("www.example.test", "A", rd=True))
    seeds.append(prefix() + query("www.example.test", "OPT"))
    seeds.append(prefix() + query("www.example.test", "TSIG"))
    w = query("www.example.test", "A")
    seeds.append(prefix() + w[:2] + b"\x84\x00" + w[4:])        # QR set
    seeds.append(prefix() + w[:5] + b"\x00" + w[6:])            # QDCOUNT 0
    seeds.append(prefix() + w[:5] + b"\x02" + w[6:] + w[12:])   # QDCOUNT 2
    seeds.append(prefix() + w + b"\x00")                        # trailing octet
    seeds.append(prefix() + w[:-3])                             # truncated
    seeds.append(prefix() + w[:12] + b"\xc0\x0c\x00\x01\x00\x01")  # pointer in the question
    # an answer section with a compression loop
    seeds.append(prefix() + w[:7] + b"\x01" + w[8:] + b"\xc0\x22\x00\x01\x00\x01\x00\x00\x00\x00\x00\x00")
    # a label count near the limit
    seeds.append(prefix() + w[:12] + b"\x01a" * 127 + b"\x00\x00\x01\x00\x01")
    seeds.append(prefix() + w[:12])
    seeds.append(b"\x12\x34")
    return seeds


ZONES = [
    """$ORIGIN fuzz.test.
$TTL 300
@ SOA ns hostmaster 1 3600 600 86400 60
@ NS ns
@ NS ns.other.example.
@ MX 10 mail
ns A 192.0.2.1
mail A 192.0.2.2
mail AAAA 2001:db8::2
www CNAME mail
*.wild TXT "wildcard" "two strings"
*.wild MX 5 mail.fuzz.test.
sub NS ns.sub
ns.sub A 192.0.2.3
dn DNAME other.example.
_sip._udp SRV 10 20 5060 mail
""",
    """$ORIGIN fuzz.test.
$TTL 1h
@ IN SOA ns.fuzz.test. h.fuzz.test. ( 2024010101 ; serial
        7200 3600 1209600 300 )
  IN NS ns
ns IN A 192.0.2.53
a.b.c IN AAAA ::1
x 60 IN TXT "a;b" "c\\"d" \\# 0
unk IN TYPE65000 \\# 3 010203
caa IN CAA 0 issue "ca.example"
tlsa IN TLSA 3 1 1 0011223344556677889900112233445566778899001122334455667788990011
ptr IN PTR Mixed.Case.Example.
sshfp IN SSHFP 1 1 0123456789abcdef0123456789abcdef01234567
naptr IN NAPTR 100 10 "u" "E2U+sip" "!^.*$!sip:x@fuzz.test!" .
hinfo IN HINFO "cpu" "os"
ds IN NS ns
ds IN DS 12345 13 2 0011223344556677889900112233445566778899001122334455667788990011
""",
    """$ORIGIN fuzz.test.
@ 300 SOA ns h 1 2 3 4 5
@ 300 NS ns
ns 300 A 192.0.2.1
""",
    # invalid zones: each is rejected by a different check
    "$ORIGIN fuzz.test.\n@ 300 NS ns\n",
    "$ORIGIN fuzz.test.\n@ 300 SOA ns h 1 2 3 4 5\n@ 300 NS ns\nwww 300 CNAME a\nwww 300 A 192.0.2.1\n",
    "$ORIGIN fuzz.test.\n@ 300 SOA ns h 1 2 3 4 5\n@ 300 NS ns\nd 300 DNAME x.\na.d 300 A 192.0.2.1\n",
    "$ORIGIN fuzz.test.\n$INCLUDE /etc/passwd\n",
    "$ORIGIN fuzz.test.\n@ 300 SOA ns h 1 2 3 4 5\n@ 300 NS ns\nout.example. 300 A 192.0.2.1\n",
    "$ORIGIN fuzz.test.\n@ 300 CH SOA ns h 1 2 3 4 5\n",
    "$TTL 300\nfuzz.test. SOA ns.fuzz.test. h.fuzz.test. 1 2 3 4 5\nfuzz.test. NS ns.fuzz.test.\n"
    "*.fuzz.test. CNAME fuzz.test.\nx.y.z.fuzz.test. MX 0 .\n",
]


def write(outdir, sub, blobs):
    d = os.path.join(outdir, sub)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    for b in blobs:
        with open(os.path.join(d, hashlib.sha1(b).hexdigest()), "wb") as f:
            f.write(b)
    return len(set(blobs))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus")
    ne = write(outdir, "engine", engine_seeds())
    nz = write(outdir, "zone", [z.encode() for z in ZONES])
    print(f"{ne} engine seeds, {nz} zone seeds in {outdir}")


if __name__ == "__main__":
    main()
