#!/usr/bin/python3
"""dnsdiff.py - differential DNS test: send the same queries to a reference
server (knotd) and to the server under test (dnsd) and compare the answers.

Output is TAP, one line per query (and transport). Run by diff_knot.sh.

  dnsdiff.py --ref 127.0.0.1@PORT1 --test 127.0.0.1@PORT2 \\
             --queries diffqueries.txt --zones diffzones [--start N]
  dnsdiff.py --count --queries diffqueries.txt       # print the number of tests
  dnsdiff.py --show 127.0.0.1@PORT --queries FILE    # print the answers of one server
  dnsdiff.py --show 127.0.0.1@PORT --query 'www.example.test A bufsize=512'

What is compared (strictly, unless an RFC allows more than one answer):
  - both responses: ID, QR, opcode and the question echoed exactly (case too)
  - rcode (incl. extended), all header flags (AA TC RD RA AD CD)
  - EDNS present or not, and the DO bit (the OPT record's other content is ignored)
  - answer and authority sections as multisets of RRs: owner name
    (case-insensitive), class, type, TTL, rdata (RFC 4034 canonical form)
  - for referrals (NOERROR, AA clear, NS in authority): the additional section
    too (glue), without OPT
Accepted alternatives (the note printed names the RFC):
  (a) ANY (RFC 8482): the answer may be a non-empty set of complete RRsets
      that exist at the name, or one synthesized HINFO "RFC8482" "".
  (b) a CNAME (also one synthesized from a DNAME) whose target lies in another
      zone hosted by the same server: the chain may be followed into that zone
      (RFC 1034 4.3.2 step 3a restarts at step 1, which picks the zone) or
      stop after the CNAME (RFC 6604 section 3 / RFC 2181 section 10.1.1 allow
      either); the followed form is built from the reference's answer for the
      target.
Nothing else is accepted.
"""

import argparse
import collections
import os
import random
import socket
import struct
import sys
import time

try:
    import dns.exception
    import dns.flags
    import dns.message
    import dns.name
    import dns.opcode
    import dns.rcode
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype
    import dns.rdtypes.ANY.HINFO
    import dns.zone
except ImportError:
    print("1..0 # SKIP python3-dnspython is not installed")
    sys.exit(77)

DEFAULT_BUFSIZE = 1232
FLAG_NAMES = ("QR", "AA", "TC", "RD", "RA", "AD", "CD")


# ----------------------------------------------------------------------------
# Query file

class QuerySpec:
    """One query to send: name, type, transport, EDNS and header options."""

    def __init__(self, qname, qtype, transport, edns, bufsize, do, rd, cd, lineno):
        self.qname = qname          # text, case kept
        self.qtype = qtype          # int
        self.transport = transport  # 'udp' or 'tcp'
        self.edns = edns            # bool
        self.bufsize = bufsize
        self.do = do
        self.rd = rd
        self.cd = cd
        self.lineno = lineno

    def describe(self):
        parts = [self.transport, self.qname, dns.rdatatype.to_text(self.qtype)]
        if not self.edns:
            parts.append("noedns")
        else:
            parts.append("edns=%d" % self.bufsize)
        if self.do:
            parts.append("do")
        if self.rd:
            parts.append("rd")
        if self.cd:
            parts.append("cd")
        return " ".join(parts)

    def with_name(self, qname):
        return QuerySpec(qname, self.qtype, self.transport, self.edns, self.bufsize,
                         self.do, self.rd, self.cd, self.lineno)


def parse_options(words, opts, where):
    for w in words:
        lw = w.lower()
        if lw in ("udp", "tcp", "both"):
            opts["transport"] = lw
        elif lw == "noedns":
            opts["edns"] = False
        elif lw == "edns":
            opts["edns"] = True
        elif lw.startswith("bufsize="):
            opts["edns"] = True
            opts["bufsize"] = int(lw.split("=", 1)[1])
        elif lw == "do":
            opts["edns"] = True
            opts["do"] = True
        elif lw == "nodo":
            opts["do"] = False
        elif lw == "rd":
            opts["rd"] = True
        elif lw == "nord":
            opts["rd"] = False
        elif lw == "cd":
            opts["cd"] = True
        elif lw == "nocd":
            opts["cd"] = False
        else:
            raise SystemExit("%s: unknown option %r" % (where, w))


