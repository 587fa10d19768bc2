"""The meetings, call transcripts, emails, files and saved views of "Demo Sales Co", as tables read by
`seed_engagement.py`. People are referred to by their keys in `seed_data.PEOPLE`, members by "maya"/"tomas".
"""
from __future__ import annotations

# key: title, description, start, end (exclusive), time zone (None: all-day dates), calendar-synced,
#      participants (person key or member, organizer, status; ("name", "…") for one without an address),
#      linked records (object, key)
MEETINGS = {
    "brightwave-deep-dive": (
        "Brightwave Energy technical deep-dive", "Walk through inverter telemetry, site onboarding and the pilot plan.",
        "2026-12-02T09:00:00", "2026-12-02T10:30:00", "America/Chicago", True,
        [("maya", True, "accepted"), ("siobhan", False, "accepted"), ("marcus", False, "tentative")],
        [("companies", "brightwave"), ("deals", "brightwave"), ("people", "siobhan"), ("people", "marcus")]),
    "atlas-msa": (
        "Atlas Fintech MSA review", "Go through legal's redlines on the master services agreement.",
        "2026-11-18T10:00:00", "2026-11-18T11:00:00", "Europe/London", True,
        [("maya", True, "accepted"), ("oliver", False, "accepted"), ("hannah", False, "accepted")],
        [("companies", "atlas"), ("deals", "atlas"), ("people", "oliver"), ("people", "hannah")]),
    "kestrel-renewal": (
        "Kestrel Security renewal call", "Renewal terms and the two-year option.",
        "2026-11-25T14:00:00", "2026-11-25T14:45:00", "Europe/Berlin", False,
        [("maya", True, "accepted"), ("jana", False, "accepted"), ("felix", False, "declined")],
        [("companies", "kestrel"), ("deals", "kestrel"), ("people", "jana"), ("people", "felix")]),
    "greenfield-kickoff": (
        "Greenfield onboarding kick-off", "Kick-off with the commercial team: timeline, owners, first data loads.",
        "2026-10-15T09:00:00", "2026-10-15T10:00:00", "Europe/Dublin", True,
        [("tomas", True, "accepted"), ("aoife", False, "accepted")],
        [("companies", "greenfield"), ("deals", "greenfield"), ("people", "aoife")]),
    "northpeak-qbr": (
        "Northpeak quarterly business review", "Full-day QBR at Northpeak's Denver office.",
        "2026-12-10", "2026-12-11", None, False,
        [("tomas", True, "accepted"), ("priya", False, "accepted"), ("daniel", False, "pending")],
        [("companies", "northpeak"), ("deals", "northpeak"), ("people", "priya"), ("people", "daniel")]),
    "orbital-intro": (
        "Orbital Robotics intro call", "First call: warehouse picking pilot scope.",
        "2026-12-08T17:00:00", "2026-12-08T17:30:00", "America/Los_Angeles", False,
        [("tomas", True, "accepted"), ("lena", False, "accepted"), ("name", "Front desk", False, "pending")],
        [("companies", "orbital"), ("deals", "orbital"), ("people", "lena")]),
}

# meeting key → recordings: (key, status, with a recorder video, transcript script key or None)
RECORDINGS = {
    "brightwave-deep-dive": [("deep-dive", "completed", True, "brightwave")],
    "atlas-msa": [("msa", "completed", False, "atlas")],
    "kestrel-renewal": [("renewal-audio-lost", "failed", False, None), ("renewal", "completed", False, "kestrel")],
    "greenfield-kickoff": [("kickoff", "completed", False, "greenfield")],
}

