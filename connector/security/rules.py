"""The detector's rules: weighted patterns for instruction-like text aimed at the model.

A value's score is the sum of the weights of the distinct rules that match it, plus the
features `screen.py` adds (hidden characters, obfuscation, off-site images, encoded payloads).
At or above the threshold (`SCREENING_THRESHOLD`, default 1.0) the value is flagged. A rule of
weight ≥ 1.0 flags on its own; weaker ones (a line starting "System:", "you must", a URL that
carries data) only count together. To tune: change a weight here, or the threshold in the
settings, and run `pytest tests/security -q -s` to see precision and recall move.

The rules here are the English core; `directives.py` adds who is addressed and what is asked of the
model, `multilingual.py` the same kinds of attack in other languages; `screen.py` uses all three.

Patterns are written in lowercase English spelling (accents as `[eé]`-style classes). `canonical`
rules also run on the de-obfuscated view (`unicode.canonical`), where "l" is folded into "i";
`fold` applies the same folding to the pattern.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

GAP = r"(?:[\W_]+[\w'’]+){0,%d}[\W_]+"  # up to N filler words between two parts


def seq(*parts: str, gap: int = 0) -> str:
    """Parts in order, separated by up to `gap` filler words."""
    return (GAP % gap).join(f"(?:{p})" for p in parts)


def words(*alternatives: str) -> str:
    """A whole-word alternation."""
    return r"\b(?:" + "|".join(alternatives) + r")\b"


@dataclass(frozen=True)
class Rule:
    """One weighted pattern."""

    id: str
    category: str
    weight: float
    pattern: str
    canonical: bool = True
    script: str = ""  # "cjk", "cyrillic" or both ("cjk|cyrillic"): only tried on text in that script
    needs: tuple[str, ...] = ()  # when set, only tried on text containing one of these (lowercase) strings


OVERRIDE_VERB = words(r"ignor(?:e|es|ing)", "disregard", "forget", "override", "overrule", "bypass", "skip",
                      "discard", "abandon", "drop", "neglect", "never ?mind")
QUALIFIER = words("previous", "prior", "above", "earlier", "preceding", "all", "any", "your", "these", "those",
                  "the", "my", "original", "initial", "existing", "current", "system", "other", "every")
RULE_NOUN = words(r"instructions?", r"prompts?", "rules", r"directives?", "guidelines", "guidance", "commands",
                  "programming", "constraints", "restrictions", "directions", "training", "policies",
                  "safeguards", "guardrails", "system prompt")
DATA_NOUN = words(r"contacts?", r"records?", r"customers?", r"clients?", "people", "persons", r"emails?",
                  "email addresses", "e-mail addresses", "data", "database", "crm", "list", "pipeline", r"deals?",
                  "deal values", r"notes?", r"leads?", r"phone numbers?", "details", "information", "info",
                  "conversation", "chat", "messages", "history", r"api (?:keys?|tokens?)", r"tokens?",
                  r"credentials?", r"passwords?", r"secrets?", "companies", "accounts", "workspace", "everything",
                  r"customer (?:list|data|database|base|details)", "names")
ALL = words("all", "every", "each", "the entire", "the whole", "the full", "the complete", "entire", "whole",
            "full", "complete", "everyone's", "everybody's", "any")
BULK_VERB = words("send", "forward", "gather", "collect", "compile", "extract", "harvest", "scrape", "retrieve",
                  "post", "upload", "export", "transmit", "share", "leak", "copy", "dump", "exfiltrate", "submit",
                  "list", "reveal", "give me", "output", "print", "paste", "sync")
SEND_VERB = words("send", "forward", "e-?mail", "mail", "post", "upload", "export", "transmit", "share", "leak",
                  "copy", "dump", "exfiltrate", "submit", "paste", "sync")
MODEL = words("ai", "a\\.i\\.", "assistant", "chatgpt", r"gpt-?\d*\w*", "claude", "copilot", "gemini", "llm",
              "language model", "chatbot", "ai agent", "ai model", "bot", "agent", "model")
GENERIC_TOOL = (r"(?:delete|remove|update|create|send|export|upsert|merge|add)_(?:record|note|task|company|person|"
                r"people|deal|entry|entries|list|email|comment|contact|data|all)s?")
EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
URL = r"https?://\S+"
DATA_PARAM = (r"(?:data|d|q|payload|p|c|contacts?|emails?|info|secret|token|key|leak|exfil|content|msg|message|m|text|"
              r"x|u|user|conv|history|chat|body|summary|list|names?|deals?|notes?|v|val|value|r|result|e|s)")

RULES: tuple[Rule, ...] = (
    # -- overriding the model's instructions -------------------------------------------------------
    Rule("ignore_instructions", "override", 1.0, seq(OVERRIDE_VERB, QUALIFIER, RULE_NOUN, gap=2)),
    Rule("forget_everything", "override", 1.0, seq(words("forget", "ignore", "disregard"),
                                                   words("everything", "all of (?:that|this|the above)"),
                                                   r"(?:you\W+(?:were|have been|'ve been|was)\W+(?:told|given|"
                                                   r"instructed|taught)|above|before|so far)", gap=1)),
    Rule("rules_void", "override", 1.0, seq(words("previous", "prior", "all", "above", "earlier", "old"),
                                            RULE_NOUN, gap=1)
         + r"\W+(?:(?:are|is|have\W+been|do)\W+)?(?:now\W+)?"
         + words("void", "invalid", "cancell?ed", "revoked", "obsolete", "overridden", "suspended", "lifted",
                 "disabled", r"no\W+longer\W+(?:valid|apply|applies|applicable|in\W+effect|matter)")),
    Rule("blanket_response", "override", 0.5, seq(words("reply", "respond", "answer"), words("every", "all", "any"),
                                                  words(r"questions?", r"messages?", r"requests?", r"prompts?",
                                                        r"queries", "query"), gap=1)),
    Rule("new_instructions", "override", 0.7,
         words("new", "updated", "revised", "additional", "secret", "hidden", "real", "true")
         + r"\W+(?:system\W+)?" + words("instructions", r"directives?", "orders", "commands", "prompt")
         + r"\s*(?::|-|—|–|follow|below|apply|are)"),
    Rule("follow_these", "override", 0.6, seq(words("follow", "obey", "execute"),
                                              words("these", "the following", "my", "the new", "the below",
                                                    "the hidden", "only"),
                                              words("instructions", "commands", "directives", "orders"), gap=1)),
    Rule("instructions_changed", "override", 0.8,
         seq(words("your", "the", "all"), words("instructions", "rules", "prompt", "guidelines", "directives"),
             words("have", "has"), r"(?:been\W+)?" + words("changed", "updated", "revised", "replaced",
                                                             "modified", "overridden"))),
    Rule("new_task", "override", 0.6, r"\byour\W+(?:new\W+|real\W+|actual\W+|true\W+|only\W+|primary\W+)?"
         + words("task", "job", "goal", "objective", "mission", "purpose", "role") + r"\W+(?:is|now is|:)"),
    # -- role and authority claims ---------------------------------------------------------------
    Rule("chat_template", "role", 1.0, r"<\|(?:im_start|im_end|system|user|assistant|endoftext)\|>|\[/?inst\]"
         r"|<</?sys>>|</?\s*(?:system|instructions?|system[_-]prompt)\s*>", canonical=False),
    Rule("fake_delimiter", "role", 0.8, r"</\s*(?:crm-record|untrusted|tool_result|function_results|document|"
         r"context|data)\s*>|\[\s*(?:end\s+)?untrusted\b", canonical=False),
    Rule("role_prefix", "role", 0.5,
         r"^#{1,6}\s*(?:system|instructions?|admin|developer)\s*$"
         r"|^[\s>*#\[(<-]*" + words("system", "assistant", "developer", "admin", "administrator", "root", "operator",
                                    "ai")
         + r"(?:\s+" + words("message", "prompt", "note", "notice", "override", r"instructions?", "update",
                             "alert") + r")?[\])>*\s]*:"
         r"|\[\s*(?:system|admin|developer|sys)\s*\]"
         r"|\(\s*(?:system|admin|developer)(?:\s+(?:message|note|prompt|notice))?\s*\)"),
    Rule("override_marker", "role", 0.6, words("system", "prompt", "security", "safety", "admin")
         + r"\W*(?:prompt\W*)?" + words("override", "bypass")),
    Rule("identity_switch", "role", 0.8,
         r"\byou\W+are\W+now\b(?!\W+(?:on|in\W+the|in\W+our|subscribed|registered|connected|enrolled|booked|"
         r"confirmed|set up|able|eligible|live|a customer|a member)\b)"
         r"|\bfrom\W+now\W+on\W+(?:you|the assistant|respond|answer|reply|act|behave|always|never|only)\b"
         r"|\byou\W+are\W+(?:now\W+)?(?:dan|an?\W+(?:unrestricted|unfiltered|uncensored|jailbroken|evil|rogue))\b"
         r"|\b(?:developer|god|admin|debug|jailbreak|dan|unrestricted|sudo)\W+mode\b|\bdo anything now\b"
         r"|\bjailbr(?:ea|o)k"
         r"|\b(?:now|switch(?:ed)?|enter(?:ed)?)\W+(?:\w+\W+){0,2}?(?:maintenance|developer|admin|debug|god|"
         r"unrestricted|jailbreak|sudo|root|test)\W+mode\b"
         r"|\byou(?:\W+are|'re|\W+re)\W+no\W+longer\W+(?:an?|the|my|your|just)\b"),
    Rule("identity_assign", "role", 0.6, r"\byou\W+are\W+(?:an?|the)\W+(?:\w+\W+){0,2}?(?:assistant|ai|chatbot|"
         r"language\W+model|bot|agent|gpt)\b|\bimagine\W+(?:that\W+)?you\W+are\b"),
    Rule("roleplay", "role", 0.8,
         r"\b(?:going\W+to|let'?s|we'?ll|will)\W+role-?\W?play\b"
         r"|\bpretend\W+(?:to\W+be|you\W+are|you're|that\W+you)\b|\brole-?\W?play\W+as\b"
         r"|\blet'?s\W+play\W+a\W+game\b|\b(?:act|behave|respond)\W+as\W+(?:if\W+you\W+(?:were|are)\W+)?"
         r"(?:an?\W+|my\W+|the\W+)?(?:unrestricted|unfiltered|uncensored|jailbroken|evil|dan|system|root|"
         r"superuser)\b"),
    Rule("unrestricted_ai", "role", 0.5, r"\b(?:with\W+no|without(?:\W+any)?|no|sin|ohne|sans|sem|senza|zonder)\W+"
         + words("restrictions", "limits", "filters", "rules", "restricciones", "regeln", "regras", "reglas",
                 "restrizioni", "beperkingen", "limites", "filtros", "filtering", "censorship")
         + r"|\ban?\W+(?:unrestricted|unfiltered|uncensored)\W+(?:assistant|ai|model|bot)\b"),
    Rule("authority_claim", "authority", 0.8, r"\bas\W+your\W+" + words(
        "developer", "creator", "administrator", "admin", "operator", "owner", "programmer", "maker", "supervisor",
        "boss", "system") + r"|" + seq(words("message", r"instructions?", "directive", "notice", "update", "this is"),
                                       words("from"), words("openai", "anthropic", "the system", "your developer",
                                                            "your administrator", "your creator", "your operator",
                                                            "the developers?", "the system administrator")) +
        r"|\bthis\W+is\W+(?:openai|anthropic|your\W+developer|the\W+system\W+administrator)\b"
        r"|\b(?:openai|anthropic)\W+(?:staff|team|support|security)\b"),
    Rule("authorised_by_admin", "authority", 0.5, r"\b(?:authori[sz]ed|approved|sanctioned)\W+by\W+(?:the\W+)?"
         r"(?:workspace\W+|system\W+)?(?:admin|administrator|owner|developer)s?\b"),
    Rule("preapproved", "authority", 0.7, r"\b(?:user|customer|admin|operator)\W+(?:has\W+)?(?:already\W+)?"
         r"(?:pre-?approved|pre-?authori[sz]ed|consented\W+to|approved)\W+(?:all|every|any)\b"),
    Rule("address_model", "target", 0.5, seq(words("note", "message", "attention", r"instructions?", "reminder",
                                                   "notice", "hey", "hi", "dear", "hello", "important"),
                                             MODEL, gap=2)
         + r"|^\W*(?:hey\W+|hi\W+|dear\W+)?" + words("assistant", "chatgpt", "claude", "gpt", "llm", "ai",
                                                          "ai assistant", "ai agent", "language model", "chatbot")
         + r"\s*,"),
    Rule("address_model_strong", "target", 0.8, r"\bif\W+you\W+are\W+(?:an?\W+)?(?:ai|llm|large\W+language\W+"
         r"model|language\W+model|assistant|chatbot|bot|automated|gpt)\b|\b(?:any|all|every)\W+(?:ai|llm|"
         r"assistants?|agents?|bots?|models?|ais)\W+(?:\w+\W+)?(?:reading|processing|summari[sz]ing|parsing|"
         r"seeing|that\W+reads?)\b|\b(?:ai|assistant|llm|model|agent)s?\W+(?:reading|processing)\W+this\b"),
    Rule("imperative", "target", 0.3, words("you must", "you should", "you will", "you need to", "you have to",
                                            "make sure (?:that )?you", "make sure to", "be sure to",
                                            "you are (?:required|instructed|ordered) to", "always respond",
                                            "respond only", "reply only", "answer only", "respond with",
                                            "reply with", "output only", "say only")),
    # -- tool calls, data exfiltration, destructive requests --------------------------------------
    Rule("tool_invoke", "tool_call", 0.6, seq(words("call(?:ing)?", "us(?:e|ing)", "invok(?:e|ing)", "run(?:ning)?",
                                                    "execut(?:e|ing)", "trigger", "fire", "activate"),
                                              words(r"tools?", r"functions?", r"plugins?", r"actions?"), gap=3)),
    Rule("tool_name", "tool_call", 0.6, rf"\b(?:{GENERIC_TOOL})\b", canonical=False),
    Rule("destructive", "tool_call", 0.6, seq(words("delete", "remove", "erase", "wipe", "destroy", "purge",
                                                    "truncate", "drop", "overwrite", "apague", "apaga", "borra",
                                                    "borre", "supprime[rz]?", "l[oö]sche", "elimina"),
                                              words("all", "every", "each", "the entire", "entire", "the whole",
                                                    "whole", "todos", "todas", "tous", "toutes", "alle", "tutti",
                                                    "tutte"), gap=2)),
    Rule("exfil_bulk", "exfiltration", 0.6, seq(BULK_VERB, ALL, DATA_NOUN, gap=3) + "|"
         + words("e-?mail", "mail") + r"\W+" + seq(ALL, DATA_NOUN, gap=2)),
    Rule("exfil_destination", "exfiltration", 0.5,
         seq(SEND_VERB + "|" + words(r"env[ií]a\w*", r"envoy\w*", "sende", r"invia\w*", "stuur", r"envie\w*"),
             words("to", "at", "into", "via", "onto", "a", "à", "an", "para", "naar")
             + r"\W+(?:" + EMAIL + "|" + URL + ")", gap=8), canonical=False),
    Rule("email_everyone", "exfiltration", 0.6, r"\b(?:e-?mail|message|text|spam|dm)\W+(?:every|all|each)\W*"
         r"(?:one|body|customers?|contacts?|clients?|leads?|persons?|people|users?|records?)\b"),
    # A URL with a slot for the model to fill: any parameter holding a template or placeholder, or a
    # data-named one holding an encoded blob, a SNAKE_CASE placeholder or nothing at all.
    Rule("url_data", "exfiltration", 0.7, r"https?://[^\s)\]\"'>]+\?(?:[^\s)\]\"'>]*?[?&])?(?:[\w.-]+="
         r"[^&\s)\]\"'>]*(?:[{}<$\[]|%7b|%24|%3c|%5b)|" + DATA_PARAM + r"=(?:[a-z0-9+/=_%-]{40,}"
         r"|[a-z0-9]+(?:_[a-z0-9]+){2,}(?=[&\s)\]\"'>]|$)|(?=[&\s)\]\"'>]|$)))", canonical=False),
    Rule("embed_in_url", "exfiltration", 0.6, seq(words("append", "add", "include", "put", "insert", "encode",
                                                        "attach", "replace"),
                                                  words("to", "in", "into", "after", "inside"),
                                                  r"(?:the\W+|this\W+|that\W+)?(?:" + words(
                                                      "url", "link", "query", "image", "address", "src") + "|https?://)",
                                                  gap=8)
         + r"|https?://\S+=\s+(?:followed\W+by|plus|then\W+(?:add|append)|and\W+(?:then\W+)?(?:add|append)|with)\b"),
    Rule("fetch_url", "exfiltration", 0.5, r"\b(?:fetch|visit|open|load|browse\W+to|navigate\W+to|request|ping|curl|"
         r"call|get)\W+(?:the\W+)?(?:url\W+|link\W+|page\W+)?https?://", canonical=False),
    Rule("model_timing", "target", 0.5, r"\b(?:before|after|when|while)\W+(?:answering|responding|replying|asked|"
         r"summari[sz]ing\W+this|you\W+(?:answer|respond|reply|are\W+asked|summari[sz]e\W+this))\b"),
    Rule("render_image", "exfiltration", 0.3, seq(words("render", "display", "show", "output", "include",
                                                        "embed"),
                                                  words("image", "picture", "pixel", "images"), gap=3)),
    Rule("write_back", "exfiltration", 0.4, seq(words("paste", "write", "copy", "put", "save", "store", "insert",
                                                      "append", "add"),
                                                words("results?", "output", "them", "it", "data", r"contents?"),
                                                words("into", "in", "to", "as"),
                                                r"(?:an?\W+|the\W+|this\W+)?(?:new\W+)?" + words(
                                                    "note", "record", "comment", "task", "field", "description"),
                                                gap=3)),
    Rule("credential_hunt", "exfiltration", 0.3, words(r"passwords?", r"api keys?", r"secret keys?", "credentials",
                                                       r"access tokens?", r"private keys?", r"api tokens?")),
    Rule("prompt_leak", "exfiltration", 1.0, seq(words("reveal", "print", "show", "repeat", "output", "display",
                                                       "tell me", "leak", "share", "dump", "give me", "write out",
                                                       "recite", r"r[eé]v[eè]l\w*", r"montr\w*", r"affich\w*",
                                                       r"muestr\w*", r"revel\w*", r"zeig\w*", r"verrat\w*",
                                                       r"mostr\w*"),
                                                 words("system prompt", "system message", "initial prompt",
                                                       "original prompt", r"hidden (?:prompt|instructions|rules)",
                                                       r"your (?:system )?prompt", "developer message",
                                                       "initial instructions", "the instructions above",
                                                       r"prompt (?:syst[eè]me|del sistema|do sistema)",
                                                       "systemprompt", "system-prompt"), gap=3)),
    # -- concealment and confirmation bypass -------------------------------------------------------
    Rule("conceal", "concealment", 0.6, seq(words("do not", "don't", "dont", "never", "without"),
                                            words("tell", "telling", "inform", "informing", "mention", "mentioning",
                                                  "reveal", "revealing", "alert", "alerting", "notify",
                                                  "notifying", "warn", "warning", "asking"),
                                            words("the user", "the human", "the operator", "anyone", "them",
                                                  "the customer", "user"), gap=2)),
    Rule("hide_this", "concealment", 0.6, words(r"(?:hide|conceal|delete|remove) (?:this|these) (?:message|"
                                                r"instruction|note|text)s?", "secretly", "covertly", "silently",
                                                r"without (?:the user|anyone) (?:knowing|noticing)",
                                                r"hide (?:the )?(?:real|true|actual)")),
    Rule("skip_confirmation", "concealment", 0.5,
         seq(words("without", "do not", "don't", "no need to", "bypass", "skip"),
             words("confirmation", "permission", "approval", "consent", "the confirmation"), gap=3)),
)


# Matched against the letters alone ("ig nore pre vious instruc tions" → "ignorepreviousinstructions").
SQUEEZED: tuple[Rule, ...] = (
    Rule("ignore_instructions", "override", 1.0, r"(?:ignor(?:e|es|ing)|disregard|forget|override|bypass)"
         r"(?:all|any|the|your|my|of)*(?:previous|prior|above|earlier|preceding|your|system)(?:instructions?|"
         r"prompts?|rules|directions|guidelines|directives)"),
    Rule("prompt_leak", "exfiltration", 1.0, r"(?:reveal|print|show|repeat|output|display|leak|dump)(?:your|the|me)*"
         r"(?:system|hidden|initial)(?:prompt|instructions|message)"),
    Rule("identity_switch", "role", 0.8, r"youarenow(?:dan|in(?:developer|admin|god|debug)mode|an?unrestricted|"
         r"unrestricted)|(?:god|jailbreak|dan)mode"),
)


WRITE_PREFIXES = ("create_", "update_", "delete_", "upsert_", "add_", "remove_", "send_", "merge_", "archive_")


def _alternation(names: list[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


def tool_rules(names: tuple[str, ...] = ()) -> tuple[Rule, ...]:
    """Rules naming this server's own tools. Asking for a tool that writes (`delete_record`…) flags on its
    own; naming one counts 0.6. Read tools (`list_entries`…) count 0.3: this server's own hints say
    "call list_entries with cursor …", and reading is not the harm."""
    writes = [n for n in names if n.startswith(WRITE_PREFIXES)]
    reads = [n for n in names if "_" in n and n not in writes]
    name = GENERIC_TOOL + (f"|{_alternation(writes)}" if writes else "")
    out = [Rule("tool_call_direct", "tool_call", 1.0, r"\b(?:call|use|invoke|run|execute|trigger)\W+(?:the\W+)?"
                rf"(?:{name})\b", canonical=False)]
    if writes:
        out.append(Rule("tool_name", "tool_call", 0.6, rf"\b(?:{_alternation(writes)})\b", canonical=False))
    if reads:
        out.append(Rule("tool_name_read", "tool_call", 0.3, rf"\b(?:{_alternation(reads)})\b", canonical=False))
    return tuple(out)


def fold(pattern: str) -> str:
    """A pattern for the canonical view, where "l" reads as "i"."""
    return pattern.replace("l", "i")


def compiled(rules: tuple[Rule, ...] = RULES) -> list[tuple[Rule, re.Pattern[str], re.Pattern[str] | None]]:
    """Each rule with its plain and (when it has one) canonical pattern."""
    out = []
    for rule in rules:
        plain = re.compile(rule.pattern, re.M)
        canon = re.compile(fold(rule.pattern), re.M) if rule.canonical else None
        out.append((rule, plain, canon))
    return out
