"""The sample data of the "Demo Sales Co" workspace, as compact tables read by `seed.py`.

Names are fictional. Some are chosen to exercise clients: "Siobhan O'Neil" (apostrophe),
"Harbor & Finch" and "Quill & Ink" (ampersand), "Where-house Ltd" (a note titled "Update
from Where-house Ltd"), "Ciarán" (accent), two companies with "Energy" in their name.
"""
from __future__ import annotations

# key: name, domain, description, (line_1, locality, region, postcode, country), categories,
#      founded, employee range, estimated ARR
COMPANIES = {
    "brightwave": (
        "Brightwave Energy", "brightwave-energy.com",
        "Community solar developer and installer serving municipal and commercial rooftops across Texas.",
        ("1100 Congress Ave", "Austin", "TX", "78701", "US"), ["Energy", "B2B"],
        "2014-05-12", "51-250", "$10M-$50M"),
    "northpeak": (
        "Northpeak Analytics", "northpeak.io", "Self-serve analytics platform for mid-market retailers.",
        ("1600 Wynkoop St", "Denver", "CO", "80202", "US"), ["SaaS", "B2B"],
        "2018-09-03", "11-50", "$1M-$10M"),
    "harborfinch": (
        "Harbor & Finch Logistics", "harborfinch.com",
        "Freight forwarding and last-mile logistics across the Benelux.",
        ("Wilhelminakade 91", "Rotterdam", "South Holland", "3072 AP", "NL"),
        ["Logistics", "B2B", "Enterprise"],
        "2009-02-17", "251-1K", "$50M-$100M"),
    "lumen": (
        "Lumen Health Partners", "lumenhealth.co",
        "Network of outpatient clinics modernising patient intake.",
        ("200 Clarendon St", "Boston", "MA", "02116", "US"), ["Healthcare", "B2C"],
        "2016-01-11", "251-1K", "$10M-$50M"),
    "copperline": (
        "Copperline Manufacturing", "copperline-mfg.com",
        "Precision machining for aerospace and automotive suppliers.",
        ("2 PPG Pl", "Pittsburgh", "PA", "15222", "US"), ["Manufacturing", "Enterprise"],
        "1987-06-01", "1K-5K", "$250M-$500M"),
    "atlas": (
        "Atlas Fintech", "atlasfintech.co.uk", "Payments infrastructure for UK challenger banks.",
        ("30 St Mary Axe", "London", "England", "EC3A 8BF", "GB"), ["Fintech", "SaaS", "Enterprise"],
        "2019-04-23", "51-250", "$10M-$50M"),
    "greenfield": (
        "Greenfield Renewable Energy", "greenfield-renewables.ie",
        "Onshore wind and battery storage operator.",
        ("Grand Canal Quay", "Dublin", "Leinster", "D02 R590", "IE"), ["Energy", "Enterprise"],
        "2011-08-30", "251-1K", "$100M-$250M"),
    "quill": (
        "Quill & Ink Publishing", "quillandink.co.uk",
        "Independent publisher of literary fiction and narrative non-fiction.",
        ("12 Royal Mile", "Edinburgh", "Scotland", "EH1 1RE", "GB"), ["Media", "B2C"],
        "2003-10-02", "11-50", "$1M-$10M"),
    "orbital": (
        "Orbital Robotics", "orbitalrobotics.ai",
        "Warehouse picking robots with a vision-first control stack.",
        ("500 Howard St", "San Francisco", "CA", "94105", "US"), ["Hardware", "B2B"],
        "2021-02-14", "51-250", "$1M-$10M"),
    "saffron": (
        "Saffron Hospitality Group", "saffronhospitality.com",
        "Boutique hotels and restaurants in Mumbai and Goa.",
        ("Marine Drive 44", "Mumbai", "Maharashtra", "400020", "IN"), ["Hospitality", "B2C"],
        "2012-12-01", "251-1K", "$10M-$50M"),
    "wherehouse": (
        "Where-house Ltd", "where-house.co.uk", "Flexible warehousing and fulfilment for online retailers.",
        ("Thorpe Park", "Leeds", "England", "LS15 8GB", "GB"), ["Logistics", "Retail"],
        "2015-03-09", "51-250", "$1M-$10M"),
    "kestrel": (
        "Kestrel Security", "kestrelsec.de", "Managed detection and response for German Mittelstand firms.",
        ("Friedrichstraße 68", "Berlin", "Berlin", "10117", "DE"), ["Security", "SaaS"],
        "2017-07-19", "51-250", "$10M-$50M"),
}