def base_options():
    return {"transport": "udp", "edns": True, "bufsize": DEFAULT_BUFSIZE,
            "do": False, "rd": False, "cd": False}


def parse_query_line(line, defaults, where, lineno):
    words = line.split()
    if len(words) < 2:
        raise SystemExit("%s: want 'QNAME TYPE[,TYPE...] [OPTIONS]'" % where)
    qname = words[0]
    if not qname.endswith("."):
        qname += "."
    opts = dict(defaults)
    parse_options(words[2:], opts, where)
    out = []
    for t in words[1].split(","):
        try:
            qtype = dns.rdatatype.from_text(t)
        except Exception:
            raise SystemExit("%s: unknown type %r" % (where, t))
        transports = ["udp", "tcp"] if opts["transport"] == "both" else [opts["transport"]]
        for tr in transports:
            out.append(QuerySpec(qname, qtype, tr, opts["edns"], opts["bufsize"],
                                 opts["do"], opts["rd"], opts["cd"], lineno))
    return out


def read_queries(path):
    specs = []
    defaults = base_options()
    with open(path) as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            where = "%s:%d" % (path, lineno)
            if line.startswith("@defaults"):
                defaults = base_options()
                parse_options(line.split()[1:], defaults, where)
                continue
            specs.extend(parse_query_line(line, defaults, where, lineno))
    return specs


# ----------------------------------------------------------------------------
# Sending

class NoAnswer(Exception):
    pass


def make_query(spec):
    q = dns.message.make_query(
        dns.name.from_text(spec.qname), spec.qtype,
        use_edns=0 if spec.edns else False,
        payload=spec.bufsize if spec.edns else DEFAULT_BUFSIZE,
        want_dnssec=spec.do)
    q.id = random.randint(0, 65535)
    q.flags &= ~dns.flags.RD
    if spec.rd:
        q.flags |= dns.flags.RD
    if spec.cd:
        q.flags |= dns.flags.CD
    return q


def _recv_exact(sock, n, deadline):
    buf = b""
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise NoAnswer("timeout (TCP)")
        sock.settimeout(left)
        try:
            chunk = sock.recv(n - len(buf))
        except socket.timeout:
            raise NoAnswer("timeout (TCP)")
        if not chunk:
            raise NoAnswer("TCP connection closed after %d of %d octets" % (len(buf), n))
        buf += chunk
    return buf


def send_wire(wire, qid, addr, port, transport, timeout, tries=2):
    """Returns the raw response. UDP: retried `tries` times; datagrams with
    another ID are ignored (and counted)."""
    if transport == "tcp":
        deadline = time.monotonic() + timeout
        try:
            with socket.create_connection((addr, port), timeout=timeout) as s:
                s.sendall(struct.pack("!H", len(wire)) + wire)
                (n,) = struct.unpack("!H", _recv_exact(s, 2, deadline))
                return _recv_exact(s, n, deadline)
        except OSError as e:
            raise NoAnswer("TCP error: %s" % e)
    last = "timeout (UDP)"
    for _ in range(tries):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect((addr, port))
            s.send(wire)
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                s.settimeout(left)
                try:
                    data = s.recv(65535)
                except socket.timeout:
                    break
                except ConnectionRefusedError:
                    last = "ICMP port unreachable (nothing listens)"
                    break
                if len(data) >= 2 and struct.unpack("!H", data[:2])[0] == qid:
                    return data
                last = "only datagrams with a wrong ID"
    raise NoAnswer(last)


class Result:
    """A response as received: wire, parsed message or an error."""

    def __init__(self, spec, server, wire=None, msg=None, error=None):
        self.spec = spec
        self.server = server
        self.wire = wire
        self.msg = msg
        self.error = error

    def ok(self):
        return self.msg is not None


def ask(spec, server, timeout):
    addr, port = server
    q = make_query(spec)
    wire = q.to_wire()
    try:
        data = send_wire(wire, q.id, addr, port, spec.transport, timeout)
    except NoAnswer as e:
        return Result(spec, server, error=str(e)), q
    try:
        msg = dns.message.from_wire(data, raise_on_truncation=False,
                                    one_rr_per_rrset=True)
    except Exception as e:  # malformed answer
        return Result(spec, server, wire=data,
                      error="unparsable response (%s): %s" % (type(e).__name__, data.hex())), q
    return Result(spec, server, wire=data, msg=msg), q


