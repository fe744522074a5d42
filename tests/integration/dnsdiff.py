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

Signed mode (--signed; diff_knot_signed.sh): both servers sign the same zones
with their own keys and the same NSEC/NSEC3 parameters. Every query is sent
with EDNS and the DO bit. Compared as above, except (see signed_rr_key):
  - RRSIG by owner, type covered, algorithm, labels, original TTL and signer
    (not TTL, times, key tag or signature), as a set per section
  - DNSKEY by owner, flags, protocol and algorithm; CDS by digest type; no TTL
    for DNSKEY, CDNSKEY, CDS, NSEC3PARAM; SOA without its serial
  - NSEC and NSEC3 fully (owner, TTL, next name, type bitmap, parameters): the
    chain follows from the zone data, so the proofs must be the same records
  - referral glue without RRSIGs; RRSIGs in the additional section are judged
    per response instead
Each response is also checked alone (signed_checks): an RRSIG's TTL is the
TTL of the RRset it covers and it stands beside it (RFC 4034 section 3, RFC
4035 section 3.1.1), a signed RRset in the additional section comes with its
RRSIGs when they fit (RFC 4035 section 3.1.1), glue is not signed (RFC 4035
section 2.2). Alternatives (a) and (b) apply with their RRSIGs, and
  (c) QTYPE=RRSIG: the RRSIGs of any non-empty set of RRsets at the name
      (knotd gives those of one RRset, as for ANY; RFC 1034 gives all).
No other difference is accepted (in particular no extra or missing proof).
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


# Signed mode (--signed): what of a DNSSEC record can be compared between two
# servers that sign the same zone data with their own keys.
#   RRSIG      owner, type covered, algorithm, labels, original TTL and signer
#              (RFC 4034 section 3.1: all fixed by the zone data and the policy's
#              algorithm); not the TTL, validity times, key tag or signature.
#              Compared as a set: a key-signing key may or may not sign more
#              than the DNSKEY RRset (RFC 6781 section 3.1).
#   DNSKEY, CDNSKEY  owner, flags (KSK 257 / ZSK 256), protocol, algorithm; as a set
#   CDS        owner, algorithm, digest type; as a set
#   DNSKEY, CDNSKEY, CDS, NSEC3PARAM: no TTL (not in the zone file: a policy
#              choice of each signer; so no original TTL in their RRSIGs either)
#   SOA        all but the serial (a signer may or may not increase it)
#   NSEC, NSEC3 and all other records: fully, TTL and canonical rdata, as in
#              the unsigned mode (next owner names, type bitmaps and the NSEC3
#              hash parameters follow from the zone data: RFC 4034 section 4,
#              RFC 5155 section 3; their TTL from the SOA: RFC 9077 section 3)
SIGNER_TTL = frozenset((dns.rdatatype.DNSKEY, dns.rdatatype.CDNSKEY, dns.rdatatype.CDS,
                        dns.rdatatype.NSEC3PARAM))


def signed_rr_key(name, ttl, rdata):
    """One RR for the signed comparison (see above): (owner, class, type, TTL
    or None, rdata or a tuple of what is compared of it)."""
    owner = name.to_text().lower()
    t = rdata.rdtype
    if t == dns.rdatatype.RRSIG:
        cov = rdata.type_covered
        return (owner, rdata.rdclass, t, None,
                ("covers", cov, rdata.algorithm, rdata.labels,
                 None if cov in SIGNER_TTL else rdata.original_ttl,
                 rdata.signer.to_text().lower()))
    if t in (dns.rdatatype.DNSKEY, dns.rdatatype.CDNSKEY):
        return (owner, rdata.rdclass, t, None,
                ("key", rdata.flags, rdata.protocol, rdata.algorithm))
    if t == dns.rdatatype.CDS:
        return (owner, rdata.rdclass, t, None, ("cds", rdata.algorithm, rdata.digest_type))
    if t == dns.rdatatype.SOA:
        rdata = rdata.replace(serial=0)
    k = rr_key(name, ttl, rdata)
    if t in SIGNER_TTL:
        k = k[:3] + (None,) + k[4:]
    return k


