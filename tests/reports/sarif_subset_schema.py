"""A JSON Schema, written for these tests, of the SARIF 2.1.0 subset DeepTracy emits.

No PyPI package ships the OASIS schema (sarif-om, sarif-tools, jschema-to-python,
sarif-pydantic, simple-sarif and pysarif were checked), and tests do not fetch from the
network, so this schema states what the SARIF 2.1.0 specification and GitHub code scanning
require of the objects we write. Objects are closed (`additionalProperties: false`) as in the
specification, except property bags. It is stricter than the OASIS schema where GitHub is
(ruleId, a location with a region, partialFingerprints, security-severity) and does not cover
SARIF objects DeepTracy never writes.
"""

from __future__ import annotations

from typing import Any

_LEVEL = {"enum": ["none", "note", "warning", "error"]}

_MULTIFORMAT = {
    "type": "object",
    "required": ["text"],
    "properties": {"text": {"type": "string", "minLength": 1}, "markdown": {"type": "string"}},
    "additionalProperties": False,
}

_MESSAGE = {
    "type": "object",
    "required": ["text"],
    "properties": {"text": {"type": "string", "minLength": 1}, "markdown": {"type": "string"}},
    "additionalProperties": False,
}

# A relative reference: no scheme, no leading slash or backslash, no '..' segment, no spaces.
_RELATIVE_URI = {
    "type": "string",
    "minLength": 1,
    "allOf": [
        {"not": {"pattern": "^[A-Za-z][A-Za-z0-9+.-]*:"}},
        {"not": {"pattern": "^[/\\\\]"}},
        {"not": {"pattern": "(^|/)\\.\\.(/|$)"}},
        {"not": {"pattern": "[\\s\\\\]"}},
    ],
}

_LOCATION = {
    "type": "object",
    "required": ["physicalLocation"],
    "properties": {
        "id": {"type": "integer", "minimum": -1},
        "physicalLocation": {
            "type": "object",
            "required": ["artifactLocation", "region"],  # GitHub needs the region
            "properties": {
                "artifactLocation": {
                    "type": "object",
                    "required": ["uri"],
                    "properties": {"uri": _RELATIVE_URI},
                    "additionalProperties": False,
                },
                "region": {
                    "type": "object",
                    "required": ["startLine"],
                    "properties": {
                        "startLine": {"type": "integer", "minimum": 1},
                        "startColumn": {"type": "integer", "minimum": 1},
                        "endLine": {"type": "integer", "minimum": 1},
                        "endColumn": {"type": "integer", "minimum": 1},
                    },
                    "additionalProperties": False,
                },
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}

_RULE = {
    "type": "object",
    "required": ["id", "shortDescription", "fullDescription", "help", "properties"],
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "name": {"type": "string"},
        "shortDescription": _MULTIFORMAT,
        "fullDescription": _MULTIFORMAT,
        "help": _MULTIFORMAT,
        "helpUri": {"type": "string", "pattern": "^https://"},
        "defaultConfiguration": {
            "type": "object",
            "properties": {"level": _LEVEL, "enabled": {"type": "boolean"}},
            "additionalProperties": False,
        },
        "properties": {
            "type": "object",
            "required": ["security-severity", "tags"],
            "properties": {
                # GitHub: a string holding a number from 0.0 to 10.0.
                "security-severity": {
                    "type": "string",
                    "pattern": "^(10(\\.0)?|[0-9](\\.[0-9])?)$",
                },
                "tags": {
                    "type": "array",
                    "items": {"type": "string"},
                    "uniqueItems": True,
                    "contains": {"const": "security"},
                },
            },
        },
    },
    "additionalProperties": False,
}

_RESULT = {
    "type": "object",
    "required": ["ruleId", "message", "locations", "partialFingerprints"],
    "properties": {
        "ruleId": {"type": "string", "minLength": 1},
        "ruleIndex": {"type": "integer", "minimum": -1},
        "level": _LEVEL,
        "message": _MESSAGE,
        "locations": {"type": "array", "minItems": 1, "maxItems": 10, "items": _LOCATION},
        "relatedLocations": {"type": "array", "items": _LOCATION},
        "partialFingerprints": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {"type": "string", "minLength": 1},
        },
        "suppressions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["kind"],
                "properties": {
                    "kind": {"enum": ["inSource", "external"]},
                    "status": {"enum": ["accepted", "underReview", "rejected"]},
                    "justification": {"type": "string"},
                },
                "additionalProperties": False,
            },
        },
        "properties": {"type": "object"},
    },
    "additionalProperties": False,
}

_NOTIFICATION = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "level": _LEVEL,
        "message": _MESSAGE,
        "locations": {"type": "array", "items": _LOCATION},
    },
    "additionalProperties": False,
}

SARIF_SUBSET_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["$schema", "version", "runs"],
    "properties": {
        "$schema": {"type": "string", "pattern": "sarif-schema-2\\.1\\.0\\.json$"},
        "version": {"const": "2.1.0"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string", "minLength": 1},
                                    "version": {"type": "string"},
                                    "semanticVersion": {"type": "string"},
                                    "informationUri": {"type": "string", "pattern": "^https://"},
                                    "rules": {
                                        "type": "array",
                                        "items": _RULE,
                                        "uniqueItems": True,
                                    },
                                },
                                "additionalProperties": False,
                            }
                        },
                        "additionalProperties": False,
                    },
                    "invocations": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["executionSuccessful"],
                            "properties": {
                                "executionSuccessful": {"type": "boolean"},
                                "toolExecutionNotifications": {
                                    "type": "array",
                                    "items": _NOTIFICATION,
                                },
                            },
                            "additionalProperties": False,
                        },
                    },
                    "results": {"type": "array", "items": _RESULT},
                    "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                    "versionControlProvenance": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["repositoryUri"],
                            "properties": {
                                "repositoryUri": {"type": "string", "pattern": "^[a-z]+://"},
                                "revisionId": {"type": "string"},
                                "branch": {"type": "string"},
                            },
                            "additionalProperties": False,
                        },
                    },
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}
