"""A real IMAP server for the email channel's tests: Debian's Dovecot, run on loopback.

`DovecotServer(directory)` writes a self-contained configuration into `directory` (no
system configuration is read, and the system's own Dovecot, if any, is never touched),
runs `dovecot -F -c <file>` on two free loopback ports, plain IMAP and IMAPS with a
self-signed certificate it generates, and keeps every file it needs under `directory`:
mailboxes (Maildir), sockets, state, the log.

    server = DovecotServer(tmp_path)
    server.add_user("support", "secret")       # also works while the server runs
    server.start()
    uid = server.deliver("support", b"Subject: hi\\r\\n\\r\\nbody\\r\\n")
    with server.connect("support") as client:   # a logged-in IMAPClient
        client.select_folder("INBOX")
    server.stop()

Run as root (as in CI), Dovecot's login processes run as `dovenull` and the mailboxes
belong to the `dovecot` user (Dovecot refuses uid 0 for mail); each user's home is
chrooted, so `directory`'s parents need not be readable by that user. Run as any other
user, every process runs as that user.
"""

import contextlib
import ctypes
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Self

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"
INSTALL_HINT = "apt-get install dovecot-imapd"

# The mailbox the `dovecot` fixture creates.
MAILBOX = "support@helpline.test"
PASSWORD = "mailbox-secret"

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")
_SAFE_PATH = re.compile(r"^[A-Za-z0-9/._+@-]+$")


class DovecotError(RuntimeError):
    """Dovecot could not be set up, started or driven; the message carries its log."""


def is_installed() -> bool:
    return os.access(DOVECOT, os.X_OK)


def require_dovecot() -> None:
    """Skip the test when Dovecot is missing; fail it on CI (CI=true), which must have it."""
    if is_installed():
        return
    reason = f"Dovecot is not installed: {INSTALL_HINT}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: CI must provide every server)", pytrace=False)
    pytest.skip(reason)


