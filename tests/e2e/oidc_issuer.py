"""A real OIDC issuer on loopback for the web identity tests: its own CA (handed to Castellan as
CASTELLAN_CA_BUNDLE), an HTTPS server for `localhost` serving each issuer's discovery document
and JWK set, and signing keys the test makes (RSA and EC), with knobs for the attacks: a JWKS
endpoint that is down or slow, and key rotation."""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import json
import ssl
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int(n: int) -> str:
    return b64(n.to_bytes((n.bit_length() + 7) // 8, "big"))


class SigningKey:
    """A key the test made; `alg` RS256/RS384/RS512/ES256/ES384."""

    def __init__(self, alg: str = "RS256", kid: str | None = None) -> None:
        self.alg = alg
        self.kid = kid or uuid.uuid4().hex[:12]
        if alg.startswith("RS"):
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            self.private = ec.generate_private_key(ec.SECP256R1() if alg == "ES256" else ec.SECP384R1())

    def jwk(self) -> dict:
        pub = self.private.public_key()
        if self.alg.startswith("RS"):
            nums = pub.public_numbers()
            return {"kty": "RSA", "kid": self.kid, "use": "sig", "alg": self.alg, "n": _int(nums.n), "e": _int(nums.e)}
        nums = pub.public_numbers()
        size = 32 if self.alg == "ES256" else 48
        return {
            "kty": "EC", "kid": self.kid, "use": "sig", "alg": self.alg, "crv": "P-256" if size == 32 else "P-384",
            "x": b64(nums.x.to_bytes(size, "big")), "y": b64(nums.y.to_bytes(size, "big")),
        }

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def sign(self, claims: dict, headers: dict | None = None) -> str:
        return jwt.encode(claims, self.private, algorithm=self.alg, headers={"kid": self.kid, **(headers or {})})


def unsigned_token(claims: dict, header: dict) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}."


def hmac_token(claims: dict, header: dict, secret: bytes) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


class Issuer:
    """One issuer (a path on the shared HTTPS server)."""

    def __init__(self, server: "IssuerServer", name: str) -> None:
        self.server = server
        self.name = name
        self.url = f"https://localhost:{server.port}/{name}"
        self.keys = [SigningKey("RS256")]
        self.mode = "up"  # "up", "down" (500), "slow" (answers after 8 s), "garbage"
        self.fetches = 0

    @property
    def key(self) -> SigningKey:
        return self.keys[0]

    def jwks(self) -> dict:
        return {"keys": [k.jwk() for k in self.keys]}

    def claims(self, **over) -> dict:
        now = int(time.time())
        c = {"iss": self.url, "sub": "repo:octo-org/octo-repo:ref:refs/heads/main", "aud": "sts.amazonaws.com",
             "iat": now - 5, "nbf": now - 5, "exp": now + 600}
        c.update(over)
        return {k: v for k, v in c.items() if v is not None}

    def token(self, key: SigningKey | None = None, headers: dict | None = None, **claims) -> str:
        return (key or self.key).sign(self.claims(**claims), headers)


class IssuerServer:
    """The HTTPS server and its CA."""

    def __init__(self, workdir: Path | None = None) -> None:
        self.dir = Path(workdir or tempfile.mkdtemp(prefix="castellan-oidc-"))
        self.issuers: dict[str, Issuer] = {}
        self._make_certs()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                parts = self.path.strip("/").split("/", 1)
                issuer = outer.issuers.get(parts[0])
                rest = parts[1] if len(parts) > 1 else ""
                if issuer is None:
                    return self._send(404, b"{}")
                if rest == ".well-known/openid-configuration":
                    doc = {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/jwks", "id_token_signing_alg_values_supported": ["RS256", "ES256"]}
                    return self._send(200, json.dumps(doc).encode())
                if rest == "jwks":
                    issuer.fetches += 1
                    if issuer.mode == "down":
                        return self._send(500, b"down")
                    if issuer.mode == "slow":
                        time.sleep(8)
                    if issuer.mode == "garbage":
                        return self._send(200, b"<html>not json</html>")
                    return self._send(200, json.dumps(issuer.jwks()).encode())
                return self._send(404, b"{}")

            def _send(self, status, body):
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.dir / "server.pem", self.dir / "server.key")
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def ca_bundle(self) -> str:
        return str(self.dir / "ca.pem")

    def issuer(self, name: str | None = None) -> Issuer:
        name = name or f"iss-{uuid.uuid4().hex[:10]}"
        self.issuers[name] = Issuer(self, name)
        return self.issuers[name]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _make_certs(self) -> None:
        now = _dt.datetime.now(_dt.timezone.utc)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Castellan test OIDC CA")])
        ca = (
            x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - _dt.timedelta(days=1))
            .not_valid_after(now + _dt.timedelta(days=7))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        import ipaddress
        cert = (
            x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(days=1)).not_valid_after(now + _dt.timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        (self.dir / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        (self.dir / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (self.dir / "server.key").write_bytes(
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
