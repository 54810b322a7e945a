"""Word lists: chat shorthand, the words the intent cues use, and common words left alone.

Kept as data so a reviewer can read (and extend) what the NLU knows without reading code.
"""

from __future__ import annotations

from dialogs.nlu.cues import cue_words
from dialogs.nlu.dates import MONTHS, WEEKDAYS
from dialogs.nlu.numbers import is_number_word

LANGUAGES = ("pt", "en", "es")


def language_of(locale: str) -> str:
    """ "pt_BR" → "pt", "en-US" → "en"; anything unknown falls back to Portuguese."""
    language = locale.replace("-", "_").split("_", 1)[0].lower()
    return language if language in LANGUAGES else "pt"


def _expand(table: dict[str, str]) -> dict[str, tuple[str, ...]]:
    return {short: tuple(full.split()) for short, full in table.items()}


SHORTHAND: dict[str, dict[str, tuple[str, ...]]] = {
    "pt": _expand(
        {
            "vc": "voce",
            "vcs": "voces",
            "pq": "porque",
            "pk": "porque",
            "n": "nao",
            "nn": "nao",
            "naum": "nao",
            "nop": "nao",
            "nops": "nao",
            "qro": "quero",
            "qr": "quer",
            "qria": "queria",
            "blz": "beleza",
            "tb": "tambem",
            "tbm": "tambem",
            "tmb": "tambem",
            "pfv": "por favor",
            "pfvr": "por favor",
            "pf": "por favor",
            "pls": "por favor",
            "plz": "por favor",
            "vlw": "valeu",
            "vlws": "valeu",
            "msg": "mensagem",
            "msgs": "mensagens",
            "q": "que",
            "oq": "o que",
            "td": "tudo",
            "tds": "todos",
            "hj": "hoje",
            "amnh": "amanha",
            "amn": "amanha",
            "obg": "obrigado",
            "obgd": "obrigado",
            "obgda": "obrigada",
            "cmg": "comigo",
            "mto": "muito",
            "mt": "muito",
            "mta": "muita",
            "dps": "depois",
            "qdo": "quando",
            "qnd": "quando",
            "qndo": "quando",
            "qnto": "quanto",
            "qto": "quanto",
            "qnt": "quanto",
            "qt": "quanto",
            "nd": "nada",
            "ngm": "ninguem",
            "agr": "agora",
            "kd": "cade",
            "msm": "mesmo",
            "vdd": "verdade",
            "dnv": "de novo",
            "d": "de",
            "eh": "e",
            "tmj": "tamo junto",
            "gnt": "gente",
            "s": "sim",
            "ss": "sim",
            "pgto": "pagamento",
            "pagto": "pagamento",
            "sla": "sei la",
            "tô": "to",
            "whats": "whatsapp",
            "zap": "whatsapp",
            "cel": "celular",
            "vces": "voces",
            "mae": "mae",
        }
    ),
    "en": _expand(
        {
            "u": "you",
            "pls": "please",
            "plz": "please",
            "thx": "thanks",
            "ty": "thank you",
            "cant": "can not",
            "cannot": "can not",
            "dont": "don t",
            "im": "i am",
            "r": "are",
            "ur": "your",
        }
    ),
    "es": _expand(
        {
            "q": "que",
            "xq": "porque",
            "pq": "porque",
            "tb": "tambien",
            "xfa": "por favor",
            "pf": "por favor",
            "grax": "gracias",
            "d": "de",
        }
    ),
}

_COMMON = {
    "pt": """
    a o as os um uma uns umas de da do das dos em na no nas nos por pra pro para com sem
    e ou mas se que quem qual quais quando onde como porque porquê ja ainda so mais menos
    muito muita pouco tudo todo toda nada algo alguma algum isso isto esse essa este esta
    aquele aquela ai aqui la eu voce voces ele ela nos eles elas me te se lhe meu minha seu
    sua nosso nossa dele dela vou vai vamos foi fui era sou somos sao estou esta estamos
    estao ta to tava tem tenho temos ter tive teve fazer faz fiz feito fez dar deu dou
    ir ver vi vejo olha olhe saber sei sabe dizer disse diz falar falei fala falo
    hoje agora depois antes sempre nunca tambem entao assim bem mal sim nao tá né ne mesmo
    dia dias mes meses ano anos semana semanas hora horas vez vezes favor gente moça moca
    senhor senhora obrigado obrigada valeu filho filha mae pai casa trabalho celular
    numero nome conta contas loja empresa banco dinheiro valor valores pagar pago paguei
    pagamento pagamentos cobranca cobrancas divida dividas juros multa parcela parcelas
    boleto pix cartao mensagem mensagens whatsapp internet foto audio jogo onibus bateria
    entendi entender entendo acho acha achei pode posso podem poderia consigo consegue
    quero queria quer preciso precisa gostaria desculpa desculpe obrigado ola oi oie
    novo nova outro outra outros ultima ultimo primeiro primeira segunda segundo terceira
    logo rapido favor certo errado bom boa ruim melhor pior grande pequeno pequenos
    resolver resolvo resolvi caro cara alto alta total tudo kk kkk mano veio vei cara
    """,
    "en": """
    a an the i you we they he she it me my your our is are was were be been am do does
    did don t can not will would could should to of in on at for with and or but so if
    this that these those what why how when where who which please yes no ok all it s
    """,
    "es": """
    el la los las un una unos unas de del en por para con sin y o pero si que quien cual
    cuando donde como porque ya todavia mas menos muy todo nada esto eso este esta yo tu
    usted nosotros me te se mi su es son soy estoy esta estan tengo tiene hay voy va
    """,
}

_DATE_WORDS = {
    "pt": "feira amanha hoje ontem anteontem semana proxima proximo fim final inicio comeco daqui",
    "en": "today tomorrow yesterday next week end month start beginning",
    "es": "hoy manana ayer pasado semana proxima proximo fin inicio principio viene",
}

_SPELLING_TARGETS = {
    "pt": """
    parcelar parcelado parcelada parcelamento parcela parcelas parcelando desempregado
    desempregada obrigado obrigada atendente atendimento boleto cartao credito debito
    reconheco desconheco quitar quitado quitei paguei pagamento pagar dinheiro
    mensagem mensagens cancelar segunda comprovante transferencia dificuldade
    divida cobranca desconto parar vista total detalhes explicar humano pessoa
    agradeco beleza tarde dia noite amanha semana vencimento juros saldo valor
    """,
    "en": "installments balance recognize thanks unsubscribe",
    "es": "cuotas gracias reconozco deuda",
}


def _words(block: str) -> frozenset[str]:
    return frozenset(block.split())


SPELLING_TARGETS: dict[str, frozenset[str]] = {
    language: frozenset(
        word for word in _words(_SPELLING_TARGETS[language]) | cue_words(language) if len(word) >= 4
    )
    for language in LANGUAGES
}

KNOWN_WORDS: dict[str, frozenset[str]] = {
    language: (
        _words(_COMMON[language])
        | frozenset(WEEKDAYS[language])
        | frozenset(MONTHS[language])
        | _words(_DATE_WORDS[language])
        | _words(_SPELLING_TARGETS[language])
        | cue_words(language)
        | frozenset(word for full in SHORTHAND[language].values() for word in full)
    )
    for language in LANGUAGES
}


def is_known(word: str, language: str) -> bool:
    """Whether `word` is left as typed (a known word or a number word)."""
    return word in KNOWN_WORDS[language] or is_number_word(word, language)
