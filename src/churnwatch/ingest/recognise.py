"""Recognise which export is which source and which column is which canonical column.

Used by ``init`` to propose a configuration and by the loader to suggest a mapping when a
required column is missing. The synonym lists cover common English ERP/CRM names and German
exports (DATEV, SAP Business One, Lexware style).
"""

from __future__ import annotations

from collections.abc import Iterable

from churnwatch.core.sources import SOURCES, Kind
from churnwatch.core.spelling import normalise

_CUSTOMER = (
    "customer id|customer|customer no|customer number|customer nr|cust id|client id|client|"
    "account id|account no|account number|company id|associated company id|debtor|"
    "debtor no|kundennummer|kundennr|kunde|kdnr|"
    "kd nr|kunden nr|kunden id|kundenid|debitor|debitorennummer|debitorennr|"
    "auftraggeber|sold to|sold to party|konto|kontonummer|debitorenkonto|"
    "n client|no client|numero client|numero de client|code client|client id"
)
_AMOUNT = (
    "amount|total|net amount|net|value|revenue|sales|order value|invoice amount|gross|"
    "nettobetrag|betrag|umsatz|wert|summe|netto|rechnungsbetrag|bruttobetrag|brutto|"
    "nettowert|betrag in hauswaehrung|betrag in belegwaehrung|amount in local currency|"
    "montant|montant ht|montant ttc|total ht|total ttc|chiffre d affaires"
)

# Separated by "|"; compared after normalise(), so case, umlauts and punctuation don't matter.
_SYNONYMS: dict[str, dict[str, str]] = {
    "orders": {
        "customer_id": _CUSTOMER,
        "order_date": "order date|date|orderdate|ordered at|ordered on|created|created at|"
        "created date|belegdatum|datum|auftragsdatum|bestelldatum|erstellt am|erstellt|"
        "angelegt am|erfasst am|date commande|date de commande",
        "amount": _AMOUNT,
        "order_id": "order id|order no|order number|order nr|document no|document number|"
        "belegnummer|belegnr|auftragsnummer|auftragsnr|bestellnummer|bestellnr|"
        "verkaufsbeleg|verkaufsbelegnummer|sales document|sales order|"
        "n commande|no commande|numero de commande",
        "channel": "channel|order channel|source|origin|initiated by|order type|auftragsart|"
        "kanal|herkunft|auftragsquelle|bestellweg",
    },
    "payments": {
        "customer_id": _CUSTOMER,
        "due_date": "due date|due|due on|due at|payment due|faellig am|faelligkeit|"
        "faelligkeitsdatum|faellig|faellig zum|zahlbar bis|nettofaelligkeit|net due date|"
        "nettofaelligkeitsdatum|faelligkeitstermin|date d echeance|echeance|date echeance",
        "paid_date": "paid date|paid on|paid at|payment date|paid|cleared on|bezahlt am|"
        "zahlungseingang|zahldatum|bezahlt|ausgeglichen am|zahlungsdatum|ausgleichsdatum|"
        "clearing date|cleared|date de paiement|date paiement|date de reglement|paye le",
        "amount": _AMOUNT,
        "invoice_id": "invoice id|invoice no|invoice number|invoice nr|invoice|"
        "rechnungsnummer|rechnungsnr|rechnung|belegnummer|belegnr|n facture|no facture|"
        "numero de facture",
        "invoice_date": "invoice date|invoiced on|date|rechnungsdatum|belegdatum|datum|"
        "date facture|date de facture",
        "payment_terms": "payment terms|payment terms days|terms|terms days|net days|"
        "zahlungsziel|zahlungsziel tage|zahlungsziel in tagen|zahlungsfrist|"
        "zahlungsfrist tage|ziel tage|tage netto|delai de paiement|delai de paiement jours",
    },
    "complaints": {
        "customer_id": _CUSTOMER,
        "opened_date": "opened date|opened|opened at|opened on|created|created at|created date|"
        "reported|reported on|complaint date|date|eingang|eingangsdatum|gemeldet am|datum|"
        "erstellt|erstellt am|eroeffnet|eroeffnet am",
        "closed_date": "closed date|closed|closed at|closed on|resolved|resolved date|"
        "resolved at|resolved on|erledigt am|erledigt|geschlossen|geschlossen am|"
        "abgeschlossen am|geloest|geloest am|behoben am",
        "severity": "severity|priority|prio|schweregrad|prioritaet|schwere|dringlichkeit",
        "category": "category|type|reason|topic|kategorie|grund|art|thema",
    },
    "contacts": {
        "customer_id": _CUSTOMER,
        "contact_date": "contact date|date|contacted at|contacted on|called at|datum|"
        "kontaktdatum|anrufdatum",
        "outcome": "outcome|result|status|reached|ergebnis|erreicht|resultat",
        "direction": "direction|richtung",
        "channel": "channel|medium|kanal|contact type|kontaktart",
    },
    "customers": {
        "customer_id": _CUSTOMER,
        "name": "name|company|company name|customer name|account name|firma|firmenname|"
        "kundenname|name1|bezeichnung|raison sociale|nom|societe",
        "segment": "segment|class|tier|abc class|klasse|kundengruppe|kundenklasse",
        "owner": "owner|account manager|sales rep|rep|salesperson|betreuer|"
        "vertriebsmitarbeiter|aussendienst|verantwortlich|kundenbetreuer|vertreter|"
        "company owner|account owner|commercial|charge d affaires",
        "email": "email|e mail|mail|email address|e mail adresse",
        "owner_email": "owner email|owner mail|account manager email|rep email|sales rep email|"
        "betreuer email|betreuer mail|kundenbetreuer email|vertreter email|"
        "vertriebsmitarbeiter email|account owner email",
    },
}

