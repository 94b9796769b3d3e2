import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

ME = "/api/v1/me"
PASSWORD = "/api/v1/me/password"
TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/token/refresh"

pytestmark = pytest.mark.django_db


def test_me_shows_the_callers_profile(customer, customer_client):
    response = customer_client.get(ME)

    assert response.status_code == 200
    assert response.data == {
        "id": customer.pk,
        "phone": customer.phone,
        "email": customer.email,
        "full_name": customer.full_name,
        "is_verified": False,
        "notification_channels": ["sms"],
    }


def test_me_needs_authentication(api_client):
    assert api_client.get(ME).status_code == 401
    assert api_client.patch(ME, {"full_name": "X"}, format="json").status_code == 401


def test_me_patch_changes_name_and_email_only(customer, customer_client):
    original_phone = customer.phone

    response = customer_client.patch(
        ME,
        {
            "full_name": "Ravi Kumar",
            "email": "ravi@example.com",
            "phone": "+919811111111",
            "is_staff": True,
            "is_superuser": True,
            "is_verified": True,
            "is_locked": True,
            "id": 999,
        },
        format="json",
    )

    assert response.status_code == 200, response.data
    assert response.data["full_name"] == "Ravi Kumar"
    assert response.data["email"] == "ravi@example.com"
    customer.refresh_from_db()
    assert (customer.full_name, customer.email, customer.phone) == ("Ravi Kumar", "ravi@example.com", original_phone)
    flags = (customer.is_staff, customer.is_superuser, customer.is_verified, customer.is_locked)
    assert flags == (False, False, False, False)
    assert customer.pk != 999


def test_me_patch_can_remove_the_email(customer, customer_client):
    response = customer_client.patch(ME, {"email": ""}, format="json")

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.email is None


def test_me_patch_refuses_an_email_someone_else_has(customer, customer_client):
    UserFactory(email="taken@example.com")

    response = customer_client.patch(ME, {"email": "TAKEN@example.com"}, format="json")

    assert response.status_code == 400
    assert response.data["code"] == "email_taken"
    assert response.data["email"]
    customer.refresh_from_db()
    assert customer.email != "TAKEN@example.com"


def test_me_patch_keeps_own_email_in_another_case(customer, customer_client):
    response = customer_client.patch(ME, {"email": customer.email.upper()}, format="json")

    assert response.status_code == 200


def test_me_put_is_not_allowed(customer_client):
    assert customer_client.put(ME, {"full_name": "X"}, format="json").status_code == 405


# --- Password change ------------------------------------------------------------------------------


def change_password(client, old=DEFAULT_PASSWORD, new="N3w-Hedgehog-Pass!"):
    return client.post(PASSWORD, {"old_password": old, "new_password": new}, format="json")


def test_password_change(api_client, customer, customer_client):
    other_session = api_client.post(TOKEN, {"username": customer.phone, "password": DEFAULT_PASSWORD}).data

    response = change_password(customer_client)

    assert response.status_code == 200, response.data
    customer.refresh_from_db()
    assert customer.check_password("N3w-Hedgehog-Pass!")
    assert api_client.post(TOKEN, {"username": customer.phone, "password": DEFAULT_PASSWORD}).status_code == 401
    assert api_client.post(TOKEN, {"username": customer.phone, "password": "N3w-Hedgehog-Pass!"}).status_code == 200
    # Other sessions are logged out; this client carries on with the pair it was given.
    assert api_client.post(REFRESH, {"refresh": other_session["refresh"]}, format="json").status_code == 401
    assert api_client.post(REFRESH, {"refresh": response.data["refresh"]}, format="json").status_code == 200


def test_password_change_refuses_a_wrong_old_password(customer, customer_client):
    response = change_password(customer_client, old="not-my-password")

    assert response.status_code == 400
    assert response.data["code"] == "wrong_password"
    assert response.data["old_password"]
    customer.refresh_from_db()
    assert customer.check_password(DEFAULT_PASSWORD)


@pytest.mark.parametrize("new", ["12345678", "password", "short"])
def test_password_change_refuses_a_weak_new_password(customer, customer_client, new):
    response = change_password(customer_client, new=new)

    assert response.status_code == 400
    assert response.data["new_password"]
    customer.refresh_from_db()
    assert customer.check_password(DEFAULT_PASSWORD)


def test_password_change_needs_authentication(api_client):
    assert change_password(api_client).status_code == 401


# --- Notification channels ------------------------------------------------------------------------


def test_notification_channels_default_to_text_messages(customer_client):
    assert customer_client.get(ME).data["notification_channels"] == ["sms"]


def test_notification_channels_are_chosen_and_kept_in_order(customer, customer_client):
    customer.email = "asha@example.com"
    customer.save(update_fields=["email"])

    response = customer_client.patch(ME, {"notification_channels": ["email", "whatsapp", "email"]}, format="json")

    assert response.status_code == 200, response.data
    assert response.data["notification_channels"] == ["whatsapp", "email"]
    customer.refresh_from_db()
    assert customer.notification_channels == ["whatsapp", "email"]
    assert customer_client.get(ME).data["notification_channels"] == ["whatsapp", "email"]


def test_an_empty_list_means_in_app_only(customer, customer_client):
    response = customer_client.patch(ME, {"notification_channels": []}, format="json")

    assert response.status_code == 200, response.data
    customer.refresh_from_db()
    assert customer.notification_channels == []


def test_email_channel_with_the_address_in_the_same_request(customer, customer_client):
    response = customer_client.patch(
        ME, {"email": "ravi@example.com", "notification_channels": ["sms", "email"]}, format="json"
    )

    assert response.status_code == 200, response.data
    customer.refresh_from_db()
    assert (customer.email, customer.notification_channels) == ("ravi@example.com", ["sms", "email"])


@pytest.mark.parametrize(
    "channels",
    [["fax"], ["sms", "pigeon"], "sms", [None], [1], {"sms": True}, ["SMS"], ["sms"] * 7],
)
def test_bad_notification_channels_are_refused(customer, customer_client, channels):
    response = customer_client.patch(ME, {"notification_channels": channels}, format="json")

    assert response.status_code == 400, response.data
    assert "notification_channels" in response.data
    customer.refresh_from_db()
    assert customer.notification_channels == ["sms"]


def test_email_channel_needs_an_email_address(customer, customer_client):
    customer.email = None
    customer.save(update_fields=["email"])

    response = customer_client.patch(ME, {"notification_channels": ["email"]}, format="json")

    assert response.status_code == 400
    assert response.data["code"] == "email_required"
    assert response.data["notification_channels"]
    customer.refresh_from_db()
    assert customer.notification_channels == ["sms"]


def test_the_email_address_stays_while_email_notifications_are_chosen(customer, customer_client):
    customer.email, customer.notification_channels = "asha@example.com", ["email"]
    customer.save(update_fields=["email", "notification_channels"])

    response = customer_client.patch(ME, {"email": ""}, format="json")

    assert response.status_code == 400
    assert (response.data["code"], list(response.data)[0]) == ("email_required", "email")
    customer.refresh_from_db()
    assert customer.email == "asha@example.com"
    # Both at once is fine.
    response = customer_client.patch(ME, {"email": "", "notification_channels": ["sms"]}, format="json")
    assert response.status_code == 200, response.data