class DovecotServer:
    host = "127.0.0.1"

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory).resolve()
        if not _SAFE_PATH.match(str(self.directory)):
            raise DovecotError(
                f"directory path has characters dovecot.conf can't hold: {self.directory}"
            )
        self.port = 0
        self.ssl_port = 0
        self.users: dict[str, str] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._as_root = os.geteuid() == 0
        self.mail_uid, self.mail_gid = self._mail_owner()

    # -- paths ---------------------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        return self.directory / "dovecot.conf"

    @property
    def log_path(self) -> Path:
        return self.directory / "dovecot.log"

    @property
    def cert_path(self) -> Path:
        """The self-signed certificate (PEM) the IMAPS port presents; trust it to verify."""
        return self.directory / "cert.pem"

    @property
    def key_path(self) -> Path:
        return self.directory / "key.pem"

    @property
    def mail_root(self) -> Path:
        return self.directory / "mail"

    def maildir(self, user: str, folder: str = "INBOX") -> Path:
        """The Maildir directory that holds `folder` (Maildir++ layout, "." separates levels)."""
        root = self.mail_root / user / "Maildir"
        return root if folder.upper() == "INBOX" else root / f".{folder}"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # -- users ---------------------------------------------------------------------------

    def add_user(self, name: str, password: str) -> None:
        """Add (or re-password) a user; while Dovecot runs, wait until it lets them log in."""
        if not _USERNAME.match(name):
            raise DovecotError(f"unsupported user name for the test server: {name!r}")
        if any(c in password for c in ":\r\n\0"):
            raise DovecotError("the password can't hold ':', a line break or NUL")
        self.users[name] = password
        self.directory.mkdir(parents=True, exist_ok=True)
        self._make_home(name)
        if self.config_path.exists():
            self._write_passwd()
        if self.running:
            self._wait_for_login(name)

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 20.0) -> None:
        """Start Dovecot and wait until the plain port greets; raise with its log if it can't."""
        if self.running:
            raise DovecotError("Dovecot is already running")
        if not is_installed():
            raise DovecotError(f"{DOVECOT} is missing: {INSTALL_HINT}")
        self._prepare()
        keep_ports = bool(self.port)
        attempts = 1 if keep_ports else 3
        for attempt in range(attempts):
            if not keep_ports:
                self.port, self.ssl_port = _free_ports(2)
            self._write_config()
            try:
                self._launch(timeout)
                return
            except DovecotError as error:
                # Another process took a port between choosing it and Dovecot binding it.
                if attempt + 1 < attempts and "Address already in use" in str(error):
                    continue
                raise

    def stop(self) -> None:
        """Stop Dovecot: its master ends every IMAP process, dropping each connection.

        Dovecot's own shutdown takes 1 to 6 s: its master waits for its log process and
        any fresh imap-login process to linger out, and polls with a 1 s granularity. So
        every process of the group gets SIGTERM at once, and once none is left that may
        write a mailbox, the idle rest get SIGKILL; the master gets 0.2 s to reap them and
        exit before it gets SIGKILL too. A stop takes 10 to 250 ms.
        """
        process, self._process = self._process, None
        if process is None:
            return
        group = process.pid  # start_new_session: the master leads its own process group
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while process.poll() is None and time.monotonic() < deadline:
            idle = _idle_children(group)
            if idle is not None:  # no mailbox writer left
                deadline = min(deadline, time.monotonic() + 0.2)
                for pid in idle:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)
        # Ends the master if it lingers, and anything it left behind.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
        process.wait(timeout=10)

    def restart(self, timeout: float = 20.0) -> None:
        """Stop and start again on the same ports; the mailboxes are kept."""
        self.stop()
        self.start(timeout=timeout)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- IMAP helpers --------------------------------------------------------------------

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that verifies the server against the generated certificate."""
        return ssl.create_default_context(cafile=str(self.cert_path))

    def connect(self, user: str, *, use_ssl: bool = False, timeout: float = 10.0) -> IMAPClient:
        """An IMAPClient logged in as `user`, on the plain port or, with `use_ssl`, on IMAPS."""
        client = IMAPClient(
            self.host,
            port=self.ssl_port if use_ssl else self.port,
            ssl=use_ssl,
            ssl_context=self.ssl_context() if use_ssl else None,
            timeout=timeout,
        )
        try:
            client.login(user, self.users[user])
        except BaseException:
            client.shutdown()
            raise
        return client

    def deliver(
        self,
        user: str,
        message: bytes,
        folder: str = "INBOX",
        *,
        flags: tuple[str, ...] = (),
        when: datetime | None = None,
    ) -> int:
        """Append a raw RFC 5322 message to `folder` over IMAP; return its UID."""
        with self._session(user) as client:
            if folder.upper() != "INBOX" and not client.folder_exists(folder):
                client.create_folder(folder)
            response = client.append(folder, message, flags=flags, msg_time=when)
        found = re.search(rb"\[APPENDUID \d+ (\d+)\]", response)
        if not found:
            raise DovecotError(f"APPEND did not report the UID: {response!r}")
        return int(found.group(1))

    def uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        with self._session(user) as client:
            return int(client.select_folder(folder, readonly=True)[b"UIDVALIDITY"])

    def change_uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        """Make `folder` get a new UIDVALIDITY (the messages stay, renumbered from UID 1).

        Stops Dovecot, removes the folder's UID list and indexes, starts it again (every
        connection drops), and returns the new value, checked to differ from the old one.
        """
        if not self.running:
            raise DovecotError("change_uidvalidity needs a running server")
        before = self.uidvalidity(user, folder)
        self.stop()
        # The folder's UID list and indexes, and the mailbox list index (which caches
        # UIDVALIDITY) at the root. dovecot-uidvalidity* stays: it makes the next value
        # larger than the last.
        folder_dir = self.maildir(user, folder)
        doomed = [folder_dir / "dovecot-uidlist", *folder_dir.glob("dovecot.index*")]
        doomed += self.maildir(user).glob("dovecot.list.index*")
        for path in doomed:
            path.unlink(missing_ok=True)
        self.start()
        after = self.uidvalidity(user, folder)
        if after == before:
            raise DovecotError(f"UIDVALIDITY of {user}/{folder} stayed {before}")
        return after

    def drop_connections(self, user: str | None = None, timeout: float = 10.0) -> None:
        """Disconnect the logged-in IMAP sessions (of `user`, or all) with `doveadm kick`.

        The server keeps running and accepts new connections. Waits until they are gone.
        """
        self._doveadm("kick", user or "127.0.0.0/8")
        deadline = time.monotonic() + timeout
        while self._connected_users(user):
            if time.monotonic() > deadline:
                raise DovecotError(f"sessions still open after doveadm kick\n{self.log()}")
            time.sleep(0.02)

    # -- internals -----------------------------------------------------------------------

    def _wait_for_login(self, user: str, timeout: float = 5.0) -> None:
        """Log in until Dovecot uses the user's new entry: it opens a new user's file at once,
        but rereads a changed one when it notices, at most once a second."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.connect(user, timeout=timeout).logout()
                return
            except LoginError:
                if time.monotonic() > deadline:
                    raise DovecotError(
                        f"Dovecot does not accept {user} yet\n{self.log()}"
                    ) from None
                time.sleep(0.05)

    @contextlib.contextmanager
    def _session(self, user: str) -> Iterator[IMAPClient]:
        client = self.connect(user)
        try:
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def _mail_owner(self) -> tuple[int, int]:
        if not self._as_root:
            return os.geteuid(), os.getegid()
        for name in ("dovecot", "nobody"):
            with contextlib.suppress(KeyError):
                entry = pwd.getpwnam(name)
                return entry.pw_uid, entry.pw_gid
        raise DovecotError("no unprivileged user (dovecot, nobody) to own the mailboxes")

    def _login_user(self) -> str:
        if not self._as_root:
            return pwd.getpwuid(os.geteuid()).pw_name
        for name in ("dovenull", "nobody"):
            with contextlib.suppress(KeyError):
                pwd.getpwnam(name)
                return name
        raise DovecotError("no unprivileged user (dovenull, nobody) for the login processes")

    def _prepare(self) -> None:
        for sub in ("run", "state"):
            (self.directory / sub).mkdir(parents=True, exist_ok=True)
        # A master killed while it held this dotlock would make the next start wait 10 s.
        (self.directory / "state" / "instances.lock").unlink(missing_ok=True)
        self.mail_root.mkdir(exist_ok=True)
        os.chown(self.mail_root, self.mail_uid, self.mail_gid)
        self.mail_root.chmod(0o700)
        for name in self.users:
            self._make_home(name)
        if not self.cert_path.exists():
            _make_certificate(self.cert_path, self.key_path)
        self._write_passwd()

    def _make_home(self, name: str) -> None:
        if not self.mail_root.exists():
            return  # _prepare makes the homes
        home = self.mail_root / name
        home.mkdir(mode=0o700, exist_ok=True)
        os.chown(home, self.mail_uid, self.mail_gid)

    def _write_passwd(self) -> None:
        """One passwd-file per user (users/<name>): Dovecot opens a new user's file at once,
        where a shared file is reread at most once a second."""
        users = self.directory / "users"
        users.mkdir(exist_ok=True)
        for name, password in self.users.items():
            passwd = users / name
            line = f"{name}:{{PLAIN}}{password}::::::\n"
            with contextlib.suppress(FileNotFoundError):
                if passwd.read_text() == line:
                    continue
            temporary = users / f".{name}.tmp"
            temporary.write_text(line)
            temporary.chmod(0o600)
            # A later mtime than the last one, even within the same second: Dovecot compares it.
            with contextlib.suppress(FileNotFoundError):
                stamp = max(time.time(), passwd.stat().st_mtime + 1)
                os.utime(temporary, (stamp, stamp))
            temporary.replace(passwd)  # atomic: the auth process never reads half a file

    def _write_config(self) -> None:
        d = self.directory
        if self._as_root:
            # Each home is chrooted ("/./"): root resolves the path, the mail user needs
            # no access to directory's parents (pytest's are 0700).
            home = f"{self.mail_root}/./%u"
            chroot = f"valid_chroot_dirs = {self.mail_root}"
            internal_user, internal_group = "root", "root"
            service_chroot = ""
        else:
            home = f"{self.mail_root}/%u"
            chroot = ""
            internal_user = self._login_user()
            internal_group = grp.getgrgid(os.getegid()).gr_name
            # Without root there is no chroot, and no user to switch to.
            service_chroot = "chroot ="
        self.config_path.write_text(
            CONFIG.format(
                host=self.host,
                port=self.port,
                ssl_port=self.ssl_port,
                base_dir=d / "run",
                state_dir=d / "state",
                log=self.log_path,
                cert=self.cert_path,
                key=self.key_path,
                passwd=d / "users" / "%u",
                home=home,
                chroot=chroot,
                internal_user=internal_user,
                internal_group=internal_group,
                login_user=self._login_user(),
                uid=self.mail_uid,
                gid=self.mail_gid,
                service_chroot=service_chroot,
            )
        )

    def _launch(self, timeout: float) -> None:
        self.log_path.unlink(missing_ok=True)
        stderr_path = self.directory / "dovecot.stderr"
        with stderr_path.open("wb") as stderr:
            self._process = subprocess.Popen(
                [DOVECOT, "-F", "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                start_new_session=True,  # its own process group, for stop()'s last resort
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                code = self._process.returncode
                self._process = None
                raise DovecotError(self._failure(f"Dovecot exited with {code}", stderr_path))
            if _greets(self.host, self.port) and _accepts(self.host, self.ssl_port):
                return
            if time.monotonic() > deadline:
                self.stop()
                raise DovecotError(self._failure(f"no IMAP greeting in {timeout} s", stderr_path))
            time.sleep(0.02)

    def _failure(self, what: str, stderr_path: Path) -> str:
        output = stderr_path.read_text(errors="replace").strip()
        return (
            f"{what} on {self.host}:{self.port}/{self.ssl_port} (config {self.config_path})\n"
            f"--- stderr ---\n{output}\n--- {self.log_path} ---\n{self.log().strip()}"
        )

    def _doveadm(self, *args: str) -> str:
        result = subprocess.run(
            [DOVEADM, "-c", str(self.config_path), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if result.returncode != 0:
            raise DovecotError(
                f"doveadm {' '.join(args)} failed ({result.returncode}): {result.stderr}"
            )
        return result.stdout

    def _connected_users(self, user: str | None) -> list[str]:
        lines = self._doveadm("who", *([user] if user else [])).splitlines()[1:]
        return [line.split()[0] for line in lines if line.strip()]


CONFIG = """\
# Written by helpline/mail/tests/dovecot.py for one test server; reads no system config.
protocols = imap
listen = {host}
base_dir = {base_dir}
state_dir = {state_dir}
log_path = {log}
info_log_path = {log}
shutdown_clients = yes

default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = 1
{chroot}

ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
# Login without TLS on the plain port (tests run on loopback).
disable_plaintext_auth = no
auth_mechanisms = plain login
# Wrong-password tests should not wait: no failure delay, no per-IP penalty.
auth_failure_delay = 0
mail_max_userip_connections = 100

mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {passwd}
}}
userdb {{
  driver = passwd-file
  args = {passwd}
  default_fields = uid={uid} gid={gid} home={home}
}}

service imap-login {{
  {service_chroot}
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {ssl_port}
    ssl = yes
  }}
}}
service anvil {{
  {service_chroot}
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


# Processes that never open a mailbox (imap-login serves only until the login).
_SAFE_TO_KILL = {
    b"",  # exiting
    b"dovecot/log",
    b"dovecot/imap-login",
    b"dovecot/auth",
    b"dovecot/auth-worker",
    b"dovecot/anvil",
    b"dovecot/config",
    b"dovecot/stats",
}


def _idle_children(group: int) -> list[int] | None:
    """The processes of `group` but its leader, if none of them may write a mailbox."""
    idle = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == group:
            continue
        try:
            stat = (entry / "stat").read_text()
            # "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses.
            state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
            if int(pgrp) != group or state == "Z":
                continue
            title = (entry / "cmdline").read_bytes().split(b"\0")[0]
        except (OSError, ValueError):
            continue  # gone meanwhile
        if title not in _SAFE_TO_KILL:
            return None
        idle.append(int(entry.name))
    return idle


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _greets(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1) as sock:
            return sock.recv(100).startswith(b"* OK")
    except OSError:
        return False


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the test process dies, so no server outlives it."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _make_certificate(cert_path: Path, key_path: Path) -> None:
    """A self-signed certificate for 127.0.0.1 and localhost, valid for a week."""
    try:
        _make_certificate_with_cryptography(cert_path, key_path)
    except ImportError:
        _make_certificate_with_openssl(cert_path, key_path)
    key_path.chmod(0o600)


def _make_certificate_with_cryptography(cert_path: Path, key_path: Path) -> None:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _make_certificate_with_openssl(cert_path: Path, key_path: Path) -> None:
    # dovecot-core depends on the openssl package, so the CLI is there with Dovecot.
    openssl = shutil.which("openssl")
    if openssl is None:
        raise DovecotError("neither the cryptography package nor openssl is available")
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key_path),
            "-out",
            str(cert_path),
            "-days",
            "7",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
