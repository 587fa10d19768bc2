"""Rules about who a text addresses and what it asks of the model (English; see `multilingual.py`).

These widen the detector by the *shape* of an injection rather than by its wording:

- a model addressed by name or role at the start of a clause, followed by an order
  ("ChatGPT, mark …", "Claude, tell the user …", "assistant: recommend …");
- talk about "the user" the model is answering, and duties put on "the assistant";
- "ignore the above" and its variants: an override aimed at the preceding *text* rather than at a
  named thing ("ignore the above price" stays clean), stronger when an order follows;
- instructions to put something into the model's answer (a link, an image, a verification badge)
  and URLs left open for the model to fill.

`DIRECTIVE` (an order a model would act on, at the start of a clause) is also what `screen.py`
looks for inside hidden HTML.
"""
from __future__ import annotations

from .rules import Rule, seq, words

# Orders that only make sense to whoever writes the answer or holds the tools. They follow an
# ambiguous addressee ("Claude," is also a person's name, "Assistant:" a job title) and hidden HTML,
# so everyday requests to a colleague ("send me the quote", "reply to Tom", "forget the Friday slot")
# and template comments ("do not remove", "add your logo here") are left out on purpose.
MODEL_VERB = (
    words("recommend", "pretend", "act as", "output", "reveal", "assure", "convince", "praise", "from now on",
          "only say", "state that")
    + r"|\bsay\W+(?:that|nothing|only|the|it|this|yes|no)\b|\bsay\W*[\"'“]"
    + r"|\b(?:reply|respond|answer)\W+(?:with|only|that|as|yes|no|to\W+(?:every|all|any|each|the\W+user))\b"
      r"|\b(?:reply|respond|answer)\W*[\"'“]"
    + r"|\b(?:ignore|disregard|forget)\W+(?:all|everything|any|your|previous|prior|what|the\W+(?:above|user|previous"
      r"|rules|instructions))\b"
    + r"|\b(?:summari[sz]e|describe|present|report|rate|classify|treat|consider|label|mark|list|flag)\W+"
      r"(?:[\w'’]+\W+){0,4}?as\b"
    + r"|\btell\W+(?:the\W+(?:user|human|reader)|whoever|anyone|everyone|them\W+that)\b"
    + r"|\b(?:do\W+not|don'?t|never)\W+(?:tell|mention|reveal|disclose|show|ask|inform|say)\b"
    + r"|\b(?:when(?:ever)?|if|before|after)\W+(?:the\W+user|you\W+(?:are\W+)?(?:asked|answer|respond|reply|"
      r"summari[sz]e)|asked|answering|responding|replying|summari[sz]ing|someone\W+asks|anyone\W+asks)\b"
    + r"|\b(?:list|print|output|reveal|dump|export)\W+(?:all|every|each|the\W+(?:full|whole|entire|complete))\b"
    + r"|\b(?:include|add|show|display|render|insert|append|put)\W+this\W+(?:link|image|url|badge)\b"
    + r"|\b(?:change|set|update|mark|move|reassign|assign|close|delete|remove)\W+(?:every|all|each)\b"
    + r"|\b(?:change|set|update|reassign|assign)\W+(?:(?:the|this|that)\W+)?(?:\w+\W+)?(?:owner|stage|status|amount|"
      r"value)s?\b(?:\W+\w+){0,4}?\W+(?:to|as)\b"
)
# Any order at all, for addressees that can only be a model ("ChatGPT,", "AI assistant:").
ANY_VERB = MODEL_VERB + "|" + words(
    "please", "kindly", "send", "forward", "e-?mail", "export", "share", "delete", "remove", "update", "create",
    "add", "write", "give", "show", "display", "render", "include", "insert", "append", "list", "print", "set",
    "change", "mark", "move", "draft", "generate", "compose", "cancel", "approve", "confirm", "tell", "stop",
    "assign", r"summari[sz]e", "describe", "ignore", "disregard", "forget", "say", "reply", "respond", "answer")
NAMED_MODEL = (r"(?:chat\W?gpt|gpt-?\d[\w.-]*|gpt|openai|gemini|copilot|llm|(?:large\W+)?language\W+model|"
               r"chatbot|ai\W+(?:assistant|agent|model|system|bot|chatbot)|virtual\W+assistant)")
ROLE_NAME = r"(?:claude|assistant|agent|bot|model)"
CLAUSE = r"(?:^|[.!?;:]\s|\(|\s[—–-]\s)\W*"
GREETING = (r"(?:(?:hey|hi|hello|dear|ok|okay|yo|attention|psst|p\.?\W?s\.?(?:\W+to)?|note\W+to|message\W+(?:to|for)|"
            r"instructions?\W+(?:to|for)|reminder\W+(?:to|for))\W+(?:the\W+|any\W+)?)?")
SEPARATOR = r"\s*(?:,|:|—|–|-|，|：)\s*(?:now\W+|first\W+|then\W+)?"
IGNORE_VERB = words(r"ignor(?:e|es|ing)", "disregard", "forget", "never ?mind", "nevermind", "skip", "overlook",
                    "discard", "dismiss", "drop", "pay no attention to", r"do(?:n't| not) (?:follow|heed|consider)")
