#!/usr/bin/python3
"""protocol.py - DNS protocol mechanics of a running dnsd, as TAP lines.

Run by protocol.sh, which starts dnsd with a config holding
    nsid test-ns1 / tcp-idle-timeout 2 / tcp-max-clients 5
and the zone example.test (www A 192.0.2.2, mid: 4 TXT of 80 octets,
big: 20 TXT of 60 octets).

  protocol.py --addr 127.0.0.1 --port PORT [--addr6 ::1 --port6 PORT6]
              [--start N] [--count-file FILE]

Every message is built and parsed here, byte by byte (the malformed ones
cannot be built by a DNS library), with the standard library only.
Covered: EDNS (RFC 6891), NSID (RFC 5001), cookies (RFC 7873, RFC 9018),
header and opcode handling (RFC 1035 4.1.1), TCP (RFC 7766, RFC 7828),
IPv6 transport.  A failing line prints what it got and what it expected.
The number of TAP lines printed goes to --count-file (the shell numbers on).
"""

import argparse
import os
import socket
import struct
import sys
import time

# header flag bits (RFC 1035 4.1.1, RFC 4035 3.2)
QR, AA, TC, RD, RA, AD, CD = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080, 0x0020, 0x0010
T_A, T_NS, T_SOA, T_TXT, T_OPT, T_IXFR, T_AXFR = 1, 2, 6, 16, 41, 251, 252
C_IN, C_CH = 1, 3
O_NSID, O_COOKIE, O_KEEPALIVE, O_EDE = 3, 10, 11, 15
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP",
          5: "REFUSED", 16: "BADVERS", 23: "BADCOOKIE"}

ZONE = "example.test"
WWW_A = "192.0.2.2"
MID_TXT = sorted(("mid-%d-" % i + "m" * 80)[:80] for i in range(4))
BIG_TXT = sorted(("big-%02d-" % i + "b" * 60)[:60] for i in range(20))


# ------------------------------------------------------------------ TAP
class Tap:
    def __init__(self, start):
        self.n = start - 1
        self.count = 0
        self.failed = 0

    def _line(self, ok, desc):
        self.n += 1
        self.count += 1
        if not ok:
            self.failed += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", self.n, desc))

    def check(self, desc, got, want):
        """ok when got == want; otherwise print both."""
        self._line(got == want, desc)
        if got != want:
            print("#   got:      %r" % (got,))
            print("#   expected: %r" % (want,))
        sys.stdout.flush()

    def skip(self, desc, why):
        self.n += 1
        self.count += 1
        print("ok %d - %s # SKIP %s" % (self.n, desc, why))
        sys.stdout.flush()

    def diag(self, text):
        for line in str(text).splitlines():
            print("# " + line)


# ------------------------------------------------------------------ wire building
def name_wire(name):
    """Presentation name -> wire, keeping the case of every octet."""
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def question(qname, qtype, qclass=C_IN):
    return name_wire(qname) + struct.pack("!HH", qtype, qclass)


def opt_rr(bufsize=1232, ext=0, version=0, do=False, options=(), owner=b"\0"):
    rdata = b"".join(struct.pack("!HH", c, len(v)) + v for c, v in options)
    ttl = (ext << 24) | (version << 16) | (0x8000 if do else 0)
    return owner + struct.pack("!HHIH", T_OPT, bufsize, ttl, len(rdata)) + rdata


_next_id = [int.from_bytes(os.urandom(2), "big")]


def new_id():
    _next_id[0] = (_next_id[0] + 7919) & 0xFFFF
    return _next_id[0]


def message(qd=(), an=(), ns=(), ar=(), qid=None, flags=0, opcode=0, counts=None):
    """A DNS message from raw sections; counts overrides the header counts."""
    if qid is None:
        qid = new_id()
    c = counts or (len(qd), len(an), len(ns), len(ar))
    hdr = struct.pack("!6H", qid, (flags & ~(0xF << 11)) | (opcode << 11), *c)
    return hdr + b"".join(qd) + b"".join(an) + b"".join(ns) + b"".join(ar)


def query(qname, qtype=T_A, qclass=C_IN, edns=True, bufsize=1232, do=False, options=(),
          version=0, qid=None, flags=0):
    ar = [opt_rr(bufsize=bufsize, do=do, options=options, version=version)] if edns else []
    return message(qd=[question(qname, qtype, qclass)], ar=ar, qid=qid, flags=flags)


