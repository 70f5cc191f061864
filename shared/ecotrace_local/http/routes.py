"""Every URL the local stack serves, in matching order (a literal segment before the parameter it would match).

To add a REST route: write a module-level handler ``def name(ctx: Ctx, <service>: <ServiceType>) -> ...`` in the
module of its area (``users.py``, ``rows.py``, ...), or a new module for a new area, and list it here.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route, WebSocketRoute

from . import (
    account,
    collections,
    dashboard,
    function_list,
    functions,
    health,
    local,
    oauth2,
    realtime,
    rows,
    tables,
    transactions,
    users,
)
from . import github_standin as standin
from .endpoint import endpoint, websocket

TABLE = "/v1/tablesdb/{databaseId}/tables/{tableId}"
TRANSACTIONS = "/v1/tablesdb/transactions"
COLLECTION = "/v1/databases/{databaseId}/collections/{collectionId}"
WRITES = ["POST", "PUT", "PATCH", "DELETE"]
READ_ONLY = endpoint(tables.schema_is_read_only)
EXECUTIONS = "/v1/functions/{function_id}/executions"
ANY_METHOD = sorted(functions.ALLOWED_METHODS)
OAUTH2 = "/v1/account/sessions/oauth2"
GITHUB_OAUTH = standin.PREFIX + "/login/oauth"
GITHUB_API = standin.API_PREFIX

ROUTES: list[BaseRoute] = [
    Route("/", endpoint(dashboard.home, project=False), methods=["GET"]),
    Route("/dashboard/{name:path}", endpoint(dashboard.asset, project=False), methods=["GET"]),
    # TablesDB: databases, transactions, tables, rows
    Route("/v1/tablesdb", endpoint(tables.list_databases), methods=["GET"]),
    Route(TRANSACTIONS, endpoint(transactions.list_transactions), methods=["GET"]),
    Route(TRANSACTIONS, endpoint(transactions.create_transaction), methods=["POST"]),
    Route(TRANSACTIONS + "/{transactionId}", endpoint(transactions.get_transaction), methods=["GET"]),
    Route(TRANSACTIONS + "/{transactionId}", endpoint(transactions.update_transaction), methods=["PATCH"]),
    Route(TRANSACTIONS + "/{transactionId}", endpoint(transactions.delete_transaction), methods=["DELETE"]),
    Route(TRANSACTIONS + "/{transactionId}/operations", endpoint(transactions.create_operations), methods=["POST"]),
    Route("/v1/tablesdb/{databaseId}", endpoint(tables.get_database), methods=["GET"]),
    Route("/v1/tablesdb/{databaseId}/tables", endpoint(tables.list_tables), methods=["GET"]),
    Route(TABLE, endpoint(tables.get_table), methods=["GET"]),
    Route(TABLE + "/columns", endpoint(tables.list_columns), methods=["GET"]),
    Route(TABLE + "/columns/{key}", endpoint(tables.get_column), methods=["GET"]),
    Route(TABLE + "/indexes", endpoint(tables.list_indexes), methods=["GET"]),
    Route(TABLE + "/indexes/{key}", endpoint(tables.get_index), methods=["GET"]),
    Route(TABLE + "/rows", endpoint(rows.list_rows), methods=["GET"]),
    Route(TABLE + "/rows", endpoint(rows.create_rows), methods=["POST"]),
    Route(TABLE + "/rows", endpoint(rows.bulk_upsert), methods=["PUT"]),
    Route(TABLE + "/rows", endpoint(rows.bulk_update), methods=["PATCH"]),
    Route(TABLE + "/rows", endpoint(rows.bulk_delete), methods=["DELETE"]),
    Route(TABLE + "/rows/query", endpoint(rows.query_rows), methods=["POST"]),
    Route(TABLE + "/rows/{rowId}", endpoint(rows.get_row), methods=["GET"]),
    Route(TABLE + "/rows/{rowId}", endpoint(rows.upsert_row), methods=["PUT"]),
    Route(TABLE + "/rows/{rowId}", endpoint(rows.update_row), methods=["PATCH"]),
    Route(TABLE + "/rows/{rowId}", endpoint(rows.delete_row), methods=["DELETE"]),
    Route(TABLE + "/rows/{rowId}/{column}/increment", endpoint(rows.increment_column), methods=["PATCH"]),
    Route(TABLE + "/rows/{rowId}/{column}/decrement", endpoint(rows.decrement_column), methods=["PATCH"]),
    # The schema is appwrite.json's: every write to it is refused with a clear message
    Route("/v1/tablesdb", READ_ONLY, methods=["POST"]),
    Route("/v1/tablesdb/{databaseId}", READ_ONLY, methods=["PUT", "DELETE"]),
    Route("/v1/tablesdb/{databaseId}/tables", READ_ONLY, methods=["POST"]),
    Route(TABLE, READ_ONLY, methods=["PUT", "DELETE"]),
    Route(TABLE + "/columns/{rest:path}", READ_ONLY, methods=WRITES),
    Route(TABLE + "/indexes", READ_ONLY, methods=["POST"]),
    Route(TABLE + "/indexes/{key}", READ_ONLY, methods=["DELETE"]),
    # The same schema under the legacy Databases API names (appwrite-cli 12 reads columns and indexes there)
    Route("/v1/databases", endpoint(collections.list_legacy_databases), methods=["GET"]),
    Route("/v1/databases", READ_ONLY, methods=["POST"]),
    Route("/v1/databases/{databaseId}", endpoint(collections.get_legacy_database), methods=["GET"]),
    Route("/v1/databases/{databaseId}", READ_ONLY, methods=["PUT", "DELETE"]),
    Route("/v1/databases/{databaseId}/collections", endpoint(collections.list_collections), methods=["GET"]),
    Route("/v1/databases/{databaseId}/collections", READ_ONLY, methods=["POST"]),
    Route(COLLECTION, endpoint(collections.get_collection), methods=["GET"]),
    Route(COLLECTION, READ_ONLY, methods=["PUT", "DELETE"]),
    Route(COLLECTION + "/attributes", endpoint(collections.list_attributes), methods=["GET"]),
    Route(COLLECTION + "/attributes/{key}", endpoint(collections.get_attribute), methods=["GET"]),
    Route(COLLECTION + "/attributes/{rest:path}", READ_ONLY, methods=WRITES),
    Route(COLLECTION + "/indexes", endpoint(collections.list_collection_indexes), methods=["GET"]),
    Route(COLLECTION + "/indexes", READ_ONLY, methods=["POST"]),
    Route(COLLECTION + "/indexes/{key}", endpoint(collections.get_collection_index), methods=["GET"]),
    Route(COLLECTION + "/indexes/{key}", READ_ONLY, methods=["DELETE"]),
    # Users (API key)
    Route("/v1/users", endpoint(users.list_users), methods=["GET"]),
    Route("/v1/users", endpoint(users.create_user), methods=["POST"]),
    Route("/v1/users/{userId}", endpoint(users.get_user), methods=["GET"]),
    Route("/v1/users/{userId}/jwts", endpoint(users.create_user_jwt), methods=["POST"]),
    # Account (the signed-in user): sign-up, sessions, JWTs, prefs
    Route("/v1/account", endpoint(account.get_account), methods=["GET"]),
    Route("/v1/account", endpoint(account.create_account), methods=["POST"]),
    Route("/v1/account/prefs", endpoint(account.get_prefs), methods=["GET"]),
    Route("/v1/account/prefs", endpoint(account.update_prefs), methods=["PATCH"]),
    Route("/v1/account/identities", endpoint(account.list_identities), methods=["GET"]),
    Route("/v1/account/jwts", endpoint(account.create_account_jwt), methods=["POST"]),
    Route("/v1/account/jwt", endpoint(account.create_account_jwt), methods=["POST"]),
    Route("/v1/account/sessions", endpoint(account.list_sessions), methods=["GET"]),
    Route("/v1/account/sessions", endpoint(account.create_email_session), methods=["POST"]),
    Route("/v1/account/sessions", endpoint(account.delete_sessions), methods=["DELETE"]),
    Route("/v1/account/sessions/email", endpoint(account.create_email_session), methods=["POST"]),
    Route("/v1/account/sessions/anonymous", endpoint(account.create_anonymous_session), methods=["POST"]),
    Route("/v1/account/sessions/token", endpoint(account.create_token_session), methods=["POST"]),
    Route(OAUTH2 + "/callback/{provider}/{projectId}", endpoint(oauth2.callback, project=False), methods=["GET"]),
    Route(OAUTH2 + "/{provider}/redirect", endpoint(oauth2.redirect), methods=["GET"]),
    Route(OAUTH2 + "/{provider}", endpoint(oauth2.start_session), methods=["GET"]),
    Route("/v1/account/tokens/oauth2/{provider}", endpoint(oauth2.start_token), methods=["GET"]),
    Route("/v1/account/sessions/{sessionId}", endpoint(account.get_session), methods=["GET"]),
    Route("/v1/account/sessions/{sessionId}", endpoint(account.delete_session), methods=["DELETE"]),
    # Health
    Route("/v1/health", endpoint(health.health), methods=["GET"]),
    Route("/v1/health/version", endpoint(health.version, project=False), methods=["GET"]),
    Route("/v1/ping", endpoint(health.ping, project=False), methods=["GET"]),
    # Local only: fault injection and the request log (project key), realtime counts (any key)
    Route("/v1/_local/faults", endpoint(local.add_fault), methods=["POST"]),
    Route("/v1/_local/faults", endpoint(local.clear_faults), methods=["DELETE"]),
    Route("/v1/_local/faults", endpoint(local.list_faults), methods=["GET"]),
    Route("/v1/_local/requests", endpoint(local.list_requests), methods=["GET"]),
    Route("/v1/_local/realtime", endpoint(local.realtime_counts), methods=["GET"]),
    # Functions: appwrite.json's functions, executions and function domains
    Route("/v1/functions", endpoint(function_list.list_functions), methods=["GET"]),
    Route("/v1/functions/{functionId}", endpoint(function_list.get_function), methods=["GET"]),
    Route(EXECUTIONS, endpoint(functions.create_execution), methods=["POST"]),
    Route(EXECUTIONS, endpoint(functions.list_executions), methods=["GET"]),
    Route(EXECUTIONS + "/{execution_id}", endpoint(functions.get_execution), methods=["GET"]),
    Route("/functions/{function_id}", endpoint(functions.function_domain), methods=ANY_METHOD),
    Route("/functions/{function_id}/{path:path}", endpoint(functions.function_domain), methods=ANY_METHOD),
    # Local only: the GitHub stand-in (OAuth App flow and the REST calls sign-up makes)
    Route(GITHUB_OAUTH + "/authorize", endpoint(standin.authorize_page, project=False), methods=["GET"]),
    Route(GITHUB_OAUTH + "/authorize", endpoint(standin.authorize_choice, project=False), methods=["POST"]),
    Route(GITHUB_OAUTH + "/access_token", endpoint(standin.access_token, project=False), methods=["POST"]),
    Route(GITHUB_API + "/user", endpoint(standin.api_user, project=False), methods=["GET"]),
    Route(GITHUB_API + "/user/emails", endpoint(standin.api_user_emails, project=False), methods=["GET"]),
    # Realtime
    WebSocketRoute("/v1/realtime", websocket(realtime.realtime_socket)),
]
