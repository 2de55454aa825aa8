"""Creates the test users and OAuth applications, and the OIDC signing key (once)."""
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from oauth2_provider.models import Application

APPS = [
    # client_id, type, grant, secret, redirect URIs
    ("tokdeck-device", Application.CLIENT_PUBLIC, Application.GRANT_DEVICE_CODE, "", ""),
    ("tokdeck-browser", Application.CLIENT_PUBLIC, Application.GRANT_AUTHORIZATION_CODE, "",
     "http://127.0.0.1/callback"),
    ("tokdeck-service", Application.CLIENT_CONFIDENTIAL, Application.GRANT_CLIENT_CREDENTIALS,
     "tokdeck-service-secret", ""),
]


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        settings.STATE.mkdir(parents=True, exist_ok=True)
        key_file = settings.STATE / "oidc.key"
        if not key_file.exists():
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            key_file.write_bytes(key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ))
        for name, email in [("alice", "alice@example.test"), ("bob", "bob@example.test")]:
            if not User.objects.filter(username=name).exists():
                User.objects.create_user(name, email, f"{name}-password")
        for client_id, client_type, grant, secret, redirects in APPS:
            Application.objects.filter(client_id=client_id).delete()
            Application.objects.create(
                name=client_id,
                client_id=client_id,
                client_secret=secret,
                client_type=client_type,
                authorization_grant_type=grant,
                redirect_uris=redirects,
                algorithm=Application.RS256_ALGORITHM,
                skip_authorization=False,
            )
        self.stdout.write("ready")