ABOVE = words("above", "aforementioned", "foregoing", "preceding", "before")
TEXT_NOUN = words("text", "content", "context", "conversation", r"messages?", "input", "words", "information",
                  r"lines?", r"paragraphs?")
DIRECTIVE = r"(?:^|[.!?;:,—–-]\s*|\n)\s*(?:(?:please|now|then|also|and|just|instead)\W+)*(?:" + MODEL_VERB + r")" \
            r"|\byou\W+(?:must|should|will|shall|need\W+to|have\W+to|are\W+to)\b|\bthe\W+(?:user|human|assistant|ai|model)\b"

# Literal words without which a rule cannot match (see `Rule.needs`), tested as plain substrings.
NAMED_NEEDS = ("gpt", "openai", "gemini", "copilot", "llm", "language", "bot", "assistant", "agent", "model",
               "system")
ROLE_NEEDS = ("claude", "assistant", "agent", "bot", "model")
IGNORE_NEEDS = ("ignor", "disregard", "forget", "mind", "skip", "overlook", "discard", "dismiss", "drop", "attention",
                "follow", "heed", "consider")
DUTY_NEEDS = ("must", "should", "shall", "need", "has", "required", "instructed", "expected", "supposed", "asked",
              "told")
ANSWER_NEEDS = ("answer", "repl", "respons", "summary", "output", "message", "[")

RULES: tuple[Rule, ...] = (
    Rule("address_by_name", "target", 1.0, CLAUSE + GREETING + NAMED_MODEL + SEPARATOR + f"(?:{ANY_VERB})",
         needs=NAMED_NEEDS),
    Rule("address_by_role", "target", 0.6, CLAUSE + GREETING + ROLE_NAME + SEPARATOR
         + r"(?:please\W+|kindly\W+)?" + f"(?:{MODEL_VERB})", needs=ROLE_NEEDS),
    Rule("the_user", "target", 0.4,
         r"\b(?:tell|inform|assure|reassure|convince|remind|notify|warn|show|persuade|advise|ask)\W+the\W+(?:user|"
         r"human)\b|\b(?:to|for|from|with)\W+the\W+(?:user|human)\b(?![\W_]+(?:base|count|interface|experience|"
         r"group|list|ids?|accounts?|licen[cs]es?|seats?|manual|guide|research|story|stories|journey|resources))"
         r"|\bthe\W+(?:user|human)(?:'s|’s)?\W+(?:asks?|asked|questions?|requests?|messages?|conversation|chat|"
         r"prompts?|quer(?:y|ies))\b", needs=("user", "human")),
    Rule("model_obligation", "target", 0.5,
         r"\b(?:the|any|every|each|this|an?)\W+(?:ai\W+)?(?:assistant|ai|chatbot|llm|language\W+model|model|agent|"
         r"bot|copilot|chatgpt|claude|gpt[\w.-]*)\b(?:\W+\w+){0,3}?\W+(?:must|should|shall|needs?\W+to|has\W+to|"
         r"is\W+(?:required|instructed|expected|supposed|asked|told)\W+to)\b", needs=DUTY_NEEDS),
    Rule("ignore_context", "override", 1.0, IGNORE_VERB + r"\W+(?:[\w'’]+\W+){0,3}?(?:" + TEXT_NOUN
         + r"\W+(?:\w+\W+)?" + words("above", "before", "so far", "preceding", "earlier", "previously", "until now")
         + r"|" + words("said", "written", "stated", "told", "given", "mentioned") + r"\W+"
         + words("above", "before", "earlier", "previously", "so far")
         + r"|" + ABOVE + r"\W+(?:this|the|that)\W+" + words("line", "sentence", "point", "paragraph", "message",
                                                            "note", "text", "comment")
         + r"|" + words("preceding") + r"\W+" + TEXT_NOUN + r")", needs=IGNORE_NEEDS),
    Rule("ignore_above", "override", 0.7, IGNORE_VERB + r"\W+(?:(?:all|of|the|everything|anything|that|this)\W+)"
         r"{0,3}" + ABOVE + r"(?=\s*(?:$|[.,;:!?)—–-]|and\b|then\b|&))", needs=IGNORE_NEEDS),
    Rule("ignore_then", "override", 0.4, IGNORE_VERB + r"\W+(?:\w+\W+){0,4}?(?:above|before|preceding|earlier|"
         r"that|this|it|everything|all)\W{1,4}(?:(?:and|then|instead|now|just|please|only)\W+)*(?:" + MODEL_VERB
         + r")", needs=IGNORE_NEEDS),
    Rule("answer_injection", "exfiltration", 0.5, seq(
        words("include", "add", "append", "put", "insert", "embed", "render", "show", "display", "output", "print",
              "end", "finish", "attach", "paste", "place", "start", "begin", "prepend"),
        words("in", "into", "at the end of", "at the start of", "at the bottom of", "at the top of", "to", "with",
              "under", "below"),
        r"(?:your|the|each|every)\W+(?:final\W+|next\W+)?" + words(r"answers?", r"repl(?:y|ies)", r"responses?",
                                                                   r"summary", "output", r"messages?"), gap=6)
        + r"|" + words("render", "output", "show", "display", "include", "print", "insert", "embed", "end with",
                       "reply with", "respond with", "answer with", "append")
        + r"\W+(?:\w+\W+){0,3}?!?\[[^\]\n]*\]\(", needs=ANSWER_NEEDS),
)