_FILE_WORDS: dict[str, tuple[str, ...]] = {
    "orders": (
        "order",
        "auftrag",
        "auftraege",
        "bestellung",
        "sales",
        "umsatz",
        "beleg",
        "commande",
    ),
    "payments": (
        "payment",
        "invoice",
        "rechnung",
        "zahlung",
        "offene posten",
        "op",
        "debitor",
        "facture",
        "paiement",
    ),
    "complaints": (
        "complaint",
        "reklamation",
        "beschwerde",
        "ticket",
        "claim",
        "rma",
        "reclamation",
    ),
    "contacts": ("contact", "kontakt", "call", "anruf", "activit", "aktivitaet"),
    "customers": ("customer", "kunden", "stammdaten", "account", "client", "clients"),
}

# Known spellings of the canonical values of columns with a fixed vocabulary, compared after
# normalise(); a spelling of three or more characters is also found as words inside a value
# (see ingest.vocabulary), so "Left Voicemail" needs only "voicemail".
VALUE_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "channel": {
        "inbound": (
            "inbound",
            "in",
            "customer",
            "kunde",
            "kunden",
            "webshop",
            "web shop",
            "online shop",
            "shop",
            "online",
            "web",
            "internet",
            "e mail",
            "email",
            "mail",
            "phone",
            "telephone",
            "telefon",
            "fax",
            "edi",
            "portal",
            "app",
            "self service",
            "eingehend",
            "direct",
            "direkt",
            "customer order",
            "kundenauftrag",
            "kundenbestellung",
            "eigenbestellung",
            "marketplace",
            "marktplatz",
            "store",
            "filiale",
            "laden",
            "counter",
            "theke",
            "walk in",
            "inbound call",
            "customer call",
            "hotline",
            "telefonisch",
            "amazon",
            "ebay",
            "otto",
            "reorder",
            "repeat order",
            "nachbestellung",
            "referral",
            "empfehlung",
        ),
        "outbound": (
            "outbound",
            "out",
            "sales",
            "sales rep",
            "aussendienst",
            "telefonverkauf",
            "telefon verkauf",
            "telesales",
            "vertrieb",
            "vertriebsauftrag",
            "ausgehend",
            "field sales",
            "rep",
            "sales initiated",
            "sales call",
            "outbound call",
            "cold call",
            "kaltakquise",
            "vertreter",
            "vertreterauftrag",
            "vertreterbesuch",
            "besuch",
            "visit",
            "sales visit",
            "key account",
            "account manager",
            "innendienst aktiv",
            "promotion",
            "aktion",
            "campaign",
            "kampagne",
        ),
    },
    "direction": {
        "inbound": (
            "inbound",
            "in",
            "incoming",
            "eingehend",
            "customer",
            "kunde",
            "from customer",
            "vom kunden",
            "kunde ruft an",
            "inbound call",
        ),
        "outbound": (
            "outbound",
            "out",
            "outgoing",
            "ausgehend",
            "sales",
            "vertrieb",
            "to customer",
            "an kunden",
            "outbound call",
            "we called",
            "wir rufen an",
        ),
    },
    "outcome": {
        "reached": (
            "reached",
            "yes",
            "ja",
            "y",
            "j",
            "erreicht",
            "success",
            "successful",
            "connected",
            "answered",
            "spoke",
            "spoken",
            "talked",
            "gesprochen",
            "gespraech",
            "meeting",
            "termin",
            "completed",
            "done",
            "contact made",
            "kontakt hergestellt",
            "true",
            "1",
            "ok",
            "bestellung aufgenommen",
            "order taken",
        ),
        "not_reached": (
            "not reached",
            "not_reached",
            "no",
            "nein",
            "n",
            "nicht erreicht",
            "nicht erreichbar",
            "no answer",
            "no response",
            "keine antwort",
            "keine reaktion",
            "voicemail",
            "voice mail",
            "mailbox",
            "anrufbeantworter",
            "besetzt",
            "busy",
            "unreachable",
            "unreached",
            "not available",
            "unavailable",
            "nicht verfuegbar",
            "abwesend",
            "missed",
            "verpasst",
            "no contact",
            "kein kontakt",
            "failed",
            "bounced",
            "wrong number",
            "falsche nummer",
            "no pickup",
            "false",
            "0",
            "not connected",
            "kein anschluss",
            "left message",
            "left live message",
            "message left",
            "nachricht hinterlassen",
            "rueckruf erbeten",
            "callback requested",
        ),
    },
    # Bare numbers are left to ingest.vocabulary, which reads them as ranks: 1 is the most
    # severe in a priority column, the least in a severity column.
    "severity": {
        "low": (
            "low",
            "gering",
            "niedrig",
            "minor",
            "klein",
            "leicht",
            "trivial",
            "unkritisch",
            "nicht kritisch",
            "not urgent",
            "nicht dringend",
            "info",
            "informational",
            "lowest",
        ),
        "medium": ("medium", "mittel", "normal", "moderate", "standard", "mid", "regular"),
        "high": (
            "high",
            "hoch",
            "sehr hoch",
            "very high",
            "highest",
            "critical",
            "kritisch",
            "major",
            "severe",
            "schwer",
            "urgent",
            "dringend",
            "eilig",
            "blocker",
            "emergency",
            "notfall",
        ),
    },
}


