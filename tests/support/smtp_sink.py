#!/usr/bin/env python3
"""A real SMTP server for placewatch's mail tests (aiosmtpd, Debian's
python3-aiosmtpd; certificates from python3-cryptography).

It listens on a loopback port, stores every message it accepts verbatim, and
can be told to fail in the ways a real relay fails, so the tests drive
placewatch's temporary/permanent classification against a real server.

    smtp_sink.py --dir DIR [--port 0] [--tls starttls|implicit|none]
                 [--auth-user USER --auth-password-env VAR]
                 [--xoauth2-user USER --xoauth2-tokens FILE
                  [--xoauth2-style microsoft|google]] [--refuse-auth-next N]
                 [--refuse-next N] [--reject-next N] [--drop-next N]
                 [--drop-after-store-next N]

Once listening it prints ONE line to stdout, a JSON object
    {"port": 40123, "ca_file": "DIR/tls/ca.pem", "messages": "DIR/new"}
and flushes it: the harness waits for that line instead of sleeping.

Messages: DIR/new/000001.eml is the DATA exactly as received (dot-unstuffed,
CRLF line ends), and DIR/new/000001.json its envelope and session:
    {"mail_from": ..., "rcpt_tos": [...], "tls": true, "auth_user": "sam"}
Each file is written to a temporary name and renamed, the .json last, so a
reader that lists *.json never sees half a message. Numbers keep the order
of arrival.

TLS: with --tls starttls (the default) the server offers STARTTLS and refuses
MAIL before it (as smtp.office365.com:587 does); with --tls implicit the
socket is TLS from the first byte (port 465 style); with --tls none there is
no TLS at all. The certificate is made at start: a throwaway CA (written to
DIR/tls/ca.pem, for the client to trust) and a leaf for localhost, 127.0.0.1
and ::1 signed by it.

AUTH: with --auth-user, AUTH PLAIN/LOGIN is required (after TLS) and only
that user with the password in the environment variable --auth-password-env
is accepted; anything else gets 535 5.7.8. --echo-password-in-refusal makes
the 535 reply quote the password it was given (a badly behaved relay), so a
test can check the client never repeats it.

XOAUTH2: with --xoauth2-user, AUTH XOAUTH2 is offered and required (after
TLS): the SASL string (base64 of "user=USER\x01auth=Bearer TOKEN\x01\x01") must
name that user and a token listed in FILE, one a line, which the test's token
endpoint writes as it issues tokens (the sink reads FILE at each AUTH, so a
token removed from it is refused from then on, as an expired one is). A
refused token gets 535 5.7.3 at once, as Exchange Online answers
(--xoauth2-style microsoft, the default), or first a 334 challenge carrying
a JSON error and then 535 once the client answers it, as Gmail does
(--xoauth2-style google). The .json of a message stored after such a login
also has "auth_mechanism": "XOAUTH2" and "bearer": the token.
--refuse-auth-next N refuses the next N AUTH XOAUTH2 commands (whatever they carry)
with 535 5.7.3; "refuse-auth N" in DIR/control adds to it.

Faults, each for the next N transactions (counted at MAIL FROM), in this
order of precedence:
  --reject-next N           550 5.1.1 at RCPT TO (a permanent refusal)
  --refuse-next N           451 4.3.0 after DATA (a temporary refusal; not stored)
  --drop-next N             the connection closed in the middle of DATA (not stored)
  --drop-after-store-next N the message stored, then the connection closed
                            before the reply (the client cannot know it arrived)
The same faults can be added while running: write lines such as "refuse 2"
to DIR/control (write it to another name and rename it into place); the
sink reads and removes it at the next MAIL FROM.

    smtp_sink.py --inspect FILE.eml

prints FILE parsed by Python's own email package (policy=default: encoded
words decoded, address headers parsed) as JSON, for the tests to compare
with what they sent.
"""

import argparse
import asyncio
import datetime
import ipaddress
import itertools
import json
import os
import signal
import sys

FAULTS = ("reject", "refuse", "drop", "drop-after-store")
# Counted at AUTH rather than at MAIL FROM.
AUTH_FAULTS = ("refuse-auth",)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--inspect", metavar="FILE", help="print FILE parsed, as JSON, and exit")
    p.add_argument("--dir", help="where messages (new/) and the CA (tls/) go")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    p.add_argument("--tls", choices=["starttls", "implicit", "none"], default="starttls")
    p.add_argument("--auth-user")
    p.add_argument("--auth-password-env")
    p.add_argument("--echo-password-in-refusal", action="store_true")
    p.add_argument("--xoauth2-user")
    p.add_argument("--xoauth2-tokens", metavar="FILE")
    p.add_argument("--xoauth2-style", choices=["microsoft", "google"], default="microsoft")
    for fault in FAULTS + AUTH_FAULTS:
        p.add_argument(f"--{fault}-next", type=int, default=0, metavar="N")
    args = p.parse_args(argv)
    if not args.inspect and not args.dir:
        p.error("--dir is required (or --inspect FILE)")
    if args.auth_user and not args.auth_password_env:
        p.error("--auth-user needs --auth-password-env")
    if args.xoauth2_user and not args.xoauth2_tokens:
        p.error("--xoauth2-user needs --xoauth2-tokens")
    return args


