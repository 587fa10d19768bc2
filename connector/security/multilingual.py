"""The detector's rules in other languages, one rule per kind of attack and language family.

Each kind mirrors an English rule: overriding the instructions (an override verb and an
instructions noun, in either order), "ignore the above" (an override aimed at the preceding text,
stronger when an order follows), talking about the user the model answers, asking for the system
prompt, switching identity, and sending data out. Latin-script patterns keep accents optional
(`[eé]`) and also run on the de-obfuscated view. Patterns in other scripts run on the text as
written and only when the text contains that script (`Rule.script`); Latin-script ones only when
one of their stems occurs (`Rule.needs`). So they cost English text next to nothing.
"""
from __future__ import annotations

from .rules import EMAIL, URL, Rule, seq, words

CJK, CYRILLIC = "cjk", "cyrillic"  # scripts a rule needs (Han, kana and Hangul count as one)


def alt(*items: str) -> str:
    """A non-capturing alternation (for scripts without word boundaries)."""
    return "(?:" + "|".join(items) + ")"


# -- Latin-script languages --------------------------------------------------------------------------
ES_VERB = words("ignora", "ignore", "ignorar", "ignoren", "olvida", "olvide", "olvidar", "olviden", "omite",
                "descarta", "haz caso omiso", "no hagas caso", "pasa por alto")
FR_VERB = words("ignore[rz]?", "oublie[rz]?", "ne tenez pas compte", "ne tiens pas compte", "fais abstraction")
DE_VERB = words(r"ignorier(?:e|en|t)?", "vergiss", "vergessen sie", r"missachte(?:n)?", "[uü]bergehe")
PT_VERB = words("ignore", "ignora", "ignorar", "esque[cç]a", "esquece", "desconsidere", "desconsidera")
IT_NL_VERB = words("ignora", "ignorare", "ignorate", "dimentica", "dimenticate", "trascura", "negeer", "vergeet")
PL_TR_VERB = words("zignoruj", "ignoruj", "zignorujcie", "zapomnij", "zapomnijcie", "pomi[nń]", r"yok say\w*",
                   r"g[oö]rmezden gel\w*", r"unut\w*", r"dikkate alma\w*")
PL_TR_NOUN = words(r"instrukcj\w*", r"polece\w*", r"zasad\w*", r"regu[lł]\w*", r"wytyczn\w*", r"talimat\w*",
                   r"kural\w*", r"komut\w*", r"y[oö]nerge\w*")
ANY_VERB_ML = "|".join((ES_VERB, FR_VERB, DE_VERB, PT_VERB, IT_NL_VERB, PL_TR_VERB))
ABOVE_ML = words(
    "lo anterior", "todo lo anterior", "lo de arriba", r"lo (?:que )?(?:est[aá] |aparece |se dijo )?(?:arriba|antes)",
    r"(?:tout )?ce qui (?:pr[eé]c[eè]de|est (?:au-dessus|plus haut|ci-dessus))", "le texte ci-dessus",
    "das obige", "alles obige", r"alles (?:oben|davor|bisherige|vorherige)",
    r"alles,? was (?:oben|vorher|davor|bisher)", "quanto sopra", r"tutto (?:quanto )?(?:sopra|precede)",
    "ci[oò] che precede", r"o que (?:est[aá]|foi dito) acima", "tudo acima", "o acima", "het bovenstaande",
    "alles hierboven", r"(?:wszystko )?powy[zż]sze", r"yukar[ıi]dakiler\w*")
THEN_VERB_ML = words(
    "responde", "contesta", "dile", "d[ií]gale", "muestra", r"env[ií]a", "escribe", "recomienda", "dis", "dites",
    "r[eé]ponds", "r[eé]pondez", "affiche", "envoie", r"[eé]cris", "recommande", "indique", "sag", "sage",
    "sagen sie", "antworte", "gib", "zeig", "zeige", "schick", "sende", "schreib", "empfiehl", "rispondi", "mostra",
    "invia", "scrivi", "consiglia", "responda", "diga", "mostre", "envie", "escreva", "recomende", "zeg", "antwoord",
    "toon", "stuur", "odpowiedz", "powiedz", "poka[zż]", "wy[sś]lij", "napisz", r"s[oö]yle", r"g[oö]nder",
    "cevap ver")
