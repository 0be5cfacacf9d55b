"""The CSV import of historical leads, without the database.

``mapping``  the TOML mapping file: which CSV column feeds which lead field (``load_mapping``)
``rows``     one CSV row -> one ``ImportedLead`` (or a ``BadRow`` with the reason)
``records``  ``ImportedLead`` and ``UpsertCounts`` (the port that stores them: ``core.services.ports``)

The use case that reads a file and stores it batch by batch is :func:`core.services.importer.import_csv`;
the bulk upsert behind the port is :mod:`core.storage.bulk`.
"""