# ----------------------------------------------------------------------------
# Normalizing and comparing

def rr_key(name, ttl, rdata):
    """One RR, comparable: owner lower-cased, canonical rdata."""
    try:
        canon = rdata.to_digestable()
    except Exception:
        canon = rdata.to_wire()
    return (name.to_text().lower(), rdata.rdclass, rdata.rdtype, ttl, canon)


def rr_text(name, ttl, rdata):
    return "%s %d %s %s %s" % (name.to_text(), ttl, dns.rdataclass.to_text(rdata.rdclass),
                               dns.rdatatype.to_text(rdata.rdtype), rdata.to_text())


def section_rrs(section):
    """[(key, text)] in wire order (parsed one RR per RRset, so duplicates and
    per-RR TTLs stay visible); OPT/TSIG are not in dnspython's sections."""
    out = []
    for rrset in section:
        for rd in rrset:
            out.append((rr_key(rrset.name, rrset.ttl, rd), rr_text(rrset.name, rrset.ttl, rd)))
    return out


class View:
    """What is compared of a response (or of a constructed expected form)."""

    def __init__(self, rcode, flags, edns, do, answer, authority, additional, note=""):
        self.rcode = rcode
        self.flags = flags          # dict name -> bool
        self.edns = edns
        self.do = do
        self.answer = answer        # [(key, text)]
        self.authority = authority
        self.additional = additional
        self.note = note

    @classmethod
    def of(cls, msg):
        f = msg.flags
        flags = {"QR": bool(f & dns.flags.QR), "AA": bool(f & dns.flags.AA),
                 "TC": bool(f & dns.flags.TC), "RD": bool(f & dns.flags.RD),
                 "RA": bool(f & dns.flags.RA), "AD": bool(f & dns.flags.AD),
                 "CD": bool(f & dns.flags.CD)}
        return cls(msg.rcode(), flags, msg.edns >= 0,
                   bool(msg.ednsflags & dns.flags.DO) if msg.edns >= 0 else False,
                   section_rrs(msg.answer), section_rrs(msg.authority),
                   section_rrs(msg.additional))

    def is_referral(self):
        return (self.rcode == dns.rcode.NOERROR and not self.flags["AA"]
                and any(k[2] == dns.rdatatype.NS for k, _ in self.authority))


def multiset_diff(name, a, b, an, bn):
    ca = collections.Counter(k for k, _ in a)
    cb = collections.Counter(k for k, _ in b)
    if ca == cb:
        return []
    ta = dict(a)
    tb = dict(b)
    out = []
    for who, only, text in ((an, ca - cb, ta), (bn, cb - ca, tb)):
        for k in sorted(only.keys(), key=repr):
            times = "" if only[k] == 1 else " (x%d)" % only[k]
            out.append("%s: only %s has: %s%s" % (name, who, text[k], times))
    return out


def compare_views(exp, got, en, gn, sections=("answer", "authority")):
    """Differences between the expected view (reference) and the tested one."""
    d = []
    if exp.rcode != got.rcode:
        d.append("rcode: %s %s, %s %s" % (en, dns.rcode.to_text(exp.rcode),
                                          gn, dns.rcode.to_text(got.rcode)))
    for fl in FLAG_NAMES:
        if exp.flags[fl] != got.flags[fl]:
            d.append("flag %s: %s %d, %s %d" % (fl, en, exp.flags[fl], gn, got.flags[fl]))
    if exp.edns != got.edns:
        d.append("EDNS OPT present: %s %s, %s %s" % (en, exp.edns, gn, got.edns))
    elif exp.do != got.do:
        d.append("EDNS DO bit: %s %d, %s %d" % (en, exp.do, gn, got.do))
    for s in sections:
        d.extend(multiset_diff(s, getattr(exp, s), getattr(got, s), en, gn))
    if "additional" not in sections and exp.is_referral():
        d.extend(multiset_diff("additional (referral glue)", exp.additional,
                               got.additional, en, gn))
    return d


