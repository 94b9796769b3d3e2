"""Accounts: registration, password and one-time-code login with lockout, tokens, profile, addresses, inbox.

One module per topic (auth: password login, lockout and tokens; otp; users; addresses; notifications); callers
import from the package.
"""

from accounts.services.addresses import ADDRESS_FIELDS, address_create, address_delete, address_update
from accounts.services.auth import (
    INVALID_CREDENTIALS,
    REFRESH_REFUSED,
    SECOND_FACTOR_MISSING,
    SECOND_FACTOR_ONLY,
    SECOND_FACTOR_WRONG,
    AccountLocked,
    AuthenticationError,
    SecondFactorRequired,
    auth_login,
    auth_logout,
    auth_token_refresh,
    auth_tokens_allowed,
    auth_tokens_issue,
    auth_tokens_revoke_all,
)
from accounts.services.notifications import notification_mark_all_read, notification_mark_read
from accounts.services.otp import (
    OTP_ATTEMPTS_EXCEEDED,
    OTP_EXPIRED,
    OTP_INVALID,
    OtpCooldown,
    OtpDailyLimit,
    otp_request,
    otp_verify,
)
from accounts.services.users import user_password_change, user_profile_update, user_register, user_unlock

__all__ = [
    "ADDRESS_FIELDS",
    "INVALID_CREDENTIALS",
    "OTP_ATTEMPTS_EXCEEDED",
    "OTP_EXPIRED",
    "OTP_INVALID",
    "REFRESH_REFUSED",
    "SECOND_FACTOR_MISSING",
    "SECOND_FACTOR_ONLY",
    "SECOND_FACTOR_WRONG",
    "AccountLocked",
    "AuthenticationError",
    "OtpCooldown",
    "OtpDailyLimit",
    "SecondFactorRequired",
    "address_create",
    "address_delete",
    "address_update",
    "auth_login",
    "auth_logout",
    "auth_token_refresh",
    "auth_tokens_allowed",
    "auth_tokens_issue",
    "auth_tokens_revoke_all",
    "notification_mark_all_read",
    "notification_mark_read",
    "otp_request",
    "otp_verify",
    "user_password_change",
    "user_profile_update",
    "user_register",
    "user_unlock",
]