THEN_ML = (r"\W{1,4}(?:(?:y|e|et|und|en|i|ve|dann|puis|luego|poi|depois|solo|seulement|nur)\W+)*" + THEN_VERB_ML)
USER_ML = words("al usuario", "à l'utilisateur", "a l'utilisateur", "dem (?:nutzer|benutzer|anwender)",
                "all'utente", "ao usu[aá]rio", "ao utilizador", "de gebruiker", "u[zż]ytkownikowi",
                "kullan[ıi]c[ıi]ya")
SEND_VERB_ML = words(r"env[ií]a\w*", r"env[ií]e\w*", r"envoy\w*", "sende", "senden", r"schick\w*", r"invia\w*",
                     "stuur", "manda", "mande", r"reenv\w*", r"transf[eé]r\w*", r"wy[sś]lij", r"prze[sś]lij",
                     r"wyeksportuj")
DATA_NOUN_ML = words(r"contact\w*", r"kontakt\w*", "clientes?", "clients?", "kunden", "datos", "donn[ée]es",
                     "daten", "dados", "dati", r"registr\w*", "liste", "lista", "contatti", "contacten", "klanten",
                     "contatos", r"klient\w*")
TR_BULK = seq(words("t[uü]m", "b[uü]t[uü]n"), words(r"ki[sş]i\w*", r"m[uü][sş]teri\w*", r"veri\w*", r"kay[ıi]t\w*"),
              r"(?:\S+\W+){0,3}?g[oö]nder\w*")

# Literal stems without which a rule cannot match (see `Rule.needs`), tested as plain substrings.
VERB_NEEDS = ("ignor", "olvid", "omite", "descarta", "caso", "alto", "oubli", "compte", "abstraction", "vergiss",
              "vergess", "missacht", "bergehe", "esque", "desconsider", "dimentic", "trascura", "negeer", "vergeet",
              "zapomn", "pomi", "yok say", "rmezden", "unut", "dikkate")
USER_NEEDS = ("usuario", "utilisateur", "nutzer", "anwender", "utente", "usu", "utilizador", "gebruiker", "ytkownik",
              "kullan")
IDENTITY_NEEDS = ("ahora", "maintenant", "sormais", "bist", "agora", "sei", "je bent", "teraz", "k sen")
SEND_NEEDS = ("env", "sende", "schick", "invia", "stuur", "mand", "transf", "lij", "eksport", "nder")

