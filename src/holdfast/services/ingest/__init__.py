"""``holdfast import``: read an export, check every row, write it to the store in one go."""

from holdfast.services.ingest.request import ImportRequest, ImportSummary, Observer, Quiet
from holdfast.services.ingest.run import CheckedFile, import_file, read_checked_file

__all__ = [
    "CheckedFile",
    "ImportRequest",
    "ImportSummary",
    "Observer",
    "Quiet",
    "import_file",
    "read_checked_file",
]