def signed_section_rrs(section):
    """[(key, text)] in wire order with signed_rr_key; the record types
    compared as a set (RRSIG, DNSKEY, CDNSKEY, CDS) appear once per key."""
    out = []
    seen = set()
    for rrset in section:
        for rd in rrset:
            k = signed_rr_key(rrset.name, rrset.ttl, rd)
            if k[3] is None and k[2] != dns.rdatatype.NSEC3PARAM:
                if k in seen:
                    continue
                seen.add(k)
            out.append((k, rr_text(rrset.name, rrset.ttl, rd)))
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
    def of(cls, msg, signed=False):
        rrs = signed_section_rrs if signed else section_rrs
        additional = rrs(msg.additional)
        if signed:
            # RRSIGs in the additional section are judged on their own
            # (signed_checks: RFC 4035 section 3.1.1), not against the reference
            additional = [(k, t) for k, t in additional if k[2] != dns.rdatatype.RRSIG]
        f = msg.flags
        flags = {"QR": bool(f & dns.flags.QR), "AA": bool(f & dns.flags.AA),
                 "TC": bool(f & dns.flags.TC), "RD": bool(f & dns.flags.RD),
                 "RA": bool(f & dns.flags.RA), "AD": bool(f & dns.flags.AD),
                 "CD": bool(f & dns.flags.CD)}
        return cls(msg.rcode(), flags, msg.edns >= 0,
                   bool(msg.ednsflags & dns.flags.DO) if msg.edns >= 0 else False,
                   rrs(msg.answer), rrs(msg.authority), additional)

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

    def is_authoritative(self, name):
        """True if name is in a hosted zone and not at or below a zone cut
        there (its RRsets are signed; glue is not: RFC 4035 section 2.2)."""
        origin = self.zone_of(name)
        if origin is None:
            return False
        z = self.zones[origin]
        n = name
        while n != origin:
            node = z.get_node(n)
            if node is not None and node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NS):
                return False
            n = n.parent()
        return True

    @staticmethod
    def _is_ent(z, name):
        return any(n != name and n.is_subdomain(name) for n in z.nodes)


# ----------------------------------------------------------------------------
# Signed mode: checks of one response alone

# signature octets per DNSSEC algorithm (RFC 6605, RFC 8080; RSA at 2048 bits)
SIG_OCTETS = {5: 256, 7: 256, 8: 256, 10: 256, 13: 64, 14: 96, 15: 64, 16: 114}


def signed_checks(res, zones):
    """Problems of one signed response by itself (both servers are checked):
      - RFC 4034 section 3: an RRSIG's TTL is the TTL of the RRset it covers;
        so it stands in the same section as that RRset (RFC 4035 section
        3.1.1), except in the answer to QTYPE=RRSIG, where its TTL is then
        its Original TTL (what the authoritative zone holds)
      - RFC 4035 section 3.1.1: a signed RRset (authoritative data, not glue)
        placed in the additional section comes with its RRSIGs; they may be
        left out only if they do not fit in the response
      - RFC 4035 section 2.2: glue (at or below a zone cut) is not signed
    An address record in the additional section is glue when it is at or
    below the owner of a delegation NS RRset in the authority section (one
    without RRSIG, RFC 4035 section 2.2; an apex NS RRset is signed);
    otherwise it is judged by the hosted zone it falls in (longest match).
    A truncated response (TC) is only checked for the TTLs."""
    m = res.msg
    spec = res.spec
    tc = bool(m.flags & dns.flags.TC)
    p = []
    algs = set()
    signed_ns = {rrset.name.to_text().lower() for rrset in m.authority
                 if rrset.rdtype == dns.rdatatype.RRSIG
                 and any(rd.type_covered == dns.rdatatype.NS for rd in rrset)}
    cuts = {rrset.name for rrset in m.authority if rrset.rdtype == dns.rdatatype.NS
            and rrset.name.to_text().lower() not in signed_ns}

    def authoritative(name):
        if any(name.is_subdomain(c) for c in cuts):
            return False
        return zones.is_authoritative(name)

    for sname, section in (("answer", m.answer), ("authority", m.authority),
                           ("additional", m.additional)):
        ttls = collections.defaultdict(set)
        for rrset in section:
            if rrset.rdtype != dns.rdatatype.RRSIG:
                ttls[(rrset.name.to_text().lower(), rrset.rdtype)].add(rrset.ttl)
        for rrset in section:
            if rrset.rdtype != dns.rdatatype.RRSIG:
                continue
            owner = rrset.name.to_text().lower()
            for rd in rrset:
                algs.add(rd.algorithm)
                cov = dns.rdatatype.to_text(rd.type_covered)
                covered = ttls.get((owner, rd.type_covered))
                if covered:
                    if covered != {rrset.ttl}:
                        p.append("%s: RRSIG %s of %s has TTL %d, the RRset it covers %s "
                                 "(RFC 4034 section 3: the same TTL)" % (
                                     sname, cov, rrset.name, rrset.ttl,
                                     "/".join(str(t) for t in sorted(covered))))
                elif sname == "answer" and spec.qtype == dns.rdatatype.RRSIG:
                    if rrset.ttl != rd.original_ttl:
                        p.append("answer: RRSIG %s of %s has TTL %d, but covers an RRset of "
                                 "TTL %d (its Original TTL; RFC 4034 section 3: the same TTL)"
                                 % (cov, rrset.name, rrset.ttl, rd.original_ttl))
                elif not tc:
                    p.append("%s: RRSIG %s of %s without the RRset it covers in that "
                             "section (RFC 4035 section 3.1.1)" % (sname, cov, rrset.name))
                if sname == "additional" and not authoritative(rrset.name):
                    p.append("additional: RRSIG %s of %s, which is glue (not signed: "
                             "RFC 4035 section 2.2)" % (cov, rrset.name))
    if tc or not zones.zones:
        return p
    signed_add = set()
    for rrset in m.additional:
        if rrset.rdtype == dns.rdatatype.RRSIG:
            for rd in rrset:
                signed_add.add((rrset.name.to_text().lower(), rd.type_covered))
    missing = []
    for rrset in m.additional:
        k = (rrset.name.to_text().lower(), rrset.rdtype)
        if (rrset.rdtype != dns.rdatatype.RRSIG and k not in signed_add
                and authoritative(rrset.name) and k not in [x[0] for x in missing]):
            missing.append((k, rrset.name))
    if missing:
        if spec.transport == "tcp":
            limit = 65535
        else:
            limit = spec.bufsize if spec.edns else 512
            if m.edns >= 0:
                limit = min(limit, max(512, m.payload))
        sig = max(SIG_OCTETS.get(a, 64) for a in algs) if algs else 64
        # owner compressed (2) + type, class, TTL, RDLENGTH (10) + RRSIG fixed
        # fields (18) + signer (the zone apex, uncompressed) + the signature
        need = min(2 + 10 + 18 + len(zones.zone_of(n).to_wire()) + sig for _, n in missing)
        free = limit - len(res.wire)
        if free >= need:
            p.append("additional: %s without %s RRSIG although %d octets were free of %d "
                     "(one RRSIG takes %d): RFC 4035 section 3.1.1, a signed RRset in the "
                     "additional section comes with its RRSIGs unless they do not fit" % (
                         ", ".join("%s %s" % (n, dns.rdatatype.to_text(k[1]))
                                   for k, n in missing),
                         "its" if len(missing) == 1 else "their", free, limit, need))
    return p