# key: first, last, email, phone, job title, company key (or None), locality, region, country
PEOPLE = {
    "siobhan": ("Siobhan", "O'Neil", "siobhan.oneil@brightwave-energy.com", "+1 512 555 0134",
                "Head of Operations", "brightwave", "Austin", "TX", "US"),
    "marcus": ("Marcus", "Reyes", "marcus@brightwave-energy.com", "+1 512 555 0178",
               "CTO", "brightwave", "Austin", "TX", "US"),
    "priya": ("Priya", "Raman", "priya.raman@northpeak.io", "+1 303 555 0112",
              "VP of Data", "northpeak", "Denver", "CO", "US"),
    "daniel": ("Daniel", "Kim", "dan@northpeak.io", "+1 303 555 0199",
               "Co-founder & CEO", "northpeak", "Denver", "CO", "US"),
    "femke": ("Femke", "de Vries", "femke.devries@harborfinch.com", "+31 10 555 0143",
              "Operations Director", "harborfinch", "Rotterdam", "South Holland", "NL"),
    "joost": ("Joost", "Bakker", "j.bakker@harborfinch.com", "+31 6 5550 1234",
              "Head of IT", "harborfinch", "Rotterdam", "South Holland", "NL"),
    "alicia": ("Alicia", "Moreno", "alicia.moreno@lumenhealth.co", "+1 617 555 0101",
               "Chief Medical Information Officer", "lumen", "Boston", "MA", "US"),
    "george": ("George", "Whitfield", "gwhitfield@copperline-mfg.com", "+1 412 555 0160",
               "Plant Manager", "copperline", "Pittsburgh", "PA", "US"),
    "hannah": ("Hannah", "Osei", "hannah.osei@atlasfintech.co.uk", "+44 20 7946 0321",
               "Head of Partnerships", "atlas", "London", "England", "GB"),
    "oliver": ("Oliver", "Grant", "oliver@atlasfintech.co.uk", "+44 20 7946 0855",
               "CFO", "atlas", "London", "England", "GB"),
    "aoife": ("Aoife", "Byrne", "aoife.byrne@greenfield-renewables.ie", "+353 1 555 0192",
              "Commercial Director", "greenfield", "Dublin", "Leinster", "IE"),
    "ciaran": ("Ciarán", "Murphy", "ciaran.murphy@greenfield-renewables.ie", "+353 1 555 0147",
               "Grid Engineer", "greenfield", "Dublin", "Leinster", "IE"),
    "isla": ("Isla", "MacLeod", "isla@quillandink.co.uk", "+44 131 496 0012",
             "Managing Editor", "quill", "Edinburgh", "Scotland", "GB"),
    "ravi": ("Ravi", "Shah", "ravi.shah@orbitalrobotics.ai", "+1 415 555 0176",
             "Head of Product", "orbital", "San Francisco", "CA", "US"),
    "lena": ("Lena", "Park", "lena@orbitalrobotics.ai", "+1 415 555 0109",
             "Founder & CEO", "orbital", "San Francisco", "CA", "US"),
    "ananya": ("Ananya", "Iyer", "ananya.iyer@saffronhospitality.com", "+91 22 5555 0134",
               "Director of Guest Experience", "saffron", "Mumbai", "Maharashtra", "IN"),
    "tom": ("Tom", "Hargreaves", "tom.hargreaves@where-house.co.uk", "+44 113 496 0788",
            "Managing Director", "wherehouse", "Leeds", "England", "GB"),
    "jana": ("Jana", "Schulz", "jana.schulz@kestrelsec.de", "+49 30 5555 0123",
             "CISO", "kestrel", "Berlin", "Berlin", "DE"),
    "felix": ("Felix", "Wagner", "f.wagner@kestrelsec.de", "+49 30 5555 0456",
              "Security Analyst", "kestrel", "Berlin", "Berlin", "DE"),
    "sam": ("Sam", "Taylor", "sam.taylor.consulting@gmail.com", "+1 646 555 0187",
            "Independent consultant", None, "New York", "NY", "US"),
}

# key: name, stage, owner member, value, currency, company key, people keys
DEALS = {
    "brightwave": ("Brightwave Energy fleet analytics rollout", "In Progress", "maya", 48000, "USD",
                   "brightwave", ["siobhan", "marcus"]),
    "northpeak": ("Northpeak Analytics expansion", "Won 🎉", "tomas", 120000, "USD",
                  "northpeak", ["priya", "daniel"]),
    "harborfinch": ("Harbor & Finch route optimisation", "Lead", "maya", 35000, "EUR",
                    "harborfinch", ["femke"]),
    "lumen": ("Lumen Health pilot", "Lost", "tomas", 22000, "USD",
              "lumen", ["alicia"]),
    "atlas": ("Atlas Fintech enterprise licence", "In Progress", "maya", 250000, "GBP",
              "atlas", ["hannah", "oliver"]),
    "greenfield": ("Greenfield Renewable Energy onboarding", "Won 🎉", "tomas", 64000, "EUR",
                   "greenfield", ["aoife"]),
    "orbital": ("Orbital Robotics proof of concept", "Lead", "tomas", 15000, "USD",
                "orbital", ["ravi", "lena"]),
    "kestrel": ("Kestrel Security renewal", "In Progress", "maya", 90000, "EUR",
                "kestrel", ["jana"]),
}