LATIN_RULES: tuple[Rule, ...] = (
    Rule("ignore_instructions_es", "override", 1.2,
         seq(ES_VERB, words("instrucciones", "indicaciones", "[oó]rdenes", "reglas", "directrices", "consignas",
                            "normas"), gap=3), needs=("ignor", "olvid", "omite", "descarta", "caso", "alto")),
    Rule("ignore_instructions_fr", "override", 1.2,
         seq(FR_VERB, words("les", "vos", "tes", "ces", "des", "de vos", "de tes", "des"),
             words("instructions", "consignes", "directives", "r[eè]gles", "ordres"), gap=1),
         needs=("ignor", "oubli", "compte", "abstraction")),
    Rule("ignore_instructions_de", "override", 1.2,
         seq(DE_VERB, words("anweisungen", "instruktionen", "befehle", "regeln", "vorgaben", "anordnungen",
                            "richtlinien"), gap=3)
         + "|" + seq(words("anweisungen", "instruktionen", "vorgaben", "richtlinien"),
                     words("ignorieren", "vergessen", "missachten"), gap=1),
         needs=("ignor", "vergiss", "vergess", "missacht", "bergehe")),
    Rule("ignore_instructions_pt", "override", 1.2,
         seq(PT_VERB, words("instru[cç][oõ]es", "regras", "diretrizes", "ordens", "comandos"), gap=3),
         needs=("ignor", "esque", "desconsider")),
    Rule("ignore_instructions_it_nl", "override", 1.2,
         seq(IT_NL_VERB, words("istruzioni", "regole", "direttive", "instructies", "regels", "opdrachten",
                               "richtlijnen"), gap=3), needs=("ignor", "dimentic", "trascura", "negeer", "vergeet")),
    Rule("ignore_instructions_pl_tr", "override", 1.2,
         seq(PL_TR_VERB, PL_TR_NOUN, gap=3) + "|" + seq(PL_TR_NOUN, PL_TR_VERB, gap=2),
         needs=("ignoruj", "zapomn", "pomi", "yok say", "rmezden", "unut", "dikkate")),
    Rule("ignore_above_ml", "override", 0.7,
         seq(ANY_VERB_ML, ABOVE_ML, gap=1)
         + "|" + seq(ABOVE_ML, words("ignorieren", "vergessen", "ignorer", "oublier", "ignorar", "olvidar"), gap=1)
         + "|" + seq(ABOVE_ML, PL_TR_VERB, gap=1), needs=VERB_NEEDS),
    Rule("ignore_then_ml", "override", 0.4, seq(ANY_VERB_ML, ABOVE_ML, gap=1) + THEN_ML, needs=VERB_NEEDS),
    Rule("the_user_ml", "target", 0.4, seq(THEN_VERB_ML, USER_ML, gap=1), needs=USER_NEEDS),
    Rule("identity_switch_ml", "role", 0.8,
         words("ahora eres", "ahora act[uú]as?", "tu es maintenant", "vous [eê]tes maintenant", "d[eé]sormais tu",
               "du bist (?:jetzt|nun)", "ab sofort bist du", "agora (?:voc[eê] [eé]|[eé]s)", "ora sei",
               "adesso sei", "je bent nu", "jeste[sś] teraz", "art[ıi]k sen"), needs=IDENTITY_NEEDS),
    Rule("exfil_bulk_ml", "exfiltration", 0.6, seq(SEND_VERB_ML, DATA_NOUN_ML, gap=3) + "|" + TR_BULK,
         needs=SEND_NEEDS),
    Rule("prompt_leak_ml", "exfiltration", 1.0,  # Polish, Turkish (the Romance and German forms are in rules.py)
         r"\b(?:poka[zż]|ujawnij|wypisz|podaj)\w*\W+(?:\w+\W+){0,2}?(?:prompt\w*\W+systemow\w*|systemow\w*\W+"
         r"prompt\w*)|\bsistem\W+(?:istem|prompt)\w*\W+(?:\w+\W+)?(?:g[oö]ster|yaz|s[oö]yle)",
         needs=("prompt", "sistem")),
)

# -- other scripts -----------------------------------------------------------------------------------
ZH_OVERRIDE = alt("忽略", "无视", "無視", "忘记", "忘記", "忘掉", "不要理会", "不要理會", "别管", "別管",
                  "跳过", "跳過", "覆盖", "覆蓋", "抛开", "拋開", "放弃", "放棄")
ZH_RULE_NOUN = alt("指令", "指示", "说明", "說明", "规则", "規則", "提示词", "提示詞", "提示", "命令", "设定", "設定",
                   "约束", "約束", "限制")
ZH_ABOVE = alt("以上", "上面", "上述", "之前", "前面", "先前")
ZH_TEXT = alt("内容", "內容", "文字", "信息", "訊息", "对话", "對話", "话", "話")
ZH_THEN = (r"[，,。；;\s]*" + alt("然后", "然後", "并且", "並且", "并", "並", "接着", "接著", "再", "请", "請") + "?"
           + alt("告诉", "告訴", "回答", "回复", "回覆", "输出", "輸出", "显示", "顯示", "发送", "發送", "发给", "發給",
                 "列出", "推荐", "推薦", "标记", "標記", "说", "說"))
