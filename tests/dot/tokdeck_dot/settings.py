"""Django OAuth Toolkit as a deployment would configure it, scaled down to a test:
OIDC with an RSA key, PKCE required, refresh-token rotation with reuse protection, the
device grant, introspection and revocation, and an issuer with a path (/o).

TOKDECK_DOT_DIR holds the database and the signing key (made by `manage.py
tokdeck_setup`); TOKDECK_DOT_URL is the server's own base URL (for the device
verification URI); TOKDECK_DOT_ACCESS_TTL the access-token lifetime in seconds.
"""
import os
from pathlib import Path

STATE = Path(os.environ.get("TOKDECK_DOT_DIR", "/tmp/tokdeck-dot"))
STATE.mkdir(parents=True, exist_ok=True)
BASE_URL = os.environ.get("TOKDECK_DOT_URL", "http://127.0.0.1:8000")

SECRET_KEY = "tokdeck-test-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "tokdeck_dot.urls"
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "oauth2_provider",
    "tokdeck_dot",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).resolve().parent.parent / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": STATE / "db.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
LOGIN_URL = "/accounts/login/"
# Test speed: the default PBKDF2 costs ~0.2 s of CPU per confidential-client request.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

key_file = STATE / "oidc.key"
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": key_file.read_text() if key_file.exists() else "",
    "PKCE_REQUIRED": True,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(os.environ.get("TOKDECK_DOT_ACCESS_TTL", "300")),
    "SCOPES": {
        "openid": "OpenID Connect",
        "profile": "Profile",
        "email": "Email",
        "read": "Read",
        "introspection": "Introspect tokens",
    },
    "DEFAULT_SCOPES": ["read"],
    "OAUTH_DEVICE_VERIFICATION_URI": f"{BASE_URL}/o/device/",
    "OAUTH_DEVICE_VERIFICATION_URI_COMPLETE": f"{BASE_URL}/o/device/?user_code={{user_code}}",
    "DEVICE_FLOW_INTERVAL": 1,
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
}