# ------------------------------------------------------------------ parsing
class Resp:
    """A parsed response; raises ValueError when it is not a well-formed message."""

    def __init__(self, wire):
        if len(wire) < 12:
            raise ValueError("%d octets: shorter than a header" % len(wire))
        self.wire = wire
        self.id, self.flags, qd, an, ns, ar = struct.unpack("!6H", wire[:12])
        self.counts = (qd, an, ns, ar)
        o = 12
        self.questions = []
        for _ in range(qd):
            s = o
            o = skip_name(wire, o) + 4
            if o > len(wire):
                raise ValueError("question runs past the end")
            self.questions.append(wire[s:o])
        self.rrs = []  # (section 1..3, type, class, ttl, rdata)
        for sec, n in ((1, an), (2, ns), (3, ar)):
            for _ in range(n):
                o = skip_name(wire, o)
                if o + 10 > len(wire):
                    raise ValueError("RR header runs past the end")
                t, c, ttl, rdlen = struct.unpack("!HHIH", wire[o:o + 10])
                if o + 10 + rdlen > len(wire):
                    raise ValueError("RDATA runs past the end")
                self.rrs.append((sec, t, c, ttl, wire[o + 10:o + 10 + rdlen]))
                o += 10 + rdlen
        if o != len(wire):
            raise ValueError("%d octets after the last RR" % (len(wire) - o))
        opts = [rr for rr in self.rrs if rr[1] == T_OPT]
        self.nopt = len(opts)
        self.opt = None
        if opts:
            _, _, cls, ttl, rd = opts[0]
            self.opt = {"payload": cls, "ext": ttl >> 24, "version": (ttl >> 16) & 0xFF,
                        "do": bool(ttl & 0x8000), "options": parse_options(rd)}
        ext = self.opt["ext"] if self.opt else 0
        self.hrcode = self.flags & 0xF
        self.rcode_num = (ext << 4) | self.hrcode
        self.rcode = RCODES.get(self.rcode_num, str(self.rcode_num))
        self.opcode = (self.flags >> 11) & 0xF

    def flag(self, bit):
        return bool(self.flags & bit)

    def section(self, sec, rtype=None):
        return [rr for rr in self.rrs if rr[0] == sec and (rtype is None or rr[1] == rtype)]

    def a_answers(self):
        return sorted(socket.inet_ntoa(rr[4]) for rr in self.section(1, T_A))

    def txt_answers(self):
        out = []
        for rr in self.section(1, T_TXT):
            rd, o, parts = rr[4], 0, []
            while o < len(rd):
                parts.append(rd[o + 1:o + 1 + rd[o]].decode())
                o += 1 + rd[o]
            out.append("".join(parts))
        return sorted(out)

    def option(self, code):
        """Values of one EDNS option (list; empty when absent or no OPT)."""
        if not self.opt:
            return []
        return [v for c, v in self.opt["options"] if c == code]

    def summary(self):
        """The part most checks compare."""
        return {"rcode": self.rcode, "qd": self.counts[0], "an": self.counts[1],
                "ns": self.counts[2], "opt": self.nopt}


def skip_name(wire, o):
    while True:
        if o >= len(wire):
            raise ValueError("name runs past the end")
        n = wire[o]
        if n == 0:
            return o + 1
        if n & 0xC0 == 0xC0:
            return o + 2
        if n > 63:
            raise ValueError("bad label type 0x%02x" % n)
        o += 1 + n


def parse_options(rd):
    out, o = [], 0
    while o + 4 <= len(rd):
        c, n = struct.unpack("!HH", rd[o:o + 4])
        out.append((c, rd[o + 4:o + 4 + n]))
        o += 4 + n
    if o != len(rd):
        raise ValueError("OPT RDATA: bad option framing")
    return out


