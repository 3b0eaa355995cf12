"""The JSON API under ``/api/v1/``: typed, scoped, problem+json errors."""

from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from wangge.accounts.api import AUTH
from wangge.accounts.api import router as accounts_router
from wangge.cases.api import router as cases_router
from wangge.cases.photos_api import router as photos_router
from wangge.core.api import JSONOnlyParser, document_problems, install_error_handlers
from wangge.core.api import router as core_router
from wangge.fieldwork.api import router as fieldwork_router
from wangge.fieldwork.api_campaigns import router as campaigns_router
from wangge.fieldwork.api_disputes import router as disputes_router
from wangge.fieldwork.api_errands import router as errands_router
from wangge.fieldwork.api_patrols import router as patrols_router
from wangge.lostfound.api import router as lostfound_router
from wangge.notices.api import router as notices_router
from wangge.people.api import router as people_router
from wangge.territory.api import router as territory_router


class ChineseJSONRenderer(JSONRenderer):
    """JSON with Chinese as itself, not as \\u escapes."""

    json_dumps_params = {"ensure_ascii": False}


class WanggeAPI(NinjaAPI):
    """The API whose document names the problem+json answers of every operation."""

    def get_openapi_schema(self, **kwargs):
        return document_problems(super().get_openapi_schema(**kwargs))

    def validation_error_from_error_contexts(self, error_contexts):
        """ninja drops the value each error is about; the messages need it (how long the
        text was, which value is unknown), so it is kept aside as ``given`` (never sent)."""
        exc = super().validation_error_from_error_contexts(error_contexts)
        given = [
            error.get("input")
            for context in error_contexts
            for error in context.pydantic_validation_error.errors(include_url=False)
        ]
        for error, value in zip(exc.errors, given, strict=False):
            error["given"] = value
        return exc


api = WanggeAPI(
    title="Wangge API",
    version="1",
    description=(
        "Grid-based community governance. Authenticate with `POST /auth/token`, then send "
        "`Authorization: Bearer <token>`. Everything is limited to the caller's scope: an "
        "object outside it is a 404. Errors are `application/problem+json`."
    ),
    auth=AUTH,
    renderer=ChineseJSONRenderer(),
    parser=JSONOnlyParser(),
    urls_namespace="api",
    docs_url=None,  # the interactive docs load scripts from a CDN; the schema is enough
    openapi_url="/openapi.json",
)
install_error_handlers(api)
api.add_router("", accounts_router)
api.add_router("", territory_router)
api.add_router("", people_router)
api.add_router("", cases_router)
api.add_router("", photos_router)
api.add_router("", lostfound_router)
api.add_router("", fieldwork_router)
api.add_router("", campaigns_router)
api.add_router("", errands_router)
api.add_router("", disputes_router)
api.add_router("", patrols_router)
api.add_router("", notices_router)
api.add_router("", core_router)
