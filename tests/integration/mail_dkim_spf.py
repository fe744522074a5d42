#!/usr/bin/python3
"""mail_dkim_spf.py - DKIM and SPF as real verifiers see a running dnsd.

Run by mail_dkim_spf.sh with /usr/bin/python3 (Debian's python3-dkim,
python3-spf and python3-dnspython). Every DNS question goes to dnsd on
127.0.0.1@PORT. Prints one line per check: "ok DESC" or "not ok DESC",
and "# ..." comments; the shell numbers the TAP lines. Exit 0 unless the
command line is wrong or a check crashed (then the traceback is on stderr).

  mail_dkim_spf.py export PORT DIR DOMAIN:N...
      DIR is a "dnsctl mail dkim export" directory: KeyTable and
      SigningTable agree with each other and with DIR/keys, DOMAIN has N
      keys there (no other domain has any), and a message signed with each
      key (RSA PEM, or Ed25519 = base64 of the 32-byte seed) verifies with
      the key dnsd serves. Prints "# key DOMAIN SELECTOR FILE" per key.
  mail_dkim_spf.py dkim PORT pass|fail DOMAIN SELECTOR KEYFILE...
      mail signed with each key verifies (pass) or does not (fail).
  mail_dkim_spf.py signed PORT NAME
      the TXT answer for NAME (DO bit set) carries an RRSIG over it.
  mail_dkim_spf.py spf PORT IP SENDER HELO RESULT...   (groups of four)
      spf.check2(i=IP, s=SENDER, h=HELO) gives RESULT ("-" = empty sender).
"""

import os
import re
import sys
import warnings

import dkim
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import spf

warnings.filterwarnings("ignore", category=DeprecationWarning)


def resolver(port):
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = ["127.0.0.1"]
    r.port = port
    r.timeout = 2
    r.lifetime = 5
    r.cache = None
    return r


def ok(cond, desc, *diag):
    print(("ok " if cond else "not ok ") + desc)
    if not cond:
        for d in diag:
            for line in str(d).splitlines() or [""]:
                print("#   " + line)
    sys.stdout.flush()
    return cond


def make_dnsfunc(port, seen):
    """A dkimpy dnsfunc asking dnsd: the TXT strings joined, or None."""
    r = resolver(port)

    def dnsfunc(name, timeout=5):
        qname = name.decode() if isinstance(name, bytes) else name
        try:
            ans = r.resolve(qname, "TXT", search=False, lifetime=timeout)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            seen.append((qname, None))
            return None
        txt = b"".join(b"".join(rd.strings) for rd in ans)
        seen.append((qname, txt))
        return txt

    return dnsfunc


MESSAGE = (b"From: Alice <alice@%(d)s>\r\n"
           b"To: Bob <bob@example.org>\r\n"
           b"Subject: DKIM test for %(d)s with %(s)s\r\n"
           b"Date: Fri, 27 Nov 2026 12:00:00 +0000\r\n"
           b"Message-ID: <%(s)s.test@%(d)s>\r\n"
           b"\r\n"
           b"Hello from %(d)s.\r\n"
           b"This body is covered by the bh= hash.\r\n")


def key_alg(data):
    return "rsa" if data.lstrip().startswith(b"-----BEGIN RSA PRIVATE KEY-----") else "ed25519"


def sign_verify(port, domain, selector, keyfile, tamper=False):
    """(verified, alg, detail): sign a message with the key in keyfile, verify
    via dnsd (with tamper, a message whose body changed after signing)."""
    with open(keyfile, "rb") as f:
        data = f.read()
    alg = key_alg(data)
    d = domain.rstrip(".").encode()
    s = selector.encode()
    msg = MESSAGE % {b"d": d, b"s": s}
    if alg == "rsa":
        sig = dkim.sign(msg, s, d, data, signature_algorithm=b"rsa-sha256")
    else:
        # dkimpy: the Ed25519 private key is the base64 text of the 32-byte seed
        sig = dkim.sign(msg, s, d, data.strip(), signature_algorithm=b"ed25519-sha256")
    seen = []
    logs = []

    class L:
        def debug(self, m, *a):
            logs.append(m % a if a else m)
        info = warning = error = debug

    if tamper:
        msg = msg.replace(b"Hello", b"Hullo")
    res = dkim.verify(sig + msg, logger=L(), dnsfunc=make_dnsfunc(port, seen))
    detail = ["signature: " + sig.decode().replace("\r\n", "")[:160] + "...",
              "DNS: %r" % seen] + logs
    return res, alg, detail


