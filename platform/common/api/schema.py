"""OpenAPI schema naming: every API class nests its own ``InputSerializer``/``OutputSerializer``
(STYLE.md habit 2), so plain class names collide. A nested serializer is named after its outer class."""
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema


class AutoSchema(BaseAutoSchema):
    def _get_serializer_name(self, serializer, direction, bypass_extensions=False) -> str:
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        meta = getattr(serializer, "Meta", None)
        if meta is not None and getattr(meta, "ref_name", None):
            return name
        qualname = type(serializer).__qualname__
        if "." in qualname:  # e.g. ImportCreateApi.InputSerializer -> ImportCreateApiInput
            outer = qualname.rsplit(".", 1)[0].replace(".", "")
            return f"{outer}{name}"
        return name