# ------------------------------------------------------------------ inspect

def inspect(path):
    """FILE parsed by the standard library, as the tests read it."""
    from email import policy
    from email.parser import BytesParser

    with open(path, "rb") as f:
        msg = BytesParser(policy=policy.default).parse(f)

    def addresses(name):
        header = msg.get(name)
        if header is None:
            return None
        return [{"display_name": a.display_name, "addr_spec": a.addr_spec}
                for a in header.addresses]

    parts = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        parts.append({
            "content_type": part.get_content_type(),
            "charset": part.get_content_charset(),
            "transfer_encoding": part.get("Content-Transfer-Encoding"),
            "content": part.get_content(),
        })
    out = {
        "header_names": list(msg.keys()),
        "subject": msg.get("Subject"),
        "message_id": msg.get("Message-ID"),
        "content_type": msg.get_content_type(),
        "from": addresses("From"),
        "to": addresses("To"),
        "cc": addresses("Cc"),
        "bcc": addresses("Bcc"),
        "reply_to": addresses("Reply-To"),
        "parts": parts,
        "defects": [str(d) for d in msg.defects],
    }
    json.dump(out, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


# ------------------------------------------------------------------ TLS

def make_certificates(tls_dir):
    """A throwaway CA and a leaf for the loopback names; returns the paths
    (ca, leaf certificate, leaf key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    os.makedirs(tls_dir, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=2)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "placewatch test CA")])
    ca = (x509.CertificateBuilder()
          .subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(
              digital_signature=True, key_cert_sign=True, crl_sign=True,
              content_commitment=False, key_encipherment=False, data_encipherment=False,
              key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))

    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                x509.IPAddress(ipaddress.ip_address("::1")),
            ]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage(
                [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))

    pem = serialization.Encoding.PEM
    paths = {name: os.path.join(tls_dir, name) for name in ("ca.pem", "cert.pem", "key.pem")}
    with open(paths["ca.pem"], "wb") as f:
        f.write(ca.public_bytes(pem))
    with open(paths["cert.pem"], "wb") as f:
        f.write(leaf.public_bytes(pem))
    with open(paths["key.pem"], "wb") as f:
        f.write(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return paths["ca.pem"], paths["cert.pem"], paths["key.pem"]


def server_context(cert, key):
    import ssl
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    return ctx


# ------------------------------------------------------------------ server

class Faults:
    """What the next transactions should suffer: counters, topped up from
    the command line and the control file."""

    def __init__(self, args, control_path):
        self.pending = {f: getattr(args, f.replace("-", "_") + "_next")
                        for f in FAULTS + AUTH_FAULTS}
        self.control_path = control_path

    def read_control_file(self):
        try:
            with open(self.control_path) as f:
                lines = f.read().splitlines()
            os.remove(self.control_path)
        except FileNotFoundError:
            return
        for line in lines:
            words = line.split()
            if len(words) == 2 and words[0] in FAULTS + AUTH_FAULTS and words[1].isdigit():
                self.pending[words[0]] += int(words[1])
            elif words:
                print(f"smtp_sink: ignoring control line {line!r}", file=sys.stderr)

    def next_fate(self):
        self.read_control_file()
        for fault in FAULTS:
            if self.pending[fault] > 0:
                self.pending[fault] -= 1
                return fault
        return None

    def take(self, fault):
        """Whether an AUTH fault is due (and counts it)."""
        self.read_control_file()
        if self.pending[fault] > 0:
            self.pending[fault] -= 1
            return True
        return False


class Store:
    """DIR/new/NNNNNN.eml and .json, numbered in order of arrival."""

    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self.numbers = itertools.count(1)

    def _write(self, path, data):
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, path)

    def save(self, content, meta):
        stem = os.path.join(self.directory, f"{next(self.numbers):06d}")
        self._write(stem + ".eml", content)
        self._write(stem + ".json", json.dumps(meta, ensure_ascii=False).encode())


def make_server_class():
    from aiosmtpd.smtp import SMTP

    class SinkSMTP(SMTP):
        async def smtp_DATA(self, arg):
            if getattr(self.envelope, "fate", None) == "drop" and self.envelope.rcpt_tos:
                # Take the first line of the message, then hang up.
                await self.push("354 End data with <CR><LF>.<CR><LF>")
                await self._reader.readuntil(b"\r\n")
                self.transport.abort()
                return
            await super().smtp_DATA(arg)

    return SinkSMTP


class Bearer:
    """A login by XOAUTH2: the user and the token it carried."""

    def __init__(self, login, token):
        self.login = login
        self.token = token


class Handler:
    def __init__(self, store, faults):
        self.store = store
        self.faults = faults

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        envelope.fate = self.faults.next_fate()
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if getattr(envelope, "fate", None) == "reject":
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        fate = getattr(envelope, "fate", None)
        if fate == "refuse":
            return "451 4.3.0 Temporary failure, please try again later"
        auth = session.auth_data
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "mail_options": envelope.mail_options,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "auth_user": auth.login.decode() if auth is not None else None,
        }
        if isinstance(auth, Bearer):
            meta["auth_mechanism"] = "XOAUTH2"
            meta["bearer"] = auth.token
        self.store.save(envelope.original_content, meta)
        if fate == "drop-after-store":
            server.transport.abort()
        return "250 2.0.0 OK: queued as placewatch-sink"


class XOAuth2Handler(Handler):
    """Handler that also takes AUTH XOAUTH2 (aiosmtpd calls `auth_XOAUTH2`)."""

    def __init__(self, store, faults, user, tokens_file, style):
        super().__init__(store, faults)
        self.user = user
        self.tokens_file = tokens_file
        self.style = style

    def valid_tokens(self):
        try:
            with open(self.tokens_file) as f:
                return {line.strip() for line in f if line.strip()}
        except FileNotFoundError:
            return set()

    async def auth_XOAUTH2(self, server, args):
        import base64
        import binascii
        from aiosmtpd.smtp import MISSING, AuthResult

        if len(args) == 2:
            try:
                blob = base64.b64decode(args[1], validate=True)
            except binascii.Error:
                await server.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False, handled=True)
        else:
            blob = await server.challenge_auth("")
            if blob is MISSING:
                return AuthResult(success=False, handled=True)
        user = token = None
        fields = blob.decode(errors="replace").split("\x01")
        if len(fields) == 4 and fields[2:] == ["", ""]:
            for field in fields[:2]:
                if field.startswith("user="):
                    user = field[len("user="):]
                elif field.startswith("auth=Bearer "):
                    token = field[len("auth=Bearer "):]
        refused = self.faults.take("refuse-auth")
        if not refused and user == self.user and token in self.valid_tokens():
            return AuthResult(success=True, auth_data=Bearer(user.encode(), token))
        if self.style == "google":
            error = json.dumps({"status": "401", "schemes": "bearer",
                                "scope": "https://mail.google.com/"})
            answer = await server.challenge_auth(error)
            if answer is MISSING:
                return AuthResult(success=False, handled=True)
            message = "535 5.7.8 Username and Password not accepted."
        else:
            message = "535 5.7.3 Authentication unsuccessful"
        return AuthResult(success=False, handled=False, message=message)


def authenticator(user, password, echo):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def check(server, session, envelope, mechanism, auth_data):
        if (isinstance(auth_data, LoginPassword)
                and auth_data.login.decode() == user
                and auth_data.password.decode() == password):
            return AuthResult(success=True, auth_data=auth_data)
        message = "535 5.7.8 Authentication credentials invalid"
        if echo and isinstance(auth_data, LoginPassword):
            message += f" (password {auth_data.password.decode(errors='replace')!r})"
        return AuthResult(success=False, handled=False, message=message)

    return check


async def serve(args):
    loop = asyncio.get_running_loop()
    messages = os.path.join(args.dir, "new")
    store = Store(messages)
    faults = Faults(args, os.path.join(args.dir, "control"))
    ca_file = None
    starttls_ctx = implicit_ctx = None
    if args.tls != "none":
        ca_file, cert, key = make_certificates(os.path.join(args.dir, "tls"))
        ctx = server_context(cert, key)
        if args.tls == "starttls":
            starttls_ctx = ctx
        else:
            implicit_ctx = ctx
    auth = None
    if args.auth_user:
        password = os.environ.get(args.auth_password_env, "")
        auth = authenticator(args.auth_user, password, args.echo_password_in_refusal)
    if args.xoauth2_user:
        handler = XOAuth2Handler(store, faults, args.xoauth2_user, args.xoauth2_tokens,
                                 args.xoauth2_style)
        if auth is None:
            # PLAIN and LOGIN offered (as Exchange Online does) but refused.
            auth = authenticator(None, None, False)
    else:
        handler = Handler(store, faults)
    server_class = make_server_class()

    def factory():
        return server_class(
            handler,
            hostname="localhost",
            tls_context=starttls_ctx,
            require_starttls=starttls_ctx is not None,
            authenticator=auth,
            auth_required=auth is not None or args.xoauth2_user is not None,
            auth_require_tls=True,
            enable_SMTPUTF8=True,
            loop=loop,
        )

    server = await loop.create_server(factory, args.host, args.port, ssl=implicit_ctx)
    port = server.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(json.dumps({"port": port, "ca_file": ca_file, "messages": messages}), flush=True)
    await stop.wait()
    server.close()


def main(argv):
    args = parse_args(argv)
    if args.inspect:
        inspect(args.inspect)
        return 0
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
