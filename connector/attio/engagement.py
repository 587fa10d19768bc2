"""Meetings, call recordings with their transcripts, and email metadata (2026 reference §3-§5), mixed into
`AttioClient`.

List methods return a `Page` (items, Attio's next_cursor); pass that cursor back to continue. Listing meetings,
listing emails and the paged transcript take workspace-level tokens only: with a member token they raise
`AttioMemberTokenRefused`. Emails raise `AttioFeatureUnavailable` where Attio has not enabled them.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, NamedTuple

from .pages import Page, next_cursor
from .paths import compact as _compact, path as _path

RecordRef = dict[str, str]  # {"object": "people", "record_id": "…"}


class TranscriptPage(NamedTuple):
    """One page of a call recording's transcript (the deprecated paged endpoint)."""

    segments: list[dict[str, Any]]
    raw_transcript: str
    web_url: str | None
    next_cursor: str | None


def _csv(values: Iterable[str] | str | None) -> str | None:
    """A comma-separated query value ("a@x.com,b@y.com"); None when there is nothing."""
    if values is None:
        return None
    if isinstance(values, str):
        return values or None
    joined = ",".join(v for v in values if v)
    return joined or None


class EngagementEndpoints:
    """Meetings, call recordings, transcripts and emails: each method is one HTTP call."""

    request: Callable[..., Any]
    request_page: Callable[..., Page]
    request_whole: Callable[..., Any]

    # -- meetings -------------------------------------------------------------------------

    def list_meetings(self, *, limit: int | None = None, cursor: str | None = None,
                      linked_object: str | None = None, linked_record_id: str | None = None,
                      participants: Iterable[str] | str | None = None, sort: str | None = None,
                      ends_from: str | None = None, starts_before: str | None = None,
                      timezone: str | None = None) -> Page:
        """GET /v2/meetings (workspace tokens only): one page (limit 1-200, default 50).

        `linked_object` and `linked_record_id` go together; `participants` are email addresses (any of them);
        those two filters are OR-combined by Attio. `sort` is "start_asc" (default) or "start_desc"; the time
        window is `ends_from` (inclusive) to `starts_before` (exclusive); `timezone` only affects all-day meetings.
        """
        params = _compact(limit=limit, cursor=cursor, linked_object=linked_object, linked_record_id=linked_record_id,
                          participants=_csv(participants), sort=sort, ends_from=ends_from,
                          starts_before=starts_before, timezone=timezone)
        return self.request_page("/v2/meetings", params)

    def get_meeting(self, meeting_id: str) -> dict[str, Any]:
        """One meeting."""
        return self.request("GET", _path("meetings", meeting_id))

    def create_meeting(self, title: str, description: str, start: dict[str, Any], end: dict[str, Any], *,
                       is_all_day: bool, participants: list[dict[str, Any]],
                       linked_records: list[RecordRef] | None = None) -> dict[str, Any]:
        """Create a meeting. Attio always creates a new one (no de-duplication): look for it first.

        `start`/`end` are `{"datetime": …, "timezone"?: …}`, or `{"date": …}` when `is_all_day` (end exclusive);
        each participant has `is_organizer`, `status` (accepted|tentative|declined|pending) and `email_address`
        or `name`.
        """
        data: dict[str, Any] = {"title": title, "description": description, "start": start, "end": end,
                                "is_all_day": is_all_day, "participants": participants}
        if linked_records is not None:
            data["linked_records"] = linked_records
        return self.request("POST", "/v2/meetings", json={"data": data})

    def link_meeting_records(self, meeting_id: str, linked_records: list[RecordRef]) -> dict[str, Any]:
        """Link more records to a meeting (PATCH appends; already linked ones stay)."""
        return self.request("PATCH", _path("meetings", meeting_id), json={"data": {"linked_records": linked_records}})

    def replace_meeting_records(self, meeting_id: str, linked_records: list[RecordRef]) -> dict[str, Any]:
        """Set exactly these linked records (PUT; `[]` unlinks all, auto-linked ones too): how to unlink."""
        return self.request("PUT", _path("meetings", meeting_id), json={"data": {"linked_records": linked_records}})

    def delete_meeting(self, meeting_id: str) -> Any:
        """Delete a meeting (Attio refuses meetings its calendar sync created)."""
        return self.request("DELETE", _path("meetings", meeting_id))

    # -- call recordings and transcripts -------------------------------------------------------

    def list_call_recordings(self, meeting_id: str, *, limit: int | None = None,
                             cursor: str | None = None) -> Page:
        """A meeting's call recordings, without video or transcript: one page (limit 1-200, default 50)."""
        return self.request_page(_path("meetings", meeting_id, "call_recordings"),
                                 _compact(limit=limit, cursor=cursor))

    def get_call_recording(self, meeting_id: str, call_recording_id: str) -> dict[str, Any]:
        """One call recording with `video_url` and its whole `transcript` (`segments`, `raw_transcript`), or
        `transcript: null` when there is none."""
        return self.request("GET", _path("meetings", meeting_id, "call_recordings", call_recording_id))

    def get_transcript_page(self, meeting_id: str, call_recording_id: str, *,
                            cursor: str | None = None) -> TranscriptPage:
        """One page of a recording's transcript (Attio's deprecated paged endpoint; workspace tokens only)."""
        body = self.request_whole("GET", _path("meetings", meeting_id, "call_recordings", call_recording_id,
                                               "transcript"), params=_compact(cursor=cursor))
        data = body.get("data") if isinstance(body, dict) else None
        data = data if isinstance(data, dict) else {}
        segments = data.get("transcript")
        raw = data.get("raw_transcript")
        return TranscriptPage(segments if isinstance(segments, list) else [], raw if isinstance(raw, str) else "",
                              data.get("web_url"), next_cursor(body))

    def create_call_recording(self, meeting_id: str, *, transcript: list[dict[str, Any]] | None = None,
                              video_url: str | None = None) -> dict[str, Any]:
        """Add a call recording to a meeting (Attio allows 1 a second); segments are
        `{speech, start_time, end_time, speaker: {name, email_address?}}`."""
        data = _compact(transcript=transcript, video_url=video_url)
        return self.request("POST", _path("meetings", meeting_id, "call_recordings"), json={"data": data})

    def delete_call_recording(self, meeting_id: str, call_recording_id: str) -> Any:
        """Delete a call recording (Attio answers 204 with no body)."""
        return self.request("DELETE", _path("meetings", meeting_id, "call_recordings", call_recording_id))

    # -- emails ---------------------------------------------------------------------------------

    def list_emails(self, *, limit: int | None = None, cursor: str | None = None,
                    linked_object: str | None = None, linked_record_ids: Iterable[str] | str | None = None,
                    participants: Iterable[str] | str | None = None, domain: str | None = None,
                    sent_after: str | None = None, sent_before: str | None = None,
                    exclude_automated_participants: bool | None = None) -> Page:
        """GET /v2/emails (metadata only; workspace tokens only; where Attio enabled it): one page, newest first
        (limit 1-50, default 25).

        At least one filter: `linked_object` ("people" or "companies") with up to 10 `linked_record_ids`,
        up to 10 `participants` addresses, or a `domain`; several are OR-combined. A page may be short or empty
        while `next_cursor` is not None: keep going until it is None.
        """
        params = _compact(limit=limit, cursor=cursor, linked_object=linked_object,
                          linked_record_ids=_csv(linked_record_ids), participants=_csv(participants),
                          domain=domain, sent_after=sent_after, sent_before=sent_before,
                          exclude_automated_participants=exclude_automated_participants)
        return self.request_page("/v2/emails", params)