# object, record key, author, title, markdown
NOTES = [
    ("companies", "brightwave", "maya", "Discovery call: Brightwave Energy",
     "# Discovery call\n- 14 community solar sites; monitoring lives in spreadsheets\n"
     "- **Pain:** no single view of inverter uptime\n\n## Next steps\n"
     "1. Send the security questionnaire\n2. Book a technical deep-dive with Marcus"),
    ("people", "siobhan", "maya", "Siobhan's priorities for Q1",
     "## Priorities\n- Cut truck rolls by *20%*\n- Consolidate three monitoring vendors\n\n"
     "She prefers email over calls."),
    ("deals", "atlas", "maya", "Procurement notes",
     "# Procurement\n- Vendor onboarding takes ~6 weeks\n- Needs **ISO 27001** and a DPA\n"
     "- Oliver (CFO) signs above £100k"),
    ("companies", "northpeak", "tomas", "Kick-off recap",
     "## Kick-off\n- Go-live target: end of quarter\n- Champion: Priya Raman\n"
     "- [Shared plan](https://example.com/plan)"),
    ("people", "hannah", "maya", "Intro from Oliver",
     "Oliver introduced Hannah as the owner of **bank partnerships**. Follow up after the pricing proposal."),
    ("deals", "lumen", "tomas", "Loss review: Lumen Health",
     "# Why we lost\n- Budget moved to the EHR migration\n- ~~Security review~~ was not the blocker\n\n"
     "Revisit in 2027."),
    ("companies", "wherehouse", "tomas", "Update from Where-house Ltd",
     "## Update\nWhere-house is opening a second site in Leeds. Tom asked for a call **after** the move."),
    ("deals", "kestrel", "maya", "Renewal risk",
     "# Renewal risk\n- Evaluating a cheaper MDR vendor\n- Jana is happy with response times\n\n"
     "==Offer a 2-year term.=="),
]

# key, content, deadline, done, assignees, linked (object, record key) pairs
TASKS = [
    ("questionnaire", "Send security questionnaire to Brightwave Energy", "2026-12-01T17:00:00Z", False,
     ["maya"], [("companies", "brightwave"), ("people", "marcus")]),
    ("atlas-pricing", "Prepare pricing proposal for Atlas Fintech", "2026-12-04T12:00:00Z", False,
     ["maya"], [("deals", "atlas")]),
    ("greenfield-kickoff", "Book onboarding kick-off with Greenfield", "2026-10-15T09:00:00Z", True,
     ["tomas"], [("companies", "greenfield")]),
    ("femke-sample", "Follow up with Femke on the route data sample", "2026-11-30T16:00:00Z", False,
     ["tomas"], [("people", "femke")]),
    ("kestrel-quote", "Send renewal quote to Kestrel Security", "2026-11-20T10:00:00Z", False,
     ["maya"], [("deals", "kestrel"), ("companies", "kestrel")]),
    ("lumen-loss", "Log loss reasons for Lumen Health", "2026-09-30T17:00:00Z", True,
     ["tomas"], [("deals", "lumen")]),
    ("orbital-intro", "Intro call with Orbital Robotics", None, False,
     ["tomas", "maya"], [("companies", "orbital")]),
]

# "Sales pipeline" entries: deal key, stage, priority, next step
PIPELINE = [("brightwave", "Proposal sent", "High", "Technical deep-dive on 2 Dec"),
            ("northpeak", "Closed won 🎉", "Medium", "Hand over to onboarding"),
            ("harborfinch", "Qualified", "Medium", "Get a route data sample"),
            ("atlas", "Negotiation", "High", "Legal review of the MSA"),
            ("greenfield", "Closed won 🎉", "Low", None),
            ("orbital", "Qualified", "Low", "Intro call"),
            ("kestrel", "Negotiation", "High", "Send the renewal quote")]

# "Key accounts" entries: company key, tier, account owner, renewal date, health (0-5)
KEY_ACCOUNTS = [("atlas", "Tier 1", "maya", "2027-03-31", 4),
                ("northpeak", "Tier 2", "tomas", "2027-06-30", 5),
                ("greenfield", "Tier 1", "tomas", "2027-01-15", 3),
                ("kestrel", "Tier 2", "maya", "2026-12-31", 2),
                ("copperline", "Tier 3", "tomas", "2027-09-01", 4)]