def column_score(header: str, source: str, canonical: str) -> float:
    """How strongly a header names a canonical column: 1 exact synonym, 0.5 contains one."""
    name = normalise(header)
    if not name:
        return 0.0
    vocabulary = _vocabulary(source, canonical)
    if name in vocabulary or name.replace(" ", "") in {v.replace(" ", "") for v in vocabulary}:
        return 1.0
    tokens = set(name.split())
    if any(len(v) > 3 and (v in name or set(v.split()) <= tokens) for v in vocabulary):
        return 0.5
    return 0.0


def _vocabulary(source: str, canonical: str) -> set[str]:
    return {normalise(canonical), *(normalise(w) for w in _SYNONYMS[source][canonical].split("|"))}


def map_columns(headers: Iterable[str], source: str) -> dict[str, str]:
    """Best one-to-one assignment of headers to the source's canonical columns; between
    headers that name a column equally well, the one that is its exact name, as the loader
    reads it without a mapping."""
    candidates = sorted(
        (
            (column_score(h, source, c), _net_first(h, c), h == c, -i, c, h)
            for i, h in enumerate(headers)
            for c in SOURCES[source].column_names
        ),
        reverse=True,
    )
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for score, *_, canonical, header in candidates:
        if score > 0 and canonical not in mapping and header not in used:
            mapping[canonical] = header
            used.add(header)
    return {c: mapping[c] for c in SOURCES[source].column_names if c in mapping}


_NET = {"net", "netto", "nettobetrag", "nettoumsatz", "net amount", "ht"}
_GROSS = {"gross", "brutto", "bruttobetrag", "bruttoumsatz", "gross amount", "incl", "inkl", "ttc"}


def _net_first(header: str, canonical: str) -> int:
    """Between equally good amount columns, net beats one that doesn't say, which beats gross."""
    if canonical != "amount":
        return 0
    words = set(normalise(header).split()) | {normalise(header)}
    return 1 if words & _NET else -1 if words & _GROSS else 0


def other_amount(headers: list[str], mapping: dict[str, str]) -> str | None:
    """Another header that names an amount as well as the chosen one (``Brutto`` beside
    ``Netto``), so that ``init`` can say which it took."""
    chosen = mapping.get("amount")
    others = [
        h
        for h in headers
        if h != chosen
        and h not in mapping.values()
        and column_score(h, "orders", "amount") > 0
        and not _names_a_date(h)
    ]
    return others[0] if chosen and others else None


def _names_a_date(header: str) -> bool:
    """Whether a header names a date of some source (``Verzug nach Nettofälligkeit``: the
    days past the net due date, no amount, though it holds ``netto``)."""
    return any(
        column_score(header, name, column.name) > 0
        for name, source in SOURCES.items()
        for column in source.columns
        if column.kind is Kind.DATE
    )


def source_score(file_name: str, headers: list[str], source: str) -> float:
    """How likely a file is the given source: its name, and how many required columns it has
    (the share, and between equal shares, the number: an SAP open-items list with customer,
    due date, clearing date and amount is payments rather than orders, whose customer, date
    and amount it has as well)."""
    name = normalise(file_name.rsplit(".", 1)[0])
    by_name = any(w in name.split() or (len(w) > 3 and w in name) for w in _FILE_WORDS[source])
    mapping = map_columns(headers, source)
    schema = SOURCES[source]
    required = schema.required_columns
    found = sum(
        c in mapping or all(d in mapping for d in schema.column(c).derived_from or ("",))
        for c in required
    )
    return found / len(required) + 0.01 * found + (0.75 if by_name else 0.0)
