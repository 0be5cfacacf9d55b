"""The CSV import of historical leads, without the database.

``mapping``  the TOML mapping file: which CSV column feeds which lead field (``load_mapping``)
``spec``     the mapping's types (``Mapping``, ``ValueMap``, ``OutcomeSpec``, ``JoinSpec``, ``ColumnOptions``)
``sections`` reading the ``[outcome]`` (a column, or a second file joined by a key) and ``[columns]`` sections
``reading``  the CSV file -> (line, cells), streamed, naming the line when the file itself is broken; the
             keys of ``[outcome] join``'s second file
``rows``     one CSV row -> one ``ImportedLead`` (or a ``BadRow`` with the reason): ``RowParser``
``errors``   ``UnreadableFile``: a problem with a whole file (the CSV or the mapping) stops the import
``records``  ``ImportedLead``, ``LeadHit`` and ``UpsertCounts`` (the port that stores them: ``core.services.ports``)
``matching`` which stored lead a row is: external id first, then contact; conflicts (the duplicate guard)

The use case that reads a file and stores it batch by batch, all in one transaction, is
:func:`core.services.importer.import_csv`; the bulk upsert behind the port is :mod:`core.storage.bulk`.
"""
