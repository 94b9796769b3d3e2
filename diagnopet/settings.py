"""DiagnoPet settings: one module, driven by environment variables (django-environ).

Behaviour differs between environments only through the variables documented in ``.env.example``.
A ``.env`` file beside ``manage.py`` is read when present; real environment variables win over it.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from diagnopet.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# No default outside DEBUG: a production deployment must never run on a known key.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # The top layer (dashboard, demo data, seed_demo): first, so that its admin/index.html overrides the admin's.
    "backoffice",
    "accounts.apps.StaffAdminConfig",  # django.contrib.admin with accounts.admin_site.StaffAdminSite
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # OpClass in index expressions: the admin search's trigram indexes
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "import_export",  # the catalog CSV import (preview, confirm) and export: catalog/resources.py
    "diagnopet.audit.AuditConfig",  # django-auditlog (label "auditlog"), following each model's own fields
    "diagnopet",  # ScheduledRun (diagnopet/scheduling.py); the rest of diagnopet/models.py is abstract
    "accounts",
    "pets",
    "catalog",
    "clinic",
    "promotions",
    "billing",
    "bookings",
    "reviews",
    "settlement",
    "content",
    "privacy",
]

MIDDLEWARE = [
    # First: every log line of the request, and its response, carry the request id.
    "diagnopet.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Ends back-office sessions idle too long or opened too long ago (accounts/sessions.py).
    "accounts.sessions.StaffSessionMiddleware",
    # request.user.is_verified(): whether this back-office session has shown an authenticator code.
    "django_otp.middleware.OTPMiddleware",
    # Records who made each audited change (admin and API requests).
    "auditlog.middleware.AuditlogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "diagnopet.urls"
WSGI_APPLICATION = "diagnopet.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "diagnopet" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "libraries": {
                "admin_dates": "diagnopet.templatetags.admin_dates",
                "money": "diagnopet.templatetags.money",
            },
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
# PostgreSQL in production and tests (DATABASE_URL=postgres://...); an SQLite file when unset so the
# app runs on a bare machine.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Optional read replica for reporting reads (diagnopet/db_routers.py); writes and everything else use default.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # tests read their own test database
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        # Seconds to wait for a PostgreSQL connection (libpq's minimum is 2), so a dead server fails fast.
        _database.setdefault("OPTIONS", {})["connect_timeout"] = env.int("DATABASE_CONNECT_TIMEOUT", default=2)
        # JIT compilation costs more than it saves on our short OLTP and report queries (bench/README.md).
        if not env.bool("DATABASE_JIT", default=False):
            _database["OPTIONS"]["options"] = "-c jit=off"
        # Parameters bound by the server, and psycopg prepares a statement on its 5th run on a connection. PostgreSQL
        # then plans it for each of its first 5 executions and afterwards keeps one generic plan when that plan looks
        # no costlier (plan_cache_mode=auto): planning was 1-2 ms of each list page's queries, more than executing
        # them (bench/README.md). Caveats, in README "Scaling": a generic plan can suit one parameter value less
        # than a fresh one would, and after a migration that changes a selected column's type, connections still
        # open fail that statement until the instance restarts (the deploy restarts them). Off (0) also behind a
        # pgbouncer in transaction mode older than 1.21, which cannot follow prepared statements.
        if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
            _database["OPTIONS"]["server_side_binding"] = True
            _database["OPTIONS"]["prepare_threshold"] = 5
DATABASE_ROUTERS = ["diagnopet.db_routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.PhoneOrEmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("phone", "email", "full_name")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Region used to normalise phone numbers written without a country code.
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="IN")
LOGIN_MAX_FAILED_ATTEMPTS = env.int("LOGIN_MAX_FAILED_ATTEMPTS", default=5)
LOGIN_LOCK_MINUTES = env.int("LOGIN_LOCK_MINUTES", default=15)
OTP_TTL_SECONDS = env.int("OTP_TTL_SECONDS", default=300)
OTP_MAX_ATTEMPTS = env.int("OTP_MAX_ATTEMPTS", default=5)
OTP_RESEND_COOLDOWN_SECONDS = env.int("OTP_RESEND_COOLDOWN_SECONDS", default=60)
# Wrong one-time codes per phone, and per client IP, in 24 hours before codes are refused (429 otp_daily_limit).
OTP_MAX_FAILED_PER_DAY = env.int("OTP_MAX_FAILED_PER_DAY", default=10)
OTP_MAX_FAILED_PER_IP_PER_DAY = env.int("OTP_MAX_FAILED_PER_IP_PER_DAY", default=100)
# Staff two-factor authentication (django-otp, TOTP): always possible; required for superusers and clinic admins
# when on. Keys are hidden in the admin; codes name the clinic.
STAFF_2FA_REQUIRED = env.bool("STAFF_2FA_REQUIRED", default=False)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="DiagnoPet")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
SMS_BACKEND = env.str("SMS_BACKEND", default="accounts.sms.LogSmsBackend")
# Notifications go out on the channels each customer chose (me.notification_channels; accounts/delivery.py):
# WhatsApp through a backend like SMS's (send(phone, message)), email through Django's email backend (the console
# by default; django.core.mail.backends.smtp.EmailBackend with the EMAIL_HOST… settings below for real mail).
WHATSAPP_BACKEND = env.str("WHATSAPP_BACKEND", default="accounts.whatsapp.LogWhatsAppBackend")
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="DiagnoPet <no-reply@diagnopet.local>")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
# Seconds before an unanswering mail server counts as a failed send (the task retries): a worker never hangs on it.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# --- Back-office sessions -------------------------------------------------------------------------
# Staff sessions (the admin; the API uses JWT) end after this many idle minutes, and this many hours after the
# login whatever the activity (accounts/sessions.py). The stored session and its cookie live the idle time.
STAFF_SESSION_IDLE_MINUTES = env.int("STAFF_SESSION_IDLE_MINUTES", default=30)
STAFF_SESSION_MAX_HOURS = env.int("STAFF_SESSION_MAX_HOURS", default=12)
SESSION_COOKIE_AGE = STAFF_SESSION_IDLE_MINUTES * 60

# --- Internationalisation ------------------------------------------------------------------------
# English as written in India: dates typed and shown day first (31/12/2026) through Django's localization, from
# diagnopet/formats/en_IN/formats.py. Texts stay Django's English.
LANGUAGE_CODE = "en-in"
FORMAT_MODULE_PATH = ["diagnopet.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Kolkata")
USE_I18N = True
USE_TZ = True
CURRENCY = env.str("CURRENCY", default="INR")

# --- Home collection: where the samples were really taken ---
# Straight-line km between the address's map pin and the collector's recorded position beyond which the
# home-collection charge is worked out again from the collection point. 1 km: phone GPS is often a few hundred
# metres off indoors and the collector may record the visit from the car park or the next gate, while at the usual
# per-km rates 1 km changes the charge by a few rupees at most; a moved pin (a clinic-side pin for a far address)
# is kilometres off.
COLLECTION_PIN_TOLERANCE_KM = Decimal(env.str("COLLECTION_PIN_TOLERANCE_KM", default="1.0"))

# --- Static and media -----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# Uploaded prescriptions and reports are private: MEDIA_ROOT is never served by URL, only through
# authenticated download views.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    # Django's, removing a partial file when a write fails (full disk: 507 storage_full; diagnopet/storage.py).
    "default": {"BACKEND": "diagnopet.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)

# --- Booking and upload limits (per customer; README "Security") ---------------------------------
# Open (pending or confirmed) bookings one customer, and one pet, may hold on one day (the slot's date).
BOOKING_MAX_OPEN_PER_CUSTOMER_PER_DAY = env.int("BOOKING_MAX_OPEN_PER_CUSTOMER_PER_DAY", default=5)
BOOKING_MAX_OPEN_PER_PET_PER_DAY = env.int("BOOKING_MAX_OPEN_PER_PET_PER_DAY", default=2)
# Minutes a pending booking without any payment holds its slot place before expire_pending releases it (0 = only at
# the slot's start).
BOOKING_PENDING_HOLD_MINUTES = env.int("BOOKING_PENDING_HOLD_MINUTES", default=24 * 60)
# Home visits paid online before the visit (README "Payments"): a new home booking waits unpaid, holding its slot
# place for PREPAYMENT_HOLD_MINUTES, then expire_pending releases it if nothing was paid.
HOME_VISIT_PREPAYMENT_REQUIRED = env.bool("HOME_VISIT_PREPAYMENT_REQUIRED", default=False)
PREPAYMENT_HOLD_MINUTES = env.int("PREPAYMENT_HOLD_MINUTES", default=30)
# Prescriptions: files and bytes per booking, and per customer per day (the clinic's day).
PRESCRIPTION_MAX_FILES_PER_BOOKING = env.int("PRESCRIPTION_MAX_FILES_PER_BOOKING", default=10)
PRESCRIPTION_MAX_BYTES_PER_BOOKING = env.int("PRESCRIPTION_MAX_BYTES_PER_BOOKING", default=30 * 1024 * 1024)
PRESCRIPTION_MAX_FILES_PER_CUSTOMER_PER_DAY = env.int("PRESCRIPTION_MAX_FILES_PER_CUSTOMER_PER_DAY", default=20)
PRESCRIPTION_MAX_BYTES_PER_CUSTOMER_PER_DAY = env.int(
    "PRESCRIPTION_MAX_BYTES_PER_CUSTOMER_PER_DAY", default=60 * 1024 * 1024
)

# --- Published reports (README "Results and reports") -----------------------------------------------
# The public origin of this site: printed (as a QR code) on generated reports for their verification page, and the
# start of the share links customers send to their vet.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Share links: days a link lives when the customer does not say (and the most they may ask), and how many links
# of one report may be open at once.
REPORT_SHARE_DEFAULT_DAYS = env.int("REPORT_SHARE_DEFAULT_DAYS", default=7)
REPORT_SHARE_MAX_DAYS = env.int("REPORT_SHARE_MAX_DAYS", default=30)
REPORT_SHARE_MAX_OPEN = env.int("REPORT_SHARE_MAX_OPEN", default=10)

# --- Cache ----------------------------------------------------------------------------------------
# Shared Redis cache when configured (every worker and instance sees the same entries); local
# memory otherwise.
CACHE_URL = env.str("CACHE_URL", default=env.str("REDIS_URL", default=""))
if CACHE_URL:
    CACHES = {"default": env.cache_url_config(CACHE_URL)}
    if CACHES["default"]["BACKEND"].endswith(".RedisCache"):
        # django-redis: its raw connection counts rate limits in one round trip (diagnopet/api/throttling.py).
        CACHES["default"]["BACKEND"] = "django_redis.cache.RedisCache"
        # A dead Redis fails a request in about a second instead of hanging it.
        CACHES["default"].setdefault("OPTIONS", {}).update(SOCKET_CONNECT_TIMEOUT=1, SOCKET_TIMEOUT=1)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- REST API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "diagnopet.api.authentication.AuditedJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies only; the upload action adds multipart itself.
    "DEFAULT_PARSER_CLASSES": ["diagnopet.api.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_FILTER_BACKENDS": [
        "diagnopet.api.filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "diagnopet.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "diagnopet.api.schema.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        # DRF's anon/user limits, counted in fixed windows with one cache counter (diagnopet/api/throttling.py).
        "diagnopet.api.throttling.AnonRateThrottle",
        "diagnopet.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="120/min"),
        # Public cached reference data (catalog, clinic) per client IP, counted on cache misses only: a search box
        # sends a new URL per keystroke, and many customers may share one address (carrier NAT, clinic Wi-Fi).
        "public": env.str("THROTTLE_PUBLIC", default="600/min"),
        "user": env.str("THROTTLE_USER", default="600/min"),
        "auth": env.str("THROTTLE_AUTH", default="20/min"),
        "otp": env.str("THROTTLE_OTP", default="5/min"),
        # Back-office login attempts, per client IP and per login name, counted before any password is checked.
        "admin_login": env.str("THROTTLE_ADMIN_LOGIN", default="10/min"),
        "payment_webhook": env.str("THROTTLE_PAYMENT_WEBHOOK", default="600/min"),
        # The public report pages (verification, share links) per client IP: a person reads a few, never hundreds.
        "report_link": env.str("THROTTLE_REPORT_LINK", default="60/min"),
    },
    "COERCE_DECIMAL_TO_STRING": True,
    # Proxies in front of the app (load balancer = 1): throttles then read the client IP from X-Forwarded-For.
    # 0 uses the connection's address, so a client cannot forge its IP.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "EXCEPTION_HANDLER": "diagnopet.errors.api_exception_handler",
}
API_MAX_PAGE_SIZE = 100

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=10)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
}
if SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] > timedelta(minutes=15):
    raise ImproperlyConfigured("JWT_ACCESS_MINUTES must be at most 15.")

SPECTACULAR_SETTINGS = {
    "TITLE": "DiagnoPet API",
    "DESCRIPTION": "Pet lab tests with home or lab sample collection.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation is tagged by the resource its path names (diagnopet.api.schema.resource_tag); the docs list
    # the tags in this order. project_tests/test_api_docs.py fails on a tag missing here.
    "TAGS": [
        {"name": "auth", "description": "Register, log in with a password or a one-time code, refresh, log out."},
        {"name": "me", "description": "The caller's profile, password and notification channels."},
        {"name": "addresses", "description": "The caller's addresses for home collection."},
        {"name": "notifications", "description": "The caller's in-app notifications."},
        {"name": "pets", "description": "The caller's pets."},
        {"name": "catalog", "description": "Lab tests and packages with their prices (public)."},
        {"name": "clinic", "description": "The clinic's address, hours and contacts (public)."},
        {"name": "offers", "description": "Offers running today (public)."},
        {"name": "slots", "description": "Collection windows with places left."},
        {"name": "bookings", "description": "Quote, book, pay, reschedule, cancel; prescriptions and QR code."},
        {"name": "reviews", "description": "The customer's rating of a completed visit."},
        {"name": "reports", "description": "Delivered reports of the caller's pets, downloads and share links."},
        {"name": "results", "description": "A pet's verified test results over time."},
        {"name": "bills", "description": "The caller's bills, with payments, refunds and the invoice PDF."},
        {"name": "payments", "description": "Online payment confirmation, receipts and provider webhooks."},
        {"name": "content", "description": "FAQs, announcements and testimonials of the public site."},
        {"name": "staff", "description": "Collectors' visits of the day and analysts' billing figures."},
    ],
    "GET_LIB_DOC_EXCLUDES": "diagnopet.api.schema.doc_excludes",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "diagnopet.api.schema.document_common_errors",
        "diagnopet.api.schema.add_examples",
        "diagnopet.api.schema.drop_unused_tags",
    ],
    # Several models have a "status"; give each choice set its own schema name.
    "ENUM_NAME_OVERRIDES": {
        "BookingStatusEnum": "bookings.models.Booking.Status",
        "BookingItemStatusEnum": "bookings.models.BookingItem.Status",
        "ReportStatusEnum": "bookings.models.TestReport.Status",
        "RejectionReasonEnum": "bookings.models.BookingItem.RejectionReason",
        "NoShowReasonEnum": "bookings.models.Booking.NoShowReason",
        "BillingStatusEnum": "billing.models.BillingRecord.Status",
        "PaymentMethodEnum": "billing.models.Payment.Method",
        "SpeciesEnum": "pets.models.Pet.Species",  # also content testimonials' pet_species
        "PaymentRecordStatusEnum": "billing.models.Payment.Status",
    },
}


# --- Audit trail ----------------------------------------------------------------------------------
# Every change to money-affecting and report rows: who, when, which fields from what to what (django-auditlog),
# visible from each object's admin page. Counter updates done with QuerySet.update() (slot places, coupon uses)
# are not row saves and are not logged; the rows they belong to log their own changes.
# Reverse relations (a booking's items, its bill) are not a row's own fields: diagnopet.audit leaves them out.
_AUDIT_SKIP = ["created_at", "updated_at"]
AUDITLOG_INCLUDE_TRACKING_MODELS = [
    {"model": "bookings.Booking", "exclude_fields": _AUDIT_SKIP},
    {"model": "bookings.BookingItem", "exclude_fields": _AUDIT_SKIP},
    {"model": "bookings.TestReport", "exclude_fields": _AUDIT_SKIP},
    {"model": "promotions.Offer", "exclude_fields": _AUDIT_SKIP, "m2m_fields": ["applicable_tests"]},
    {"model": "promotions.Coupon", "exclude_fields": _AUDIT_SKIP},
    {"model": "billing.BillingRecord", "exclude_fields": _AUDIT_SKIP},
    {"model": "billing.Payment", "exclude_fields": _AUDIT_SKIP},
    {"model": "billing.DistancePricingConfig", "exclude_fields": _AUDIT_SKIP},
    {"model": "clinic.ClinicInfo", "exclude_fields": _AUDIT_SKIP},
    {"model": "diagnopet.SystemSettings", "exclude_fields": _AUDIT_SKIP},
    {"model": "settlement.CollectorFee", "exclude_fields": _AUDIT_SKIP},
    {"model": "settlement.CashHandover", "exclude_fields": _AUDIT_SKIP},
    {"model": "settlement.CollectorPayout", "exclude_fields": _AUDIT_SKIP},
    {"model": "catalog.LabTest", "exclude_fields": _AUDIT_SKIP},
]
AUDITLOG_DISABLE_REMOTE_ADDR = False

# --- Celery ---------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# Without a broker, tasks run in-process at enqueue time (still after commit).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis broker: a task taken by a worker that died is handed out again after 10 minutes (kombu's default is an
# hour); delivery tasks are idempotent, so a redelivery never sends twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600, "unacked_restore_interval": 10}
CELERY_TIMEZONE = TIME_ZONE
# Every job is a catch-up job (diagnopet/scheduling.py): it handles what fell due since its last success (recorded in
# the database), so a tick beat could not publish while the broker was down is made up by the next one. Daily jobs run
# every 15 minutes and do the day's work once its time of day (SCHEDULED_DAILY_AT, the clinic's time) has passed.
_EVERY_15_MINUTES = crontab(minute="*/15")
CELERY_BEAT_SCHEDULE = {
    "visit-reminders": {"task": "bookings.tasks.reminders_send_task", "schedule": _EVERY_15_MINUTES},
    "generate-slots": {"task": "bookings.tasks.slots_generate_task", "schedule": _EVERY_15_MINUTES},
    "expire-pending": {"task": "bookings.tasks.bookings_expire_pending_task", "schedule": _EVERY_15_MINUTES},
    "redeliver-notifications": {
        "task": "bookings.tasks.notifications_enqueue_pending_task",
        "schedule": crontab(minute="*/5"),
    },
    "rebuild-category-totals": {
        "task": "billing.tasks.category_totals_rebuild_task",
        "schedule": crontab(minute="*/10"),
    },
    "purge-old-otps": {"task": "accounts.tasks.otp_purge_task", "schedule": _EVERY_15_MINUTES},
    "flush-expired-tokens": {"task": "bookings.tasks.tokens_flush_expired_task", "schedule": _EVERY_15_MINUTES},
    # Closed accounts past the retention period; idempotent, so running often only finds nothing to do.
    "anonymise-closed-accounts": {
        "task": "privacy.tasks.closed_accounts_anonymise_task",
        "schedule": _EVERY_15_MINUTES,
    },
}
SCHEDULED_DAILY_AT = {
    "visit-reminders": "18:00",
    "generate-slots": "01:00",
    "purge-old-otps": "03:45",
    "flush-expired-tokens": "03:30",
}

# --- Payment providers (README "Payments") -------------------------------------------------------
# A provider is offered only when its keys are set; "manual" (cash, card, UPI at the door or desk) always is.
# Razorpay: key id and secret from the dashboard (test mode: rzp_test_...), and the webhook's own secret.
RAZORPAY_KEY_ID = env.str("RAZORPAY_KEY_ID", default="")
RAZORPAY_KEY_SECRET = env.str("RAZORPAY_KEY_SECRET", default="")
RAZORPAY_WEBHOOK_SECRET = env.str("RAZORPAY_WEBHOOK_SECRET", default="")
# Stripe: secret key (sk_test_...), publishable key for the app (pk_test_...), the endpoint's signing secret (whsec_).
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# How long a checkout order is offered to the app before a new one is made.
PAYMENT_ORDER_TTL_MINUTES = env.int("PAYMENT_ORDER_TTL_MINUTES", default=30)
# Seconds a provider call may take (connect and read) before the request fails with 503.
PAYMENT_PROVIDER_TIMEOUT = env.int("PAYMENT_PROVIDER_TIMEOUT", default=15)

# --- Security -------------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Production values (what `manage.py check --deploy` wants) are in deploy/production.env.example. Redirecting to
# HTTPS stays off by default: the TLS proxy in front usually redirects, and the test client speaks plain HTTP.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Cookies only over HTTPS unless DEBUG (local development over plain HTTP).
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Logging --------------------------------------------------------------------------------------
# To stdout: plain text, or JSON lines with LOG_FORMAT=json; each line has the request id (diagnopet/logging.py).
LOGGING = logging_config(log_format=env.str("LOG_FORMAT", default="plain"), level=env.str("LOG_LEVEL", default="INFO"))

# --- Health check ---------------------------------------------------------------------------------
# Seconds each /healthz probe (cache, broker, database query) may take.
HEALTHZ_TIMEOUT = 1

# --- Hostile input (API helper) ---------------------------------------------------------------------
# New entries each client IP may add to the public response cache (diagnopet/api/caching.py); past it, answers are
# served but not stored. Empty: no budget.
PUBLIC_CACHE_STORE_RATE = env.str("PUBLIC_CACHE_STORE_RATE", default="60/min")

# Swagger UI (/api/docs/) from drf-spectacular-sidecar's static files instead of a CDN at @latest.
INSTALLED_APPS += ["drf_spectacular_sidecar"]
SPECTACULAR_SETTINGS.update(
    {"SWAGGER_UI_DIST": "SIDECAR", "SWAGGER_UI_FAVICON_HREF": "SIDECAR", "REDOC_DIST": "SIDECAR"}
)
# Content-Security-Policy of every HTML page (admin, Swagger UI, error pages): diagnopet.middleware. Empty: none.
CONTENT_SECURITY_POLICY = env.str(
    "CONTENT_SECURITY_POLICY",
    default="default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'",
)
# Right after the request id: the header reaches every HTML response, error pages included.
MIDDLEWARE.insert(
    MIDDLEWARE.index("diagnopet.middleware.RequestIdMiddleware") + 1,
    "diagnopet.middleware.ContentSecurityPolicyMiddleware",
)

# --- Operations that never lose data (outages, full disks, missed beat ticks) ---------------------------------------
# /healthz answers "degraded" (200, "media": "low") when MEDIA_ROOT's file system has fewer free megabytes than this.
MEDIA_MIN_FREE_MB = env.int("MEDIA_MIN_FREE_MB", default=500)

# --- Backup and restore (README "Backup and restore") ------------------------------------------------
# The app-agnostic management commands (backup_manifest, cache_clear) live in diagnopet/management/ (diagnopet
# is an installed app, above).
# Every anonymisation is also appended here (one JSON line: user id, account creation time, when), outside the
# database: a restore rolls the database back, and scripts/restore re-applies the anonymisations logged since the
# backup from this file. Keep it on a disk that outlives the database, and out of MEDIA_ROOT.
# A closed account keeps what its invoices print (name, phone, pet names) this many years, then is anonymised
# (privacy.services.closed_accounts_anonymise, daily).
CLOSED_ACCOUNT_RETENTION_YEARS = env.int("CLOSED_ACCOUNT_RETENTION_YEARS", default=8)
ANONYMISATION_LOG = Path(env.str("ANONYMISATION_LOG", default=str(BASE_DIR / "var" / "anonymisations.jsonl")))