# ----------------------------------------------------------------------------
# Alternative (c), signed mode: QTYPE=RRSIG

def rrsig_alternative(spec, ref, got, zones, rn, tn):
    """None if not acceptable, else a note. knotd answers QTYPE=RRSIG with the
    signatures of one RRset at the name; the RRSIGs of all RRsets there are
    the answer RFC 1034 section 4.3.2 step 3a gives (RFC 4035 defines no other
    for this QTYPE). Accepted: a non-empty answer of RRSIGs at the QNAME, each
    covering a type that exists there, those of a type the reference also
    gave identical to the reference's (signed comparison), the rest of the
    response identical."""
    if spec.qtype != dns.rdatatype.RRSIG or not ref.flags["AA"] or ref.rcode != dns.rcode.NOERROR:
        return None
    other = compare_views(ref, View(got.rcode, got.flags, got.edns, got.do, ref.answer,
                                    got.authority, got.additional), "ref", "test")
    if other or not got.answer:
        return None
    qn = dns.name.from_text(spec.qname)
    qtext = qn.to_text().lower()
    exist = set(zones.rrsets_at(qn).keys())
    exist.add(dns.rdatatype.NSEC)
    if zones.zone_of(qn) == qn:
        exist.update((dns.rdatatype.DNSKEY, dns.rdatatype.NSEC3PARAM, dns.rdatatype.CDS,
                      dns.rdatatype.CDNSKEY))
    by_type_ref = collections.defaultdict(set)
    for k, _ in ref.answer:
        if k[2] != dns.rdatatype.RRSIG:
            return None
        by_type_ref[k[4][1]].add(k)
    exist.update(by_type_ref)
    by_type_got = collections.defaultdict(set)
    for k, _ in got.answer:
        if k[2] != dns.rdatatype.RRSIG or k[0] != qtext or k[4][1] not in exist:
            return None
        by_type_got[k[4][1]].add(k)
    for t, ks in by_type_got.items():
        if t in by_type_ref and by_type_ref[t] != ks:
            return None
    return ("accepted: QTYPE=RRSIG: %s gives the RRSIGs of %d RRset(s) at the name, %s "
            "of %d (RFC 1034 section 4.3.2 step 3a: all of them; %s answers minimally, "
            "as for ANY in RFC 8482 section 4.1)"
            % (tn, len(by_type_got), rn, len(by_type_ref), rn))