ZH_DATA = alt("联系人", "聯絡人", "联系方式", "客户", "客戶", "数据", "數據", "资料", "資料", "记录", "記錄", "邮箱",
              "郵箱")
ZH_SEND = alt("发送", "發送", "发给", "發給", "转发", "轉發", "导出", "導出", "上传", "上傳")
JA_NOUN = alt("指示", "命令", "ルール", "プロンプト", "指令", "設定", "規則", "制約", "インストラクション")
KO_NOUN = alt("지시", "지침", "명령", "규칙", "프롬프트", "설정", "제약")
SEND_ML = alt("发送", "發送", "发到", "發到", "发给", "發給", "转发", "轉發", "送信", "送って", "転送", "보내", "전송",
              r"отправ\w*", r"перешл\w*", r"вышл\w*", r"gönder\w*", r"wy[sś]lij", r"prze[sś]lij")
RU_OVERRIDE = words(r"игнорируй\w*", r"проигнорируй\w*", r"забудь\w*", r"не обращай\w* внимания на", r"отбрось\w*",
                    r"отмени\w*", r"пренебреги\w*", r"ігноруй\w*")
RU_ABOVE = words("вс[её] вышесказанное", "вышесказанное", "вс[её],? что выше",
                 r"вс[её],? что (?:было )?(?:написано|сказано) выше", r"то,? что выше")

