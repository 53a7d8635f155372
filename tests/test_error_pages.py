import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.urls("tests.error_urls")
def test_server_error_page_is_styled_and_plain(client):
    client.raise_request_exception = False
    response = client.get("/broken/")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.text
    assert "/static/css/site.css" in response.text
    assert "a bug" not in response.text


def test_not_found_page_is_styled_and_helpful(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.text
    assert 'href="#main-content"' in response.text