def sanity(res, query):
    """Checks on one response alone: ID, QR, opcode, question echoed."""
    m = res.msg
    p = []
    if m.id != query.id:
        p.append("ID %d != query ID %d" % (m.id, query.id))
    if not m.flags & dns.flags.QR:
        p.append("QR not set")
    if m.opcode() != dns.opcode.QUERY:
        p.append("opcode %s" % dns.opcode.to_text(m.opcode()))
    if len(m.question) != 1:
        p.append("question count %d" % len(m.question))
    else:
        qq = m.question[0]
        want = dns.name.from_text(res.spec.qname)
        if (qq.name.to_text() != want.to_text() or qq.rdtype != res.spec.qtype
                or qq.rdclass != dns.rdataclass.IN):
            p.append("question is %s %s %s, sent %s %s IN (case must be kept)" % (
                qq.name, dns.rdataclass.to_text(qq.rdclass), dns.rdatatype.to_text(qq.rdtype),
                want, dns.rdatatype.to_text(res.spec.qtype)))
    return p


# ----------------------------------------------------------------------------
# Zone data (for the accepted alternatives)

class Zones:
    def __init__(self, zdir):
        self.zones = {}
        if not zdir:
            return
        for fn in sorted(os.listdir(zdir)):
            if not fn.endswith(".zone"):
                continue
            origin = dns.name.from_text(fn[:-len(".zone")])
            self.zones[origin] = dns.zone.from_file(os.path.join(zdir, fn), origin=origin,
                                                    relativize=False, check_origin=False)

    def zone_of(self, name):
        """The hosted zone whose apex is the longest match of name (or None)."""
        best = None
        for origin in self.zones:
            if name.is_subdomain(origin):
                if best is None or len(origin) > len(best):
                    best = origin
        return best

    def rrsets_at(self, name):
        """{(type): (ttl, set(canonical rdata))} at name, with wildcard synthesis."""
        origin = self.zone_of(name)
        if origin is None:
            return {}
        z = self.zones[origin]
        node = z.get_node(name)
        if node is None:
            # closest encloser, then *.closest-encloser (RFC 4592)
            ce = name.parent()
            while ce != origin and z.get_node(ce) is None and not self._is_ent(z, ce):
                ce = ce.parent()
            node = z.get_node(dns.name.Name((b"*",) + ce.labels))
            if node is None:
                return {}
        out = {}
        for rds in node.rdatasets:
            out[rds.rdtype] = (rds.ttl, frozenset(rd.to_digestable() for rd in rds))
        return out

    @staticmethod
    def _is_ent(z, name):
        return any(n != name and n.is_subdomain(name) for n in z.nodes)


# ----------------------------------------------------------------------------
# Alternative (a): RFC 8482 ANY

def any_alternative(spec, ref, got, zones, sections_diff):
    """None if not acceptable, else a note."""
    if spec.qtype != dns.rdatatype.ANY or not ref.flags["AA"] or ref.rcode != dns.rcode.NOERROR:
        return None
    # everything but the answer section must match
    other = compare_views(ref, View(got.rcode, got.flags, got.edns, got.do, ref.answer,
                                    got.authority, got.additional), "ref", "test")
    if other:
        return None
    qn = dns.name.from_text(spec.qname)
    if not got.answer:
        return None
    # HINFO "RFC8482" ""
    if len(got.answer) == 1:
        k = got.answer[0][0]
        if k[2] == dns.rdatatype.HINFO and k[0] == qn.to_text().lower():
            rd = dns.rdata.from_wire(dns.rdataclass.IN, dns.rdatatype.HINFO, k[4], 0, len(k[4]))
            if rd.cpu == b"RFC8482" and rd.os == b"":
                return "accepted: RFC 8482 section 4.2 synthesized HINFO"
    truth = zones.rrsets_at(qn)
    # RRsets the reference showed at the name count as existing too
    for k, _ in ref.answer:
        if k[0] == qn.to_text().lower():
            ttl, s = truth.get(k[2], (k[3], frozenset()))
            if ttl == k[3]:
                truth[k[2]] = (ttl, s | {k[4]})
    got_sets = {}
    for k, _ in got.answer:
        if k[0] != qn.to_text().lower():
            return None
        ttl, s = got_sets.get(k[2], (k[3], set()))
        if ttl != k[3]:
            return None
        s.add(k[4])
        got_sets[k[2]] = (ttl, s)
    for t, (ttl, s) in got_sets.items():
        if t not in truth or truth[t][0] != ttl or truth[t][1] != frozenset(s):
            return None
    return "accepted: RFC 8482 section 4.1, %d of %d RRsets at the name" % (
        len(got_sets), len(truth))