# Short transcripts: (speaker, speech) in order, ~6 s each.
SCRIPTS = {
    "atlas": [
        ("Maya Chen", "Thanks for making time, Oliver. Legal sent the redlines on the MSA last night."),
        ("Oliver Grant", "Yes. Our main concern is the liability cap: we need it at twelve months of fees."),
        ("Maya Chen", "We can do twelve months for direct damages; indirect stays excluded."),
        ("Hannah Osei", "And the data processing agreement? Our banks will ask for sub-processor notice."),
        ("Maya Chen", "Thirty days' notice of new sub-processors is in our standard DPA."),
        ("Oliver Grant", "Good. Then the last point is price: above one hundred thousand pounds needs my sign-off."),
        ("Maya Chen", "Understood. I'll send the revised pricing proposal by Friday."),
        ("Oliver Grant", "Perfect, we'll aim to sign before the end of the quarter."),
    ],
    "kestrel": [
        ("Maya Chen", "Jana, how has the last year been with response times?"),
        ("Jana Schulz", "Honestly very good. Median response was under ten minutes."),
        ("Maya Chen", "I heard you're also looking at a cheaper MDR vendor."),
        ("Jana Schulz", "Finance asked us to compare. The other offer is fifteen percent lower."),
        ("Maya Chen", "What if we offered a two-year term with the price held flat?"),
        ("Jana Schulz", "A two-year term would help. Send me the renewal quote and I'll take it to finance."),
    ],
    "greenfield": [
        ("Tomás Alvarez", "Welcome, Aoife. Today is about the timeline and who owns what."),
        ("Aoife Byrne", "Our grid team wants the first wind farm data loaded by November."),
        ("Tomás Alvarez", "That works. We'll start with the battery storage sites, then wind."),
        ("Aoife Byrne", "Ciarán will be the technical owner on our side."),
        ("Tomás Alvarez", "Great, I'll book a weekly check-in with him."),
    ],
}

# The long one (the Brightwave deep-dive): a 90-minute call, well past one page of segments.
DEEP_DIVE_SPEAKERS = ("Maya Chen", "Siobhan O'Neil", "Marcus Reyes")
DEEP_DIVE_TOPICS = [
    "inverter uptime across the community solar sites", "how monitoring data lands in spreadsheets today",
    "the SCADA export and its fifteen-minute intervals", "truck rolls for inverters that only need a reset",
    "the security questionnaire and SSO", "which three monitoring vendors they want to consolidate",
    "alert thresholds for string-level faults", "the pilot on four rooftop sites in Austin",
    "who on the operations team reads the daily report", "budget for the fleet analytics rollout",
]
DEEP_DIVE_SEGMENTS = 240

# (sent_at, direction, mailbox member, subject (None: a metadata-only shared mailbox),
#  [(role, address, name)])
EMAILS = [
    ("2026-10-16T08:12:00Z", "outbound", "tomas", "Greenfield onboarding: next steps",
     [("from", "tomas.alvarez@demo-sales.example", "Tomás Alvarez"),
      ("to", "aoife.byrne@greenfield-renewables.ie", "Aoife Byrne")]),
    ("2026-11-02T15:40:00Z", "outbound", "maya", "Security questionnaire for Brightwave Energy",
     [("from", "maya.chen@demo-sales.example", "Maya Chen"),
      ("to", "siobhan.oneil@brightwave-energy.com", "Siobhan O'Neil"),
      ("cc", "marcus@brightwave-energy.com", "Marcus Reyes")]),
    ("2026-11-03T09:05:00Z", "inbound", "maya", "Re: Security questionnaire for Brightwave Energy",
     [("from", "siobhan.oneil@brightwave-energy.com", "Siobhan O'Neil"),
      ("to", "maya.chen@demo-sales.example", "Maya Chen")]),
    ("2026-11-05T11:30:00Z", "outbound", "tomas", "Intro: consulting for Orbital Robotics",
     [("from", "tomas.alvarez@demo-sales.example", "Tomás Alvarez"),
      ("to", "sam.taylor.consulting@gmail.com", "Sam Taylor")]),
    ("2026-11-10T06:00:00Z", "inbound", "maya", "Your Brightwave partner portal invoice is ready",
     [("from", "notifications@brightwave-energy.com", "Brightwave Portal"),
      ("to", "maya.chen@demo-sales.example", "Maya Chen")]),
    ("2026-11-12T16:20:00Z", "outbound", "maya", "Atlas Fintech: MSA redlines",
     [("from", "maya.chen@demo-sales.example", "Maya Chen"), ("to", "oliver@atlasfintech.co.uk", "Oliver Grant"),
      ("cc", "hannah.osei@atlasfintech.co.uk", "Hannah Osei")]),
    ("2026-11-14T10:02:00Z", "inbound", "maya", "Re: Atlas Fintech: MSA redlines",
     [("from", "oliver@atlasfintech.co.uk", "Oliver Grant"), ("to", "maya.chen@demo-sales.example", "Maya Chen"),
      ("reply-to", "legal@atlasfintech.co.uk", None)]),
    ("2026-11-20T13:45:00Z", "outbound", "maya", "Kestrel Security renewal quote",
     [("from", "maya.chen@demo-sales.example", "Maya Chen"), ("to", "jana.schulz@kestrelsec.de", "Jana Schulz"),
      ("bcc", "tomas.alvarez@demo-sales.example", "Tomás Alvarez")]),
    ("2026-11-21T08:30:00Z", "inbound", "maya", None,
     [("from", "jana.schulz@kestrelsec.de", "Jana Schulz"), ("to", "maya.chen@demo-sales.example", "Maya Chen")]),
    ("2026-11-28T07:00:00Z", "inbound", "tomas", "Invitation: Northpeak quarterly business review",
     [("from", "calendar@northpeak.io", None), ("to", "tomas.alvarez@demo-sales.example", "Tomás Alvarez"),
      ("cc", "priya.raman@northpeak.io", "Priya Raman")]),
    ("2026-12-01T17:15:00Z", "inbound", "tomas", "Expansion: seats for Q1",
     [("from", "dan@northpeak.io", "Daniel Kim"), ("to", "tomas.alvarez@demo-sales.example", "Tomás Alvarez")]),
]