# ----------------------------------------------------------------------------
# Alternative (a): RFC 8482 ANY

def any_alternative(spec, ref, got, zones, sections_diff, signed=False):
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
    if signed:
        # every RRset of the answer with its RRSIGs, no other RRSIG
        # (RFC 4035 section 3.1.1); the RRsets are then judged as below
        data = [(k, t) for k, t in got.answer if k[2] != dns.rdatatype.RRSIG]
        sigs = {(k[0], k[4][1]) for k, _ in got.answer if k[2] == dns.rdatatype.RRSIG}
        if sigs != {(k[0], k[2]) for k, _ in data}:
            return None
        got = View(got.rcode, got.flags, got.edns, got.do, data, got.authority, got.additional)
        ref = View(ref.rcode, ref.flags, ref.edns, ref.do,
                   [(k, t) for k, t in ref.answer if k[2] != dns.rdatatype.RRSIG],
                   ref.authority, ref.additional)
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


def cname_forms(spec, ref, zones, ask_ref, signed=False):
    """Acceptable views other than ref itself for alternative (b). Signed
    mode: a stopped form keeps the RRSIGs of the CNAMEs it keeps and is not
    offered when the kept part holds a wildcard expansion (its proof would
    be in the authority section); a followed form takes the target's
    authority section (with its proofs) and adds the reference's NSEC/NSEC3
    records of the first zone."""
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
                if signed and k[2] == dns.rdatatype.RRSIG:
                    continue    # added below, with the RRsets they cover
                keep.append((k, t))
                if k[2] == dns.rdatatype.CNAME and k[0] == owner.to_text().lower():
                    break
            if signed:
                owners = {(k[0], k[2]) for k, _ in keep}
                sigs = [(k, t) for k, t in ref.answer if k[2] == dns.rdatatype.RRSIG
                        and (k[0], k[4][1]) in owners]
                if any(k[4][3] < len(dns.name.from_text(k[0])) - 1 for k, _ in sigs):
                    continue    # a wildcard expansion: its proof is needed
                keep += sigs
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
        tv = View.of(res.msg, signed)
        flags = dict(cur.flags)
        flags["TC"] = cur.flags["TC"] or tv.flags["TC"]
        auth = tv.authority
        if signed:
            zo = zones.zone_of(owner)
            proofs = (dns.rdatatype.NSEC, dns.rdatatype.NSEC3)
            auth = auth + [(k, t) for k, t in cur.authority
                           if (k[2] in proofs or (k[2] == dns.rdatatype.RRSIG
                                                  and k[4][1] in proofs))
                           and zones.zone_of(dns.name.from_text(k[0])) == zo]
        nv = View(tv.rcode, flags, cur.edns, cur.do, cur.answer + tv.answer,
                  auth, tv.additional,
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
        if args.label:
            desc = "%s: %s" % (args.label, desc)
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
        compare = not problems
        if args.signed and compare:
            # each response by itself, then (below) the two against each other
            problems.extend("%s (reference): %s" % (rn, p) for p in signed_checks(ref, zones))
            problems.extend("%s: %s" % (tn, p) for p in signed_checks(got, zones))
        if compare:
            rv, gv = View.of(ref.msg, args.signed), View.of(got.msg, args.signed)
            d = compare_views(rv, gv, rn, tn)
            if d:
                note = any_alternative(spec, rv, gv, zones, d, args.signed)
                tried = []
                if spec.qtype == dns.rdatatype.ANY:
                    tried.append("RFC 8482 ANY forms")
                if note is None and args.signed:
                    note = rrsig_alternative(spec, rv, gv, zones, rn, tn)
                    if note is None and spec.qtype == dns.rdatatype.RRSIG:
                        tried.append("the QTYPE=RRSIG form")
                if note is None:
                    forms = cname_forms(spec, rv, zones, ask_ref, args.signed)
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
    ap.add_argument("--label", default="", help="prefix of every TAP description")
    ap.add_argument("--signed", action="store_true",
                    help="signed zones: every query with DO, DNSSEC-aware comparison")
    args = ap.parse_args()

    specs = []
    if args.queries:
        specs.extend(read_queries(args.queries))
    for i, line in enumerate(args.query or [], 1):
        specs.extend(parse_query_line(line, base_options(), "--query %d" % i, 0))
    if args.signed:
        for spec in specs:
            spec.edns = True
            spec.do = True
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
