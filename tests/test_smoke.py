import pytest

from openflyers_account import create_app
from tests.conftest import free_port


def test_healthz_answers_when_the_database_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("url", [
    "sqlite:///{tmp}/no-such-folder/openflyers.sqlite",
    "postgresql+psycopg://postgres@127.0.0.1:{port}/openflyers?connect_timeout=2",
])
def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path, url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url.format(tmp=tmp_path, port=free_port())})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "unreachable"}
    assert "Traceback" not in response.get_data(as_text=True)
