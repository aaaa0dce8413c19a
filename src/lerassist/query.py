"""What a question is about: stakeholder, phase, aspect, glossary term, in the map's own terms.

Retrieval alone confuses near neighbours (every stakeholder page has an "Adopting phase"), so the
question's structure is read here and used to favour the passage that matches it. The vocabulary
(stakeholder names, glossary terms and their abbreviations) comes from the indexed passages, so
an imported copy of the map is understood the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .content import PHASES
from .models import Passage

WORD = re.compile(r"[a-z0-9]+(?:[/'][a-z0-9]+)*")
STOPWORDS = set(
    """a an the and or of to in on for by with from at as is are was were be been being do does did
    what whats what's which who whom whose how why when where this that these those it its it's their
    there they them i me my we our you your can could should would will shall may might must about
    into than then so such any all some more most other also not no yes if but
    tell explain describe please give list name show define meaning mean means""".split()
)
# Everyday abbreviations for map terms that the glossary headings do not spell out themselves.
ABBREVIATIONS = {
    "vc": "verifiable credential",
    "vcs": "verifiable credentials",
    "lers": "learning and employment records",
    "ob": "open badges",
    "ob3": "open badges 3.0",
    "cben": "c-ben competency-based education network",
    "w3c": "w3c world wide web consortium",
    "roi": "return on investment",
    "ats": "applicant tracking system",
    "hris": "human resources information system",
}
ASPECTS = {
    "definition": ("what is", "what are", "what's", "whats", "who are", "who is", "who counts", "define", "definition", "meaning", "mean", "means", "stand for"),
    "examples": ("example", "examples", "such as", "kinds of", "types of", "instances"),
    "business case": ("business case", "business value", "business benefit", "business benefits", "business reason", "value for business", "as a business", "bottom line"),
    "social case": ("social case", "social value", "social benefit", "society", "social impact"),
    "quote": ("quote", "quoted", "quotation", "said", "says", "who is cited"),
}
ACTION_AREA_CUES = {
    "promoting": ("promoting adoption", "promote adoption", "promote the adoption", "promote lers", "promoting lers"),
    "building": ("employer demand", "building demand", "build demand", "building employer"),
    "gathering": ("gathering data", "gather data", "data on impact", "impact data", "measure impact", "metrics", "measure whether", "measure how", "evidence of impact"),
    "supporting": ("degree and skills", "degree- and skills", "skills-based systems", "skills based systems", "degree based"),
}
# Everyday names for the people and organisations each stakeholder group stands for, from the
# groups' definitions and examples: "I run a workforce board" is about Career Navigators.
ROLE_WORDS = {
    "credentialing-organizations": ("college", "colleges", "university", "universities", "community college", "registrar", "registrars", "school", "schools", "training provider", "training providers", "education provider", "education providers", "licensing board", "licensing boards", "apprenticeship", "apprenticeships"),
    "career-navigators": ("workforce board", "workforce boards", "career counselor", "career counselors", "guidance counselor", "academic advisor", "academic advisors", "career coach", "career coaches", "advisor", "advisors"),
    "supporting-systems": ("think tank", "think tanks", "advocacy group", "advocacy groups", "intermediary", "intermediaries", "community organization", "community organizations"),
    "governance": ("legislator", "legislators", "government", "governments", "state agency", "state agencies", "ministry", "ministries", "accreditor", "accreditors", "accreditation bodies", "regulator"),
    "ler-technology-providers": ("wallet provider", "wallet providers", "wallet app", "wallet startup", "badging platform", "badging platforms", "software vendor", "software vendors", "tech vendor", "tech vendors", "vendor", "vendors", "startup"),
    "hr-systems": ("applicant tracking", "applicant tracking software", "hr manager", "hr managers", "recruiter", "recruiters", "hiring software", "hris", "ats"),
    "data-standards-organizations": ("1edtech", "ims global", "hr open", "credential engine", "standards body", "standards group", "standards groups"),
    "learners-earners": ("student", "students", "worker", "workers", "job seeker", "job seekers", "jobseeker", "jobseekers", "graduate", "graduates"),
    "funders": ("foundation", "foundations", "philanthropy", "philanthropies", "donor", "donors", "sponsor", "sponsors", "grantmaker", "grantmakers"),
    "employers": ("company", "companies", "business", "businesses", "hiring manager", "hiring managers"),
}
ROLE_ALIASES = {" ".join(word.split()): slug for slug, words in ROLE_WORDS.items() for word in words}
# With a stakeholder named, "when LERs get issued" asks about the Issuing phase.
PHASE_VERBS = {
    "developing": ("develop", "developed", "develops", "development"),
    "issuing": ("issue", "issued", "issues", "issuance"),
    "adopting": ("adopt", "adopted", "adopts", "adoption"),
}
# A word found in this few passages or fewer names something specific the map talks about.
RARE = 3
OVERVIEWS = ("phases", "action areas", "stakeholders")
# Questions that are about a whole page rather than a stakeholder or a term.
PAGE_CUES = {
    "about": ("version", "versions", "stakeholder page", "each page", "the site", "website", "license", "licence", "contributors", "contributed", "acknowledgements", "who made", "who built", "feedback"),
    "resources": ("resources", "resource", "reading", "read more", "learn more", "report", "reports", "publication", "who wrote", "written by", "author", "published", "publishes", "playbook", "white paper", "guide to"),
    "worked example": ("stewart", "worked example", "example scenario", "nursing home", "amazing community college"),
    "technical guidance": ("technically", "technically speaking", "technical guidance", "technical terms"),
}
CUE_WORDS = {
    w
    for table in (ASPECTS, ACTION_AREA_CUES, ROLE_WORDS, PAGE_CUES)
    for cues in table.values()
    for cue in cues
    for w in WORD.findall(cue)
}
SPANS_STAKEHOLDERS = re.compile(r"\b(which|what|all|other)\s+(\w+\s+)?stakeholders?\b|\bwho\b.*\b(help|helps|issue|issues|use|uses|fund|funds|provide|provides|protect|protects)\b")
# "What did Dr. Krystal Rawls say about LERs?" asks for a quote; what the map, one of its pages
# or a principle says does not.
SAYS = re.compile(r"\b(did|does|do)\s+(?!(the )?(map|site|glossary|page|guidance|it|this|lerassist)\b)(?!.*\b(principle|section|page|glossary)\b).+\bsay about\b")
FOLLOW_UP = re.compile(r"^(and|what about|how about|and what about|same for|also)\b|\b(they|them|their|theirs|it|its|this group|that group)\b")


def stem(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def tokens(text: str) -> list[str]:
    return WORD.findall(text.lower().replace("’", "'"))


@dataclass(frozen=True)
class Intent:
    text: str
    stakeholder: str = ""
    phase: str = ""
    aspect: str = ""
    action_area: str = ""
    terms: tuple[str, ...] = ()
    page: str = ""
    role: str = ""
    spans: bool = False
    rare_words: int = 0
    unknown_words: int = 0
    asks_list: bool = False
    asks_definition: bool = False
    domain_words: int = 0
    follow_up: bool = False

    @property
    def structured(self) -> bool:
        return bool(self.stakeholder or self.phase or self.aspect or self.action_area or self.terms or self.page or self.spans or self.role)


class Vocabulary:
    """Names and terms read from the passages once per opened index."""

    def __init__(self, passages: list[Passage]):
        self.document_frequency: dict[str, int] = {}
        for p in passages:
            for w in set(tokens(f"{p.title} {p.section} {p.text}")):
                self.document_frequency[w] = self.document_frequency.get(w, 0) + 1
        self.words = set(self.document_frequency)
        self.prefixes = {w[:6] for w in self.words if len(w) >= 6}
        self.by_initial: dict[tuple[str, int], list[str]] = {}
        for w in self.words:
            if len(w) >= 4 and w.isalpha():
                self.by_initial.setdefault((w[0], len(w)), []).append(w)
        self.stakeholders: dict[str, str] = {}
        for p in passages:
            if p.kind == "stakeholder" and p.stakeholder:
                for alias in _stakeholder_aliases(p.title):
                    self.stakeholders.setdefault(alias, p.stakeholder)
        self.terms: dict[str, str] = {}
        self.expansions = dict(ABBREVIATIONS)
        for p in passages:
            if p.kind == "glossary":
                term = p.section.strip()
                base = re.sub(r"\s*\([^)]*\)", "", term).strip().lower()
                self.terms.setdefault(base, term)
                if "-" in base:
                    self.terms.setdefault(base.replace("-", ""), term)
                for abbr in re.findall(r"\(([^)]+)\)", term):
                    self.terms.setdefault(abbr.lower(), term)
                    self.expansions.setdefault(abbr.lower(), base)
        self.terms = {" ".join(tokens(k)): v for k, v in self.terms.items()}
        self.term_keys = sorted(self.terms, key=len, reverse=True)
        self.filler_words = {"ler", "lers", "glossary"}

    def knows(self, word: str) -> bool:
        """The map uses this word, a form of it ("discriminated" beside "discrimination"), an
        abbreviation of ours for it, or it joins two of its words ("homepage", "lermap")."""
        if word in self.words or word in self.expansions:
            return True
        if len(word) >= 7 and word[:6] in self.prefixes:
            return True
        return any(word[:i] in self.words and word[i:] in self.words for i in range(2, len(word) - 1))

    def correct(self, word: str) -> str:
        """One-edit typos ("verifable", "emplyers") are mended against the map's own words; our
        own cue words ("reading") are words too, even where the map never uses them."""
        if len(word) < 5 or not word.isalpha() or word in self.words or word in STOPWORDS or word in CUE_WORDS:
            return word
        import difflib

        pool = [w for n in range(len(word) - 2, len(word) + 3) for w in self.by_initial.get((word[0], n), ())]
        match = difflib.get_close_matches(word, pool, n=1, cutoff=0.83)
        return match[0] if match else word


def _stakeholder_aliases(title: str) -> set[str]:
    name = title.lower().replace("&", "and")
    aliases = {name, name.rstrip("s"), name.replace(" and ", " & ")}
    words = name.split()
    if len(words) > 1 and words[-1] in {"organizations", "systems", "providers", "navigators"}:
        aliases |= {" ".join(words[:-1]) + " " + words[-1].rstrip("s")}
    if name == "learners and earners":
        aliases |= {"learners", "earners", "learner or earner", "learner and earner", "learners/earners", "l/earners"}
    if name == "career navigators":
        aliases |= {"navigators", "navigator", "career navigation"}
    if name == "credentialing organizations":
        aliases |= {"credentialing orgs", "credentialing organisations", "credentialing organisation"}
    if name == "data standards organizations":
        aliases |= {"standards organizations", "standards bodies", "data standards organisations", "standards orgs"}
    if name == "ler technology providers":
        aliases |= {"technology providers", "tech providers", "technology provider", "ler vendors"}
    if name == "hr systems":
        aliases |= {"hr system", "hr software", "hr vendors", "human resources systems"}
    if name == "supporting systems":
        aliases |= {"supporting system"}
    if name == "employers":
        aliases |= {"employer", "companies", "businesses"}
    if name == "governance":
        aliases |= {"policymakers", "policy makers", "lawmakers", "legislators", "governments", "regulators"}
    if name == "funders":
        aliases |= {"funder", "funding organizations", "philanthropy"}
    return aliases


def normalize(question: str, vocab: Vocabulary) -> tuple[str, str]:
    """Mend typos; returns the mended question and the same with abbreviations spelled out
    (what the retrievers see)."""
    mended, expanded = [], []
    for word in tokens(question):
        if word.endswith("'s") and word[:-2] in vocab.words:
            word = word[:-2]  # "Stewart's credential" is about Stewart
        fixed = vocab.correct(word)
        mended.append(fixed)
        expanded.append(fixed)
        for part in fixed.split("/"):
            if part in vocab.expansions and part not in vocab.filler_words:
                expanded.append(vocab.expansions[part])
    return " ".join(mended), " ".join(expanded)


def parse(question: str, vocab: Vocabulary, previous: Intent | None = None) -> Intent:
    mended, text = normalize(question, vocab)
    padded = f" {mended} "
    terms, rest = _match_terms(padded, vocab)
    action_area = next((k for k, cues in ACTION_AREA_CUES.items() if any(f" {c} " in padded for c in cues)), "")
    # "employer demand" names an action area, not the Employers page.
    rest = _blank(rest, {c: k for k, cues in ACTION_AREA_CUES.items() for c in cues})
    stakeholder = _longest_match(rest, vocab.stakeholders)
    rest = _blank(rest, vocab.stakeholders)
    page = next((k for k, cues in PAGE_CUES.items() if any(f" {c} " in padded for c in cues)), "")
    role = "" if stakeholder or page else _longest_match(rest, ROLE_ALIASES)
    rest = _blank(rest, ROLE_ALIASES)
    phase = next((p for p in PHASES if f" {p} " in padded or f" {p[:-3]} phase " in padded), "")
    if phase == "using" and not (stakeholder or " phase " in padded):
        phase = ""
    if stakeholder and not phase and not action_area:
        phase = next((p for p, forms in PHASE_VERBS.items() if any(f" {f} " in padded for f in forms)), "")
    aspect = next((a for a, cues in ASPECTS.items() if a != "definition" and any(f" {c} " in padded for c in cues)), "")
    if not aspect and SAYS.search(mended):
        # The speaker decides the page, not the people the quote is about ("workers").
        aspect, role = "quote", ""
    asks_definition = any(f" {c} " in padded for c in ASPECTS["definition"])
    # A glossary term (or an overview: the phases, the stakeholders) is the subject only when
    # little else is asked ("what's an LER", "clr", "who are the ten stakeholders"), not when it
    # is just mentioned ("how do employers use LERs in hiring?").
    leftover = [w for w in tokens(rest) if w not in STOPWORDS and w not in vocab.filler_words and not w.isdigit()]
    leftover = [w for w in leftover if w not in {"four", "seven", "ten", "phases", "stakeholders", "action", "areas"}]
    if leftover and not re.search(r" (word|term) ", padded):
        terms = ()
    if asks_definition and not aspect and stakeholder and not phase and not action_area and not terms:
        aspect = "definition"
    if not (stakeholder or phase or aspect or action_area or terms) and len(leftover) <= 1:
        aspect = next((t for t in OVERVIEWS if f" {t} " in padded), "")
    page = "" if stakeholder else page
    words = [w for w in tokens(text) if w not in STOPWORDS]
    intent = Intent(
        page=page,
        role=role,
        spans=not (stakeholder or page or role) and bool(SPANS_STAKEHOLDERS.search(mended)),
        rare_words=len({w for w in words if 0 < vocab.document_frequency.get(w, 0) <= RARE}),
        unknown_words=len({w for w in words if len(w) > 3 and w not in vocab.words}),
        text=text,
        stakeholder=stakeholder,
        phase=phase,
        aspect=aspect,
        action_area=action_area,
        terms=terms,
        asks_list=bool(re.search(r"\b(list|all|every|each|which|four|seven|ten|steps|principles|advantages|phases|roles|examples|resources)\b", text)),
        asks_definition=asks_definition,
        domain_words=sum(1 for w in words if w in vocab.words),
        follow_up=bool(FOLLOW_UP.search(question.lower().strip())),
    )
    return carry_over(intent, previous)


def carry_over(intent: Intent, previous: Intent | None) -> Intent:
    """A follow-up ("And funders?", "What about their business case?") keeps what the last
    question was about unless it names something new."""
    if previous is None or not (intent.follow_up or not intent.structured):
        return intent
    if not intent.follow_up and intent.domain_words > 1:
        return intent
    changes = {}
    if not intent.stakeholder and previous.stakeholder:
        changes["stakeholder"] = previous.stakeholder
    if intent.stakeholder and not (intent.aspect or intent.phase or intent.action_area):
        changes.update(phase=previous.phase, aspect=previous.aspect, action_area=previous.action_area)
    return replace(intent, **changes) if changes else intent


def _match_terms(padded: str, vocab: Vocabulary) -> tuple[tuple[str, ...], str]:
    """Glossary terms named in the text, longest first, each blanked out once matched so that
    "micro-credential" does not also count as "credential"; returns the terms and the rest."""
    found = []
    for key in vocab.term_keys:
        if f" {key} " in padded:
            found.append(vocab.terms[key])
            padded = padded.replace(f" {key} ", " ")
    return tuple(dict.fromkeys(found)), padded


def _blank(padded: str, table: dict[str, str]) -> str:
    for key in sorted(table, key=len, reverse=True):
        padded = padded.replace(f" {key} ", " ")
    return padded


def _longest_match(padded: str, table: dict[str, str]) -> str:
    for key in sorted(table, key=len, reverse=True):
        if f" {key} " in padded:
            return table[key]
    return ""