MSA_DRAFT = """MASTER SERVICES AGREEMENT (DRAFT 3)

Between Demo Sales Co ("Supplier") and Brightwave Energy ("Customer").

1. Services. Supplier provides fleet analytics for Customer's community solar sites.
2. Term. Twelve months from the Effective Date, renewing yearly unless either party gives 60 days' notice.
3. Fees. USD 48,000 a year, invoiced quarterly in advance.
4. Liability. Each party's liability is capped at the fees paid in the twelve months before the claim.
5. Data. Customer's telemetry stays Customer's; Supplier processes it only to provide the Services.
"""
CHECKLIST = """# Atlas Fintech procurement checklist

- [x] ISO 27001 certificate sent
- [x] Data processing agreement signed
- [ ] Vendor onboarding form (~6 weeks)
- [ ] Oliver's sign-off (above £100k)
"""
# A one-page PDF and a 1×1 PNG: binary content the connector must not try to read as text.
TINY_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
TINY_PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                         "1f15c4890000000d49444154789c6360f8cfc0000003010100c9fe92ef0000000049454e44ae426082")

# key: object, record key, parent folder key or None, kind ("file", "folder", "connected-file:<provider>",
#      "connected-folder:<provider>"), name (or the provider's file id), content type, content
FILES = [
    ("contracts", "companies", "brightwave", None, "folder", "Contracts", None, None),
    ("msa-draft", "companies", "brightwave", "contracts", "file", "MSA draft.txt", "text/plain", MSA_DRAFT.encode()),
    ("order-form", "companies", "brightwave", "contracts", "file", "Order form.pdf", "application/pdf", TINY_PDF),
    ("site-photo", "companies", "brightwave", None, "file", "Site survey photo.png", "image/png", TINY_PNG),
    ("archive", "companies", "brightwave", None, "folder", "Archive", None, None),
    ("drive-deck", "companies", "brightwave", None, "connected-file:google-drive", "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs",
     None, None),
    ("dropbox-photos", "companies", "brightwave", None, "connected-folder:dropbox", "id:a4ayc_80_OEAAAAAAAAAXw",
     None, None),
    ("checklist", "deals", "atlas", None, "file", "Procurement checklist.md", "text/markdown", CHECKLIST.encode()),
]

# key: object or list slug, title, filter, sorts, archived
VIEWS = [
    ("all-companies", "companies", "All companies", None, None, False),
    ("energy", "companies", "Energy companies", {"categories": "Energy"},
     [{"attribute": "name", "direction": "asc"}], False),
    ("old-import", "companies", "Old import (archived)", {"categories": "Retail"}, None, True),
    ("uk-contacts", "people", "UK contacts", {"primary_location": {"country_code": "GB"}},
     [{"attribute": "name", "field": "last_name", "direction": "asc"}], False),
    ("open-deals", "deals", "Open deals", {"stage": {"$in": ["Lead", "In Progress"]}},
     [{"attribute": "value", "direction": "desc"}], False),
    ("high-priority", "sales_pipeline", "High priority", {"priority": "High"},
     [{"attribute": "stage", "direction": "asc"}], False),
    ("all-entries", "sales_pipeline", "All entries", None, None, False),
]