# ----------------------------------------------------------------------------
# Alternative (b): CNAME into another hosted zone

def cname_chain(view, qname):
    """[(index in answer, owner, target)] for the CNAMEs followed from qname."""
    chain = []
    cur = qname.to_text().lower()
    seen = set()
    while cur not in seen:
        seen.add(cur)
        nxt = None
        for i, (k, _) in enumerate(view.answer):
            if k[0] == cur and k[2] == dns.rdatatype.CNAME:
                rd = dns.rdata.from_wire(dns.rdataclass.IN, dns.rdatatype.CNAME, k[4], 0, len(k[4]))
                nxt = (i, dns.name.from_text(cur), rd.target)
                break
        if nxt is None:
            break
        chain.append(nxt)
        cur = nxt[2].to_text().lower()
    return chain


def cross_zone(zones, owner, target):
    zo = zones.zone_of(owner)
    zt = zones.zone_of(target)
    return zt is not None and zo != zt


def cname_forms(spec, ref, zones, ask_ref):
    """Acceptable views other than ref itself for alternative (b)."""
    if spec.qtype in (dns.rdatatype.CNAME, dns.rdatatype.ANY):
        return []
    qn = dns.name.from_text(spec.qname)
    forms = []
    chain = cname_chain(ref, qn)
    # stopped forms: cut the reference's answer after a cross-zone CNAME; the
    # authority section is then empty (a reference that stopped there may
    # have put a referral it saw in its own zone there instead)
    for idx, owner, target in chain:
        if cross_zone(zones, owner, target):
            keep = []
            for k, t in ref.answer:
                keep.append((k, t))
                if k[2] == dns.rdatatype.CNAME and k[0] == owner.to_text().lower():
                    break
            forms.append(View(dns.rcode.NOERROR, dict(ref.flags), ref.edns, ref.do, keep, [], [],
                              note="accepted: chain stopped after the CNAME %s -> %s "
                                   "(RFC 6604 section 3)" % (owner, target)))
    # followed forms: ask the reference for the target
    cur = ref
    seen = {qn.to_text().lower()}
    for _ in range(8):
        ch = cname_chain(cur, qn)
        if not ch:
            break
        idx, owner, target = ch[-1]
        tl = target.to_text().lower()
        if tl in seen or any(k[0] == tl for k, _ in cur.answer):
            break
        seen.update(c[1].to_text().lower() for c in ch)
        if not cross_zone(zones, owner, target):
            break
        seen.add(tl)
        res = ask_ref(spec.with_name(target.to_text()))
        if not res.ok():
            break
        tv = View.of(res.msg)
        flags = dict(cur.flags)
        flags["TC"] = cur.flags["TC"] or tv.flags["TC"]
        nv = View(tv.rcode, flags, cur.edns, cur.do, cur.answer + tv.answer,
                  tv.authority, tv.additional,
                  note="accepted: chain followed from %s into the hosted zone %s "
                       "(RFC 1034 section 4.3.2 step 3a)" % (owner, zones.zone_of(target)))
        forms.append(nv)
        cur = nv
    return forms


# ----------------------------------------------------------------------------
# Output

def diag(lines):
    for line in lines:
        for sub in str(line).splitlines():
            print("#   " + sub if sub else "#")


def show_result(label, res):
    if res.ok():
        diag(["%s:" % label] + ["  " + x for x in res.msg.to_text().splitlines()])
    else:
        diag(["%s: %s" % (label, res.error)])


