"""The ledger socket, in four rooms: the wire format, the schema, the server and the client.

- :mod:`booth.api.wire`: frames, requests and answers, the errors of the protocol;
- :mod:`booth.api.schema`: ``METHODS``, every method served with its parameters, and their checks;
- :mod:`booth.api.server`: ``LedgerServer``, which serves a ``BoothService`` (runs in ``booth-ledger``);
- :mod:`booth.api.start`: starting the service (``booth service ledger``);
- :mod:`booth.api.client`: ``BoothClient``, generated from the schema (runs in the kiosk);
- :mod:`booth.api.protocol`: ``BoothAPI``, the typed interface both the booth and the client provide.

The kiosk imports only the client (wire + schema): never the core or the ledger.
"""
