"""``holdfast import``: read an export, check every row, write it to the store in one go."""

from holdfast.services.ingest.request import ImportRequest, ImportSummary, Observer, Quiet
from holdfast.services.ingest.run import import_file

__all__ = ["ImportRequest", "ImportSummary", "Observer", "Quiet", "import_file"]
