"""Appwrite's error contract: JSON ``{"message","code","type","version"}`` with the HTTP status as ``code``.

Shared by every layer; ``http/exceptions.py`` is the one place that turns an error into a response.
"""

from __future__ import annotations

from typing import Any

APPWRITE_VERSION = "1.9.6"
# Any status outside this set is reported as 500 "Server Error" (Appwrite general.php).
PASSTHROUGH_STATUSES = {400, 401, 402, 403, 404, 405, 408, 409, 410, 412, 416, 422, 429, 451, 501, 503}


class AppwriteError(Exception):
    def __init__(self, status: int, type_: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message

    def body(self) -> dict[str, Any]:
        if self.status not in PASSTHROUGH_STATUSES:
            return {
                "message": "Server Error",
                "code": 500,
                "type": "general_unknown",
                "version": APPWRITE_VERSION,
            }
        return {"message": self.message, "code": self.status, "type": self.type, "version": APPWRITE_VERSION}


def row_not_found(row_id: str) -> AppwriteError:
    return AppwriteError(404, "row_not_found", f"Row with the requested ID '{row_id}' could not be found.")


def row_already_exists(row_id: str) -> AppwriteError:
    return AppwriteError(
        409,
        "row_already_exists",
        f"Row with the requested ID '{row_id}' already exists. "
        "Try again with a different ID or use ID.unique() to generate a unique ID.",
    )


def table_not_found(table_id: str) -> AppwriteError:
    return AppwriteError(404, "table_not_found", f"Table with the requested ID '{table_id}' could not be found.")


def database_not_found(database_id: str) -> AppwriteError:
    return AppwriteError(
        404, "database_not_found", f"Database with the requested ID '{database_id}' could not be found."
    )


def user_unauthorized() -> AppwriteError:
    return AppwriteError(
        401, "user_unauthorized", "The current user is not authorized to perform the requested action."
    )


def argument_invalid(param: str, description: str) -> AppwriteError:
    return AppwriteError(400, "general_argument_invalid", f"Invalid `{param}` param: {description}")


def invalid_structure(detail: str) -> AppwriteError:
    return AppwriteError(400, "row_invalid_structure", f"Invalid document structure: {detail}")