def cmd_export(port, dirname, expects):
    want = {}
    for e in expects:
        dom, n = e.rsplit(":", 1)
        want[dom.rstrip(".").lower()] = int(n)
    kt_path = os.path.join(dirname, "KeyTable")
    st_path = os.path.join(dirname, "SigningTable")
    keydir = os.path.join(dirname, "keys")
    keytable = {}
    bad = []
    with open(kt_path) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            m = re.fullmatch(r"(\S+)\s+([^:\s]+):([^:\s]+):(\S+)", line.strip())
            if not m:
                bad.append("KeyTable: " + line.rstrip())
                continue
            keytable[m.group(1)] = (m.group(2), m.group(3), m.group(4))
    signing = []
    with open(st_path) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            m = re.fullmatch(r"\*@(\S+)\s+(\S+)", line.strip())
            if not m:
                bad.append("SigningTable: " + line.rstrip())
                continue
            signing.append((m.group(1), m.group(2)))
    label = os.path.basename(os.path.normpath(dirname))
    ok(not bad, "%s: KeyTable and SigningTable lines parse" % label, *bad)

    problems = []
    for pat, keyname in signing:
        if keyname not in keytable:
            problems.append("SigningTable *@%s names %s, not in KeyTable" % (pat, keyname))
        elif keytable[keyname][0] != pat:
            problems.append("SigningTable *@%s -> %s, whose KeyTable domain is %s"
                            % (pat, keyname, keytable[keyname][0]))
    used = {k for _, k in signing}
    for keyname, (dom, sel, path) in sorted(keytable.items()):
        if keyname not in used:
            problems.append("KeyTable %s is not in the SigningTable" % keyname)
        if keyname != "%s._domainkey.%s" % (sel, dom):
            problems.append("KeyTable name %s is not SELECTOR._domainkey.DOMAIN" % keyname)
        if os.path.dirname(os.path.abspath(path)) != os.path.abspath(keydir):
            problems.append("KeyTable %s: key file %s not in %s" % (keyname, path, keydir))
        if not os.path.isfile(path):
            problems.append("KeyTable %s: no key file %s" % (keyname, path))
    files = sorted(os.listdir(keydir)) if os.path.isdir(keydir) else []
    listed = sorted(os.path.basename(p) for _, _, p in keytable.values())
    if files != listed:
        problems.append("files in keys/: %s; in the KeyTable: %s" % (files, listed))
    ok(not problems, "%s: SigningTable, KeyTable and keys/ agree" % label, *problems)

    per = {}
    for keyname, (dom, sel, path) in keytable.items():
        per.setdefault(dom.rstrip(".").lower(), []).append((sel, path))
    for dom in sorted(set(want) | set(per)):
        got = len(per.get(dom, []))
        ok(got == want.get(dom, 0), "%s: %d key(s) for %s" % (label, want.get(dom, 0), dom),
           "got %d: %s" % (got, per.get(dom, [])))
    for dom in sorted(per):
        algs = set()
        for sel, path in sorted(per[dom]):
            print("# key %s %s %s" % (dom, sel, path))
            try:
                res, alg, detail = sign_verify(port, dom, sel, path)
            except Exception as e:  # noqa: BLE001 - report, go on
                ok(False, "DKIM %s %s: sign and verify" % (dom, sel), repr(e))
                continue
            algs.add(alg)
            ok(sel.endswith("-" + alg), "DKIM %s %s: the key file holds an %s key" % (dom, sel, alg))
            ok(res is True, "DKIM %s %s (%s): mail signed with the exported key verifies "
               "against dnsd" % (dom, sel, alg), *detail)
            res, alg, detail = sign_verify(port, dom, sel, path, tamper=True)
            ok(res is False, "DKIM %s %s (%s): the same mail with a changed body does not"
               % (dom, sel, alg), *detail)
        if want.get(dom, 0) == 2:
            ok(algs == {"rsa", "ed25519"}, "%s: one RSA and one Ed25519 key" % dom, sorted(algs))


def cmd_dkim(port, expect, args):
    if len(args) % 3:
        sys.exit("dkim: DOMAIN SELECTOR KEYFILE triples")
    for i in range(0, len(args), 3):
        dom, sel, path = args[i:i + 3]
        try:
            res, alg, detail = sign_verify(port, dom, sel, path)
        except Exception as e:  # noqa: BLE001
            ok(False, "DKIM %s %s: sign and verify" % (dom, sel), repr(e))
            continue
        if expect == "pass":
            ok(res is True, "DKIM %s %s (%s): mail verifies" % (dom, sel, alg), *detail)
        else:
            ok(res is False, "DKIM %s %s (%s): mail no longer verifies" % (dom, sel, alg),
               *detail)


def cmd_signed(port, name):
    q = dns.message.make_query(name, "TXT", want_dnssec=True)
    q.flags &= ~dns.flags.RD
    r = dns.query.udp(q, "127.0.0.1", port=port, timeout=3)
    if r.flags & dns.flags.TC:
        r = dns.query.tcp(q, "127.0.0.1", port=port, timeout=3)
    n = dns.name.from_text(name)
    txt = r.get_rrset(r.answer, n, dns.rdataclass.IN, dns.rdatatype.TXT)
    sig = r.get_rrset(r.answer, n, dns.rdataclass.IN, dns.rdatatype.RRSIG, dns.rdatatype.TXT)
    ok(txt is not None and sig is not None and len(sig) > 0,
       "%s TXT is served with its RRSIG" % name, r.to_text())


def cmd_spf(port, args):
    if len(args) % 4:
        sys.exit("spf: IP SENDER HELO RESULT groups")
    # pyspf asks through dnspython's module-level dns.resolver.query, which
    # uses the default resolver: point that at dnsd
    if spf.DNSLookup is not spf.DNSLookup_dnspython:
        sys.exit("spf.py does not use dnspython here")
    dns.resolver.default_resolver = resolver(port)
    for i in range(0, len(args), 4):
        ip, sender, helo, want = args[i:i + 4]
        s = "" if sender == "-" else sender
        try:
            res, expl = spf.check2(i=ip, s=s, h=helo, querytime=10)
        except Exception as e:  # noqa: BLE001
            ok(False, "SPF i=%s s=%s h=%s" % (ip, s, helo), repr(e))
            continue
        ok(res == want, "SPF i=%s s=%s h=%s: %s" % (ip, s or "''", helo, want),
           "got %s (%s)" % (res, expl))


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    cmd, port = argv[1], int(argv[2])
    rest = argv[3:]
    if cmd == "export" and len(rest) >= 1:
        cmd_export(port, rest[0], rest[1:])
    elif cmd == "dkim" and len(rest) >= 1 and rest[0] in ("pass", "fail"):
        cmd_dkim(port, rest[0], rest[1:])
    elif cmd == "signed" and len(rest) == 1:
        cmd_signed(port, rest[0])
    elif cmd == "spf":
        cmd_spf(port, rest)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