OTHER_SCRIPT_RULES: tuple[Rule, ...] = (
    Rule("ignore_instructions_zh", "override", 1.2, ZH_OVERRIDE + r"[^。！？!?\n]{0,12}?" + ZH_RULE_NOUN,
         canonical=False, script=CJK),
    Rule("ignore_instructions_ja", "override", 1.2,
         JA_NOUN + r"[^。\n]{0,12}?(?:無視|むし|忘れ)|(?:無視|忘れ)[^。\n]{0,4}?" + JA_NOUN,
         canonical=False, script=CJK),
    Rule("ignore_instructions_ko", "override", 1.2, KO_NOUN + r"[^.\n]{0,12}?(?:무시|잊어|잊고|잊으)",
         canonical=False, script=CJK),
    Rule("ignore_instructions_ru", "override", 1.2, seq(RU_OVERRIDE, words(
        r"инструкци\w*", r"указани\w*", r"правил\w*", r"команд\w*", r"промпт\w*", r"установк\w*", r"ограничени\w*",
        r"директив\w*", r"інструкці\w*"), gap=3), canonical=False, script=CYRILLIC),
    Rule("ignore_above_cjk", "override", 0.7,
         ZH_OVERRIDE + "(?:掉)?" + ZH_ABOVE + "(?:的)?(?:所有|全部|一切)?(?:的)?" + ZH_TEXT
         + r"?(?=[，,。.！!；;\s]|并|並|然后|然後|$)"
         + r"|(?:上記|以上|これまで)の?(?:内容|文章|すべて|全て)?(?:を|は)?(?:すべて|全て)?(?:無視|忘れ)"
         + r"|(?:위의?|위에 있는|앞의) ?(?:내용|모든 것|글|텍스트)?(?:을|를|은|는)? ?(?:모두 )?(?:무시|잊어)",
         canonical=False, script=CJK),
    Rule("ignore_then_cjk", "override", 0.4, ZH_OVERRIDE + "(?:掉)?" + ZH_ABOVE + r"[^。\n]{0,8}?" + ZH_THEN,
         canonical=False, script=CJK),
    Rule("ignore_above_ru", "override", 0.7, seq(RU_OVERRIDE, RU_ABOVE), canonical=False, script=CYRILLIC),
    Rule("the_user_cjk", "target", 0.4,
         alt("告诉", "告訴", "通知", "回答", "回复") + alt("用户", "用戶", "使用者") + "|ユーザー(?:に|へ)|사용자에게",
         canonical=False, script=CJK),
    Rule("the_user_ru", "target", 0.4, words(r"(?:скажи|сообщи|ответь|напиши|покажи)\w* пользователю"),
         canonical=False, script=CYRILLIC),
    Rule("prompt_leak_cjk", "exfiltration", 1.0,
         alt("显示", "顯示", "输出", "輸出", "告诉我", "告訴我", "打印", "泄露", "洩露", "透露", "展示", "重复", "重複",
             "给我看", "給我看", "说出", "說出") + r"[^。\n]{0,10}?"
         + alt("系统提示", "系統提示", "系统消息", "系統訊息", "系统指令", "系統指令", "提示词", "提示詞", "初始指令",
               "隐藏指令", "隱藏指令")
         + "|" + alt("システムプロンプト", "システムメッセージ", "初期指示", "隠された指示") + r"[^。\n]{0,12}?"
         + alt("表示", "教え", "出力", "見せ", "開示", "繰り返")
         + r"|(?:시스템 ?프롬프트|시스템 ?메시지|초기 ?지시)[^.\n]{0,12}?(?:보여|출력|알려|공개|말해)",
         canonical=False, script=CJK),
    Rule("prompt_leak_ru", "exfiltration", 1.0,
         seq(words(r"покажи\w*", r"выведи\w*", r"раскрой\w*", r"напиши\w*", r"повтори\w*", r"сообщи\w*"),
             r"системн\w*\W+(?:промпт|подсказк|инструкци|сообщени)\w*", gap=2), canonical=False, script=CYRILLIC),
    Rule("identity_switch_cjk", "role", 0.8,
         alt("你现在是", "你現在是", "从现在开始你", "從現在開始你", "你不再是", "あなたは(?:今|これから)",
             "今からあなたは", "너는 이제", "당신은 이제", "이제부터 (?:너|당신)"), canonical=False, script=CJK),
    Rule("identity_switch_ru", "role", 0.8, words("теперь ты", "ты теперь", "отныне ты", "ты больше не"),
         canonical=False, script=CYRILLIC),
    Rule("unrestricted_ai_ml", "role", 0.5,
         alt("没有(?:任何)?限制", "沒有(?:任何)?限制", "无限制", "無限制", "不受限制", "制限(?:なし|のない)",
             "제한 ?없는", "без ограничений", "без правил"), canonical=False, script=f"{CJK}|{CYRILLIC}"),
    Rule("exfil_bulk_cjk", "exfiltration", 0.6,
         r"(?:所有|全部)[^。\n]{0,10}?" + ZH_DATA + r"[^。\n]{0,20}?" + ZH_SEND
         + "|" + ZH_SEND + r"[^。\n]{0,20}?(?:所有|全部)[^。\n]{0,10}?" + ZH_DATA
         + r"|(?:すべて|全て|全部)の?(?:連絡先|顧客|データ|レコード|メール)[^。\n]{0,20}?"
         + alt("送信", "送って", "エクスポート", "転送", "共有")
         + r"|모든 ?(?:연락처|고객|데이터|기록|이메일)[^.\n]{0,20}?(?:보내|전송|내보내|공유)",
         canonical=False, script=CJK),
    Rule("exfil_bulk_ru", "exfiltration", 0.6,
         seq(words(r"отправ\w*", r"перешл\w*", r"экспортируй\w*", r"выгрузи\w*", r"скинь\w*", r"вышли\w*"),
             words("все", "всех", "весь"),
             words(r"контакт\w*", r"клиент\w*", r"данн\w*", r"запис\w*", r"адрес\w*", r"сделк\w*"), gap=2),
         canonical=False, script=CYRILLIC),
    # Verb first ("отправь … на x@…") or address first ("x@… 로 보내세요", "x@… adresine gönder").
    Rule("exfil_destination_ml", "exfiltration", 0.5,
         SEND_ML + r"[^.\n。]{0,40}?(?:" + EMAIL + "|" + URL + r")|(?:@[\w-]+(?:\.[\w-]+)+|https?://\S+)[^.\n。]{0,12}?"
         + SEND_ML, canonical=False, needs=("@", "http")),
)

RULES = LATIN_RULES + OTHER_SCRIPT_RULES
