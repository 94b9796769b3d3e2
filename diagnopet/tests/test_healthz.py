"""``GET /healthz``: 200 when the database answers, 503 when it does not.

The failure is real, not mocked: the connection is pointed at a local port where nothing listens.
"""

import socket
from contextlib import contextmanager

import pytest
from django.db import connection


@pytest.fixture
def refused_port():
    """A local TCP port that refuses connections: bound (so nobody else takes it meanwhile) but not listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@contextmanager
def database_at(host: str, port: int):
    """Reconnect the default connection to ``host:port`` inside the block; restore the real one afterwards."""
    original = {key: connection.settings_dict[key] for key in ("HOST", "PORT")}
    connection.close()
    connection.settings_dict.update(HOST=host, PORT=str(port))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(original)


@pytest.mark.django_db
def test_healthz_is_ok_when_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


# transaction=True: the connection is not inside a test-wide transaction, so it can really be closed and opened
# against another port.
@pytest.mark.django_db(transaction=True)
def test_healthz_is_503_while_the_database_is_unreachable_and_recovers(client, refused_port):
    with database_at("127.0.0.1", refused_port):
        down = client.get("/healthz")

    assert down.status_code == 503
    assert down.json()["status"] != "ok"
    # The real connection is back: the next request reconnects and answers.
    back = client.get("/healthz")
    assert back.status_code == 200
    assert back.json()["status"] == "ok"