# ------------------------------------------------------------------ transport
class Server:
    def __init__(self, addr, port, tap):
        self.addr, self.port, self.tap = addr, port, tap
        self.family = socket.AF_INET6 if ":" in addr else socket.AF_INET
        self.seen = []  # every parsed response, for the RA check at the end

    def udp_raw(self, wire, timeout=1.0):
        """Send one datagram; the reply's octets, or None after timeout."""
        s = socket.socket(self.family, socket.SOCK_DGRAM)
        try:
            s.settimeout(timeout)
            s.sendto(wire, (self.addr, self.port))
            try:
                data, _ = s.recvfrom(65535)
                return data
            except socket.timeout:
                return None
        finally:
            s.close()

    def parse(self, data):
        if data is None:
            return None
        try:
            r = Resp(data)
        except ValueError as e:
            return "unparsable response: %s" % e
        self.seen.append(r)
        return r

    def udp(self, wire, timeout=1.0):
        """Resp, None (no answer) or a string saying why it is unparsable."""
        return self.parse(self.udp_raw(wire, timeout))

    def connect(self, timeout=2.0):
        s = socket.socket(self.family, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.connect((self.addr, self.port))
        return s

    def tcp(self, wire, timeout=2.0):
        s = self.connect(timeout)
        try:
            s.sendall(frame(wire))
            return self.parse(read_msg(s))
        finally:
            s.close()


def frame(wire):
    return struct.pack("!H", len(wire)) + wire


def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        try:
            chunk = s.recv(n - len(buf))
        except socket.timeout:
            return None
        except ConnectionResetError:
            return None
        if not chunk:
            return None
        buf += chunk
    return buf


def read_msg(s):
    h = read_exact(s, 2)
    if h is None:
        return None
    return read_exact(s, struct.unpack("!H", h)[0])


def wait_eof(s, limit):
    """Seconds until the peer closes ('eof' or 'reset'), or what came instead."""
    t0 = time.monotonic()
    s.settimeout(limit)
    try:
        data = s.recv(65535)
    except socket.timeout:
        return ("still open after %.1f s" % limit, None)
    except ConnectionResetError:
        return ("reset", time.monotonic() - t0)
    if data:
        return ("data: %d octets" % len(data), time.monotonic() - t0)
    return ("eof", time.monotonic() - t0)


def desc_of(r):
    """What a check compares when it expects a response."""
    if r is None:
        return "no response"
    if isinstance(r, str):
        return r
    return r.summary()


# ------------------------------------------------------------------ the checks
def edns_checks(sv, t):
    r = sv.udp(query("www." + ZONE, bufsize=4096))
    if isinstance(r, Resp):
        t.check("EDNS: answer with OPT, payload 1232 (we offer 4096), version 0, rcode 0",
                (r.summary(), r.a_answers(), r.opt["payload"], r.opt["version"], r.opt["ext"],
                 r.opt["do"]),
                ({"rcode": "NOERROR", "qd": 1, "an": 1, "ns": 0, "opt": 1}, [WWW_A], 1232, 0, 0,
                 False))
    else:
        t.check("EDNS: answer with OPT, payload 1232, version 0", desc_of(r), "a response")

    r = sv.udp(query("www." + ZONE, do=True))
    t.check("EDNS: DO bit echoed (RFC 3225 3)",
            (desc_of(r), r.opt["do"] if isinstance(r, Resp) and r.opt else None),
            ({"rcode": "NOERROR", "qd": 1, "an": 1, "ns": 0, "opt": 1}, True))

    t.check("no EDNS in the query: no OPT in the response",
            desc_of(sv.udp(query("www." + ZONE, edns=False))),
            {"rcode": "NOERROR", "qd": 1, "an": 1, "ns": 0, "opt": 0})

    r = sv.udp(message(qd=[question("www." + ZONE, T_A)],
                       ar=[b"\0" + struct.pack("!HHIH", T_OPT, 1232, 0x7FFF, 0)]))
    t.check("EDNS: Z flags set in the query: normal answer, response Z flags 0 (RFC 6891 6.1.4)",
            (desc_of(r), r.wire[-4:-2]) if isinstance(r, Resp) else desc_of(r),
            ({"rcode": "NOERROR", "qd": 1, "an": 1, "ns": 0, "opt": 1}, b"\0\0"))

    r = sv.udp(query("www." + ZONE, options=[(12, bytes(1000))]))
    t.check("EDNS: a 1 KB query (padding option) over UDP: answered, no padding echoed",
            (desc_of(r), r.opt["options"]) if isinstance(r, Resp) else desc_of(r),
            ({"rcode": "NOERROR", "qd": 1, "an": 1, "ns": 0, "opt": 1}, []))

    for n, qd in ((0, []), (2, [question("www." + ZONE, T_A), question("ns1." + ZONE, T_A)])):
        r = sv.udp(message(qd=qd, ar=[opt_rr()]))
        t.check("EDNS: FORMERR for QDCOUNT %d with an OPT in the query carries an OPT "
                "(RFC 6891 7: MUST include an OPT record)" % n,
                (r.rcode, r.nopt, r.opt and r.opt["version"]) if isinstance(r, Resp)
                else desc_of(r), ("FORMERR", 1, 0))

    r = sv.udp(query("www." + ZONE, version=1))
    got = desc_of(r)
    if isinstance(r, Resp):
        got = (r.summary(), "header rcode %d" % r.hrcode,
               r.opt and ("ext %d" % r.opt["ext"], "version %d" % r.opt["version"],
                          "payload %d" % r.opt["payload"]))
    t.check("EDNS version 1: BADVERS = OPT ext-rcode 1 + header rcode 0, version 0, no answer "
            "(RFC 6891 6.1.3)", got,
            ({"rcode": "BADVERS", "qd": 1, "an": 0, "ns": 0, "opt": 1}, "header rcode 0",
             ("ext 1", "version 0", "payload 1232")))

    r = sv.udp(message(qd=[question("www." + ZONE, T_A)], ar=[opt_rr(), opt_rr()]))
    t.check("two OPT records: FORMERR, no answer (RFC 6891 6.1.1)",
            (desc_of(r)["rcode"], desc_of(r)["an"]) if isinstance(r, Resp) else desc_of(r),
            ("FORMERR", 0))

    r = sv.udp(message(qd=[question("www." + ZONE, T_A)], an=[opt_rr()]))
    t.check("OPT in the answer section: FORMERR, no answer (RFC 6891 6.1.1)",
            (desc_of(r)["rcode"], desc_of(r)["an"]) if isinstance(r, Resp) else desc_of(r),
            ("FORMERR", 0))

    r = sv.udp(message(qd=[question("www." + ZONE, T_A)],
                       ar=[opt_rr(owner=name_wire("www." + ZONE))]))
    t.check("OPT with an owner other than the root: FORMERR (RFC 6891 6.1.2)",
            (desc_of(r)["rcode"], desc_of(r)["an"]) if isinstance(r, Resp) else desc_of(r),
            ("FORMERR", 0))

    r = sv.udp(query("www." + ZONE, options=[(65001, b"\x01\x02\x03\x04"), (20, b"")]))
    t.check("unknown EDNS options ignored: normal answer, not echoed (RFC 6891 6.1.2)",
            (desc_of(r), r.a_answers(), [c for c, _ in r.opt["options"]])
            if isinstance(r, Resp) else desc_of(r),
            ({"rcode": "NOERROR", "qd": 1, "an": 1, "ns": 0, "opt": 1}, [WWW_A], []))

    for size in (100, 0):
        raw = sv.udp_raw(query("mid." + ZONE, T_TXT, bufsize=size))
        r = sv.parse(raw)
        t.check("EDNS bufsize %d read as 512: the 417-octet answer is not truncated "
                "(RFC 6891 6.2.5)" % size,
                (desc_of(r), r.flag(TC), r.txt_answers()) if isinstance(r, Resp) else desc_of(r),
                ({"rcode": "NOERROR", "qd": 1, "an": 4, "ns": 0, "opt": 1}, False, MID_TXT))

    q = query("big." + ZONE, T_TXT, bufsize=512)
    raw = sv.udp_raw(q)
    r = sv.parse(raw)
    t.check("large answer over UDP, bufsize 512: TC=1, no partial RRset, <= 512 octets "
            "(RFC 6891 7, RFC 2181 9)",
            (desc_of(r), r.flag(TC), len(raw) <= 512) if isinstance(r, Resp) else desc_of(r),
            ({"rcode": "NOERROR", "qd": 1, "an": 0, "ns": 0, "opt": 1}, True, True))
    r = sv.tcp(q)
    t.check("the same query over TCP: the full answer, 20 TXT, TC=0 (RFC 7766 5)",
            (desc_of(r), r.flag(TC), r.txt_answers()) if isinstance(r, Resp) else desc_of(r),
            ({"rcode": "NOERROR", "qd": 1, "an": 20, "ns": 0, "opt": 1}, False, BIG_TXT))

    raw = sv.udp_raw(query("big." + ZONE, T_TXT, edns=False))
    r = sv.parse(raw)
    t.check("large answer over UDP without EDNS: TC=1, <= 512 octets (RFC 1035 4.2.1)",
            (desc_of(r), r.flag(TC), len(raw) <= 512) if isinstance(r, Resp) else desc_of(r),
            ({"rcode": "NOERROR", "qd": 1, "an": 0, "ns": 0, "opt": 0}, True, True))

    raw = sv.udp_raw(query("big." + ZONE, T_TXT, bufsize=4096))
    r = sv.parse(raw)
    t.check("large answer (1.5 KB) with bufsize 4096: still TC, our limit is 1232 "
            "(RFC 6891 6.2.5)",
            (desc_of(r), r.flag(TC), len(raw) <= 1232) if isinstance(r, Resp) else desc_of(r),
            ({"rcode": "NOERROR", "qd": 1, "an": 0, "ns": 0, "opt": 1}, True, True))

    # fill-00..fill-11: one TXT each, answers of 8-octet steps across 512 octets once
    # NSID and a cookie are added: each UDP answer is either the whole answer
    # (the TCP one) or TC with no records, and never more than 512 octets
    got, want, sizes = [], [], []
    client = os.urandom(8)
    for i in range(12):
        opts = [(O_NSID, b""), (O_COOKIE, client)]
        q = query("fill-%02d.%s" % (i, ZONE), T_TXT, bufsize=512, options=opts)
        full = sv.tcp(q)
        raw = sv.udp_raw(q)
        r = sv.parse(raw)
        if not isinstance(full, Resp) or not isinstance(r, Resp):
            got.append((i, desc_of(full), desc_of(r)))
            want.append((i, "TCP and UDP answers"))
            continue
        fits = len(full.wire) <= 512
        sizes.append(len(full.wire))
        got.append((i, len(raw) <= 512, r.flag(TC), r.counts[1], r.txt_answers(),
                    len(r.option(O_NSID)), len(r.option(O_COOKIE))))
        want.append((i, True, not fits, 1 if fits else 0, full.txt_answers() if fits else [],
                     1, 1))
    t.check("UDP bufsize 512 with NSID and a cookie, answers of %d..%d octets: whole answer "
            "if it fits, else TC and no records; never over 512 (RFC 6891 6.2.5, 7)"
            % (min(sizes or [0]), max(sizes or [0])), got, want)


def nsid_checks(sv, t):
    r = sv.udp(query("www." + ZONE, options=[(O_NSID, b"")]))
    t.check("NSID requested: NSID 'test-ns1' in the response, answer normal (RFC 5001 2.3)",
            (desc_of(r), r.option(O_NSID)) if isinstance(r, Resp) else desc_of(r),
            ({"rcode": "NOERROR", "qd": 1, "an": 1, "ns": 0, "opt": 1}, [b"test-ns1"]))
    r = sv.udp(query("www." + ZONE))
    t.check("NSID not requested: no NSID option (RFC 5001 2.3)",
            (desc_of(r), r.option(O_NSID)) if isinstance(r, Resp) else desc_of(r),
            ({"rcode": "NOERROR", "qd": 1, "an": 1, "ns": 0, "opt": 1}, []))
    r = sv.tcp(query("www." + ZONE, options=[(O_NSID, b"")]))
    t.check("NSID over TCP too",
            r.option(O_NSID) if isinstance(r, Resp) else desc_of(r), [b"test-ns1"])


def cookie_shape(r, client):
    """What the checks compare about a response's COOKIE option."""
    if not isinstance(r, Resp):
        return desc_of(r)
    c = r.option(O_COOKIE)
    if len(c) != 1:
        return "%d COOKIE options" % len(c)
    c = c[0]
    ts = struct.unpack("!I", c[12:16])[0] if len(c) >= 16 else None
    return {"rcode": r.rcode, "an": r.counts[1], "len": len(c), "client": c[:8] == client,
            "version": c[8] if len(c) > 8 else None, "reserved": c[9:12],
            "ts_now": ts is not None and abs(ts - int(time.time())) <= 300}


COOKIE_OK = {"rcode": "NOERROR", "an": 1, "len": 24, "client": True, "version": 1,
             "reserved": b"\0\0\0", "ts_now": True}


def cookie_checks(sv, t, label=""):
    if not label:
        r = sv.udp(query("www." + ZONE))
        t.check("cookie: none in the query, none in the response",
                r.option(O_COOKIE) if isinstance(r, Resp) else desc_of(r), [])
    client = os.urandom(8)
    r = sv.udp(query("www." + ZONE, options=[(O_COOKIE, client)]))
    t.check("%scookie: client cookie alone -> 24-octet COOKIE, our client cookie, server part "
            "version 1, reserved 0, timestamp now (RFC 7873 5.2.3, RFC 9018 4)" % label,
            cookie_shape(r, client), COOKIE_OK)
    if not isinstance(r, Resp) or len(r.option(O_COOKIE)) != 1:
        return
    full = r.option(O_COOKIE)[0]
    r2 = sv.udp(query("www." + ZONE, options=[(O_COOKIE, full)]))
    t.check("%scookie: the server cookie sent back -> normal answer with a valid cookie "
            "(RFC 7873 5.2.4)" % label, cookie_shape(r2, client), COOKIE_OK)
    if label:
        return
    t.check("cookie: a valid server cookie is recognised and kept (RFC 9018 4.3)",
            r2.option(O_COOKIE)[:1] if isinstance(r2, Resp) else desc_of(r2), [full])
    r3 = sv.tcp(query("www." + ZONE, options=[(O_COOKIE, full)]))
    t.check("cookie: the server cookie over TCP, same client address: valid too",
            (cookie_shape(r3, client), r3.option(O_COOKIE)[:1] == [full])
            if isinstance(r3, Resp) else desc_of(r3), (COOKIE_OK, True))
    bogus = full[:-1] + bytes([full[-1] ^ 0xFF])
    r4 = sv.udp(query("www." + ZONE, options=[(O_COOKIE, bogus)]))
    shape = cookie_shape(r4, client)
    if isinstance(shape, dict) and shape.get("rcode") == "BADCOOKIE":
        shape["rcode"] = "NOERROR"  # RFC 7873 5.2.3 allows either
        shape["an"] = 1
    t.check("cookie: a forged server cookie -> answer (or BADCOOKIE) with a fresh, different "
            "server cookie (RFC 7873 5.2.3)",
            (shape, r4.option(O_COOKIE)[:1] != [bogus]) if isinstance(r4, Resp) else shape,
            (COOKIE_OK, True))
    for n in (5, 7, 15, 41):
        r = sv.udp(query("www." + ZONE, options=[(O_COOKIE, os.urandom(n))]))
        t.check("cookie of %d octets: FORMERR, no answer (RFC 7873 5.2.2)" % n,
                (r.rcode, r.counts[1]) if isinstance(r, Resp) else desc_of(r), ("FORMERR", 0))
    r = sv.udp(query("www." + ZONE, options=[(O_COOKIE, os.urandom(40))]))
    t.check("cookie of 40 octets (8 + 32, the longest): accepted, fresh server cookie",
            (r.rcode, r.counts[1], [len(c) for c in r.option(O_COOKIE)])
            if isinstance(r, Resp) else desc_of(r), ("NOERROR", 1, [24]))


def header_checks(sv, t):
    www = question("www." + ZONE, T_A)
    for opcode, name in ((1, "IQUERY"), (2, "STATUS"), (5, "UPDATE"), (15, "unassigned 15")):
        r = sv.udp(message(qd=[www], opcode=opcode))
        t.check("opcode %d (%s): NOTIMP, opcode echoed, no answer (RFC 1035 4.1.1)"
                % (opcode, name), (r.rcode, r.opcode, r.counts[1], r.counts[2])
                if isinstance(r, Resp) else desc_of(r), ("NOTIMP", opcode, 0, 0))

    r = sv.udp(message(qd=[www], flags=QR | AA, an=[]), timeout=1.0)
    t.check("QR=1 (a response): dropped, no answer within 1 s (RFC 1035 4.1.1)",
            desc_of(r), "no response")
    r = sv.udp(b"\x12\x34\x00\x00\x00", timeout=0.5)
    t.check("5-octet datagram (no full header): dropped", desc_of(r), "no response")

    qid = new_id()
    r = sv.udp(message(qd=[], qid=qid))
    t.check("QDCOUNT 0: FORMERR, ID copied",
            (r.rcode, r.id, r.counts) if isinstance(r, Resp) else desc_of(r),
            ("FORMERR", qid, (0, 0, 0, 0)))
    r = sv.udp(message(qd=[www, question("ns1." + ZONE, T_A)]))
    t.check("QDCOUNT 2: FORMERR, no answer (RFC 1035 4.1.2: we answer one question)",
            (r.rcode, r.counts[1]) if isinstance(r, Resp) else desc_of(r), ("FORMERR", 0))
    # observed dnsd behaviour for a question that ends early: FORMERR with the
    # header only (QDCOUNT 0: there is no question to echo), never a drop
    for what, wire in (("name cut inside a label", message(qd=[b"\x03ww"])),
                       ("name without its end", message(qd=[b"\x03www\x07exam"])),
                       ("QTYPE/QCLASS missing", message(qd=[name_wire("www." + ZONE) + b"\0"])),
                       ("QDCOUNT 1, nothing after the header", message(counts=(1, 0, 0, 0)))):
        r = sv.udp(wire)
        t.check("truncated question (%s): FORMERR with the header only, not a drop" % what,
                (r.rcode, r.counts, len(r.wire)) if isinstance(r, Resp) else desc_of(r),
                ("FORMERR", (0, 0, 0, 0), 12))
    r = sv.udp(message(qd=[question("www." + ZONE, T_A)[:1] + b"\xc0\x0c" +
                           struct.pack("!HH", T_A, C_IN)]))
    t.check("compression pointer in the question name: FORMERR",
            r.rcode if isinstance(r, Resp) else desc_of(r), "FORMERR")
    r = sv.udp(message(qd=[www]) + b"\xde\xad\xbe\xef")
    t.check("trailing garbage after the question: FORMERR, no answer",
            (r.rcode, r.counts[1]) if isinstance(r, Resp) else desc_of(r), ("FORMERR", 0))
    r = sv.udp(query("www." + ZONE) + b"\x00")
    t.check("trailing octet after the OPT record: FORMERR",
            r.rcode if isinstance(r, Resp) else desc_of(r), "FORMERR")
    r = sv.udp(message(qd=[www], counts=(1, 0, 0, 1)))
    t.check("ARCOUNT 1 with no record: FORMERR",
            r.rcode if isinstance(r, Resp) else desc_of(r), "FORMERR")

    r = sv.udp(query("version.bind", T_TXT, C_CH))
    t.check("class CH (version.bind TXT): REFUSED, no answer",
            (r.rcode, r.counts[1]) if isinstance(r, Resp) else desc_of(r), ("REFUSED", 0))
    r = sv.udp(query("www." + ZONE, T_A, C_CH))
    t.check("class CH for a name in our zone: REFUSED",
            (r.rcode, r.counts[1]) if isinstance(r, Resp) else desc_of(r), ("REFUSED", 0))

    r = sv.tcp(query(ZONE, T_AXFR, edns=False))
    t.check("AXFR over TCP: REFUSED, no records (transfers not allowed by default)",
            desc_of(r), {"rcode": "REFUSED", "qd": 1, "an": 0, "ns": 0, "opt": 0})
    r = sv.udp(query(ZONE, T_AXFR, edns=False))
    t.check("AXFR over UDP: FORMERR (RFC 5936 4.2: AXFR is not defined over UDP)",
            desc_of(r), {"rcode": "FORMERR", "qd": 1, "an": 0, "ns": 0, "opt": 0})
    soa = (name_wire(ZONE) + struct.pack("!HHIH", T_SOA, C_IN, 0, 22) + b"\0\0" +
           struct.pack("!5I", 2026010100, 0, 0, 0, 0))
    ixfr = message(qd=[question(ZONE, T_IXFR)], ns=[soa])
    r = sv.tcp(ixfr)
    t.check("IXFR over TCP: REFUSED (transfers not allowed by default)",
            desc_of(r), {"rcode": "REFUSED", "qd": 1, "an": 0, "ns": 0, "opt": 0})
    r = sv.udp(ixfr)
    t.check("IXFR over UDP: REFUSED like over TCP, not FORMERR (RFC 1995 2: IXFR may use UDP)",
            desc_of(r), {"rcode": "REFUSED", "qd": 1, "an": 0, "ns": 0, "opt": 0})
    r = sv.udp(query("www." + ZONE, T_OPT))
    t.check("QTYPE OPT (41): FORMERR, no answer (RFC 6891 6.1.1)",
            (r.rcode, r.counts[1]) if isinstance(r, Resp) else desc_of(r), ("FORMERR", 0))

    for qid in (0x0000, 0xFFFF, 0xA55A):
        r = sv.udp(query("www." + ZONE, qid=qid))
        t.check("ID 0x%04x copied" % qid, r.id if isinstance(r, Resp) else desc_of(r), qid)
    r = sv.udp(query("www." + ZONE, flags=RD))
    t.check("RD=1 copied, RA not set, AA set",
            (r.flag(RD), r.flag(RA), r.flag(AA)) if isinstance(r, Resp) else desc_of(r),
            (True, False, True))
    r = sv.udp(query("www." + ZONE, flags=0))
    t.check("RD=0 copied", r.flag(RD) if isinstance(r, Resp) else desc_of(r), False)
    r = sv.udp(query("www." + ZONE, flags=CD | RD))
    t.check("CD=1 in the query: cleared in the authoritative response (RFC 4035 3.1.6)",
            (r.flag(CD), r.rcode, r.a_answers()) if isinstance(r, Resp) else desc_of(r),
            (False, "NOERROR", [WWW_A]))
    r = sv.udp(query("www." + ZONE, flags=AD | TC | AA | RA | 0x0040))
    t.check("AA, TC, RA, AD and Z set in the query: AA=1 (our answer), TC=0, RA=0, Z=0, AD=0",
            (r.flag(AA), r.flag(TC), r.flag(RA), bool(r.flags & 0x40), r.flag(AD), r.rcode)
            if isinstance(r, Resp) else desc_of(r), (True, False, False, False, False, "NOERROR"))
    for name in ("wWw.ExAmPlE.TeSt", "WWW.EXAMPLE.TEST"):
        q = question(name, T_A)
        r = sv.udp(message(qd=[q]))
        t.check("question case preserved exactly: %s (RFC 4343 4.1, 0x20)" % name,
                (r.questions, r.a_answers()) if isinstance(r, Resp) else desc_of(r),
                ([q], [WWW_A]))
    q = question("NoSuch.ExAmPlE.tEsT", T_A)
    r = sv.udp(message(qd=[q]))
    t.check("question case preserved in an NXDOMAIN", (r.rcode, r.questions)
            if isinstance(r, Resp) else desc_of(r), ("NXDOMAIN", [q]))
    r = sv.udp(query("www.not-ours.test"))
    t.check("a name outside our zones: REFUSED",
            r.rcode if isinstance(r, Resp) else desc_of(r), "REFUSED")


def tcp_checks(sv, t):
    names = ["www", "ns1", "nosuch", "www", "mid", "ns1", "www", "nosuch"]
    want = {}
    wire = b""
    for n in names:
        qid = new_id()
        qt = T_TXT if n == "mid" else T_A
        want[qid] = (question(n + "." + ZONE, qt), "NXDOMAIN" if n == "nosuch" else "NOERROR")
        wire += frame(query(n + "." + ZONE, qt, qid=qid))
    s = sv.connect()
    got = {}
    try:
        s.sendall(wire)
        for _ in names:
            r = sv.parse(read_msg(s))
            if not isinstance(r, Resp):
                got.setdefault("bad", []).append(desc_of(r))
                break
            got.setdefault(r.id, []).append((r.questions[0] if r.questions else None, r.rcode))
    finally:
        s.close()
    t.check("TCP: %d pipelined queries in one send, each ID answered once, with its question "
            "(RFC 7766 6.2.1.1)" % len(names), got, {k: [v] for k, v in want.items()})

    q1 = frame(query("www." + ZONE, qid=0x1111))
    q2 = frame(query("ns1." + ZONE, qid=0x2222))
    s = sv.connect()
    try:
        s.sendall(q1[:1])
        time.sleep(0.05)
        s.sendall(q1[1:2])
        time.sleep(0.05)
        s.sendall(q1[2:9])
        time.sleep(0.05)
        s.sendall(q1[9:] + q2[:5])
        r1 = sv.parse(read_msg(s))
        time.sleep(0.05)
        s.sendall(q2[5:])
        r2 = sv.parse(read_msg(s))
    finally:
        s.close()
    t.check("TCP: length prefix byte by byte and the message in pieces: answered",
            (r1.id, r1.rcode, r1.a_answers()) if isinstance(r1, Resp) else desc_of(r1),
            (0x1111, "NOERROR", [WWW_A]))
    t.check("TCP: a query whose first half came with the previous one: answered",
            (r2.id, r2.rcode, r2.a_answers()) if isinstance(r2, Resp) else desc_of(r2),
            (0x2222, "NOERROR", ["192.0.2.1"]))

    r = sv.tcp(query("www." + ZONE, options=[(O_KEEPALIVE, b"")]))
    t.check("TCP: edns-tcp-keepalive asked -> TIMEOUT 20 (2 s in 100 ms units, RFC 7828 3.3.2)",
            (r.rcode, r.option(O_KEEPALIVE)) if isinstance(r, Resp) else desc_of(r),
            ("NOERROR", [struct.pack("!H", 20)]))
    r = sv.udp(query("www." + ZONE, options=[(O_KEEPALIVE, b"")]))
    t.check("UDP: edns-tcp-keepalive ignored, not in the response (RFC 7828 3.2.1, 3.3.1)",
            (r.rcode, r.counts[1], r.option(O_KEEPALIVE)) if isinstance(r, Resp)
            else desc_of(r), ("NOERROR", 1, []))

    r = sv.tcp(query("www." + ZONE, options=[(O_KEEPALIVE, struct.pack("!H", 100))]))
    t.check("TCP: edns-tcp-keepalive with a TIMEOUT in the query: FORMERR (RFC 7828 3.2.1: "
            "clients send it empty)",
            (r.rcode, r.counts[1], r.option(O_KEEPALIVE)) if isinstance(r, Resp)
            else desc_of(r), ("FORMERR", 0, []))

    s = sv.connect()
    try:
        s.sendall(frame(message(qd=[question("www." + ZONE, T_A)], flags=QR, qid=0x5151)) +
                  frame(query("www." + ZONE, qid=0x5252)))
        r = sv.parse(read_msg(s))
    finally:
        s.close()
    t.check("TCP: a response (QR=1) is ignored, the next message on the connection answered",
            (r.id, r.rcode) if isinstance(r, Resp) else desc_of(r), (0x5252, "NOERROR"))
    for what, data in (("length 0", b"\0\0"), ("5 octets", b"\0\x05hello")):
        s = sv.connect()
        try:
            s.sendall(data)
            res = wait_eof(s, 1.0)[0]
        finally:
            s.close()
        t.check("TCP: a message shorter than a header (%s): connection closed, no answer" % what,
                res, "eof")

    # idle timeout (tcp-idle-timeout 2): one connection that never sends, one
    # that sends a query after 1 s; the server closes each 2 s after its last
    # activity: the silent one 2 s after the connect, the other 2 s after its answer
    a = sv.connect()
    b = sv.connect()
    t0 = time.monotonic()
    try:
        time.sleep(1.0)
        b.sendall(frame(query("www." + ZONE)))
        rb = sv.parse(read_msg(b))
        t1 = time.monotonic()
        res = {}
        for name, s, since in (("silent", a, t0), ("after an answer at 1 s", b, t1)):
            what, _ = wait_eof(s, max(4.0 - (time.monotonic() - t0), 0.1))
            secs = time.monotonic() - since
            res[name] = (what, "2 s" if 1.6 <= secs <= 2.6 else "%.1f s" % secs)
        t.check("TCP idle timeout 2 s: closed by the server 2 s after the last activity "
                "(RFC 7766 6.2.3)", (isinstance(rb, Resp), res),
                (True, {"silent": ("eof", "2 s"), "after an answer at 1 s": ("eof", "2 s")}))
    finally:
        a.close()
        b.close()

    # connection limit (tcp-max-clients 5)
    time.sleep(0.3)  # the server has seen all earlier connections close
    conns = []
    try:
        ans = []
        for i in range(5):
            s = sv.connect()
            conns.append(s)
            s.sendall(frame(query("www." + ZONE)))
            r = sv.parse(read_msg(s))
            ans.append(r.rcode if isinstance(r, Resp) else desc_of(r))
        t.check("TCP limit 5: five connections open and served", ans, ["NOERROR"] * 5)
        six = sv.connect()
        what, secs = wait_eof(six, 1.0)
        six.close()
        t.check("TCP limit 5: a sixth connection is closed by the server at once, without "
                "sending anything (RFC 7766 6.2.2)",
                (what, secs is not None and secs < 0.5), ("eof", True))
        ans = []
        for s in conns:
            s.sendall(frame(query("ns1." + ZONE)))
            r = sv.parse(read_msg(s))
            ans.append(r.a_answers() if isinstance(r, Resp) else desc_of(r))
        t.check("TCP limit 5: the five open connections are still served", ans,
                [["192.0.2.1"]] * 5)
    finally:
        for s in conns:
            s.close()
    time.sleep(0.3)
    ans = []
    conns = []
    try:
        for i in range(5):
            s = sv.connect()
            conns.append(s)
        for s in conns:
            s.sendall(frame(query("www." + ZONE)))
            r = sv.parse(read_msg(s))
            ans.append(r.rcode if isinstance(r, Resp) else desc_of(r))
    finally:
        for s in conns:
            s.close()
    t.check("TCP limit 5: once those are closed, five new connections are served", ans,
            ["NOERROR"] * 5)


def ipv6_checks(sv6, t):
    r = sv6.udp(query("www." + ZONE))
    t.check("IPv6 [%s]:%d UDP: answer" % (sv6.addr, sv6.port),
            (r.rcode, r.a_answers(), r.flag(AA)) if isinstance(r, Resp) else desc_of(r),
            ("NOERROR", [WWW_A], True))
    r = sv6.tcp(query("www." + ZONE))
    t.check("IPv6 [%s]:%d TCP: answer" % (sv6.addr, sv6.port),
            (r.rcode, r.a_answers(), r.flag(AA)) if isinstance(r, Resp) else desc_of(r),
            ("NOERROR", [WWW_A], True))
    cookie_checks(sv6, t, label="IPv6: ")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--addr6", default="::1")
    ap.add_argument("--port6", type=int, default=0, help="0: skip the IPv6 checks")
    ap.add_argument("--skip6", default="", help="why the IPv6 checks are skipped")
    ap.add_argument("--start", type=int, default=1)
    ap.add_argument("--count-file")
    a = ap.parse_args()
    t = Tap(a.start)
    sv = Server(a.addr, a.port, t)
    try:
        edns_checks(sv, t)
        nsid_checks(sv, t)
        cookie_checks(sv, t)
        header_checks(sv, t)
        tcp_checks(sv, t)
        if a.port6:
            ipv6_checks(Server(a.addr6, a.port6, t), t)
        else:
            t.skip("IPv6 checks", a.skip6 or "no IPv6 port given")
        ra = [r.id for r in sv.seen if r.flag(RA)]
        t.check("RA never set (in all %d responses)" % len(sv.seen),
                "%d with RA, IDs %s" % (len(ra), ra[:5]), "0 with RA, IDs []")
    except Exception as e:  # a crash of this script must show as a failure
        import traceback
        t.check("protocol.py ran to the end", "exception: %r" % e, "no exception")
        t.diag(traceback.format_exc())
    finally:
        if a.count_file:
            with open(a.count_file, "w") as f:
                f.write("%d\n" % t.count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
