"""TAXII 2.1 client: pull a remote collection into an organisation, incrementally.

Uses the OASIS taxii2-client library. The newest date_added the server reports
(X-TAXII-Date-Added-Last) is kept per (organisation, URL, collection) in TaxiiPullState and
sent back as added_after next time, so a second run fetches only what was added since.
All pages are fetched before importing: a report may arrive on a later page than the
indicators it refers to, and the import needs both to link them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from urllib.parse import urljoin, urlparse

import requests
from django.utils import timezone
from taxii2client.common import _HTTPConnection
from taxii2client.exceptions import TAXIIServiceException
from taxii2client.v21 import Collection, Server, as_pages

from certfed.audit.log import CLI, record
from certfed.exchange.models import TaxiiPullState
from certfed.exchange.stix.importer import import_stix_bundle
from certfed.intel.ingest import Defaults
from certfed.kernel import stix21
from certfed.platform.errors import ActionError, Invalid
from certfed.sharing.access import viewer_for_org

PAGE = 1000


class PullError(ActionError):
    """The remote server could not be read (unreachable, refused, not TAXII 2.1)."""

    status = 502


_NS = uuid.UUID("8d1e6f0b-2a4c-4e5d-9f3b-7c6a5e4d3b21")


def _collection_url(url: str, collection_id: str, conn) -> str:
    """The collection's URL from a discovery URL, an API root URL or the collection's own."""
    if f"/collections/{collection_id}" in url:
        return url if url.endswith("/") else url + "/"
    server = Server(url, conn=conn)
    root = server.default or (server.api_roots[0] if server.api_roots else None)
    base = root.url if root is not None else (url if url.endswith("/") else url + "/")
    return urljoin(base, f"collections/{collection_id}/")


def pull_taxii(
    url: str,
    collection_id: str,
    *,
    user: str | None,
    password: str | None,
    org,
    defaults: Defaults,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Fetch the objects added to a remote TAXII 2.1 collection since the last pull and
    import them for `org` (labels from `defaults` where the objects carry none). Returns a
    summary; raises Invalid when the URL is not http(s), PullError when the server cannot be
    read (the message says why; nothing is imported then)."""
    if urlparse(url).scheme not in ("http", "https"):
        raise Invalid(f"{url!r} is not an http(s) URL", "url")
    viewer = viewer_for_org(org)
    state, _ = TaxiiPullState.objects.get_or_create(
        organisation=org, url=url, collection=collection_id
    )
    conn = _HTTPConnection(user, password, version="2.1")
    newest: list[tuple[dt.datetime, str]] = []

    def note(response, *args, **kwargs):
        # taxii2client hands back parsed JSON only; the header is read on the way past.
        value = response.headers.get("X-TAXII-Date-Added-Last")
        if value:
            try:
                newest.append((stix21.parse_timestamp(value), value))
            except ValueError:
                pass

    conn.session.hooks["response"].append(note)
    try:
        collection = Collection(_collection_url(url, collection_id, conn), conn=conn)
        filters = {"added_after": state.added_after} if state.added_after else {}
        objects: list[dict] = []
        for envelope in as_pages(collection.get_objects, per_request=PAGE, **filters):
            objects += envelope.get("objects") or []
    except (requests.RequestException, TAXIIServiceException, ValueError) as exc:
        raise PullError(f"TAXII pull from {url} failed: {exc}") from None
    finally:
        conn.close()
    summary = {"url": url, "collection": collection_id, "objects": len(objects),
               "added_after": state.added_after or None}  # fmt: skip
    if objects:
        host = urlparse(url).netloc
        result = import_stix_bundle(
            CLI, viewer, {"type": "bundle", "objects": objects}, defaults,
            skip_invalid=True, progress=progress,
            title=f"TAXII pull of collection {collection_id} from {host}",
            bundle_uuid=stix21.stable_uuid(_NS, f"{org.pk}|{url}|{collection_id}|"
                                           f"{state.added_after}|{len(objects)}"),
        )  # fmt: skip
        summary |= {
            "events_created": result.events_created,
            "events_updated": result.events_updated,
            "events_unchanged": result.events_unchanged,
            "indicators_written": result.indicators_written,
            "kept_created": result.kept_created,
            "kept_updated": result.kept_updated,
            "skipped": [str(p) for p in result.skipped],
        }
    if newest:
        state.added_after = max(newest)[1]
    state.last_run = timezone.now()
    state.objects_pulled += len(objects)
    state.save()
    summary["next_added_after"] = state.added_after or None
    detail = {k: v for k, v in summary.items() if k != "skipped"}
    record(CLI, "taxii.pull", object_type="taxii", object_id=collection_id,
           organisation_id=org.pk, detail=detail)  # fmt: skip
    return summary
