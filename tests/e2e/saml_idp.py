"""A SAML 2.0 identity provider for the tests: its own RSA key and self-signed certificate,
metadata, and Responses signed by `signxml` (an implementation independent of Castellan's),
plus the tampered variants the attack tests need."""

import base64
import datetime
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import XMLSigner, methods

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
ROLE_ATTR = "https://aws.amazon.com/SAML/Attributes/Role"
SESSION_ATTR = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
AWS_SIGNIN = "https://signin.aws.amazon.com/saml"


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Idp:
    def __init__(self, entity_id="https://idp.example.com/saml", cn="idp.example.com"):
        self.entity_id = entity_id
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .sign(self.key, hashes.SHA256())
        )
        self.key_pem = self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self.cert_pem = self.cert.public_bytes(serialization.Encoding.PEM)

    def cert_b64(self):
        return base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()

    def metadata(self):
        """An IdP metadata document, as Okta or Keycloak publish (padded past AWS's 1,000
        character minimum by the certificate)."""
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{self.entity_id}">'
            f'<md:IDPSSODescriptor WantAuthnRequestsSigned="false" '
            f'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            f'<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="{DS}"><ds:X509Data>'
            f"<ds:X509Certificate>{self.cert_b64()}</ds:X509Certificate>"
            f"</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
            f"<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>"
            f'<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
            f'Location="{self.entity_id}/sso"/>'
            f"</md:IDPSSODescriptor></md:EntityDescriptor>"
        )

    def sign(self, element):
        """Signs `element` (enveloped, exclusive c14n, RSA-SHA256, SHA-256 digest), the
        signature placed after its Issuer as the SAML schema wants."""
        ref = element.get("ID")
        signer = XMLSigner(
            method=methods.enveloped,
            signature_algorithm="rsa-sha256",
            digest_algorithm="sha256",
            c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#",
        )
        placeholder = etree.Element(f"{{{DS}}}Signature", Id="placeholder", nsmap={"ds": DS})
        issuer = element.find(f"{{{SAML}}}Issuer")
        issuer.addnext(placeholder)
        return signer.sign(element, key=self.key_pem, cert=self.cert_pem, reference_uri=ref)

    def assertion(self, role_arn, provider_arn, *, name_id="alice@example.com",
                  name_id_format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
                  session_name="alice", audience="urn:amazon:webservices", recipient=AWS_SIGNIN,
                  issuer=None, not_before=None, not_on_or_after=None, issue_instant=None,
                  attributes=None, role_value=None, session_not_on_or_after=None):
        now = datetime.datetime.now(datetime.timezone.utc)
        issue_instant = issue_instant or now
        not_before = not_before or now - datetime.timedelta(minutes=1)
        not_on_or_after = not_on_or_after or now + datetime.timedelta(minutes=5)
        aid = "_" + uuid.uuid4().hex
        E = lambda tag, **kw: etree.Element(f"{{{SAML}}}{tag}", **kw)  # noqa: E731
        a = etree.Element(f"{{{SAML}}}Assertion", nsmap={"saml": SAML}, ID=aid, Version="2.0",
                          IssueInstant=iso(issue_instant))
        iss = E("Issuer")
        iss.text = issuer or self.entity_id
        a.append(iss)
        subject = E("Subject")
        nid = E("NameID", Format=name_id_format) if name_id_format else E("NameID")
        nid.text = name_id
        subject.append(nid)
        sc = E("SubjectConfirmation", Method="urn:oasis:names:tc:SAML:2.0:cm:bearer")
        sc.append(E("SubjectConfirmationData", NotOnOrAfter=iso(not_on_or_after), Recipient=recipient))
        subject.append(sc)
        a.append(subject)
        cond = E("Conditions", NotBefore=iso(not_before), NotOnOrAfter=iso(not_on_or_after))
        ar = E("AudienceRestriction")
        aud = E("Audience")
        aud.text = audience
        ar.append(aud)
        cond.append(ar)
        a.append(cond)
        authn = E("AuthnStatement", AuthnInstant=iso(now))
        if session_not_on_or_after:
            authn.set("SessionNotOnOrAfter", iso(session_not_on_or_after))
        ctx = E("AuthnContext")
        ref = E("AuthnContextClassRef")
        ref.text = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        ctx.append(ref)
        authn.append(ctx)
        a.append(authn)
        st = E("AttributeStatement")
        attrs = [(ROLE_ATTR, [role_value or f"{role_arn},{provider_arn}"]), (SESSION_ATTR, [session_name])]
        attrs += list((attributes or {}).items())
        for name, values in attrs:
            at = E("Attribute", Name=name)
            for v in values:
                av = E("AttributeValue")
                av.text = v
                at.append(av)
            st.append(at)
        a.append(st)
        return a

    def response(self, assertion, *, sign_assertion=True, sign_response=False, destination=AWS_SIGNIN,
                 status="urn:oasis:names:tc:SAML:2.0:status:Success"):
        """The Response XML text holding `assertion` (an lxml element, signed here by default)."""
        if sign_assertion:
            assertion = self.sign(assertion)
        r = etree.Element(f"{{{SAMLP}}}Response", nsmap={"samlp": SAMLP, "saml": SAML},
                          ID="_" + uuid.uuid4().hex, Version="2.0",
                          IssueInstant=iso(datetime.datetime.now(datetime.timezone.utc)),
                          Destination=destination)
        iss = etree.SubElement(r, f"{{{SAML}}}Issuer")
        iss.text = self.entity_id
        st = etree.SubElement(r, f"{{{SAMLP}}}Status")
        etree.SubElement(st, f"{{{SAMLP}}}StatusCode", Value=status)
        r.append(assertion)
        if sign_response:
            r = self.sign(r)
        return etree.tostring(r).decode()


def b64(xml):
    return base64.b64encode(xml.encode() if isinstance(xml, str) else xml).decode()


XENC = "http://www.w3.org/2001/04/xmlenc#"


def encrypt_assertion(assertion, sp_public_key):
    """An EncryptedAssertion holding `assertion` (an lxml element, signed or not): AES-256-GCM
    content key wrapped with RSA-OAEP (MGF1-SHA1) to the service provider's public key, as Okta
    and Entra ID send them, built by hand with `cryptography`."""
    import os

    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    plaintext = etree.tostring(assertion)
    key, iv = os.urandom(32), os.urandom(12)
    cipher = iv + AESGCM(key).encrypt(iv, plaintext, None)
    wrapped = sp_public_key.encrypt(key, padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None))
    e = lambda x: base64.b64encode(x).decode()  # noqa: E731
    return etree.fromstring(
        f'<saml:EncryptedAssertion xmlns:saml="{SAML}">'
        f'<xenc:EncryptedData xmlns:xenc="{XENC}" Type="{XENC}Element">'
        f'<xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/>'
        f'<ds:KeyInfo xmlns:ds="{DS}"><xenc:EncryptedKey>'
        f'<xenc:EncryptionMethod Algorithm="{XENC}rsa-oaep-mgf1p"><ds:DigestMethod Algorithm="{DS}sha1"/></xenc:EncryptionMethod>'
        f"<xenc:CipherData><xenc:CipherValue>{e(wrapped)}</xenc:CipherValue></xenc:CipherData>"
        f"</xenc:EncryptedKey></ds:KeyInfo>"
        f"<xenc:CipherData><xenc:CipherValue>{e(cipher)}</xenc:CipherValue></xenc:CipherData>"
        f"</xenc:EncryptedData></saml:EncryptedAssertion>"
    )


def sp_key():
    """A service provider's private key (the provider's AddPrivateKey) as (key, PEM text)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    return key, pem
