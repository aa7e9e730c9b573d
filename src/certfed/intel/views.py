"""Web pages for events and indicators.

Thin on purpose: parse the form, call a query (`access_*`, through the sharing gate) or an
action (`do_*`), render. Nothing here filters events or indicators itself; an event the user
may not see answers the same 404 as one that does not exist.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from certfed.audit.log import context_for
from certfed.intel.actions import do_create_event, do_delete_event, do_update_event
from certfed.intel.audit import audit_correlation_reads, audit_event_reads
from certfed.intel.correlation import correlation_report
from certfed.intel.forms import (
    EventFilterForm,
    EventForm,
    IndicatorSearchForm,
    apply_event_error,
    event_initial,
    plan_indicators,
)
from certfed.intel.lifetime import decay_score
from certfed.intel.queries import (
    EventFilters,
    access_event,
    access_event_list,
    access_indicator_search,
    effective_tlp,
    with_details,
    with_indicator_counts,
)
from certfed.intel.serialize import event_json
from certfed.intel.sightings import NO_STATS, visible_stats
from certfed.members.forms import apply_action_error
from certfed.platform.errors import ActionError
from certfed.platform.request import viewer
from certfed.sharing.access import access_sharing_groups, can_change

PAGE_SIZE = 50


def _visible_event(v, event_uuid: str):
    event = access_event(v, event_uuid)
    if event is None:
        raise Http404
    return event


def _changeable_event(v, event_uuid: str, verb: str):
    """The event, when the viewer may see it (else 404) and change it (else 403)."""
    event = _visible_event(v, event_uuid)
    if not can_change(v, event):
        raise PermissionDenied(f"only analysts and admins of the owning organisation may {verb} it")
    return event


@login_required
def event_list(request):
    v = viewer(request)
    form = EventFilterForm(request.GET or None)
    filters = EventFilters(**form.filters()) if form.is_valid() else EventFilters()
    status, page, error = 200, None, None
    try:
        qs = with_details(access_event_list(v, filters), v, indicators=False)
        # Meta.ordering is dropped from GROUP BY queries such as the count annotation.
        qs = with_indicator_counts(qs, v).order_by("-date", "-id")
        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    except ActionError as exc:
        apply_action_error(form, exc)
        status, error = exc.status, exc
    if page is not None:
        audit_event_reads(request, v, [event_json(e, indicators=False) for e in page])
    return render(
        request,
        "intel/event_list.html",
        {"form": form, "page": page, "error": error, "can_write": v.can_write},
        status=status,
    )


@login_required
def event_detail(request, event_uuid: str):
    v = viewer(request)
    event = _visible_event(v, event_uuid)
    audit_event_reads(request, v, [event_json(event, indicators=False)], detail=True)
    # Sightings and decay as this viewer may know them (its visible sightings only).
    stats = visible_stats(v, event_ids=[event.pk])
    now = timezone.now()
    indicators = []
    for ind in event.indicators.all():
        seen = stats.get(str(ind.uuid), NO_STATS)
        score = decay_score(ind, now, last_sighted=seen.last_sighted)
        indicators.append((ind, effective_tlp(ind, event), seen, score))
    report = correlation_report(v, event)
    audit_correlation_reads(request, v, report)
    return render(
        request,
        "intel/event_detail.html",
        {
            "event": event,
            "indicators": indicators,
            "can_change": can_change(v, event),
            "correlations": report.correlations,
            "over_correlating": report.over_correlating,
        },
    )


def _event_form(request, v, event=None):
    groups = access_sharing_groups(v)
    existing = list(event.indicators.all()) if event is not None else []
    plan, status = None, 200
    if request.method == "POST":
        form = EventForm(request.POST, sharing_groups=groups)
        if not form.is_valid():
            status = 422
        else:
            plan = plan_indicators(form.cleaned_data["indicators"], existing)
            if "preview" not in request.POST:
                data = form.event_data() | {"indicators": plan.as_input()}
                ctx = context_for(request, "web")
                try:
                    if event is None:
                        saved = do_create_event(ctx, v, data)
                    else:
                        saved = do_update_event(ctx, v, event, data)
                except ActionError as exc:
                    apply_event_error(form, exc, plan)
                    status = exc.status
                else:
                    verb = "created" if event is None else "saved"
                    messages.success(request, f"Event {verb} with {len(plan.items)} indicators.")
                    return redirect("event-detail", event_uuid=saved.uuid)
    else:
        initial = event_initial(event) if event is not None else {"date": timezone.now().date()}
        form = EventForm(initial=initial, sharing_groups=groups)
    return render(
        request,
        "intel/event_form.html",
        {"form": form, "event": event, "plan": plan, "existing_count": len(existing)},
        status=status,
    )


@login_required
def event_create(request):
    v = viewer(request)
    if not v.can_write:
        raise PermissionDenied("your role may not create events")
    return _event_form(request, v)


@login_required
def event_edit(request, event_uuid: str):
    v = viewer(request)
    return _event_form(request, v, _changeable_event(v, event_uuid, "edit"))


@login_required
def event_delete(request, event_uuid: str):
    v = viewer(request)
    event = _changeable_event(v, event_uuid, "delete")
    status = 200
    if request.method == "POST":
        try:
            do_delete_event(context_for(request, "web"), v, event)
        except ActionError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, f"Deleted event “{event.title}”.")
            return redirect("event-list")
    return render(request, "intel/event_delete.html", {"event": event}, status=status)


@login_required
def indicator_search(request):
    v = viewer(request)
    form = IndicatorSearchForm(request.GET or None)
    status, page, rows = 200, None, []
    if form.is_valid() and form.searched():
        d = form.cleaned_data
        try:
            qs = access_indicator_search(
                v, value=d["value"] or None, type_name=d["type"] or None,
                contains=d["contains"] or None,
            )  # fmt: skip
            page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        except ActionError as exc:
            apply_action_error(form, exc)
            status = exc.status
    if page is not None:
        rows = [(ind, effective_tlp(ind)) for ind in page]
        # Hits show their event's title and owner: reading another organisation's RED or
        # AMBER+STRICT content this way is audited like an event list.
        audit_event_reads(
            request,
            v,
            [{"uuid": str(i.event.uuid), "owner": i.event.owner.short_name, "tlp": t}
             for i, t in rows],
        )  # fmt: skip
    return render(
        request,
        "intel/indicator_search.html",
        {"form": form, "page": page, "rows": rows},
        status=status,
    )