def run_diff(args, specs):
    ref_srv = parse_server(args.ref)
    test_srv = parse_server(args.test)
    zones = Zones(args.zones)
    n = args.start
    failed = 0
    consecutive_timeouts = 0
    t_end = time.monotonic() + args.deadline
    rn, tn = args.ref_name, args.test_name

    def ask_ref(s):
        return ask(s, ref_srv, args.timeout)[0]

    for spec in specs:
        desc = "%s (line %d)" % (spec.describe(), spec.lineno)
        if time.monotonic() > t_end:
            print("not ok %d - %s" % (n, desc))
            diag(["not asked: the time budget of %gs for all queries is used up" % args.deadline])
            failed += 1
            n += 1
            continue
        if consecutive_timeouts >= 5:
            print("not ok %d - %s" % (n, desc))
            diag(["%s stopped answering (5 queries in a row without an answer); "
                  "not asked" % tn])
            failed += 1
            n += 1
            continue
        ref, rq = ask(spec, ref_srv, args.timeout)
        got, gq = ask(spec, test_srv, args.timeout)
        problems = []
        if not ref.ok():
            problems.append("%s (reference): %s" % (rn, ref.error))
        else:
            problems.extend("%s (reference): %s" % (rn, p) for p in sanity(ref, rq))
        if not got.ok():
            problems.append("%s: %s" % (tn, got.error))
            if not got.error.startswith("unparsable"):
                consecutive_timeouts += 1
        else:
            consecutive_timeouts = 0
            problems.extend("%s: %s" % (tn, p) for p in sanity(got, gq))
        note = None
        if not problems:
            rv, gv = View.of(ref.msg), View.of(got.msg)
            d = compare_views(rv, gv, rn, tn)
            if d:
                note = any_alternative(spec, rv, gv, zones, d)
                tried = []
                if spec.qtype == dns.rdatatype.ANY:
                    tried.append("RFC 8482 ANY forms")
                if note is None:
                    forms = cname_forms(spec, rv, zones, ask_ref)
                    if forms:
                        tried.append("%d CNAME-into-hosted-zone form(s)" % len(forms))
                    for form in forms:
                        if not compare_views(form, gv, rn, tn):
                            note = form.note
                            break
                if note is None:
                    problems.extend(d)
                    if tried:
                        problems.append("(no accepted alternative matched either: %s)"
                                        % ", ".join(tried))
        if problems:
            failed += 1
            print("not ok %d - %s" % (n, desc))
            diag(problems)
            show_result("%s answered" % rn, ref)
            show_result("%s answered" % tn, got)
        else:
            print("ok %d - %s" % (n, desc))
            if note:
                diag([note])
        sys.stdout.flush()
        n += 1
    if not args.no_plan:
        print("1..%d" % (n - 1))
    diag(["%d of %d queries differ" % (failed, len(specs))])
    return 0


def parse_server(s):
    if "@" in s:
        a, p = s.rsplit("@", 1)
        return a, int(p)
    return s, 53


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ref", help="reference server ADDR@PORT")
    ap.add_argument("--test", help="server under test ADDR@PORT")
    ap.add_argument("--ref-name", default="knotd")
    ap.add_argument("--test-name", default="dnsd")
    ap.add_argument("--queries", help="query file")
    ap.add_argument("--query", action="append", help="one query line (repeatable)")
    ap.add_argument("--zones", help="folder of NAME.zone files served (for the alternatives)")
    ap.add_argument("--start", type=int, default=1, help="number of the first TAP test")
    ap.add_argument("--no-plan", action="store_true", help="do not print the 1..N line")
    ap.add_argument("--timeout", type=float, default=2.0, help="seconds per try")
    ap.add_argument("--deadline", type=float, default=45.0, help="seconds for all queries")
    ap.add_argument("--count", action="store_true", help="print the number of tests and exit")
    ap.add_argument("--show", metavar="ADDR@PORT", help="print one server's answers")
    args = ap.parse_args()

    specs = []
    if args.queries:
        specs.extend(read_queries(args.queries))
    for i, line in enumerate(args.query or [], 1):
        specs.extend(parse_query_line(line, base_options(), "--query %d" % i, 0))
    if args.count:
        print(len(specs))
        return 0
    if args.show:
        srv = parse_server(args.show)
        for spec in specs:
            res, _ = ask(spec, srv, args.timeout)
            print(";;;; %s (line %d)" % (spec.describe(), spec.lineno))
            print(res.msg.to_text() if res.ok() else ";; " + res.error)
            print()
        return 0
    if not (args.ref and args.test):
        ap.error("--ref and --test are needed (or --count / --show)")
    return run_diff(args, specs)


if __name__ == "__main__":
    sys.exit(main())
