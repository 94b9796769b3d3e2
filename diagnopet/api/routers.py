from rest_framework.routers import DynamicRoute, Route, SimpleRouter


class ApiRouter(SimpleRouter):
    """SPEC §5's URL shapes: collections and objects end with a slash (``bookings/``, ``bookings/{id}/``), actions
    do not (``bookings/quote``, ``bookings/{id}/cancel``) unless their ``url_path`` says so (``prescriptions/``)."""

    routes = [
        Route(
            url=r"^{prefix}{trailing_slash}$",
            mapping={"get": "list", "post": "create"},
            name="{basename}-list",
            detail=False,
            initkwargs={"suffix": "List"},
        ),
        DynamicRoute(url=r"^{prefix}/{url_path}$", name="{basename}-{url_name}", detail=False, initkwargs={}),
        Route(
            url=r"^{prefix}/{lookup}{trailing_slash}$",
            mapping={"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"},
            name="{basename}-detail",
            detail=True,
            initkwargs={"suffix": "Instance"},
        ),
        DynamicRoute(url=r"^{prefix}/{lookup}/{url_path}$", name="{basename}-{url_name}", detail=True, initkwargs={}),
    ]
