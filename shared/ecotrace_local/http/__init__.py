"""The HTTP layer: Appwrite's REST API, function domains and the realtime websocket over Starlette.

``routes.py`` lists every URL; each handler is a module-level function that receives the narrow services it
declares (``endpoint.py``); ``middleware.py`` holds one ASGI middleware per concern (request log, CORS, empty
responses, fault injection); ``exceptions.py`` turns every ``AppwriteError`` into Appwrite's error JSON. Handlers
parse parameters and shape responses; the work is done by the storage and runtime services.
"""
