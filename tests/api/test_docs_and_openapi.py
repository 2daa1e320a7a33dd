"""The interactive docs work offline (Swagger UI from the installed package) and the OpenAPI document
says what the API answers: problem+json for refusals, 400 and 413 for bodies, 429, and a full Allow."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from monitor.core.settings import Settings
from tests.support.api import problem
from tests.support.factories import authorize, feed_config


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from monitor.core.revisions import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('docs')}/api.db"
    upgrade(url)
    with TestClient(create_app(feed_config({}), Settings(database_url=url))) as c:
        authorize(c)
        yield c


def test_docs_load_only_local_assets(client: TestClient) -> None:
    page = client.get("/docs", headers={"Authorization": ""})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "://" not in page.text  # no CDN, no validator badge, no absolute URL of any kind
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sorted(assets) == ["/docs/assets/favicon.png", "/docs/assets/swagger-ui-bundle.js",
                              "/docs/assets/swagger-ui.css"]  # fmt: skip
    assert "url: '/openapi.json'" in page.text and '"validatorUrl": null' in page.text
    kinds = {"js": "javascript", "css": "text/css", "png": "image/png"}
    for asset in assets:
        served = client.get(asset, headers={"Authorization": ""})
        assert served.status_code == 200 and len(served.content) > 1000, asset
        assert kinds[asset.rsplit(".", 1)[1]] in served.headers["content-type"], asset
    assert client.get("/docs/assets/redoc.standalone.js").status_code == 404  # only what the page loads


def test_refusals_are_documented_as_problems(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for code, response in operation["responses"].items():
                if code[0] == "4" or (code in ("500", "503") and path != "/readyz"):
                    assert response["content"] == {"application/problem+json": {"schema": problem_ref}}, (
                        f"{method} {path} {code}"
                    )
            if "requestBody" in operation:
                assert {"400", "413"} <= operation["responses"].keys(), f"{method} {path}"
            assert ("429" in operation["responses"]) == bool(operation.get("security")), f"{method} {path}"
    tokens = document["paths"]["/api/v1/tokens"]["post"]
    assert "512 KiB" in tokens["responses"]["413"]["description"]
    imports = document["paths"]["/api/v1/customers/import"]["post"]
    assert "100 MiB" in imports["responses"]["413"]["description"]
    name = document["components"]["schemas"]["TokenCreate"]["properties"]["name"]
    assert name["pattern"] and name["maxLength"] == 128


def test_a_405_allows_every_method_of_the_path(client: TestClient) -> None:
    response = client.put("/api/v1/tokens")
    problem(response, 405)
    assert response.headers["Allow"] == "GET, POST"
    assert client.post("/api/v1/cases/1").headers["Allow"] == "GET, PATCH"
