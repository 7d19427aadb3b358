"""The OpenAPI description of the platform API (S1), served at /api/v1/openapi.json."""
from __future__ import annotations

_ERROR = {"type": "object", "required": ["error", "message"],
          "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}
_STATE = {"type": "object", "required": ["subdomain", "activated_resources", "subscribed_resources"],
          "properties": {"subdomain": {"type": "string"},
                         "activated_resources": {"type": "integer", "minimum": 0},
                         "subscribed_resources": {"type": "integer", "minimum": 0}}}


def _answer(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {"401": _answer("Missing or wrong token, or unknown platform", _ERROR),
           "429": _answer("Too many requests", _ERROR)}

OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "OpenFlyers customer account: platform API", "version": "1",
             "description": "Each club's platform reports the resources (aircraft, simulators) activated on it; "
                            "the count is the floor of the next renewal."},
    "servers": [{"url": "/api/v1"}],
    "components": {"securitySchemes": {"platformToken": {"type": "http", "scheme": "bearer"}}},
    "security": [{"platformToken": []}],
    "paths": {"/platforms/{subdomain}/resources": {
        "parameters": [{"name": "subdomain", "in": "path", "required": True, "schema": {"type": "string"}}],
        "get": {"summary": "The activated and subscribed resources",
                "responses": {"200": _answer("The platform's resources", _STATE), **_ERRORS}},
        "put": {"summary": "Report the resources activated on the platform",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["activated_resources"], "additionalProperties": False,
                    "properties": {"activated_resources": {"type": "integer", "minimum": 0, "maximum": 100000}}}}}},
                "responses": {"200": _answer("Recorded; the resources now", _STATE),
                              "422": _answer("The body or the value is not one", _ERROR), **_ERRORS}},
    }},
}
